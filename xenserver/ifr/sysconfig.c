/* ifcfg, route and network files, written and applied transactionally; see sysconfig.h. */
#include "xenserver/ifr/sysconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/json.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "xenserver/ifr/ifr.h"
#include "xenserver/ifr/netdb.h"

enum conffile_state { WRITTEN, APPLIED, DONE };

struct conffile {
    char *path, *old_path, *new_path;
    enum conffile_state state;
};

/* <dir>/<name> with its .<name>.xapi-old and .<name>.xapi-new beside it. */
static struct conffile *conffile_new(const char *dir, const char *name)
{
    struct conffile *f = xzalloc(sizeof *f);
    f->path = xasprintf("%s/%s", dir, name);
    f->old_path = xasprintf("%s/.%s.xapi-old", dir, name);
    f->new_path = xasprintf("%s/.%s.xapi-new", dir, name);
    return f;
}

static void conffile_free(struct conffile *f)
{
    if (f->state == WRITTEN)
        unlink(f->new_path);
    free(f->path);
    free(f->old_path);
    free(f->new_path);
    free(f);
}

static int write_file(const char *path, const char *text, char *error, size_t size)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        snprintf(error, size, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    bool ok = fputs(text, out) >= 0 && fflush(out) == 0 && fsync(fileno(out)) == 0;
    if (fclose(out) != 0 || !ok) {
        snprintf(error, size, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int add_file(struct sysconfig *sc, const char *dir, const char *name, const char *text,
                    char *error, size_t size)
{
    struct conffile *f = conffile_new(dir, name);
    if (write_file(f->new_path, text, error, size) < 0) {
        f->state = DONE;
        conffile_free(f);
        return -1;
    }
    sc->files = xrealloc(sc->files, (sc->n + 1) * sizeof *sc->files);
    sc->files[sc->n++] = f;
    return 0;
}

static int apply_one(struct conffile *f, char *error, size_t size)
{
    vlog_info("Applying changes to %s configuration", f->path);
    unlink(f->old_path);
    if (access(f->path, F_OK) == 0 && rename(f->path, f->old_path) < 0) {
        snprintf(error, size, "cannot keep %s as %s: %s", f->path, f->old_path, strerror(errno));
        return -1;
    }
    if (rename(f->new_path, f->path) < 0) {
        snprintf(error, size, "cannot put %s in place: %s", f->path, strerror(errno));
        rename(f->old_path, f->path);
        return -1;
    }
    f->state = APPLIED;
    return 0;
}

static void revert_one(struct conffile *f)
{
    if (f->state != APPLIED)
        return;
    vlog_info("Reverting changes to %s configuration", f->path);
    /* The new version stays as .xapi-new, an aid to debugging (as the old script left it). */
    if (access(f->path, F_OK) == 0)
        rename(f->path, f->new_path);
    if (access(f->old_path, F_OK) == 0)
        rename(f->old_path, f->path);
    f->state = DONE;
}

int sysconfig_apply(struct sysconfig *sc, char *error, size_t size)
{
    for (size_t i = 0; i < sc->n; i++) {
        if (apply_one(sc->files[i], error, size) < 0) {
            sysconfig_revert(sc);
            return -1;
        }
    }
    return 0;
}

void sysconfig_commit(struct sysconfig *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        struct conffile *f = sc->files[i];
        if (f->state != APPLIED)
            continue;
        vlog_info("Committing changes to %s configuration", f->path);
        unlink(f->old_path);
        f->state = DONE;
    }
}

void sysconfig_revert(struct sysconfig *sc)
{
    for (size_t i = sc->n; i-- > 0;)
        revert_one(sc->files[i]);
}

void sysconfig_free(struct sysconfig *sc)
{
    for (size_t i = 0; i < sc->n; i++)
        conffile_free(sc->files[i]);
    free(sc->files);
    sc->files = NULL;
    sc->n = 0;
}

bool sysconfig_has_ifcfg(const struct ifr_options *opts, const char *dev)
{
    char *name = xasprintf(SYSCONFIG_SCRIPTS "/ifcfg-%s", dev);
    char *path = ifr_path(opts, name);
    bool exists = access(path, F_OK) == 0;
    free(path);
    free(name);
    return exists;
}

/* ---- What the files say ---- */

struct text {
    char *s;
};

static void addf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct text *t, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *more = NULL;
    if (vasprintf(&more, fmt, args) < 0)
        abort();
    va_end(args);
    char *joined = xasprintf("%s%s", t->s ? t->s : "", more);
    free(t->s);
    free(more);
    t->s = joined;
}

static const char *on_off(const char *value)
{
    if (!strcmp(value, "true") || !strcmp(value, "on"))
        return "on";
    if (!strcmp(value, "false") || !strcmp(value, "off"))
        return "off";
    return NULL;
}

/* other_config[key], or NULL when unset. */
static const char *map_value(const struct json *oc, const char *key)
{
    const struct json *v = json_object_get(oc, key);
    return json_is_string(v) ? json_string(v) : NULL;
}

void sysconfig_ethtool(const struct json *oc, const char *default_offloads, char **settings,
                       char **offloads)
{
    struct text s = { xstrdup("") }, o = { xstrdup("") };
    const char *v;
    if ((v = map_value(oc, "ethtool-speed"))) {
        if (!strcmp(v, "10") || !strcmp(v, "100") || !strcmp(v, "1000"))
            addf(&s, "%sspeed %s", *s.s ? " " : "", v);
        else
            vlog_warn("Invalid value for ethtool-speed = %s. Must be 10|100|1000.", v);
    }
    if ((v = map_value(oc, "ethtool-duplex"))) {
        if (!strcmp(v, "half") || !strcmp(v, "full"))
            addf(&s, "%sduplex %s", *s.s ? " " : "", v);
        else
            vlog_warn("Invalid value for ethtool-duplex = %s. Must be half|full.", v);
    }
    if ((v = map_value(oc, "ethtool-autoneg"))) {
        if (on_off(v))
            addf(&s, "%sautoneg %s", *s.s ? " " : "", on_off(v));
        else
            vlog_warn("Invalid value for ethtool-autoneg = %s. Must be on|true|off|false.", v);
    }
    static const char *const flags[] = { "rx", "tx", "sg", "tso", "ufo", "gso", "gro", "lro" };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "ethtool-%s", flags[i]);
        v = map_value(oc, key);
        if (v && on_off(v)) {
            addf(&o, "%s%s %s", *o.s ? " " : "", flags[i], on_off(v));
            continue;
        }
        if (v)
            vlog_warn("Invalid value for %s = %s. Must be on|true|off|false.", key, v);
        /* a default applies to a flag the map leaves unset: "gro off lro off" */
        const char *d = default_offloads ? strstr(default_offloads, flags[i]) : NULL;
        if (!v && d && (d == default_offloads || d[-1] == ' ') && d[strlen(flags[i])] == ' ')
            addf(&o, "%s%s %.*s", *o.s ? " " : "", flags[i],
                 (int)strcspn(d + strlen(flags[i]) + 1, " "), d + strlen(flags[i]) + 1);
    }
    *settings = s.s;
    *offloads = o.s;
}

/* A decimal integer, or -1. */
static long parse_mtu(const char *text)
{
    if (!text || !*text)
        return -1;
    char *end;
    long v = strtol(text, &end, 10);
    return *end || v <= 0 ? -1 : v;
}

long sysconfig_network_mtu(const struct json *network)
{
    const char *mtu = netdb_string(network, "MTU");
    const char *override = netdb_map_get(network, "other_config", "mtu");
    if (override)
        return parse_mtu(override);
    return *mtu ? parse_mtu(mtu) : 1500;
}

static void header(struct text *t, const char *file)
{
    addf(t, "# DO NOT EDIT: This file (%s) was autogenerated by interface-reconfigure\n", file);
}

static int ifcfg_text(struct text *t, const struct json *db, const char *pif, const char *ipdev,
                      char *error, size_t size)
{
    const struct json *rec = netdb_get(db, "pif", pif);
    const struct json *network = netdb_pif_network(db, pif);
    char file[80];
    snprintf(file, sizeof file, "ifcfg-%s", ipdev);
    header(t, file);
    addf(t, "XEMANAGED=yes\nDEVICE=%s\nONBOOT=no\nNOZEROCONF=yes\nTYPE=Ethernet\n", ipdev);
    const char *mode = netdb_string(rec, "ip_configuration_mode");
    if (!strcmp(mode, "DHCP")) {
        addf(t, "BOOTPROTO=dhcp\nPERSISTENT_DHCLIENT=yes\n");
    } else if (!strcmp(mode, "Static")) {
        addf(t, "BOOTPROTO=none\nNETMASK=%s\nIPADDR=%s\nGATEWAY=%s\n",
             netdb_string(rec, "netmask"), netdb_string(rec, "IP"), netdb_string(rec, "gateway"));
    } else if (!strcmp(mode, "None")) {
        addf(t, "BOOTPROTO=none\n");
    } else {
        snprintf(error, size, "Unknown ip-configuration-mode %s", mode);
        return -1;
    }
    char *settings, *offloads;
    sysconfig_ethtool(json_object_get(network, "other_config"), NULL, &settings, &offloads);
    if (*settings)
        addf(t, "ETHTOOL_OPTS=\"%s\"\n", settings);
    if (*offloads)
        addf(t, "ETHTOOL_OFFLOAD_OPTS=\"%s\"\n", offloads);
    free(settings);
    free(offloads);
    long mtu = sysconfig_network_mtu(network);
    if (mtu > 0)
        addf(t, "MTU=%ld\n", mtu);
    const char *dns = netdb_string(rec, "DNS");
    for (int i = 1; *dns; i++) {
        size_t n = strcspn(dns, ",");
        addf(t, "DNS%d=%.*s\n", i, (int)n, dns);
        dns += n + (dns[n] == ',');
    }
    const char *domain = netdb_map_get(rec, "other_config", "domain");
    if (domain) {
        char *spaced = xstrdup(domain);
        for (char *c = spaced; *c; c++)
            if (*c == ',')
                *c = ' ';
        addf(t, "DOMAIN='%s'\n", spaced);
        free(spaced);
    }
    return 0;
}

/* The static routes of the network ("net/masklen/gw,..."); -1 if one is malformed (logged):
 * the route file is then left alone. */
static int route_text(struct text *t, const struct json *network, const char *ipdev)
{
    char file[80];
    snprintf(file, sizeof file, "route-%s", ipdev);
    header(t, file);
    const char *routes = netdb_map_get(network, "other_config", "static-routes");
    while (routes && *routes) {
        size_t n = strcspn(routes, ",");
        char *entry = xasprintf("%.*s", (int)n, routes);
        char *net = strtok(entry, "/"), *len = strtok(NULL, "/"), *gw = strtok(NULL, "/");
        if (!net || !len || !gw || strtok(NULL, "/")) {
            vlog_warn("Static route configuration \"%.*s\" is malformed: not attaching %s",
                      (int)n, routes, file);
            free(entry);
            return -1;
        }
        addf(t, "%s/%s via %s dev %s\n", net, len, gw, ipdev);
        free(entry);
        routes += n + (routes[n] == ',');
    }
    return 0;
}

/* The first PIF (not a bond slave, not a bond master of `pif`) whose other_config `key` is
 * "true", or `fallback`. */
static const char *chosen_pif(const struct json *db, const char *pif, const char *key,
                              const char *fallback)
{
    const char *masters[4];
    size_t n_masters = netdb_bond_masters(db, pif, masters, 4);
    const struct json *pifs = json_object_get(db, "pif");
    const char *chosen = NULL;
    for (size_t i = 0; i < json_object_size(pifs); i++) {
        const char *ref = json_object_key_at(pifs, i);
        const struct json *rec = json_object_value_at(pifs, i);
        bool excluded = strcmp(netdb_string(rec, "bond_slave_of"), NETDB_NULL_REF) != 0 &&
                        *netdb_string(rec, "bond_slave_of");
        for (size_t m = 0; m < n_masters; m++)
            excluded |= strcmp(masters[m], ref) == 0;
        const char *v = netdb_map_get(rec, "other_config", key);
        if (excluded || !v || strcmp(v, "true") != 0)
            continue;
        if (!chosen)
            chosen = ref;
        else
            vlog_warn("Warning: multiple pifs with \"%s=true\" - choosing %s and ignoring %s",
                      key, netdb_string(netdb_get(db, "pif", chosen), "device"),
                      netdb_string(rec, "device"));
    }
    return chosen ? chosen : fallback;
}

/* /etc/sysconfig/network with `key`=`value` set, the rest as it was. */
static void set_line(char **content, const char *key, const char *value)
{
    struct text t = { xstrdup("") };
    bool done = false;
    size_t klen = strlen(key);
    for (const char *line = *content; *line;) {
        size_t n = strcspn(line, "\n");
        bool ours = n > klen && !strncmp(line, key, klen) && line[klen] == '=';
        if (ours && !done)
            addf(&t, "%s=%s\n", key, value);
        else if (!ours)
            addf(&t, "%.*s\n", (int)n, line);
        done |= ours;
        line += n + (line[n] == '\n');
    }
    if (!done)
        addf(&t, "%s=%s\n", key, value);
    free(*content);
    *content = t.s;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return xstrdup("");
    struct text t = { xstrdup("") };
    char buf[1024];
    while (fgets(buf, sizeof buf, f))
        addf(&t, "%s", buf);
    fclose(f);
    return t.s;
}

static int network_file(struct sysconfig *sc, const struct ifr_options *opts,
                        const struct json *db, const char *pif, const char *management,
                        const char *ipdev, char *error, size_t size)
{
    const char *dns_pif = chosen_pif(db, pif, "peerdns", management);
    const char *gateway_pif = chosen_pif(db, pif, "defaultroute", management);
    bool dns = dns_pif && strcmp(dns_pif, pif) == 0;
    bool gateway = gateway_pif && strcmp(gateway_pif, pif) == 0;
    if (!dns && !gateway)
        return 0;
    char *path = ifr_path(opts, SYSCONFIG_NETWORK);
    char *content = read_text(path);
    if (dns)
        set_line(&content, "DNSDEV", ipdev);
    if (gateway)
        set_line(&content, "GATEWAYDEV", ipdev);
    char *dir = ifr_path(opts, "/etc/sysconfig");
    int rc = add_file(sc, dir, "network", content, error, size);
    free(dir);
    free(content);
    free(path);
    return rc;
}

int sysconfig_prepare(struct sysconfig *sc, const struct ifr_options *opts,
                      const struct json *db, const char *pif, const char *management,
                      char *error, size_t size)
{
    memset(sc, 0, sizeof *sc);
    char ipdev[64];
    netdb_ipdev_name(db, pif, ipdev, sizeof ipdev);
    char *dir = ifr_path(opts, SYSCONFIG_SCRIPTS);
    struct text ifcfg = { NULL }, route = { NULL };
    char name[80];
    int rc = ifcfg_text(&ifcfg, db, pif, ipdev, error, size);
    if (rc == 0) {
        snprintf(name, sizeof name, "ifcfg-%s", ipdev);
        rc = add_file(sc, dir, name, ifcfg.s, error, size);
    }
    if (rc == 0 && route_text(&route, netdb_pif_network(db, pif), ipdev) == 0) {
        snprintf(name, sizeof name, "route-%s", ipdev);
        rc = add_file(sc, dir, name, route.s, error, size);
    }
    if (rc == 0)
        rc = network_file(sc, opts, db, pif, management, ipdev, error, size);
    free(ifcfg.s);
    free(route.s);
    free(dir);
    if (rc < 0)
        sysconfig_free(sc);
    return rc;
}
