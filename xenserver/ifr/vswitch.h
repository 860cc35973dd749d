/* What `up`, `down` and `rewrite` ask of vsw (IFR-12 to IFR-17, IFR-19, IFR-20): one `vsw
 * --timeout=20 -- cmd -- cmd ...` transaction, worked out from the records before anything is
 * changed, plus the devices to take down beforehand and, in a secure pool, the management
 * flows to add after it. The commands are those the old script gave ovs-vsctl, word for word. */
#ifndef VSW_IFR_VSWITCH_H
#define VSW_IFR_VSWITCH_H

#include <stdbool.h>
#include <stddef.h>

struct json;
struct ifr_options;

struct vswitch_plan {
    char **commands;             /* each "word word ...", in order */
    size_t n_commands;
    char **devices_down;         /* `ip link set <dev> down` before the transaction (bridges a
                                  * bond takes over, its extra ports; physical devices of a
                                  * datapath taken down) */
    size_t n_devices_down;
    bool management_flows;       /* IFR-17: flows to add after the transaction */
    const char *bridge;          /* the datapath bridge */
    const char *mac;             /* the management PIF's MAC, for the flows */
    const char **flow_ports;     /* the devices whose ofports the flows name */
    size_t n_flow_ports;
    bool flows_bond;             /* the bond form of IFR-17 */
};

/* The plan for `up` of `pif` (IFR-14..17). `management` is the management PIF; `fail_mode`
 * is what `vsw get-fail-mode <bridge>` said ("" if nothing or it failed), asked only when IFR-17
 * needs it (see vswitch_needs_fail_mode()). Returns 0, or -1 with `error` (an Error of the
 * spec, e.g. an unbridged VLAN). */
int vswitch_plan_up(struct vswitch_plan *plan, const struct json *db, const char *pif,
                    const char *management, char *error, size_t size);
/* Whether the plan for `up` depends on the bridge's current fail mode: the network names no
 * fail mode of its own, the pool's is secure, and `pif` is the management PIF. */
bool vswitch_needs_fail_mode(const struct json *db, const char *pif, const char *management);
/* Decides IFR-17 once the current fail mode is known. */
void vswitch_plan_flows(struct vswitch_plan *plan, const struct json *db, const char *pif,
                        const char *current_fail_mode);

/* The plan for `down` (IFR-19). */
int vswitch_plan_down(struct vswitch_plan *plan, const struct json *db, const char *pif,
                      char *error, size_t size);
/* The plan for `rewrite` (IFR-20): xs-network-uuids of every attached non-VLAN PIF's bridge. */
void vswitch_plan_rewrite(struct vswitch_plan *plan, const struct json *db);

void vswitch_plan_free(struct vswitch_plan *plan);

/* The bond options of IFR-15 for a bond master PIF: "MAC=\"...\" bond_downdelay=200 ..." as
 * the words after `set Port <bond>` (malloc'd). */
char *vswitch_bond_options(const struct json *db, const char *pif);

/* ovs-vsctl's quoting of a value: alphanumeric as it is, anything else double-quoted with
 * \\, \" and control characters escaped (malloc'd). */
char *vswitch_quote(const char *value);

/* The management flows of IFR-17 (and CFG-11), given the ofports of plan->flow_ports (in
 * that order): "idle_timeout=0,priority=0,..." each (malloc'd array of malloc'd). */
char **vswitch_flows(const struct vswitch_plan *plan, const long *ofports, size_t *n_flows);

#endif
