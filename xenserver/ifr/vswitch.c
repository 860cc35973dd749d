/* The vsw transaction of up, down and rewrite, word for word as the old script built it for
 * ovs-vsctl; see vswitch.h. */
#include "xenserver/ifr/vswitch.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "xenserver/ifr/netdb.h"
#include "xenserver/ifr/sysconfig.h"

#define MAX_PIFS 64

static void command(struct vswitch_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void command(struct vswitch_plan *p, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, args) < 0)
        abort();
    va_end(args);
    p->commands = xrealloc(p->commands, (p->n_commands + 1) * sizeof *p->commands);
    p->commands[p->n_commands++] = s;
}

static void device_down(struct vswitch_plan *p, const char *dev)
{
    for (size_t i = 0; i < p->n_devices_down; i++)
        if (!strcmp(p->devices_down[i], dev))
            return;
    p->devices_down = xrealloc(p->devices_down, (p->n_devices_down + 1) * sizeof(char *));
    p->devices_down[p->n_devices_down++] = xstrdup(dev);
}

void vswitch_plan_free(struct vswitch_plan *p)
{
    for (size_t i = 0; i < p->n_commands; i++)
        free(p->commands[i]);
    for (size_t i = 0; i < p->n_devices_down; i++)
        free(p->devices_down[i]);
    free(p->commands);
    free(p->devices_down);
    free(p->flow_ports);
    memset(p, 0, sizeof *p);
}

char *vswitch_quote(const char *value)
{
    bool plain = *value != '\0';
    for (const char *c = value; *c; c++)
        plain &= isalnum((unsigned char)*c) != 0;
    if (plain)
        return xstrdup(value);
    size_t n = strlen(value);
    char *q = xzalloc(n * 4 + 3), *o = q;
    *o++ = '"';
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        if (*c == '"' || *c == '\\')
            o += sprintf(o, "\\%c", *c);
        else if (*c < 0x20)
            o += sprintf(o, "\\%03o", *c);
        else
            *o++ = (char)*c;
    }
    *o++ = '"';
    return q;
}

static bool contains(const char *const *list, size_t n, const char *ref)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], ref))
            return true;
    return false;
}

/* ---- Fail mode and in-band (IFR-14 steps 6 and 7) ---- */

static const char *valid_fail_mode(const char *mode)
{
    return mode && (!strcmp(mode, "secure") || !strcmp(mode, "standalone")) ? mode : NULL;
}

static const char *pool_fail_mode(const struct json *db)
{
    const struct json *pools = json_object_get(db, "pool");
    if (json_object_size(pools) != 1)
        return NULL;
    return valid_fail_mode(netdb_map_get(json_object_value_at(pools, 0), "other_config",
                                         "vswitch-controller-fail-mode"));
}

static const char *network_fail_mode(const struct json *network)
{
    return valid_fail_mode(netdb_map_get(network, "other_config",
                                         "vswitch-controller-fail-mode"));
}

static const char *fail_mode(const struct json *db, const struct json *network)
{
    const char *mode = network_fail_mode(network);
    if (!mode)
        mode = pool_fail_mode(db);
    return mode ? mode : "standalone";
}

static void in_band(struct vswitch_plan *p, const char *bridge, const struct json *network)
{
    const char *dib = netdb_map_get(network, "other_config", "vswitch-disable-in-band");
    if (!dib)
        command(p, "remove Bridge %s other_config disable-in-band", bridge);
    else if (!strcmp(dib, "true") || !strcmp(dib, "false"))
        command(p, "set Bridge %s other_config:disable-in-band=%s", bridge, dib);
    else
        vlog_warn("\"%s\" isn't a valid setting for other_config:disable-in-band on %s", dib,
                  bridge);
}

/* ---- Bond options (IFR-15) ---- */

struct bond_option {
    const char *name;
    const char *value;
};

static int compare_options(const void *a, const void *b)
{
    return strcmp(((const struct bond_option *)a)->name, ((const struct bond_option *)b)->name);
}

static bool non_negative_integer(const char *text)
{
    if (!*text)
        return false;
    for (const char *c = text; *c; c++)
        if (!isdigit((unsigned char)*c))
            return false;
    return true;
}

static void add_word(char **words, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_word(char **words, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *w = NULL;
    if (vasprintf(&w, fmt, args) < 0)
        abort();
    va_end(args);
    char *joined = xasprintf("%s%s%s", *words, **words ? " " : "", w);
    free(w);
    free(*words);
    *words = joined;
}

char *vswitch_bond_options(const struct json *db, const char *pif)
{
    const struct json *rec = netdb_get(db, "pif", pif);
    struct bond_option options[32] = {
        { "mode", "balance-slb" }, { "miimon", "100" }, { "downdelay", "200" },
        { "updelay", "31000" }, { "use_carrier", "1" }, { "hashing-algorithm", "src_mac" },
    };
    size_t n = 6;
    const struct json *oc = json_object_get(rec, "other_config");
    for (size_t i = 0; i < json_object_size(oc); i++) {
        const char *key = json_object_key_at(oc, i);
        if (strncmp(key, "bond-", 5) != 0)
            continue;
        size_t k = 0;
        while (k < n && strcmp(options[k].name, key + 5) != 0)
            k++;
        if (k == n && n == sizeof options / sizeof options[0])
            continue;
        options[k] = (struct bond_option){ key + 5, json_string(json_object_value_at(oc, i)) };
        n += k == n;
    }
    const char *mode = "", *hashing = "";
    qsort(options, n, sizeof *options, compare_options);
    char *words = xstrdup("");
    const char *mac = netdb_string(rec, "MAC");
    if (*mac) {
        char *q = vswitch_quote(mac);
        add_word(&words, "MAC=%s", q);
        free(q);
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = options[i].name, *value = options[i].value ? options[i].value : "";
        if (!strcmp(name, "mode")) {
            mode = value;
        } else if (!strcmp(name, "hashing-algorithm")) {
            hashing = value;
        } else if (!strcmp(name, "downdelay") || !strcmp(name, "updelay") ||
                   !strcmp(name, "miimon")) {
            if (!non_negative_integer(value)) {
                vlog_warn("bond-%s=%s is not a non-negative integer: ignored", name, value);
                continue;
            }
            if (!strcmp(name, "miimon"))
                add_word(&words, "other-config:bond-miimon-interval=%s", value);
            else
                add_word(&words, "bond_%s=%s", name, value);
        } else if (!strcmp(name, "use_carrier")) {
            add_word(&words, "other-config:bond-detect-mode=%s",
                     strtol(value, NULL, 10) != 0 ? "carrier" : "miimon");
        } else {
            add_word(&words, "other-config:bond-%s=%s", name, value);
        }
    }
    if (!strcmp(mode, "lacp")) {
        const char *balance = "balance-slb";
        if (!strcmp(hashing, "tcpudp_ports"))
            balance = "balance-tcp";
        else if (strcmp(hashing, "src_mac") != 0)
            vlog_warn("bond-hashing-algorithm=%s is not src_mac or tcpudp_ports: using "
                      "balance-slb", hashing);
        add_word(&words, "lacp=active bond_mode=%s", balance);
    } else if (!strcmp(mode, "balance-slb") || !strcmp(mode, "active-backup")) {
        add_word(&words, "lacp=off bond_mode=%s", mode);
    } else {
        vlog_warn("bond-mode=%s is not balance-slb, active-backup or lacp: using balance-slb",
                  mode);
        add_word(&words, "lacp=off bond_mode=balance-slb");
    }
    return words;
}

/* ---- up (IFR-14) ---- */

/* Whether a PIF is in use: attached, or with an attached bond master or VLAN master. */
static bool in_use(const struct json *db, const char *pif)
{
    if (netdb_bool(netdb_get(db, "pif", pif), "currently_attached"))
        return true;
    const char *others[MAX_PIFS];
    size_t n = netdb_bond_masters(db, pif, others, MAX_PIFS);
    for (size_t i = 0; i < n; i++)
        if (netdb_bool(netdb_get(db, "pif", others[i]), "currently_attached"))
            return true;
    n = netdb_vlan_masters(db, pif, others, MAX_PIFS);
    for (size_t i = 0; i < n; i++)
        if (netdb_bool(netdb_get(db, "pif", others[i]), "currently_attached"))
            return true;
    return false;
}

/* The other bond-master PIFs holding any of `physical`, and their slaves outside `physical`
 * and not in use (IFR-14 step 1). */
static void extra_bonds_and_ports(const struct json *db, const char *dp, const char **physical,
                                  size_t n_physical, const char **bonds, size_t *n_bonds,
                                  const char **ports, size_t *n_ports)
{
    *n_bonds = *n_ports = 0;
    const struct json *pifs = json_object_get(db, "pif");
    for (size_t i = 0; i < json_object_size(pifs); i++) {
        const char *ref = json_object_key_at(pifs, i);
        const char *slaves[MAX_PIFS];
        long n = strcmp(ref, dp) ? netdb_bond_slaves(db, ref, slaves, MAX_PIFS) : 0;
        bool shares = false;
        for (long s = 0; s < n; s++)
            shares |= contains(physical, n_physical, slaves[s]);
        if (!shares || *n_bonds == MAX_PIFS)
            continue;
        bonds[(*n_bonds)++] = ref;
        for (long s = 0; s < n; s++)
            if (!contains(physical, n_physical, slaves[s]) && !in_use(db, slaves[s]) &&
                !contains(ports, *n_ports, slaves[s]) && *n_ports < MAX_PIFS)
                ports[(*n_ports)++] = slaves[s];
    }
}

static const char *device_of(const struct json *db, const char *pif)
{
    return netdb_string(netdb_get(db, "pif", pif), "device");
}

static void clean_up(struct vswitch_plan *p, const struct json *db, const char *dp,
                     const char **physical, size_t n_physical)
{
    const char *bonds[MAX_PIFS], *ports[MAX_PIFS];
    size_t n_bonds, n_ports;
    extra_bonds_and_ports(db, dp, physical, n_physical, bonds, &n_bonds, ports, &n_ports);
    const char *all[3 * MAX_PIFS];
    size_t n_all = 0;
    for (size_t i = 0; i < n_physical; i++)
        all[n_all++] = physical[i];
    for (size_t i = 0; i < n_ports; i++)
        all[n_all++] = ports[i];
    for (size_t i = 0; i < n_bonds; i++)
        all[n_all++] = bonds[i];
    for (size_t i = 0; i < n_all; i++) {
        const char *bridge = netdb_bridge_name(db, all[i]);
        if (!strcmp(all[i], dp) || !*bridge)   /* the datapath's own bridge stays */
            continue;
        device_down(p, bridge);
        command(p, "--if-exists del-br %s", bridge);
    }
    for (size_t i = 0; i < n_ports; i++) {
        command(p, "--with-iface --if-exists del-port %s", device_of(db, ports[i]));
        device_down(p, device_of(db, ports[i]));
    }
    for (size_t i = 0; i < n_bonds; i++) {
        command(p, "--with-iface --if-exists del-port %s", device_of(db, bonds[i]));
        device_down(p, device_of(db, bonds[i]));
    }
    for (size_t i = 0; i < n_physical; i++)
        command(p, "--with-iface --if-exists del-port %s", device_of(db, physical[i]));
}

static void add_ports(struct vswitch_plan *p, const struct json *db, const char *dp,
                      const char *bridge, const char **physical, size_t n_physical)
{
    if (n_physical == 1) {
        command(p, "--may-exist add-port %s %s", bridge, device_of(db, physical[0]));
    } else if (n_physical > 1) {
        const char *bond = device_of(db, dp);
        command(p, "--with-iface --if-exists del-port %s", bond);
        char *slaves = xstrdup("");
        for (size_t i = 0; i < n_physical; i++)
            add_word(&slaves, "%s", device_of(db, physical[i]));
        command(p, "--fake-iface add-bond %s %s %s", bridge, bond, slaves);
        free(slaves);
        char *options = vswitch_bond_options(db, dp);
        command(p, "set Port %s %s", bond, options);
        free(options);
    }
}

static void vlan_bridge(struct vswitch_plan *p, const struct json *db, const char *pif,
                        const char *bridge, const char *uuids)
{
    const char *vlan_bridge = netdb_bridge_name(db, pif);
    const char *tag = netdb_string(netdb_get(db, "pif", pif), "VLAN");
    command(p, "--if-exists del-br %s", vlan_bridge);
    command(p, "--may-exist add-br %s %s %s", vlan_bridge, bridge, tag);
    command(p, "br-set-external-id %s xs-network-uuids %s", vlan_bridge, uuids);
}

int vswitch_plan_up(struct vswitch_plan *p, const struct json *db, const char *pif,
                    const char *management, char *error, size_t size)
{
    (void)management;
    memset(p, 0, sizeof *p);
    const char *dp = netdb_datapath_pif(db, pif);
    if (!dp) {
        snprintf(error, size, netdb_is_vlan(db, pif) ? "Unbridged VLAN devices not implemented yet"
                                                     : "Bridgeless PIFs are not supported");
        return -1;
    }
    const char *physical[MAX_PIFS];
    long n_physical = netdb_physical_devices(db, dp, physical, MAX_PIFS);
    if (n_physical < 0) {
        snprintf(error, size, "Bond-master-of contains too many elements");
        return -1;
    }
    const char *bridge = netdb_bridge_name(db, dp);
    const struct json *dp_network = netdb_pif_network(db, dp);
    p->bridge = bridge;
    clean_up(p, db, dp, physical, (size_t)n_physical);
    command(p, "--may-exist add-br %s", bridge);
    add_ports(p, db, dp, bridge, physical, (size_t)n_physical);
    char *mac = vswitch_quote(netdb_string(netdb_get(db, "pif", dp), "MAC"));
    command(p, "set Bridge %s other-config:hwaddr=%s", bridge, mac);
    command(p, "set Bridge %s fail_mode=%s", bridge, fail_mode(db, dp_network));
    in_band(p, bridge, dp_network);
    char *uuids = netdb_xs_network_uuids(db, pif);
    command(p, "br-set-external-id %s xs-network-uuids %s", bridge, uuids);
    if (netdb_is_vlan(db, pif))
        vlan_bridge(p, db, pif, bridge, uuids);
    char ipdev[64], netdev[64];
    netdb_ipdev_name(db, pif, ipdev, sizeof ipdev);
    if (strcmp(ipdev, netdb_bridge_name(db, pif)) != 0) {
        command(p, "--with-iface --if-exists del-port %s", ipdev);
        command(p, "add-port %s %s", bridge, netdb_netdev_name(db, pif, netdev, sizeof netdev));
    }
    if (strcmp(ipdev, bridge) != 0)
        command(p, "set Interface %s MAC=%s", ipdev, mac);
    free(uuids);
    free(mac);
    p->flow_ports = xzalloc((size_t)(n_physical ? n_physical : 1) * sizeof *p->flow_ports);
    for (long i = 0; i < n_physical; i++)
        p->flow_ports[p->n_flow_ports++] = device_of(db, physical[i]);
    p->flows_bond = n_physical > 1;
    p->mac = netdb_string(netdb_get(db, "pif", pif), "MAC");
    return 0;
}

bool vswitch_needs_fail_mode(const struct json *db, const char *pif, const char *management)
{
    const char *dp = netdb_datapath_pif(db, pif);
    if (!dp || !management || strcmp(pif, management) != 0)
        return false;
    const struct json *network = netdb_pif_network(db, dp);
    const char *pool = pool_fail_mode(db);
    return !network_fail_mode(network) && pool && !strcmp(pool, "secure");
}

void vswitch_plan_flows(struct vswitch_plan *p, const struct json *db, const char *pif,
                        const char *current_fail_mode)
{
    (void)db, (void)pif;
    p->management_flows = strcmp(current_fail_mode, "secure") != 0 && p->n_flow_ports > 0;
}

static char *flow(const char *match, const char *actions)
{
    return xasprintf("idle_timeout=0,priority=0,%s,actions=%s", match, actions);
}

char **vswitch_flows(const struct vswitch_plan *p, const long *ofports, size_t *n)
{
    char **flows = xzalloc((4 + 2 * p->n_flow_ports) * sizeof *flows);
    char match[160];
    *n = 0;
    if (!p->flows_bond) {
        long port = ofports[0];
        snprintf(match, sizeof match, "in_port=%ld,arp,nw_proto=1", port);
        flows[(*n)++] = flow(match, "local");
        snprintf(match, sizeof match, "in_port=local,arp,dl_src=%s", p->mac);
        char out[32];
        snprintf(out, sizeof out, "%ld", port);
        flows[(*n)++] = flow(match, out);
        snprintf(match, sizeof match, "in_port=%ld,dl_dst=%s", port, p->mac);
        flows[(*n)++] = flow(match, "local");
        snprintf(match, sizeof match, "in_port=local,dl_src=%s", p->mac);
        flows[(*n)++] = flow(match, out);
        return flows;
    }
    snprintf(match, sizeof match, "in_port=local,arp,dl_src=%s", p->mac);
    flows[(*n)++] = flow(match, "NORMAL");
    snprintf(match, sizeof match, "in_port=local,dl_src=%s", p->mac);
    flows[(*n)++] = flow(match, "NORMAL");
    for (size_t i = 0; i < p->n_flow_ports; i++) {
        snprintf(match, sizeof match, "in_port=%ld,arp,nw_proto=1", ofports[i]);
        flows[(*n)++] = flow(match, "local");
        snprintf(match, sizeof match, "in_port=%ld,dl_dst=%s", ofports[i], p->mac);
        flows[(*n)++] = flow(match, "local");
    }
    return flows;
}

/* ---- down (IFR-19) ---- */

static bool any_attached(const struct json *db, const char **pifs, size_t n, const char *except)
{
    for (size_t i = 0; i < n; i++)
        if ((!except || strcmp(pifs[i], except)) &&
            netdb_bool(netdb_get(db, "pif", pifs[i]), "currently_attached"))
            return true;
    return false;
}

int vswitch_plan_down(struct vswitch_plan *p, const struct json *db, const char *pif,
                      char *error, size_t size)
{
    memset(p, 0, sizeof *p);
    const char *dp = netdb_datapath_pif(db, pif);
    if (!dp) {
        snprintf(error, size, netdb_is_vlan(db, pif) ? "Unbridged VLAN devices not implemented yet"
                                                     : "Bridgeless PIFs are not supported");
        return -1;
    }
    char ipdev[64];
    netdb_ipdev_name(db, pif, ipdev, sizeof ipdev);
    command(p, "--with-iface --if-exists del-port %s", ipdev);
    const char *vlans[MAX_PIFS];
    bool keep_datapath;
    if (netdb_is_vlan(db, pif)) {
        command(p, "--if-exists del-br %s", netdb_bridge_name(db, pif));
        const char *tagged = netdb_vlan_slave(db, pif);
        size_t n = tagged ? netdb_vlan_masters(db, tagged, vlans, MAX_PIFS) : 0;
        keep_datapath = (tagged && netdb_bool(netdb_get(db, "pif", tagged),
                                              "currently_attached")) ||
                        any_attached(db, vlans, n, pif);
    } else {
        size_t n = netdb_vlan_masters(db, pif, vlans, MAX_PIFS);
        keep_datapath = any_attached(db, vlans, n, NULL);
    }
    if (keep_datapath)
        return 0;
    command(p, "--if-exists del-br %s", netdb_bridge_name(db, dp));
    const char *physical[MAX_PIFS];
    long n_physical = netdb_physical_devices(db, dp, physical, MAX_PIFS);
    for (long i = 0; i < n_physical; i++)
        device_down(p, device_of(db, physical[i]));
    return 0;
}

/* ---- rewrite (IFR-20) ---- */

void vswitch_plan_rewrite(struct vswitch_plan *p, const struct json *db)
{
    memset(p, 0, sizeof *p);
    const struct json *pifs = json_object_get(db, "pif");
    for (size_t i = 0; i < json_object_size(pifs); i++) {
        const char *ref = json_object_key_at(pifs, i);
        const char *bridge = netdb_bridge_name(db, ref);
        if (netdb_is_vlan(db, ref) || !*bridge ||
            !netdb_bool(json_object_value_at(pifs, i), "currently_attached"))
            continue;
        char *uuids = netdb_xs_network_uuids(db, ref);
        command(p, "br-set-external-id %s xs-network-uuids %s", bridge, uuids);
        free(uuids);
    }
}
