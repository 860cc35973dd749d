#include "flowd/tun_opener.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"

/* The helper's whole allowlist: wait for a request, open the device, send it, close it. */
static const int helper_syscalls[] = {
    SCMP_SYS(read), SCMP_SYS(openat), SCMP_SYS(sendmsg), SCMP_SYS(close),
    SCMP_SYS(exit_group), SCMP_SYS(exit),
};

static int helper_restrict(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof helper_syscalls / sizeof helper_syscalls[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, helper_syscalls[i], 0);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc;
}

/* Drops every capability (uid 0 stays: it owns the device node), forbids regaining any. */
static int helper_drop_capabilities(void)
{
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return -1;
    }
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) < 0)
        return -1;
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* Sends the `n` descriptors `fds` and `error` (the errno of the open that failed, if one did)
 * as the reply to one request. */
static void helper_reply(int sock, const int *fds, int n, int error)
{
    int32_t payload = error;
    struct iovec iov = { &payload, sizeof payload };
    union {
        char buf[CMSG_SPACE(TUN_OPENER_BATCH * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (n > 0) {
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
        memcpy(CMSG_DATA(cmsg), fds, (size_t)n * sizeof(int));
    }
    (void)sendmsg(sock, &msg, MSG_NOSIGNAL);
}

static void helper_main(int sock)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() == 1)
        _exit(0);   /* flowd died before the line above took effect */
    /* Nothing of flowd's stays open here but the socketpair and the standard streams. */
    for (int fd = 3; fd < 1024; fd++) {
        if (fd != sock)
            close(fd);
    }
    if (helper_drop_capabilities() < 0 || helper_restrict() < 0)
        _exit(1);
    /* A request is one byte: how many descriptors flowd wants (1..TUN_OPENER_BATCH). */
    unsigned char request;
    while (read(sock, &request, 1) == 1) {
        int fds[TUN_OPENER_BATCH], n = 0, error = 0;
        int want = request < 1 ? 1 : request > TUN_OPENER_BATCH ? TUN_OPENER_BATCH : request;
        while (n < want && !error) {
            int fd = open(TUN_DEVICE, O_RDWR | O_CLOEXEC);
            if (fd < 0)
                error = errno;
            else
                fds[n++] = fd;
        }
        helper_reply(sock, fds, n, error);
        for (int i = 0; i < n; i++)
            close(fds[i]);
    }
    _exit(0);
}

int tun_opener_start(struct tun_opener *t)
{
    int sv[2];
    t->sock = -1;
    t->pid = -1;
    t->n_spare = 0;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        vlog_err("tun opener: socketpair failed: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        vlog_err("tun opener: fork failed: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0)
        helper_main(sv[1]);
    close(sv[1]);
    t->sock = sv[0];
    t->pid = pid;
    return 0;
}

/* Asks the helper for a batch of descriptors, kept in t->spare. Returns 0, or -1 with errno
 * set if none came. */
static int refill(struct tun_opener *t)
{
    unsigned char request = TUN_OPENER_BATCH;
    if (write(t->sock, &request, 1) != 1)
        return -1;
    int32_t error = 0;
    struct iovec iov = { &error, sizeof error };
    union {
        char buf[CMSG_SPACE(TUN_OPENER_BATCH * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                          .msg_controllen = sizeof control.buf };
    ssize_t n = recvmsg(t->sock, &msg, MSG_CMSG_CLOEXEC);
    if (n != sizeof error) {
        errno = n == 0 ? EPIPE : errno;
        return -1;
    }
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) {
        errno = error ? error : EIO;
        return -1;
    }
    size_t n_fds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n_fds && i < TUN_OPENER_BATCH; i++)
        memcpy(&t->spare[t->n_spare++], CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
    return 0;
}

int tun_opener_open(struct tun_opener *t)
{
    if (t->sock < 0) {
        errno = ENODEV;
        return -1;
    }
    if (t->n_spare == 0 && refill(t) < 0)
        return -1;
    return t->spare[--t->n_spare];
}

void tun_opener_stop(struct tun_opener *t)
{
    while (t->n_spare > 0)
        close(t->spare[--t->n_spare]);
    if (t->sock >= 0)
        close(t->sock);
    t->sock = -1;
}
