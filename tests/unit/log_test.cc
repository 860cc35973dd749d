// lib/log: level names, the file target's line format, level filtering and reopening after the
// file was rotated away.
#include <errno.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "lib/log.h"
}

namespace {

TEST(LogLevel, NamesRoundTrip)
{
    const struct {
        enum vlog_level level;
        const char *name;
    } levels[] = {
        { VLOG_ERR, "err" }, { VLOG_WARN, "warn" }, { VLOG_INFO, "info" }, { VLOG_DEBUG, "debug" },
    };
    for (const auto &l : levels) {
        EXPECT_STREQ(vlog_level_to_string(l.level), l.name);
        enum vlog_level parsed = VLOG_ERR;
        if (l.level == VLOG_ERR)
            parsed = VLOG_DEBUG;
        ASSERT_TRUE(vlog_level_from_string(l.name, &parsed)) << l.name;
        EXPECT_EQ(parsed, l.level) << l.name;
    }
}

TEST(LogLevel, UnknownNamesAreRefusedAndLeaveTheLevelAlone)
{
    for (const char *name : { "", "ERR", "Warn", "warning", "error", "trace", "info ", " info",
                              "debug2", "0", "3" }) {
        enum vlog_level level = VLOG_WARN;
        EXPECT_FALSE(vlog_level_from_string(name, &level)) << "'" << name << "'";
        EXPECT_EQ(level, VLOG_WARN) << "'" << name << "'";
    }
    EXPECT_STREQ(vlog_level_to_string(static_cast<enum vlog_level>(0)), "?");
    EXPECT_STREQ(vlog_level_to_string(static_cast<enum vlog_level>(VLOG_DEBUG + 1)), "?");
    EXPECT_STREQ(vlog_level_to_string(static_cast<enum vlog_level>(-1)), "?");
}

class LogFile : public ::testing::Test {
  protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/vsw-log-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/test.log";
    }
    void TearDown() override
    {
        vlog_close();
        vlog_set_level(VLOG_INFO);
        system(("rm -rf " + dir_).c_str());
    }

    static std::vector<std::string> Lines(const std::string &path)
    {
        std::ifstream in(path);
        std::vector<std::string> lines;
        std::string line;
        while (std::getline(in, line))
            lines.push_back(line);
        return lines;
    }
    static std::string Contents(const std::string &path)
    {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    std::string dir_, path_;
};

TEST_F(LogFile, LinesCarryTimeProgramPidAndLevel)
{
    ASSERT_EQ(vlog_open("vsw-test", VLOG_TO_FILE, path_.c_str(), VLOG_DEBUG), 0);
    EXPECT_EQ(vlog_get_level(), VLOG_DEBUG);
    vlog_err("first %d", 1);
    vlog_warn("second %s", "two");
    vlog_info("third");
    vlog_debug("fourth %c", '4');
    std::vector<std::string> lines = Lines(path_);
    ASSERT_EQ(lines.size(), 4u) << Contents(path_);
    const char *levels[] = { "err", "warn", "info", "debug" };
    const char *texts[] = { "first 1", "second two", "third", "fourth 4" };
    std::string prefix = " vsw-test\\[" + std::to_string(getpid()) + "\\] ";
    for (size_t i = 0; i < 4; i++) {
        std::regex re("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z" +
                      prefix + levels[i] + ": " + texts[i] + "$");
        EXPECT_TRUE(std::regex_match(lines[i], re)) << lines[i];
    }
    // Each line ends with exactly one newline.
    std::string all = Contents(path_);
    EXPECT_EQ(all.back(), '\n');
    EXPECT_EQ(all.find("\n\n"), std::string::npos);

    struct stat st;
    ASSERT_EQ(stat(path_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0027, 0u) << "the log is writable by its group or open to others";
}

TEST_F(LogFile, LevelFiltersLessSevereMessages)
{
    ASSERT_EQ(vlog_open("vsw-test", VLOG_TO_FILE, path_.c_str(), VLOG_WARN), 0);
    vlog_err("kept err");
    vlog_warn("kept warn");
    vlog_info("dropped info");
    vlog_debug("dropped debug");
    std::string all = Contents(path_);
    EXPECT_NE(all.find("err: kept err"), std::string::npos) << all;
    EXPECT_NE(all.find("warn: kept warn"), std::string::npos) << all;
    EXPECT_EQ(all.find("dropped"), std::string::npos) << all;

    vlog_set_level(VLOG_ERR);
    EXPECT_EQ(vlog_get_level(), VLOG_ERR);
    vlog_warn("dropped warn");
    vlog_set_level(VLOG_DEBUG);
    vlog_debug("kept debug");
    // Out-of-range levels are ignored by vlog_set_level and never written by vlog.
    vlog_set_level(static_cast<enum vlog_level>(0));
    vlog_set_level(static_cast<enum vlog_level>(VLOG_DEBUG + 1));
    EXPECT_EQ(vlog_get_level(), VLOG_DEBUG);
    vlog(static_cast<enum vlog_level>(0), "dropped level 0");
    vlog(static_cast<enum vlog_level>(VLOG_DEBUG + 1), "dropped level 5");

    all = Contents(path_);
    EXPECT_NE(all.find("debug: kept debug"), std::string::npos) << all;
    EXPECT_EQ(all.find("dropped"), std::string::npos) << all;
    EXPECT_EQ(Lines(path_).size(), 3u) << all;
}

TEST_F(LogFile, ReopenAfterRenameStartsANewFile)
{
    ASSERT_EQ(vlog_open("vsw-test", VLOG_TO_FILE, path_.c_str(), VLOG_INFO), 0);
    vlog_info("before rotation");
    std::string rotated = path_ + ".1";
    ASSERT_EQ(rename(path_.c_str(), rotated.c_str()), 0);
    vlog_info("still to the old file");
    EXPECT_NE(access(path_.c_str(), F_OK), 0) << "the log was recreated before the reopen";
    ASSERT_EQ(vlog_reopen(), 0);
    vlog_info("after rotation");

    std::vector<std::string> old_lines = Lines(rotated), new_lines = Lines(path_);
    ASSERT_EQ(old_lines.size(), 2u);
    EXPECT_NE(old_lines[0].find("before rotation"), std::string::npos);
    EXPECT_NE(old_lines[1].find("still to the old file"), std::string::npos);
    ASSERT_EQ(new_lines.size(), 1u);
    EXPECT_NE(new_lines[0].find("after rotation"), std::string::npos);
}

TEST_F(LogFile, ReopenAppendsToAnExistingFile)
{
    {
        std::ofstream out(path_);
        out << "line from before\n";
    }
    ASSERT_EQ(vlog_open("vsw-test", VLOG_TO_FILE, path_.c_str(), VLOG_INFO), 0);
    vlog_info("appended");
    ASSERT_EQ(vlog_reopen(), 0);
    vlog_info("appended again");
    std::vector<std::string> lines = Lines(path_);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "line from before");
}

TEST_F(LogFile, ReopenDoesNotLeakDescriptors)
{
    ASSERT_EQ(vlog_open("vsw-test", VLOG_TO_FILE, path_.c_str(), VLOG_INFO), 0);
    int probe = dup(0);
    ASSERT_GE(probe, 0);
    close(probe);
    for (int i = 0; i < 50; i++)
        ASSERT_EQ(vlog_reopen(), 0);
    int after = dup(0);
    EXPECT_EQ(after, probe) << "vlog_reopen leaves descriptors open";
    close(after);
}

TEST_F(LogFile, OpenFailsForAnUnwritablePath)
{
    std::string bad = dir_ + "/missing/dir/test.log";
    errno = 0;
    EXPECT_EQ(vlog_open("vsw-test", VLOG_TO_FILE, bad.c_str(), VLOG_INFO), -1);
    EXPECT_EQ(errno, ENOENT);
}

TEST_F(LogFile, LoggingPreservesErrno)
{
    ASSERT_EQ(vlog_open("vsw-test", VLOG_TO_FILE, path_.c_str(), VLOG_INFO), 0);
    errno = EPIPE;
    vlog_info("errno is %d", errno);
    EXPECT_EQ(errno, EPIPE);
    errno = EBADF;
    vlog_debug("filtered");
    EXPECT_EQ(errno, EBADF);
}

TEST_F(LogFile, LongMessagesAreCutToOneWholeLine)
{
    ASSERT_EQ(vlog_open("vsw-test", VLOG_TO_FILE, path_.c_str(), VLOG_INFO), 0);
    std::string big(5000, 'x');
    vlog_info("%s", big.c_str());
    vlog_info("next");
    std::vector<std::string> lines = Lines(path_);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_LT(lines[0].size(), 2048u);
    EXPECT_GT(lines[0].size(), 1900u);
    EXPECT_NE(lines[1].find("info: next"), std::string::npos);
}

TEST_F(LogFile, LongProgramNamesAreCut)
{
    ASSERT_EQ(vlog_open(std::string(100, 'p').c_str(), VLOG_TO_FILE, path_.c_str(), VLOG_INFO),
              0);
    vlog_info("short");
    std::vector<std::string> lines = Lines(path_);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find(" " + std::string(31, 'p') + "["), std::string::npos) << lines[0];
}

TEST_F(LogFile, CloseReturnsToStderrAndReopenIsThenANoOp)
{
    ASSERT_EQ(vlog_open("vsw-test", VLOG_TO_FILE, path_.c_str(), VLOG_INFO), 0);
    vlog_info("to the file");
    vlog_close();
    ASSERT_EQ(unlink(path_.c_str()), 0);
    EXPECT_EQ(vlog_reopen(), 0);
    EXPECT_NE(access(path_.c_str(), F_OK), 0) << "reopen after close recreated the file";
}

}  // namespace
