/* What every vsw daemon shares: command line, log, pid file, signals, the control channel
 * (status, log level, shutdown) and links to the daemons it talks to.
 *
 * A daemon's context struct embeds `struct daemon` as its FIRST member, so the same pointer
 * serves as context for the control handlers here and for the daemon's own handlers. */
#ifndef VSW_DAEMON_H
#define VSW_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/ipc.h"
#include "proto/control.pb-c.h"
#include "proto/dbd.pb-c.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/rundir.h"
#include "lib/sandbox.h"

#define DAEMON_MAX_PEERS 4
/* How often a daemon re-handshakes with its peers, and how long one handshake may take. */
#define PEER_HANDSHAKE_INTERVAL_MS 1000
#define PEER_HANDSHAKE_TIMEOUT_MS 300

struct daemon_options {
    char rundir[PATH_MAX];
    char log_file[PATH_MAX];     /* empty: stderr, unless use_syslog */
    bool use_syslog;
    enum vlog_level log_level;
    char user[64];               /* the unprivileged user to run as */
    enum sandbox_violation violation;
};

/* A request/reply connection to another daemon, checked by a periodic handshake. */
struct peer_link {
    const char *peer;            /* e.g. "vsw-dbd" */
    const char *socket_name;     /* in the run directory */
    Vsw__Channel channel;
    uint32_t hello_type;         /* the channel's HELLO type */
    struct ipc_client client;
    bool connected;
    uint64_t epoch;              /* the peer's, from its last handshake */
    uint64_t handshakes;
    uint64_t resyncs;            /* the peer restarted (new epoch) and our view was refreshed */
};

struct daemon;
/* Called for each notification taken from the daemon's stream; `status` is IPC_STREAM_RESYNC
 * when the daemon must refetch the state the stream describes. */
typedef void daemon_notification_fn(struct daemon *d, enum ipc_stream_status status,
                                    const Vsw__Envelope *env);

/* Called when a peer answers a handshake after being unreachable, or with a new epoch (it
 * restarted and lost the state we gave it). */
typedef void daemon_peer_fn(struct daemon *d, struct peer_link *link);

/* A counter a daemon reports in its status (`vsw status --verbose`). */
struct daemon_counter {
    const char *name;
    const uint64_t *value;
};

struct daemon {
    const char *name;            /* "vsw-dbd" */
    const char *short_name;      /* "dbd": socket and pid file names */
    struct daemon_options opts;
    struct loop loop;
    struct ipc_counters counters;
    struct ipc_server control;
    uint64_t started_ms;
    uint64_t epoch;              /* random per start; sent in handshakes */
    char pidfile[PATH_MAX];
    struct peer_link peers[DAEMON_MAX_PEERS];
    int n_peers;
    bool subscribed;             /* `stream` is open */
    struct ipc_subscriber stream;
    daemon_notification_fn *on_notification;
    daemon_peer_fn *on_peer_up;  /* may be NULL */
    /* Counters of the daemon's own work, reported by CONTROL_STATUS after the runtime's. */
    const struct daemon_counter *own_counters;
    size_t n_own_counters;
    /* A warning for operators reported by CONTROL_STATUS while *warning is not NULL (may be
     * NULL itself). */
    char *const *warning;
};

/* An option of one daemon's own, beyond the common ones; its value is copied into `value`. */
struct daemon_option {
    const char *name;            /* without the leading "--" */
    const char *help;
    char *value;                 /* filled when given; left as is otherwise (the default) */
    size_t size;
};

/* Parses the common options and `extra` (may be NULL), opens the log, writes the pid file and hooks SIGTERM/SIGINT
 * (clean stop) and SIGHUP (log reopen). Runs as root, before the sandbox. Returns -1 to exit
 * with status *exit_code (0 after --help/--version, 2 on bad usage, 1 on failure). */
int daemon_init(struct daemon *d, const char *name, const char *short_name, int argc,
                char **argv, const struct daemon_option *extra, size_t n_extra,
                int *exit_code);

/* Opens <rundir>/<short_name>.ctl serving the control routes of `routes`. */
int daemon_open_control(struct daemon *d, const struct ipc_route *routes, size_t n_routes);

/* Opens a server at <rundir>/<socket_name> for `channel` and watches it in the loop; handlers
 * get `d` as their context. */
int daemon_open_server(struct daemon *d, struct ipc_server *server, const char *socket_name,
                       Vsw__Channel channel, const struct ipc_route *routes, size_t n_routes);

/* Subscribes to the notification stream at <rundir>/<socket_name>. */
int daemon_subscribe(struct daemon *d, const char *socket_name, Vsw__Channel channel,
                     daemon_notification_fn *on_notification);

/* Declares a peer and starts its periodic handshake. */
int daemon_add_peer(struct daemon *d, const char *peer, const char *socket_name,
                    Vsw__Channel channel, uint32_t hello_type);

/* Closes the control socket and peer links and removes the pid file. */
void daemon_teardown(struct daemon *d);

/* The HELLO handler every channel server uses: answers with this daemon's identity. */
void daemon_handle_hello(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply);

/* Control-channel handlers, for each daemon's dispatch table. */
void control_handle_status(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply);
void control_handle_set_log_level(void *ctx, const ProtobufCMessage *request,
                                  struct ipc_reply *reply);
void control_handle_shutdown(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply);

/* The three control routes, for the top of each daemon's dispatch table. */
#define DAEMON_CONTROL_ROUTES                                                                  \
    { VSW__CHANNEL__CHANNEL_CONTROL, VSW__CONTROL_TYPE__CONTROL_STATUS, "CONTROL_STATUS",       \
      &vsw__status_request__descriptor, control_handle_status },                              \
    { VSW__CHANNEL__CHANNEL_CONTROL, VSW__CONTROL_TYPE__CONTROL_SET_LOG_LEVEL,                 \
      "CONTROL_SET_LOG_LEVEL", &vsw__set_log_level_request__descriptor,                       \
      control_handle_set_log_level },                                                         \
    { VSW__CHANNEL__CHANNEL_CONTROL, VSW__CONTROL_TYPE__CONTROL_SHUTDOWN, "CONTROL_SHUTDOWN",   \
      &vsw__shutdown_request__descriptor, control_handle_shutdown }

#endif
