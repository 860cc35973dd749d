/* The host's network records and the questions section 4 asks of them; see netdb.h. */
#include "xenserver/ifr/netdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/xalloc.h"

/* ---- Record classes (IFR-08) ---- */

#define ETHTOOL_KEYS                                                                        \
    "ethtool-autoneg", "ethtool-speed", "ethtool-duplex", "ethtool-rx", "ethtool-tx",       \
        "ethtool-sg", "ethtool-tso", "ethtool-ufo", "ethtool-gso", "ethtool-gro",           \
        "ethtool-lro"

static const char *const pif_keys[] = {
    "domain", "peerdns", "defaultroute", "mtu", "static-routes", "bond-mode", "bond-miimon",
    "bond-downdelay", "bond-updelay", "bond-use_carrier", "bond-hashing-algorithm",
    "vlan-bug-workaround", ETHTOOL_KEYS, NULL,
};

static const char *const network_keys[] = {
    "mtu", "static-routes", "vswitch-controller-fail-mode", "vswitch-disable-in-band",
    ETHTOOL_KEYS, NULL,
};

static const char *const pool_keys[] = { "vswitch-controller-fail-mode", NULL };

static const struct netdb_field pif_fields[] = {
    { "uuid", NETDB_STRING, NULL, NULL },
    { "management", NETDB_BOOL, NULL, NULL },
    { "network", NETDB_STRING, NULL, NULL },
    { "device", NETDB_STRING, NULL, NULL },
    { "bond_master_of", NETDB_LIST, "slave", NULL },
    { "bond_slave_of", NETDB_STRING, NULL, NULL },
    { "VLAN", NETDB_STRING, NULL, NULL },
    { "VLAN_master_of", NETDB_STRING, NULL, NULL },
    { "VLAN_slave_of", NETDB_LIST, "master", NULL },
    { "tunnel_access_PIF_of", NETDB_LIST, "pif", NULL },
    { "tunnel_transport_PIF_of", NETDB_LIST, "pif", NULL },
    { "ip_configuration_mode", NETDB_STRING, NULL, NULL },
    { "IP", NETDB_STRING, NULL, NULL },
    { "netmask", NETDB_STRING, NULL, NULL },
    { "gateway", NETDB_STRING, NULL, NULL },
    { "DNS", NETDB_STRING, NULL, NULL },
    { "MAC", NETDB_STRING, NULL, NULL },
    { "other_config", NETDB_MAP, NULL, pif_keys },
    { "currently_attached", NETDB_BOOL, NULL, NULL },
};

static const struct netdb_field bond_fields[] = {
    { "uuid", NETDB_STRING, NULL, NULL },
    { "master", NETDB_STRING, NULL, NULL },
    { "slaves", NETDB_LIST, "slave", NULL },
};

static const struct netdb_field vlan_fields[] = {
    { "uuid", NETDB_STRING, NULL, NULL },
    { "tagged_PIF", NETDB_STRING, NULL, NULL },
    { "untagged_PIF", NETDB_STRING, NULL, NULL },
};

static const struct netdb_field tunnel_fields[] = {
    { "uuid", NETDB_STRING, NULL, NULL },
    { "access_PIF", NETDB_STRING, NULL, NULL },
    { "transport_PIF", NETDB_STRING, NULL, NULL },
};

static const struct netdb_field network_fields[] = {
    { "uuid", NETDB_STRING, NULL, NULL },
    { "bridge", NETDB_STRING, NULL, NULL },
    { "MTU", NETDB_OPTIONAL, NULL, NULL },
    { "PIFs", NETDB_LIST, "PIF", NULL },
    { "other_config", NETDB_MAP, NULL, network_keys },
};

static const struct netdb_field pool_fields[] = {
    { "other_config", NETDB_MAP, NULL, pool_keys },
};

#define CLASS(name, fields) { name, fields, sizeof fields / sizeof fields[0] }
const struct netdb_class netdb_classes[] = {
    CLASS("pif", pif_fields),         CLASS("bond", bond_fields),
    CLASS("vlan", vlan_fields),       CLASS("tunnel", tunnel_fields),
    CLASS("network", network_fields), CLASS("pool", pool_fields),
};
const size_t netdb_n_classes = sizeof netdb_classes / sizeof netdb_classes[0];

const struct netdb_class *netdb_class(const char *name)
{
    for (size_t i = 0; i < netdb_n_classes; i++)
        if (strcmp(netdb_classes[i].name, name) == 0)
            return &netdb_classes[i];
    return NULL;
}

const struct netdb_field *netdb_field(const struct netdb_class *class_, const char *name)
{
    for (size_t i = 0; i < class_->n_fields; i++)
        if (strcmp(class_->fields[i].name, name) == 0)
            return &class_->fields[i];
    return NULL;
}

bool netdb_allowed_key(const struct netdb_class *class_, const char *key)
{
    const struct netdb_field *f = netdb_field(class_, "other_config");
    for (size_t i = 0; f && f->keys[i]; i++)
        if (strcmp(f->keys[i], key) == 0)
            return true;
    return false;
}

/* ---- The database ---- */

struct json *netdb_new(void)
{
    struct json *db = json_object_new();
    for (size_t i = 0; i < netdb_n_classes; i++)
        json_object_put(db, netdb_classes[i].name, json_object_new());
    return db;
}

struct json *netdb_records(struct json *db, const char *class_)
{
    struct json *records = json_object_get(db, class_);
    if (!records) {
        records = json_object_new();
        json_object_put(db, class_, records);
    }
    return records;
}

const struct json *netdb_get(const struct json *db, const char *class_, const char *ref)
{
    if (!ref || !*ref || strcmp(ref, NETDB_NULL_REF) == 0)
        return NULL;
    return json_object_get(json_object_get(db, class_), ref);
}

const char *netdb_string(const struct json *record, const char *field)
{
    const char *s = json_string(json_object_get(record, field));
    return s ? s : "";
}

bool netdb_bool(const struct json *record, const char *field)
{
    return json_boolean(json_object_get(record, field));
}

size_t netdb_list_size(const struct json *record, const char *field)
{
    return json_array_size(json_object_get(record, field));
}

/* A string, or NULL when absent or of another type (json_string() says "" then). */
static const char *string_or_null(const struct json *value)
{
    return json_is_string(value) ? json_string(value) : NULL;
}

const char *netdb_list_at(const struct json *record, const char *field, size_t i)
{
    return string_or_null(json_array_at(json_object_get(record, field), i));
}

const char *netdb_map_get(const struct json *record, const char *field, const char *key)
{
    return string_or_null(json_object_get(json_object_get(record, field), key));
}

/* The class a ref field points into, or NULL for a field that holds no ref. */
static const char *ref_target(const char *class_, const char *field)
{
    static const struct { const char *class_, *field, *target; } refs[] = {
        { "pif", "network", "network" },       { "pif", "bond_master_of", "bond" },
        { "pif", "bond_slave_of", "bond" },    { "pif", "VLAN_master_of", "vlan" },
        { "pif", "VLAN_slave_of", "vlan" },    { "pif", "tunnel_access_PIF_of", "tunnel" },
        { "pif", "tunnel_transport_PIF_of", "tunnel" },
        { "bond", "master", "pif" },           { "bond", "slaves", "pif" },
        { "vlan", "tagged_PIF", "pif" },       { "vlan", "untagged_PIF", "pif" },
        { "tunnel", "access_PIF", "pif" },     { "tunnel", "transport_PIF", "pif" },
        { "network", "PIFs", "pif" },
    };
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
        if (!strcmp(refs[i].class_, class_) && !strcmp(refs[i].field, field))
            return refs[i].target;
    return NULL;
}

static int check_ref(const struct json *db, const char *class_, const char *ref_of_record,
                     const char *field, const char *target, const char *ref, char *error,
                     size_t size)
{
    if (!ref) {
        snprintf(error, size, "%s %s: %s is not a ref", class_, ref_of_record, field);
        return -1;
    }
    /* Only these two may say "none"; list fields hold no null refs. */
    bool nullable = strcmp(class_, "pif") == 0 &&
                    (strcmp(field, "bond_slave_of") == 0 || strcmp(field, "VLAN_master_of") == 0);
    if (strcmp(ref, NETDB_NULL_REF) == 0 && nullable)
        return 0;
    if (!netdb_get(db, target, ref)) {
        snprintf(error, size, "%s %s: %s names %s %s, which the configuration lacks", class_,
                 ref_of_record, field, target, ref);
        return -1;
    }
    return 0;
}

int netdb_check_refs(const struct json *db, char *error, size_t size)
{
    for (size_t c = 0; c < netdb_n_classes; c++) {
        const struct netdb_class *cls = &netdb_classes[c];
        const struct json *records = json_object_get(db, cls->name);
        for (size_t r = 0; r < json_object_size(records); r++) {
            const char *ref = json_object_key_at(records, r);
            const struct json *rec = json_object_value_at(records, r);
            for (size_t f = 0; f < cls->n_fields; f++) {
                const struct netdb_field *field = &cls->fields[f];
                const char *target = ref_target(cls->name, field->name);
                if (!target)
                    continue;
                const struct json *value = json_object_get(rec, field->name);
                size_t n = field->kind == NETDB_LIST ? json_array_size(value) : 1;
                for (size_t i = 0; i < n; i++) {
                    const char *to = string_or_null(field->kind == NETDB_LIST
                                                        ? json_array_at(value, i) : value);
                    if (check_ref(db, cls->name, ref, field->name, target, to, error, size))
                        return -1;
                }
            }
        }
    }
    return 0;
}

/* ---- Questions of section 4 ---- */

const char *netdb_management_pif(const struct json *db)
{
    const struct json *pifs = json_object_get(db, "pif");
    for (size_t i = 0; i < json_object_size(pifs); i++)
        if (netdb_bool(json_object_value_at(pifs, i), "management"))
            return json_object_key_at(pifs, i);
    return NULL;
}

const struct json *netdb_pif_network(const struct json *db, const char *pif)
{
    return netdb_get(db, "network", netdb_string(netdb_get(db, "pif", pif), "network"));
}

bool netdb_is_vlan(const struct json *db, const char *pif)
{
    const char *vlan = netdb_string(netdb_get(db, "pif", pif), "VLAN");
    return *vlan && strcmp(vlan, "-1") != 0;
}

const char *netdb_netdev_name(const struct json *db, const char *pif, char *buf, size_t size)
{
    const struct json *rec = netdb_get(db, "pif", pif);
    if (netdb_is_vlan(db, pif))
        snprintf(buf, size, "%s.%s", netdb_string(rec, "device"), netdb_string(rec, "VLAN"));
    else
        snprintf(buf, size, "%s", netdb_string(rec, "device"));
    return buf;
}

const char *netdb_bridge_name(const struct json *db, const char *pif)
{
    return netdb_string(netdb_pif_network(db, pif), "bridge");
}

const char *netdb_ipdev_name(const struct json *db, const char *pif, char *buf, size_t size)
{
    const char *bridge = netdb_bridge_name(db, pif);
    if (*bridge) {
        snprintf(buf, size, "%s", bridge);
        return buf;
    }
    return netdb_netdev_name(db, pif, buf, size);
}

const char *netdb_vlan_slave(const struct json *db, const char *pif)
{
    const struct json *vlan =
        netdb_get(db, "vlan", netdb_string(netdb_get(db, "pif", pif), "VLAN_master_of"));
    return vlan ? netdb_string(vlan, "tagged_PIF") : NULL;
}

size_t netdb_vlan_masters(const struct json *db, const char *pif, const char **out, size_t max)
{
    const struct json *rec = netdb_get(db, "pif", pif);
    size_t n = 0;
    for (size_t i = 0; i < netdb_list_size(rec, "VLAN_slave_of") && n < max; i++) {
        const struct json *vlan = netdb_get(db, "vlan", netdb_list_at(rec, "VLAN_slave_of", i));
        const char *untagged = vlan ? netdb_string(vlan, "untagged_PIF") : "";
        if (netdb_get(db, "pif", untagged))
            out[n++] = untagged;
    }
    return n;
}

const char *netdb_datapath_pif(const struct json *db, const char *pif)
{
    if (!*netdb_bridge_name(db, pif))
        return NULL;
    if (!netdb_is_vlan(db, pif))
        return pif;
    const char *slave = netdb_vlan_slave(db, pif);
    return slave ? netdb_datapath_pif(db, slave) : NULL;
}

long netdb_bond_slaves(const struct json *db, const char *pif, const char **out, size_t max)
{
    const struct json *rec = netdb_get(db, "pif", pif);
    size_t n_bonds = netdb_list_size(rec, "bond_master_of");
    if (n_bonds > 1)
        return -1;
    const struct json *bond = n_bonds ? netdb_get(db, "bond",
                                                  netdb_list_at(rec, "bond_master_of", 0))
                                      : NULL;
    size_t n = 0;
    for (size_t i = 0; bond && i < netdb_list_size(bond, "slaves") && n < max; i++)
        out[n++] = netdb_list_at(bond, "slaves", i);
    return (long)n;
}

size_t netdb_bond_masters(const struct json *db, const char *pif, const char **out, size_t max)
{
    const struct json *bond =
        netdb_get(db, "bond", netdb_string(netdb_get(db, "pif", pif), "bond_slave_of"));
    const char *master = bond ? netdb_string(bond, "master") : "";
    if (!netdb_get(db, "pif", master) || max == 0)
        return 0;
    out[0] = master;
    return 1;
}

bool netdb_is_tunnel_access(const struct json *db, const char *pif)
{
    return netdb_list_size(netdb_get(db, "pif", pif), "tunnel_access_PIF_of") > 0;
}

long netdb_physical_devices(const struct json *db, const char *pif, const char **out,
                            size_t max)
{
    if (netdb_is_tunnel_access(db, pif))
        return 0;
    long n = netdb_bond_slaves(db, pif, out, max);
    if (n != 0 || max == 0)
        return n;
    out[0] = pif;
    return 1;
}

char *netdb_xs_network_uuids(const struct json *db, const char *pif)
{
    const char *device = netdb_string(netdb_get(db, "pif", pif), "device");
    const struct json *pifs = json_object_get(db, "pif");
    char *first = xstrdup(""), *vlans = xstrdup("");
    for (size_t i = 0; i < json_object_size(pifs); i++) {
        const char *ref = json_object_key_at(pifs, i);
        if (strcmp(netdb_string(json_object_value_at(pifs, i), "device"), device) != 0)
            continue;
        const char *uuid = netdb_string(netdb_pif_network(db, ref), "uuid");
        char **list = netdb_is_vlan(db, ref) ? &vlans : &first;
        char *joined = xasprintf("%s%s%s", *list, **list ? ";" : "", uuid);
        free(*list);
        *list = joined;
    }
    char *all = xasprintf("%s%s%s", first, *first && *vlans ? ";" : "", vlans);
    free(first);
    free(vlans);
    return all;
}
