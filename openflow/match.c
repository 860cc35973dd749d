/* Matches on the wire: OpenFlow 1.0's fixed 12-tuple and OpenFlow 1.3's OXM TLVs. */
#include <string.h>

#include "openflow/codec.h"

/* OpenFlow 1.0 wildcard bits. */
#define OFPFW10_IN_PORT (1u << 0)
#define OFPFW10_DL_VLAN (1u << 1)
#define OFPFW10_DL_SRC (1u << 2)
#define OFPFW10_DL_DST (1u << 3)
#define OFPFW10_DL_TYPE (1u << 4)
#define OFPFW10_NW_PROTO (1u << 5)
#define OFPFW10_TP_SRC (1u << 6)
#define OFPFW10_TP_DST (1u << 7)
#define OFPFW10_NW_SRC_SHIFT 8
#define OFPFW10_NW_DST_SHIFT 14
#define OFPFW10_NW_BITS_MASK 0x3fu
#define OFPFW10_DL_VLAN_PCP (1u << 20)
#define OFPFW10_NW_TOS (1u << 21)
#define OFPFW10_ALL ((1u << 22) - 1)
#define OFP10_VLAN_NONE 0xffff

#define OFPMT_OXM 1
#define OXM_CLASS_BASIC 0x8000

#define ETH_TYPE_IP 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_IPV6 0x86dd

/* ---- OpenFlow 1.0 ---- */

static void set_prefix(struct of_match *m, enum mf_id id, uint32_t addr, unsigned wild_bits)
{
    if (wild_bits >= 32)
        return;
    uint32_t mask = wild_bits ? ~0u << wild_bits : ~0u;
    uint8_t v[4], k[4];
    of_put32(v, addr);
    of_put32(k, mask);
    of_match_set(m, id, v, k);
}

static void decode_10_vlan(struct of_match *m, uint32_t w, uint16_t vlan, uint8_t pcp)
{
    uint8_t v[2], k[2];
    if (!(w & OFPFW10_DL_VLAN)) {
        of_put16(v, vlan == OFP10_VLAN_NONE ? OFPVID_NONE : (uint16_t)(OFPVID_PRESENT | vlan));
        of_put16(k, 0x1fff);
        of_match_set(m, MF_VLAN_VID, v, k);
        if (vlan == OFP10_VLAN_NONE)
            return;   /* no tag, so no priority to match */
    }
    if (w & OFPFW10_DL_VLAN_PCP)
        return;
    if (w & OFPFW10_DL_VLAN) {
        /* A priority without a VID: any tagged frame of that priority. */
        of_put16(v, OFPVID_PRESENT);
        of_put16(k, OFPVID_PRESENT);
        of_match_set(m, MF_VLAN_VID, v, k);
    }
    of_match_set_exact_u8(m, MF_VLAN_PCP, pcp);
}

/* Ports (or ICMP type and code) of the transport protocol `proto`. */
static void decode_10_transport(struct of_match *m, uint32_t w, uint8_t proto, const uint8_t *p)
{
    enum mf_id src, dst;
    switch (proto) {
    case 6:
        src = MF_TCP_SRC, dst = MF_TCP_DST;
        break;
    case 17:
        src = MF_UDP_SRC, dst = MF_UDP_DST;
        break;
    case 132:
        src = MF_SCTP_SRC, dst = MF_SCTP_DST;
        break;
    case 1:
        if (!(w & OFPFW10_TP_SRC))
            of_match_set_exact_u8(m, MF_ICMPV4_TYPE, (uint8_t)of_get16(p + 36));
        if (!(w & OFPFW10_TP_DST))
            of_match_set_exact_u8(m, MF_ICMPV4_CODE, (uint8_t)of_get16(p + 38));
        return;
    default:
        return;
    }
    if (!(w & OFPFW10_TP_SRC))
        of_match_set_exact_u16(m, src, of_get16(p + 36));
    if (!(w & OFPFW10_TP_DST))
        of_match_set_exact_u16(m, dst, of_get16(p + 38));
}

enum ofperr of_match_decode_10(const uint8_t *p, struct of_match *m)
{
    of_match_init(m);
    uint32_t w = of_get32(p) & OFPFW10_ALL;
    uint16_t vlan = of_get16(p + 18);
    if (!(w & OFPFW10_DL_VLAN) && vlan != OFP10_VLAN_NONE && vlan > 0xfff)
        return OFPERR_MATCH_BAD_VALUE;
    if (!(w & OFPFW10_IN_PORT))
        of_match_set_exact_u32(m, MF_IN_PORT, of_port_from_16(of_get16(p + 4)));
    if (!(w & OFPFW10_DL_SRC))
        of_match_set(m, MF_ETH_SRC, p + 6, NULL);
    if (!(w & OFPFW10_DL_DST))
        of_match_set(m, MF_ETH_DST, p + 12, NULL);
    decode_10_vlan(m, w, vlan, p[20] & 7);
    if (w & OFPFW10_DL_TYPE)
        return OFPERR_NONE;   /* nothing beyond L2 can be matched without a type */
    uint16_t type = of_get16(p + 22);
    of_match_set_exact_u16(m, MF_ETH_TYPE, type);
    unsigned src_bits = (w >> OFPFW10_NW_SRC_SHIFT) & OFPFW10_NW_BITS_MASK;
    unsigned dst_bits = (w >> OFPFW10_NW_DST_SHIFT) & OFPFW10_NW_BITS_MASK;
    if (type == ETH_TYPE_ARP) {
        if (!(w & OFPFW10_NW_PROTO))
            of_match_set_exact_u16(m, MF_ARP_OP, p[25]);
        set_prefix(m, MF_ARP_SPA, of_get32(p + 28), src_bits);
        set_prefix(m, MF_ARP_TPA, of_get32(p + 32), dst_bits);
        return OFPERR_NONE;
    }
    if (type != ETH_TYPE_IP)
        return OFPERR_NONE;
    if (!(w & OFPFW10_NW_TOS))
        of_match_set_exact_u8(m, MF_IP_DSCP, p[24] >> 2);
    set_prefix(m, MF_IPV4_SRC, of_get32(p + 28), src_bits);
    set_prefix(m, MF_IPV4_DST, of_get32(p + 32), dst_bits);
    if (w & OFPFW10_NW_PROTO)
        return OFPERR_NONE;
    of_match_set_exact_u8(m, MF_IP_PROTO, p[25]);
    decode_10_transport(m, w, p[25], p);
    return OFPERR_NONE;
}

/* The number of wildcarded low bits of a mask, if it is a prefix; else the longest prefix it
 * contains (1.0 can say nothing else). */
static unsigned wild_bits_of(uint32_t mask)
{
    unsigned bits = 0;
    while (bits < 32 && !(mask & (1u << bits)))
        bits++;
    return bits;
}

static void encode_10_addr(uint8_t *p, uint32_t *w, const struct of_match *m, enum mf_id id,
                           unsigned shift)
{
    if (!of_match_has(m, id))
        return;
    unsigned bits = wild_bits_of((uint32_t)of_match_mask(m, id));
    *w = (*w & ~(OFPFW10_NW_BITS_MASK << shift)) | (bits << shift);
    of_put32(p, (uint32_t)of_match_value(m, id));
}

static void encode_10_vlan(uint8_t *p, uint32_t *w, const struct of_match *m)
{
    if (of_match_has(m, MF_VLAN_VID)) {
        uint16_t vid = (uint16_t)of_match_value(m, MF_VLAN_VID);
        uint16_t mask = (uint16_t)of_match_mask(m, MF_VLAN_VID);
        if (mask == 0x1fff || mask == 0xffff) {
            *w &= ~OFPFW10_DL_VLAN;
            of_put16(p + 18, vid & OFPVID_PRESENT ? vid & 0xfff : OFP10_VLAN_NONE);
        }
    }
    if (of_match_has(m, MF_VLAN_PCP)) {
        *w &= ~OFPFW10_DL_VLAN_PCP;
        p[20] = (uint8_t)of_match_value(m, MF_VLAN_PCP);
    }
}

static void encode_10_port(uint8_t *p, uint32_t *w, const struct of_match *m, enum mf_id id,
                           uint32_t bit)
{
    if (!of_match_has(m, id))
        return;
    *w &= ~bit;
    of_put16(p, (uint16_t)of_match_value(m, id));
}

void of_match_encode_10(uint8_t *p, const struct of_match *m)
{
    memset(p, 0, OFP10_MATCH_LEN);
    uint32_t w = OFPFW10_ALL;
    if (of_match_has(m, MF_IN_PORT)) {
        w &= ~OFPFW10_IN_PORT;
        of_put16(p + 4, of_port_to_16((uint32_t)of_match_value(m, MF_IN_PORT)));
    }
    const struct mf_field *src = mf_from_id(MF_ETH_SRC), *dst = mf_from_id(MF_ETH_DST);
    if (of_match_is_exact(m, MF_ETH_SRC)) {
        w &= ~OFPFW10_DL_SRC;
        memcpy(p + 6, m->value + src->offset, 6);
    }
    if (of_match_is_exact(m, MF_ETH_DST)) {
        w &= ~OFPFW10_DL_DST;
        memcpy(p + 12, m->value + dst->offset, 6);
    }
    encode_10_vlan(p, &w, m);
    if (of_match_has(m, MF_ETH_TYPE)) {
        w &= ~OFPFW10_DL_TYPE;
        of_put16(p + 22, (uint16_t)of_match_value(m, MF_ETH_TYPE));
    }
    if (of_match_has(m, MF_IP_DSCP)) {
        w &= ~OFPFW10_NW_TOS;
        p[24] = (uint8_t)(of_match_value(m, MF_IP_DSCP) << 2);
    }
    if (of_match_has(m, MF_IP_PROTO) || of_match_has(m, MF_ARP_OP)) {
        w &= ~OFPFW10_NW_PROTO;
        p[25] = (uint8_t)(of_match_value(m, MF_IP_PROTO) | of_match_value(m, MF_ARP_OP));
    }
    encode_10_addr(p + 28, &w, m, of_match_has(m, MF_ARP_SPA) ? MF_ARP_SPA : MF_IPV4_SRC,
                   OFPFW10_NW_SRC_SHIFT);
    encode_10_addr(p + 32, &w, m, of_match_has(m, MF_ARP_TPA) ? MF_ARP_TPA : MF_IPV4_DST,
                   OFPFW10_NW_DST_SHIFT);
    static const struct { enum mf_id id; unsigned at; uint32_t bit; } ports[] = {
        { MF_TCP_SRC, 36, OFPFW10_TP_SRC },     { MF_TCP_DST, 38, OFPFW10_TP_DST },
        { MF_UDP_SRC, 36, OFPFW10_TP_SRC },     { MF_UDP_DST, 38, OFPFW10_TP_DST },
        { MF_SCTP_SRC, 36, OFPFW10_TP_SRC },    { MF_SCTP_DST, 38, OFPFW10_TP_DST },
        { MF_ICMPV4_TYPE, 36, OFPFW10_TP_SRC }, { MF_ICMPV4_CODE, 38, OFPFW10_TP_DST },
    };
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        encode_10_port(p + ports[i].at, &w, m, ports[i].id, ports[i].bit);
    of_put32(p, w);
}

/* ---- OpenFlow 1.3 OXM ---- */

static bool vlan_vid_ok(const uint8_t *value, const uint8_t *mask)
{
    uint16_t v = of_get16(value), k = mask ? of_get16(mask) : 0x1fff;
    if (v & ~0x1fff)
        return false;
    /* A VID with the present bit matched as 0 describes no frame. */
    return !((k & OFPVID_PRESENT) && !(v & OFPVID_PRESENT) && (v & k & 0xfff));
}

static enum ofperr decode_one_oxm(const uint8_t *p, size_t avail, struct of_match *m,
                                  size_t *used)
{
    if (avail < 4)
        return OFPERR_MATCH_BAD_LEN;
    uint16_t oxm_class = of_get16(p);
    unsigned field = p[2] >> 1;
    bool hasmask = p[2] & 1;
    size_t len = p[3];
    if (4 + len > avail)
        return OFPERR_MATCH_BAD_LEN;
    *used = 4 + len;
    const struct mf_field *f = oxm_class == OXM_CLASS_BASIC ? mf_from_id(field) : NULL;
    if (!f)
        return OFPERR_MATCH_BAD_FIELD;
    if (len != (hasmask ? 2u : 1u) * f->len)
        return OFPERR_MATCH_BAD_LEN;
    if (hasmask && !f->maskable)
        return OFPERR_MATCH_BAD_MASK;
    if (of_match_has(m, f->id))
        return OFPERR_MATCH_DUP_FIELD;
    const uint8_t *value = p + 4, *mask = hasmask ? p + 4 + f->len : NULL;
    for (size_t i = 0; mask && i < f->len; i++) {
        if (value[i] & ~mask[i])
            return OFPERR_MATCH_BAD_WILDCARDS;
    }
    if (f->id == MF_VLAN_VID ? !vlan_vid_ok(value, mask) : !mf_value_ok(f, value))
        return OFPERR_MATCH_BAD_VALUE;
    of_match_set(m, f->id, value, mask);
    return OFPERR_NONE;
}

enum ofperr of_match_decode_oxm(const uint8_t *p, size_t avail, struct of_match *m,
                                size_t *consumed)
{
    of_match_init(m);
    if (avail < 4)
        return OFPERR_MATCH_BAD_LEN;
    uint16_t type = of_get16(p), length = of_get16(p + 2);
    if (type != OFPMT_OXM)
        return OFPERR_MATCH_BAD_TYPE;
    size_t padded = ((size_t)length + 7) / 8 * 8;
    if (length < 4 || padded > avail)
        return OFPERR_MATCH_BAD_LEN;
    for (size_t at = 4; at < length;) {
        size_t used;
        enum ofperr err = decode_one_oxm(p + at, length - at, m, &used);
        if (err)
            return err;
        at += used;
    }
    if (of_match_first_bad_prereq(m))
        return OFPERR_MATCH_BAD_PREREQ;
    *consumed = padded;
    return OFPERR_NONE;
}

void of_oxm_put_field(struct ofbuf *b, const struct mf_field *f, const uint8_t *value,
                      const uint8_t *mask)
{
    bool hasmask = mask && !of_mask_is_exact(f, mask);
    uint8_t *h = ofbuf_put(b, 4);
    if (!h)
        return;
    of_put16(h, OXM_CLASS_BASIC);
    h[2] = (uint8_t)(f->id << 1 | hasmask);
    h[3] = (uint8_t)(f->len * (hasmask ? 2 : 1));
    ofbuf_put_copy(b, value, f->len);
    if (hasmask)
        ofbuf_put_copy(b, mask, f->len);
}

size_t of_match_encode_oxm(struct ofbuf *b, const struct of_match *m)
{
    size_t start = b->len;
    if (!ofbuf_put(b, 4))
        return 0;
    for (unsigned id = 0; id < MF_N_IDS; id++) {
        const struct mf_field *f = mf_from_id(id);
        if (f && of_match_has(m, f->id))
            of_oxm_put_field(b, f, m->value + f->offset, m->mask + f->offset);
    }
    if (b->oom)
        return 0;
    size_t length = b->len - start;
    of_put16(b->data + start, OFPMT_OXM);
    of_put16(b->data + start + 2, (uint16_t)length);
    size_t pad = (8 - length % 8) % 8;
    if (pad && !ofbuf_put(b, pad))
        return 0;
    return b->len - start;
}
