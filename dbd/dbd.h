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
/* A compaction or a record of a recovery that failed for lack of disk is retried this often. */
#define DBD_RETRY_MS 10000
/* DBD_COMPACT requests waiting for the compaction running. */
#define DBD_COMPACT_WAITERS_MAX 16

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
    char compact_records[24];      /* --compact-records */
    bool failed;                   /* the journal's state is unknown after a failed write:
                                    * exit non-zero */
    struct waiting waiting;        /* transactions waiting for a "wait" condition */
    int compact_timer;             /* a compaction to start at the next turn, or -1 */
    struct ipc_deferred *compact_waiters[DBD_COMPACT_WAITERS_MAX];   /* DBD_COMPACT requests */
    size_t n_compact_waiters;
    uint64_t compact_bytes_before;
};

#include "dbd/builtin_schema.h"

/* compaction.c: when the journal is compacted. */
void compaction_schedule(struct dbd *dbd);                            /* after a commit */
void compaction_request(struct dbd *dbd, struct ipc_reply *reply);   /* DBD_COMPACT */
void compaction_done(void *arg, int fd, short revents);      /* the compactor's descriptor */
void compaction_retry(void *arg);                            /* every DBD_RETRY_MS */

extern const struct ipc_route dbd_routes[];
extern const size_t dbd_n_routes;
extern const struct sandbox_policy dbd_sandbox_policy;

#endif
