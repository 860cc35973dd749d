/* vsw-dbd: the configuration database daemon. */
#ifndef VSW_DBD_H
#define VSW_DBD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "dbd/store.h"
#include "dbd/waiting.h"
#include "lib/daemon.h"
#include "ovsdb/schema.h"
#include "proto/dbd.pb-c.h"

#define DBD_HEARTBEAT_INTERVAL_MS 1000
/* Compaction is checked this often, outside the path of any request. */
#define DBD_COMPACT_CHECK_MS 10000

struct dbd {
    struct daemon daemon;          /* first: see lib/daemon.h */
    struct ipc_server api;         /* dbd.sock: the dbd channel */
    struct ipc_publisher events;   /* dbd.events: updates and heartbeats, one sequence */
    struct store store;
    char db_path[PATH_MAX];        /* --db; default <rundir>/conf.db */
    char schema_path[PATH_MAX];    /* --schema; default: the schema built into the binary */
    char *schema_text;             /* the schema in use (malloc'd) */
    size_t schema_len;
    char schema_digest[DB_SCHEMA_DIGEST_SIZE];   /* of schema_text: clients send it back */
    bool failed;                   /* a commit could not be made durable: exit non-zero */
    struct waiting waiting;        /* transactions waiting for a "wait" condition */
};

#include "dbd/builtin_schema.h"

extern const struct ipc_route dbd_routes[];
extern const size_t dbd_n_routes;
extern const struct sandbox_policy dbd_sandbox_policy;

#endif
