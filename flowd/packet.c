#include "flowd/packet.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static uint16_t read_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t read_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- L3 and L4 ---- */

/* Ports, or ICMP type and code, of the L4 header at `l4` (`len` bytes left). */
static void extract_l4(struct flow_key *key, const uint8_t *l4, size_t len)
{
    switch (key->nw_proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_SCTP:
        if (len >= 4) {
            key->tp_src = read_be16(l4);
            key->tp_dst = read_be16(l4 + 2);
        }
        return;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        if (len >= 4) {
            key->tp_src = l4[0];
            key->tp_dst = l4[1];
        }
        return;
    default:
        return;
    }
}

static void extract_ipv4(struct flow_key *key, const uint8_t *ip, size_t len)
{
    size_t ihl = len ? (size_t)(ip[0] & 0x0f) * 4 : 0;
    if (len < 20 || (ip[0] >> 4) != 4 || ihl < 20 || ihl > len)
        return;
    key->nw_tos = ip[1];
    key->nw_proto = ip[9];
    key->nw_src = read_be32(ip + 12);
    key->nw_dst = read_be32(ip + 16);
    uint16_t frag = read_be16(ip + 6);
    if (frag & 0x3fff) {                 /* more fragments, or an offset */
        key->nw_frag = FLOW_FRAG_ANY;
        if (frag & 0x1fff) {
            key->nw_frag |= FLOW_FRAG_LATER;
            return;
        }
    }
    extract_l4(key, ip + ihl, len - ihl);
}

/* Neighbour discovery's target address and link-layer address option. */
static void extract_nd(struct flow_key *key, const uint8_t *icmp, size_t len)
{
    if (key->tp_dst != 0 || len < 24)
        return;
    memcpy(key->nd_target, icmp + 8, 16);
    for (size_t at = 24; at + 8 <= len;) {
        size_t opt_len = (size_t)icmp[at + 1] * 8;
        if (opt_len == 0 || at + opt_len > len)
            return;
        uint8_t type = icmp[at];
        if (type == 1 && key->tp_src == ND_NEIGHBOR_SOLICIT && opt_len == 8)
            memcpy(key->arp_sha, icmp + at + 2, ETH_ADDR_LEN);
        else if (type == 2 && key->tp_src == ND_NEIGHBOR_ADVERT && opt_len == 8)
            memcpy(key->arp_tha, icmp + at + 2, ETH_ADDR_LEN);
        at += opt_len;
    }
}

/* Walks IPv6 extension headers to the upper layer; returns its offset, or 0. */
static size_t ipv6_upper_layer(struct flow_key *key, const uint8_t *ip, size_t len, uint8_t *next)
{
    size_t at = 40;
    for (int hops = 0; hops < 8; hops++) {
        switch (*next) {
        case IPPROTO_HOPOPTS:
        case IPPROTO_ROUTING:
        case IPPROTO_DSTOPTS:
            if (at + 8 > len)
                return 0;
            *next = ip[at];
            at += ((size_t)ip[at + 1] + 1) * 8;
            break;
        case IPPROTO_FRAGMENT:
            if (at + 8 > len)
                return 0;
            key->nw_frag = FLOW_FRAG_ANY;
            if (read_be16(ip + at + 2) & 0xfff8)
                key->nw_frag |= FLOW_FRAG_LATER;
            *next = ip[at];
            at += 8;
            break;
        default:
            return at <= len ? at : 0;
        }
    }
    return 0;
}

static void extract_ipv6(struct flow_key *key, const uint8_t *ip, size_t len)
{
    if (len < 40 || (ip[0] >> 4) != 6)
        return;
    uint32_t first = read_be32(ip);
    key->nw_tos = (uint8_t)(first >> 20);
    key->ipv6_label = first & 0xfffff;
    memcpy(key->ipv6_src, ip + 8, 16);
    memcpy(key->ipv6_dst, ip + 24, 16);
    uint8_t next = ip[6];
    size_t l4 = ipv6_upper_layer(key, ip, len, &next);
    if (!l4)
        return;
    key->nw_proto = next;
    if (key->nw_frag & FLOW_FRAG_LATER)
        return;
    extract_l4(key, ip + l4, len - l4);
    if (next == IPPROTO_ICMPV6 && (key->tp_src == ND_NEIGHBOR_SOLICIT ||
                                   key->tp_src == ND_NEIGHBOR_ADVERT))
        extract_nd(key, ip + l4, len - l4);
}

/* Ethernet/IPv4 ARP and RARP; other hardware or protocol types leave the fields zero. */
static void extract_arp(struct flow_key *key, const uint8_t *arp, size_t len)
{
    if (len < 28 || read_be16(arp) != 1 || read_be16(arp + 2) != ETH_TYPE_IPV4 ||
        arp[4] != ETH_ADDR_LEN || arp[5] != 4)
        return;
    uint16_t op = read_be16(arp + 6);
    key->nw_proto = op <= 0xff ? (uint8_t)op : 0;
    memcpy(key->arp_sha, arp + 8, ETH_ADDR_LEN);
    key->nw_src = read_be32(arp + 14);
    memcpy(key->arp_tha, arp + 18, ETH_ADDR_LEN);
    key->nw_dst = read_be32(arp + 24);
}

static void extract_l3(struct flow_key *key, const struct dp_packet *pkt)
{
    uint32_t l3 = dp_packet_l3_offset(pkt);
    if (l3 > pkt->len)
        return;
    const uint8_t *p = pkt->data + l3;
    size_t len = pkt->len - l3;
    switch (key->dl_type) {
    case ETH_TYPE_IPV4:
        extract_ipv4(key, p, len);
        break;
    case ETH_TYPE_IPV6:
        extract_ipv6(key, p, len);
        break;
    case ETH_TYPE_ARP:
    case ETH_TYPE_RARP:
        extract_arp(key, p, len);
        break;
    default:
        break;
    }
}

uint32_t dp_packet_l3_offset(const struct dp_packet *pkt)
{
    return dp_packet_l2_rest(pkt) + 2;
}

/* ---- L2 ---- */

int flow_extract(const struct dp_packet *pkt, uint32_t in_port, struct flow_key *key)
{
    memset(key, 0, sizeof *key);
    if (pkt->len < ETH_HEADER_LEN)
        return -1;
    key->in_port = in_port;
    memcpy(key->dl_dst, pkt->data, ETH_ADDR_LEN);
    memcpy(key->dl_src, pkt->data + ETH_ADDR_LEN, ETH_ADDR_LEN);
    uint16_t type = read_be16(pkt->data + ETH_ADDRS_LEN);
    if (pkt->aux_tpid) {
        /* The kernel took the outer tag off: what follows the addresses is the inner type. */
        key->vlan_present = 1;
        key->vlan_tpid = pkt->aux_tpid;
        key->vlan_tci = pkt->aux_tci;
        key->dl_type = type;
    } else if (!eth_type_is_vlan(type)) {
        key->dl_type = type;
    } else {
        if (pkt->len < ETH_HEADER_LEN + VLAN_HEADER_LEN)
            return -1;
        key->vlan_present = 1;
        key->vlan_tpid = type;
        key->vlan_tci = read_be16(pkt->data + ETH_HEADER_LEN);
        key->dl_type = read_be16(pkt->data + ETH_HEADER_LEN + 2);
    }
    extract_l3(key, pkt);
    return 0;
}

void flow_key_apply_mask(struct flow_key *dst, const struct flow_key *key,
                         const struct flow_key *mask)
{
    for (int i = 0; i < FLOW_KEY_WORDS; i++)
        dst->words[i] = key->words[i] & mask->words[i];
}

bool flow_key_equal(const struct flow_key *a, const struct flow_key *b)
{
    for (int i = 0; i < FLOW_KEY_WORDS; i++) {
        if (a->words[i] != b->words[i])
            return false;
    }
    return true;
}

void eth_addr_format(const uint8_t *mac, char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

int eth_addr_parse(const char *text, uint8_t *mac)
{
    unsigned v[ETH_ADDR_LEN];
    char extra;
    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &extra) != ETH_ADDR_LEN)
        return -1;
    for (int i = 0; i < ETH_ADDR_LEN; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

/* Appends to buf at *used, never past size; output that does not fit is cut. */
static void append(char *buf, size_t size, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
    if (*used >= size)
        return;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(buf + *used, size - *used, fmt, args);
    va_end(args);
    if (n > 0)
        *used += (size_t)n < size - *used ? (size_t)n : size - *used - 1;
}

static bool mac_masked(const uint8_t *mask)
{
    static const uint8_t zero[ETH_ADDR_LEN];
    return memcmp(mask, zero, ETH_ADDR_LEN) != 0;
}

static void format_vlan(const struct flow_key *key, const struct flow_key *mask, char *buf,
                        size_t size, size_t *used)
{
    if (!mask->vlan_present)
        return;
    if (!key->vlan_present) {
        append(buf, size, used, ",novlan");
        return;
    }
    append(buf, size, used, ",vlan(");
    if (mask->vlan_tpid)
        append(buf, size, used, "tpid=0x%04x,", key->vlan_tpid);
    append(buf, size, used, "vid=%u", key->vlan_tci & VLAN_VID_MASK);
    if (mask->vlan_tci & VLAN_PCP_MASK)
        append(buf, size, used, ",pcp=%u", key->vlan_tci >> VLAN_PCP_SHIFT);
    if (mask->vlan_tci & VLAN_DEI)
        append(buf, size, used, ",dei=%u", !!(key->vlan_tci & VLAN_DEI));
    append(buf, size, used, ")");
}

void flow_key_relevant_mask(const struct flow_key *key, struct flow_key *mask)
{
    memset(mask, 0, sizeof *mask);
    memset(mask->words, 0xff, 3 * sizeof mask->words[0]);   /* L2 */
    bool arp = key->dl_type == ETH_TYPE_ARP || key->dl_type == ETH_TYPE_RARP;
    bool ipv4 = key->dl_type == ETH_TYPE_IPV4, ipv6 = key->dl_type == ETH_TYPE_IPV6;
    if (!arp && !ipv4 && !ipv6)
        return;
    mask->nw_proto = 0xff;
    if (arp || ipv4) {
        mask->nw_src = UINT32_MAX;
        mask->nw_dst = UINT32_MAX;
    }
    if (arp) {
        memset(mask->arp_sha, 0xff, ETH_ADDR_LEN);
        memset(mask->arp_tha, 0xff, ETH_ADDR_LEN);
        return;
    }
    mask->nw_tos = 0xff;
    mask->nw_frag = 0xff;
    if (ipv6) {
        memset(mask->ipv6_src, 0xff, 16);
        memset(mask->ipv6_dst, 0xff, 16);
        mask->ipv6_label = 0xfffff;
    }
    if (key->nw_frag & FLOW_FRAG_LATER)
        return;
    switch (key->nw_proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_SCTP:
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        mask->tp_src = 0xffff;
        mask->tp_dst = 0xffff;
        break;
    default:
        break;
    }
    if (ipv6 && key->nw_proto == IPPROTO_ICMPV6 &&
        (key->tp_src == ND_NEIGHBOR_SOLICIT || key->tp_src == ND_NEIGHBOR_ADVERT)) {
        memset(mask->nd_target, 0xff, 16);
        memset(mask->arp_sha, 0xff, ETH_ADDR_LEN);
        memset(mask->arp_tha, 0xff, ETH_ADDR_LEN);
    }
}

/* Opens "name(" before the first item of a group, and a comma before the others. */
struct group {
    const char *name;
    bool open;
};

static void item(struct group *g, char *buf, size_t size, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void item(struct group *g, char *buf, size_t size, size_t *used, const char *fmt, ...)
{
    append(buf, size, used, g->open ? "," : ",%s(", g->name);
    g->open = true;
    char text[64];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    append(buf, size, used, "%s", text);
}

static void close_group(struct group *g, char *buf, size_t size, size_t *used)
{
    if (g->open)
        append(buf, size, used, ")");
}

static bool bytes_masked(const uint8_t *mask, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (mask[i])
            return true;
    }
    return false;
}

static void ipv4_text(uint32_t a, char *text)
{
    snprintf(text, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static void ipv6_text(const uint8_t *a, char *text)
{
    inet_ntop(AF_INET6, a, text, INET6_ADDRSTRLEN);
}

static void format_ip_common(const struct flow_key *key, const struct flow_key *mask,
                             struct group *g, char *buf, size_t size, size_t *used)
{
    if (mask->nw_proto)
        item(g, buf, size, used, "proto=%u", key->nw_proto);
    if (mask->nw_tos)
        item(g, buf, size, used, "tos=0x%x", key->nw_tos);
    if (mask->nw_frag)
        item(g, buf, size, used, "frag=%s",
             !key->nw_frag ? "no" : key->nw_frag & FLOW_FRAG_LATER ? "later" : "first");
}

static void format_l3(const struct flow_key *key, const struct flow_key *mask, char *buf,
                      size_t size, size_t *used)
{
    char a[INET6_ADDRSTRLEN], m[18];
    bool arp = key->dl_type == ETH_TYPE_ARP || key->dl_type == ETH_TYPE_RARP;
    struct group g = { arp ? "arp" : key->dl_type == ETH_TYPE_IPV6 ? "ipv6" : "ipv4", false };
    if (mask->nw_src) {
        ipv4_text(key->nw_src, a);
        item(&g, buf, size, used, arp ? "sip=%s" : "src=%s", a);
    }
    if (mask->nw_dst) {
        ipv4_text(key->nw_dst, a);
        item(&g, buf, size, used, arp ? "tip=%s" : "dst=%s", a);
    }
    if (bytes_masked(mask->ipv6_src, 16)) {
        ipv6_text(key->ipv6_src, a);
        item(&g, buf, size, used, "src=%s", a);
    }
    if (bytes_masked(mask->ipv6_dst, 16)) {
        ipv6_text(key->ipv6_dst, a);
        item(&g, buf, size, used, "dst=%s", a);
    }
    if (mask->ipv6_label)
        item(&g, buf, size, used, "label=0x%x", key->ipv6_label);
    if (arp && mask->nw_proto)
        item(&g, buf, size, used, "op=%u", key->nw_proto);
    else
        format_ip_common(key, mask, &g, buf, size, used);
    if (arp && mac_masked(mask->arp_sha)) {
        eth_addr_format(key->arp_sha, m);
        item(&g, buf, size, used, "sha=%s", m);
    }
    if (arp && mac_masked(mask->arp_tha)) {
        eth_addr_format(key->arp_tha, m);
        item(&g, buf, size, used, "tha=%s", m);
    }
    close_group(&g, buf, size, used);
}

static void format_l4(const struct flow_key *key, const struct flow_key *mask, char *buf,
                      size_t size, size_t *used)
{
    if (key->dl_type == ETH_TYPE_ARP || key->dl_type == ETH_TYPE_RARP)
        return;
    const char *name = key->nw_proto == IPPROTO_TCP    ? "tcp"
                       : key->nw_proto == IPPROTO_UDP  ? "udp"
                       : key->nw_proto == IPPROTO_SCTP ? "sctp"
                       : key->nw_proto == IPPROTO_ICMP ? "icmp"
                       : key->nw_proto == IPPROTO_ICMPV6 ? "icmpv6" : "l4";
    bool icmp = key->nw_proto == IPPROTO_ICMP || key->nw_proto == IPPROTO_ICMPV6;
    struct group g = { name, false };
    if (mask->tp_src)
        item(&g, buf, size, used, icmp ? "type=%u" : "src=%u", key->tp_src);
    if (mask->tp_dst)
        item(&g, buf, size, used, icmp ? "code=%u" : "dst=%u", key->tp_dst);
    close_group(&g, buf, size, used);
    char a[INET6_ADDRSTRLEN], m[18];
    struct group nd = { "nd", false };
    if (bytes_masked(mask->nd_target, 16)) {
        ipv6_text(key->nd_target, a);
        item(&nd, buf, size, used, "target=%s", a);
    }
    if (mac_masked(mask->arp_sha)) {
        eth_addr_format(key->arp_sha, m);
        item(&nd, buf, size, used, "sll=%s", m);
    }
    if (mac_masked(mask->arp_tha)) {
        eth_addr_format(key->arp_tha, m);
        item(&nd, buf, size, used, "tll=%s", m);
    }
    close_group(&nd, buf, size, used);
}

void flow_key_format(const struct flow_key *key, const struct flow_key *mask, char *buf,
                     size_t size)
{
    struct flow_key all;
    if (!mask) {
        flow_key_relevant_mask(key, &all);
        mask = &all;
    }
    size_t used = 0;
    buf[0] = '\0';
    char mac[18];
    append(buf, size, &used, "in_port=%u", key->in_port);
    if (mac_masked(mask->dl_src)) {
        eth_addr_format(key->dl_src, mac);
        append(buf, size, &used, ",dl_src=%s", mac);
    }
    if (mac_masked(mask->dl_dst)) {
        eth_addr_format(key->dl_dst, mac);
        append(buf, size, &used, ",dl_dst=%s", mac);
    }
    format_vlan(key, mask, buf, size, &used);
    if (mask->dl_type)
        append(buf, size, &used, ",dl_type=0x%04x", key->dl_type);
    format_l3(key, mask, buf, size, &used);
    format_l4(key, mask, buf, size, &used);
}
