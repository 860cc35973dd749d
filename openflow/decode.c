/* Decoding whole OpenFlow messages of versions 1.0 and 1.3. Every length is checked before
 * the bytes it covers are read; each message type has one decoder. */
#include <stdlib.h>
#include <string.h>

#include "openflow/codec.h"

#define OFPHET_VERSIONBITMAP 1

/* Wire type numbers of each version, by enum ofm_type; -1: the version has no such message. */
static const int wire_types[OFM_N_TYPES][2] = {
    [OFM_HELLO] = { 0, 0 },
    [OFM_ERROR] = { 1, 1 },
    [OFM_ECHO_REQUEST] = { 2, 2 },
    [OFM_ECHO_REPLY] = { 3, 3 },
    [OFM_EXPERIMENTER] = { 4, 4 },
    [OFM_FEATURES_REQUEST] = { 5, 5 },
    [OFM_FEATURES_REPLY] = { 6, 6 },
    [OFM_GET_CONFIG_REQUEST] = { 7, 7 },
    [OFM_GET_CONFIG_REPLY] = { 8, 8 },
    [OFM_SET_CONFIG] = { 9, 9 },
    [OFM_PACKET_IN] = { 10, 10 },
    [OFM_FLOW_REMOVED] = { 11, 11 },
    [OFM_PORT_STATUS] = { 12, 12 },
    [OFM_PACKET_OUT] = { 13, 13 },
    [OFM_FLOW_MOD] = { 14, 14 },
    [OFM_GROUP_MOD] = { -1, 15 },
    [OFM_PORT_MOD] = { 15, 16 },
    [OFM_TABLE_MOD] = { -1, 17 },
    [OFM_MULTIPART_REQUEST] = { 16, 18 },
    [OFM_MULTIPART_REPLY] = { 17, 19 },
    [OFM_BARRIER_REQUEST] = { 18, 20 },
    [OFM_BARRIER_REPLY] = { 19, 21 },
    [OFM_QUEUE_GET_CONFIG_REQUEST] = { 20, 22 },
    [OFM_QUEUE_GET_CONFIG_REPLY] = { 21, 23 },
    [OFM_ROLE_REQUEST] = { -1, 24 },
    [OFM_ROLE_REPLY] = { -1, 25 },
    [OFM_GET_ASYNC_REQUEST] = { -1, 26 },
    [OFM_GET_ASYNC_REPLY] = { -1, 27 },
    [OFM_SET_ASYNC] = { -1, 28 },
    [OFM_METER_MOD] = { -1, 29 },
};

static const char *const type_names[OFM_N_TYPES] = {
    "HELLO", "ERROR", "ECHO_REQUEST", "ECHO_REPLY", "EXPERIMENTER", "FEATURES_REQUEST",
    "FEATURES_REPLY", "GET_CONFIG_REQUEST", "GET_CONFIG_REPLY", "SET_CONFIG", "PACKET_IN",
    "FLOW_REMOVED", "PORT_STATUS", "PACKET_OUT", "FLOW_MOD", "GROUP_MOD", "PORT_MOD",
    "TABLE_MOD", "MULTIPART_REQUEST", "MULTIPART_REPLY", "BARRIER_REQUEST", "BARRIER_REPLY",
    "QUEUE_GET_CONFIG_REQUEST", "QUEUE_GET_CONFIG_REPLY", "ROLE_REQUEST", "ROLE_REPLY",
    "GET_ASYNC_REQUEST", "GET_ASYNC_REPLY", "SET_ASYNC", "METER_MOD",
};

const char *ofm_type_name(enum ofm_type type)
{
    return (unsigned)type < OFM_N_TYPES ? type_names[type] : "UNKNOWN";
}

int of_wire_type(enum ofm_type type, uint8_t version)
{
    return (unsigned)type < OFM_N_TYPES ? wire_types[type][version == OFP10_VERSION ? 0 : 1]
                                        : -1;
}

static bool from_wire_type(uint8_t version, uint8_t wire, enum ofm_type *type)
{
    int column = version == OFP10_VERSION ? 0 : 1;
    for (unsigned t = 0; t < OFM_N_TYPES; t++) {
        if (wire_types[t][column] == wire) {
            *type = (enum ofm_type)t;
            return true;
        }
    }
    return false;
}

bool of_header_peek(const uint8_t *buf, size_t len, uint8_t *version, uint8_t *type,
                    uint16_t *length, uint32_t *xid)
{
    if (len < OFP_HEADER_LEN)
        return false;
    *version = buf[0];
    *type = buf[1];
    *length = of_get16(buf + 2);
    *xid = of_get32(buf + 4);
    return true;
}

/* ---- Bodies ---- */

/* A hello names the versions its sender speaks: a bitmap element, or else every version up
 * to the header's (the version negotiation of OpenFlow 1.3.1, 6.3.1). */
static enum ofperr decode_hello(const uint8_t *p, size_t len, struct of_msg *msg)
{
    uint32_t upto = p[0] >= 31 ? 0xfffffffeu : (2u << p[0]) - 2;
    msg->hello_versions = upto;
    for (size_t at = OFP_HEADER_LEN; at + 4 <= len;) {
        uint16_t type = of_get16(p + at), elen = of_get16(p + at + 2);
        if (elen < 4 || elen > len - at)
            break;   /* a malformed element ends what we read, as Open vSwitch does */
        if (type == OFPHET_VERSIONBITMAP && elen >= 8)
            msg->hello_versions = of_get32(p + at + 4);   /* versions 0..31 */
        at += (elen + 7u) / 8 * 8;
    }
    return OFPERR_NONE;
}

static void decode_port_10(const uint8_t *p, struct of_port *port)
{
    memset(port, 0, sizeof *port);
    port->port_no = of_port_from_16(of_get16(p));
    memcpy(port->hw_addr, p + 2, 6);
    memcpy(port->name, p + 8, 15);
    port->config = of_get32(p + 24);
    port->state = of_get32(p + 28);
    port->curr = of_get32(p + 32);
    port->advertised = of_get32(p + 36);
    port->supported = of_get32(p + 40);
    port->peer = of_get32(p + 44);
}

static void decode_port_13(const uint8_t *p, struct of_port *port)
{
    memset(port, 0, sizeof *port);
    port->port_no = of_get32(p);
    memcpy(port->hw_addr, p + 8, 6);
    memcpy(port->name, p + 16, 15);
    port->config = of_get32(p + 32);
    port->state = of_get32(p + 36);
    port->curr = of_get32(p + 40);
    port->advertised = of_get32(p + 44);
    port->supported = of_get32(p + 48);
    port->peer = of_get32(p + 52);
    port->curr_speed = of_get32(p + 56);
    port->max_speed = of_get32(p + 60);
}

static size_t port_len(uint8_t version)
{
    return version == OFP10_VERSION ? 48 : 64;
}

static void decode_port(uint8_t version, const uint8_t *p, struct of_port *port)
{
    if (version == OFP10_VERSION)
        decode_port_10(p, port);
    else
        decode_port_13(p, port);
}

static enum ofperr decode_features_reply(const uint8_t *p, size_t len, struct of_msg *msg)
{
    struct of_features *f = &msg->features;
    if (len < 32)
        return OFPERR_BAD_LEN;
    f->datapath_id = of_get64(p + 8);
    f->n_buffers = of_get32(p + 16);
    f->n_tables = p[20];
    f->capabilities = of_get32(p + 24);
    if (msg->version != OFP10_VERSION)
        return len == 32 ? OFPERR_NONE : OFPERR_BAD_LEN;
    f->actions = of_get32(p + 28);
    if ((len - 32) % 48)
        return OFPERR_BAD_LEN;
    f->n_ports = (len - 32) / 48;
    if (f->n_ports && !(f->ports = calloc(f->n_ports, sizeof *f->ports)))
        return OFPERR_BAD_LEN;
    for (size_t i = 0; i < f->n_ports; i++)
        decode_port_10(p + 32 + i * 48, &f->ports[i]);
    return OFPERR_NONE;
}

static enum ofperr decode_packet_in(const uint8_t *p, size_t len, struct of_msg *msg)
{
    struct of_packet_in *pi = &msg->packet_in;
    of_match_init(&pi->match);
    if (msg->version == OFP10_VERSION) {
        if (len < 18)
            return OFPERR_BAD_LEN;
        pi->buffer_id = of_get32(p + 8);
        pi->total_len = of_get16(p + 12);
        of_match_set_exact_u32(&pi->match, MF_IN_PORT, of_port_from_16(of_get16(p + 14)));
        pi->reason = p[16];
        pi->data = p + 18;
        pi->len = len - 18;
        return OFPERR_NONE;
    }
    if (len < 32)
        return OFPERR_BAD_LEN;
    pi->buffer_id = of_get32(p + 8);
    pi->total_len = of_get16(p + 12);
    pi->reason = p[14];
    pi->table_id = p[15];
    pi->cookie = of_get64(p + 16);
    size_t used;
    enum ofperr err = of_match_decode_oxm(p + 24, len - 24, &pi->match, &used);
    if (err)
        return err;
    if (len - 24 - used < 2)
        return OFPERR_BAD_LEN;
    pi->data = p + 24 + used + 2;
    pi->len = len - 24 - used - 2;
    return OFPERR_NONE;
}

static enum ofperr decode_flow_removed(const uint8_t *p, size_t len, struct of_msg *msg)
{
    struct of_flow_removed *fr = &msg->flow_removed;
    if (msg->version == OFP10_VERSION) {
        if (len != 88)
            return OFPERR_BAD_LEN;
        enum ofperr err = of_match_decode_10(p + 8, &fr->match);
        if (err)
            return err;
        fr->cookie = of_get64(p + 48);
        fr->priority = of_get16(p + 56);
        fr->reason = p[58];
        fr->duration_sec = of_get32(p + 60);
        fr->duration_nsec = of_get32(p + 64);
        fr->idle_timeout = of_get16(p + 68);
        fr->packet_count = of_get64(p + 72);
        fr->byte_count = of_get64(p + 80);
        return OFPERR_NONE;
    }
    if (len < 56)
        return OFPERR_BAD_LEN;
    fr->cookie = of_get64(p + 8);
    fr->priority = of_get16(p + 16);
    fr->reason = p[18];
    fr->table_id = p[19];
    fr->duration_sec = of_get32(p + 20);
    fr->duration_nsec = of_get32(p + 24);
    fr->idle_timeout = of_get16(p + 28);
    fr->hard_timeout = of_get16(p + 30);
    fr->packet_count = of_get64(p + 32);
    fr->byte_count = of_get64(p + 40);
    size_t used;
    enum ofperr err = of_match_decode_oxm(p + 48, len - 48, &fr->match, &used);
    return err ? err : (48 + used == len ? OFPERR_NONE : OFPERR_BAD_LEN);
}

static enum ofperr decode_port_status(const uint8_t *p, size_t len, struct of_msg *msg)
{
    if (len != 16 + port_len(msg->version))
        return OFPERR_BAD_LEN;
    msg->port_status.reason = p[8];
    decode_port(msg->version, p + 16, &msg->port_status.port);
    return OFPERR_NONE;
}

static bool in_port_ok(uint32_t port)
{
    return (port >= 1 && port < OFPP_MAX) || port == OFPP_LOCAL || port == OFPP_CONTROLLER ||
           port == OFPP_ANY;
}

static enum ofperr decode_packet_out(const uint8_t *p, size_t len, struct of_msg *msg)
{
    struct of_packet_out *po = &msg->packet_out;
    size_t fixed = msg->version == OFP10_VERSION ? 16 : 24;
    if (len < fixed)
        return OFPERR_BAD_LEN;
    po->buffer_id = of_get32(p + 8);
    size_t actions_len;
    if (msg->version == OFP10_VERSION) {
        po->in_port = of_port_from_16(of_get16(p + 12));
        actions_len = of_get16(p + 14);
    } else {
        po->in_port = of_get32(p + 12);
        actions_len = of_get16(p + 16);
    }
    if (actions_len > len - fixed)
        return OFPERR_BAD_LEN;
    if (!in_port_ok(po->in_port))
        return OFPERR_BAD_PORT;
    if (po->buffer_id != OFP_NO_BUFFER)
        return OFPERR_BUFFER_UNKNOWN;   /* vsw keeps no packet buffers */
    enum ofperr err = of_actions_decode(msg->version, p + fixed, actions_len, &po->actions);
    if (err)
        return err;
    struct of_match m;
    of_match_init(&m);
    err = of_actions_check(&po->actions, &m, true);
    if (err) {
        of_actions_free(&po->actions);
        return err;
    }
    po->data = p + fixed + actions_len;
    po->len = len - fixed - actions_len;
    return OFPERR_NONE;
}

/* Flags each version defines for flow-mods; others are refused. */
#define FLOW_MOD_FLAGS_10 (OFPFF_SEND_FLOW_REM | OFPFF_CHECK_OVERLAP)
#define FLOW_MOD_FLAGS_13                                                                      \
    (OFPFF_SEND_FLOW_REM | OFPFF_CHECK_OVERLAP | OFPFF_RESET_COUNTS | OFPFF_NO_PKT_COUNTS |     \
     OFPFF_NO_BYT_COUNTS)

static enum ofperr decode_flow_mod_10(const uint8_t *p, size_t len, struct of_flow_mod *fm)
{
    if (len < 72)
        return OFPERR_BAD_LEN;
    enum ofperr err = of_match_decode_10(p + 8, &fm->match);
    if (err)
        return err;
    fm->cookie = of_get64(p + 48);
    uint16_t command = of_get16(p + 56);
    /* The high byte is Open vSwitch's table-id extension, which vsw does not speak. */
    if (command > OFPFC_DELETE_STRICT)
        return OFPERR_FLOW_MOD_BAD_COMMAND;
    fm->command = (uint8_t)command;
    fm->idle_timeout = of_get16(p + 58);
    fm->hard_timeout = of_get16(p + 60);
    fm->priority = of_get16(p + 62);
    fm->buffer_id = of_get32(p + 64);
    fm->out_port = of_port_from_16(of_get16(p + 68));
    fm->out_group = OFPG_ANY;
    fm->flags = of_get16(p + 70);
    fm->table_id = fm->command >= OFPFC_DELETE ? OFPTT_ALL : 0;
    if (fm->flags & ~FLOW_MOD_FLAGS_10)
        return OFPERR_FLOW_MOD_BAD_FLAGS;   /* emergency flows included */
    fm->insts.apply = true;
    return of_actions_decode(OFP10_VERSION, p + 72, len - 72, &fm->insts.apply_actions);
}

static enum ofperr decode_flow_mod_13(const uint8_t *p, size_t len, struct of_flow_mod *fm)
{
    if (len < 56)
        return OFPERR_BAD_LEN;
    fm->cookie = of_get64(p + 8);
    fm->cookie_mask = of_get64(p + 16);
    fm->table_id = p[24];
    fm->command = p[25];
    fm->idle_timeout = of_get16(p + 26);
    fm->hard_timeout = of_get16(p + 28);
    fm->priority = of_get16(p + 30);
    fm->buffer_id = of_get32(p + 32);
    fm->out_port = of_get32(p + 36);
    fm->out_group = of_get32(p + 40);
    fm->flags = of_get16(p + 44);
    if (fm->command > OFPFC_DELETE_STRICT)
        return OFPERR_FLOW_MOD_BAD_COMMAND;
    if (fm->flags & ~FLOW_MOD_FLAGS_13)
        return OFPERR_FLOW_MOD_BAD_FLAGS;
    bool all_ok = fm->command >= OFPFC_DELETE;
    if (fm->table_id >= OF_N_TABLES && !(all_ok && fm->table_id == OFPTT_ALL))
        return OFPERR_FLOW_MOD_BAD_TABLE_ID;
    size_t used;
    enum ofperr err = of_match_decode_oxm(p + 48, len - 48, &fm->match, &used);
    if (err)
        return err;
    err = of_instructions_decode(p + 48 + used, len - 48 - used, &fm->insts);
    if (err)
        return err;
    if (fm->insts.goto_table && fm->insts.table_id <= fm->table_id && !all_ok) {
        of_instructions_free(&fm->insts);
        return OFPERR_INST_BAD_TABLE_ID;   /* a pipeline only goes forward */
    }
    return OFPERR_NONE;
}

static enum ofperr decode_flow_mod(const uint8_t *p, size_t len, struct of_msg *msg)
{
    struct of_flow_mod *fm = &msg->flow_mod;
    enum ofperr err = msg->version == OFP10_VERSION ? decode_flow_mod_10(p, len, fm)
                                                    : decode_flow_mod_13(p, len, fm);
    if (!err && fm->buffer_id != OFP_NO_BUFFER)
        err = OFPERR_BUFFER_UNKNOWN;
    /* A delete's instructions are ignored; those of adds and modifies must fit the match. */
    if (!err && fm->command < OFPFC_DELETE)
        err = of_instructions_check(&fm->insts, &fm->match, false);
    if (err)
        of_instructions_free(&fm->insts);
    return err;
}

static enum ofperr decode_port_mod(const uint8_t *p, size_t len, struct of_msg *msg)
{
    struct of_port_mod *pm = &msg->port_mod;
    if (msg->version == OFP10_VERSION) {
        if (len != 32)
            return OFPERR_BAD_LEN;
        pm->port_no = of_port_from_16(of_get16(p + 8));
        memcpy(pm->hw_addr, p + 10, 6);
        pm->config = of_get32(p + 16);
        pm->mask = of_get32(p + 20);
        pm->advertise = of_get32(p + 24);
        return OFPERR_NONE;
    }
    if (len != 40)
        return OFPERR_BAD_LEN;
    pm->port_no = of_get32(p + 8);
    memcpy(pm->hw_addr, p + 16, 6);
    pm->config = of_get32(p + 24);
    pm->mask = of_get32(p + 28);
    pm->advertise = of_get32(p + 32);
    return OFPERR_NONE;
}

/* ---- Multipart ---- */

static enum ofperr decode_flow_stats_request(uint8_t version, const uint8_t *p, size_t len,
                                             struct of_flow_stats_request *r)
{
    if (version == OFP10_VERSION) {
        if (len != 44)
            return OFPERR_BAD_LEN;
        enum ofperr err = of_match_decode_10(p, &r->match);
        r->table_id = p[40];
        r->out_port = of_port_from_16(of_get16(p + 42));
        r->out_group = OFPG_ANY;
        return err;
    }
    if (len < 40)
        return OFPERR_BAD_LEN;
    r->table_id = p[0];
    r->out_port = of_get32(p + 4);
    r->out_group = of_get32(p + 8);
    r->cookie = of_get64(p + 16);
    r->cookie_mask = of_get64(p + 24);
    size_t used;
    enum ofperr err = of_match_decode_oxm(p + 32, len - 32, &r->match, &used);
    return err ? err : (32 + used == len ? OFPERR_NONE : OFPERR_BAD_LEN);
}

static enum ofperr decode_multipart_request(uint8_t version, const uint8_t *p, size_t len,
                                            struct of_multipart *mp)
{
    switch (mp->type) {
    case OFPMP_DESC:
    case OFPMP_TABLE:
    case OFPMP_PORT_DESC:
        return len == 0 ? OFPERR_NONE : OFPERR_BAD_LEN;
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE:
        return decode_flow_stats_request(version, p, len, &mp->flow_request);
    case OFPMP_PORT_STATS:
    case OFPMP_QUEUE:
        if (len != 8)
            return OFPERR_BAD_LEN;
        if (version == OFP10_VERSION) {
            mp->port_no = of_port_from_16(of_get16(p));
            mp->queue_id = mp->type == OFPMP_QUEUE ? of_get32(p + 4) : 0;
        } else {
            mp->port_no = of_get32(p);
            mp->queue_id = mp->type == OFPMP_QUEUE ? of_get32(p + 4) : 0;
        }
        return OFPERR_NONE;
    default:
        return OFPERR_NONE;   /* the receiver refuses the types it does not serve */
    }
}

static void copy_string(char *dst, const uint8_t *src, size_t size)
{
    memcpy(dst, src, size - 1);
    dst[size - 1] = '\0';
}

/* One flow stats entry at p (`avail` bytes); *used is its length. */
static enum ofperr decode_flow_stats(uint8_t version, const uint8_t *p, size_t avail,
                                     struct of_flow_stats *fs, size_t *used)
{
    memset(fs, 0, sizeof *fs);
    size_t len = avail >= 2 ? of_get16(p) : 0;
    size_t fixed = version == OFP10_VERSION ? 88 : 56;
    if (len < fixed || len > avail || len % 8)
        return OFPERR_BAD_LEN;
    *used = len;
    fs->table_id = p[2];
    enum ofperr err;
    if (version == OFP10_VERSION) {
        if ((err = of_match_decode_10(p + 4, &fs->match)))
            return err;
        fs->duration_sec = of_get32(p + 44);
        fs->duration_nsec = of_get32(p + 48);
        fs->priority = of_get16(p + 52);
        fs->idle_timeout = of_get16(p + 54);
        fs->hard_timeout = of_get16(p + 56);
        fs->cookie = of_get64(p + 64);
        fs->packet_count = of_get64(p + 72);
        fs->byte_count = of_get64(p + 80);
        fs->insts.apply = true;
        return of_actions_decode(version, p + 88, len - 88, &fs->insts.apply_actions);
    }
    fs->duration_sec = of_get32(p + 4);
    fs->duration_nsec = of_get32(p + 8);
    fs->priority = of_get16(p + 12);
    fs->idle_timeout = of_get16(p + 14);
    fs->hard_timeout = of_get16(p + 16);
    fs->flags = of_get16(p + 18);
    fs->cookie = of_get64(p + 24);
    fs->packet_count = of_get64(p + 32);
    fs->byte_count = of_get64(p + 40);
    size_t mlen;
    if ((err = of_match_decode_oxm(p + 48, len - 48, &fs->match, &mlen)))
        return err;
    return of_instructions_decode(p + 48 + mlen, len - 48 - mlen, &fs->insts);
}

static void decode_port_stats(uint8_t version, const uint8_t *p, struct of_port_stats *ps)
{
    memset(ps, 0, sizeof *ps);
    ps->port_no = version == OFP10_VERSION ? of_port_from_16(of_get16(p)) : of_get32(p);
    uint64_t *c[] = { &ps->rx_packets,  &ps->tx_packets,   &ps->rx_bytes,    &ps->tx_bytes,
                      &ps->rx_dropped,  &ps->tx_dropped,   &ps->rx_errors,   &ps->tx_errors,
                      &ps->rx_frame_err, &ps->rx_over_err, &ps->rx_crc_err, &ps->collisions };
    for (size_t i = 0; i < 12; i++)
        *c[i] = of_get64(p + 8 + i * 8);
    if (version != OFP10_VERSION) {
        ps->duration_sec = of_get32(p + 104);
        ps->duration_nsec = of_get32(p + 108);
    }
}

/* Allocates `n` entries of `size` for a reply's array (at least one, so that n == 0 is not an
 * allocation failure). */
static void *entries(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

static enum ofperr decode_flow_stats_reply(uint8_t version, const uint8_t *p, size_t len,
                                           struct of_multipart *mp)
{
    size_t max = len / (version == OFP10_VERSION ? 88 : 56);
    if (!(mp->flows = entries(max, sizeof *mp->flows)))
        return OFPERR_BAD_LEN;
    for (size_t at = 0; at < len;) {
        size_t used;
        enum ofperr err = decode_flow_stats(version, p + at, len - at, &mp->flows[mp->n], &used);
        if (err) {
            of_instructions_free(&mp->flows[mp->n].insts);
            return err;
        }
        mp->n++;
        at += used;
    }
    return OFPERR_NONE;
}

static enum ofperr decode_table_stats_reply(uint8_t version, const uint8_t *p, size_t len,
                                            struct of_multipart *mp)
{
    size_t size = version == OFP10_VERSION ? 64 : 24;
    if (len % size)
        return OFPERR_BAD_LEN;
    mp->n = len / size;
    if (!(mp->tables = entries(mp->n, sizeof *mp->tables)))
        return OFPERR_BAD_LEN;
    for (size_t i = 0; i < mp->n; i++) {
        const uint8_t *t = p + i * size;
        struct of_table_stats *ts = &mp->tables[i];
        ts->table_id = t[0];
        if (version == OFP10_VERSION) {
            ts->max_entries = of_get32(t + 40);
            ts->active_count = of_get32(t + 44);
            ts->lookup_count = of_get64(t + 48);
            ts->matched_count = of_get64(t + 56);
        } else {
            ts->active_count = of_get32(t + 4);
            ts->lookup_count = of_get64(t + 8);
            ts->matched_count = of_get64(t + 16);
        }
    }
    return OFPERR_NONE;
}

static enum ofperr decode_multipart_reply(uint8_t version, const uint8_t *p, size_t len,
                                          struct of_multipart *mp)
{
    size_t size;
    switch (mp->type) {
    case OFPMP_DESC:
        if (len != 1056)
            return OFPERR_BAD_LEN;
        copy_string(mp->desc.mfr, p, 256);
        copy_string(mp->desc.hw, p + 256, 256);
        copy_string(mp->desc.sw, p + 512, 256);
        copy_string(mp->desc.serial, p + 768, 32);
        copy_string(mp->desc.dp, p + 800, 256);
        return OFPERR_NONE;
    case OFPMP_FLOW:
        return decode_flow_stats_reply(version, p, len, mp);
    case OFPMP_AGGREGATE:
        if (len != 24)
            return OFPERR_BAD_LEN;
        mp->aggregate.packet_count = of_get64(p);
        mp->aggregate.byte_count = of_get64(p + 8);
        mp->aggregate.flow_count = of_get32(p + 16);
        return OFPERR_NONE;
    case OFPMP_TABLE:
        return decode_table_stats_reply(version, p, len, mp);
    case OFPMP_PORT_STATS:
        size = version == OFP10_VERSION ? 104 : 112;
        if (len % size)
            return OFPERR_BAD_LEN;
        mp->n = len / size;
        if (!(mp->ports = entries(mp->n, sizeof *mp->ports)))
            return OFPERR_BAD_LEN;
        for (size_t i = 0; i < mp->n; i++)
            decode_port_stats(version, p + i * size, &mp->ports[i]);
        return OFPERR_NONE;
    case OFPMP_PORT_DESC:
        if (version == OFP10_VERSION || len % 64)
            return OFPERR_BAD_LEN;
        mp->n = len / 64;
        if (!(mp->port_descs = entries(mp->n, sizeof *mp->port_descs)))
            return OFPERR_BAD_LEN;
        for (size_t i = 0; i < mp->n; i++)
            decode_port_13(p + i * 64, &mp->port_descs[i]);
        return OFPERR_NONE;
    default:
        return OFPERR_NONE;
    }
}

static void multipart_free(struct of_multipart *mp)
{
    for (size_t i = 0; mp->flows && i < mp->n; i++)
        of_instructions_free(&mp->flows[i].insts);
    free(mp->flows);
    free(mp->tables);
    free(mp->ports);
    free(mp->port_descs);
    mp->flows = NULL;
    mp->tables = NULL;
    mp->ports = NULL;
    mp->port_descs = NULL;
}

static enum ofperr decode_multipart(const uint8_t *p, size_t len, struct of_msg *msg)
{
    struct of_multipart *mp = &msg->mp;
    size_t fixed = msg->version == OFP10_VERSION ? 12 : 16;
    if (len < fixed)
        return OFPERR_BAD_LEN;
    mp->type = of_get16(p + 8);
    mp->flags = of_get16(p + 10);
    enum ofperr err = msg->type == OFM_MULTIPART_REQUEST
                          ? decode_multipart_request(msg->version, p + fixed, len - fixed, mp)
                          : decode_multipart_reply(msg->version, p + fixed, len - fixed, mp);
    if (err)
        multipart_free(mp);
    return err;
}

/* ---- The rest ---- */

static enum ofperr expect_len(size_t len, size_t want)
{
    return len == want ? OFPERR_NONE : OFPERR_BAD_LEN;
}

static enum ofperr decode_async(const uint8_t *p, size_t len, struct of_msg *msg)
{
    if (len != 32)
        return OFPERR_BAD_LEN;
    for (int i = 0; i < 2; i++) {
        msg->async.packet_in[i] = of_get32(p + 8 + 4 * i);
        msg->async.port_status[i] = of_get32(p + 16 + 4 * i);
        msg->async.flow_removed[i] = of_get32(p + 24 + 4 * i);
    }
    return OFPERR_NONE;
}

static enum ofperr decode_body(const uint8_t *p, size_t len, struct of_msg *msg)
{
    bool v10 = msg->version == OFP10_VERSION;
    switch (msg->type) {
    case OFM_HELLO:
        return decode_hello(p, len, msg);
    case OFM_ERROR:
        if (len < 12)
            return OFPERR_BAD_LEN;
        msg->error.type = of_get16(p + 8);
        msg->error.code = of_get16(p + 10);
        msg->error.err = ofperr_from_wire(msg->version, msg->error.type, msg->error.code);
        msg->error.data = p + 12;
        msg->error.len = len - 12;
        return OFPERR_NONE;
    case OFM_ECHO_REQUEST:
    case OFM_ECHO_REPLY:
        msg->echo.data = p + 8;
        msg->echo.len = len - 8;
        return OFPERR_NONE;
    case OFM_EXPERIMENTER:
        if (len < (v10 ? 12u : 16u))
            return OFPERR_BAD_LEN;
        msg->echo.experimenter = of_get32(p + 8);
        msg->echo.data = p + 8;
        msg->echo.len = len - 8;
        return OFPERR_NONE;
    case OFM_FEATURES_REQUEST:
    case OFM_GET_CONFIG_REQUEST:
    case OFM_BARRIER_REQUEST:
    case OFM_BARRIER_REPLY:
    case OFM_GET_ASYNC_REQUEST:
        return expect_len(len, 8);
    case OFM_FEATURES_REPLY:
        return decode_features_reply(p, len, msg);
    case OFM_GET_CONFIG_REPLY:
    case OFM_SET_CONFIG:
        if (len != 12)
            return OFPERR_BAD_LEN;
        msg->config.flags = of_get16(p + 8);
        msg->config.miss_send_len = of_get16(p + 10);
        return OFPERR_NONE;
    case OFM_PACKET_IN:
        return decode_packet_in(p, len, msg);
    case OFM_FLOW_REMOVED:
        return decode_flow_removed(p, len, msg);
    case OFM_PORT_STATUS:
        return decode_port_status(p, len, msg);
    case OFM_PACKET_OUT:
        return decode_packet_out(p, len, msg);
    case OFM_FLOW_MOD:
        return decode_flow_mod(p, len, msg);
    case OFM_PORT_MOD:
        return decode_port_mod(p, len, msg);
    case OFM_MULTIPART_REQUEST:
    case OFM_MULTIPART_REPLY:
        return decode_multipart(p, len, msg);
    case OFM_QUEUE_GET_CONFIG_REQUEST:
        if (len != (v10 ? 12u : 16u))
            return OFPERR_BAD_LEN;
        msg->mp.port_no = v10 ? of_port_from_16(of_get16(p + 8)) : of_get32(p + 8);
        return OFPERR_NONE;
    case OFM_ROLE_REQUEST:
    case OFM_ROLE_REPLY:
        if (len != 24)
            return OFPERR_BAD_LEN;
        msg->role.role = of_get32(p + 8);
        msg->role.generation_id = of_get64(p + 16);
        return OFPERR_NONE;
    case OFM_GET_ASYNC_REPLY:
    case OFM_SET_ASYNC:
        return decode_async(p, len, msg);
    case OFM_TABLE_MOD:
        return expect_len(len, 16);
    case OFM_GROUP_MOD:
    case OFM_METER_MOD:
    case OFM_QUEUE_GET_CONFIG_REPLY:
    default:
        /* No group or meter table here, and no queues: the receiver refuses these. */
        return OFPERR_NONE;
    }
}

enum ofperr of_msg_decode(const uint8_t *buf, size_t len, struct of_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    uint8_t version, wire;
    uint16_t length;
    if (!of_header_peek(buf, len, &version, &wire, &length, &msg->xid))
        return OFPERR_BAD_LEN;
    msg->version = version;
    msg->type = OFM_N_TYPES;
    if (length != len || length < OFP_HEADER_LEN)
        return OFPERR_BAD_LEN;
    if (wire == 0) {
        /* A hello is read whatever its version: it is how versions are agreed on. */
        msg->type = OFM_HELLO;
        return decode_hello(buf, len, msg);
    }
    if (version != OFP10_VERSION && version != OFP13_VERSION)
        return OFPERR_BAD_VERSION;
    if (!from_wire_type(version, wire, &msg->type)) {
        msg->type = OFM_N_TYPES;
        return OFPERR_BAD_TYPE;
    }
    enum ofperr err = decode_body(buf, len, msg);
    if (err) {
        enum ofm_type type = msg->type;
        uint32_t xid = msg->xid;
        memset(msg, 0, sizeof *msg);
        msg->version = version;
        msg->type = type;
        msg->xid = xid;
    }
    return err;
}

void of_msg_free(struct of_msg *msg)
{
    switch (msg->type) {
    case OFM_FEATURES_REPLY:
        free(msg->features.ports);
        msg->features.ports = NULL;
        break;
    case OFM_PACKET_OUT:
        of_actions_free(&msg->packet_out.actions);
        break;
    case OFM_FLOW_MOD:
        of_instructions_free(&msg->flow_mod.insts);
        break;
    case OFM_MULTIPART_REQUEST:
    case OFM_MULTIPART_REPLY:
        multipart_free(&msg->mp);
        break;
    default:
        break;
    }
}
