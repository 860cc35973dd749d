/* vsw-flowd: owns the datapath; the only process that may touch it. */
#ifndef VSW_FLOWD_H
#define VSW_FLOWD_H

#include "lib/daemon.h"
#include "proto/flowd.pb-c.h"
#include "proto/tunnel.pb-c.h"

struct flowd {
    struct daemon daemon;          /* first: see lib/daemon.h */
    struct ipc_server switchd_api; /* flowd.sock: the flowd channel, from vsw-switchd */
    struct ipc_server tunnel_api;  /* flowd-tunnel.sock: the tunnel channel, from vsw-tunneld */
};

extern const struct ipc_route flowd_routes[];
extern const size_t flowd_n_routes;
extern const struct sandbox_policy flowd_sandbox_policy;

#endif
