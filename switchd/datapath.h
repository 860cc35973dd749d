/* Bringing vsw-flowd to the desired configuration. flowd is asked what it has (one
 * FLOWD_DATAPATH_DUMP), and only the differences are sent, in an order that never asks flowd for
 * something it must refuse: stale datapaths and ports go first (so an interface can move between
 * bridges), then new datapaths, options, ports and their VLANs. After a flowd restart the dump
 * is empty and everything is pushed again. */
#ifndef VSW_SWITCHD_DATAPATH_H
#define VSW_SWITCHD_DATAPATH_H

#include "proto/flowd.pb-c.h"
#include "switchd/bridge.h"

struct switchd;

/* Applies `config`. An interface that cannot be attached gets iface->error and ofport -1 and
 * does not fail the whole; returns -1 only when flowd could not be asked at all (retried). */
int datapath_apply(struct switchd *switchd, struct switch_config *config);

/* Adds the bridge's ports from br->first_new_port on, which flowd does not have yet (see
 * switch_config_grow()), to its existing datapath. Like datapath_apply(), an interface that
 * cannot be attached gets iface->error and ofport -1; returns -1 if flowd could not be asked. */
int datapath_add_new_ports(struct switchd *switchd, struct bridge_config *br);

/* The status of one port of a datapath, or of all of them if `port` is "", or NULL (logged)
 * if flowd did not answer. Free with protobuf_c_message_free_unpacked(). */
Vsw__FlowdPortStatusReply *datapath_port_status(struct switchd *switchd, const char *datapath,
                                                const char *port);

#endif
