// ovsdb/db transactions: every RFC 7047 operation, named UUIDs, conditions, mutations, and every
// kind of violation rejected with a precise error and the database unchanged.
#include "tests/unit/db_test_util.h"

#include <algorithm>
#include <cstring>
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

class Txn : public DbTest {};

TEST_F(Txn, InsertAndSelect)
{
    InitWithBridge();
    EXPECT_EQ(Rows("Open_vSwitch"), 1u);
    EXPECT_EQ(Rows("Bridge"), 1u);
    EXPECT_EQ(br0_.size(), 36u);
    EXPECT_EQ(Select("Bridge", "[]", R"(["name","ports","_uuid"])"),
              R"({"rows":[{"name":"br0","ports":["set",[]],"_uuid":["uuid",")" + br0_ +
                  R"("]}]})");
    // Without "columns", every column, _uuid and _version included.
    TxnResult r = MustRun(R"({"op":"select","table":"Bridge","where":[]})");
    std::string row = ReplyElement(r.reply, 0);
    EXPECT_NE(row.find("\"_version\":[\"uuid\""), std::string::npos) << row;
    EXPECT_NE(row.find("\"fail_mode\":[\"set\",[]]"), std::string::npos) << row;
    EXPECT_NE(row.find("\"stp_enable\":false"), std::string::npos) << row;
}

TEST_F(Txn, CommitRecordListsNonDefaultColumns)
{
    TxnResult r = MustRun(R"({"op":"insert","table":"Open_vSwitch","row":{"next_cfg":3}})");
    ASSERT_TRUE(r.has_commit);
    std::string uuid = InsertedUuid(r.reply, 0);
    json *record = json_parse(r.commit.data(), r.commit.size(), nullptr);
    ASSERT_NE(record, nullptr) << r.commit;
    json *row = json_object_get(json_object_get(record, "Open_vSwitch"), uuid.c_str());
    ASSERT_NE(row, nullptr) << r.commit;
    EXPECT_EQ(json_object_size(row), 2u) << r.commit;   // next_cfg and _version
    EXPECT_EQ(json_integer(json_object_get(row, "next_cfg")), 3);
    EXPECT_NE(json_object_get(row, "_version"), nullptr);
    json_free(record);

    // A read-only transaction, or one that changes nothing, has no record.
    r = MustRun(R"({"op":"select","table":"Open_vSwitch","where":[]})");
    EXPECT_FALSE(r.has_commit);
    r = MustRun(R"({"op":"update","table":"Open_vSwitch","where":[],"row":{"next_cfg":3}})");
    EXPECT_FALSE(r.has_commit);
    EXPECT_EQ(ReplyElement(r.reply, 0), R"({"count":1})");
    r = Transact(db_, "[\"Open_vSwitch\"]");
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.reply, "[]");
}

TEST_F(Txn, VersionChangesWithTheRow)
{
    InitWithBridge();
    std::string v1 = Select("Bridge", "[]", R"(["_version"])");
    MustRun(R"({"op":"update","table":"Bridge","where":[],"row":{"stp_enable":true}})");
    std::string v2 = Select("Bridge", "[]", R"(["_version"])");
    EXPECT_NE(v1, v2);
    MustRun(R"({"op":"update","table":"Bridge","where":[],"row":{"stp_enable":true}})");
    EXPECT_EQ(Select("Bridge", "[]", R"(["_version"])"), v2);   // no change, no new version
}

TEST_F(Txn, NamedUuidsForwardAndBackward)
{
    // The Open_vSwitch row references "br" before the insert that defines it.
    InitWithBridge();
    EXPECT_EQ(Select("Open_vSwitch", "[]", R"(["bridges"])"),
              R"({"rows":[{"bridges":["uuid",")" + br0_ + R"("]}]})");
    // A name used in a later operation, including in a where clause.
    TxnResult r = MustRun(
        R"({"op":"insert","table":"Controller","uuid-name":"c","row":{"target":"tcp:127.1.2.3"}},
           {"op":"mutate","table":"Bridge","where":[],"mutations":[["controller","insert",
             ["set",[["named-uuid","c"]]]]]},
           {"op":"select","table":"Controller","where":[["_uuid","==",["named-uuid","c"]]],
            "columns":["target"]})");
    EXPECT_EQ(ReplyElement(r.reply, 2), R"({"rows":[{"target":"tcp:127.1.2.3"}]})");
}

TEST_F(Txn, NamedUuidErrors)
{
    InitWithBridge();
    MustFail(R"({"op":"insert","table":"Controller","uuid-name":"c","row":{"target":"a"}},
                {"op":"insert","table":"Controller","uuid-name":"c","row":{"target":"b"}})",
             "duplicate uuid-name: uuid-name \"c\" is defined by an earlier insert");
    MustFail(R"({"op":"mutate","table":"Bridge","where":[],
                 "mutations":[["controller","insert",["named-uuid","nope"]]]})",
             "syntax error: named-uuid \"nope\" is used but no insert in the transaction has "
             "that uuid-name");
    MustFail(R"({"op":"insert","table":"Controller","uuid-name":"1bad","row":{}})",
             "syntax error: \"uuid-name\" must be an identifier");
}

TEST_F(Txn, InsertWithExplicitUuid)
{
    const char *uuid = "5c3f5e42-1d0a-4b8e-9a4a-0123456789ab";
    TxnResult r = MustRun(std::string(R"({"op":"insert","table":"Open_vSwitch","uuid":")") +
                          uuid + R"("})");
    EXPECT_EQ(InsertedUuid(r.reply, 0), uuid);
    MustFail(std::string(R"({"op":"insert","table":"Open_vSwitch","uuid":")") + uuid + R"("})",
             "duplicate uuid: table Open_vSwitch already has a row " + std::string(uuid));
    MustFail(R"({"op":"insert","table":"Open_vSwitch","uuid":"not-a-uuid"})",
             "syntax error: \"uuid\" must be a UUID");
    // The [\"uuid\", ...] form is accepted too.
    MustRun(R"({"op":"insert","table":"Bridge","uuid-name":"b",
                "uuid":["uuid","00000000-0000-4000-8000-000000000001"],"row":{"name":"bx"}},
               {"op":"mutate","table":"Open_vSwitch","where":[],
                "mutations":[["bridges","insert",["named-uuid","b"]]]})");
    EXPECT_EQ(Select("Bridge", R"([["_uuid","==",["uuid","00000000-0000-4000-8000-000000000001"]]])",
                     R"(["name"])"),
              R"({"rows":[{"name":"bx"}]})");
}

TEST_F(Txn, Update)
{
    InitWithBridge();
    TxnResult r = MustRun(R"({"op":"update","table":"Bridge","where":[["name","==","br0"]],
                              "row":{"fail_mode":"secure","other_config":["map",[["a","1"]]]}})");
    EXPECT_EQ(ReplyElement(r.reply, 0), R"({"count":1})");
    EXPECT_EQ(Select("Bridge", "[]", R"(["fail_mode","other_config"])"),
              R"({"rows":[{"fail_mode":"secure","other_config":["map",[["a","1"]]]}]})");
    r = MustRun(R"({"op":"update","table":"Bridge","where":[["name","==","nope"]],
                    "row":{"fail_mode":"secure"}})");
    EXPECT_EQ(ReplyElement(r.reply, 0), R"({"count":0})");
    MustFail(R"({"op":"update","table":"Bridge","where":[],"row":{"name":"br1"}})",
             "constraint violation: cannot modify immutable column name in table Bridge");
    MustFail(R"({"op":"update","table":"Bridge","where":[],"row":{"_uuid":["uuid",")" + br0_ +
                 R"("]}})",
             "constraint violation: column _uuid of table Bridge is read-only");
    MustFail(R"({"op":"update","table":"Bridge","where":[],"row":{"fail_mode":"open"}})",
             "constraint violation: table Bridge column fail_mode: \"open\" is not one of the "
             "allowed values (\"secure\" or \"standalone\")");
    MustFail(R"({"op":"update","table":"Bridge","where":[],"row":{"nope":1}})",
             "unknown column: no column nope in table Bridge");
    MustFail(R"({"op":"update","table":"Bridge","where":[],"row":{"stp_enable":1}})",
             "syntax error: table Bridge column stp_enable: expected boolean, got 1");
    MustFail(R"({"op":"update","table":"Bridge","where":[]})",
             "syntax error: operation \"update\" requires member \"row\"");
}

TEST_F(Txn, DeleteCountsAndChecksReferences)
{
    InitWithBridge();
    std::string p1 = AddPort("p1");
    // Still referenced by the bridge.
    MustFail(R"({"op":"delete","table":"Port","where":[["name","==","p1"]]})",
             "referential integrity violation: cannot delete Port row " + p1 +
                 " because of 1 remaining reference(s)");
    // Removing the reference and deleting in one transaction is fine.
    TxnResult r = MustRun(
        R"({"op":"mutate","table":"Bridge","where":[],"mutations":[["ports","delete",
             ["uuid",")" + p1 + R"("]]]},
           {"op":"delete","table":"Port","where":[["name","==","p1"]]})");
    EXPECT_EQ(ReplyElement(r.reply, 1), R"({"count":1})");
    EXPECT_EQ(Rows("Port"), 0u);
    EXPECT_EQ(Rows("Interface"), 0u);   // garbage collected
    r = MustRun(R"({"op":"delete","table":"Port","where":[]})");
    EXPECT_EQ(ReplyElement(r.reply, 0), R"({"count":0})");
}

TEST_F(Txn, MutateArithmetic)
{
    MustRun(R"({"op":"insert","table":"Open_vSwitch","row":{"next_cfg":10}})");
    auto next_cfg = [this] { return Select("Open_vSwitch", "[]", R"(["next_cfg"])"); };
    auto mutate = [this](const char *m, const char *v) {
        return Run(std::string(R"({"op":"mutate","table":"Open_vSwitch","where":[],)"
                               R"("mutations":[["next_cfg",")") + m + "\"," + v + "]]}");
    };
    EXPECT_EQ(mutate("+=", "5").rc, 0);
    EXPECT_EQ(next_cfg(), R"({"rows":[{"next_cfg":15}]})");
    EXPECT_EQ(mutate("-=", "20").rc, 0);
    EXPECT_EQ(next_cfg(), R"({"rows":[{"next_cfg":-5}]})");
    EXPECT_EQ(mutate("*=", "-3").rc, 0);
    EXPECT_EQ(next_cfg(), R"({"rows":[{"next_cfg":15}]})");
    EXPECT_EQ(mutate("/=", "4").rc, 0);
    EXPECT_EQ(next_cfg(), R"({"rows":[{"next_cfg":3}]})");
    EXPECT_EQ(mutate("%=", "2").rc, 0);
    EXPECT_EQ(next_cfg(), R"({"rows":[{"next_cfg":1}]})");

    MustFail(R"({"op":"mutate","table":"Open_vSwitch","where":[],
                 "mutations":[["next_cfg","/=",0]]})",
             "domain error: mutation of column next_cfg of Open_vSwitch row");
    MustFail(R"({"op":"mutate","table":"Open_vSwitch","where":[],
                 "mutations":[["next_cfg","+=",9223372036854775807]]})",
             "range error: mutation of column next_cfg of Open_vSwitch row");
    MustFail(R"({"op":"mutate","table":"Open_vSwitch","where":[],
                 "mutations":[["next_cfg","+=",1.5]]})",
             "syntax error: mutation of column next_cfg: expected integer, got 1.5");
    MustFail(R"({"op":"mutate","table":"Open_vSwitch","where":[],
                 "mutations":[["other_config","+=",1]]})",
             "syntax error: mutation of column other_config: type mismatch: \"+=\" cannot be "
             "applied to column other_config of type map of string to string");
    MustFail(R"({"op":"mutate","table":"Open_vSwitch","where":[],
                 "mutations":[["next_cfg","^=",1]]})",
             "syntax error: unknown mutator \"^=\"");
}

TEST_F(Txn, MutateRespectsConstraints)
{
    InitWithBridge();
    AddPort("p1", "br0", R"(,"tag":4000,"trunks":["set",[1,2,3]])");
    MustFail(R"({"op":"mutate","table":"Port","where":[],"mutations":[["tag","+=",100]]})",
             "constraint violation: mutation of column tag of Port row");
    // Arithmetic that makes set elements collide.
    MustFail(R"({"op":"mutate","table":"Port","where":[],"mutations":[["trunks","*=",0]]})",
             "constraint violation: mutation of column trunks of Port row");
    MustRun(R"({"op":"mutate","table":"Port","where":[],"mutations":[["trunks","+=",10]]})");
    EXPECT_EQ(Select("Port", "[]", R"(["trunks"])"), R"({"rows":[{"trunks":["set",[11,12,13]]}]})");
    // Inserting a second value into an optional column exceeds its maximum.
    MustFail(R"({"op":"mutate","table":"Port","where":[],"mutations":[["tag","insert",5]]})",
             "constraint violation: mutation of column tag of Port row");
    // Deleting the only interface goes below the minimum of one.
    std::string iface = Select("Interface", "[]", R"(["_uuid"])");
    std::string iface_uuid = iface.substr(iface.find("[\"uuid\""), 47);
    MustFail(R"({"op":"mutate","table":"Port","where":[],"mutations":[["interfaces","delete",)" +
                 iface_uuid + "]]}",
             "constraint violation: mutation of column interfaces of Port row");
    MustFail(R"({"op":"mutate","table":"Port","where":[],"mutations":[["name","insert","x"]]})",
             "constraint violation: cannot modify immutable column name in table Port");
}

TEST_F(Txn, MutateRealColumn)
{
    std::string schema_text = R"({"name":"R","version":"1.0.0","tables":{"t":{"columns":{
        "r":{"type":{"key":{"type":"real","minReal":-10,"maxReal":10}}},
        "s":{"type":{"key":"real","min":0,"max":"unlimited"}}}}}})";
    db_schema *schema = dbtest::LoadSchema(schema_text);
    ASSERT_NE(schema, nullptr);
    db *d = db_create(schema);
    TxnResult r = Transact(d, R"(["R",{"op":"insert","table":"t","row":{"r":1.5,"s":["set",[1,2.5]]}},
        {"op":"mutate","table":"t","where":[],"mutations":[["r","*=",4],["s","+=",0.5]]},
        {"op":"select","table":"t","where":[],"columns":["r","s"]}])");
    EXPECT_EQ(r.rc, 0) << r.reply;
    EXPECT_EQ(ReplyElement(r.reply, 2), R"({"rows":[{"r":6.0,"s":["set",[1.5,3.0]]}]})");
    r = Transact(d, R"(["R",{"op":"mutate","table":"t","where":[],"mutations":[["r","*=",2]]}])");
    EXPECT_EQ(ReplyError(r.reply).substr(0, 20), "constraint violation");
    r = Transact(d, R"(["R",{"op":"mutate","table":"t","where":[],"mutations":[["r","/=",0]]}])");
    EXPECT_EQ(ReplyError(r.reply).substr(0, 12), "domain error");
    r = Transact(d, R"(["R",{"op":"mutate","table":"t","where":[],"mutations":[["s","*=",1e308]]},
                         {"op":"mutate","table":"t","where":[],"mutations":[["s","*=",1e308]]}])");
    EXPECT_EQ(ReplyError(r.reply).substr(0, 11), "range error");
    r = Transact(d, R"(["R",{"op":"mutate","table":"t","where":[],"mutations":[["r","%=",2]]}])");
    EXPECT_EQ(ReplyError(r.reply).substr(0, 12), "syntax error");
    db_destroy(d);
    db_schema_free(schema);
}

TEST_F(Txn, MutateSetsAndMaps)
{
    InitWithBridge();
    MustRun(R"({"op":"update","table":"Bridge","where":[],
                "row":{"other_config":["map",[["a","1"],["b","2"]]],"flood_vlans":["set",[1,2]]}})");
    MustRun(R"({"op":"mutate","table":"Bridge","where":[],"mutations":[
                 ["other_config","insert",["map",[["a","9"],["c","3"]]]],
                 ["flood_vlans","insert",["set",[2,3]]]]})");
    EXPECT_EQ(Select("Bridge", "[]", R"(["other_config","flood_vlans"])"),
              R"({"rows":[{"other_config":["map",[["a","1"],["b","2"],["c","3"]]],)"
              R"("flood_vlans":["set",[1,2,3]]}]})");
    // Map delete by key-value pair (only exact pairs) and by key.
    MustRun(R"({"op":"mutate","table":"Bridge","where":[],"mutations":[
                 ["other_config","delete",["map",[["a","9"],["b","2"]]]]]})");
    EXPECT_EQ(Select("Bridge", "[]", R"(["other_config"])"),
              R"({"rows":[{"other_config":["map",[["a","1"],["c","3"]]]}]})");
    MustRun(R"({"op":"mutate","table":"Bridge","where":[],"mutations":[
                 ["other_config","delete",["set",["a","zz"]]],
                 ["flood_vlans","delete",2]]})");
    EXPECT_EQ(Select("Bridge", "[]", R"(["other_config","flood_vlans"])"),
              R"({"rows":[{"other_config":["map",[["c","3"]]],"flood_vlans":["set",[1,3]]}]})");
    MustFail(R"({"op":"mutate","table":"Bridge","where":[],"mutations":[
                 ["flood_vlans","insert",["set",[5000]]]]})",
             "constraint violation: mutation of column flood_vlans: 5000 is not in the valid "
             "range 0 to 4095 (inclusive)");
}

TEST_F(Txn, ConditionsOnEveryType)
{
    InitWithBridge();
    AddPort("p1", "br0", R"(,"tag":10,"trunks":["set",[1,2]],"other_config":["map",[["k","v"]]])");
    AddPort("p2", "br0", R"(,"tag":20)");
    AddPort("p3");
    auto names = [this](const std::string &where) {
        TxnResult r = MustRun(R"({"op":"select","table":"Port","where":)" + where +
                              R"(,"columns":["name"]})");
        json *j = json_parse(r.reply.data(), r.reply.size(), nullptr);
        json *rows = json_object_get(json_array_at(j, 0), "rows");
        std::vector<std::string> out;
        for (size_t i = 0; rows && i < json_array_size(rows); i++)
            out.push_back(json_string(json_object_get(json_array_at(rows, i), "name")));
        json_free(j);
        std::sort(out.begin(), out.end());
        std::string s;
        for (const auto &n : out)
            s += (s.empty() ? "" : ",") + n;
        return s;
    };
    EXPECT_EQ(names(R"([["name","==","p2"]])"), "p2");
    EXPECT_EQ(names(R"([["name","!=","p2"]])"), "p1,p3");
    EXPECT_EQ(names(R"([["tag","==",10]])"), "p1");
    EXPECT_EQ(names(R"([["tag","==",["set",[]]]])"), "p3");
    EXPECT_EQ(names(R"([["tag","<",20]])"), "p1");     // p3 has no tag: not ordered
    EXPECT_EQ(names(R"([["tag","<=",20]])"), "p1,p2");
    EXPECT_EQ(names(R"([["tag",">",10]])"), "p2");
    EXPECT_EQ(names(R"([["tag",">=",10]])"), "p1,p2");
    EXPECT_EQ(names(R"([["trunks","includes",1]])"), "p1");
    EXPECT_EQ(names(R"([["trunks","includes",["set",[1,2]]]])"), "p1");
    EXPECT_EQ(names(R"([["trunks","includes",["set",[1,3]]]])"), "");
    EXPECT_EQ(names(R"([["trunks","excludes",["set",[3,4]]]])"), "p1,p2,p3");
    EXPECT_EQ(names(R"([["trunks","excludes",2]])"), "p2,p3");
    EXPECT_EQ(names(R"([["other_config","includes",["map",[["k","v"]]]]])"), "p1");
    EXPECT_EQ(names(R"([["other_config","includes",["map",[["k","x"]]]]])"), "");
    EXPECT_EQ(names(R"([["other_config","==",["map",[]]]])"), "p2,p3");
    EXPECT_EQ(names(R"([["fake_bridge","==",false],["tag","!=",20]])"), "p1,p3");
    EXPECT_EQ(names(R"([])"), "p1,p2,p3");
    // On UUID columns, and on _uuid.
    std::string p2 = Select("Port", R"([["name","==","p2"]])", R"(["_uuid"])");
    std::string p2_uuid = p2.substr(p2.find("[\"uuid\""), 47);
    EXPECT_EQ(names(R"([["_uuid","==",)" + p2_uuid + "]]"), "p2");
    EXPECT_EQ(names(R"([["_uuid","!=",)" + p2_uuid + "]]"), "p1,p3");
    EXPECT_EQ(names(R"([["_uuid","==",["uuid","00000000-0000-0000-0000-000000000000"]]])"), "");

    MustFail(R"({"op":"select","table":"Port","where":[["name","<","p2"]]})",
             "syntax error: condition on column name: type mismatch: \"<\" cannot be applied to "
             "column name of type string");
    MustFail(R"({"op":"select","table":"Port","where":[["name","like","p2"]]})",
             "syntax error: unknown function \"like\" in condition");
    MustFail(R"({"op":"select","table":"Port","where":[["tag","==",5000]]})",
             "constraint violation: condition on column tag: 5000 is not in the valid range");
    MustFail(R"({"op":"select","table":"Port","where":[["nope","==",1]]})",
             "unknown column: no column nope in table Port");
    MustFail(R"({"op":"select","table":"Port","where":[["name","=="]]})",
             "syntax error: a condition must be [column, function, value]");
    MustFail(R"({"op":"select","table":"Port","where":{}})",
             "syntax error: member \"where\" must be an array");
}

TEST_F(Txn, IndexLookupSeesTheTransactionsOwnRows)
{
    InitWithBridge();
    // An insert, then a select by the indexed name in the same transaction.
    TxnResult r = MustRun(
        R"({"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"br1"}},
           {"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges","insert",
             ["named-uuid","b"]]]},
           {"op":"select","table":"Bridge","where":[["name","==","br1"]],"columns":["name"]},
           {"op":"delete","table":"Bridge","where":[["name","==","br1"]]},
           {"op":"select","table":"Bridge","where":[["name","==","br1"]],"columns":["name"]},
           {"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["bridges","delete",
             ["named-uuid","b"]]]})");
    EXPECT_EQ(ReplyElement(r.reply, 2), R"({"rows":[{"name":"br1"}]})");
    EXPECT_EQ(ReplyElement(r.reply, 4), R"({"rows":[]})");
    EXPECT_EQ(Rows("Bridge"), 1u);
}

TEST_F(Txn, UniqueIndexes)
{
    InitWithBridge();
    MustFail(R"({"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"br0"}},
                {"op":"mutate","table":"Open_vSwitch","where":[],
                 "mutations":[["bridges","insert",["named-uuid","b"]]]})",
             "constraint violation: transaction causes rows " + br0_);
    TxnResult r = Run(R"({"op":"insert","table":"Bridge","uuid-name":"b","row":{"name":"br0"}},
                         {"op":"mutate","table":"Open_vSwitch","where":[],
                          "mutations":[["bridges","insert",["named-uuid","b"]]]})");
    EXPECT_NE(ReplyError(r.reply).find("of table Bridge to have the same value in unique index "
                                       "(name) = \"br0\""),
              std::string::npos)
        << r.reply;
    // Two new rows with one name.
    MustFail(R"({"op":"insert","table":"Manager","uuid-name":"m1",
                 "row":{"target":"ptcp:6640:127.0.0.1"}},
                {"op":"insert","table":"Manager","uuid-name":"m2",
                 "row":{"target":"ptcp:6640:127.0.0.1"}},
                {"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[
                  ["manager_options","insert",["set",[["named-uuid","m1"],["named-uuid","m2"]]]]]})",
             "constraint violation: transaction causes rows");
    // Swapping two rows' values within one transaction is fine: uniqueness holds at commit.
    MustRun(R"({"op":"insert","table":"Manager","uuid-name":"m1","row":{"target":"a"}},
               {"op":"insert","table":"Manager","uuid-name":"m2","row":{"target":"b"}},
               {"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[
                 ["manager_options","insert",["set",[["named-uuid","m1"],["named-uuid","m2"]]]]]})");
    MustRun(R"({"op":"update","table":"Manager","where":[["target","==","a"]],"row":{"target":"x"}},
               {"op":"update","table":"Manager","where":[["target","==","b"]],"row":{"target":"a"}},
               {"op":"update","table":"Manager","where":[["target","==","x"]],"row":{"target":"b"}})");
    EXPECT_EQ(Rows("Manager"), 2u);
    MustFail(R"({"op":"update","table":"Manager","where":[["target","==","a"]],"row":{"target":"b"}})",
             "constraint violation: transaction causes rows");
}

TEST_F(Txn, MaxRows)
{
    MustRun(R"({"op":"insert","table":"Open_vSwitch"})");
    MustFail(R"({"op":"insert","table":"Open_vSwitch"})",
             "constraint violation: transaction causes table Open_vSwitch to contain 2 rows, more "
             "than the schema's limit of 1");
    // Replacing the row in one transaction is fine.
    MustRun(R"({"op":"delete","table":"Open_vSwitch","where":[]},
               {"op":"insert","table":"Open_vSwitch"})");
    EXPECT_EQ(Rows("Open_vSwitch"), 1u);
}

// db_transact_blocking() tells the caller (vsw-dbd) which failures may be retried: a "wait"
// whose condition does not hold yet and that has a positive timeout.
TEST_F(Txn, WaitWithTimeoutReportsItsTimeoutToTheCaller)
{
    InitWithBridge();
    auto blocked_ms = [&](const std::string &ops) {
        std::string params = "[\"Open_vSwitch\"," + ops + "]";
        char *reply = nullptr, *commit = nullptr;
        int64_t timeout_ms = -1;
        int rc = db_transact_blocking(db_, params.data(), params.size(), &reply, &commit,
                                      &timeout_ms);
        free(reply);
        free(commit);
        return std::make_pair(rc, timeout_ms);
    };
    const std::string unmet = R"("table":"Bridge","where":[["name","==","br9"]],"columns":[],)"
                              R"("until":"!=","rows":[])";
    EXPECT_EQ(blocked_ms(R"({"op":"wait","timeout":250,)" + unmet + "}"), std::make_pair(-1, int64_t{250}));
    EXPECT_EQ(blocked_ms(R"({"op":"wait","timeout":0,)" + unmet + "}"), std::make_pair(-1, int64_t{0}));
    EXPECT_EQ(blocked_ms(R"({"op":"wait",)" + unmet + "}"), std::make_pair(-1, int64_t{0}));
    // Held, or failed by something else: nothing to retry.
    EXPECT_EQ(blocked_ms(R"({"op":"wait","timeout":250,"table":"Bridge","where":[],)"
                         R"("columns":[],"until":"!=","rows":[]})"),
              std::make_pair(0, int64_t{0}));
    EXPECT_EQ(blocked_ms(R"({"op":"abort"},{"op":"wait","timeout":250,)" + unmet + "}"),
              std::make_pair(-1, int64_t{0}));
    MustFail(R"({"op":"wait","timeout":250,)" + unmet + "}",
             "timed out: \"wait\" condition on table Bridge not met within 250 ms");
}

TEST_F(Txn, Wait)
{
    InitWithBridge();
    TxnResult r = MustRun(R"({"op":"wait","timeout":0,"table":"Bridge","where":[],
                              "columns":["name"],"until":"==","rows":[{"name":"br0"}]})");
    EXPECT_EQ(ReplyElement(r.reply, 0), "{}");
    MustRun(R"({"op":"wait","table":"Bridge","where":[["name","==","br9"]],"columns":["name"],
                "until":"==","rows":[]})");
    MustRun(R"({"op":"wait","table":"Bridge","where":[],"columns":["name"],"until":"!=",
                "rows":[{"name":"br9"}]})");
    // Not met: fails at once, whatever the timeout.
    MustFail(R"({"op":"insert","table":"Controller","row":{}},
                {"op":"wait","timeout":5000,"table":"Bridge","where":[],"columns":["name"],
                 "until":"==","rows":[{"name":"br9"}]})",
             "timed out: \"wait\" condition on table Bridge not met");
    MustFail(R"({"op":"wait","table":"Bridge","where":[],"columns":["name"],"until":"!=",
                 "rows":[{"name":"br0"}]})",
             "timed out:");
    MustFail(R"({"op":"wait","table":"Bridge","where":[],"columns":["name"],"until":"<",
                 "rows":[]})",
             "syntax error: \"until\" must be \"==\" or \"!=\"");
    MustFail(R"({"op":"wait","table":"Bridge","where":[],"columns":["name"],"until":"==",
                 "rows":[{"ports":["set",[]]}]})",
             "syntax error: column ports of a row to wait for is not in \"columns\"");
}

TEST_F(Txn, CommitAbortCommentAssert)
{
    TxnResult r = MustRun(R"({"op":"comment","comment":"hello"},{"op":"commit","durable":true},
                             {"op":"assert"})");
    EXPECT_EQ(r.reply, "[{},{},{}]");
    MustFail(R"({"op":"insert","table":"Open_vSwitch"},{"op":"abort"},{"op":"comment","comment":"x"})",
             "aborted: aborted by request");
    r = Run(R"({"op":"insert","table":"Open_vSwitch"},{"op":"abort"},{"op":"comment","comment":"x"})");
    json *j = json_parse(r.reply.data(), r.reply.size(), nullptr);
    ASSERT_EQ(json_array_size(j), 3u) << r.reply;
    EXPECT_TRUE(json_is_object(json_array_at(j, 0)));
    EXPECT_TRUE(json_is_null(json_array_at(j, 2)));
    json_free(j);
    MustFail(R"({"op":"assert","lock":"my_lock"})",
             "not supported: locks are not supported: cannot assert lock my_lock");
    MustFail(R"({"op":"commit"})", "syntax error: operation \"commit\" requires member \"durable\"");
    MustFail(R"({"op":"comment","comment":1})", "syntax error: member \"comment\" must be a string");
}

TEST_F(Txn, ReplyShapeOnFailure)
{
    // Results so far, the error, then nulls for what was not attempted.
    TxnResult r = Run(R"({"op":"insert","table":"Open_vSwitch"},
                         {"op":"select","table":"Nope","where":[]},
                         {"op":"comment","comment":"x"},
                         {"op":"comment","comment":"y"})");
    EXPECT_EQ(r.rc, -1);
    json *j = json_parse(r.reply.data(), r.reply.size(), nullptr);
    ASSERT_EQ(json_array_size(j), 4u) << r.reply;
    EXPECT_NE(json_object_get(json_array_at(j, 0), "uuid"), nullptr);
    EXPECT_STREQ(json_string(json_object_get(json_array_at(j, 1), "error")), "unknown table");
    EXPECT_TRUE(json_is_null(json_array_at(j, 2)));
    EXPECT_TRUE(json_is_null(json_array_at(j, 3)));
    json_free(j);
    EXPECT_EQ(Rows("Open_vSwitch"), 0u);

    // A commit-time failure: one extra element after the operations' results.
    r = Run(R"({"op":"insert","table":"Port","row":{"name":"p"}})");
    j = json_parse(r.reply.data(), r.reply.size(), nullptr);
    ASSERT_EQ(json_array_size(j), 2u) << r.reply;
    EXPECT_NE(json_object_get(json_array_at(j, 0), "uuid"), nullptr);
    EXPECT_STREQ(json_string(json_object_get(json_array_at(j, 1), "error")),
                 "referential integrity violation");
    json_free(j);
}

TEST_F(Txn, MalformedTransactionsAreRejected)
{
    InitWithBridge();
    std::string before = Snapshot(db_);
    struct Case {
        const char *params;
        const char *error;
    } cases[] = {
        { "", "syntax error: expected a value, found end of input at offset 0" },
        { "{}", "syntax error: transact params must be an array" },
        { "[]", "syntax error: transact params must be an array" },
        { "[1]", "syntax error: transact params must be an array" },
        { "[\"Other\"]", "unknown database: no database named Other (this one is Open_vSwitch)" },
        { "[\"Open_vSwitch\",1]", "syntax error: an operation must be an object" },
        { "[\"Open_vSwitch\",{}]", "syntax error: an operation must be an object" },
        { "[\"Open_vSwitch\",{\"op\":\"frobnicate\"}]",
          "syntax error: unknown operation \"frobnicate\"" },
        { "[\"Open_vSwitch\",{\"op\":\"insert\"}]",
          "syntax error: operation \"insert\" requires member \"table\"" },
        { "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Nope\"}]",
          "unknown table: no table named Nope" },
        { "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Bridge\",\"extra\":1}]",
          "syntax error: member \"extra\" is not allowed in operation \"insert\"" },
        { "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Bridge\",\"row\":[]}]",
          "syntax error: member \"row\" must be an object" },
        { "[\"Open_vSwitch\",{\"op\":\"select\",\"table\":\"Bridge\",\"where\":[],"
          "\"columns\":[\"nope\"]}]",
          "unknown column: no column nope in table Bridge" },
        { "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Bridge\",\"row\":{\"name\":"
          "[\"set\",[\"a\",\"a\"]]}}]",
          "constraint violation: table Bridge column name: set contains duplicate value \"a\"" },
        { "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Bridge\",\"row\":{\"ports\":"
          "[\"uuid\",\"xyz\"]}}]",
          "syntax error: table Bridge column ports: \"xyz\" is not a valid UUID" },
        { "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Interface\",\"row\":{"
          "\"ofport_request\":70000}}]",
          "constraint violation: table Interface column ofport_request: 70000 is not in the valid "
          "range 1 to 65279 (inclusive)" },
        { "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Port\",\"row\":{"
          "\"vlan_mode\":\"dot1q\"}}]",
          "constraint violation: table Port column vlan_mode: \"dot1q\" is not one of the "
          "allowed values" },
        { "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Port\",\"row\":{"
          "\"trunks\":[\"set\",[1,2,3]],\"tag\":[\"set\",[1,2]]}}]",
          "constraint violation: table Port column tag: 2 elements is more than the maximum 1" },
        { "[\"Open_vSwitch\",[1,[2,[3,[4,[5,[6,[7,[8,[9,[10,[11,[12,[13,[14,[15,[16,[17,[18,[19,"
          "[20,[21,[22,[23,[24,[25,[26,[27,[28,[29,[30,[31,[32,[33,[34,[35,[36,[37,[38,[39,[40,"
          "[41,[42,[43,[44,[45,[46,[47,[48,[49,[50,[51,[52,[53,[54,[55,[56,[57,[58,[59,[60,[61,"
          "[62,[63,[64,[65]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
          "syntax error: nesting deeper than 64 levels" },
    };
    for (const Case &c : cases) {
        TxnResult r = Transact(db_, c.params);
        EXPECT_EQ(r.rc, -1) << c.params;
        EXPECT_FALSE(r.has_commit) << c.params;
        std::string got = ReplyError(r.reply);
        EXPECT_EQ(got.substr(0, strlen(c.error)), c.error) << c.params << " -> " << r.reply;
        EXPECT_EQ(Snapshot(db_), before) << c.params;
    }
}

TEST_F(Txn, HugeTransactionsAreRefusedWithoutCrashing)
{
    InitWithBridge();
    std::string before = Snapshot(db_);
    // 10 MB: over the limit, refused before parsing.
    std::string big = R"(["Open_vSwitch",{"op":"comment","comment":")" +
                      std::string(10 * 1024 * 1024, 'x') + "\"}]";
    TxnResult r = Transact(db_, big);
    EXPECT_EQ(r.rc, -1);
    EXPECT_EQ(ReplyError(r.reply).substr(0, 40), "resources exhausted: transaction of 1048");
    // 10 MB of garbage.
    std::string garbage(10 * 1024 * 1024, '[');
    r = Transact(db_, garbage);
    EXPECT_EQ(r.rc, -1);
    // Just under the limit, valid: a 7 MB string value is handled.
    std::string large = R"(["Open_vSwitch",{"op":"update","table":"Bridge","where":[],"row":)"
                        R"({"external_ids":["map",[["blob",")" +
                        std::string(7 * 1024 * 1024, 'y') + "\"]]]}}]";
    r = Transact(db_, large);
    EXPECT_EQ(r.rc, 0) << r.reply.substr(0, 200);
    EXPECT_TRUE(r.has_commit);
    EXPECT_GT(r.commit.size(), 7u * 1024 * 1024);
    EXPECT_NE(Snapshot(db_), before);
}

TEST_F(Txn, StringsRoundTripExactly)
{
    InitWithBridge();
    MustRun(R"({"op":"update","table":"Bridge","where":[],"row":{"external_ids":["map",[
                ["k\"q\\\u00e9\ud83d\ude00","line1\nline2\ttab\u0001"]]]}})");
    EXPECT_EQ(Select("Bridge", "[]", R"(["external_ids"])"),
              "{\"rows\":[{\"external_ids\":[\"map\",[[\"k\\\"q\\\\\xc3\xa9\xf0\x9f\x98\x80\","
              "\"line1\\nline2\\ttab\\u0001\"]]]}]}");
}

}  // namespace
