// ovsdb/db references and records: garbage collection, strong and weak references, change
// records that replay to the same state, snapshots, monitor snapshots, schema conversion.
#include "tests/unit/db_test_util.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using dbtest::DbTest;
using dbtest::InsertedUuid;
using dbtest::ReplyElement;
using dbtest::ReplyError;
using dbtest::Snapshot;
using dbtest::Transact;
using dbtest::TxnResult;

class Gc : public DbTest {};

TEST_F(Gc, UnreferencedRowsAreCollectedTransitively)
{
    InitWithBridge();
    AddPort("p1");
    AddPort("p2");
    EXPECT_EQ(Rows("Port"), 2u);
    EXPECT_EQ(Rows("Interface"), 2u);
    TxnResult r = MustRun(R"({"op":"update","table":"Open_vSwitch","where":[],
                              "row":{"bridges":["set",[]]}})");
    EXPECT_EQ(Rows("Bridge"), 0u);
    EXPECT_EQ(Rows("Port"), 0u);
    EXPECT_EQ(Rows("Interface"), 0u);
    // The record lists every collected row, so a replica needs no GC logic of its own.
    json *record = json_parse(r.commit.data(), r.commit.size(), nullptr);
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(json_object_size(json_object_get(record, "Port")), 2u);
    EXPECT_EQ(json_object_size(json_object_get(record, "Interface")), 2u);
    EXPECT_TRUE(json_is_null(json_object_value_at(json_object_get(record, "Bridge"), 0)));
    json_free(record);
}

TEST_F(Gc, RowsInsertedWithoutReferencesVanish)
{
    InitWithBridge();
    std::string before = Snapshot(db_);
    TxnResult r = MustRun(R"({"op":"insert","table":"Interface","uuid-name":"i","row":{"name":"x"}},
                             {"op":"insert","table":"Port","row":{"name":"x",
                              "interfaces":["named-uuid","i"]}})");
    EXPECT_FALSE(r.has_commit);   // nothing survives: nothing changed
    EXPECT_EQ(Snapshot(db_), before);
}

TEST_F(Gc, SharedRowSurvivesWhileReferenced)
{
    InitWithBridge();
    MustRun(R"({"op":"insert","table":"Controller","uuid-name":"c",
                "row":{"target":"tcp:127.1.1.1"}},
               {"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"br1",
                "controller":["named-uuid","c"]}},
               {"op":"mutate","table":"Bridge","where":[["name","==","br0"]],
                "mutations":[["controller","insert",["named-uuid","c"]]]},
               {"op":"mutate","table":"Open_vSwitch","where":[],
                "mutations":[["bridges","insert",["named-uuid","b"]]]})");
    EXPECT_EQ(Rows("Controller"), 1u);
    MustRun(R"({"op":"update","table":"Bridge","where":[["name","==","br0"]],
                "row":{"controller":["set",[]]}})");
    EXPECT_EQ(Rows("Controller"), 1u);
    MustRun(R"({"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges","delete",
                ["set",[["uuid",")" + br0_ + R"("]]]]]})");
    EXPECT_EQ(Rows("Bridge"), 1u);
    EXPECT_EQ(Rows("Controller"), 1u);
    MustRun(R"({"op":"update","table":"Open_vSwitch","where":[],"row":{"bridges":["set",[]]}})");
    EXPECT_EQ(Rows("Bridge"), 0u);
    EXPECT_EQ(Rows("Controller"), 0u);
}

TEST_F(Gc, StrongReferencesMustPointAtRows)
{
    InitWithBridge();
    MustFail(R"({"op":"mutate","table":"Bridge","where":[],"mutations":[["ports","insert",
                 ["uuid","11111111-2222-4333-8444-555555555555"]]]})",
             "referential integrity violation: table Bridge column ports row " + br0_ +
                 " references nonexistent row 11111111-2222-4333-8444-555555555555 in table Port");
    // A UUID of a row in another table is no reference to this one.
    MustFail(R"({"op":"mutate","table":"Bridge","where":[],"mutations":[["ports","insert",
                 ["uuid",")" + br0_ + R"("]]]})",
             "referential integrity violation: table Bridge column ports row " + br0_ +
                 " references nonexistent row " + br0_ + " in table Port");
    // A row deleted in the same transaction.
    std::string p1 = AddPort("p1");
    MustFail(R"({"op":"mutate","table":"Bridge","where":[],"mutations":[["ports","delete",
                 ["uuid",")" + p1 + R"("]]]},
                {"op":"delete","table":"Port","where":[]},
                {"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"br1",
                 "ports":["uuid",")" + p1 + R"("]}},
                {"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges",
                 "insert",["named-uuid","b"]]]})",
             "referential integrity violation: table Bridge column ports row");
    // A required reference left at its default.
    MustFail(R"({"op":"insert","table":"Port","uuid-name":"p","row":{"name":"p9"}},
                {"op":"mutate","table":"Bridge","where":[],"mutations":[["ports","insert",
                 ["named-uuid","p"]]]})",
             "referential integrity violation: table Port column interfaces row");
}

TEST_F(Gc, DeletingABridgeAndItsPortsTogether)
{
    InitWithBridge();
    AddPort("p1");
    MustRun(R"({"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges","delete",
                ["uuid",")" + br0_ + R"("]]]},
               {"op":"delete","table":"Bridge","where":[]},
               {"op":"delete","table":"Port","where":[]})");
    EXPECT_EQ(Rows("Bridge"), 0u);
    EXPECT_EQ(Rows("Port"), 0u);
    EXPECT_EQ(Rows("Interface"), 0u);
}

TEST_F(Gc, WeakReferencesToDeletedRowsAreRemoved)
{
    InitWithBridge();
    std::string p1 = AddPort("p1"), p2 = AddPort("p2");
    MustRun(R"({"op":"insert","table":"Mirror","uuid-name":"m","row":{"name":"m0",
                "select_src_port":["set",[["uuid",")" + p1 + R"("],["uuid",")" + p2 + R"("]]],
                "output_port":["uuid",")" + p2 + R"("]}},
               {"op":"mutate","table":"Bridge","where":[],"mutations":[["mirrors","insert",
                ["named-uuid","m"]]]})");
    // Deleting p2 (by dropping it from the bridge: garbage collection) updates the mirror,
    // which the transaction never mentioned.
    TxnResult r = MustRun(R"({"op":"mutate","table":"Bridge","where":[],"mutations":[["ports",
                              "delete",["uuid",")" + p2 + R"("]]]})");
    EXPECT_EQ(Select("Mirror", "[]", R"(["select_src_port","output_port"])"),
              R"({"rows":[{"select_src_port":["uuid",")" + p1 + R"("],"output_port":["set",[]]}]})");
    EXPECT_NE(r.commit.find("\"Mirror\""), std::string::npos) << r.commit;
    // The weak reference index follows the change: deleting p1 empties the mirror too.
    MustRun(R"({"op":"mutate","table":"Bridge","where":[],"mutations":[["ports","delete",
                ["uuid",")" + p1 + R"("]]]})");
    EXPECT_EQ(Select("Mirror", "[]", R"(["select_src_port"])"),
              R"({"rows":[{"select_src_port":["set",[]]}]})");
}

TEST_F(Gc, WeakReferencesToMissingRowsAreDroppedSilently)
{
    InitWithBridge();
    std::string p1 = AddPort("p1");
    TxnResult r = MustRun(
        R"({"op":"insert","table":"Mirror","uuid-name":"m","row":{"name":"m0",
            "select_dst_port":["set",[["uuid",")" + p1 + R"("],
                                      ["uuid","99999999-9999-4999-8999-999999999999"]]]}},
           {"op":"mutate","table":"Bridge","where":[],"mutations":[["mirrors","insert",
            ["named-uuid","m"]]]})");
    EXPECT_EQ(Select("Mirror", "[]", R"(["select_dst_port"])"),
              R"({"rows":[{"select_dst_port":["uuid",")" + p1 + R"("]}]})");
    EXPECT_EQ(r.commit.find("99999999"), std::string::npos);
}

TEST_F(Gc, WeakRemovalBelowMinimumFails)
{
    std::string text = R"({"name":"W","version":"1.0.0","tables":{
        "root":{"isRoot":true,"columns":{
            "target":{"type":{"key":{"type":"uuid","refTable":"target"},"min":0,"max":"unlimited"}},
            "watch":{"type":{"key":{"type":"uuid","refTable":"target","refType":"weak"},
                             "min":1,"max":2}}}},
        "target":{"columns":{"n":{"type":"integer"}}}}})";
    db_schema *schema = dbtest::LoadSchema(text);
    ASSERT_NE(schema, nullptr);
    db *d = db_create(schema);
    TxnResult r = Transact(d, R"(["W",{"op":"insert","table":"target","uuid-name":"t","row":{"n":1}},
        {"op":"insert","table":"root","row":{"target":["named-uuid","t"],"watch":["named-uuid","t"]}}])");
    ASSERT_EQ(r.rc, 0) << r.reply;
    std::string before = Snapshot(d);
    r = Transact(d, R"(["W",{"op":"update","table":"root","where":[],"row":{"target":["set",[]]}}])");
    EXPECT_EQ(r.rc, -1);
    EXPECT_NE(ReplyError(r.reply).find("constraint violation: removing 1 weak reference(s) to "
                                       "deleted or nonexistent rows left column watch of root"),
              std::string::npos)
        << r.reply;
    EXPECT_EQ(Snapshot(d), before);
    db_destroy(d);
    db_schema_free(schema);
}

TEST_F(Gc, MapValuesHoldReferencesToo)
{
    std::string text = R"({"name":"M","version":"1.0.0","tables":{
        "root":{"isRoot":true,"columns":{
            "queues":{"type":{"key":"integer","value":{"type":"uuid","refTable":"q"},
                              "min":0,"max":"unlimited"}}}},
        "q":{"columns":{"n":{"type":"integer"}}}}})";
    db_schema *schema = dbtest::LoadSchema(text);
    ASSERT_NE(schema, nullptr);
    db *d = db_create(schema);
    TxnResult r = Transact(d, R"(["M",{"op":"insert","table":"q","uuid-name":"a","row":{"n":1}},
        {"op":"insert","table":"root","row":{"queues":["map",[[1,["named-uuid","a"]],
                                                             [2,["named-uuid","a"]]]]}}])");
    ASSERT_EQ(r.rc, 0) << r.reply;
    EXPECT_EQ(db_count_rows(d, "q"), 1u);
    // One of two references gone: the row stays.
    r = Transact(d, R"(["M",{"op":"mutate","table":"root","where":[],"mutations":[["queues",
        "delete",["set",[1]]]]}])");
    ASSERT_EQ(r.rc, 0) << r.reply;
    EXPECT_EQ(db_count_rows(d, "q"), 1u);
    r = Transact(d, R"(["M",{"op":"mutate","table":"root","where":[],"mutations":[["queues",
        "delete",["set",[2]]]]}])");
    ASSERT_EQ(r.rc, 0) << r.reply;
    EXPECT_EQ(db_count_rows(d, "q"), 0u);
    db_destroy(d);
    db_schema_free(schema);
}

// ---- change records and replay ----

class Replay : public DbTest {
  protected:
    void SetUp() override
    {
        DbTest::SetUp();
        replica_ = db_create(schema_);
    }
    void TearDown() override
    {
        db_destroy(replica_);
        DbTest::TearDown();
    }

    void MustReplay(db *d, const char *record)
    {
        char *error = nullptr;
        EXPECT_EQ(db_replay(d, record, strlen(record), &error), 0)
            << (error ? error : "") << "\nrecord: " << record;
        free(error);
    }

    // Runs ops on the primary and replays the record (if any) on the replica. On the primary,
    // the commit's undo record must take it back exactly (versions included) and the record
    // forward again.
    TxnResult RunBoth(const std::string &ops)
    {
        std::string params = "[\"Open_vSwitch\"," + ops + "]", before = Snapshot(db_);
        char *reply = nullptr;
        db_commit c;
        TxnResult r;
        r.rc = db_transact_undoable(db_, params.data(), params.size(), &reply, &c, nullptr);
        r.reply = reply;
        r.has_commit = c.record != nullptr;
        r.commit = c.record ? c.record : "";
        free(reply);
        if (r.has_commit) {
            EXPECT_EQ(r.rc, 0);
            MustReplay(replica_, c.record);
            std::string after = Snapshot(db_);
            MustReplay(db_, c.undo);
            EXPECT_EQ(Snapshot(db_), before) << "undo: " << c.undo;
            MustReplay(db_, c.record);
            EXPECT_EQ(Snapshot(db_), after) << "redo: " << c.record;
        } else {
            EXPECT_EQ(c.undo, nullptr);
        }
        free(c.record);
        free(c.undo);
        free(c.comment);
        return r;
    }

    db *replica_ = nullptr;
};

TEST_F(Replay, RandomTransactionsReplayToTheSameState)
{
    std::mt19937 rng(20240601);
    RunBoth(R"({"op":"insert","table":"Open_vSwitch","row":{"next_cfg":0}})");
    std::vector<std::string> bridges, ports;
    int serial = 0, committed = 0, failed = 0, collected = 0, weak_removed = 0;
    auto pick = [&rng](const std::vector<std::string> &v) { return v[rng() % v.size()]; };
    for (int step = 0; step < 1500; step++) {
        std::string ops;
        switch (rng() % 10) {
        case 0: {   // add a bridge (sometimes a duplicate name: fails)
            std::string name = "br" + std::to_string(rng() % 6);
            ops = R"({"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":")" + name +
                  R"(","external_ids":["map",[["n",")" + std::to_string(serial++) + R"("]]]}},
                   {"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges",
                    "insert",["named-uuid","b"]],["next_cfg","+=",1]]})";
            bridges.push_back(name);
            break;
        }
        case 1:   // delete a bridge: collects its ports, interfaces, mirrors
            if (bridges.empty())
                continue;
            ops = R"({"op":"select","table":"Bridge","where":[["name","==",")" + pick(bridges) +
                  R"("]]},{"op":"update","table":"Open_vSwitch","where":[],"row":{"bridges":)"
                  R"(["set",[]]}})";
            if (rng() % 2)   // or just one of them
                ops = R"({"op":"delete","table":"Bridge","where":[["name","==",")" +
                      pick(bridges) + R"("]]})";   // fails: referenced
            break;
        case 2:
        case 3:
        case 4: {   // add a port with an interface
            if (bridges.empty())
                continue;
            std::string name = "p" + std::to_string(rng() % 40);
            ops = R"({"op":"insert","table":"Interface","uuid-name":"i","row":{"name":")" + name +
                  R"(","type":"internal"}},{"op":"insert","table":"Port","uuid-name":"p",)"
                  R"("row":{"name":")" + name + R"(","interfaces":["named-uuid","i"],"tag":)" +
                  std::to_string(rng() % 4095) + R"(}},{"op":"mutate","table":"Bridge",)"
                  R"("where":[["name","==",")" + pick(bridges) + R"("]],"mutations":[["ports",)"
                  R"("insert",["named-uuid","p"]]]})";
            ports.push_back(name);
            break;
        }
        case 5: {   // delete a port by name, through its bridge
            if (ports.empty())
                continue;
            std::string name = pick(ports);
            ops = R"({"op":"select","table":"Port","where":[["name","==",")" + name + R"("]]},)"
                  R"({"op":"delete","table":"Interface","where":[["name","==",")" + name +
                  R"("]]})";   // fails while referenced: exercises rollback
            break;
        }
        case 6:   // change values
            if (ports.empty())
                continue;
            ops = R"({"op":"mutate","table":"Port","where":[["name","==",")" + pick(ports) +
                  R"("]],"mutations":[["trunks","insert",["set",[)" +
                  std::to_string(rng() % 4096) + R"(]]],["other_config","insert",["map",[["k)" +
                  std::to_string(rng() % 5) + R"(","v"]]]]]})";
            break;
        case 7:   // a mirror watching ports weakly
            if (bridges.empty() || ports.empty())
                continue;
            ops = R"({"op":"select","table":"Port","where":[["name","==",")" + pick(ports) +
                  R"("]]})";
            {
                TxnResult sel = Run(ops);
                std::string row = ReplyElement(sel.reply, 0);
                size_t at = row.find("\"_uuid\":[\"uuid\",\"");
                if (at == std::string::npos)
                    continue;
                std::string uuid = row.substr(at + 17, 36);
                ops = R"({"op":"insert","table":"Mirror","uuid-name":"m","row":{"name":"m",)"
                      R"("select_src_port":["uuid",")" + uuid + R"("],"output_port":["uuid",")" +
                      uuid + R"("]}},{"op":"mutate","table":"Bridge","where":[["name","==",")" +
                      pick(bridges) + R"("]],"mutations":[["mirrors","insert",["named-uuid","m"]]]})";
            }
            break;
        case 8: {   // remove a random port from every bridge: GC and weak reference removal
            if (ports.empty())
                continue;
            TxnResult sel = Run(R"({"op":"select","table":"Port","where":[["name","==",")" +
                                pick(ports) + R"("]],"columns":["_uuid"]})");
            std::string row = ReplyElement(sel.reply, 0);
            size_t at = row.find("[\"uuid\"");
            if (at == std::string::npos)
                continue;
            ops = R"({"op":"mutate","table":"Bridge","where":[],"mutations":[["ports","delete",)" +
                  row.substr(at, 47) + "]]}";
            break;
        }
        default:   // cur_cfg catches up
            ops = R"({"op":"update","table":"Open_vSwitch","where":[],"row":{"cur_cfg":)" +
                  std::to_string(step) + "}}";
        }
        TxnResult r = RunBoth(ops);
        committed += r.has_commit;
        failed += r.rc != 0;
        collected += r.commit.find(":null") != std::string::npos;
        weak_removed += r.has_commit && r.commit.find("\"Mirror\"") != std::string::npos &&
                        ops.find("Mirror") == std::string::npos;
        ASSERT_EQ(Snapshot(replica_), Snapshot(db_)) << "diverged at step " << step << ": " << ops;
    }
    printf("%d committed, %d failed, %d with deletions, %d with weak references removed\n",
           committed, failed, collected, weak_removed);
    EXPECT_GT(committed, 100);
    EXPECT_GT(failed, 10);
    EXPECT_GT(collected, 10);
    EXPECT_GT(weak_removed, 0);
}

// Random damage to valid transactions: whatever happens, a failed transaction changes nothing,
// a successful one changes the replica identically, and nothing crashes.
TEST_F(Replay, FuzzedTransactionsNeverCorruptTheDatabase)
{
    InitWithBridge();
    AddPort("p1", "br0", R"(,"tag":1)");
    char *snapshot = db_snapshot(db_);
    ASSERT_EQ(db_replay(replica_, snapshot, strlen(snapshot), nullptr), 0);
    free(snapshot);
    const std::string seeds[] = {
        R"(["Open_vSwitch",{"op":"insert","table":"Interface","uuid-name":"i","row":{"name":"x",)"
        R"("options":["map",[["a","b"]]]}},{"op":"insert","table":"Port","uuid-name":"p",)"
        R"("row":{"name":"x","interfaces":["named-uuid","i"],"trunks":["set",[1,2]]}},)"
        R"({"op":"mutate","table":"Bridge","where":[["name","==","br0"]],"mutations":[["ports",)"
        R"("insert",["named-uuid","p"]]]}])",
        R"(["Open_vSwitch",{"op":"mutate","table":"Port","where":[["tag","<",100]],)"
        R"("mutations":[["tag","+=",1],["other_config","insert",["map",[["k","v"]]]]]},)"
        R"({"op":"update","table":"Bridge","where":[],"row":{"fail_mode":"secure"}}])",
        R"(["Open_vSwitch",{"op":"delete","table":"Port","where":[["name","==","p1"]]},)"
        R"({"op":"update","table":"Bridge","where":[],"row":{"ports":["set",[]]}},)"
        R"({"op":"wait","table":"Bridge","where":[],"columns":["name"],"until":"==",)"
        R"("rows":[{"name":"br0"}]}])",
    };
    const std::string alphabet = "{}[],:\"0123456789-.eEtrufalsn ~ÿ";
    std::mt19937 rng(4242);
    int committed = 0;
    for (int i = 0; i < 3000; i++) {
        std::string text = seeds[rng() % 3];
        for (int e = 1 + rng() % 3; e > 0; e--) {
            size_t pos = rng() % text.size();
            switch (rng() % 4) {
            case 0: text[pos] = alphabet[rng() % alphabet.size()]; break;
            case 1: text.erase(pos, 1); break;
            case 2: text.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
            default: text.erase(pos, rng() % 20); break;
            }
        }
        std::string before = Snapshot(db_);
        TxnResult r = Transact(db_, text);
        if (r.rc != 0) {
            ASSERT_EQ(Snapshot(db_), before) << text;
            ASSERT_FALSE(r.has_commit);
            continue;
        }
        if (r.has_commit) {
            committed++;
            char *error = nullptr;
            ASSERT_EQ(db_replay(replica_, r.commit.data(), r.commit.size(), &error), 0)
                << error << "\n" << text;
        }
        ASSERT_EQ(Snapshot(replica_), Snapshot(db_)) << text;
    }
    EXPECT_GT(committed, 0);
}

// Random damage to a valid snapshot: replay either applies it whole or rejects it whole.
TEST_F(Replay, FuzzedRecordsAreAllOrNothing)
{
    InitWithBridge();
    AddPort("p1", "br0", R"(,"tag":1,"other_config":["map",[["a","b"]]])");
    AddPort("p2");
    std::string good = Snapshot(db_);
    std::mt19937 rng(777);
    const std::string alphabet = "{}[],:\"0123456789abcdef-\\n ";
    for (int i = 0; i < 2000; i++) {
        std::string text = good;
        for (int e = 1 + rng() % 3; e > 0; e--) {
            size_t pos = rng() % text.size();
            if (rng() % 2)
                text[pos] = alphabet[rng() % alphabet.size()];
            else
                text.erase(pos, 1 + rng() % 8);
        }
        db *target = db_create(schema_);
        char *error = nullptr;
        int rc = db_replay(target, text.data(), text.size(), &error);
        if (rc != 0) {
            ASSERT_NE(error, nullptr);
            ASSERT_EQ(Snapshot(target), "{}") << text;
        }
        free(error);
        db_destroy(target);
    }
}

TEST_F(Replay, SnapshotRecreatesTheDatabase)
{
    InitWithBridge();
    AddPort("p1", "br0", R"(,"tag":5,"other_config":["map",[["a","b"]]])");
    AddPort("p2");
    std::string snapshot = Snapshot(db_);
    char *error = nullptr;
    ASSERT_EQ(db_replay(replica_, snapshot.data(), snapshot.size(), &error), 0) << error;
    EXPECT_EQ(Snapshot(replica_), snapshot);
    // _version is preserved, so a client comparing versions sees no change.
    EXPECT_NE(snapshot.find("_version"), std::string::npos);
    // Replaying a snapshot over the same state changes nothing.
    ASSERT_EQ(db_replay(replica_, snapshot.data(), snapshot.size(), &error), 0) << error;
    EXPECT_EQ(Snapshot(replica_), snapshot);
}

TEST_F(Replay, CorruptRecordsAreRejectedWithoutChange)
{
    InitWithBridge();
    std::string p1 = AddPort("p1");
    std::string snapshot = Snapshot(db_);
    ASSERT_EQ(db_replay(replica_, snapshot.data(), snapshot.size(), nullptr), 0);
    struct Case {
        std::string record, error;
    } cases[] = {
        { "{\"Port\":", "change record is not valid JSON: expected a value" },
        { "[]", "syntax error: a change record must be a JSON object" },
        { "{\"Nope\":{}}", "unknown table: no table Nope in the schema" },
        { "{\"Port\":[]}", "syntax error: table Port: rows must be an object" },
        { "{\"Port\":{\"xyz\":null}}", "syntax error: \"xyz\" is not a valid UUID" },
        { "{\"Port\":{\"11111111-2222-4333-8444-555555555555\":null}}",
          "referential integrity violation: record deletes row 11111111-2222-4333-8444-"
          "555555555555, which is not in table Port" },
        { "{\"Port\":{\"" + p1 + "\":null}}",
          "referential integrity violation: cannot delete Port row " + p1 },
        { "{\"Port\":{\"" + p1 + "\":{\"name\":\"p1\",\"tag\":99999}}}",
          "constraint violation: table Port row " + p1 + ": column tag: 99999 is not in" },
        { "{\"Port\":{\"" + p1 + "\":{\"name\":\"p1\",\"nope\":1}}}",
          "unknown column: table Port row " + p1 + ": no column nope in table Port" },
        { "{\"Port\":{\"" + p1 + "\":{\"name\":\"p1\",\"interfaces\":[\"named-uuid\",\"x\"]}}}",
          "syntax error: table Port row " + p1 + ": column interfaces: named-uuid \"x\" is not "
          "allowed here" },
        { "{\"Port\":{\"" + p1 + "\":{\"name\":\"p1\",\"interfaces\":[\"uuid\",\"" + p1 +
              "\"]}}}",
          "referential integrity violation: table Port column interfaces row " + p1 },
        { "{\"Port\":{\"" + p1 + "\":{\"name\":\"p1\"}}}",
          "referential integrity violation: table Port column interfaces row " + p1 },
        { "{\"Bridge\":{\"" + br0_ + "\":{\"name\":\"p1\"}},\"Open_vSwitch\":{\"" + ovs_ +
              "\":{\"bridges\":[\"uuid\",\"" + br0_ + "\"]}}}",
          "" },   // valid: drops the bridge's ports (collected), renames it
    };
    for (const Case &c : cases) {
        char *error = nullptr;
        int rc = db_replay(replica_, c.record.data(), c.record.size(), &error);
        if (c.error.empty()) {
            EXPECT_EQ(rc, 0) << c.record << ": " << (error ? error : "");
            free(error);
            continue;
        }
        EXPECT_EQ(rc, -1) << c.record;
        ASSERT_NE(error, nullptr) << c.record;
        EXPECT_EQ(std::string(error).substr(0, c.error.size()), c.error) << c.record;
        free(error);
        EXPECT_EQ(Snapshot(replica_), snapshot) << c.record;
    }
    EXPECT_EQ(db_count_rows(replica_, "Bridge"), 1u);
    EXPECT_EQ(db_count_rows(replica_, "Port"), 0u);
}

TEST_F(Replay, MonitorSnapshot)
{
    InitWithBridge();
    AddPort("p1", "br0", R"(,"tag":7)");
    char *error = nullptr;
    const char *req = R"({"Port":{"columns":["name","tag"]},"Bridge":[{"columns":["name"]},
                         {"columns":["fail_mode"]}],"Interface":{"select":{"initial":false}},
                         "Controller":{}})";
    char *updates = db_monitor_snapshot(db_, req, strlen(req), &error);
    ASSERT_NE(updates, nullptr) << error;
    json *j = json_parse(updates, strlen(updates), nullptr);
    ASSERT_NE(j, nullptr);
    EXPECT_EQ(json_object_size(j), 2u) << updates;   // Interface: initial off; Controller empty
    json *port = json_object_value_at(json_object_get(j, "Port"), 0);
    char *row = json_to_string(json_object_get(port, "new"));
    EXPECT_STREQ(row, "{\"name\":\"p1\",\"tag\":7}");
    free(row);
    json *bridge = json_object_value_at(json_object_get(j, "Bridge"), 0);
    row = json_to_string(json_object_get(bridge, "new"));
    EXPECT_STREQ(row, "{\"fail_mode\":[\"set\",[]],\"name\":\"br0\"}");
    free(row);
    json_free(j);
    free(updates);

    // Without "columns": every column but _uuid.
    req = R"({"Open_vSwitch":{}})";
    updates = db_monitor_snapshot(db_, req, strlen(req), &error);
    ASSERT_NE(updates, nullptr);
    EXPECT_EQ(std::string(updates).find("_uuid"), std::string::npos);
    EXPECT_NE(std::string(updates).find("\"_version\""), std::string::npos);
    EXPECT_NE(std::string(updates).find("\"bridges\""), std::string::npos);
    free(updates);

    const char *bad[][2] = {
        { "{\"Nope\":{}}", "unknown table: no table Nope in the schema" },
        { "{\"Port\":{\"columns\":[\"nope\"]}}",
          "unknown column: table Port: no column nope in table Port" },
        { "{\"Port\":{\"where\":[]}}",
          "syntax error: table Port: unknown member \"where\" in monitor request" },
        { "[", "monitor requests are not valid JSON" },
    };
    for (auto &b : bad) {
        error = nullptr;
        EXPECT_EQ(db_monitor_snapshot(db_, b[0], strlen(b[0]), &error), nullptr);
        ASSERT_NE(error, nullptr);
        EXPECT_EQ(std::string(error).substr(0, strlen(b[1])), b[1]);
        free(error);
    }
}

TEST_F(Replay, ConvertFromAnOlderSchema)
{
    // "Version 0.9.0" of the schema: Bridge has a column that later vanished, lacks
    // stp_enable, and there is a table the new schema does not have.
    std::string old_text = R"({"name":"Open_vSwitch","version":"0.9.0","tables":{
        "Open_vSwitch":{"isRoot":true,"maxRows":1,"columns":{
            "bridges":{"type":{"key":{"type":"uuid","refTable":"Bridge"},"min":0,"max":"unlimited"}},
            "next_cfg":{"type":"integer"}}},
        "Bridge":{"indexes":[["name"]],"columns":{
            "name":{"type":"string"},
            "legacy":{"type":"string"},
            "fail_mode":{"type":{"key":"string","min":0,"max":1}}}},
        "Gone":{"isRoot":true,"columns":{"x":{"type":"integer"}}}}})";
    db_schema *old_schema = dbtest::LoadSchema(old_text);
    ASSERT_NE(old_schema, nullptr);
    db *old_db = db_create(old_schema);
    TxnResult r = Transact(old_db, R"(["Open_vSwitch",
        {"op":"insert","table":"Open_vSwitch","row":{"next_cfg":4,"bridges":["named-uuid","b"]}},
        {"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"br0","legacy":"x",
         "fail_mode":"secure"}},
        {"op":"insert","table":"Gone","row":{"x":1}}])");
    ASSERT_EQ(r.rc, 0) << r.reply;
    std::string bridge_uuid = InsertedUuid(r.reply, 1);

    char *error = nullptr;
    ASSERT_EQ(db_convert(db_, old_db, &error), 0) << error;
    EXPECT_EQ(Rows("Bridge"), 1u);
    EXPECT_EQ(Select("Bridge", "[]", R"(["_uuid","name","fail_mode","stp_enable"])"),
              R"({"rows":[{"_uuid":["uuid",")" + bridge_uuid +
                  R"("],"name":"br0","fail_mode":"secure","stp_enable":false}]})");
    EXPECT_EQ(Select("Open_vSwitch", "[]", R"(["next_cfg"])"), R"({"rows":[{"next_cfg":4}]})");

    // A value the new schema forbids makes the conversion fail, leaving the target empty.
    r = Transact(old_db, R"(["Open_vSwitch",{"op":"update","table":"Bridge","where":[],
        "row":{"fail_mode":"open"}}])");
    ASSERT_EQ(r.rc, 0) << r.reply;
    db *target = db_create(schema_);
    EXPECT_EQ(db_convert(target, old_db, &error), -1);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(std::string(error).substr(0, 43), "converting from schema version 0.9.0 to 1.1");
    EXPECT_NE(std::string(error).find("\"open\" is not one of the allowed values"),
              std::string::npos)
        << error;
    free(error);
    EXPECT_EQ(Snapshot(target), "{}");
    db_destroy(target);
    db_destroy(old_db);
    db_schema_free(old_schema);
}

}  // namespace

// A modified row is recorded as what changed: a port added to a bridge of 300 costs one UUID
// in the record, not the bridge's whole port set; replay gives the same state.
TEST_F(Replay, ModifiedRowIsRecordedAsItsDifference)
{
    RunBoth(R"({"op":"insert","table":"Open_vSwitch","uuid-name":"o","row":{}},
               {"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"br0"}},
               {"op":"mutate","table":"Open_vSwitch","where":[],
                "mutations":[["bridges","insert",["named-uuid","b"]]]})");
    for (int i = 0; i < 300; i++) {
        std::string n = "p" + std::to_string(i);
        RunBoth(R"({"op":"insert","table":"Interface","uuid-name":"i","row":{"name":")" + n +
                R"("}},{"op":"insert","table":"Port","uuid-name":"p","row":{"name":")" + n +
                R"(","interfaces":["named-uuid","i"]}},{"op":"mutate","table":"Bridge",
                "where":[["name","==","br0"]],"mutations":[["ports","insert",
                ["named-uuid","p"]]]})");
    }
    TxnResult r = RunBoth(R"({"op":"insert","table":"Interface","uuid-name":"i","row":{"name":
        "last"}},{"op":"insert","table":"Port","uuid-name":"p","row":{"name":"last",
        "interfaces":["named-uuid","i"]}},{"op":"mutate","table":"Bridge","where":[["name","==",
        "br0"]],"mutations":[["ports","insert",["named-uuid","p"]]]})");
    ASSERT_TRUE(r.has_commit);
    EXPECT_LT(r.commit.size(), 1024u) << r.commit;
    EXPECT_NE(r.commit.find("[\"modify\",{\"_version\":"), std::string::npos) << r.commit;
    EXPECT_EQ(Snapshot(replica_), Snapshot(db_));

    // A map: one key added, one changed, one removed; a scalar; an optional value cleared.
    RunBoth(R"({"op":"update","table":"Bridge","where":[],"row":{"external_ids":["map",
               [["a","1"],["b","2"],["c","3"]]],"fail_mode":"secure"}})");
    r = RunBoth(R"({"op":"update","table":"Bridge","where":[],"row":{"external_ids":["map",
                   [["a","1"],["b","9"],["d","4"]]],"fail_mode":["set",[]]}})");
    ASSERT_TRUE(r.has_commit);
    EXPECT_NE(r.commit.find(R"({"fail_mode":["set",[]],"_version":)"), std::string::npos)
        << r.commit;
    EXPECT_NE(r.commit.find(R"({"external_ids":["map",[["b","9"],["c","3"],["d","4"]]]})"),
              std::string::npos) << r.commit;
    EXPECT_EQ(Snapshot(replica_), Snapshot(db_));
}

TEST_F(Replay, MalformedModificationsAreRejectedWithoutChange)
{
    InitWithBridge();
    std::string p1 = AddPort("p1");
    std::string snapshot = Snapshot(db_);
    ASSERT_EQ(db_replay(replica_, snapshot.data(), snapshot.size(), nullptr), 0);
    std::string iface = Select("Interface", "[]", "[\"_uuid\"]");
    iface = iface.substr(iface.find("\"uuid\",\"") + 8, 36);
    struct Case {
        std::string change, error;
    } cases[] = {
        { R"(["modify",{}])", "syntax error: table Port row " + p1 + ": a row change must be" },
        { R"(["replace",{},{}])", "syntax error: table Port row " + p1 },
        { R"(["modify",{"tag":1},[]])", "syntax error: table Port row " + p1 },
        { R"(["modify",{},{"tag":["set",[1]]}])",
          "unknown column: table Port row " + p1 + ": no set or map column tag in table Port" },
        { R"(["modify",{"nope":1},{}])", "unknown column: table Port row " + p1 },
        { R"(["modify",{"tag":99999},{}])", "constraint violation: table Port row " + p1 },
        { R"(["modify",{},{"trunks":["set",["x"]]}])", "syntax error: table Port row " + p1 },
        // Toggling the only interface away leaves the port with none (at least one required).
        { R"(["modify",{},{"interfaces":["set",[["uuid",")" + iface + R"("]]]}])", "" },
    };
    for (const Case &c : cases) {
        std::string record = "{\"Port\":{\"" + p1 + "\":" + c.change + "}}";
        char *error = nullptr;
        EXPECT_EQ(db_replay(replica_, record.data(), record.size(), &error), -1) << record;
        ASSERT_NE(error, nullptr) << record;
        EXPECT_EQ(std::string(error).substr(0, c.error.size()), c.error) << record;
        free(error);
        EXPECT_EQ(Snapshot(replica_), snapshot) << record;
    }
    std::string missing = "{\"Port\":{\"11111111-2222-4333-8444-555555555555\":"
                          "[\"modify\",{},{}]}}";
    char *error = nullptr;
    EXPECT_EQ(db_replay(replica_, missing.data(), missing.size(), &error), -1);
    EXPECT_STREQ(error, "referential integrity violation: record modifies row "
                        "11111111-2222-4333-8444-555555555555, which is not in table Port");
    free(error);
    EXPECT_EQ(Snapshot(replica_), snapshot);
}

// A commit reports its comments (what vsw-dbd writes into its journal beside the record), and
// db_replay() reads a record annotated by a journal ("_date", "_comment") as the bare record,
// while any other name starting with "_" is still no table.
TEST_F(Replay, CommentsAreReportedAndJournalAnnotationsIgnored)
{
    std::string params = R"(["Open_vSwitch",{"op":"comment","comment":"vsw add-br br0"},
        {"op":"insert","table":"Open_vSwitch","row":{"next_cfg":3}},
        {"op":"comment","comment":"and \"more\""}])";
    char *reply = nullptr;
    db_commit c;
    ASSERT_EQ(db_transact_undoable(db_, params.data(), params.size(), &reply, &c, nullptr), 0);
    ASSERT_NE(c.record, nullptr);
    EXPECT_STREQ(c.comment, "vsw add-br br0\nand \"more\"");
    std::string record(c.record);
    free(reply);
    free(c.record);
    free(c.undo);
    free(c.comment);

    std::string annotated = record.substr(0, record.size() - 1) +
                            R"(,"_comment":"vsw add-br br0","_date":1700000000123})";
    char *error = nullptr;
    EXPECT_EQ(db_replay(replica_, annotated.data(), annotated.size(), &error), 0) << error;
    free(error);
    EXPECT_EQ(Snapshot(replica_), Snapshot(db_));

    std::string other = R"({"_other":{}})";
    EXPECT_EQ(db_replay(replica_, other.data(), other.size(), &error), -1);
    EXPECT_STREQ(error, "unknown table: no table _other in the schema");
    free(error);

    // Nothing changed, nothing to report.
    std::string select = R"(["Open_vSwitch",{"op":"comment","comment":"x"},
        {"op":"select","table":"Bridge","where":[]}])";
    ASSERT_EQ(db_transact_undoable(db_, select.data(), select.size(), &reply, &c, nullptr), 0);
    EXPECT_EQ(c.record, nullptr);
    EXPECT_EQ(c.undo, nullptr);
    EXPECT_EQ(c.comment, nullptr);
    free(reply);
}
