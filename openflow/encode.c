/* Encoding OpenFlow 1.0 and 1.3 messages. Each function appends one message (a multipart
 * reply: as many as its entries need) to an ofbuf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openflow/codec.h"

#define OFPHET_VERSIONBITMAP 1

/* Starts a message: its header with the length left to finish_msg(). Returns where it
 * starts. */
static size_t start_msg(struct ofbuf *b, uint8_t version, enum ofm_type type, uint32_t xid)
{
    size_t start = b->len;
    uint8_t *h = ofbuf_put(b, OFP_HEADER_LEN);
    if (h) {
        h[0] = version;
        h[1] = (uint8_t)of_wire_type(type, version);
        of_put32(h + 4, xid);
    }
    return start;
}

/* Sets the length of the message at `start`. A message that does not fit in 16 bits, or an
 * out-of-memory buffer, is taken back out: returns -1. */
static int finish_msg(struct ofbuf *b, size_t start)
{
    size_t len = b->len - start;
    if (b->oom || len > OFP_MAX_MSG_LEN) {
        if (!b->oom)
            b->len = start;
        return -1;
    }
    of_put16(b->data + start + 2, (uint16_t)len);
    return 0;
}

static uint8_t *put_body(struct ofbuf *b, size_t len)
{
    return ofbuf_put(b, len);
}

/* A string into a zeroed fixed-size field, NUL-terminated within it. */
static void put_string(uint8_t *field, size_t size, const char *s)
{
    size_t n = strnlen(s, size - 1);
    memcpy(field, s, n);
}

int of_encode_hello(struct ofbuf *b, uint8_t version, uint32_t xid, uint32_t versions)
{
    size_t start = start_msg(b, version, OFM_HELLO, xid);
    /* A bitmap says exactly which versions; a 1.0 hello cannot carry one. */
    uint8_t *e = version > OFP10_VERSION ? put_body(b, 8) : NULL;
    if (e) {
        of_put16(e, OFPHET_VERSIONBITMAP);
        of_put16(e + 2, 8);
        of_put32(e + 4, versions);
    }
    return finish_msg(b, start);
}

int of_encode_error(struct ofbuf *b, uint8_t version, uint32_t xid, enum ofperr err,
                    const uint8_t *request, size_t request_len)
{
    size_t start = start_msg(b, version, OFM_ERROR, xid);
    uint8_t *p = put_body(b, 4);
    uint16_t type, code;
    ofperr_to_wire(err, version, &type, &code);
    if (p) {
        of_put16(p, type);
        of_put16(p + 2, code);
    }
    /* At least the first 64 bytes of the request, as the specification asks. */
    if (request)
        ofbuf_put_copy(b, request, request_len < 64 ? request_len : 64);
    return finish_msg(b, start);
}

int of_encode_echo(struct ofbuf *b, uint8_t version, uint32_t xid, bool reply,
                   const uint8_t *data, size_t len)
{
    size_t start = start_msg(b, version, reply ? OFM_ECHO_REPLY : OFM_ECHO_REQUEST, xid);
    if (len)
        ofbuf_put_copy(b, data, len);
    return finish_msg(b, start);
}

int of_encode_empty(struct ofbuf *b, uint8_t version, uint32_t xid, enum ofm_type type)
{
    if (of_wire_type(type, version) < 0)
        return -1;
    return finish_msg(b, start_msg(b, version, type, xid));
}

static void encode_port_10(uint8_t *p, const struct of_port *port)
{
    of_put16(p, of_port_to_16(port->port_no));
    memcpy(p + 2, port->hw_addr, 6);
    put_string(p + 8, 16, port->name);
    of_put32(p + 24, port->config);
    of_put32(p + 28, port->state & OFPPS_LINK_DOWN);
    of_put32(p + 32, port->curr);
    of_put32(p + 36, port->advertised);
    of_put32(p + 40, port->supported);
    of_put32(p + 44, port->peer);
}

static void encode_port_13(uint8_t *p, const struct of_port *port)
{
    of_put32(p, port->port_no);
    memcpy(p + 8, port->hw_addr, 6);
    put_string(p + 16, 16, port->name);
    of_put32(p + 32, port->config);
    of_put32(p + 36, port->state);
    of_put32(p + 40, port->curr);
    of_put32(p + 44, port->advertised);
    of_put32(p + 48, port->supported);
    of_put32(p + 52, port->peer);
    of_put32(p + 56, port->curr_speed);
    of_put32(p + 60, port->max_speed);
}

static void put_port(struct ofbuf *b, uint8_t version, const struct of_port *port)
{
    uint8_t *p = put_body(b, version == OFP10_VERSION ? 48 : 64);
    if (!p)
        return;
    if (version == OFP10_VERSION)
        encode_port_10(p, port);
    else
        encode_port_13(p, port);
}

int of_encode_features_reply(struct ofbuf *b, uint8_t version, uint32_t xid,
                             const struct of_features *f)
{
    size_t start = start_msg(b, version, OFM_FEATURES_REPLY, xid);
    uint8_t *p = put_body(b, 24);
    if (p) {
        of_put64(p, f->datapath_id);
        of_put32(p + 8, f->n_buffers);
        p[12] = f->n_tables;
        of_put32(p + 16, f->capabilities);
        of_put32(p + 20, version == OFP10_VERSION ? f->actions : 0);
    }
    for (size_t i = 0; version == OFP10_VERSION && i < f->n_ports; i++)
        put_port(b, version, &f->ports[i]);
    return finish_msg(b, start);
}

int of_encode_config(struct ofbuf *b, uint8_t version, uint32_t xid, enum ofm_type type,
                     uint16_t flags, uint16_t miss_send_len)
{
    size_t start = start_msg(b, version, type, xid);
    uint8_t *p = put_body(b, 4);
    if (p) {
        of_put16(p, flags);
        of_put16(p + 2, miss_send_len);
    }
    return finish_msg(b, start);
}

int of_encode_packet_in(struct ofbuf *b, uint8_t version, uint32_t xid,
                        const struct of_packet_in *pi)
{
    size_t start = start_msg(b, version, OFM_PACKET_IN, xid);
    uint8_t *p;
    if (version == OFP10_VERSION) {
        if ((p = put_body(b, 10))) {
            of_put32(p, pi->buffer_id);
            of_put16(p + 4, pi->total_len);
            of_put16(p + 6, of_port_to_16((uint32_t)of_match_value(&pi->match, MF_IN_PORT)));
            p[8] = pi->reason;
        }
    } else {
        if ((p = put_body(b, 16))) {
            of_put32(p, pi->buffer_id);
            of_put16(p + 4, pi->total_len);
            p[6] = pi->reason;
            p[7] = pi->table_id;
            of_put64(p + 8, pi->cookie);
        }
        of_match_encode_oxm(b, &pi->match);
        put_body(b, 2);
    }
    if (pi->len)
        ofbuf_put_copy(b, pi->data, pi->len);
    return finish_msg(b, start);
}

int of_encode_flow_removed(struct ofbuf *b, uint8_t version, uint32_t xid,
                           const struct of_flow_removed *fr)
{
    size_t start = start_msg(b, version, OFM_FLOW_REMOVED, xid);
    uint8_t *p;
    if (version == OFP10_VERSION) {
        if ((p = put_body(b, 80))) {
            of_match_encode_10(p, &fr->match);
            of_put64(p + 40, fr->cookie);
            of_put16(p + 48, fr->priority);
            p[50] = fr->reason;
            of_put32(p + 52, fr->duration_sec);
            of_put32(p + 56, fr->duration_nsec);
            of_put16(p + 60, fr->idle_timeout);
            of_put64(p + 64, fr->packet_count);
            of_put64(p + 72, fr->byte_count);
        }
        return finish_msg(b, start);
    }
    if ((p = put_body(b, 40))) {
        of_put64(p, fr->cookie);
        of_put16(p + 8, fr->priority);
        p[10] = fr->reason;
        p[11] = fr->table_id;
        of_put32(p + 12, fr->duration_sec);
        of_put32(p + 16, fr->duration_nsec);
        of_put16(p + 20, fr->idle_timeout);
        of_put16(p + 22, fr->hard_timeout);
        of_put64(p + 24, fr->packet_count);
        of_put64(p + 32, fr->byte_count);
    }
    of_match_encode_oxm(b, &fr->match);
    return finish_msg(b, start);
}

int of_encode_port_status(struct ofbuf *b, uint8_t version, uint32_t xid, uint8_t reason,
                          const struct of_port *port)
{
    size_t start = start_msg(b, version, OFM_PORT_STATUS, xid);
    uint8_t *p = put_body(b, 8);
    if (p)
        p[0] = reason;
    put_port(b, version, port);
    return finish_msg(b, start);
}

int of_encode_packet_out(struct ofbuf *b, uint8_t version, uint32_t xid,
                         const struct of_packet_out *po)
{
    size_t start = start_msg(b, version, OFM_PACKET_OUT, xid);
    size_t fixed = version == OFP10_VERSION ? 8 : 16;
    size_t at = b->len;
    uint8_t *p = put_body(b, fixed);
    if (p) {
        of_put32(p, po->buffer_id);
        if (version == OFP10_VERSION)
            of_put16(p + 4, of_port_to_16(po->in_port));
        else
            of_put32(p + 4, po->in_port);
    }
    size_t actions_start = b->len;
    of_actions_encode(b, version, &po->actions);
    if (!b->oom)
        of_put16(b->data + at + (version == OFP10_VERSION ? 6 : 8),
                 (uint16_t)(b->len - actions_start));
    if (po->len)
        ofbuf_put_copy(b, po->data, po->len);
    return finish_msg(b, start);
}

int of_encode_flow_mod(struct ofbuf *b, uint8_t version, uint32_t xid,
                       const struct of_flow_mod *fm)
{
    size_t start = start_msg(b, version, OFM_FLOW_MOD, xid);
    uint8_t *p;
    if (version == OFP10_VERSION) {
        if ((p = put_body(b, 64))) {
            of_match_encode_10(p, &fm->match);
            of_put64(p + 40, fm->cookie);
            of_put16(p + 48, fm->command);
            of_put16(p + 50, fm->idle_timeout);
            of_put16(p + 52, fm->hard_timeout);
            of_put16(p + 54, fm->priority);
            of_put32(p + 56, fm->buffer_id);
            of_put16(p + 60, of_port_to_16(fm->out_port));
            of_put16(p + 62, fm->flags);
        }
    } else {
        if ((p = put_body(b, 40))) {
            of_put64(p, fm->cookie);
            of_put64(p + 8, fm->cookie_mask);
            p[16] = fm->table_id;
            p[17] = fm->command;
            of_put16(p + 18, fm->idle_timeout);
            of_put16(p + 20, fm->hard_timeout);
            of_put16(p + 22, fm->priority);
            of_put32(p + 24, fm->buffer_id);
            of_put32(p + 28, fm->out_port);
            of_put32(p + 32, fm->out_group);
            of_put16(p + 36, fm->flags);
        }
        of_match_encode_oxm(b, &fm->match);
    }
    of_instructions_encode(b, version, &fm->insts);
    return finish_msg(b, start);
}

int of_encode_port_mod(struct ofbuf *b, uint8_t version, uint32_t xid,
                       const struct of_port_mod *pm)
{
    size_t start = start_msg(b, version, OFM_PORT_MOD, xid);
    uint8_t *p;
    if (version == OFP10_VERSION) {
        if ((p = put_body(b, 24))) {
            of_put16(p, of_port_to_16(pm->port_no));
            memcpy(p + 2, pm->hw_addr, 6);
            of_put32(p + 8, pm->config);
            of_put32(p + 12, pm->mask);
            of_put32(p + 16, pm->advertise);
        }
    } else if ((p = put_body(b, 32))) {
        of_put32(p, pm->port_no);
        memcpy(p + 8, pm->hw_addr, 6);
        of_put32(p + 16, pm->config);
        of_put32(p + 20, pm->mask);
        of_put32(p + 24, pm->advertise);
    }
    return finish_msg(b, start);
}

int of_encode_role(struct ofbuf *b, uint8_t version, uint32_t xid, enum ofm_type type,
                   const struct of_role *role)
{
    if (version == OFP10_VERSION)
        return -1;
    size_t start = start_msg(b, version, type, xid);
    uint8_t *p = put_body(b, 16);
    if (p) {
        of_put32(p, role->role);
        of_put64(p + 8, role->generation_id);
    }
    return finish_msg(b, start);
}

int of_encode_async(struct ofbuf *b, uint8_t version, uint32_t xid, enum ofm_type type,
                    const struct of_async *async)
{
    if (version == OFP10_VERSION)
        return -1;
    size_t start = start_msg(b, version, type, xid);
    uint8_t *p = put_body(b, 24);
    for (int i = 0; p && i < 2; i++) {
        of_put32(p + 4 * i, async->packet_in[i]);
        of_put32(p + 8 + 4 * i, async->port_status[i]);
        of_put32(p + 16 + 4 * i, async->flow_removed[i]);
    }
    return finish_msg(b, start);
}

int of_encode_queue_config_reply(struct ofbuf *b, uint8_t version, uint32_t xid,
                                 uint32_t port_no)
{
    size_t start = start_msg(b, version, OFM_QUEUE_GET_CONFIG_REPLY, xid);
    uint8_t *p = put_body(b, 8);
    if (p && version == OFP10_VERSION)
        of_put16(p, of_port_to_16(port_no));
    else if (p)
        of_put32(p, port_no);
    return finish_msg(b, start);
}

/* ---- Multipart ---- */

static size_t start_multipart(struct ofbuf *b, uint8_t version, enum ofm_type type,
                              uint32_t xid, uint16_t mp_type)
{
    size_t start = start_msg(b, version, type, xid);
    uint8_t *p = put_body(b, version == OFP10_VERSION ? 4 : 8);
    if (p)
        of_put16(p, mp_type);
    return start;
}

static void encode_flow_stats_request(struct ofbuf *b, uint8_t version,
                                      const struct of_flow_stats_request *r)
{
    uint8_t *p;
    if (version == OFP10_VERSION) {
        if ((p = put_body(b, 44))) {
            of_match_encode_10(p, &r->match);
            p[40] = r->table_id;
            of_put16(p + 42, of_port_to_16(r->out_port));
        }
        return;
    }
    if ((p = put_body(b, 32))) {
        p[0] = r->table_id;
        of_put32(p + 4, r->out_port);
        of_put32(p + 8, r->out_group);
        of_put64(p + 16, r->cookie);
        of_put64(p + 24, r->cookie_mask);
    }
    of_match_encode_oxm(b, &r->match);
}

int of_encode_multipart_request(struct ofbuf *b, uint8_t version, uint32_t xid,
                                const struct of_multipart *mp)
{
    size_t start = start_multipart(b, version, OFM_MULTIPART_REQUEST, xid, mp->type);
    uint8_t *p;
    switch (mp->type) {
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE:
        encode_flow_stats_request(b, version, &mp->flow_request);
        break;
    case OFPMP_PORT_STATS:
    case OFPMP_QUEUE:
        if (!(p = put_body(b, 8)))
            break;
        if (version == OFP10_VERSION)
            of_put16(p, of_port_to_16(mp->port_no));
        else
            of_put32(p, mp->port_no);
        if (mp->type == OFPMP_QUEUE)
            of_put32(p + 4, mp->queue_id);
        break;
    default:
        break;
    }
    return finish_msg(b, start);
}

/* Writes a multipart reply's entries, moving on to a new message (the previous one flagged
 * MORE) when the next entry would not fit. */
struct mp_writer {
    struct ofbuf *b;
    uint8_t version;
    uint32_t xid;
    uint16_t type;
    size_t msg_start;
    int rc;
};

static void mp_begin(struct mp_writer *w, struct ofbuf *b, uint8_t version, uint32_t xid,
                     uint16_t type)
{
    *w = (struct mp_writer){ b, version, xid, type, 0, 0 };
    w->msg_start = start_multipart(b, version, OFM_MULTIPART_REPLY, xid, type);
}

/* Called after appending one entry that starts at `entry_start`. */
static void mp_entry_done(struct mp_writer *w, size_t entry_start)
{
    struct ofbuf *b = w->b;
    if (b->oom || b->len - w->msg_start <= OFP_MAX_MSG_LEN)
        return;
    size_t entry_len = b->len - entry_start;
    uint8_t *entry = malloc(entry_len);
    b->len = entry_start;
    if (!entry || entry_len > OFP_MAX_MSG_LEN - 16) {
        free(entry);   /* an entry that fits in no message is left out */
        w->rc = -1;
        return;
    }
    memcpy(entry, b->data + entry_start, entry_len);
    of_put16(b->data + w->msg_start + 10, OFPMPF_MORE);   /* flags follow the type */
    finish_msg(b, w->msg_start);
    w->msg_start = start_multipart(b, w->version, OFM_MULTIPART_REPLY, w->xid, w->type);
    ofbuf_put_copy(b, entry, entry_len);
    free(entry);
}

static int mp_end(struct mp_writer *w)
{
    int rc = finish_msg(w->b, w->msg_start);
    return rc < 0 ? rc : w->rc;
}

static void encode_flow_stats(struct ofbuf *b, uint8_t version, const struct of_flow_stats *fs)
{
    size_t start = b->len;
    uint8_t *p;
    if (version == OFP10_VERSION) {
        if ((p = put_body(b, 88))) {
            p[2] = fs->table_id;
            of_match_encode_10(p + 4, &fs->match);
            of_put32(p + 44, fs->duration_sec);
            of_put32(p + 48, fs->duration_nsec);
            of_put16(p + 52, fs->priority);
            of_put16(p + 54, fs->idle_timeout);
            of_put16(p + 56, fs->hard_timeout);
            of_put64(p + 64, fs->cookie);
            of_put64(p + 72, fs->packet_count);
            of_put64(p + 80, fs->byte_count);
        }
    } else {
        if ((p = put_body(b, 48))) {
            p[2] = fs->table_id;
            of_put32(p + 4, fs->duration_sec);
            of_put32(p + 8, fs->duration_nsec);
            of_put16(p + 12, fs->priority);
            of_put16(p + 14, fs->idle_timeout);
            of_put16(p + 16, fs->hard_timeout);
            of_put16(p + 18, fs->flags);
            of_put64(p + 24, fs->cookie);
            of_put64(p + 32, fs->packet_count);
            of_put64(p + 40, fs->byte_count);
        }
        of_match_encode_oxm(b, &fs->match);
    }
    of_instructions_encode(b, version, &fs->insts);
    if (!b->oom)
        of_put16(b->data + start, (uint16_t)(b->len - start > 0xffff ? 0xffff : b->len - start));
}

static void encode_table_stats(struct ofbuf *b, uint8_t version, const struct of_table_stats *t)
{
    uint8_t *p = put_body(b, version == OFP10_VERSION ? 64 : 24);
    if (!p)
        return;
    p[0] = t->table_id;
    if (version == OFP10_VERSION) {
        snprintf((char *)p + 4, 32, "table%u", t->table_id);
        of_put32(p + 36, 0x3fffff);   /* every 1.0 field can be wildcarded */
        of_put32(p + 40, t->max_entries);
        of_put32(p + 44, t->active_count);
        of_put64(p + 48, t->lookup_count);
        of_put64(p + 56, t->matched_count);
    } else {
        of_put32(p + 4, t->active_count);
        of_put64(p + 8, t->lookup_count);
        of_put64(p + 16, t->matched_count);
    }
}

static void encode_port_stats(struct ofbuf *b, uint8_t version, const struct of_port_stats *ps)
{
    uint8_t *p = put_body(b, version == OFP10_VERSION ? 104 : 112);
    if (!p)
        return;
    if (version == OFP10_VERSION)
        of_put16(p, of_port_to_16(ps->port_no));
    else
        of_put32(p, ps->port_no);
    const uint64_t c[] = { ps->rx_packets,  ps->tx_packets,  ps->rx_bytes,   ps->tx_bytes,
                           ps->rx_dropped,  ps->tx_dropped,  ps->rx_errors,  ps->tx_errors,
                           ps->rx_frame_err, ps->rx_over_err, ps->rx_crc_err, ps->collisions };
    for (size_t i = 0; i < 12; i++)
        of_put64(p + 8 + i * 8, c[i]);
    if (version != OFP10_VERSION) {
        of_put32(p + 104, ps->duration_sec);
        of_put32(p + 108, ps->duration_nsec);
    }
}

static void encode_desc(struct ofbuf *b, const struct of_desc *d)
{
    uint8_t *p = put_body(b, 1056);
    if (!p)
        return;
    put_string(p, 256, d->mfr);
    put_string(p + 256, 256, d->hw);
    put_string(p + 512, 256, d->sw);
    put_string(p + 768, 32, d->serial);
    put_string(p + 800, 256, d->dp);
}

int of_encode_multipart_reply(struct ofbuf *b, uint8_t version, uint32_t xid,
                              const struct of_multipart *mp)
{
    struct mp_writer w;
    mp_begin(&w, b, version, xid, mp->type);
    uint8_t *p;
    switch (mp->type) {
    case OFPMP_DESC:
        encode_desc(b, &mp->desc);
        break;
    case OFPMP_AGGREGATE:
        if ((p = put_body(b, 24))) {
            of_put64(p, mp->aggregate.packet_count);
            of_put64(p + 8, mp->aggregate.byte_count);
            of_put32(p + 16, mp->aggregate.flow_count);
        }
        break;
    default:
        break;
    }
    for (size_t i = 0; i < mp->n; i++) {
        size_t entry_start = b->len;
        if (mp->type == OFPMP_FLOW)
            encode_flow_stats(b, version, &mp->flows[i]);
        else if (mp->type == OFPMP_TABLE)
            encode_table_stats(b, version, &mp->tables[i]);
        else if (mp->type == OFPMP_PORT_STATS)
            encode_port_stats(b, version, &mp->ports[i]);
        else if (mp->type == OFPMP_PORT_DESC)
            put_port(b, version, &mp->port_descs[i]);
        mp_entry_done(&w, entry_start);
    }
    return mp_end(&w);
}
