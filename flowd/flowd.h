/* vsw-flowd: owns the datapath; the only process that may touch it. */
#ifndef VSW_FLOWD_H
#define VSW_FLOWD_H

#include "flowd/bridge.h"
#include "flowd/netdev.h"
#include "flowd/tun_opener.h"
#include "lib/daemon.h"
#include "proto/flowd.pb-c.h"
#include "proto/tunnel.pb-c.h"

/* How often bridges age MACs, expire idle flows and refresh MACs of active flows. */
#define FLOWD_PERIODIC_MS 1000
/* Tap devices an earlier flowd of this run directory left (it crashed: they are persistent)
 * are kept this long for their datapath's client to claim them again, then deleted. */
#define FLOWD_LEFTOVER_GRACE_MS 10000

struct flowd {
    struct daemon daemon;          /* first: see lib/daemon.h */
    struct ipc_server switchd_api; /* flowd.sock: the flowd channel, from vsw-switchd */
    struct ipc_server tunnel_api;  /* flowd-tunnel.sock: the tunnel channel, from vsw-tunneld */
    struct tun_opener tun;         /* the /dev/net/tun helper (see tun_opener.h) */
    struct netdev_socks netdev;    /* interface ioctls and rtnetlink */
    struct bridge_env env;         /* epoll set and receive buffers, shared by all bridges */
    struct bridge **bridges;       /* every datapath, in creation order */
    size_t n_bridges;
    char tap_alias[NETDEV_ALIAS_MAX + 1];   /* "vsw-flowd <rundir>": marks our taps */
};

/* datapath.c: what flowd opens as root (the tun helper, sockets, buffers), what it watches
 * once sandboxed, and its bridges. */
int flowd_datapath_setup(struct flowd *flowd);
int flowd_datapath_start(struct flowd *flowd);
void flowd_datapath_teardown(struct flowd *flowd);
struct bridge *flowd_bridge_find(const struct flowd *flowd, const char *name);
/* The bridge holding a port named `name`, or NULL. */
struct bridge *flowd_port_owner(const struct flowd *flowd, const char *name);
int flowd_bridge_insert(struct flowd *flowd, struct bridge *br);
void flowd_bridge_remove(struct flowd *flowd, struct bridge *br);

/* api.c: the flowd channel's handlers, one per FlowdType. */
ipc_handler_fn flowd_handle_datapath_add;
ipc_handler_fn flowd_handle_datapath_del;
ipc_handler_fn flowd_handle_port_add;
ipc_handler_fn flowd_handle_port_add_batch;
ipc_handler_fn flowd_handle_port_del;
ipc_handler_fn flowd_handle_port_set_vlan;
ipc_handler_fn flowd_handle_bridge_set_options;
ipc_handler_fn flowd_handle_port_status;
ipc_handler_fn flowd_handle_flow_dump;
ipc_handler_fn flowd_handle_fdb_dump;
ipc_handler_fn flowd_handle_flush;
ipc_handler_fn flowd_handle_datapath_dump;

extern const struct ipc_route flowd_routes[];
extern const size_t flowd_n_routes;
extern const struct sandbox_policy flowd_sandbox_policy;

#endif
