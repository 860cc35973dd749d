/* The database commands' way to vsw-dbd: DBD_TRANSACT and DBD_GET_SCHEMA requests on
 * <rundir>/dbd.sock, each bounded by what is left of the invocation's deadline. The schema
 * is the one built in (dbd/vswitch.schema) unless vsw-dbd runs another, which costs a
 * DBD_GET_SCHEMA then. An invocation that commits and waits for vsw-switchd also follows
 * <rundir>/dbd.events from just before the commit, and learns cur_cfg from the update
 * vsw-switchd's write produces. */
#ifndef VSW_TOOLS_VSCTL_IPC_H
#define VSW_TOOLS_VSCTL_IPC_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "dbd/schema.h"
#include "lib/ipc.h"
#include "tools/vsctl.h"

struct vsctl_ipc {
    char rundir[PATH_MAX];
    struct ipc_client client;
    bool connected;
    bool follow_updates;         /* subscribe to dbd.events before a commit it waits for */
    struct ipc_subscriber updates;
    bool following;              /* `updates` is open */
    bool heard;                  /* a message came on `updates` */
    int64_t seen_cur_cfg;        /* the highest cur_cfg in the updates heard, -1 if none */
    uint64_t deadline_ms;        /* monotonic; UINT64_MAX for none */
    /* The schema handed out: the built-in one until vsw-dbd says it runs another, then
     * vsw-dbd's. Every transaction carries its digest, so vsw-dbd refuses to run operations
     * built with the wrong one. */
    bool server_schema;
    char schema_digest[DB_SCHEMA_DIGEST_SIZE];
    struct db_schema *fetched_schema;   /* vsw-dbd's, once asked for */
};

/* Prepares `ipc` and fills `backend` to use it, and starts connecting to vsw-dbd (a missing
 * socket is reported by the first call). `follow_updates`: the invocation may wait for
 * vsw-switchd (not --no-wait). The sockets stay open until the process exits. */
void vsctl_ipc_init(struct vsctl_ipc *ipc, const char *rundir, int timeout_ms,
                    bool follow_updates, struct vsctl_backend *backend);

#endif
