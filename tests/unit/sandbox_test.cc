// lib/sandbox with each daemon's real policy, in forked children (a sandbox cannot be undone):
//   - a sandboxed child does a daemon's normal work: its event loop with a timer, a request
//     answered by the daemon's own control handlers over nanomsg, a notification published and
//     received, logging to a file opened before, teardown; and its policy's own system calls;
//   - a system call outside the policy kills the whole process with SIGSYS, one child per call;
//   - after the privilege drop, /proc/self/status shows the vsw user, no_new_privs and exactly
//     the policy's capabilities; after the filter, seccomp mode 2.
// The child's order is the daemons' (see <daemon>/main.c): drop privileges (no thread may
// exist yet), open nanomsg sockets (which starts nanomsg's worker thread), restrict system
// calls (synchronised into every thread), work.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "dbd/dbd.h"
#include "flowd/flowd.h"
#include "hostd/hostd.h"
#include "lib/daemon.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/sandbox.h"
#include "switchd/switchd.h"
#include "tunneld/tunneld.h"
}

namespace {

const char kUser[] = "vsw";

struct Daemon {
    const char *short_name;
    const char *name;
    const struct sandbox_policy *policy;
    const struct ipc_route *routes;
    const size_t *n_routes;
    uint64_t capabilities;           // the CapEff mask the policy must leave
    std::vector<std::string> extra;  // system calls of this daemon's own rules, tried when sandboxed
};

std::ostream &operator<<(std::ostream &os, const Daemon &d)
{
    return os << d.short_name;
}

const std::vector<Daemon> &Daemons()
{
    static const std::vector<Daemon> daemons = {
        { "dbd", "vsw-dbd", &dbd_sandbox_policy, dbd_routes, &dbd_n_routes, 0, { "fsync" } },
        { "switchd", "vsw-switchd", &switchd_sandbox_policy, switchd_routes, &switchd_n_routes, 0,
          { "uname" } },
        { "flowd", "vsw-flowd", &flowd_sandbox_policy, flowd_routes, &flowd_n_routes,
          (1ull << 12) | (1ull << 13), { "socket(AF_PACKET)", "ioctl(SIOCGIFINDEX)" } },
        { "tunneld", "vsw-tunneld", &tunneld_sandbox_policy, tunneld_routes, &tunneld_n_routes,
          1ull << 12, { "socket(AF_NETLINK)" } },
        { "hostd", "vsw-hostd", &hostd_sandbox_policy, hostd_routes, &hostd_n_routes, 0,
          { "uname" } },
    };
    return daemons;
}

// ---- The child side. Nothing here may return into gtest: a child ends with _exit(). ----

// Where the child reports to its parent (a pipe); a failed check writes its line and exits 1.
int g_report_fd = -1;

void Report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void Report(const char *fmt, ...)
{
    char buf[4096];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    if (n > 0) {
        ssize_t ignored = write(g_report_fd, buf, std::min(static_cast<size_t>(n), sizeof buf - 1));
        (void)ignored;
    }
}

#define CHILD_CHECK(cond)                                                                      \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            Report("child check failed at line %d: %s (errno: %s)\n", __LINE__, #cond,         \
                   strerror(errno));                                                           \
            _exit(1);                                                                          \
        }                                                                                      \
    } while (0)

std::string ReadFile(const char *path)
{
    // Plain open/read: what the runtime's allowlist permits.
    std::string out;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    close(fd);
    return out;
}

// One field of a /proc/<pid>/status text, e.g. "CapEff"; "" if absent.
std::string StatusField(const std::string &status, const std::string &name)
{
    std::istringstream in(status);
    std::string line;
    while (std::getline(in, line)) {
        if (line.compare(0, name.size() + 1, name + ":") == 0) {
            size_t start = line.find_first_not_of(" \t", name.size() + 1);
            size_t end = line.find_last_not_of(" \t");
            return start == std::string::npos ? "" : line.substr(start, end + 1 - start);
        }
    }
    return "";
}

// Tries one system call by name. Returns its result (>= 0 success) for the allowed ones; a
// forbidden one should never return. Only calls the runtime allows come before the one tried.
long TrySyscall(const std::string &name, const std::string &dir)
{
    if (name == "ptrace") {
        // A pid above any pid_max: harmless (ESRCH) should the call ever be let through.
        return syscall(SYS_ptrace, PTRACE_PEEKDATA, 0x3fffffff, 0, 0);
    }
    if (name == "socket(AF_INET)")
        return socket(AF_INET, SOCK_STREAM, 0);
    if (name == "socket(AF_INET6)")
        return socket(AF_INET6, SOCK_DGRAM, 0);
    if (name == "socket(AF_NETLINK)") {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
            return fd;
        struct sockaddr_nl sa = {};
        sa.nl_family = AF_NETLINK;
        long rc = bind(fd, reinterpret_cast<struct sockaddr *>(&sa), sizeof sa);
        close(fd);
        return rc;
    }
    if (name == "socket(AF_PACKET)") {
        int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
        if (fd >= 0)
            close(fd);
        return fd;
    }
    if (name == "socket(AF_UNIX)") {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0)
            close(fd);
        return fd;
    }
    if (name == "mount")
        return mount("none", dir.c_str(), "tmpfs", 0, "");
    if (name == "execve") {
        char *const argv[] = { const_cast<char *>("/bin/true"), nullptr };
        char *const envp[] = { nullptr };
        return execve("/bin/true", argv, envp);
    }
    if (name == "fork") {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        return pid;
    }
    if (name == "setuid")
        return syscall(SYS_setuid, 0);
    if (name == "kill")
        return kill(getpid(), 0);
    if (name == "uname") {
        struct utsname u;
        return uname(&u);
    }
    if (name == "fsync") {
        std::string path = dir + "/fsync-probe";
        // openat is in every daemon's allowlist (log reopen); the file is the vsw user's.
        int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return fd;
        long rc = fsync(fd);
        close(fd);
        unlink(path.c_str());
        return rc;
    }
    errno = EINVAL;
    return -1;
}

// ioctl probes need a socket opened before the filter (like flowd's ioctl socket).
int g_ioctl_sock = -1;

long TryIoctl(unsigned long request)
{
    struct ifreq ifr = {};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    long rc = ioctl(g_ioctl_sock, request, &ifr);
    return rc < 0 ? rc : ifr.ifr_ifindex;
}

long Try(const std::string &name, const std::string &dir)
{
    if (name == "ioctl(SIOCGIFINDEX)")
        return TryIoctl(SIOCGIFINDEX);
    if (name == "ioctl(SIOCGIFFLAGS)")
        return TryIoctl(SIOCGIFFLAGS);
    return TrySyscall(name, dir);
}

int ThreadCount()
{
    return atoi(StatusField(ReadFile("/proc/self/status"), "Threads").c_str());
}

// What the child holds once its sockets are open, as a daemon would.
struct ChildDaemon {
    const Daemon *daemon;
    std::string dir;
    struct daemon d;                 // the context of the daemon's control handlers
    struct ipc_server control;
    struct ipc_client client;
    struct ipc_publisher events;
    struct ipc_subscriber stream;

    // The client thread's call (it blocks, so it cannot share the loop's thread).
    int go_pipe[2] = { -1, -1 };     // main -> client thread: the sandbox is on, call now
    int done_pipe[2] = { -1, -1 };   // client thread -> loop: the call returned
    pthread_t caller;
    int call_rc = -1;
    struct ipc_error call_err;
    std::string reply_name;
    uint64_t reply_requests_counter = 0;

    bool timer_fired = false;
    bool reopened = false;
    bool call_done = false;
    int notifications = 0;
    uint64_t heartbeat = 0;
};

void *CallerThread(void *arg)
{
    auto *c = static_cast<ChildDaemon *>(arg);
    char go;
    if (read(c->go_pipe[0], &go, 1) == 1) {
        Vsw__StatusRequest req = VSW__STATUS_REQUEST__INIT;
        ProtobufCMessage *reply = nullptr;
        c->call_rc = ipc_call(&c->client, VSW__CONTROL_TYPE__CONTROL_STATUS, &req.base,
                              &vsw__status_reply__descriptor, &reply, &c->call_err);
        if (c->call_rc == 0) {
            auto *r = reinterpret_cast<Vsw__StatusReply *>(reply);
            c->reply_name = r->name;
            for (size_t i = 0; i < r->n_counters; i++) {
                if (std::string(r->counters[i]->name) == "ipc_requests")
                    c->reply_requests_counter = r->counters[i]->value;
            }
            protobuf_c_message_free_unpacked(reply, nullptr);
        }
    }
    char done = 'd';
    ssize_t ignored = write(c->done_pipe[1], &done, 1);
    (void)ignored;
    return nullptr;
}

void OnHangup(void *arg, int)
{
    auto *c = static_cast<ChildDaemon *>(arg);
    if (vlog_reopen() == 0)
        c->reopened = true;
    vlog_info("log reopened in the sandbox");
}

// Before the filter: log, drop privileges, open every socket, start the caller thread.
void ChildSetUp(ChildDaemon *c, const Daemon &daemon, const std::string &dir, bool with_caller)
{
    c->daemon = &daemon;
    c->dir = dir;
    CHILD_CHECK(ThreadCount() == 1);
    std::string log = dir + "/" + daemon.short_name + ".log";
    CHILD_CHECK(vlog_open(daemon.name, VLOG_TO_FILE, log.c_str(), VLOG_DEBUG) == 0);
    vlog_info("child of the sandbox test starting");
    // flowd opens its ioctl socket as root, before the sandbox; any daemon may hold one.
    g_ioctl_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHILD_CHECK(g_ioctl_sock >= 0);

    CHILD_CHECK(sandbox_drop_privileges(daemon.policy, kUser) == 0);
    CHILD_CHECK(getuid() != 0 && geteuid() != 0);

    memset(&c->d, 0, sizeof c->d);
    c->d.name = daemon.name;
    c->d.short_name = daemon.short_name;
    c->d.started_ms = loop_now_ms();
    c->d.epoch = 1;
    c->d.stream.sock = -1;
    loop_init(&c->d.loop);
    // SIGHUP reopens the log, as daemon_init arranges; blocked before any thread starts.
    CHILD_CHECK(loop_on_signal(&c->d.loop, SIGHUP, OnHangup, c) == 0);
    std::string ctl = std::string(daemon.short_name) + ".ctl";
    std::string events = std::string(daemon.short_name) + ".events";
    CHILD_CHECK(ipc_server_open(&c->control, dir.c_str(), ctl.c_str(),
                                VSW__CHANNEL__CHANNEL_CONTROL, daemon.routes, *daemon.n_routes,
                                &c->d, &c->d.counters) == 0);
    CHILD_CHECK(ipc_client_open(&c->client, dir.c_str(), ctl.c_str(),
                                VSW__CHANNEL__CHANNEL_CONTROL, 3000) == 0);
    CHILD_CHECK(ipc_publisher_open(&c->events, dir.c_str(), events.c_str(),
                                   VSW__CHANNEL__CHANNEL_DBD, &c->d.counters) == 0);
    CHILD_CHECK(ipc_subscriber_open(&c->stream, dir.c_str(), events.c_str(),
                                    VSW__CHANNEL__CHANNEL_DBD) == 0);
    CHILD_CHECK(ThreadCount() >= 2);   // nanomsg's worker runs

    if (with_caller) {
        CHILD_CHECK(pipe2(c->go_pipe, O_CLOEXEC) == 0);
        CHILD_CHECK(pipe2(c->done_pipe, O_CLOEXEC | O_NONBLOCK) == 0);
        CHILD_CHECK(pthread_create(&c->caller, nullptr, CallerThread, c) == 0);
    }
}

void OnControl(void *arg, int, short)
{
    ipc_server_receive(static_cast<struct ipc_server *>(arg));
}

void OnCallDone(void *arg, int fd, short)
{
    auto *c = static_cast<ChildDaemon *>(arg);
    char done;
    if (read(fd, &done, 1) == 1)
        c->call_done = true;
}

void OnNotification(void *arg, int, short)
{
    auto *c = static_cast<ChildDaemon *>(arg);
    Vsw__Envelope *env = nullptr;
    enum ipc_stream_status status;
    while ((status = ipc_subscriber_next(&c->stream, &env)) != IPC_STREAM_EMPTY) {
        if (env) {
            Vsw__DbdHeartbeat *beat =
                vsw__dbd_heartbeat__unpack(nullptr, env->payload.len, env->payload.data);
            if (beat) {
                c->heartbeat = beat->uptime_ms;
                vsw__dbd_heartbeat__free_unpacked(beat, nullptr);
                c->notifications++;
            }
            vsw__envelope__free_unpacked(env, nullptr);
        }
    }
}

void OnOneShot(void *arg)
{
    auto *c = static_cast<ChildDaemon *>(arg);
    c->timer_fired = true;
    vlog_info("one-shot timer fired in the sandbox");
    raise(SIGHUP);
}

void Publish(void *arg)
{
    auto *c = static_cast<ChildDaemon *>(arg);
    if (c->notifications > 0)
        return;
    Vsw__DbdHeartbeat beat = VSW__DBD_HEARTBEAT__INIT;
    beat.uptime_ms = 4242;
    ipc_publish(&c->events, VSW__DBD_TYPE__DBD_HEARTBEAT, &beat.base);
}

void CheckDone(void *arg)
{
    auto *c = static_cast<ChildDaemon *>(arg);
    if (c->timer_fired && c->reopened && c->call_done && c->notifications > 0)
        loop_stop(&c->d.loop);
}

void ChildNormalWork(const Daemon &daemon, const std::string &dir)
{
    static ChildDaemon c;
    ChildSetUp(&c, daemon, dir, true);
    // The log is rotated away (by logrotate, in production); SIGHUP will start a new one.
    std::string log = dir + "/" + daemon.short_name + ".log";
    CHILD_CHECK(rename(log.c_str(), (log + ".1").c_str()) == 0);
    CHILD_CHECK(sandbox_restrict_syscalls(daemon.policy, SANDBOX_KILL) == 0);
    CHILD_CHECK(StatusField(ReadFile("/proc/self/status"), "Seccomp") == "2");

    char go = 'g';
    CHILD_CHECK(write(c.go_pipe[1], &go, 1) == 1);
    struct loop *loop = &c.d.loop;
    CHILD_CHECK(loop_watch_fd(loop, c.control.rcvfd, POLLIN, OnControl, &c.control) == 0);
    CHILD_CHECK(loop_watch_fd(loop, c.done_pipe[0], POLLIN, OnCallDone, &c) == 0);
    CHILD_CHECK(loop_watch_fd(loop, c.stream.rcvfd, POLLIN, OnNotification, &c) == 0);
    CHILD_CHECK(loop_add_timer(loop, 20, 0, OnOneShot, &c) >= 0);
    CHILD_CHECK(loop_add_timer(loop, 0, 20, Publish, &c) >= 0);
    CHILD_CHECK(loop_add_timer(loop, 5, 5, CheckDone, &c) >= 0);
    CHILD_CHECK(loop_run(loop) == 0);
    CHILD_CHECK(pthread_join(c.caller, nullptr) == 0);

    if (c.call_rc != 0)
        Report("control call failed: %s: %s\n", ipc_error_code_name(c.call_err.code),
               c.call_err.message);
    CHILD_CHECK(c.call_rc == 0);
    CHILD_CHECK(c.reply_name == daemon.name);
    CHILD_CHECK(c.reply_requests_counter == 1);
    CHILD_CHECK(c.d.counters.requests == 1 && c.d.counters.request_errors == 0);
    CHILD_CHECK(c.heartbeat == 4242);
    CHILD_CHECK(c.stream.resyncs == 1);
    CHILD_CHECK(c.d.counters.notifications >= 1);

    // The daemon's own calls, which the runtime alone would not allow.
    for (const std::string &call : daemon.extra) {
        long rc = Try(call, dir);
        if (rc < 0)
            Report("%s failed in the sandbox: %s\n", call.c_str(), strerror(errno));
        CHILD_CHECK(rc >= 0);
    }
    CHILD_CHECK(Try("socket(AF_UNIX)", dir) >= 0);
    // Sorting a thousand names (switchd's ports) goes through glibc's qsort, which may ask
    // sysinfo(2) for the memory size first.
    std::vector<long> values(4096);
    for (size_t i = 0; i < values.size(); i++)
        values[i] = (long)((i * 7919) % values.size());
    qsort(values.data(), values.size(), sizeof values[0], [](const void *a, const void *b) {
        long x = *static_cast<const long *>(a), y = *static_cast<const long *>(b);
        return x < y ? -1 : x > y;
    });
    CHILD_CHECK(values.front() == 0 && values.back() == (long)values.size() - 1);

    // Teardown as a daemon does it.
    vlog_info("sandboxed work done");
    ipc_subscriber_close(&c.stream);
    ipc_publisher_close(&c.events);
    ipc_client_close(&c.client);
    ipc_server_close(&c.control);
    loop_destroy(loop);
    vlog_close();
    _exit(0);
}

struct ThreadCall {
    int go_pipe[2];
    std::string call, dir;
};

void *ForbiddenOnThread(void *arg)
{
    auto *t = static_cast<ThreadCall *>(arg);
    char go;
    if (read(t->go_pipe[0], &go, 1) == 1) {
        long rc = Try(t->call, t->dir);
        Report("survived %s on a thread: returned %ld (%s)\n", t->call.c_str(), rc,
               strerror(errno));
    }
    return nullptr;
}

// Makes `call` once sandboxed: from the main thread, or from a thread started before the filter
// (which the filter must reach as well).
void ChildForbiddenCall(const Daemon &daemon, const std::string &dir, const std::string &call,
                        enum sandbox_violation violation, bool on_thread = false)
{
    static ChildDaemon c;
    ChildSetUp(&c, daemon, dir, false);
    static ThreadCall t;
    pthread_t thread;
    if (on_thread) {
        t.call = call;
        t.dir = dir;
        CHILD_CHECK(pipe2(t.go_pipe, O_CLOEXEC) == 0);
        CHILD_CHECK(pthread_create(&thread, nullptr, ForbiddenOnThread, &t) == 0);
    }
    CHILD_CHECK(sandbox_restrict_syscalls(daemon.policy, violation) == 0);
    Report("sandboxed; calling %s\n", call.c_str());
    if (on_thread) {
        char go = 'g';
        CHILD_CHECK(write(t.go_pipe[1], &go, 1) == 1);
        pthread_join(thread, nullptr);
        // The whole process must die, not only the thread that made the call.
        Report("survived: the main thread outlived the call\n");
        _exit(3);
    }
    long rc = Try(call, dir);
    Report("survived %s: returned %ld (%s)\n", call.c_str(), rc, strerror(errno));
    _exit(3);
}

void ChildStatus(const Daemon &daemon)
{
    CHILD_CHECK(ThreadCount() == 1);
    std::string before = ReadFile("/proc/self/status");
    CHILD_CHECK(sandbox_drop_privileges(daemon.policy, kUser) == 0);
    std::string dropped = ReadFile("/proc/self/status");
    errno = 0;
    int regain = setuid(0);
    CHILD_CHECK(regain == -1 && errno == EPERM);
    CHILD_CHECK(sandbox_restrict_syscalls(daemon.policy, SANDBOX_KILL) == 0);
    std::string restricted = ReadFile("/proc/self/status");
    Report("BEFORE\n%s\nDROPPED\n%s\nRESTRICTED\n%s", before.c_str(), dropped.c_str(),
           restricted.c_str());
    _exit(0);
}

// ---- The parent side ----

struct ChildResult {
    int status = 0;
    std::string report;   // everything the child wrote to its report pipe
    uint64_t ms = 0;
    bool hung = false;    // killed by the parent after its time limit

    bool Exited0() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
    bool KilledBy(int sig) const { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }
    std::string Describe() const
    {
        std::ostringstream os;
        if (WIFEXITED(status))
            os << "exited with status " << WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            os << "killed by signal " << WTERMSIG(status) << " (" << strsignal(WTERMSIG(status))
               << ")";
        os << " after " << ms << " ms" << (hung ? " (hung: killed by the test)" : "")
           << "; it reported:\n" << report;
        return os.str();
    }
};

// Forks a child running `body`; a child still running after `limit_s` is killed (SIGALRM from
// its own alarm, then SIGKILL from here). `stderr_to_report` also sends its stderr to the
// report pipe.
template <typename Body>
ChildResult RunChild(Body body, bool stderr_to_report = false, unsigned limit_s = 10)
{
    ChildResult result;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        ADD_FAILURE() << "pipe: " << strerror(errno);
        return result;
    }
    fflush(stdout);
    fflush(stderr);
    uint64_t start = loop_now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        ADD_FAILURE() << "fork: " << strerror(errno);
        return result;
    }
    if (pid == 0) {
        close(fds[0]);
        g_report_fd = fds[1];
        if (stderr_to_report)
            dup2(fds[1], STDERR_FILENO);
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        alarm(limit_s);
        body();
        _exit(0);
    }
    close(fds[1]);
    // Until every copy of the write end is closed, i.e. the child is gone, or the time limit.
    uint64_t deadline = start + limit_s * 1000ull + 1000;
    for (;;) {
        uint64_t now = loop_now_ms();
        if (now >= deadline) {
            result.hung = true;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = { fds[0], POLLIN, 0 };
        if (poll(&p, 1, static_cast<int>(deadline - now)) <= 0)
            continue;
        char buf[4096];
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        result.report.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    while (waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
    }
    result.ms = loop_now_ms() - start;
    return result;
}

std::string FileContents(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The daemons drop to this user; on a fresh machine nothing has created it yet (vsw-ctl does
// in production), and the test suites may run in any order.
void EnsureUser()
{
    if (geteuid() != 0 || getpwnam(kUser))
        return;
    int rc = system("useradd --system --no-create-home --home-dir /nonexistent "
                    "--shell /usr/sbin/nologin vsw");
    if (rc != 0)
        fprintf(stderr, "useradd vsw failed with status %d\n", rc);
}

class Sandbox : public ::testing::TestWithParam<Daemon> {
  protected:
    static void SetUpTestSuite() { EnsureUser(); }

    void SetUp() override
    {
        if (geteuid() != 0)
            GTEST_SKIP() << "the sandbox tests drop privileges and must run as root";
        struct passwd *pw = getpwnam(kUser);
        ASSERT_NE(pw, nullptr) << "no user " << kUser;
        ASSERT_NE(pw->pw_uid, 0u);
        uid_ = pw->pw_uid;
        gid_ = pw->pw_gid;
        char tmpl[] = "/tmp/vsw-sandbox-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        // The run directory belongs to the unprivileged user, as vsw-ctl makes /run/vsw.
        ASSERT_EQ(chown(dir_.c_str(), uid_, gid_), 0);
    }
    void TearDown() override
    {
        if (!dir_.empty())
            system(("rm -rf " + dir_).c_str());
    }

    // The child's log, and the part of it before rotation.
    std::string Log() const
    {
        return FileContents(dir_ + "/" + GetParam().short_name + ".log");
    }
    std::string RotatedLog() const
    {
        return FileContents(dir_ + "/" + GetParam().short_name + ".log.1");
    }

    uid_t uid_ = 0;
    gid_t gid_ = 0;
    std::string dir_;
};

TEST_P(Sandbox, NormalWorkRunsSandboxed)
{
    const Daemon &daemon = GetParam();
    std::string dir = dir_;
    ChildResult r = RunChild([&] { ChildNormalWork(daemon, dir); });
    std::string rotated = RotatedLog(), log = Log();
    EXPECT_TRUE(r.Exited0()) << r.Describe() << "\nits log:\n" << rotated << log;
    // Before SIGHUP, lines went to the file opened as root, now renamed; after it, to a new
    // file the sandboxed process created.
    EXPECT_NE(rotated.find(std::string(daemon.name) + "[" ), std::string::npos) << rotated;
    EXPECT_NE(rotated.find("info: child of the sandbox test starting"), std::string::npos)
        << rotated;
    EXPECT_NE(rotated.find("info: one-shot timer fired in the sandbox"), std::string::npos)
        << rotated;
    EXPECT_NE(log.find("info: log reopened in the sandbox"), std::string::npos) << log;
    EXPECT_NE(log.find("info: sandboxed work done"), std::string::npos) << log;
    EXPECT_EQ(log.find("starting"), std::string::npos) << log;
    // Teardown removed the sockets from the run directory.
    EXPECT_NE(access((dir_ + "/" + daemon.short_name + ".ctl").c_str(), F_OK), 0);
    EXPECT_NE(access((dir_ + "/" + daemon.short_name + ".events").c_str(), F_OK), 0);
}

std::vector<std::string> ForbiddenCalls(const Daemon &daemon)
{
    std::vector<std::string> calls = {
        "ptrace", "socket(AF_INET)", "socket(AF_INET6)", "mount",  "execve",
        "fork",   "setuid",          "kill",             "ioctl(SIOCGIFFLAGS)",
    };
    for (const char *own : { "socket(AF_NETLINK)", "socket(AF_PACKET)", "uname", "fsync" }) {
        bool allowed = false;
        for (const std::string &e : daemon.extra)
            allowed = allowed || e == own;
        if (!allowed)
            calls.push_back(own);
    }
    return calls;
}

TEST_P(Sandbox, CallOutsideThePolicyKillsTheProcess)
{
    const Daemon &daemon = GetParam();
    std::string dir = dir_;
    for (const std::string &call : ForbiddenCalls(daemon)) {
        SCOPED_TRACE(call);
        ChildResult r =
            RunChild([&] { ChildForbiddenCall(daemon, dir, call, SANDBOX_KILL); }, false, 3);
        EXPECT_TRUE(r.KilledBy(SIGSYS)) << call << ": " << r.Describe() << "\nits log:\n" << Log();
        if (r.hung)
            break;   // the others would hang as well; one failure says it
        // It died at the call, not before it.
        EXPECT_NE(r.report.find("sandboxed; calling " + call), std::string::npos) << r.report;
        EXPECT_EQ(r.report.find("survived"), std::string::npos) << r.report;
    }
}

TEST_P(Sandbox, FilterReachesThreadsStartedBeforeIt)
{
    const Daemon &daemon = GetParam();
    std::string dir = dir_;
    ChildResult r = RunChild(
        [&] { ChildForbiddenCall(daemon, dir, "ptrace", SANDBOX_KILL, true); }, false, 3);
    EXPECT_TRUE(r.KilledBy(SIGSYS)) << r.Describe();
    EXPECT_NE(r.report.find("sandboxed; calling ptrace"), std::string::npos) << r.report;
    EXPECT_EQ(r.report.find("survived"), std::string::npos) << r.report;
}

TEST_P(Sandbox, PrivilegesAfterTheDropAndTheFilter)
{
    const Daemon &daemon = GetParam();
    ChildResult r = RunChild([&] { ChildStatus(daemon); });
    ASSERT_TRUE(r.Exited0()) << r.Describe();
    size_t dropped_at = r.report.find("DROPPED\n");
    size_t restricted_at = r.report.find("RESTRICTED\n");
    ASSERT_NE(dropped_at, std::string::npos) << r.report;
    ASSERT_NE(restricted_at, std::string::npos) << r.report;
    std::string before = r.report.substr(0, dropped_at);
    std::string dropped = r.report.substr(dropped_at, restricted_at - dropped_at);
    std::string restricted = r.report.substr(restricted_at);

    EXPECT_EQ(StatusField(before, "Seccomp"), "0");
    EXPECT_EQ(StatusField(before, "Uid"), "0\t0\t0\t0");

    std::string uid = std::to_string(uid_), gid = std::to_string(gid_);
    for (const std::string *status : { &dropped, &restricted }) {
        EXPECT_EQ(StatusField(*status, "NoNewPrivs"), "1");
        EXPECT_EQ(StatusField(*status, "Uid"), uid + "\t" + uid + "\t" + uid + "\t" + uid);
        EXPECT_EQ(StatusField(*status, "Gid"), gid + "\t" + gid + "\t" + gid + "\t" + gid);
        EXPECT_EQ(StatusField(*status, "Groups"), gid);
        const char *kept[] = { "CapEff", "CapPrm", "CapBnd" };
        for (const char *field : kept) {
            std::string value = StatusField(*status, field);
            ASSERT_FALSE(value.empty()) << field;
            EXPECT_EQ(strtoull(value.c_str(), nullptr, 16), daemon.capabilities)
                << field << " is " << value;
        }
        EXPECT_EQ(strtoull(StatusField(*status, "CapInh").c_str(), nullptr, 16), 0u);
        EXPECT_EQ(strtoull(StatusField(*status, "CapAmb").c_str(), nullptr, 16), 0u);
    }
    EXPECT_EQ(StatusField(dropped, "Seccomp"), "0");
    EXPECT_EQ(StatusField(restricted, "Seccomp"), "2");
    std::string filters = StatusField(restricted, "Seccomp_filters");
    if (!filters.empty()) {
        EXPECT_EQ(filters, "1");
    }
}

INSTANTIATE_TEST_SUITE_P(EachDaemon, Sandbox, ::testing::ValuesIn(Daemons()),
                         [](const ::testing::TestParamInfo<Daemon> &info) {
                             return std::string(info.param.short_name);
                         });

// The debugging mode names the forbidden call before the process dies of it.
TEST(SandboxTrap, NamesTheForbiddenCall)
{
    if (geteuid() != 0)
        GTEST_SKIP() << "must run as root";
    EnsureUser();
    char tmpl[] = "/tmp/vsw-sandbox-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    struct passwd *pw = getpwnam(kUser);
    ASSERT_NE(pw, nullptr);
    ASSERT_EQ(chown(dir.c_str(), pw->pw_uid, pw->pw_gid), 0);
    const Daemon &dbd = Daemons()[0];
    ChildResult r =
        RunChild([&] { ChildForbiddenCall(dbd, dir, "ptrace", SANDBOX_TRAP); }, true);
    EXPECT_TRUE(r.KilledBy(SIGSYS)) << r.Describe();
    EXPECT_NE(r.report.find("sandbox: forbidden system call " + std::to_string(SYS_ptrace)),
              std::string::npos)
        << r.report;
    EXPECT_EQ(r.report.find("survived"), std::string::npos) << r.report;
    system(("rm -rf " + dir).c_str());
}

// A user that does not exist, or root itself, is refused rather than run privileged.
TEST(SandboxDrop, RefusesMissingUserAndRoot)
{
    if (geteuid() != 0)
        GTEST_SKIP() << "must run as root";
    for (const char *user : { "no-such-user-vsw-test", "root" }) {
        ChildResult r = RunChild([&] {
            CHILD_CHECK(sandbox_drop_privileges(&dbd_sandbox_policy, user) == -1);
            CHILD_CHECK(geteuid() == 0);
            _exit(0);
        });
        EXPECT_TRUE(r.Exited0()) << user << ": " << r.Describe();
    }
}

}  // namespace
