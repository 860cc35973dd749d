// The durable database (dbd/store.h): what was committed is there after reopening and the store
// goes on committing; a commit the disk refuses changes nothing; compaction never writes a file
// that reopening would refuse.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <fstream>
#include <sstream>
#include <string>

extern "C" {
#include "dbd/journal.h"
#include "dbd/store.h"
#include "ovsdb/db.h"
}

namespace {

std::string ReadFile(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class Store : public ::testing::Test {
  protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/vsw-store-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/conf.db";
        schema_ = ReadFile("dbd/vswitch.schema");
        ASSERT_FALSE(schema_.empty());
    }
    void TearDown() override
    {
        if (open_)
            store_close(&store_);
        system(("rm -rf " + dir_).c_str());
    }

    void Open()
    {
        ASSERT_EQ(store_open(&store_, path_.c_str(), schema_.data(), schema_.size()), 0);
        open_ = true;
    }
    void Close()
    {
        store_close(&store_);
        open_ = false;
    }

    enum store_result Transact(const std::string &params)
    {
        char *reply = nullptr, *record = nullptr;
        enum store_result r = store_transact(&store_, params.data(), params.size(), &reply,
                                             &record, nullptr, nullptr, nullptr);
        EXPECT_NE(reply, nullptr);
        free(reply);
        free(record);
        return r;
    }

    // Adds bridge `name`, with `blob` as external_ids:blob.
    enum store_result AddBridge(const std::string &name, const std::string &blob = "")
    {
        return Transact("[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Bridge\","
                        "\"uuid-name\":\"b\",\"row\":{\"name\":\"" + name + "\",\"external_ids\":"
                        "[\"map\",[[\"blob\",\"" + blob + "\"]]]}},{\"op\":\"mutate\",\"table\":"
                        "\"Open_vSwitch\",\"where\":[],\"mutations\":[[\"bridges\",\"insert\","
                        "[\"set\",[[\"named-uuid\",\"b\"]]]]]}]");
    }

    std::string dir_, path_, schema_;
    struct store store_;
    bool open_ = false;
};

const char kInsertRoot[] = "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Open_vSwitch\","
                           "\"row\":{}}]";

TEST_F(Store, ReopenedStoreHasTheDataAndGoesOnCommitting)
{
    Open();
    ASSERT_EQ(Transact(kInsertRoot), STORE_COMMITTED);
    ASSERT_EQ(AddBridge("br0"), STORE_COMMITTED);
    Close();
    // The replayed database lives on the schema read back from the file: committing after
    // reopening uses it (it was once freed while still in use).
    for (int round = 1; round <= 3; round++) {
        Open();
        EXPECT_EQ(db_count_rows(store_.db, "Bridge"), static_cast<size_t>(round));
        for (int i = 0; i < 20; i++)
            ASSERT_EQ(Transact("[\"Open_vSwitch\",{\"op\":\"update\",\"table\":\"Bridge\","
                               "\"where\":[],\"row\":{\"stp_enable\":" +
                               std::string(i % 2 ? "false" : "true") + "}}]"),
                      STORE_COMMITTED);
        ASSERT_EQ(AddBridge("br" + std::to_string(round)), STORE_COMMITTED);
        EXPECT_EQ(AddBridge("br0"), STORE_UNCHANGED);   // the unique index works too
        Close();
    }
    Open();
    EXPECT_EQ(db_count_rows(store_.db, "Bridge"), 4u);
}

// A database whose snapshot is larger than a journal record may be: compacting it would write a
// record that reopening cuts off as damage, losing everything. The store must keep its journal.
TEST_F(Store, SnapshotTooLargeForOneRecordIsNotWritten)
{
    Open();
    ASSERT_EQ(Transact(kInsertRoot), STORE_COMMITTED);
    const size_t blob_size = 7 * 1024 * 1024;   // each transaction stays under the 8 MB limit
    std::string blob(blob_size, 'x');
    int bridges = 0;
    while (static_cast<uint64_t>(bridges) * blob_size <= JOURNAL_MAX_RECORD) {
        blob[0] = static_cast<char>('a' + bridges);
        ASSERT_EQ(AddBridge("br" + std::to_string(bridges), blob), STORE_COMMITTED);
        bridges++;
    }
    struct stat before;
    ASSERT_EQ(stat(path_.c_str(), &before), 0);
    EXPECT_EQ(store_compact(&store_), -1);
    struct stat after;
    ASSERT_EQ(stat(path_.c_str(), &after), 0);
    EXPECT_EQ(after.st_size, before.st_size);
    EXPECT_EQ(after.st_ino, before.st_ino);
    Close();

    Open();
    EXPECT_EQ(db_count_rows(store_.db, "Bridge"), static_cast<size_t>(bridges));
    EXPECT_EQ(AddBridge("one-more"), STORE_COMMITTED);
}

// A commit the file system does not take (here beyond the file size limit, EFBIG after a
// short write) is undone: the client is told, the database and the file are as before, and the
// next commit works.
TEST_F(Store, RefusedCommitChangesNothingAndTheStoreGoesOn)
{
    Open();
    ASSERT_EQ(Transact(kInsertRoot), STORE_COMMITTED);
    ASSERT_EQ(AddBridge("br0"), STORE_COMMITTED);
    char *before = db_snapshot(store_.db);
    struct stat st;
    ASSERT_EQ(stat(path_.c_str(), &st), 0);

    struct rlimit old_limit, limit;
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    limit = old_limit;
    limit.rlim_cur = static_cast<rlim_t>(st.st_size + 200);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
    std::string params = "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Bridge\","
                         "\"uuid-name\":\"b\",\"row\":{\"name\":\"refused\",\"external_ids\":"
                         "[\"map\",[[\"blob\",\"" + std::string(1000, 'x') + "\"]]]}},"
                         "{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],"
                         "\"mutations\":[[\"bridges\",\"insert\",[\"set\",[[\"named-uuid\","
                         "\"b\"]]]]]}]";
    char *reply = nullptr, *record = nullptr;
    EXPECT_EQ(store_transact(&store_, params.data(), params.size(), &reply, &record, nullptr,
                             nullptr, nullptr),
              STORE_REFUSED);
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
    signal(SIGXFSZ, old_handler);
    ASSERT_NE(reply, nullptr);
    std::string text = reply;
    EXPECT_NE(text.find(",{\"error\":\"I/O error\",\"details\":\"the change is too large "
                        "for the database file: it was not applied\"}]"),
              std::string::npos)
        << text;
    EXPECT_EQ(record, nullptr);
    free(reply);
    char *after = db_snapshot(store_.db);
    EXPECT_STREQ(after, before);
    free(before);
    free(after);
    struct stat now;
    ASSERT_EQ(stat(path_.c_str(), &now), 0);
    EXPECT_EQ(now.st_size, st.st_size);
    EXPECT_EQ(store_.refused, 1u);

    ASSERT_EQ(AddBridge("br1"), STORE_COMMITTED);
    Close();
    Open();
    EXPECT_EQ(db_count_rows(store_.db, "Bridge"), 2u);
}

// Every committed transaction's journal record says when, and carries its comments.
TEST_F(Store, RecordsCarryTheirDateAndComments)
{
    Open();
    ASSERT_EQ(Transact("[\"Open_vSwitch\",{\"op\":\"comment\",\"comment\":\"vsw init\"},"
                       "{\"op\":\"insert\",\"table\":\"Open_vSwitch\",\"row\":{}}]"),
              STORE_COMMITTED);
    Close();
    std::string file = ReadFile(path_);
    size_t txn = file.find("VSWDB txn ");
    ASSERT_NE(txn, std::string::npos);
    std::string payload = file.substr(file.find('\n', txn) + 1);
    payload = payload.substr(0, payload.find('\n'));
    EXPECT_NE(payload.find(",\"_comment\":\"vsw init\",\"_date\":"), std::string::npos)
        << payload;
    long long date = atoll(payload.substr(payload.rfind(':') + 1).c_str());
    EXPECT_GT(date, 1700000000000LL);
    EXPECT_LT(date, static_cast<long long>(time(nullptr) + 60) * 1000);
    Open();
    EXPECT_EQ(db_count_rows(store_.db, "Open_vSwitch"), 1u);
}

}  // namespace
