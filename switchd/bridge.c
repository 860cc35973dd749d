/* Reading the desired configuration out of the replica, and OpenFlow port numbering. */
#include "switchd/bridge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "ovsdb/idl.h"
#include "switchd/name_index.h"

static void copy_name(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

static const struct json *row_by_uuid(const struct idl *idl, const char *table,
                                      const struct json *atom)
{
    const char *uuid = ovsdb_atom_uuid(atom);
    return uuid ? json_object_get(idl_table(idl, table), uuid) : NULL;
}

static enum vlan_mode parse_vlan_mode(const char *name)
{
    static const struct { const char *name; enum vlan_mode mode; } modes[] = {
        { "access", VLAN_MODE_ACCESS },
        { "trunk", VLAN_MODE_TRUNK },
        { "native-tagged", VLAN_MODE_NATIVE_TAGGED },
        { "native-untagged", VLAN_MODE_NATIVE_UNTAGGED },
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(name, modes[i].name) == 0)
            return modes[i].mode;
    }
    return VLAN_MODE_DEFAULT;
}

static void read_iface(struct iface_config *iface, const char *uuid, const struct json *row)
{
    memset(iface, 0, sizeof *iface);
    copy_name(iface->uuid, sizeof iface->uuid, uuid);
    copy_name(iface->name, sizeof iface->name, ovsdb_row_string(row, "name"));
    copy_name(iface->type, sizeof iface->type, ovsdb_row_string(row, "type"));
    ovsdb_row_integer(row, "ofport_request", &iface->ofport_request);
    ovsdb_row_integer(row, "mtu_request", &iface->mtu_request);
    ovsdb_row_integer(row, "ofport", &iface->recorded_ofport);
    iface->ofport = iface->recorded_ofport;
    iface->status_unwritten = !json_object_get(row, "ifindex") ||
                              !json_object_get(row, "mac_in_use");
    iface->row = row;
}

static int read_port(struct port_config *port, const struct idl *idl, const char *uuid,
                     const struct json *row)
{
    memset(port, 0, sizeof *port);
    copy_name(port->uuid, sizeof port->uuid, uuid);
    copy_name(port->name, sizeof port->name, ovsdb_row_string(row, "name"));
    int64_t tag;
    port->tag = ovsdb_row_integer(row, "tag", &tag) ? (int)tag : -1;
    port->vlan_mode = parse_vlan_mode(ovsdb_row_string(row, "vlan_mode"));
    port->fake_bridge = ovsdb_row_boolean(row, "fake_bridge");

    const struct json *trunks = json_object_get(row, "trunks");
    const struct json *ifaces = json_object_get(row, "interfaces");
    size_t n_trunks = ovsdb_set_size(trunks), n_ifaces = ovsdb_set_size(ifaces);
    port->trunks = calloc(n_trunks ? n_trunks : 1, sizeof *port->trunks);
    port->ifaces = calloc(n_ifaces ? n_ifaces : 1, sizeof *port->ifaces);
    if (!port->trunks || !port->ifaces)
        return -1;
    for (size_t i = 0; i < n_trunks; i++)
        port->trunks[port->n_trunks++] = (uint16_t)json_integer(ovsdb_set_at(trunks, i));
    for (size_t i = 0; i < n_ifaces; i++) {
        const struct json *atom = ovsdb_set_at(ifaces, i);
        const struct json *iface = row_by_uuid(idl, "Interface", atom);
        if (iface)
            read_iface(&port->ifaces[port->n_ifaces++], ovsdb_atom_uuid(atom), iface);
    }
    return 0;
}

/* An other_config number; 0 (flowd's "default") when absent or not a plain decimal. */
static int64_t other_config_number(const struct json *row, const char *key)
{
    const char *text = ovsdb_row_map_get(row, "other_config", key);
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

/* `previous`'s port with `uuid` if it and its interfaces are unchanged since it was read (and
 * all of them were in the replica then). */
static const struct port_config *reusable_port(const struct name_index *previous,
                                               const struct idl *idl, const char *uuid,
                                               const struct json *row)
{
    const struct name_entry *e = name_index_find(previous, uuid);
    if (!e || !idl_row_unchanged(idl, uuid))
        return NULL;
    const struct port_config *port = e->item;
    if (ovsdb_row_set_size(row, "interfaces") != (size_t)port->n_ifaces)
        return NULL;
    for (int i = 0; i < port->n_ifaces; i++) {
        if (!idl_row_unchanged(idl, port->ifaces[i].uuid))
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

static int read_bridge(struct bridge_config *br, const struct idl *idl, const char *uuid,
                       const struct json *row, const struct name_index *previous)
{
    memset(br, 0, sizeof *br);
    copy_name(br->name, sizeof br->name, ovsdb_row_string(row, "name"));
    copy_name(br->uuid, sizeof br->uuid, uuid);
    copy_name(br->datapath_type, sizeof br->datapath_type,
              ovsdb_row_string(row, "datapath_type"));
    br->mac_aging_time = other_config_number(row, "mac-aging-time");
    br->mac_table_size = other_config_number(row, "mac-table-size");
    br->flow_idle_timeout_ms = other_config_number(row, "max-idle");

    const struct json *ports = json_object_get(row, "ports");
    size_t n_ports = ovsdb_set_size(ports);
    br->ports = calloc(n_ports ? n_ports : 1, sizeof *br->ports);
    if (!br->ports)
        return -1;
    const struct json *port_rows = idl_table(idl, "Port");
    for (size_t i = 0; i < n_ports; i++) {
        const char *uuid = ovsdb_atom_uuid(ovsdb_set_at(ports, i));
        const struct json *port = uuid ? json_object_get(port_rows, uuid) : NULL;
        if (!port)
            continue;
        const struct port_config *same = reusable_port(previous, idl, uuid, port);
        int rc = same ? copy_port(&br->ports[br->n_ports], same)
                      : read_port(&br->ports[br->n_ports], idl, uuid, port);
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
    const struct json *roots = idl_table(idl, "Open_vSwitch");
    if (json_object_size(roots) == 0)
        return 0;
    const struct json *root = json_object_value_at(roots, 0);
    config->has_root = true;
    ovsdb_row_integer(root, "next_cfg", &config->next_cfg);
    ovsdb_row_integer(root, "cur_cfg", &config->cur_cfg);

    size_t n = ovsdb_row_set_size(root, "bridges");
    config->bridges = calloc(n ? n : 1, sizeof *config->bridges);
    if (!config->bridges)
        return -1;
    struct name_index previous_ports;
    index_ports(&previous_ports, previous);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct json *atom = ovsdb_row_set_at(root, "bridges", i);
        const struct json *br = row_by_uuid(idl, "Bridge", atom);
        if (br)
            rc = read_bridge(&config->bridges[config->n_bridges++], idl, ovsdb_atom_uuid(atom),
                             br, &previous_ports);
    }
    name_index_destroy(&previous_ports);
    for (int b = 0; b < config->n_bridges; b++)
        config->bridges[b].first_new_port = config->bridges[b].n_ports;
    if (rc < 0)
        switch_config_free(config);
    return rc;
}

/* ---- Growing the last reading ---- */

/* The interface columns switchd writes (reconcile.c): changes to them need no reading. */
static bool written_by_switchd(const char *column)
{
    static const char *const columns[] = { "ofport", "error", "admin_state", "link_state",
                                           "mac_in_use", "mtu", "ifindex", "statistics" };
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        if (strcmp(column, columns[i]) == 0)
            return true;
    return false;
}

static bool only_columns_written_by_switchd(const struct json *change)
{
    const struct json *columns = json_object_get(change, "columns");
    for (size_t i = 0; i < json_object_size(columns); i++)
        if (!written_by_switchd(json_object_key_at(columns, i)))
            return false;
    return true;
}

/* The ports a Bridge change adds (the set of ["grew", set]), or NULL if it changes anything
 * else. */
static const struct json *ports_added(const struct json *change)
{
    const struct json *columns = json_object_get(change, "columns");
    const struct json *ports = json_object_get(columns, "ports");
    if (!idl_change_is(change, "kind", "modify") || json_object_size(columns) != 1 ||
        !json_is_array(ports) || strcmp(json_string(json_array_at(ports, 0)), "grew") != 0)
        return NULL;
    return json_array_at(ports, 1);
}

static struct bridge_config *bridge_by_uuid(struct switch_config *config, const char *uuid)
{
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

/* Whether every change is one switch_config_grow() handles; counts the ports and the status
 * changes it found. */
static bool growth_only(const struct json *changes, struct switch_config *config,
                        size_t *n_added, size_t *n_status)
{
    size_t n_ports_inserted = 0;
    *n_added = *n_status = 0;
    for (size_t i = 0; i < json_object_size(changes); i++) {
        const struct json *change = json_object_value_at(changes, i);
        const char *table = json_string(json_object_get(change, "table"));
        if (!strcmp(table, "Open_vSwitch")) {
            if (!idl_change_is(change, "kind", "modify") ||
                json_object_get(json_object_get(change, "columns"), "bridges"))
                return false;
        } else if (!strcmp(table, "Bridge")) {
            const struct json *added = ports_added(change);
            if (!added || !bridge_by_uuid(config, json_object_key_at(changes, i)))
                return false;
            *n_added += ovsdb_set_size(added);
        } else if (!strcmp(table, "Port")) {
            if (!idl_change_is(change, "kind", "insert"))
                return false;
            n_ports_inserted++;
        } else if (!strcmp(table, "Interface")) {
            if (idl_change_is(change, "kind", "modify") &&
                only_columns_written_by_switchd(change))
                ++*n_status;
            else if (!idl_change_is(change, "kind", "insert"))
                return false;
        } else {
            return false;
        }
    }
    /* Every new port is one a bridge gained (so none is elsewhere, e.g. in a new bridge). */
    return n_ports_inserted == *n_added;
}

/* Appends the ports `added` names (all newly inserted, with new interfaces) to `br`. */
static int append_ports(struct bridge_config *br, const struct idl *idl,
                        const struct json *changes, const struct json *added)
{
    size_t n = ovsdb_set_size(added);
    struct port_config *ports = realloc(br->ports, ((size_t)br->n_ports + n) * sizeof *ports);
    if (!ports)
        return -1;
    br->ports = ports;
    const struct json *port_rows = idl_table(idl, "Port");
    for (size_t i = 0; i < n; i++) {
        const char *uuid = ovsdb_atom_uuid(ovsdb_set_at(added, i));
        const struct json *change = uuid ? json_object_get(changes, uuid) : NULL;
        const struct json *row = uuid ? json_object_get(port_rows, uuid) : NULL;
        if (!change || !row || !idl_change_is(change, "kind", "insert"))
            return -1;
        struct port_config *port = &br->ports[br->n_ports];
        if (read_port(port, idl, uuid, row) < 0)
            return -1;
        br->n_ports++;
        for (int f = 0; f < port->n_ifaces; f++) {
            const struct json *c = json_object_get(changes, port->ifaces[f].uuid);
            if (!c || !idl_change_is(c, "kind", "insert"))
                return -1;   /* an existing interface moving here */
        }
    }
    return 0;
}

/* What a status write of ours changed in an interface we keep. Returns -1 if the row says
 * something else than what we wrote: another client changed `ofport`, which a full reading
 * takes as a number to keep. */
static int refresh_iface(struct iface_config *iface, const struct json *row)
{
    int64_t recorded = 0;
    ovsdb_row_integer(row, "ofport", &recorded);
    if (recorded != iface->ofport)
        return -1;
    iface->recorded_ofport = recorded;
    iface->status_unwritten = !json_object_get(row, "ifindex") ||
                              !json_object_get(row, "mac_in_use");
    iface->row = row;
    return 0;
}

int switch_config_grow(struct switch_config *config, const struct idl *idl)
{
    const struct json *changes = idl_changes(idl);
    size_t n_added, n_status;
    if (!changes || !config->has_root || !growth_only(changes, config, &n_added, &n_status))
        return -1;
    /* Refresh before appending: a new interface is never among those found here. */
    if (n_status) {
        const struct json *rows = idl_table(idl, "Interface");
        struct name_index ifaces;
        name_index_init(&ifaces);
        if (n_status > STATUS_SCAN_MAX)
            index_ifaces_by_uuid(&ifaces, config);
        for (size_t i = 0; i < json_object_size(changes); i++) {
            const struct json *change = json_object_value_at(changes, i);
            if (!idl_change_is(change, "table", "Interface") ||
                !idl_change_is(change, "kind", "modify"))
                continue;
            const char *uuid = json_object_key_at(changes, i);
            const struct name_entry *e = name_index_find(&ifaces, uuid);
            struct iface_config *iface = e ? (struct iface_config *)e->item
                                           : recent_iface_by_uuid(config, uuid);
            const struct json *row = json_object_get(rows, uuid);
            if (!iface || !row || refresh_iface(iface, row) < 0) {
                name_index_destroy(&ifaces);
                return -1;
            }
        }
        name_index_destroy(&ifaces);
    }
    for (int b = 0; b < config->n_bridges; b++)
        config->bridges[b].first_new_port = config->bridges[b].n_ports;
    for (size_t i = 0; i < json_object_size(changes); i++) {
        const struct json *change = json_object_value_at(changes, i);
        if (!idl_change_is(change, "table", "Bridge"))
            continue;
        struct bridge_config *br = bridge_by_uuid(config, json_object_key_at(changes, i));
        if (append_ports(br, idl, changes, ports_added(change)) < 0)
            return -1;   /* the caller reads whole; what was appended is freed with it */
    }
    const struct json *roots = idl_table(idl, "Open_vSwitch");
    const struct json *root = json_object_value_at(roots, 0);
    ovsdb_row_integer(root, "next_cfg", &config->next_cfg);
    ovsdb_row_integer(root, "cur_cfg", &config->cur_cfg);
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
