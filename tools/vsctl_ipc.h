/* The database commands' way to vsw-dbd: DBD_TRANSACT and DBD_GET_SCHEMA requests on
 * <rundir>/dbd.sock, each bounded by what is left of the invocation's deadline. */
#ifndef VSW_TOOLS_VSCTL_IPC_H
#define VSW_TOOLS_VSCTL_IPC_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/ipc.h"
#include "tools/vsctl.h"

struct vsctl_ipc {
    char rundir[PATH_MAX];
    struct ipc_client client;
    bool connected;
    uint64_t deadline_ms;        /* monotonic; UINT64_MAX for none */
};

/* Prepares `ipc` and fills `backend` to use it; connects on first use. */
void vsctl_ipc_init(struct vsctl_ipc *ipc, const char *rundir, int timeout_ms,
                    struct vsctl_backend *backend);
void vsctl_ipc_close(struct vsctl_ipc *ipc);

#endif
