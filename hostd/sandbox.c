/* vsw-hostd's system calls beyond the runtime's (lib/sandbox.c), and its capabilities: none.
 * XAPI connections (AF_INET, TLS) will be added here with the XAPI client. */
#include "hostd/hostd.h"

static const struct sandbox_rule hostd_rules[] = {
    SANDBOX_ALLOW(uname),
};

const struct sandbox_policy hostd_sandbox_policy = {
    .daemon = "vsw-hostd",
    .capabilities = NULL,
    .n_capabilities = 0,
    .rules = hostd_rules,
    .n_rules = sizeof hostd_rules / sizeof hostd_rules[0],
};
