#include "dbd/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dbd/journal.h"
#include "lib/json.h"
#include "lib/log.h"
#include "ovsdb/db.h"
#include "ovsdb/schema.h"
#include "ovsdb/vswitch_schema.h"

/* ---- Record annotations: when a record was written, and the transaction's comments ---- */

static int64_t wall_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A growing text. */
struct text {
    char *s;
    size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        if (!(t->s = realloc(t->s, t->cap)))
            abort();
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* The journal payload of a change record (a JSON object): the record with "_comment" (if any)
 * and "_date" (milliseconds since the epoch) as its last members, as Open vSwitch's log
 * records have them. db_replay() ignores both. Malloc'd. */
static char *annotate(const char *record, const char *comment)
{
    struct text t = { NULL, 0, 0 };
    size_t len = strlen(record);
    put(&t, record, len - 1);   /* without the closing brace */
    const char *separator = len > 2 ? "," : "";
    if (comment) {
        put(&t, separator, strlen(separator));
        put(&t, "\"_comment\":", 11);
        json_append_string(&t.s, &t.len, &t.cap, comment, strlen(comment));
        separator = ",";
    }
    char date[48];
    int n = snprintf(date, sizeof date, "%s\"_date\":%" PRId64 "}", separator, wall_clock_ms());
    put(&t, date, (size_t)n);
    return t.s;
}

/* The "_date" of an annotated payload (the last member), or -1. */
static int64_t payload_date(const char *payload, size_t len)
{
    static const char key[] = "\"_date\":";
    if (len < sizeof key + 1 || payload[len - 1] != '}')
        return -1;
    size_t end = len - 1, start = end;
    while (start > 0 && payload[start - 1] >= '0' && payload[start - 1] <= '9')
        start--;
    if (start == end || start < sizeof key - 1 ||
        memcmp(payload + start - (sizeof key - 1), key, sizeof key - 1) != 0)
        return -1;
    return strtoll(payload + start, NULL, 10);
}

void store_format_date(int64_t ms, char *buf, size_t size)
{
    if (ms < 0) {
        snprintf(buf, size, "unknown");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03dZ", (int)(ms % 1000));
}

/* ---- Opening ---- */

/* State while replaying the journal at open. */
struct replay {
    struct store *store;
    struct db_schema *file_schema;   /* the schema the file was written with */
    struct db *file_db;              /* its data, in that schema */
    bool seen_schema;
    const char *schema_text;         /* the schema record's payload (in the file's image) */
    size_t schema_len;
    uint64_t snapshots, txns;        /* records of the valid prefix */
    int64_t first_date;              /* _date of the first record that has one, or -1 */
    int64_t kept_until;              /* _date of the last record kept, or -1 */
    int64_t lost_first, lost_last;   /* _dates of the intact records lost to damage, or -1 */
};

static int replay_schema(struct replay *r, const char *payload, size_t len)
{
    if (r->seen_schema) {
        vlog_err("store: a second schema record in the database file");
        return -1;
    }
    char *error = NULL;
    r->file_schema = db_schema_parse(payload, len, &error);
    if (!r->file_schema) {
        vlog_err("store: the database file's schema does not parse: %s", error);
        free(error);
        return -1;
    }
    r->file_db = db_create(r->file_schema);
    r->seen_schema = true;
    r->schema_text = payload;
    r->schema_len = len;
    return r->file_db ? 0 : -1;
}

static int replay_record(void *arg, enum journal_kind kind, const char *payload, size_t len)
{
    struct replay *r = arg;
    if (kind == JOURNAL_SCHEMA)
        return replay_schema(r, payload, len);
    if (!r->seen_schema) {
        vlog_err("store: a %s record before the schema record", journal_kind_name(kind));
        return -1;
    }
    char *error = NULL;
    if (db_replay(r->file_db, payload, len, &error) < 0) {
        vlog_err("store: a %s record does not apply: %s", journal_kind_name(kind), error);
        free(error);
        return -1;
    }
    int64_t date = payload_date(payload, len);
    if (date >= 0) {
        r->kept_until = date;
        if (r->first_date < 0)
            r->first_date = date;
    }
    if (kind == JOURNAL_SNAPSHOT)
        r->snapshots++;
    else
        r->txns++;
    return 0;
}

static int note_lost_record(void *arg, enum journal_kind kind, const char *payload, size_t len)
{
    struct replay *r = arg;
    (void)kind;
    int64_t date = payload_date(payload, len);
    if (date < 0)
        return 0;
    if (r->lost_first < 0)
        r->lost_first = date;
    r->lost_last = date;
    return 0;
}

/* Moves the replayed data into the current schema: as is if the file was written with the same
 * schema, else by conversion (an upgrade), after which the file is rewritten in the new one. */
static int adopt_replayed(struct store *s, struct replay *r)
{
    if (!r->seen_schema) {
        /* A new (or wholly damaged) file: start it with our schema. */
        s->db = db_create(s->schema);
        if (!s->db || journal_append(s->journal, JOURNAL_SCHEMA, s->schema_text,
                                     s->schema_len) < 0)
            return -1;
        return 0;
    }
    const char *file_version = db_schema_version(r->file_schema);
    const char *our_version = db_schema_version(s->schema);
    if (strcmp(db_schema_json(r->file_schema), db_schema_json(s->schema)) == 0) {
        /* The replayed database points into the file's copy of the schema, so that copy must
         * live as long as the database: it becomes the store's (it is the same schema). */
        db_schema_free(s->schema);
        s->schema = r->file_schema;
        r->file_schema = NULL;
        s->db = r->file_db;
        r->file_db = NULL;
        return 0;
    }
    if (strcmp(file_version, our_version) == 0)
        vlog_warn("store: the database file's schema differs from ours under the same version "
                  "%s; converting the data to ours", our_version);
    else
        vlog_info("store: upgrading the database from schema %s to %s", file_version,
                  our_version);
    s->db = db_create(s->schema);
    char *error = NULL;
    if (!s->db || db_convert(s->db, r->file_db, &error) < 0) {
        vlog_err("store: converting to schema %s failed: %s", our_version,
                 error ? error : "out of memory");
        free(error);
        return -1;
    }
    s->needs_compaction = true;
    return 0;
}

/* ---- The record of a recovery with loss (Open_vSwitch:status) ---- */

static const char *status_value(const struct json *pairs, const char *key)
{
    char full[64];
    snprintf(full, sizeof full, VSWITCH_RECOVERY_KEY_PREFIX "%s", key);
    const char *value = json_string(json_object_get(pairs, full));
    return value ? value : "?";
}

/* The sentence users see, from the db_recovery_* pairs ({key: value}). */
static char *recovery_sentence(const struct json *pairs)
{
    char *text;
    if (asprintf(&text, "the database was recovered with loss at %s: %s at offset %s of the "
                 "journal; the %s bytes from there on are lost, with %s intact record(s) among "
                 "them (written from %s to %s); the database is as it was at %s; the damaged "
                 "file is kept as %s. Acknowledge with 'vsw ack-db-recovery' once dealt with "
                 "(see vsw-dbtool show-log and recover)",
                 status_value(pairs, "time"), status_value(pairs, "problem"),
                 status_value(pairs, "offset"), status_value(pairs, "lost_bytes"),
                 status_value(pairs, "lost_records"), status_value(pairs, "lost_first"),
                 status_value(pairs, "lost_last"), status_value(pairs, "kept_until"),
                 status_value(pairs, "saved")) < 0)
        abort();
    return text;
}

static void set_notice(struct store *s, const struct json *pairs)
{
    free(s->recovery_notice);
    s->recovery_notice = json_object_size(pairs) ? recovery_sentence(pairs) : NULL;
}

/* Runs a transaction of the store's own; returns its reply (malloc'd) if it did not fail. */
static char *run_own(struct store *s, const char *params, enum store_result *outcome)
{
    char *reply = NULL, *record = NULL;
    *outcome = store_transact(s, params, strlen(params), &reply, &record, NULL, NULL, NULL);
    free(record);
    if (*outcome == STORE_COMMITTED || *outcome == STORE_UNCHANGED)
        return reply;
    free(reply);
    return NULL;
}

/* The db_recovery_* pairs of Open_vSwitch:status as {key: value} (empty if none). */
static struct json *recovery_pairs_in_db(struct store *s)
{
    static const char select[] = "[\"Open_vSwitch\",{\"op\":\"select\",\"table\":"
                                 "\"Open_vSwitch\",\"where\":[],\"columns\":[\"status\"]}]";
    struct json *pairs = json_object_new();
    enum store_result outcome;
    char *reply = run_own(s, select, &outcome);
    struct json *json = reply ? json_parse(reply, strlen(reply), NULL) : NULL;
    const struct json *rows = json_object_get(json_array_at(json, 0), "rows");
    const struct json *map = json_object_get(json_array_at(rows, 0), "status");
    const struct json *elements = json_array_at(map, 1);
    for (size_t i = 0; i < json_array_size(elements); i++) {
        const struct json *pair = json_array_at(elements, i);
        const char *key = json_string(json_array_at(pair, 0));
        const char *value = json_string(json_array_at(pair, 1));
        if (key && value && !strncmp(key, VSWITCH_RECOVERY_KEY_PREFIX,
                                     strlen(VSWITCH_RECOVERY_KEY_PREFIX)))
            json_object_put(pairs, key, json_string_new(value));
    }
    json_free(json);
    free(reply);
    return pairs;
}

static void put_pair(struct json *pairs, const char *key, const char *value)
{
    char full[64];
    snprintf(full, sizeof full, VSWITCH_RECOVERY_KEY_PREFIX "%s", key);
    json_object_put(pairs, full, json_string_new(value));
}

static void put_date_pair(struct json *pairs, const char *key, int64_t ms)
{
    char date[32];
    store_format_date(ms, date, sizeof date);
    put_pair(pairs, key, date);
}

/* The pairs describing `d`, found when opening. */
static struct json *recovery_pairs(const struct journal_damage *d, const struct replay *r)
{
    char number[32];
    struct json *pairs = json_object_new();
    put_date_pair(pairs, "kept_until", r->kept_until);
    put_date_pair(pairs, "lost_first", r->lost_first);
    put_date_pair(pairs, "lost_last", r->lost_last);
    snprintf(number, sizeof number, "%" PRIu64, d->bytes);
    put_pair(pairs, "lost_bytes", number);
    snprintf(number, sizeof number, "%" PRIu64, d->intact_after);
    put_pair(pairs, "lost_records", number);
    snprintf(number, sizeof number, "%" PRIu64, d->offset);
    put_pair(pairs, "offset", number);
    put_pair(pairs, "problem", d->problem);
    put_pair(pairs, "saved", d->saved);
    put_date_pair(pairs, "time", wall_clock_ms());
    return pairs;
}

/* ["map", [[k, v], ...]] of the pairs. */
static struct json *pairs_to_map(const struct json *pairs)
{
    struct json *elements = json_array_new();
    for (size_t i = 0; i < json_object_size(pairs); i++) {
        struct json *pair = json_array_new();
        json_array_append(pair, json_string_new(json_object_key_at(pairs, i)));
        json_array_append(pair, json_clone(json_object_value_at(pairs, i)));
        json_array_append(elements, pair);
    }
    struct json *map = json_array_append(json_array_new(), json_string_new("map"));
    return json_array_append(map, elements);
}

/* Replaces the db_recovery_* keys of Open_vSwitch:status with the pairs (in the row there is,
 * or a new one). Returns 0, or -1 if the disk did not take it. */
static int record_recovery(struct store *s, const struct json *pairs)
{
    struct json *keys = json_array_new();
    for (size_t i = 0; i < json_object_size(pairs); i++)
        json_array_append(keys, json_string_new(json_object_key_at(pairs, i)));
    struct json *old = recovery_pairs_in_db(s);
    for (size_t i = 0; i < json_object_size(old); i++)
        if (!json_object_get(pairs, json_object_key_at(old, i)))
            json_array_append(keys, json_string_new(json_object_key_at(old, i)));
    json_free(old);
    char *map = NULL, *key_set = NULL;
    struct json *map_json = pairs_to_map(pairs);
    struct json *set_json = json_array_append(json_array_new(), json_string_new("set"));
    json_array_append(set_json, keys);
    map = json_to_string(map_json);
    key_set = json_to_string(set_json);
    json_free(map_json);
    json_free(set_json);
    char *mutate, *insert;
    if (asprintf(&mutate, "[\"Open_vSwitch\",{\"op\":\"mutate\",\"table\":\"Open_vSwitch\","
                 "\"where\":[],\"mutations\":[[\"status\",\"delete\",%s],[\"status\","
                 "\"insert\",%s]]},{\"op\":\"comment\",\"comment\":\"vsw-dbd: the database "
                 "was recovered with loss\"}]", key_set, map) < 0 ||
        asprintf(&insert, "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Open_vSwitch\","
                 "\"row\":{\"status\":%s}},{\"op\":\"comment\",\"comment\":\"vsw-dbd: the "
                 "database was recovered with loss\"}]", map) < 0)
        abort();
    free(map);
    free(key_set);
    enum store_result outcome;
    char *reply = run_own(s, mutate, &outcome);
    struct json *json = reply ? json_parse(reply, strlen(reply), NULL) : NULL;
    bool no_row = json_integer(json_object_get(json_array_at(json, 0), "count")) == 0;
    json_free(json);
    free(reply);
    if (outcome == STORE_UNCHANGED && no_row) {
        reply = run_own(s, insert, &outcome);
        free(reply);
    }
    free(mutate);
    free(insert);
    return outcome == STORE_COMMITTED ? 0 : -1;
}

/* Records a recovery found at open; if the disk does not take it now, store_retry() tries
 * again. The notice is shown meanwhile all the same. */
static void report_recovery(struct store *s, const struct journal_damage *d,
                            const struct replay *r)
{
    struct json *pairs = recovery_pairs(d, r);
    set_notice(s, pairs);
    if (record_recovery(s, pairs) < 0) {
        vlog_err("store: the recovery could not be recorded in Open_vSwitch:status yet; "
                 "retrying");
        s->unrecorded_recovery = json_to_string(pairs);
    }
    json_free(pairs);
}

static void retry_recording(struct store *s)
{
    if (!s->unrecorded_recovery)
        return;
    const char *text = s->unrecorded_recovery;
    struct json *pairs = json_parse(text, strlen(text), NULL);
    if (pairs && record_recovery(s, pairs) == 0) {
        vlog_info("store: the recovery is now recorded in Open_vSwitch:status");
        free(s->unrecorded_recovery);
        s->unrecorded_recovery = NULL;
    }
    json_free(pairs);
}

/* After a commit that may have removed (acknowledged) the recorded recovery. */
static void refresh_notice(struct store *s)
{
    if (!s->recovery_notice || s->unrecorded_recovery)
        return;
    struct json *pairs = recovery_pairs_in_db(s);
    if (!json_object_size(pairs))
        vlog_info("store: the recovery with loss was acknowledged");
    set_notice(s, pairs);
    json_free(pairs);
}

const char *store_recovery_notice(const struct store *s)
{
    return s->recovery_notice;
}

int store_open(struct store *s, const char *path, const char *schema_text, size_t len)
{
    memset(s, 0, sizeof *s);
    s->schema_text = schema_text;
    s->schema_len = len;
    s->compact_records = STORE_COMPACT_RECORDS;
    char *error = NULL;
    s->schema = db_schema_parse(schema_text, len, &error);
    if (!s->schema) {
        vlog_err("store: the schema does not parse: %s", error);
        free(error);
        return -1;
    }
    struct replay r = { .store = s, .first_date = -1, .kept_until = -1, .lost_first = -1,
                        .lost_last = -1 };
    struct journal_reader reader = { replay_record, note_lost_record, &r };
    struct journal_damage damage;
    s->journal = journal_open(path, &reader, &damage);
    int rc = s->journal ? adopt_replayed(s, &r) : -1;
    if (r.file_db)
        db_destroy(r.file_db);
    if (r.file_schema)
        db_schema_free(r.file_schema);
    if (rc < 0) {
        store_close(s);
        return -1;
    }
    vlog_info("store: opened %s (schema %s)", path, db_schema_version(s->schema));
    if (damage.found && !damage.torn) {
        report_recovery(s, &damage, &r);
    } else {
        struct json *pairs = recovery_pairs_in_db(s);
        set_notice(s, pairs);
        json_free(pairs);
    }
    if (s->recovery_notice)
        vlog_err("store: %s", s->recovery_notice);
    if (s->needs_compaction && store_compact(s) < 0 && s->needs_compaction)
        vlog_warn("store: compaction postponed");
    return 0;
}

/* ---- Reading a file without opening it, for tools ---- */

int store_examine(const char *path, struct store_examination *x)
{
    memset(x, 0, sizeof *x);
    x->image = journal_read_image(path, &x->size);
    if (!x->image)
        return -1;
    struct replay r = { .first_date = -1, .kept_until = -1, .lost_first = -1, .lost_last = -1 };
    struct journal_reader reader = { replay_record, note_lost_record, &r };
    journal_examine(x->image, x->size, &reader, &x->damage);
    x->schema = r.file_schema;
    x->db = r.file_db;
    x->schema_text = r.schema_text;
    x->schema_len = r.schema_len;
    x->snapshots = r.snapshots;
    x->txns = r.txns;
    x->first_date = r.first_date;
    x->kept_until = r.kept_until;
    x->lost_first = r.lost_first;
    x->lost_last = r.lost_last;
    return 0;
}

void store_examination_free(struct store_examination *x)
{
    if (x->db)
        db_destroy(x->db);
    if (x->schema)
        db_schema_free(x->schema);
    free(x->image);
    memset(x, 0, sizeof *x);
}

int64_t store_record_date(const char *payload, size_t len)
{
    return payload_date(payload, len);
}

char *store_snapshot_payload(const struct db *db)
{
    char *snapshot = db_snapshot(db);
    char *payload = snapshot ? annotate(snapshot, NULL) : NULL;
    free(snapshot);
    return payload;
}

/* ---- Transactions ---- */

static void free_commit(struct db_commit *c)
{
    free(c->record);
    free(c->undo);
    free(c->comment);
}

/* What the client is told when the disk did not take its commit. */
static char *refusal(int error)
{
    char *text;
    int rc;
    switch (error) {
    case ENOSPC:
        rc = asprintf(&text, "the database's disk is full: the change was not applied");
        break;
    case EDQUOT:
        rc = asprintf(&text, "the database's disk quota is exhausted: the change was not "
                      "applied");
        break;
    case EFBIG:
        rc = asprintf(&text, "the change is too large for the database file: it was not "
                      "applied");
        break;
    default:
        rc = asprintf(&text, "the database's disk failed (%s): the change was not applied",
                      strerror(error));
        break;
    }
    if (rc < 0)
        abort();
    return text;
}

/* Appends {"error": "I/O error", "details": ...} to the result array *reply (RFC 7047's error
 * for a commit that could not be made durable). */
static void append_io_error(char **reply, int error)
{
    char *details = refusal(error);
    size_t len = strlen(*reply), cap = len + strlen(details) * 6 + 64;
    char *text = malloc(cap);
    if (!text)
        abort();
    memcpy(text, *reply, len - 1);   /* without the closing bracket */
    size_t n = len - 1;
    const char *head = len > 2 ? ",{\"error\":\"I/O error\",\"details\":"
                               : "{\"error\":\"I/O error\",\"details\":";
    memcpy(text + n, head, strlen(head));
    n += strlen(head);
    json_append_string(&text, &n, &cap, details, strlen(details));
    if (n + 3 > cap && !(text = realloc(text, cap = n + 3)))
        abort();
    memcpy(text + n, "}]", 3);
    free(details);
    free(*reply);
    *reply = text;
}

/* The journal did not take a commit and took its file back to the state before it: undo the
 * commit in memory too (and, if subscribers saw it, show them the undo). */
static enum store_result refuse(struct store *s, struct db_commit *c, char **reply, int error,
                                store_written_fn *published, void *arg)
{
    if (journal_broken(s->journal)) {
        free_commit(c);
        return STORE_FAILED;
    }
    char *replay_error = NULL;
    if (db_replay(s->db, c->undo, strlen(c->undo), &replay_error) < 0) {
        vlog_err("store: cannot undo a commit the journal did not take: %s", replay_error);
        free(replay_error);
        free_commit(c);
        return STORE_FAILED;
    }
    if (published)
        published(arg, c->undo);
    append_io_error(reply, error);
    s->refused++;
    free_commit(c);
    return STORE_REFUSED;
}

enum store_result store_transact(struct store *s, const char *params, size_t len, char **reply,
                                 char **record, store_written_fn *written, void *arg,
                                 int64_t *wait_timeout_ms)
{
    *record = NULL;
    struct db_commit c;
    int64_t timeout_ms = 0;
    if (db_transact_undoable(s->db, params, len, reply, &c, &timeout_ms) < 0 || !c.record) {
        free_commit(&c);
        if (wait_timeout_ms)
            *wait_timeout_ms = timeout_ms;
        return wait_timeout_ms && timeout_ms > 0 ? STORE_BLOCKED : STORE_UNCHANGED;
    }
    char *payload = annotate(c.record, c.comment);
    int rc = journal_write(s->journal, JOURNAL_TXN, payload, strlen(payload));
    bool published = false;
    if (rc == 0 && written) {
        written(arg, c.record);
        published = true;
    }
    if (rc == 0)
        rc = journal_sync(s->journal);
    int error = errno;
    free(payload);
    if (rc < 0)
        return refuse(s, &c, reply, error, published ? written : NULL, arg);
    s->commits++;
    *record = c.record;
    c.record = NULL;
    free_commit(&c);
    refresh_notice(s);
    return STORE_COMMITTED;
}

/* ---- Compaction ---- */

/* The thread that writes and syncs a compaction's snapshot, so that commits go on meanwhile.
 * It touches only its job: the temporary file and the records it was given. */
struct store_compactor {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int done_fd;                     /* eventfd: the job is done */
    bool has_job, quit;
    bool done;                       /* the job's write step is over (its results are set) */
    bool running;                    /* a job was handed over and not yet finished */
    struct journal_compaction job;
    struct journal_record records[2];
    char *snapshot;                  /* the payload of records[1] */
};

static void *compactor_main(void *arg)
{
    struct store_compactor *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->has_job && !c->quit)
            pthread_cond_wait(&c->wake, &c->lock);
        if (c->quit)
            break;
        c->has_job = false;
        pthread_mutex_unlock(&c->lock);
        journal_compaction_write(&c->job, c->records, 2);
        pthread_mutex_lock(&c->lock);
        c->done = true;
        uint64_t one = 1;
        ssize_t ignored = write(c->done_fd, &one, sizeof one);
        (void)ignored;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

int store_start_compactor(struct store *s)
{
    struct store_compactor *c = calloc(1, sizeof *c);
    if (!c) {
        vlog_err("store: out of memory starting the compactor");
        return -1;
    }
    c->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    int rc = c->done_fd < 0 ? errno : pthread_create(&c->thread, NULL, compactor_main, c);
    if (rc) {
        vlog_err("store: cannot start the compactor thread: %s", strerror(rc));
        if (c->done_fd >= 0)
            close(c->done_fd);
        free(c);
        return -1;
    }
    s->compactor = c;
    return c->done_fd;
}

static void stop_compactor(struct store *s)
{
    struct store_compactor *c = s->compactor;
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->quit = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    if (c->running)
        journal_compaction_abandon(&c->job);
    free(c->snapshot);
    close(c->done_fd);
    free(c);
    s->compactor = NULL;
}

bool store_compacting(const struct store *s)
{
    return s->compactor && s->compactor->running;
}

bool store_wants_compaction(const struct store *s)
{
    if (store_compacting(s) || s->compact_failing)
        return false;   /* a run of failures is retried by store_retry() only */
    uint64_t size = journal_size(s->journal);
    bool grown = size >= STORE_COMPACT_MIN_BYTES &&
                 size >= STORE_COMPACT_GROWTH * journal_base_size(s->journal);
    return s->needs_compaction || grown ||
           journal_appends_since_compaction(s->journal) >= s->compact_records;
}

/* Logs a failed compaction once per run of failures with the same cause. */
static void compaction_failed(struct store *s, const char *tmp, int error)
{
    s->needs_compaction = true;
    if (s->compact_failing == error)
        return;
    s->compact_failing = error;
    vlog_err("store: cannot compact %s: writing %s: %s (%lld bytes free on its file system); "
             "the journal is kept as it is and compaction is retried", journal_path(s->journal),
             tmp, strerror(error), journal_free_bytes(s->journal));
}

static int compaction_finished(struct store *s, struct journal_compaction *job)
{
    if (job->error) {
        compaction_failed(s, job->tmp, job->error);
        journal_compaction_abandon(job);
        return -1;
    }
    if (journal_compaction_finish(s->journal, job) < 0) {
        s->needs_compaction = true;
        return -1;
    }
    if (s->compact_failing)
        vlog_info("store: compaction works again");
    s->compact_failing = 0;
    s->needs_compaction = false;
    s->compactions++;
    return 0;
}

int store_compact(struct store *s)
{
    if (store_compacting(s))
        return 1;
    char *payload = store_snapshot_payload(s->db);
    if (!payload) {
        vlog_err("store: out of memory taking a snapshot");
        return -1;
    }
    struct journal_record records[] = {
        { JOURNAL_SCHEMA, s->schema_text, s->schema_len },
        { JOURNAL_SNAPSHOT, payload, strlen(payload) },
    };
    struct store_compactor *c = s->compactor;
    if (!c) {
        struct journal_compaction job;
        journal_compaction_init(s->journal, &job);
        journal_compaction_write(&job, records, 2);
        free(payload);
        return compaction_finished(s, &job);
    }
    pthread_mutex_lock(&c->lock);
    journal_compaction_init(s->journal, &c->job);
    memcpy(c->records, records, sizeof records);
    c->snapshot = payload;
    c->has_job = true;
    c->running = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

int store_compaction_done(struct store *s)
{
    struct store_compactor *c = s->compactor;
    uint64_t count;
    if (!c || read(c->done_fd, &count, sizeof count) != sizeof count)
        return 0;
    pthread_mutex_lock(&c->lock);
    bool done = c->done;
    c->done = false;
    pthread_mutex_unlock(&c->lock);
    if (!done)
        return 0;
    c->running = false;
    free(c->snapshot);
    c->snapshot = NULL;
    return compaction_finished(s, &c->job);
}

void store_retry(struct store *s)
{
    retry_recording(s);
    if (s->needs_compaction && !store_compacting(s))
        store_compact(s);
}

void store_close(struct store *s)
{
    stop_compactor(s);
    journal_close(s->journal);
    if (s->db)
        db_destroy(s->db);
    if (s->schema)
        db_schema_free(s->schema);
    free(s->recovery_notice);
    free(s->unrecorded_recovery);
    memset(s, 0, sizeof *s);
}
