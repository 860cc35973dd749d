// ovsdb/idl and ovsdb/idlgen: the typed IDL generated from a small schema with every column
// type (tests/unit/idl/every_type.schema), fed by the real engine in memory: snapshots and
// change records become typed rows, changes are tracked per row and column, and typed
// transactions reach the engine as the RFC 7047 operations they stand for, with what changes
// nothing left out.
#include <gtest/gtest.h>

#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/unit/db_test_util.h"

extern "C" {
#include "lib/json.h"
#include "ovsdb/db.h"
#include "ovsdb/idl.h"
#include "tests/unit/every_type_idl.h"
}

namespace {

using dbtest::LoadSchema;
using JsonPtr = std::unique_ptr<struct json, void (*)(struct json *)>;
using dbtest::ReadFile;
using dbtest::Transact;

std::string UuidText(const every_child *row)
{
    char text[UUID_STRING_LEN + 1];
    uuid_to_string(&row->header_.uuid, text);
    return text;
}

// The engine standing in for vsw-dbd: transactions run on it, and each commit's change record
// is applied to the replica as dbd.events would deliver it.
class Server {
  public:
    Server() : schema_(LoadSchema(ReadFile("tests/unit/idl/every_type.schema"))),
               db_(db_create(schema_)) {}
    ~Server()
    {
        db_destroy(db_);
        db_schema_free(schema_);
    }
    struct db *db() { return db_; }

    // Runs `params` directly, as another client would; returns the commit record ("" if none).
    std::string Run(const std::string &params)
    {
        dbtest::TxnResult r = Transact(db_, params);
        EXPECT_EQ(r.rc, 0) << r.reply;
        return r.commit;
    }

    std::string MonitorAll()
    {
        const char *requests = "{\"Root\":{},\"Child\":{},\"Other\":{}}";
        char *error = nullptr;
        char *updates = db_monitor_snapshot(db_, requests, strlen(requests), &error);
        EXPECT_NE(updates, nullptr) << (error ? error : "");
        std::string out = updates ? updates : "";
        free(updates);
        free(error);
        return out;
    }

    static int Transport(void *arg, const char *params, char **result, uint64_t *seq,
                         char **error)
    {
        Server *s = static_cast<Server *>(arg);
        s->sent.push_back(params);
        char *reply = nullptr, *commit = nullptr;
        db_transact(s->db_, params, strlen(params), &reply, &commit);
        *result = reply;
        *seq = commit ? ++s->seq_ : 0;
        *error = nullptr;
        if (commit && s->idl) {
            EXPECT_EQ(idl_apply_update(s->idl, commit), 0);
        }
        free(commit);
        return 0;
    }

    struct idl *idl = nullptr;
    std::vector<std::string> sent;   // the params of every transaction the replica sent

  private:
    db_schema *schema_;
    struct db *db_;
    uint64_t seq_ = 0;
};

class IdlTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        ASSERT_EQ(idl_init(&idl_, nullptr, &every_idl_class, nullptr, 0, nullptr, nullptr), 0);
        server_.idl = &idl_;
        idl_set_transport(&idl_, Server::Transport, &server_);
    }
    void TearDown() override { idl_destroy(&idl_); }

    // Inserts a populated Root (and its children) directly in the engine and loads a snapshot.
    void Populate()
    {
        server_.Run(R"(["Every_Type",
            {"op":"insert","table":"Child","uuid-name":"c1","row":{"name":"one","size":1}},
            {"op":"insert","table":"Child","uuid-name":"c2","row":{"name":"two","size":2}},
            {"op":"insert","table":"Other","uuid-name":"o1","row":{"note":"unmonitored"}},
            {"op":"insert","table":"Root","row":{
                "name":"root","count":42,"ratio":2.5,"enabled":true,
                "id":["uuid","01234567-89ab-cdef-0123-456789abcdef"],
                "label":"hello","limit":7,"weight":["set",[]],"flag":false,"default":"b",
                "tags":["set",["x","y"]],"numbers":["set",[1,2,3]],
                "children":["set",[["named-uuid","c1"],["named-uuid","c2"]]],
                "favourite":["named-uuid","c2"],"main_child":["named-uuid","c1"],
                "others":["named-uuid","o1"],
                "options":["map",[["k1","v1"],["k2","v2"]]],
                "counters":["map",[["rx",10],["tx",20]]],
                "names":["map",[[1,"first"],[2,"second"]]],
                "by_name":["map",[["one",["named-uuid","c1"]]]]}}])");
        ASSERT_EQ(idl_load_snapshot(&idl_, server_.MonitorAll().c_str()), 0);
    }

    const every_root *Root() { return every_root_first(&idl_); }
    const every_child *Child(const char *name)
    {
        const every_child *c;
        EVERY_CHILD_FOR_EACH (c, &idl_) {
            if (strcmp(c->name, name) == 0)
                return c;
        }
        return nullptr;
    }

    Server server_;
    struct idl idl_ = {};
};

TEST_F(IdlTest, SnapshotFillsEveryKindOfColumn)
{
    Populate();
    const every_root *r = Root();
    ASSERT_NE(r, nullptr);
    EXPECT_STREQ(r->name, "root");
    EXPECT_EQ(r->count, 42);
    EXPECT_DOUBLE_EQ(r->ratio, 2.5);
    EXPECT_TRUE(r->enabled);
    char text[UUID_STRING_LEN + 1];
    uuid_to_string(&r->id, text);
    EXPECT_STREQ(text, "01234567-89ab-cdef-0123-456789abcdef");
    EXPECT_STREQ(r->label, "hello");
    ASSERT_EQ(r->n_limit, 1u);
    EXPECT_EQ(r->limit[0], 7);
    EXPECT_EQ(r->n_weight, 0u);
    ASSERT_EQ(r->n_flag, 1u);
    EXPECT_FALSE(r->flag[0]);
    EXPECT_EQ(r->n_tag, 0u);
    EXPECT_STREQ(r->default_, "b");   // a C keyword gets an underscore
    ASSERT_EQ(r->n_tags, 2u);
    std::vector<std::string> tags(r->tags, r->tags + r->n_tags);
    EXPECT_EQ(tags, (std::vector<std::string>{ "x", "y" }));
    EXPECT_EQ(r->n_numbers, 3u);

    // References are pointers to the referenced rows' structs.
    const every_child *one = Child("one"), *two = Child("two");
    ASSERT_NE(one, nullptr);
    ASSERT_NE(two, nullptr);
    ASSERT_EQ(r->n_children, 2u);
    EXPECT_TRUE((r->children[0] == one && r->children[1] == two) ||
                (r->children[0] == two && r->children[1] == one));
    EXPECT_EQ(r->favourite, two);
    EXPECT_EQ(r->main_child, one);
    EXPECT_EQ(one->size, 1);

    EXPECT_STREQ(every_root_get_options(r, "k2"), "v2");
    EXPECT_EQ(every_root_get_options(r, "k3"), nullptr);
    ASSERT_EQ(r->n_counters, 2u);
    for (size_t i = 0; i < r->n_counters; i++)
        EXPECT_EQ(r->value_counters[i], strcmp(r->key_counters[i], "rx") == 0 ? 10 : 20);
    ASSERT_EQ(r->n_names, 2u);
    ASSERT_EQ(r->n_by_name, 1u);
    EXPECT_STREQ(r->key_by_name[0], "one");
    EXPECT_EQ(r->value_by_name[0], one);
    // Every row is new to a replica that had nothing.
    EXPECT_TRUE(idl_row_is_new(&r->header_));
}

TEST_F(IdlTest, ReferencesIntoTablesNotReplicatedAreLeftOut)
{
    idl_destroy(&idl_);
    const struct idl_table_class *tables[] = { &every_table_root, &every_table_child };
    ASSERT_EQ(idl_init(&idl_, nullptr, &every_idl_class, tables, 2, nullptr, nullptr), 0);
    Populate();
    EXPECT_EQ(Root()->n_others, 0u);
    EXPECT_EQ(every_other_first(&idl_), nullptr);
    JsonPtr others(idl_table_json(&idl_, "Other"), json_free);
    EXPECT_EQ(others.get(), nullptr);
}

TEST_F(IdlTest, ChangesAreTrackedPerRowAndColumn)
{
    Populate();
    idl_forget_changes(&idl_);
    const every_root *r = Root();
    EXPECT_TRUE(idl_row_is_unchanged(&r->header_));
    EXPECT_EQ(every_root_track_get_first(&idl_), nullptr);

    // One column replaced, one set only grown, a new child inserted into it.
    std::string record = server_.Run(R"(["Every_Type",
        {"op":"insert","table":"Child","uuid-name":"c3","row":{"name":"three"}},
        {"op":"mutate","table":"Root","where":[],"mutations":[
            ["children","insert",["set",[["named-uuid","c3"]]]]]},
        {"op":"update","table":"Root","where":[],"row":{"count":43}}])");
    ASSERT_EQ(idl_apply_update(&idl_, record.c_str()), 0);
    EXPECT_EQ(r, Root());   // the same struct, changed in place
    EXPECT_EQ(r->header_.change, IDL_ROW_MODIFIED);
    EXPECT_EQ(r->count, 43);
    EXPECT_EQ(idl_row_column_change(&r->header_, EVERY_ROOT_COL_COUNT), IDL_COLUMN_CHANGED);
    EXPECT_EQ(idl_row_column_change(&r->header_, EVERY_ROOT_COL_CHILDREN), IDL_COLUMN_GREW);
    EXPECT_EQ(idl_row_column_change(&r->header_, EVERY_ROOT_COL_NAME), IDL_COLUMN_UNCHANGED);
    size_t grew[] = { EVERY_ROOT_COL_CHILDREN };
    EXPECT_TRUE(idl_row_changed_except(&r->header_, grew, 1));   // count changed too
    const every_child *three = Child("three");
    ASSERT_NE(three, nullptr);
    EXPECT_TRUE(idl_row_is_new(&three->header_));
    EXPECT_EQ(r->n_children, 3u);
    EXPECT_EQ(every_child_track_get_first(&idl_), three);

    // A set that shrinks is changed, not grown; a row that goes is deleted but readable.
    idl_forget_changes(&idl_);
    record = server_.Run(R"(["Every_Type",
        {"op":"mutate","table":"Root","where":[],"mutations":[
            ["children","delete",["set",[["uuid",")" + UuidText(three) + R"("]]]]]}])");
    ASSERT_EQ(idl_apply_update(&idl_, record.c_str()), 0);
    EXPECT_EQ(idl_row_column_change(&r->header_, EVERY_ROOT_COL_CHILDREN), IDL_COLUMN_CHANGED);
    EXPECT_FALSE(idl_row_changed_except(&r->header_, grew, 1));
    ASSERT_TRUE(idl_row_is_deleted(&three->header_));   // garbage collected by the engine
    EXPECT_STREQ(three->name, "three");
    EXPECT_EQ(Child("three"), nullptr);
    idl_forget_changes(&idl_);
    EXPECT_EQ(every_child_track_get_first(&idl_), nullptr);
}

TEST_F(IdlTest, ASnapshotKeepsRowAddressesAndMarksThemReplaced)
{
    Populate();
    idl_forget_changes(&idl_);
    const every_root *r = Root();
    const every_child *one = Child("one");
    server_.Run(R"(["Every_Type",{"op":"delete","table":"Root","where":[]},
        {"op":"insert","table":"Child","uuid-name":"c9","row":{"name":"nine"}},
        {"op":"insert","table":"Root","row":{"name":"again","main_child":["named-uuid","c9"]}}])");
    ASSERT_EQ(idl_load_snapshot(&idl_, server_.MonitorAll().c_str()), 0);
    EXPECT_TRUE(idl_row_is_deleted(&r->header_));      // the old root: another uuid
    EXPECT_TRUE(idl_row_is_deleted(&one->header_));    // garbage collected with it
    const every_root *again = Root();
    ASSERT_NE(again, nullptr);
    EXPECT_STREQ(again->name, "again");
    EXPECT_TRUE(idl_row_is_new(&again->header_));
    EXPECT_STREQ(again->main_child->name, "nine");

    idl_forget_changes(&idl_);
    ASSERT_EQ(idl_load_snapshot(&idl_, server_.MonitorAll().c_str()), 0);
    EXPECT_EQ(Root(), again);
    EXPECT_EQ(again->header_.change, IDL_ROW_REPLACED);
}

TEST_F(IdlTest, TypedSettersReachTheEngine)
{
    Populate();
    const every_root *r = Root();
    const every_child *one = Child("one"), *two = Child("two");
    struct idl_txn *txn = idl_txn_create(&idl_);
    every_root_set_name(txn, r, "renamed");
    every_root_set_count(txn, r, -5);
    every_root_set_ratio(txn, r, 0.25);
    every_root_set_enabled(txn, r, false);
    every_root_set_label(txn, r, nullptr);
    int64_t limit = 9;
    every_root_set_limit(txn, r, &limit, 1);
    double weight = 1.5;
    every_root_set_weight(txn, r, &weight, 1);
    const char *tags[] = { "p", "q", "r" };
    every_root_set_tags(txn, r, tags, 3);
    every_root_set_favourite(txn, r, one);
    every_root_set_main_child(txn, r, two);
    every_root_update_options_setkey(txn, r, "k1", "changed");
    every_root_update_options_delkey(txn, r, "k2");
    every_root_update_numbers_addvalue(txn, r, 4);
    every_root_update_numbers_delvalue(txn, r, 1);
    every_root_update_counters_setkey(txn, r, "rx", 11);
    every_root_update_by_name_setkey(txn, r, "two", two);
    char *error = nullptr;
    ASSERT_EQ(idl_txn_commit(txn, &error), IDL_TXN_SUCCESS) << (error ? error : "");
    idl_txn_destroy(txn);

    EXPECT_STREQ(r->name, "renamed");
    EXPECT_EQ(r->count, -5);
    EXPECT_DOUBLE_EQ(r->ratio, 0.25);
    EXPECT_FALSE(r->enabled);
    EXPECT_EQ(r->label, nullptr);
    ASSERT_EQ(r->n_limit, 1u);
    EXPECT_EQ(r->limit[0], 9);
    ASSERT_EQ(r->n_weight, 1u);
    EXPECT_EQ(r->n_tags, 3u);
    EXPECT_EQ(r->favourite, one);
    EXPECT_EQ(r->main_child, two);
    EXPECT_STREQ(every_root_get_options(r, "k1"), "changed");
    EXPECT_EQ(every_root_get_options(r, "k2"), nullptr);
    std::vector<int64_t> numbers(r->numbers, r->numbers + r->n_numbers);
    std::sort(numbers.begin(), numbers.end());
    EXPECT_EQ(numbers, (std::vector<int64_t>{ 2, 3, 4 }));
    for (size_t i = 0; i < r->n_counters; i++)
        EXPECT_EQ(r->value_counters[i], strcmp(r->key_counters[i], "rx") == 0 ? 11 : 20);
    ASSERT_EQ(r->n_by_name, 2u);
}

TEST_F(IdlTest, WritesThatChangeNothingAreNotSent)
{
    Populate();
    const every_root *r = Root();
    size_t before = server_.sent.size();
    struct idl_txn *txn = idl_txn_create(&idl_);
    every_root_set_name(txn, r, "root");
    every_root_set_count(txn, r, 42);
    const char *tags[] = { "y", "x" };   // the same set in another order
    every_root_set_tags(txn, r, tags, 2);
    every_root_update_options_setkey(txn, r, "k1", "v1");
    every_root_update_options_delkey(txn, r, "absent");
    every_root_update_numbers_addvalue(txn, r, 2);
    every_root_update_numbers_delvalue(txn, r, 99);
    every_root_set_weight(txn, r, nullptr, 0);
    char *error = nullptr;
    EXPECT_EQ(idl_txn_commit(txn, &error), IDL_TXN_UNCHANGED);
    idl_txn_destroy(txn);
    EXPECT_EQ(server_.sent.size(), before);

    // One real change among unchanged ones: only it is sent.
    txn = idl_txn_create(&idl_);
    every_root_set_name(txn, r, "root");
    every_root_set_count(txn, r, 41);
    ASSERT_EQ(idl_txn_commit(txn, &error), IDL_TXN_SUCCESS);
    idl_txn_destroy(txn);
    ASSERT_EQ(server_.sent.size(), before + 1);
    EXPECT_EQ(server_.sent.back().find("\"name\""), std::string::npos) << server_.sent.back();
    EXPECT_NE(server_.sent.back().find("\"count\":41"), std::string::npos);
}

TEST_F(IdlTest, AVerifiedColumnChangedMeanwhileMeansTryAgain)
{
    Populate();
    const every_root *r = Root();
    // Another client changes the column after the replica read it.
    server_.Run(R"(["Every_Type",{"op":"update","table":"Root","where":[],"row":{"count":1}}])");
    struct idl_txn *txn = idl_txn_create(&idl_);
    every_root_verify_count(txn, r);
    every_root_set_name(txn, r, "depends-on-count");
    char *error = nullptr;
    EXPECT_EQ(idl_txn_commit(txn, &error), IDL_TXN_TRY_AGAIN);
    free(error);
    idl_txn_destroy(txn);
    EXPECT_STREQ(r->name, "root");   // nothing written

    // Read again (the update reaches the replica), then it goes through.
    ASSERT_EQ(idl_load_snapshot(&idl_, server_.MonitorAll().c_str()), 0);
    txn = idl_txn_create(&idl_);
    every_root_verify_count(txn, r);
    every_root_set_name(txn, r, "depends-on-count");
    EXPECT_EQ(idl_txn_commit(txn, &error), IDL_TXN_SUCCESS);
    idl_txn_destroy(txn);
    EXPECT_STREQ(r->name, "depends-on-count");
}

TEST_F(IdlTest, InsertedRowsAreNamedAndTheirUuidsKnownAfterCommit)
{
    Populate();
    const every_root *r = Root();
    struct idl_txn *txn = idl_txn_create(&idl_);
    every_child *fresh = every_child_insert(txn);
    every_child_set_name(txn, fresh, "fresh");
    every_child_set_size(txn, fresh, 5);
    every_root_update_children_addvalue(txn, r, fresh);
    every_root_update_by_name_setkey(txn, r, "fresh", fresh);
    char *error = nullptr;
    ASSERT_EQ(idl_txn_commit(txn, &error), IDL_TXN_SUCCESS) << (error ? error : "");
    struct uuid uuid;
    ASSERT_TRUE(idl_txn_inserted_uuid(txn, &fresh->header_, &uuid));
    idl_txn_destroy(txn);
    const every_child *c = every_child_get_for_uuid(&idl_, &uuid);
    ASSERT_NE(c, nullptr);
    EXPECT_STREQ(c->name, "fresh");
    EXPECT_EQ(c->size, 5);
    EXPECT_EQ(r->n_children, 3u);

    // A failing transaction (a unique index broken) changes nothing and says why.
    txn = idl_txn_create(&idl_);
    every_child *dup = every_child_insert(txn);
    every_child_set_name(txn, dup, "fresh");
    every_root_update_children_addvalue(txn, r, dup);
    EXPECT_EQ(idl_txn_commit(txn, &error), IDL_TXN_ERROR);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error).find("constraint violation"), std::string::npos) << error;
    free(error);
    idl_txn_destroy(txn);
    EXPECT_EQ(r->n_children, 3u);
}

TEST_F(IdlTest, DeletingARowRemovesIt)
{
    Populate();
    const every_root *r = Root();
    const every_child *two = Child("two");
    struct idl_txn *txn = idl_txn_create(&idl_);
    every_root_update_children_delvalue(txn, r, two);
    every_child_delete(txn, two);
    every_root_set_favourite(txn, r, nullptr);
    char *error = nullptr;
    ASSERT_EQ(idl_txn_commit(txn, &error), IDL_TXN_SUCCESS) << (error ? error : "");
    idl_txn_destroy(txn);
    EXPECT_TRUE(idl_row_is_deleted(&two->header_));
    EXPECT_EQ(Child("two"), nullptr);
    EXPECT_EQ(r->favourite, nullptr);
    EXPECT_EQ(r->n_children, 1u);
}

TEST_F(IdlTest, AnUpdateThatDoesNotApplyLeavesTheReplicaUnsynced)
{
    Populate();
    idl_.synced = true;
    EXPECT_EQ(idl_apply_update(&idl_, "{\"Root\":{\"not-a-uuid\":null}}"), -1);
    EXPECT_FALSE(idl_.synced);
    idl_.synced = true;
    EXPECT_EQ(idl_apply_update(&idl_,
                               "{\"Child\":{\"00000000-0000-0000-0000-00000000000a\":"
                               "[\"modify\",{},{}]}}"), -1);   // no such row
    EXPECT_FALSE(idl_.synced);
    EXPECT_EQ(idl_apply_update(&idl_, "[garbage"), -1);
    EXPECT_NE(Root(), nullptr);   // still readable
}

}  // namespace
