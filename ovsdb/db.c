/* The database: rows, tables, change records (snapshots) and monitor snapshots. Transactions are
 * in txn.c, RFC 7047 operations in execute.c, applying change records and converting between
 * schema versions in replay.c (both build on transactions, which build on this file). */
#include "ovsdb/db_private.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/xalloc.h"

/* ---- rows ---- */

/* Points the _uuid and _version fields at the row's own atoms. */
static void bind_meta(struct db_row *row)
{
    for (size_t i = 0; i < DB_N_META_COLUMNS; i++) {
        row->fields[i].n = 1;
        row->fields[i].keys = &row->meta[i];
        row->fields[i].values = NULL;
    }
}

static size_t row_size(const struct db_table_schema *schema)
{
    return sizeof(struct db_row) + schema->n_columns * sizeof(struct db_datum) +
           schema->n_indexes * sizeof(struct db_index_node);
}

static struct db_row *row_alloc(struct db_table *table)
{
    const struct db_table_schema *schema = table->schema;
    struct db_row *row = xzalloc(row_size(schema));
    row->table = table;
    if (schema->n_indexes) {
        row->index_nodes = (struct db_index_node *)(void *)&row->fields[schema->n_columns];
        for (size_t i = 0; i < schema->n_indexes; i++)
            row->index_nodes[i].row = row;
    }
    bind_meta(row);
    return row;
}

struct db_row *db_row_create(struct db_table *table, const struct uuid *uuid)
{
    struct db_row *row = row_alloc(table);
    row->meta[DB_COLUMN_UUID].uuid = *uuid;
    for (size_t c = DB_N_META_COLUMNS; c < table->schema->n_columns; c++)
        db_datum_init_default(&row->fields[c], &table->schema->columns[c].type);
    return row;
}

struct db_row *db_row_clone(const struct db_row *row)
{
    const struct db_table_schema *schema = row->table->schema;
    struct db_row *copy = row_alloc(row->table);
    copy->txn_row = row->txn_row;
    copy->n_refs = row->n_refs;
    memcpy(copy->meta, row->meta, sizeof copy->meta);
    for (size_t c = DB_N_META_COLUMNS; c < schema->n_columns; c++)
        db_datum_clone(&copy->fields[c], &row->fields[c], &schema->columns[c].type);
    return copy;
}

void db_row_free(struct db_row *row)
{
    if (!row)
        return;
    const struct db_table_schema *schema = row->table->schema;
    for (size_t c = DB_N_META_COLUMNS; c < schema->n_columns; c++)
        db_datum_destroy(&row->fields[c], &schema->columns[c].type);
    free(row);
}

bool db_row_equals(const struct db_row *a, const struct db_row *b)
{
    const struct db_table_schema *schema = a->table->schema;
    for (size_t c = DB_N_META_COLUMNS; c < schema->n_columns; c++)
        if (!db_datum_equals(&a->fields[c], &b->fields[c], &schema->columns[c].type))
            return false;
    return true;
}

/* ---- tables and indexes ---- */

size_t db_index_hash_row(const struct db_row *row, const struct db_index_schema *index)
{
    size_t hash = 0;
    for (size_t i = 0; i < index->n_columns; i++) {
        const struct db_column_schema *column = index->columns[i];
        hash = db_datum_hash(&row->fields[column->index], &column->type, hash);
    }
    return hash;
}

bool db_index_rows_equal(const struct db_row *a, const struct db_row *b,
                         const struct db_index_schema *index)
{
    for (size_t i = 0; i < index->n_columns; i++) {
        const struct db_column_schema *column = index->columns[i];
        if (!db_datum_equals(&a->fields[column->index], &b->fields[column->index],
                             &column->type))
            return false;
    }
    return true;
}

struct db_row *db_table_find(const struct db_table *table, const struct uuid *uuid)
{
    for (struct hmap_node *node = hmap_first_with_hash(&table->rows, uuid_hash(uuid)); node;
         node = hmap_next_with_hash(node)) {
        struct db_row *row = CONTAINER_OF(node, struct db_row, node);
        if (uuid_equals(db_row_uuid(row), uuid))
            return row;
    }
    return NULL;
}

void db_table_add(struct db_table *table, struct db_row *row)
{
    hmap_insert(&table->rows, &row->node, uuid_hash(db_row_uuid(row)));
    for (size_t i = 0; i < table->schema->n_indexes; i++)
        hmap_insert(&table->indexes[i], &row->index_nodes[i].node,
                    db_index_hash_row(row, &table->schema->indexes[i]));
}

void db_table_remove(struct db_table *table, struct db_row *row)
{
    hmap_remove(&table->rows, &row->node);
    for (size_t i = 0; i < table->schema->n_indexes; i++)
        hmap_remove(&table->indexes[i], &row->index_nodes[i].node);
}

void db_table_replace(struct db_table *table, struct db_row *old_row, struct db_row *new_row)
{
    hmap_replace(&table->rows, &old_row->node, &new_row->node);
    for (size_t i = 0; i < table->schema->n_indexes; i++)
        hmap_replace(&table->indexes[i], &old_row->index_nodes[i].node,
                     &new_row->index_nodes[i].node);
}

void db_table_reindex(struct db_table *table, struct db_row *row)
{
    for (size_t i = 0; i < table->schema->n_indexes; i++) {
        struct hmap_node *node = &row->index_nodes[i].node;
        size_t hash = db_index_hash_row(row, &table->schema->indexes[i]);
        if (hash == node->hash)
            continue;
        hmap_remove(&table->indexes[i], node);
        hmap_insert(&table->indexes[i], node, hash);
    }
}

/* ---- rows as JSON ---- */

struct json *db_row_to_json(const struct db_row *row, const struct db_column_schema *const *columns,
                            size_t n_columns, bool skip_defaults)
{
    const struct db_table_schema *schema = row->table->schema;
    struct json *object = json_object_new();
    size_t n = columns ? n_columns : schema->n_columns;
    for (size_t i = 0; i < n; i++) {
        const struct db_column_schema *column = columns ? columns[i] : &schema->columns[i];
        const struct db_datum *datum = &row->fields[column->index];
        if (skip_defaults && db_datum_is_default(datum, &column->type))
            continue;
        json_object_put(object, column->name, db_datum_to_json(datum, &column->type));
    }
    return object;
}

void db_text_put(struct db_text *text, const char *s, size_t n)
{
    if (text->len + n + 1 > text->cap) {
        size_t cap = text->cap ? text->cap * 2 : 4096;
        while (cap < text->len + n + 1)
            cap *= 2;
        text->s = realloc(text->s, cap);
        if (!text->s)
            abort();
        text->cap = cap;
    }
    memcpy(text->s + text->len, s, n);
    text->len += n;
    text->s[text->len] = '\0';
}

static void put_uuid_key(struct db_text *text, const struct uuid *uuid)
{
    char buf[UUID_STRING_LEN + 4];
    buf[0] = '"';
    uuid_to_string(uuid, buf + 1);
    memcpy(buf + 1 + UUID_STRING_LEN, "\":", 2);
    db_text_put(text, buf, UUID_STRING_LEN + 3);
}

void db_row_append_record(struct db_text *text, const struct db_row *row)
{
    const struct db_table_schema *schema = row->table->schema;
    put_uuid_key(text, db_row_uuid(row));
    db_text_put(text, "{", 1);
    for (size_t c = DB_N_META_COLUMNS; c < schema->n_columns; c++) {
        const struct db_column_schema *column = &schema->columns[c];
        if (db_datum_is_default(&row->fields[c], &column->type))
            continue;
        json_append_string(&text->s, &text->len, &text->cap, column->name, strlen(column->name));
        db_text_put(text, ":", 1);
        db_datum_append_json(&row->fields[c], &column->type, &text->s, &text->len, &text->cap);
        db_text_put(text, ",", 1);
    }
    db_text_put(text, "\"_version\":", 11);
    db_atom_append_json(&row->meta[DB_COLUMN_VERSION], DB_TYPE_UUID, &text->s, &text->len,
                        &text->cap);
    db_text_put(text, "}", 1);
}

/* Appends the changed columns of one kind (collections or not) as "name":<json>,... */
static void append_changed_columns(struct db_text *text, const struct db_row *old,
                                   const struct db_row *row, bool collections)
{
    const struct db_table_schema *schema = row->table->schema;
    for (size_t c = DB_N_META_COLUMNS; c < schema->n_columns; c++) {
        const struct db_column_schema *column = &schema->columns[c];
        if (db_type_is_collection(&column->type) != collections ||
            db_datum_equals(&old->fields[c], &row->fields[c], &column->type))
            continue;
        json_append_string(&text->s, &text->len, &text->cap, column->name, strlen(column->name));
        db_text_put(text, ":", 1);
        if (collections)
            db_datum_append_diff_json(&old->fields[c], &row->fields[c], &column->type, &text->s,
                                      &text->len, &text->cap);
        else
            db_datum_append_json(&row->fields[c], &column->type, &text->s, &text->len,
                                 &text->cap);
        db_text_put(text, ",", 1);
    }
}

void db_row_append_change(struct db_text *text, const struct db_row *old,
                          const struct db_row *row)
{
    put_uuid_key(text, db_row_uuid(row));
    db_text_put(text, "[\"modify\",{", 11);
    append_changed_columns(text, old, row, false);
    db_text_put(text, "\"_version\":", 11);
    db_atom_append_json(&row->meta[DB_COLUMN_VERSION], DB_TYPE_UUID, &text->s, &text->len,
                        &text->cap);
    db_text_put(text, "},{", 3);
    size_t before = text->len;
    append_changed_columns(text, old, row, true);
    if (text->len > before)
        text->len--;   /* the last comma */
    db_text_put(text, "}]", 2);
}

void db_row_append_deleted(struct db_text *text, const struct uuid *uuid)
{
    put_uuid_key(text, uuid);
    db_text_put(text, "null", 4);
}

/* ---- the weak reference index ---- */

/* Calls `fn` for each weak reference `row` holds. */
static void for_each_weak_ref(const struct db_row *row,
                              void (*fn)(struct db *, const struct db_row *,
                                         const struct db_table_schema *, const struct uuid *),
                              struct db *db)
{
    const struct db_table_schema *schema = row->table->schema;
    for (size_t i = 0; i < schema->n_ref_columns; i++) {
        const struct db_column_schema *column = &schema->columns[schema->ref_columns[i]];
        const struct db_datum *datum = &row->fields[column->index];
        const struct db_type *type = &column->type;
        for (size_t j = 0; j < datum->n; j++) {
            if (db_base_type_is_weak_ref(&type->key))
                fn(db, row, type->key.ref_table, &datum->keys[j].uuid);
            if (db_base_type_is_weak_ref(&type->value))
                fn(db, row, type->value.ref_table, &datum->values[j].uuid);
        }
    }
}

static void weak_ref_add(struct db *db, const struct db_row *row,
                         const struct db_table_schema *dst_table, const struct uuid *dst)
{
    struct db_weak_ref *ref = xzalloc(sizeof *ref);
    ref->dst = *dst;
    ref->src = *db_row_uuid(row);
    ref->dst_table = dst_table;
    ref->src_table = row->table->schema;
    hmap_insert(&db->weak_refs, &ref->node, uuid_hash(dst));
}

static void weak_ref_remove(struct db *db, const struct db_row *row,
                            const struct db_table_schema *dst_table, const struct uuid *dst)
{
    for (struct hmap_node *node = hmap_first_with_hash(&db->weak_refs, uuid_hash(dst)); node;
         node = hmap_next_with_hash(node)) {
        struct db_weak_ref *ref = CONTAINER_OF(node, struct db_weak_ref, node);
        if (ref->dst_table == dst_table && ref->src_table == row->table->schema &&
            uuid_equals(&ref->dst, dst) && uuid_equals(&ref->src, db_row_uuid(row))) {
            hmap_remove(&db->weak_refs, node);
            free(ref);
            return;
        }
    }
}

void db_weak_refs_add(struct db *db, const struct db_row *row)
{
    for_each_weak_ref(row, weak_ref_add, db);
}

void db_weak_refs_remove(struct db *db, const struct db_row *row)
{
    for_each_weak_ref(row, weak_ref_remove, db);
}

/* ---- the database ---- */

struct db *db_create(const struct db_schema *schema)
{
    if (!schema)
        return NULL;
    struct db *db = xzalloc(sizeof *db);
    db->schema = schema;
    db->tables = xzalloc(schema->n_tables * sizeof *db->tables);
    for (size_t t = 0; t < schema->n_tables; t++) {
        struct db_table *table = &db->tables[t];
        table->schema = &schema->tables[t];
        hmap_init(&table->rows);
        table->indexes = xzalloc(table->schema->n_indexes * sizeof *table->indexes);
        for (size_t i = 0; i < table->schema->n_indexes; i++)
            hmap_init(&table->indexes[i]);
    }
    hmap_init(&db->weak_refs);
    uuid_generator_init(&db->uuids);
    return db;
}

static void table_destroy(struct db_table *table)
{
    struct hmap_node *node = hmap_first(&table->rows), *next;
    for (; node; node = next) {
        next = hmap_next(&table->rows, node);
        db_row_free(CONTAINER_OF(node, struct db_row, node));
    }
    hmap_destroy(&table->rows);
    for (size_t i = 0; i < table->schema->n_indexes; i++)
        hmap_destroy(&table->indexes[i]);
    free(table->indexes);
}

void db_destroy(struct db *db)
{
    if (!db)
        return;
    for (size_t t = 0; t < db->schema->n_tables; t++)
        table_destroy(&db->tables[t]);
    free(db->tables);
    struct hmap_node *node = hmap_first(&db->weak_refs), *next;
    for (; node; node = next) {
        next = hmap_next(&db->weak_refs, node);
        free(CONTAINER_OF(node, struct db_weak_ref, node));
    }
    hmap_destroy(&db->weak_refs);
    free(db);
}

const struct db_schema *db_get_schema(const struct db *db)
{
    return db->schema;
}

size_t db_count_rows(const struct db *db, const char *table)
{
    const struct db_table_schema *schema = db_schema_table(db->schema, table);
    return schema ? hmap_count(&db->tables[schema->index].rows) : 0;
}

/* ---- snapshots ---- */

static int compare_rows_by_uuid(const void *a, const void *b)
{
    return uuid_compare(db_row_uuid(*(const struct db_row *const *)a),
                        db_row_uuid(*(const struct db_row *const *)b));
}

struct db_row **db_table_sorted_rows(const struct db_table *table)
{
    struct db_row **rows = xzalloc(hmap_count(&table->rows) * sizeof *rows);
    size_t n = 0;
    for (struct hmap_node *node = hmap_first(&table->rows); node;
         node = hmap_next(&table->rows, node))
        rows[n++] = CONTAINER_OF(node, struct db_row, node);
    qsort(rows, n, sizeof *rows, compare_rows_by_uuid);
    return rows;
}

char *db_snapshot(const struct db *db)
{
    struct db_text text = { NULL, 0, 0 };
    db_text_put(&text, "{", 1);
    bool first_table = true;
    for (size_t t = 0; t < db->schema->n_tables; t++) {
        const struct db_table *table = &db->tables[t];
        size_t n = hmap_count(&table->rows);
        if (!n)
            continue;
        if (!first_table)
            db_text_put(&text, ",", 1);
        first_table = false;
        json_append_string(&text.s, &text.len, &text.cap, table->schema->name,
                           strlen(table->schema->name));
        db_text_put(&text, ":{", 2);
        struct db_row **rows = db_table_sorted_rows(table);
        for (size_t i = 0; i < n; i++) {
            if (i)
                db_text_put(&text, ",", 1);
            db_row_append_record(&text, rows[i]);
        }
        free(rows);
        db_text_put(&text, "}", 1);
    }
    db_text_put(&text, "}", 1);
    return text.s;
}

/* ---- monitor snapshots ---- */

struct monitor_table {
    bool *columns;      /* per column of the table schema: monitored */
    bool initial;       /* some request wants the initial rows */
    bool requested;
};

static struct db_error *parse_monitor_columns(const struct db_table_schema *schema,
                                              const struct json *columns, bool *selected)
{
    if (!columns) {
        for (size_t c = 0; c < schema->n_columns; c++)
            selected[c] |= c != DB_COLUMN_UUID;
        return NULL;
    }
    if (!json_is_array(columns))
        return db_error_create(DB_ERR_SYNTAX, "\"columns\" must be an array of column names");
    for (size_t i = 0; i < json_array_size(columns); i++) {
        const struct json *name = json_array_at(columns, i);
        const struct db_column_schema *column =
            json_is_string(name) ? db_table_schema_column(schema, json_string(name)) : NULL;
        if (!column)
            return db_error_create(DB_ERR_UNKNOWN_COLUMN, "no column %s in table %s",
                                   json_is_string(name) ? json_string(name) : "(not a string)",
                                   schema->name);
        selected[column->index] = true;
    }
    return NULL;
}

static struct db_error *parse_monitor_request(const struct db_table_schema *schema,
                                              const struct json *request,
                                              struct monitor_table *mt)
{
    if (!json_is_object(request))
        return db_error_create(DB_ERR_SYNTAX, "a monitor request must be an object");
    for (size_t i = 0; i < json_object_size(request); i++) {
        const char *key = json_object_key_at(request, i);
        if (strcmp(key, "columns") && strcmp(key, "select"))
            return db_error_create(DB_ERR_SYNTAX, "unknown member \"%s\" in monitor request",
                                   key);
    }
    const struct json *select = json_object_get(request, "select");
    const struct json *initial = select ? json_object_get(select, "initial") : NULL;
    if (select && !json_is_object(select))
        return db_error_create(DB_ERR_SYNTAX, "\"select\" must be an object");
    if (initial && !json_is_boolean(initial))
        return db_error_create(DB_ERR_SYNTAX, "\"initial\" must be a boolean");
    mt->initial |= !initial || json_boolean(initial);
    mt->requested = true;
    return parse_monitor_columns(schema, json_object_get(request, "columns"), mt->columns);
}

static struct db_error *parse_monitor_requests(const struct db *db, const struct json *requests,
                                               struct monitor_table *tables)
{
    if (!json_is_object(requests))
        return db_error_create(DB_ERR_SYNTAX, "monitor requests must be an object");
    for (size_t i = 0; i < json_object_size(requests); i++) {
        const char *name = json_object_key_at(requests, i);
        const struct json *value = json_object_value_at(requests, i);
        const struct db_table_schema *schema = db_schema_table(db->schema, name);
        if (!schema)
            return db_error_create(DB_ERR_UNKNOWN_TABLE, "no table %s in the schema", name);
        struct monitor_table *mt = &tables[schema->index];
        size_t n = json_is_array(value) ? json_array_size(value) : 1;
        for (size_t j = 0; j < n; j++) {
            const struct json *request = json_is_array(value) ? json_array_at(value, j) : value;
            struct db_error *error = parse_monitor_request(schema, request, mt);
            if (error)
                return db_error_wrap(error, "table %s", name);
        }
    }
    return NULL;
}

static struct json *monitor_table_json(const struct db_table *table,
                                       const struct monitor_table *mt)
{
    const struct db_table_schema *schema = table->schema;
    const struct db_column_schema **columns = xzalloc(schema->n_columns * sizeof *columns);
    size_t n_columns = 0;
    for (size_t c = 0; c < schema->n_columns; c++)
        if (mt->columns[c])
            columns[n_columns++] = &schema->columns[c];
    struct json *rows = json_object_new();
    for (struct hmap_node *node = hmap_first(&table->rows); node;
         node = hmap_next(&table->rows, node)) {
        const struct db_row *row = CONTAINER_OF(node, struct db_row, node);
        char uuid[UUID_STRING_LEN + 1];
        uuid_to_string(db_row_uuid(row), uuid);
        struct json *update = json_object_new();
        json_object_put(update, "new", db_row_to_json(row, columns, n_columns, false));
        json_object_put(rows, uuid, update);
    }
    free(columns);
    return rows;
}

void db_set_error(char **error, char *message)
{
    if (error)
        *error = message;
    else
        free(message);
}

char *db_monitor_snapshot(const struct db *db, const char *requests, size_t len, char **error)
{
    char *parse_error = NULL;
    struct json *json = json_parse(requests, len, &parse_error);
    if (!json) {
        db_set_error(error,
                     xasprintf("monitor requests are not valid JSON: %s", parse_error));
        free(parse_error);
        return NULL;
    }
    size_t n_tables = db->schema->n_tables;
    struct monitor_table *tables = xzalloc(n_tables * sizeof *tables);
    for (size_t t = 0; t < n_tables; t++)
        tables[t].columns = xzalloc(db->schema->tables[t].n_columns * sizeof(bool));
    struct db_error *e = parse_monitor_requests(db, json, tables);
    json_free(json);
    char *text = NULL;
    if (e) {
        db_set_error(error, db_error_to_string_free(e));
    } else {
        struct json *updates = json_object_new();
        for (size_t t = 0; t < n_tables; t++)
            if (tables[t].requested && tables[t].initial && hmap_count(&db->tables[t].rows))
                json_object_put(updates, db->schema->tables[t].name,
                                monitor_table_json(&db->tables[t], &tables[t]));
        text = json_to_string(updates);
        json_free(updates);
        if (error)
            *error = NULL;
    }
    for (size_t t = 0; t < n_tables; t++)
        free(tables[t].columns);
    free(tables);
    return text;
}
