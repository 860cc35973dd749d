/* vsw-flowctl: a developer's client of the flowd channel. It talks to vsw-flowd directly,
 * bypassing the database and vsw-switchd, for tests, benchmarks and debugging; configuration
 * made this way is not in the database and vanishes when flowd restarts.
 * Exit status: 0 success, 1 error (flowd's or no answer), 2 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowd/dump_print.h"
#include "lib/daemon.h"
#include "lib/ipc.h"
#include "proto/flowd.pb-c.h"

static void usage(void)
{
    printf("usage: vsw-flowctl [--rundir DIR] [--timeout MS] COMMAND [ARGS]\n"
           "  show                                  datapaths, ports and counters\n"
           "  add-dp DP [TYPE]                      create a datapath (type netdev)\n"
           "  del-dp DP\n"
           "  add-port DP NAME PORT_NO [system|internal] [mtu=N] [offloads=off]\n"
           "  del-port DP NAME\n"
           "  set-vlan DP NAME [tag=N] [trunks=A,B...] [mode=access|trunk|native-tagged|"
           "native-untagged]\n"
           "  set-options DP [mac-aging-time=S] [mac-table-size=N] [flow-idle-ms=MS]\n"
           "  status DP [NAME]                      port state and counters\n"
           "  dump-flows [DP]                       datapath flows with their counters\n"
           "  fdb-show DP                           learned MACs\n"
           "  flush DP [flows] [fdb]\n");
}

struct ctl {
    struct ipc_client client;
    int argc;
    char **argv;
};

static int usage_error(const char *what)
{
    fprintf(stderr, "vsw-flowctl: %s (try --help)\n", what);
    return 2;
}

/* Sends one request; prints flowd's error and returns 1 if there is one. */
static int call(struct ctl *c, Vsw__FlowdType type, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply)
{
    struct ipc_error err;
    if (ipc_call(&c->client, type, req, reply_desc, reply, &err) < 0) {
        fprintf(stderr, "vsw-flowctl: %s: %s\n", ipc_error_code_name(err.code), err.message);
        return 1;
    }
    return 0;
}

static int call_ack(struct ctl *c, Vsw__FlowdType type, const ProtobufCMessage *req)
{
    ProtobufCMessage *reply = NULL;
    int rc = call(c, type, req, &vsw__flowd_ack__descriptor, &reply);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

static int parse_u32(const char *text, uint32_t *v)
{
    char *end;
    unsigned long n = strtoul(text, &end, 10);
    if (!*text || *end || n > UINT32_MAX)
        return -1;
    *v = (uint32_t)n;
    return 0;
}

static int cmd_add_dp(struct ctl *c)
{
    if (c->argc < 1 || c->argc > 2)
        return usage_error("add-dp DP [TYPE]");
    Vsw__FlowdDatapathAdd req = VSW__FLOWD_DATAPATH_ADD__INIT;
    req.name = c->argv[0];
    req.type = c->argc > 1 ? c->argv[1] : "netdev";
    return call_ack(c, VSW__FLOWD_TYPE__FLOWD_DATAPATH_ADD, &req.base);
}

static int cmd_del_dp(struct ctl *c)
{
    if (c->argc != 1)
        return usage_error("del-dp DP");
    Vsw__FlowdDatapathDel req = VSW__FLOWD_DATAPATH_DEL__INIT;
    req.name = c->argv[0];
    return call_ack(c, VSW__FLOWD_TYPE__FLOWD_DATAPATH_DEL, &req.base);
}

static int parse_port_option(Vsw__FlowdPortAdd *req, const char *arg)
{
    if (!strcmp(arg, "system"))
        req->kind = VSW__FLOWD_PORT_KIND__FLOWD_PORT_SYSTEM;
    else if (!strcmp(arg, "internal"))
        req->kind = VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL;
    else if (!strncmp(arg, "mtu=", 4))
        return parse_u32(arg + 4, &req->mtu_request);
    else if (!strcmp(arg, "offloads=off"))
        req->offloads_off = true;
    else
        return -1;
    return 0;
}

static int cmd_add_port(struct ctl *c)
{
    Vsw__FlowdPortAdd req = VSW__FLOWD_PORT_ADD__INIT;
    if (c->argc < 3 || parse_u32(c->argv[2], &req.port_no) < 0)
        return usage_error("add-port DP NAME PORT_NO [system|internal] [mtu=N] [offloads=off]");
    req.datapath = c->argv[0];
    req.name = c->argv[1];
    req.kind = VSW__FLOWD_PORT_KIND__FLOWD_PORT_SYSTEM;
    for (int i = 3; i < c->argc; i++) {
        if (parse_port_option(&req, c->argv[i]) < 0)
            return usage_error("add-port: unknown option");
    }
    ProtobufCMessage *reply = NULL;
    if (call(c, VSW__FLOWD_TYPE__FLOWD_PORT_ADD, &req.base,
             &vsw__flowd_port_add_reply__descriptor, &reply))
        return 1;
    const Vsw__FlowdPortAddReply *r = (const Vsw__FlowdPortAddReply *)reply;
    printf("%s: port %u ifindex %d mac %s mtu %u\n", req.name, r->port_no, r->ifindex,
           r->mac_in_use, r->mtu);
    protobuf_c_message_free_unpacked(reply, NULL);
    return 0;
}

static int cmd_del_port(struct ctl *c)
{
    if (c->argc != 2)
        return usage_error("del-port DP NAME");
    Vsw__FlowdPortDel req = VSW__FLOWD_PORT_DEL__INIT;
    req.datapath = c->argv[0];
    req.name = c->argv[1];
    return call_ack(c, VSW__FLOWD_TYPE__FLOWD_PORT_DEL, &req.base);
}

static const char *const vlan_modes[] = { "", "access", "trunk", "native-tagged",
                                          "native-untagged" };

static int parse_trunks(Vsw__FlowdPortVlan *req, char *list, uint32_t *storage)
{
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (req->n_trunks == 4096 || parse_u32(tok, &storage[req->n_trunks]) < 0)
            return -1;
        req->n_trunks++;
    }
    req->trunks = storage;
    return 0;
}

static int parse_vlan_option(Vsw__FlowdPortVlan *req, char *arg, uint32_t *trunks)
{
    if (!strncmp(arg, "tag=", 4)) {
        req->has_tag = true;
        return parse_u32(arg + 4, &req->tag);
    }
    if (!strncmp(arg, "trunks=", 7))
        return parse_trunks(req, arg + 7, trunks);
    if (!strncmp(arg, "mode=", 5)) {
        for (int m = 1; m <= 4; m++) {
            if (!strcmp(arg + 5, vlan_modes[m])) {
                req->vlan_mode = (Vsw__FlowdVlanMode)m;
                return 0;
            }
        }
    }
    return -1;
}

static int cmd_set_vlan(struct ctl *c)
{
    static uint32_t trunks[4096];
    if (c->argc < 2)
        return usage_error("set-vlan DP NAME [tag=N] [trunks=A,B...] [mode=MODE]");
    Vsw__FlowdPortVlan req = VSW__FLOWD_PORT_VLAN__INIT;
    req.datapath = c->argv[0];
    req.name = c->argv[1];
    for (int i = 2; i < c->argc; i++) {
        if (parse_vlan_option(&req, c->argv[i], trunks) < 0)
            return usage_error("set-vlan: bad option");
    }
    return call_ack(c, VSW__FLOWD_TYPE__FLOWD_PORT_SET_VLAN, &req.base);
}

static int cmd_set_options(struct ctl *c)
{
    if (c->argc < 1)
        return usage_error("set-options DP [mac-aging-time=S] [mac-table-size=N] "
                           "[flow-idle-ms=MS]");
    Vsw__FlowdBridgeOptions req = VSW__FLOWD_BRIDGE_OPTIONS__INIT;
    req.datapath = c->argv[0];
    for (int i = 1; i < c->argc; i++) {
        const char *a = c->argv[i];
        int rc = !strncmp(a, "mac-aging-time=", 15) ? parse_u32(a + 15, &req.mac_aging_time)
                 : !strncmp(a, "mac-table-size=", 15) ? parse_u32(a + 15, &req.mac_table_size)
                 : !strncmp(a, "flow-idle-ms=", 13) ? parse_u32(a + 13, &req.flow_idle_timeout_ms)
                 : -1;
        if (rc < 0)
            return usage_error("set-options: bad option");
    }
    return call_ack(c, VSW__FLOWD_TYPE__FLOWD_BRIDGE_SET_OPTIONS, &req.base);
}

static int cmd_status(struct ctl *c)
{
    if (c->argc < 1 || c->argc > 2)
        return usage_error("status DP [NAME]");
    Vsw__FlowdPortStatusRequest req = VSW__FLOWD_PORT_STATUS_REQUEST__INIT;
    req.datapath = c->argv[0];
    req.name = c->argc > 1 ? c->argv[1] : "";
    ProtobufCMessage *reply = NULL;
    if (call(c, VSW__FLOWD_TYPE__FLOWD_PORT_STATUS, &req.base,
             &vsw__flowd_port_status_reply__descriptor, &reply))
        return 1;
    const Vsw__FlowdPortStatusReply *r = (const Vsw__FlowdPortStatusReply *)reply;
    for (size_t i = 0; i < r->n_ports; i++) {
        const Vsw__FlowdPortStatus *p = r->ports[i];
        const Vsw__FlowdPortStats *s = p->stats;
        printf("%s: port %u %s admin %s link %s mac %s mtu %u ifindex %d\n"
               "  rx %llu pkts %llu bytes %llu errors %llu dropped\n"
               "  tx %llu pkts %llu bytes %llu errors %llu dropped%s\n",
               p->name, p->port_no,
               p->kind == VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL ? "internal" : "system",
               p->admin_up ? "up" : "down", p->link_up ? "up" : "down", p->mac_in_use, p->mtu,
               p->ifindex, (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
               (unsigned long long)s->rx_errors, (unsigned long long)s->rx_dropped,
               (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
               (unsigned long long)s->tx_errors, (unsigned long long)s->tx_dropped,
               p->stats_from_switch ? " (switch counters)" : "");
        const Vsw__FlowdPortStats *w = p->switch_stats;
        if (w)
            printf("  switched: rx %llu pkts %llu dropped, tx %llu pkts %llu dropped\n",
                   (unsigned long long)w->rx_packets, (unsigned long long)w->rx_dropped,
                   (unsigned long long)w->tx_packets, (unsigned long long)w->tx_dropped);
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return 0;
}

static int cmd_dump_flows(struct ctl *c)
{
    if (c->argc > 1)
        return usage_error("dump-flows [DP]");
    Vsw__FlowdFlowDumpRequest req = VSW__FLOWD_FLOW_DUMP_REQUEST__INIT;
    req.datapath = c->argc ? c->argv[0] : "";
    ProtobufCMessage *reply = NULL;
    if (call(c, VSW__FLOWD_TYPE__FLOWD_FLOW_DUMP, &req.base,
             &vsw__flowd_flow_dump_reply__descriptor, &reply))
        return 1;
    flowd_print_flows(stdout, (const Vsw__FlowdFlowDumpReply *)reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return 0;
}

static int cmd_fdb_show(struct ctl *c)
{
    if (c->argc != 1)
        return usage_error("fdb-show DP");
    Vsw__FlowdFdbDumpRequest req = VSW__FLOWD_FDB_DUMP_REQUEST__INIT;
    req.datapath = c->argv[0];
    ProtobufCMessage *reply = NULL;
    if (call(c, VSW__FLOWD_TYPE__FLOWD_FDB_DUMP, &req.base,
             &vsw__flowd_fdb_dump_reply__descriptor, &reply))
        return 1;
    flowd_print_fdb(stdout, (const Vsw__FlowdFdbDumpReply *)reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return 0;
}

static int cmd_flush(struct ctl *c)
{
    if (c->argc < 1)
        return usage_error("flush DP [flows] [fdb]");
    Vsw__FlowdFlushRequest req = VSW__FLOWD_FLUSH_REQUEST__INIT;
    req.datapath = c->argv[0];
    for (int i = 1; i < c->argc; i++) {
        if (!strcmp(c->argv[i], "flows"))
            req.flows = true;
        else if (!strcmp(c->argv[i], "fdb"))
            req.fdb = true;
        else
            return usage_error("flush: expected flows or fdb");
    }
    if (c->argc == 1)
        req.flows = req.fdb = true;
    return call_ack(c, VSW__FLOWD_TYPE__FLOWD_FLUSH, &req.base);
}

static void print_port_config(const Vsw__FlowdPortConfig *p)
{
    printf("    port %u: %s (%s%s%s)", p->port_no, p->name,
           p->kind == VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL ? "internal" : "system",
           p->offloads_off ? ", offloads off" : "", p->mtu_request ? ", mtu requested" : "");
    if (p->has_tag)
        printf(" tag=%u", p->tag);
    if (p->vlan_mode)
        printf(" vlan_mode=%s", vlan_modes[p->vlan_mode]);
    for (size_t k = 0; k < p->n_trunks; k++)
        printf("%s%u", k ? "," : " trunks=", p->trunks[k]);
    printf("\n");
}

static int cmd_show(struct ctl *c)
{
    if (c->argc)
        return usage_error("show takes no argument");
    Vsw__FlowdDatapathDumpRequest req = VSW__FLOWD_DATAPATH_DUMP_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    if (call(c, VSW__FLOWD_TYPE__FLOWD_DATAPATH_DUMP, &req.base,
             &vsw__flowd_datapath_dump_reply__descriptor, &reply))
        return 1;
    const Vsw__FlowdDatapathDumpReply *r = (const Vsw__FlowdDatapathDumpReply *)reply;
    for (size_t i = 0; i < r->n_datapaths; i++) {
        const Vsw__FlowdDatapath *d = r->datapaths[i];
        printf("%s (%s): mac-aging-time %u s, mac-table-size %u, flow idle %u ms\n"
               "  lookups: hit %llu missed %llu; flows %llu; revalidations %llu\n",
               d->name, d->type, d->mac_aging_time, d->mac_table_size, d->flow_idle_timeout_ms,
               (unsigned long long)d->hits, (unsigned long long)d->misses,
               (unsigned long long)d->flows, (unsigned long long)d->revalidations);
        for (size_t p = 0; p < d->n_ports; p++)
            print_port_config(d->ports[p]);
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct ctl *c);
} commands[] = {
    { "show", cmd_show },           { "add-dp", cmd_add_dp },
    { "del-dp", cmd_del_dp },       { "add-port", cmd_add_port },
    { "del-port", cmd_del_port },   { "set-vlan", cmd_set_vlan },
    { "set-options", cmd_set_options }, { "status", cmd_status },
    { "dump-flows", cmd_dump_flows }, { "fdb-show", cmd_fdb_show },
    { "flush", cmd_flush },
};

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "rundir", required_argument, NULL, 'r' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *rundir = getenv("VSW_RUNDIR") ? getenv("VSW_RUNDIR") : DAEMON_DEFAULT_RUNDIR;
    uint32_t timeout = 5000;
    int opt;
    while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
        if (opt == 'r')
            rundir = optarg;
        else if (opt == 't' && parse_u32(optarg, &timeout) == 0)
            continue;
        else if (opt == 'h') {
            usage();
            return 0;
        } else {
            return usage_error("bad option");
        }
    }
    if (optind >= argc)
        return usage_error("missing command");
    vlog_open("vsw-flowctl", VLOG_TO_STDERR, NULL, VLOG_ERR);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, argv[optind]))
            continue;
        struct ctl c = { .argc = argc - optind - 1, .argv = argv + optind + 1 };
        if (ipc_client_open(&c.client, rundir, "flowd.sock", VSW__CHANNEL__CHANNEL_FLOWD,
                            (int)timeout) < 0)
            return 1;
        int rc = commands[i].fn(&c);
        ipc_client_close(&c.client);
        return rc;
    }
    fprintf(stderr, "vsw-flowctl: unknown command '%s' (try --help)\n", argv[optind]);
    return 2;
}
