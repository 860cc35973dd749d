// Shared fixture for the database engine tests: the vswitch schema, a database, and helpers to
// run transactions and check their results.
#ifndef VSW_TESTS_UNIT_DB_TEST_UTIL_H
#define VSW_TESTS_UNIT_DB_TEST_UTIL_H

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

extern "C" {
#include "lib/json.h"
#include "ovsdb/db.h"
}

namespace dbtest {

inline std::string ReadFile(const char *path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline db_schema *LoadSchema(const std::string &text)
{
    char *error = nullptr;
    db_schema *schema = db_schema_parse(text.data(), text.size(), &error);
    EXPECT_NE(schema, nullptr) << (error ? error : "");
    free(error);
    return schema;
}

inline db_schema *LoadVswitchSchema()
{
    return LoadSchema(ReadFile("dbd/vswitch.schema"));
}

struct TxnResult {
    int rc;
    std::string reply;
    std::string commit;   // empty if none
    bool has_commit;
};

inline TxnResult Transact(db *d, const std::string &params)
{
    char *reply = nullptr, *commit = nullptr;
    TxnResult r;
    r.rc = db_transact(d, params.data(), params.size(), &reply, &commit);
    EXPECT_NE(reply, nullptr);
    r.reply = reply ? reply : "";
    r.has_commit = commit != nullptr;
    r.commit = commit ? commit : "";
    free(reply);
    free(commit);
    return r;
}

inline std::string Snapshot(const db *d)
{
    char *s = db_snapshot(d);
    std::string out(s);
    free(s);
    return out;
}

// The element `index` of a reply array, as compact JSON ("" if absent).
inline std::string ReplyElement(const std::string &reply, size_t index)
{
    json *j = json_parse(reply.data(), reply.size(), nullptr);
    if (!j)
        return "";
    json *e = json_array_at(j, index);
    std::string out;
    if (e) {
        char *s = json_to_string(e);
        out = s;
        free(s);
    }
    json_free(j);
    return out;
}

// The first error object of a reply: "tag: details", or "" if none.
inline std::string ReplyError(const std::string &reply)
{
    json *j = json_parse(reply.data(), reply.size(), nullptr);
    std::string out;
    for (size_t i = 0; j && i < json_array_size(j); i++) {
        json *e = json_array_at(j, i);
        json *tag = json_object_get(e, "error");
        if (tag) {
            json *details = json_object_get(e, "details");
            out = std::string(json_string(tag)) + ": " + (details ? json_string(details) : "");
            break;
        }
    }
    json_free(j);
    return out;
}

// The "uuid" result of the insert at position `index` of a reply.
inline std::string InsertedUuid(const std::string &reply, size_t index)
{
    json *j = json_parse(reply.data(), reply.size(), nullptr);
    std::string out;
    json *uuid = j ? json_object_get(json_array_at(j, index), "uuid") : nullptr;
    if (uuid)
        out = json_string(json_array_at(uuid, 1));
    json_free(j);
    return out;
}

class DbTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        schema_ = LoadVswitchSchema();
        ASSERT_NE(schema_, nullptr);
        db_ = db_create(schema_);
        ASSERT_NE(db_, nullptr);
    }
    void TearDown() override
    {
        db_destroy(db_);
        db_schema_free(schema_);
    }

    // Runs ops (a comma-separated list of operation objects) on Open_vSwitch.
    TxnResult Run(const std::string &ops) { return Transact(db_, "[\"Open_vSwitch\"," + ops + "]"); }

    TxnResult MustRun(const std::string &ops)
    {
        TxnResult r = Run(ops);
        EXPECT_EQ(r.rc, 0) << r.reply;
        EXPECT_EQ(ReplyError(r.reply), "") << ops;
        return r;
    }

    // Runs ops that must fail with `error` ("tag: details" prefix) and leave the database as it
    // was.
    void MustFail(const std::string &ops, const std::string &error)
    {
        std::string before = Snapshot(db_);
        TxnResult r = Run(ops);
        EXPECT_EQ(r.rc, -1) << r.reply;
        EXPECT_FALSE(r.has_commit);
        std::string got = ReplyError(r.reply);
        EXPECT_EQ(got.substr(0, error.size()), error) << "full reply: " << r.reply;
        EXPECT_EQ(Snapshot(db_), before) << "the failed transaction changed the database";
    }

    // The root row, one bridge "br0" (uuid in br0_).
    void InitWithBridge()
    {
        TxnResult r = MustRun(
            R"({"op":"insert","table":"Open_vSwitch","uuid-name":"ovs",
                "row":{"bridges":["named-uuid","br"]}},
               {"op":"insert","table":"Bridge","uuid-name":"br","row":{"name":"br0"}})");
        ovs_ = InsertedUuid(r.reply, 0);
        br0_ = InsertedUuid(r.reply, 1);
    }

    // Adds port+interface `name` to bridge `bridge`; returns the port's uuid.
    std::string AddPort(const std::string &name, const std::string &bridge = "br0",
                        const std::string &port_extra = "")
    {
        TxnResult r = MustRun(
            R"({"op":"insert","table":"Interface","uuid-name":"i","row":{"name":")" + name +
            R"("}},{"op":"insert","table":"Port","uuid-name":"p","row":{"name":")" + name +
            R"(","interfaces":["named-uuid","i"])" + port_extra +
            R"(}},{"op":"mutate","table":"Bridge","where":[["name","==",")" + bridge +
            R"("]],"mutations":[["ports","insert",["named-uuid","p"]]]})");
        return InsertedUuid(r.reply, 1);
    }

    std::string Select(const std::string &table, const std::string &where,
                       const std::string &columns)
    {
        TxnResult r = MustRun(R"({"op":"select","table":")" + table + R"(","where":)" + where +
                              R"(,"columns":)" + columns + "}");
        return ReplyElement(r.reply, 0);
    }

    size_t Rows(const char *table) { return db_count_rows(db_, table); }

    db_schema *schema_ = nullptr;
    db *db_ = nullptr;
    std::string ovs_, br0_;
};

}  // namespace dbtest

#endif
