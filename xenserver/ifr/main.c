/* interface-reconfigure for vsw (xenserver-spec.md section 4): the command line of IFR-01 and
 * IFR-02, the choice between XAPI and the cache (IFR-04, IFR-05), and the order of `up`,
 * `down` and `rewrite` (IFR-13, IFR-19, IFR-20). What vsw is told is in vswitch.c, the files
 * in sysconfig.c, the records in netdb.c. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/json.h"
#include "lib/log.h"
#include "lib/rundir.h"
#include "lib/xalloc.h"
#include "xapi/xapi.h"
#include "xenserver/ifr/dbcache.h"
#include "xenserver/ifr/ifr.h"
#include "xenserver/ifr/netdb.h"
#include "xenserver/ifr/sysconfig.h"
#include "xenserver/ifr/vswitch.h"
#include "xenserver/ifr/xapi_load.h"

#define PROGRAM "interface-reconfigure"
#define EXIT_ERROR 1
#define EXIT_USAGE 2

static const char usage_text[] =
    "Usage:\n"
    "    " PROGRAM " --session <SESSION-REF> --pif <PIF-REF> [up|down]\n"
    "    " PROGRAM " --pif-uuid <PIF-UUID> [up|down]\n"
    "    " PROGRAM " --session <SESSION-REF> --pif <PIF-REF> rewrite\n"
    "    " PROGRAM " rewrite\n"
    "    " PROGRAM " --force <BRIDGE> [up|down|rewrite <CONFIG>]\n"
    "\n"
    "    where,\n"
    "          <CONFIG> = --device=<INTERFACE> --mac=<MAC-ADDRESS> --mode=dhcp\n"
    "          <CONFIG> = --device=<INTERFACE> --mac=<MAC-ADDRESS> --mode=static --ip=<IPADDR>"
    " --netmask=<NM> [--gateway=<GW>]\n"
    "\n"
    "  Options:\n"
    "    --session                 A session reference to use to access the xapi DB\n"
    "    --pif                     A PIF reference within the session.\n"
    "    --pif-uuid                The UUID of a PIF.\n"
    "    --force, --force-interface\n"
    "                              The name of the bridge of the PIF to configure, read from\n"
    "                              the network cache (/var/xapi/network.dbcache) without\n"
    "                              XAPI. Mutually exclusive with --session/--pif/--pif-uuid.\n"
    "    --management              Treat the PIF as the management interface.\n"
    "    --root-prefix=DIR         Prefix every file read or written with DIR (for tests).\n"
    "    --no-syslog               Log to standard error instead of syslog.\n"
    "    -h, --help                This text.\n"
    "\n"
    "  <ACTION> is \"up\", \"down\" or \"rewrite\" (\"rewrite-configuration\" too).\n"
    "  vsw is found on PATH and its run directory as `vsw` finds it ($VSW_RUNDIR); XAPI's\n"
    "  socket is $VSW_XAPI_SOCKET, else /var/lib/xcp/xapi.\n";

/* ---- The command line (IFR-01, IFR-02) ---- */

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fprintf(stderr, "\nFor help use --help.\n");
    return EXIT_USAGE;
}

static bool is_action(const char *word)
{
    return !strcmp(word, "up") || !strcmp(word, "down") || !strcmp(word, "rewrite") ||
           !strcmp(word, "rewrite-configuration");
}

/* Returns 0, EXIT_USAGE (a usage error, printed) or -1 for --help (printed). */
static int parse_options(int argc, char **argv, struct ifr_options *o)
{
    enum { PIF = 256, PIF_UUID, SESSION, FORCE, MANAGEMENT, MAC, DEVICE, MODE, IP, NETMASK,
           GATEWAY, ROOT, NO_SYSLOG };
    static const struct option longopts[] = {
        { "pif", required_argument, NULL, PIF },
        { "pif-uuid", required_argument, NULL, PIF_UUID },
        { "session", required_argument, NULL, SESSION },
        { "force", required_argument, NULL, FORCE },
        { "force-interface", required_argument, NULL, FORCE },
        { "management", no_argument, NULL, MANAGEMENT },
        { "mac", required_argument, NULL, MAC },
        { "device", required_argument, NULL, DEVICE },
        { "mode", required_argument, NULL, MODE },
        { "ip", required_argument, NULL, IP },
        { "netmask", required_argument, NULL, NETMASK },
        { "gateway", required_argument, NULL, GATEWAY },
        { "root-prefix", required_argument, NULL, ROOT },
        { "no-syslog", no_argument, NULL, NO_SYSLOG },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof *o);
    o->root = "";
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case PIF: o->pif = optarg; break;
        case PIF_UUID: o->pif_uuid = optarg; break;
        case SESSION: o->session = optarg; break;
        case FORCE: o->force = optarg; break;
        case MANAGEMENT: o->management = true; break;
        case MAC: o->mac = optarg; break;
        case DEVICE: o->device = optarg; break;
        case MODE: o->mode = optarg; break;
        case IP: o->ip = optarg; break;
        case NETMASK: o->netmask = optarg; break;
        case GATEWAY: o->gateway = optarg; break;
        case ROOT: o->root = optarg; break;
        case NO_SYSLOG: o->no_syslog = true; break;
        case 'h':
            fputs(usage_text, stdout);
            return -1;
        default:
            if (optopt && optopt < 256)
                return usage_error("option -%c not recognized", optopt);
            return usage_error(optopt ? "option %s requires an argument"
                                      : "option %s not recognized", argv[optind - 1]);
        }
    }
    if (argc - optind == 0)
        return usage_error("Required option <action> not present");
    if (argc - optind > 1)
        return usage_error("Only one <action> allowed");
    if (!is_action(argv[optind]))
        return usage_error("Unknown action \"%s\"", argv[optind]);
    o->action = !strncmp(argv[optind], "rewrite", 7) ? "rewrite" : argv[optind];
    return 0;
}

static int validate(const struct ifr_options *o)
{
    bool session_or_pif = o->session || o->pif;
    bool config = o->mac || o->device || o->mode || o->ip || o->netmask || o->gateway;
    bool rewrite = !strcmp(o->action, "rewrite");
    if (session_or_pif && o->pif_uuid)
        return usage_error("--session/--pif and --pif-uuid are mutually exclusive");
    if (!!o->session != !!o->pif && !(rewrite && o->session && !o->pif))
        return usage_error("--session and --pif must be used together");
    if (o->force && (session_or_pif || o->pif_uuid))
        return usage_error("--force is mutually exclusive with --session, --pif and "
                           "--pif-uuid");
    if (config && !(o->force && rewrite))
        return usage_error("--mac, --device, --mode, --ip, --netmask and --gateway may only be "
                           "used with --force ... rewrite");
    if (rewrite && (o->pif || o->pif_uuid))
        return usage_error("rewrite takes neither --pif nor --pif-uuid");
    if (!rewrite && !o->force && !o->pif && !o->pif_uuid)
        return usage_error("No PIF given");
    if (o->force && rewrite) {
        if (!o->device || !o->mac || !o->mode)
            return usage_error("--force ... rewrite needs --device, --mac and --mode");
        if (strcmp(o->mode, "dhcp") && strcmp(o->mode, "static"))
            return usage_error("--mode must be dhcp or static, not \"%s\"", o->mode);
        if (!strcmp(o->mode, "static") && (!o->ip || !o->netmask))
            return usage_error("--mode=static needs --ip and --netmask");
        if (!strcmp(o->mode, "dhcp") && (o->ip || o->netmask || o->gateway))
            return usage_error("--mode=dhcp takes neither --ip, --netmask nor --gateway");
    }
    return 0;
}

/* ---- Errors of the spec: logged, exit status 1 ---- */

struct ctx {
    const struct ifr_options *opts;
    struct json *db;
    const char *pif;              /* the PIF being configured (a ref in db) */
    const char *management;       /* the management PIF */
    char error[IFR_ERROR_MAX];
};

static int fail(struct ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *ctx, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(ctx->error, sizeof ctx->error, fmt, args);
    va_end(args);
    return -1;
}

/* ---- The host's files ---- */

static char *read_small_file(const struct ifr_options *o, const char *path)
{
    char *full = ifr_path(o, path);
    FILE *f = fopen(full, "r");
    free(full);
    if (!f)
        return NULL;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return xstrdup(buf);
}

/* network.conf must say vswitch or openvswitch (PKG-28). */
static int check_backend(struct ctx *ctx)
{
    char *text = read_small_file(ctx->opts, "/etc/xensource/network.conf");
    if (!text)
        return fail(ctx, "Cannot read /etc/xensource/network.conf: the network backend is "
                    "unknown");
    char *word = text + strspn(text, " \t\n");
    word[strcspn(word, " \t\n")] = '\0';
    bool ours = !strcmp(word, "vswitch") || !strcmp(word, "openvswitch");
    int rc = ours ? 0
             : !strcmp(word, "bridge")
                 ? fail(ctx, "/etc/xensource/network.conf selects the Linux bridge backend, "
                        "which vsw does not provide")
                 : fail(ctx, "Unknown network backend \"%s\" in /etc/xensource/network.conf",
                        word);
    free(text);
    return rc;
}

/* INSTALLATION_UUID from /etc/xensource-inventory (values may be single-quoted). */
static int installation_uuid(struct ctx *ctx, char *uuid, size_t size)
{
    char *text = read_small_file(ctx->opts, "/etc/xensource-inventory");
    if (!text)
        return fail(ctx, "Cannot read /etc/xensource-inventory");
    int rc = fail(ctx, "/etc/xensource-inventory has no INSTALLATION_UUID");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "INSTALLATION_UUID=", 18) != 0)
            continue;
        char *v = line + 18;
        size_t n = strlen(v);
        if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
            v++;
            n -= 2;
        }
        snprintf(uuid, size, "%.*s", (int)n, v);
        rc = 0;
    }
    free(text);
    return rc;
}

/* IFR-07: a PVS network-boot device's MAC is on the HWaddr: line of /proc/ardence. */
static bool pvs_device(const struct ifr_options *o, const char *mac)
{
    char *text = read_small_file(o, "/proc/ardence");
    bool found = false;
    for (char *line = text ? strtok(text, "\n") : NULL; line && !found;
         line = strtok(NULL, "\n")) {
        if (strncmp(line, "HWaddr:", 7) != 0)
            continue;
        for (char *w = strtok(line + 7, " \t"); w && !found; w = strtok(NULL, " \t"))
            found = *mac && !strcasecmp(w, mac);
    }
    free(text);
    return found;
}

/* ---- Devices ---- */

static char *sys_net(const char *dev, const char *attribute)
{
    char path[256];
    snprintf(path, sizeof path, "/sys/class/net/%s/%s", dev, attribute);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char buf[128] = "";
    char *got = fgets(buf, sizeof buf, f);
    fclose(f);
    if (!got)
        return NULL;
    buf[strcspn(buf, "\n")] = '\0';
    return xstrdup(buf);
}

static bool device_exists(const char *dev)
{
    char *ifindex = sys_net(dev, "ifindex");
    free(ifindex);
    return ifindex != NULL;
}

/* The device with `mac` (not a zero-queue device: bridges, VLANs), or NULL (malloc'd). */
static char *device_with_mac(const char *mac)
{
    DIR *d = opendir("/sys/class/net");
    char *found = NULL;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char *address = sys_net(e->d_name, "address");
        char *queue = sys_net(e->d_name, "tx_queue_len");
        if (address && queue && strcasecmp(address, mac) == 0 && strtol(queue, NULL, 10) > 0)
            found = xstrdup(e->d_name);
        free(address);
        free(queue);
    }
    if (d)
        closedir(d);
    return found;
}

/* IFR-13 step 1: each physical device exists with its PIF's MAC, or at least no other device
 * has that MAC (renaming devices was removed). */
static int check_physical_device(struct ctx *ctx, const char *pif)
{
    const struct json *rec = netdb_get(ctx->db, "pif", pif);
    const char *dev = netdb_string(rec, "device"), *mac = netdb_string(rec, "MAC");
    char *address = sys_net(dev, "address");
    bool right = address && !strcasecmp(address, mac);
    free(address);
    if (right || !*mac)
        return 0;
    char *other = device_with_mac(mac);
    int rc = 0;
    if (other && strcmp(other, dev) != 0)
        rc = fail(ctx, "PIF %s expects device %s with MAC %s, which is device %s: renaming "
                  "devices is not supported", netdb_string(rec, "uuid"), dev, mac, other);
    else
        vlog_warn("device %s of PIF %s is missing or has not MAC %s", dev,
                  netdb_string(rec, "uuid"), mac);
    free(other);
    return rc;
}

static void ip_link(const char *dev, const char *what)
{
    ifr_run_words("ip", "link", "set", dev, what, NULL);
}

/* Where the spec says nothing happens if the device is absent (IFR-13 step 2, IFR-14). */
static void ip_link_if_present(const char *dev, const char *what)
{
    if (device_exists(dev))
        ip_link(dev, what);
}

/* ifdown, or `ip link set down` when there is no ifcfg file; with `if_present`, nothing when
 * the device is gone. */
static void take_down(struct ctx *ctx, const char *dev, bool if_present)
{
    if (sysconfig_has_ifcfg(ctx->opts, dev))
        ifr_run_words("ifdown", dev, NULL);
    else if (if_present)
        ip_link_if_present(dev, "down");
    else
        ip_link(dev, "down");
}

/* ---- vsw ---- */

/* Runs the plan's commands as one `vsw --timeout=20 -- ...` transaction. */
static int run_transaction(struct ctx *ctx, const struct vswitch_plan *plan)
{
    if (plan->n_commands == 0)
        return 0;
    struct argv a;
    argv_init(&a);
    argv_add(&a, "vsw");
    argv_add(&a, "--timeout=20");
    for (size_t i = 0; i < plan->n_commands; i++) {
        argv_add(&a, "--");
        char *copy = xstrdup(plan->commands[i]);
        for (char *w = strtok(copy, " "); w; w = strtok(NULL, " "))
            argv_add(&a, w);
        free(copy);
    }
    int status = ifr_run(&a, NULL);
    argv_free(&a);
    return status == 0 ? 0 : fail(ctx, "vsw failed (status %d): the network configuration "
                                       "was not changed", status);
}

static char *vsw_output(const char *w1, const char *w2, const char *w3, const char *w4)
{
    struct argv a;
    argv_init(&a);
    const char *words[] = { "vsw", w1, w2, w3, w4 };
    for (size_t i = 0; i < 5 && words[i]; i++)
        argv_add(&a, words[i]);
    char *out = ifr_run_output(&a);
    argv_free(&a);
    return out;
}

/* IFR-17: the management flows, once the transaction made the bridge and its ports. */
static int add_management_flows(struct ctx *ctx, const struct vswitch_plan *plan)
{
    long ofports[64];
    for (size_t i = 0; i < plan->n_flow_ports && i < 64; i++) {
        char *out = vsw_output("get", "Interface", plan->flow_ports[i], "ofport");
        char *end = NULL;
        ofports[i] = out ? strtol(out, &end, 10) : -1;
        bool bad = !out || *end || ofports[i] <= 0;
        free(out);
        if (bad)
            return fail(ctx, "cannot find the OpenFlow port of %s for the management flows",
                        plan->flow_ports[i]);
    }
    size_t n = 0;
    char **flows = vswitch_flows(plan, ofports, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct argv a;
        argv_init(&a);
        argv_add(&a, "vsw");
        argv_add(&a, "ofctl");
        argv_add(&a, "add-flow");
        argv_add(&a, plan->bridge);
        argv_add(&a, flows[i]);
        if (rc == 0 && ifr_run(&a, NULL) != 0)
            rc = fail(ctx, "adding the management flow %s to %s failed", flows[i],
                      plan->bridge);
        argv_free(&a);
        free(flows[i]);
    }
    free(flows);
    return rc;
}

/* ---- up (IFR-11 to IFR-18) ---- */

static void log_pif_action(struct ctx *ctx, const char *action)
{
    const struct json *rec = netdb_get(ctx->db, "pif", ctx->pif);
    char netdev[64];
    vlog_info("Bring %s PIF %s: %s configured as %s", action, netdb_string(rec, "uuid"),
              netdb_netdev_name(ctx->db, ctx->pif, netdev, sizeof netdev),
              netdb_string(rec, "ip_configuration_mode"));
}

/* The MTU of a physical device: its bond master's, or its own network's, overridden by the
 * PIF's other_config:mtu. */
static long physical_mtu(struct ctx *ctx, const char *pif)
{
    const char *masters[4];
    const char *of = netdb_bond_masters(ctx->db, pif, masters, 4) ? masters[0] : pif;
    const struct json *rec = netdb_get(ctx->db, "pif", of);
    long mtu = sysconfig_network_mtu(netdb_pif_network(ctx->db, of));
    const char *override = netdb_map_get(rec, "other_config", "mtu");
    if (override) {
        char *end;
        long v = strtol(override, &end, 10);
        if (!*end && v > 0)
            mtu = v;
        else
            vlog_warn("Invalid value for mtu = %s", override);
    }
    return mtu > 0 ? mtu : 1500;
}

static void configure_physical(struct ctx *ctx, const char *pif)
{
    const struct json *rec = netdb_get(ctx->db, "pif", pif);
    const char *dev = netdb_string(rec, "device");
    char mtu[24];
    snprintf(mtu, sizeof mtu, "%ld", physical_mtu(ctx, pif));
    ifr_run_words("ip", "link", "set", dev, "up", "mtu", mtu, NULL);
    char *settings, *offloads;
    sysconfig_ethtool(json_object_get(rec, "other_config"), "gro off lro off", &settings,
                      &offloads);
    struct argv a;
    const char *kinds[] = { "-s", "-K" };
    const char *lists[] = { settings, offloads };
    for (int k = 0; k < 2; k++) {
        if (!*lists[k])
            continue;
        argv_init(&a);
        argv_add(&a, "ethtool");
        argv_add(&a, kinds[k]);
        argv_add(&a, dev);
        char *copy = xstrdup(lists[k]);
        for (char *w = strtok(copy, " "); w; w = strtok(NULL, " "))
            argv_add(&a, w);
        free(copy);
        ifr_run(&a, NULL);
        argv_free(&a);
    }
    free(settings);
    free(offloads);
}

static bool firstboot(const struct ifr_options *o)
{
    char *path = ifr_path(o, "/etc/firstboot.d/data/firstboot_in_progress");
    bool yes = access(path, F_OK) == 0;
    free(path);
    return yes;
}

/* ifup (IFR-13 step 7): during firstboot dhclient waits 240 s. */
static int bring_up(struct ctx *ctx, const char *ipdev)
{
    if (!sysconfig_has_ifcfg(ctx->opts, ipdev))
        return fail(ctx, "No config file for %s", ipdev);
    static const char *const firstboot_env[] = { "DHCLIENTARGS=-T 240", NULL };
    struct argv a;
    argv_init(&a);
    argv_add(&a, "ifup");
    argv_add(&a, ipdev);
    ifr_run(&a, firstboot(ctx->opts) ? firstboot_env : NULL);
    argv_free(&a);
    return 0;
}

/* Everything `up` does once the files are in place; -1 (ctx->error) means revert them. */
static int up_applied(struct ctx *ctx, const struct vswitch_plan *plan, const char **physical,
                      long n_physical, const char *ipdev)
{
    for (long i = 0; i < n_physical; i++)
        configure_physical(ctx, physical[i]);
    if (run_transaction(ctx, plan) < 0)
        return -1;
    if (plan->management_flows && add_management_flows(ctx, plan) < 0)
        return -1;
    if (bring_up(ctx, ipdev) < 0)
        return -1;
    if (n_physical > 1)   /* the bond's fake iface */
        ip_link(netdb_string(netdb_get(ctx->db, "pif", netdb_datapath_pif(ctx->db, ctx->pif)),
                             "device"), "up");
    ifr_run_words("update-issue", NULL);
    return 0;
}

static int pif_up(struct ctx *ctx)
{
    log_pif_action(ctx, "up");
    struct vswitch_plan plan;
    if (vswitch_plan_up(&plan, ctx->db, ctx->pif, ctx->management, ctx->error,
                        sizeof ctx->error) < 0)
        return -1;
    if (vswitch_needs_fail_mode(ctx->db, ctx->pif, ctx->management)) {
        char *mode = vsw_output("get-fail-mode", plan.bridge, NULL, NULL);
        vswitch_plan_flows(&plan, ctx->db, ctx->pif, mode ? mode : "");
        free(mode);
    }
    for (size_t i = 0; i < plan.n_devices_down; i++)
        ip_link_if_present(plan.devices_down[i], "down");
    const char *dp = netdb_datapath_pif(ctx->db, ctx->pif);
    const char *physical[64];
    long n_physical = netdb_physical_devices(ctx->db, dp, physical, 64);
    int rc = 0;
    for (long i = 0; rc == 0 && i < n_physical; i++)
        rc = check_physical_device(ctx, physical[i]);
    struct sysconfig files = { NULL, 0 };
    if (rc == 0)
        rc = sysconfig_prepare(&files, ctx->opts, ctx->db, ctx->pif, ctx->management,
                               ctx->error, sizeof ctx->error);
    char ipdev[64];
    netdb_ipdev_name(ctx->db, ctx->pif, ipdev, sizeof ipdev);
    if (rc == 0 && !ctx->opts->force) {
        take_down(ctx, ipdev, true);
        const char *related[16];
        size_t n = netdb_bond_masters(ctx->db, ctx->pif, related, 16);
        long slaves = netdb_bond_slaves(ctx->db, ctx->pif, related + n, 16 - n);
        n += slaves > 0 ? (size_t)slaves : 0;
        for (size_t i = 0; i < n; i++)   /* stale dhclients */
            if (*netdb_bridge_name(ctx->db, related[i]))
                take_down(ctx, netdb_bridge_name(ctx->db, related[i]), true);
    }
    if (rc == 0)
        rc = sysconfig_apply(&files, ctx->error, sizeof ctx->error);
    if (rc == 0) {
        rc = up_applied(ctx, &plan, physical, n_physical, ipdev);
        if (rc < 0)
            sysconfig_revert(&files);
        else
            sysconfig_commit(&files);
    }
    sysconfig_free(&files);
    vswitch_plan_free(&plan);
    return rc;
}

/* ---- down (IFR-19) and rewrite (IFR-20) ---- */

static int pif_down(struct ctx *ctx)
{
    log_pif_action(ctx, "down");
    struct vswitch_plan plan;
    if (vswitch_plan_down(&plan, ctx->db, ctx->pif, ctx->error, sizeof ctx->error) < 0)
        return -1;
    char ipdev[64];
    take_down(ctx, netdb_ipdev_name(ctx->db, ctx->pif, ipdev, sizeof ipdev), false);
    for (size_t i = 0; i < plan.n_devices_down; i++)
        ip_link(plan.devices_down[i], "down");
    int rc = run_transaction(ctx, &plan);
    vswitch_plan_free(&plan);
    return rc;
}

static int rewrite(struct ctx *ctx)
{
    char *socket = xasprintf("%s/dbd.sock", getenv("VSW_RUNDIR") ? getenv("VSW_RUNDIR")
                                                                 : DAEMON_DEFAULT_RUNDIR);
    bool running = access(socket, F_OK) == 0;
    free(socket);
    if (!running) {
        vlog_info("vsw is not running: not updating its xs-network-uuids");
        return 0;
    }
    struct vswitch_plan plan;
    vswitch_plan_rewrite(&plan, ctx->db);
    int rc = run_transaction(ctx, &plan);
    vswitch_plan_free(&plan);
    return rc;
}

/* IFR-09: the minimal cache of `--force BRIDGE rewrite`. */
static struct json *minimal_cache(const struct ifr_options *o)
{
    char pif_ref[64], network_ref[64], uuid[40];
    FILE *f;
    for (int i = 0; i < 2; i++) {
        f = fopen("/proc/sys/kernel/random/uuid", "r");
        if (!f || !fgets(uuid, sizeof uuid, f))
            snprintf(uuid, sizeof uuid, "%08lx-0000-4000-8000-%012lx", (long)getpid(),
                     (long)i);
        if (f)
            fclose(f);
        uuid[strcspn(uuid, "\n")] = '\0';
        snprintf(i ? network_ref : pif_ref, 64, "OpaqueRef:%s", uuid);
    }
    struct json *db = netdb_new();
    struct json *pif = json_object_new();
    json_object_put(netdb_records(db, "pif"), pif_ref, pif);
    char *pif_uuid = xasprintf("%sPif", o->device);
    bool dhcp = !strcmp(o->mode, "dhcp");
    json_object_put(pif, "uuid", json_string_take(pif_uuid));
    json_object_put(pif, "management", json_boolean_new(true));
    json_object_put(pif, "network", json_string_new(network_ref));
    json_object_put(pif, "device", json_string_new(o->device));
    json_object_put(pif, "bond_master_of", json_array_new());
    json_object_put(pif, "bond_slave_of", json_string_new(NETDB_NULL_REF));
    json_object_put(pif, "VLAN", json_string_new("-1"));
    json_object_put(pif, "VLAN_master_of", json_string_new(NETDB_NULL_REF));
    json_object_put(pif, "VLAN_slave_of", json_array_new());
    json_object_put(pif, "tunnel_access_PIF_of", json_array_new());
    json_object_put(pif, "tunnel_transport_PIF_of", json_array_new());
    json_object_put(pif, "ip_configuration_mode", json_string_new(dhcp ? "DHCP" : "Static"));
    json_object_put(pif, "IP", json_string_new(dhcp ? "" : o->ip));
    json_object_put(pif, "netmask", json_string_new(dhcp ? "" : o->netmask));
    json_object_put(pif, "gateway", json_string_new(dhcp || !o->gateway ? "" : o->gateway));
    json_object_put(pif, "DNS", json_string_new(""));
    json_object_put(pif, "MAC", json_string_new(o->mac));
    json_object_put(pif, "other_config", json_object_new());
    struct json *network = json_object_new();
    json_object_put(netdb_records(db, "network"), network_ref, network);
    json_object_put(network, "uuid", json_string_new("InitialManagementNetwork"));
    json_object_put(network, "bridge", json_string_new(o->force));
    json_object_put(network, "PIFs", json_array_append(json_array_new(),
                                                       json_string_new(pif_ref)));
    json_object_put(network, "other_config", json_object_new());
    return db;
}

/* ---- Choosing the PIF ---- */

/* IFR-04: the only PIF of the networks whose bridge is `bridge`. */
static int pif_of_bridge(struct ctx *ctx, const char *bridge)
{
    const struct json *networks = json_object_get(ctx->db, "network");
    bool matched = false;
    ctx->pif = NULL;
    for (size_t i = 0; i < json_object_size(networks); i++) {
        const struct json *n = json_object_value_at(networks, i);
        if (strcmp(netdb_string(n, "bridge"), bridge) != 0)
            continue;
        matched = true;
        for (size_t p = 0; p < netdb_list_size(n, "PIFs"); p++) {
            if (ctx->pif)
                return fail(ctx, "Multiple PIFs on host for network %s", bridge);
            ctx->pif = netdb_list_at(n, "PIFs", p);
        }
    }
    if (!matched)
        return fail(ctx, "No matching network \"%s\"", bridge);
    if (!ctx->pif)
        return fail(ctx, "No PIF on host for network %s", bridge);
    return 0;
}

static int pif_by_uuid(struct ctx *ctx, const char *uuid)
{
    const struct json *pifs = json_object_get(ctx->db, "pif");
    for (size_t i = 0; i < json_object_size(pifs); i++)
        if (!strcmp(netdb_string(json_object_value_at(pifs, i), "uuid"), uuid)) {
            ctx->pif = json_object_key_at(pifs, i);
            return 0;
        }
    return fail(ctx, "No PIF with uuid %s on this host", uuid);
}

/* ---- The two modes ---- */

static int save_cache(struct ctx *ctx)
{
    char *path = ifr_path(ctx->opts, DBCACHE_PATH);
    int rc = dbcache_write(ctx->db, path, ctx->error, sizeof ctx->error);
    free(path);
    return rc;
}

static int forced(struct ctx *ctx)
{
    const struct ifr_options *o = ctx->opts;
    if (!strcmp(o->action, "rewrite")) {
        ctx->db = minimal_cache(o);
        return save_cache(ctx);
    }
    char *path = ifr_path(o, DBCACHE_PATH);
    ctx->db = dbcache_read(path, ctx->error, sizeof ctx->error);
    free(path);
    if (!ctx->db || pif_of_bridge(ctx, o->force) < 0)
        return -1;
    ctx->management = netdb_management_pif(ctx->db);
    return !strcmp(o->action, "up") ? pif_up(ctx) : pif_down(ctx);
}

static struct xapi *connect_xapi(struct ctx *ctx)
{
    struct xapi_options xo = { .socket_path = getenv("VSW_XAPI_SOCKET"), .user = "root",
                               .password = "" };
    struct xapi *x = xapi_create(&xo);
    if (!x) {
        fail(ctx, "cannot set up a XAPI client");
        return NULL;
    }
    if (ctx->opts->session)
        xapi_use_session(x, ctx->opts->session);
    return x;
}

static int with_xapi(struct ctx *ctx)
{
    const struct ifr_options *o = ctx->opts;
    char host[64];
    if (installation_uuid(ctx, host, sizeof host) < 0)
        return -1;
    struct xapi *x = connect_xapi(ctx);
    if (!x)
        return -1;
    ctx->db = xapi_load(x, host, ctx->error, sizeof ctx->error);
    if (o->session)
        xapi_forget_session(x);   /* the caller's: not ours to end */
    xapi_destroy(x);
    if (!ctx->db)
        return -1;
    if (!strcmp(o->action, "rewrite"))
        return rewrite(ctx) < 0 ? -1 : save_cache(ctx);
    if (o->pif && !netdb_get(ctx->db, "pif", o->pif))
        return fail(ctx, "PIF %s is not a PIF of this host", o->pif);
    if (o->pif)
        ctx->pif = o->pif;
    else if (pif_by_uuid(ctx, o->pif_uuid) < 0)
        return -1;
    ctx->management = o->management ? ctx->pif : netdb_management_pif(ctx->db);
    const char *mac = netdb_string(netdb_get(ctx->db, "pif", ctx->pif), "MAC");
    if (pvs_device(o, mac)) {
        vlog_info("Skipping PVS device %s (%s)",
                  netdb_string(netdb_get(ctx->db, "pif", ctx->pif), "device"), mac);
        return 0;
    }
    int rc = !strcmp(o->action, "up") ? pif_up(ctx) : pif_down(ctx);
    return rc < 0 ? -1 : save_cache(ctx);
}

static char *joined(int argc, char **argv)
{
    char *s = xstrdup("");
    for (int i = 0; i < argc; i++) {
        char *next = xasprintf("%s%s%s", s, i ? " " : "", argv[i]);
        free(s);
        s = next;
    }
    return s;
}

int main(int argc, char **argv)
{
    struct ifr_options opts;
    int rc = parse_options(argc, argv, &opts);
    if (rc != 0)
        return rc < 0 ? EXIT_SUCCESS : rc;
    if ((rc = validate(&opts)) != 0)
        return rc;
    vlog_open(PROGRAM, opts.no_syslog ? VLOG_TO_STDERR : VLOG_TO_SYSLOG, NULL, VLOG_INFO);
    char *called = joined(argc, argv);
    vlog_info("Called as %s", called);
    free(called);
    struct ctx ctx = { .opts = &opts };
    rc = check_backend(&ctx);
    if (rc == 0)
        rc = opts.force ? forced(&ctx) : with_xapi(&ctx);
    if (rc < 0)
        vlog_err("%s", ctx.error);
    json_free(ctx.db);
    vlog_close();
    return rc < 0 ? EXIT_ERROR : EXIT_SUCCESS;
}
