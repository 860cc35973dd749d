/* vsw-flowd's system calls beyond the runtime's (lib/sandbox.c), and its capabilities:
 * NET_ADMIN (create taps, set MTUs, promiscuous mode, forced socket buffer sizes) and NET_RAW
 * (packet sockets). What needs more (the epoll set, rtnetlink and ioctl sockets, the
 * /dev/net/tun helper) is opened before the sandbox. */
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "flowd/flowd.h"

static const int flowd_capabilities[] = { CAP_NET_ADMIN, CAP_NET_RAW };

static const struct sandbox_rule flowd_rules[] = {
    /* system ports: one packet socket each, bound to its interface */
    SANDBOX_ALLOW_ARG(socket, 0, AF_PACKET),
    SANDBOX_ALLOW(bind),
    /* batched transmit on packet sockets (receive is a shared ring: no call) */
    SANDBOX_ALLOW(sendmmsg),
    /* internal ports: the tap from the helper's descriptor */
    SANDBOX_ALLOW_ARG(ioctl, 1, TUNSETIFF),
    SANDBOX_ALLOW_ARG(ioctl, 1, TUNSETVNETHDRSZ),
    SANDBOX_ALLOW_ARG(ioctl, 1, TUNSETOFFLOAD),
    SANDBOX_ALLOW_ARG(ioctl, 1, TUNSETPERSIST),
    /* interfaces: index, MTU, address */
    SANDBOX_ALLOW_ARG(ioctl, 1, SIOCGIFINDEX),
    SANDBOX_ALLOW_ARG(ioctl, 1, SIOCGIFMTU),
    SANDBOX_ALLOW_ARG(ioctl, 1, SIOCSIFMTU),
    SANDBOX_ALLOW_ARG(ioctl, 1, SIOCGIFHWADDR),
};

const struct sandbox_policy flowd_sandbox_policy = {
    .daemon = "vsw-flowd",
    .capabilities = flowd_capabilities,
    .n_capabilities = sizeof flowd_capabilities / sizeof flowd_capabilities[0],
    .rules = flowd_rules,
    .n_rules = sizeof flowd_rules / sizeof flowd_rules[0],
};
