/* vsw: the command-line interface to the running daemons, over their IPC sockets.
 * Exit codes: 0 success, 1 the condition asked about is false (e.g. a daemon is down) or the
 * request failed, 2 usage error. */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/daemon.h"
#include "lib/version.h"
#include "proto/control.pb-c.h"
#include "tools/daemons.h"

#define EXIT_USAGE 2

struct cli {
    char rundir[PATH_MAX];
    int timeout_ms;
};

typedef int command_fn(const struct cli *cli, int argc, char **argv);

struct command {
    const char *name;
    const char *args;
    const char *help;
    int min_args, max_args;
    command_fn *run;
};

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fputs("vsw: ", stderr);
    vfprintf(stderr, fmt, args);
    fputs(" (try 'vsw --help')\n", stderr);
    va_end(args);
}

static const struct vsw_daemon_info *daemon_by_name(const char *name)
{
    for (size_t i = 0; i < VSW_N_DAEMONS; i++) {
        if (strcmp(name, vsw_daemons[i].name) == 0 || strcmp(name, vsw_daemons[i].short_name) == 0)
            return &vsw_daemons[i];
    }
    return NULL;
}

/* One control-channel request to one daemon. Returns 0 with *reply, or -1 with `err`. */
static int control_call(const struct cli *cli, const struct vsw_daemon_info *daemon,
                        Vsw__ControlType type, const ProtobufCMessage *request,
                        const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                        struct ipc_error *err)
{
    char socket_name[64];
    snprintf(socket_name, sizeof socket_name, "%s.ctl", daemon->short_name);
    struct ipc_client client;
    if (ipc_client_open(&client, cli->rundir, socket_name, VSW__CHANNEL__CHANNEL_CONTROL,
                        cli->timeout_ms) < 0) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INTERNAL, "cannot open a socket");
        return -1;
    }
    int rc = ipc_call(&client, type, request, reply_desc, reply, err);
    ipc_client_close(&client);
    return rc;
}

static void format_uptime(uint64_t ms, char *buf, size_t size)
{
    uint64_t s = ms / 1000;
    snprintf(buf, size, "%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
             (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
}

static void print_links(const Vsw__StatusReply *status)
{
    for (size_t i = 0; i < status->n_peers; i++) {
        const Vsw__PeerLink *p = status->peers[i];
        printf("%s%s:%s", i ? " " : "", p->peer, p->connected ? "ok" : "down");
    }
}

/* --verbose: every counter and every link with its handshake and resync counts. */
static void print_details(const Vsw__StatusReply *status)
{
    for (size_t i = 0; i < status->n_counters; i++)
        printf("    %-24s %llu\n", status->counters[i]->name,
               (unsigned long long)status->counters[i]->value);
    for (size_t i = 0; i < status->n_peers; i++) {
        const Vsw__PeerLink *p = status->peers[i];
        printf("    link %-19s %s, %llu handshakes, %llu resyncs\n", p->peer,
               p->connected ? "connected" : "down", (unsigned long long)p->handshakes,
               (unsigned long long)p->resyncs);
    }
}

static int cmd_status(const struct cli *cli, int argc, char **argv)
{
    bool verbose = argc == 1;
    if (verbose && strcmp(argv[0], "--verbose") != 0 && strcmp(argv[0], "-v") != 0) {
        usage_error("status: unknown argument '%s'", argv[0]);
        return EXIT_USAGE;
    }
    int down = 0;
    printf("%-12s %-5s %-8s %-10s %-8s %s\n", "DAEMON", "STATE", "PID", "UPTIME", "VERSION",
           "LINKS");
    for (size_t i = 0; i < VSW_N_DAEMONS; i++) {
        Vsw__StatusRequest request = VSW__STATUS_REQUEST__INIT;
        ProtobufCMessage *reply = NULL;
        struct ipc_error err;
        if (control_call(cli, &vsw_daemons[i], VSW__CONTROL_TYPE__CONTROL_STATUS, &request.base,
                         &vsw__status_reply__descriptor, &reply, &err) < 0) {
            printf("%-12s %-5s %-8s %-10s %-8s %s\n", vsw_daemons[i].name, "down", "-", "-", "-",
                   "-");
            down++;
            continue;
        }
        const Vsw__StatusReply *status = (const Vsw__StatusReply *)reply;
        char uptime[32];
        format_uptime(status->uptime_ms, uptime, sizeof uptime);
        printf("%-12s %-5s %-8u %-10s %-8s ", status->name, "up", status->pid, uptime,
               status->version);
        print_links(status);
        putchar('\n');
        if (verbose)
            print_details(status);
        protobuf_c_message_free_unpacked(reply, NULL);
    }
    return down ? EXIT_FAILURE : EXIT_SUCCESS;
}

static const struct {
    const char *name;
    Vsw__LogLevel level;
} log_levels[] = {
    { "err", VSW__LOG_LEVEL__LOG_LEVEL_ERR },
    { "warn", VSW__LOG_LEVEL__LOG_LEVEL_WARN },
    { "info", VSW__LOG_LEVEL__LOG_LEVEL_INFO },
    { "debug", VSW__LOG_LEVEL__LOG_LEVEL_DEBUG },
};

static int cmd_set_log_level(const struct cli *cli, int argc, char **argv)
{
    (void)argc;
    const struct vsw_daemon_info *daemon = daemon_by_name(argv[0]);
    if (!daemon) {
        usage_error("set-log-level: '%s' is not a vsw daemon", argv[0]);
        return EXIT_USAGE;
    }
    Vsw__SetLogLevelRequest request = VSW__SET_LOG_LEVEL_REQUEST__INIT;
    for (size_t i = 0; i < sizeof log_levels / sizeof log_levels[0]; i++) {
        if (strcmp(argv[1], log_levels[i].name) == 0)
            request.level = log_levels[i].level;
    }
    if (!request.level) {
        usage_error("set-log-level: '%s' is not err, warn, info or debug", argv[1]);
        return EXIT_USAGE;
    }
    ProtobufCMessage *reply = NULL;
    struct ipc_error err;
    if (control_call(cli, daemon, VSW__CONTROL_TYPE__CONTROL_SET_LOG_LEVEL, &request.base,
                     &vsw__control_ack__descriptor, &reply, &err) < 0) {
        fprintf(stderr, "vsw: %s: %s\n", daemon->name, err.message);
        return EXIT_FAILURE;
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return EXIT_SUCCESS;
}

static const struct command commands[] = {
    { "status", "[--verbose]", "show each daemon: up or down, pid, uptime, version, links", 0, 1,
      cmd_status },
    { "set-log-level", "DAEMON LEVEL", "set a daemon's log level (err, warn, info, debug)", 2, 2,
      cmd_set_log_level },
};

static void print_help(void)
{
    printf("usage: vsw [OPTIONS] COMMAND [ARGS]\n\n"
           "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-14s %-14s %s\n", commands[i].name, commands[i].args, commands[i].help);
    printf("\nOptions:\n"
           "  --rundir DIR   the daemons' run directory (default $VSW_RUNDIR or %s)\n"
           "  --timeout SECS how long to wait for each daemon (default 1)\n"
           "  --help, --version\n\n"
           "Exit status: 0 success, 1 a daemon is down or a request failed, 2 usage error.\n",
           DAEMON_DEFAULT_RUNDIR);
}

/* Parses global options into `cli`. Returns -1 to go on, else the exit code. */
static int parse_global_options(struct cli *cli, int argc, char **argv)
{
    enum { OPT_RUNDIR = 256, OPT_TIMEOUT, OPT_HELP, OPT_VERSION };
    static const struct option options[] = {
        { "rundir", required_argument, NULL, OPT_RUNDIR },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "help", no_argument, NULL, OPT_HELP },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    const char *env = getenv("VSW_RUNDIR");
    snprintf(cli->rundir, sizeof cli->rundir, "%s", env && *env ? env : DAEMON_DEFAULT_RUNDIR);
    cli->timeout_ms = 1000;
    opterr = 0;
    for (;;) {
        /* '+': stop at the command name; its own arguments are not ours. */
        int c = getopt_long(argc, argv, "+", options, NULL);
        if (c == -1)
            return -1;
        char *end;
        long secs;
        switch (c) {
        case OPT_RUNDIR:
            if (strlen(optarg) >= sizeof cli->rundir) {
                usage_error("--rundir: path too long");
                return EXIT_USAGE;
            }
            strcpy(cli->rundir, optarg);
            break;
        case OPT_TIMEOUT:
            secs = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end || secs <= 0 || secs > 3600) {
                usage_error("--timeout: '%s' is not a number of seconds from 1 to 3600", optarg);
                return EXIT_USAGE;
            }
            cli->timeout_ms = (int)secs * 1000;
            break;
        case OPT_HELP:
            print_help();
            return EXIT_SUCCESS;
        case OPT_VERSION:
            printf("vsw %s\n", VSW_VERSION);
            return EXIT_SUCCESS;
        default:
            usage_error("unknown option '%s'", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
}

int main(int argc, char **argv)
{
    struct cli cli;
    int rc = parse_global_options(&cli, argc, argv);
    if (rc >= 0)
        return rc;
    /* Errors go to stderr for the user, not to a log file. */
    vlog_open("vsw", VLOG_TO_STDERR, NULL, VLOG_ERR);
    if (optind >= argc) {
        usage_error("missing command");
        return EXIT_USAGE;
    }
    const char *name = argv[optind];
    int n_args = argc - optind - 1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const struct command *cmd = &commands[i];
        if (strcmp(name, cmd->name) != 0)
            continue;
        if (n_args < cmd->min_args || n_args > cmd->max_args) {
            if (cmd->max_args == 0)
                usage_error("'%s' takes no arguments", name);
            else
                usage_error("'%s' takes arguments %s", name, cmd->args);
            return EXIT_USAGE;
        }
        return cmd->run(&cli, n_args, argv + optind + 1);
    }
    usage_error("unknown command '%s'", name);
    return EXIT_USAGE;
}
