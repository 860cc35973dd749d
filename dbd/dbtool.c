/* vsw-dbtool: the tool for vsw-dbd's database file, as ovsdb-tool is Open vSwitch's: check a
 * file, show the transactions in it (a saved damaged file too), compact it, recover what a
 * damage cut off. It reads files as vsw-dbd does (dbd/store.h, dbd/journal.h) and rewrites one
 * only while no vsw-dbd uses it (the file's lock), atomically, keeping its owner; `compact`
 * without a file asks the running vsw-dbd to compact its own. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dbd/journal.h"
#include "dbd/store.h"
#include "lib/ipc.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/rundir.h"
#include "lib/version.h"
#include "ovsdb/db.h"
#include "proto/dbd.pb-c.h"

#define EXIT_DAMAGED 1
#define EXIT_USAGE 2
#define EXIT_TORN 3
/* What DBD_COMPACT may take on a large database and a slow disk. */
#define COMPACT_TIMEOUT_MS 60000

struct options {
    char rundir[RUNDIR_MAX + 1];
    const char *output;     /* recover --output */
    bool verbose;           /* show-log -v */
};

static void usage(void)
{
    printf("NAME\n"
           "    vsw-dbtool - check, show, compact and recover vsw-dbd's database file\n"
           "\n"
           "SYNOPSIS\n"
           "    vsw-dbtool [--rundir DIR] check [FILE]\n"
           "    vsw-dbtool [--rundir DIR] show-log [-v] [FILE...]\n"
           "    vsw-dbtool [--rundir DIR] compact [FILE]\n"
           "    vsw-dbtool [--rundir DIR] recover [--output OUT] [FILE [DAMAGED...]]\n"
           "\n"
           "DESCRIPTION\n"
           "    The database file (conf.db) is a journal of checksummed records: the schema,\n"
           "    optionally a snapshot of the whole database, then one record per committed\n"
           "    transaction with its time and comment (docs/dbd.md). vsw-dbtool reads it as\n"
           "    vsw-dbd does. FILE defaults to RUNDIR/%s.\n"
           "\n"
           "COMMANDS\n"
           "    check [FILE]\n"
           "        Reads FILE as vsw-dbd would on start, changing nothing, and says whether it\n"
           "        is intact, ends in a write cut short (a crash during a commit: nothing\n"
           "        acknowledged is lost), or is damaged (vsw-dbd would start from the part\n"
           "        before the damage and lose what follows: how many bytes and intact\n"
           "        records, written when). Safe while vsw-dbd runs.\n"
           "\n"
           "    show-log [-v] [FILE...]\n"
           "        Lists the records of each FILE in order, with their offset, time, comment\n"
           "        (the vsw command line) and the rows each one inserts, modifies and\n"
           "        deletes; with -v, each row. Damaged stretches are listed where they are,\n"
           "        and the intact records after them too: use it on a conf.db.damaged-TIME\n"
           "        file to see what a recovery lost.\n"
           "\n"
           "    compact [FILE]\n"
           "        Rewrites the database as its schema and one snapshot. Without FILE, asks\n"
           "        the vsw-dbd of RUNDIR to compact its file (it goes on serving meanwhile),\n"
           "        or compacts RUNDIR/%s if no vsw-dbd runs there. With FILE, vsw-dbd must\n"
           "        not be using it. A damaged file is refused (see recover).\n"
           "\n"
           "    recover [--output OUT] [FILE [DAMAGED...]]\n"
           "        Rebuilds a database from a damaged FILE: its valid part, then each intact\n"
           "        record found after the damage, in FILE and then in each DAMAGED file (the\n"
           "        conf.db.damaged-TIME files vsw-dbd keeps), applied in order, each whole or\n"
           "        not at all; a record that no longer applies is skipped and listed. The\n"
           "        result may combine changes in a way that never existed: check it (vsw\n"
           "        show) before acknowledging the loss (vsw ack-db-recovery). It is written\n"
           "        as schema and snapshot to OUT (default FILE), owned as FILE is; an OUT\n"
           "        that exists is first copied to OUT.before-recover-TIME. vsw-dbd must not\n"
           "        be using FILE or OUT: stop vsw first (vsw-ctl stop).\n"
           "\n"
           "OPTIONS\n"
           "    --rundir DIR     vsw's run directory (default $VSW_RUNDIR or %s)\n"
           "    -v, --verbose    show-log: every row of every record\n"
           "    -o, --output OUT recover: where to write the result\n"
           "    --help, --version\n"
           "\n"
           "EXIT STATUS\n"
           "    0  success; check: the file is intact\n"
           "    1  check: damaged, vsw-dbd would lose records; other commands: failed\n"
           "    2  usage error, or a file that cannot be read\n"
           "    3  check: the file ends in a write cut short (nothing acknowledged is lost)\n"
           "\n"
           "EXAMPLES\n"
           "    vsw-dbtool check && echo intact\n"
           "    vsw-dbtool show-log /run/vsw/conf.db.damaged-1714557797\n"
           "    vsw-ctl stop; vsw-dbtool recover /run/vsw/conf.db /run/vsw/conf.db.damaged-*\n"
           "\n"
           "SEE ALSO\n"
           "    vsw(8), vsw-ctl(8), docs/dbd.md, docs/cli.md\n",
           STORE_DEFAULT_FILE, STORE_DEFAULT_FILE, DAEMON_DEFAULT_RUNDIR);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "vsw-dbtool: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try 'vsw-dbtool --help')\n");
    return EXIT_USAGE;
}

static void default_file(const struct options *o, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", o->rundir, STORE_DEFAULT_FILE);
}

/* ---- check ---- */

static size_t count_rows(const struct store_examination *x)
{
    size_t rows = 0;
    for (size_t t = 0; x->db && t < x->schema->n_tables; t++)
        rows += db_count_rows(x->db, x->schema->tables[t].name);
    return rows;
}

static void print_prefix(const struct store_examination *x)
{
    char first[40], last[40];
    store_format_date(x->first_date, first, sizeof first);
    store_format_date(x->kept_until, last, sizeof last);
    if (!x->schema) {
        printf("    no schema record: nothing of the database can be read\n");
        return;
    }
    printf("    schema %s %s; %" PRIu64 " snapshot(s) and %" PRIu64 " transaction(s) in %" PRIu64
           " bytes, written from %s to %s; %zu rows\n", db_schema_name(x->schema),
           db_schema_version(x->schema), x->snapshots, x->txns, x->damage.offset, first, last,
           count_rows(x));
}

static int cmd_check(const struct options *o, int argc, char **argv)
{
    char path[PATH_MAX];
    if (argc > 1)
        return usage_error("check: one FILE at most, not '%s'", argv[1]);
    if (argc)
        snprintf(path, sizeof path, "%s", argv[0]);
    else
        default_file(o, path, sizeof path);
    struct store_examination x;
    if (store_examine(path, &x) < 0) {
        fprintf(stderr, "vsw-dbtool: cannot read %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    const struct journal_damage *d = &x.damage;
    int rc = EXIT_SUCCESS;
    if (!d->found) {
        printf("%s: intact\n", path);
    } else if (d->torn) {
        printf("%s: ends in a write cut short at offset %" PRIu64 " (%" PRIu64 " bytes: %s); "
               "nothing acknowledged is lost, vsw-dbd cuts it when it opens the file\n", path,
               d->offset, d->bytes, d->problem);
        rc = EXIT_TORN;
    } else {
        char lost_first[40], lost_last[40];
        store_format_date(x.lost_first, lost_first, sizeof lost_first);
        store_format_date(x.lost_last, lost_last, sizeof lost_last);
        printf("%s: damaged: %s at offset %" PRIu64 "; the %" PRIu64 " bytes from there on "
               "hold %" PRIu64 " intact record(s) (written from %s to %s), which vsw-dbd "
               "would lose (see vsw-dbtool show-log and recover); the part before:\n", path,
               d->problem, d->offset, d->bytes, d->intact_after, lost_first, lost_last);
        rc = EXIT_DAMAGED;
    }
    print_prefix(&x);
    store_examination_free(&x);
    return rc;
}

/* ---- show-log ---- */

/* "Port +1 ~2 -0" for each table a change record touches (-v: each row) into `out`. */
static void describe_changes(const struct json *record, bool verbose, FILE *out)
{
    for (size_t t = 0; t < json_object_size(record); t++) {
        const char *table = json_object_key_at(record, t);
        const struct json *rows = json_object_value_at(record, t);
        if (table[0] == '_' || !json_is_object(rows))
            continue;
        size_t inserted = 0, modified = 0, deleted = 0;
        for (size_t r = 0; r < json_object_size(rows); r++) {
            const struct json *row = json_object_value_at(rows, r);
            inserted += json_is_object(row);
            modified += json_is_array(row);
            deleted += json_is_null(row);
        }
        fprintf(out, "  %s", table);
        if (inserted)
            fprintf(out, " +%zu", inserted);
        if (modified)
            fprintf(out, " ~%zu", modified);
        if (deleted)
            fprintf(out, " -%zu", deleted);
    }
    fputc('\n', out);
    if (!verbose)
        return;
    for (size_t t = 0; t < json_object_size(record); t++) {
        const char *table = json_object_key_at(record, t);
        const struct json *rows = json_object_value_at(record, t);
        if (table[0] == '_' || !json_is_object(rows))
            continue;
        for (size_t r = 0; r < json_object_size(rows); r++) {
            const struct json *row = json_object_value_at(rows, r);
            const struct json *name = json_is_object(row) ? json_object_get(row, "name") : NULL;
            fprintf(out, "        %s %s %s", table, json_object_key_at(rows, r),
                    json_is_null(row) ? "deleted" : json_is_array(row) ? "modified:" :
                                                                          "inserted");
            if (name && json_is_string(name))
                fprintf(out, " name=%s", json_string(name));
            for (int part = 1; json_is_array(row) && part <= 2; part++) {
                const struct json *columns = json_array_at(row, (size_t)part);
                for (size_t c = 0; c < json_object_size(columns); c++)
                    if (strcmp(json_object_key_at(columns, c), "_version"))
                        fprintf(out, " %s", json_object_key_at(columns, c));
            }
            fputc('\n', out);
        }
    }
}

struct show {
    bool verbose;
    size_t index;
};

static void show_record(void *arg, uint64_t offset, enum journal_kind kind,
                        const char *payload, size_t len)
{
    struct show *s = arg;
    printf("#%-5zu offset %-10" PRIu64 " %-8s ", s->index++, offset, journal_kind_name(kind));
    struct json *json = json_parse(payload, len, NULL);
    if (kind == JOURNAL_SCHEMA) {
        printf("%s %s\n", json_string(json_object_get(json, "name")),
               json_string(json_object_get(json, "version")));
        json_free(json);
        return;
    }
    char date[40];
    store_format_date(store_record_date(payload, len), date, sizeof date);
    printf("%s", date);
    const struct json *comment = json_object_get(json, "_comment");
    if (json_is_string(comment))
        printf("  \"%.*s\"", (int)strcspn(json_string(comment), "\n"), json_string(comment));
    if (!json)
        printf("  (not JSON)\n");
    else
        describe_changes(json, s->verbose, stdout);
    json_free(json);
}

static void show_damaged(void *arg, uint64_t offset, uint64_t len, const char *problem)
{
    (void)arg;
    printf("--     offset %-10" PRIu64 " damaged  %" PRIu64 " bytes: %s\n", offset, len,
           problem);
}

static int cmd_show_log(const struct options *o, int argc, char **argv)
{
    char default_path[PATH_MAX];
    default_file(o, default_path, sizeof default_path);
    char *defaults[] = { default_path };
    if (!argc) {
        argc = 1;
        argv = defaults;
    }
    int rc = EXIT_SUCCESS;
    for (int i = 0; i < argc; i++) {
        size_t size;
        char *image = journal_read_image(argv[i], &size);
        if (!image) {
            fprintf(stderr, "vsw-dbtool: cannot read %s: %s\n", argv[i], strerror(errno));
            rc = EXIT_USAGE;
            continue;
        }
        printf("%s: %zu bytes\n", argv[i], size);
        struct show s = { o->verbose, 0 };
        journal_scan(image, size, show_record, show_damaged, &s);
        free(image);
    }
    return rc;
}

/* ---- writing a file ---- */

/* Writes `db` as schema + snapshot to `path`, owned as `owner_of` is. */
static int write_database(const char *path, const struct store_examination *x,
                          const struct db *db, const char *owner_of)
{
    char *snapshot = store_snapshot_payload(db);
    if (!snapshot) {
        fprintf(stderr, "vsw-dbtool: out of memory taking a snapshot\n");
        return -1;
    }
    struct journal_record records[] = {
        { JOURNAL_SCHEMA, x->schema_text, x->schema_len },
        { JOURNAL_SNAPSHOT, snapshot, strlen(snapshot) },
    };
    struct stat st;
    bool own = geteuid() == 0 && stat(owner_of, &st) == 0;
    int rc = journal_write_file(path, records, 2, own ? (int)st.st_uid : -1,
                                own ? (int)st.st_gid : -1);
    if (rc < 0)
        fprintf(stderr, "vsw-dbtool: cannot write %s: %s (it is unchanged)\n", path,
                strerror(errno));
    free(snapshot);
    return rc;
}

/* Takes the lock of the database file at `path`; says why not. */
static int lock_database(const char *path)
{
    int fd = journal_lock(path);
    if (fd < 0 && errno == EWOULDBLOCK)
        fprintf(stderr, "vsw-dbtool: %s is in use (by vsw-dbd?): stop vsw first (vsw-ctl stop)%s\n",
                path, "");
    else if (fd < 0)
        fprintf(stderr, "vsw-dbtool: cannot lock %s.lock: %s\n", path, strerror(errno));
    return fd;
}

/* ---- compact ---- */

/* Asks the vsw-dbd of the run directory to compact its database. */
static int compact_online(const struct options *o)
{
    struct ipc_client client;
    if (ipc_client_open(&client, o->rundir, "dbd.sock", VSW__CHANNEL__CHANNEL_DBD,
                        COMPACT_TIMEOUT_MS) < 0) {
        fprintf(stderr, "vsw-dbtool: cannot open a socket to vsw-dbd in %s\n", o->rundir);
        return EXIT_FAILURE;
    }
    Vsw__CompactRequest request = VSW__COMPACT_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    struct ipc_error err;
    int rc = ipc_call(&client, VSW__DBD_TYPE__DBD_COMPACT, &request.base,
                      &vsw__compact_reply__descriptor, &reply, &err);
    ipc_client_close(&client);
    if (rc < 0) {
        fprintf(stderr, "vsw-dbtool: vsw-dbd: %s\n", err.message);
        return EXIT_FAILURE;
    }
    const Vsw__CompactReply *r = (const Vsw__CompactReply *)reply;
    printf("vsw-dbd compacted its database from %" PRIu64 " to %" PRIu64 " bytes\n",
           r->bytes_before, r->bytes_after);
    protobuf_c_message_free_unpacked(reply, NULL);
    return EXIT_SUCCESS;
}

/* Compacts the file at `path`, whose lock `lock` is held. */
static int compact_file(const char *path, int lock)
{
    struct store_examination x;
    int rc = EXIT_FAILURE;
    if (store_examine(path, &x) < 0) {
        fprintf(stderr, "vsw-dbtool: cannot read %s: %s\n", path, strerror(errno));
    } else if (!x.db || (x.damage.found && !x.damage.torn)) {
        fprintf(stderr, "vsw-dbtool: %s is damaged (%s at offset %" PRIu64 "): not compacting "
                "it; see 'vsw-dbtool check' and 'vsw-dbtool recover'\n", path,
                x.damage.problem, x.damage.offset);
    } else if (write_database(path, &x, x.db, path) == 0) {
        struct stat st;
        printf("compacted %s from %zu to %lld bytes\n", path, x.size,
               stat(path, &st) == 0 ? (long long)st.st_size : -1LL);
        rc = EXIT_SUCCESS;
    }
    store_examination_free(&x);
    close(lock);
    return rc;
}

static int cmd_compact(const struct options *o, int argc, char **argv)
{
    if (argc > 1)
        return usage_error("compact: one FILE at most, not '%s'", argv[1]);
    char path[PATH_MAX];
    if (argc)
        snprintf(path, sizeof path, "%s", argv[0]);
    else
        default_file(o, path, sizeof path);
    int lock = journal_lock(path);
    if (lock >= 0)
        return compact_file(path, lock);
    if (errno != EWOULDBLOCK) {
        fprintf(stderr, "vsw-dbtool: cannot lock %s.lock: %s\n", path, strerror(errno));
        return EXIT_FAILURE;
    }
    if (argc) {
        fprintf(stderr, "vsw-dbtool: %s is in use (by vsw-dbd?); 'vsw-dbtool compact' without "
                "FILE asks the vsw-dbd of the run directory to compact its database\n", path);
        return EXIT_FAILURE;
    }
    return compact_online(o);
}

/* ---- recover ---- */

struct recovery {
    struct db *db;
    const char *file;
    uint64_t from;            /* apply records at or after this offset */
    size_t applied, skipped;
};

static void apply_record(void *arg, uint64_t offset, enum journal_kind kind,
                         const char *payload, size_t len)
{
    struct recovery *r = arg;
    if (offset < r->from)
        return;
    char date[40];
    store_format_date(store_record_date(payload, len), date, sizeof date);
    char *error = NULL;
    if (kind != JOURNAL_TXN) {
        printf("  skipped %s offset %" PRIu64 " (%s): a %s record\n", r->file, offset, date,
               journal_kind_name(kind));
        r->skipped++;
    } else if (db_replay(r->db, payload, len, &error) < 0) {
        printf("  skipped %s offset %" PRIu64 " (%s): %s\n", r->file, offset, date, error);
        r->skipped++;
    } else {
        printf("  applied %s offset %" PRIu64 " (%s)\n", r->file, offset, date);
        r->applied++;
    }
    free(error);
}

static void skip_damaged(void *arg, uint64_t offset, uint64_t len, const char *problem)
{
    struct recovery *r = arg;
    if (offset > r->from)
        printf("  damaged %s offset %" PRIu64 ": %" PRIu64 " bytes (%s)\n", r->file, offset,
               len, problem);
}

/* Applies the intact records after the valid prefix of `file` to r->db. */
static int apply_after_damage(struct recovery *r, const char *file)
{
    struct store_examination x;
    if (store_examine(file, &x) < 0) {
        fprintf(stderr, "vsw-dbtool: cannot read %s: %s\n", file, strerror(errno));
        return -1;
    }
    if (x.damage.found) {
        r->file = file;
        r->from = x.damage.offset + 1;
        journal_scan(x.image, x.size, apply_record, skip_damaged, r);
    }
    store_examination_free(&x);
    return 0;
}

/* Copies `path` to `path`.before-recover-<time>. */
static int keep_copy(const char *path)
{
    char copy[PATH_MAX + 64];
    snprintf(copy, sizeof copy, "%s.before-recover-%lld", path, (long long)time(NULL));
    size_t size;
    char *image = journal_read_image(path, &size);
    FILE *f = image ? fopen(copy, "wx") : NULL;
    bool ok = f && fwrite(image, 1, size, f) == size && fflush(f) == 0 &&
              fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0)
        ok = false;
    free(image);
    if (!ok) {
        fprintf(stderr, "vsw-dbtool: cannot keep a copy of %s as %s: %s\n", path, copy,
                strerror(errno));
        unlink(copy);
        return -1;
    }
    printf("kept the previous %s as %s\n", path, copy);
    return 0;
}

static int cmd_recover(const struct options *o, int argc, char **argv)
{
    char path[PATH_MAX];
    if (argc)
        snprintf(path, sizeof path, "%s", argv[0]);
    else
        default_file(o, path, sizeof path);
    const char *out = o->output ? o->output : path;
    int lock = lock_database(path);
    int out_lock = lock >= 0 && strcmp(out, path) ? lock_database(out) : -1;
    if (lock < 0 || (strcmp(out, path) && out_lock < 0)) {
        if (lock >= 0)
            close(lock);
        return EXIT_FAILURE;
    }
    struct store_examination x;
    int rc = EXIT_FAILURE;
    if (store_examine(path, &x) < 0) {
        fprintf(stderr, "vsw-dbtool: cannot read %s: %s\n", path, strerror(errno));
        goto out;
    }
    if (!x.db) {
        fprintf(stderr, "vsw-dbtool: %s has no readable schema record: nothing to recover "
                "from\n", path);
        goto out;
    }
    printf("%s: the valid part, %" PRIu64 " bytes\n", path, x.damage.offset);
    struct recovery r = { x.db, NULL, 0, 0, 0 };
    if (apply_after_damage(&r, path) < 0)
        goto out;
    for (int i = 1; i < argc; i++)
        if (apply_after_damage(&r, argv[i]) < 0)
            goto out;
    printf("%zu record(s) after the damage applied, %zu skipped\n", r.applied, r.skipped);
    if (access(out, F_OK) == 0 && keep_copy(out) < 0)
        goto out;
    if (write_database(out, &x, x.db, path) == 0) {
        printf("wrote %s: the database as recovered (schema and snapshot)\n", out);
        rc = EXIT_SUCCESS;
    }
out:
    store_examination_free(&x);
    close(lock);
    if (out_lock >= 0)
        close(out_lock);
    return rc;
}

/* ---- main ---- */

static const struct {
    const char *name;
    int (*run)(const struct options *, int, char **);
} commands[] = {
    { "check", cmd_check },
    { "show-log", cmd_show_log },
    { "compact", cmd_compact },
    { "recover", cmd_recover },
};

int main(int argc, char **argv)
{
    enum { OPT_RUNDIR = 256, OPT_HELP, OPT_VERSION };
    static const struct option long_options[] = {
        { "rundir", required_argument, NULL, OPT_RUNDIR },
        { "verbose", no_argument, NULL, 'v' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, OPT_HELP },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    struct options o = { .output = NULL };
    const char *rundir = getenv("VSW_RUNDIR");
    if (rundir && strlen(rundir) > RUNDIR_MAX)
        return usage_error("$VSW_RUNDIR: at most 80 characters (socket paths), not %s", rundir);
    snprintf(o.rundir, sizeof o.rundir, "%s", rundir && *rundir ? rundir : DAEMON_DEFAULT_RUNDIR);
    vlog_open("vsw-dbtool", VLOG_TO_STDERR, NULL, VLOG_WARN);
    int c;
    /* Options may come before or after the command: "+" is not used. */
    while ((c = getopt_long(argc, argv, "vo:", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_RUNDIR:
            if (strlen(optarg) > RUNDIR_MAX)
                return usage_error("--rundir: at most 80 characters (socket paths), not %s",
                                   optarg);
            snprintf(o.rundir, sizeof o.rundir, "%s", optarg);
            break;
        case 'v': o.verbose = true; break;
        case 'o': o.output = optarg; break;
        case OPT_HELP: usage(); return EXIT_SUCCESS;
        case OPT_VERSION: printf("vsw-dbtool %s\n", VSW_VERSION); return EXIT_SUCCESS;
        default: fprintf(stderr, "vsw-dbtool: try --help\n"); return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return usage_error("missing command%s", "");
    const char *name = argv[optind];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            if (o.output && commands[i].run != cmd_recover)
                return usage_error("--output is for recover only, not %s", name);
            if (o.verbose && commands[i].run != cmd_show_log)
                return usage_error("-v is for show-log only, not %s", name);
            return commands[i].run(&o, argc - optind - 1, argv + optind + 1);
        }
    }
    return usage_error("unknown command '%s'", name);
}
