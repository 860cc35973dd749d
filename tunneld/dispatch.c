/* vsw-tunneld's dispatch table: it serves only the control channel; it is a client of dbd
 * (requests and the change stream) and of flowd's tunnel channel. */
#include "tunneld/tunneld.h"

const struct ipc_route tunneld_routes[] = {
    DAEMON_CONTROL_ROUTES,
};
const size_t tunneld_n_routes = sizeof tunneld_routes / sizeof tunneld_routes[0];
