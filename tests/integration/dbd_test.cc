// vsw-dbd end to end: real daemons, real files, real SIGKILL. Commits survive a crash loop whole
// or not at all; a damaged journal tail is cut and everything before it kept; a file written
// under an older schema is converted on start; oversized and malformed requests change nothing;
// monitors see every change in order, and a stuck one sees the gap and resyncs; the journal is
// compacted when it has grown.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

extern "C" {
#include "lib/daemon.h"
#include "lib/ipc.h"
#include "lib/json.h"
#include "ovsdb/idl.h"
#include "ovsdb/schema.h"
#include "ovsdb/vswitch_idl.h"
#include "proto/dbd.pb-c.h"
}

namespace {

using Clock = std::chrono::steady_clock;
using JsonPtr = std::unique_ptr<struct json, void (*)(struct json *)>;

// Every table of the schema, every column but _uuid (so _version too): the whole database.
const char kAllTables[] = "{\"Open_vSwitch\":{},\"Bridge\":{},\"Port\":{},\"Interface\":{},"
                          "\"Mirror\":{},\"Controller\":{},\"Manager\":{},\"SSL\":{}}";

JsonPtr Parse(const std::string &text)
{
    return JsonPtr(json_parse(text.data(), text.size(), nullptr), json_free);
}

// Reading OVSDB notation (RFC 7047 section 5.1) in rows dbd sent: a missing column is its
// default; a set of one element may be written as the bare atom.
bool Tagged(const struct json *value, const char *tag)
{
    return json_is_array(value) && json_array_size(value) == 2 &&
           json_is_string(json_array_at(value, 0)) &&
           strcmp(json_string(json_array_at(value, 0)), tag) == 0;
}

const char *RowString(const struct json *row, const char *column)
{
    const struct json *v = json_object_get(row, column);
    if (Tagged(v, "set"))
        v = json_array_at(json_array_at(v, 1), 0);
    return json_string(v);
}

const char *RowMapGet(const struct json *row, const char *column, const char *key)
{
    const struct json *v = json_object_get(row, column);
    if (!Tagged(v, "map"))
        return nullptr;
    const struct json *pairs = json_array_at(v, 1);
    for (size_t i = 0; i < json_array_size(pairs); i++) {
        const struct json *pair = json_array_at(pairs, i);
        if (strcmp(json_string(json_array_at(pair, 0)), key) == 0)
            return json_string(json_array_at(pair, 1));
    }
    return nullptr;
}

// The UUID an atom ["uuid", "..."] holds, or "".
std::string UuidOf(const struct json *atom)
{
    bool is_uuid = json_is_array(atom) && json_array_size(atom) == 2 &&
                   json_is_string(json_array_at(atom, 1));
    return is_uuid ? json_string(json_array_at(atom, 1)) : "";
}

// The elements of a set column (a bare atom is one).
std::vector<const struct json *> RowSet(const struct json *row, const char *column)
{
    const struct json *v = json_object_get(row, column);
    std::vector<const struct json *> elements;
    if (!v)
        return elements;
    if (!Tagged(v, "set"))
        return { v };
    for (size_t i = 0; i < json_array_size(json_array_at(v, 1)); i++)
        elements.push_back(json_array_at(json_array_at(v, 1), i));
    return elements;
}

bool WaitFor(const std::function<bool()> &condition, int timeout_ms)
{
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
}

long long FileSize(const std::string &path)
{
    struct stat st;
    return stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

void WriteFile(const std::string &path, const std::string &bytes)
{
    FILE *f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    ASSERT_EQ(fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    fclose(f);
}

// ---- Talking to vsw-dbd ----

struct TransactOutcome {
    bool replied = false;      // a TransactReply came back (else: an IPC error)
    int code = VSW__ERROR_CODE__ERROR_NONE;
    std::string ipc_error;
    std::string result;        // the RFC 7047 result array
    bool committed = false;
    bool schema_mismatch = false;
    uint64_t seq = 0;
    bool waited = false;
    std::string warning;

    // Replied, and no element of the result is an error.
    bool Succeeded() const
    {
        JsonPtr json = Parse(result);
        if (!replied || !json_is_array(json.get()))
            return false;
        for (size_t i = 0; i < json_array_size(json.get()); i++)
            if (json_object_get(json_array_at(json.get(), i), "error"))
                return false;
        return true;
    }
};

struct MonitorOutcome {
    bool ok = false;
    std::string updates;       // <table-updates>
    uint64_t epoch = 0;
    uint64_t seq = 0;
};

// A client of dbd.sock, the way the vsw CLI and the daemons talk to dbd.
class DbdClient {
  public:
    DbdClient(const std::string &rundir, int timeout_ms)
    {
        opened_ = ipc_client_open(&client_, rundir.c_str(), "dbd.sock",
                                  VSW__CHANNEL__CHANNEL_DBD, timeout_ms) == 0;
    }
    ~DbdClient()
    {
        if (opened_)
            ipc_client_close(&client_);
    }
    DbdClient(const DbdClient &) = delete;
    DbdClient &operator=(const DbdClient &) = delete;

    // `digest`: the schema digest to send ("": none, run whatever the schema).
    TransactOutcome Transact(const std::string &params, const std::string &digest = "")
    {
        Vsw__TransactRequest req = VSW__TRANSACT_REQUEST__INIT;
        req.params_json = const_cast<char *>(params.c_str());
        req.schema_digest = const_cast<char *>(digest.c_str());
        return Send(&req);
    }

    // After committing, waits up to `ms` for Open_vSwitch.cur_cfg to reach next_cfg.
    TransactOutcome TransactThenWaitForCurCfg(const std::string &params, uint32_t ms,
                                              const char *table = "Open_vSwitch")
    {
        Vsw__TransactRequest req = VSW__TRANSACT_REQUEST__INIT;
        req.params_json = const_cast<char *>(params.c_str());
        req.schema_digest = const_cast<char *>("");
        req.then_wait_ms = ms;
        req.then_wait_table = const_cast<char *>(table);
        req.then_wait_column = const_cast<char *>("cur_cfg");
        req.then_wait_reaches = const_cast<char *>("next_cfg");
        return Send(&req);
    }

    TransactOutcome Send(Vsw__TransactRequest *request)
    {
        Vsw__TransactRequest &req = *request;
        TransactOutcome out;
        ProtobufCMessage *reply = nullptr;
        struct ipc_error err;
        if (ipc_call(&client_, VSW__DBD_TYPE__DBD_TRANSACT, &req.base,
                     &vsw__transact_reply__descriptor, &reply, &err) < 0) {
            out.code = err.code;
            out.ipc_error = err.message;
            return out;
        }
        const auto *r = reinterpret_cast<const Vsw__TransactReply *>(reply);
        out.replied = true;
        out.result = r->result_json;
        out.committed = r->committed;
        out.schema_mismatch = r->schema_mismatch;
        out.seq = r->seq;
        out.waited = r->waited;
        out.warning = r->warning;
        protobuf_c_message_free_unpacked(reply, nullptr);
        return out;
    }

    MonitorOutcome Monitor(const std::string &requests = kAllTables)
    {
        MonitorOutcome out;
        Vsw__MonitorRequest req = VSW__MONITOR_REQUEST__INIT;
        req.requests_json = const_cast<char *>(requests.c_str());
        ProtobufCMessage *reply = nullptr;
        struct ipc_error err;
        if (ipc_call(&client_, VSW__DBD_TYPE__DBD_MONITOR, &req.base,
                     &vsw__monitor_reply__descriptor, &reply, &err) < 0)
            return out;
        const auto *r = reinterpret_cast<const Vsw__MonitorReply *>(reply);
        out.ok = true;
        out.updates = r->updates_json;
        out.epoch = r->epoch;
        out.seq = r->seq;
        protobuf_c_message_free_unpacked(reply, nullptr);
        return out;
    }

    // DBD_COMPACT: "" once compacted (sizes in *before and *after), else the error.
    std::string Compact(uint64_t *before = nullptr, uint64_t *after = nullptr)
    {
        Vsw__CompactRequest req = VSW__COMPACT_REQUEST__INIT;
        ProtobufCMessage *reply = nullptr;
        struct ipc_error err;
        if (ipc_call(&client_, VSW__DBD_TYPE__DBD_COMPACT, &req.base,
                     &vsw__compact_reply__descriptor, &reply, &err) < 0)
            return err.message[0] ? err.message : "no reply";
        const auto *r = reinterpret_cast<const Vsw__CompactReply *>(reply);
        if (before)
            *before = r->bytes_before;
        if (after)
            *after = r->bytes_after;
        protobuf_c_message_free_unpacked(reply, nullptr);
        return "";
    }

    // The schema dbd serves, or "" if it did not answer; its digest in *digest.
    std::string GetSchema(std::string *digest = nullptr)
    {
        Vsw__GetSchemaRequest req = VSW__GET_SCHEMA_REQUEST__INIT;
        ProtobufCMessage *reply = nullptr;
        struct ipc_error err;
        if (ipc_call(&client_, VSW__DBD_TYPE__DBD_GET_SCHEMA, &req.base,
                     &vsw__get_schema_reply__descriptor, &reply, &err) < 0)
            return "";
        const auto *r = reinterpret_cast<const Vsw__GetSchemaReply *>(reply);
        std::string schema = r->schema_json;
        if (digest)
            *digest = r->digest;
        protobuf_c_message_free_unpacked(reply, nullptr);
        return schema;
    }

  private:
    struct ipc_client client_;
    bool opened_ = false;
};

// The rows of `table` in a <table-updates> text, as {uuid: row}; empty if none.
std::map<std::string, std::string> RowsOf(const std::string &updates, const std::string &table)
{
    std::map<std::string, std::string> rows;
    JsonPtr json = Parse(updates);
    const struct json *t = json_object_get(json.get(), table.c_str());
    for (size_t i = 0; i < json_object_size(t); i++) {
        const struct json *row = json_object_get(json_object_value_at(t, i), "new");
        char *text = json_to_string(row);
        rows[json_object_key_at(t, i)] = text;
        free(text);
    }
    return rows;
}

// The bridges' names, read with a select; empty set if dbd did not answer.
std::set<std::string> BridgeNames(DbdClient &client)
{
    TransactOutcome r = client.Transact(
        "[\"Open_vSwitch\",{\"op\":\"select\",\"table\":\"Bridge\",\"where\":[],"
        "\"columns\":[\"name\"]}]");
    std::set<std::string> names;
    JsonPtr json = Parse(r.result);
    const struct json *rows = json_object_get(json_array_at(json.get(), 0), "rows");
    for (size_t i = 0; i < json_array_size(rows); i++)
        names.insert(json_string(json_object_get(json_array_at(rows, i), "name")));
    return names;
}

const char kInsertRoot[] = "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Open_vSwitch\","
                           "\"row\":{}}]";

// Inserts a bridge and adds it to Open_vSwitch.bridges: two tables in one transaction.
std::string AddBridgeTxn(const std::string &name, const std::string &extra_columns = "")
{
    return "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b\","
           "\"row\":{\"name\":\"" + name + "\"" + extra_columns + "}},"
           "{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],\"mutations\":"
           "[[\"bridges\",\"insert\",[\"set\",[[\"named-uuid\",\"b\"]]]]]}]";
}

// ---- Numbered transactions, exactly once ----
//
// Transaction n inserts Manager row n (its UUID chosen, so it is known even without a reply) and,
// in Open_vSwitch, sets external_ids:vsw-test-n to n, references the new row and drops the
// reference to row n - kWindow (which garbage collection then deletes). It first waits for the
// counter to be n - 1, so a transaction applies at most once, however often it is sent, and the
// state it leaves is fully determined by the counter: a half-applied transaction shows as a
// counter that disagrees with the Manager rows. The window keeps every record small.
const long kWindow = 16;

std::string ManagerUuid(long n)
{
    char buf[64];
    snprintf(buf, sizeof buf, "5e1f0000-0000-4000-8000-%012lx", n & 0xffffffffffffL);
    return buf;
}

// Sets the counter to 0, in the root row if there is one (vsw-ctl start creates it), else in a
// new one (a mutate that matches no row commits nothing).
bool InitCounter(DbdClient &client)
{
    return client.Transact("[\"Open_vSwitch\",{\"op\":\"mutate\",\"table\":\"Open_vSwitch\","
                           "\"where\":[],\"mutations\":[[\"external_ids\",\"insert\",[\"map\","
                           "[[\"vsw-test-n\",\"0\"]]]]]}]")
               .committed ||
           client.Transact("[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Open_vSwitch\","
                           "\"row\":{\"external_ids\":[\"map\",[[\"vsw-test-n\",\"0\"]]]}}]")
               .committed;
}

std::string CounterTxn(long n)
{
    std::string prev = std::to_string(n - 1), cur = std::to_string(n);
    std::string mutations =
        "[\"external_ids\",\"delete\",[\"set\",[\"vsw-test-n\"]]],"
        "[\"external_ids\",\"insert\",[\"map\",[[\"vsw-test-n\",\"" + cur + "\"]]]],"
        "[\"manager_options\",\"insert\",[\"set\",[[\"named-uuid\",\"m\"]]]]";
    if (n > kWindow)
        mutations += ",[\"manager_options\",\"delete\",[\"set\",[[\"uuid\",\"" +
                     ManagerUuid(n - kWindow) + "\"]]]]";
    return "[\"Open_vSwitch\","
           "{\"op\":\"wait\",\"table\":\"Open_vSwitch\",\"where\":[[\"external_ids\",\"includes\","
           "[\"map\",[[\"vsw-test-n\",\"" + prev + "\"]]]]],\"columns\":[],\"until\":\"==\","
           "\"rows\":[{}],\"timeout\":0},"
           "{\"op\":\"insert\",\"table\":\"Manager\",\"uuid\":\"" + ManagerUuid(n) +
           "\",\"uuid-name\":\"m\",\"row\":{\"target\":\"unix:/nonexistent/vsw-test-" + cur +
           "\",\"external_ids\":[\"map\",[[\"n\",\"" + cur + "\"]]]}},"
           "{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],\"mutations\":[" +
           mutations + "]}]";
}

// The counter, or -1 if dbd did not answer.
long ReadCounter(DbdClient &client)
{
    TransactOutcome r = client.Transact(
        "[\"Open_vSwitch\",{\"op\":\"select\",\"table\":\"Open_vSwitch\",\"where\":[],"
        "\"columns\":[\"external_ids\"]}]");
    if (!r.Succeeded())
        return -1;
    JsonPtr json = Parse(r.result);
    const struct json *rows = json_object_get(json_array_at(json.get(), 0), "rows");
    const char *n = RowMapGet(json_array_at(rows, 0), "external_ids", "vsw-test-n");
    return n ? atol(n) : -1;
}

// Sets the counter to 0, then commits transactions 1 to `last`.
void CommitCounters(DbdClient &client, long last)
{
    ASSERT_TRUE(InitCounter(client));
    for (long n = 1; n <= last; n++)
        ASSERT_TRUE(client.Transact(CounterTxn(n)).committed) << n;
}

// Checks that the database holds exactly the state transaction `n` left: the counter, the
// window of Manager rows, each with its number and target, and the references to them.
void ExpectCounterState(DbdClient &client, long n)
{
    EXPECT_EQ(ReadCounter(client), n);
    MonitorOutcome m = client.Monitor("{\"Open_vSwitch\":{},\"Manager\":{}}");
    ASSERT_TRUE(m.ok);
    std::map<std::string, std::string> managers = RowsOf(m.updates, "Manager");
    std::set<std::string> expected;
    for (long k = std::max(1L, n - kWindow + 1); k <= n; k++)
        expected.insert(ManagerUuid(k));
    std::set<std::string> present;
    for (const auto &[uuid, text] : managers) {
        present.insert(uuid);
        JsonPtr row = Parse(text);
        const char *number = RowMapGet(row.get(), "external_ids", "n");
        long k = number ? atol(number) : -1;
        EXPECT_EQ(uuid, ManagerUuid(k)) << text;
        EXPECT_STREQ(RowString(row.get(), "target"),
                     ("unix:/nonexistent/vsw-test-" + std::to_string(k)).c_str());
    }
    EXPECT_EQ(present, expected);
    std::map<std::string, std::string> roots = RowsOf(m.updates, "Open_vSwitch");
    ASSERT_EQ(roots.size(), 1u);
    JsonPtr root = Parse(roots.begin()->second);
    std::set<std::string> referenced;
    for (const struct json *atom : RowSet(root.get(), "manager_options"))
        referenced.insert(UuidOf(atom));
    EXPECT_EQ(referenced, expected);
}

// ---- A vsw-dbd of our own, without the supervisor: chosen options, stopped at will ----

// A fresh run directory the daemons' user can write to (what vsw-ctl start prepares).
std::string PrepareRundir(const VswInstance &vsw)
{
    CommandResult r = Shell("id -u vsw >/dev/null 2>&1 || useradd --system --user-group "
                            "--no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "
                            "vsw; chown vsw:vsw " + vsw.rundir() + " && chmod 0750 " +
                            vsw.rundir());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return vsw.rundir();
}

class DbdProcess {
  public:
    explicit DbdProcess(const std::string &rundir) : rundir_(rundir) {}
    ~DbdProcess()
    {
        if (pid_ > 0)
            Kill();
    }
    DbdProcess(const DbdProcess &) = delete;
    DbdProcess &operator=(const DbdProcess &) = delete;

    std::string log_path() const { return rundir_ + "/vsw-dbd.log"; }
    std::string db_path() const { return rundir_ + "/conf.db"; }
    pid_t pid() const { return pid_; }

    // Starts vsw-dbd with `args` and waits until it answers. The log from this start on is
    // log() afterwards.
    ::testing::AssertionResult Start(const std::vector<std::string> &args = {})
    {
        for (const char *name : { "dbd.sock", "dbd.events", "dbd.ctl" })
            unlink((rundir_ + "/" + name).c_str());
        log_offset_ = std::max(0LL, FileSize(log_path()));
        std::string binary = Runfile("dbd/vsw-dbd");
        std::vector<std::string> argv = { "vsw-dbd", "--rundir", rundir_, "--log-file",
                                          log_path() };
        argv.insert(argv.end(), args.begin(), args.end());
        pid_ = fork();
        if (pid_ < 0)
            return ::testing::AssertionFailure() << "fork failed";
        if (pid_ == 0) {
            std::vector<char *> cargv;
            for (auto &a : argv)
                cargv.push_back(const_cast<char *>(a.c_str()));
            cargv.push_back(nullptr);
            execv(binary.c_str(), cargv.data());
            _exit(127);
        }
        auto deadline = Clock::now() + std::chrono::seconds(10);
        while (Clock::now() < deadline) {
            int status;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return ::testing::AssertionFailure() << "vsw-dbd exited while starting:\n"
                                                     << log();
            }
            DbdClient probe(rundir_, 200);
            if (!probe.GetSchema().empty())
                return ::testing::AssertionSuccess();
        }
        return ::testing::AssertionFailure() << "vsw-dbd did not answer within 10 s:\n" << log();
    }

    // SIGTERM: a clean stop. Returns the exit status, or -1 if it did not exit normally.
    int Stop()
    {
        if (pid_ <= 0)
            return -1;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    void Kill()
    {
        if (pid_ <= 0)
            return;
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    bool Running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

    // What this run of vsw-dbd logged so far.
    std::string log() const { return ReadFile(log_path()).substr(log_offset_); }

  private:
    std::string rundir_;
    pid_t pid_ = -1;
    long long log_offset_ = 0;
};

// ---- The journal file, read independently of dbd ----

struct JournalRecord {
    std::string kind;
    size_t offset;      // of the header
    size_t size;        // header, payload and the final newline
    std::string payload;
};

// Every well-formed record up to the first that is not.
std::vector<JournalRecord> ReadJournal(const std::string &path)
{
    std::string data = ReadFile(path);
    std::vector<JournalRecord> records;
    size_t pos = 0;
    while (pos < data.size()) {
        size_t nl = data.find('\n', pos);
        if (nl == std::string::npos)
            break;
        char kind[16];
        size_t len;
        unsigned crc;
        if (sscanf(data.substr(pos, nl - pos).c_str(), "VSWDB %15s %zu %8x", kind, &len, &crc) != 3 ||
            nl + 1 + len >= data.size())
            break;
        records.push_back({ kind, pos, nl - pos + 1 + len + 1, data.substr(nl + 1, len) });
        pos = nl + 1 + len + 1;
    }
    return records;
}

std::string SchemaVersion(const std::string &schema_text)
{
    JsonPtr json = Parse(schema_text);
    return json_string(json_object_get(json.get(), "version"));
}

// ---- Notifications ----

// A dbd.events subscriber that can wait.
class Subscriber {
  public:
    explicit Subscriber(const std::string &rundir)
    {
        opened_ = ipc_subscriber_open(&sub_, rundir.c_str(), "dbd.events",
                                      VSW__CHANNEL__CHANNEL_DBD) == 0;
    }
    ~Subscriber()
    {
        if (opened_)
            ipc_subscriber_close(&sub_);
    }
    Subscriber(const Subscriber &) = delete;
    Subscriber &operator=(const Subscriber &) = delete;

    bool opened() const { return opened_; }

    // The next notification within `timeout_ms` (EMPTY if none); *env is the caller's to free.
    enum ipc_stream_status Next(Vsw__Envelope **env, int timeout_ms)
    {
        auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            enum ipc_stream_status status = ipc_subscriber_next(&sub_, env);
            if (status != IPC_STREAM_EMPTY)
                return status;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0)
                return IPC_STREAM_EMPTY;
            struct pollfd pfd = { sub_.rcvfd, POLLIN, 0 };
            poll(&pfd, 1, static_cast<int>(left.count()));
        }
    }

  private:
    struct ipc_subscriber sub_;
    bool opened_ = false;
};

// The change record a DBD_UPDATE carries.
std::string UpdateRecord(const Vsw__Envelope *env)
{
    Vsw__DbdUpdate *u = vsw__dbd_update__unpack(nullptr, env->payload.len, env->payload.data);
    std::string record = u ? u->record_json : "";
    vsw__dbd_update__free_unpacked(u, nullptr);
    return record;
}

// A typed replica (the vswitch IDL) outside any daemon: a bare `struct daemon` whose one peer
// link is vsw-dbd.
class Replica {
  public:
    Replica(const std::string &rundir, std::vector<const struct idl_table_class *> tables)
        : daemon_(new struct daemon())
    {
        daemon_->name = "dbd_test";
        daemon_->short_name = "dbd_test";
        struct peer_link *link = &daemon_->peers[daemon_->n_peers++];
        link->peer = "vsw-dbd";
        link->socket_name = "dbd.sock";
        link->channel = VSW__CHANNEL__CHANNEL_DBD;
        ok_ = ipc_client_open(&link->client, rundir.c_str(), "dbd.sock",
                              VSW__CHANNEL__CHANNEL_DBD, 2000) == 0 &&
              idl_init(&idl_, daemon_.get(), &vswrec_idl_class,
                       tables.empty() ? nullptr : tables.data(), tables.size(), nullptr,
                       nullptr) == 0;
    }
    ~Replica()
    {
        idl_destroy(&idl_);
        ipc_client_close(&daemon_->peers[0].client);
    }
    Replica(const Replica &) = delete;
    Replica &operator=(const Replica &) = delete;

    bool ok() const { return ok_; }
    struct idl *idl() { return &idl_; }

    // The replicated rows of `table` as {uuid: row}.
    JsonPtr Rows(const char *table) const
    {
        return JsonPtr(idl_table_json(&idl_, table), json_free);
    }

    // {uuid: _version} of every replicated row of `table`.
    std::map<std::string, std::string> Versions(const char *table) const
    {
        std::map<std::string, std::string> versions;
        JsonPtr rows = Rows(table);
        for (size_t i = 0; i < json_object_size(rows.get()); i++) {
            const struct json *version =
                json_object_get(json_object_value_at(rows.get(), i), "_version");
            versions[json_object_key_at(rows.get(), i)] = UuidOf(version);
        }
        return versions;
    }

  private:
    std::unique_ptr<struct daemon> daemon_;
    struct idl idl_ = {};
    bool ok_ = false;
};

// {uuid: _version} of every row of `table` in a <table-updates> text.
std::map<std::string, std::string> Versions(const std::string &updates, const char *table)
{
    std::map<std::string, std::string> versions;
    for (const auto &[uuid, text] : RowsOf(updates, table)) {
        JsonPtr row = Parse(text);
        versions[uuid] = UuidOf(json_object_get(row.get(), "_version"));
    }
    return versions;
}

// Feeds notifications to `replica` until it covers `seq` and `condition` holds, or the timeout.
void Follow(Subscriber &sub, Replica &replica, uint64_t seq, int timeout_ms,
            int *resyncs_seen = nullptr)
{
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline && !(replica.idl()->synced && replica.idl()->seq >= seq)) {
        Vsw__Envelope *env = nullptr;
        enum ipc_stream_status status = sub.Next(&env, 100);
        if (status == IPC_STREAM_RESYNC && resyncs_seen)
            ++*resyncs_seen;
        if (env) {
            idl_handle_notification(replica.idl(), env);
            vsw__envelope__free_unpacked(env, nullptr);
        }
    }
}

// ==== a. Crash loop ====

// Commits numbered transactions as fast as dbd takes them, on its own thread, through every
// restart of dbd: what got no reply (or a refusal) is decided by reading the counter.
class CountingClient {
  public:
    explicit CountingClient(const std::string &rundir) : rundir_(rundir)
    {
        thread_ = std::thread([this] { Run(); });
    }
    ~CountingClient() { Stop(); }
    CountingClient(const CountingClient &) = delete;
    CountingClient &operator=(const CountingClient &) = delete;

    void Stop()
    {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
    }

    std::atomic<long> acked{ 0 };     // highest number acknowledged as committed (or found so)
    std::atomic<long> sent{ 0 };      // highest number sent
    std::atomic<bool> failed{ false };
    // After Stop():
    std::string error;
    int unacked_committed = 0;        // no reply, but it had committed
    int unacked_lost = 0;             // no reply, and it had not: sent again
    int resent = 0;                   // refused because it had already committed: a resend

  private:
    void Run()
    {
        DbdClient c(rundir_, 1000);
        long n = 1;
        while (!stop_ && !failed) {
            sent = n;
            TransactOutcome r = c.Transact(CounterTxn(n));
            if (r.Succeeded() && r.committed) {
                acked = n++;
                continue;
            }
            long now = -1;
            while (!stop_ && (now = ReadCounter(c)) < 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (now < 0)
                return;
            if (now == n) {
                ++(r.replied ? resent : unacked_committed);
                acked = n++;
            } else if (now == n - 1 && !r.replied) {
                unacked_lost++;
            } else {
                error = "transaction " + std::to_string(n) + " (" +
                        (r.replied ? r.result : r.ipc_error) + "): the counter is " +
                        std::to_string(now) + " after " + std::to_string(acked.load()) +
                        " acknowledged";
                failed = true;
            }
        }
    }

    std::string rundir_;
    std::atomic<bool> stop_{ false };
    std::thread thread_;
};

// The supervisor restarts dbd after each SIGKILL; the client goes on committing through it all.
TEST(DbdCrash, AcknowledgedCommitsSurviveTwentySigkills)
{
    VswInstance vsw;
    CommandResult started = vsw.Ctl("start");
    ASSERT_EQ(started.exit_code, 0) << started.output;
    {
        DbdClient setup(vsw.rundir(), 2000);
        ASSERT_TRUE(InitCounter(setup));
    }

    CountingClient client(vsw.rundir());
    std::mt19937 rng(7047);
    std::uniform_int_distribution<int> delay_ms(0, 150);
    int killed = -1;
    for (int kill_no = 0; kill_no < 20 && !client.failed; kill_no++) {
        // Kill only a dbd that has been committing, at a random moment of its work.
        int pid = -1;
        ASSERT_TRUE(WaitFor([&] { pid = vsw.Pid("dbd"); return pid > 0 && pid != killed; }, 5000))
            << "dbd not restarted after kill " << kill_no;
        long acked = client.acked;
        ASSERT_TRUE(WaitFor([&] { return client.acked > acked || client.failed; }, 10000))
            << "no commit after kill " << kill_no << "\n" << vsw.Vsw("status").output;
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
        ASSERT_EQ(vsw.Pid("dbd"), pid);
        ASSERT_EQ(kill(pid, SIGKILL), 0);
        killed = pid;
    }
    long acked = client.acked;
    WaitFor([&] { return client.acked > acked + 10 || client.failed; }, 10000);
    client.Stop();
    ASSERT_EQ(client.error, "");

    DbdClient check(vsw.rundir(), 2000);
    long final_n = ReadCounter(check);
    EXPECT_GE(final_n, client.acked.load());
    EXPECT_LE(final_n, client.sent.load());
    ExpectCounterState(check, final_n);
    EXPECT_NE(vsw.Pid("dbd"), killed);
    printf("crash loop: %ld transactions acknowledged, %ld committed; without a reply: %d "
           "committed, %d not; refused as a resend of a committed one: %d\n",
           client.acked.load(), final_n, client.unacked_committed, client.unacked_lost,
           client.resent);
}

// ==== b. A damaged journal ====

// The db_recovery_* pairs of Open_vSwitch:status, {key: value}.
std::map<std::string, std::string> RecoveryStatus(DbdClient &client)
{
    TransactOutcome r = client.Transact(
        "[\"Open_vSwitch\",{\"op\":\"select\",\"table\":\"Open_vSwitch\",\"where\":[],"
        "\"columns\":[\"status\"]}]");
    std::map<std::string, std::string> pairs;
    JsonPtr json = Parse(r.result);
    const struct json *rows = json_object_get(json_array_at(json.get(), 0), "rows");
    const struct json *map = json_array_at(json_object_get(json_array_at(rows, 0), "status"), 1);
    for (size_t i = 0; i < json_array_size(map); i++) {
        std::string key = json_string(json_array_at(json_array_at(map, i), 0));
        if (key.rfind("db_recovery_", 0) == 0)
            pairs[key] = json_string(json_array_at(json_array_at(map, i), 1));
    }
    return pairs;
}

// What `vsw ack-db-recovery` does.
const char kAcknowledgeRecovery[] =
    "[\"Open_vSwitch\",{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],"
    "\"mutations\":[[\"status\",\"delete\",[\"set\",[\"db_recovery_time\","
    "\"db_recovery_problem\",\"db_recovery_offset\",\"db_recovery_lost_bytes\","
    "\"db_recovery_lost_records\",\"db_recovery_lost_first\",\"db_recovery_lost_last\","
    "\"db_recovery_kept_until\",\"db_recovery_saved\"]]]]}]";

class DbdJournal : public ::testing::Test {
  protected:
    void SetUp() override
    {
        rundir_ = PrepareRundir(vsw_);
        dbd_ = std::make_unique<DbdProcess>(rundir_);
        ASSERT_TRUE(dbd_->Start());
        DbdClient c(rundir_, 2000);
        ASSERT_TRUE(c.Transact(kInsertRoot).Succeeded());
        for (int i = 1; i <= 5; i++)
            ASSERT_TRUE(c.Transact(AddBridgeTxn("br" + std::to_string(i))).committed);
        ASSERT_EQ(dbd_->Stop(), 0);
        records_ = ReadJournal(dbd_->db_path());
        // schema, root row, five bridges
        ASSERT_EQ(records_.size(), 7u);
        size_ = FileSize(dbd_->db_path());
        ASSERT_EQ(static_cast<size_t>(size_), records_.back().offset + records_.back().size);
    }

    // Restarts dbd on the damaged file and checks what it kept and what it logged. A torn
    // write is cut quietly (a warning) with the cut bytes saved; other damage is reported
    // loudly, with the whole file kept aside and the loss recorded until acknowledged.
    void ExpectRecovered(const std::set<std::string> &bridges, long long kept_bytes,
                         const std::string &problem, bool torn)
    {
        std::string damaged = ReadFile(dbd_->db_path());
        ASSERT_TRUE(dbd_->Start());
        std::string log = dbd_->log();
        std::string kept = std::to_string(kept_bytes);
        EXPECT_NE(log.find("journal: " + problem + " at offset " + kept + " of " +
                           dbd_->db_path()),
                  std::string::npos)
            << log;
        // The file starts with the bytes kept; after a loss, the record of it follows.
        std::string now = ReadFile(dbd_->db_path());
        EXPECT_EQ(now.substr(0, kept_bytes), damaged.substr(0, kept_bytes));
        std::vector<JournalRecord> records = ReadJournal(dbd_->db_path());
        ASSERT_FALSE(records.empty());
        if (torn) {
            EXPECT_EQ(static_cast<long long>(now.size()), kept_bytes);
        } else {
            EXPECT_EQ(records.back().offset, static_cast<size_t>(kept_bytes));
            EXPECT_NE(records.back().payload.find("\"_comment\":\"vsw-dbd: the database was "
                                                  "recovered with loss\""),
                      std::string::npos)
                << records.back().payload;
        }
        CommandResult saved = Shell("cat " + dbd_->db_path() + ".damaged-*");
        DbdClient c(rundir_, 2000);
        EXPECT_EQ(BridgeNames(c), bridges);
        TransactOutcome read = c.Transact("[\"Open_vSwitch\"]");
        std::map<std::string, std::string> status = RecoveryStatus(c);
        if (torn) {
            EXPECT_NE(log.find("a write cut short; keeping the " + kept +
                               " bytes before it, cutting " +
                               std::to_string(damaged.size() - kept_bytes)),
                      std::string::npos)
                << log;
            EXPECT_EQ(saved.output, damaged.substr(kept_bytes));
            EXPECT_EQ(log.find(" err: "), std::string::npos) << log;
            EXPECT_EQ(read.warning, "");
            EXPECT_TRUE(status.empty());
        } else {
            EXPECT_NE(log.find(" err: journal: " + problem + " at offset " + kept),
                      std::string::npos)
                << log;
            EXPECT_NE(log.find("recovered with loss"), std::string::npos) << log;
            EXPECT_EQ(saved.output, damaged);
            EXPECT_NE(read.warning.find("the database was recovered with loss at "),
                      std::string::npos)
                << read.warning;
            EXPECT_NE(read.warning.find(problem + " at offset " + kept), std::string::npos)
                << read.warning;
            EXPECT_EQ(status["db_recovery_problem"], problem);
            EXPECT_EQ(status["db_recovery_offset"], kept);
            EXPECT_EQ(status["db_recovery_lost_bytes"],
                      std::to_string(damaged.size() - kept_bytes));
            EXPECT_EQ(status["db_recovery_saved"].rfind(dbd_->db_path() + ".damaged-", 0), 0u);
        }
        // The journal goes on from the cut: a new commit, a SIGKILL, and all of it is back
        // with no further damage found; the loss stays reported until acknowledged.
        ASSERT_TRUE(c.Transact(AddBridgeTxn("after")).committed);
        dbd_->Kill();
        ASSERT_TRUE(dbd_->Start());
        EXPECT_EQ(dbd_->log().find("journal: "), std::string::npos) << dbd_->log();
        DbdClient again(rundir_, 2000);
        std::set<std::string> expected = bridges;
        expected.insert("after");
        EXPECT_EQ(BridgeNames(again), expected);
        EXPECT_EQ(RecoveryStatus(again), status);
        if (!torn) {
            TransactOutcome ack = again.Transact(kAcknowledgeRecovery);
            EXPECT_TRUE(ack.committed) << ack.result;
            EXPECT_EQ(again.Transact("[\"Open_vSwitch\"]").warning, "");
            EXPECT_TRUE(RecoveryStatus(again).empty());
        }
    }

    VswInstance vsw_;
    std::string rundir_;
    std::unique_ptr<DbdProcess> dbd_;
    std::vector<JournalRecord> records_;
    long long size_ = 0;
};

const std::set<std::string> kFiveBridges = { "br1", "br2", "br3", "br4", "br5" };
const std::set<std::string> kFourBridges = { "br1", "br2", "br3", "br4" };
const std::set<std::string> kTwoBridges = { "br1", "br2" };

// Garbage after the last record could be a damaged record: nothing is assumed lost silently.
TEST_F(DbdJournal, GarbageAppendedIsReportedAndEverythingKept)
{
    std::string garbage = "\x01\xff garbage that is no record \n\n";
    std::string file = ReadFile(dbd_->db_path());
    WriteFile(dbd_->db_path(), file + garbage);
    ExpectRecovered(kFiveBridges, size_, "malformed record header", false);
}

// The last record was acknowledged: a flipped byte in it is a loss, reported as such.
TEST_F(DbdJournal, FlippedByteInLastRecordIsALossReported)
{
    std::string file = ReadFile(dbd_->db_path());
    const JournalRecord &last = records_.back();
    size_t at = last.offset + last.size - 1 - last.payload.size() / 2;   // mid-payload
    file[at] ^= 0x20;
    WriteFile(dbd_->db_path(), file);
    ExpectRecovered(kFourBridges, static_cast<long long>(last.offset), "checksum mismatch",
                    false);
}

TEST_F(DbdJournal, FlippedByteInTheMiddleStartsFromThePrefixAndReportsTheLoss)
{
    std::string file = ReadFile(dbd_->db_path());
    const JournalRecord &fourth = records_[4];   // the third bridge
    file[fourth.offset + fourth.size / 2] ^= 0x01;
    WriteFile(dbd_->db_path(), file);
    ExpectRecovered(kTwoBridges, static_cast<long long>(fourth.offset), "checksum mismatch",
                    false);
    // The records lost are counted, with their dates.
}

TEST_F(DbdJournal, TruncatedTailLosesOnlyTheTornRecordQuietly)
{
    const JournalRecord &last = records_.back();
    size_t cut = last.offset + last.size / 2;
    std::string file = ReadFile(dbd_->db_path()).substr(0, cut);
    WriteFile(dbd_->db_path(), file);
    ExpectRecovered(kFourBridges, static_cast<long long>(last.offset), "record of " +
                    std::to_string(last.payload.size()) + " bytes runs past the end", true);
}

// 500 numbered transactions (each one's state fully determined by its number), then a bit
// flipped at 100 random offsets, one at a time: vsw-dbd either recovers everything, or starts
// from a prefix with the loss reported, never silently with fewer rows.
TEST(DbdDamage, BitFlipsAnywhereNeverLoseRowsSilently)
{
    VswInstance vsw;
    std::string rundir = PrepareRundir(vsw);
    DbdProcess dbd(rundir);
    ASSERT_TRUE(dbd.Start({ "--compact-records", "100000" }));
    const long kTransactions = 500;
    {
        DbdClient c(rundir, 2000);
        CommitCounters(c, kTransactions);
    }
    ASSERT_EQ(dbd.Stop(), 0);
    std::string pristine = ReadFile(dbd.db_path());
    // schema, the root row, the transactions
    ASSERT_EQ(ReadJournal(dbd.db_path()).size(), static_cast<size_t>(kTransactions + 2));

    std::mt19937 rng(19);
    int recovered_all = 0, reported = 0;
    for (int run = 0; run < 100; run++) {
        size_t offset = rng() % pristine.size();
        int bit = static_cast<int>(rng() % 8);
        SCOPED_TRACE("run " + std::to_string(run) + ": bit " + std::to_string(bit) +
                     " of byte " + std::to_string(offset));
        std::string flipped = pristine;
        flipped[offset] ^= static_cast<char>(1 << bit);
        Shell("rm -f " + dbd.db_path() + ".damaged-*");
        WriteFile(dbd.db_path(), flipped);
        ASSERT_TRUE(dbd.Start({ "--compact-records", "100000" }));
        DbdClient c(rundir, 2000);
        long n = ReadCounter(c);
        std::string warning = c.Transact("[\"Open_vSwitch\"]").warning;
        std::map<std::string, std::string> status = RecoveryStatus(c);
        if (n == kTransactions) {
            EXPECT_EQ(warning, "");
            EXPECT_TRUE(status.empty());
            recovered_all++;
        } else {
            EXPECT_NE(warning.find("recovered with loss"), std::string::npos) << n;
            EXPECT_FALSE(status.empty()) << n;
            EXPECT_NE(dbd.log().find(" err: journal: "), std::string::npos) << dbd.log();
            EXPECT_EQ(ReadFile(status["db_recovery_saved"]), flipped);
            reported++;
        }
        if (n >= 0)
            ExpectCounterState(c, n);
        else   // the schema record itself: nothing before it
            EXPECT_TRUE(RowsOf(c.Monitor().updates, "Manager").empty());
        dbd.Kill();
    }
    printf("100 bit flips in a journal of %ld transactions (%zu bytes): %d recovered "
           "everything, %d started from a prefix with the loss reported\n",
           kTransactions, pristine.size(), recovered_all, reported);
    EXPECT_GT(reported, 50);
}

// ==== Write errors: a disk that fills up ====

// A tmpfs of `size` mounted at `dir` for the database, which the vsw user may write; filled
// and freed by the test (as root, so that nothing of vsw's is charged for it).
class SmallDisk {
  public:
    SmallDisk(const std::string &dir, const std::string &size) : dir_(dir)
    {
        CommandResult r = Shell("mkdir -p " + dir + " && mount -t tmpfs -o size=" + size +
                                ",mode=0755 vswdbfault " + dir + " && chown vsw:vsw " + dir);
        mounted_ = r.exit_code == 0;
        EXPECT_TRUE(mounted_) << r.output;
    }
    ~SmallDisk()
    {
        if (mounted_)
            Shell("umount " + dir_);
    }
    SmallDisk(const SmallDisk &) = delete;
    SmallDisk &operator=(const SmallDisk &) = delete;

    // Fills the file system up to the last block.
    void Fill() { Shell("dd if=/dev/zero of=" + dir_ + "/filler bs=4k 2>/dev/null; sync"); }
    void Free() { unlink((dir_ + "/filler").c_str()); }
    long long FreeBytes() const
    {
        return atoll(Shell("df --output=avail -B1 " + dir_ + " | tail -1").output.c_str());
    }

  private:
    std::string dir_;
    bool mounted_ = false;
};

// The error element a refused commit ends with, or "".
std::string IoError(const TransactOutcome &r)
{
    JsonPtr json = Parse(r.result);
    const struct json *last = json_array_at(json.get(), json_array_size(json.get()) - 1);
    const char *tag = json_string(json_object_get(last, "error"));
    const char *details = json_string(json_object_get(last, "details"));
    return tag && !strcmp(tag, "I/O error") && details ? details : "";
}

size_t Count(const std::string &text, const std::string &what)
{
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        n++;
    return n;
}

// The run directory of the issue: the database on a 400 kB file system that fills up. vsw-dbd
// stays up, refuses each commit with a clear error and changes nothing, keeps serving reads,
// monitors and waits, logs the episode once, and commits again as soon as there is room, with
// every acknowledged transaction there after a restart.
TEST(DbdWriteErrors, FullDiskRefusesCommitsUntilFreedWithoutARestart)
{
    VswInstance vsw;
    std::string rundir = PrepareRundir(vsw);
    SmallDisk disk(rundir + "/disk", "400k");
    std::string db = rundir + "/disk/conf.db";
    DbdProcess dbd(rundir);
    ASSERT_TRUE(dbd.Start({ "--db", db, "--compact-records", "100000" }));
    pid_t pid = dbd.pid();
    DbdClient c(rundir, 5000);
    ASSERT_TRUE(InitCounter(c));
    long n = 0;
    while (n < 50)
        ASSERT_TRUE(c.Transact(CounterTxn(++n)).committed);

    disk.Fill();
    // The journal's last page may still take a record or two.
    for (int i = 0; i < 100 && c.Transact(CounterTxn(n + 1)).committed; i++)
        n++;
    long long size = FileSize(db);
    for (int i = 0; i < 30; i++) {
        TransactOutcome r = c.Transact(CounterTxn(n + 1));
        ASSERT_TRUE(r.replied) << r.ipc_error;
        EXPECT_FALSE(r.committed);
        EXPECT_EQ(IoError(r), "the database's disk is full: the change was not applied")
            << r.result;
    }
    EXPECT_EQ(FileSize(db), size);
    EXPECT_TRUE(dbd.Running());
    EXPECT_EQ(dbd.pid(), pid);
    // Reads, monitors and waits go on; the state is the last acknowledged one.
    ExpectCounterState(c, n);
    TransactOutcome wait = c.Transact(
        "[\"Open_vSwitch\",{\"op\":\"wait\",\"table\":\"Open_vSwitch\",\"where\":[],"
        "\"columns\":[\"external_ids\"],\"until\":\"==\",\"rows\":[],\"timeout\":100}]");
    EXPECT_NE(wait.result.find("timed out"), std::string::npos) << wait.result;
    // A compaction cannot be written either: the journal stays as it is.
    EXPECT_NE(c.Compact(), "");
    EXPECT_NE(c.Compact(), "");
    EXPECT_EQ(FileSize(db), size);
    EXPECT_EQ(FileSize(db + ".tmp"), -1);
    // One line for the episode of refused commits, one for the compactions.
    std::string log = dbd.log();
    EXPECT_EQ(Count(log, " err: journal: cannot write to " + db + ": No space left on device ("),
              1u)
        << log;
    EXPECT_EQ(Count(log, "bytes free on its file system"), 2u) << log;
    EXPECT_LT(Count(log, "\n"), 15u) << log;

    // A client waiting for the next transaction is answered by it once the disk has room.
    std::thread waiter([&] {
        DbdClient w(rundir, 20000);
        TransactOutcome r = w.Transact(
            "[\"Open_vSwitch\",{\"op\":\"wait\",\"table\":\"Open_vSwitch\",\"where\":"
            "[[\"external_ids\",\"includes\",[\"map\",[[\"vsw-test-n\",\"" +
            std::to_string(n + 1) + "\"]]]]],\"columns\":[],\"until\":\"!=\",\"rows\":[],"
            "\"timeout\":15000}]");
        EXPECT_TRUE(r.Succeeded()) << r.result;
    });
    disk.Free();
    TransactOutcome resumed = c.Transact(CounterTxn(n + 1));
    EXPECT_TRUE(resumed.committed) << resumed.result;
    n++;
    waiter.join();
    for (int i = 0; i < 20; i++)
        ASSERT_TRUE(c.Transact(CounterTxn(++n)).committed);
    EXPECT_NE(dbd.log().find("journal: " + db + " is written again; 31 write(s) were refused"),
              std::string::npos)
        << dbd.log();
    EXPECT_EQ(c.Compact(), "");
    EXPECT_EQ(dbd.pid(), pid);

    dbd.Kill();
    ASSERT_TRUE(dbd.Start({ "--db", db }));
    DbdClient after(rundir, 5000);
    ExpectCounterState(after, n);
    EXPECT_EQ(after.Transact("[\"Open_vSwitch\"]").warning, "");
}

// The setting end to end: the whole run directory (sockets, logs, database) on a 400 kB
// file system, the five daemons under the supervisor, configured with `vsw`. Once it is full a
// change is refused with the clear error and nothing restarts; everything else goes on; once
// there is room, changes work again.
TEST(DbdWriteErrors, VswOnAFullRunDirectoryRefusesChangesAndNothingRestarts)
{
    VswInstance vsw;
    SmallDisk disk(vsw.rundir(), "400k");
    CommandResult started = vsw.Ctl("start");
    ASSERT_EQ(started.exit_code, 0) << started.output;
    ASSERT_EQ(vsw.Vsw("add-br vswdbf0").exit_code, 0);
    std::vector<int> pids;
    for (const auto &d : kDaemons)
        pids.push_back(vsw.Pid(d));

    disk.Fill();
    CommandResult refused;
    for (int i = 1; i <= 50; i++) {   // the journal's last page may take a change or two
        refused = vsw.Vsw("--no-wait add-br vswdbf" + std::to_string(i));
        if (refused.exit_code != 0)
            break;
    }
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(refused.output, "vsw: transaction failed: I/O error: the database's disk is full: "
                              "the change was not applied\n");
    for (int i = 0; i < 10; i++)
        EXPECT_EQ(vsw.Vsw("--no-wait add-br vswdbf-refused").exit_code, 1);
    CommandResult status = vsw.Vsw("status");
    EXPECT_EQ(status.exit_code, 0) << status.output;
    CommandResult listed = vsw.Vsw("list-br");
    EXPECT_EQ(listed.exit_code, 0) << listed.output;
    EXPECT_EQ(listed.output.rfind("vswdbf0\n", 0), 0u) << listed.output;
    EXPECT_EQ(listed.output.find("vswdbf-refused"), std::string::npos) << listed.output;

    disk.Free();
    CommandResult resumed = vsw.Vsw("add-br vswdbf-later");
    EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_EQ(vsw.Vsw("br-exists vswdbf-later").exit_code, 0);
    std::vector<int> now;
    for (const auto &d : kDaemons)
        now.push_back(vsw.Pid(d));
    EXPECT_EQ(now, pids);
    EXPECT_EQ(ReadFile(vsw.rundir() + "/vsw-supervisor.log").find("restarting"),
              std::string::npos);
}

// A loss found at start is shown by `vsw status` and by every `vsw` database command, on
// standard error, until `vsw ack-db-recovery`.
TEST(DbdDamage, LossIsShownByEveryVswCommandUntilAcknowledged)
{
    VswInstance vsw;
    ASSERT_EQ(vsw.Ctl("start").exit_code, 0);
    for (const char *br : { "vswdbf1", "vswdbf2", "vswdbf3" })
        ASSERT_EQ(vsw.Vsw(std::string("--no-wait add-br ") + br).exit_code, 0);
    ASSERT_EQ(vsw.Ctl("stop").exit_code, 0);
    std::string db = vsw.rundir() + "/conf.db";
    std::vector<JournalRecord> records = ReadJournal(db);
    size_t second = 0;   // the record that adds vswdbf2
    for (size_t i = 0; i < records.size(); i++)
        if (records[i].payload.find("\"vswdbf2\"") != std::string::npos && !second)
            second = i;
    ASSERT_GT(second, 0u);
    std::string file = ReadFile(db);
    file[records[second].offset + records[second].size / 2] ^= 0x04;
    WriteFile(db, file);

    ASSERT_EQ(vsw.Ctl("start").exit_code, 0);
    CommandResult status = vsw.Vsw("status");
    EXPECT_NE(status.output.find("\n    warning: the database was recovered with loss at "),
              std::string::npos)
        << status.output;
    CommandResult list = vsw.Vsw("list-br");
    EXPECT_EQ(list.exit_code, 0);
    EXPECT_EQ(list.output.rfind("vsw: warning: the database was recovered with loss at ", 0),
              0u)
        << list.output;
    EXPECT_NE(list.output.find("\nvswdbf1\n"), std::string::npos) << list.output;
    EXPECT_EQ(list.output.find("vswdbf2"), std::string::npos) << list.output;
    EXPECT_EQ(Count(list.output, "warning"), 1u) << list.output;
    EXPECT_NE(ReadFile(vsw.rundir() + "/vsw-dbd.log").find(" err: journal: checksum mismatch"),
              std::string::npos);

    CommandResult ack = vsw.Vsw("--no-wait ack-db-recovery");
    EXPECT_EQ(ack.exit_code, 0) << ack.output;
    EXPECT_EQ(vsw.Vsw("list-br").output, "vswdbf1\n");
    EXPECT_EQ(vsw.Vsw("status").output.find("warning"), std::string::npos);
    EXPECT_EQ(vsw.Vsw("--no-wait ack-db-recovery").output, "");
}

// ==== vsw-dbtool ====

CommandResult DbTool(const std::string &args)
{
    return Shell(Runfile("dbd/vsw-dbtool") + " " + args);
}

// A transaction as vsw sends it: its command line as a comment.
std::string Commented(const std::string &comment, const std::string &params)
{
    return "[\"Open_vSwitch\",{\"op\":\"comment\",\"comment\":\"" + comment + "\"}," +
           params.substr(strlen("[\"Open_vSwitch\","));
}

TEST(DbTool, ChecksShowsRecoversAndCompactsAFile)
{
    VswInstance vsw;
    std::string rundir = PrepareRundir(vsw);
    DbdProcess dbd(rundir);
    ASSERT_TRUE(dbd.Start({ "--compact-records", "100000" }));
    {
        DbdClient c(rundir, 2000);
        CommitCounters(c, 30);
        ASSERT_TRUE(c.Transact(Commented("vsw add-br vswdbf1", AddBridgeTxn("vswdbf1")))
                        .committed);
    }
    ASSERT_EQ(dbd.Stop(), 0);
    std::string db = dbd.db_path(), dir = " --rundir " + rundir + " ";
    std::string pristine = ReadFile(db);
    std::vector<JournalRecord> records = ReadJournal(db);
    ASSERT_EQ(records.size(), 33u);

    CommandResult check = DbTool(dir + "check");
    EXPECT_EQ(check.exit_code, 0) << check.output;
    EXPECT_EQ(check.output.rfind(db + ": intact\n    schema Open_vSwitch 1.1.0; 0 snapshot(s) "
                                      "and 32 transaction(s) in " +
                                      std::to_string(pristine.size()) + " bytes, written from ",
                                 0),
              0u)
        << check.output;
    CommandResult log = DbTool("show-log -v " + db);
    EXPECT_EQ(log.exit_code, 0) << log.output;
    EXPECT_NE(log.output.find("#0     offset 0          schema   Open_vSwitch 1.1.0\n"),
              std::string::npos)
        << log.output;
    EXPECT_NE(log.output.find("  \"vsw add-br vswdbf1\"  Bridge +1  Open_vSwitch ~1\n"),
              std::string::npos)
        << log.output;
    EXPECT_NE(log.output.find(" inserted name=vswdbf1\n"), std::string::npos) << log.output;

    // A write cut short: nothing lost (3); damage in the middle: records lost (1).
    WriteFile(db, pristine.substr(0, pristine.size() - 5));
    EXPECT_EQ(DbTool(dir + "check").exit_code, 3);
    std::string damaged = pristine;
    damaged[records[10].offset + records[10].size / 2] ^= 0x10;
    WriteFile(db, damaged);
    check = DbTool(dir + "check");
    EXPECT_EQ(check.exit_code, 1) << check.output;
    EXPECT_NE(check.output.find(": damaged: checksum mismatch at offset " +
                                std::to_string(records[10].offset) + "; the " +
                                std::to_string(pristine.size() - records[10].offset) +
                                " bytes from there on hold 22 intact record(s) (written from "),
              std::string::npos)
        << check.output;
    log = DbTool("show-log " + db);
    std::string offset = std::to_string(records[10].offset);
    EXPECT_NE(log.output.find("--     offset " + offset + std::string(11 - offset.size(), ' ') +
                              "damaged  " +
                              std::to_string(records[11].offset - records[10].offset) +
                              " bytes: checksum mismatch\n"),
              std::string::npos)
        << log.output;
    EXPECT_EQ(Count(log.output, " txn "), 31u) << log.output;

    // vsw-dbd recovers from the prefix; while it runs, the file is not rewritten by hand, but
    // a compaction can be asked of it.
    ASSERT_TRUE(dbd.Start({ "--compact-records", "100000" }));
    {
        DbdClient c(rundir, 2000);
        EXPECT_EQ(ReadCounter(c), 8);
        ASSERT_TRUE(c.Transact(AddBridgeTxn("vswdbf-after")).committed);
    }
    CommandResult busy = DbTool(dir + "recover");
    EXPECT_EQ(busy.exit_code, 1);
    EXPECT_NE(busy.output.find("is in use (by vsw-dbd?): stop vsw first"), std::string::npos)
        << busy.output;
    EXPECT_EQ(DbTool("compact " + db).exit_code, 1);
    CommandResult online = DbTool(dir + "compact");
    EXPECT_EQ(online.exit_code, 0) << online.output;
    EXPECT_EQ(online.output.rfind("vsw-dbd compacted its database from ", 0), 0u)
        << online.output;
    EXPECT_EQ(ReadJournal(db).size(), 2u);
    ASSERT_EQ(dbd.Stop(), 0);

    // Recovery, the operator's choice: what vsw-dbd kept, then the intact records it lost,
    // from the saved file; a copy of what it replaces is kept. One record no longer applies:
    // it deletes the Manager row the damaged record had inserted.
    std::string saved = Shell("ls " + db + ".damaged-*").output;
    saved = saved.substr(0, saved.find('\n'));
    CommandResult recovered = DbTool(dir + "recover " + db + " " + saved);
    EXPECT_EQ(recovered.exit_code, 0) << recovered.output;
    EXPECT_NE(recovered.output.find("referential integrity violation: record deletes row " +
                                    ManagerUuid(9) + ", which is not in table Manager\n"),
              std::string::npos)
        << recovered.output;
    EXPECT_NE(recovered.output.find("21 record(s) after the damage applied, 1 skipped\n"),
              std::string::npos)
        << recovered.output;
    EXPECT_EQ(Shell("ls " + db + ".before-recover-*").exit_code, 0);
    EXPECT_EQ(Shell("stat -c %U:%G " + db).output, "vsw:vsw\n");
    EXPECT_EQ(DbTool(dir + "check").exit_code, 0);
    ASSERT_TRUE(dbd.Start());
    {
        DbdClient c(rundir, 2000);
        EXPECT_EQ(ReadCounter(c), 30);
        EXPECT_EQ(BridgeNames(c), (std::set<std::string>{ "vswdbf1", "vswdbf-after" }));
        ASSERT_TRUE(c.Transact(CounterTxn(31)).committed);
    }
    ASSERT_EQ(dbd.Stop(), 0);

    // Offline compaction keeps the file's owner and contents.
    CommandResult compacted = DbTool("compact " + db);
    EXPECT_EQ(compacted.exit_code, 0) << compacted.output;
    EXPECT_EQ(ReadJournal(db).size(), 2u);
    EXPECT_EQ(Shell("stat -c %U:%G " + db).output, "vsw:vsw\n");
    ASSERT_TRUE(dbd.Start());
    DbdClient c(rundir, 2000);
    EXPECT_EQ(ReadCounter(c), 31);
}

TEST(DbTool, HelpAndUsageErrors)
{
    CommandResult help = DbTool("--help");
    EXPECT_EQ(help.exit_code, 0);
    for (const char *section : { "NAME\n", "SYNOPSIS\n", "DESCRIPTION\n", "COMMANDS\n",
                                 "OPTIONS\n", "EXIT STATUS\n", "EXAMPLES\n", "SEE ALSO\n" })
        EXPECT_NE(help.output.find(section), std::string::npos) << section;
    EXPECT_EQ(DbTool("").exit_code, 2);
    EXPECT_EQ(DbTool("frobnicate").exit_code, 2);
    EXPECT_EQ(DbTool("check a b").exit_code, 2);
    EXPECT_EQ(DbTool("check -o x").exit_code, 2);
    CommandResult missing = DbTool("check /nonexistent/conf.db");
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_EQ(missing.output, "vsw-dbtool: cannot read /nonexistent/conf.db: No such file or "
                              "directory\n");
}

// ==== c. Schema upgrade ====

// The built-in schema as an older version: version 0.9.0 and no Bridge.datapath_version.
std::string OlderSchema()
{
    std::string text = ReadFile(Runfile("dbd/vswitch.schema"));
    JsonPtr schema = Parse(text);
    if (!schema)
        return "";
    json_object_put(schema.get(), "version", json_string_new("0.9.0"));
    struct json *bridge = json_object_get(json_object_get(schema.get(), "tables"), "Bridge");
    json_free(json_object_remove(json_object_get(bridge, "columns"), "datapath_version"));
    char *out = json_to_string(schema.get());
    std::string result = out;
    free(out);
    return result;
}

// A transaction carrying the digest of another schema runs nothing; the CLI, which assumes
// the schema it was built with, then works with the one dbd runs.
TEST(DbdSchema, TransactionsBuiltForAnotherSchemaAreRefusedAndTheCliAdapts)
{
    VswInstance vsw;
    std::string rundir = PrepareRundir(vsw);
    WriteFile(rundir + "/old.schema", OlderSchema());
    DbdProcess dbd(rundir);
    ASSERT_TRUE(dbd.Start({ "--schema", rundir + "/old.schema" }));
    DbdClient c(rundir, 2000);
    std::string digest;
    std::string schema = c.GetSchema(&digest);
    char expected[DB_SCHEMA_DIGEST_SIZE];
    db_schema_digest(schema.data(), schema.size(), expected);
    EXPECT_EQ(digest, expected);

    TransactOutcome wrong = c.Transact(kInsertRoot, "0123456789abcdef");
    EXPECT_TRUE(wrong.replied);
    EXPECT_TRUE(wrong.schema_mismatch);
    EXPECT_FALSE(wrong.committed);
    EXPECT_EQ(RowsOf(c.Monitor().updates, "Open_vSwitch").size(), 0u);
    TransactOutcome right = c.Transact(kInsertRoot, digest);
    EXPECT_FALSE(right.schema_mismatch);
    EXPECT_TRUE(right.committed) << right.result;

    // The CLI's built-in schema has Bridge.datapath_version; this dbd's has not.
    EXPECT_EQ(vsw.Vsw("--no-wait add-br br0").exit_code, 0);
    CommandResult list = vsw.Vsw("list-br");
    EXPECT_EQ(list.exit_code, 0) << list.output;
    EXPECT_EQ(list.output, "br0\n");
    CommandResult get = vsw.Vsw("get Bridge br0 datapath_version");
    EXPECT_EQ(get.exit_code, 2) << get.output;
    EXPECT_NE(get.output.find("datapath_version"), std::string::npos) << get.output;
    CommandResult set = vsw.Vsw("--no-wait set Bridge br0 datapath_version=1");
    EXPECT_EQ(set.exit_code, 2) << set.output;
    EXPECT_EQ(BridgeNames(c), (std::set<std::string>{ "br0" }));
}

TEST(DbdSchema, OlderDatabaseIsConvertedOnStart)
{
    VswInstance vsw;
    std::string rundir = PrepareRundir(vsw);
    std::string old_schema = OlderSchema();
    ASSERT_NE(old_schema.find("\"0.9.0\""), std::string::npos);
    ASSERT_EQ(old_schema.find("datapath_version"), std::string::npos);
    WriteFile(rundir + "/old.schema", old_schema);

    DbdProcess dbd(rundir);
    ASSERT_TRUE(dbd.Start({ "--schema", rundir + "/old.schema" }));
    std::string before;
    {
        DbdClient c(rundir, 2000);
        EXPECT_EQ(SchemaVersion(c.GetSchema()), "0.9.0");
        ASSERT_TRUE(c.Transact(kInsertRoot).Succeeded());
        ASSERT_TRUE(c.Transact(AddBridgeTxn("br0", ",\"datapath_type\":\"netdev\","
                                                   "\"external_ids\":[\"map\",[[\"k\",\"v\"]]]"))
                        .committed);
        ASSERT_TRUE(c.Transact(AddBridgeTxn("br1")).committed);
        // A port with its interface on br1: references across three tables.
        ASSERT_TRUE(c.Transact(
                         "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Interface\","
                         "\"uuid-name\":\"i\",\"row\":{\"name\":\"eth1\"}},"
                         "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\",\"row\":"
                         "{\"name\":\"eth1\",\"tag\":7,\"interfaces\":[\"named-uuid\",\"i\"]}},"
                         "{\"op\":\"mutate\",\"table\":\"Bridge\",\"where\":[[\"name\",\"==\","
                         "\"br1\"]],\"mutations\":[[\"ports\",\"insert\",[\"set\",[[\"named-uuid\","
                         "\"p\"]]]]]}]")
                        .committed);
        // Not a column of this schema yet.
        EXPECT_FALSE(c.Transact("[\"Open_vSwitch\",{\"op\":\"update\",\"table\":\"Bridge\","
                                "\"where\":[],\"row\":{\"datapath_version\":\"x\"}}]")
                         .Succeeded());
        MonitorOutcome m = c.Monitor();
        ASSERT_TRUE(m.ok);
        before = m.updates;
    }
    ASSERT_EQ(dbd.Stop(), 0);
    std::vector<JournalRecord> old_records = ReadJournal(dbd.db_path());
    ASSERT_FALSE(old_records.empty());
    EXPECT_EQ(SchemaVersion(old_records[0].payload), "0.9.0");

    ASSERT_TRUE(dbd.Start());   // the built-in schema, 1.1.0
    EXPECT_NE(dbd.log().find("upgrading the database from schema 0.9.0 to 1.1.0"),
              std::string::npos) << dbd.log();
    DbdClient c(rundir, 2000);
    EXPECT_EQ(SchemaVersion(c.GetSchema()), "1.1.0");
    MonitorOutcome after = c.Monitor();
    ASSERT_TRUE(after.ok);
    // Every row kept with its identity, its version and every value; the new column is there
    // with its default.
    for (const char *table : { "Open_vSwitch", "Bridge", "Port", "Interface" }) {
        SCOPED_TRACE(table);
        std::map<std::string, std::string> old_rows = RowsOf(before, table);
        std::map<std::string, std::string> new_rows = RowsOf(after.updates, table);
        EXPECT_FALSE(old_rows.empty());
        ASSERT_EQ(old_rows.size(), new_rows.size());
        for (const auto &[uuid, text] : old_rows) {
            ASSERT_TRUE(new_rows.count(uuid)) << uuid;
            JsonPtr old_row = Parse(text), new_row = Parse(new_rows[uuid]);
            for (size_t i = 0; i < json_object_size(old_row.get()); i++) {
                const char *column = json_object_key_at(old_row.get(), i);
                EXPECT_TRUE(json_equal(json_object_value_at(old_row.get(), i),
                                       json_object_get(new_row.get(), column)))
                    << uuid << " column " << column;
            }
            if (std::string(table) == "Bridge") {
                EXPECT_STREQ(RowString(new_row.get(), "datapath_version"), "");
            }
        }
    }
    // The file now records the new schema, then the converted data as one snapshot.
    std::vector<JournalRecord> records = ReadJournal(dbd.db_path());
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].kind, "schema");
    EXPECT_EQ(SchemaVersion(records[0].payload), "1.1.0");
    EXPECT_NE(records[0].payload.find("datapath_version"), std::string::npos);
    EXPECT_EQ(records[1].kind, "snapshot");
    EXPECT_EQ(FileSize(dbd.db_path()),
              static_cast<long long>(records[1].offset + records[1].size));

    // The new column is usable, and a restart finds a current file: no second upgrade.
    ASSERT_TRUE(c.Transact("[\"Open_vSwitch\",{\"op\":\"update\",\"table\":\"Bridge\","
                           "\"where\":[[\"name\",\"==\",\"br0\"]],\"row\":{\"datapath_version\":"
                           "\"2\"}}]")
                    .committed);
    dbd.Kill();
    ASSERT_TRUE(dbd.Start());
    EXPECT_EQ(dbd.log().find("upgrading"), std::string::npos) << dbd.log();
    DbdClient again(rundir, 2000);
    EXPECT_EQ(BridgeNames(again), (std::set<std::string>{ "br0", "br1" }));
    TransactOutcome r = again.Transact("[\"Open_vSwitch\",{\"op\":\"select\",\"table\":\"Bridge\","
                                       "\"where\":[[\"name\",\"==\",\"br0\"]],"
                                       "\"columns\":[\"datapath_version\"]}]");
    EXPECT_NE(r.result.find("\"datapath_version\":\"2\""), std::string::npos) << r.result;
}

// ==== d. Oversized and malformed transactions ====

class DbdRequests : public ::testing::Test {
  protected:
    void SetUp() override
    {
        rundir_ = PrepareRundir(vsw_);
        dbd_ = std::make_unique<DbdProcess>(rundir_);
        ASSERT_TRUE(dbd_->Start());
        client_ = std::make_unique<DbdClient>(rundir_, 10000);
        ASSERT_TRUE(client_->Transact(kInsertRoot).Succeeded());
        ASSERT_TRUE(client_->Transact(AddBridgeTxn("br0")).committed);
        before_ = client_->Monitor();
        ASSERT_TRUE(before_.ok);
        file_ = ReadFile(dbd_->db_path());
    }

    // dbd is the same process, serving, with the database and its file as they were.
    void ExpectUnchanged()
    {
        EXPECT_TRUE(dbd_->Running());
        MonitorOutcome now = client_->Monitor();
        ASSERT_TRUE(now.ok);
        JsonPtr a = Parse(before_.updates), b = Parse(now.updates);
        EXPECT_TRUE(json_equal(a.get(), b.get())) << now.updates;
        EXPECT_EQ(ReadFile(dbd_->db_path()), file_);
    }

    VswInstance vsw_;
    std::string rundir_;
    std::unique_ptr<DbdProcess> dbd_;
    std::unique_ptr<DbdClient> client_;
    MonitorOutcome before_;
    std::string file_;
};

TEST_F(DbdRequests, TenMegabyteTransactionIsRefused)
{
    // A well-formed transaction; only its size is wrong.
    std::string big(10 * 1024 * 1024, 'x');
    TransactOutcome r = client_->Transact(AddBridgeTxn("big", ",\"external_ids\":[\"map\",[[\"k\",\"" + big + "\"]]]"));
    EXPECT_FALSE(r.replied);
    EXPECT_EQ(r.code, VSW__ERROR_CODE__ERROR_TOO_BIG) << r.ipc_error;
    ExpectUnchanged();
    // And dbd goes on committing.
    EXPECT_TRUE(client_->Transact(AddBridgeTxn("small")).committed);
}

// A "wait" with a timeout in a transaction that changes nothing is RFC 7047's blocking wait:
// dbd keeps it, serves other clients meanwhile, and answers it with the commit that
// satisfies it; the vsw CLI could wait for cur_cfg this way, as OVSDB clients may.
std::string WaitForBridgeTxn(const std::string &name, int timeout_ms)
{
    return "[\"Open_vSwitch\",{\"op\":\"wait\",\"timeout\":" + std::to_string(timeout_ms) +
           ",\"table\":\"Bridge\",\"where\":[[\"name\",\"==\",\"" + name + "\"]],"
           "\"columns\":[],\"until\":\"!=\",\"rows\":[]}]";
}

long long MsSince(Clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// A request sent by another client from a thread of its own, which waits for its answer:
// ms() is -1 until it came, then how long after the start it came.
class RequestInBackground {
  public:
    RequestInBackground(const std::string &rundir,
                        std::function<TransactOutcome(DbdClient &)> send)
        : start_(Clock::now()), thread_([this, rundir, send] {
              DbdClient c(rundir, 10000);
              TransactOutcome r = send(c);
              std::lock_guard<std::mutex> lock(mutex_);
              outcome_ = r;
              ms_ = MsSince(start_);
          })
    {
    }
    ~RequestInBackground()
    {
        if (thread_.joinable())
            thread_.join();
    }
    long long ms()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return ms_;
    }
    TransactOutcome Answer()
    {
        thread_.join();
        return outcome_;
    }

  private:
    Clock::time_point start_;
    std::mutex mutex_;
    TransactOutcome outcome_;
    long long ms_ = -1;
    std::thread thread_;
};

TEST_F(DbdRequests, WaitWithTimeoutIsAnsweredByTheCommitThatSatisfiesIt)
{
    RequestInBackground waiter(rundir_, [](DbdClient &c) {
        return c.Transact(WaitForBridgeTxn("late", 8000));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // Others are served while it waits, commits that do not satisfy it included.
    Clock::time_point asked = Clock::now();
    EXPECT_TRUE(client_->Transact(AddBridgeTxn("other")).committed);
    EXPECT_TRUE(client_->Monitor().ok);
    EXPECT_LT(MsSince(asked), 1000);
    EXPECT_EQ(waiter.ms(), -1) << "answered before its condition held";
    EXPECT_TRUE(client_->Transact(AddBridgeTxn("late")).committed);
    TransactOutcome waited = waiter.Answer();
    EXPECT_TRUE(waited.Succeeded()) << waited.ipc_error << waited.result;
    EXPECT_FALSE(waited.committed);
    EXPECT_GE(waiter.ms(), 300);
    EXPECT_LT(waiter.ms(), 4000) << "answered by its timeout, not by the commit";
}

TEST_F(DbdRequests, WaitWithTimeoutFailsWhenItPasses)
{
    Clock::time_point start = Clock::now();
    TransactOutcome r = client_->Transact(WaitForBridgeTxn("never", 400));
    long long ms = MsSince(start);
    EXPECT_TRUE(r.replied) << r.ipc_error;
    EXPECT_NE(r.result.find("\"error\":\"timed out\""), std::string::npos) << r.result;
    EXPECT_NE(r.result.find("not met within 400 ms"), std::string::npos) << r.result;
    EXPECT_GE(ms, 400);
    EXPECT_LT(ms, 3000);
    // A timeout of 0, and a wait in a transaction that also writes, are evaluated once: they
    // fail at once, and the write is not made.
    start = Clock::now();
    r = client_->Transact(WaitForBridgeTxn("never", 0));
    EXPECT_NE(r.result.find("\"error\":\"timed out\""), std::string::npos) << r.result;
    std::string write_then_wait = AddBridgeTxn("written");
    write_then_wait.pop_back();
    write_then_wait += "," + WaitForBridgeTxn("never", 5000).substr(strlen("[\"Open_vSwitch\","));
    r = client_->Transact(write_then_wait);
    EXPECT_NE(r.result.find("\"error\":\"timed out\""), std::string::npos) << r.result;
    EXPECT_FALSE(r.committed);
    EXPECT_LT(MsSince(start), 1000);
    ExpectUnchanged();
}

TEST_F(DbdRequests, WaitingTransactionsAreAnsweredWhenDbdStops)
{
    RequestInBackground waiter(rundir_, [](DbdClient &c) {
        return c.Transact(WaitForBridgeTxn("late", 8000));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    dbd_->Stop();
    TransactOutcome waited = waiter.Answer();
    EXPECT_FALSE(waited.replied);
    EXPECT_EQ(waited.code, VSW__ERROR_CODE__ERROR_UNAVAILABLE) << waited.ipc_error;
    EXPECT_NE(waited.ipc_error.find("vsw-dbd is stopping"), std::string::npos)
        << waited.ipc_error;
    EXPECT_LT(waiter.ms(), 5000);
}

// The vsw CLI's commit that waits for vsw-switchd: answered once cur_cfg has reached the
// next_cfg the commit set, with no second request.
const char kBumpNextCfg[] = "[\"Open_vSwitch\",{\"op\":\"mutate\",\"table\":\"Open_vSwitch\","
                            "\"where\":[],\"mutations\":[[\"next_cfg\",\"+=\",1]]}]";

std::string SetCurCfgTxn(long long value)
{
    return "[\"Open_vSwitch\",{\"op\":\"update\",\"table\":\"Open_vSwitch\",\"where\":[],"
           "\"row\":{\"cur_cfg\":" + std::to_string(value) + "}}]";
}

TEST_F(DbdRequests, CommitThenWaitIsAnsweredWhenCurCfgReachesNextCfg)
{
    RequestInBackground committer(rundir_, [](DbdClient &c) {
        return c.TransactThenWaitForCurCfg(kBumpNextCfg, 8000);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(committer.ms(), -1) << "answered before cur_cfg reached next_cfg";
    // next_cfg went from 0 to 1; a cur_cfg short of it does not end the wait.
    EXPECT_TRUE(client_->Transact(SetCurCfgTxn(0)).Succeeded());
    EXPECT_TRUE(client_->Transact(AddBridgeTxn("meanwhile")).committed);
    EXPECT_EQ(committer.ms(), -1);
    EXPECT_TRUE(client_->Transact(SetCurCfgTxn(1)).committed);
    TransactOutcome r = committer.Answer();
    EXPECT_TRUE(r.Succeeded()) << r.ipc_error << r.result;
    EXPECT_TRUE(r.committed);
    EXPECT_TRUE(r.waited);
    EXPECT_NE(r.seq, 0u);
    EXPECT_GE(committer.ms(), 300);
    EXPECT_LT(committer.ms(), 4000) << "answered by its timeout, not by the commit of cur_cfg";
}

TEST_F(DbdRequests, CommitThenWaitIsAnsweredAnywayWhenItsTimePasses)
{
    Clock::time_point start = Clock::now();
    TransactOutcome r = client_->TransactThenWaitForCurCfg(kBumpNextCfg, 400);
    EXPECT_TRUE(r.committed) << r.ipc_error << r.result;
    EXPECT_FALSE(r.waited);
    EXPECT_GE(MsSince(start), 400);
    EXPECT_LT(MsSince(start), 3000);
    // Already reached: answered at once, waited. A condition that cannot be waited for (no
    // such table) or a transaction that does not commit: answered at once, not waited.
    EXPECT_TRUE(client_->Transact(SetCurCfgTxn(5)).committed);
    start = Clock::now();
    r = client_->TransactThenWaitForCurCfg(kBumpNextCfg, 5000);   // next_cfg 2 <= 5
    EXPECT_TRUE(r.committed && r.waited) << r.result;
    r = client_->TransactThenWaitForCurCfg(kBumpNextCfg, 5000, "Nonesuch");
    EXPECT_TRUE(r.committed) << r.result;
    EXPECT_FALSE(r.waited);
    r = client_->TransactThenWaitForCurCfg(
        "[\"Open_vSwitch\",{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],"
        "\"mutations\":[[\"next_cfg\",\"+=\",1]]},{\"op\":\"abort\"}]", 5000);
    EXPECT_FALSE(r.committed) << r.result;
    EXPECT_FALSE(r.waited);
    EXPECT_LT(MsSince(start), 1000);
}

TEST_F(DbdRequests, CommitWaitingWhenDbdStopsIsAnsweredCommittedNotWaited)
{
    RequestInBackground committer(rundir_, [](DbdClient &c) {
        return c.TransactThenWaitForCurCfg(kBumpNextCfg, 8000);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    dbd_->Stop();
    TransactOutcome r = committer.Answer();
    EXPECT_TRUE(r.replied) << r.ipc_error;
    EXPECT_TRUE(r.committed);
    EXPECT_FALSE(r.waited);
}

TEST_F(DbdRequests, MalformedTransactionsAreRefusedAndChangeNothing)
{
    const std::string root = "[\"Open_vSwitch\",";
    const std::vector<std::pair<std::string, std::string>> cases = {
        { "empty", "" },
        { "not JSON", "insert a bridge please" },
        { "an object", "{\"op\":\"insert\",\"table\":\"Bridge\"}" },
        { "an empty array", "[]" },
        { "unknown database", "[\"Nope\",{\"op\":\"comment\",\"comment\":\"x\"}]" },
        { "unknown table", root + "{\"op\":\"insert\",\"table\":\"Nope\",\"row\":{}}]" },
        { "unknown operation", root + "{\"op\":\"frobnicate\",\"table\":\"Bridge\"}]" },
        { "misspelled member", root + "{\"op\":\"delete\",\"table\":\"Bridge\",\"were\":[]}]" },
        { "unknown column", root + "{\"op\":\"update\",\"table\":\"Bridge\",\"where\":[],"
                                   "\"row\":{\"colour\":\"red\"}}]" },
        { "wrong type", root + "{\"op\":\"update\",\"table\":\"Bridge\",\"where\":[],"
                               "\"row\":{\"stp_enable\":\"yes\"}}]" },
        { "immutable column", root + "{\"op\":\"update\",\"table\":\"Bridge\",\"where\":[],"
                                     "\"row\":{\"name\":\"br9\"}}]" },
        { "dangling reference", root + "{\"op\":\"mutate\",\"table\":\"Open_vSwitch\","
                                       "\"where\":[],\"mutations\":[[\"bridges\",\"insert\","
                                       "[\"uuid\",\"01234567-89ab-4cde-8f01-23456789abcd\"]]]}]" },
        { "duplicate key", root + "{\"op\":\"delete\",\"op\":\"delete\",\"table\":\"Bridge\","
                                  "\"where\":[]}]" },
        { "NUL in a string", root + "{\"op\":\"comment\",\"comment\":\"a\\u0000b\"}]" },
        { "invalid UTF-8", root + "{\"op\":\"comment\",\"comment\":\"\xc0\xaf\"}]" },
        { "trailing garbage", root + "{\"op\":\"comment\",\"comment\":\"x\"}] ]" },
        { "nested 100 deep", std::string(100, '[') + std::string(100, ']') },
        { "5 MB of nesting", std::string(5 * 1024 * 1024, '[') },
        // Valid operations that fail half-way: the first one must be undone.
        { "delete then abort", root + "{\"op\":\"delete\",\"table\":\"Bridge\",\"where\":[]},"
                                      "{\"op\":\"abort\"}]" },
        { "second bridge br0", AddBridgeTxn("br0") },
    };
    for (const auto &[what, params] : cases) {
        SCOPED_TRACE(what);
        TransactOutcome r = client_->Transact(params);
        EXPECT_FALSE(r.committed);
        if (r.replied) {
            EXPECT_NE(r.result.find("\"error\""), std::string::npos) << r.result;
        } else {
            EXPECT_NE(r.code, VSW__ERROR_CODE__ERROR_UNAVAILABLE) << r.ipc_error;
        }
    }
    ExpectUnchanged();
}

// ==== e. Monitors ====

class DbdMonitor : public ::testing::Test {
  protected:
    void SetUp() override
    {
        rundir_ = PrepareRundir(vsw_);
        dbd_ = std::make_unique<DbdProcess>(rundir_);
        ASSERT_TRUE(dbd_->Start());
        client_ = std::make_unique<DbdClient>(rundir_, 5000);
        ASSERT_TRUE(InitCounter(*client_));
    }

    // Commits transactions next_..next_+count-1; returns each one's latency in microseconds.
    std::vector<long> Commit(int count, std::vector<uint64_t> *seqs = nullptr)
    {
        std::vector<long> latencies;
        for (int i = 0; i < count; i++) {
            auto start = Clock::now();
            TransactOutcome r = client_->Transact(CounterTxn(next_));
            latencies.push_back(static_cast<long>(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count()));
            EXPECT_TRUE(r.committed) << next_ << ": " << r.result << r.ipc_error;
            if (!r.committed)
                break;
            last_seq_ = r.seq;
            if (seqs)
                seqs->push_back(r.seq);
            next_++;
        }
        return latencies;
    }

    VswInstance vsw_;
    std::string rundir_;
    std::unique_ptr<DbdProcess> dbd_;
    std::unique_ptr<DbdClient> client_;
    long next_ = 1;
    uint64_t last_seq_ = 0;
};

long Percentile(std::vector<long> v, double p)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

TEST_F(DbdMonitor, SubscriberGetsTheSnapshotThenEveryChangeInOrder)
{
    Subscriber sub(rundir_);
    ASSERT_TRUE(sub.opened());
    // Subscribed once a message arrives (the heartbeat comes every second); then the snapshot.
    Vsw__Envelope *env = nullptr;
    ASSERT_EQ(sub.Next(&env, 3000), IPC_STREAM_RESYNC);
    vsw__envelope__free_unpacked(env, nullptr);
    MonitorOutcome snapshot = client_->Monitor();
    ASSERT_TRUE(snapshot.ok);
    EXPECT_EQ(RowsOf(snapshot.updates, "Open_vSwitch").size(), 1u);

    // Commits interleaved with reading, so that nothing is dropped for want of reading.
    std::vector<uint64_t> committed;
    std::vector<std::pair<uint64_t, std::string>> updates;   // (seq, record) after the snapshot
    int out_of_order = 0;
    auto drain = [&](int timeout_ms) {
        Vsw__Envelope *e = nullptr;
        enum ipc_stream_status status;
        while ((status = sub.Next(&e, timeout_ms)) != IPC_STREAM_EMPTY) {
            if (status != IPC_STREAM_IN_ORDER)
                out_of_order++;
            if (e && e->type == VSW__DBD_TYPE__DBD_UPDATE && e->seq > snapshot.seq)
                updates.emplace_back(e->seq, UpdateRecord(e));
            vsw__envelope__free_unpacked(e, nullptr);
            timeout_ms = 0;
        }
    };
    for (int i = 0; i < 10; i++) {
        Commit(30, &committed);
        drain(0);
    }
    WaitFor([&] { drain(50); return !updates.empty() && updates.back().first >= last_seq_; }, 3000);
    EXPECT_EQ(out_of_order, 0);
    ASSERT_EQ(updates.size(), committed.size());
    for (size_t i = 0; i < updates.size(); i++) {
        SCOPED_TRACE("transaction " + std::to_string(i + 1));
        EXPECT_EQ(updates[i].first, committed[i]);
        // Each record is that transaction's: its Manager row, the counter, the row it dropped.
        JsonPtr record = Parse(updates[i].second);
        const struct json *manager = json_object_get(json_object_get(record.get(), "Manager"),
                                                     ManagerUuid(i + 1).c_str());
        EXPECT_STREQ(RowMapGet(manager, "external_ids", "n"), std::to_string(i + 1).c_str());
        if (i + 1 > kWindow) {
            const struct json *dropped = json_object_get(json_object_get(record.get(), "Manager"),
                                                         ManagerUuid(i + 1 - kWindow).c_str());
            EXPECT_TRUE(dropped && json_is_null(dropped)) << updates[i].second;
        }
    }

    // The snapshot plus every update is the database now.
    std::map<std::string, std::string> replica = RowsOf(snapshot.updates, "Manager");
    for (const auto &[seq, text] : updates) {
        JsonPtr record = Parse(text);
        const struct json *rows = json_object_get(record.get(), "Manager");
        for (size_t i = 0; i < json_object_size(rows); i++) {
            const struct json *row = json_object_value_at(rows, i);
            if (json_is_null(row)) {
                replica.erase(json_object_key_at(rows, i));
            } else {
                char *s = json_to_string(row);
                replica[json_object_key_at(rows, i)] = s;
                free(s);
            }
        }
    }
    MonitorOutcome now = client_->Monitor();
    std::map<std::string, std::string> expected = RowsOf(now.updates, "Manager");
    ASSERT_EQ(replica.size(), expected.size());
    for (const auto &[uuid, text] : expected) {
        JsonPtr a = Parse(text), b = Parse(replica[uuid]);
        EXPECT_TRUE(json_equal(json_object_get(a.get(), "_version"),
                               json_object_get(b.get(), "_version")))
            << uuid;
    }
}

TEST_F(DbdMonitor, StuckSubscriberBlocksNobodyAndResyncsToTheExactState)
{
    // Baseline: the commit latency with no subscriber at all.
    std::vector<long> baseline = Commit(300);

    const std::string requests = "{\"Open_vSwitch\":{},\"Manager\":{}}";
    Replica replica(rundir_, { &vswrec_table_open_vswitch, &vswrec_table_manager });
    ASSERT_TRUE(replica.ok());
    Subscriber sub(rundir_);
    ASSERT_TRUE(sub.opened());
    int resyncs = 0;
    Follow(sub, replica, last_seq_, 3000, &resyncs);
    ASSERT_TRUE(replica.idl()->synced);
    uint64_t syncs_before = replica.idl()->syncs;

    // Thousands of commits while the subscriber reads nothing.
    std::vector<long> stuck = Commit(3000);
    long base_p50 = Percentile(baseline, 0.5), stuck_p50 = Percentile(stuck, 0.5);
    printf("commit latency (us): no subscriber p50 %ld p99 %ld; stuck subscriber p50 %ld p99 "
           "%ld max %ld\n", base_p50, Percentile(baseline, 0.99), stuck_p50,
           Percentile(stuck, 0.99), Percentile(stuck, 1.0));
    EXPECT_LE(stuck_p50, 3 * base_p50 + 2000);
    EXPECT_LE(Percentile(stuck, 0.99), 3 * Percentile(baseline, 0.99) + 20000);

    // Reading again: what was queued, then a gap (or a heartbeat showing it), a resync, and the
    // replica is the database, row by row and version by version.
    resyncs = 0;
    Follow(sub, replica, last_seq_, 5000, &resyncs);
    EXPECT_GE(resyncs, 1);
    EXPECT_GT(replica.idl()->syncs, syncs_before);
    ASSERT_TRUE(replica.idl()->synced);
    MonitorOutcome now = client_->Monitor(requests);
    ASSERT_TRUE(now.ok);
    EXPECT_EQ(replica.idl()->seq, now.seq);
    EXPECT_EQ(replica.Versions("Manager"), Versions(now.updates, "Manager"));
    EXPECT_EQ(replica.Versions("Open_vSwitch"), Versions(now.updates, "Open_vSwitch"));
    const struct vswrec_open_vswitch *root = vswrec_open_vswitch_first(replica.idl());
    ASSERT_NE(root, nullptr);
    EXPECT_STREQ(vswrec_open_vswitch_get_external_ids(root, "vsw-test-n"),
                 std::to_string(next_ - 1).c_str());
}

TEST_F(DbdMonitor, ReplicaSeesRowsOfATableThatWasEmptyAtSync)
{
    Replica replica(rundir_, { &vswrec_table_bridge });
    ASSERT_TRUE(replica.ok());
    Subscriber sub(rundir_);
    Follow(sub, replica, last_seq_, 3000);
    ASSERT_TRUE(replica.idl()->synced);
    uint64_t syncs = replica.idl()->syncs;

    TransactOutcome r = client_->Transact(AddBridgeTxn("br0"));
    ASSERT_TRUE(r.committed);
    Follow(sub, replica, r.seq, 3000);
    EXPECT_EQ(replica.idl()->syncs, syncs) << "the update should apply without a resync";
    const struct vswrec_bridge *br = vswrec_bridge_first(replica.idl());
    ASSERT_NE(br, nullptr);
    EXPECT_EQ(vswrec_bridge_next(replica.idl(), br), nullptr);
    EXPECT_STREQ(br->name, "br0");
}

// A row's columns as sets of element texts, with what readers take as the default (absent,
// the empty set or map, "", 0, false) left out: the replica may hold a modified set in another
// order, or a column set back to its default explicitly, where a snapshot omits it.
std::map<std::string, std::multiset<std::string>> Normalized(const struct json *row)
{
    std::map<std::string, std::multiset<std::string>> columns;
    for (size_t i = 0; i < json_object_size(row); i++) {
        const struct json *value = json_object_value_at(row, i);
        bool collection = json_is_array(value) && json_array_size(value) == 2 &&
                          json_is_string(json_array_at(value, 0)) &&
                          (!strcmp(json_string(json_array_at(value, 0)), "set") ||
                           !strcmp(json_string(json_array_at(value, 0)), "map"));
        std::multiset<std::string> elements;
        auto add = [&](const struct json *e) {
            char *text = json_to_string(e);
            std::string t = text;
            free(text);
            if (t != "\"\"" && t != "0" && t != "false")
                elements.insert(t);
        };
        if (collection) {
            const struct json *list = json_array_at(value, 1);
            for (size_t j = 0; j < json_array_size(list); j++)
                add(json_array_at(list, j));
        } else {
            add(value);
        }
        if (!elements.empty())
            columns[json_object_key_at(row, i)] = elements;
    }
    return columns;
}

// The UUID of the Port named `name`, or "".
std::string PortUuid(DbdClient &c, const std::string &name)
{
    TransactOutcome r = c.Transact("[\"Open_vSwitch\",{\"op\":\"select\",\"table\":\"Port\","
                                   "\"where\":[[\"name\",\"==\",\"" + name + "\"]],"
                                   "\"columns\":[\"_uuid\"]}]");
    JsonPtr result = Parse(r.result);
    const struct json *rows = json_object_get(json_array_at(result.get(), 0), "rows");
    return UuidOf(json_object_get(json_array_at(rows, 0), "_uuid"));
}

// Modified rows travel as differences (a port added to a bridge is one UUID, not the bridge's
// whole port set); a replica that applies them ends equal to a fresh snapshot.
TEST_F(DbdMonitor, ReplicaFollowsRowDifferencesToTheExactState)
{
    Replica replica(rundir_, {});   // every table
    ASSERT_TRUE(replica.ok());
    Subscriber sub(rundir_);
    Follow(sub, replica, last_seq_, 3000);
    ASSERT_TRUE(replica.idl()->synced);
    uint64_t syncs = replica.idl()->syncs;
    ASSERT_TRUE(client_->Transact(AddBridgeTxn("br0")).committed);

    auto add_port = [&](const std::string &name) {
        return client_->Transact(
            "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
            "\"row\":{\"name\":\"" + name + "\"}},{\"op\":\"insert\",\"table\":\"Port\","
            "\"uuid-name\":\"p\",\"row\":{\"name\":\"" + name + "\",\"interfaces\":"
            "[\"named-uuid\",\"i\"]}},{\"op\":\"mutate\",\"table\":\"Bridge\",\"where\":"
            "[[\"name\",\"==\",\"br0\"]],\"mutations\":[[\"ports\",\"insert\",[\"set\","
            "[[\"named-uuid\",\"p\"]]]]]}]");
    };
    auto port_op = [&](const std::string &, const std::string &op) {
        return client_->Transact("[\"Open_vSwitch\"," + op + "]");
    };
    std::mt19937 rng(4242);
    std::vector<std::string> ports;
    uint64_t last = 0;
    for (int step = 0; step < 300; step++) {
        TransactOutcome r;
        std::string p = ports.empty() ? "" : ports[rng() % ports.size()];
        int what = ports.size() < 200 ? 0 : static_cast<int>(rng() % 5);
        if (what == 0) {
            std::string name = "p" + std::to_string(step);
            r = add_port(name);
            ports.push_back(name);
        } else if (what == 1) {   // a map: a key added, changed or removed
            std::string key = "k" + std::to_string(rng() % 3);
            r = port_op(p, rng() % 3 ? "{\"op\":\"mutate\",\"table\":\"Port\",\"where\":"
                                       "[[\"name\",\"==\",\"" + p + "\"]],\"mutations\":"
                                       "[[\"external_ids\",\"delete\",[\"set\",[\"" + key +
                                       "\"]]]]},{\"op\":\"mutate\",\"table\":\"Port\","
                                       "\"where\":[[\"name\",\"==\",\"" + p + "\"]],"
                                       "\"mutations\":[[\"external_ids\",\"insert\",[\"map\","
                                       "[[\"" + key + "\",\"v" + std::to_string(step) + "\"]]]]]}"
                                     : "{\"op\":\"mutate\",\"table\":\"Port\",\"where\":"
                                       "[[\"name\",\"==\",\"" + p + "\"]],\"mutations\":"
                                       "[[\"external_ids\",\"delete\",[\"set\",[\"" + key +
                                       "\"]]]]}");
        } else if (what == 2) {   // a scalar set and cleared
            r = port_op(p, "{\"op\":\"update\",\"table\":\"Port\",\"where\":[[\"name\","
                           "\"==\",\"" + p + "\"]],\"row\":{\"tag\":" +
                           (rng() % 2 ? std::to_string(rng() % 4095) : "[\"set\",[]]") + "}}");
        } else if (what == 3) {   // a port leaves the bridge (and is collected)
            ports.erase(std::find(ports.begin(), ports.end(), p));
            r = port_op(p, "{\"op\":\"mutate\",\"table\":\"Bridge\",\"where\":[[\"name\","
                           "\"==\",\"br0\"]],\"mutations\":[[\"ports\",\"delete\",[\"set\","
                           "[[\"uuid\",\"" + PortUuid(*client_, p) + "\"]]]]]}");
        } else {
            std::string name = "p" + std::to_string(step);
            r = add_port(name);
            ports.push_back(name);
        }
        ASSERT_TRUE(r.Succeeded()) << r.result;
        if (r.committed)
            last = r.seq;
        Follow(sub, replica, last, 3000);
    }
    // Many ports in and out at once: larger differences.
    std::string ops, uuids;
    for (int i = 0; i < 40; i++) {
        std::string n = std::to_string(i);
        ops += ",{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i" + n +
               "\",\"row\":{\"name\":\"bulk" + n + "\"}},{\"op\":\"insert\",\"table\":"
               "\"Port\",\"uuid-name\":\"p" + n + "\",\"row\":{\"name\":\"bulk" + n +
               "\",\"interfaces\":[\"named-uuid\",\"i" + n + "\"]}}";
        uuids += std::string(i ? "," : "") + "[\"named-uuid\",\"p" + n + "\"]";
    }
    for (int i = 0; i < 30; i++)
        uuids += ",[\"uuid\",\"" + PortUuid(*client_, ports[static_cast<size_t>(i)]) + "\"]";
    TransactOutcome bulk = client_->Transact(
        "[\"Open_vSwitch\"" + ops + ",{\"op\":\"mutate\",\"table\":\"Bridge\",\"where\":"
        "[[\"name\",\"==\",\"br0\"]],\"mutations\":[[\"ports\",\"insert\",[\"set\",[" +
        uuids.substr(0, uuids.find(",[\"uuid\"")) + "]]],[\"ports\",\"delete\",[\"set\",[" +
        uuids.substr(uuids.find("[\"uuid\"")) + "]]]]}]");
    ASSERT_TRUE(bulk.committed) << bulk.result;
    Follow(sub, replica, bulk.seq, 3000);
    EXPECT_EQ(replica.idl()->syncs, syncs) << "every update should apply without a resync";
    ASSERT_GE(replica.idl()->seq, bulk.seq);

    MonitorOutcome now = client_->Monitor();
    ASSERT_TRUE(now.ok);
    for (const char *table : { "Open_vSwitch", "Bridge", "Port", "Interface" }) {
        SCOPED_TRACE(table);
        std::map<std::string, std::string> expected = RowsOf(now.updates, table);
        JsonPtr replicated = replica.Rows(table);
        const struct json *rows = replicated.get();
        ASSERT_EQ(json_object_size(rows), expected.size());
        for (const auto &[uuid, text] : expected) {
            const struct json *row = json_object_get(rows, uuid.c_str());
            ASSERT_NE(row, nullptr) << uuid;
            JsonPtr want = Parse(text);
            EXPECT_EQ(Normalized(row), Normalized(want.get())) << uuid;
        }
    }
}

// ==== f. Compaction ====

// Whether the journal at `path` reads back as schema, snapshot, then transactions only.
bool IsCompacted(const std::string &path)
{
    std::vector<JournalRecord> records = ReadJournal(path);
    if (records.size() < 2 || records[0].kind != "schema" || records[1].kind != "snapshot")
        return false;
    for (size_t i = 2; i < records.size(); i++)
        if (records[i].kind != "txn")
            return false;
    const JournalRecord &last = records.back();
    return static_cast<long long>(last.offset + last.size) == FileSize(path);
}

TEST(DbdCompaction, GrownJournalIsCompactedAndRestartGivesTheSameData)
{
    VswInstance vsw;
    std::string rundir = PrepareRundir(vsw);
    DbdProcess dbd(rundir);
    ASSERT_TRUE(dbd.Start());
    DbdClient c(rundir, 5000);
    ASSERT_TRUE(c.Transact(kInsertRoot).Succeeded());
    for (int i = 0; i < 5; i++)
        ASSERT_TRUE(c.Transact(AddBridgeTxn("br" + std::to_string(i))).committed);
    // Rewrite one 16 kB value until the journal passes the threshold (1 MB, and four times its
    // size at open): the database itself stays small. Commits go on while it is compacted.
    std::string blob(16 * 1024, 'v');
    long long largest = 0;
    int commits = 0;
    for (; commits < 1000 && dbd.log().find("journal: compacted") == std::string::npos;
         commits++) {
        blob[0] = static_cast<char>('a' + commits % 26);
        ASSERT_TRUE(c.Transact("[\"Open_vSwitch\",{\"op\":\"update\",\"table\":\"Open_vSwitch\","
                               "\"where\":[],\"row\":{\"other_config\":[\"map\",[[\"blob\",\"" +
                               blob + "\"],[\"i\",\"" + std::to_string(commits) + "\"]]]}}]")
                        .committed);
        largest = std::max(largest, FileSize(dbd.db_path()));
    }
    ASSERT_NE(dbd.log().find("journal: compacted"), std::string::npos) << dbd.log();
    EXPECT_GE(largest, 1024 * 1024);
    EXPECT_LT(largest, 2 * 1024 * 1024);
    EXPECT_LT(FileSize(dbd.db_path()), largest / 4);
    EXPECT_TRUE(IsCompacted(dbd.db_path()));
    EXPECT_TRUE(dbd.Running());
    EXPECT_EQ(FileSize(rundir + "/conf.db.tmp"), -1);

    // Commits go on in the new file; after a SIGKILL everything is back.
    size_t records = ReadJournal(dbd.db_path()).size();
    ASSERT_TRUE(c.Transact(AddBridgeTxn("after")).committed);
    EXPECT_EQ(ReadJournal(dbd.db_path()).size(), records + 1);
    MonitorOutcome expected = c.Monitor();
    dbd.Kill();
    ASSERT_TRUE(dbd.Start());
    DbdClient again(rundir, 5000);
    MonitorOutcome after = again.Monitor();
    ASSERT_TRUE(after.ok);
    JsonPtr a = Parse(expected.updates), b = Parse(after.updates);
    EXPECT_TRUE(json_equal(a.get(), b.get()));
    EXPECT_EQ(RowsOf(after.updates, "Bridge").size(), 6u);
}

// --compact-records bounds the records a damage can cost: the journal is rewritten as a
// snapshot after that many, whatever their size. DBD_COMPACT compacts at once.
TEST(DbdCompaction, RecordCountAndRequestCompactTheJournal)
{
    VswInstance vsw;
    std::string rundir = PrepareRundir(vsw);
    DbdProcess dbd(rundir);
    ASSERT_TRUE(dbd.Start({ "--compact-records", "50" }));
    DbdClient c(rundir, 5000);
    CommitCounters(c, 49);
    EXPECT_EQ(dbd.log().find("journal: compacted"), std::string::npos);
    ASSERT_TRUE(c.Transact(CounterTxn(50)).committed);   // the 51st record since the open
    ASSERT_TRUE(WaitFor([&] { return dbd.log().find("journal: compacted") != std::string::npos; },
                        5000))
        << dbd.log();
    EXPECT_TRUE(IsCompacted(dbd.db_path()));
    EXPECT_LT(ReadJournal(dbd.db_path()).size(), 10u);

    ASSERT_TRUE(c.Transact(CounterTxn(51)).committed);
    uint64_t before = 0, after = 0;
    EXPECT_EQ(c.Compact(&before, &after), "");
    EXPECT_GT(before, after);
    EXPECT_EQ(static_cast<long long>(after), FileSize(dbd.db_path()));
    EXPECT_EQ(ReadJournal(dbd.db_path()).size(), 2u);
    dbd.Kill();
    ASSERT_TRUE(dbd.Start());
    DbdClient again(rundir, 5000);
    ExpectCounterState(again, 51);
}

}  // namespace
