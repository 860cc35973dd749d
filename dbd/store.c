#include "dbd/store.h"

#include <stdlib.h>
#include <string.h>

#include "dbd/journal.h"
#include "lib/log.h"
#include "ovsdb/db.h"
#include "ovsdb/schema.h"

/* State while replaying the journal at open. */
struct replay {
    struct store *store;
    struct db_schema *file_schema;   /* the schema the file was written with */
    struct db *file_db;              /* its data, in that schema */
    bool seen_schema;
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

int store_open(struct store *s, const char *path, const char *schema_text, size_t len)
{
    memset(s, 0, sizeof *s);
    s->schema_text = schema_text;
    s->schema_len = len;
    char *error = NULL;
    s->schema = db_schema_parse(schema_text, len, &error);
    if (!s->schema) {
        vlog_err("store: the schema does not parse: %s", error);
        free(error);
        return -1;
    }
    struct replay r = { .store = s };
    s->journal = journal_open(path, replay_record, &r);
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
    return store_maybe_compact(s);
}

void store_close(struct store *s)
{
    journal_close(s->journal);
    if (s->db)
        db_destroy(s->db);
    if (s->schema)
        db_schema_free(s->schema);
    memset(s, 0, sizeof *s);
}

enum store_result store_transact(struct store *s, const char *params, size_t len, char **reply,
                                 char **record, store_written_fn *written, void *arg,
                                 int64_t *wait_timeout_ms)
{
    *record = NULL;
    char *commit = NULL;
    int64_t timeout_ms = 0;
    if (db_transact_blocking(s->db, params, len, reply, &commit, &timeout_ms) < 0 || !commit) {
        free(commit);
        if (wait_timeout_ms)
            *wait_timeout_ms = timeout_ms;
        return wait_timeout_ms && timeout_ms > 0 ? STORE_BLOCKED : STORE_UNCHANGED;
    }
    if (journal_write(s->journal, JOURNAL_TXN, commit, strlen(commit)) < 0) {
        /* The change is in memory only. Acknowledging it could lose it; undoing it is not
         * possible. The caller exits, and the restart replays what is durable. */
        free(commit);
        return STORE_FAILED;
    }
    if (written)
        written(arg, commit);
    if (journal_sync(s->journal) < 0) {
        free(commit);
        return STORE_FAILED;
    }
    s->commits++;
    *record = commit;
    return STORE_COMMITTED;
}

int store_maybe_compact(struct store *s)
{
    uint64_t size = journal_size(s->journal);
    bool grown = size >= STORE_COMPACT_MIN_BYTES &&
                 size >= STORE_COMPACT_GROWTH * journal_base_size(s->journal);
    if (!grown && !s->needs_compaction)
        return 0;
    char *snapshot = db_snapshot(s->db);
    if (!snapshot) {
        vlog_err("store: out of memory taking a snapshot");
        return -1;
    }
    struct journal_record records[] = {
        { JOURNAL_SCHEMA, s->schema_text, s->schema_len },
        { JOURNAL_SNAPSHOT, snapshot, strlen(snapshot) },
    };
    int rc = journal_compact(s->journal, records, 2);
    free(snapshot);
    if (rc == 0) {
        s->needs_compaction = false;
        s->compactions++;
    }
    return rc;
}
