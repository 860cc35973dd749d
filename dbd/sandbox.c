/* vsw-dbd's system calls beyond the runtime's (lib/sandbox.c), and its capabilities: none.
 * The journal needs positional durable writes, truncation (undoing a failed write), the free
 * space of its file system (for the log), and the atomic rename of compaction. */
#include "dbd/dbd.h"

static const struct sandbox_rule dbd_rules[] = {
    SANDBOX_ALLOW(fsync),
    SANDBOX_ALLOW(fdatasync),
    SANDBOX_ALLOW(ftruncate),
    SANDBOX_ALLOW(pread64),
    SANDBOX_ALLOW(pwritev),
    SANDBOX_ALLOW(fstatfs),
    SANDBOX_ALLOW(rename),
    SANDBOX_ALLOW(renameat),
    SANDBOX_ALLOW(renameat2),
};

const struct sandbox_policy dbd_sandbox_policy = {
    .daemon = "vsw-dbd",
    .capabilities = NULL,
    .n_capabilities = 0,
    .rules = dbd_rules,
    .n_rules = sizeof dbd_rules / sizeof dbd_rules[0],
};
