/* vsw-tunneld's system calls beyond the runtime's (lib/sandbox.c), and its capability:
 * NET_ADMIN, for netfilter rules and route/neighbour lookups over rtnetlink. */
#include <linux/capability.h>
#include <sys/socket.h>

#include "tunneld/tunneld.h"

static const int tunneld_capabilities[] = { CAP_NET_ADMIN };

static const struct sandbox_rule tunneld_rules[] = {
    SANDBOX_ALLOW_ARG(socket, 0, AF_NETLINK),
    SANDBOX_ALLOW(bind),
};

const struct sandbox_policy tunneld_sandbox_policy = {
    .daemon = "vsw-tunneld",
    .capabilities = tunneld_capabilities,
    .n_capabilities = sizeof tunneld_capabilities / sizeof tunneld_capabilities[0],
    .rules = tunneld_rules,
    .n_rules = sizeof tunneld_rules / sizeof tunneld_rules[0],
};
