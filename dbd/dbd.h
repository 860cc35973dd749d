/* vsw-dbd: the configuration database daemon. */
#ifndef VSW_DBD_H
#define VSW_DBD_H

#include "lib/daemon.h"

#define DBD_HEARTBEAT_INTERVAL_MS 1000

struct dbd {
    struct daemon daemon;          /* first: see lib/daemon.h */
    struct ipc_server api;         /* dbd.sock: the dbd channel */
    struct ipc_publisher events;   /* dbd.events: change notifications, in order */
};

extern const struct ipc_route dbd_routes[];
extern const size_t dbd_n_routes;
extern const struct sandbox_policy dbd_sandbox_policy;

#endif
