/* vsw-flowd's dispatch table: every message it accepts, on every channel it serves. */
#include "flowd/flowd.h"

#define FLOWD_ROUTE(type, request, handler)                                                    \
    { VSW__CHANNEL__CHANNEL_FLOWD, VSW__FLOWD_TYPE__##type, #type, &request, handler }

const struct ipc_route flowd_routes[] = {
    DAEMON_CONTROL_ROUTES,
    FLOWD_ROUTE(FLOWD_HELLO, vsw__hello__descriptor, daemon_handle_hello),
    FLOWD_ROUTE(FLOWD_DATAPATH_ADD, vsw__flowd_datapath_add__descriptor,
                flowd_handle_datapath_add),
    FLOWD_ROUTE(FLOWD_DATAPATH_DEL, vsw__flowd_datapath_del__descriptor,
                flowd_handle_datapath_del),
    FLOWD_ROUTE(FLOWD_PORT_ADD, vsw__flowd_port_add__descriptor, flowd_handle_port_add),
    FLOWD_ROUTE(FLOWD_PORT_ADD_BATCH, vsw__flowd_port_add_batch__descriptor,
                flowd_handle_port_add_batch),
    FLOWD_ROUTE(FLOWD_PORT_DEL, vsw__flowd_port_del__descriptor, flowd_handle_port_del),
    FLOWD_ROUTE(FLOWD_PORT_SET_VLAN, vsw__flowd_port_vlan__descriptor,
                flowd_handle_port_set_vlan),
    FLOWD_ROUTE(FLOWD_BRIDGE_SET_OPTIONS, vsw__flowd_bridge_options__descriptor,
                flowd_handle_bridge_set_options),
    FLOWD_ROUTE(FLOWD_PORT_STATUS, vsw__flowd_port_status_request__descriptor,
                flowd_handle_port_status),
    FLOWD_ROUTE(FLOWD_FLOW_DUMP, vsw__flowd_flow_dump_request__descriptor,
                flowd_handle_flow_dump),
    FLOWD_ROUTE(FLOWD_FDB_DUMP, vsw__flowd_fdb_dump_request__descriptor,
                flowd_handle_fdb_dump),
    FLOWD_ROUTE(FLOWD_FLUSH, vsw__flowd_flush_request__descriptor, flowd_handle_flush),
    FLOWD_ROUTE(FLOWD_DATAPATH_DUMP, vsw__flowd_datapath_dump_request__descriptor,
                flowd_handle_datapath_dump),
    { VSW__CHANNEL__CHANNEL_TUNNEL, VSW__TUNNEL_TYPE__TUNNEL_HELLO, "TUNNEL_HELLO",
      &vsw__hello__descriptor, daemon_handle_hello },
};
const size_t flowd_n_routes = sizeof flowd_routes / sizeof flowd_routes[0];
