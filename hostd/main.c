/* vsw-hostd: setup as root, drop privileges, open sockets, restrict system calls, serve. */
#include <stdlib.h>

#include "hostd/hostd.h"

static int open_sockets(struct hostd *hostd)
{
    struct daemon *d = &hostd->daemon;
    if (daemon_open_control(d, hostd_routes, hostd_n_routes) < 0 ||
        daemon_open_server(d, &hostd->api, "hostd.sock", VSW__CHANNEL__CHANNEL_HOSTD,
                           hostd_routes, hostd_n_routes) < 0 ||
        daemon_add_peer(d, "vsw-dbd", "dbd.sock", VSW__CHANNEL__CHANNEL_DBD,
                        VSW__DBD_TYPE__DBD_HELLO) < 0 ||
        daemon_subscribe(d, "dbd.events", VSW__CHANNEL__CHANNEL_DBD, NULL) < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static struct hostd hostd = { .api.sock = -1 };
    int exit_code;
    if (daemon_init(&hostd.daemon, "vsw-hostd", "hostd", argc, argv, NULL, 0, &exit_code) < 0)
        return exit_code;

    int rc = EXIT_FAILURE;
    if (sandbox_drop_privileges(&hostd_sandbox_policy, hostd.daemon.opts.user) < 0 ||
        open_sockets(&hostd) < 0 ||
        sandbox_restrict_syscalls(&hostd_sandbox_policy, hostd.daemon.opts.violation) < 0)
        goto out;

    rc = loop_run(&hostd.daemon.loop) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
    ipc_server_close(&hostd.api);
    daemon_teardown(&hostd.daemon);
    return rc;
}
