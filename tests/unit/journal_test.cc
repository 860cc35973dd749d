// The database journal: records survive reopen; a torn write is cut, other damage is set aside
// whole and reported, with everything before it kept; a failed write is undone; compaction is
// atomic, and keeps what was appended while it wrote.
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
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
    std::vector<Record> lost;   // intact records after damage
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

int CollectLost(void *arg, journal_kind kind, const char *payload, size_t len)
{
    static_cast<Collected *>(arg)->lost.push_back({ kind, std::string(payload, len) });
    return 0;
}

journal *Open(const std::string &path, Collected *c, journal_damage *damage = nullptr)
{
    journal_reader reader = { Collect, CollectLost, c };
    return journal_open(path.c_str(), &reader, damage);
}

std::string Slurp(const std::string &path)
{
    std::string text;
    FILE *f = fopen(path.c_str(), "r");
    if (!f)
        return text;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        text.append(buf, n);
    fclose(f);
    return text;
}

void Spill(const std::string &path, const std::string &bytes)
{
    FILE *f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    fclose(f);
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

    std::vector<Record> Reopen(int refuse_at = -1, journal_damage *damage = nullptr,
                               Collected *seen = nullptr)
    {
        Collected c;
        c.refuse_at = refuse_at;
        journal *j = Open(path_, &c, damage);
        EXPECT_NE(j, nullptr);
        journal_close(j);
        if (seen)
            *seen = c;
        return c.records;
    }

    void Write(const std::vector<Record> &records)
    {
        Collected c;
        journal *j = Open(path_, &c);
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
        std::string tail = Slurp(path_).substr(two_size, cut - two_size);
        ASSERT_EQ(truncate(path_.c_str(), cut), 0);
        journal_damage damage;
        EXPECT_EQ(Reopen(-1, &damage), two) << "cut at " << cut;
        EXPECT_EQ(FileSize(), two_size) << "cut at " << cut;
        EXPECT_TRUE(damage.found);
        EXPECT_EQ(damage.offset, static_cast<uint64_t>(two_size));
        EXPECT_EQ(damage.bytes, tail.size());
        // A write cut short, unless it ends at the newline inside this test's binary payload:
        // a JSON payload has none, so a cut record ending in one looks complete, and is
        // reported as damage (the safe side).
        size_t header = tail.find('\n');
        bool ends_inside_payload = header != std::string::npos && header + 1 < tail.size() &&
                                   tail.back() == '\n';
        EXPECT_EQ(damage.torn, !ends_inside_payload) << "cut at " << cut;
        if (damage.torn) {
            EXPECT_EQ(Slurp(damage.saved), tail) << "cut at " << cut;
        }
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
    std::string damaged = Slurp(path_);
    struct stat before;
    ASSERT_EQ(stat(path_.c_str(), &before), 0);
    journal_damage damage;
    Collected seen;
    std::vector<Record> got = Reopen(-1, &damage, &seen);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], kThree[0]);
    EXPECT_EQ(DamagedFiles(), 1);
    // Damage with an intact record after it: acknowledged records are lost, loudly. The whole
    // file is kept as it was (the same inode, linked), and a new one holds the valid prefix.
    EXPECT_TRUE(damage.found);
    EXPECT_FALSE(damage.torn);
    EXPECT_STREQ(damage.problem, "checksum mismatch");
    EXPECT_EQ(damage.intact_after, 1u);
    EXPECT_EQ(seen.lost, std::vector<Record>(kThree.begin() + 2, kThree.end()));
    struct stat saved, now;
    ASSERT_EQ(stat(damage.saved, &saved), 0);
    ASSERT_EQ(stat(path_.c_str(), &now), 0);
    EXPECT_EQ(saved.st_ino, before.st_ino);
    EXPECT_NE(now.st_ino, before.st_ino);
    EXPECT_EQ(Slurp(damage.saved), damaged);
    EXPECT_EQ(static_cast<uint64_t>(FileSize()), damage.offset);
    // Reopening finds nothing more, and appends go on from the prefix.
    journal_damage again;
    EXPECT_EQ(Reopen(-1, &again), got);
    EXPECT_FALSE(again.found);
}

// A flip anywhere in the last record, even in its length or its final newline, is damage, not
// a torn write: that record may have been acknowledged.
TEST_F(Journal, DamagedLastRecordIsNotMistakenForATornWrite)
{
    Write(kThree);
    std::string file = Slurp(path_);
    size_t last = file.rfind("VSWDB ");
    size_t header_end = file.find('\n', last);
    std::vector<size_t> offsets = { last + 1, header_end - 3, header_end, header_end + 2,
                                    file.size() - 1 };
    // A digit of the length made larger: the record seems to run past the end.
    size_t length_digit = file.find(' ', file.find(' ', last) + 1) + 1;
    for (size_t at : offsets) {
        for (int bit = 0; bit < 8; bit++) {
            std::string flipped = file;
            flipped[at] ^= static_cast<char>(1 << bit);
            Spill(path_, flipped);
            journal_damage damage;
            std::vector<Record> got = Reopen(-1, &damage);
            if (!damage.found) {
                // A flip the reader does not see loses nothing (a hex digit's case).
                EXPECT_EQ(got, kThree) << "byte " << at << " bit " << bit;
                continue;
            }
            EXPECT_EQ(got, std::vector<Record>(kThree.begin(), kThree.begin() + 2))
                << "byte " << at << " bit " << bit;
            EXPECT_FALSE(damage.torn) << "byte " << at << " bit " << bit << ": "
                                      << damage.problem;
            EXPECT_EQ(damage.intact_after, 0u);
        }
    }
    std::string longer = file;
    longer[length_digit] = '9';
    Spill(path_, longer);
    journal_damage damage;
    Reopen(-1, &damage);
    EXPECT_STREQ(damage.problem, "record of 97 bytes runs past the end");
    EXPECT_FALSE(damage.torn);
}

// What a file system may show after a crash during an append: the file extended, the end
// never written (zeros). Nothing acknowledged was there.
TEST_F(Journal, ZeroFilledTailIsATornWrite)
{
    Write(kThree);
    std::string file = Slurp(path_);
    Spill(path_, file + std::string(300, '\0'));
    journal_damage damage;
    EXPECT_EQ(Reopen(-1, &damage), kThree);
    EXPECT_TRUE(damage.torn);
    EXPECT_EQ(Slurp(path_), file);
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
    journal_damage damage;
    Collected seen;
    std::vector<Record> got = Reopen(/*refuse_at=*/1, &damage, &seen);
    EXPECT_EQ(got.size(), 1u);
    EXPECT_FALSE(damage.torn);
    EXPECT_STREQ(damage.problem, "txn record refused by the database");
    EXPECT_EQ(damage.intact_after, 1u);   // lost with the refused one
    EXPECT_EQ(seen.lost, std::vector<Record>(kThree.begin() + 2, kThree.end()));
    EXPECT_EQ(Reopen(), std::vector<Record>(kThree.begin(), kThree.begin() + 1));
}

// A write the file system refuses half-way (here the file size limit: EFBIG, after a short
// write) is undone: the file is as before it, and the journal goes on.
TEST_F(Journal, FailedWriteIsUndoneAndTheJournalGoesOn)
{
    Write(kThree);
    off_t size = FileSize();
    Collected c;
    journal *j = Open(path_, &c);
    ASSERT_NE(j, nullptr);
    struct rlimit old_limit, limit;
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    limit = old_limit;
    limit.rlim_cur = static_cast<rlim_t>(size + 100);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
    std::string big(500, 'b');
    errno = 0;
    EXPECT_EQ(journal_append(j, JOURNAL_TXN, big.data(), big.size()), -1);
    EXPECT_EQ(errno, EFBIG);
    EXPECT_FALSE(journal_broken(j));
    EXPECT_EQ(FileSize(), size);
    EXPECT_EQ(journal_size(j), static_cast<uint64_t>(size));
    EXPECT_EQ(journal_append(j, JOURNAL_TXN, "small", 5), 0);
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
    signal(SIGXFSZ, old_handler);
    EXPECT_EQ(journal_append(j, JOURNAL_TXN, big.data(), big.size()), 0);
    journal_close(j);
    std::vector<Record> expect = kThree;
    expect.push_back({ JOURNAL_TXN, "small" });
    expect.push_back({ JOURNAL_TXN, big });
    journal_damage damage;
    EXPECT_EQ(Reopen(-1, &damage), expect);
    EXPECT_FALSE(damage.found);
}

TEST_F(Journal, CompactionReplacesTheFileAtomically)
{
    Write(kThree);
    Collected c;
    journal *j = Open(path_, &c);
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

// The slow part of a compaction runs while records are appended: those land in the new file
// too, after the snapshot.
TEST_F(Journal, CompactionInTwoStepsKeepsWhatWasAppendedMeanwhile)
{
    Write(kThree);
    Collected c;
    journal *j = Open(path_, &c);
    ASSERT_NE(j, nullptr);
    journal_compaction compaction;
    journal_compaction_init(j, &compaction);
    journal_record snapshot[] = {
        { JOURNAL_SCHEMA, "schema", 6 },
        { JOURNAL_SNAPSHOT, "everything", 10 },
    };
    ASSERT_EQ(journal_compaction_write(&compaction, snapshot, 2), 0);
    ASSERT_EQ(journal_append(j, JOURNAL_TXN, "meanwhile 1", 11), 0);
    ASSERT_EQ(journal_append(j, JOURNAL_TXN, "meanwhile 2", 11), 0);
    ASSERT_EQ(journal_compaction_finish(j, &compaction), 0);
    ASSERT_EQ(journal_append(j, JOURNAL_TXN, "after", 5), 0);
    journal_close(j);
    std::vector<Record> expect = { { JOURNAL_SCHEMA, "schema" },
                                   { JOURNAL_SNAPSHOT, "everything" },
                                   { JOURNAL_TXN, "meanwhile 1" },
                                   { JOURNAL_TXN, "meanwhile 2" },
                                   { JOURNAL_TXN, "after" } };
    EXPECT_EQ(Reopen(), expect);
    EXPECT_NE(access((path_ + ".tmp").c_str(), F_OK), 0);
}

struct Scanned {
    std::vector<std::pair<uint64_t, Record>> records;
    std::vector<std::pair<uint64_t, std::string>> damaged;
};

TEST(JournalScan, ReportsRecordsAndDamagedStretchesInOrder)
{
    std::string file;
    for (const char *payload : { "one", "two", "three" })
        file += std::string("VSWDB txn ") + std::to_string(strlen(payload)) + " " + [&] {
            char crc[16];
            snprintf(crc, sizeof crc, "%08x", journal_crc32(payload, strlen(payload)));
            return std::string(crc);
        }() + "\n" + payload + "\n";
    size_t second = file.find("VSWDB", 1);
    file[second + 18] ^= 1;   // in "two": checksum mismatch
    Scanned s;
    size_t n = journal_scan(
        file.data(), file.size(),
        [](void *arg, uint64_t offset, journal_kind kind, const char *payload, size_t len) {
            static_cast<Scanned *>(arg)->records.push_back(
                { offset, { kind, std::string(payload, len) } });
        },
        [](void *arg, uint64_t offset, uint64_t len, const char *problem) {
            static_cast<Scanned *>(arg)->damaged.push_back({ offset, problem });
            (void)len;
        },
        &s);
    EXPECT_EQ(n, 1u);
    ASSERT_EQ(s.records.size(), 2u);
    EXPECT_EQ(s.records[0].second.payload, "one");
    EXPECT_EQ(s.records[1].second.payload, "three");
    ASSERT_EQ(s.damaged.size(), 1u);
    EXPECT_EQ(s.damaged[0].first, second);
    EXPECT_EQ(s.damaged[0].second, "checksum mismatch");
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
