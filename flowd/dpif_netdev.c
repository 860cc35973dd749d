/* The userspace datapath provider ("netdev"): system interfaces through AF_PACKET sockets,
 * internal ports as tap devices, and the megaflow cache in flowd's memory.
 *
 * AF_PACKET sockets are set up so that the kernel does as little as possible per packet and
 * offloads stay on: PACKET_VNET_HDR (a virtio-net header with every frame: partial checksums
 * and GSO packets of up to 64 KiB pass through whole), PACKET_QDISC_BYPASS (transmit straight
 * to the driver), PACKET_IGNORE_OUTGOING (our own transmissions are not looped back to us),
 * PACKET_AUXDATA (the VLAN tag the kernel strips on receive) and promiscuous membership.
 *
 * Receive goes through a TPACKET_V2 ring: the kernel copies each frame into memory shared with
 * flowd in the sender's softirq, and flowd reads it without a system call or an skb to free.
 * Ring slots are small (2 KiB): a larger frame (a GSO packet, a jumbo frame) is also queued
 * whole on the socket (PACKET_COPY_THRESH) and its slot says so (TP_STATUS_COPY); flowd then
 * reads that one with recvmsg. V2 rather than V3 because V3 hands over a block only when it is
 * full or its timer (1 ms at least) expires, which a ping would pay for. Transmit is batched
 * with sendmmsg, straight from the ring or the receive buffers. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "flowd/dpif.h"
#include "flowd/hmap.h"
#include "flowd/offload.h"
#include "lib/log.h"

/* Socket buffers deep enough for a burst of 64 KiB GSO packets. */
#define AFPACKET_BUFFER_BYTES (8 * 1024 * 1024)
/* The receive ring: 1024 slots of 2 KiB (an Ethernet frame, its headers, a virtio-net
 * header), in 32 blocks of 64 KiB: 2 MiB of kernel memory per system port. */
#define RING_FRAME_SIZE 2048
#define RING_BLOCK_SIZE (64 * 1024)
#define RING_BLOCK_NR 32
#define RING_FRAME_NR (RING_BLOCK_NR * (RING_BLOCK_SIZE / RING_FRAME_SIZE))
#define DPIF_NETDEV_MAX_FLOWS 200000
#define VNET_HDR_LEN sizeof(struct vnet_hdr)
/* UDP segmentation offload for taps (Linux 6.2); older headers lack the names. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

struct netdev_port {
    struct hmap_node node;       /* in dpif_netdev.ports, by port_no */
    uint32_t port_no;
    char name[IFNAMSIZ];
    enum dp_port_kind kind;
    int fd;
    int ifindex;                 /* taps: the device's, to delete it with others at close */
    bool vnet_hdr;
    int last_errno;              /* of the last transmit error logged, to log each kind once */
    /* System ports: the receive ring shared with the kernel. */
    uint8_t *ring;               /* RING_FRAME_NR slots of RING_FRAME_SIZE; NULL for taps */
    unsigned head;               /* the next slot to read */
    unsigned held;               /* slots of the last batch, given back by recv_done */
    uint64_t ring_drops;         /* frames the kernel found no free slot for, so far */
};

struct dpif_netdev {
    struct dpif up;
    const struct dpif_env *env;
    struct hmap ports;
    struct megaflow_table flows;
    struct mmsghdr msgs[DP_BATCH_MAX];   /* sendmmsg's, reused by every call */
    union {
        char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        struct cmsghdr align;
    } rx_control;                        /* recvmsg's, for frames too large for the ring */
    /* Software offload for ports without virtio-net headers; allocated with the first one. */
    uint8_t *linear;             /* a whole frame, gathered from its pieces */
    uint8_t *segment;            /* one segment at a time */
};

static struct dpif_netdev *dpif_netdev_cast(const struct dpif *dpif)
{
    return (struct dpif_netdev *)(void *)((char *)dpif - offsetof(struct dpif_netdev, up));
}

static struct netdev_port *port_find(const struct dpif_netdev *dp, uint32_t port_no)
{
    uint32_t hash = hash_words64(&(uint64_t){ port_no }, 1, 0);
    for (struct hmap_node *n = hmap_first_with_hash(&dp->ports, hash); n;
         n = hmap_next_with_hash(n)) {
        struct netdev_port *p = HMAP_CONTAINER(n, struct netdev_port, node);
        if (p->port_no == port_no)
            return p;
    }
    return NULL;
}

static int dpif_netdev_open(const struct dpif_class *dpif_class, const char *name,
                            const struct dpif_env *env, struct dpif **dpifp, char *err,
                            size_t err_size)
{
    struct dpif_netdev *dp = calloc(1, sizeof *dp);
    if (!dp || hmap_init(&dp->ports) < 0) {
        snprintf(err, err_size, "out of memory");
        free(dp);
        return -1;
    }
    dp->up.dpif_class = dpif_class;
    snprintf(dp->up.name, sizeof dp->up.name, "%s", name);
    dp->env = env;
    megaflow_table_init(&dp->flows, DPIF_NETDEV_MAX_FLOWS);
    *dpifp = &dp->up;
    return 0;
}

static void port_destroy(struct dpif_netdev *dp, struct netdev_port *p)
{
    hmap_remove(&dp->ports, &p->node);
    if (p->ring)
        munmap(p->ring, (size_t)RING_BLOCK_NR * RING_BLOCK_SIZE);
    /* No longer persistent: the device goes with the descriptor (if it is still there). */
    if (p->kind == DP_PORT_INTERNAL)
        (void)ioctl(p->fd, TUNSETPERSIST, 0);
    close(p->fd);
    free(p);
}

/* Deletes the datapath's tap devices in one batch, before their descriptors close (each close
 * would otherwise unregister its device alone, at about 16 ms each). A tap whose name no
 * longer leads to its index was deleted or renamed by someone else: left to its descriptor. */
static void delete_taps(struct dpif_netdev *dp)
{
    int *ifindexes = malloc((dp->ports.n + 1) * sizeof *ifindexes);
    size_t n = 0;
    for (struct hmap_node *node = hmap_first(&dp->ports); ifindexes && node;
         node = hmap_next(&dp->ports, node)) {
        const struct netdev_port *p = HMAP_CONTAINER(node, struct netdev_port, node);
        if (p->kind == DP_PORT_INTERNAL && p->ifindex > 0 &&
            netdev_ifindex(dp->env->netdev, p->name) == p->ifindex)
            ifindexes[n++] = p->ifindex;
    }
    if (n > 1 && netdev_delete_batch(dp->env->netdev, ifindexes, n) == 0)
        vlog_info("%s: deleted %zu internal ports' devices at once", dp->up.name, n);
    free(ifindexes);
}

static void dpif_netdev_close(struct dpif *dpif)
{
    struct dpif_netdev *dp = dpif_netdev_cast(dpif);
    struct hmap_node *n;
    delete_taps(dp);
    while ((n = hmap_first(&dp->ports)))
        port_destroy(dp, HMAP_CONTAINER(n, struct netdev_port, node));
    hmap_destroy(&dp->ports);
    megaflow_table_destroy(&dp->flows);
    free(dp->linear);
    free(dp->segment);
    free(dp);
}

/* ---- Opening ports ---- */

static int set_packet_option(int fd, int option, const char *what, const char *name, char *err,
                             size_t err_size)
{
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, option, &one, sizeof one) == 0)
        return 0;
    snprintf(err, err_size, "%s: cannot enable %s on its packet socket: %s", name, what,
             strerror(errno));
    return -1;
}

/* Socket options first, then bind: a socket bound to protocol 0 receives nothing, so no frame
 * arrives without its virtio-net header or auxdata. */
static int afpacket_configure(int fd, const char *name, char *err, size_t err_size)
{
    if (set_packet_option(fd, PACKET_VNET_HDR, "PACKET_VNET_HDR", name, err, err_size) < 0 ||
        set_packet_option(fd, PACKET_AUXDATA, "PACKET_AUXDATA", name, err, err_size) < 0 ||
        set_packet_option(fd, PACKET_QDISC_BYPASS, "PACKET_QDISC_BYPASS", name, err,
                          err_size) < 0 ||
        set_packet_option(fd, PACKET_IGNORE_OUTGOING, "PACKET_IGNORE_OUTGOING", name, err,
                          err_size) < 0)
        return -1;
    int version = TPACKET_V2, thresh = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_COPY_THRESH, &thresh, sizeof thresh) < 0) {
        snprintf(err, err_size, "%s: cannot set up TPACKET_V2 on its packet socket: %s", name,
                 strerror(errno));
        return -1;
    }
    int bytes = AFPACKET_BUFFER_BYTES;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) < 0) {
        snprintf(err, err_size, "%s: cannot size its packet socket buffers: %s", name,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* Maps the receive ring; must precede bind (nothing may arrive without a slot to go to). */
static int afpacket_map_ring(struct netdev_port *p, const char *name, char *err, size_t err_size)
{
    struct tpacket_req req = { .tp_block_size = RING_BLOCK_SIZE, .tp_block_nr = RING_BLOCK_NR,
                               .tp_frame_size = RING_FRAME_SIZE, .tp_frame_nr = RING_FRAME_NR };
    if (setsockopt(p->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) {
        snprintf(err, err_size, "%s: cannot create its receive ring: %s", name, strerror(errno));
        return -1;
    }
    void *ring = mmap(NULL, (size_t)RING_BLOCK_NR * RING_BLOCK_SIZE, PROT_READ | PROT_WRITE,
                      MAP_SHARED, p->fd, 0);
    if (ring == MAP_FAILED) {
        snprintf(err, err_size, "%s: cannot map its receive ring: %s", name, strerror(errno));
        return -1;
    }
    p->ring = ring;
    return 0;
}

static int afpacket_bind(int fd, int ifindex, const char *name, char *err, size_t err_size)
{
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                               .sll_ifindex = ifindex };
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
        snprintf(err, err_size, "%s: cannot bind a packet socket to it: %s", name,
                 strerror(errno));
        return -1;
    }
    /* Frames for other MACs must reach us from a real NIC too; the kernel drops the
     * membership (and promiscuity) when the socket closes. */
    struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
        snprintf(err, err_size, "%s: cannot make it promiscuous: %s", name, strerror(errno));
        return -1;
    }
    return 0;
}

/* Opens the port's packet socket and ring into p->fd and p->ring. */
static int afpacket_open(const struct dpif_env *env, struct netdev_port *p, const char *name,
                         struct dpif_port_info *info, char *err, size_t err_size)
{
    info->ifindex = netdev_ifindex(env->netdev, name);
    if (info->ifindex < 0) {
        snprintf(err, err_size, "no interface named %s (%s)", name, strerror(errno));
        return -1;
    }
    p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        snprintf(err, err_size, "%s: cannot open a packet socket: %s", name, strerror(errno));
        return -1;
    }
    if (afpacket_configure(p->fd, name, err, err_size) < 0 ||
        afpacket_map_ring(p, name, err, err_size) < 0 ||
        afpacket_bind(p->fd, info->ifindex, name, err, err_size) < 0) {
        if (p->ring)
            munmap(p->ring, (size_t)RING_BLOCK_NR * RING_BLOCK_SIZE);
        p->ring = NULL;
        close(p->fd);
        return -1;
    }
    info->vnet_hdr = true;
    return p->fd;
}

/* Lets the kernel hand the tap partial checksums and TSO/USO packets; USO needs Linux 6.2. */
static int tap_set_offloads(int fd)
{
    unsigned long base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if (ioctl(fd, TUNSETOFFLOAD, base | TUN_F_USO4 | TUN_F_USO6) == 0)
        return 0;
    return ioctl(fd, TUNSETOFFLOAD, base);
}

static int tap_configure(int fd, const struct dpif_port_spec *spec, struct dpif_port_info *info,
                         char *err, size_t err_size)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", spec->name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (spec->offloads_off ? 0 : IFF_VNET_HDR);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        snprintf(err, err_size, "cannot create tap device %s: %s%s", spec->name,
                 strerror(errno),
                 errno == EBUSY || errno == EINVAL ? " (an interface of that name exists?)" : "");
        return -1;
    }
    /* Persistent, so that the device (with its addresses and state) outlives a crash of flowd:
     * the next flowd attaches to it again. port_destroy() undoes this. */
    if (ioctl(fd, TUNSETPERSIST, 1) < 0)
        vlog_warn("%s: cannot make the tap persistent: %s; it will not survive flowd",
                  spec->name, strerror(errno));
    int hdr_len = VNET_HDR_LEN;
    if (!spec->offloads_off &&
        (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0 || tap_set_offloads(fd) < 0)) {
        snprintf(err, err_size, "%s: cannot enable tap offloads: %s", spec->name,
                 strerror(errno));
        return -1;
    }
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
        snprintf(err, err_size, "%s: cannot make the tap non-blocking: %s", spec->name,
                 strerror(errno));
        return -1;
    }
    info->vnet_hdr = !spec->offloads_off;
    return 0;
}

static int tap_open(const struct dpif_env *env, const struct dpif_port_spec *spec,
                    struct dpif_port_info *info, char *err, size_t err_size)
{
    int fd = tun_opener_open(env->tun);
    if (fd < 0) {
        snprintf(err, err_size, "cannot open %s for tap %s: %s", TUN_DEVICE, spec->name,
                 strerror(errno));
        return -1;
    }
    if (tap_configure(fd, spec, info, err, err_size) < 0) {
        close(fd);
        return -1;
    }
    info->ifindex = netdev_ifindex(env->netdev, spec->name);
    if (info->ifindex > 0 && netdev_set_alias(env->netdev, info->ifindex, env->tap_alias) < 0)
        vlog_warn("%s: cannot mark the tap as flowd's: %s; a later flowd will not delete it "
                  "if it is left over", spec->name, strerror(errno));
    return fd;
}

static int ensure_offload_buffers(struct dpif_netdev *dp)
{
    if (!dp->linear)
        dp->linear = malloc(DP_RX_BUF_SIZE);
    if (!dp->segment)
        dp->segment = malloc(DP_RX_BUF_SIZE);
    return dp->linear && dp->segment ? 0 : -1;
}

static int dpif_netdev_port_add(struct dpif *dpif, const struct dpif_port_spec *spec,
                                struct dpif_port_info *info, char *err, size_t err_size)
{
    struct dpif_netdev *dp = dpif_netdev_cast(dpif);
    struct netdev_port *p = calloc(1, sizeof *p);
    if (!p || (spec->offloads_off && ensure_offload_buffers(dp) < 0)) {
        snprintf(err, err_size, "out of memory");
        free(p);
        return -1;
    }
    int fd = spec->kind == DP_PORT_INTERNAL ? tap_open(dp->env, spec, info, err, err_size)
                                            : afpacket_open(dp->env, p, spec->name, info, err,
                                                            err_size);
    if (fd < 0) {
        free(p);
        return -1;
    }
    p->fd = fd;
    if (spec->mtu_request && netdev_set_mtu(dp->env->netdev, spec->name, spec->mtu_request) < 0) {
        snprintf(err, err_size, "%s: cannot set MTU %u: %s", spec->name, spec->mtu_request,
                 strerror(errno));
        if (p->ring)
            munmap(p->ring, (size_t)RING_BLOCK_NR * RING_BLOCK_SIZE);
        close(fd);
        free(p);
        return -1;
    }
    p->port_no = spec->port_no;
    snprintf(p->name, sizeof p->name, "%s", spec->name);
    p->kind = spec->kind;
    p->fd = fd;
    p->vnet_hdr = info->vnet_hdr;
    p->ifindex = spec->kind == DP_PORT_INTERNAL ? info->ifindex : 0;
    info->fd = fd;
    hmap_insert(&dp->ports, &p->node, hash_words64(&(uint64_t){ p->port_no }, 1, 0));
    return 0;
}

static void dpif_netdev_port_del(struct dpif *dpif, uint32_t port_no)
{
    struct dpif_netdev *dp = dpif_netdev_cast(dpif);
    struct netdev_port *p = port_find(dp, port_no);
    if (p)
        port_destroy(dp, p);
}

/* ---- Receive ---- */

static void read_auxdata(struct msghdr *msg, struct dp_packet *pkt)
{
    pkt->aux_tpid = pkt->aux_tci = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
            c->cmsg_len < CMSG_LEN(sizeof(struct tpacket_auxdata)))
            continue;
        struct tpacket_auxdata aux;
        memcpy(&aux, CMSG_DATA(c), sizeof aux);
        if (!(aux.tp_status & TP_STATUS_VLAN_VALID))
            return;
        pkt->aux_tci = aux.tp_vlan_tci;
        pkt->aux_tpid = aux.tp_status & TP_STATUS_VLAN_TPID_VALID ? aux.tp_vlan_tpid
                                                                  : ETH_TYPE_VLAN_8021Q;
        return;
    }
}

static struct tpacket2_hdr *ring_slot(const struct netdev_port *p, unsigned index)
{
    return (struct tpacket2_hdr *)(void *)(p->ring + (size_t)(index % RING_FRAME_NR) *
                                                         RING_FRAME_SIZE);
}

/* A frame too large for its slot, queued whole on the socket: read it into `buf`. */
static bool afpacket_recv_copy(struct dpif_netdev *dp, struct netdev_port *p,
                               struct dp_packet *pkt, uint8_t *buf)
{
    struct iovec iov[2] = { { &pkt->vnet, VNET_HDR_LEN }, { buf, DP_RX_BUF_SIZE } };
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = dp->rx_control.buf,
                          .msg_controllen = sizeof dp->rx_control.buf };
    ssize_t n = recvmsg(p->fd, &msg, MSG_DONTWAIT);
    if (n < (ssize_t)(VNET_HDR_LEN + ETH_HEADER_LEN) || (msg.msg_flags & MSG_TRUNC))
        return false;
    pkt->data = buf;
    pkt->len = (uint32_t)((size_t)n - VNET_HDR_LEN);
    read_auxdata(&msg, pkt);
    return true;
}

/* Takes one ring slot's frame, in place. */
static bool afpacket_take_slot(const struct tpacket2_hdr *h, uint32_t status,
                               struct dp_packet *pkt)
{
    if (h->tp_snaplen < h->tp_len || h->tp_snaplen < ETH_HEADER_LEN ||
        h->tp_mac < TPACKET2_HDRLEN + VNET_HDR_LEN ||
        h->tp_mac + h->tp_snaplen > RING_FRAME_SIZE)
        return false;
    uint8_t *frame = (uint8_t *)h + h->tp_mac;
    memcpy(&pkt->vnet, frame - VNET_HDR_LEN, VNET_HDR_LEN);
    pkt->data = frame;
    pkt->len = h->tp_snaplen;
    pkt->aux_tpid = pkt->aux_tci = 0;
    if (status & TP_STATUS_VLAN_VALID) {
        pkt->aux_tci = h->tp_vlan_tci;
        pkt->aux_tpid = status & TP_STATUS_VLAN_TPID_VALID ? h->tp_vlan_tpid
                                                           : ETH_TYPE_VLAN_8021Q;
    }
    return true;
}

/* Reads the slots the kernel filled, up to a batch; they stay flowd's (the batch's packets
 * point into them) until afpacket_recv_done. */
static size_t afpacket_recv(struct dpif_netdev *dp, struct netdev_port *p,
                            struct dp_packet_batch *b, uint64_t *dropped)
{
    size_t n = 0;
    p->held = 0;
    while (p->held < DP_BATCH_MAX) {
        struct tpacket2_hdr *h = ring_slot(p, p->head + p->held);
        uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
        if (!(status & TP_STATUS_USER))
            break;
        p->held++;
        bool ok = status & TP_STATUS_COPY ? afpacket_recv_copy(dp, p, &b->pkts[n], b->bufs[n])
                                          : afpacket_take_slot(h, status, &b->pkts[n]);
        if (ok)
            n++;
        else
            (*dropped)++;
    }
    return n;
}

static void afpacket_recv_done(struct netdev_port *p)
{
    for (unsigned i = 0; i < p->held; i++)
        __atomic_store_n(&ring_slot(p, p->head + i)->tp_status, TP_STATUS_KERNEL,
                         __ATOMIC_RELEASE);
    p->head = (p->head + p->held) % RING_FRAME_NR;
    p->held = 0;
}

/* A tap gives one frame per read: no batching syscall exists for character devices. */
static size_t tap_recv(struct netdev_port *p, struct dp_packet_batch *b, uint64_t *dropped)
{
    size_t n = 0;
    size_t hdr = p->vnet_hdr ? VNET_HDR_LEN : 0;
    while (n < DP_BATCH_MAX) {
        struct dp_packet *pkt = &b->pkts[n];
        struct iovec iov[2] = { { &pkt->vnet, VNET_HDR_LEN }, { b->bufs[n], DP_RX_BUF_SIZE } };
        ssize_t r = readv(p->fd, p->vnet_hdr ? iov : iov + 1, p->vnet_hdr ? 2 : 1);
        if (r < 0)
            break;
        if ((size_t)r < hdr + ETH_HEADER_LEN) {
            (*dropped)++;
            continue;
        }
        if (!p->vnet_hdr)
            memset(&pkt->vnet, 0, sizeof pkt->vnet);
        pkt->data = b->bufs[n];
        pkt->len = (uint32_t)((size_t)r - hdr);
        pkt->aux_tpid = pkt->aux_tci = 0;
        n++;
    }
    return n;
}

static size_t dpif_netdev_recv_batch(struct dpif *dpif, uint32_t port_no,
                                     struct dp_packet_batch *batch, uint64_t *dropped)
{
    struct dpif_netdev *dp = dpif_netdev_cast(dpif);
    struct netdev_port *p = port_find(dp, port_no);
    if (!p)
        return 0;
    batch->n = p->kind == DP_PORT_INTERNAL ? tap_recv(p, batch, dropped)
                                           : afpacket_recv(dp, p, batch, dropped);
    return batch->n;
}

static void dpif_netdev_recv_done(struct dpif *dpif, uint32_t port_no)
{
    struct netdev_port *p = port_find(dpif_netdev_cast(dpif), port_no);
    if (p && p->ring)
        afpacket_recv_done(p);
}

/* A packet socket's error is the interface going down (ENETDOWN) or away; reading it clears
 * it, and the socket receives again when the interface is back up. An interface that is gone
 * leaves the socket bound to nothing: broken for good. A tap reports an error only once its
 * device was deleted under it. */
static int dpif_netdev_port_error(struct dpif *dpif, uint32_t port_no)
{
    struct dpif_netdev *dp = dpif_netdev_cast(dpif);
    struct netdev_port *p = port_find(dp, port_no);
    if (!p || p->kind == DP_PORT_INTERNAL)
        return -1;
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
        return -1;
    if (netdev_ifindex(dp->env->netdev, p->name) < 0)
        return -1;
    return error;
}

/* The kernel's counters reset on every read: accumulate. */
static uint64_t dpif_netdev_port_rx_dropped(struct dpif *dpif, uint32_t port_no)
{
    struct netdev_port *p = port_find(dpif_netdev_cast(dpif), port_no);
    if (!p || !p->ring)
        return 0;
    struct tpacket_stats st;
    socklen_t len = sizeof st;
    if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
        p->ring_drops += st.tp_drops;
    return p->ring_drops;
}

/* ---- Transmit ---- */

static void log_send_error(struct netdev_port *p, int error)
{
    if (error == p->last_errno)
        return;
    p->last_errno = error;
    vlog_warn("%s: transmit failed: %s (dropping; logged once per kind of error)", p->name,
              strerror(error));
}

static struct dp_send_result afpacket_send(struct dpif_netdev *dp, struct netdev_port *p,
                                           struct dp_txq *q)
{
    struct dp_send_result r = { 0, 0, 0 };
    for (size_t i = 0; i < q->n; i++)
        dp->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = q->tx[i].iov,
                                               .msg_iovlen = q->tx[i].n_iov };
    size_t done = 0;
    while (done < q->n) {
        int n = sendmmsg(p->fd, dp->msgs + done, (unsigned)(q->n - done), MSG_DONTWAIT);
        if (n > 0) {
            for (int i = 0; i < n; i++)
                r.bytes += q->tx[done + i].len;
            done += (size_t)n;
            r.sent += (uint32_t)n;
            continue;
        }
        int error = errno;
        log_send_error(p, error);
        /* A full socket or a dead interface refuses the rest too; anything else (a frame
         * larger than the MTU) is about this frame only. */
        bool all = error == EAGAIN || error == ENOBUFS || error == ENETDOWN || error == ENXIO;
        size_t lost = all ? q->n - done : 1;
        r.dropped += (uint32_t)lost;
        done += lost;
    }
    return r;
}

/* Gathers a frame's pieces (without the virtio-net header) into one buffer. */
static size_t linearize(const struct dp_tx *tx, uint8_t *buf, size_t size)
{
    size_t len = 0;
    for (int i = 1; i < tx->n_iov; i++) {
        if (len + tx->iov[i].iov_len > size)
            return 0;
        memcpy(buf + len, tx->iov[i].iov_base, tx->iov[i].iov_len);
        len += tx->iov[i].iov_len;
    }
    return len;
}

struct emit_ctx {
    struct netdev_port *port;
    struct dp_send_result *result;
};

static void emit_plain(void *aux, const uint8_t *frame, size_t len)
{
    struct emit_ctx *ctx = aux;
    if (write(ctx->port->fd, frame, len) == (ssize_t)len) {
        ctx->result->sent++;
        ctx->result->bytes += len;
        return;
    }
    ctx->result->dropped++;
}

/* A frame for a port that takes no virtio-net header: checksum and segment in software. */
static void tap_send_plain(struct dpif_netdev *dp, struct netdev_port *p, struct dp_tx *tx,
                           struct dp_send_result *r)
{
    struct emit_ctx ctx = { p, r };
    bool gso = tx->vnet.gso_type != VNET_GSO_NONE;
    if (!gso && !(tx->vnet.flags & VNET_F_NEEDS_CSUM)) {
        ssize_t n = writev(p->fd, tx->iov + 1, tx->n_iov - 1);
        if (n == (ssize_t)tx->len) {
            r->sent++;
            r->bytes += tx->len;
        } else {
            r->dropped++;
        }
        return;
    }
    size_t len = linearize(tx, dp->linear, DP_RX_BUF_SIZE);
    if (len == 0) {
        r->dropped++;
        return;
    }
    if (gso) {
        if (offload_segment(dp->linear, len, &tx->vnet, dp->segment, DP_RX_BUF_SIZE,
                            emit_plain, &ctx) < 0)
            r->dropped++;
        return;
    }
    if (offload_complete_csum(dp->linear, len, &tx->vnet) < 0) {
        r->dropped++;
        return;
    }
    emit_plain(&ctx, dp->linear, len);
}

static struct dp_send_result tap_send(struct dpif_netdev *dp, struct netdev_port *p,
                                      struct dp_txq *q)
{
    struct dp_send_result r = { 0, 0, 0 };
    for (size_t i = 0; i < q->n; i++) {
        struct dp_tx *tx = &q->tx[i];
        if (!p->vnet_hdr) {
            tap_send_plain(dp, p, tx, &r);
            continue;
        }
        if (writev(p->fd, tx->iov, tx->n_iov) >= 0) {
            r.sent++;
            r.bytes += tx->len;
            continue;
        }
        /* EIO: the tap is down. Nobody listens; that is not worth a log line. */
        if (errno != EIO)
            log_send_error(p, errno);
        r.dropped++;
    }
    return r;
}

static struct dp_send_result dpif_netdev_send_batch(struct dpif *dpif, uint32_t port_no,
                                                    struct dp_txq *txq)
{
    struct dpif_netdev *dp = dpif_netdev_cast(dpif);
    struct netdev_port *p = port_find(dp, port_no);
    if (!p)
        return (struct dp_send_result){ 0, (uint32_t)txq->n, 0 };
    return p->kind == DP_PORT_INTERNAL ? tap_send(dp, p, txq) : afpacket_send(dp, p, txq);
}

/* ---- Flows ---- */

static struct megaflow *dpif_netdev_flow_lookup(struct dpif *dpif, const struct flow_key *key)
{
    return megaflow_lookup(&dpif_netdev_cast(dpif)->flows, key);
}

static struct megaflow *dpif_netdev_flow_put(struct dpif *dpif, const struct flow_key *key,
                                             const struct flow_key *mask,
                                             struct dp_actions *actions,
                                             const struct flow_notes *notes, uint64_t now_ms)
{
    return megaflow_insert(&dpif_netdev_cast(dpif)->flows, key, mask, actions, notes, now_ms);
}

static void dpif_netdev_flow_del(struct dpif *dpif, struct megaflow *flow)
{
    megaflow_remove(&dpif_netdev_cast(dpif)->flows, flow);
}

static void dpif_netdev_flow_flush(struct dpif *dpif)
{
    megaflow_flush(&dpif_netdev_cast(dpif)->flows);
}

static struct megaflow *dpif_netdev_flow_next(struct dpif *dpif, struct megaflow *prev)
{
    return prev ? prev->next : dpif_netdev_cast(dpif)->flows.flows;
}

static size_t dpif_netdev_flow_count(const struct dpif *dpif)
{
    return dpif_netdev_cast(dpif)->flows.n_flows;
}

const struct dpif_class dpif_netdev_class = {
    .type = "netdev",
    .open = dpif_netdev_open,
    .close = dpif_netdev_close,
    .port_add = dpif_netdev_port_add,
    .port_del = dpif_netdev_port_del,
    .recv_batch = dpif_netdev_recv_batch,
    .recv_done = dpif_netdev_recv_done,
    .port_error = dpif_netdev_port_error,
    .port_rx_dropped = dpif_netdev_port_rx_dropped,
    .send_batch = dpif_netdev_send_batch,
    .flow_lookup = dpif_netdev_flow_lookup,
    .flow_put = dpif_netdev_flow_put,
    .flow_del = dpif_netdev_flow_del,
    .flow_flush = dpif_netdev_flow_flush,
    .flow_next = dpif_netdev_flow_next,
    .flow_count = dpif_netdev_flow_count,
};
