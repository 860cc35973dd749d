#include "switchd/datapath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "switchd/name_index.h"
#include "switchd/switchd.h"

struct ipc_client *switchd_flowd(struct switchd *s)
{
    return &s->daemon.peers[SWITCHD_PEER_FLOWD].client;
}

/* One request to flowd. Returns 0, or -1 with `err` describing flowd's refusal or silence. */
static int flowd_call(struct switchd *s, Vsw__FlowdType type, const ProtobufCMessage *request,
                      const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                      struct ipc_error *err)
{
    ProtobufCMessage *ignored = NULL;
    int rc = ipc_call(switchd_flowd(s), type, request, reply_desc,
                      reply ? reply : &ignored, err);
    if (ignored)
        protobuf_c_message_free_unpacked(ignored, NULL);
    return rc;
}

static int ack_call(struct switchd *s, Vsw__FlowdType type, const ProtobufCMessage *request,
                    struct ipc_error *err)
{
    return flowd_call(s, type, request, &vsw__flowd_ack__descriptor, NULL, err);
}

/* ---- What the configuration asks of flowd ---- */

static const struct bridge_config *find_bridge(const struct switch_config *config,
                                               const char *name)
{
    for (int b = 0; b < config->n_bridges; b++) {
        if (strcmp(config->bridges[b].name, name) == 0)
            return &config->bridges[b];
    }
    return NULL;
}

static const Vsw__FlowdDatapath *find_datapath(const Vsw__FlowdDatapathDumpReply *dump,
                                               const char *name)
{
    for (size_t i = 0; i < dump->n_datapaths; i++) {
        if (strcmp(dump->datapaths[i]->name, name) == 0)
            return dump->datapaths[i];
    }
    return NULL;
}

/* flowd's ports of `dp` (may be NULL) by name. */
static void index_dp_ports(struct name_index *idx, const Vsw__FlowdDatapath *dp)
{
    name_index_init(idx);
    for (size_t i = 0; dp && i < dp->n_ports; i++)
        name_index_add(idx, dp->ports[i]->name, dp->ports[i], NULL);
    name_index_build(idx);
}

static const Vsw__FlowdPortConfig *find_dp_port(const struct name_index *dp_ports,
                                                const char *name)
{
    const struct name_entry *e = name_index_find(dp_ports, name);
    return e ? e->item : NULL;
}

/* The port kind an interface needs, or UNSPECIFIED for a type flowd does not provide. */
static Vsw__FlowdPortKind iface_kind(const struct bridge_config *br,
                                     const struct iface_config *iface)
{
    if (strcmp(iface->type, "internal") == 0 || strcmp(iface->name, br->name) == 0)
        return VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL;
    if (iface->type[0] == '\0' || strcmp(iface->type, "system") == 0)
        return VSW__FLOWD_PORT_KIND__FLOWD_PORT_SYSTEM;
    return VSW__FLOWD_PORT_KIND__FLOWD_PORT_KIND_UNSPECIFIED;
}

/* Why an interface cannot be a flowd port at all, or NULL. */
static const char *unsupported(const struct bridge_config *br, const struct port_config *port,
                               const struct iface_config *iface)
{
    if (port->n_ifaces > 1)
        return "bonds are not supported by the userspace datapath yet";
    if (iface_kind(br, iface) == VSW__FLOWD_PORT_KIND__FLOWD_PORT_KIND_UNSPECIFIED)
        return "this interface type is not supported by the userspace datapath";
    if (iface->mtu_request && (iface->mtu_request < 68 || iface->mtu_request > 65535))
        return "mtu_request must be between 68 and 65535";
    return NULL;
}

/* The bridge's interfaces by name, each with its port as aux. */
static void index_ifaces(struct name_index *idx, const struct bridge_config *br)
{
    name_index_init(idx);
    for (int p = 0; p < br->n_ports; p++) {
        const struct port_config *port = &br->ports[p];
        for (int i = 0; i < port->n_ifaces; i++)
            name_index_add(idx, port->ifaces[i].name, &port->ifaces[i], port);
    }
    name_index_build(idx);
}

/* True if flowd's port is exactly what `iface` asks for (VLANs aside: those change in place). */
static bool port_matches(const struct bridge_config *br, const struct port_config *port,
                         const struct iface_config *iface, const Vsw__FlowdPortConfig *have)
{
    return !unsupported(br, port, iface) && iface->ofport > 0 &&
           have->port_no == (uint32_t)iface->ofport && have->kind == iface_kind(br, iface) &&
           have->mtu_request == (uint32_t)iface->mtu_request && !have->offloads_off;
}

/* ---- VLANs ---- */

static Vsw__FlowdVlanMode flowd_vlan_mode(enum vlan_mode mode)
{
    switch (mode) {
    case VLAN_MODE_ACCESS: return VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_ACCESS;
    case VLAN_MODE_TRUNK: return VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_TRUNK;
    case VLAN_MODE_NATIVE_TAGGED: return VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_NATIVE_TAGGED;
    case VLAN_MODE_NATIVE_UNTAGGED: return VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_NATIVE_UNTAGGED;
    case VLAN_MODE_DEFAULT: break;
    }
    return VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_UNSPECIFIED;
}

/* The port's VLAN settings as flowd takes them. An access port ignores trunks, as in Open
 * vSwitch (flowd refuses trunks there rather than guess). `trunks` must hold n_trunks. */
static void vlan_request(const struct port_config *port, Vsw__FlowdPortVlan *req,
                         uint32_t *trunks)
{
    req->has_tag = port->tag >= 0;
    req->tag = port->tag >= 0 ? (uint32_t)port->tag : 0;
    req->vlan_mode = flowd_vlan_mode(port->vlan_mode);
    bool access = port->vlan_mode == VLAN_MODE_ACCESS ||
                  (port->vlan_mode == VLAN_MODE_DEFAULT && port->tag >= 0);
    req->n_trunks = 0;
    for (int t = 0; !access && t < port->n_trunks; t++)
        trunks[req->n_trunks++] = port->trunks[t];
    req->trunks = trunks;
}

static bool vlan_matches(const Vsw__FlowdPortVlan *want, const Vsw__FlowdPortConfig *have)
{
    if (want->has_tag != have->has_tag || (want->has_tag && want->tag != have->tag) ||
        want->vlan_mode != have->vlan_mode || want->n_trunks != have->n_trunks)
        return false;
    return want->n_trunks == 0 ||
           memcmp(want->trunks, have->trunks, want->n_trunks * sizeof *want->trunks) == 0;
}

/* What a port flowd has just created has: no tag, every VLAN. */
static bool vlan_is_default(const Vsw__FlowdPortVlan *req)
{
    return !req->has_tag && !req->n_trunks &&
           req->vlan_mode == VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_UNSPECIFIED;
}

static void set_error(struct iface_config *iface, const char *fmt, const char *detail)
{
    snprintf(iface->error, sizeof iface->error, fmt, detail);
    iface->ofport = -1;
}

static void apply_vlan(struct switchd *s, const struct bridge_config *br,
                       const struct port_config *port, struct iface_config *iface,
                       const Vsw__FlowdPortConfig *have)
{
    uint32_t trunks[port->n_trunks + 1];
    Vsw__FlowdPortVlan req = VSW__FLOWD_PORT_VLAN__INIT;
    vlan_request(port, &req, trunks);
    if (have ? vlan_matches(&req, have) : vlan_is_default(&req))
        return;
    req.datapath = (char *)br->name;
    req.name = iface->name;
    struct ipc_error err;
    if (ack_call(s, VSW__FLOWD_TYPE__FLOWD_PORT_SET_VLAN, &req.base, &err) < 0) {
        vlog_warn("bridge %s: port %s: VLAN settings refused: %s", br->name, port->name,
                  err.message);
        set_error(iface, "VLAN settings refused: %s", err.message);
    }
}

/* ---- Phases ---- */

/* Ports per FLOWD_PORT_ADD_BATCH: flowd takes up to 1024; a few hundred keep each request
 * (and the time flowd spends on it) short. */
#define PORT_ADD_BATCH_MAX 256

static int delete_stale(struct switchd *s, const struct switch_config *config,
                        const Vsw__FlowdDatapathDumpReply *dump)
{
    for (size_t d = 0; d < dump->n_datapaths; d++) {
        const Vsw__FlowdDatapath *dp = dump->datapaths[d];
        if (strcmp(dp->owner, SWITCHD_OWNER) != 0)
            continue;   /* another client's datapath: not ours to reconcile */
        const struct bridge_config *br = find_bridge(config, dp->name);
        struct ipc_error err;
        if (!br) {
            Vsw__FlowdDatapathDel req = VSW__FLOWD_DATAPATH_DEL__INIT;
            req.name = dp->name;
            if (ack_call(s, VSW__FLOWD_TYPE__FLOWD_DATAPATH_DEL, &req.base, &err) < 0) {
                vlog_warn("deleting datapath %s failed: %s", dp->name, err.message);
                return -1;
            }
            vlog_info("datapath %s deleted", dp->name);
            continue;
        }
        struct name_index ifaces;
        index_ifaces(&ifaces, br);
        for (size_t p = 0; p < dp->n_ports; p++) {
            const struct name_entry *e = name_index_find(&ifaces, dp->ports[p]->name);
            if (e && port_matches(br, e->aux, e->item, dp->ports[p]))
                continue;
            Vsw__FlowdPortDel req = VSW__FLOWD_PORT_DEL__INIT;
            req.datapath = dp->name;
            req.name = dp->ports[p]->name;
            if (ack_call(s, VSW__FLOWD_TYPE__FLOWD_PORT_DEL, &req.base, &err) < 0) {
                vlog_warn("deleting port %s of %s failed: %s", req.name, dp->name, err.message);
                name_index_destroy(&ifaces);
                return -1;
            }
            vlog_info("bridge %s: port %s detached", dp->name, req.name);
        }
        name_index_destroy(&ifaces);
    }
    return 0;
}

static void fail_bridge(struct bridge_config *br, const char *why)
{
    for (int p = 0; p < br->n_ports; p++) {
        for (int i = 0; i < br->ports[p].n_ifaces; i++)
            set_error(&br->ports[p].ifaces[i], "%s", why);
    }
}

static bool options_match(const struct bridge_config *br, const Vsw__FlowdDatapath *dp)
{
    return dp && dp->mac_aging_time == (uint32_t)br->mac_aging_time &&
           dp->mac_table_size == (uint32_t)br->mac_table_size &&
           dp->flow_idle_timeout_ms == (uint32_t)br->flow_idle_timeout_ms;
}

/* Creates the datapath if needed and sets its options. Returns 0, or -1 if the bridge cannot
 * work (its interfaces then carry the reason). */
static int ensure_datapath(struct switchd *s, struct bridge_config *br,
                           const Vsw__FlowdDatapath *dp)
{
    struct ipc_error err;
    if (!dp) {
        Vsw__FlowdDatapathAdd req = VSW__FLOWD_DATAPATH_ADD__INIT;
        req.name = br->name;
        /* The embedded default is the userspace datapath: "" means netdev here. */
        req.type = br->datapath_type;
        req.owner = SWITCHD_OWNER;
        if (ack_call(s, VSW__FLOWD_TYPE__FLOWD_DATAPATH_ADD, &req.base, &err) < 0) {
            vlog_warn("bridge %s: creating its datapath failed: %s", br->name, err.message);
            fail_bridge(br, err.message);
            return -1;
        }
        vlog_info("bridge %s: datapath created", br->name);
    }
    if (options_match(br, dp))
        return 0;
    Vsw__FlowdBridgeOptions req = VSW__FLOWD_BRIDGE_OPTIONS__INIT;
    req.datapath = br->name;
    req.mac_aging_time = (uint32_t)br->mac_aging_time;
    req.mac_table_size = (uint32_t)br->mac_table_size;
    req.flow_idle_timeout_ms = (uint32_t)br->flow_idle_timeout_ms;
    if (ack_call(s, VSW__FLOWD_TYPE__FLOWD_BRIDGE_SET_OPTIONS, &req.base, &err) < 0)
        vlog_warn("bridge %s: other_config refused: %s", br->name, err.message);
    return 0;
}

/* Ports flowd must (re)create, collected over a bridge and sent in batches. */
struct port_adds {
    Vsw__FlowdPortAdd reqs[PORT_ADD_BATCH_MAX];
    Vsw__FlowdPortAdd *req_ptrs[PORT_ADD_BATCH_MAX];
    struct port_config *ports[PORT_ADD_BATCH_MAX];
    struct iface_config *ifaces[PORT_ADD_BATCH_MAX];
    size_t n;
};

static void keep_status(struct iface_config *iface, const Vsw__FlowdPortStatus *st)
{
    struct iface_status *f = &iface->fresh;
    f->known = st->name[0] != '\0';
    f->admin_up = st->admin_up;
    f->link_up = st->link_up;
    snprintf(f->mac_in_use, sizeof f->mac_in_use, "%s", st->mac_in_use);
    f->mtu = st->mtu;
    f->ifindex = st->ifindex;
    snprintf(f->error, sizeof f->error, "%s", st->error);
}

/* Sends the collected ports in one FLOWD_PORT_ADD_BATCH, then sets each one's VLANs. Returns
 * 0, or -1 if flowd could not be asked (the ports then carry that as their error). */
static int flush_port_adds(struct switchd *s, struct bridge_config *br, struct port_adds *adds)
{
    if (!adds->n)
        return 0;
    Vsw__FlowdPortAddBatch req = VSW__FLOWD_PORT_ADD_BATCH__INIT;
    req.n_ports = adds->n;
    req.ports = adds->req_ptrs;
    ProtobufCMessage *reply = NULL;
    struct ipc_error err;
    const Vsw__FlowdPortAddBatchReply *r = NULL;
    if (flowd_call(s, VSW__FLOWD_TYPE__FLOWD_PORT_ADD_BATCH, &req.base,
                   &vsw__flowd_port_add_batch_reply__descriptor, &reply, &err) < 0)
        vlog_warn("bridge %s: could not add %zu interfaces: %s", br->name, adds->n, err.message);
    else
        r = (const Vsw__FlowdPortAddBatchReply *)reply;
    for (size_t i = 0; i < adds->n; i++) {
        struct iface_config *iface = adds->ifaces[i];
        const char *why = !r ? err.message : i < r->n_errors ? r->errors[i] : "no answer";
        if (*why) {
            if (r)
                vlog_warn("bridge %s: could not add interface %s: %s", br->name, iface->name,
                          why);
            set_error(iface, "could not add: %s", why);
            continue;
        }
        vlog_info("bridge %s: added interface %s on port %lld", br->name, iface->name,
                  (long long)iface->ofport);
        iface->attached_now = true;
        if (i < r->n_statuses)
            keep_status(iface, r->statuses[i]);
        apply_vlan(s, br, adds->ports[i], iface, NULL);   /* new: flowd's default VLANs */
    }
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    adds->n = 0;
    return r ? 0 : -1;
}

/* Returns 0, or -1 if a batch it completed could not be sent to flowd at all. */
static int add_port(struct switchd *s, struct bridge_config *br, struct port_config *port,
                    struct iface_config *iface, const struct name_index *dp_ports,
                    struct port_adds *adds)
{
    const char *why = unsupported(br, port, iface);
    if (why) {
        set_error(iface, "%s", why);
        return 0;
    }
    if (iface->ofport <= 0) {
        set_error(iface, "%s", "no OpenFlow port number left");
        return 0;
    }
    const Vsw__FlowdPortConfig *have = find_dp_port(dp_ports, iface->name);
    if (have && port_matches(br, port, iface, have)) {
        apply_vlan(s, br, port, iface, have);
        return 0;
    }
    Vsw__FlowdPortAdd *req = &adds->reqs[adds->n];
    vsw__flowd_port_add__init(req);
    req->datapath = br->name;
    req->name = iface->name;
    req->port_no = (uint32_t)iface->ofport;
    req->kind = iface_kind(br, iface);
    req->mtu_request = (uint32_t)iface->mtu_request;
    adds->req_ptrs[adds->n] = req;
    adds->ports[adds->n] = port;
    adds->ifaces[adds->n] = iface;
    if (++adds->n == PORT_ADD_BATCH_MAX)
        return flush_port_adds(s, br, adds);
    return 0;
}

/* Sends the interfaces of ports [first, n_ports) that flowd lacks (or has otherwise than
 * asked), in batches; `dp_ports` indexes what flowd has. Returns -1 if a batch could not be
 * sent at all. */
static int add_ports(struct switchd *s, struct bridge_config *br, int first,
                     const struct name_index *dp_ports)
{
    static struct port_adds adds;   /* 40 KB: not on the stack; one thread */
    int rc = 0;
    for (int p = first; p < br->n_ports; p++) {
        for (int i = 0; i < br->ports[p].n_ifaces; i++)
            if (add_port(s, br, &br->ports[p], &br->ports[p].ifaces[i], dp_ports, &adds) < 0)
                rc = -1;
    }
    if (flush_port_adds(s, br, &adds) < 0)
        rc = -1;
    return rc;
}

int datapath_apply(struct switchd *s, struct switch_config *config)
{
    Vsw__FlowdDatapathDumpRequest req = VSW__FLOWD_DATAPATH_DUMP_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    struct ipc_error err;
    if (flowd_call(s, VSW__FLOWD_TYPE__FLOWD_DATAPATH_DUMP, &req.base,
                   &vsw__flowd_datapath_dump_reply__descriptor, &reply, &err) < 0) {
        vlog_warn("cannot read vsw-flowd's datapaths: %s", err.message);
        return -1;
    }
    const Vsw__FlowdDatapathDumpReply *dump = (const Vsw__FlowdDatapathDumpReply *)reply;
    int rc = delete_stale(s, config, dump);
    for (int b = 0; rc == 0 && b < config->n_bridges; b++) {
        struct bridge_config *br = &config->bridges[b];
        const Vsw__FlowdDatapath *dp = find_datapath(dump, br->name);
        if (ensure_datapath(s, br, dp) < 0)
            continue;
        struct name_index dp_ports;
        index_dp_ports(&dp_ports, dp);
        add_ports(s, br, 0, &dp_ports);   /* a port flowd refused carries its error */
        name_index_destroy(&dp_ports);
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

int datapath_add_new_ports(struct switchd *s, struct bridge_config *br)
{
    struct name_index none;   /* flowd has none of them: no port to compare with */
    name_index_init(&none);
    return add_ports(s, br, br->first_new_port, &none);
}

Vsw__FlowdPortStatusReply *datapath_port_status(struct switchd *s, const char *datapath,
                                                const char *port)
{
    Vsw__FlowdPortStatusRequest req = VSW__FLOWD_PORT_STATUS_REQUEST__INIT;
    req.datapath = (char *)datapath;
    req.name = (char *)port;
    ProtobufCMessage *reply = NULL;
    struct ipc_error err;
    if (flowd_call(s, VSW__FLOWD_TYPE__FLOWD_PORT_STATUS, &req.base,
                   &vsw__flowd_port_status_reply__descriptor, &reply, &err) < 0) {
        vlog_warn("bridge %s: cannot read port status: %s", datapath, err.message);
        return NULL;
    }
    return (Vsw__FlowdPortStatusReply *)reply;
}
