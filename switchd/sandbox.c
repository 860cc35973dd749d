/* vsw-switchd's system calls beyond the runtime's (lib/sandbox.c), and its capabilities: none.
 * Controller connections (TCP/SSL) will add AF_INET/AF_INET6 sockets here. */
#include "switchd/switchd.h"

static const struct sandbox_rule switchd_rules[] = {
    SANDBOX_ALLOW(uname),
};

const struct sandbox_policy switchd_sandbox_policy = {
    .daemon = "vsw-switchd",
    .capabilities = NULL,
    .n_capabilities = 0,
    .rules = switchd_rules,
    .n_rules = sizeof switchd_rules / sizeof switchd_rules[0],
};
