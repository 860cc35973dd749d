/* vsw-dbd's dispatch table: every message it accepts, on every channel it serves. */
#include "dbd/dbd.h"

const struct ipc_route dbd_routes[] = {
    DAEMON_CONTROL_ROUTES,
    { VSW__CHANNEL__CHANNEL_DBD, VSW__DBD_TYPE__DBD_HELLO, "DBD_HELLO", &vsw__hello__descriptor,
      daemon_handle_hello },
};
const size_t dbd_n_routes = sizeof dbd_routes / sizeof dbd_routes[0];
