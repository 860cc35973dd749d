/* vsw: the command-line interface to the running daemons, over their IPC sockets: the daemon
 * commands here (status, set-log-level, and the datapath's dump-flows and fdb-show, read from
 * vsw-flowd), the database commands (ovs-vsctl's) in vsctl_*.c.
 * Exit codes: 0 success, 1 the condition asked about is false (e.g. a daemon is down) or the
 * request failed, 2 usage error. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowd/dump_print.h"
#include "lib/log.h"
#include "lib/rundir.h"
#include "lib/version.h"
#include "proto/control.pb-c.h"
#include "proto/flowd.pb-c.h"
#include "tools/cli/vsctl.h"
#include "tools/cli/vsctl_ipc.h"
#include "tools/daemons.h"

#define EXIT_USAGE 2
/* Daemon commands wait this long for each daemon unless --timeout says otherwise. */
#define DEFAULT_DAEMON_TIMEOUT_MS 1000

struct cli {
    char rundir[PATH_MAX];
    int timeout_ms;              /* -1: not given */
    struct vsctl_options db;     /* for the database commands */
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

/* One request on <rundir>/<socket_name>. Returns 0 with *reply, or -1 with `err`. */
static int daemon_call(const struct cli *cli, const char *socket_name, Vsw__Channel channel,
                       uint32_t type, const ProtobufCMessage *request,
                       const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                       struct ipc_error *err)
{
    struct ipc_client client;
    int timeout_ms = cli->timeout_ms > 0 ? cli->timeout_ms : DEFAULT_DAEMON_TIMEOUT_MS;
    if (ipc_client_open(&client, cli->rundir, socket_name, channel, timeout_ms) < 0) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INTERNAL, "cannot open a socket");
        return -1;
    }
    int rc = ipc_call(&client, type, request, reply_desc, reply, err);
    ipc_client_close(&client);
    return rc;
}

/* One control-channel request to one daemon. Returns 0 with *reply, or -1 with `err`. */
static int control_call(const struct cli *cli, const struct vsw_daemon_info *daemon,
                        Vsw__ControlType type, const ProtobufCMessage *request,
                        const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                        struct ipc_error *err)
{
    char socket_name[64];
    snprintf(socket_name, sizeof socket_name, "%s.ctl", daemon->short_name);
    return daemon_call(cli, socket_name, VSW__CHANNEL__CHANNEL_CONTROL, type, request,
                       reply_desc, reply, err);
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

/* Why a daemon that is down stopped: the supervisor's note (<daemon>.last-exit), indented. */
static void print_last_exit(const struct cli *cli, const struct vsw_daemon_info *daemon)
{
    char path[PATH_MAX + 64], line[1200];
    snprintf(path, sizeof path, "%s/%s.last-exit", cli->rundir, daemon->short_name);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        printf("    %s%s", line, strchr(line, '\n') ? "" : "\n");
    fclose(f);
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
            print_last_exit(cli, &vsw_daemons[i]);
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
        for (size_t w = 0; w < status->n_warnings; w++)
            printf("    warning: %s\n", status->warnings[w]);
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

/* One read-only query of vsw-flowd's datapath state. Bridges and their datapaths share names
 * (vsw-switchd creates one datapath per bridge). Returns 0 with *reply, or prints why not. */
static int flowd_query(const struct cli *cli, const char *what, Vsw__FlowdType type,
                       const ProtobufCMessage *request,
                       const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply)
{
    struct ipc_error err;
    int rc = daemon_call(cli, "flowd.sock", VSW__CHANNEL__CHANNEL_FLOWD, type, request,
                         reply_desc, reply, &err);
    if (rc < 0)
        fprintf(stderr, "vsw: %s: vsw-flowd: %s\n", what, err.message);
    return rc;
}

static int cmd_dump_flows(const struct cli *cli, int argc, char **argv)
{
    Vsw__FlowdFlowDumpRequest request = VSW__FLOWD_FLOW_DUMP_REQUEST__INIT;
    request.datapath = argc ? argv[0] : "";
    ProtobufCMessage *reply = NULL;
    if (flowd_query(cli, "dump-flows", VSW__FLOWD_TYPE__FLOWD_FLOW_DUMP, &request.base,
                    &vsw__flowd_flow_dump_reply__descriptor, &reply) < 0)
        return EXIT_FAILURE;
    flowd_print_flows(stdout, (const Vsw__FlowdFlowDumpReply *)reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return EXIT_SUCCESS;
}

static int cmd_fdb_show(const struct cli *cli, int argc, char **argv)
{
    (void)argc;
    Vsw__FlowdFdbDumpRequest request = VSW__FLOWD_FDB_DUMP_REQUEST__INIT;
    request.datapath = argv[0];
    ProtobufCMessage *reply = NULL;
    if (flowd_query(cli, "fdb-show", VSW__FLOWD_TYPE__FLOWD_FDB_DUMP, &request.base,
                    &vsw__flowd_fdb_dump_reply__descriptor, &reply) < 0)
        return EXIT_FAILURE;
    flowd_print_fdb(stdout, (const Vsw__FlowdFdbDumpReply *)reply);
    protobuf_c_message_free_unpacked(reply, NULL);
    return EXIT_SUCCESS;
}

static const struct command commands[] = {
    { "status", "[--verbose]", "show each daemon: up or down, pid, uptime, version, links", 0, 1,
      cmd_status },
    { "set-log-level", "DAEMON LEVEL", "set a daemon's log level (err, warn, info, debug)", 2, 2,
      cmd_set_log_level },
    { "dump-flows", "[BRIDGE]", "datapath flows (megaflows) with their packet and byte counts",
      0, 1, cmd_dump_flows },
    { "fdb-show", "BRIDGE", "the MAC addresses a bridge has learned, by port and VLAN", 1, 1,
      cmd_fdb_show },
};

static void print_help(void)
{
    printf("usage: vsw [OPTIONS] COMMAND [ARGS] [-- [COMMAND-OPTIONS] COMMAND [ARGS]]...\n\n"
           "Daemon commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char usage[64];
        snprintf(usage, sizeof usage, "%s %s", commands[i].name, commands[i].args);
        printf("  %-40s %s\n", usage, commands[i].help);
    }
    printf("\nDatabase commands (as ovs-vsctl's; several joined by \"--\" make one "
           "transaction):\n");
    vsctl_print_help(stdout);
    printf("\nOptions:\n"
           "  --rundir DIR        the daemons' run directory (default $VSW_RUNDIR or %s)\n"
           "  -t, --timeout SECS  limit on the whole command, 0 for none (default: 1 s per\n"
           "                      daemon for daemon commands, 30 s for database commands,\n"
           "                      including the wait for vsw-switchd)\n"
           "  --no-wait           do not wait for vsw-switchd to apply a change\n"
           "  --dry-run           check and prepare everything, commit nothing\n"
           "  --oneline           print each command's output on one line\n"
           "  --format=FORMAT     list (default), table or json, for list and find\n"
           "  --bare              values only, without quotes, brackets or headings\n"
           "  --no-headings       omit table headings\n"
           "  --help, --version\n\n"
           "Command options: --if-exists, --may-exist, --id=@NAME, --columns=COL,...,\n"
           "--with-iface, --fake-iface, --real, --fake, --all, --bootstrap (see docs/cli.md).\n\n"
           "Exit status: 0 success, 1 not found, condition false or the request failed,\n"
           "2 usage error (nothing was changed).\n",
           DAEMON_DEFAULT_RUNDIR);
}

/* An option's value: "--name=value" or "--name value". Returns NULL if missing. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    const char *arg = argv[*i];
    size_t len = strlen(name);
    if (arg[len] == '=')
        return arg + len + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* Whether argv[i] is option `name` ("--rundir"), alone or as "--rundir=...". */
static bool is_option(const char *arg, const char *name)
{
    size_t len = strlen(name);
    return !strncmp(arg, name, len) && (arg[len] == '\0' || arg[len] == '=');
}

static int parse_timeout(struct cli *cli, const char *value)
{
    char *end;
    long secs = value ? strtol(value, &end, 10) : -1;
    if (!value || !*value || *end || secs < 0 || secs > 86400) {
        usage_error("--timeout: '%s' is not a number of seconds from 0 to 86400",
                    value ? value : "");
        return EXIT_USAGE;
    }
    cli->timeout_ms = (int)secs * 1000;
    return -1;
}

static int parse_format(struct cli *cli, const char *value)
{
    static const struct {
        const char *name;
        enum vsctl_format format;
    } formats[] = {
        { "list", VSCTL_FORMAT_LIST },
        { "table", VSCTL_FORMAT_TABLE },
        { "json", VSCTL_FORMAT_JSON },
    };
    for (size_t i = 0; value && i < sizeof formats / sizeof formats[0]; i++) {
        if (!strcmp(value, formats[i].name)) {
            cli->db.format = formats[i].format;
            return -1;
        }
    }
    usage_error("--format: '%s' is not list, table or json", value ? value : "");
    return EXIT_USAGE;
}

/* Options without a value. Returns true if `arg` was one. */
static bool parse_flag(struct cli *cli, const char *arg)
{
    static const struct {
        const char *name;
        size_t offset;
    } flags[] = {
        { "--no-wait", offsetof(struct vsctl_options, no_wait) },
        { "--dry-run", offsetof(struct vsctl_options, dry_run) },
        { "--oneline", offsetof(struct vsctl_options, oneline) },
        { "--bare", offsetof(struct vsctl_options, bare) },
        { "--no-headings", offsetof(struct vsctl_options, no_headings) },
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (!strcmp(arg, flags[i].name)) {
            *(bool *)((char *)&cli->db + flags[i].offset) = true;
            return true;
        }
    }
    return false;
}

/* Parses one global option at argv[*i]. Returns -1 to go on, else the exit code. */
static int parse_global_option(struct cli *cli, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    if (parse_flag(cli, arg))
        return -1;
    if (is_option(arg, "--rundir")) {
        const char *value = option_value(argc, argv, i, "--rundir");
        if (!value || strlen(value) >= sizeof cli->rundir) {
            usage_error("--rundir: %s", value ? "path too long" : "missing directory");
            return EXIT_USAGE;
        }
        strcpy(cli->rundir, value);
        return -1;
    }
    if (is_option(arg, "--timeout"))
        return parse_timeout(cli, option_value(argc, argv, i, "--timeout"));
    if (!strcmp(arg, "-t"))
        return parse_timeout(cli, *i + 1 < argc ? argv[++*i] : NULL);
    if (is_option(arg, "--format"))
        return parse_format(cli, option_value(argc, argv, i, "--format"));
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
        print_help();
        return EXIT_SUCCESS;
    }
    if (!strcmp(arg, "--version") || !strcmp(arg, "-V")) {
        printf("vsw %s\n", VSW_VERSION);
        return EXIT_SUCCESS;
    }
    usage_error("unknown option '%s'", arg);
    return EXIT_USAGE;
}

/* Parses global options into `cli`; *first is the index of the first command word. Global
 * options come first; a database command's own options (--may-exist, --columns=...) may come
 * among them, as in ovs-vsctl, and belong to the first command: they are moved to just before
 * argv[*first], which then points at the first of them (getopt permutes argv the same way).
 * Returns -1 to go on, else the exit code. */
static int parse_global_options(struct cli *cli, int argc, char **argv, int *first)
{
    const char *env = getenv("VSW_RUNDIR");
    snprintf(cli->rundir, sizeof cli->rundir, "%s", env && *env ? env : DAEMON_DEFAULT_RUNDIR);
    cli->timeout_ms = -1;
    vsctl_options_init(&cli->db);
    int i = 1, n_lead = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (vsctl_is_command_option(argv[i])) {
            argv[1 + n_lead++] = argv[i];   /* never past i: nothing unread is overwritten */
            continue;
        }
        int rc = parse_global_option(cli, argc, argv, &i);
        if (rc >= 0)
            return rc;
    }
    memmove(&argv[i - n_lead], &argv[1], (size_t)n_lead * sizeof *argv);
    *first = i - n_lead;
    if (cli->timeout_ms >= 0)
        cli->db.timeout_ms = cli->timeout_ms;
    return -1;
}

static int run_db_commands(const struct cli *cli, int argc, char **argv)
{
    struct vsctl_ipc ipc;
    struct vsctl_backend backend;
    vsctl_ipc_init(&ipc, cli->rundir, cli->db.timeout_ms, &backend);
    int rc = vsctl_run(&cli->db, argc, argv, &backend, stdout, stderr);
    /* Exiting closes the socket. Closing it with nn_close() first waits for nanomsg's worker
     * thread to take it down and then to stop: a fifth of a millisecond per call of a command
     * that scripts run by the thousand. */
    if (fflush(stdout) != 0) {
        fprintf(stderr, "vsw: writing the output failed: %s\n", strerror(errno));
        rc = rc == VSCTL_EXIT_OK ? VSCTL_EXIT_FAILED : rc;
    }
    fflush(stderr);
    _exit(rc);
}

/* The daemon command called `name`, or NULL. */
static const struct command *daemon_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name))
            return &commands[i];
    return NULL;
}

static int run_daemon_command(const struct cli *cli, const struct command *cmd, int n_args,
                              char **args)
{
    if (n_args < cmd->min_args || n_args > cmd->max_args) {
        if (cmd->max_args == 0)
            usage_error("'%s' takes no arguments", cmd->name);
        else
            usage_error("'%s' takes arguments %s", cmd->name, cmd->args);
        return EXIT_USAGE;
    }
    return cmd->run(cli, n_args, args);
}

int main(int argc, char **argv)
{
    struct cli cli;
    int first;
    int rc = parse_global_options(&cli, argc, argv, &first);
    if (rc >= 0)
        return rc;
    /* Errors go to stderr for the user, not to a log file. */
    vlog_open("vsw", VLOG_TO_STDERR, NULL, VLOG_ERR);
    if (first >= argc) {
        usage_error("missing command");
        return EXIT_USAGE;
    }
    /* Command options may precede a database command only. */
    int name_at = first;
    while (name_at < argc - 1 && vsctl_is_command_option(argv[name_at]))
        name_at++;
    const struct command *cmd = daemon_command(argv[name_at]);
    if (!cmd)
        return run_db_commands(&cli, argc - first, argv + first);
    if (name_at > first) {
        usage_error("'%s' takes no command option such as '%s'", cmd->name, argv[first]);
        return EXIT_USAGE;
    }
    return run_daemon_command(&cli, cmd, argc - first - 1, argv + first + 1);
}
