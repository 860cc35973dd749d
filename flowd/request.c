#include "flowd/request.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "flowd/vlan.h"
#include "proto/flowd.pb-c.h"

enum rule_kind {
    RULE_IFNAME,            /* string: an interface name */
    RULE_IFNAME_OR_EMPTY,   /* string: an interface name, or "" (all) */
    RULE_DP_TYPE,           /* string: at most 15 bytes (the provider is checked later) */
    RULE_PORT_NO,           /* uint32: 1..65279, or 65534 */
    RULE_RANGE,             /* uint32: min..max */
    RULE_ZERO_OR_RANGE,     /* uint32: 0 (default), or min..max */
    RULE_ENUM,              /* enum: a value of its type */
    RULE_ENUM_SET,          /* enum: a value of its type other than 0 (unspecified) */
    RULE_VLAN_LIST,         /* repeated uint32: each 0..4095, at most 4096 */
    RULE_COUNT,             /* repeated field: min..max elements (each checked by its user) */
};

struct field_rule {
    const char *field;
    enum rule_kind kind;
    uint32_t min, max;
};

struct message_policy {
    const ProtobufCMessageDescriptor *desc;
    const struct field_rule *rules;
    size_t n_rules;
};

#define POLICY(desc, rules) { &(desc), rules, sizeof rules / sizeof rules[0] }

static const struct field_rule datapath_add_rules[] = {
    { "name", RULE_IFNAME, 0, 0 },
    { "type", RULE_DP_TYPE, 0, 0 },
    { "owner", RULE_IFNAME_OR_EMPTY, 0, 0 },
};
static const struct field_rule datapath_del_rules[] = {
    { "name", RULE_IFNAME, 0, 0 },
};
static const struct field_rule port_add_rules[] = {
    { "datapath", RULE_IFNAME, 0, 0 },
    { "name", RULE_IFNAME, 0, 0 },
    { "port_no", RULE_PORT_NO, 0, 0 },
    { "kind", RULE_ENUM_SET, 0, 0 },
    { "mtu_request", RULE_ZERO_OR_RANGE, MTU_MIN, MTU_MAX },
};
static const struct field_rule port_add_batch_rules[] = {
    { "ports", RULE_COUNT, 1, 1024 },
};
static const struct field_rule port_del_rules[] = {
    { "datapath", RULE_IFNAME, 0, 0 },
    { "name", RULE_IFNAME, 0, 0 },
};
static const struct field_rule port_vlan_rules[] = {
    { "datapath", RULE_IFNAME, 0, 0 },
    { "name", RULE_IFNAME, 0, 0 },
    { "tag", RULE_RANGE, 0, VLAN_COUNT - 1 },
    { "trunks", RULE_VLAN_LIST, 0, 0 },
    { "vlan_mode", RULE_ENUM, 0, 0 },
};
static const struct field_rule bridge_options_rules[] = {
    { "datapath", RULE_IFNAME, 0, 0 },
    { "mac_aging_time", RULE_ZERO_OR_RANGE, 1, 86400 },
    { "mac_table_size", RULE_ZERO_OR_RANGE, 10, 1048576 },
    { "flow_idle_timeout_ms", RULE_ZERO_OR_RANGE, 100, 3600000 },
};
static const struct field_rule port_status_rules[] = {
    { "datapath", RULE_IFNAME, 0, 0 },
    { "name", RULE_IFNAME_OR_EMPTY, 0, 0 },
};
static const struct field_rule flow_dump_rules[] = {
    { "datapath", RULE_IFNAME_OR_EMPTY, 0, 0 },
};
static const struct field_rule fdb_dump_rules[] = {
    { "datapath", RULE_IFNAME, 0, 0 },
};
static const struct field_rule flush_rules[] = {
    { "datapath", RULE_IFNAME, 0, 0 },
};

static const struct message_policy policies[] = {
    POLICY(vsw__flowd_datapath_add__descriptor, datapath_add_rules),
    POLICY(vsw__flowd_datapath_del__descriptor, datapath_del_rules),
    POLICY(vsw__flowd_port_add__descriptor, port_add_rules),
    POLICY(vsw__flowd_port_add_batch__descriptor, port_add_batch_rules),
    POLICY(vsw__flowd_port_del__descriptor, port_del_rules),
    POLICY(vsw__flowd_port_vlan__descriptor, port_vlan_rules),
    POLICY(vsw__flowd_bridge_options__descriptor, bridge_options_rules),
    POLICY(vsw__flowd_port_status_request__descriptor, port_status_rules),
    POLICY(vsw__flowd_flow_dump_request__descriptor, flow_dump_rules),
    POLICY(vsw__flowd_fdb_dump_request__descriptor, fdb_dump_rules),
    POLICY(vsw__flowd_flush_request__descriptor, flush_rules),
};

bool ifname_valid(const char *name, char *why, size_t why_size)
{
    size_t len = strlen(name);
    if (len == 0) {
        snprintf(why, why_size, "is empty");
        return false;
    }
    if (len >= IFNAMSIZ) {
        snprintf(why, why_size, "is %zu bytes long (at most %d)", len, IFNAMSIZ - 1);
        return false;
    }
    if (!strcmp(name, ".") || !strcmp(name, "..")) {
        snprintf(why, why_size, "cannot be \"%s\"", name);
        return false;
    }
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (*c <= ' ' || *c == 0x7f || *c == '/' || *c == ':') {
            snprintf(why, why_size, "contains '%s'",
                     *c == '/' ? "/" : *c == ':' ? ":" : "a space or control character");
            return false;
        }
    }
    return true;
}

static const void *field_at(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd)
{
    return (const char *)msg + fd->offset;
}

static int check_string(const struct field_rule *rule, const char *value,
                        struct ipc_error *err)
{
    char why[96];
    if (rule->kind == RULE_IFNAME_OR_EMPTY && !value[0])
        return 0;
    if (rule->kind == RULE_DP_TYPE) {
        if (strlen(value) < IFNAMSIZ)
            return 0;
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "%s: datapath type is too long", rule->field);
        return -1;
    }
    if (ifname_valid(value, why, sizeof why))
        return 0;
    ipc_error_set(err, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                  "%s: \"%.40s\" is not an interface name: it %s", rule->field, value, why);
    return -1;
}

static int check_number(const struct field_rule *rule, uint32_t v, struct ipc_error *err)
{
    switch (rule->kind) {
    case RULE_PORT_NO:
        if ((v >= 1 && v < PORT_NO_MAX) || v == PORT_NO_LOCAL)
            return 0;
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "%s: %u is not a port number (1..%u, or %u for the bridge's own port)",
                      rule->field, v, PORT_NO_MAX - 1, PORT_NO_LOCAL);
        return -1;
    case RULE_ZERO_OR_RANGE:
        if (v == 0)
            return 0;
        /* fall through */
    case RULE_RANGE:
        if (v >= rule->min && v <= rule->max)
            return 0;
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "%s: %u is out of range (%s%u..%u)", rule->field, v,
                      rule->kind == RULE_ZERO_OR_RANGE ? "0 for the default, or " : "",
                      rule->min, rule->max);
        return -1;
    default:
        return 0;
    }
}

static int check_enum(const struct field_rule *rule, const ProtobufCFieldDescriptor *fd, int v,
                      struct ipc_error *err)
{
    const ProtobufCEnumDescriptor *ed = fd->descriptor;
    if (!protobuf_c_enum_descriptor_get_value(ed, v)) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "%s: %d is not a value of %s", rule->field, v, ed->name);
        return -1;
    }
    if (rule->kind == RULE_ENUM_SET && v == 0) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT, "%s: must be set",
                      rule->field);
        return -1;
    }
    return 0;
}

static int check_vlan_list(const struct field_rule *rule, const ProtobufCMessage *msg,
                           const ProtobufCFieldDescriptor *fd, struct ipc_error *err)
{
    size_t n = *(const size_t *)((const char *)msg + fd->quantifier_offset);
    const uint32_t *vids = *(uint32_t *const *)field_at(msg, fd);
    if (n > VLAN_COUNT) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "%s: %zu VLANs listed (at most %d)", rule->field, n, VLAN_COUNT);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (vids[i] >= VLAN_COUNT) {
            ipc_error_set(err, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                          "%s: VLAN %u is out of range (0..%d)", rule->field, vids[i],
                          VLAN_COUNT - 1);
            return -1;
        }
    }
    return 0;
}

static int check_count(const struct field_rule *rule, const ProtobufCMessage *msg,
                       const ProtobufCFieldDescriptor *fd, struct ipc_error *err)
{
    size_t n = *(const size_t *)((const char *)msg + fd->quantifier_offset);
    if (n < rule->min || n > rule->max) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "%s: %zu elements (%u..%u allowed)", rule->field, n, rule->min, rule->max);
        return -1;
    }
    return 0;
}

static int check_field(const ProtobufCMessage *msg, const struct field_rule *rule,
                       struct ipc_error *err)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, rule->field);
    if (!fd) {
        /* A policy naming a field its message lacks is a bug here, not the client's. */
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INTERNAL, "no field %s in %s", rule->field,
                      msg->descriptor->name);
        return -1;
    }
    switch (rule->kind) {
    case RULE_IFNAME:
    case RULE_IFNAME_OR_EMPTY:
    case RULE_DP_TYPE:
        return check_string(rule, *(char *const *)field_at(msg, fd), err);
    case RULE_PORT_NO:
    case RULE_RANGE:
    case RULE_ZERO_OR_RANGE:
        return check_number(rule, *(const uint32_t *)field_at(msg, fd), err);
    case RULE_ENUM:
    case RULE_ENUM_SET:
        return check_enum(rule, fd, *(const int *)field_at(msg, fd), err);
    case RULE_VLAN_LIST:
        return check_vlan_list(rule, msg, fd, err);
    case RULE_COUNT:
        return check_count(rule, msg, fd, err);
    }
    return 0;
}

int request_validate(const ProtobufCMessage *msg, struct ipc_error *err)
{
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        if (policies[i].desc != msg->descriptor)
            continue;
        for (size_t r = 0; r < policies[i].n_rules; r++) {
            if (check_field(msg, &policies[i].rules[r], err) < 0)
                return -1;
        }
        return 0;
    }
    return 0;
}
