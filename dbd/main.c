/* vsw-dbd: setup as root, drop privileges, open the database and the sockets, restrict system
 * calls, serve. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbd/dbd.h"
#include "lib/log.h"

static void publish_heartbeat(void *arg)
{
    struct dbd *dbd = arg;
    Vsw__DbdHeartbeat beat = VSW__DBD_HEARTBEAT__INIT;
    beat.uptime_ms = loop_now_ms() - dbd->daemon.started_ms;
    if (ipc_publish(&dbd->events, VSW__DBD_TYPE__DBD_HEARTBEAT, &beat.base) < 0)
        vlog_debug("heartbeat not published (no subscriber ready)");
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        vlog_err("cannot open schema %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    char buf[8192];
    size_t n;
    while (mem && (n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, mem);
    bool failed = !mem || ferror(f);
    fclose(f);
    if (mem)
        fclose(mem);
    if (failed) {
        vlog_err("cannot read schema %s", path);
        free(text);
        return NULL;
    }
    *len = size;
    return text;
}

/* Chooses the schema (--schema, or the built-in one) and the database path, as root: the
 * schema file may be readable by root only. */
static int load_configuration(struct dbd *dbd)
{
    if (dbd->schema_path[0]) {
        dbd->schema_text = read_file(dbd->schema_path, &dbd->schema_len);
        if (!dbd->schema_text)
            return -1;
    } else {
        dbd->schema_text = strdup(dbd_builtin_schema);
        if (!dbd->schema_text)
            return -1;
        dbd->schema_len = strlen(dbd_builtin_schema);
    }
    db_schema_digest(dbd->schema_text, dbd->schema_len, dbd->schema_digest);
    if (!dbd->db_path[0] &&
        (size_t)snprintf(dbd->db_path, sizeof dbd->db_path, "%s/" STORE_DEFAULT_FILE,
                         dbd->daemon.opts.rundir) >= sizeof dbd->db_path) {
        vlog_err("database path %s/" STORE_DEFAULT_FILE " is too long", dbd->daemon.opts.rundir);
        return -1;
    }
    return 0;
}

static int open_sockets(struct dbd *dbd)
{
    struct daemon *d = &dbd->daemon;
    if (daemon_open_control(d, dbd_routes, dbd_n_routes) < 0 ||
        daemon_open_server(d, &dbd->api, "dbd.sock", VSW__CHANNEL__CHANNEL_DBD, dbd_routes,
                           dbd_n_routes) < 0 ||
        ipc_publisher_open(&dbd->events, d->opts.rundir, "dbd.events", VSW__CHANNEL__CHANNEL_DBD,
                           &d->counters) < 0)
        return -1;
    if (loop_add_timer(&d->loop, 0, DBD_HEARTBEAT_INTERVAL_MS, publish_heartbeat, dbd) < 0 ||
        loop_add_timer(&d->loop, DBD_RETRY_MS, DBD_RETRY_MS, compaction_retry, dbd) < 0)
        return -1;
    return 0;
}

/* Opens the database as the unprivileged user, so that every file it creates (compaction's
 * temporary file, damaged parts set aside) belongs to that user; and starts the compactor
 * thread, before the sandbox forbids creating threads. */
static int open_database(struct dbd *dbd)
{
    if (store_open(&dbd->store, dbd->db_path, dbd->schema_text, dbd->schema_len) < 0)
        return -1;
    if (dbd->compact_records[0]) {
        char *end;
        unsigned long long n = strtoull(dbd->compact_records, &end, 10);
        if (*end || !n || dbd->compact_records[0] == '-') {
            vlog_err("--compact-records: '%s' is not a positive number", dbd->compact_records);
            store_close(&dbd->store);
            return -1;
        }
        dbd->store.compact_records = n;
    }
    dbd->daemon.warning = &dbd->store.recovery_notice;
    int fd = store_start_compactor(&dbd->store);
    if (fd < 0) {
        vlog_warn("compaction will stop requests while it writes the snapshot");
    } else if (loop_watch_fd(&dbd->daemon.loop, fd, POLLIN, compaction_done, dbd) < 0) {
        store_close(&dbd->store);
        return -1;
    }
    compaction_schedule(dbd);
    return 0;
}

int main(int argc, char **argv)
{
    static struct dbd dbd = { .api.sock = -1, .events.sock = -1, .waiting.timer = -1,
                              .compact_timer = -1 };
    const struct daemon_option options[] = {
        { "db", "FILE  the database file (default RUNDIR/conf.db)", dbd.db_path,
          sizeof dbd.db_path },
        { "schema", "FILE  the schema (default: the one built in)", dbd.schema_path,
          sizeof dbd.schema_path },
        { "compact-records", "N  compact the journal after N records (default 1000)",
          dbd.compact_records, sizeof dbd.compact_records },
    };
    int exit_code;
    if (daemon_init(&dbd.daemon, "vsw-dbd", "dbd", argc, argv, options,
                    sizeof options / sizeof options[0], &exit_code) < 0)
        return exit_code;

    int rc = EXIT_FAILURE;
    bool opened = false;
    if (load_configuration(&dbd) < 0 ||
        sandbox_drop_privileges(&dbd_sandbox_policy, dbd.daemon.opts.user) < 0)
        goto out;
    opened = open_database(&dbd) == 0;
    if (!opened)
        goto out;
    if (open_sockets(&dbd) < 0 ||
        sandbox_restrict_syscalls(&dbd_sandbox_policy, dbd.daemon.opts.violation) < 0)
        goto out;

    rc = loop_run(&dbd.daemon.loop) < 0 || dbd.failed ? EXIT_FAILURE : EXIT_SUCCESS;
    waiting_abandon(&dbd, "vsw-dbd is stopping");
out:
    ipc_publisher_close(&dbd.events);
    ipc_server_close(&dbd.api);
    if (opened)
        store_close(&dbd.store);
    free(dbd.schema_text);
    daemon_teardown(&dbd.daemon);
    return rc;
}
