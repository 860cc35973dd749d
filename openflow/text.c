/* ovs-ofctl's flow syntax, read and printed. */
#include "openflow/text.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openflow/codec.h"

#define ETH_TYPE_IP 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_RARP 0x8035
#define OF_DEFAULT_PRIORITY 32768
#define MAX_TOKENS 64

/* ---- Text buffers ---- */

void of_text_printf(struct ofbuf *b, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, args);
    va_end(args);
    if (n < 0)
        return;
    if (b->len && b->data[b->len - 1] == '\0')
        b->len--;   /* write over the terminator */
    if ((size_t)n < sizeof small) {
        ofbuf_put_copy(b, small, (size_t)n + 1);
        return;
    }
    uint8_t *p = ofbuf_put(b, (size_t)n + 1);
    if (!p)
        return;
    va_start(args, fmt);
    vsnprintf((char *)p, (size_t)n + 1, fmt, args);
    va_end(args);
}

const char *of_text(const struct ofbuf *b)
{
    return b->len && !b->oom ? (const char *)b->data : "";
}

/* ---- Ports ---- */

static const struct {
    const char *name;
    uint32_t port;
} reserved_ports[] = {
    { "IN_PORT", OFPP_IN_PORT }, { "TABLE", OFPP_TABLE }, { "NORMAL", OFPP_NORMAL },
    { "FLOOD", OFPP_FLOOD },     { "ALL", OFPP_ALL },     { "CONTROLLER", OFPP_CONTROLLER },
    { "LOCAL", OFPP_LOCAL },     { "ANY", OFPP_ANY },     { "NONE", OFPP_ANY },
};

const char *of_port_format(uint32_t port, char *buf)
{
    for (size_t i = 0; i < sizeof reserved_ports / sizeof reserved_ports[0]; i++) {
        if (reserved_ports[i].port == port)
            return reserved_ports[i].name;
    }
    snprintf(buf, 16, "%u", port);
    return buf;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
    if (!*s || *s == '-' || isspace((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || *end || x > max)
        return false;
    *v = x;
    return true;
}

int of_port_parse(const char *text, uint32_t *port, of_port_lookup_fn *lookup, void *aux)
{
    for (size_t i = 0; i < sizeof reserved_ports / sizeof reserved_ports[0]; i++) {
        if (!strcasecmp(text, reserved_ports[i].name)) {
            *port = reserved_ports[i].port;
            return 0;
        }
    }
    uint64_t v;
    if (parse_u64(text, UINT32_MAX, &v)) {
        /* 1.0's numbers for the reserved ports read as the reserved ports. */
        *port = v >= 0xff00 && v <= 0xffff ? of_port_from_16((uint16_t)v) : (uint32_t)v;
        return 0;
    }
    return lookup && lookup(aux, text, port) ? 0 : -1;
}

/* ---- Field values ---- */

static void fail(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t size, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(err, size, fmt, args);
    va_end(args);
}

static bool parse_mac(const char *s, uint8_t *mac)
{
    unsigned v[6];
    char extra;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &extra) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return true;
}

/* "a.b.c.d", "a.b.c.d/24", "a.b.c.d/255.255.0.0" */
static bool parse_ipv4(const char *value, const char *mask, uint8_t *v, uint8_t *k)
{
    struct in_addr a;
    if (inet_pton(AF_INET, value, &a) != 1)
        return false;
    memcpy(v, &a, 4);
    if (!mask)
        return true;
    uint64_t bits;
    if (parse_u64(mask, 32, &bits) && !strchr(mask, '.')) {
        uint32_t m = bits ? ~0u << (32 - bits) : 0;
        of_put32(k, m);
        return true;
    }
    if (inet_pton(AF_INET, mask, &a) != 1)
        return false;
    memcpy(k, &a, 4);
    return true;
}

static bool parse_ipv6(const char *value, const char *mask, uint8_t *v, uint8_t *k)
{
    struct in6_addr a;
    if (inet_pton(AF_INET6, value, &a) != 1)
        return false;
    memcpy(v, &a, 16);
    if (!mask)
        return true;
    uint64_t bits;
    if (parse_u64(mask, 128, &bits) && !strchr(mask, ':')) {
        memset(k, 0, 16);
        for (unsigned i = 0; i < bits; i++)
            k[i / 8] |= (uint8_t)(0x80 >> (i % 8));
        return true;
    }
    if (inet_pton(AF_INET6, mask, &a) != 1)
        return false;
    memcpy(k, &a, 16);
    return true;
}

static bool parse_number_into(const char *s, size_t len, uint64_t max, uint8_t *out)
{
    uint64_t limit = len >= 8 ? UINT64_MAX : (1ull << (8 * len)) - 1;
    uint64_t v;
    if (!parse_u64(s, max && max < limit ? max : limit, &v))
        return false;
    for (int i = (int)len - 1; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
    return true;
}

/* Parses `text` ("value" or "value/mask") as field `f`'s value into v and k (k all ones if no
 * mask). */
static int parse_field_value(const struct mf_field *f, const char *text, uint8_t *v, uint8_t *k,
                             of_port_lookup_fn *lookup, void *aux, char *err, size_t err_size)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", text);
    char *slash = strchr(buf, '/');
    const char *mask = NULL;
    if (slash) {
        *slash = '\0';
        mask = slash + 1;
    }
    memset(v, 0, 16);
    memset(k, 0xff, 16);
    if (mask && !f->maskable) {
        fail(err, err_size, "%s: the field cannot be masked", f->name);
        return -1;
    }
    bool ok;
    uint32_t port;
    switch (f->format) {
    case MFF_PORT:
        ok = of_port_parse(buf, &port, lookup, aux) == 0;
        of_put32(v, port);
        break;
    case MFF_ETHERNET:
        ok = parse_mac(buf, v) && (!mask || parse_mac(mask, k));
        break;
    case MFF_IPV4:
        ok = parse_ipv4(buf, mask, v, k);
        break;
    case MFF_IPV6:
        ok = parse_ipv6(buf, mask, v, k);
        break;
    default:
        ok = parse_number_into(buf, f->len, f->max, v) &&
             (!mask || parse_number_into(mask, f->len, 0, k));
        break;
    }
    if (!ok) {
        fail(err, err_size, "%s: '%s' is not a valid value", f->name, text);
        return -1;
    }
    return 0;
}

/* ---- Matches ---- */

struct token {
    char *key;
    char *value;      /* NULL for a bare word */
};

/* Splits `s` (modified in place) at commas and spaces outside parentheses. "actions=..."
 * takes the rest of the line, returned in *actions. */
static int tokenize(char *s, struct token *tokens, size_t *n, char **actions, char *err,
                    size_t err_size)
{
    *n = 0;
    *actions = NULL;
    char *p = s;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (!strncmp(p, "actions=", 8) || !strncmp(p, "action=", 7)) {
            *actions = strchr(p, '=') + 1;
            return 0;
        }
        char *start = p;
        int depth = 0;
        while (*p && (depth || (*p != ',' && !isspace((unsigned char)*p)))) {
            depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
            p++;
        }
        if (*p)
            *p++ = '\0';
        if (*n == MAX_TOKENS) {
            fail(err, err_size, "too many fields (at most %d)", MAX_TOKENS);
            return -1;
        }
        char *eq = strchr(start, '=');
        if (eq)
            *eq = '\0';
        tokens[(*n)++] = (struct token){ start, eq ? eq + 1 : NULL };
    }
    return 0;
}

static const struct {
    const char *name;
    uint16_t eth_type;
    uint8_t proto;       /* 0: none */
} shorthands[] = {
    { "ip", ETH_TYPE_IP, 0 },      { "ipv6", ETH_TYPE_IPV6, 0 },   { "arp", ETH_TYPE_ARP, 0 },
    { "rarp", ETH_TYPE_RARP, 0 },  { "icmp", ETH_TYPE_IP, 1 },     { "icmp6", ETH_TYPE_IPV6, 58 },
    { "tcp", ETH_TYPE_IP, 6 },     { "tcp6", ETH_TYPE_IPV6, 6 },   { "udp", ETH_TYPE_IP, 17 },
    { "udp6", ETH_TYPE_IPV6, 17 }, { "sctp", ETH_TYPE_IP, 132 },   { "sctp6", ETH_TYPE_IPV6, 132 },
};

static int find_shorthand(const char *name)
{
    for (size_t i = 0; i < sizeof shorthands / sizeof shorthands[0]; i++) {
        if (!strcmp(shorthands[i].name, name))
            return (int)i;
    }
    return -1;
}

static bool is_arp(const struct of_match *m)
{
    return of_match_is_exact(m, MF_ETH_TYPE) &&
           (of_match_value(m, MF_ETH_TYPE) == ETH_TYPE_ARP ||
            of_match_value(m, MF_ETH_TYPE) == ETH_TYPE_RARP);
}

static bool is_ipv6(const struct of_match *m)
{
    return of_match_prereq_ok(m, MFP_IPV6);
}

/* The field an OpenFlow 1.0 name means given what the match says so far; NULL if the name is
 * not one of those. */
static const struct mf_field *resolve_generic(const char *name, const struct of_match *m)
{
    uint8_t proto = (uint8_t)of_match_value(m, MF_IP_PROTO);
    bool icmp = proto == 1 || proto == 58;
    if (!strcmp(name, "nw_src"))
        return mf_from_id(is_arp(m) ? MF_ARP_SPA : MF_IPV4_SRC);
    if (!strcmp(name, "nw_dst"))
        return mf_from_id(is_arp(m) ? MF_ARP_TPA : MF_IPV4_DST);
    if (!strcmp(name, "nw_proto") || !strcmp(name, "ip_proto"))
        return mf_from_id(is_arp(m) ? MF_ARP_OP : MF_IP_PROTO);
    if (!strcmp(name, "icmp_type") || (icmp && !strcmp(name, "tp_src")))
        return mf_from_id(is_ipv6(m) ? MF_ICMPV6_TYPE : MF_ICMPV4_TYPE);
    if (!strcmp(name, "icmp_code") || (icmp && !strcmp(name, "tp_dst")))
        return mf_from_id(is_ipv6(m) ? MF_ICMPV6_CODE : MF_ICMPV4_CODE);
    bool src = !strcmp(name, "tp_src"), dst = !strcmp(name, "tp_dst");
    if (!src && !dst)
        return NULL;
    if (proto == 17)
        return mf_from_id(src ? MF_UDP_SRC : MF_UDP_DST);
    if (proto == 132)
        return mf_from_id(src ? MF_SCTP_SRC : MF_SCTP_DST);
    return mf_from_id(src ? MF_TCP_SRC : MF_TCP_DST);
}

/* Sets the VLAN fields from vlan_tci=V[/M] (Open vSwitch's TCI, with 0x1000 as "tagged"). */
static int set_vlan_tci(struct of_match *m, const char *text, char *err, size_t err_size)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", text);
    char *slash = strchr(buf, '/');
    uint64_t tci, mask = 0xffff;
    if (slash)
        *slash = '\0';
    if (!parse_u64(buf, 0xffff, &tci) || (slash && !parse_u64(slash + 1, 0xffff, &mask))) {
        fail(err, err_size, "vlan_tci: '%s' is not a number", text);
        return -1;
    }
    uint16_t pcp_mask = (uint16_t)(mask & 0xe000);
    if (pcp_mask && pcp_mask != 0xe000) {
        fail(err, err_size, "vlan_tci: a priority is matched whole or not at all");
        return -1;
    }
    uint8_t v[2], k[2];
    of_put16(v, (uint16_t)(tci & 0x1fff));
    of_put16(k, (uint16_t)(mask & 0x1fff));
    of_match_set(m, MF_VLAN_VID, v, k);
    if (pcp_mask && (tci & 0x1000))
        of_match_set_exact_u8(m, MF_VLAN_PCP, (uint8_t)(tci >> 13));
    return 0;
}

static int set_dl_vlan(struct of_match *m, const char *text, char *err, size_t err_size)
{
    uint64_t vid;
    if (!parse_u64(text, 0xffff, &vid) || (vid > 0xfff && vid != 0xffff)) {
        fail(err, err_size, "dl_vlan: '%s' is not a VLAN (0..4095, or 0xffff for none)", text);
        return -1;
    }
    uint8_t v[2], k[2];
    of_put16(v, vid == 0xffff ? OFPVID_NONE : (uint16_t)(OFPVID_PRESENT | vid));
    of_put16(k, 0x1fff);
    of_match_set(m, MF_VLAN_VID, v, k);
    return 0;
}

static int set_dl_vlan_pcp(struct of_match *m, const char *text, char *err, size_t err_size)
{
    uint64_t pcp;
    if (!parse_u64(text, 7, &pcp)) {
        fail(err, err_size, "dl_vlan_pcp: '%s' is not a priority (0..7)", text);
        return -1;
    }
    if (!of_match_has(m, MF_VLAN_VID)) {
        uint8_t v[2], k[2];
        of_put16(v, OFPVID_PRESENT);
        of_put16(k, OFPVID_PRESENT);
        of_match_set(m, MF_VLAN_VID, v, k);
    }
    of_match_set_exact_u8(m, MF_VLAN_PCP, (uint8_t)pcp);
    return 0;
}

static int set_nw_tos(struct of_match *m, const char *text, char *err, size_t err_size)
{
    uint64_t tos;
    if (!parse_u64(text, 255, &tos) || (tos & 3)) {
        fail(err, err_size, "nw_tos: '%s' is not a ToS with its two low bits clear", text);
        return -1;
    }
    of_match_set_exact_u8(m, MF_IP_DSCP, (uint8_t)(tos >> 2));
    return 0;
}

static int set_field(struct of_match *m, const char *key, const char *value,
                     of_port_lookup_fn *lookup, void *aux, char *err, size_t err_size)
{
    if (!value) {
        fail(err, err_size, "%s: a value is missing", key);
        return -1;
    }
    if (!strcmp(key, "vlan_tci"))
        return set_vlan_tci(m, value, err, err_size);
    if (!strcmp(key, "dl_vlan"))
        return set_dl_vlan(m, value, err, err_size);
    if (!strcmp(key, "dl_vlan_pcp"))
        return set_dl_vlan_pcp(m, value, err, err_size);
    if (!strcmp(key, "nw_tos"))
        return set_nw_tos(m, value, err, err_size);
    const struct mf_field *f = resolve_generic(key, m);
    if (!f)
        f = mf_from_name(key);
    if (!f) {
        fail(err, err_size, "unknown field '%s'", key);
        return -1;
    }
    uint8_t v[16], k[16];
    if (parse_field_value(f, value, v, k, lookup, aux, err, err_size) < 0)
        return -1;
    if (of_match_has(m, f->id)) {
        fail(err, err_size, "%s: given twice", key);
        return -1;
    }
    if (f->id == MF_VLAN_VID ? (of_get16(v) & ~0x1fff) : !mf_value_ok(f, v)) {
        fail(err, err_size, "%s: '%s' is out of range", key, value);
        return -1;
    }
    of_match_set(m, f->id, v, f->maskable ? k : NULL);
    return 0;
}

/* Keys that set the flow-mod rather than the match. Returns 1 if `t` was one, 0 if not, -1 on
 * error. */
static int parse_flow_key(const struct token *t, int command, struct of_flow_mod *fm,
                          of_port_lookup_fn *lookup, void *aux, char *err, size_t err_size)
{
    static const char *const ignored[] = { "duration", "n_packets", "n_bytes", "idle_age",
                                           "hard_age", "importance" };
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
        if (!strcmp(t->key, ignored[i]))
            return 1;
    }
    static const struct { const char *name; uint16_t flag; } flags[] = {
        { "send_flow_rem", OFPFF_SEND_FLOW_REM },
        { "check_overlap", OFPFF_CHECK_OVERLAP },
        { "reset_counts", OFPFF_RESET_COUNTS },
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (!strcmp(t->key, flags[i].name) && !t->value) {
            fm->flags |= flags[i].flag;
            return 1;
        }
    }
    uint64_t v;
    const char *value = t->value ? t->value : "";
    if (!strcmp(t->key, "table")) {
        if (!strcmp(value, "all") && command >= OFPFC_DELETE) {
            fm->table_id = OFPTT_ALL;
            return 1;
        }
        if (!parse_u64(value, OF_N_TABLES - 1, &v))
            goto bad;
        fm->table_id = (uint8_t)v;
        return 1;
    }
    if (!strcmp(t->key, "priority")) {
        if (!parse_u64(value, 0xffff, &v))
            goto bad;
        fm->priority = (uint16_t)v;
        return 1;
    }
    if (!strcmp(t->key, "idle_timeout") || !strcmp(t->key, "hard_timeout")) {
        if (!parse_u64(value, 0xffff, &v))
            goto bad;
        *(t->key[0] == 'i' ? &fm->idle_timeout : &fm->hard_timeout) = (uint16_t)v;
        return 1;
    }
    if (!strcmp(t->key, "out_port")) {
        if (of_port_parse(value, &fm->out_port, lookup, aux) < 0)
            goto bad;
        return 1;
    }
    if (!strcmp(t->key, "cookie")) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", value);
        char *slash = strchr(buf, '/');
        if (slash)
            *slash = '\0';
        uint64_t mask = UINT64_MAX;
        if (!parse_u64(buf, UINT64_MAX, &fm->cookie) ||
            (slash && !parse_u64(slash + 1, UINT64_MAX, &mask)))
            goto bad;
        if (slash && command == OFPFC_ADD) {
            fail(err, err_size, "cookie: a mask only selects flows to modify or delete");
            return -1;
        }
        fm->cookie_mask = command == OFPFC_ADD ? 0 : mask;
        return 1;
    }
    return 0;
bad:
    fail(err, err_size, "%s: '%s' is not a valid value", t->key, value);
    return -1;
}

static int parse_match(struct token *tokens, size_t n, int command, struct of_flow_mod *fm,
                       of_port_lookup_fn *lookup, void *aux, char *err, size_t err_size)
{
    struct of_match *m = &fm->match;
    /* Protocol first, then the IP protocol, then what depends on them. */
    for (size_t i = 0; i < n; i++) {
        int s = tokens[i].value ? -1 : find_shorthand(tokens[i].key);
        if (s >= 0) {
            of_match_set_exact_u16(m, MF_ETH_TYPE, shorthands[s].eth_type);
            if (shorthands[s].proto)
                of_match_set_exact_u8(m, MF_IP_PROTO, shorthands[s].proto);
            tokens[i].key = NULL;
        } else if (!strcmp(tokens[i].key, "dl_type") || !strcmp(tokens[i].key, "eth_type")) {
            if (set_field(m, "eth_type", tokens[i].value, lookup, aux, err, err_size) < 0)
                return -1;
            tokens[i].key = NULL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (tokens[i].key && (!strcmp(tokens[i].key, "nw_proto") ||
                              !strcmp(tokens[i].key, "ip_proto"))) {
            if (set_field(m, tokens[i].key, tokens[i].value, lookup, aux, err, err_size) < 0)
                return -1;
            tokens[i].key = NULL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!tokens[i].key)
            continue;
        int rc = parse_flow_key(&tokens[i], command, fm, lookup, aux, err, err_size);
        if (rc < 0)
            return -1;
        if (rc == 0 && set_field(m, tokens[i].key, tokens[i].value, lookup, aux, err,
                                 err_size) < 0)
            return -1;
    }
    const struct mf_field *bad = of_match_first_bad_prereq(m);
    if (bad) {
        fail(err, err_size, "%s: matching it requires %s", bad->name,
             mf_prereq_name(bad->prereq));
        return -1;
    }
    return 0;
}

/* ---- Actions ---- */

static struct of_action *add_action(struct of_actions *acts, uint8_t type)
{
    if (acts->n % 16 == 0) {
        struct of_action *a = realloc(acts->a, (acts->n + 16) * sizeof *a);
        if (!a)
            return NULL;
        acts->a = a;
    }
    struct of_action *a = &acts->a[acts->n++];
    memset(a, 0, sizeof *a);
    a->type = type;
    return a;
}

/* Splits "name:arg" or "name(arg)" in place. */
static void split_action(char *s, char **name, char **arg)
{
    *name = s;
    *arg = NULL;
    char *colon = strchr(s, ':'), *paren = strchr(s, '(');
    if (paren && (!colon || paren < colon)) {
        *paren = '\0';
        char *close = strrchr(paren + 1, ')');
        if (close)
            *close = '\0';
        *arg = paren + 1;
    } else if (colon) {
        *colon = '\0';
        *arg = colon + 1;
    }
}

static int parse_controller(const char *arg, struct of_action *a, char *err, size_t err_size)
{
    a->port = OFPP_CONTROLLER;
    a->max_len = OFPCML_NO_BUFFER;
    if (!arg || !*arg)
        return 0;
    uint64_t v;
    const char *value = !strncmp(arg, "max_len=", 8) ? arg + 8 : arg;
    if (!parse_u64(value, 0xffff, &v)) {
        fail(err, err_size, "controller: '%s' is not a max_len", arg);
        return -1;
    }
    a->max_len = (uint16_t)v;
    return 0;
}

/* set_field:VALUE->FIELD */
static int parse_set_field(const char *arg, struct of_action *a, of_port_lookup_fn *lookup,
                           void *aux, char *err, size_t err_size)
{
    const char *arrow = arg ? strstr(arg, "->") : NULL;
    if (!arrow) {
        fail(err, err_size, "set_field: expected VALUE->FIELD");
        return -1;
    }
    char value[128];
    snprintf(value, sizeof value, "%.*s", (int)(arrow - arg), arg);
    const char *name = arrow + 2;
    const struct mf_field *f = mf_from_name(name);
    if (!f && !strcmp(name, "tp_src"))
        f = mf_from_id(MF_TCP_SRC);
    if (!f) {
        fail(err, err_size, "set_field: unknown field '%s'", name);
        return -1;
    }
    uint8_t k[16];
    if (strchr(value, '/')) {
        fail(err, err_size, "set_field: a value to set takes no mask");
        return -1;
    }
    if (parse_field_value(f, value, a->value, k, lookup, aux, err, err_size) < 0)
        return -1;
    a->type = OFA_SET_FIELD;
    a->field = (uint8_t)f->id;
    if (f->id == MF_VLAN_VID)
        of_put16(a->value, (uint16_t)(of_get16(a->value) | OFPVID_PRESENT));
    return 0;
}

/* Actions that set one field from an argument (Open vSwitch's mod_* names). */
static const struct {
    const char *name;
    enum mf_id field;
    uint8_t type;        /* OFA_SET_FIELD or a 1.0-style action */
} mod_actions[] = {
    { "mod_dl_src", MF_ETH_SRC, OFA_SET_FIELD },   { "mod_dl_dst", MF_ETH_DST, OFA_SET_FIELD },
    { "mod_nw_src", MF_IPV4_SRC, OFA_SET_FIELD },  { "mod_nw_dst", MF_IPV4_DST, OFA_SET_FIELD },
    { "mod_tp_src", MF_TCP_SRC, OFA_SET_TP_SRC },  { "mod_tp_dst", MF_TCP_DST, OFA_SET_TP_DST },
    { "mod_vlan_vid", MF_VLAN_VID, OFA_SET_VLAN_VID },
    { "mod_vlan_pcp", MF_VLAN_PCP, OFA_SET_VLAN_PCP },
};

static int parse_mod_action(size_t i, const char *arg, struct of_action *a, char *err,
                            size_t err_size)
{
    const struct mf_field *f = mf_from_id(mod_actions[i].field);
    uint8_t k[16];
    uint64_t v;
    a->type = mod_actions[i].type;
    a->field = (uint8_t)f->id;
    if (!arg) {
        fail(err, err_size, "%s: a value is missing", mod_actions[i].name);
        return -1;
    }
    if (a->type == OFA_SET_VLAN_VID || a->type == OFA_SET_VLAN_PCP) {
        uint64_t max = a->type == OFA_SET_VLAN_VID ? 4095 : 7;
        if (!parse_u64(arg, max, &v)) {
            fail(err, err_size, "%s: '%s' is out of range (0..%llu)", mod_actions[i].name, arg,
                 (unsigned long long)max);
            return -1;
        }
        if (a->type == OFA_SET_VLAN_VID)
            of_put16(a->value, (uint16_t)v);
        else
            a->value[0] = (uint8_t)v;
        return 0;
    }
    return parse_field_value(f, arg, a->value, k, NULL, NULL, err, err_size);
}

static int parse_output(const char *arg, struct of_action *a, of_port_lookup_fn *lookup,
                        void *aux, char *err, size_t err_size)
{
    const char *port = arg && !strncmp(arg, "port=", 5) ? arg + 5 : arg;
    if (!port || of_port_parse(port, &a->port, lookup, aux) < 0) {
        fail(err, err_size, "output: '%s' is not a port", arg ? arg : "");
        return -1;
    }
    a->max_len = a->port == OFPP_CONTROLLER ? OFPCML_NO_BUFFER : 0;
    return 0;
}

static int parse_one_action(char *s, struct of_actions *acts, of_port_lookup_fn *lookup,
                            void *aux, char *err, size_t err_size)
{
    char *name, *arg;
    split_action(s, &name, &arg);
    if (!strcasecmp(name, "drop"))
        return 0;
    struct of_action *a = add_action(acts, OFA_OUTPUT);
    if (!a) {
        fail(err, err_size, "out of memory");
        return -1;
    }
    if (!strcmp(name, "output"))
        return parse_output(arg, a, lookup, aux, err, err_size);
    if (!strcasecmp(name, "controller"))
        return parse_controller(arg, a, err, err_size);
    if (!strcmp(name, "strip_vlan") || !strcmp(name, "pop_vlan")) {
        a->type = OFA_POP_VLAN;
        return 0;
    }
    if (!strcmp(name, "push_vlan")) {
        uint64_t v;
        a->type = OFA_PUSH_VLAN;
        if (!arg || !parse_u64(arg, 0xffff, &v) || (v != 0x8100 && v != 0x88a8)) {
            fail(err, err_size, "push_vlan: the ethertype is 0x8100 or 0x88a8");
            return -1;
        }
        a->ethertype = (uint16_t)v;
        return 0;
    }
    if (!strcmp(name, "set_field"))
        return parse_set_field(arg, a, lookup, aux, err, err_size);
    if (!strcmp(name, "mod_nw_tos")) {
        uint64_t v;
        if (!arg || !parse_u64(arg, 255, &v) || (v & 3)) {
            fail(err, err_size, "mod_nw_tos: '%s' is not a ToS with its low bits clear",
                 arg ? arg : "");
            return -1;
        }
        a->type = OFA_SET_FIELD;
        a->field = MF_IP_DSCP;
        a->value[0] = (uint8_t)(v >> 2);
        return 0;
    }
    for (size_t i = 0; i < sizeof mod_actions / sizeof mod_actions[0]; i++) {
        if (!strcmp(name, mod_actions[i].name))
            return parse_mod_action(i, arg, a, err, err_size);
    }
    if (!arg && of_port_parse(name, &a->port, lookup, aux) == 0) {
        /* A bare port: "2", "LOCAL", "normal", "in_port", a port name. */
        a->max_len = a->port == OFPP_CONTROLLER ? OFPCML_NO_BUFFER : 0;
        return 0;
    }
    fail(err, err_size, "unknown action '%s'", name);
    return -1;
}

/* Splits an action list at top-level commas; calls `fn` on each piece. */
static char *next_piece(char **p)
{
    char *s = *p;
    while (*s == ',' || isspace((unsigned char)*s))
        s++;
    if (!*s)
        return NULL;
    char *start = s;
    int depth = 0;
    while (*s && (depth || *s != ',')) {
        depth += *s == '(' ? 1 : *s == ')' ? -1 : 0;
        s++;
    }
    if (*s)
        *s++ = '\0';
    *p = s;
    char *end = start + strlen(start);
    while (end > start && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return start;
}

static int parse_action_list(char *text, struct of_actions *acts, of_port_lookup_fn *lookup,
                             void *aux, char *err, size_t err_size)
{
    char *p = text, *piece;
    while ((piece = next_piece(&p))) {
        if (parse_one_action(piece, acts, lookup, aux, err, err_size) < 0)
            return -1;
        if (acts->n > OF_MAX_ACTIONS) {
            fail(err, err_size, "too many actions (at most %d)", OF_MAX_ACTIONS);
            return -1;
        }
    }
    return 0;
}

int of_actions_parse(const char *text, struct of_actions *acts, of_port_lookup_fn *lookup,
                     void *aux, char *err, size_t err_size)
{
    memset(acts, 0, sizeof *acts);
    char *copy = strdup(text);
    if (!copy) {
        fail(err, err_size, "out of memory");
        return -1;
    }
    int rc = parse_action_list(copy, acts, lookup, aux, err, err_size);
    free(copy);
    if (rc < 0)
        of_actions_free(acts);
    return rc;
}

/* An instruction of the action list, or an action. Returns 1 if it was an instruction. */
static int parse_instruction(char *piece, struct of_instructions *insts,
                             of_port_lookup_fn *lookup, void *aux, char *err, size_t err_size)
{
    char *name, *arg;
    if (strncmp(piece, "goto_table", 10) && strncmp(piece, "write_actions", 13) &&
        strcmp(piece, "clear_actions") && strncmp(piece, "write_metadata", 14) &&
        strncmp(piece, "meter", 5))
        return 0;
    split_action(piece, &name, &arg);
    uint64_t v;
    if (!strcmp(name, "goto_table")) {
        if (!arg || !parse_u64(arg, OF_N_TABLES - 1, &v)) {
            fail(err, err_size, "goto_table: '%s' is not a table", arg ? arg : "");
            return -1;
        }
        insts->goto_table = true;
        insts->table_id = (uint8_t)v;
        return 1;
    }
    if (!strcmp(name, "clear_actions")) {
        insts->clear_actions = true;
        return 1;
    }
    if (!strcmp(name, "write_actions")) {
        insts->write = true;
        return parse_action_list(arg ? arg : (char *)"", &insts->write_actions, lookup, aux,
                                 err, err_size) < 0 ? -1 : 1;
    }
    if (!strcmp(name, "write_metadata")) {
        char *slash = arg ? strchr(arg, '/') : NULL;
        uint64_t mask = UINT64_MAX;
        if (slash)
            *slash = '\0';
        if (!arg || !parse_u64(arg, UINT64_MAX, &insts->metadata) ||
            (slash && !parse_u64(slash + 1, UINT64_MAX, &mask))) {
            fail(err, err_size, "write_metadata: expected VALUE[/MASK]");
            return -1;
        }
        insts->write_metadata = true;
        insts->metadata_mask = mask;
        return 1;
    }
    fail(err, err_size, "%s: vsw has no meters", name);
    return -1;
}

static int parse_instructions(char *text, struct of_instructions *insts,
                              of_port_lookup_fn *lookup, void *aux, char *err, size_t err_size)
{
    char *p = text, *piece;
    while ((piece = next_piece(&p))) {
        int rc = parse_instruction(piece, insts, lookup, aux, err, err_size);
        if (rc < 0)
            return -1;
        if (rc == 1)
            continue;
        size_t before = insts->apply_actions.n;
        if (parse_one_action(piece, &insts->apply_actions, lookup, aux, err, err_size) < 0)
            return -1;
        if (insts->apply_actions.n > before)
            insts->apply = true;
    }
    return 0;
}

int of_flow_parse(const char *text, int command, struct of_flow_mod *fm,
                  of_port_lookup_fn *lookup, void *aux, char *err, size_t err_size)
{
    memset(fm, 0, sizeof *fm);
    of_match_init(&fm->match);
    fm->command = (uint8_t)command;
    fm->priority = OF_DEFAULT_PRIORITY;
    fm->buffer_id = OFP_NO_BUFFER;
    fm->out_port = OFPP_ANY;
    fm->out_group = OFPG_ANY;
    fm->table_id = command >= OFPFC_DELETE ? OFPTT_ALL : 0;
    char *copy = strdup(text);
    struct token tokens[MAX_TOKENS];
    size_t n;
    char *actions;
    if (!copy) {
        fail(err, err_size, "out of memory");
        return -1;
    }
    int rc = tokenize(copy, tokens, &n, &actions, err, err_size);
    if (rc == 0)
        rc = parse_match(tokens, n, command, fm, lookup, aux, err, err_size);
    if (rc == 0 && command < OFPFC_DELETE && !actions) {
        fail(err, err_size, "must specify an action (actions=...)");
        rc = -1;
    } else if (rc == 0 && command >= OFPFC_DELETE && actions) {
        fail(err, err_size, "actions are not allowed when deleting flows");
        rc = -1;
    }
    if (rc == 0 && actions)
        rc = parse_instructions(actions, &fm->insts, lookup, aux, err, err_size);
    if (rc == 0 && fm->insts.goto_table && fm->insts.table_id <= fm->table_id) {
        fail(err, err_size, "goto_table:%u must name a later table than %u",
             fm->insts.table_id, fm->table_id);
        rc = -1;
    }
    if (rc == 0 && command < OFPFC_DELETE) {
        enum ofperr e = of_instructions_check(&fm->insts, &fm->match, false);
        if (e) {
            fail(err, err_size, "actions do not fit the match (%s): %s", ofperr_name(e),
                 e == OFPERR_ACTION_MATCH_INCONSISTENT
                     ? "a field is set that the match does not say the packet has"
                     : "a port or action is not allowed here");
            rc = -1;
        }
    }
    free(copy);
    if (rc < 0)
        of_instructions_free(&fm->insts);
    return rc;
}

/* ---- Printing ---- */

static void format_port(struct ofbuf *b, uint32_t port, of_port_name_fn *name, void *aux)
{
    const char *s = name ? name(aux, port) : NULL;
    char buf[16];
    of_text_printf(b, "%s", s ? s : of_port_format(port, buf));
}

static void format_mac(struct ofbuf *b, const uint8_t *m)
{
    of_text_printf(b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* The prefix length of a CIDR mask, or -1. */
static int prefix_len(const uint8_t *mask, size_t len)
{
    size_t bits = 0;
    while (bits < len * 8 && (mask[bits / 8] & (0x80 >> (bits % 8))))
        bits++;
    for (size_t i = bits; i < len * 8; i++) {
        if (mask[i / 8] & (0x80 >> (i % 8)))
            return -1;
    }
    return (int)bits;
}

static void format_addr(struct ofbuf *b, int af, const uint8_t *v, const uint8_t *k, size_t len,
                        bool exact)
{
    char text[INET6_ADDRSTRLEN];
    inet_ntop(af, v, text, sizeof text);
    of_text_printf(b, "%s", text);
    if (exact)
        return;
    int bits = prefix_len(k, len);
    if (bits >= 0) {
        of_text_printf(b, "/%d", bits);
        return;
    }
    inet_ntop(af, k, text, sizeof text);
    of_text_printf(b, "/%s", text);
}

static void format_value(struct ofbuf *b, const struct mf_field *f, const uint8_t *v,
                         const uint8_t *k, of_port_name_fn *name, void *aux)
{
    bool exact = of_mask_is_exact(f, k);
    uint64_t n = 0, mask = 0;
    for (size_t i = 0; i < f->len && i < 8; i++) {
        n = n << 8 | v[i];
        mask = mask << 8 | k[i];
    }
    switch (f->format) {
    case MFF_PORT:
        format_port(b, (uint32_t)n, name, aux);
        return;
    case MFF_ETHERNET:
        format_mac(b, v);
        if (!exact) {
            of_text_printf(b, "/");
            format_mac(b, k);
        }
        return;
    case MFF_IPV4:
        format_addr(b, AF_INET, v, k, 4, exact);
        return;
    case MFF_IPV6:
        format_addr(b, AF_INET6, v, k, 16, exact);
        return;
    case MFF_HEX:
        of_text_printf(b, "0x%llx", (unsigned long long)n);
        break;
    default:
        of_text_printf(b, "%llu", (unsigned long long)n);
        break;
    }
    if (!exact)
        of_text_printf(b, "/0x%llx", (unsigned long long)mask);
}

static const char *shorthand_of(const struct of_match *m)
{
    if (!of_match_is_exact(m, MF_ETH_TYPE))
        return NULL;
    uint16_t type = (uint16_t)of_match_value(m, MF_ETH_TYPE);
    uint8_t proto = of_match_is_exact(m, MF_IP_PROTO) ? (uint8_t)of_match_value(m, MF_IP_PROTO)
                                                       : 0;
    for (size_t i = 0; i < sizeof shorthands / sizeof shorthands[0]; i++) {
        if (shorthands[i].eth_type == type && shorthands[i].proto == proto &&
            (proto || !of_match_has(m, MF_IP_PROTO)))
            return shorthands[i].name;
    }
    for (size_t i = 0; i < sizeof shorthands / sizeof shorthands[0]; i++) {
        if (shorthands[i].eth_type == type && !shorthands[i].proto)
            return shorthands[i].name;
    }
    return NULL;
}

/* The name ovs-ofctl prints a field under. */
static const char *print_name(const struct mf_field *f)
{
    switch (f->id) {
    case MF_TCP_SRC:
    case MF_UDP_SRC:
    case MF_SCTP_SRC:
        return "tp_src";
    case MF_TCP_DST:
    case MF_UDP_DST:
    case MF_SCTP_DST:
        return "tp_dst";
    case MF_ICMPV4_TYPE:
    case MF_ICMPV6_TYPE:
        return "icmp_type";
    case MF_ICMPV4_CODE:
    case MF_ICMPV6_CODE:
        return "icmp_code";
    case MF_ARP_OP:
        return "arp_op";
    default:
        return f->of10_name ? f->of10_name : f->name;
    }
}

static void format_vlan(struct ofbuf *b, const struct of_match *m, bool *first)
{
    uint16_t v = (uint16_t)of_match_value(m, MF_VLAN_VID);
    uint16_t k = (uint16_t)of_match_mask(m, MF_VLAN_VID);
    /* "Tagged" alone, beside a priority, is what dl_vlan_pcp says by itself. */
    if (!of_match_has(m, MF_VLAN_VID) ||
        (v == OFPVID_PRESENT && k == OFPVID_PRESENT && of_match_has(m, MF_VLAN_PCP)))
        return;
    of_text_printf(b, "%s", *first ? "" : ",");
    *first = false;
    if (k == 0x1fff && (v & OFPVID_PRESENT))
        of_text_printf(b, "dl_vlan=%u", v & 0xfff);
    else if (k == 0x1fff)
        of_text_printf(b, "vlan_tci=0x0000");
    else
        of_text_printf(b, "vlan_tci=0x%04x/0x%04x", v, k);
}

void of_match_format(struct ofbuf *b, const struct of_match *m, int priority,
                     of_port_name_fn *name, void *aux)
{
    bool first = true;
    of_text_printf(b, "%s", "");
    if (priority >= 0 && priority != OF_DEFAULT_PRIORITY) {
        of_text_printf(b, "priority=%d", priority);
        first = false;
    }
    const char *shorthand = shorthand_of(m);
    if (shorthand) {
        of_text_printf(b, "%s%s", first ? "" : ",", shorthand);
        first = false;
    }
    static const enum mf_id order[] = {
        MF_METADATA,    MF_IN_PORT,     MF_VLAN_PCP,       MF_ETH_SRC,    MF_ETH_DST,
        MF_ETH_TYPE,    MF_ARP_SPA,     MF_ARP_TPA,        MF_ARP_OP,     MF_ARP_SHA,
        MF_ARP_THA,     MF_IPV4_SRC,    MF_IPV4_DST,       MF_IPV6_SRC,   MF_IPV6_DST,
        MF_IPV6_FLABEL, MF_IP_PROTO,    MF_IP_DSCP,        MF_IP_ECN,     MF_ICMPV4_TYPE,
        MF_ICMPV4_CODE, MF_ICMPV6_TYPE, MF_ICMPV6_CODE,    MF_TCP_SRC,    MF_TCP_DST,
        MF_UDP_SRC,     MF_UDP_DST,     MF_SCTP_SRC,       MF_SCTP_DST,   MF_IPV6_ND_TARGET,
        MF_IPV6_ND_SLL, MF_IPV6_ND_TLL,
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const struct mf_field *f = mf_from_id(order[i]);
        if (f->id == MF_VLAN_PCP)
            format_vlan(b, m, &first);   /* after the port, before the addresses */
        if (!of_match_has(m, f->id))
            continue;
        if (shorthand && (f->id == MF_ETH_TYPE ||
                          (f->id == MF_IP_PROTO && strcmp(shorthand, "ip") &&
                           strcmp(shorthand, "ipv6"))))
            continue;
        of_text_printf(b, "%s", first ? "" : ",");
        first = false;
        if (f->id == MF_IP_DSCP) {
            of_text_printf(b, "nw_tos=%u", (unsigned)of_match_value(m, MF_IP_DSCP) << 2);
            continue;
        }
        of_text_printf(b, "%s=", print_name(f));
        format_value(b, f, m->value + f->offset, m->mask + f->offset, name, aux);
    }
}

static void format_action(struct ofbuf *b, const struct of_action *a, of_port_name_fn *name,
                          void *aux)
{
    const struct mf_field *f = mf_from_id(a->field);
    uint8_t k[16];
    memset(k, 0xff, sizeof k);
    switch (a->type) {
    case OFA_OUTPUT:
        if (a->port == OFPP_CONTROLLER) {
            of_text_printf(b, a->max_len == OFPCML_NO_BUFFER ? "CONTROLLER:65535"
                                                             : "CONTROLLER:%u", a->max_len);
            return;
        }
        if (a->port >= OFPP_MAX) {
            format_port(b, a->port, name, aux);
            return;
        }
        of_text_printf(b, "output:");
        format_port(b, a->port, name, aux);
        return;
    case OFA_SET_FIELD:
        if (!f)
            return;
        of_text_printf(b, "set_field:");
        format_value(b, f, a->value, k, name, aux);
        of_text_printf(b, "->%s", f->name);
        return;
    case OFA_SET_VLAN_VID:
        of_text_printf(b, "mod_vlan_vid:%u", of_get16(a->value));
        return;
    case OFA_SET_VLAN_PCP:
        of_text_printf(b, "mod_vlan_pcp:%u", a->value[0]);
        return;
    case OFA_PUSH_VLAN:
        of_text_printf(b, "push_vlan:0x%04x", a->ethertype);
        return;
    case OFA_POP_VLAN:
        of_text_printf(b, "strip_vlan");
        return;
    default:
        of_text_printf(b, "mod_tp_%s:%u", a->type == OFA_SET_TP_SRC ? "src" : "dst",
                       of_get16(a->value));
        return;
    }
}

void of_actions_format(struct ofbuf *b, const struct of_actions *acts, of_port_name_fn *name,
                       void *aux)
{
    of_text_printf(b, "%s", "");
    for (size_t i = 0; i < acts->n; i++) {
        if (i)
            of_text_printf(b, ",");
        format_action(b, &acts->a[i], name, aux);
    }
}

void of_instructions_format(struct ofbuf *b, const struct of_instructions *insts,
                            of_port_name_fn *name, void *aux)
{
    of_text_printf(b, "%s", "");
    if (insts->apply_actions.n)
        of_actions_format(b, &insts->apply_actions, name, aux);
    bool any = insts->apply_actions.n > 0;
    if (insts->clear_actions) {
        of_text_printf(b, "%sclear_actions", any ? "," : "");
        any = true;
    }
    if (insts->write) {
        of_text_printf(b, "%swrite_actions(", any ? "," : "");
        of_actions_format(b, &insts->write_actions, name, aux);
        of_text_printf(b, ")");
        any = true;
    }
    if (insts->write_metadata) {
        of_text_printf(b, "%swrite_metadata:0x%llx", any ? "," : "",
                       (unsigned long long)insts->metadata);
        if (insts->metadata_mask != UINT64_MAX)
            of_text_printf(b, "/0x%llx", (unsigned long long)insts->metadata_mask);
        any = true;
    }
    if (insts->goto_table) {
        of_text_printf(b, "%sgoto_table:%u", any ? "," : "", insts->table_id);
        any = true;
    }
    if (!any)
        of_text_printf(b, "drop");
}

void of_flow_stats_format(struct ofbuf *b, const struct of_flow_stats *fs,
                          of_port_name_fn *name, void *aux)
{
    of_text_printf(b, " cookie=0x%llx, duration=%u.%03us, table=%u, n_packets=%llu, "
                   "n_bytes=%llu, ", (unsigned long long)fs->cookie, fs->duration_sec,
                   fs->duration_nsec / 1000000, fs->table_id,
                   (unsigned long long)fs->packet_count, (unsigned long long)fs->byte_count);
    if (fs->flags & OFPFF_SEND_FLOW_REM)
        of_text_printf(b, "send_flow_rem ");
    if (fs->flags & OFPFF_RESET_COUNTS)
        of_text_printf(b, "reset_counts ");
    if (fs->idle_timeout)
        of_text_printf(b, "idle_timeout=%u, ", fs->idle_timeout);
    if (fs->hard_timeout)
        of_text_printf(b, "hard_timeout=%u, ", fs->hard_timeout);
    size_t before = b->len;
    of_match_format(b, &fs->match, fs->priority, name, aux);
    bool empty = b->len == before;
    of_text_printf(b, "%sactions=", empty ? "" : " ");
    of_instructions_format(b, &fs->insts, name, aux);
}
