/* vsw-switchd: reconciles the database's bridges into flowd and writes their status back. */
#ifndef VSW_SWITCHD_H
#define VSW_SWITCHD_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/daemon.h"
#include "ovsdb/idl.h"
#include "proto/flowd.pb-c.h"

/* Interface statistics and link state are written back this often. */
#define SWITCHD_STATUS_INTERVAL_MS 5000
/* The status round gives way to configuration: while changes have been applied within the
 * last SWITCHD_STATUS_QUIET_MS it is put off by that much, for at most
 * SWITCHD_STATUS_MAX_DELAY_MS. Its cost grows with the ports whose status changed (the first
 * statistics of 1000 new ports: a 300 kB transaction, some 60 ms of processor time in three
 * daemons), and a change waiting behind it would wait that long. */
#define SWITCHD_STATUS_QUIET_MS 500
#define SWITCHD_STATUS_MAX_DELAY_MS 15000
/* A reconciliation that could not reach flowd or dbd is retried after this long. */
#define SWITCHD_RETRY_MS 500

struct switch_config;

struct switchd {
    struct daemon daemon;          /* first: see lib/daemon.h */
    struct idl idl;                /* replica of Open_vSwitch, Bridge, Port, Interface */
    int reconcile_timer;           /* a pending reconciliation's timer, or -1 */
    bool stats_due;                /* the next reconciliation also writes statistics */
    uint64_t reconciliations;
    uint64_t growths;              /* of which only added ports (switch_config_grow()) */
    uint64_t last_change_ms;       /* when a reconciliation last applied a change */
    uint64_t status_due_since_ms;  /* the status round has been due since (0: it is not) */
    int status_retry_timer;        /* the put-off status round's timer, or -1 */
    uint64_t status_rounds_put_off;
    /* The last configuration read, reused where rows are unchanged; NULL before the first. */
    struct switch_config *previous;
    /* flowd holds exactly `previous`, every interface attached: a change that only adds ports
     * can be applied on its own (switch_config_grow()). Cleared by anything that may have
     * made them differ: a failure, an interface in error, a restarted flowd. */
    bool flowd_matches_previous;
};

/* The owner switchd gives its datapaths in flowd (see proto/flowd.proto). */
#define SWITCHD_OWNER "vsw-switchd"

/* switchd's peers, in the order main.c adds them. */
enum { SWITCHD_PEER_DBD, SWITCHD_PEER_FLOWD };

/* The link to vsw-flowd. */
struct ipc_client *switchd_flowd(struct switchd *switchd);

extern const struct ipc_route switchd_routes[];
extern const size_t switchd_n_routes;
extern const struct sandbox_policy switchd_sandbox_policy;

#endif
