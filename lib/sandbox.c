#include "lib/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"

/* Every daemon's baseline: the event loop (poll, signalfd, clocks), logging to a file or syslog,
 * memory, and nanomsg's worker thread (epoll, eventfd, AF_UNIX stream sockets that it reconnects
 * by itself when a peer restarts). */
const struct sandbox_rule sandbox_runtime_rules[] = {
    /* I/O on descriptors the daemon already holds */
    SANDBOX_ALLOW(read),
    SANDBOX_ALLOW(write),
    SANDBOX_ALLOW(readv),
    SANDBOX_ALLOW(writev),
    SANDBOX_ALLOW(close),
    SANDBOX_ALLOW(fcntl),
    SANDBOX_ALLOW(fstat),
    SANDBOX_ALLOW(newfstatat),
    SANDBOX_ALLOW(lseek),
    /* the event loop */
    SANDBOX_ALLOW(poll),
    SANDBOX_ALLOW(ppoll),
    SANDBOX_ALLOW(signalfd4),
    SANDBOX_ALLOW(rt_sigprocmask),
    SANDBOX_ALLOW(rt_sigreturn),
    SANDBOX_ALLOW(clock_gettime),
    SANDBOX_ALLOW(clock_nanosleep),
    SANDBOX_ALLOW(nanosleep),
    SANDBOX_ALLOW(gettimeofday),
    SANDBOX_ALLOW(getpid),
    SANDBOX_ALLOW(gettid),
    SANDBOX_ALLOW(getrandom),
    /* A blocking call interrupted by a stop (SIGSTOP/SIGCONT, a debugger attaching) resumes
     * through restart_syscall(2); without it `kill -STOP` then `-CONT` kills the daemon. */
    SANDBOX_ALLOW(restart_syscall),
    /* glibc's qsort(3) asks sysinfo(2) for the memory size before sorting more than 1 KiB. */
    SANDBOX_ALLOW(sysinfo),
    /* memory */
    SANDBOX_ALLOW(brk),
    SANDBOX_ALLOW(mmap),
    SANDBOX_ALLOW(munmap),
    SANDBOX_ALLOW(mremap),
    SANDBOX_ALLOW(mprotect),
    SANDBOX_ALLOW(madvise),
    SANDBOX_ALLOW(futex),
    /* glibc's thread start-up: nanomsg's worker thread is created just before the filter is
     * loaded and may first run after it, when it registers these */
    SANDBOX_ALLOW(rseq),
    SANDBOX_ALLOW(set_robust_list),
    /* nanomsg: its worker thread and AF_UNIX transport */
    SANDBOX_ALLOW(epoll_wait),
    SANDBOX_ALLOW(epoll_ctl),
    SANDBOX_ALLOW(eventfd2),
    SANDBOX_ALLOW_ARG(socket, 0, AF_UNIX),
    SANDBOX_ALLOW(connect),
    SANDBOX_ALLOW(accept4),
    SANDBOX_ALLOW(accept),
    SANDBOX_ALLOW(sendmsg),
    SANDBOX_ALLOW(recvmsg),
    SANDBOX_ALLOW(sendto),
    SANDBOX_ALLOW(recvfrom),
    SANDBOX_ALLOW(getsockopt),
    SANDBOX_ALLOW(setsockopt),
    SANDBOX_ALLOW(getsockname),
    SANDBOX_ALLOW(shutdown),
    /* reopening the log file after rotation (SIGHUP) */
    SANDBOX_ALLOW(openat),
    /* teardown: removing our own sockets and pid file from the run directory */
    SANDBOX_ALLOW(unlink),
    SANDBOX_ALLOW(unlinkat),
    SANDBOX_ALLOW(exit),
    SANDBOX_ALLOW(exit_group),
    SANDBOX_ALLOW(rt_sigaction),
    SANDBOX_ALLOW(tgkill),
    SANDBOX_ALLOW(munlock),
};
const size_t sandbox_n_runtime_rules = sizeof sandbox_runtime_rules / sizeof sandbox_runtime_rules[0];

static bool capability_kept(const struct sandbox_policy *policy, int cap)
{
    for (size_t i = 0; i < policy->n_capabilities; i++) {
        if (policy->capabilities[i] == cap)
            return true;
    }
    return false;
}

static int last_capability(void)
{
    int last = CAP_LAST_CAP;
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
    if (f) {
        if (fscanf(f, "%d", &last) != 1)
            last = CAP_LAST_CAP;
        fclose(f);
    }
    return last;
}

/* Sets effective and permitted to the kept set and inheritable to nothing. */
static int set_capabilities(const struct sandbox_policy *policy)
{
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    for (size_t i = 0; i < policy->n_capabilities; i++) {
        int cap = policy->capabilities[i];
        data[cap / 32].effective |= 1u << (cap % 32);
        data[cap / 32].permitted |= 1u << (cap % 32);
    }
    return (int)syscall(SYS_capset, &header, data);
}

static int drop_bounding_set(const struct sandbox_policy *policy)
{
    int last = last_capability();
    for (int cap = 0; cap <= last; cap++) {
        if (capability_kept(policy, cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return -1;
    }
    return 0;
}

static int switch_user(const struct passwd *pw)
{
    gid_t gid = pw->pw_gid;
    if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0)
        return -1;
    /* KEEPCAPS carries the permitted set across the uid change; cleared again right after. */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
        return -1;
    return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

int sandbox_drop_privileges(const struct sandbox_policy *policy, const char *user)
{
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam(user);
        if (!pw) {
            vlog_err("sandbox: user '%s' does not exist (vsw-ctl start creates it)", user);
            return -1;
        }
        if (pw->pw_uid == 0) {
            vlog_err("sandbox: user '%s' is root; refusing to run privileged", user);
            return -1;
        }
        if (drop_bounding_set(policy) < 0 || switch_user(pw) < 0 || set_capabilities(policy) < 0) {
            vlog_err("sandbox: dropping privileges to %s failed: %s", user, strerror(errno));
            return -1;
        }
        if (setuid(0) == 0) {
            vlog_err("sandbox: could regain root after dropping privileges");
            return -1;
        }
    } else {
        vlog_info("sandbox: not started as root, keeping uid %d", (int)geteuid());
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
        vlog_err("sandbox: clearing ambient capabilities failed: %s", strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        vlog_err("sandbox: setting no_new_privs failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* SANDBOX_TRAP: name the offending syscall number, with async-signal-safe calls only. */
static void report_violation(int signo, siginfo_t *info, void *context)
{
    (void)context;
    char msg[96];
    int n = snprintf(msg, sizeof msg, "sandbox: forbidden system call %d; exiting\n",
                     info->si_syscall);
    if (n > 0) {
        ssize_t ignored = write(STDERR_FILENO, msg, (size_t)n);
        (void)ignored;
    }
    signal(signo, SIG_DFL);
    raise(signo);
}

static int add_rule(scmp_filter_ctx ctx, const struct sandbox_rule *rule)
{
    int rc = rule->arg < 0
                 ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rule->nr, 0)
                 : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rule->nr, 1,
                                    SCMP_CMP((unsigned)rule->arg, SCMP_CMP_EQ, rule->value));
    if (rc < 0)
        vlog_err("sandbox: cannot allow %s: %s", rule->name, strerror(-rc));
    return rc;
}

int sandbox_restrict_syscalls(const struct sandbox_policy *policy,
                              enum sandbox_violation violation)
{
    uint32_t action = violation == SANDBOX_TRAP ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
    if (violation == SANDBOX_TRAP) {
        struct sigaction sa = { .sa_sigaction = report_violation, .sa_flags = SA_SIGINFO };
        sigaction(SIGSYS, &sa, NULL);
    }
    scmp_filter_ctx ctx = seccomp_init(action);
    if (!ctx) {
        vlog_err("sandbox: seccomp_init failed");
        return -1;
    }
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    for (size_t i = 0; rc == 0 && i < sandbox_n_runtime_rules; i++)
        rc = add_rule(ctx, &sandbox_runtime_rules[i]);
    for (size_t i = 0; rc == 0 && i < policy->n_rules; i++)
        rc = add_rule(ctx, &policy->rules[i]);
    if (rc == 0 && (rc = seccomp_load(ctx)) < 0)
        vlog_err("sandbox: loading the %s allowlist failed: %s", policy->daemon, strerror(-rc));
    seccomp_release(ctx);
    return rc < 0 ? -1 : 0;
}

int sandbox_enter(const struct sandbox_policy *policy, const char *user,
                  enum sandbox_violation violation)
{
    if (sandbox_drop_privileges(policy, user) < 0)
        return -1;
    return sandbox_restrict_syscalls(policy, violation);
}
