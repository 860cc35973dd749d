/* vsw-flowd's system calls beyond the runtime's (lib/sandbox.c), and its capabilities:
 * NET_ADMIN (create and configure datapath ports) and NET_RAW (packet sockets). */
#include <linux/capability.h>
#include <sys/socket.h>

#include "flowd/flowd.h"

static const int flowd_capabilities[] = { CAP_NET_ADMIN, CAP_NET_RAW };

static const struct sandbox_rule flowd_rules[] = {
    /* the datapath: generic netlink to the kernel module, packet sockets, tap devices */
    SANDBOX_ALLOW_ARG(socket, 0, AF_NETLINK),
    SANDBOX_ALLOW_ARG(socket, 0, AF_PACKET),
    SANDBOX_ALLOW(bind),
    SANDBOX_ALLOW(ioctl),
    SANDBOX_ALLOW(sendmmsg),
    SANDBOX_ALLOW(recvmmsg),
};

const struct sandbox_policy flowd_sandbox_policy = {
    .daemon = "vsw-flowd",
    .capabilities = flowd_capabilities,
    .n_capabilities = sizeof flowd_capabilities / sizeof flowd_capabilities[0],
    .rules = flowd_rules,
    .n_rules = sizeof flowd_rules / sizeof flowd_rules[0],
};
