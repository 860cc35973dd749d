/* Transactions: copy-on-write rows, rollback, and the commit checks.
 *
 * While a transaction is open, the tables (row maps and indexes) show its current state: rows
 * it inserted, its modified copies of committed rows, and no rows it deleted. Each row it
 * touches has a txn_row holding the committed version (old_row) and the current one (new_row),
 * so rolling back puts the old versions back and committing frees them: both cost in
 * proportion to the rows touched.
 *
 * Commit checks run in this order, each over touched rows only:
 *   1. drop modifications that changed nothing;
 *   2. reference counts: diff each changed row's strong references, old against new, and
 *      adjust the counts of the rows referenced (a new reference to a missing row fails);
 *   3. garbage collection: delete non-root rows whose count reached zero, transitively;
 *   4. a deleted row that is still referenced fails the transaction;
 *   5. weak references to deleted or missing rows are removed, from changed rows and (through
 *      the weak reference index) from untouched ones; a column left below its minimum fails;
 *   6. column sizes, table row limits, unique indexes;
 *   7. new _version UUIDs, and the change record. */
#include "ovsdb/db_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/xalloc.h"

struct txn_row {
    struct hmap_node node;       /* in txn->rows, by uuid_hash(&uuid) */
    struct db_table *table;
    struct uuid uuid;
    struct db_row *old_row;      /* committed version; NULL if inserted by this transaction */
    struct db_row *new_row;      /* current version; NULL if deleted; old_row if unchanged (a
                                  * row visited only for its reference count) */
    size_t n_refs;               /* strong references as the transaction leaves them; valid
                                  * from commit check 2 on */
    bool keep_version;           /* _version was given by a change record */
};

struct db_txn {
    struct db *db;
    struct hmap rows;            /* struct txn_row, by UUID */
    struct txn_row **list;       /* every txn_row, in creation order */
    size_t n, allocated;
    bool *inserted;              /* per table: a row was inserted (row limit to check) */
};

static bool row_changed(const struct txn_row *tr)
{
    return tr->old_row != tr->new_row;
}

static const char *uuid_str(const struct uuid *uuid, char buf[UUID_STRING_LEN + 1])
{
    uuid_to_string(uuid, buf);
    return buf;
}

/* ---- txn rows ---- */

struct db_txn *db_txn_begin(struct db *db)
{
    if (db->txn)
        abort();   /* one transaction at a time: a caller bug */
    struct db_txn *txn = xzalloc(sizeof *txn);
    txn->db = db;
    hmap_init(&txn->rows);
    txn->inserted = xzalloc(db->schema->n_tables * sizeof *txn->inserted);
    db->txn = txn;
    return txn;
}

static struct txn_row *find_txn_row(const struct db_txn *txn, const struct db_table *table,
                                    const struct uuid *uuid)
{
    for (struct hmap_node *node = hmap_first_with_hash(&txn->rows, uuid_hash(uuid)); node;
         node = hmap_next_with_hash(node)) {
        struct txn_row *tr = CONTAINER_OF(node, struct txn_row, node);
        if (tr->table == table && uuid_equals(&tr->uuid, uuid))
            return tr;
    }
    return NULL;
}

static struct txn_row *add_txn_row(struct db_txn *txn, struct db_table *table,
                                   struct db_row *old_row, struct db_row *new_row)
{
    struct txn_row *tr = xzalloc(sizeof *tr);
    tr->table = table;
    tr->uuid = *db_row_uuid(old_row ? old_row : new_row);
    tr->old_row = old_row;
    tr->new_row = new_row;
    tr->n_refs = old_row ? old_row->n_refs : 0;
    if (old_row)
        old_row->txn_row = tr;
    if (new_row)
        new_row->txn_row = tr;
    hmap_insert(&txn->rows, &tr->node, uuid_hash(&tr->uuid));
    if (txn->n == txn->allocated) {
        txn->allocated = txn->allocated ? txn->allocated * 2 : 64;
        txn->list = realloc(txn->list, txn->allocated * sizeof *txn->list);
        if (!txn->list)
            abort();
    }
    txn->list[txn->n++] = tr;
    return tr;
}

bool db_txn_uuid_used(const struct db_txn *txn, const struct db_table *table,
                      const struct uuid *uuid)
{
    return find_txn_row(txn, table, uuid) != NULL;
}

void db_txn_insert(struct db_txn *txn, struct db_row *row)
{
    db_table_add(row->table, row);
    add_txn_row(txn, row->table, NULL, row);
    txn->inserted[row->table->schema->index] = true;
}

struct db_row *db_txn_modify(struct db_txn *txn, struct db_row *row)
{
    struct txn_row *tr = row->txn_row;
    if (tr && tr->new_row == row && row_changed(tr))
        return row;   /* already this transaction's own version */
    struct db_row *copy = db_row_clone(row);
    db_table_replace(row->table, row, copy);
    if (tr)
        tr->new_row = copy;
    else
        add_txn_row(txn, row->table, row, copy);
    copy->txn_row = row->txn_row;
    return copy;
}

void db_txn_delete(struct db_txn *txn, struct db_row *row)
{
    struct txn_row *tr = row->txn_row;
    db_table_remove(row->table, row);
    if (!tr) {
        add_txn_row(txn, row->table, row, NULL);
        return;
    }
    if (row_changed(tr))
        db_row_free(row);   /* the transaction's own copy: nothing else points at it */
    tr->new_row = NULL;
}

void db_txn_keep_version(struct db_txn *txn, struct db_row *row)
{
    (void)txn;
    if (row->txn_row)
        row->txn_row->keep_version = true;
}

static void txn_free(struct db_txn *txn)
{
    for (size_t i = 0; i < txn->n; i++)
        free(txn->list[i]);
    free(txn->list);
    hmap_destroy(&txn->rows);
    free(txn->inserted);
    txn->db->txn = NULL;
    free(txn);
}

void db_txn_abort(struct db_txn *txn)
{
    for (size_t i = txn->n; i-- > 0;) {
        struct txn_row *tr = txn->list[i];
        if (tr->new_row && row_changed(tr)) {
            db_table_remove(tr->table, tr->new_row);
            db_row_free(tr->new_row);
        }
        if (tr->old_row) {
            if (row_changed(tr))
                db_table_add(tr->table, tr->old_row);
            tr->old_row->txn_row = NULL;
        }
    }
    txn_free(txn);
}

/* ---- 1. modifications that changed nothing ---- */

static void drop_noop_modifications(struct db_txn *txn)
{
    for (size_t i = 0; i < txn->n; i++) {
        struct txn_row *tr = txn->list[i];
        if (!tr->old_row || !tr->new_row || !row_changed(tr) || tr->keep_version ||
            !db_row_equals(tr->old_row, tr->new_row))
            continue;
        db_table_replace(tr->table, tr->new_row, tr->old_row);
        db_row_free(tr->new_row);
        tr->new_row = tr->old_row;
    }
}

/* ---- 2. reference counts ---- */

/* The txn_row of the row `uuid` of `table`, creating one (unchanged) for a committed row the
 * transaction has not touched yet. NULL if there is no such row, current or deleted. */
static struct txn_row *ref_target(struct db_txn *txn, const struct db_table_schema *schema,
                                  const struct uuid *uuid)
{
    struct db_table *table = &txn->db->tables[schema->index];
    struct txn_row *tr = find_txn_row(txn, table, uuid);
    if (tr)
        return tr;
    struct db_row *row = db_table_find(table, uuid);
    return row ? add_txn_row(txn, table, row, row) : NULL;
}

static struct db_error *dangling_ref(const struct txn_row *src, const struct db_column_schema *column,
                                     const struct db_table_schema *dst_table,
                                     const struct uuid *dst, bool deleted)
{
    char a[UUID_STRING_LEN + 1], b[UUID_STRING_LEN + 1];
    return db_error_create(
        DB_ERR_REFERENTIAL, "table %s column %s row %s references %s row %s in table %s%s",
        src->table->schema->name, column->name, uuid_str(&src->uuid, a),
        deleted ? "deleted" : "nonexistent", uuid_str(dst, b), dst_table->name,
        uuid_is_zero(dst) ? " (the column's default: it must be given a value)" : "");
}

static struct db_error *add_ref(struct db_txn *txn, const struct txn_row *src,
                                const struct db_column_schema *column,
                                const struct db_table_schema *dst_table, const struct uuid *dst)
{
    struct txn_row *target = ref_target(txn, dst_table, dst);
    if (!target || !target->new_row)
        return dangling_ref(src, column, dst_table, dst, target != NULL);
    target->n_refs++;
    return NULL;
}

/* Drops one reference to `dst`; returns its txn_row (NULL if the row does not exist, which a
 * consistent database never has). */
static struct txn_row *drop_ref(struct db_txn *txn, const struct db_table_schema *dst_table,
                                const struct uuid *dst)
{
    struct txn_row *target = ref_target(txn, dst_table, dst);
    if (target && target->n_refs)
        target->n_refs--;
    return target;
}

static int compare_uuids(const void *a, const void *b)
{
    return uuid_compare(a, b);
}

/* The UUIDs in `atoms` (n of them), sorted, into a malloc'd array. Keys of a datum are sorted
 * already (UUID atoms order as uuid_compare() does); map values need sorting. */
static struct uuid *sorted_uuids(const union db_atom *atoms, size_t n, bool sorted)
{
    struct uuid *uuids = xzalloc(n * sizeof *uuids);
    for (size_t i = 0; i < n; i++)
        uuids[i] = atoms[i].uuid;
    if (!sorted)
        qsort(uuids, n, sizeof *uuids, compare_uuids);
    return uuids;
}

/* Adjusts counts for one reference-holding part (keys or values) of a column that changed
 * from `old_atoms` to `new_atoms`: a merge of the two sorted lists, so a set of a thousand
 * ports that gained one costs one increment. */
static struct db_error *diff_refs(struct db_txn *txn, const struct txn_row *src,
                                  const struct db_column_schema *column,
                                  const struct db_table_schema *dst_table,
                                  const union db_atom *old_atoms, size_t n_old,
                                  const union db_atom *new_atoms, size_t n_new, bool keys)
{
    struct uuid *o = sorted_uuids(old_atoms, n_old, keys);
    struct uuid *n = sorted_uuids(new_atoms, n_new, keys);
    struct db_error *error = NULL;
    size_t i = 0, j = 0;
    while (!error && (i < n_old || j < n_new)) {
        int c = i >= n_old ? 1 : j >= n_new ? -1 : uuid_compare(&o[i], &n[j]);
        if (c < 0)
            drop_ref(txn, dst_table, &o[i++]);
        else if (c > 0)
            error = add_ref(txn, src, column, dst_table, &n[j++]);
        else
            i++, j++;
    }
    free(o);
    free(n);
    return error;
}

static struct db_error *count_row_refs(struct db_txn *txn, const struct txn_row *tr)
{
    const struct db_table_schema *schema = tr->table->schema;
    for (size_t i = 0; i < schema->n_ref_columns; i++) {
        const struct db_column_schema *column = &schema->columns[schema->ref_columns[i]];
        const struct db_type *type = &column->type;
        static const struct db_datum empty;
        const struct db_datum *od = tr->old_row ? &tr->old_row->fields[column->index] : &empty;
        const struct db_datum *nd = tr->new_row ? &tr->new_row->fields[column->index] : &empty;
        if (od != &empty && nd != &empty && db_datum_equals(od, nd, type))
            continue;
        struct db_error *error = NULL;
        if (db_base_type_is_strong_ref(&type->key))
            error = diff_refs(txn, tr, column, type->key.ref_table, od->keys, od->n, nd->keys,
                              nd->n, true);
        if (!error && db_base_type_is_strong_ref(&type->value))
            error = diff_refs(txn, tr, column, type->value.ref_table, od->values, od->n,
                              nd->values, nd->n, false);
        if (error)
            return error;
    }
    return NULL;
}

static struct db_error *count_refs(struct db_txn *txn)
{
    /* Rows appended while counting are unchanged ones, which have nothing to diff. */
    for (size_t i = 0; i < txn->n; i++) {
        struct txn_row *tr = txn->list[i];
        if (!row_changed(tr))
            continue;
        struct db_error *error = count_row_refs(txn, tr);
        if (error)
            return error;
    }
    return NULL;
}

/* ---- 3. garbage collection ---- */

struct worklist {
    struct txn_row **rows;
    size_t n, allocated;
};

static void worklist_push(struct worklist *w, struct txn_row *tr)
{
    if (w->n == w->allocated) {
        w->allocated = w->allocated ? w->allocated * 2 : 64;
        w->rows = realloc(w->rows, w->allocated * sizeof *w->rows);
        if (!w->rows)
            abort();
    }
    w->rows[w->n++] = tr;
}

static bool is_garbage(const struct txn_row *tr)
{
    return tr && tr->new_row && !tr->n_refs && !tr->table->schema->is_root;
}

/* Drops the strong references the deleted row held, queueing rows left unreferenced. */
static void release_refs(struct db_txn *txn, const struct db_row *row, struct worklist *w)
{
    const struct db_table_schema *schema = row->table->schema;
    for (size_t i = 0; i < schema->n_ref_columns; i++) {
        const struct db_column_schema *column = &schema->columns[schema->ref_columns[i]];
        const struct db_datum *datum = &row->fields[column->index];
        const struct db_type *type = &column->type;
        for (size_t j = 0; j < datum->n; j++) {
            struct txn_row *target = NULL;
            if (db_base_type_is_strong_ref(&type->key)) {
                target = drop_ref(txn, type->key.ref_table, &datum->keys[j].uuid);
                if (is_garbage(target))
                    worklist_push(w, target);
            }
            if (db_base_type_is_strong_ref(&type->value)) {
                target = drop_ref(txn, type->value.ref_table, &datum->values[j].uuid);
                if (is_garbage(target))
                    worklist_push(w, target);
            }
        }
    }
}

static void collect_garbage(struct db_txn *txn)
{
    struct worklist w = { NULL, 0, 0 };
    for (size_t i = 0; i < txn->n; i++)
        if (is_garbage(txn->list[i]))
            worklist_push(&w, txn->list[i]);
    while (w.n) {
        struct txn_row *tr = w.rows[--w.n];
        if (!is_garbage(tr))
            continue;   /* queued twice, or already deleted */
        release_refs(txn, tr->new_row, &w);
        db_txn_delete(txn, tr->new_row);
    }
    free(w.rows);
}

/* ---- 4. deleted rows still referenced ---- */

static struct db_error *check_deleted_unreferenced(const struct db_txn *txn)
{
    for (size_t i = 0; i < txn->n; i++) {
        const struct txn_row *tr = txn->list[i];
        if (tr->old_row && !tr->new_row && tr->n_refs) {
            char u[UUID_STRING_LEN + 1];
            return db_error_create(DB_ERR_REFERENTIAL, "cannot delete %s row %s because of %zu "
                                   "remaining reference(s)", tr->table->schema->name,
                                   uuid_str(&tr->uuid, u), tr->n_refs);
        }
    }
    return NULL;
}

/* ---- 5. weak references ---- */

static bool row_exists(const struct db *db, const struct db_table_schema *table,
                       const struct uuid *uuid)
{
    return db_table_find(&db->tables[table->index], uuid) != NULL;
}

/* Whether element `i` of `datum` holds a weak reference to a row that no longer exists. */
static bool dangling_weak(const struct db *db, const struct db_type *type,
                          const struct db_datum *datum, size_t i)
{
    return (db_base_type_is_weak_ref(&type->key) &&
            !row_exists(db, type->key.ref_table, &datum->keys[i].uuid)) ||
           (db_base_type_is_weak_ref(&type->value) &&
            !row_exists(db, type->value.ref_table, &datum->values[i].uuid));
}

static size_t count_dangling_weak(const struct db *db, const struct db_row *row,
                                  const struct db_column_schema *column)
{
    const struct db_datum *datum = &row->fields[column->index];
    size_t n = 0;
    for (size_t i = 0; i < datum->n; i++)
        n += dangling_weak(db, &column->type, datum, i);
    return n;
}

static struct db_error *purge_column(struct db_txn *txn, struct db_row **rowp,
                                     const struct db_column_schema *column)
{
    size_t n = count_dangling_weak(txn->db, *rowp, column);
    if (!n)
        return NULL;
    struct db_row *row = *rowp = db_txn_modify(txn, *rowp);
    struct db_datum *datum = &row->fields[column->index];
    for (size_t i = datum->n; i-- > 0;)
        if (dangling_weak(txn->db, &column->type, datum, i))
            db_datum_remove_at(datum, i, &column->type);
    if (datum->n >= column->type.n_min)
        return NULL;
    char u[UUID_STRING_LEN + 1];
    return db_error_create(DB_ERR_CONSTRAINT, "removing %zu weak reference(s) to deleted or "
                           "nonexistent rows left column %s of %s row %s with %zu element(s), "
                           "fewer than the minimum %u", n, column->name, column->table->name,
                           uuid_str(db_row_uuid(row), u), datum->n, column->type.n_min);
}

/* Removes from `row` (a current row) its weak references to rows that do not exist. */
static struct db_error *purge_weak_refs(struct db_txn *txn, struct db_row *row)
{
    const struct db_table_schema *schema = row->table->schema;
    for (size_t i = 0; i < schema->n_ref_columns; i++) {
        const struct db_column_schema *column = &schema->columns[schema->ref_columns[i]];
        if (!db_base_type_is_weak_ref(&column->type.key) &&
            !db_base_type_is_weak_ref(&column->type.value))
            continue;
        struct db_error *error = purge_column(txn, &row, column);
        if (error)
            return error;
    }
    return NULL;
}

/* Untouched rows holding weak references to the deleted row `tr`, found through the index. */
static struct db_error *purge_referrers(struct db_txn *txn, const struct txn_row *tr)
{
    struct db *db = txn->db;
    const struct uuid *dst = &tr->uuid;
    for (struct hmap_node *node = hmap_first_with_hash(&db->weak_refs, uuid_hash(dst)); node;
         node = hmap_next_with_hash(node)) {
        struct db_weak_ref *ref = CONTAINER_OF(node, struct db_weak_ref, node);
        if (ref->dst_table != tr->table->schema || !uuid_equals(&ref->dst, dst))
            continue;
        struct db_row *src = db_table_find(&db->tables[ref->src_table->index], &ref->src);
        struct db_error *error = src ? purge_weak_refs(txn, src) : NULL;
        if (error)
            return error;
    }
    return NULL;
}

static struct db_error *remove_weak_refs(struct db_txn *txn)
{
    if (!hmap_count(&txn->db->weak_refs) && !txn->n)
        return NULL;
    for (size_t i = 0; i < txn->n; i++) {
        const struct txn_row *tr = txn->list[i];
        struct db_error *error = NULL;
        if (tr->old_row && !tr->new_row)
            error = purge_referrers(txn, tr);
        else if (tr->new_row && row_changed(tr))
            error = purge_weak_refs(txn, tr->new_row);
        if (error)
            return error;
    }
    return NULL;
}

/* ---- 6. sizes, row limits, unique indexes ---- */

static struct db_error *check_sizes(const struct txn_row *tr)
{
    const struct db_table_schema *schema = tr->table->schema;
    for (size_t c = DB_N_META_COLUMNS; c < schema->n_columns; c++) {
        const struct db_column_schema *column = &schema->columns[c];
        struct db_error *error = db_datum_check_size(&tr->new_row->fields[c], &column->type);
        if (error) {
            char u[UUID_STRING_LEN + 1];
            return db_error_wrap(error, "table %s column %s row %s", schema->name, column->name,
                                 uuid_str(&tr->uuid, u));
        }
    }
    return NULL;
}

static struct db_error *check_max_rows(const struct db_txn *txn)
{
    for (size_t t = 0; t < txn->db->schema->n_tables; t++) {
        const struct db_table *table = &txn->db->tables[t];
        size_t n = hmap_count(&table->rows);
        if (txn->inserted[t] && n > table->schema->max_rows)
            return db_error_create(DB_ERR_CONSTRAINT, "transaction causes table %s to contain "
                                   "%zu rows, more than the schema's limit of %u",
                                   table->schema->name, n, table->schema->max_rows);
    }
    return NULL;
}

/* "(name) = \"br0\"" or "(id, bridge) = (1, [\"uuid\", ...])", for index violations. */
static char *index_description(const struct db_row *row, const struct db_index_schema *index)
{
    char *names = strdup(""), *values = strdup(""), *s;
    if (!names || !values)
        abort();
    for (size_t i = 0; i < index->n_columns; i++) {
        const struct db_column_schema *column = index->columns[i];
        struct json *json = db_datum_to_json(&row->fields[column->index], &column->type);
        char *value = json_to_string(json), *n, *v;
        json_free(json);
        if (asprintf(&n, "%s%s%s", names, i ? ", " : "", column->name) < 0 ||
            asprintf(&v, "%s%s%s", values, i ? ", " : "", value) < 0)
            abort();
        free(value);
        free(names);
        free(values);
        names = n;
        values = v;
    }
    bool one = index->n_columns == 1;
    if (asprintf(&s, "(%s) = %s%s%s", names, one ? "" : "(", values, one ? "" : ")") < 0)
        abort();
    free(names);
    free(values);
    return s;
}

static struct db_error *check_index(const struct db_table *table, const struct db_row *row,
                                    size_t i)
{
    const struct db_index_schema *index = &table->schema->indexes[i];
    const struct hmap_node *node = &row->index_nodes[i].node;
    for (struct hmap_node *other = hmap_first_with_hash(&table->indexes[i], node->hash); other;
         other = hmap_next_with_hash(other)) {
        const struct db_row *dup = CONTAINER_OF(other, struct db_index_node, node)->row;
        if (dup == row || !db_index_rows_equal(row, dup, index))
            continue;
        char a[UUID_STRING_LEN + 1], b[UUID_STRING_LEN + 1];
        char *what = index_description(row, index);
        struct db_error *error = db_error_create(
            DB_ERR_CONSTRAINT, "transaction causes rows %s and %s of table %s to have the "
            "same value in unique index %s", uuid_str(db_row_uuid(dup), a),
            uuid_str(db_row_uuid(row), b), table->schema->name, what);
        free(what);
        return error;
    }
    return NULL;
}

static struct db_error *check_indexes(const struct txn_row *tr)
{
    const struct db_table_schema *schema = tr->table->schema;
    for (size_t i = 0; i < schema->n_indexes; i++) {
        if (tr->old_row && db_index_rows_equal(tr->old_row, tr->new_row, &schema->indexes[i]))
            continue;   /* unchanged: it was unique before */
        struct db_error *error = check_index(tr->table, tr->new_row, i);
        if (error)
            return error;
    }
    return NULL;
}

static struct db_error *check_rows(const struct db_txn *txn)
{
    for (size_t i = 0; i < txn->n; i++) {
        const struct txn_row *tr = txn->list[i];
        if (!tr->new_row || !row_changed(tr))
            continue;
        struct db_error *error = check_sizes(tr);
        if (!error)
            error = check_indexes(tr);
        if (error)
            return error;
    }
    return check_max_rows(txn);
}

/* ---- 7. versions and the change record ---- */

static void assign_versions(struct db_txn *txn)
{
    for (size_t i = 0; i < txn->n; i++) {
        struct txn_row *tr = txn->list[i];
        if (tr->new_row && row_changed(tr) && !tr->keep_version)
            uuid_generate(&txn->db->uuids, &tr->new_row->meta[DB_COLUMN_VERSION].uuid);
    }
}

static bool in_record(const struct txn_row *tr)
{
    return row_changed(tr) && (tr->old_row || tr->new_row);   /* not inserted then deleted */
}

/* Appends the record's rows of table `t`; returns whether there were any. With `undo`, the
 * changes that take each row back: a deleted row in full, an inserted one deleted, a modified
 * one from its new version to its old. */
static bool append_table_changes(const struct db_txn *txn, size_t t, bool first, bool undo,
                                 struct db_text *text)
{
    const char *name = txn->db->schema->tables[t].name;
    bool any = false;
    for (size_t i = 0; i < txn->n; i++) {
        const struct txn_row *tr = txn->list[i];
        if (tr->table->schema->index != t || !in_record(tr))
            continue;
        if (!any) {
            db_text_put(text, first ? "" : ",", first ? 0 : 1);
            json_append_string(&text->s, &text->len, &text->cap, name, strlen(name));
            db_text_put(text, ":{", 2);
        } else {
            db_text_put(text, ",", 1);
        }
        any = true;
        const struct db_row *from = undo ? tr->new_row : tr->old_row;
        const struct db_row *to = undo ? tr->old_row : tr->new_row;
        if (from && to)
            db_row_append_change(text, from, to);
        else if (to)
            db_row_append_record(text, to);
        else
            db_row_append_deleted(text, &tr->uuid);
    }
    if (any)
        db_text_put(text, "}", 1);
    return any;
}

/* The change record (tables in schema order, rows in the order the transaction touched them),
 * or NULL if nothing changed; with `undo`, the record that reverses it. */
static char *change_record(const struct db_txn *txn, bool undo)
{
    size_t n_tables = txn->db->schema->n_tables;
    bool *touched = xzalloc(n_tables * sizeof *touched), any = false;
    for (size_t i = 0; i < txn->n; i++)
        if (in_record(txn->list[i]))
            any = touched[txn->list[i]->table->schema->index] = true;
    struct db_text text = { NULL, 0, 0 };
    if (any) {
        bool first = true;
        db_text_put(&text, "{", 1);
        for (size_t t = 0; t < n_tables; t++)
            if (touched[t] && append_table_changes(txn, t, first, undo, &text))
                first = false;
        db_text_put(&text, "}", 1);
    }
    free(touched);
    return text.s;
}

struct db_error *db_txn_precommit(struct db_txn *txn, char **record, char **undo)
{
    if (record)
        *record = NULL;
    if (undo)
        *undo = NULL;
    drop_noop_modifications(txn);
    struct db_error *error = count_refs(txn);
    if (error)
        return error;
    collect_garbage(txn);
    error = check_deleted_unreferenced(txn);
    if (!error)
        error = remove_weak_refs(txn);
    if (!error)
        error = check_rows(txn);
    if (error)
        return error;
    assign_versions(txn);
    if (record)
        *record = change_record(txn, false);
    if (undo)
        *undo = change_record(txn, true);
    return NULL;
}

/* ---- commit ---- */

void db_txn_commit(struct db_txn *txn)
{
    struct db *db = txn->db;
    for (size_t i = 0; i < txn->n; i++) {
        struct txn_row *tr = txn->list[i];
        if (row_changed(tr)) {
            if (tr->old_row && tr->old_row->table->schema->n_ref_columns)
                db_weak_refs_remove(db, tr->old_row);
            if (tr->new_row && tr->new_row->table->schema->n_ref_columns)
                db_weak_refs_add(db, tr->new_row);
            db_row_free(tr->old_row);
        }
        if (tr->new_row) {
            tr->new_row->n_refs = tr->n_refs;
            tr->new_row->txn_row = NULL;
        }
    }
    txn_free(txn);
}
