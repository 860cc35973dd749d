/* vsw-hostd: the XenServer integration (XAPI, network.dbcache, VIF hotplug, cfg-update). */
#ifndef VSW_HOSTD_H
#define VSW_HOSTD_H

#include "lib/daemon.h"
#include "proto/hostd.pb-c.h"

struct hostd {
    struct daemon daemon;          /* first: see lib/daemon.h */
    struct ipc_server api;         /* hostd.sock: the hostd channel, from tools */
};

extern const struct ipc_route hostd_routes[];
extern const size_t hostd_n_routes;
extern const struct sandbox_policy hostd_sandbox_policy;

#endif
