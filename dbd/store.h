/* The durable database: the engine (db.h) over the journal (journal.h).
 *
 * Opening replays the journal; a file written with an older schema version is converted to the
 * current schema and compacted. Every committed transaction is written to the journal, with
 * its time and comments, and synced before it is acknowledged. A commit the disk does not take
 * (full, quota, I/O error) is undone, in memory and in the file, and refused with a clear
 * error; the store goes on. A journal found damaged at open is recovered from its valid prefix
 * and the loss is recorded in the database (Open_vSwitch status, keys db_recovery_*) until an
 * operator removes it. Compaction rewrites the journal as schema + snapshot, the slow part on a
 * thread of its own (store_start_compactor()) so that commits go on meanwhile. */
#ifndef VSW_DBD_STORE_H
#define VSW_DBD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbd/journal.h"

struct db;
struct db_schema;
struct journal;
struct store_compactor;

/* The database file's name in the run directory, unless vsw-dbd is given --db. */
#define STORE_DEFAULT_FILE "conf.db"

/* Compact when the journal has this many records since its last compaction... */
#define STORE_COMPACT_RECORDS 1000
/* ...or has grown by this factor over its last compacted size and is at least this large. */
#define STORE_COMPACT_GROWTH 4
#define STORE_COMPACT_MIN_BYTES (1u << 20)

struct store {
    struct db_schema *schema;
    const char *schema_text;      /* as embedded in the binary or read from --schema */
    size_t schema_len;
    struct db *db;
    struct journal *journal;
    uint64_t compact_records;     /* the record threshold (STORE_COMPACT_RECORDS by default) */
    bool needs_compaction;        /* set by an upgrade, or a compaction that failed */
    uint64_t commits;
    uint64_t refused;             /* commits undone because the disk did not take them */
    uint64_t compactions;
    int compact_failing;          /* errno of the current run of failed compactions, or 0 */
    struct store_compactor *compactor;   /* NULL: compaction runs in the caller's thread */
    /* The recovery with loss to report (from Open_vSwitch:status), malloc'd, or NULL. */
    char *recovery_notice;
    char *unrecorded_recovery;    /* status mutation not yet committed (disk full at open) */
};

/* Opens `path` (created if missing) with the schema `schema_text`. Returns 0, or -1 (logged). */
int store_open(struct store *store, const char *path, const char *schema_text, size_t len);
void store_close(struct store *store);

enum store_result {
    STORE_UNCHANGED,    /* the transaction failed or changed nothing */
    STORE_COMMITTED,    /* changed, and durable */
    STORE_REFUSED,      /* the disk did not take it: undone, and *reply says so */
    STORE_FAILED,       /* changed in memory but the file's state is unknown: dbd must exit */
    STORE_BLOCKED,      /* failed on a "wait" with a timeout: may run again after a change */
};

/* Called with a change record once it is written to the journal, before it is durable; and,
 * should it then not become durable, with the record that undoes it once it is undone. */
typedef void store_written_fn(void *arg, const char *record);

/* Runs an RFC 7047 transaction. *reply is always set (malloc'd JSON); *record, when
 * committed, is the change record (malloc'd). `written` (may be NULL) is called between the
 * write and the fsync; STORE_COMMITTED is returned only after the fsync. STORE_REFUSED: the
 * result array ends with an "I/O error" saying why, the database is as before. STORE_BLOCKED
 * sets *wait_timeout_ms (if not NULL) to the timeout of the "wait" that failed it (see
 * db_transact_blocking()); without `wait_timeout_ms` such a failure is STORE_UNCHANGED. */
enum store_result store_transact(struct store *store, const char *params, size_t len,
                                 char **reply, char **record, store_written_fn *written,
                                 void *arg, int64_t *wait_timeout_ms);

/* Starts the thread that writes compaction snapshots. Call before restricting system calls (it
 * creates a thread). Returns the descriptor that becomes readable when a compaction's write
 * step is done (then call store_compaction_done()), or -1 (logged). */
int store_start_compactor(struct store *store);

/* Whether the journal has grown enough to compact (or must be). */
bool store_wants_compaction(const struct store *store);
/* Starts a compaction: the snapshot is taken now, written by the compactor thread if started
 * (finished by store_compaction_done()), else written and finished here. Returns 0, 1 if one
 * is already running, or -1 (logged). */
int store_compact(struct store *store);
/* Finishes the compaction whose write step is done. Returns 0, or -1 (logged). */
int store_compaction_done(struct store *store);
bool store_compacting(const struct store *store);

/* Retries what failed for lack of disk: a compaction that must happen, the record of a
 * recovery. For a periodic timer. */
void store_retry(struct store *store);

/* The recovery with loss not yet acknowledged, as a sentence for users, or NULL. */
const char *store_recovery_notice(const struct store *store);

/* A database file read as store_open() reads it, changing nothing: for tools. */
struct store_examination {
    char *image;                  /* the whole file (malloc'd) */
    size_t size;
    struct journal_damage damage; /* what follows the valid prefix (damage.offset long) */
    struct db_schema *schema;     /* the file's schema, or NULL (none readable) */
    const char *schema_text;      /* its text, in `image` */
    size_t schema_len;
    struct db *db;                /* the valid prefix replayed under `schema`, or NULL */
    uint64_t snapshots, txns;     /* records of the valid prefix besides the schema */
    int64_t first_date, kept_until;   /* _dates of its first and last records, or -1 */
    int64_t lost_first, lost_last;    /* _dates of the intact records after it, or -1 */
};

/* Returns 0, or -1 with errno set if the file cannot be read. */
int store_examine(const char *path, struct store_examination *examination);
void store_examination_free(struct store_examination *examination);

/* `ms` since the epoch as 2024-05-01T10:00:01.456Z, or "unknown" if negative. */
void store_format_date(int64_t ms, char *buf, size_t size);
/* The "_date" of a record's payload (milliseconds since the epoch), or -1. */
int64_t store_record_date(const char *payload, size_t len);
/* The payload of a snapshot record of `db` (with its "_date"), malloc'd, or NULL. */
char *store_snapshot_payload(const struct db *db);

#endif
