/* The five vsw daemons, in start order: dbd first (everyone's server), flowd before its clients. */
#ifndef VSW_TOOLS_DAEMONS_H
#define VSW_TOOLS_DAEMONS_H

struct vsw_daemon_info {
    const char *name;        /* executable and process name */
    const char *short_name;  /* its sockets and pid file: <short_name>.ctl, <short_name>.pid */
};

static const struct vsw_daemon_info vsw_daemons[] = {
    { "vsw-dbd", "dbd" },
    { "vsw-flowd", "flowd" },
    { "vsw-switchd", "switchd" },
    { "vsw-tunneld", "tunneld" },
    { "vsw-hostd", "hostd" },
};
#define VSW_N_DAEMONS (sizeof vsw_daemons / sizeof vsw_daemons[0])

#endif
