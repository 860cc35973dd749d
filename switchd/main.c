/* vsw-switchd: setup as root, drop privileges, connect to dbd and flowd, restrict system
 * calls, reconcile whenever the configuration or flowd changes. */
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "ovsdb/vswitch_idl.h"
#include "switchd/bridge.h"
#include "switchd/reconcile.h"
#include "switchd/switchd.h"

/* Everything switchd reconciles, all columns: the status it writes back is compared too. */
static const struct idl_table_class *const replicated[] = {
    &vswrec_table_open_vswitch, &vswrec_table_bridge, &vswrec_table_port,
    &vswrec_table_interface,
};

static void on_notification(struct daemon *d, enum ipc_stream_status status,
                            const Vsw__Envelope *env)
{
    (void)status;   /* the idl sees gaps and epochs itself */
    struct switchd *s = (struct switchd *)d;
    idl_handle_notification(&s->idl, env);
}

static void on_config_changed(void *arg, struct idl *idl)
{
    (void)idl;
    reconcile_schedule(arg);
}

/* A restarted flowd has nothing: push everything again now, not at the next change. And the
 * replica is fetched as soon as dbd answers, rather than at its next heartbeat. */
static void on_peer_up(struct daemon *d, struct peer_link *link)
{
    struct switchd *s = (struct switchd *)d;
    if (link == &d->peers[SWITCHD_PEER_FLOWD]) {
        s->flowd_matches_previous = false;
        reconcile_schedule(s);
    }
    else if (link == &d->peers[SWITCHD_PEER_DBD] && !s->idl.synced)
        idl_sync(&s->idl);
}

static void on_status_timer(void *arg);

static void on_status_retry(void *arg)
{
    struct switchd *s = arg;
    s->status_retry_timer = -1;
    on_status_timer(s);
}

/* Every SWITCHD_STATUS_INTERVAL_MS, unless changes are being applied (see switchd.h). */
static void on_status_timer(void *arg)
{
    struct switchd *s = arg;
    uint64_t now = loop_now_ms();
    if (!s->status_due_since_ms)
        s->status_due_since_ms = now;
    bool busy = now - s->last_change_ms < SWITCHD_STATUS_QUIET_MS;
    if (busy && now - s->status_due_since_ms < SWITCHD_STATUS_MAX_DELAY_MS) {
        if (s->status_retry_timer >= 0)
            return;
        s->status_retry_timer = loop_add_timer(&s->daemon.loop, SWITCHD_STATUS_QUIET_MS, 0,
                                               on_status_retry, s);
        if (s->status_retry_timer >= 0) {
            s->status_rounds_put_off++;
            return;
        }
        vlog_warn("cannot put the status round off: running it now");
    }
    s->status_due_since_ms = 0;
    s->stats_due = true;
    reconcile_schedule(s);
}

static int open_sockets(struct switchd *s)
{
    struct daemon *d = &s->daemon;
    static struct daemon_counter counters[3];
    counters[0] = (struct daemon_counter){ "reconciliations", &s->reconciliations };
    counters[1] = (struct daemon_counter){ "port_additions_alone", &s->growths };
    counters[2] = (struct daemon_counter){ "status_rounds_put_off", &s->status_rounds_put_off };
    d->own_counters = counters;
    d->n_own_counters = 3;
    d->on_peer_up = on_peer_up;
    if (daemon_open_control(d, switchd_routes, switchd_n_routes) < 0 ||
        daemon_add_peer(d, "vsw-dbd", "dbd.sock", VSW__CHANNEL__CHANNEL_DBD,
                        VSW__DBD_TYPE__DBD_HELLO) < 0 ||
        daemon_add_peer(d, "vsw-flowd", "flowd.sock", VSW__CHANNEL__CHANNEL_FLOWD,
                        VSW__FLOWD_TYPE__FLOWD_HELLO) < 0 ||
        idl_init(&s->idl, d, &vswrec_idl_class, replicated,
                 sizeof replicated / sizeof replicated[0], on_config_changed, s) < 0 ||
        daemon_subscribe(d, "dbd.events", VSW__CHANNEL__CHANNEL_DBD, on_notification) < 0 ||
        loop_add_timer(&d->loop, SWITCHD_STATUS_INTERVAL_MS, SWITCHD_STATUS_INTERVAL_MS,
                       on_status_timer, s) < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static struct switchd switchd = { .reconcile_timer = -1, .status_retry_timer = -1 };
    int exit_code;
    if (daemon_init(&switchd.daemon, "vsw-switchd", "switchd", argc, argv, NULL, 0,
                    &exit_code) < 0)
        return exit_code;

    int rc = EXIT_FAILURE;
    if (sandbox_drop_privileges(&switchd_sandbox_policy, switchd.daemon.opts.user) < 0 ||
        open_sockets(&switchd) < 0 ||
        sandbox_restrict_syscalls(&switchd_sandbox_policy, switchd.daemon.opts.violation) < 0)
        goto out;

    rc = loop_run(&switchd.daemon.loop) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
    if (switchd.previous)
        switch_config_free(switchd.previous);
    free(switchd.previous);
    idl_destroy(&switchd.idl);
    daemon_teardown(&switchd.daemon);
    return rc;
}
