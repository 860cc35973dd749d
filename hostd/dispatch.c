/* vsw-hostd's dispatch table: every message it accepts, on every channel it serves. */
#include "hostd/hostd.h"

const struct ipc_route hostd_routes[] = {
    DAEMON_CONTROL_ROUTES,
    { VSW__CHANNEL__CHANNEL_HOSTD, VSW__HOSTD_TYPE__HOSTD_HELLO, "HOSTD_HELLO",
      &vsw__hello__descriptor, daemon_handle_hello },
};
const size_t hostd_n_routes = sizeof hostd_routes / sizeof hostd_routes[0];
