/* vsw-supervisor: starts the five daemons as root in order (dbd first), restarts any that dies,
 * and on SIGTERM stops them in reverse order, leaving no process and no socket behind.
 * It is the "service script" supervisor of a plain machine; vsw-ctl drives it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/loop.h"
#include "lib/rundir.h"
#include "lib/version.h"
#include "tools/daemons.h"

/* A daemon killed from outside (SIGKILL, SIGTERM) this soon after starting, three times in a
 * row, is restarted after a pause: something keeps killing it. */
#define QUICK_DEATH_MS 1000
#define KILL_LOOP_DELAY_MS 1000
/* A daemon that fails by itself (exits non-zero, or crashes) again within a minute of its start
 * is crash-looping: from the second failure in a row, each restart waits twice as long as the
 * one before, 1 s, 2 s, 4 s ... up to a minute. A minute of life resets the count. */
#define FAILURE_RESET_MS 60000
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000
/* The end of a daemon's log searched for its last error, for `vsw status`. */
#define LOG_TAIL_BYTES 16384
#define READY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000

struct child {
    const struct vsw_daemon_info *info;
    char path[PATH_MAX];
    pid_t pid;                   /* 0: not running */
    uint64_t started_ms;
    unsigned restarts;
    unsigned quick_deaths;       /* consecutive kills from outside, each soon after a start */
    unsigned failures;           /* consecutive failures of its own, each within a minute */
    int restart_timer;           /* pending delayed restart, or -1 */
};

struct supervisor {
    char rundir[PATH_MAX];
    char bindir[PATH_MAX];
    char logdir[PATH_MAX];
    char log_level[16];
    char pidfile[PATH_MAX];
    bool detach;
    struct loop loop;
    struct child children[VSW_N_DAEMONS];
    bool stopping;
};

/* dir/name into buf; a path that does not fit is an error, never silently cut. */
static int path_in(char *buf, size_t size, const char *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int find_binary(const struct supervisor *s, struct child *c)
{
    /* Installed: all in one directory. Built by Bazel: bazel-bin/<folder>/<binary>. */
    if (path_in(c->path, sizeof c->path, s->bindir, c->info->name) == 0 &&
        access(c->path, X_OK) == 0)
        return 0;
    char parent[PATH_MAX], folder[PATH_MAX];
    if (path_in(parent, sizeof parent, s->bindir, "..") == 0 &&
        path_in(folder, sizeof folder, parent, c->info->short_name) == 0 &&
        path_in(c->path, sizeof c->path, folder, c->info->name) == 0 &&
        access(c->path, X_OK) == 0)
        return 0;
    vlog_err("cannot find %s in %s or %s/../%s", c->info->name, s->bindir, s->bindir,
             c->info->short_name);
    return -1;
}

static void child_exec(const struct supervisor *s, const struct child *c)
{
    char log_file[PATH_MAX], name[64];
    snprintf(name, sizeof name, "%s.log", c->info->name);
    if (path_in(log_file, sizeof log_file, s->logdir, name) < 0)
        _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* A process group of its own keeps a terminal's job-control signals away from the daemon;
     * the supervisor's session, kept, keeps the daemons in one scheduler autogroup. A change
     * goes dbd -> switchd -> flowd -> switchd -> dbd: with a session (so an autogroup) each,
     * the fair scheduler weighed them as strangers and left one waiting behind another's slice
     * while the other CPU idled (about 0.1 ms of a waiting add-port, bench/README.md). */
    setpgid(0, 0);
    execl(c->path, c->info->name, "--rundir", s->rundir, "--log-file", log_file, "--log-level",
          s->log_level, (char *)NULL);
    fprintf(stderr, "vsw-supervisor: cannot run %s: %s\n", c->path, strerror(errno));
    _exit(127);
}

static int child_start(struct supervisor *s, struct child *c)
{
    c->restart_timer = -1;
    pid_t pid = fork();
    if (pid < 0) {
        vlog_err("cannot fork for %s: %s", c->info->name, strerror(errno));
        return -1;
    }
    if (pid == 0)
        child_exec(s, c);
    c->pid = pid;
    c->started_ms = loop_now_ms();
    vlog_info("started %s, pid %d", c->info->name, (int)pid);
    return 0;
}

static struct supervisor *the_supervisor;  /* for timer callbacks that only get the child */

static void on_restart_timer(void *arg)
{
    struct child *c = arg;
    if (!the_supervisor->stopping && c->pid == 0)
        child_start(the_supervisor, c);
}

static void describe_exit(int status, char *buf, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

static struct child *child_by_pid(struct supervisor *s, pid_t pid)
{
    for (size_t i = 0; i < VSW_N_DAEMONS; i++) {
        if (s->children[i].pid == pid)
            return &s->children[i];
    }
    return NULL;
}

/* A death the daemon did not cause: a signal only another process sends. */
static bool killed_from_outside(int status)
{
    return WIFSIGNALED(status) && (WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGTERM);
}

/* How long to wait before restarting a daemon that died after living `lived` ms. */
static uint64_t restart_delay(struct child *c, int status, uint64_t lived)
{
    if (killed_from_outside(status)) {
        c->quick_deaths = lived < QUICK_DEATH_MS ? c->quick_deaths + 1 : 0;
        return c->quick_deaths > 2 ? KILL_LOOP_DELAY_MS : 0;
    }
    c->quick_deaths = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        c->failures = 0;
        return 0;
    }
    c->failures = lived < FAILURE_RESET_MS ? c->failures + 1 : 1;
    if (c->failures < 2)
        return 0;
    unsigned doublings = c->failures - 2;
    return doublings >= 6 ? BACKOFF_MAX_MS : BACKOFF_FIRST_MS << doublings;
}

/* The last line the daemon logged at error level ("" if none), from the end of its log. */
static void last_logged_error(const struct supervisor *s, const struct child *c, char *buf,
                              size_t size)
{
    char path[PATH_MAX], name[64];
    buf[0] = '\0';
    snprintf(name, sizeof name, "%s.log", c->info->name);
    if (path_in(path, sizeof path, s->logdir, name) < 0)
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    static char tail[LOG_TAIL_BYTES + 1];
    struct stat st;
    off_t from = fstat(fd, &st) == 0 && st.st_size > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES
                                                                    : 0;
    ssize_t n = pread(fd, tail, LOG_TAIL_BYTES, from);
    close(fd);
    if (n <= 0)
        return;
    tail[n] = '\0';
    const char *found = NULL;
    for (const char *p = strstr(tail, " err: "); p; p = strstr(p + 1, " err: "))
        found = p + strlen(" err: ");
    if (!found)
        return;
    size_t len = strcspn(found, "\n");
    snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), found);
}

/* Writes <short_name>.last-exit in the run directory: how the daemon last ended, when it comes
 * back, and the last error it logged. `vsw status` shows it for a daemon that is down. */
static void record_exit(const struct supervisor *s, const struct child *c, const char *how,
                        uint64_t lived, uint64_t delay)
{
    char path[PATH_MAX], name[64], when[32], next[32], error[1024];
    snprintf(name, sizeof name, "%s.last-exit", c->info->short_name);
    if (path_in(path, sizeof path, s->rundir, name) < 0)
        return;
    time_t now = time(NULL);
    struct tm tm;
    time_t restart = now + (time_t)((delay + 999) / 1000);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    strftime(next, sizeof next, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&restart, &tm));
    last_logged_error(s, c, error, sizeof error);
    FILE *f = fopen(path, "w");
    if (!f) {
        vlog_warn("cannot write %s: %s", path, strerror(errno));
        return;
    }
    fprintf(f, "%s at %s after %llu ms", how, when, (unsigned long long)lived);
    if (c->failures > 1)
        fprintf(f, ", failure %u in a row", c->failures);
    if (delay)
        fprintf(f, "; next start at %s (in %llu s)", next,
                (unsigned long long)(delay + 999) / 1000);
    fprintf(f, "\n");
    if (error[0])
        fprintf(f, "last error: %s\n", error);
    fclose(f);
}

static void child_died(struct supervisor *s, struct child *c, int status)
{
    char how[96];
    describe_exit(status, how, sizeof how);
    c->pid = 0;
    if (s->stopping)
        return;
    uint64_t lived = loop_now_ms() - c->started_ms;
    uint64_t delay = restart_delay(c, status, lived);
    c->restarts++;
    record_exit(s, c, how, lived, delay);
    if (delay)
        vlog_warn("%s %s after %llu ms; restarting in %llu ms: it is %s (restart %u)",
                  c->info->name, how, (unsigned long long)lived, (unsigned long long)delay,
                  killed_from_outside(status) ? "killed again and again" : "crash-looping",
                  c->restarts);
    else
        vlog_warn("%s %s after %llu ms; restarting (restart %u)", c->info->name, how,
                  (unsigned long long)lived, c->restarts);
    if (delay)
        c->restart_timer = loop_add_timer(&s->loop, delay, 0, on_restart_timer, c);
    else
        child_start(s, c);
}

static void reap_children(struct supervisor *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        struct child *c = child_by_pid(s, pid);
        if (c)
            child_died(s, c, status);
    }
}

static void on_sigchld(void *arg, int signo)
{
    (void)signo;
    reap_children(arg);
}

static void on_stop(void *arg, int signo)
{
    struct supervisor *s = arg;
    vlog_info("signal %d: stopping all daemons", signo);
    s->stopping = true;
    loop_stop(&s->loop);
}

static bool control_socket_exists(const struct supervisor *s, const struct child *c)
{
    char path[PATH_MAX], name[64];
    snprintf(name, sizeof name, "%s.ctl", c->info->short_name);
    struct stat st;
    return path_in(path, sizeof path, s->rundir, name) == 0 && stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Waits until the daemon's control socket appears (it binds it after entering the sandbox). */
static int wait_ready(const struct supervisor *s, const struct child *c)
{
    uint64_t deadline = loop_now_ms() + READY_TIMEOUT_MS;
    while (loop_now_ms() < deadline) {
        if (control_socket_exists(s, c))
            return 0;
        int status;
        if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
            char how[96];
            describe_exit(status, how, sizeof how);
            vlog_err("%s %s while starting; see %s/%s.log", c->info->name, how, s->logdir,
                     c->info->name);
            return -1;
        }
        usleep(20 * 1000);
    }
    vlog_err("%s did not become ready within %d ms", c->info->name, READY_TIMEOUT_MS);
    return -1;
}

static void remove_leftovers(const struct supervisor *s)
{
    static const char *const extra_sockets[] = { "dbd.sock", "dbd.events", "flowd.sock",
                                                 "flowd-tunnel.sock", "hostd.sock" };
    char path[PATH_MAX], name[64];
    for (size_t i = 0; i < VSW_N_DAEMONS; i++) {
        snprintf(name, sizeof name, "%s.ctl", vsw_daemons[i].short_name);
        if (path_in(path, sizeof path, s->rundir, name) == 0)
            unlink(path);
        snprintf(name, sizeof name, "%s.pid", vsw_daemons[i].short_name);
        if (path_in(path, sizeof path, s->rundir, name) == 0)
            unlink(path);
        snprintf(name, sizeof name, "%s.last-exit", vsw_daemons[i].short_name);
        if (path_in(path, sizeof path, s->rundir, name) == 0)
            unlink(path);
    }
    for (size_t i = 0; i < sizeof extra_sockets / sizeof extra_sockets[0]; i++) {
        if (path_in(path, sizeof path, s->rundir, extra_sockets[i]) == 0)
            unlink(path);
    }
}

/* SIGTERM in reverse start order; SIGKILL for any daemon still there after the timeout. */
static void stop_children(struct supervisor *s)
{
    for (size_t i = VSW_N_DAEMONS; i-- > 0;) {
        struct child *c = &s->children[i];
        if (c->pid <= 0)
            continue;
        kill(c->pid, SIGTERM);
        uint64_t deadline = loop_now_ms() + STOP_TIMEOUT_MS;
        int status;
        while (waitpid(c->pid, &status, WNOHANG) == 0 && loop_now_ms() < deadline)
            usleep(10 * 1000);
        if (kill(c->pid, 0) == 0) {
            vlog_warn("%s did not stop within %d ms; killing it", c->info->name,
                      STOP_TIMEOUT_MS);
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &status, 0);
        }
        vlog_info("stopped %s", c->info->name);
        c->pid = 0;
    }
    remove_leftovers(s);
}

static int start_all(struct supervisor *s)
{
    for (size_t i = 0; i < VSW_N_DAEMONS; i++) {
        struct child *c = &s->children[i];
        if (child_start(s, c) < 0 || wait_ready(s, c) < 0)
            return -1;
    }
    return 0;
}

/* The directory part of `path`, in a static buffer. */
static const char *dirname_of(const char *path)
{
    static char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    return dir;
}

static void usage(void)
{
    printf("usage: vsw-supervisor [--rundir DIR] [--bindir DIR] [--log-dir DIR]\n"
           "                      [--log-level LEVEL] [--detach]\n"
           "Starts the vsw daemons, restarts any that dies, stops them all on SIGTERM.\n");
}

static int parse_options(struct supervisor *s, int argc, char **argv)
{
    enum { OPT_RUNDIR = 256, OPT_BINDIR, OPT_LOGDIR, OPT_LEVEL, OPT_DETACH, OPT_HELP };
    static const struct option options[] = {
        { "rundir", required_argument, NULL, OPT_RUNDIR },
        { "bindir", required_argument, NULL, OPT_BINDIR },
        { "log-dir", required_argument, NULL, OPT_LOGDIR },
        { "log-level", required_argument, NULL, OPT_LEVEL },
        { "detach", no_argument, NULL, OPT_DETACH },
        { "help", no_argument, NULL, OPT_HELP },
        { NULL, 0, NULL, 0 },
    };
    snprintf(s->rundir, sizeof s->rundir, "%s", "/run/vsw");
    snprintf(s->log_level, sizeof s->log_level, "%s", "info");
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    snprintf(s->bindir, sizeof s->bindir, "%s", n > 0 ? dirname_of(self) : ".");
    for (;;) {
        int c = getopt_long(argc, argv, "", options, NULL);
        if (c == -1)
            break;
        enum vlog_level level;
        switch (c) {
        case OPT_RUNDIR: snprintf(s->rundir, sizeof s->rundir, "%s", optarg); break;
        case OPT_BINDIR: snprintf(s->bindir, sizeof s->bindir, "%s", optarg); break;
        case OPT_LOGDIR: snprintf(s->logdir, sizeof s->logdir, "%s", optarg); break;
        case OPT_LEVEL:
            if (!vlog_level_from_string(optarg, &level)) {
                fprintf(stderr, "vsw-supervisor: --log-level: '%s' is not err, warn, info or "
                                "debug\n", optarg);
                return 2;
            }
            snprintf(s->log_level, sizeof s->log_level, "%s", optarg);
            break;
        case OPT_DETACH: s->detach = true; break;
        case OPT_HELP: usage(); return 0;
        default: fprintf(stderr, "vsw-supervisor: try --help\n"); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vsw-supervisor: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (strlen(s->rundir) > RUNDIR_MAX) {
        fprintf(stderr, "vsw-supervisor: --rundir: at most %d characters (socket paths)\n",
                RUNDIR_MAX);
        return 2;
    }
    if (!s->logdir[0])
        snprintf(s->logdir, sizeof s->logdir, "%s", s->rundir);
    if (path_in(s->pidfile, sizeof s->pidfile, s->rundir, "supervisor.pid") < 0) {
        fprintf(stderr, "vsw-supervisor: run directory path too long\n");
        return 2;
    }
    return -1;
}

/* --detach: the parent exits once the child reports all daemons up (1 byte) or failure. */
static int detach(int *ready_fd)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        close(fds[1]);
        char ok = 0;
        ssize_t n = read(fds[0], &ok, 1);
        _exit(n == 1 && ok == 1 ? EXIT_SUCCESS : EXIT_FAILURE);
    }
    close(fds[0]);
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    *ready_fd = fds[1];
    return 0;
}

static int write_pidfile(const struct supervisor *s)
{
    FILE *f = fopen(s->pidfile, "w");
    if (!f) {
        vlog_err("cannot write %s: %s", s->pidfile, strerror(errno));
        return -1;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    return 0;
}

static int setup(struct supervisor *s)
{
    char log_file[PATH_MAX];
    if (path_in(log_file, sizeof log_file, s->logdir, "vsw-supervisor.log") < 0) {
        fprintf(stderr, "vsw-supervisor: log directory path too long\n");
        return -1;
    }
    if (vlog_open("vsw-supervisor", VLOG_TO_FILE, log_file, VLOG_INFO) < 0) {
        fprintf(stderr, "vsw-supervisor: cannot open %s: %s\n", log_file, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < VSW_N_DAEMONS; i++) {
        s->children[i].info = &vsw_daemons[i];
        s->children[i].restart_timer = -1;
        if (find_binary(s, &s->children[i]) < 0)
            return -1;
    }
    loop_init(&s->loop);
    if (loop_on_signal(&s->loop, SIGCHLD, on_sigchld, s) < 0 ||
        loop_on_signal(&s->loop, SIGTERM, on_stop, s) < 0 ||
        loop_on_signal(&s->loop, SIGINT, on_stop, s) < 0) {
        vlog_err("cannot set up signals: %s", strerror(errno));
        return -1;
    }
    return write_pidfile(s);
}

int main(int argc, char **argv)
{
    static struct supervisor s;
    the_supervisor = &s;
    int rc = parse_options(&s, argc, argv);
    if (rc >= 0)
        return rc;
    int ready_fd = -1;
    if (s.detach && detach(&ready_fd) < 0) {
        perror("vsw-supervisor: detach");
        return EXIT_FAILURE;
    }
    if (setup(&s) < 0)
        return EXIT_FAILURE;
    vlog_info("vsw-supervisor %s starting, run directory %s", VSW_VERSION, s.rundir);
    rc = EXIT_FAILURE;
    if (start_all(&s) == 0) {
        if (ready_fd >= 0) {
            char ok = 1;
            ssize_t ignored = write(ready_fd, &ok, 1);
            (void)ignored;
            close(ready_fd);
        }
        vlog_info("all %zu daemons up", VSW_N_DAEMONS);
        rc = loop_run(&s.loop) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    s.stopping = true;
    stop_children(&s);
    unlink(s.pidfile);
    vlog_info("vsw-supervisor stopped");
    return rc;
}
