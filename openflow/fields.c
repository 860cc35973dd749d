#include "openflow/fields.h"

#include <string.h>

#define ETH_TYPE_IP 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_IPV6 0x86dd

/* One line a field; offsets pack the value array (see MF_VALUE_BYTES). */
static const struct mf_field fields[] = {
    { MF_IN_PORT, "in_port", NULL, 4, 0, false, MFP_NONE, MFF_PORT, 0 },
    { MF_METADATA, "metadata", NULL, 8, 8, true, MFP_NONE, MFF_HEX, 0 },
    { MF_ETH_DST, "eth_dst", "dl_dst", 6, 16, true, MFP_NONE, MFF_ETHERNET, 0 },
    { MF_ETH_SRC, "eth_src", "dl_src", 6, 22, true, MFP_NONE, MFF_ETHERNET, 0 },
    { MF_ETH_TYPE, "eth_type", "dl_type", 2, 28, false, MFP_NONE, MFF_HEX, 0 },
    { MF_VLAN_VID, "vlan_vid", NULL, 2, 30, true, MFP_NONE, MFF_DECIMAL, 0x1fff },
    { MF_VLAN_PCP, "vlan_pcp", "dl_vlan_pcp", 1, 32, false, MFP_VLAN, MFF_DECIMAL, 7 },
    { MF_IP_DSCP, "ip_dscp", NULL, 1, 33, false, MFP_IP_ANY, MFF_DECIMAL, 63 },
    { MF_IP_ECN, "ip_ecn", "nw_ecn", 1, 34, false, MFP_IP_ANY, MFF_DECIMAL, 3 },
    { MF_IP_PROTO, "ip_proto", "nw_proto", 1, 35, false, MFP_IP_ANY, MFF_DECIMAL, 0 },
    { MF_IPV4_SRC, "ipv4_src", "nw_src", 4, 36, true, MFP_IPV4, MFF_IPV4, 0 },
    { MF_IPV4_DST, "ipv4_dst", "nw_dst", 4, 40, true, MFP_IPV4, MFF_IPV4, 0 },
    { MF_TCP_SRC, "tcp_src", "tp_src", 2, 44, true, MFP_TCP, MFF_DECIMAL, 0 },
    { MF_TCP_DST, "tcp_dst", "tp_dst", 2, 46, true, MFP_TCP, MFF_DECIMAL, 0 },
    { MF_UDP_SRC, "udp_src", "tp_src", 2, 48, true, MFP_UDP, MFF_DECIMAL, 0 },
    { MF_UDP_DST, "udp_dst", "tp_dst", 2, 50, true, MFP_UDP, MFF_DECIMAL, 0 },
    { MF_SCTP_SRC, "sctp_src", "tp_src", 2, 52, true, MFP_SCTP, MFF_DECIMAL, 0 },
    { MF_SCTP_DST, "sctp_dst", "tp_dst", 2, 54, true, MFP_SCTP, MFF_DECIMAL, 0 },
    { MF_ICMPV4_TYPE, "icmp_type", NULL, 1, 56, false, MFP_ICMPV4, MFF_DECIMAL, 0 },
    { MF_ICMPV4_CODE, "icmp_code", NULL, 1, 57, false, MFP_ICMPV4, MFF_DECIMAL, 0 },
    { MF_ARP_OP, "arp_op", NULL, 2, 58, false, MFP_ARP, MFF_DECIMAL, 0 },
    { MF_ARP_SPA, "arp_spa", NULL, 4, 60, true, MFP_ARP, MFF_IPV4, 0 },
    { MF_ARP_TPA, "arp_tpa", NULL, 4, 64, true, MFP_ARP, MFF_IPV4, 0 },
    { MF_ARP_SHA, "arp_sha", NULL, 6, 68, true, MFP_ARP, MFF_ETHERNET, 0 },
    { MF_ARP_THA, "arp_tha", NULL, 6, 74, true, MFP_ARP, MFF_ETHERNET, 0 },
    { MF_IPV6_SRC, "ipv6_src", NULL, 16, 80, true, MFP_IPV6, MFF_IPV6, 0 },
    { MF_IPV6_DST, "ipv6_dst", NULL, 16, 96, true, MFP_IPV6, MFF_IPV6, 0 },
    { MF_IPV6_FLABEL, "ipv6_label", NULL, 4, 112, true, MFP_IPV6, MFF_HEX, 0xfffff },
    { MF_ICMPV6_TYPE, "icmpv6_type", NULL, 1, 116, false, MFP_ICMPV6, MFF_DECIMAL, 0 },
    { MF_ICMPV6_CODE, "icmpv6_code", NULL, 1, 117, false, MFP_ICMPV6, MFF_DECIMAL, 0 },
    { MF_IPV6_ND_TARGET, "nd_target", NULL, 16, 118, true, MFP_ND, MFF_IPV6, 0 },
    { MF_IPV6_ND_SLL, "nd_sll", NULL, 6, 134, true, MFP_ND_SOLICIT, MFF_ETHERNET, 0 },
    { MF_IPV6_ND_TLL, "nd_tll", NULL, 6, 140, true, MFP_ND_ADVERT, MFF_ETHERNET, 0 },
};

#define N_FIELDS (sizeof fields / sizeof fields[0])

const struct mf_field *mf_from_id(unsigned id)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (fields[i].id == id)
            return &fields[i];
    }
    return NULL;
}

const struct mf_field *mf_from_name(const char *name)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (!strcmp(fields[i].name, name))
            return &fields[i];
    }
    /* OpenFlow 1.0 names: tp_src and tp_dst are resolved by the flow syntax, which knows the
     * protocol; here they name TCP's. */
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (fields[i].of10_name && !strcmp(fields[i].of10_name, name))
            return &fields[i];
    }
    return NULL;
}

void of_match_init(struct of_match *m)
{
    memset(m, 0, sizeof *m);
}

bool of_match_has(const struct of_match *m, enum mf_id id)
{
    return (unsigned)id < 64 && (m->present >> id) & 1;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i])
            return false;
    }
    return true;
}

/* The bits a field uses: its declared maximum, or every bit of its bytes. */
static void field_full_mask(const struct mf_field *f, uint8_t *mask)
{
    memset(mask, 0xff, f->len);
    if (!f->max)
        return;
    uint64_t max = f->max;
    for (int i = f->len - 1; i >= 0; i--) {
        mask[i] = (uint8_t)max;
        max >>= 8;
    }
}

void of_match_clear(struct of_match *m, enum mf_id id)
{
    const struct mf_field *f = mf_from_id(id);
    if (!f)
        return;
    memset(m->value + f->offset, 0, f->len);
    memset(m->mask + f->offset, 0, f->len);
    m->present &= ~(1ull << id);
}

void of_match_set(struct of_match *m, enum mf_id id, const void *value, const void *mask)
{
    const struct mf_field *f = mf_from_id(id);
    if (!f)
        return;
    const uint8_t *v = value, *k = mask;
    if (k && all_zero(k, f->len)) {
        of_match_clear(m, id);
        return;
    }
    /* Bits beyond the field's width (a VID's upper 3) are never matched. */
    uint8_t full[16];
    field_full_mask(f, full);
    for (size_t i = 0; i < f->len; i++) {
        uint8_t bits = (k ? k[i] : 0xff) & full[i];
        m->mask[f->offset + i] = bits;
        m->value[f->offset + i] = v[i] & bits;
    }
    m->present |= 1ull << id;
}

void of_match_set_exact_u8(struct of_match *m, enum mf_id id, uint8_t v)
{
    of_match_set(m, id, &v, NULL);
}

void of_match_set_exact_u16(struct of_match *m, enum mf_id id, uint16_t v)
{
    uint8_t be[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    of_match_set(m, id, be, NULL);
}

void of_match_set_exact_u32(struct of_match *m, enum mf_id id, uint32_t v)
{
    uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    of_match_set(m, id, be, NULL);
}

static uint64_t read_number(const uint8_t *p, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len && i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

uint64_t of_match_value(const struct of_match *m, enum mf_id id)
{
    const struct mf_field *f = mf_from_id(id);
    return f ? read_number(m->value + f->offset, f->len) : 0;
}

uint64_t of_match_mask(const struct of_match *m, enum mf_id id)
{
    const struct mf_field *f = mf_from_id(id);
    return f ? read_number(m->mask + f->offset, f->len) : 0;
}

bool of_mask_is_exact(const struct mf_field *f, const uint8_t *mask)
{
    uint8_t full[16];
    field_full_mask(f, full);
    for (size_t i = 0; i < f->len; i++) {
        if ((mask[i] & full[i]) != full[i])
            return false;
    }
    return true;
}

bool of_match_is_exact(const struct of_match *m, enum mf_id id)
{
    const struct mf_field *f = mf_from_id(id);
    return f && of_match_has(m, id) && of_mask_is_exact(f, m->mask + f->offset);
}

bool mf_value_ok(const struct mf_field *f, const uint8_t *value)
{
    return !f->max || read_number(value, f->len) <= f->max;
}

static bool exact_equals(const struct of_match *m, enum mf_id id, uint64_t v)
{
    return of_match_is_exact(m, id) && of_match_value(m, id) == v;
}

static bool is_ip_any(const struct of_match *m)
{
    return exact_equals(m, MF_ETH_TYPE, ETH_TYPE_IP) || exact_equals(m, MF_ETH_TYPE, ETH_TYPE_IPV6);
}

bool of_match_prereq_ok(const struct of_match *m, enum mf_prereq p)
{
    switch (p) {
    case MFP_NONE:
        return true;
    case MFP_VLAN:
        /* The VID's "present" bit must be matched as 1. */
        return of_match_has(m, MF_VLAN_VID) &&
               (of_match_mask(m, MF_VLAN_VID) & OFPVID_PRESENT) &&
               (of_match_value(m, MF_VLAN_VID) & OFPVID_PRESENT);
    case MFP_ARP:
        return exact_equals(m, MF_ETH_TYPE, ETH_TYPE_ARP);
    case MFP_IPV4:
        return exact_equals(m, MF_ETH_TYPE, ETH_TYPE_IP);
    case MFP_IPV6:
        return exact_equals(m, MF_ETH_TYPE, ETH_TYPE_IPV6);
    case MFP_IP_ANY:
        return is_ip_any(m);
    case MFP_TCP:
        return is_ip_any(m) && exact_equals(m, MF_IP_PROTO, 6);
    case MFP_UDP:
        return is_ip_any(m) && exact_equals(m, MF_IP_PROTO, 17);
    case MFP_SCTP:
        return is_ip_any(m) && exact_equals(m, MF_IP_PROTO, 132);
    case MFP_ICMPV4:
        return exact_equals(m, MF_ETH_TYPE, ETH_TYPE_IP) && exact_equals(m, MF_IP_PROTO, 1);
    case MFP_ICMPV6:
        return exact_equals(m, MF_ETH_TYPE, ETH_TYPE_IPV6) && exact_equals(m, MF_IP_PROTO, 58);
    case MFP_ND:
        return of_match_prereq_ok(m, MFP_ICMPV6) && (exact_equals(m, MF_ICMPV6_TYPE, 135) ||
                                                    exact_equals(m, MF_ICMPV6_TYPE, 136));
    case MFP_ND_SOLICIT:
        return of_match_prereq_ok(m, MFP_ICMPV6) && exact_equals(m, MF_ICMPV6_TYPE, 135);
    case MFP_ND_ADVERT:
        return of_match_prereq_ok(m, MFP_ICMPV6) && exact_equals(m, MF_ICMPV6_TYPE, 136);
    }
    return false;
}

const char *mf_prereq_name(enum mf_prereq p)
{
    static const char *const names[] = {
        [MFP_NONE] = "nothing",
        [MFP_VLAN] = "a VLAN tag (vlan_vid with its present bit)",
        [MFP_ARP] = "arp (dl_type=0x0806)",
        [MFP_IPV4] = "ip (dl_type=0x0800)",
        [MFP_IPV6] = "ipv6 (dl_type=0x86dd)",
        [MFP_IP_ANY] = "ip or ipv6",
        [MFP_TCP] = "tcp or tcp6",
        [MFP_UDP] = "udp or udp6",
        [MFP_SCTP] = "sctp or sctp6",
        [MFP_ICMPV4] = "icmp",
        [MFP_ICMPV6] = "icmp6",
        [MFP_ND] = "icmp6 with icmpv6_type 135 or 136",
        [MFP_ND_SOLICIT] = "icmp6 with icmpv6_type 135",
        [MFP_ND_ADVERT] = "icmp6 with icmpv6_type 136",
    };
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

const struct mf_field *of_match_first_bad_prereq(const struct of_match *m)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (of_match_has(m, fields[i].id) && !of_match_prereq_ok(m, fields[i].prereq))
            return &fields[i];
    }
    return NULL;
}

bool of_match_normalize(struct of_match *m)
{
    bool changed = false;
    /* Removing a field can only invalidate fields that depend on it, which come later in the
     * table (ip_proto before ports, icmpv6_type before nd_*): one pass in order suffices. */
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (of_match_has(m, fields[i].id) && !of_match_prereq_ok(m, fields[i].prereq)) {
            of_match_clear(m, fields[i].id);
            changed = true;
        }
    }
    return changed;
}

bool of_match_equal(const struct of_match *a, const struct of_match *b)
{
    return a->present == b->present && !memcmp(a->value, b->value, sizeof a->value) &&
           !memcmp(a->mask, b->mask, sizeof a->mask);
}

bool of_match_covers(const struct of_match *wide, const struct of_match *narrow)
{
    for (size_t i = 0; i < MF_VALUE_BYTES; i++) {
        /* Every bit `wide` matches, `narrow` must match too, with the same value. */
        if ((wide->mask[i] & ~narrow->mask[i]) ||
            ((wide->value[i] ^ narrow->value[i]) & wide->mask[i]))
            return false;
    }
    return true;
}

bool of_match_overlaps(const struct of_match *a, const struct of_match *b)
{
    for (size_t i = 0; i < MF_VALUE_BYTES; i++) {
        if ((a->value[i] ^ b->value[i]) & a->mask[i] & b->mask[i])
            return false;
    }
    return true;
}
