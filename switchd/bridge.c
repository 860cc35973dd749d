/* Reading the desired configuration out of the replica, and OpenFlow port numbering. */
#include "switchd/bridge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "ovsdb/vswitch_idl.h"
#include "switchd/name_index.h"

static void copy_name(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static void copy_uuid(char *dst, const struct idl_row *row)
{
    uuid_to_string(&row->uuid, dst);
}

static enum vlan_mode parse_vlan_mode(const char *name)
{
    static const struct { const char *name; enum vlan_mode mode; } modes[] = {
        { "access", VLAN_MODE_ACCESS },
        { "trunk", VLAN_MODE_TRUNK },
        { "native-tagged", VLAN_MODE_NATIVE_TAGGED },
        { "native-untagged", VLAN_MODE_NATIVE_UNTAGGED },
    };
    for (size_t i = 0; name && i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(name, modes[i].name) == 0)
            return modes[i].mode;
    }
    return VLAN_MODE_DEFAULT;
}

/* An optional integer column's value, or 0 when empty. */
static int64_t optional_integer(const int64_t *value, size_t n)
{
    return n ? value[0] : 0;
}

static bool status_unwritten(const struct vswrec_interface *row)
{
    return !row->n_ifindex || !row->mac_in_use;
}

static void read_iface(struct iface_config *iface, const struct vswrec_interface *row)
{
    memset(iface, 0, sizeof *iface);
    copy_uuid(iface->uuid, &row->header_);
    copy_name(iface->name, sizeof iface->name, row->name);
    copy_name(iface->type, sizeof iface->type, row->type);
    iface->ofport_request = optional_integer(row->ofport_request, row->n_ofport_request);
    iface->mtu_request = optional_integer(row->mtu_request, row->n_mtu_request);
    iface->recorded_ofport = optional_integer(row->ofport, row->n_ofport);
    iface->ofport = iface->recorded_ofport;
    iface->status_unwritten = status_unwritten(row);
    iface->row = row;
}

static int read_port(struct port_config *port, const struct vswrec_port *row)
{
    memset(port, 0, sizeof *port);
    copy_uuid(port->uuid, &row->header_);
    copy_name(port->name, sizeof port->name, row->name);
    port->tag = row->n_tag ? (int)row->tag[0] : -1;
    port->vlan_mode = parse_vlan_mode(row->vlan_mode);
    port->fake_bridge = row->fake_bridge;
    size_t n_trunks = row->n_trunks, n_ifaces = row->n_interfaces;
    port->trunks = calloc(n_trunks ? n_trunks : 1, sizeof *port->trunks);
    port->ifaces = calloc(n_ifaces ? n_ifaces : 1, sizeof *port->ifaces);
    if (!port->trunks || !port->ifaces)
        return -1;
    for (size_t i = 0; i < n_trunks; i++)
        port->trunks[port->n_trunks++] = (uint16_t)row->trunks[i];
    for (size_t i = 0; i < n_ifaces; i++)
        read_iface(&port->ifaces[port->n_ifaces++], row->interfaces[i]);
    return 0;
}

/* An other_config number; 0 (flowd's "default") when absent or not a plain decimal. */
static int64_t other_config_number(const struct vswrec_bridge *row, const char *key)
{
    const char *text = vswrec_bridge_get_other_config(row, key);
    if (!text || !*text)
        return 0;
    char *end;
    long long value = strtoll(text, &end, 10);
    if (*end || value < 0) {
        vlog_warn("other_config:%s=%s is not a number; using the default", key, text);
        return 0;
    }
    return value;
}

/* `previous`'s port for `row` if the Port and its Interfaces are unchanged since it was read. */
static const struct port_config *reusable_port(const struct name_index *previous,
                                               const struct vswrec_port *row)
{
    if (!idl_row_is_unchanged(&row->header_))
        return NULL;
    char uuid[UUID_STRING_LEN + 1];
    copy_uuid(uuid, &row->header_);
    const struct name_entry *e = name_index_find(previous, uuid);
    if (!e)
        return NULL;
    const struct port_config *port = e->item;
    if (row->n_interfaces != (size_t)port->n_ifaces)
        return NULL;
    for (size_t i = 0; i < row->n_interfaces; i++) {
        if (!idl_row_is_unchanged(&row->interfaces[i]->header_))
            return NULL;
    }
    return port;
}

/* Copies `from` as read, before numbering and errors changed its interfaces. */
static int copy_port(struct port_config *to, const struct port_config *from)
{
    *to = *from;
    to->trunks = calloc(from->n_trunks ? (size_t)from->n_trunks : 1, sizeof *to->trunks);
    to->ifaces = calloc(from->n_ifaces ? (size_t)from->n_ifaces : 1, sizeof *to->ifaces);
    if (!to->trunks || !to->ifaces)
        return -1;
    memcpy(to->trunks, from->trunks, (size_t)from->n_trunks * sizeof *to->trunks);
    memcpy(to->ifaces, from->ifaces, (size_t)from->n_ifaces * sizeof *to->ifaces);
    for (int i = 0; i < to->n_ifaces; i++) {
        to->ifaces[i].ofport = to->ifaces[i].recorded_ofport;
        to->ifaces[i].error[0] = '\0';
    }
    return 0;
}

static int read_bridge(struct bridge_config *br, const struct vswrec_bridge *row,
                       const struct name_index *previous)
{
    memset(br, 0, sizeof *br);
    copy_name(br->name, sizeof br->name, row->name);
    copy_uuid(br->uuid, &row->header_);
    copy_name(br->datapath_type, sizeof br->datapath_type, row->datapath_type);
    br->mac_aging_time = other_config_number(row, "mac-aging-time");
    br->mac_table_size = other_config_number(row, "mac-table-size");
    br->flow_idle_timeout_ms = other_config_number(row, "max-idle");

    br->ports = calloc(row->n_ports ? row->n_ports : 1, sizeof *br->ports);
    if (!br->ports)
        return -1;
    for (size_t i = 0; i < row->n_ports; i++) {
        const struct port_config *same = reusable_port(previous, row->ports[i]);
        int rc = same ? copy_port(&br->ports[br->n_ports], same)
                      : read_port(&br->ports[br->n_ports], row->ports[i]);
        br->n_ports++;
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void index_ports(struct name_index *idx, const struct switch_config *config)
{
    name_index_init(idx);
    for (int b = 0; config && b < config->n_bridges; b++) {
        const struct bridge_config *br = &config->bridges[b];
        for (int p = 0; p < br->n_ports; p++)
            name_index_add(idx, br->ports[p].uuid, &br->ports[p], NULL);
    }
    name_index_build(idx);
}

int switch_config_read(struct switch_config *config, const struct idl *idl,
                       const struct switch_config *previous)
{
    memset(config, 0, sizeof *config);
    const struct vswrec_open_vswitch *root = vswrec_open_vswitch_first(idl);
    if (!root)
        return 0;
    config->root = root;
    config->next_cfg = root->next_cfg;
    config->cur_cfg = root->cur_cfg;

    config->bridges = calloc(root->n_bridges ? root->n_bridges : 1, sizeof *config->bridges);
    if (!config->bridges)
        return -1;
    struct name_index previous_ports;
    index_ports(&previous_ports, previous);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < root->n_bridges; i++)
        rc = read_bridge(&config->bridges[config->n_bridges++], root->bridges[i],
                         &previous_ports);
    name_index_destroy(&previous_ports);
    for (int b = 0; b < config->n_bridges; b++)
        config->bridges[b].first_new_port = config->bridges[b].n_ports;
    if (rc < 0)
        switch_config_free(config);
    return rc;
}

/* ---- Growing the last reading ---- */

/* The interface columns switchd writes (reconcile.c): changes to them need no reading. */
static const size_t written_by_switchd[] = {
    VSWREC_INTERFACE_COL_OFPORT, VSWREC_INTERFACE_COL_ERROR, VSWREC_INTERFACE_COL_ADMIN_STATE,
    VSWREC_INTERFACE_COL_LINK_STATE, VSWREC_INTERFACE_COL_MAC_IN_USE, VSWREC_INTERFACE_COL_MTU,
    VSWREC_INTERFACE_COL_IFINDEX, VSWREC_INTERFACE_COL_STATISTICS,
};

static bool only_status_changed(const struct vswrec_interface *row)
{
    return row->header_.change == IDL_ROW_MODIFIED &&
           !idl_row_changed_except(&row->header_, written_by_switchd,
                                   sizeof written_by_switchd / sizeof written_by_switchd[0]);
}

/* A Bridge change that only adds ports: its number of new ports, or -1 if it changes anything
 * else. */
static long ports_added(const struct vswrec_bridge *row)
{
    static const size_t ports[] = { VSWREC_BRIDGE_COL_PORTS };
    if (row->header_.change != IDL_ROW_MODIFIED || idl_row_changed_except(&row->header_, ports, 1) ||
        idl_row_column_change(&row->header_, VSWREC_BRIDGE_COL_PORTS) != IDL_COLUMN_GREW)
        return -1;
    long n = 0;
    for (size_t i = 0; i < row->n_ports; i++)
        n += idl_row_is_new(&row->ports[i]->header_);
    return n;
}

static struct bridge_config *bridge_by_uuid(struct switch_config *config,
                                            const struct idl_row *row)
{
    char uuid[UUID_STRING_LEN + 1];
    copy_uuid(uuid, row);
    for (int b = 0; b < config->n_bridges; b++)
        if (strcmp(config->bridges[b].uuid, uuid) == 0)
            return &config->bridges[b];
    return NULL;
}

/* Up to this many interfaces whose status switchd wrote are looked up by a scan from the
 * newest ports back (they are usually the ports the last growth added), beyond it by an index
 * of all. */
#define STATUS_SCAN_MAX 8

static struct iface_config *recent_iface_by_uuid(struct switch_config *config, const char *uuid)
{
    for (int b = 0; b < config->n_bridges; b++)
        for (int p = config->bridges[b].n_ports - 1; p >= 0; p--)
            for (int i = 0; i < config->bridges[b].ports[p].n_ifaces; i++)
                if (strcmp(config->bridges[b].ports[p].ifaces[i].uuid, uuid) == 0)
                    return &config->bridges[b].ports[p].ifaces[i];
    return NULL;
}

static void index_ifaces_by_uuid(struct name_index *idx, struct switch_config *config)
{
    name_index_init(idx);
    for (int b = 0; b < config->n_bridges; b++)
        for (int p = 0; p < config->bridges[b].n_ports; p++)
            for (int i = 0; i < config->bridges[b].ports[p].n_ifaces; i++)
                name_index_add(idx, config->bridges[b].ports[p].ifaces[i].uuid,
                               &config->bridges[b].ports[p].ifaces[i], NULL);
    name_index_build(idx);
}

/* Whether every change is one switch_config_grow() handles; counts the status changes. */
static bool growth_only(const struct idl *idl, struct switch_config *config, size_t *n_status)
{
    *n_status = 0;
    const struct vswrec_open_vswitch *root;
    VSWREC_OPEN_VSWITCH_FOR_EACH_TRACKED (root, idl) {
        if (root->header_.change != IDL_ROW_MODIFIED ||
            idl_row_column_change(&root->header_, VSWREC_OPEN_VSWITCH_COL_BRIDGES))
            return false;
    }
    long n_added = 0, n_ports_inserted = 0;
    const struct vswrec_bridge *br;
    VSWREC_BRIDGE_FOR_EACH_TRACKED (br, idl) {
        long added = ports_added(br);
        if (added < 0 || !bridge_by_uuid(config, &br->header_))
            return false;
        n_added += added;
    }
    const struct vswrec_port *port;
    VSWREC_PORT_FOR_EACH_TRACKED (port, idl) {
        if (!idl_row_is_new(&port->header_))
            return false;
        n_ports_inserted++;
    }
    const struct vswrec_interface *iface;
    VSWREC_INTERFACE_FOR_EACH_TRACKED (iface, idl) {
        if (only_status_changed(iface))
            ++*n_status;
        else if (!idl_row_is_new(&iface->header_))
            return false;
    }
    /* Every new port is one a bridge gained (so none is elsewhere, e.g. in a new bridge). */
    return n_ports_inserted == n_added;
}

/* Appends the new ports of `row` (all newly inserted, with new interfaces) to `br`. */
static int append_ports(struct bridge_config *br, const struct vswrec_bridge *row)
{
    size_t n = (size_t)ports_added(row);
    struct port_config *ports = realloc(br->ports, ((size_t)br->n_ports + n) * sizeof *ports);
    if (!ports)
        return -1;
    br->ports = ports;
    for (size_t i = 0; i < row->n_ports; i++) {
        const struct vswrec_port *port_row = row->ports[i];
        if (!idl_row_is_new(&port_row->header_))
            continue;
        for (size_t f = 0; f < port_row->n_interfaces; f++)
            if (!idl_row_is_new(&port_row->interfaces[f]->header_))
                return -1;   /* an existing interface moving here */
        if (read_port(&br->ports[br->n_ports], port_row) < 0)
            return -1;
        br->n_ports++;
    }
    return 0;
}

/* What a status write of ours changed in an interface we keep. Returns -1 if the row says
 * something else than what we wrote: another client changed `ofport`, which a full reading
 * takes as a number to keep. */
static int refresh_iface(struct iface_config *iface, const struct vswrec_interface *row)
{
    int64_t recorded = optional_integer(row->ofport, row->n_ofport);
    if (recorded != iface->ofport)
        return -1;
    iface->recorded_ofport = recorded;
    iface->status_unwritten = status_unwritten(row);
    iface->row = row;
    return 0;
}

static int refresh_status(struct switch_config *config, const struct idl *idl, size_t n_status)
{
    struct name_index ifaces;
    name_index_init(&ifaces);
    if (n_status > STATUS_SCAN_MAX)
        index_ifaces_by_uuid(&ifaces, config);
    int rc = 0;
    const struct vswrec_interface *row;
    VSWREC_INTERFACE_FOR_EACH_TRACKED (row, idl) {
        if (!only_status_changed(row))
            continue;
        char uuid[UUID_STRING_LEN + 1];
        copy_uuid(uuid, &row->header_);
        const struct name_entry *e = name_index_find(&ifaces, uuid);
        struct iface_config *iface = e ? (struct iface_config *)e->item
                                       : recent_iface_by_uuid(config, uuid);
        if (!iface || refresh_iface(iface, row) < 0) {
            rc = -1;
            break;
        }
    }
    name_index_destroy(&ifaces);
    return rc;
}

int switch_config_grow(struct switch_config *config, const struct idl *idl)
{
    size_t n_status;
    if (!config->root || !growth_only(idl, config, &n_status))
        return -1;
    /* Refresh before appending: a new interface is never among those found here. */
    if (n_status && refresh_status(config, idl, n_status) < 0)
        return -1;
    for (int b = 0; b < config->n_bridges; b++)
        config->bridges[b].first_new_port = config->bridges[b].n_ports;
    const struct vswrec_bridge *row;
    VSWREC_BRIDGE_FOR_EACH_TRACKED (row, idl) {
        if (append_ports(bridge_by_uuid(config, &row->header_), row) < 0)
            return -1;   /* the caller reads whole; what was appended is freed with it */
    }
    config->next_cfg = config->root->next_cfg;
    config->cur_cfg = config->root->cur_cfg;
    return 0;
}

void switch_config_free(struct switch_config *config)
{
    for (int b = 0; b < config->n_bridges; b++) {
        struct bridge_config *br = &config->bridges[b];
        for (int p = 0; p < br->n_ports; p++) {
            free(br->ports[p].trunks);
            free(br->ports[p].ifaces);
        }
        free(br->ports);
        free(br->used);
    }
    free(config->bridges);
    memset(config, 0, sizeof *config);
}

/* A bitmap of the port numbers 1..OFPORT_MAX in use on one bridge. */
struct ofport_set {
    uint64_t bits[(OFPORT_MAX + 64) / 64];
};

static bool ofport_taken(const struct ofport_set *set, int64_t n)
{
    return set->bits[n / 64] & (1ull << (n % 64));
}

static void ofport_take(struct ofport_set *set, int64_t n)
{
    set->bits[n / 64] |= 1ull << (n % 64);
}

static bool ofport_valid(int64_t n)
{
    return n >= 1 && n <= OFPORT_MAX;
}

/* Numbers the interfaces of ports [first, n_ports), given the numbers `used` already. */
static void number_ifaces(struct bridge_config *br, struct ofport_set *used, int first)
{
    /* First pass: the local port, and numbers already recorded (they must stay stable). */
    for (int p = first; p < br->n_ports; p++) {
        for (int i = 0; i < br->ports[p].n_ifaces; i++) {
            struct iface_config *iface = &br->ports[p].ifaces[i];
            if (strcmp(iface->name, br->name) == 0) {
                iface->ofport = OFPORT_LOCAL;
            } else if (ofport_valid(iface->ofport) && !ofport_taken(used, iface->ofport) &&
                       (!iface->ofport_request || iface->ofport_request == iface->ofport)) {
                ofport_take(used, iface->ofport);
            } else {
                iface->ofport = 0;
            }
        }
    }
    /* Second pass: requests, then the lowest free numbers. */
    int64_t next_free = 1;
    for (int pass = 0; pass < 2; pass++) {
        for (int p = first; p < br->n_ports; p++) {
            for (int i = 0; i < br->ports[p].n_ifaces; i++) {
                struct iface_config *iface = &br->ports[p].ifaces[i];
                if (iface->ofport)
                    continue;
                if (pass == 0) {
                    if (ofport_valid(iface->ofport_request) &&
                        !ofport_taken(used, iface->ofport_request)) {
                        iface->ofport = iface->ofport_request;
                        ofport_take(used, iface->ofport);
                    }
                    continue;
                }
                while (next_free <= OFPORT_MAX && ofport_taken(used, next_free))
                    next_free++;
                if (next_free > OFPORT_MAX) {
                    vlog_warn("bridge %s: no OpenFlow port number left for %s", br->name,
                              iface->name);
                    continue;
                }
                iface->ofport = next_free;
                ofport_take(used, next_free);
            }
        }
    }
}

void bridge_assign_ofports(struct bridge_config *br)
{
    if (!br->used && !(br->used = malloc(sizeof *br->used))) {
        vlog_err("bridge %s: out of memory numbering its ports", br->name);
        return;
    }
    memset(br->used, 0, sizeof *br->used);
    number_ifaces(br, br->used, 0);
}

void bridge_assign_new_ofports(struct bridge_config *br)
{
    if (!br->used) {
        bridge_assign_ofports(br);
        return;
    }
    number_ifaces(br, br->used, br->first_new_port);
}
