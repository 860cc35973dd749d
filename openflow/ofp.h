/* OpenFlow 1.0 and 1.3 messages as vsw handles them: one version-independent form of each
 * message, decoded from and encoded to the wire of either version (msg.c, match.c,
 * actions.c). Decoding validates everything it reads (lengths, types, fields, prerequisites,
 * action arguments) and answers the OpenFlow error that the message deserves, so what a
 * caller gets is well formed. Pure: no I/O; the only allocation is of variable-length parts
 * (actions, ports, stats entries), freed with of_msg_free().
 *
 * Port numbers are always OpenFlow 1.3's 32-bit ones (OFPP_LOCAL is 0xfffffffe); 1.0's 16-bit
 * numbers are converted at the wire. */
#ifndef VSW_OPENFLOW_OFP_H
#define VSW_OPENFLOW_OFP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "openflow/fields.h"

#define OFP10_VERSION 0x01
#define OFP13_VERSION 0x04
#define OFP_HEADER_LEN 8
#define OFP_MAX_MSG_LEN 65535
/* Versions as a bitmap (bit n: wire version n), as the hello element carries them. */
#define OF_VERSIONS_ALL ((1u << OFP10_VERSION) | (1u << OFP13_VERSION))

/* Reserved port numbers (OpenFlow 1.3 numbering). */
#define OFPP_MAX 0xffffff00u
#define OFPP_IN_PORT 0xfffffff8u
#define OFPP_TABLE 0xfffffff9u
#define OFPP_NORMAL 0xfffffffau
#define OFPP_FLOOD 0xfffffffbu
#define OFPP_ALL 0xfffffffcu
#define OFPP_CONTROLLER 0xfffffffdu
#define OFPP_LOCAL 0xfffffffeu
#define OFPP_ANY 0xffffffffu     /* "none" in 1.0 */

#define OFP_NO_BUFFER 0xffffffffu
#define OFPCML_NO_BUFFER 0xffff
#define OFPTT_ALL 0xff
#define OFPG_ANY 0xffffffffu
/* Tables a bridge has: 0..OF_N_TABLES-1 (OpenFlow 1.0 controllers see table 0 only). */
#define OF_N_TABLES 254
#define OF_DEFAULT_MISS_SEND_LEN 128

/* Message types, whatever the version's numbering. */
enum ofm_type {
    OFM_HELLO,
    OFM_ERROR,
    OFM_ECHO_REQUEST,
    OFM_ECHO_REPLY,
    OFM_EXPERIMENTER,        /* "vendor" in 1.0 */
    OFM_FEATURES_REQUEST,
    OFM_FEATURES_REPLY,
    OFM_GET_CONFIG_REQUEST,
    OFM_GET_CONFIG_REPLY,
    OFM_SET_CONFIG,
    OFM_PACKET_IN,
    OFM_FLOW_REMOVED,
    OFM_PORT_STATUS,
    OFM_PACKET_OUT,
    OFM_FLOW_MOD,
    OFM_GROUP_MOD,
    OFM_PORT_MOD,
    OFM_TABLE_MOD,
    OFM_MULTIPART_REQUEST,   /* "stats request" in 1.0 */
    OFM_MULTIPART_REPLY,
    OFM_BARRIER_REQUEST,
    OFM_BARRIER_REPLY,
    OFM_QUEUE_GET_CONFIG_REQUEST,
    OFM_QUEUE_GET_CONFIG_REPLY,
    OFM_ROLE_REQUEST,
    OFM_ROLE_REPLY,
    OFM_GET_ASYNC_REQUEST,
    OFM_GET_ASYNC_REPLY,
    OFM_SET_ASYNC,
    OFM_METER_MOD,
    OFM_N_TYPES,
};

const char *ofm_type_name(enum ofm_type type);

/* Errors, whatever the version: each maps to a (type, code) pair of 1.0 and of 1.3 (msg.c). */
enum ofperr {
    OFPERR_NONE = 0,
    OFPERR_HELLO_INCOMPATIBLE,
    OFPERR_HELLO_EPERM,
    OFPERR_BAD_VERSION,
    OFPERR_BAD_TYPE,
    OFPERR_BAD_MULTIPART,
    OFPERR_BAD_EXPERIMENTER,
    OFPERR_BAD_EXP_TYPE,
    OFPERR_REQUEST_EPERM,
    OFPERR_BAD_LEN,
    OFPERR_BUFFER_UNKNOWN,
    OFPERR_BAD_TABLE_ID,
    OFPERR_IS_SLAVE,
    OFPERR_BAD_PORT,
    OFPERR_BAD_PACKET,
    OFPERR_ACTION_BAD_TYPE,
    OFPERR_ACTION_BAD_LEN,
    OFPERR_ACTION_BAD_EXPERIMENTER,
    OFPERR_ACTION_BAD_OUT_PORT,
    OFPERR_ACTION_BAD_ARGUMENT,
    OFPERR_ACTION_TOO_MANY,
    OFPERR_ACTION_BAD_QUEUE,
    OFPERR_ACTION_BAD_OUT_GROUP,
    OFPERR_ACTION_MATCH_INCONSISTENT,
    OFPERR_ACTION_BAD_SET_TYPE,
    OFPERR_ACTION_BAD_SET_LEN,
    OFPERR_ACTION_BAD_SET_ARGUMENT,
    OFPERR_INST_UNKNOWN,
    OFPERR_INST_UNSUPPORTED,
    OFPERR_INST_BAD_TABLE_ID,
    OFPERR_INST_BAD_LEN,
    OFPERR_INST_DUP,
    OFPERR_MATCH_BAD_TYPE,
    OFPERR_MATCH_BAD_LEN,
    OFPERR_MATCH_BAD_WILDCARDS,
    OFPERR_MATCH_BAD_FIELD,
    OFPERR_MATCH_BAD_VALUE,
    OFPERR_MATCH_BAD_MASK,
    OFPERR_MATCH_BAD_PREREQ,
    OFPERR_MATCH_DUP_FIELD,
    OFPERR_FLOW_MOD_UNKNOWN,
    OFPERR_FLOW_MOD_TABLE_FULL,
    OFPERR_FLOW_MOD_BAD_TABLE_ID,
    OFPERR_FLOW_MOD_OVERLAP,
    OFPERR_FLOW_MOD_EPERM,
    OFPERR_FLOW_MOD_BAD_TIMEOUT,
    OFPERR_FLOW_MOD_BAD_COMMAND,
    OFPERR_FLOW_MOD_BAD_FLAGS,
    OFPERR_PORT_MOD_BAD_PORT,
    OFPERR_PORT_MOD_BAD_HW_ADDR,
    OFPERR_PORT_MOD_BAD_CONFIG,
    OFPERR_TABLE_MOD_BAD_TABLE,
    OFPERR_TABLE_MOD_BAD_CONFIG,
    OFPERR_QUEUE_BAD_PORT,
    OFPERR_QUEUE_BAD_QUEUE,
    OFPERR_SWITCH_CONFIG_BAD_FLAGS,
    OFPERR_ROLE_STALE,
    OFPERR_ROLE_UNSUPPORTED,
    OFPERR_ROLE_BAD_ROLE,
    OFPERR_N,
};

/* "OFPBAC_BAD_OUT_PORT" and the like, for logs and the CLI. */
const char *ofperr_name(enum ofperr err);
/* The wire (type, code) of `err` in `version`. */
void ofperr_to_wire(enum ofperr err, uint8_t version, uint16_t *type, uint16_t *code);
/* The error a wire (type, code) of `version` means, or OFPERR_NONE if unknown here. */
enum ofperr ofperr_from_wire(uint8_t version, uint16_t type, uint16_t code);

/* ---- Actions and instructions ---- */

enum ofa_type {
    OFA_OUTPUT,              /* port, max_len */
    OFA_SET_FIELD,           /* field, value (network order) */
    OFA_SET_VLAN_VID,        /* 1.0: the VID, pushing a tag if there is none */
    OFA_SET_VLAN_PCP,        /* 1.0: the PCP, pushing a tag if there is none */
    OFA_PUSH_VLAN,           /* ethertype: 0x8100 or 0x88a8 */
    OFA_POP_VLAN,            /* also 1.0's strip_vlan */
    /* 1.0's set_tp_src/set_tp_dst, whose field depends on the match's protocol: only between
     * decoding and of_instructions_check(), which makes them OFA_SET_FIELD. */
    OFA_SET_TP_SRC,
    OFA_SET_TP_DST,
};

struct of_action {
    uint8_t type;            /* enum ofa_type */
    uint8_t field;           /* OFA_SET_FIELD: enum mf_id */
    uint16_t max_len;        /* OFA_OUTPUT: bytes of the packet to a controller */
    uint16_t ethertype;      /* OFA_PUSH_VLAN */
    /* OFA_SET_VLAN_VID/PCP: the match says the packet is tagged (set by the check), so 1.3,
     * which has no "push if untagged", needs no push_vlan before the set-field. */
    bool flow_has_vlan;
    uint32_t port;           /* OFA_OUTPUT */
    uint8_t value[16];       /* OFA_SET_FIELD (field's length), OFA_SET_VLAN_*: value[0..1] */
};

struct of_actions {
    size_t n;
    struct of_action *a;     /* malloc'd, or NULL when n == 0 */
};

/* OpenFlow 1.3 instructions; an OpenFlow 1.0 action list is an apply-actions alone. */
struct of_instructions {
    bool apply;              /* apply-actions present (possibly empty) */
    struct of_actions apply_actions;
    bool clear_actions;
    bool write;
    struct of_actions write_actions;
    bool write_metadata;
    uint64_t metadata, metadata_mask;
    bool goto_table;
    uint8_t table_id;
};

void of_actions_free(struct of_actions *acts);
void of_instructions_free(struct of_instructions *insts);
/* Whether any action outputs to `port` (OFPP_ANY: always true), as flow-mod filters ask. */
bool of_instructions_output_to(const struct of_instructions *insts, uint32_t port);
/* Checks actions against `match`: set-field prerequisites (a field may be set only where the
 * match, or a push_vlan before it, says the packet has it), settable fields, output ports
 * (OFPP_TABLE only if `packet_out`). Resolves 1.0's set_tp_src/dst to the match's protocol.
 * Returns the first problem. */
enum ofperr of_instructions_check(struct of_instructions *insts, const struct of_match *match,
                                  bool packet_out);
enum ofperr of_actions_check(struct of_actions *acts, const struct of_match *match,
                             bool packet_out);

/* ---- Messages ---- */

enum { OFPFC_ADD, OFPFC_MODIFY, OFPFC_MODIFY_STRICT, OFPFC_DELETE, OFPFC_DELETE_STRICT };
#define OFPFF_SEND_FLOW_REM 1
#define OFPFF_CHECK_OVERLAP 2
#define OFPFF_RESET_COUNTS 4     /* 1.3; 1.0's "emergency" (4) is refused */
#define OFPFF_NO_PKT_COUNTS 8
#define OFPFF_NO_BYT_COUNTS 16

enum { OFPR_NO_MATCH, OFPR_ACTION, OFPR_INVALID_TTL };
enum { OFPRR_IDLE_TIMEOUT, OFPRR_HARD_TIMEOUT, OFPRR_DELETE };
enum { OFPPR_ADD, OFPPR_DELETE, OFPPR_MODIFY };
enum { OFPCR_ROLE_NOCHANGE, OFPCR_ROLE_EQUAL, OFPCR_ROLE_MASTER, OFPCR_ROLE_SLAVE };

#define OFPC_FRAG_MASK 3
/* Port config and state bits (the same in both versions for these). */
#define OFPPC_PORT_DOWN 1
#define OFPPC_NO_RECV 4
#define OFPPC_NO_FWD 32
#define OFPPC_NO_PACKET_IN 64
#define OFPPS_LINK_DOWN 1
#define OFPPS_LIVE 4             /* 1.3 only */

enum ofmp_type {
    OFPMP_DESC = 0,
    OFPMP_FLOW = 1,
    OFPMP_AGGREGATE = 2,
    OFPMP_TABLE = 3,
    OFPMP_PORT_STATS = 4,
    OFPMP_QUEUE = 5,
    OFPMP_GROUP = 6,
    OFPMP_GROUP_DESC = 7,
    OFPMP_GROUP_FEATURES = 8,
    OFPMP_METER = 9,
    OFPMP_METER_CONFIG = 10,
    OFPMP_METER_FEATURES = 11,
    OFPMP_TABLE_FEATURES = 12,
    OFPMP_PORT_DESC = 13,
    OFPMP_EXPERIMENTER = 0xffff,
};
#define OFPMPF_MORE 1

struct of_port {
    uint32_t port_no;
    uint8_t hw_addr[6];
    char name[16];           /* NUL-terminated */
    uint32_t config, state;
    uint32_t curr, advertised, supported, peer;
    uint32_t curr_speed, max_speed;   /* kbps (1.3) */
};

struct of_port_stats {
    uint32_t port_no;
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped;
    uint64_t rx_errors, tx_errors, rx_frame_err, rx_over_err, rx_crc_err, collisions;
    uint32_t duration_sec, duration_nsec;
};

struct of_flow_stats {
    uint8_t table_id;
    uint32_t duration_sec, duration_nsec;
    uint16_t priority, idle_timeout, hard_timeout, flags;
    uint64_t cookie, packet_count, byte_count;
    struct of_match match;
    struct of_instructions insts;
};

struct of_table_stats {
    uint8_t table_id;
    uint32_t active_count, max_entries;
    uint64_t lookup_count, matched_count;
};

struct of_desc {
    char mfr[256], hw[256], sw[256], serial[32], dp[256];
};

struct of_flow_stats_request {
    uint8_t table_id;        /* OFPTT_ALL: every table */
    uint32_t out_port;       /* OFPP_ANY: any */
    uint32_t out_group;
    uint64_t cookie, cookie_mask;
    struct of_match match;
};

struct of_aggregate_stats {
    uint64_t packet_count, byte_count;
    uint32_t flow_count;
};

/* A multipart (1.0: stats) request or reply. Which member is used depends on `type`. */
struct of_multipart {
    uint16_t type;           /* enum ofmp_type */
    uint16_t flags;          /* OFPMPF_MORE */
    struct of_flow_stats_request flow_request;   /* FLOW, AGGREGATE requests */
    uint32_t port_no;        /* PORT_STATS, QUEUE requests */
    uint32_t queue_id;
    struct of_desc desc;     /* DESC reply */
    struct of_aggregate_stats aggregate;
    size_t n;                /* entries of the array below that `type` uses */
    struct of_flow_stats *flows;
    struct of_table_stats *tables;
    struct of_port_stats *ports;
    struct of_port *port_descs;
};

struct of_flow_mod {
    struct of_match match;
    uint64_t cookie, cookie_mask;
    uint8_t table_id;
    uint8_t command;         /* OFPFC_* */
    uint16_t idle_timeout, hard_timeout, priority;
    uint32_t buffer_id;
    uint32_t out_port, out_group;
    uint16_t flags;          /* OFPFF_* */
    struct of_instructions insts;
};

struct of_packet_out {
    uint32_t buffer_id;
    uint32_t in_port;
    struct of_actions actions;
    const uint8_t *data;     /* into the decoded buffer */
    size_t len;
};

struct of_packet_in {
    uint32_t buffer_id;
    uint16_t total_len;
    uint8_t reason;          /* OFPR_* */
    uint8_t table_id;
    uint64_t cookie;
    struct of_match match;   /* in_port (and metadata) */
    const uint8_t *data;
    size_t len;
};

struct of_flow_removed {
    struct of_match match;
    uint64_t cookie;
    uint16_t priority;
    uint8_t reason;          /* OFPRR_* */
    uint8_t table_id;
    uint32_t duration_sec, duration_nsec;
    uint16_t idle_timeout, hard_timeout;
    uint64_t packet_count, byte_count;
};

struct of_features {
    uint64_t datapath_id;
    uint32_t n_buffers;
    uint8_t n_tables;
    uint32_t capabilities;
    uint32_t actions;        /* 1.0 */
    size_t n_ports;          /* 1.0: the ports come with the features */
    struct of_port *ports;
};

struct of_role {
    uint32_t role;           /* OFPCR_ROLE_* */
    uint64_t generation_id;
};

/* OpenFlow 1.3 asynchronous message masks: [0] for master/equal, [1] for slave. */
struct of_async {
    uint32_t packet_in[2], port_status[2], flow_removed[2];
};

struct of_port_mod {
    uint32_t port_no;
    uint8_t hw_addr[6];
    uint32_t config, mask, advertise;
};

struct of_msg {
    uint8_t version;
    enum ofm_type type;
    uint32_t xid;
    union {
        uint32_t hello_versions;    /* HELLO: bitmap of versions the peer speaks */
        struct {
            uint16_t type, code;
            enum ofperr err;        /* OFPERR_NONE if not one we know */
            const uint8_t *data;
            size_t len;
        } error;
        struct {
            const uint8_t *data;    /* ECHO_*, EXPERIMENTER payload */
            size_t len;
            uint32_t experimenter;
        } echo;
        struct of_features features;
        struct {
            uint16_t flags, miss_send_len;
        } config;
        struct of_packet_in packet_in;
        struct of_flow_removed flow_removed;
        struct {
            uint8_t reason;
            struct of_port port;
        } port_status;
        struct of_packet_out packet_out;
        struct of_flow_mod flow_mod;
        struct of_port_mod port_mod;
        struct of_multipart mp;
        struct of_role role;
        struct of_async async;
    };
};

/* ---- Decoding ---- */

/* Reads the 8-byte header: version, type byte, length, xid. Returns false if `len` < 8. */
bool of_header_peek(const uint8_t *buf, size_t len, uint8_t *version, uint8_t *type,
                    uint16_t *length, uint32_t *xid);

/* Decodes one whole message (buf holds exactly its header's length) of a supported version.
 * On success returns OFPERR_NONE with *msg filled (free with of_msg_free(); pointers into
 * `buf` stay valid while it does). Otherwise returns the error to send back, with msg->type
 * and msg->xid set when known, and nothing to free. */
enum ofperr of_msg_decode(const uint8_t *buf, size_t len, struct of_msg *msg);
void of_msg_free(struct of_msg *msg);

/* ---- Encoding ---- */

/* A growable buffer holding one or more messages. */
struct ofbuf {
    uint8_t *data;
    size_t len, cap;
    bool oom;                /* an allocation failed: contents incomplete */
};

void ofbuf_init(struct ofbuf *b);
void ofbuf_free(struct ofbuf *b);
void ofbuf_clear(struct ofbuf *b);

/* Appends one encoded message to `b`; xid as given. A message that would exceed 65535 bytes
 * is not appended and -1 is returned (multipart replies split themselves instead). */
int of_encode_hello(struct ofbuf *b, uint8_t version, uint32_t xid, uint32_t versions);
int of_encode_error(struct ofbuf *b, uint8_t version, uint32_t xid, enum ofperr err,
                    const uint8_t *request, size_t request_len);
int of_encode_echo(struct ofbuf *b, uint8_t version, uint32_t xid, bool reply,
                   const uint8_t *data, size_t len);
/* Messages with no body: FEATURES_REQUEST, GET_CONFIG_REQUEST, BARRIER_*, GET_ASYNC_REQUEST. */
int of_encode_empty(struct ofbuf *b, uint8_t version, uint32_t xid, enum ofm_type type);
int of_encode_features_reply(struct ofbuf *b, uint8_t version, uint32_t xid,
                             const struct of_features *f);
int of_encode_config(struct ofbuf *b, uint8_t version, uint32_t xid, enum ofm_type type,
                     uint16_t flags, uint16_t miss_send_len);
int of_encode_packet_in(struct ofbuf *b, uint8_t version, uint32_t xid,
                        const struct of_packet_in *pi);
int of_encode_flow_removed(struct ofbuf *b, uint8_t version, uint32_t xid,
                           const struct of_flow_removed *fr);
int of_encode_port_status(struct ofbuf *b, uint8_t version, uint32_t xid, uint8_t reason,
                          const struct of_port *port);
int of_encode_packet_out(struct ofbuf *b, uint8_t version, uint32_t xid,
                         const struct of_packet_out *po);
int of_encode_flow_mod(struct ofbuf *b, uint8_t version, uint32_t xid,
                       const struct of_flow_mod *fm);
int of_encode_port_mod(struct ofbuf *b, uint8_t version, uint32_t xid,
                       const struct of_port_mod *pm);
int of_encode_role(struct ofbuf *b, uint8_t version, uint32_t xid, enum ofm_type type,
                   const struct of_role *role);
int of_encode_async(struct ofbuf *b, uint8_t version, uint32_t xid, enum ofm_type type,
                    const struct of_async *async);
/* A reply telling that `port_no` has no queues (vsw has none). */
int of_encode_queue_config_reply(struct ofbuf *b, uint8_t version, uint32_t xid,
                                 uint32_t port_no);
/* A multipart request (FLOW, AGGREGATE, PORT_STATS, QUEUE use the request members). */
int of_encode_multipart_request(struct ofbuf *b, uint8_t version, uint32_t xid,
                                const struct of_multipart *mp);
/* A multipart reply holding mp's entries, split into as many messages as needed (all but the
 * last flagged MORE). */
int of_encode_multipart_reply(struct ofbuf *b, uint8_t version, uint32_t xid,
                              const struct of_multipart *mp);

/* Wire helpers for the codec's own files. */
static inline uint16_t of_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t of_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t of_get64(const uint8_t *p)
{
    return (uint64_t)of_get32(p) << 32 | of_get32(p + 4);
}
static inline void of_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void of_put32(uint8_t *p, uint32_t v)
{
    of_put16(p, (uint16_t)(v >> 16));
    of_put16(p + 2, (uint16_t)v);
}
static inline void of_put64(uint8_t *p, uint64_t v)
{
    of_put32(p, (uint32_t)(v >> 32));
    of_put32(p + 4, (uint32_t)v);
}

/* 1.0's 16-bit port numbers and 1.3's 32-bit ones. */
static inline uint32_t of_port_from_16(uint16_t p)
{
    return p >= 0xff00 ? 0xffff0000u | p : p;
}
static inline uint16_t of_port_to_16(uint32_t p)
{
    return p >= 0xffffff00u ? (uint16_t)(p & 0xffff) : (uint16_t)p;
}

#endif
