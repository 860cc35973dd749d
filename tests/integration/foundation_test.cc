// The foundation end to end: the real daemons under the real supervisor, sandboxed, restarted
// after SIGKILL, refusing garbage on every socket, and leaving nothing behind when stopped.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "tests/integration/harness.h"

extern "C" {
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>

#include "lib/ipc.h"
#include "proto/control.pb-c.h"
}

namespace {

// Sockets served with request/reply, and the channel each one serves.
const std::vector<std::pair<std::string, Vsw__Channel>> kServerSockets = {
    { "dbd.ctl", VSW__CHANNEL__CHANNEL_CONTROL },     { "flowd.ctl", VSW__CHANNEL__CHANNEL_CONTROL },
    { "switchd.ctl", VSW__CHANNEL__CHANNEL_CONTROL }, { "tunneld.ctl", VSW__CHANNEL__CHANNEL_CONTROL },
    { "hostd.ctl", VSW__CHANNEL__CHANNEL_CONTROL },   { "dbd.sock", VSW__CHANNEL__CHANNEL_DBD },
    { "flowd.sock", VSW__CHANNEL__CHANNEL_FLOWD },    { "flowd-tunnel.sock", VSW__CHANNEL__CHANNEL_TUNNEL },
    { "hostd.sock", VSW__CHANNEL__CHANNEL_HOSTD },
};

class Foundation : public ::testing::Test {
  protected:
    static void SetUpTestSuite()
    {
        vsw_ = new VswInstance();
        CommandResult r = vsw_->Ctl("start");
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    static void TearDownTestSuite()
    {
        delete vsw_;
        vsw_ = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(vsw_->WaitAllUp(5000)) << vsw_->Vsw("status").output; }

    static VswInstance *vsw_;
};
VswInstance *Foundation::vsw_ = nullptr;

// Sends one frame on a fresh REQ socket and returns the reply frame ("" when none came).
std::string Request(const std::string &address, const std::string &frame, int timeout_ms = 2000)
{
    int sock = nn_socket(AF_SP, NN_REQ);
    nn_setsockopt(sock, NN_SOL_SOCKET, NN_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    std::string reply;
    if (nn_connect(sock, address.c_str()) >= 0 &&
        nn_send(sock, frame.data(), frame.size(), 0) >= 0) {
        void *buf = nullptr;
        int n = nn_recv(sock, &buf, NN_MSG, 0);
        if (n >= 0) {
            reply.assign(static_cast<char *>(buf), n);
            nn_freemsg(buf);
        }
    }
    nn_close(sock);
    return reply;
}

std::string Pack(const Vsw__Envelope &env)
{
    uint8_t *frame = nullptr;
    size_t len = ipc_frame_pack(&env, &frame);
    std::string out(reinterpret_cast<char *>(frame), len);
    free(frame);
    return out;
}

std::string StatusRequestFrame(Vsw__Channel channel, uint32_t version)
{
    Vsw__Envelope env = VSW__ENVELOPE__INIT;
    env.version = version;
    env.channel = channel;
    env.type = VSW__CONTROL_TYPE__CONTROL_STATUS;
    env.request_id = 7;
    return Pack(env);
}

// The error code of a reply frame; ERROR_NONE for a successful reply, -1 if it did not parse.
int ReplyErrorCode(const std::string &reply)
{
    Vsw__Envelope *env = vsw__envelope__unpack(
        nullptr, reply.size(), reinterpret_cast<const uint8_t *>(reply.data()));
    if (!env)
        return -1;
    int code = env->error ? env->error->code : VSW__ERROR_CODE__ERROR_NONE;
    vsw__envelope__free_unpacked(env, nullptr);
    return code;
}

// Connects at the transport level and writes bytes that are not even the SP handshake.
void WriteRawGarbage(const std::string &path, const std::string &bytes)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (connect(fd, reinterpret_cast<struct sockaddr *>(&addr), sizeof addr) == 0) {
        ssize_t ignored = write(fd, bytes.data(), bytes.size());
        (void)ignored;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    close(fd);
}

std::vector<int> Pids(const VswInstance &vsw)
{
    std::vector<int> pids;
    for (const auto &d : kDaemons)
        pids.push_back(vsw.Pid(d));
    return pids;
}

TEST_F(Foundation, StatusListsFiveDaemonsUp)
{
    CommandResult r = vsw_->Vsw("status");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    for (const char *name : { "vsw-dbd", "vsw-flowd", "vsw-switchd", "vsw-tunneld", "vsw-hostd" }) {
        size_t line = r.output.find(std::string("\n") + name + " ");
        ASSERT_NE(line, std::string::npos) << name << "\n" << r.output;
        size_t end = r.output.find('\n', line + 1);
        EXPECT_NE(r.output.substr(line, end - line).find(" up "), std::string::npos) << name;
    }
    size_t ups = 0;
    for (size_t pos = 0; (pos = r.output.find(" up ", pos)) != std::string::npos; pos++)
        ups++;
    EXPECT_EQ(ups, 5u) << r.output;
    EXPECT_NE(r.output.find("vsw-dbd:ok vsw-flowd:ok"), std::string::npos) << r.output;
}

TEST_F(Foundation, EveryThreadOfEveryDaemonIsSandboxed)
{
    const std::map<std::string, std::string> expected_caps = {
        { "dbd", "0000000000000000" },     { "flowd", "0000000000003000" },
        { "switchd", "0000000000000000" }, { "tunneld", "0000000000001000" },
        { "hostd", "0000000000000000" },
    };
    for (const auto &d : kDaemons) {
        int pid = vsw_->Pid(d);
        ASSERT_GT(pid, 0) << d;
        DIR *tasks = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
        ASSERT_NE(tasks, nullptr) << d;
        int threads = 0;
        while (struct dirent *e = readdir(tasks)) {
            if (e->d_name[0] == '.')
                continue;
            int tid = atoi(e->d_name);
            threads++;
            SCOPED_TRACE(d + " thread " + e->d_name);
            EXPECT_EQ(ProcStatusField(pid, "Seccomp", tid), "2");
            EXPECT_EQ(ProcStatusField(pid, "NoNewPrivs", tid), "1");
            EXPECT_EQ(ProcStatusField(pid, "Uid", tid).substr(0, 2) == "0\t", false);
            EXPECT_NE(ProcStatusField(pid, "Uid", tid).find_first_not_of("0\t "), std::string::npos);
            EXPECT_EQ(ProcStatusField(pid, "CapEff", tid), expected_caps.at(d));
            EXPECT_EQ(ProcStatusField(pid, "CapPrm", tid), expected_caps.at(d));
            EXPECT_EQ(ProcStatusField(pid, "CapBnd", tid), expected_caps.at(d));
        }
        closedir(tasks);
        EXPECT_GE(threads, 2) << d << ": expected the main thread and nanomsg's worker";
    }
}

TEST_F(Foundation, RunDirectoryIsPrivateToTheVswGroup)
{
    struct stat st;
    ASSERT_EQ(stat(vsw_->rundir().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    CommandResult group = Shell("stat -c %G " + vsw_->rundir());
    EXPECT_EQ(group.output, "vsw\n");
}

// One session for all of them is one scheduler autogroup (docs/architecture.md); a process
// group each keeps a terminal's job-control signals to the supervisor away from the daemons.
TEST_F(Foundation, DaemonsShareTheSupervisorsSessionEachInItsOwnProcessGroup)
{
    int supervisor = atoi(ReadFile(vsw_->rundir() + "/supervisor.pid").c_str());
    ASSERT_GT(supervisor, 0);
    pid_t session = getsid(supervisor);
    ASSERT_GT(session, 0);
    std::string autogroup = ReadFile("/proc/" + std::to_string(supervisor) + "/autogroup");
    for (const auto &d : kDaemons) {
        SCOPED_TRACE(d);
        int pid = vsw_->Pid(d);
        ASSERT_GT(pid, 0);
        EXPECT_EQ(getsid(pid), session);
        EXPECT_EQ(getpgid(pid), pid);
        if (!autogroup.empty()) {
            EXPECT_EQ(ReadFile("/proc/" + std::to_string(pid) + "/autogroup"), autogroup);
        }
    }
}

TEST_F(Foundation, EachDaemonKilledIsBackWithinTwoSeconds)
{
    for (const auto &d : kDaemons) {
        SCOPED_TRACE(d);
        int old_pid = vsw_->Pid(d);
        ASSERT_GT(old_pid, 0);
        auto killed = std::chrono::steady_clock::now();
        ASSERT_EQ(kill(old_pid, SIGKILL), 0);
        bool back = false;
        while (std::chrono::steady_clock::now() - killed < std::chrono::seconds(2)) {
            int pid = vsw_->Pid(d);
            if (pid > 0 && pid != old_pid &&
                vsw_->Vsw("status").output.find(" " + std::to_string(pid) + " ") !=
                    std::string::npos) {
                back = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        EXPECT_TRUE(back) << vsw_->Vsw("status").output;
    }
    EXPECT_TRUE(vsw_->WaitAllUp(3000));
}

// A stopped and continued daemon resumes its blocked call through restart_syscall(2), which
// the sandbox must allow: an operator's `kill -STOP`/`-CONT` or a debugger is not a crash.
TEST_F(Foundation, EachDaemonStoppedAndContinuedKeepsRunning)
{
    std::vector<int> before = Pids(*vsw_);
    for (int pid : before) {
        ASSERT_GT(pid, 0);
        ASSERT_EQ(kill(pid, SIGSTOP), 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (int pid : before)
        ASSERT_EQ(kill(pid, SIGCONT), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(Pids(*vsw_), before);
    CommandResult r = vsw_->Vsw("status");
    for (int pid : before)
        EXPECT_NE(r.output.find(" " + std::to_string(pid) + " "), std::string::npos) << r.output;
    EXPECT_EQ(vsw_->Vsw("add-br brstop").exit_code, 0);
}

// One daemon's counter or link figure as `vsw status --verbose` prints it, or -1.
long long StatusFigure(const VswInstance &vsw, const std::string &daemon, const std::string &key)
{
    std::string out = vsw.Vsw("status --verbose").output;
    size_t at = out.find("\n" + daemon + " ");
    if (at == std::string::npos)
        return -1;
    size_t next = out.find("\nvsw-", at + 1);
    std::string block = out.substr(at, next == std::string::npos ? std::string::npos : next - at);
    size_t k = block.find(key);
    if (k == std::string::npos)
        return -1;
    size_t digits = block.find_first_of("0123456789", k + key.size());
    return digits == std::string::npos ? -1 : atoll(block.c_str() + digits);
}

bool WaitFor(const std::function<bool()> &condition, int timeout_ms)
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

TEST_F(Foundation, ClientsSeeARestartedDbdAndResync)
{
    // Wait until switchd has a position in dbd's stream and a handshake with this dbd.
    ASSERT_TRUE(WaitFor([&] { return StatusFigure(*vsw_, "vsw-switchd", "notifications_received") > 0; }, 5000))
        << vsw_->Vsw("status --verbose").output;
    long long stream_resyncs = StatusFigure(*vsw_, "vsw-switchd", "stream_resyncs");
    std::string out = vsw_->Vsw("status --verbose").output;
    size_t link = out.find("link vsw-dbd", out.find("\nvsw-switchd "));
    ASSERT_NE(link, std::string::npos) << out;
    long long link_resyncs = atoll(out.c_str() + out.find(" handshakes, ", link) + 13);

    ASSERT_EQ(kill(vsw_->Pid("dbd"), SIGKILL), 0);
    // The stream shows a new epoch (heartbeat every second) and the handshake a new dbd.
    EXPECT_TRUE(WaitFor([&] { return StatusFigure(*vsw_, "vsw-switchd", "stream_resyncs") > stream_resyncs; }, 5000))
        << vsw_->Vsw("status --verbose").output;
    EXPECT_TRUE(WaitFor([&] {
        std::string now = vsw_->Vsw("status --verbose").output;
        size_t l = now.find("link vsw-dbd", now.find("\nvsw-switchd "));
        return l != std::string::npos && now.find("connected", l) < now.find('\n', l) &&
               atoll(now.c_str() + now.find(" handshakes, ", l) + 13) > link_resyncs;
    }, 5000)) << vsw_->Vsw("status --verbose").output;
}

TEST_F(Foundation, GarbageOnEverySocketGetsAnErrorAndChangesNothing)
{
    std::vector<int> before = Pids(*vsw_);
    std::mt19937 rng(2026);
    for (const auto &[name, channel] : kServerSockets) {
        SCOPED_TRACE(name);
        std::string address = "ipc://" + vsw_->rundir() + "/" + name;
        // Random bytes, of several lengths.
        for (size_t len : { 1, 7, 64, 1000 }) {
            std::string junk(len, '\0');
            for (auto &c : junk)
                c = static_cast<char>(rng());
            std::string reply = Request(address, junk);
            int code = ReplyErrorCode(reply);
            EXPECT_GT(code, 0) << "random " << len << " bytes: no error reply";
        }
        // A valid request cut short at every length.
        std::string frame = StatusRequestFrame(channel, IPC_VERSION);
        for (size_t cut = 1; cut < frame.size(); cut++) {
            std::string reply = Request(address, frame.substr(0, cut));
            EXPECT_FALSE(reply.empty()) << "truncated at " << cut;
            EXPECT_GE(ReplyErrorCode(reply), 0) << "truncated at " << cut;
        }
        // Wrong version; the wrong channel; larger than the cap.
        EXPECT_EQ(ReplyErrorCode(Request(address, StatusRequestFrame(channel, 99))),
                  VSW__ERROR_CODE__ERROR_BAD_VERSION);
        Vsw__Channel other = channel == VSW__CHANNEL__CHANNEL_CONTROL ? VSW__CHANNEL__CHANNEL_DBD
                                                                      : VSW__CHANNEL__CHANNEL_CONTROL;
        EXPECT_EQ(ReplyErrorCode(Request(address, StatusRequestFrame(other, IPC_VERSION))),
                  VSW__ERROR_CODE__ERROR_WRONG_CHANNEL);
        EXPECT_EQ(ReplyErrorCode(Request(address, std::string(IPC_MAX_MESSAGE + 1, 'x'), 5000)),
                  VSW__ERROR_CODE__ERROR_TOO_BIG);
        // Bytes that are not even the transport's handshake: the connection is dropped.
        WriteRawGarbage(vsw_->rundir() + "/" + name, std::string(100, '\xff'));
    }
    WriteRawGarbage(vsw_->rundir() + "/dbd.events", std::string(100, '\x42'));

    // Still up, same processes, and still answering properly.
    EXPECT_EQ(Pids(*vsw_), before);
    CommandResult r = vsw_->Vsw("status");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(ReplyErrorCode(Request("ipc://" + vsw_->rundir() + "/dbd.ctl",
                                     StatusRequestFrame(VSW__CHANNEL__CHANNEL_CONTROL, IPC_VERSION))),
              VSW__ERROR_CODE__ERROR_NONE);
}

TEST_F(Foundation, SetLogLevelReachesTheDaemon)
{
    CommandResult r = vsw_->Vsw("set-log-level switchd debug");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(ReadFile(vsw_->rundir() + "/vsw-switchd.log").find("log level set to debug"),
              std::string::npos);
    EXPECT_EQ(vsw_->Vsw("set-log-level switchd info").exit_code, 0);
}

TEST(Lifecycle, StopLeavesNoProcessAndNoSocket)
{
    VswInstance vsw;
    ASSERT_EQ(vsw.Ctl("start").exit_code, 0);
    std::vector<int> pids = Pids(vsw);
    int supervisor = atoi(ReadFile(vsw.rundir() + "/supervisor.pid").c_str());
    ASSERT_GT(supervisor, 0);
    CommandResult r = vsw.Ctl("stop");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    pids.push_back(supervisor);
    for (int pid : pids)
        EXPECT_NE(kill(pid, 0), 0) << "pid " << pid << " still running";
    CommandResult left = Shell("find " + vsw.rundir() + " -type s -o -name '*.pid'");
    EXPECT_EQ(left.output, "") << left.output;
    CommandResult status = vsw.Vsw("status");
    EXPECT_EQ(status.exit_code, 1) << status.output;
    EXPECT_EQ(status.output.find(" up "), std::string::npos) << status.output;
    // Stopping what is stopped is not an error.
    EXPECT_EQ(vsw.Ctl("stop").exit_code, 0);
}

// A daemon that fails by itself again and again (here vsw-dbd, whose database file has become a
// directory it cannot open) is restarted after longer and longer pauses, not in a loop, and
// `vsw status` says why it is down. Once the cause is gone, it comes back at its next start.
TEST(Lifecycle, DaemonFailingAgainAndAgainIsRestartedLessAndLessOftenAndStatusSaysWhy)
{
    VswInstance vsw;
    ASSERT_EQ(vsw.Ctl("start").exit_code, 0);
    std::string db = vsw.rundir() + "/conf.db";
    ASSERT_EQ(Shell("mv " + db + " " + db + ".moved && mkdir " + db).exit_code, 0);
    ASSERT_EQ(kill(vsw.Pid("dbd"), SIGKILL), 0);

    std::string log_path = vsw.rundir() + "/vsw-supervisor.log";
    ASSERT_TRUE(WaitFor([&] {
        return ReadFile(log_path).find("restarting in 4000 ms") != std::string::npos;
    }, 30000)) << ReadFile(log_path);
    std::string log = ReadFile(log_path);
    size_t first = log.find("restarting in 1000 ms: it is crash-looping");
    size_t second = log.find("restarting in 2000 ms: it is crash-looping");
    EXPECT_NE(first, std::string::npos) << log;
    EXPECT_NE(second, std::string::npos) << log;
    EXPECT_LT(first, second) << log;
    EXPECT_LT(second, log.find("restarting in 4000 ms")) << log;

    CommandResult status;
    ASSERT_TRUE(WaitFor([&] {
        status = vsw.Vsw("status");
        return status.output.find("failure 4 in a row") != std::string::npos;
    }, 10000)) << status.output;
    EXPECT_EQ(status.exit_code, 1);
    EXPECT_NE(status.output.find("vsw-dbd      down"), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("    exited with status 1 at "), std::string::npos)
        << status.output;
    EXPECT_NE(status.output.find("; next start at "), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("    last error: journal: cannot open " + db +
                                 ": Is a directory"),
              std::string::npos)
        << status.output;

    ASSERT_EQ(Shell("rmdir " + db + " && mv " + db + ".moved " + db).exit_code, 0);
    EXPECT_TRUE(vsw.WaitAllUp(20000)) << vsw.Vsw("status").output;
    CommandResult stopped = vsw.Ctl("stop");
    EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
    EXPECT_EQ(Shell("ls " + vsw.rundir() + "/*.last-exit").exit_code, 2);
}

TEST(Lifecycle, StartTwiceKeepsTheRunningInstance)
{
    VswInstance vsw;
    ASSERT_EQ(vsw.Ctl("start").exit_code, 0);
    int dbd = vsw.Pid("dbd");
    CommandResult again = vsw.Ctl("start");
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_NE(again.output.find("already running"), std::string::npos) << again.output;
    EXPECT_EQ(vsw.Pid("dbd"), dbd);
    CommandResult restarted = vsw.Ctl("restart");
    EXPECT_EQ(restarted.exit_code, 0) << restarted.output;
    EXPECT_NE(vsw.Pid("dbd"), dbd);
    EXPECT_TRUE(vsw.WaitAllUp(3000));
}

TEST(Cli, UsageErrorsExitWithTwoAndSayWhy)
{
    std::string vsw = Runfile("tools/vsw");
    std::string ctl = Runfile("tools/vsw_ctl");
    struct {
        std::string command;
        int exit_code;
        std::string says;
    } cases[] = {
        { vsw + " --help", 0, "usage: vsw" },
        { vsw + " --version", 0, "vsw 0.1.0" },
        { vsw, 2, "missing command" },
        { vsw + " frobnicate", 2, "unknown command 'frobnicate'" },
        { vsw + " status extra", 2, "status: unknown argument 'extra'" },
        { vsw + " status -v extra", 2, "'status' takes arguments [--verbose]" },
        { vsw + " --timeout abc status", 2, "--timeout" },
        { vsw + " --bogus status", 2, "unknown option '--bogus'" },
        { vsw + " set-log-level dbd", 2, "'set-log-level' takes arguments" },
        { vsw + " set-log-level nosuchd debug", 2, "'nosuchd' is not a vsw daemon" },
        { vsw + " set-log-level dbd loud", 2, "'loud' is not err, warn, info or debug" },
        { ctl + " --help", 0, "usage: vsw-ctl" },
        { ctl, 2, "missing command" },
        { ctl + " explode", 2, "unknown command 'explode'" },
        { ctl + " start --log-level loud", 2, "'loud' is not" },
        { Runfile("dbd/vsw-dbd") + " --version", 0, "vsw-dbd 0.1.0" },
        { Runfile("dbd/vsw-dbd") + " --frob", 2, "try --help" },
        { Runfile("flowd/vsw-flowd") + " --log-level loud", 2, "'loud' is not" },
        { Runfile("switchd/vsw-switchd") + " --rundir /nonexistent-vsw-dir", 1, "is missing" },
    };
    for (const auto &c : cases) {
        CommandResult r = Shell(c.command);
        EXPECT_EQ(r.exit_code, c.exit_code) << c.command << "\n" << r.output;
        EXPECT_NE(r.output.find(c.says), std::string::npos) << c.command << "\n" << r.output;
    }
}

TEST(Cli, StatusOfNothingRunningSaysDown)
{
    VswInstance vsw;
    CommandResult r = vsw.Vsw("status");
    EXPECT_EQ(r.exit_code, 1);
    size_t downs = 0;
    for (size_t pos = 0; (pos = r.output.find(" down ", pos)) != std::string::npos; pos++)
        downs++;
    EXPECT_EQ(downs, 5u) << r.output;
}

}  // namespace
