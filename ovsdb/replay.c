/* Applying change records (db_replay()) and converting a database to another schema version
 * (db_convert()): both run as one transaction (txn.c) over the rows of db.c. */
#include "ovsdb/db_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/xalloc.h"

/* ---- conversion ---- */

/* Converts `row` for a table of another schema version: the columns both schemas have, by
 * name, with non-default values. */
static struct json *row_to_converted_json(const struct db_row *row,
                                          const struct db_table_schema *to)
{
    const struct db_table_schema *from = row->table->schema;
    struct json *object = json_object_new();
    for (size_t c = DB_N_META_COLUMNS; c < from->n_columns; c++) {
        const struct db_column_schema *column = &from->columns[c];
        const struct db_column_schema *target = db_table_schema_column(to, column->name);
        if (!target || db_datum_is_default(&row->fields[c], &column->type))
            continue;
        json_object_put(object, column->name, db_datum_to_json(&row->fields[c], &column->type));
    }
    json_object_put(object, "_version",
                    db_atom_to_json(&row->meta[DB_COLUMN_VERSION], DB_TYPE_UUID));
    return object;
}

/* The whole database converted for schema `to`, as a change record tree. */
static struct json *converted_snapshot(const struct db *db, const struct db_schema *to)
{
    struct json *record = json_object_new();
    for (size_t t = 0; t < db->schema->n_tables; t++) {
        const struct db_table *table = &db->tables[t];
        const struct db_table_schema *target = db_schema_table(to, table->schema->name);
        size_t n = hmap_count(&table->rows);
        if (!target || !n)
            continue;
        struct db_row **rows = db_table_sorted_rows(table);
        struct json *object = json_object_new();
        for (size_t i = 0; i < n; i++) {
            char uuid[UUID_STRING_LEN + 1];
            uuid_to_string(db_row_uuid(rows[i]), uuid);
            json_object_put(object, uuid, row_to_converted_json(rows[i], target));
        }
        free(rows);
        json_object_put(record, table->schema->name, object);
    }
    return record;
}

/* ---- replay ---- */

/* Fills `row` (fresh, all defaults) from a record's row object. */
static struct db_error *row_from_record(struct db_row *row, const struct json *object,
                                        bool *has_version)
{
    const struct db_table_schema *schema = row->table->schema;
    if (!json_is_object(object))
        return db_error_create(DB_ERR_SYNTAX, "a row must be an object or null");
    *has_version = false;
    for (size_t i = 0; i < json_object_size(object); i++) {
        const char *name = json_object_key_at(object, i);
        const struct json *value = json_object_value_at(object, i);
        const struct db_column_schema *column = db_table_schema_column(schema, name);
        if (!column || column->index == DB_COLUMN_UUID)
            return db_error_create(DB_ERR_UNKNOWN_COLUMN, "no column %s in table %s", name,
                                   schema->name);
        struct db_datum datum;
        struct db_error *error = db_datum_from_json(&datum, &column->type, value, NULL);
        if (error)
            return db_error_wrap(error, "column %s", name);
        if (column->index == DB_COLUMN_VERSION) {
            row->meta[DB_COLUMN_VERSION] = datum.keys[0];
            db_datum_destroy(&datum, &column->type);
            *has_version = true;
            continue;
        }
        db_datum_swap(&row->fields[column->index], &datum);
        db_datum_destroy(&datum, &column->type);
    }
    return NULL;
}

/* Replaces every column of the current row with the values of `parsed` (which is then freed). */
static void overwrite_row(struct db_txn *txn, struct db_row *current, struct db_row *parsed,
                          bool has_version)
{
    struct db_row *row = db_txn_modify(txn, current);
    const struct db_table_schema *schema = row->table->schema;
    for (size_t c = DB_N_META_COLUMNS; c < schema->n_columns; c++)
        db_datum_swap(&row->fields[c], &parsed->fields[c]);
    if (has_version) {
        row->meta[DB_COLUMN_VERSION] = parsed->meta[DB_COLUMN_VERSION];
        db_txn_keep_version(txn, row);
    }
    db_table_reindex(row->table, row);
    db_row_free(parsed);
}

/* Parses a ["modify", {columns}, {differences}] row change. */
static struct db_error *parse_modify(const struct json *value, const struct json **replaced,
                                     const struct json **toggled)
{
    if (json_array_size(value) != 3 || !json_is_string(json_array_at(value, 0)) ||
        strcmp(json_string(json_array_at(value, 0)), "modify") ||
        !json_is_object(json_array_at(value, 1)) || !json_is_object(json_array_at(value, 2)))
        return db_error_create(DB_ERR_SYNTAX, "a row change must be null, a row object or "
                               "[\"modify\", {columns}, {differences}]");
    *replaced = json_array_at(value, 1);
    *toggled = json_array_at(value, 2);
    return NULL;
}

/* One column of a "modify": its new value, or (`diff`) the difference to apply. */
static struct db_error *modify_column(struct db_row *row, const char *name,
                                      const struct json *value, bool diff, bool *has_version)
{
    const struct db_table_schema *schema = row->table->schema;
    const struct db_column_schema *column = db_table_schema_column(schema, name);
    if (!column || column->index == DB_COLUMN_UUID ||
        (diff && (column->index == DB_COLUMN_VERSION || !db_type_is_collection(&column->type))))
        return db_error_create(DB_ERR_UNKNOWN_COLUMN, "no %scolumn %s in table %s",
                               diff ? "set or map " : "", name, schema->name);
    /* A difference may hold more elements than the column (old ones and new ones). */
    struct db_type type = column->type;
    if (diff) {
        type.n_min = 0;
        type.n_max = DB_UNLIMITED;
    }
    struct db_datum datum;
    struct db_error *error = db_datum_from_json(&datum, &type, value, NULL);
    if (error)
        return db_error_wrap(error, "column %s", name);
    if (column->index == DB_COLUMN_VERSION) {
        row->meta[DB_COLUMN_VERSION] = datum.keys[0];
        db_datum_destroy(&datum, &column->type);
        *has_version = true;
        return NULL;
    }
    if (diff)
        db_datum_apply_diff(&row->fields[column->index], &datum, &column->type);
    else
        db_datum_swap(&row->fields[column->index], &datum);
    db_datum_destroy(&datum, &column->type);
    return NULL;
}

static struct db_error *apply_modify(struct db_txn *txn, struct db_row *current,
                                     const struct json *value)
{
    const struct json *replaced = NULL, *toggled = NULL;
    struct db_error *error = parse_modify(value, &replaced, &toggled);
    if (error)
        return error;
    struct db_row *row = db_txn_modify(txn, current);
    bool has_version = false;
    for (int part = 0; part < 2 && !error; part++) {
        const struct json *columns = part ? toggled : replaced;
        for (size_t i = 0; i < json_object_size(columns) && !error; i++)
            error = modify_column(row, json_object_key_at(columns, i),
                                  json_object_value_at(columns, i), part == 1, &has_version);
    }
    if (error)
        return error;   /* the caller aborts the transaction, which restores the row */
    if (has_version)
        db_txn_keep_version(txn, row);
    db_table_reindex(row->table, row);
    return NULL;
}

static struct db_error *apply_record_row(struct db *db, struct db_txn *txn,
                                         struct db_table *table, const char *uuid_text,
                                         const struct json *value)
{
    struct uuid uuid;
    if (!uuid_from_string(&uuid, uuid_text))
        return db_error_create(DB_ERR_SYNTAX, "\"%s\" is not a valid UUID", uuid_text);
    struct db_row *current = db_table_find(table, &uuid);
    if (json_is_array(value)) {
        if (!current)
            return db_error_create(DB_ERR_REFERENTIAL, "record modifies row %s, which is not "
                                   "in table %s", uuid_text, table->schema->name);
        struct db_error *error = apply_modify(txn, current, value);
        return error ? db_error_wrap(error, "table %s row %s", table->schema->name, uuid_text)
                     : NULL;
    }
    if (json_is_null(value)) {
        if (!current)
            return db_error_create(DB_ERR_REFERENTIAL, "record deletes row %s, which is not in "
                                   "table %s", uuid_text, table->schema->name);
        db_txn_delete(txn, current);
        return NULL;
    }
    struct db_row *row = db_row_create(table, &uuid);
    bool has_version = false;
    struct db_error *error = row_from_record(row, value, &has_version);
    if (error) {
        db_row_free(row);
        return db_error_wrap(error, "table %s row %s", table->schema->name, uuid_text);
    }
    if (current) {
        overwrite_row(txn, current, row, has_version);
        return NULL;
    }
    if (!has_version)
        uuid_generate(&db->uuids, &row->meta[DB_COLUMN_VERSION].uuid);
    db_txn_insert(txn, row);
    if (has_version)
        db_txn_keep_version(txn, row);
    return NULL;
}

/* A member a journal adds to a record about it, not a table: when it was written and the
 * transaction's comments (table names cannot start with "_"). */
static bool is_annotation(const char *name)
{
    return strcmp(name, "_date") == 0 || strcmp(name, "_comment") == 0;
}

static struct db_error *apply_record(struct db *db, struct db_txn *txn, const struct json *record)
{
    if (!json_is_object(record))
        return db_error_create(DB_ERR_SYNTAX, "a change record must be a JSON object");
    for (size_t t = 0; t < json_object_size(record); t++) {
        const char *name = json_object_key_at(record, t);
        const struct json *rows = json_object_value_at(record, t);
        if (is_annotation(name))
            continue;
        const struct db_table_schema *schema = db_schema_table(db->schema, name);
        if (!schema)
            return db_error_create(DB_ERR_UNKNOWN_TABLE, "no table %s in the schema", name);
        if (!json_is_object(rows))
            return db_error_create(DB_ERR_SYNTAX, "table %s: rows must be an object", name);
        for (size_t r = 0; r < json_object_size(rows); r++) {
            struct db_error *error = apply_record_row(db, txn, &db->tables[schema->index],
                                                      json_object_key_at(rows, r),
                                                      json_object_value_at(rows, r));
            if (error)
                return error;
        }
    }
    return NULL;
}

int db_replay(struct db *db, const char *record, size_t len, char **error)
{
    static const struct json_limits limits = { DB_REPLAY_MAX_BYTES, JSON_DEFAULT_MAX_DEPTH };
    if (error)
        *error = NULL;
    char *parse_error = NULL;
    struct json *json = json_parse_with_limits(record, len, &limits, &parse_error);
    if (!json) {
        db_set_error(error, xasprintf("change record is not valid JSON: %s", parse_error));
        free(parse_error);
        return -1;
    }
    struct db_txn *txn = db_txn_begin(db);
    struct db_error *e = apply_record(db, txn, json);
    json_free(json);
    if (!e)
        e = db_txn_precommit(txn, NULL, NULL);
    if (e) {
        db_txn_abort(txn);
        db_set_error(error, db_error_to_string_free(e));
        return -1;
    }
    db_txn_commit(txn);
    return 0;
}

int db_convert(struct db *to, const struct db *from, char **error)
{
    struct json *record = converted_snapshot(from, to->schema);
    char *text = json_to_string(record);
    json_free(record);
    char *replay_error = NULL;
    int rc = db_replay(to, text, strlen(text), &replay_error);
    free(text);
    if (rc < 0)
        db_set_error(error, xasprintf("converting from schema version %s to %s: %s",
                                   db_schema_version(from->schema),
                                   db_schema_version(to->schema), replay_error));
    free(replay_error);
    return rc;
}
