/* vsw-tunneld: setup as root, drop privileges, connect to dbd and flowd, restrict system
 * calls, run. */
#include <stdlib.h>

#include "tunneld/tunneld.h"

static int open_sockets(struct tunneld *tunneld)
{
    struct daemon *d = &tunneld->daemon;
    if (daemon_open_control(d, tunneld_routes, tunneld_n_routes) < 0 ||
        daemon_add_peer(d, "vsw-dbd", "dbd.sock", VSW__CHANNEL__CHANNEL_DBD,
                        VSW__DBD_TYPE__DBD_HELLO) < 0 ||
        daemon_add_peer(d, "vsw-flowd", "flowd-tunnel.sock", VSW__CHANNEL__CHANNEL_TUNNEL,
                        VSW__TUNNEL_TYPE__TUNNEL_HELLO) < 0 ||
        daemon_subscribe(d, "dbd.events", VSW__CHANNEL__CHANNEL_DBD, NULL) < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static struct tunneld tunneld;
    int exit_code;
    if (daemon_init(&tunneld.daemon, "vsw-tunneld", "tunneld", argc, argv, NULL, 0, &exit_code) < 0)
        return exit_code;

    int rc = EXIT_FAILURE;
    if (sandbox_drop_privileges(&tunneld_sandbox_policy, tunneld.daemon.opts.user) < 0 ||
        open_sockets(&tunneld) < 0 ||
        sandbox_restrict_syscalls(&tunneld_sandbox_policy, tunneld.daemon.opts.violation) < 0)
        goto out;

    rc = loop_run(&tunneld.daemon.loop) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
    daemon_teardown(&tunneld.daemon);
    return rc;
}
