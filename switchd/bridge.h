/* The desired switch configuration, read whole from the database replica at one state, and the
 * OpenFlow port numbering of Open vSwitch (vswitchd/bridge.c): recorded numbers are stable,
 * ofport_request is honoured when free, the bridge's own interface is LOCAL. */
#ifndef VSW_SWITCHD_BRIDGE_H
#define VSW_SWITCHD_BRIDGE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct vswrec_interface;
struct vswrec_open_vswitch;

/* OpenFlow port numbers: the bridge's own (local) port, and the highest others may have. */
#define OFPORT_LOCAL 65534
#define OFPORT_MAX 65279

enum vlan_mode {
    VLAN_MODE_DEFAULT,            /* access if tag is set, else trunk */
    VLAN_MODE_ACCESS,
    VLAN_MODE_TRUNK,
    VLAN_MODE_NATIVE_TAGGED,
    VLAN_MODE_NATIVE_UNTAGGED,
};

/* A port's status as flowd reported it when it attached the port (FLOWD_PORT_ADD_BATCH), so
 * that writing it back needs no FLOWD_PORT_STATUS. */
struct iface_status {
    bool known;
    bool admin_up, link_up;
    char mac_in_use[18];
    uint32_t mtu;
    int32_t ifindex;
    char error[128];
};

struct iface_config {
    char uuid[37];
    char name[IFNAMSIZ];
    char type[16];                /* "", "system", "internal", or one flowd does not do */
    int64_t ofport_request;       /* 0: none */
    int64_t mtu_request;          /* 0: none */
    int64_t recorded_ofport;      /* as the database records it, 0 if none */
    int64_t ofport;               /* as assigned by bridge_assign_ofports(); -1: failed */
    const struct vswrec_interface *row;   /* the replica's row (borrowed) */
    bool status_unwritten;        /* the row has no ifindex or mac_in_use yet */
    bool attached_now;            /* flowd (re)created its port in this reconciliation */
    struct iface_status fresh;    /* flowd's status at that moment, if attached_now */
    char error[320];              /* why it is not attached, "" if it is */
};

struct port_config {
    char uuid[37];
    char name[IFNAMSIZ];
    int tag;                      /* -1: none */
    enum vlan_mode vlan_mode;
    bool fake_bridge;
    int n_trunks;
    uint16_t *trunks;             /* empty: all VLANs */
    int n_ifaces;
    struct iface_config *ifaces;
};

struct bridge_config {
    char uuid[37];
    char name[IFNAMSIZ];
    char datapath_type[16];
    int64_t mac_aging_time;       /* other_config:mac-aging-time, seconds; 0: default */
    int64_t mac_table_size;       /* other_config:mac-table-size; 0: default */
    int64_t flow_idle_timeout_ms; /* other_config:max-idle, ms; 0: default */
    int n_ports;
    struct port_config *ports;
    int first_new_port;           /* switch_config_grow(): ports from here on are new */
    struct ofport_set *used;      /* the numbers bridge_assign_ofports() gave (malloc'd) */
};

/* The whole desired configuration at one database state. */
struct switch_config {
    int64_t next_cfg;
    int64_t cur_cfg;
    const struct vswrec_open_vswitch *root;   /* NULL: no Open_vSwitch row yet */
    int n_bridges;
    struct bridge_config *bridges;
};

struct idl;
struct ofport_set;

/* Reads the desired configuration from the replica. Fake (VLAN) bridges are ports of their
 * parent, not bridges of their own. A port whose rows (the Port and its Interfaces) are
 * unchanged since `previous` was read (the idl's change tracking) is copied from `previous`
 * (may be NULL) rather than read again, so a change to one port of a thousand costs little.
 * Returns 0, or -1 on allocation failure. */
int switch_config_read(struct switch_config *config, const struct idl *idl,
                       const struct switch_config *previous);
void switch_config_free(struct switch_config *config);

/* Brings `config` (the last reading, as applied) to the replica's state without reading it
 * whole, when the changes since (the idl's tracking) only add new ports (with new interfaces) to
 * existing bridges, change the root row other than its bridges, or touch the interface columns
 * switchd itself writes back. That is what `add-port` and VIF hotplug do, and it then costs in
 * proportion to the ports added, not to the ports the bridge has. Each bridge's new ports are
 * appended, from first_new_port on. Returns 0, or -1 if the changes need a full reading (which
 * may then take `config`, whatever this did to it, as its previous reading). */
int switch_config_grow(struct switch_config *config, const struct idl *idl);

/* Gives every interface of `bridge` its OpenFlow port number: the bridge's own interface gets
 * OFPORT_LOCAL; others keep the number the database records, else get their ofport_request if
 * free, else the lowest free number. */
void bridge_assign_ofports(struct bridge_config *bridge);
/* The same for the ports from first_new_port on, the others keeping theirs: what
 * bridge_assign_ofports() would give them, without going over the bridge's other ports. */
void bridge_assign_new_ofports(struct bridge_config *bridge);

#endif
