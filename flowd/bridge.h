/* A bridge: one datapath with its ports, their VLAN configuration, the MAC learning table and
 * the NORMAL pipeline that runs every packet the datapath cannot switch from its cache.
 *
 * Life of a packet (bridge_port_input): the provider receives a batch on a port; each packet's
 * key is extracted and looked up in the datapath's megaflow cache; a hit executes the cached
 * actions, a miss runs the translation (xlate.c), which learns the source, decides, and
 * installs a megaflow. Outputs are queued per port and sent as one batch per port. Then, if
 * anything the cache depends on changed (MAC table, ports, VLANs, options), revalidation
 * re-translates the affected flows and fixes or removes them before the next batch. */
#ifndef VSW_FLOWD_BRIDGE_H
#define VSW_FLOWD_BRIDGE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowd/dpif.h"
#include "flowd/mac_table.h"
#include "flowd/xlate.h"

#define FLOW_IDLE_DEFAULT_MS 10000
/* MAC changes remembered between revalidations; beyond, every flow is revalidated. */
#define BRIDGE_CHANGES_MAX 64

/* What every bridge shares, owned by the daemon. */
struct bridge_env {
    int epoll_fd;                    /* every port's descriptor, data.ptr = its bridge_port */
    struct dp_packet_batch *batch;   /* the receive buffers */
    struct dpif_env dpif_env;
};

/* Counters of the switch itself for one port (the kernel keeps its own). */
struct port_counters {
    uint64_t rx_packets, rx_bytes, rx_dropped;   /* dropped: malformed or truncated */
    uint64_t tx_packets, tx_bytes, tx_dropped;
};

/* A port's VLAN columns as configured (kept for dumps; the effective form is in xports). */
struct port_vlan_columns {
    bool has_tag;
    uint16_t tag;
    int mode;                        /* enum vlan_mode, or -1 for the default */
    uint16_t *trunks;                /* owned */
    size_t n_trunks;
};

struct bridge;

struct bridge_port {
    struct bridge *bridge;
    uint32_t port_no;
    uint16_t slot;                   /* index in bridge->ports and bridge->xports */
    char name[IFNAMSIZ];
    enum dp_port_kind kind;
    uint32_t mtu_request;
    bool offloads_off;
    struct dpif_port_info info;
    struct port_vlan_columns vlan;
    struct port_counters stats;
    int error;                       /* errno of the last descriptor error; 0 once it works */
    bool broken;                     /* its interface is gone: no longer watched */
    struct dp_txq txq;               /* output queued during the current batch */
    bool tx_pending;                 /* listed in bridge->pending */
};

struct mac_change {
    uint8_t mac[ETH_ADDR_LEN];
    uint16_t vlan;
};

struct bridge {
    char name[IFNAMSIZ];
    const struct dpif_class *ops;    /* the datapath's provider */
    struct dpif *dpif;
    const struct bridge_env *env;
    struct bridge_port **ports;      /* by slot; NULL: free slot */
    struct xlate_port *xports;       /* by slot: what xlate sees of each port */
    struct dp_action *xlate_buf;     /* n_slots actions: one translation's output */
    struct bridge_port **pending;    /* ports with queued output, n_pending of them */
    size_t n_pending;
    size_t n_slots;
    size_t n_ports;
    struct mac_table macs;
    char owner[IFNAMSIZ];            /* the client that manages it (FlowdDatapathAdd.owner) */
    uint32_t mac_aging_s;            /* as configured; 0: default */
    uint32_t mac_table_size;
    uint32_t flow_idle_ms;
    /* Revalidation owed: everything, or the flows that looked these MACs up. */
    bool revalidate_all;
    size_t n_changes;
    struct mac_change changes[BRIDGE_CHANGES_MAX];
    uint64_t last_periodic_ms;
    uint64_t hits, misses, revalidations, install_failures;
};

/* Creates a bridge on a new datapath of provider `ops`. Returns it, or NULL with `err` filled. */
struct bridge *bridge_create(const struct bridge_env *env, const struct dpif_class *ops,
                             const char *name, char *err, size_t err_size);
void bridge_destroy(struct bridge *br);

/* Adds a port (default VLAN config: trunk of all VLANs) and revalidates. Returns it, or NULL
 * with `err` filled and nothing changed. */
struct bridge_port *bridge_port_add(struct bridge *br, const struct dpif_port_spec *spec,
                                    char *err, size_t err_size);
/* Removes a port: its MACs are forgotten and no flow outputs to it any more on return. */
void bridge_port_del(struct bridge *br, struct bridge_port *port);

struct bridge_port *bridge_port_find(const struct bridge *br, const char *name);
struct bridge_port *bridge_port_find_no(const struct bridge *br, uint32_t port_no);

/* Replaces a port's VLAN configuration (values already validated); its MACs are forgotten and
 * the cache revalidated. Returns 0, or -1 when out of memory (nothing changed). */
int bridge_port_set_vlan(struct bridge *br, struct bridge_port *port,
                         const struct port_vlan_columns *cols);

/* 0 means the default for each value. */
void bridge_set_options(struct bridge *br, uint32_t mac_aging_s, uint32_t mac_table_size,
                        uint32_t flow_idle_ms);

uint32_t bridge_mac_aging_s(const struct bridge *br);
uint32_t bridge_mac_table_size(const struct bridge *br);
uint32_t bridge_flow_idle_ms(const struct bridge *br);

/* Switches what waits on `port` (called when its descriptor is readable). */
void bridge_port_input(struct bridge_port *port);

/* The port's descriptor reported an error (EPOLLERR/EPOLLHUP): records it, and stops
 * watching a port whose interface is gone (it stays configured until deleted). */
void bridge_port_error(struct bridge_port *port);

/* Once a second: refreshes MACs of active flows, ages MACs, expires idle flows. */
void bridge_run_periodic(struct bridge *br, uint64_t now_ms);

/* Brings the cache in line with the current configuration and MAC table. */
void bridge_revalidate(struct bridge *br, uint64_t now_ms);

void bridge_flush(struct bridge *br, bool flows, bool fdb);

#endif
