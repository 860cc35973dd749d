/* vsw-dbd: setup as root, drop privileges, open sockets, restrict system calls, serve. */
#include <stdlib.h>

#include "dbd/dbd.h"

static void publish_heartbeat(void *arg)
{
    struct dbd *dbd = arg;
    Vsw__DbdHeartbeat beat = VSW__DBD_HEARTBEAT__INIT;
    beat.uptime_ms = loop_now_ms() - dbd->daemon.started_ms;
    if (ipc_publish(&dbd->events, VSW__DBD_TYPE__DBD_HEARTBEAT, &beat.base) < 0)
        vlog_debug("heartbeat not published (no subscriber ready)");
}

static int open_sockets(struct dbd *dbd)
{
    struct daemon *d = &dbd->daemon;
    if (daemon_open_control(d, dbd_routes, dbd_n_routes) < 0 ||
        daemon_open_server(d, &dbd->api, "dbd.sock", VSW__CHANNEL__CHANNEL_DBD, dbd_routes,
                           dbd_n_routes) < 0 ||
        ipc_publisher_open(&dbd->events, d->opts.rundir, "dbd.events", VSW__CHANNEL__CHANNEL_DBD,
                           &d->counters) < 0)
        return -1;
    return loop_add_timer(&d->loop, 0, DBD_HEARTBEAT_INTERVAL_MS, publish_heartbeat, dbd) < 0
               ? -1 : 0;
}

int main(int argc, char **argv)
{
    static struct dbd dbd = { .api.sock = -1, .events.sock = -1 };
    int exit_code;
    if (daemon_init(&dbd.daemon, "vsw-dbd", "dbd", argc, argv, NULL, 0, &exit_code) < 0)
        return exit_code;

    int rc = EXIT_FAILURE;
    if (sandbox_drop_privileges(&dbd_sandbox_policy, dbd.daemon.opts.user) < 0 ||
        open_sockets(&dbd) < 0 ||
        sandbox_restrict_syscalls(&dbd_sandbox_policy, dbd.daemon.opts.violation) < 0)
        goto out;

    rc = loop_run(&dbd.daemon.loop) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
    ipc_publisher_close(&dbd.events);
    ipc_server_close(&dbd.api);
    daemon_teardown(&dbd.daemon);
    return rc;
}
