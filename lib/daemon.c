#include "lib/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/version.h"

static void usage(const char *name, const struct daemon_option *extra, size_t n_extra)
{
    printf("usage: %s [OPTIONS]\n"
           "  --rundir DIR        run directory holding sockets and pid files (default %s)\n"
           "  --log-file FILE     log to FILE instead of stderr\n"
           "  --syslog            log to syslog instead of stderr\n"
           "  --log-level LEVEL   err, warn, info (default) or debug\n"
           "  --user USER         unprivileged user to run as (default %s)\n"
           "  --sandbox-trap      name a forbidden system call before dying (debugging)\n"
           "  --help, --version\n",
           name, DAEMON_DEFAULT_RUNDIR, SANDBOX_DEFAULT_USER);
    for (size_t i = 0; i < n_extra; i++)
        printf("  --%-17s %s\n", extra[i].name, extra[i].help);
}

static int copy_option(char *dst, size_t size, const char *value, const char *option)
{
    if (strlen(value) >= size) {
        fprintf(stderr, "%s: value too long\n", option);
        return -1;
    }
    strcpy(dst, value);
    return 0;
}

#define MAX_EXTRA_OPTIONS 8

/* Returns 0 to go on, 1 after --help/--version, 2 on bad usage. */
static int parse_options(struct daemon_options *opts, const char *name, int argc, char **argv,
                         const struct daemon_option *extra, size_t n_extra)
{
    enum { OPT_RUNDIR = 256, OPT_LOG_FILE, OPT_SYSLOG, OPT_LOG_LEVEL, OPT_USER, OPT_TRAP,
           OPT_HELP, OPT_VERSION, OPT_EXTRA };
    static const struct option common[] = {
        { "rundir", required_argument, NULL, OPT_RUNDIR },
        { "log-file", required_argument, NULL, OPT_LOG_FILE },
        { "syslog", no_argument, NULL, OPT_SYSLOG },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
        { "user", required_argument, NULL, OPT_USER },
        { "sandbox-trap", no_argument, NULL, OPT_TRAP },
        { "help", no_argument, NULL, OPT_HELP },
        { "version", no_argument, NULL, OPT_VERSION },
    };
    enum { N_COMMON = sizeof common / sizeof common[0] };
    struct option options[N_COMMON + MAX_EXTRA_OPTIONS + 1];
    if (n_extra > MAX_EXTRA_OPTIONS)
        n_extra = MAX_EXTRA_OPTIONS;
    memcpy(options, common, sizeof common);
    for (size_t i = 0; i < n_extra; i++)
        options[N_COMMON + i] = (struct option){ extra[i].name, required_argument, NULL,
                                                 OPT_EXTRA + (int)i };
    options[N_COMMON + n_extra] = (struct option){ NULL, 0, NULL, 0 };
    strcpy(opts->rundir, DAEMON_DEFAULT_RUNDIR);
    strcpy(opts->user, SANDBOX_DEFAULT_USER);
    opts->log_level = VLOG_INFO;
    opts->violation = SANDBOX_KILL;
    optind = 1;
    for (;;) {
        int c = getopt_long(argc, argv, "", options, NULL);
        if (c == -1)
            break;
        switch (c) {
        case OPT_RUNDIR:
            if (strlen(optarg) > RUNDIR_MAX) {
                fprintf(stderr, "%s: --rundir: at most %d characters (socket paths)\n", name,
                        RUNDIR_MAX);
                return 2;
            }
            strcpy(opts->rundir, optarg);
            break;
        case OPT_LOG_FILE:
            if (copy_option(opts->log_file, sizeof opts->log_file, optarg, "--log-file") < 0)
                return 2;
            break;
        case OPT_SYSLOG:
            opts->use_syslog = true;
            break;
        case OPT_LOG_LEVEL:
            if (!vlog_level_from_string(optarg, &opts->log_level)) {
                fprintf(stderr, "%s: --log-level: '%s' is not err, warn, info or debug\n", name,
                        optarg);
                return 2;
            }
            break;
        case OPT_USER:
            if (copy_option(opts->user, sizeof opts->user, optarg, "--user") < 0)
                return 2;
            break;
        case OPT_TRAP:
            opts->violation = SANDBOX_TRAP;
            break;
        case OPT_HELP:
            usage(name, extra, n_extra);
            return 1;
        case OPT_VERSION:
            printf("%s %s\n", name, VSW_VERSION);
            return 1;
        default:
            if (c >= OPT_EXTRA && c < OPT_EXTRA + (int)n_extra) {
                const struct daemon_option *o = &extra[c - OPT_EXTRA];
                char option[40];
                snprintf(option, sizeof option, "--%s", o->name);
                if (copy_option(o->value, o->size, optarg, option) < 0)
                    return 2;
                break;
            }
            fprintf(stderr, "%s: try --help\n", name);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'; try --help\n", name, argv[optind]);
        return 2;
    }
    return 0;
}

static int write_pidfile(struct daemon *d)
{
    int n = snprintf(d->pidfile, sizeof d->pidfile, "%s/%s.pid", d->opts.rundir, d->short_name);
    if (n < 0 || (size_t)n >= sizeof d->pidfile) {
        vlog_err("run directory path %s is too long", d->opts.rundir);
        d->pidfile[0] = '\0';
        return -1;
    }
    int fd = open(d->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        vlog_err("cannot create pid file %s: %s", d->pidfile, strerror(errno));
        d->pidfile[0] = '\0';
        return -1;
    }
    dprintf(fd, "%d\n", (int)getpid());
    close(fd);
    return 0;
}

static void on_stop_signal(void *arg, int signo)
{
    struct daemon *d = arg;
    vlog_info("received signal %d, stopping", signo);
    loop_stop(&d->loop);
}

static void on_hup(void *arg, int signo)
{
    (void)arg;
    (void)signo;
    if (vlog_reopen() < 0)
        vlog_err("cannot reopen the log file: %s", strerror(errno));
}

static int open_log(const struct daemon *d)
{
    const struct daemon_options *o = &d->opts;
    enum vlog_target target = o->use_syslog ? VLOG_TO_SYSLOG
                              : o->log_file[0] ? VLOG_TO_FILE : VLOG_TO_STDERR;
    if (vlog_open(d->name, target, o->log_file, o->log_level) < 0) {
        fprintf(stderr, "%s: cannot open log file %s: %s\n", d->name, o->log_file,
                strerror(errno));
        return -1;
    }
    return 0;
}

int daemon_init(struct daemon *d, const char *name, const char *short_name, int argc,
                char **argv, const struct daemon_option *extra, size_t n_extra,
                int *exit_code)
{
    d->name = name;
    d->short_name = short_name;
    d->started_ms = loop_now_ms();
    d->control.sock = -1;
    loop_init(&d->loop);
    int rc = parse_options(&d->opts, name, argc, argv, extra, n_extra);
    if (rc) {
        *exit_code = rc == 1 ? 0 : 2;
        return -1;
    }
    *exit_code = 1;
    if (open_log(d) < 0)
        return -1;
    struct stat st;
    if (stat(d->opts.rundir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        vlog_err("run directory %s is missing (vsw-ctl start creates it)", d->opts.rundir);
        return -1;
    }
    if (getrandom(&d->epoch, sizeof d->epoch, 0) != sizeof d->epoch)
        d->epoch = ((uint64_t)getpid() << 32) ^ d->started_ms;
    if (write_pidfile(d) < 0)
        return -1;
    if (loop_on_signal(&d->loop, SIGTERM, on_stop_signal, d) < 0 ||
        loop_on_signal(&d->loop, SIGINT, on_stop_signal, d) < 0 ||
        loop_on_signal(&d->loop, SIGHUP, on_hup, d) < 0) {
        vlog_err("cannot set up signal handling: %s", strerror(errno));
        return -1;
    }
    /* A peer that vanishes mid-send must not kill us. */
    signal(SIGPIPE, SIG_IGN);
    vlog_info("%s %s starting, pid %d, run directory %s", name, VSW_VERSION, (int)getpid(),
              d->opts.rundir);
    return 0;
}

static void on_server_readable(void *arg, int fd, short revents)
{
    (void)fd;
    (void)revents;
    ipc_server_receive(arg);
}

int daemon_open_server(struct daemon *d, struct ipc_server *server, const char *socket_name,
                       Vsw__Channel channel, const struct ipc_route *routes, size_t n_routes)
{
    if (ipc_server_open(server, d->opts.rundir, socket_name, channel, routes, n_routes, d,
                        &d->counters) < 0)
        return -1;
    return loop_watch_fd(&d->loop, server->rcvfd, POLLIN, on_server_readable, server);
}

int daemon_open_control(struct daemon *d, const struct ipc_route *routes, size_t n_routes)
{
    char name[64];
    snprintf(name, sizeof name, "%s.ctl", d->short_name);
    return daemon_open_server(d, &d->control, name, VSW__CHANNEL__CHANNEL_CONTROL, routes,
                              n_routes);
}

/* ---- Notification stream ---- */

static void on_stream_readable(void *arg, int fd, short revents)
{
    (void)fd;
    (void)revents;
    struct daemon *d = arg;
    for (int i = 0; i < 64; i++) {
        Vsw__Envelope *env = NULL;
        enum ipc_stream_status status = ipc_subscriber_next(&d->stream, &env);
        if (status == IPC_STREAM_EMPTY)
            return;
        if (env)
            d->counters.notifications_received++;
        if (env && d->on_notification)
            d->on_notification(d, status, env);
        if (env)
            vsw__envelope__free_unpacked(env, NULL);
    }
}

int daemon_subscribe(struct daemon *d, const char *socket_name, Vsw__Channel channel,
                     daemon_notification_fn *on_notification)
{
    if (ipc_subscriber_open(&d->stream, d->opts.rundir, socket_name, channel) < 0)
        return -1;
    d->subscribed = true;
    d->on_notification = on_notification;
    return loop_watch_fd(&d->loop, d->stream.rcvfd, POLLIN, on_stream_readable, d);
}

/* ---- Peers ---- */

static void peer_handshake(struct daemon *d, struct peer_link *link)
{
    Vsw__Hello hello = VSW__HELLO__INIT;
    hello.client = (char *)d->name;
    hello.pid = (uint32_t)getpid();
    ProtobufCMessage *reply = NULL;
    struct ipc_error err;
    bool was_connected = link->connected;
    if (ipc_call(&link->client, link->hello_type, &hello.base, &vsw__hello_reply__descriptor,
                 &reply, &err) < 0) {
        link->connected = false;
        if (was_connected)
            vlog_warn("lost %s: %s", link->peer, err.message);
        return;
    }
    const Vsw__HelloReply *r = (const Vsw__HelloReply *)reply;
    bool restarted = link->epoch && link->epoch != r->epoch;
    if (restarted) {
        link->resyncs++;
        vlog_info("%s restarted (pid %u); resyncing", link->peer, r->pid);
    }
    if (!was_connected)
        vlog_info("connected to %s %s (pid %u)", r->server, r->version, r->pid);
    link->epoch = r->epoch;
    link->connected = true;
    link->handshakes++;
    protobuf_c_message_free_unpacked(reply, NULL);
    if ((restarted || !was_connected) && d->on_peer_up)
        d->on_peer_up(d, link);
}

static void on_peer_timer(void *arg)
{
    struct daemon *d = arg;
    for (int i = 0; i < d->n_peers; i++)
        peer_handshake(d, &d->peers[i]);
}

int daemon_add_peer(struct daemon *d, const char *peer, const char *socket_name,
                    Vsw__Channel channel, uint32_t hello_type)
{
    if (d->n_peers == DAEMON_MAX_PEERS) {
        vlog_err("too many peers (at most %d)", DAEMON_MAX_PEERS);
        return -1;
    }
    struct peer_link *link = &d->peers[d->n_peers];
    memset(link, 0, sizeof *link);
    link->peer = peer;
    link->socket_name = socket_name;
    link->channel = channel;
    link->hello_type = hello_type;
    if (ipc_client_open(&link->client, d->opts.rundir, socket_name, channel,
                        PEER_HANDSHAKE_TIMEOUT_MS) < 0)
        return -1;
    if (d->n_peers++ == 0 &&
        loop_add_timer(&d->loop, 0, PEER_HANDSHAKE_INTERVAL_MS, on_peer_timer, d) < 0)
        return -1;
    return 0;
}

void daemon_teardown(struct daemon *d)
{
    for (int i = 0; i < d->n_peers; i++)
        ipc_client_close(&d->peers[i].client);
    if (d->subscribed)
        ipc_subscriber_close(&d->stream);
    ipc_server_close(&d->control);
    if (d->pidfile[0] && unlink(d->pidfile) < 0)
        vlog_warn("cannot remove pid file %s: %s", d->pidfile, strerror(errno));
    loop_destroy(&d->loop);
    vlog_info("%s stopped", d->name);
    vlog_close();
}

/* ---- Handlers shared by every daemon ---- */

void daemon_handle_hello(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    const struct daemon *d = ctx;
    const Vsw__Hello *hello = (const Vsw__Hello *)request;
    vlog_debug("hello from %s (pid %u)", hello->client, hello->pid);
    Vsw__HelloReply r = VSW__HELLO_REPLY__INIT;
    r.server = (char *)d->name;
    r.pid = (uint32_t)getpid();
    r.version = VSW_VERSION;
    r.epoch = d->epoch;
    ipc_reply_message(reply, &r.base);
}

static const Vsw__LogLevel wire_levels[] = {
    [VLOG_ERR] = VSW__LOG_LEVEL__LOG_LEVEL_ERR,
    [VLOG_WARN] = VSW__LOG_LEVEL__LOG_LEVEL_WARN,
    [VLOG_INFO] = VSW__LOG_LEVEL__LOG_LEVEL_INFO,
    [VLOG_DEBUG] = VSW__LOG_LEVEL__LOG_LEVEL_DEBUG,
};

void control_handle_status(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    (void)request;
    const struct daemon *d = ctx;
    const struct { const char *name; uint64_t value; } values[] = {
        { "ipc_requests", d->counters.requests },
        { "ipc_request_errors", d->counters.request_errors },
        { "notifications_sent", d->counters.notifications },
        { "notifications_received", d->counters.notifications_received },
        { "stream_resyncs", d->stream.resyncs },
    };
    enum { N_COUNTERS = sizeof values / sizeof values[0], N_OWN_MAX = 16 };
    Vsw__Counter counters[N_COUNTERS + N_OWN_MAX];
    Vsw__Counter *counter_ptrs[N_COUNTERS + N_OWN_MAX];
    size_t n = 0;
    for (int i = 0; i < N_COUNTERS; i++, n++) {
        vsw__counter__init(&counters[n]);
        counters[n].name = (char *)values[i].name;
        counters[n].value = values[i].value;
        counter_ptrs[n] = &counters[n];
    }
    for (size_t i = 0; i < d->n_own_counters && i < N_OWN_MAX; i++, n++) {
        vsw__counter__init(&counters[n]);
        counters[n].name = (char *)d->own_counters[i].name;
        counters[n].value = *d->own_counters[i].value;
        counter_ptrs[n] = &counters[n];
    }
    Vsw__PeerLink peers[DAEMON_MAX_PEERS];
    Vsw__PeerLink *peer_ptrs[DAEMON_MAX_PEERS];
    for (int i = 0; i < d->n_peers; i++) {
        vsw__peer_link__init(&peers[i]);
        peers[i].peer = (char *)d->peers[i].peer;
        peers[i].connected = d->peers[i].connected;
        peers[i].handshakes = d->peers[i].handshakes;
        peers[i].resyncs = d->peers[i].resyncs;
        peer_ptrs[i] = &peers[i];
    }
    Vsw__StatusReply r = VSW__STATUS_REPLY__INIT;
    r.name = (char *)d->name;
    r.pid = (uint32_t)getpid();
    r.version = VSW_VERSION;
    r.uptime_ms = loop_now_ms() - d->started_ms;
    r.log_level = wire_levels[vlog_get_level()];
    r.n_counters = n;
    r.counters = counter_ptrs;
    r.n_peers = (size_t)d->n_peers;
    r.peers = peer_ptrs;
    char *warnings[1];
    if (d->warning && *d->warning) {
        warnings[0] = *d->warning;
        r.n_warnings = 1;
        r.warnings = warnings;
    }
    ipc_reply_message(reply, &r.base);
}

void control_handle_set_log_level(void *ctx, const ProtobufCMessage *request,
                                  struct ipc_reply *reply)
{
    (void)ctx;
    const Vsw__SetLogLevelRequest *req = (const Vsw__SetLogLevelRequest *)request;
    for (int level = VLOG_ERR; level <= VLOG_DEBUG; level++) {
        if (wire_levels[level] == req->level) {
            vlog_set_level(level);
            vlog_info("log level set to %s", vlog_level_to_string(level));
            Vsw__ControlAck ack = VSW__CONTROL_ACK__INIT;
            ipc_reply_message(reply, &ack.base);
            return;
        }
    }
    ipc_reply_error(reply, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT, "log level %d is not valid",
                    req->level);
}

void control_handle_shutdown(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    (void)request;
    struct daemon *d = ctx;
    vlog_info("shutdown requested over the control channel");
    loop_stop(&d->loop);
    Vsw__ControlAck ack = VSW__CONTROL_ACK__INIT;
    ipc_reply_message(reply, &ack.base);
}
