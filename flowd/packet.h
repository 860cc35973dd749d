/* Packets as flowd sees them, and the flow key the switching decision is made on.
 *
 * The key holds what a decision may look at: the input port, Ethernet addresses, the outer
 * VLAN tag and the ethertype after it (all NORMAL reads), and the L3/L4 fields OpenFlow tables
 * match on (IPv4, IPv6, ARP, TCP/UDP/SCTP ports, ICMP, ICMPv6 neighbour discovery). A megaflow
 * is a key plus a mask of the same layout: a bit set in the mask is a bit the decision depended
 * on. Numbers are in host byte order; addresses as the bytes on the wire. */
#ifndef VSW_FLOWD_PACKET_H
#define VSW_FLOWD_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define ETH_ADDR_LEN 6
#define ETH_ADDRS_LEN 12           /* destination + source */
#define ETH_HEADER_LEN 14
#define VLAN_HEADER_LEN 4
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_RARP 0x8035
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_VLAN_8021Q 0x8100
#define ETH_TYPE_VLAN_8021AD 0x88a8
#define VLAN_VID_MASK 0x0fff
#define VLAN_DEI 0x1000
#define VLAN_PCP_MASK 0xe000
#define VLAN_PCP_SHIFT 13

/* The virtio-net header packet sockets (PACKET_VNET_HDR) and taps (IFF_VNET_HDR) exchange with
 * each frame: the layout of <linux/virtio_net.h>'s struct virtio_net_hdr, declared here because
 * that header cannot be included from C++ (tests). Fields are little-endian. */
struct vnet_hdr {
    uint8_t flags;               /* VNET_F_* */
    uint8_t gso_type;            /* VNET_GSO_*, possibly | VNET_GSO_ECN */
    uint16_t hdr_len;            /* bytes of headers (a hint) */
    uint16_t gso_size;           /* payload bytes per segment */
    uint16_t csum_start;         /* where the checksummed range starts */
    uint16_t csum_offset;        /* where the checksum goes, from csum_start */
};
#define VNET_F_NEEDS_CSUM 1      /* the checksum is partial: complete it */
#define VNET_F_DATA_VALID 2      /* the checksum was verified */
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3
#define VNET_GSO_TCPV6 4
#define VNET_GSO_UDP_L4 5
#define VNET_GSO_ECN 0x80

/* One received packet. `data` points into a receive buffer the provider owns until the batch
 * it belongs to has been transmitted. */
struct dp_packet {
    uint8_t *data;               /* the frame, from its destination MAC */
    uint32_t len;                /* bytes at data */
    /* Non-zero: the kernel took the outer VLAN tag off the frame (AF_PACKET auxdata); it is
     * not in `data` and must be put back on output. */
    uint16_t aux_tpid;
    uint16_t aux_tci;
    /* Offload metadata as received (checksum to complete, GSO); all zero when the port
     * exchanges plain frames. csum_start and hdr_len count from data[0]. */
    struct vnet_hdr vnet;
};

#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136

/* flow_key.nw_frag */
#define FLOW_FRAG_ANY 1              /* a fragment (the first included) */
#define FLOW_FRAG_LATER 2            /* a fragment other than the first: it has no L4 header */

#define FLOW_KEY_WORDS 13

/* What a switching decision may depend on. Padding is always zero, so keys and masks compare
 * and hash as 64-bit words; the first three are what NORMAL reads. */
struct flow_key {
    union {
        struct {
            uint32_t in_port;        /* OpenFlow port number */
            uint16_t vlan_tci;       /* outer tag's PCP|DEI|VID; 0 when untagged */
            uint16_t vlan_tpid;      /* outer tag's TPID (0x8100, 0x88a8); 0 when untagged */
            uint8_t dl_dst[ETH_ADDR_LEN];
            uint8_t dl_src[ETH_ADDR_LEN];
            uint16_t dl_type;        /* ethertype after the outer tag (0x8100 again for QinQ) */
            uint8_t vlan_present;    /* 1: there is an outer tag (masks use 0xff) */
            uint8_t nw_frag;         /* FLOW_FRAG_* (IPv4, IPv6) */
            /* word 3 */
            uint32_t nw_src;         /* IPv4 source, or ARP sender protocol address */
            uint32_t nw_dst;         /* IPv4 destination, or ARP target protocol address */
            /* word 4 */
            uint16_t tp_src;         /* TCP/UDP/SCTP source port; ICMP/ICMPv6 type */
            uint16_t tp_dst;         /* TCP/UDP/SCTP destination port; ICMP/ICMPv6 code */
            uint8_t nw_proto;        /* IP protocol (IPv6: the upper layer's); ARP opcode */
            uint8_t nw_tos;          /* IPv4 ToS, IPv6 traffic class: DSCP << 2 | ECN */
            uint8_t pad[2];
            /* words 5..10 */
            uint8_t ipv6_src[16];
            uint8_t ipv6_dst[16];
            uint8_t nd_target[16];   /* ICMPv6 neighbour solicitation and advertisement */
            /* words 11..12 */
            uint8_t arp_sha[ETH_ADDR_LEN];   /* also ND's source link-layer address option */
            uint8_t arp_tha[ETH_ADDR_LEN];   /* also ND's target link-layer address option */
            uint32_t ipv6_label;     /* the flow label's 20 bits */
        };
        uint64_t words[FLOW_KEY_WORDS];
    };
};

#ifdef __cplusplus
#define FLOWD_STATIC_ASSERT static_assert
#else
#define FLOWD_STATIC_ASSERT _Static_assert
#endif
FLOWD_STATIC_ASSERT(sizeof(struct flow_key) == FLOW_KEY_WORDS * 8, "flow_key is 13 words");
FLOWD_STATIC_ASSERT(sizeof(struct vnet_hdr) == 10, "vnet_hdr is virtio_net_hdr");

/* Fills `key` from the frame received on `in_port`. Returns 0, or -1 for a frame too short to
 * hold an Ethernet header, or an 802.1Q/802.1ad ethertype without the whole tag: such frames
 * are dropped before any lookup (Open vSwitch drops "partial VLAN tags" too). L3 and L4 are
 * read as far as the frame holds them whole: a truncated or malformed header leaves the
 * fields it would have filled zero (the frame is still switched, on what could be read). */
int flow_extract(const struct dp_packet *pkt, uint32_t in_port, struct flow_key *key);

/* Offset of the L3 header in `pkt->data`: after the ethertype that follows the outer tag. */
uint32_t dp_packet_l3_offset(const struct dp_packet *pkt);

/* Bytes of `pkt->data` before the payload that follows the outer tag: 16 when the outer tag is
 * in the data, 12 otherwise (untagged, or tag in auxdata). The frame's ethertype field (the
 * inner one for tagged frames) starts there. */
static inline uint32_t dp_packet_l2_rest(const struct dp_packet *pkt)
{
    if (pkt->aux_tpid || pkt->len < ETH_HEADER_LEN + VLAN_HEADER_LEN)
        return ETH_ADDRS_LEN;
    uint16_t type = (uint16_t)(pkt->data[12] << 8 | pkt->data[13]);
    return type == ETH_TYPE_VLAN_8021Q || type == ETH_TYPE_VLAN_8021AD
               ? ETH_ADDRS_LEN + VLAN_HEADER_LEN : ETH_ADDRS_LEN;
}

static inline bool eth_type_is_vlan(uint16_t type)
{
    return type == ETH_TYPE_VLAN_8021Q || type == ETH_TYPE_VLAN_8021AD;
}

static inline bool eth_addr_is_multicast(const uint8_t *mac)
{
    return mac[0] & 1;
}

/* 802.1D reserved group addresses 01:80:c2:00:00:00..0f (STP, LACP, LLDP, pause...): a bridge
 * never forwards them. */
static inline bool eth_addr_is_reserved(const uint8_t *mac)
{
    return mac[0] == 0x01 && mac[1] == 0x80 && mac[2] == 0xc2 && mac[3] == 0 && mac[4] == 0 &&
           (mac[5] & 0xf0) == 0;
}

void flow_key_apply_mask(struct flow_key *dst, const struct flow_key *key,
                         const struct flow_key *mask);
bool flow_key_equal(const struct flow_key *a, const struct flow_key *b);

/* The mask of every field the packet `key` was extracted from has (L2 always; L3 and L4 as
 * its ethertype and protocol say). */
void flow_key_relevant_mask(const struct flow_key *key, struct flow_key *mask);

/* "in_port=1,dl_src=..,dl_dst=..,vlan(vid=10,pcp=0),ipv4(dst=10.0.0.1),tcp(dst=80)" with
 * only the fields `mask` covers (NULL: those the packet has). Always NUL-terminates. */
void flow_key_format(const struct flow_key *key, const struct flow_key *mask, char *buf,
                     size_t size);

/* "aa:bb:cc:dd:ee:ff" into buf (at least 18 bytes). */
void eth_addr_format(const uint8_t *mac, char *buf);
/* Parses "aa:bb:cc:dd:ee:ff". Returns 0, or -1. */
int eth_addr_parse(const char *text, uint8_t *mac);

#endif
