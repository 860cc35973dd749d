/* Opens /dev/net/tun for flowd after it dropped privileges.
 *
 * Creating a tap device needs CAP_NET_ADMIN, which flowd keeps, but first an open(2) of
 * /dev/net/tun, whose mode is 0600 root on many systems (no udev rule making it 0666): the vsw
 * user cannot open it, and keeping CAP_DAC_OVERRIDE for that would let flowd read any file.
 * So, OpenSSH-style privilege separation: before the drop, flowd forks a helper that keeps uid
 * 0 but no capability at all, under a seccomp filter of six calls; on each one-byte request it
 * opens /dev/net/tun and passes the descriptor back over a socketpair (SCM_RIGHTS). It does
 * nothing else and exits when flowd goes away. Descriptors come TUN_OPENER_BATCH at a time and
 * wait in flowd until used: creating many taps then costs one round trip per batch. An unused
 * descriptor of /dev/net/tun is attached to no device and grants nothing flowd lacks. */
#ifndef VSW_FLOWD_TUN_OPENER_H
#define VSW_FLOWD_TUN_OPENER_H

#include <sys/types.h>

#define TUN_DEVICE "/dev/net/tun"

#define TUN_OPENER_BATCH 16

struct tun_opener {
    int sock;           /* flowd's end of the socketpair; -1 when not started */
    pid_t pid;
    int spare[TUN_OPENER_BATCH];   /* opened, not yet handed out */
    int n_spare;
};

/* Forks the helper. Call as root, before the sandbox and before any thread exists.
 * Returns 0, or -1 (logged). */
int tun_opener_start(struct tun_opener *t);

/* A new descriptor of /dev/net/tun (O_RDWR, close-on-exec), or -1 with errno set (logged by
 * the caller, who knows what the tap was for). */
int tun_opener_open(struct tun_opener *t);

/* Closes flowd's end: the helper sees end of file and exits. */
void tun_opener_stop(struct tun_opener *t);

#endif
