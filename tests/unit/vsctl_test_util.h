// Runs the vsw database commands (tools/vsctl.h) against the real engine in memory, with every
// request recorded: the layer is "command line -> RFC 7047 transactions -> output", and these
// helpers let tests check all three without IPC.
#ifndef VSW_TESTS_UNIT_VSCTL_TEST_UTIL_H
#define VSW_TESTS_UNIT_VSCTL_TEST_UTIL_H

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "lib/json.h"
#include "ovsdb/db.h"
#include "tools/cli/vsctl.h"
}

namespace vsctltest {

inline std::string ReadFile(const char *path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct Result {
    int exit_code;
    std::string out;
    std::string err;
    std::vector<std::string> requests;   // transact params, in order
};

// The engine behind a backend. `switchd` simulates vsw-switchd: after each committed change it
// sets cur_cfg to next_cfg once the client has slept `apply_after_ms`.
class MemoryDb {
  public:
    MemoryDb()
    {
        schema_text_ = ReadFile("dbd/vswitch.schema");
        char *error = nullptr;
        schema_ = db_schema_parse(schema_text_.data(), schema_text_.size(), &error);
        EXPECT_NE(schema_, nullptr) << (error ? error : "");
        free(error);
        db_ = db_create(schema_);
    }
    ~MemoryDb()
    {
        db_destroy(db_);
        db_schema_free(schema_);
        db_schema_free(assumed_);
    }
    MemoryDb(const MemoryDb &) = delete;
    MemoryDb &operator=(const MemoryDb &) = delete;

    // Runs `vsw [global options] args...`: global options are given as vsctl_options.
    Result Run(const std::vector<std::string> &args, const vsctl_options *options = nullptr)
    {
        vsctl_options defaults;
        vsctl_options_init(&defaults);
        defaults.no_wait = true;
        if (!options)
            options = &defaults;
        std::vector<char *> argv;
        for (const auto &a : args)
            argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        char *out_buf = nullptr, *err_buf = nullptr;
        size_t out_len = 0, err_len = 0;
        FILE *out = open_memstream(&out_buf, &out_len);
        FILE *err = open_memstream(&err_buf, &err_len);
        vsctl_backend backend = { TransactCb, SchemaCb, NowCb,    WaitCfgCb,
                                  nullptr,    nullptr,  this };
        requests_.clear();
        Result r;
        r.exit_code = vsctl_run(options, (int)args.size(), argv.data(), &backend, out, err);
        fclose(out);
        fclose(err);
        r.out = out_buf ? out_buf : "";
        r.err = err_buf ? err_buf : "";
        free(out_buf);
        free(err_buf);
        r.requests = requests_;
        return r;
    }

    // Runs "a b c" split at spaces (for arguments without spaces).
    Result Run(const std::string &line, const vsctl_options *options = nullptr)
    {
        std::vector<std::string> args;
        std::istringstream in(line);
        std::string word;
        while (in >> word)
            args.push_back(word);
        return Run(args, options);
    }

    // Runs raw transact params directly on the engine; returns the reply.
    std::string Transact(const std::string &params)
    {
        char *reply = nullptr, *commit = nullptr;
        db_transact(db_, params.data(), params.size(), &reply, &commit);
        std::string out = reply ? reply : "";
        free(reply);
        free(commit);
        return out;
    }

    std::string Snapshot() const
    {
        char *s = db_snapshot(db_);
        std::string out(s);
        free(s);
        return out;
    }

    size_t Rows(const char *table) const { return db_count_rows(db_, table); }

    bool switchd = false;              // simulate vsw-switchd applying changes
    uint64_t apply_after_ms = 3;
    uint64_t now_ms = 1000000;
    int transactions = 0;              // requests sent in the last Run, reads included
    // The IPC backend's case: the first schema handed out is the client's own copy (this
    // text), which the database refuses (VSCTL_SCHEMA_CHANGED) until the client fetches it.
    std::string assumed_schema;
    int schema_fetches = 0;
    int refused = 0;
    // Called before each request; may change the database (to simulate another client).
    std::function<void(MemoryDb &, const std::string &params)> before_request;

  private:
    static int TransactCb(void *aux, const char *params, char **result, char **error)
    {
        MemoryDb *self = static_cast<MemoryDb *>(aux);
        (void)error;
        self->requests_.push_back(params);
        if (self->serving_assumed_) {
            self->refused++;
            return VSCTL_SCHEMA_CHANGED;
        }
        if (self->before_request)
            self->before_request(*self, params);
        char *commit = nullptr;
        db_transact(self->db_, params, strlen(params), result, &commit);
        if (commit)
            self->committed_at_ = self->now_ms;
        free(commit);
        self->MaybeApply();
        return 0;
    }
    static int SchemaCb(void *aux, const db_schema **schema, bool *assumed, char **error)
    {
        MemoryDb *self = static_cast<MemoryDb *>(aux);
        self->schema_fetches++;
        self->serving_assumed_ = !self->assumed_schema.empty() && self->schema_fetches == 1;
        *assumed = self->serving_assumed_;
        if (!self->serving_assumed_) {
            *schema = self->schema_;
            return 0;
        }
        db_schema_free(self->assumed_);
        self->assumed_ = db_schema_parse(self->assumed_schema.data(),
                                         self->assumed_schema.size(), error);
        *schema = self->assumed_;
        return self->assumed_ ? 0 : -1;
    }
    static uint64_t NowCb(void *aux) { return static_cast<MemoryDb *>(aux)->now_ms; }
    // The engine evaluates a wait once, as a database that does not block would; the
    // client's time passes by `ms` when it does not hold.
    static bool WaitCfgCb(void *aux, const char *params, unsigned int ms)
    {
        MemoryDb *self = static_cast<MemoryDb *>(aux);
        self->requests_.push_back(params);
        char *reply = nullptr, *commit = nullptr;
        bool held = db_transact(self->db_, params, strlen(params), &reply, &commit) == 0;
        free(reply);
        free(commit);
        if (!held)
            SleepCb(aux, ms);
        return held;
    }
    static void SleepCb(void *aux, unsigned int ms)
    {
        MemoryDb *self = static_cast<MemoryDb *>(aux);
        self->now_ms += ms;
        self->MaybeApply();
    }
    void MaybeApply()
    {
        if (!switchd || now_ms < committed_at_ + apply_after_ms)
            return;
        char *reply = nullptr, *commit = nullptr;
        static const char kApply[] =
            "[\"Open_vSwitch\",{\"op\":\"select\",\"table\":\"Open_vSwitch\",\"where\":[],"
            "\"columns\":[\"next_cfg\"]}]";
        db_transact(db_, kApply, sizeof kApply - 1, &reply, &commit);
        json *j = json_parse(reply, strlen(reply), nullptr);
        json *rows = json_object_get(json_array_at(j, 0), "rows");
        if (json_array_size(rows) == 1) {
            long long next = (long long)json_integer(json_object_get(json_array_at(rows, 0),
                                                                     "next_cfg"));
            std::string update = "[\"Open_vSwitch\",{\"op\":\"update\",\"table\":"
                                 "\"Open_vSwitch\",\"where\":[],\"row\":{\"cur_cfg\":" +
                                 std::to_string(next) + "}}]";
            char *r2 = nullptr, *c2 = nullptr;
            db_transact(db_, update.data(), update.size(), &r2, &c2);
            free(r2);
            free(c2);
        }
        json_free(j);
        free(reply);
        free(commit);
    }

    std::string schema_text_;
    bool serving_assumed_ = false;
    db_schema *assumed_ = nullptr;
    db_schema *schema_ = nullptr;
    db *db_ = nullptr;
    std::vector<std::string> requests_;
    uint64_t committed_at_ = 0;
};

// The number of operations of kind `op` ("insert", "wait"...) in transact params.
inline int CountOps(const std::string &params, const std::string &op)
{
    json *j = json_parse(params.data(), params.size(), nullptr);
    int n = 0;
    for (size_t i = 1; i < json_array_size(j); i++)
        if (std::string(json_string(json_object_get(json_array_at(j, i), "op"))) == op)
            n++;
    json_free(j);
    return n;
}

}  // namespace vsctltest

#endif
