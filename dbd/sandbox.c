/* vsw-dbd's system calls beyond the runtime's (lib/sandbox.c), and its capabilities: none.
 * The database file and its journal arrive with the engine; until then dbd needs nothing more. */
#include "dbd/dbd.h"

static const struct sandbox_rule dbd_rules[] = {
    SANDBOX_ALLOW(fsync),
    SANDBOX_ALLOW(fdatasync),
};

const struct sandbox_policy dbd_sandbox_policy = {
    .daemon = "vsw-dbd",
    .capabilities = NULL,
    .n_capabilities = 0,
    .rules = dbd_rules,
    .n_rules = sizeof dbd_rules / sizeof dbd_rules[0],
};
