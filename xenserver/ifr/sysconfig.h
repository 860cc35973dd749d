/* The files `up` writes (IFR-11): /etc/sysconfig/network-scripts/ifcfg-<ipdev> and
 * route-<ipdev>, and DNSDEV/GATEWAYDEV in /etc/sysconfig/network, changed transactionally as
 * the old script did: each new version is written as .<name>.xapi-new; applying it keeps the
 * current one as .<name>.xapi-old; then the change is committed (the backup removed) or
 * reverted (the backup put back), so an `up` that fails leaves the files as they were. */
#ifndef VSW_IFR_SYSCONFIG_H
#define VSW_IFR_SYSCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct json;
struct ifr_options;

#define SYSCONFIG_SCRIPTS "/etc/sysconfig/network-scripts"
#define SYSCONFIG_NETWORK "/etc/sysconfig/network"

struct conffile;

/* The files of one `up`. */
struct sysconfig {
    struct conffile **files;
    size_t n;
};

/* Writes the new versions of the files for bringing `pif` up (not applied yet). `management`
 * is the management PIF (peerdns and defaultroute default to it). Returns 0, or -1 with
 * `error`. */
int sysconfig_prepare(struct sysconfig *sc, const struct ifr_options *opts,
                      const struct json *db, const char *pif, const char *management,
                      char *error, size_t size);
/* Puts the new versions in place, keeping backups. Returns 0, or -1 with `error` (whatever was
 * applied is reverted). */
int sysconfig_apply(struct sysconfig *sc, char *error, size_t size);
void sysconfig_commit(struct sysconfig *sc);
void sysconfig_revert(struct sysconfig *sc);
/* Removes what sysconfig_prepare() wrote and was not applied, and frees. */
void sysconfig_free(struct sysconfig *sc);

/* Whether <root>/etc/sysconfig/network-scripts/ifcfg-<dev> exists. */
bool sysconfig_has_ifcfg(const struct ifr_options *opts, const char *dev);

/* The ethtool settings of an other_config (IFR-18): "speed 1000 duplex full autoneg on" and
 * the offload flags "rx on ... gro off lro off", with `default_offloads` (e.g. "gro off lro
 * off", or NULL) for flags the map leaves unset. Invalid values are logged and left out. Each
 * malloc'd, "" when empty. */
void sysconfig_ethtool(const struct json *other_config, const char *default_offloads,
                       char **settings, char **offloads);
/* The MTU of a network (its MTU, or other_config:mtu when that is an integer; 1500 when
 * neither is). */
long sysconfig_network_mtu(const struct json *network);

#endif
