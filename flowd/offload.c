#include "flowd/offload.h"

#include <endian.h>
#include <string.h>

#include "flowd/packet.h"

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_CWR 0x80

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

uint32_t csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
    uint64_t s = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        s += (uint32_t)(data[i] << 8 | data[i + 1]);
    if (i < len)
        s += (uint32_t)data[i] << 8;
    while (s >> 32)
        s = (s & 0xffffffff) + (s >> 32);
    return (uint32_t)s;
}

uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* A computed checksum of zero goes on the wire as 0xffff (both mean zero; UDP reserves 0). */
static uint16_t csum_finish(uint32_t sum)
{
    uint16_t c = (uint16_t)~csum_fold(sum);
    return c ? c : 0xffff;
}

int offload_complete_csum(uint8_t *frame, size_t len, const struct vnet_hdr *vnet)
{
    if (!(vnet->flags & VNET_F_NEEDS_CSUM))
        return 0;
    size_t start = le16toh(vnet->csum_start), field = start + le16toh(vnet->csum_offset);
    if (start >= len || field + 2 > len)
        return -1;
    put16(frame + field, csum_finish(csum_add(0, frame + start, len - start)));
    return 0;
}

/* Where a GSO frame's headers are. */
struct gso_layout {
    size_t l3;          /* offset of the IP header */
    size_t l4;          /* offset of the TCP/UDP header */
    size_t hdr_len;     /* all headers: copied into every segment */
    bool ipv6;
    uint8_t proto;
};

static size_t skip_vlan_tags(const uint8_t *frame, size_t len, uint16_t *type)
{
    size_t off = ETH_ADDRS_LEN;
    *type = get16(frame + off);
    while (eth_type_is_vlan(*type) && off + VLAN_HEADER_LEN + 2 <= len) {
        off += VLAN_HEADER_LEN;
        *type = get16(frame + off);
    }
    return off + 2;
}

static int parse_layout(const uint8_t *frame, size_t len, const struct vnet_hdr *vnet,
                        struct gso_layout *g)
{
    if (len < ETH_HEADER_LEN)
        return -1;
    uint16_t type;
    g->l3 = skip_vlan_tags(frame, len, &type);
    if (type == ETH_TYPE_IPV4 && g->l3 + 20 <= len) {
        g->ipv6 = false;
        g->proto = frame[g->l3 + 9];
        g->l4 = g->l3 + (size_t)(frame[g->l3] & 0x0f) * 4;
    } else if (type == ETH_TYPE_IPV6 && g->l3 + 40 <= len) {
        g->ipv6 = true;
        g->proto = frame[g->l3 + 6];
        g->l4 = g->l3 + 40;
    } else {
        return -1;
    }
    /* IPv6 extension headers: trust the sender's checksum offset for where L4 starts. */
    if ((vnet->flags & VNET_F_NEEDS_CSUM) && le16toh(vnet->csum_start) > g->l3)
        g->l4 = le16toh(vnet->csum_start);
    if (g->proto == IPPROTO_TCP_ && g->l4 + 20 <= len)
        g->hdr_len = g->l4 + (size_t)(frame[g->l4 + 12] >> 4) * 4;
    else if (g->proto == IPPROTO_UDP_ && g->l4 + 8 <= len)
        g->hdr_len = g->l4 + 8;
    else
        return -1;
    return g->hdr_len <= len ? 0 : -1;
}

static uint32_t pseudo_header_sum(const uint8_t *seg, const struct gso_layout *g,
                                  size_t l4_len)
{
    uint8_t tail[4] = { 0, 0, 0, g->proto };
    uint32_t sum;
    if (g->ipv6) {
        sum = csum_add(0, seg + g->l3 + 8, 32);
        uint8_t len32[4];
        put32(len32, (uint32_t)l4_len);
        sum = csum_add(sum, len32, 4);
        return csum_add(sum, tail, 4);
    }
    sum = csum_add(0, seg + g->l3 + 12, 8);
    uint8_t len16[2];
    put16(len16, (uint16_t)l4_len);
    sum = csum_add(sum, tail + 2, 2);
    return csum_add(sum, len16, 2);
}

/* Fixes one segment's IP and L4 headers; `index` counts from 0, `offset` is its payload's
 * offset in the original payload. */
static void fix_segment(uint8_t *seg, size_t seg_len, const struct gso_layout *g,
                        unsigned index, size_t offset, bool last)
{
    if (g->ipv6) {
        put16(seg + g->l3 + 4, (uint16_t)(seg_len - g->l3 - 40));
    } else {
        put16(seg + g->l3 + 2, (uint16_t)(seg_len - g->l3));
        put16(seg + g->l3 + 4, (uint16_t)(get16(seg + g->l3 + 4) + index));
        put16(seg + g->l3 + 10, 0);
        size_t ihl = g->l4 - g->l3;
        put16(seg + g->l3 + 10, csum_finish(csum_add(0, seg + g->l3, ihl)));
    }
    size_t l4_len = seg_len - g->l4;
    size_t check_at;
    if (g->proto == IPPROTO_TCP_) {
        uint8_t *tcp = seg + g->l4;
        put32(tcp + 4, get32(tcp + 4) + (uint32_t)offset);
        if (!last)
            tcp[13] &= (uint8_t)~(TCP_FLAG_FIN | TCP_FLAG_PSH);
        if (index > 0)
            tcp[13] &= (uint8_t)~TCP_FLAG_CWR;
        check_at = g->l4 + 16;
    } else {
        put16(seg + g->l4 + 4, (uint16_t)l4_len);
        check_at = g->l4 + 6;
    }
    put16(seg + check_at, 0);
    uint32_t sum = pseudo_header_sum(seg, g, l4_len);
    put16(seg + check_at, csum_finish(csum_add(sum, seg + g->l4, l4_len)));
}

int offload_segment(const uint8_t *frame, size_t len, const struct vnet_hdr *vnet,
                    uint8_t *scratch, size_t scratch_size, offload_emit_fn *emit, void *aux)
{
    struct gso_layout g;
    size_t mss = le16toh(vnet->gso_size);
    if (mss == 0 || parse_layout(frame, len, vnet, &g) < 0 || g.hdr_len + mss > scratch_size)
        return -1;
    uint8_t type = vnet->gso_type & (uint8_t)~VNET_GSO_ECN;
    bool tcp = type == VNET_GSO_TCPV4 || type == VNET_GSO_TCPV6;
    bool udp = type == VNET_GSO_UDP_L4;
    if ((tcp && g.proto != IPPROTO_TCP_) || (udp && g.proto != IPPROTO_UDP_) || (!tcp && !udp))
        return -1;
    size_t payload = len - g.hdr_len;
    unsigned count = 0;
    for (size_t off = 0; off < payload || (payload == 0 && count == 0); off += mss) {
        size_t chunk = payload - off < mss ? payload - off : mss;
        memcpy(scratch, frame, g.hdr_len);
        memcpy(scratch + g.hdr_len, frame + g.hdr_len + off, chunk);
        fix_segment(scratch, g.hdr_len + chunk, &g, count, off, off + chunk >= payload);
        emit(aux, scratch, g.hdr_len + chunk);
        count++;
    }
    return (int)count;
}
