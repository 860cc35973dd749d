/* vsw-tunneld: tunnel interfaces and the firewall rules for tunnel protocols. */
#ifndef VSW_TUNNELD_H
#define VSW_TUNNELD_H

#include "lib/daemon.h"
#include "proto/tunnel.pb-c.h"

struct tunneld {
    struct daemon daemon;          /* first: see lib/daemon.h */
};

extern const struct ipc_route tunneld_routes[];
extern const size_t tunneld_n_routes;
extern const struct sandbox_policy tunneld_sandbox_policy;

#endif
