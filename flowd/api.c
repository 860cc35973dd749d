/* The flowd channel: one handler per request type. Each validates the request whole (the
 * policy table in request.c, then against flowd's state) before it changes anything, so a
 * refused request leaves flowd as it was. Errors go back to the client; lib/ipc.c logs them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowd/flowd.h"
#include "flowd/request.h"

#define INVALID VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT
#define INTERNAL VSW__ERROR_CODE__ERROR_INTERNAL
/* What one reply may carry and stay well under the IPC size cap (flows take up to a few
 * hundred bytes each when they flood to many ports, MAC entries about 40). */
#define FLOW_DUMP_MAX 20000
#define FLOW_DUMP_MAX_BYTES (6u * 1024 * 1024)
#define FDB_DUMP_MAX 100000

static bool refused(const ProtobufCMessage *request, struct ipc_reply *reply)
{
    return request_validate(request, &reply->error) < 0;
}

static void reply_ack(struct ipc_reply *reply)
{
    Vsw__FlowdAck ack = VSW__FLOWD_ACK__INIT;
    ipc_reply_message(reply, &ack.base);
}

static struct bridge *bridge_or_error(struct flowd *flowd, const char *name,
                                      struct ipc_reply *reply)
{
    struct bridge *br = flowd_bridge_find(flowd, name);
    if (!br)
        ipc_reply_error(reply, INVALID, "datapath: no datapath named %s", name);
    return br;
}

static struct bridge_port *port_or_error(struct bridge *br, const char *name,
                                         struct ipc_reply *reply)
{
    struct bridge_port *port = bridge_port_find(br, name);
    if (!port)
        ipc_reply_error(reply, INVALID, "name: datapath %s has no port named %s", br->name,
                        name);
    return port;
}

/* ---- Datapaths ---- */

void flowd_handle_datapath_add(void *ctx, const ProtobufCMessage *request,
                               struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    const Vsw__FlowdDatapathAdd *req = (const Vsw__FlowdDatapathAdd *)request;
    if (refused(request, reply))
        return;
    const struct dpif_class *ops = dpif_class_find(req->type);
    if (!ops) {
        ipc_reply_error(reply, INVALID, "type: datapath type \"%s\" is not available here "
                        "(available: %s)", req->type, dpif_class_list());
        return;
    }
    struct bridge *br = flowd_bridge_find(flowd, req->name);
    if (br) {
        /* Adding what exists is how a restarted client re-pushes its configuration. */
        if (br->ops == ops)
            reply_ack(reply);
        else
            ipc_reply_error(reply, INVALID, "name: datapath %s exists with type %s",
                            req->name, br->ops->type);
        return;
    }
    char err[256];
    br = bridge_create(&flowd->env, ops, req->name, err, sizeof err);
    if (!br) {
        ipc_reply_error(reply, INTERNAL, "datapath %s: %s", req->name, err);
        return;
    }
    if (flowd_bridge_insert(flowd, br) < 0) {
        bridge_destroy(br);
        ipc_reply_error(reply, INTERNAL, "datapath %s: out of memory", req->name);
        return;
    }
    snprintf(br->owner, sizeof br->owner, "%s", req->owner);
    vlog_info("datapath %s (%s) created", br->name, ops->type);
    reply_ack(reply);
}

void flowd_handle_datapath_del(void *ctx, const ProtobufCMessage *request,
                               struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    const Vsw__FlowdDatapathDel *req = (const Vsw__FlowdDatapathDel *)request;
    if (refused(request, reply))
        return;
    struct bridge *br = bridge_or_error(flowd, req->name, reply);
    if (!br)
        return;
    flowd_bridge_remove(flowd, br);
    vlog_info("datapath %s deleted", req->name);
    reply_ack(reply);
}

/* ---- Ports ---- */

static enum dp_port_kind port_kind(Vsw__FlowdPortKind kind)
{
    return kind == VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL ? DP_PORT_INTERNAL
                                                             : DP_PORT_SYSTEM;
}

static Vsw__FlowdPortKind wire_kind(enum dp_port_kind kind)
{
    return kind == DP_PORT_INTERNAL ? VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL
                                    : VSW__FLOWD_PORT_KIND__FLOWD_PORT_SYSTEM;
}

/* The bridge's own port is the internal port named like the bridge, number LOCAL. */
static int check_local_port(const Vsw__FlowdPortAdd *req, struct ipc_reply *reply)
{
    bool named_local = !strcmp(req->name, req->datapath);
    if (named_local && req->port_no != PORT_NO_LOCAL) {
        ipc_reply_error(reply, INVALID, "port_no: the bridge's own port %s must be number %u",
                        req->name, PORT_NO_LOCAL);
        return -1;
    }
    if (!named_local && req->port_no == PORT_NO_LOCAL) {
        ipc_reply_error(reply, INVALID, "port_no: %u is the bridge's own port, named %s",
                        PORT_NO_LOCAL, req->datapath);
        return -1;
    }
    if (named_local && req->kind != VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL) {
        ipc_reply_error(reply, INVALID, "kind: the bridge's own port %s must be internal",
                        req->name);
        return -1;
    }
    return 0;
}

static bool same_port(const struct bridge_port *p, const Vsw__FlowdPortAdd *req)
{
    return p->port_no == req->port_no && p->kind == port_kind(req->kind) &&
           p->mtu_request == req->mtu_request && p->offloads_off == req->offloads_off;
}

/* Whether interface `ifindex` is a tap an earlier flowd of this run directory made. */
static bool left_over_tap(struct flowd *flowd, int ifindex)
{
    struct netdev_status st;
    return netdev_get_status(&flowd->netdev, ifindex, &st) == 0 &&
           strcmp(st.alias, flowd->tap_alias) == 0;
}

/* Everything about a new port that can be checked before touching the system. */
static int check_port_add(struct flowd *flowd, struct bridge *br, const Vsw__FlowdPortAdd *req,
                          struct ipc_reply *reply)
{
    if (check_local_port(req, reply) < 0)
        return -1;
    if (req->offloads_off && req->kind != VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL) {
        ipc_reply_error(reply, INVALID, "offloads_off: only internal ports can be without "
                        "offloads (a system port's peer decides what it sends)");
        return -1;
    }
    struct bridge *owner = flowd_port_owner(flowd, req->name);
    if (owner && owner != br) {
        ipc_reply_error(reply, INVALID, "name: %s is already a port of datapath %s", req->name,
                        owner->name);
        return -1;
    }
    struct bridge_port *same_no = bridge_port_find_no(br, req->port_no);
    if (same_no && strcmp(same_no->name, req->name)) {
        ipc_reply_error(reply, INVALID, "port_no: %u is already port %s of datapath %s",
                        req->port_no, same_no->name, br->name);
        return -1;
    }
    int ifindex = netdev_ifindex(&flowd->netdev, req->name);
    bool exists = ifindex >= 0;
    if (req->kind == VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL && exists &&
        left_over_tap(flowd, ifindex))
        exists = false;   /* ours, from before a crash: attached again, as it is */
    if (req->kind == VSW__FLOWD_PORT_KIND__FLOWD_PORT_SYSTEM && !exists) {
        ipc_reply_error(reply, INVALID, "name: no interface named %s in flowd's network "
                        "namespace (%s)", req->name, strerror(errno));
        return -1;
    }
    if (req->kind == VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL && exists) {
        ipc_reply_error(reply, INVALID, "name: an interface named %s exists already; an "
                        "internal port is a new device", req->name);
        return -1;
    }
    return 0;
}

static void reply_port_added(struct flowd *flowd, const struct bridge_port *port,
                             struct ipc_reply *reply)
{
    Vsw__FlowdPortAddReply r = VSW__FLOWD_PORT_ADD_REPLY__INIT;
    struct netdev_status st;
    char mac[18] = "";
    r.port_no = port->port_no;
    r.ifindex = port->info.ifindex;
    if (netdev_get_status(&flowd->netdev, port->info.ifindex, &st) == 0) {
        eth_addr_format(st.mac, mac);
        r.mtu = st.mtu;
    }
    r.mac_in_use = mac;
    ipc_reply_message(reply, &r.base);
}

/* FLOWD_PORT_ADD's work: adds the port, or finds it already there as asked. Returns it, or
 * NULL with the error in `reply`. */
static struct bridge_port *add_port(struct flowd *flowd, const Vsw__FlowdPortAdd *req,
                                    struct ipc_reply *reply)
{
    struct bridge *br;
    if (refused(&req->base, reply) || !(br = bridge_or_error(flowd, req->datapath, reply)))
        return NULL;
    struct bridge_port *existing = bridge_port_find(br, req->name);
    if (existing) {
        if (same_port(existing, req))
            return existing;
        ipc_reply_error(reply, INVALID, "name: %s is already a port of %s with another "
                        "configuration (delete it first)", req->name, br->name);
        return NULL;
    }
    if (check_port_add(flowd, br, req, reply) < 0)
        return NULL;
    struct dpif_port_spec spec = { req->name, req->port_no, port_kind(req->kind),
                                   req->mtu_request, req->offloads_off };
    char err[256];
    struct bridge_port *port = bridge_port_add(br, &spec, err, sizeof err);
    if (!port) {
        ipc_reply_error(reply, INTERNAL, "%s", err);
        return NULL;
    }
    vlog_info("datapath %s: port %s added as %u (%s%s)", br->name, port->name, port->port_no,
              port->kind == DP_PORT_INTERNAL ? "internal" : "system",
              port->info.vnet_hdr ? ", offloads on" : ", offloads off");
    return port;
}

void flowd_handle_port_add(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    struct bridge_port *port = add_port(flowd, (const Vsw__FlowdPortAdd *)request, reply);
    if (port)
        reply_port_added(flowd, port, reply);
}

/* Storage for one port's status while the reply is packed. */
struct port_status_buf {
    Vsw__FlowdPortStatus st;
    Vsw__FlowdPortStats stats;
    Vsw__FlowdPortStats switch_stats;
    char mac[18];
};
static void fill_port_status(struct flowd *flowd, const struct bridge_port *port,
                             struct port_status_buf *b);

void flowd_handle_port_add_batch(void *ctx, const ProtobufCMessage *request,
                                 struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    const Vsw__FlowdPortAddBatch *req = (const Vsw__FlowdPortAddBatch *)request;
    if (refused(request, reply))
        return;
    /* Each port's outcome is its own error reply ("" message when added). */
    struct ipc_reply *outcomes = calloc(req->n_ports + 1, sizeof *outcomes);
    char **errors = calloc(req->n_ports + 1, sizeof *errors);
    struct port_status_buf *bufs = calloc(req->n_ports + 1, sizeof *bufs);
    Vsw__FlowdPortStatus **statuses = calloc(req->n_ports + 1, sizeof *statuses);
    if (!outcomes || !errors || !bufs || !statuses) {
        ipc_reply_error(reply, INTERNAL, "out of memory adding %zu ports", req->n_ports);
        goto out;
    }
    for (size_t i = 0; i < req->n_ports; i++) {
        const struct bridge_port *port = add_port(flowd, req->ports[i], &outcomes[i]);
        free(outcomes[i].payload);
        errors[i] = outcomes[i].error.message;
        if (port)
            fill_port_status(flowd, port, &bufs[i]);
        else
            vsw__flowd_port_status__init(&bufs[i].st);
        statuses[i] = &bufs[i].st;
    }
    Vsw__FlowdPortAddBatchReply r = VSW__FLOWD_PORT_ADD_BATCH_REPLY__INIT;
    r.n_errors = req->n_ports;
    r.errors = errors;
    r.n_statuses = req->n_ports;
    r.statuses = statuses;
    ipc_reply_message(reply, &r.base);
out:
    free(statuses);
    free(bufs);
    free(errors);
    free(outcomes);
}

void flowd_handle_port_del(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    const Vsw__FlowdPortDel *req = (const Vsw__FlowdPortDel *)request;
    struct bridge *br;
    struct bridge_port *port;
    if (refused(request, reply) || !(br = bridge_or_error(flowd, req->datapath, reply)) ||
        !(port = port_or_error(br, req->name, reply)))
        return;
    bridge_port_del(br, port);
    vlog_info("datapath %s: port %s deleted", br->name, req->name);
    reply_ack(reply);
}

static int vlan_mode_from_wire(Vsw__FlowdVlanMode mode)
{
    switch (mode) {
    case VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_ACCESS:
        return VLAN_MODE_ACCESS;
    case VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_TRUNK:
        return VLAN_MODE_TRUNK;
    case VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_NATIVE_TAGGED:
        return VLAN_MODE_NATIVE_TAGGED;
    case VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_NATIVE_UNTAGGED:
        return VLAN_MODE_NATIVE_UNTAGGED;
    default:
        return -1;
    }
}

static Vsw__FlowdVlanMode vlan_mode_to_wire(int mode)
{
    switch (mode) {
    case VLAN_MODE_ACCESS:
        return VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_ACCESS;
    case VLAN_MODE_TRUNK:
        return VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_TRUNK;
    case VLAN_MODE_NATIVE_TAGGED:
        return VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_NATIVE_TAGGED;
    case VLAN_MODE_NATIVE_UNTAGGED:
        return VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_NATIVE_UNTAGGED;
    default:
        return VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_UNSPECIFIED;
    }
}

void flowd_handle_port_set_vlan(void *ctx, const ProtobufCMessage *request,
                                struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    const Vsw__FlowdPortVlan *req = (const Vsw__FlowdPortVlan *)request;
    struct bridge *br;
    struct bridge_port *port;
    if (refused(request, reply) || !(br = bridge_or_error(flowd, req->datapath, reply)) ||
        !(port = port_or_error(br, req->name, reply)))
        return;
    uint16_t trunks[VLAN_COUNT];
    for (size_t i = 0; i < req->n_trunks; i++)
        trunks[i] = (uint16_t)req->trunks[i];   /* validated: 0..4095, at most 4096 */
    struct port_vlan_columns cols = { req->has_tag, (uint16_t)req->tag,
                                      vlan_mode_from_wire(req->vlan_mode), trunks,
                                      req->n_trunks };
    if (bridge_port_set_vlan(br, port, &cols) < 0) {
        ipc_reply_error(reply, INTERNAL, "port %s: out of memory", req->name);
        return;
    }
    vlog_info("datapath %s: port %s VLAN configuration changed", br->name, req->name);
    reply_ack(reply);
}

void flowd_handle_bridge_set_options(void *ctx, const ProtobufCMessage *request,
                                     struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    const Vsw__FlowdBridgeOptions *req = (const Vsw__FlowdBridgeOptions *)request;
    struct bridge *br;
    if (refused(request, reply) || !(br = bridge_or_error(flowd, req->datapath, reply)))
        return;
    bridge_set_options(br, req->mac_aging_time, req->mac_table_size, req->flow_idle_timeout_ms);
    vlog_info("datapath %s: mac-aging-time %u s, mac-table-size %u, flow idle timeout %u ms",
              br->name, bridge_mac_aging_s(br), bridge_mac_table_size(br),
              bridge_flow_idle_ms(br));
    reply_ack(reply);
}

/* ---- Status and dumps ---- */

static void fill_switch_stats(const struct bridge_port *port, Vsw__FlowdPortStats *s)
{
    struct bridge *br = port->bridge;
    s->rx_packets = port->stats.rx_packets;
    s->rx_bytes = port->stats.rx_bytes;
    s->rx_dropped = port->stats.rx_dropped + br->ops->port_rx_dropped(br->dpif, port->port_no);
    s->tx_packets = port->stats.tx_packets;
    s->tx_bytes = port->stats.tx_bytes;
    s->tx_dropped = port->stats.tx_dropped;
}

static void fill_port_status(struct flowd *flowd, const struct bridge_port *port,
                             struct port_status_buf *b)
{
    vsw__flowd_port_status__init(&b->st);
    vsw__flowd_port_stats__init(&b->stats);
    vsw__flowd_port_stats__init(&b->switch_stats);
    fill_switch_stats(port, &b->switch_stats);
    b->st.switch_stats = &b->switch_stats;
    b->st.name = (char *)port->name;
    b->st.port_no = port->port_no;
    b->st.kind = wire_kind(port->kind);
    b->st.stats = &b->stats;
    b->mac[0] = '\0';
    b->st.mac_in_use = b->mac;
    b->st.error = port->error ? strerror(port->error) : "";
    struct netdev_status ns;
    /* An internal port moved to another namespace is no longer visible by its index. */
    if (netdev_get_status(&flowd->netdev, port->info.ifindex, &ns) < 0 ||
        strcmp(ns.name, port->name)) {
        b->st.stats_from_switch = true;
        /* A tap's carrier is on while flowd holds it; a system port out of sight is gone. */
        b->st.link_up = port->kind == DP_PORT_INTERNAL && !port->broken;
        b->stats = b->switch_stats;
        return;
    }
    b->st.ifindex = port->info.ifindex;
    b->st.admin_up = ns.admin_up;
    b->st.link_up = ns.link_up;
    b->st.mtu = ns.mtu;
    eth_addr_format(ns.mac, b->mac);
    b->stats.rx_packets = ns.stats.rx_packets;
    b->stats.tx_packets = ns.stats.tx_packets;
    b->stats.rx_bytes = ns.stats.rx_bytes;
    b->stats.tx_bytes = ns.stats.tx_bytes;
    b->stats.rx_errors = ns.stats.rx_errors;
    b->stats.tx_errors = ns.stats.tx_errors;
    b->stats.rx_dropped = ns.stats.rx_dropped;
    b->stats.tx_dropped = ns.stats.tx_dropped;
}

void flowd_handle_port_status(void *ctx, const ProtobufCMessage *request,
                              struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    const Vsw__FlowdPortStatusRequest *req = (const Vsw__FlowdPortStatusRequest *)request;
    struct bridge *br;
    if (refused(request, reply) || !(br = bridge_or_error(flowd, req->datapath, reply)))
        return;
    if (req->name[0] && !port_or_error(br, req->name, reply))
        return;
    struct port_status_buf *bufs = calloc(br->n_ports + 1, sizeof *bufs);
    Vsw__FlowdPortStatus **list = calloc(br->n_ports + 1, sizeof *list);
    if (!bufs || !list) {
        free(bufs);
        free(list);
        ipc_reply_error(reply, INTERNAL, "out of memory");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < br->n_slots; i++) {
        const struct bridge_port *port = br->ports[i];
        if (!port || (req->name[0] && strcmp(port->name, req->name)))
            continue;
        fill_port_status(flowd, port, &bufs[n]);
        list[n] = &bufs[n].st;
        n++;
    }
    Vsw__FlowdPortStatusReply r = VSW__FLOWD_PORT_STATUS_REPLY__INIT;
    r.ports = list;
    r.n_ports = n;
    ipc_reply_message(reply, &r.base);
    free(list);
    free(bufs);
}

/* One dumped flow and the text it points to. */
struct flow_dump_buf {
    Vsw__FlowdFlow flow;
    char *match;
    char *actions;
};

static int fill_flow(const struct bridge *br, const struct megaflow *f, uint64_t now,
                     struct flow_dump_buf *b)
{
    size_t actions_size = 16 + (size_t)f->actions->n * 48;
    b->match = malloc(256);
    b->actions = malloc(actions_size);
    if (!b->match || !b->actions)
        return -1;
    flow_key_format(&f->key, &f->subtable->mask, b->match, 256);
    dp_actions_format(f->actions->a, f->actions->n, b->actions, actions_size);
    vsw__flowd_flow__init(&b->flow);
    b->flow.datapath = (char *)br->name;
    b->flow.match = b->match;
    b->flow.actions = b->actions;
    b->flow.packets = f->packets;
    b->flow.bytes = f->bytes;
    b->flow.used_ms_ago = f->used_ms ? (int64_t)(now - f->used_ms) : -1;
    return 0;
}

static size_t count_flows(struct flowd *flowd, const struct bridge *only)
{
    size_t n = 0;
    for (size_t i = 0; i < flowd->n_bridges; i++) {
        if (!only || flowd->bridges[i] == only)
            n += flowd->bridges[i]->ops->flow_count(flowd->bridges[i]->dpif);
    }
    return n;
}

static void free_flow_bufs(struct flow_dump_buf *bufs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(bufs[i].match);
        free(bufs[i].actions);
    }
    free(bufs);
}

void flowd_handle_flow_dump(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    const Vsw__FlowdFlowDumpRequest *req = (const Vsw__FlowdFlowDumpRequest *)request;
    struct bridge *only = NULL;
    if (refused(request, reply) ||
        (req->datapath[0] && !(only = bridge_or_error(flowd, req->datapath, reply))))
        return;
    size_t all = count_flows(flowd, only), n = 0;
    size_t total = all < FLOW_DUMP_MAX ? all : FLOW_DUMP_MAX;
    struct flow_dump_buf *bufs = calloc(total + 1, sizeof *bufs);
    Vsw__FlowdFlow **list = calloc(total + 1, sizeof *list);
    uint64_t now = loop_now_ms();
    int rc = bufs && list ? 0 : -1;
    size_t bytes = 0;
    for (size_t i = 0; rc == 0 && i < flowd->n_bridges; i++) {
        struct bridge *br = flowd->bridges[i];
        if (only && br != only)
            continue;
        for (struct megaflow *f = br->ops->flow_next(br->dpif, NULL);
             f && rc == 0 && n < total && bytes < FLOW_DUMP_MAX_BYTES;
             f = br->ops->flow_next(br->dpif, f)) {
            rc = fill_flow(br, f, now, &bufs[n]);
            list[n] = &bufs[n].flow;
            n++;
            if (rc == 0)
                bytes += strlen(bufs[n - 1].match) + strlen(bufs[n - 1].actions) + 64;
        }
    }
    if (rc == 0) {
        Vsw__FlowdFlowDumpReply r = VSW__FLOWD_FLOW_DUMP_REPLY__INIT;
        r.flows = list;
        r.n_flows = n;
        r.truncated = all > n;
        ipc_reply_message(reply, &r.base);
    } else {
        ipc_reply_error(reply, INTERNAL, "out of memory dumping flows");
    }
    free(list);
    if (bufs)
        free_flow_bufs(bufs, n);
}

struct fdb_buf {
    Vsw__FlowdFdbEntry entry;
    char mac[18];
};

void flowd_handle_fdb_dump(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    const Vsw__FlowdFdbDumpRequest *req = (const Vsw__FlowdFdbDumpRequest *)request;
    struct bridge *br;
    if (refused(request, reply) || !(br = bridge_or_error(flowd, req->datapath, reply)))
        return;
    size_t all = mac_table_count(&br->macs), n = 0;
    size_t total = all < FDB_DUMP_MAX ? all : FDB_DUMP_MAX;
    struct fdb_buf *bufs = calloc(total + 1, sizeof *bufs);
    Vsw__FlowdFdbEntry **list = calloc(total + 1, sizeof *list);
    if (!bufs || !list) {
        free(bufs);
        free(list);
        ipc_reply_error(reply, INTERNAL, "out of memory dumping the MAC table");
        return;
    }
    uint64_t now = loop_now_ms();
    for (const struct mac_entry *e = br->macs.oldest; e && n < total; e = e->newer) {
        if (!mac_table_lookup(&br->macs, e->mac, e->vlan, now))
            continue;   /* expired, awaiting the next aging pass */
        const struct bridge_port *port = bridge_port_find_no(br, e->port);
        struct fdb_buf *b = &bufs[n];
        vsw__flowd_fdb_entry__init(&b->entry);
        eth_addr_format(e->mac, b->mac);
        b->entry.port_no = e->port;
        b->entry.port = port ? (char *)port->name : "";
        b->entry.vlan = e->vlan;
        b->entry.mac = b->mac;
        b->entry.age_s = (uint32_t)((now - e->seen_ms) / 1000);
        list[n] = &b->entry;
        n++;
    }
    Vsw__FlowdFdbDumpReply r = VSW__FLOWD_FDB_DUMP_REPLY__INIT;
    r.entries = list;
    r.n_entries = n;
    r.truncated = all > total;
    ipc_reply_message(reply, &r.base);
    free(list);
    free(bufs);
}

void flowd_handle_flush(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    const Vsw__FlowdFlushRequest *req = (const Vsw__FlowdFlushRequest *)request;
    struct bridge *br;
    if (refused(request, reply) || !(br = bridge_or_error(flowd, req->datapath, reply)))
        return;
    bridge_flush(br, req->flows, req->fdb);
    vlog_info("datapath %s: flushed%s%s", br->name, req->flows ? " flows" : "",
              req->fdb ? " MAC table" : "");
    reply_ack(reply);
}

/* ---- The whole configuration ---- */

struct dp_dump_buf {
    Vsw__FlowdDatapath dp;
    Vsw__FlowdPortConfig *ports;
    Vsw__FlowdPortConfig **port_list;
    uint32_t *trunks;          /* every port's trunks, one after the other */
};

static int fill_datapath(const struct bridge *br, struct dp_dump_buf *b)
{
    size_t n_trunks = 0;
    for (size_t i = 0; i < br->n_slots; i++)
        n_trunks += br->ports[i] ? br->ports[i]->vlan.n_trunks : 0;
    b->ports = calloc(br->n_ports + 1, sizeof *b->ports);
    b->port_list = calloc(br->n_ports + 1, sizeof *b->port_list);
    b->trunks = calloc(n_trunks + 1, sizeof *b->trunks);
    if (!b->ports || !b->port_list || !b->trunks)
        return -1;
    vsw__flowd_datapath__init(&b->dp);
    b->dp.name = (char *)br->name;
    b->dp.type = (char *)br->ops->type;
    b->dp.owner = (char *)br->owner;
    /* As configured (0: the default), so that a client can diff its desired options. */
    b->dp.mac_aging_time = br->mac_aging_s;
    b->dp.mac_table_size = br->mac_table_size;
    b->dp.flow_idle_timeout_ms = br->flow_idle_ms;
    b->dp.hits = br->hits;
    b->dp.misses = br->misses;
    b->dp.flows = br->ops->flow_count(br->dpif);
    b->dp.revalidations = br->revalidations;
    size_t n = 0, t = 0;
    for (size_t i = 0; i < br->n_slots; i++) {
        const struct bridge_port *p = br->ports[i];
        if (!p)
            continue;
        Vsw__FlowdPortConfig *c = &b->ports[n];
        vsw__flowd_port_config__init(c);
        c->name = (char *)p->name;
        c->port_no = p->port_no;
        c->kind = wire_kind(p->kind);
        c->mtu_request = p->mtu_request;
        c->offloads_off = p->offloads_off;
        c->has_tag = p->vlan.has_tag;
        c->tag = p->vlan.tag;
        c->vlan_mode = vlan_mode_to_wire(p->vlan.mode);
        c->trunks = &b->trunks[t];
        c->n_trunks = p->vlan.n_trunks;
        for (size_t k = 0; k < p->vlan.n_trunks; k++)
            b->trunks[t++] = p->vlan.trunks[k];
        b->port_list[n++] = c;
    }
    b->dp.ports = b->port_list;
    b->dp.n_ports = n;
    return 0;
}

static void free_dp_bufs(struct dp_dump_buf *bufs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(bufs[i].ports);
        free(bufs[i].port_list);
        free(bufs[i].trunks);
    }
    free(bufs);
}

void flowd_handle_datapath_dump(void *ctx, const ProtobufCMessage *request,
                                struct ipc_reply *reply)
{
    struct flowd *flowd = ctx;
    (void)request;
    struct dp_dump_buf *bufs = calloc(flowd->n_bridges + 1, sizeof *bufs);
    Vsw__FlowdDatapath **list = calloc(flowd->n_bridges + 1, sizeof *list);
    int rc = bufs && list ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < flowd->n_bridges; i++) {
        rc = fill_datapath(flowd->bridges[i], &bufs[i]);
        list[i] = &bufs[i].dp;
    }
    if (rc == 0) {
        Vsw__FlowdDatapathDumpReply r = VSW__FLOWD_DATAPATH_DUMP_REPLY__INIT;
        r.datapaths = list;
        r.n_datapaths = flowd->n_bridges;
        ipc_reply_message(reply, &r.base);
    } else {
        ipc_reply_error(reply, INTERNAL, "out of memory dumping datapaths");
    }
    free(list);
    if (bufs)
        free_dp_bufs(bufs, flowd->n_bridges);
}
