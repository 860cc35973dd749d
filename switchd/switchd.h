/* vsw-switchd: reconciles the database's bridges into flowd; the OpenFlow agent. */
#ifndef VSW_SWITCHD_H
#define VSW_SWITCHD_H

#include "lib/daemon.h"
#include "proto/flowd.pb-c.h"

struct switchd {
    struct daemon daemon;          /* first: see lib/daemon.h */
};

extern const struct ipc_route switchd_routes[];
extern const size_t switchd_n_routes;
extern const struct sandbox_policy switchd_sandbox_policy;

#endif
