/* OpenFlow errors: vsw's names for them and their (type, code) in each version. Where 1.0 has
 * no such error, the nearest one it has is sent (as Open vSwitch does without its Nicira
 * extension errors). */
#include "openflow/ofp.h"

struct error_map {
    const char *name;
    uint16_t type10, code10;
    uint16_t type13, code13;
};

static const struct error_map errors[OFPERR_N] = {
    [OFPERR_NONE] = { "OK", 0, 0, 0, 0 },
    [OFPERR_HELLO_INCOMPATIBLE] = { "OFPHFC_INCOMPATIBLE", 0, 0, 0, 0 },
    [OFPERR_HELLO_EPERM] = { "OFPHFC_EPERM", 0, 1, 0, 1 },
    [OFPERR_BAD_VERSION] = { "OFPBRC_BAD_VERSION", 1, 0, 1, 0 },
    [OFPERR_BAD_TYPE] = { "OFPBRC_BAD_TYPE", 1, 1, 1, 1 },
    [OFPERR_BAD_MULTIPART] = { "OFPBRC_BAD_MULTIPART", 1, 2, 1, 2 },
    [OFPERR_BAD_EXPERIMENTER] = { "OFPBRC_BAD_EXPERIMENTER", 1, 3, 1, 3 },
    [OFPERR_BAD_EXP_TYPE] = { "OFPBRC_BAD_EXP_TYPE", 1, 4, 1, 4 },
    [OFPERR_REQUEST_EPERM] = { "OFPBRC_EPERM", 1, 5, 1, 5 },
    [OFPERR_BAD_LEN] = { "OFPBRC_BAD_LEN", 1, 6, 1, 6 },
    [OFPERR_BUFFER_UNKNOWN] = { "OFPBRC_BUFFER_UNKNOWN", 1, 8, 1, 8 },
    [OFPERR_BAD_TABLE_ID] = { "OFPBRC_BAD_TABLE_ID", 1, 5, 1, 9 },
    [OFPERR_IS_SLAVE] = { "OFPBRC_IS_SLAVE", 1, 5, 1, 10 },
    [OFPERR_BAD_PORT] = { "OFPBRC_BAD_PORT", 1, 5, 1, 11 },
    [OFPERR_BAD_PACKET] = { "OFPBRC_BAD_PACKET", 1, 5, 1, 12 },
    [OFPERR_ACTION_BAD_TYPE] = { "OFPBAC_BAD_TYPE", 2, 0, 2, 0 },
    [OFPERR_ACTION_BAD_LEN] = { "OFPBAC_BAD_LEN", 2, 1, 2, 1 },
    [OFPERR_ACTION_BAD_EXPERIMENTER] = { "OFPBAC_BAD_EXPERIMENTER", 2, 2, 2, 2 },
    [OFPERR_ACTION_BAD_OUT_PORT] = { "OFPBAC_BAD_OUT_PORT", 2, 4, 2, 4 },
    [OFPERR_ACTION_BAD_ARGUMENT] = { "OFPBAC_BAD_ARGUMENT", 2, 5, 2, 5 },
    [OFPERR_ACTION_TOO_MANY] = { "OFPBAC_TOO_MANY", 2, 7, 2, 7 },
    [OFPERR_ACTION_BAD_QUEUE] = { "OFPBAC_BAD_QUEUE", 2, 8, 2, 8 },
    [OFPERR_ACTION_BAD_OUT_GROUP] = { "OFPBAC_BAD_OUT_GROUP", 2, 0, 2, 9 },
    [OFPERR_ACTION_MATCH_INCONSISTENT] = { "OFPBAC_MATCH_INCONSISTENT", 2, 5, 2, 10 },
    [OFPERR_ACTION_BAD_SET_TYPE] = { "OFPBAC_BAD_SET_TYPE", 2, 0, 2, 13 },
    [OFPERR_ACTION_BAD_SET_LEN] = { "OFPBAC_BAD_SET_LEN", 2, 1, 2, 14 },
    [OFPERR_ACTION_BAD_SET_ARGUMENT] = { "OFPBAC_BAD_SET_ARGUMENT", 2, 5, 2, 15 },
    [OFPERR_INST_UNKNOWN] = { "OFPBIC_UNKNOWN_INST", 1, 1, 3, 0 },
    [OFPERR_INST_UNSUPPORTED] = { "OFPBIC_UNSUP_INST", 1, 1, 3, 1 },
    [OFPERR_INST_BAD_TABLE_ID] = { "OFPBIC_BAD_TABLE_ID", 1, 5, 3, 2 },
    [OFPERR_INST_BAD_LEN] = { "OFPBIC_BAD_LEN", 1, 6, 3, 7 },
    /* 1.4 calls it OFPBIC_DUP_INST; 1.3 has only "unsupported". */
    [OFPERR_INST_DUP] = { "OFPBIC_DUP_INST", 1, 1, 3, 1 },
    [OFPERR_MATCH_BAD_TYPE] = { "OFPBMC_BAD_TYPE", 3, 5, 4, 0 },
    [OFPERR_MATCH_BAD_LEN] = { "OFPBMC_BAD_LEN", 1, 6, 4, 1 },
    [OFPERR_MATCH_BAD_WILDCARDS] = { "OFPBMC_BAD_WILDCARDS", 3, 5, 4, 5 },
    [OFPERR_MATCH_BAD_FIELD] = { "OFPBMC_BAD_FIELD", 3, 5, 4, 6 },
    [OFPERR_MATCH_BAD_VALUE] = { "OFPBMC_BAD_VALUE", 3, 5, 4, 7 },
    [OFPERR_MATCH_BAD_MASK] = { "OFPBMC_BAD_MASK", 3, 5, 4, 8 },
    [OFPERR_MATCH_BAD_PREREQ] = { "OFPBMC_BAD_PREREQ", 3, 5, 4, 9 },
    [OFPERR_MATCH_DUP_FIELD] = { "OFPBMC_DUP_FIELD", 3, 5, 4, 10 },
    [OFPERR_FLOW_MOD_UNKNOWN] = { "OFPFMFC_UNKNOWN", 3, 5, 5, 0 },
    [OFPERR_FLOW_MOD_TABLE_FULL] = { "OFPFMFC_TABLE_FULL", 3, 0, 5, 1 },
    [OFPERR_FLOW_MOD_BAD_TABLE_ID] = { "OFPFMFC_BAD_TABLE_ID", 1, 5, 5, 2 },
    [OFPERR_FLOW_MOD_OVERLAP] = { "OFPFMFC_OVERLAP", 3, 1, 5, 3 },
    [OFPERR_FLOW_MOD_EPERM] = { "OFPFMFC_EPERM", 3, 2, 5, 4 },
    [OFPERR_FLOW_MOD_BAD_TIMEOUT] = { "OFPFMFC_BAD_TIMEOUT", 3, 3, 5, 5 },
    [OFPERR_FLOW_MOD_BAD_COMMAND] = { "OFPFMFC_BAD_COMMAND", 3, 4, 5, 6 },
    [OFPERR_FLOW_MOD_BAD_FLAGS] = { "OFPFMFC_BAD_FLAGS", 3, 5, 5, 7 },
    [OFPERR_PORT_MOD_BAD_PORT] = { "OFPPMFC_BAD_PORT", 4, 0, 7, 0 },
    [OFPERR_PORT_MOD_BAD_HW_ADDR] = { "OFPPMFC_BAD_HW_ADDR", 4, 1, 7, 1 },
    [OFPERR_PORT_MOD_BAD_CONFIG] = { "OFPPMFC_BAD_CONFIG", 4, 0, 7, 2 },
    [OFPERR_TABLE_MOD_BAD_TABLE] = { "OFPTMFC_BAD_TABLE", 1, 5, 8, 0 },
    [OFPERR_TABLE_MOD_BAD_CONFIG] = { "OFPTMFC_BAD_CONFIG", 1, 5, 8, 1 },
    [OFPERR_QUEUE_BAD_PORT] = { "OFPQOFC_BAD_PORT", 5, 0, 9, 0 },
    [OFPERR_QUEUE_BAD_QUEUE] = { "OFPQOFC_BAD_QUEUE", 5, 1, 9, 1 },
    [OFPERR_SWITCH_CONFIG_BAD_FLAGS] = { "OFPSCFC_BAD_FLAGS", 1, 5, 10, 0 },
    [OFPERR_ROLE_STALE] = { "OFPRRFC_STALE", 1, 5, 11, 0 },
    [OFPERR_ROLE_UNSUPPORTED] = { "OFPRRFC_UNSUP", 1, 5, 11, 1 },
    [OFPERR_ROLE_BAD_ROLE] = { "OFPRRFC_BAD_ROLE", 1, 5, 11, 2 },
};

const char *ofperr_name(enum ofperr err)
{
    return (unsigned)err < OFPERR_N && errors[err].name ? errors[err].name : "OFPERR_UNKNOWN";
}

void ofperr_to_wire(enum ofperr err, uint8_t version, uint16_t *type, uint16_t *code)
{
    if ((unsigned)err >= OFPERR_N)
        err = OFPERR_BAD_TYPE;
    *type = version == OFP10_VERSION ? errors[err].type10 : errors[err].type13;
    *code = version == OFP10_VERSION ? errors[err].code10 : errors[err].code13;
}

enum ofperr ofperr_from_wire(uint8_t version, uint16_t type, uint16_t code)
{
    /* Several of ours share a 1.0 pair; the first listed is the one it reads as. */
    for (unsigned e = 1; e < OFPERR_N; e++) {
        uint16_t t, c;
        ofperr_to_wire((enum ofperr)e, version, &t, &c);
        if (t == type && c == code)
            return (enum ofperr)e;
    }
    return OFPERR_NONE;
}
