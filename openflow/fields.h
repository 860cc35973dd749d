/* The fields an OpenFlow match can name, as one table (after Open vSwitch's meta-flow): each
 * field's OXM number, width, whether it takes a mask, its prerequisite and its names in
 * ovs-ofctl's syntax. Matches, set-field actions, the flow syntax and flowd's classifier all
 * work from this table, so a field is described once.
 *
 * A match keeps values and masks in network byte order, at each field's offset in a flat
 * array: decoding and encoding OXM is then a copy. Pure; no allocation. */
#ifndef VSW_OPENFLOW_FIELDS_H
#define VSW_OPENFLOW_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Field ids are the OpenFlow 1.3 OXM field numbers of class OFPXMC_OPENFLOW_BASIC. Fields
 * 34.. (MPLS, PBB, tunnel id, IPv6 extension headers) and IN_PHY_PORT (1) are not supported. */
enum mf_id {
    MF_IN_PORT = 0,
    MF_METADATA = 2,
    MF_ETH_DST = 3,
    MF_ETH_SRC = 4,
    MF_ETH_TYPE = 5,
    MF_VLAN_VID = 6,          /* OFPVID_PRESENT (0x1000) | VID; 0: no tag */
    MF_VLAN_PCP = 7,
    MF_IP_DSCP = 8,           /* the 6 upper bits of the ToS byte, as a number 0..63 */
    MF_IP_ECN = 9,
    MF_IP_PROTO = 10,
    MF_IPV4_SRC = 11,
    MF_IPV4_DST = 12,
    MF_TCP_SRC = 13,
    MF_TCP_DST = 14,
    MF_UDP_SRC = 15,
    MF_UDP_DST = 16,
    MF_SCTP_SRC = 17,
    MF_SCTP_DST = 18,
    MF_ICMPV4_TYPE = 19,
    MF_ICMPV4_CODE = 20,
    MF_ARP_OP = 21,
    MF_ARP_SPA = 22,
    MF_ARP_TPA = 23,
    MF_ARP_SHA = 24,
    MF_ARP_THA = 25,
    MF_IPV6_SRC = 26,
    MF_IPV6_DST = 27,
    MF_IPV6_FLABEL = 28,
    MF_ICMPV6_TYPE = 29,
    MF_ICMPV6_CODE = 30,
    MF_IPV6_ND_TARGET = 31,
    MF_IPV6_ND_SLL = 32,
    MF_IPV6_ND_TLL = 33,
    MF_N_IDS = 34,
};

#define OFPVID_PRESENT 0x1000
#define OFPVID_NONE 0x0000

/* What a field needs the match to say before it may be matched or set (OpenFlow 1.3,
 * table 12). */
enum mf_prereq {
    MFP_NONE,
    MFP_VLAN,        /* a VLAN tag is present */
    MFP_ARP,         /* eth_type 0x0806 */
    MFP_IPV4,        /* eth_type 0x0800 */
    MFP_IPV6,        /* eth_type 0x86dd */
    MFP_IP_ANY,      /* eth_type 0x0800 or 0x86dd */
    MFP_TCP,         /* IP and ip_proto 6 */
    MFP_UDP,         /* IP and ip_proto 17 */
    MFP_SCTP,        /* IP and ip_proto 132 */
    MFP_ICMPV4,      /* IPv4 and ip_proto 1 */
    MFP_ICMPV6,      /* IPv6 and ip_proto 58 */
    MFP_ND,          /* ICMPv6 type 135 or 136 */
    MFP_ND_SOLICIT,  /* ICMPv6 type 135 */
    MFP_ND_ADVERT,   /* ICMPv6 type 136 */
};

/* How a field's value reads and prints. */
enum mf_format {
    MFF_DECIMAL,
    MFF_HEX,
    MFF_ETHERNET,
    MFF_IPV4,
    MFF_IPV6,
    MFF_PORT,        /* an OpenFlow port number or a reserved name (LOCAL...) */
};

struct mf_field {
    enum mf_id id;
    const char *name;          /* the OXM name in ovs-ofctl's syntax: "eth_dst" */
    const char *of10_name;     /* the OpenFlow 1.0 name ovs-ofctl prints: "dl_dst"; NULL */
    uint8_t len;               /* bytes on the wire */
    uint8_t offset;            /* in a match's value and mask arrays */
    bool maskable;
    enum mf_prereq prereq;
    enum mf_format format;
    uint32_t max;              /* largest value for fields narrower than their bytes; 0: any */
};

/* Bytes of a match's value (and mask) array. */
#define MF_VALUE_BYTES 152

/* A match: which fields it names, their values and masks (network byte order; a mask bit set
 * means the bit is matched). A field not in `present` has value and mask all zero. Fields
 * with a partial mask have their value already masked. */
struct of_match {
    uint64_t present;          /* bit (1 << mf_id) */
    uint8_t value[MF_VALUE_BYTES];
    uint8_t mask[MF_VALUE_BYTES];
};

/* The field with OXM number `id`, or NULL if unsupported. */
const struct mf_field *mf_from_id(unsigned id);
/* By OXM or OpenFlow 1.0 name, as the flow syntax names fields; NULL if none. */
const struct mf_field *mf_from_name(const char *name);

void of_match_init(struct of_match *m);
bool of_match_has(const struct of_match *m, enum mf_id id);

/* Sets a field to `value` under `mask` (both `len` bytes, network order); a NULL mask is
 * exact. The value is masked. An all-zero mask removes the field. */
void of_match_set(struct of_match *m, enum mf_id id, const void *value, const void *mask);
void of_match_set_exact_u8(struct of_match *m, enum mf_id id, uint8_t v);
void of_match_set_exact_u16(struct of_match *m, enum mf_id id, uint16_t v);
void of_match_set_exact_u32(struct of_match *m, enum mf_id id, uint32_t v);
void of_match_clear(struct of_match *m, enum mf_id id);

/* A field's value or mask as a number (fields up to 8 bytes). */
uint64_t of_match_value(const struct of_match *m, enum mf_id id);
uint64_t of_match_mask(const struct of_match *m, enum mf_id id);
/* Whether the field is present with an all-ones mask. */
bool of_match_is_exact(const struct of_match *m, enum mf_id id);
bool of_mask_is_exact(const struct mf_field *f, const uint8_t *mask);

/* Whether `m` meets `p` (the prerequisite named exactly). */
bool of_match_prereq_ok(const struct of_match *m, enum mf_prereq p);
/* The first present field whose prerequisite `m` does not meet, or NULL. */
const struct mf_field *of_match_first_bad_prereq(const struct of_match *m);
/* Removes every field whose prerequisite is not met (OpenFlow 1.0 and Open vSwitch ignore such
 * fields rather than refuse them). Returns whether anything was removed. */
bool of_match_normalize(struct of_match *m);
/* Whether a value is in range for its field (VIDs, PCPs, DSCP, ECN, flow label). */
bool mf_value_ok(const struct mf_field *f, const uint8_t *value);
/* The prerequisite's text for messages: "ip or ipv6", "tcp"... */
const char *mf_prereq_name(enum mf_prereq p);

bool of_match_equal(const struct of_match *a, const struct of_match *b);
/* Whether every packet matching `narrow` matches `wide` (used by non-strict flow-mods). */
bool of_match_covers(const struct of_match *wide, const struct of_match *narrow);
/* Whether some packet could match both. */
bool of_match_overlaps(const struct of_match *a, const struct of_match *b);

#endif
