/* A daemon's typed replica of some tables of the database, kept in step with vsw-dbd, and its
 * typed way to write. (The name is Open vSwitch's: "interface definition language" client.)
 *
 * A generator (ovsdb/idlgen.c, run by Bazel from a schema: `ovsdb_idl()` in ovsdb/idl.bzl)
 * emits one C struct per table, with a member per column (see "Typed rows" below), and typed
 * setters and transaction builders. This file is what they share: the replica, its change
 * tracking, and transactions.
 *
 * The replica is fed by the daemon's dbd.events subscription: the first message, a new epoch or
 * a gap in the sequence triggers a DBD_MONITOR (a snapshot and the stream position it covers);
 * after that every DBD_UPDATE with a higher sequence number is applied in order. So a daemon
 * never misses a change: at worst it refetches everything.
 *
 * Typed rows. A column of atomic type T (string: char *, integer: int64_t, real: double,
 * boolean: bool, uuid: struct uuid, reference: a pointer to the referenced table's struct) is
 * the member `T name` when it holds exactly one value; `char *name` (NULL when empty) or
 * `struct row *name` (NULL when empty) for an optional string or reference; otherwise
 * `T *name; size_t n_name` (optional numbers, sets), and a map is
 * `K *key_name; V *value_name; size_t n_name`. References to rows of tables that are not
 * replicated, or that the replica lacks, are left out. Rows own their values; a row's address
 * stays the same while the row exists (also across a snapshot), and a deleted row stays
 * readable until idl_forget_changes().
 *
 * One thread at a time; rows are changed only inside idl_handle_notification() and idl_sync(). */
#ifndef VSW_OVSDB_IDL_H
#define VSW_OVSDB_IDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/json.h"
#include "ovsdb/uuid.h"
#include "proto/envelope.pb-c.h"

struct daemon;
struct ipc_client;
struct idl;

/* ---- Classes: what the generator emits about a schema ---- */

enum idl_atomic {
    IDL_VOID,        /* the "value" of a column that is not a map */
    IDL_INTEGER,
    IDL_REAL,
    IDL_BOOLEAN,
    IDL_STRING,
    IDL_UUID,        /* a plain UUID, or a reference when the column names a table */
};

#define IDL_UNLIMITED UINT32_MAX
#define IDL_NO_MEMBER SIZE_MAX

struct idl_column {
    const char *name;
    enum idl_atomic key_type;
    enum idl_atomic value_type;   /* IDL_VOID unless a map */
    int key_ref;                  /* index in the class's tables of the referenced table, -1 */
    int value_ref;
    uint32_t n_min, n_max;        /* as in the schema; IDL_UNLIMITED */
    size_t member;                /* offset of the value, or of the (key) array */
    size_t values;                /* maps: offset of the value array; else IDL_NO_MEMBER */
    size_t count;                 /* offset of the size_t count; IDL_NO_MEMBER when there is
                                   * none (exactly one value, or an optional string or ref) */
};

struct idl_table_class {
    const char *name;
    int index;                    /* in the class's tables */
    bool is_root;
    const struct idl_column *columns;
    size_t n_columns;
    size_t row_size;              /* of the generated struct, which begins with struct idl_row */
};

struct idl_class {
    const char *database;         /* the schema's name, e.g. "Open_vSwitch" */
    const struct idl_table_class *const *tables;
    size_t n_tables;
};

/* ---- Rows and their changes ---- */

enum idl_row_change {
    IDL_ROW_UNCHANGED,
    IDL_ROW_INSERTED,    /* new since idl_forget_changes() (possibly modified since) */
    IDL_ROW_MODIFIED,    /* idl_row_column_change() says which columns */
    IDL_ROW_REPLACED,    /* rewritten whole (by a snapshot, or deleted and inserted again) */
    IDL_ROW_DELETED,     /* gone from the database; readable until idl_forget_changes() */
};

enum idl_column_change {
    IDL_COLUMN_UNCHANGED,
    IDL_COLUMN_CHANGED,
    IDL_COLUMN_GREW,     /* a set that only gained elements (in every update since) */
};

/* The first member of every generated row struct. */
struct idl_row_node;

struct idl_row {
    struct idl_row_node *node;         /* in its table, by uuid (idl.c's) */
    struct uuid uuid;
    const struct idl_table_class *table_class;
    struct json *json;                 /* the row as vsw-dbd sent it (NULL: inserted by a
                                        * transaction, not in the replica) */
    enum idl_row_change change;
    uint8_t *column_changes;           /* enum idl_column_change per column, while tracked */
    struct idl_row *next_tracked;      /* in the table's list of changed rows */
    struct idl_row *next_parse;        /* rows to parse after the update being applied */
    bool parse_pending;
    uint64_t snapshot;                 /* the last snapshot that held the row */
};

/* Change tracking: what changed since idl_forget_changes() (or since the start). */
static inline bool idl_row_is_new(const struct idl_row *row)
{
    return row->change == IDL_ROW_INSERTED;
}
static inline bool idl_row_is_deleted(const struct idl_row *row)
{
    return row->change == IDL_ROW_DELETED;
}
static inline bool idl_row_is_unchanged(const struct idl_row *row)
{
    return row->change == IDL_ROW_UNCHANGED;
}
/* How column `column` (an index, e.g. VSWREC_BRIDGE_COL_PORTS) changed. An inserted, replaced
 * or deleted row: every column IDL_COLUMN_CHANGED. */
enum idl_column_change idl_row_column_change(const struct idl_row *row, size_t column);
/* Whether any column but those in `columns` (indexes) changed in a modified row. */
bool idl_row_changed_except(const struct idl_row *row, const size_t *columns, size_t n);

/* A row as vsw-dbd sent it (columns in OVSDB notation, "_version" too), or NULL for a row a
 * transaction inserts. Borrowed. */
const struct json *idl_row_json(const struct idl_row *row);

/* For the generated code: the first row of a table, the next, rows by uuid, changed rows. */
const struct idl_row *idl_first_row(const struct idl *idl, const struct idl_table_class *table);
const struct idl_row *idl_next_row(const struct idl *idl, const struct idl_row *row);
const struct idl_row *idl_row_for_uuid(const struct idl *idl, const struct idl_table_class *table,
                                       const struct uuid *uuid);
const struct idl_row *idl_first_tracked(const struct idl *idl,
                                        const struct idl_table_class *table);
static inline const struct idl_row *idl_next_tracked(const struct idl_row *row)
{
    return row->next_tracked;
}
/* A map column's value for a string key, or NULL (the generated *_get_<column>()). */
const char *idl_row_map_get(const struct idl_row *row, size_t column, const char *key);

/* ---- The replica ---- */

/* Sends one transaction (RFC 7047 transact params, JSON text) and returns the result array's
 * text in *result (malloc'd) and, when it committed, the sequence number of the update that
 * carries it in *seq (else 0). Returns 0, or -1 with *error (malloc'd): the transport failed. */
typedef int idl_transport_fn(void *arg, const char *params, char **result, uint64_t *seq,
                             char **error);

/* Called after the replica changed (a snapshot or an update was applied), except by an update
 * that carries only the daemon's own transaction: the daemon knows what it wrote, and reacting
 * to it would double its work for every change. */
typedef void idl_changed_fn(void *arg, struct idl *idl);

struct idl_table;

struct idl {
    const struct idl_class *idl_class;
    struct idl_table *tables;      /* per class table */
    struct ipc_client *client;     /* the daemon's link to dbd.sock, or NULL */
    idl_transport_fn *transport;   /* how transactions are sent (default: over `client`) */
    void *transport_arg;
    char *requests;                /* RFC 7047 <monitor-requests>, JSON text */
    bool synced;                   /* the replica reflects dbd up to (epoch, seq) */
    uint64_t epoch;
    uint64_t seq;
    uint64_t syncs;                /* snapshots fetched */
    uint64_t own_seq;              /* the update carrying our last committed transaction */
    struct idl_row *parse_head;    /* rows an update touched, to parse when it is applied */
    uint64_t snapshots_loaded;
    idl_changed_fn *changed;
    void *arg;
};

/* Starts a replica of `tables` (n_tables of them; all of the class's if `tables` is NULL), every
 * column. `daemon` (may be NULL, e.g. in unit tests: then there is no IPC and a transport must
 * be set to commit) must have a peer link to "vsw-dbd" and a dbd.events subscription whose
 * notifications it passes to idl_handle_notification(). Returns 0, or -1 (logged). */
int idl_init(struct idl *idl, struct daemon *daemon, const struct idl_class *idl_class,
             const struct idl_table_class *const *tables, size_t n_tables,
             idl_changed_fn *changed, void *arg);
void idl_destroy(struct idl *idl);
void idl_set_transport(struct idl *idl, idl_transport_fn *transport, void *arg);

/* Feeds one notification from dbd.events. */
void idl_handle_notification(struct idl *idl, const Vsw__Envelope *env);

/* Fetches a fresh snapshot now. Returns 0, or -1 (logged; the replica is then unsynced and the
 * next notification retries). */
int idl_sync(struct idl *idl);

/* What idl_sync() and idl_handle_notification() do with what dbd sent, for a caller that gets
 * it another way (unit tests): a snapshot as RFC 7047 <table-updates> text ({"T": {"uuid":
 * {"new": row}}}) replacing everything, or a change record of a transaction (docs/dbd.md).
 * Returns 0, or -1 (logged) when the text does not apply; then the replica is unsynced. */
int idl_load_snapshot(struct idl *idl, const char *table_updates);
int idl_apply_update(struct idl *idl, const char *record);

/* Forgets the change tracking: every row unchanged; deleted rows are freed. */
void idl_forget_changes(struct idl *idl);

/* The monitored rows of a table by name, as {"<uuid>": row}, built anew (caller frees), or
 * NULL if the table is not replicated. For tests and debugging. */
struct json *idl_table_json(const struct idl *idl, const char *table);

/* Sends RFC 7047 transact params (taken) and returns the result array in *result (caller frees)
 * or -1 with *error (malloc'd) describing a transport failure or the first failed operation.
 * The typed transactions below are built on it. */
int idl_transact(struct idl *idl, struct json *params, struct json **result, char **error);

/* ---- Typed transactions ---- */

enum idl_txn_status {
    IDL_TXN_UNCHANGED,   /* nothing to write (every value already as asked): nothing sent */
    IDL_TXN_SUCCESS,
    IDL_TXN_TRY_AGAIN,   /* a verified column changed meanwhile: read again, then retry */
    IDL_TXN_ERROR,
};

struct idl_txn;

struct idl_txn *idl_txn_create(struct idl *idl);
void idl_txn_destroy(struct idl_txn *txn);
void idl_txn_add_comment(struct idl_txn *txn, const char *comment);
/* Sends the transaction and waits for its result. Columns written with the value the replica
 * already holds are left out. *error (malloc'd) on IDL_TXN_ERROR and IDL_TXN_TRY_AGAIN. */
enum idl_txn_status idl_txn_commit(struct idl_txn *txn, char **error);
/* After IDL_TXN_SUCCESS, the UUID dbd gave to a row the transaction inserted. */
bool idl_txn_inserted_uuid(const struct idl_txn *txn, const struct idl_row *row,
                           struct uuid *uuid);

/* For the generated setters. `row` is a replica row or one idl_txn_insert() returned.
 * idl_txn_write() sets a whole column to the typed value at `values` (keys for a map) and
 * `map_values`, `n` elements: the layout of the column's members, one element per array slot
 * (for a column of exactly one value, `values` points at that value). Insertions and deletions
 * of one set element or one map key are mutations, applied after the writes of the same row. */
struct idl_row *idl_txn_insert(struct idl_txn *txn, const struct idl_table_class *table);
void idl_txn_delete(struct idl_txn *txn, const struct idl_row *row);
void idl_txn_write(struct idl_txn *txn, const struct idl_row *row, size_t column,
                   const void *values, const void *map_values, size_t n);
void idl_txn_set_add(struct idl_txn *txn, const struct idl_row *row, size_t column,
                     const void *element);
void idl_txn_set_remove(struct idl_txn *txn, const struct idl_row *row, size_t column,
                        const void *element);
void idl_txn_map_set(struct idl_txn *txn, const struct idl_row *row, size_t column,
                     const void *key, const void *value);
void idl_txn_map_remove(struct idl_txn *txn, const struct idl_row *row, size_t column,
                        const void *key);
/* Optimistic concurrency: the transaction fails with IDL_TXN_TRY_AGAIN unless `column` of `row`
 * still holds, when dbd runs it, the value the replica holds now (what a write depends on). */
void idl_txn_verify(struct idl_txn *txn, const struct idl_row *row, size_t column);

#endif
