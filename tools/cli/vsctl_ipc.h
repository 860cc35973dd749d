/* The database commands' way to vsw-dbd: DBD_TRANSACT and DBD_GET_SCHEMA requests on
 * <rundir>/dbd.sock, each bounded by what is left of the invocation's deadline. The schema
 * is the one built in (dbd/vswitch.schema) unless vsw-dbd runs another, which costs a
 * DBD_GET_SCHEMA then. A commit that waits for vsw-switchd asks vsw-dbd to answer it once
 * cur_cfg has reached next_cfg (TransactRequest.then_wait_*), within a second; beyond that,
 * each further second is one transaction holding a blocking "wait" on cur_cfg. A warning
 * vsw-dbd attaches to its replies (a recovery with loss not yet acknowledged) is printed on
 * standard error, once. */
#ifndef VSW_TOOLS_VSCTL_IPC_H
#define VSW_TOOLS_VSCTL_IPC_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/ipc.h"
#include "ovsdb/schema.h"
#include "tools/cli/vsctl.h"

struct vsctl_ipc {
    char rundir[PATH_MAX];
    struct ipc_client client;
    bool connected;
    uint64_t deadline_ms;        /* monotonic; UINT64_MAX for none */
    /* The schema handed out: the built-in one until vsw-dbd says it runs another, then
     * vsw-dbd's. Every transaction carries its digest, so vsw-dbd refuses to run operations
     * built with the wrong one. */
    bool server_schema;
    char schema_digest[DB_SCHEMA_DIGEST_SIZE];
    struct db_schema *fetched_schema;   /* vsw-dbd's, once asked for */
    bool warned;                 /* vsw-dbd's warning (TransactReply.warning) was printed */
};

/* Prepares `ipc` and fills `backend` to use it, and starts connecting to vsw-dbd (a missing
 * socket is reported by the first call). The socket stays open until the process exits. */
void vsctl_ipc_init(struct vsctl_ipc *ipc, const char *rundir, int timeout_ms,
                    struct vsctl_backend *backend);

#endif
