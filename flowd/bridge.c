#include "flowd/bridge.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "lib/log.h"
#include "lib/loop.h"

/* Batches taken from one port before giving the event loop (and the other ports) a turn. */
#define INPUT_ROUNDS_MAX 8

/* ---- Configuration ---- */

static void on_mac_change(void *aux, const uint8_t *mac, uint16_t vlan)
{
    struct bridge *br = aux;
    if (br->revalidate_all)
        return;
    if (br->n_changes == BRIDGE_CHANGES_MAX) {
        br->revalidate_all = true;
        return;
    }
    struct mac_change *c = &br->changes[br->n_changes++];
    memcpy(c->mac, mac, ETH_ADDR_LEN);
    c->vlan = vlan;
}

uint32_t bridge_mac_aging_s(const struct bridge *br)
{
    return br->mac_aging_s ? br->mac_aging_s : MAC_TABLE_DEFAULT_AGING_S;
}

uint32_t bridge_mac_table_size(const struct bridge *br)
{
    return br->mac_table_size ? br->mac_table_size : MAC_TABLE_DEFAULT_SIZE;
}

uint32_t bridge_flow_idle_ms(const struct bridge *br)
{
    return br->flow_idle_ms ? br->flow_idle_ms : FLOW_IDLE_DEFAULT_MS;
}

struct bridge *bridge_create(const struct bridge_env *env, const struct dpif_class *ops,
                             const char *name, char *err, size_t err_size)
{
    struct bridge *br = calloc(1, sizeof *br);
    if (!br || mac_table_init(&br->macs, MAC_TABLE_DEFAULT_SIZE,
                              MAC_TABLE_DEFAULT_AGING_S * 1000ull) < 0) {
        snprintf(err, err_size, "out of memory");
        free(br);
        return NULL;
    }
    if (ops->open(ops, name, &env->dpif_env, &br->dpif, err, err_size) < 0) {
        mac_table_destroy(&br->macs);
        free(br);
        return NULL;
    }
    snprintf(br->name, sizeof br->name, "%s", name);
    br->ops = ops;
    br->env = env;
    br->last_periodic_ms = loop_now_ms();
    mac_table_set_change_callback(&br->macs, on_mac_change, br);
    return br;
}

static void port_free(struct bridge_port *port)
{
    free(port->vlan.trunks);
    free(port);
}

static void stop_watching(struct bridge *br, struct bridge_port *port)
{
    if (!port->broken && epoll_ctl(br->env->epoll_fd, EPOLL_CTL_DEL, port->info.fd, NULL) < 0)
        vlog_warn("%s: cannot stop watching port %s: %s", br->name, port->name,
                  strerror(errno));
}

/* Detaches a port from the bridge's tables and the datapath, without revalidating. */
static void port_detach(struct bridge *br, struct bridge_port *port)
{
    stop_watching(br, port);
    br->ops->port_del(br->dpif, port->port_no);
    br->ports[port->slot] = NULL;
    br->xports[port->slot].in_use = false;
    br->n_ports--;
    mac_table_flush_port(&br->macs, port->port_no);
    port_free(port);
}

void bridge_destroy(struct bridge *br)
{
    /* The datapath's close removes every port at once (taps in one batch), faster than
     * port_detach()'s one by one. */
    for (size_t i = 0; i < br->n_slots; i++) {
        struct bridge_port *port = br->ports[i];
        if (!port)
            continue;
        stop_watching(br, port);
        br->ports[i] = NULL;
        port_free(port);
    }
    br->n_ports = 0;
    br->ops->close(br->dpif);
    mac_table_destroy(&br->macs);
    free(br->ports);
    free(br->xports);
    free(br->xlate_buf);
    free(br->pending);
    free(br);
}

/* Doubles the per-slot arrays. n_slots grows only once all four have room. */
static int grow_slots(struct bridge *br)
{
    size_t n = br->n_slots ? br->n_slots * 2 : 8;
    if (n > UINT16_MAX)
        return -1;
    struct bridge_port **ports = realloc(br->ports, n * sizeof *ports);
    if (ports)
        br->ports = ports;
    struct xlate_port *xports = realloc(br->xports, n * sizeof *xports);
    if (xports)
        br->xports = xports;
    struct dp_action *buf = realloc(br->xlate_buf, n * sizeof *buf);
    if (buf)
        br->xlate_buf = buf;
    struct bridge_port **pending = realloc(br->pending, n * sizeof *pending);
    if (pending)
        br->pending = pending;
    if (!ports || !xports || !buf || !pending)
        return -1;
    for (size_t i = br->n_slots; i < n; i++) {
        br->ports[i] = NULL;
        br->xports[i].in_use = false;
    }
    br->n_slots = n;
    return 0;
}

static int free_slot(struct bridge *br)
{
    for (size_t i = 0; i < br->n_slots; i++) {
        if (!br->ports[i])
            return (int)i;
    }
    size_t first_new = br->n_slots;
    return grow_slots(br) < 0 ? -1 : (int)first_new;
}

static void port_vlan_default(struct port_vlan_columns *cols)
{
    memset(cols, 0, sizeof *cols);
    cols->mode = -1;
}

struct bridge_port *bridge_port_add(struct bridge *br, const struct dpif_port_spec *spec,
                                    char *err, size_t err_size)
{
    int slot = free_slot(br);
    struct bridge_port *port = slot < 0 ? NULL : calloc(1, sizeof *port);
    if (!port) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (br->ops->port_add(br->dpif, spec, &port->info, err, err_size) < 0) {
        free(port);
        return NULL;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = port };
    if (epoll_ctl(br->env->epoll_fd, EPOLL_CTL_ADD, port->info.fd, &ev) < 0) {
        snprintf(err, err_size, "%s: cannot watch its descriptor: %s", spec->name,
                 strerror(errno));
        br->ops->port_del(br->dpif, spec->port_no);
        free(port);
        return NULL;
    }
    port->bridge = br;
    port->port_no = spec->port_no;
    port->slot = (uint16_t)slot;
    snprintf(port->name, sizeof port->name, "%s", spec->name);
    port->kind = spec->kind;
    port->mtu_request = spec->mtu_request;
    port->offloads_off = spec->offloads_off;
    port_vlan_default(&port->vlan);
    br->ports[slot] = port;
    br->xports[slot].in_use = true;
    br->xports[slot].port_no = spec->port_no;
    vlan_config_default(&br->xports[slot].vlan);
    br->n_ports++;
    /* Flows that flood must now include the new port. */
    br->revalidate_all = true;
    bridge_revalidate(br, loop_now_ms());
    return port;
}

void bridge_port_del(struct bridge *br, struct bridge_port *port)
{
    port_detach(br, port);
    br->revalidate_all = true;
    bridge_revalidate(br, loop_now_ms());
}

struct bridge_port *bridge_port_find(const struct bridge *br, const char *name)
{
    for (size_t i = 0; i < br->n_slots; i++) {
        if (br->ports[i] && !strcmp(br->ports[i]->name, name))
            return br->ports[i];
    }
    return NULL;
}

struct bridge_port *bridge_port_find_no(const struct bridge *br, uint32_t port_no)
{
    for (size_t i = 0; i < br->n_slots; i++) {
        if (br->ports[i] && br->ports[i]->port_no == port_no)
            return br->ports[i];
    }
    return NULL;
}

int bridge_port_set_vlan(struct bridge *br, struct bridge_port *port,
                         const struct port_vlan_columns *cols)
{
    uint16_t *trunks = NULL;
    if (cols->n_trunks) {
        trunks = malloc(cols->n_trunks * sizeof *trunks);
        if (!trunks)
            return -1;
        memcpy(trunks, cols->trunks, cols->n_trunks * sizeof *trunks);
    }
    free(port->vlan.trunks);
    port->vlan = *cols;
    port->vlan.trunks = trunks;
    struct vlan_port_columns vc = { cols->has_tag, cols->tag, cols->mode, trunks,
                                    cols->n_trunks };
    vlan_config_from_columns(&br->xports[port->slot].vlan, &vc);
    /* What was learned on the port belongs to VLANs it may no longer carry. */
    mac_table_flush_port(&br->macs, port->port_no);
    br->revalidate_all = true;
    bridge_revalidate(br, loop_now_ms());
    return 0;
}

void bridge_set_options(struct bridge *br, uint32_t mac_aging_s, uint32_t mac_table_size,
                        uint32_t flow_idle_ms)
{
    br->mac_aging_s = mac_aging_s;
    br->mac_table_size = mac_table_size;
    br->flow_idle_ms = flow_idle_ms;
    mac_table_set_limits(&br->macs, bridge_mac_table_size(br),
                         bridge_mac_aging_s(br) * 1000ull);
    /* A shorter aging time may have expired entries that flows still forward to. */
    br->revalidate_all = true;
    bridge_revalidate(br, loop_now_ms());
}

void bridge_flush(struct bridge *br, bool flows, bool fdb)
{
    if (flows)
        br->ops->flow_flush(br->dpif);
    if (fdb)
        mac_table_flush(&br->macs);
    bridge_revalidate(br, loop_now_ms());
}

/* ---- Fast path ---- */

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Moves the virtio-net header's offsets by `delta` bytes (a tag inserted or removed in front
 * of the L3 header). The header is little-endian (virtio 1.0, as packet sockets use it). */
static void vnet_shift(struct vnet_hdr *vnet, int delta)
{
    if (vnet->flags & VNET_F_NEEDS_CSUM)
        vnet->csum_start = htole16((uint16_t)(le16toh(vnet->csum_start) + delta));
    if (vnet->hdr_len)
        vnet->hdr_len = htole16((uint16_t)(le16toh(vnet->hdr_len) + delta));
}

static void tx_whole_frame(struct dp_tx *tx, const struct dp_packet *pkt)
{
    tx->vnet = pkt->vnet;
    tx->iov[0] = (struct iovec){ &tx->vnet, sizeof tx->vnet };
    tx->iov[1] = (struct iovec){ pkt->data, pkt->len };
    tx->n_iov = 2;
    tx->len = pkt->len;
}

/* Describes the packet as output by `a`: the addresses, then the tag wanted (if any), then
 * what followed the original outer tag. Nothing is copied but the 4-byte tag. */
static void tx_build(struct dp_tx *tx, const struct dp_packet *pkt, const struct dp_action *a)
{
    uint32_t rest = dp_packet_l2_rest(pkt);
    uint16_t tpid = 0, tci = 0;
    if (a->vlan_op == DP_VLAN_KEEP) {
        if (!pkt->aux_tpid) {
            tx_whole_frame(tx, pkt);
            return;
        }
        tpid = pkt->aux_tpid;   /* the kernel took it off; it goes back on */
        tci = pkt->aux_tci;
    } else if (a->vlan_op == DP_VLAN_SET) {
        tpid = a->tpid;
        tci = a->tci;
    }
    tx->vnet = pkt->vnet;
    tx->iov[0] = (struct iovec){ &tx->vnet, sizeof tx->vnet };
    tx->iov[1] = (struct iovec){ pkt->data, ETH_ADDRS_LEN };
    int n = 2;
    uint32_t header = ETH_ADDRS_LEN;
    if (tpid) {
        put_be16(tx->tag, tpid);
        put_be16(tx->tag + 2, tci);
        tx->iov[n++] = (struct iovec){ tx->tag, VLAN_HEADER_LEN };
        header += VLAN_HEADER_LEN;
    }
    tx->iov[n++] = (struct iovec){ pkt->data + rest, pkt->len - rest };
    tx->n_iov = (uint8_t)n;
    tx->len = header + pkt->len - rest;
    if (header != rest)
        vnet_shift(&tx->vnet, (int)header - (int)rest);
}

static void flush_port(struct bridge *br, struct bridge_port *port)
{
    if (!port->txq.n)
        return;
    struct dp_send_result r = br->ops->send_batch(br->dpif, port->port_no, &port->txq);
    port->stats.tx_packets += r.sent;
    port->stats.tx_bytes += r.bytes;
    port->stats.tx_dropped += r.dropped;
    port->txq.n = 0;
}

static void flush_pending(struct bridge *br)
{
    for (size_t i = 0; i < br->n_pending; i++) {
        flush_port(br, br->pending[i]);
        br->pending[i]->tx_pending = false;
    }
    br->n_pending = 0;
}

static void execute(struct bridge *br, const struct dp_packet *pkt, const struct dp_action *a,
                    size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct bridge_port *out = a[i].slot < br->n_slots ? br->ports[a[i].slot] : NULL;
        if (!out || out->port_no != a[i].port_no)
            continue;   /* cannot happen: a port's removal revalidates first */
        if (out->txq.n == DP_BATCH_MAX)
            flush_port(br, out);
        tx_build(&out->txq.tx[out->txq.n++], pkt, &a[i]);
        if (!out->tx_pending) {
            out->tx_pending = true;
            br->pending[br->n_pending++] = out;
        }
    }
}

static struct xlate_bridge xlate_view(struct bridge *br)
{
    return (struct xlate_bridge){ br->xports, br->n_slots, &br->macs };
}

/* The slow path: decide (learning the source), forward, and cache the decision. */
static void upcall(struct bridge *br, const struct dp_packet *pkt, const struct flow_key *key,
                   uint64_t now_ms)
{
    struct xlate_bridge xb = xlate_view(br);
    struct xlate_result r = { .actions = br->xlate_buf };
    xlate_normal(&xb, key, true, now_ms, &r);
    execute(br, pkt, r.actions, r.n_actions);
    struct dp_actions *actions = dp_actions_new(r.actions, r.n_actions);
    struct megaflow *f = actions ? br->ops->flow_put(br->dpif, key, &r.mask, actions,
                                                       &r.notes, now_ms)
                                 : NULL;
    if (f)
        megaflow_count(f, pkt->len, now_ms);
    else
        br->install_failures++;
}

static void process_packet(struct bridge *br, struct bridge_port *in, const struct dp_packet *pkt,
                           uint64_t now_ms)
{
    struct flow_key key;
    in->stats.rx_packets++;
    in->stats.rx_bytes += pkt->len;
    if (flow_extract(pkt, in->port_no, &key) < 0) {
        in->stats.rx_dropped++;
        return;
    }
    struct megaflow *f = br->ops->flow_lookup(br->dpif, &key);
    if (!f) {
        br->misses++;
        upcall(br, pkt, &key, now_ms);
        return;
    }
    br->hits++;
    megaflow_count(f, pkt->len, now_ms);
    execute(br, pkt, f->actions->a, f->actions->n);
}

static bool revalidation_owed(const struct bridge *br)
{
    return br->revalidate_all || br->n_changes;
}

void bridge_port_error(struct bridge_port *port)
{
    struct bridge *br = port->bridge;
    int error = br->ops->port_error(br->dpif, port->port_no);
    if (error >= 0) {
        if (error && error != port->error)
            vlog_warn("%s: port %s: %s", br->name, port->name, strerror(error));
        if (error)
            port->error = error;
        return;
    }
    vlog_warn("%s: port %s: its interface is gone; port stopped until deleted", br->name,
              port->name);
    port->error = ENODEV;
    port->broken = true;
    epoll_ctl(br->env->epoll_fd, EPOLL_CTL_DEL, port->info.fd, NULL);
}

void bridge_port_input(struct bridge_port *port)
{
    struct bridge *br = port->bridge;
    struct dp_packet_batch *batch = br->env->batch;
    for (int round = 0; round < INPUT_ROUNDS_MAX; round++) {
        uint64_t dropped = 0;
        size_t n = br->ops->recv_batch(br->dpif, port->port_no, batch, &dropped);
        port->stats.rx_dropped += dropped;
        if (n == 0) {
            br->ops->recv_done(br->dpif, port->port_no);
            return;
        }
        uint64_t now = loop_now_ms();
        port->error = 0;
        for (size_t i = 0; i < n; i++)
            process_packet(br, port, &batch->pkts[i], now);
        flush_pending(br);
        br->ops->recv_done(br->dpif, port->port_no);
        if (revalidation_owed(br))
            bridge_revalidate(br, now);
        if (n < DP_BATCH_MAX)
            return;
    }
}

/* ---- Revalidation and periodic work ---- */

static bool depends_on_changes(const struct bridge *br, const struct megaflow *f)
{
    if (!f->notes.mac_lookup)
        return false;
    for (size_t i = 0; i < br->n_changes; i++) {
        const struct mac_change *c = &br->changes[i];
        if (c->vlan == f->notes.mac_vlan && !memcmp(c->mac, f->notes.mac_dst, ETH_ADDR_LEN))
            return true;
    }
    return false;
}

/* Does `mask` read a bit `installed` does not match on? Then the flow covers packets the new
 * decision would tell apart, and must go. */
static bool mask_widens(const struct flow_key *mask, const struct flow_key *installed)
{
    for (int i = 0; i < FLOW_KEY_WORDS; i++) {
        if (mask->words[i] & ~installed->words[i])
            return true;
    }
    return false;
}

static void revalidate_flow(struct bridge *br, struct megaflow *f, uint64_t now_ms)
{
    if (!bridge_port_find_no(br, f->key.in_port)) {
        br->ops->flow_del(br->dpif, f);
        return;
    }
    struct xlate_bridge xb = xlate_view(br);
    struct xlate_result r = { .actions = br->xlate_buf };
    xlate_normal(&xb, &f->key, false, now_ms, &r);
    if (mask_widens(&r.mask, &f->subtable->mask)) {
        br->ops->flow_del(br->dpif, f);
        return;
    }
    if (dp_actions_equal(f->actions, r.actions, r.n_actions)) {
        f->notes = r.notes;
        return;
    }
    struct dp_actions *actions = dp_actions_new(r.actions, r.n_actions);
    if (!actions) {
        br->ops->flow_del(br->dpif, f);
        return;
    }
    /* Same key and mask: the provider replaces the actions of the installed flow. */
    struct flow_key mask = f->subtable->mask;
    if (!br->ops->flow_put(br->dpif, &f->key, &mask, actions, &r.notes, now_ms))
        br->ops->flow_del(br->dpif, f);
}

void bridge_revalidate(struct bridge *br, uint64_t now_ms)
{
    if (!revalidation_owed(br))
        return;
    bool all = br->revalidate_all;
    br->revalidations++;
    struct megaflow *f = br->ops->flow_next(br->dpif, NULL);
    while (f) {
        struct megaflow *next = br->ops->flow_next(br->dpif, f);
        if (all || depends_on_changes(br, f))
            revalidate_flow(br, f, now_ms);
        f = next;
    }
    br->revalidate_all = false;
    br->n_changes = 0;
}

/* Deleting an interface first takes it down: its packet socket reports ENETDOWN once and then
 * nothing more, so a port in error is looked at again until it is back up or known gone. */
static void recheck_ports_in_error(struct bridge *br)
{
    for (size_t i = 0; i < br->n_slots; i++) {
        struct bridge_port *port = br->ports[i];
        if (port && port->error && !port->broken)
            bridge_port_error(port);
    }
}

void bridge_run_periodic(struct bridge *br, uint64_t now_ms)
{
    recheck_ports_in_error(br);
    uint64_t idle_ms = bridge_flow_idle_ms(br);
    struct megaflow *f = br->ops->flow_next(br->dpif, NULL);
    while (f) {
        struct megaflow *next = br->ops->flow_next(br->dpif, f);
        uint64_t last = f->used_ms ? f->used_ms : f->created_ms;
        if (now_ms >= last + idle_ms) {
            br->ops->flow_del(br->dpif, f);
        } else if (f->used_ms >= br->last_periodic_ms && f->notes.learn_vlan >= 0) {
            /* Traffic switched from the cache never reaches the learning code: what the
             * flow counted proves its source is (still) there. */
            mac_table_learn_from_cache(&br->macs, f->key.dl_src, (uint16_t)f->notes.learn_vlan,
                                       f->key.in_port, f->used_ms, now_ms);
        }
        f = next;
    }
    mac_table_age(&br->macs, now_ms);
    br->last_periodic_ms = now_ms;
    bridge_revalidate(br, now_ms);
}
