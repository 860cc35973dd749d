/* The in-memory database of vsw-dbd: rows of typed values under a schema, changed only by
 * all-or-nothing RFC 7047 transactions. Pure computation: no I/O, no IPC; dbd's store adds the
 * journal around it.
 *
 * Cost model: a transaction costs in proportion to the rows and columns it touches, never to
 * the size of the database. Rows are found by UUID through a hash table; unique indexes are
 * hash tables kept current through the transaction (so "where name == x" is a lookup); each
 * row counts the strong references pointing at it, so deletion checks and garbage collection
 * look only at rows whose count changed; weak references are indexed by the row they point at.
 *
 * Change records. A committed transaction is described by one JSON object,
 *     {"<table>": {"<uuid>": <row> | ["modify", {...}, {...}] | null, ...}, ...}
 * where <row> (an inserted row) holds every column of the row's new state that differs from
 * the column's default (plus "_version"), "modify" gives a changed row's changed columns (new
 * values, then set and map differences: see db_row_append_change()), and null means the row
 * was deleted. Applying a record (db_replay()) to a
 * database in the state the transaction started from gives exactly the state it produced,
 * including the effects of garbage collection and weak reference removal, which the record
 * lists like any other change.
 *
 * A database is used by one thread at a time; transactions never interleave. */
#ifndef VSW_OVSDB_DB_H
#define VSW_OVSDB_DB_H

#include <stddef.h>
#include <stdint.h>

#include "ovsdb/schema.h"

struct db;

/* Transactions larger than this are refused with "resources exhausted" (they could not cross
 * IPC anyway). Change records and snapshots read back by db_replay() may be larger. */
#define DB_TRANSACT_MAX_BYTES (8u * 1024 * 1024)
#define DB_REPLAY_MAX_BYTES (256u * 1024 * 1024)

/* Creates an empty database over `schema`, which must outlive it. Returns NULL only if the
 * schema is NULL. Free with db_destroy(). */
struct db *db_create(const struct db_schema *schema);
/* Transactions never outlive the call that began them, so none is open here. */
void db_destroy(struct db *db);
const struct db_schema *db_get_schema(const struct db *db);

/* Runs one RFC 7047 transaction. `params` is the "transact" params array:
 * ["<database>", <operation>, ...]. Operations: insert (with "uuid-name", and an optional
 * "uuid" to choose the new row's UUID), select, update, mutate, delete, wait, commit, abort,
 * comment, assert; see docs/dbd.md for the exact semantics and limits.
 *
 * *reply is always set: a malloc'd JSON array, one element per operation (its result, or the
 * error of the first failing operation followed by nulls), plus one trailing error element if
 * the operations succeeded but the commit checks failed (RFC 7047 section 4.1.3). Malformed
 * params or a wrong database name give a one-element array holding the error.
 *
 * *commit is set (malloc'd change record, see above) only if the transaction committed and
 * changed something; otherwise it is NULL. The caller frees both.
 *
 * Returns 0 if the transaction committed (or had nothing to commit), -1 if it failed; then
 * the database is exactly as before. */
int db_transact(struct db *db, const char *params, size_t len, char **reply, char **commit);

/* As db_transact(). When the transaction failed because a "wait" operation's condition did
 * not hold and that operation has a positive "timeout", *wait_timeout_ms is set to it (else
 * to 0): RFC 7047 lets the server run the transaction again after later changes until that
 * many milliseconds after it arrived, and answer only then. */
int db_transact_blocking(struct db *db, const char *params, size_t len, char **reply,
                         char **commit, int64_t *wait_timeout_ms);

/* What a committed transaction leaves besides its reply (db_transact_undoable()). */
struct db_commit {
    char *record;     /* the change record; NULL if the transaction failed or changed nothing */
    char *undo;       /* with `record`: the change record that takes the database back to the
                       * state the transaction found, _versions included (db_replay() it, before
                       * any other change, to undo the commit) */
    char *comment;    /* with `record`: the texts of its "comment" operations, joined by "\n";
                       * NULL if it had none */
};

/* As db_transact_blocking(), filling *commit (each member malloc'd or NULL; the caller frees
 * them). The undo record lets a caller that cannot make a commit durable take it back. */
int db_transact_undoable(struct db *db, const char *params, size_t len, char **reply,
                         struct db_commit *commit, int64_t *wait_timeout_ms);

/* Applies a change record (from db_transact(), or a snapshot from db_snapshot()) to `db`.
 * The record is validated completely (JSON, tables, columns, types, constraints, references,
 * indexes) before anything changes. The members "_date" and "_comment", which a journal adds
 * to the records it keeps, are ignored. Returns 0, or -1 with *error set to a malloc'd message
 * the caller frees (if `error` is non-NULL), the database unchanged. */
int db_replay(struct db *db, const char *record, size_t len, char **error);

/* The whole database as one change record (every row, as an insert); db_replay() of it into an
 * empty database over the same schema recreates this one. Tables and rows come in a fixed order
 * (by name, then by UUID), so equal databases give equal text. Malloc'd; the caller frees it. */
char *db_snapshot(const struct db *db);

/* An RFC 7047 <table-updates> object for a <monitor-requests> object, as the reply to "monitor":
 * {"<table>": {"<uuid>": {"new": <row>}}}, each row with the requested "columns" (all but _uuid
 * by default) and only for tables whose "select" does not turn "initial" off. Returns malloc'd
 * JSON, or NULL with *error set (malloc'd) if the requests are malformed. */
char *db_monitor_snapshot(const struct db *db, const char *requests, size_t len, char **error);

/* Copies every row of `from` into `to`, whose schema may be another version of from's: tables
 * and columns missing from to's schema are dropped, columns new in it take their defaults, and
 * every value must be valid under the new schema. `to` should be empty. Returns 0, or -1 with
 * *error set (malloc'd) and `to` unchanged. */
int db_convert(struct db *to, const struct db *from, char **error);

/* Rows in `table`, or 0 if there is no such table. For statistics and tests. */
size_t db_count_rows(const struct db *db, const char *table);

#endif
