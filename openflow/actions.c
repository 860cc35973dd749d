/* Actions and instructions on the wire (OpenFlow 1.0 action lists, 1.3 actions and
 * instructions), and their checks against a match. */
#include <stdlib.h>
#include <string.h>

#include "openflow/codec.h"

/* OpenFlow 1.0 action types. */
enum {
    OFPAT10_OUTPUT = 0,
    OFPAT10_SET_VLAN_VID = 1,
    OFPAT10_SET_VLAN_PCP = 2,
    OFPAT10_STRIP_VLAN = 3,
    OFPAT10_SET_DL_SRC = 4,
    OFPAT10_SET_DL_DST = 5,
    OFPAT10_SET_NW_SRC = 6,
    OFPAT10_SET_NW_DST = 7,
    OFPAT10_SET_NW_TOS = 8,
    OFPAT10_SET_TP_SRC = 9,
    OFPAT10_SET_TP_DST = 10,
    OFPAT10_ENQUEUE = 11,
    OFPAT10_VENDOR = 0xffff,
};

/* OpenFlow 1.3 action types (those vsw does not do are refused as OFPBAC_BAD_TYPE). */
enum {
    OFPAT13_OUTPUT = 0,
    OFPAT13_PUSH_VLAN = 17,
    OFPAT13_POP_VLAN = 18,
    OFPAT13_SET_QUEUE = 21,
    OFPAT13_GROUP = 22,
    OFPAT13_SET_FIELD = 25,
    OFPAT13_EXPERIMENTER = 0xffff,
};

enum {
    OFPIT_GOTO_TABLE = 1,
    OFPIT_WRITE_METADATA = 2,
    OFPIT_WRITE_ACTIONS = 3,
    OFPIT_APPLY_ACTIONS = 4,
    OFPIT_CLEAR_ACTIONS = 5,
    OFPIT_METER = 6,
    OFPIT_EXPERIMENTER = 0xffff,
};

#define ETH_TYPE_VLAN 0x8100
#define ETH_TYPE_VLAN_8021AD 0x88a8

void of_actions_free(struct of_actions *acts)
{
    free(acts->a);
    acts->a = NULL;
    acts->n = 0;
}

void of_instructions_free(struct of_instructions *insts)
{
    of_actions_free(&insts->apply_actions);
    of_actions_free(&insts->write_actions);
}

/* ---- Decoding ---- */

static struct of_action *new_action(struct of_actions *acts, size_t cap, uint8_t type)
{
    if (acts->n >= cap)
        return NULL;
    struct of_action *a = &acts->a[acts->n++];
    memset(a, 0, sizeof *a);
    a->type = type;
    return a;
}

static void set_field_u32(struct of_action *a, enum mf_id id, uint32_t v, size_t len)
{
    a->type = OFA_SET_FIELD;
    a->field = (uint8_t)id;
    uint8_t be[4];
    of_put32(be, v);
    memcpy(a->value, be + 4 - len, len);
}

static enum ofperr check_output_port(uint32_t port)
{
    if (port == 0 || port == OFPP_ANY)
        return OFPERR_ACTION_BAD_OUT_PORT;
    if (port >= OFPP_MAX && port < OFPP_IN_PORT)
        return OFPERR_ACTION_BAD_OUT_PORT;
    return OFPERR_NONE;
}

static enum ofperr decode_action_10(const uint8_t *p, uint16_t type, uint16_t len,
                                    struct of_action *a)
{
    static const uint8_t lens[] = { 8, 8, 8, 8, 16, 16, 8, 8, 8, 8, 8, 16 };
    if (type == OFPAT10_VENDOR)
        return OFPERR_ACTION_BAD_EXPERIMENTER;
    if (type >= sizeof lens)
        return OFPERR_ACTION_BAD_TYPE;
    if (len != lens[type])
        return OFPERR_ACTION_BAD_LEN;
    switch (type) {
    case OFPAT10_OUTPUT:
        a->type = OFA_OUTPUT;
        a->port = of_port_from_16(of_get16(p + 4));
        a->max_len = of_get16(p + 6);
        return check_output_port(a->port);
    case OFPAT10_SET_VLAN_VID:
        a->type = OFA_SET_VLAN_VID;
        if (of_get16(p + 4) > 0xfff)
            return OFPERR_ACTION_BAD_ARGUMENT;
        memcpy(a->value, p + 4, 2);
        return OFPERR_NONE;
    case OFPAT10_SET_VLAN_PCP:
        a->type = OFA_SET_VLAN_PCP;
        if (p[4] > 7)
            return OFPERR_ACTION_BAD_ARGUMENT;
        a->value[0] = p[4];
        return OFPERR_NONE;
    case OFPAT10_STRIP_VLAN:
        a->type = OFA_POP_VLAN;
        return OFPERR_NONE;
    case OFPAT10_SET_DL_SRC:
    case OFPAT10_SET_DL_DST:
        a->type = OFA_SET_FIELD;
        a->field = type == OFPAT10_SET_DL_SRC ? MF_ETH_SRC : MF_ETH_DST;
        memcpy(a->value, p + 4, 6);
        return OFPERR_NONE;
    case OFPAT10_SET_NW_SRC:
    case OFPAT10_SET_NW_DST:
        set_field_u32(a, type == OFPAT10_SET_NW_SRC ? MF_IPV4_SRC : MF_IPV4_DST,
                      of_get32(p + 4), 4);
        return OFPERR_NONE;
    case OFPAT10_SET_NW_TOS:
        if (p[4] & 3)
            return OFPERR_ACTION_BAD_ARGUMENT;
        set_field_u32(a, MF_IP_DSCP, p[4] >> 2, 1);
        return OFPERR_NONE;
    case OFPAT10_SET_TP_SRC:
    case OFPAT10_SET_TP_DST:
        a->type = type == OFPAT10_SET_TP_SRC ? OFA_SET_TP_SRC : OFA_SET_TP_DST;
        memcpy(a->value, p + 4, 2);
        return OFPERR_NONE;
    default:   /* OFPAT10_ENQUEUE: vsw has no queues */
        return OFPERR_ACTION_BAD_QUEUE;
    }
}

/* The fields a set-field may write: what a packet carries, less the pipeline's own metadata,
 * the input port, and the two fields whose change would make a packet parse differently. */
static bool settable(const struct mf_field *f)
{
    return f->id != MF_IN_PORT && f->id != MF_METADATA && f->id != MF_ETH_TYPE &&
           f->id != MF_IP_PROTO;
}

static enum ofperr decode_set_field(const uint8_t *p, uint16_t len, struct of_action *a)
{
    if (len < 8 || len % 8)
        return OFPERR_ACTION_BAD_LEN;
    uint16_t oxm_class = of_get16(p + 4);
    unsigned field = p[6] >> 1;
    bool hasmask = p[6] & 1;
    size_t oxm_len = p[7];
    const struct mf_field *f = oxm_class == 0x8000 ? mf_from_id(field) : NULL;
    if (!f || !settable(f) || hasmask)
        return OFPERR_ACTION_BAD_SET_TYPE;
    if (oxm_len != f->len || 8 + oxm_len > len)
        return OFPERR_ACTION_BAD_SET_LEN;
    const uint8_t *value = p + 8;
    if (f->id == MF_VLAN_VID) {
        if (of_get16(value) & ~0x1fff)
            return OFPERR_ACTION_BAD_SET_ARGUMENT;
    } else if (!mf_value_ok(f, value)) {
        return OFPERR_ACTION_BAD_SET_ARGUMENT;
    }
    a->type = OFA_SET_FIELD;
    a->field = (uint8_t)f->id;
    memcpy(a->value, value, f->len);
    return OFPERR_NONE;
}

static enum ofperr decode_action_13(const uint8_t *p, uint16_t type, uint16_t len,
                                    struct of_action *a)
{
    switch (type) {
    case OFPAT13_OUTPUT:
        if (len != 16)
            return OFPERR_ACTION_BAD_LEN;
        a->type = OFA_OUTPUT;
        a->port = of_get32(p + 4);
        a->max_len = of_get16(p + 8);
        return check_output_port(a->port);
    case OFPAT13_PUSH_VLAN:
        if (len != 8)
            return OFPERR_ACTION_BAD_LEN;
        a->type = OFA_PUSH_VLAN;
        a->ethertype = of_get16(p + 4);
        if (a->ethertype != ETH_TYPE_VLAN && a->ethertype != ETH_TYPE_VLAN_8021AD)
            return OFPERR_ACTION_BAD_ARGUMENT;
        return OFPERR_NONE;
    case OFPAT13_POP_VLAN:
        if (len != 8)
            return OFPERR_ACTION_BAD_LEN;
        a->type = OFA_POP_VLAN;
        return OFPERR_NONE;
    case OFPAT13_SET_FIELD:
        return decode_set_field(p, len, a);
    case OFPAT13_SET_QUEUE:
        return OFPERR_ACTION_BAD_QUEUE;
    case OFPAT13_GROUP:
        return OFPERR_ACTION_BAD_OUT_GROUP;   /* vsw has no group table */
    case OFPAT13_EXPERIMENTER:
        return OFPERR_ACTION_BAD_EXPERIMENTER;
    default:
        return OFPERR_ACTION_BAD_TYPE;
    }
}

enum ofperr of_actions_decode(uint8_t version, const uint8_t *p, size_t len,
                              struct of_actions *acts)
{
    acts->n = 0;
    acts->a = NULL;
    if (len % 8)
        return OFPERR_ACTION_BAD_LEN;
    size_t cap = len / 8;   /* every action takes at least 8 bytes */
    if (cap > OF_MAX_ACTIONS)
        return OFPERR_ACTION_TOO_MANY;
    if (cap && !(acts->a = malloc(cap * sizeof *acts->a)))
        return OFPERR_ACTION_TOO_MANY;
    for (size_t at = 0; at < len;) {
        if (len - at < 8) {
            of_actions_free(acts);
            return OFPERR_ACTION_BAD_LEN;
        }
        uint16_t type = of_get16(p + at), alen = of_get16(p + at + 2);
        enum ofperr err = OFPERR_NONE;
        if (alen < 8 || alen % 8 || alen > len - at)
            err = OFPERR_ACTION_BAD_LEN;
        struct of_action *a = err ? NULL : new_action(acts, cap, 0);
        if (!err)
            err = version == OFP10_VERSION ? decode_action_10(p + at, type, alen, a)
                                           : decode_action_13(p + at, type, alen, a);
        if (err) {
            of_actions_free(acts);
            return err;
        }
        at += alen;
    }
    return OFPERR_NONE;
}

static enum ofperr decode_action_list_inst(const uint8_t *p, uint16_t len, bool *present,
                                           struct of_actions *acts)
{
    if (*present)
        return OFPERR_INST_DUP;
    *present = true;
    return of_actions_decode(OFP13_VERSION, p + 8, len - 8u, acts);
}

static enum ofperr decode_instruction(const uint8_t *p, uint16_t type, uint16_t len,
                                      struct of_instructions *insts)
{
    switch (type) {
    case OFPIT_GOTO_TABLE:
        if (len != 8)
            return OFPERR_INST_BAD_LEN;
        if (insts->goto_table)
            return OFPERR_INST_DUP;
        insts->goto_table = true;
        insts->table_id = p[4];
        return insts->table_id < OF_N_TABLES ? OFPERR_NONE : OFPERR_INST_BAD_TABLE_ID;
    case OFPIT_WRITE_METADATA:
        if (len != 24)
            return OFPERR_INST_BAD_LEN;
        if (insts->write_metadata)
            return OFPERR_INST_DUP;
        insts->write_metadata = true;
        insts->metadata = of_get64(p + 8);
        insts->metadata_mask = of_get64(p + 16);
        return OFPERR_NONE;
    case OFPIT_WRITE_ACTIONS:
        return decode_action_list_inst(p, len, &insts->write, &insts->write_actions);
    case OFPIT_APPLY_ACTIONS:
        return decode_action_list_inst(p, len, &insts->apply, &insts->apply_actions);
    case OFPIT_CLEAR_ACTIONS:
        if (len != 8)
            return OFPERR_INST_BAD_LEN;
        if (insts->clear_actions)
            return OFPERR_INST_DUP;
        insts->clear_actions = true;
        return OFPERR_NONE;
    case OFPIT_METER:
    case OFPIT_EXPERIMENTER:
        return OFPERR_INST_UNSUPPORTED;
    default:
        return OFPERR_INST_UNKNOWN;
    }
}

enum ofperr of_instructions_decode(const uint8_t *p, size_t len, struct of_instructions *insts)
{
    memset(insts, 0, sizeof *insts);
    for (size_t at = 0; at < len;) {
        enum ofperr err = OFPERR_NONE;
        if (len - at < 8)
            err = OFPERR_INST_BAD_LEN;
        uint16_t type = err ? 0 : of_get16(p + at), ilen = err ? 0 : of_get16(p + at + 2);
        if (!err && (ilen < 8 || ilen % 8 || ilen > len - at))
            err = OFPERR_INST_BAD_LEN;
        if (!err)
            err = decode_instruction(p + at, type, ilen, insts);
        if (err) {
            of_instructions_free(insts);
            return err;
        }
        at += ilen;
    }
    return OFPERR_NONE;
}

/* ---- Checks ---- */

/* What an action list knows of the packet's VLAN tag at each point. */
enum vlan_known { VLAN_UNKNOWN, VLAN_TAGGED, VLAN_UNTAGGED };

static enum vlan_known vlan_from_match(const struct of_match *m)
{
    if (!of_match_has(m, MF_VLAN_VID) || !(of_match_mask(m, MF_VLAN_VID) & OFPVID_PRESENT))
        return VLAN_UNKNOWN;
    return of_match_value(m, MF_VLAN_VID) & OFPVID_PRESENT ? VLAN_TAGGED : VLAN_UNTAGGED;
}

static enum ofperr resolve_tp(struct of_action *a, const struct of_match *match)
{
    bool src = a->type == OFA_SET_TP_SRC;
    enum mf_id id;
    if (of_match_prereq_ok(match, MFP_TCP))
        id = src ? MF_TCP_SRC : MF_TCP_DST;
    else if (of_match_prereq_ok(match, MFP_UDP))
        id = src ? MF_UDP_SRC : MF_UDP_DST;
    else if (of_match_prereq_ok(match, MFP_SCTP))
        id = src ? MF_SCTP_SRC : MF_SCTP_DST;
    else
        return OFPERR_ACTION_MATCH_INCONSISTENT;
    a->type = OFA_SET_FIELD;
    a->field = (uint8_t)id;
    return OFPERR_NONE;
}

static enum ofperr check_set_field(const struct of_action *a, const struct of_match *match,
                                   enum vlan_known vlan)
{
    const struct mf_field *f = mf_from_id(a->field);
    if (!f || !settable(f))
        return OFPERR_ACTION_BAD_SET_TYPE;
    if (f->prereq == MFP_VLAN || f->id == MF_VLAN_VID)
        return vlan == VLAN_TAGGED ? OFPERR_NONE : OFPERR_ACTION_MATCH_INCONSISTENT;
    return of_match_prereq_ok(match, f->prereq) ? OFPERR_NONE
                                                 : OFPERR_ACTION_MATCH_INCONSISTENT;
}

static bool output_port_ok(uint32_t port, bool packet_out)
{
    if (check_output_port(port))
        return false;
    return port != OFPP_TABLE || packet_out;
}

enum ofperr of_actions_check(struct of_actions *acts, const struct of_match *match,
                             bool packet_out)
{
    enum vlan_known vlan = vlan_from_match(match);
    for (size_t i = 0; i < acts->n; i++) {
        struct of_action *a = &acts->a[i];
        enum ofperr err = OFPERR_NONE;
        switch (a->type) {
        case OFA_OUTPUT:
            err = output_port_ok(a->port, packet_out) ? OFPERR_NONE
                                                      : OFPERR_ACTION_BAD_OUT_PORT;
            break;
        case OFA_SET_TP_SRC:
        case OFA_SET_TP_DST:
            err = resolve_tp(a, match);
            break;
        case OFA_SET_FIELD:
            err = check_set_field(a, match, vlan);
            break;
        case OFA_SET_VLAN_VID:
        case OFA_SET_VLAN_PCP:
            a->flow_has_vlan = vlan == VLAN_TAGGED;
            vlan = VLAN_TAGGED;
            break;
        case OFA_PUSH_VLAN:
            vlan = VLAN_TAGGED;
            break;
        case OFA_POP_VLAN:
            vlan = vlan == VLAN_TAGGED ? VLAN_UNKNOWN : vlan;
            break;
        default:
            err = OFPERR_ACTION_BAD_TYPE;
        }
        if (err)
            return err;
    }
    return OFPERR_NONE;
}

enum ofperr of_instructions_check(struct of_instructions *insts, const struct of_match *match,
                                  bool packet_out)
{
    enum ofperr err = of_actions_check(&insts->apply_actions, match, packet_out);
    return err ? err : of_actions_check(&insts->write_actions, match, packet_out);
}

static bool actions_output_to(const struct of_actions *acts, uint32_t port)
{
    for (size_t i = 0; i < acts->n; i++) {
        if (acts->a[i].type == OFA_OUTPUT && acts->a[i].port == port)
            return true;
    }
    return false;
}

bool of_instructions_output_to(const struct of_instructions *insts, uint32_t port)
{
    return port == OFPP_ANY || actions_output_to(&insts->apply_actions, port) ||
           actions_output_to(&insts->write_actions, port);
}

/* ---- Encoding ---- */

static uint8_t *put_action(struct ofbuf *b, uint16_t type, uint16_t len)
{
    uint8_t *p = ofbuf_put(b, len);
    if (p) {
        of_put16(p, type);
        of_put16(p + 2, len);
    }
    return p;
}

static void encode_set_field_10(struct ofbuf *b, const struct of_action *a)
{
    const struct mf_field *f = mf_from_id(a->field);
    uint8_t *p;
    switch (a->field) {
    case MF_ETH_SRC:
    case MF_ETH_DST:
        if ((p = put_action(b, a->field == MF_ETH_SRC ? OFPAT10_SET_DL_SRC : OFPAT10_SET_DL_DST,
                            16)))
            memcpy(p + 4, a->value, 6);
        return;
    case MF_IPV4_SRC:
    case MF_IPV4_DST:
        if ((p = put_action(b, a->field == MF_IPV4_SRC ? OFPAT10_SET_NW_SRC : OFPAT10_SET_NW_DST,
                            8)))
            memcpy(p + 4, a->value, 4);
        return;
    case MF_IP_DSCP:
        if ((p = put_action(b, OFPAT10_SET_NW_TOS, 8)))
            p[4] = (uint8_t)(a->value[0] << 2);
        return;
    case MF_VLAN_VID:
        if ((p = put_action(b, OFPAT10_SET_VLAN_VID, 8)))
            of_put16(p + 4, of_get16(a->value) & 0xfff);
        return;
    case MF_VLAN_PCP:
        if ((p = put_action(b, OFPAT10_SET_VLAN_PCP, 8)))
            p[4] = a->value[0];
        return;
    default:
        break;
    }
    if (f && (f->prereq == MFP_TCP || f->prereq == MFP_UDP || f->prereq == MFP_SCTP)) {
        bool src = a->field == MF_TCP_SRC || a->field == MF_UDP_SRC || a->field == MF_SCTP_SRC;
        if ((p = put_action(b, src ? OFPAT10_SET_TP_SRC : OFPAT10_SET_TP_DST, 8)))
            memcpy(p + 4, a->value, 2);
    }
    /* Anything else (IPv6, ARP fields...) has no 1.0 action: left out. */
}

static void encode_action_10(struct ofbuf *b, const struct of_action *a)
{
    uint8_t *p;
    switch (a->type) {
    case OFA_OUTPUT:
        if ((p = put_action(b, OFPAT10_OUTPUT, 8))) {
            of_put16(p + 4, of_port_to_16(a->port));
            of_put16(p + 6, a->max_len);
        }
        break;
    case OFA_SET_FIELD:
        encode_set_field_10(b, a);
        break;
    case OFA_SET_VLAN_VID:
        if ((p = put_action(b, OFPAT10_SET_VLAN_VID, 8)))
            memcpy(p + 4, a->value, 2);
        break;
    case OFA_SET_VLAN_PCP:
        if ((p = put_action(b, OFPAT10_SET_VLAN_PCP, 8)))
            p[4] = a->value[0];
        break;
    case OFA_POP_VLAN:
        put_action(b, OFPAT10_STRIP_VLAN, 8);
        break;
    case OFA_SET_TP_SRC:
    case OFA_SET_TP_DST:
        if ((p = put_action(b, a->type == OFA_SET_TP_SRC ? OFPAT10_SET_TP_SRC
                                                          : OFPAT10_SET_TP_DST, 8)))
            memcpy(p + 4, a->value, 2);
        break;
    default:   /* push_vlan: 1.0 has none */
        break;
    }
}

static void encode_set_field_13(struct ofbuf *b, enum mf_id id, const uint8_t *value)
{
    const struct mf_field *f = mf_from_id(id);
    if (!f)
        return;
    size_t start = b->len;
    if (!put_action(b, OFPAT13_SET_FIELD, 4))
        return;
    of_oxm_put_field(b, f, value, NULL);
    size_t len = b->len - start, padded = (len + 7) / 8 * 8;
    if (padded > len && !ofbuf_put(b, padded - len))
        return;
    if (!b->oom)
        of_put16(b->data + start + 2, (uint16_t)padded);
}

static void encode_action_13(struct ofbuf *b, const struct of_action *a)
{
    uint8_t *p;
    uint8_t v[2];
    switch (a->type) {
    case OFA_OUTPUT:
        if ((p = put_action(b, OFPAT13_OUTPUT, 16))) {
            of_put32(p + 4, a->port);
            of_put16(p + 8, a->max_len);
        }
        break;
    case OFA_SET_FIELD:
        encode_set_field_13(b, a->field, a->value);
        break;
    case OFA_SET_VLAN_VID:
    case OFA_SET_VLAN_PCP:
        /* 1.0's "set, pushing a tag if there is none" is 1.3's push_vlan and set-field. */
        if (!a->flow_has_vlan && (p = put_action(b, OFPAT13_PUSH_VLAN, 8)))
            of_put16(p + 4, ETH_TYPE_VLAN);
        of_put16(v, (uint16_t)(OFPVID_PRESENT | of_get16(a->value)));
        if (a->type == OFA_SET_VLAN_VID)
            encode_set_field_13(b, MF_VLAN_VID, v);
        else
            encode_set_field_13(b, MF_VLAN_PCP, a->value);
        break;
    case OFA_PUSH_VLAN:
        if ((p = put_action(b, OFPAT13_PUSH_VLAN, 8)))
            of_put16(p + 4, a->ethertype);
        break;
    case OFA_POP_VLAN:
        put_action(b, OFPAT13_POP_VLAN, 8);
        break;
    default:   /* an unresolved set_tp_*: never after of_instructions_check() */
        break;
    }
}

void of_actions_encode(struct ofbuf *b, uint8_t version, const struct of_actions *acts)
{
    for (size_t i = 0; i < acts->n; i++) {
        if (version == OFP10_VERSION)
            encode_action_10(b, &acts->a[i]);
        else
            encode_action_13(b, &acts->a[i]);
    }
}

static void encode_action_list_inst(struct ofbuf *b, uint16_t type,
                                    const struct of_actions *acts)
{
    size_t start = b->len;
    if (!put_action(b, type, 8))
        return;
    of_actions_encode(b, OFP13_VERSION, acts);
    if (!b->oom)
        of_put16(b->data + start + 2, (uint16_t)(b->len - start));
}

void of_instructions_encode(struct ofbuf *b, uint8_t version,
                            const struct of_instructions *insts)
{
    if (version == OFP10_VERSION) {
        of_actions_encode(b, version, &insts->apply_actions);
        return;
    }
    uint8_t *p;
    if (insts->apply)
        encode_action_list_inst(b, OFPIT_APPLY_ACTIONS, &insts->apply_actions);
    if (insts->clear_actions)
        put_action(b, OFPIT_CLEAR_ACTIONS, 8);
    if (insts->write)
        encode_action_list_inst(b, OFPIT_WRITE_ACTIONS, &insts->write_actions);
    if (insts->write_metadata && (p = put_action(b, OFPIT_WRITE_METADATA, 24))) {
        of_put64(p + 8, insts->metadata);
        of_put64(p + 16, insts->metadata_mask);
    }
    if (insts->goto_table && (p = put_action(b, OFPIT_GOTO_TABLE, 8)))
        p[4] = insts->table_id;
}
