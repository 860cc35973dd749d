/* vsw-flowd: setup as root (the tun helper, datapath sockets), drop privileges, open sockets,
 * restrict system calls, serve. */
#include <stdlib.h>

#include "flowd/flowd.h"

static int open_sockets(struct flowd *flowd)
{
    struct daemon *d = &flowd->daemon;
    if (daemon_open_control(d, flowd_routes, flowd_n_routes) < 0 ||
        daemon_open_server(d, &flowd->switchd_api, "flowd.sock", VSW__CHANNEL__CHANNEL_FLOWD,
                           flowd_routes, flowd_n_routes) < 0 ||
        daemon_open_server(d, &flowd->tunnel_api, "flowd-tunnel.sock",
                           VSW__CHANNEL__CHANNEL_TUNNEL, flowd_routes, flowd_n_routes) < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static struct flowd flowd = { .switchd_api.sock = -1, .tunnel_api.sock = -1,
                                  .tun.sock = -1, .env.epoll_fd = -1 };
    int exit_code;
    if (daemon_init(&flowd.daemon, "vsw-flowd", "flowd", argc, argv, NULL, 0, &exit_code) < 0)
        return exit_code;

    int rc = EXIT_FAILURE;
    if (flowd_datapath_setup(&flowd) < 0 ||
        sandbox_drop_privileges(&flowd_sandbox_policy, flowd.daemon.opts.user) < 0 ||
        open_sockets(&flowd) < 0 || flowd_datapath_start(&flowd) < 0 ||
        sandbox_restrict_syscalls(&flowd_sandbox_policy, flowd.daemon.opts.violation) < 0)
        goto out;

    rc = loop_run(&flowd.daemon.loop) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
    flowd_datapath_teardown(&flowd);
    ipc_server_close(&flowd.tunnel_api);
    ipc_server_close(&flowd.switchd_api);
    daemon_teardown(&flowd.daemon);
    return rc;
}
