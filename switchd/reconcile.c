/* switchd's reconciliation: on any change of the replica (or of flowd), read the desired
 * configuration whole, bring flowd to it, and write back what the database should show:
 * ofport, error, admin/link state, MAC, MTU, ifindex, statistics (every 5 s) and, once
 * everything asked for was applied, cur_cfg = next_cfg. Only columns whose value differs are
 * written, so switchd's own writes settle after one round. */
#include "switchd/reconcile.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/loop.h"
#include "ovsdb/vswitch_idl.h"
#include "switchd/bridge.h"
#include "switchd/datapath.h"
#include "switchd/name_index.h"
#include "switchd/switchd.h"

/* Above this many ports needing their status, one request for all of them is cheaper. */
#define STATUS_ONE_BY_ONE_MAX 8

static void on_reconcile_timer(void *arg)
{
    struct switchd *s = arg;
    s->reconcile_timer = -1;
    if (reconcile_run(s) < 0 && s->reconcile_timer < 0)
        s->reconcile_timer = loop_add_timer(&s->daemon.loop, SWITCHD_RETRY_MS, 0,
                                            on_reconcile_timer, s);
}

void reconcile_schedule(struct switchd *s)
{
    if (s->reconcile_timer >= 0)
        return;
    s->reconcile_timer = loop_add_timer(&s->daemon.loop, 0, 0, on_reconcile_timer, s);
}

/* The statistics map: keys in the order dbd keeps them (sorted), so an unchanged map compares
 * equal as it is. */
static void set_statistics(struct idl_txn *txn, const struct vswrec_interface *row,
                           const Vsw__FlowdPortStats *st)
{
    static const char *const keys[] = { "rx_bytes", "rx_dropped", "rx_errors", "rx_packets",
                                        "tx_bytes", "tx_dropped", "tx_errors", "tx_packets" };
    int64_t values[] = { (int64_t)st->rx_bytes, (int64_t)st->rx_dropped,
                         (int64_t)st->rx_errors, (int64_t)st->rx_packets,
                         (int64_t)st->tx_bytes, (int64_t)st->tx_dropped,
                         (int64_t)st->tx_errors, (int64_t)st->tx_packets };
    vswrec_interface_set_statistics(txn, row, keys, values, sizeof keys / sizeof keys[0]);
}

/* An optional string column's value: empty is none. */
static const char *optional(const char *value)
{
    return value && *value ? value : NULL;
}

/* The status of `name` in `reply` (may be NULL); `idx` indexes reply's ports when it holds
 * them all, else it is empty and the reply has one port at most. */
static const Vsw__FlowdPortStatus *find_status(const Vsw__FlowdPortStatusReply *reply,
                                               const struct name_index *idx, const char *name)
{
    if (idx->n) {
        const struct name_entry *e = name_index_find(idx, name);
        return e ? e->item : NULL;
    }
    if (reply && reply->n_ports == 1 && strcmp(reply->ports[0]->name, name) == 0)
        return reply->ports[0];
    return NULL;
}

/* The columns of one interface as they should be; the transaction leaves out those that
 * already are. */
static void set_iface_status(struct idl_txn *txn, const struct iface_config *iface,
                             const Vsw__FlowdPortStatus *st, bool with_stats)
{
    const struct vswrec_interface *row = iface->row;
    /* recorded_ofport is 0 when the column is empty, which no assigned ofport is. */
    if (iface->ofport != iface->recorded_ofport)
        vswrec_interface_set_ofport(txn, row, &iface->ofport, 1);
    if (iface->error[0]) {
        vswrec_interface_set_error(txn, row, iface->error);
        return;
    }
    if (!st)
        return;   /* what flowd would say is not known this round: keep what is written */
    vswrec_interface_set_error(txn, row, optional(st->error));
    vswrec_interface_set_admin_state(txn, row, st->admin_up ? "up" : "down");
    vswrec_interface_set_link_state(txn, row, st->link_up ? "up" : "down");
    vswrec_interface_set_mac_in_use(txn, row, optional(st->mac_in_use));
    int64_t mtu = st->mtu, ifindex = st->ifindex;
    vswrec_interface_set_mtu(txn, row, &mtu, mtu ? 1 : 0);
    vswrec_interface_set_ifindex(txn, row, &ifindex, ifindex > 0 ? 1 : 0);
    if (with_stats && st->stats)
        set_statistics(txn, row, st->stats);
}

/* Whether an interface's status must be read now, outside the periodic round: it was just
 * attached (or attached again, say with another MTU) or renumbered, or has never had its
 * status written. So one add-port asks flowd about one port, whatever the bridge's size. */
static bool status_needed_now(const struct iface_config *iface)
{
    if (iface->error[0] || iface->fresh.known)
        return false;
    return iface->ofport != iface->recorded_ofport || iface->status_unwritten ||
           iface->attached_now;
}

/* What flowd said of a port it attached in this reconciliation, as FLOWD_PORT_STATUS says it. */
static const Vsw__FlowdPortStatus *fresh_status(const struct iface_config *iface,
                                                Vsw__FlowdPortStatus *st)
{
    vsw__flowd_port_status__init(st);
    st->name = (char *)iface->name;
    st->admin_up = iface->fresh.admin_up;
    st->link_up = iface->fresh.link_up;
    st->mac_in_use = (char *)iface->fresh.mac_in_use;
    st->mtu = iface->fresh.mtu;
    st->ifindex = iface->fresh.ifindex;
    st->error = (char *)iface->fresh.error;
    return st;
}

static void add_iface_status(struct idl_txn *txn, const struct iface_config *iface,
                             const Vsw__FlowdPortStatus *st, bool with_stats)
{
    if (!st && !iface->error[0] && iface->ofport == iface->recorded_ofport)
        return;   /* set_iface_status() would set nothing */
    set_iface_status(txn, iface, st, with_stats);
}

static int count_status_needed(const struct bridge_config *br, int first)
{
    int n = 0;
    for (int p = first; p < br->n_ports; p++) {
        for (int i = 0; i < br->ports[p].n_ifaces; i++)
            n += status_needed_now(&br->ports[p].ifaces[i]);
    }
    return n;
}

/* The status of ports [first, n_ports) of `br`. */
static void add_bridge_status(struct switchd *s, struct idl_txn *txn,
                              const struct bridge_config *br, int first, bool with_stats)
{
    /* The periodic round, and a change of many ports at once, read every port in one
     * request; otherwise only the ports that need it are read, one request each. */
    bool read_all = with_stats || count_status_needed(br, first) > STATUS_ONE_BY_ONE_MAX;
    Vsw__FlowdPortStatusReply *all = read_all ? datapath_port_status(s, br->name, "") : NULL;
    struct name_index all_by_name;
    name_index_init(&all_by_name);
    for (size_t i = 0; all && i < all->n_ports; i++)
        name_index_add(&all_by_name, all->ports[i]->name, all->ports[i], NULL);
    name_index_build(&all_by_name);
    for (int p = first; p < br->n_ports; p++) {
        for (int i = 0; i < br->ports[p].n_ifaces; i++) {
            const struct iface_config *iface = &br->ports[p].ifaces[i];
            Vsw__FlowdPortStatusReply *one = NULL;
            if (!read_all && status_needed_now(iface))
                one = datapath_port_status(s, br->name, iface->name);
            const Vsw__FlowdPortStatus *st =
                iface->error[0] ? NULL : find_status(read_all ? all : one, &all_by_name,
                                                     iface->name);
            Vsw__FlowdPortStatus fresh;
            if (!st && !iface->error[0] && iface->fresh.known)
                st = fresh_status(iface, &fresh);
            add_iface_status(txn, iface, st, with_stats);
            if (one)
                protobuf_c_message_free_unpacked(&one->base, NULL);
        }
    }
    name_index_destroy(&all_by_name);
    if (all)
        protobuf_c_message_free_unpacked(&all->base, NULL);
}

/* Writes the status of every interface, or (`new_only`) of the ports each bridge gained from
 * first_new_port on, and cur_cfg if `applied`. */
static int write_status(struct switchd *s, const struct switch_config *config, bool applied,
                        bool with_stats, bool new_only)
{
    struct idl_txn *txn = idl_txn_create(&s->idl);
    for (int b = 0; b < config->n_bridges; b++) {
        const struct bridge_config *br = &config->bridges[b];
        add_bridge_status(s, txn, br, new_only ? br->first_new_port : 0, with_stats);
    }
    if (applied && config->cur_cfg != config->next_cfg)
        vswrec_open_vswitch_set_cur_cfg(txn, config->root, config->next_cfg);
    char *error = NULL;
    enum idl_txn_status status = idl_txn_commit(txn, &error);
    idl_txn_destroy(txn);
    if (status == IDL_TXN_SUCCESS || status == IDL_TXN_UNCHANGED)
        return 0;
    vlog_warn("writing status to the database failed: %s", error ? error : "unknown error");
    free(error);
    return -1;
}

/* What a reconciliation noted of the ports it attached (from `first` on) served its status
 * write; the next one starts without it. Every apply ends here, so a kept reading never
 * carries attachments into the next (copy_port() need not clear them). */
static void forget_attachments(struct bridge_config *br, int first)
{
    for (int p = first; p < br->n_ports; p++) {
        for (int i = 0; i < br->ports[p].n_ifaces; i++) {
            br->ports[p].ifaces[i].attached_now = false;
            br->ports[p].ifaces[i].fresh.known = false;
        }
    }
}

/* Brings flowd to `config` and writes the status back. Returns 0, or -1 to retry. */
static int apply_config(struct switchd *s, struct switch_config *config)
{
    if (!s->stats_due)
        s->last_change_ms = loop_now_ms();   /* the status round's own is no change */
    for (int b = 0; b < config->n_bridges; b++)
        bridge_assign_ofports(&config->bridges[b]);
    bool applied = datapath_apply(s, config) == 0;
    bool with_stats = s->stats_due;
    int rc = write_status(s, config, applied, with_stats, false);
    for (int b = 0; b < config->n_bridges; b++)
        forget_attachments(&config->bridges[b], 0);
    if (rc == 0 && with_stats)
        s->stats_due = false;
    s->reconciliations++;
    return applied && rc == 0 ? 0 : -1;
}

/* Whether an interface is in error, among all or (`new_only`) the ports added last. */
static bool any_error(const struct switch_config *config, bool new_only)
{
    for (int b = 0; b < config->n_bridges; b++) {
        const struct bridge_config *br = &config->bridges[b];
        for (int p = new_only ? br->first_new_port : 0; p < br->n_ports; p++)
            for (int i = 0; i < br->ports[p].n_ifaces; i++)
                if (br->ports[p].ifaces[i].error[0])
                    return true;
    }
    return false;
}

/* Ports were only added (switch_config_grow() took them into s->previous): numbers for them,
 * flowd told about them alone, their status and cur_cfg written. */
static int apply_growth(struct switchd *s, struct switch_config *config)
{
    bool applied = true;
    for (int b = 0; b < config->n_bridges; b++) {
        struct bridge_config *br = &config->bridges[b];
        if (br->first_new_port == br->n_ports)
            continue;
        s->last_change_ms = loop_now_ms();
        bridge_assign_new_ofports(br);
        if (datapath_add_new_ports(s, br) < 0)
            applied = false;
    }
    /* The other ports' status is as written before: only the new ones' is. */
    int rc = write_status(s, config, applied, false, true);
    s->reconciliations++;
    s->growths++;
    s->flowd_matches_previous = applied && rc == 0 && !any_error(config, true);
    for (int b = 0; b < config->n_bridges; b++)
        forget_attachments(&config->bridges[b], config->bridges[b].first_new_port);
    return applied && rc == 0 ? 0 : -1;
}

int reconcile_run(struct switchd *s)
{
    if (!s->idl.synced)
        return 0;   /* the snapshot, when it comes, schedules us again */
    if (s->flowd_matches_previous && !s->stats_due && s->previous &&
        switch_config_grow(s->previous, &s->idl) == 0) {
        idl_forget_changes(&s->idl);
        return apply_growth(s, s->previous);
    }
    s->flowd_matches_previous = false;
    if (!s->previous && !(s->previous = calloc(1, sizeof *s->previous))) {
        vlog_err("out of memory reading the configuration");
        return -1;
    }
    struct switch_config config;
    if (switch_config_read(&config, &s->idl, s->previous) < 0) {
        vlog_err("out of memory reading the configuration");
        return -1;
    }
    idl_forget_changes(&s->idl);
    /* Without the root row, `vsw init` has not run yet: nothing to apply. */
    int rc = config.root ? apply_config(s, &config) : 0;
    s->flowd_matches_previous = rc == 0 && config.root && !any_error(&config, false);
    /* Kept for the next reading, which copies what is unchanged (copy_port() undoes what
     * numbering and errors changed since). */
    switch_config_free(s->previous);
    *s->previous = config;
    return rc;
}
