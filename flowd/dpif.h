/* The datapath provider interface: what flowd's pipeline (bridge.c) needs from a datapath,
 * whichever implements it (after Open vSwitch's lib/dpif-provider.h).
 *
 *   - "netdev" (dpif_netdev.c): the userspace datapath. Ports are AF_PACKET sockets (system
 *     interfaces) and tap devices (internal ports); the megaflow cache lives in flowd's memory
 *     and every packet goes through recv_batch -> flow_lookup -> send_batch.
 *   - "system" (to come): the Linux kernel's openvswitch module over generic netlink. Ports
 *     become vports (OVS_VPORT_CMD_NEW); flow_put/flow_del/flow_dump map to OVS_FLOW_CMD_*
 *     with the mask as OVS_FLOW_ATTR_MASK, and the provider keeps the same megaflow table as a
 *     shadow of what the kernel holds. recv_batch returns upcalls (misses) only, with the
 *     kernel's key; flow_lookup then always misses, and send_batch becomes
 *     OVS_PACKET_CMD_EXECUTE. The pipeline does not change.
 *
 * Single-threaded: every call comes from flowd's event loop. Port numbers are OpenFlow port
 * numbers; a provider may map them to its own. */
#ifndef VSW_FLOWD_DPIF_H
#define VSW_FLOWD_DPIF_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "flowd/megaflow.h"
#include "flowd/netdev.h"
#include "flowd/packet.h"
#include "flowd/tun_opener.h"

/* Packets handled per receive call, and per transmit call on each port. */
#define DP_BATCH_MAX 64
/* A receive buffer holds the largest GSO packet an interface hands over (64 KiB) and a tag. */
#define DP_RX_BUF_SIZE (65536 + 256)

/* Received packets; the buffers are allocated once and shared by every port of flowd (one
 * batch is received, switched and transmitted before the next is received). */
struct dp_packet_batch {
    struct dp_packet pkts[DP_BATCH_MAX];
    uint8_t *bufs[DP_BATCH_MAX];
    size_t n;
};

/* One frame to transmit, described without copying the received packet: iov[0] is the
 * virtio-net header (vnet), iov[1..] the frame's pieces (addresses, a new tag, the rest).
 * Providers whose port takes no virtio-net header skip iov[0]. */
struct dp_tx {
    struct vnet_hdr vnet;
    uint8_t tag[VLAN_HEADER_LEN];
    uint8_t n_iov;
    uint32_t len;                /* frame bytes, without the virtio-net header */
    struct iovec iov[4];
};

struct dp_txq {
    struct dp_tx tx[DP_BATCH_MAX];
    size_t n;
};

enum dp_port_kind {
    DP_PORT_SYSTEM = 1,          /* an existing interface */
    DP_PORT_INTERNAL = 2,        /* a tap device the provider creates */
};

struct dpif_port_spec {
    const char *name;
    uint32_t port_no;
    enum dp_port_kind kind;
    uint32_t mtu_request;        /* 0: leave the MTU */
    bool offloads_off;           /* internal ports: plain frames, no virtio-net header */
};

/* What the pipeline learns about a port it added. */
struct dpif_port_info {
    int fd;                      /* readable when packets wait: watched with epoll */
    int ifindex;
    bool vnet_hdr;               /* takes and gives virtio-net headers */
};

/* What every provider may use from flowd. */
struct dpif_env {
    struct tun_opener *tun;
    struct netdev_socks *netdev;
    const char *tap_alias;       /* the alias that marks this flowd's tap devices */
};

struct dpif {
    const struct dpif_class *dpif_class;
    char name[IFNAMSIZ];
};

/* Transmit counters of one send_batch call. */
struct dp_send_result {
    uint32_t sent;
    uint32_t dropped;
    uint64_t bytes;
};

struct dpif_class {
    const char *type;

    /* Creates datapath `name`. Returns 0, or -1 with `err` filled (a sentence for the user). */
    int (*open)(const struct dpif_class *dpif_class, const char *name, const struct dpif_env *env,
                struct dpif **dpif, char *err, size_t err_size);
    /* Removes the datapath, its ports (taps vanish) and flows. */
    void (*close)(struct dpif *dpif);

    int (*port_add)(struct dpif *dpif, const struct dpif_port_spec *spec,
                    struct dpif_port_info *info, char *err, size_t err_size);
    void (*port_del)(struct dpif *dpif, uint32_t port_no);

    /* Receives up to DP_BATCH_MAX packets waiting on `port_no` into `batch` without blocking.
     * Returns how many (0: none waiting). Frames that cannot be used (truncated) are dropped
     * and counted in *dropped. */
    size_t (*recv_batch)(struct dpif *dpif, uint32_t port_no, struct dp_packet_batch *batch,
                         uint64_t *dropped);
    /* The batch last received on `port_no` has been switched and transmitted: the provider
     * may reuse the memory its packets pointed to. */
    void (*recv_done)(struct dpif *dpif, uint32_t port_no);
    /* Transmits the queue on `port_no` without blocking; what cannot go now is dropped. */
    struct dp_send_result (*send_batch)(struct dpif *dpif, uint32_t port_no,
                                        struct dp_txq *txq);

    /* The port's descriptor reported an error: returns the error (an errno, now cleared:
     * e.g. ENETDOWN while its interface is down, after which it works again once up; 0 if
     * none was pending), or -1
     * when the port is broken for good (its interface was deleted) and its descriptor must no
     * longer be watched. */
    int (*port_error)(struct dpif *dpif, uint32_t port_no);
    /* Frames the datapath lost on `port_no` before flowd could read them (a full receive
     * ring), since the port was added. */
    uint64_t (*port_rx_dropped)(struct dpif *dpif, uint32_t port_no);

    /* The datapath's flow cache. flow_put takes ownership of `actions`; a flow with the same
     * masked key and mask gets the new actions. Returns NULL when it cannot install. */
    struct megaflow *(*flow_lookup)(struct dpif *dpif, const struct flow_key *key);
    struct megaflow *(*flow_put)(struct dpif *dpif, const struct flow_key *key,
                                 const struct flow_key *mask, struct dp_actions *actions,
                                 const struct flow_notes *notes, uint64_t now_ms);
    void (*flow_del)(struct dpif *dpif, struct megaflow *flow);
    void (*flow_flush)(struct dpif *dpif);
    /* Iteration over every flow: NULL gives the first. The flow returned last may be deleted
     * before asking for the next only if its successor was fetched first. */
    struct megaflow *(*flow_next)(struct dpif *dpif, struct megaflow *prev);
    size_t (*flow_count)(const struct dpif *dpif);
};

/* The providers built in, and lookup by type ("" means "netdev"). */
extern const struct dpif_class dpif_netdev_class;
const struct dpif_class *dpif_class_find(const char *type);
/* "netdev" (the types available), for error messages. */
const char *dpif_class_list(void);

#endif
