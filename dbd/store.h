/* The durable database: the engine (db.h) over the journal (journal.h).
 *
 * Opening replays the journal; a file written with an older schema version is converted to the
 * current schema and compacted. Every committed transaction is appended (and fsync'd) before
 * it is acknowledged. */
#ifndef VSW_DBD_STORE_H
#define VSW_DBD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_schema;
struct journal;

/* Compact when the journal has grown by this factor over its last compacted size... */
#define STORE_COMPACT_GROWTH 4
/* ...and is at least this large. */
#define STORE_COMPACT_MIN_BYTES (1u << 20)

struct store {
    struct db_schema *schema;
    const char *schema_text;      /* as embedded in the binary or read from --schema */
    size_t schema_len;
    struct db *db;
    struct journal *journal;
    bool needs_compaction;        /* set by an upgrade or a damaged tail */
    uint64_t commits;
    uint64_t compactions;
};

/* Opens `path` (created if missing) with the schema `schema_text`. Returns 0, or -1 (logged). */
int store_open(struct store *store, const char *path, const char *schema_text, size_t len);
void store_close(struct store *store);

enum store_result {
    STORE_UNCHANGED,    /* the transaction failed or changed nothing */
    STORE_COMMITTED,    /* changed, and durable */
    STORE_FAILED,       /* changed in memory but could not be made durable: dbd must exit */
    STORE_BLOCKED,      /* failed on a "wait" with a timeout: may run again after a change */
};

/* Called with a committed transaction's change record once it is written to the journal, and
 * before it is made durable. */
typedef void store_written_fn(void *arg, const char *record);

/* Runs an RFC 7047 transaction. *reply is always set (malloc'd JSON); *record, when
 * committed, is the change record (malloc'd). `written` (may be NULL) is called between the
 * write and the fsync; STORE_COMMITTED is returned only after the fsync. STORE_BLOCKED sets
 * *wait_timeout_ms (if not NULL) to the timeout of the "wait" that failed it (see
 * db_transact_blocking()); without `wait_timeout_ms` such a failure is STORE_UNCHANGED. */
enum store_result store_transact(struct store *store, const char *params, size_t len,
                                 char **reply, char **record, store_written_fn *written,
                                 void *arg, int64_t *wait_timeout_ms);

/* Compacts the journal if it has grown enough (or must be). Returns 0, or -1 (logged). */
int store_maybe_compact(struct store *store);

#endif
