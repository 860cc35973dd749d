/* The engine's internals, shared by db.c (rows, tables, records), txn.c (the transaction:
 * copy-on-write rows, rollback, commit checks) and execute.c (RFC 7047 operations). */
#ifndef VSW_OVSDB_DB_PRIVATE_H
#define VSW_OVSDB_DB_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ovsdb/db.h"
#include "ovsdb/hmap.h"
#include "ovsdb/uuid.h"

struct db_txn;
struct txn_row;
struct json;

/* A row's entry in one unique index of its table. */
struct db_index_node {
    struct hmap_node node;   /* hash of the row's values in the index columns */
    struct db_row *row;
};

/* One version of a row. Committed versions are never modified: a transaction that changes a
 * row works on a copy (see txn.c), so rolling back only means putting the old version back. */
struct db_row {
    struct hmap_node node;          /* in table->rows, by uuid_hash() */
    struct db_table *table;
    struct txn_row *txn_row;        /* the open transaction's record of this row, or NULL */
    size_t n_refs;                  /* committed strong references to this row */
    struct db_index_node *index_nodes;   /* one per table index; stored after `fields` */
    union db_atom meta[DB_N_META_COLUMNS];   /* _uuid, _version */
    /* One value per column of the table schema. fields[DB_COLUMN_UUID] and [DB_COLUMN_VERSION]
     * are views of `meta` (they own nothing), so conditions and output treat every column
     * alike. */
    struct db_datum fields[];
};

struct db_table {
    const struct db_table_schema *schema;
    /* The current rows: during a transaction, the versions it has made (inserted and modified
     * rows), untouched committed rows otherwise. */
    struct hmap rows;
    struct hmap *indexes;           /* one per schema index, of struct db_index_node */
};

/* "Row `src` in `src_table` holds a weak reference to row `dst` in `dst_table`." Committed
 * references only, one entry per occurrence, hashed by `dst`: deleting a row finds the rows
 * that must drop their references to it without scanning. */
struct db_weak_ref {
    struct hmap_node node;
    struct uuid dst, src;
    const struct db_table_schema *dst_table, *src_table;
};

struct db {
    const struct db_schema *schema;
    struct db_table *tables;        /* parallel to schema->tables */
    struct hmap weak_refs;          /* struct db_weak_ref */
    struct uuid_generator uuids;
    struct db_txn *txn;             /* the open transaction, or NULL */
};

/* ---- rows and tables (db.c) ---- */

static inline const struct uuid *db_row_uuid(const struct db_row *row)
{
    return &row->meta[DB_COLUMN_UUID].uuid;
}

/* A new row of `table` with every column at its default. Not in any table yet. */
struct db_row *db_row_create(struct db_table *table, const struct uuid *uuid);
/* A deep copy (not in any table; txn_row and n_refs copied as well). */
struct db_row *db_row_clone(const struct db_row *row);
void db_row_free(struct db_row *row);
bool db_row_equals(const struct db_row *a, const struct db_row *b);

struct db_row *db_table_find(const struct db_table *table, const struct uuid *uuid);
/* Adds `row` to the table's row map and indexes. */
void db_table_add(struct db_table *table, struct db_row *row);
void db_table_remove(struct db_table *table, struct db_row *row);
/* Puts `new_row` (a copy of `old_row`, same key values) in old_row's place everywhere. */
void db_table_replace(struct db_table *table, struct db_row *old_row, struct db_row *new_row);
/* Re-files `row` in the indexes after its values changed. */
void db_table_reindex(struct db_table *table, struct db_row *row);

size_t db_index_hash_row(const struct db_row *row, const struct db_index_schema *index);
bool db_index_rows_equal(const struct db_row *a, const struct db_row *b,
                         const struct db_index_schema *index);

/* A row as JSON: the given columns (all columns if `columns` is NULL); with `skip_defaults`,
 * only the columns whose value is not the default. Caller frees. */
struct json *db_row_to_json(const struct db_row *row, const struct db_column_schema *const *columns,
                            size_t n_columns, bool skip_defaults);
/* A growing text buffer for writing change records directly as JSON text. */
struct db_text {
    char *s;          /* malloc'd, NUL-terminated once anything was written */
    size_t len, cap;
};

void db_text_put(struct db_text *text, const char *s, size_t n);
/* Appends "<uuid>":{...} as a change record holds `row`: its non-default columns and
 * "_version". */
void db_row_append_record(struct db_text *text, const struct db_row *row);
/* Appends "<uuid>":["modify",{...},{...}]: the change from `old` to `row` (the same row before
 * and after a transaction). The first object holds the new values of the changed columns that
 * are not sets or maps, and "_version"; the second the differences of the changed set and map
 * columns (db_datum_append_diff_json()). So a row's record costs what changed in it, not its
 * size: adding one port to a bridge of a thousand records one UUID, not a thousand. */
void db_row_append_change(struct db_text *text, const struct db_row *old,
                          const struct db_row *row);
/* Appends "<uuid>":null. */
void db_row_append_deleted(struct db_text *text, const struct uuid *uuid);

/* The rows of `table` sorted by UUID, so that equal databases serialize identically. The array
 * (not the rows) is malloc'd; the caller frees it. */
struct db_row **db_table_sorted_rows(const struct db_table *table);

/* Hands `message` (malloc'd) to the caller through `error`, or frees it if `error` is NULL. */
void db_set_error(char **error, char *message);

/* Adds to / removes from db->weak_refs the weak references `row` holds. */
void db_weak_refs_add(struct db *db, const struct db_row *row);
void db_weak_refs_remove(struct db *db, const struct db_row *row);

/* ---- transactions (txn.c) ---- */

struct db_txn *db_txn_begin(struct db *db);
/* Inserts `row` (fresh from db_row_create()). */
void db_txn_insert(struct db_txn *txn, struct db_row *row);
/* Returns a version of `row` (a current row) that the transaction may modify. */
struct db_row *db_txn_modify(struct db_txn *txn, struct db_row *row);
/* Deletes `row` (a current row). */
void db_txn_delete(struct db_txn *txn, struct db_row *row);
/* True if the transaction has already used `uuid` in `table` (inserted, modified or deleted a
 * row with it): such a UUID may not be reused for an insert. */
bool db_txn_uuid_used(const struct db_txn *txn, const struct db_table *table,
                      const struct uuid *uuid);
/* Marks `row`'s _version as given (by a change record) rather than to be generated. */
void db_txn_keep_version(struct db_txn *txn, struct db_row *row);

/* Runs the commit checks (references, garbage collection, weak references, sizes, row limits,
 * unique indexes). On success returns NULL and, if `record` is non-NULL, sets *record to the
 * change record (NULL if nothing changed), and if `undo` is non-NULL, *undo to the record that
 * reverses it (see db_transact_undoable()); the transaction is then ready for db_txn_commit().
 * On failure returns the error; the caller must db_txn_abort(). */
struct db_error *db_txn_precommit(struct db_txn *txn, char **record, char **undo);
void db_txn_commit(struct db_txn *txn);
void db_txn_abort(struct db_txn *txn);

#endif
