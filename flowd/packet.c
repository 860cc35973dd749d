#include "flowd/packet.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static uint16_t read_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

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
        return 0;
    }
    if (!eth_type_is_vlan(type)) {
        key->dl_type = type;
        return 0;
    }
    if (pkt->len < ETH_HEADER_LEN + VLAN_HEADER_LEN)
        return -1;
    key->vlan_present = 1;
    key->vlan_tpid = type;
    key->vlan_tci = read_be16(pkt->data + ETH_HEADER_LEN);
    key->dl_type = read_be16(pkt->data + ETH_HEADER_LEN + 2);
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
    return a->words[0] == b->words[0] && a->words[1] == b->words[1] &&
           a->words[2] == b->words[2];
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

void flow_key_format(const struct flow_key *key, const struct flow_key *mask, char *buf,
                     size_t size)
{
    struct flow_key all;
    if (!mask) {
        memset(&all, 0xff, sizeof all);
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
}
