/* vsw-switchd's dispatch table: it serves only the control channel; it is a client of dbd
 * (requests and the change stream) and of flowd. */
#include "switchd/switchd.h"

const struct ipc_route switchd_routes[] = {
    DAEMON_CONTROL_ROUTES,
};
const size_t switchd_n_routes = sizeof switchd_routes / sizeof switchd_routes[0];
