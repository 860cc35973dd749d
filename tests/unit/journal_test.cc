// The database journal: records survive reopen; any torn or corrupt tail is cut with everything
// before it kept; compaction is atomic.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

extern "C" {
#include "dbd/journal.h"
}

namespace {

struct Record {
    journal_kind kind;
    std::string payload;
    bool operator==(const Record &o) const { return kind == o.kind && payload == o.payload; }
};

struct Collected {
    std::vector<Record> records;
    int refuse_at = -1;   // index of a record the callback refuses
};

int Collect(void *arg, journal_kind kind, const char *payload, size_t len)
{
    auto *c = static_cast<Collected *>(arg);
    if (static_cast<int>(c->records.size()) == c->refuse_at)
        return -1;
    c->records.push_back({ kind, std::string(payload, len) });
    return 0;
}

class Journal : public ::testing::Test {
  protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/vsw-journal-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/conf.db";
    }
    void TearDown() override { system(("rm -rf " + dir_).c_str()); }

    std::vector<Record> Reopen(int refuse_at = -1)
    {
        Collected c;
        c.refuse_at = refuse_at;
        journal *j = journal_open(path_.c_str(), Collect, &c);
        EXPECT_NE(j, nullptr);
        journal_close(j);
        return c.records;
    }

    void Write(const std::vector<Record> &records)
    {
        Collected c;
        journal *j = journal_open(path_.c_str(), Collect, &c);
        ASSERT_NE(j, nullptr);
        for (const auto &r : records)
            ASSERT_EQ(journal_append(j, r.kind, r.payload.data(), r.payload.size()), 0);
        journal_close(j);
    }

    off_t FileSize()
    {
        struct stat st;
        return stat(path_.c_str(), &st) == 0 ? st.st_size : -1;
    }

    int DamagedFiles()
    {
        std::string out;
        FILE *p = popen(("ls " + dir_ + " | grep -c damaged").c_str(), "r");
        char buf[32] = "";
        if (p) {
            fgets(buf, sizeof buf, p);
            pclose(p);
        }
        return atoi(buf);
    }

    std::string dir_, path_;
};

const std::vector<Record> kThree = {
    { JOURNAL_SCHEMA, "{\"name\":\"Open_vSwitch\"}" },
    { JOURNAL_TXN, "{\"Bridge\":{\"a\":{\"name\":\"br0\"}}}" },
    { JOURNAL_TXN, std::string("binary\0payload\nwith newline", 27) },
};

TEST(JournalCrc, MatchesTheStandardCheckValue)
{
    EXPECT_EQ(journal_crc32("123456789", 9), 0xCBF43926u);
    EXPECT_EQ(journal_crc32("", 0), 0u);
}

TEST_F(Journal, RecordsSurviveReopenInOrder)
{
    Write(kThree);
    EXPECT_EQ(Reopen(), kThree);
    // Appending after a reopen continues the file.
    Write({ { JOURNAL_TXN, "fourth" } });
    std::vector<Record> four = kThree;
    four.push_back({ JOURNAL_TXN, "fourth" });
    EXPECT_EQ(Reopen(), four);
    EXPECT_EQ(DamagedFiles(), 0);
}

TEST_F(Journal, TornTailAtEveryOffsetKeepsEverythingBefore)
{
    Write(kThree);
    off_t full = FileSize();
    Write({});  // no-op reopen
    std::vector<Record> two(kThree.begin(), kThree.begin() + 2);
    Reopen();
    // Size of the first two records: rewrite them alone.
    TearDown();
    SetUp();
    Write(two);
    off_t two_size = FileSize();
    TearDown();
    SetUp();
    for (off_t cut = two_size + 1; cut < full; cut++) {
        Write(kThree);
        ASSERT_EQ(truncate(path_.c_str(), cut), 0);
        EXPECT_EQ(Reopen(), two) << "cut at " << cut;
        EXPECT_EQ(FileSize(), two_size) << "cut at " << cut;
        // The cut file reopens cleanly, and appends land after the good records.
        Write({ { JOURNAL_TXN, "after" } });
        std::vector<Record> expect = two;
        expect.push_back({ JOURNAL_TXN, "after" });
        EXPECT_EQ(Reopen(), expect);
        TearDown();
        SetUp();
    }
}

TEST_F(Journal, FlippedByteCutsFromTheDamagedRecord)
{
    Write(kThree);
    std::string text;
    {
        FILE *f = fopen(path_.c_str(), "r");
        char buf[4096];
        size_t n = fread(buf, 1, sizeof buf, f);
        text.assign(buf, n);
        fclose(f);
    }
    size_t second_payload = text.find("br0");
    ASSERT_NE(second_payload, std::string::npos);
    int fd = open(path_.c_str(), O_WRONLY);
    ASSERT_EQ(pwrite(fd, "X", 1, static_cast<off_t>(second_payload)), 1);
    close(fd);
    std::vector<Record> got = Reopen();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], kThree[0]);
    EXPECT_EQ(DamagedFiles(), 1);
}

TEST_F(Journal, GarbageFileKeepsNothingAndStillOpens)
{
    int fd = open(path_.c_str(), O_WRONLY | O_CREAT, 0600);
    std::string junk(5000, '\0');
    for (size_t i = 0; i < junk.size(); i++)
        junk[i] = static_cast<char>(i * 7919 % 251);
    ASSERT_EQ(write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
    close(fd);
    EXPECT_TRUE(Reopen().empty());
    EXPECT_EQ(FileSize(), 0);
    // A header that claims a gigantic payload is corruption, not an allocation.
    fd = open(path_.c_str(), O_WRONLY | O_TRUNC);
    std::string huge = "VSWDB txn 99999999999 00000000\n{}\n";
    ASSERT_EQ(write(fd, huge.data(), huge.size()), static_cast<ssize_t>(huge.size()));
    close(fd);
    EXPECT_TRUE(Reopen().empty());
}

TEST_F(Journal, RefusedRecordIsTreatedAsDamage)
{
    Write(kThree);
    std::vector<Record> got = Reopen(/*refuse_at=*/1);
    EXPECT_EQ(got.size(), 1u);
    EXPECT_EQ(Reopen(), std::vector<Record>(kThree.begin(), kThree.begin() + 1));
}

TEST_F(Journal, CompactionReplacesTheFileAtomically)
{
    Write(kThree);
    Collected c;
    journal *j = journal_open(path_.c_str(), Collect, &c);
    ASSERT_NE(j, nullptr);
    journal_record snapshot[] = {
        { JOURNAL_SCHEMA, "schema", 6 },
        { JOURNAL_SNAPSHOT, "everything", 10 },
    };
    ASSERT_EQ(journal_compact(j, snapshot, 2), 0);
    EXPECT_EQ(journal_appends_since_compaction(j), 0u);
    ASSERT_EQ(journal_append(j, JOURNAL_TXN, "next", 4), 0);
    EXPECT_EQ(journal_appends_since_compaction(j), 1u);
    EXPECT_GT(journal_size(j), journal_base_size(j));
    journal_close(j);
    std::vector<Record> expect = { { JOURNAL_SCHEMA, "schema" },
                                   { JOURNAL_SNAPSHOT, "everything" },
                                   { JOURNAL_TXN, "next" } };
    EXPECT_EQ(Reopen(), expect);
    EXPECT_NE(access((path_ + ".tmp").c_str(), F_OK), 0);
}

TEST_F(Journal, LeftoverTemporaryFromACrashedCompactionIsIgnored)
{
    Write(kThree);
    int fd = open((path_ + ".tmp").c_str(), O_WRONLY | O_CREAT, 0600);
    ASSERT_EQ(write(fd, "half", 4), 4);
    close(fd);
    EXPECT_EQ(Reopen(), kThree);
}

}  // namespace
