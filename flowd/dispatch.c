/* vsw-flowd's dispatch table: every message it accepts, on every channel it serves. */
#include "flowd/flowd.h"

const struct ipc_route flowd_routes[] = {
    DAEMON_CONTROL_ROUTES,
    { VSW__CHANNEL__CHANNEL_FLOWD, VSW__FLOWD_TYPE__FLOWD_HELLO, "FLOWD_HELLO",
      &vsw__hello__descriptor, daemon_handle_hello },
    { VSW__CHANNEL__CHANNEL_TUNNEL, VSW__TUNNEL_TYPE__TUNNEL_HELLO, "TUNNEL_HELLO",
      &vsw__hello__descriptor, daemon_handle_hello },
};
const size_t flowd_n_routes = sizeof flowd_routes / sizeof flowd_routes[0];
