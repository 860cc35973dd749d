/* The host's network configuration as interface-reconfigure sees it: the PIF, Bond, VLAN,
 * tunnel, network and pool records of one host, read from XAPI (xapi_load.c) or from
 * /var/xapi/network.dbcache (dbcache.c), and the questions the spec's section 4 asks of them
 * (IFR-10: netdev, ipdev and bridge names, datapath PIF, physical devices; IFR-16: the
 * xs-network-uuids of a bridge).
 *
 * Records are lib/json objects as XAPI's XML-RPC gives them: strings (refs are
 * "OpaqueRef:..." strings, VLAN and MTU numbers are strings), booleans, arrays of refs, and maps
 * (other_config) as objects of strings. The database is {"pif": {ref: record}, "bond": ...,
 * "vlan": ..., "tunnel": ..., "network": ..., "pool": ...}, each class's records in the order
 * they were read, which is the order the cache is written in. */
#ifndef VSW_IFR_NETDB_H
#define VSW_IFR_NETDB_H

#include <stdbool.h>
#include <stddef.h>

struct json;

#define NETDB_NULL_REF "OpaqueRef:NULL"

/* One field of a record class, as the cache writes it. */
enum netdb_field_kind {
    NETDB_STRING,
    NETDB_BOOL,        /* "True" / "False" in the cache */
    NETDB_LIST,        /* refs, each in an element named `item` */
    NETDB_MAP,         /* other_config: only the keys in `keys` */
    NETDB_OPTIONAL,    /* a string that may be absent (network MTU) */
};

struct netdb_field {
    const char *name;
    enum netdb_field_kind kind;
    const char *item;                 /* NETDB_LIST: the element of each entry */
    const char *const *keys;          /* NETDB_MAP: the keys kept, NULL-terminated */
};

struct netdb_class {
    const char *name;                 /* "pif", "bond", ...: the cache's element */
    const struct netdb_field *fields; /* in the order the cache writes them */
    size_t n_fields;
};

/* pif, bond, vlan, tunnel, network, pool: the cache's writer order (IFR-08). */
extern const struct netdb_class netdb_classes[];
extern const size_t netdb_n_classes;
const struct netdb_class *netdb_class(const char *name);
const struct netdb_field *netdb_field(const struct netdb_class *class_, const char *name);
/* Whether `key` may be kept in the other_config of a record of `class_`. */
bool netdb_allowed_key(const struct netdb_class *class_, const char *key);

/* ---- The database ---- */

struct json *netdb_new(void);
/* The records of one class ({ref: record}), created empty if absent. Borrowed. */
struct json *netdb_records(struct json *db, const char *class_);
/* A record by ref, or NULL (also for NETDB_NULL_REF). Borrowed. */
const struct json *netdb_get(const struct json *db, const char *class_, const char *ref);

/* Fields of a record: "" / false / NULL when absent or of another type. */
const char *netdb_string(const struct json *record, const char *field);
bool netdb_bool(const struct json *record, const char *field);
size_t netdb_list_size(const struct json *record, const char *field);
const char *netdb_list_at(const struct json *record, const char *field, size_t i);
const char *netdb_map_get(const struct json *record, const char *field, const char *key);

/* Checks that every ref a record holds names a record of the right class (or is
 * NETDB_NULL_REF where a ref may be null). Returns 0, or -1 with `error` naming the record and
 * the field. */
int netdb_check_refs(const struct json *db, char *error, size_t size);

/* ---- Questions of section 4 ---- */

/* The ref of the PIF whose `management` is true, or NULL. */
const char *netdb_management_pif(const struct json *db);
/* The network of a PIF, or NULL. */
const struct json *netdb_pif_network(const struct json *db, const char *pif);
/* IFR-10. The netdev name: device, or device.VLAN for a VLAN PIF. Into `buf`. */
const char *netdb_netdev_name(const struct json *db, const char *pif, char *buf, size_t size);
/* The network's bridge, or "" for a bridgeless PIF. */
const char *netdb_bridge_name(const struct json *db, const char *pif);
/* The device that carries IP: the bridge, or the netdev name when bridgeless. */
const char *netdb_ipdev_name(const struct json *db, const char *pif, char *buf, size_t size);
bool netdb_is_vlan(const struct json *db, const char *pif);
/* The tagged PIF under a VLAN PIF, or NULL. */
const char *netdb_vlan_slave(const struct json *db, const char *pif);
/* The VLAN PIFs stacked on a PIF (through its VLAN_slave_of records): refs into `out` (at most
 * `max`); returns the count. */
size_t netdb_vlan_masters(const struct json *db, const char *pif, const char **out, size_t max);
/* The datapath PIF: the PIF itself, or for a VLAN its tagged PIF's datapath; NULL when the
 * PIF is bridgeless (not supported by the vswitch backend). */
const char *netdb_datapath_pif(const struct json *db, const char *pif);
/* The bond slaves of a bond master PIF (refs, at most `max`), in the Bond's order; 0 if not a
 * bond master. Returns -1 if bond_master_of holds more than one Bond. */
long netdb_bond_slaves(const struct json *db, const char *pif, const char **out, size_t max);
/* The bond master PIFs of a slave (through bond_slave_of). */
size_t netdb_bond_masters(const struct json *db, const char *pif, const char **out, size_t max);
bool netdb_is_tunnel_access(const struct json *db, const char *pif);
/* The physical devices of a datapath PIF: its bond slaves, itself, or none for a tunnel. */
long netdb_physical_devices(const struct json *db, const char *pif, const char **out,
                            size_t max);
/* IFR-16: the xs-network-uuids list of the bridge of `pif`: the networks of every PIF of this
 * host with the same device, non-VLAN networks first, joined with ';'. Malloc'd. */
char *netdb_xs_network_uuids(const struct json *db, const char *pif);

#endif
