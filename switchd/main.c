/* vsw-switchd: setup as root, drop privileges, connect to dbd and flowd, restrict system
 * calls, run. */
#include <stdlib.h>

#include "switchd/switchd.h"

static int open_sockets(struct switchd *switchd)
{
    struct daemon *d = &switchd->daemon;
    if (daemon_open_control(d, switchd_routes, switchd_n_routes) < 0 ||
        daemon_add_peer(d, "vsw-dbd", "dbd.sock", VSW__CHANNEL__CHANNEL_DBD,
                        VSW__DBD_TYPE__DBD_HELLO) < 0 ||
        daemon_add_peer(d, "vsw-flowd", "flowd.sock", VSW__CHANNEL__CHANNEL_FLOWD,
                        VSW__FLOWD_TYPE__FLOWD_HELLO) < 0 ||
        daemon_subscribe(d, "dbd.events", VSW__CHANNEL__CHANNEL_DBD, NULL) < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static struct switchd switchd;
    int exit_code;
    if (daemon_init(&switchd.daemon, "vsw-switchd", "switchd", argc, argv, NULL, 0, &exit_code) < 0)
        return exit_code;

    int rc = EXIT_FAILURE;
    if (sandbox_drop_privileges(&switchd_sandbox_policy, switchd.daemon.opts.user) < 0 ||
        open_sockets(&switchd) < 0 ||
        sandbox_restrict_syscalls(&switchd_sandbox_policy, switchd.daemon.opts.violation) < 0)
        goto out;

    rc = loop_run(&switchd.daemon.loop) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
    daemon_teardown(&switchd.daemon);
    return rc;
}
