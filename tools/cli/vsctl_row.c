/* "column[:key]=value" settings: parsed once against the schema (every error is a usage
 * error, found before anything is sent), then written either into a row being inserted or as
 * update/mutate operations on existing rows. */
#include <stdlib.h>
#include <string.h>

#include "tools/cli/vsctl_private.h"

static bool is_read_only(const struct db_column_schema *column)
{
    return !column->is_mutable || column->index < DB_N_META_COLUMNS;
}

/* Parses the key and value of "column:key=value" as one map entry. */
static int parse_keyed(struct vsctl_ctx *ctx, const char *arg, const char *key,
                       const char *value, struct vsctl_setting *s)
{
    const struct db_column_schema *column = s->column;
    if (!db_type_is_map(&column->type))
        return vsctl_usage_error(ctx, "%s: cannot specify key to set for non-map column %s",
                                 arg, column->name);
    char *error = vsctl_parse_atom(&column->type.key, key, &ctx->symtab, &s->key);
    if (!error) {
        error = vsctl_parse_atom(&column->type.value, value, &ctx->symtab, &s->value);
        if (error)
            db_atom_destroy(&s->key, column->type.key.type);
    }
    if (error) {
        vsctl_usage_error(ctx, "%s: %s", arg, error);
        free(error);
        return -1;
    }
    s->has_key = true;
    return 0;
}

static int parse_setting(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                         const char *arg, bool for_insert, struct vsctl_setting *s)
{
    char *key = NULL, *value = NULL;
    char *error = vsctl_parse_column_key_value(arg, table, &s->column, &key, NULL, 0, NULL,
                                               &value);
    if (error) {
        vsctl_usage_error(ctx, "%s", error);
        free(error);
        return -1;
    }
    /* An insert may set an immutable column, never _uuid or _version: vsw-dbd assigns them. */
    bool meta = s->column->index < DB_N_META_COLUMNS;
    int rc = 0;
    if (is_read_only(s->column) && (!for_insert || meta)) {
        rc = vsctl_usage_error(ctx, "cannot modify read-only column %s in table %s",
                               s->column->name, table->name);
    } else if (key) {
        rc = parse_keyed(ctx, arg, key, value, s);
    } else {
        error = vsctl_parse_datum(&s->column->type, value, &ctx->symtab, &s->datum);
        if (error) {
            rc = vsctl_usage_error(ctx, "%s: %s", arg, error);
            free(error);
        }
    }
    free(key);
    free(value);
    return rc;
}

int vsctl_parse_settings(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                         char **args, size_t n, bool for_insert,
                         struct vsctl_settings *settings)
{
    settings->items = vsctl_xzalloc((n ? n : 1) * sizeof *settings->items);
    settings->n = 0;
    for (size_t i = 0; i < n; i++) {
        struct vsctl_setting *s = &settings->items[i];
        db_datum_init_empty(&s->datum);
        if (parse_setting(ctx, table, args[i], for_insert, s) < 0)
            return -1;
        settings->n++;
    }
    return 0;
}

void vsctl_settings_destroy(struct vsctl_settings *settings)
{
    for (size_t i = 0; i < settings->n; i++) {
        struct vsctl_setting *s = &settings->items[i];
        const struct db_type *type = &s->column->type;
        if (s->has_key) {
            db_atom_destroy(&s->key, type->key.type);
            db_atom_destroy(&s->value, type->value.type);
        } else {
            db_datum_destroy(&s->datum, type);
        }
    }
    free(settings->items);
    settings->items = NULL;
    settings->n = 0;
}

/* ["set", [key]] and ["map", [[key, value]]] for one map entry. */
static struct json *key_set_json(const struct vsctl_setting *s)
{
    struct json *elements = json_array_append(json_array_new(),
                                              db_atom_to_json(&s->key, s->column->type.key.type));
    return json_array_append(json_array_append(json_array_new(), json_string_new("set")),
                             elements);
}

static struct json *entry_map_json(const struct vsctl_setting *s)
{
    const struct db_type *type = &s->column->type;
    struct json *pair = json_array_new();
    json_array_append(pair, db_atom_to_json(&s->key, type->key.type));
    json_array_append(pair, db_atom_to_json(&s->value, type->value.type));
    struct json *pairs = json_array_append(json_array_new(), pair);
    return json_array_append(json_array_append(json_array_new(), json_string_new("map")), pairs);
}

void vsctl_settings_write(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                          const struct json *where, const struct vsctl_settings *settings)
{
    for (size_t i = 0; i < settings->n; i++) {
        const struct vsctl_setting *s = &settings->items[i];
        const char *column = s->column->name;
        if (!s->has_key) {
            struct json *row = json_object_put(json_object_new(), column,
                                               db_datum_to_json(&s->datum, &s->column->type));
            vsctl_add_write(ctx, op_update(table->name, json_clone(where), row));
            continue;
        }
        /* Replace one entry: remove the key, whatever its value, then insert the pair. */
        struct json *mutations = json_array_new();
        json_array_append(mutations, mutation_new(column, "delete", key_set_json(s)));
        json_array_append(mutations, mutation_new(column, "insert", entry_map_json(s)));
        vsctl_add_write(ctx, op_mutate(table->name, json_clone(where), mutations));
    }
}

bool vsctl_settings_touch_model(const struct db_table_schema *table,
                                const struct vsctl_settings *settings)
{
    static const char *const model_columns[] = { "name", "ports", "interfaces", "bridges",
                                                 "tag", "fake_bridge" };
    static const char *const model_tables[] = { "Open_vSwitch", "Bridge", "Port", "Interface" };
    bool table_matters = false;
    for (size_t i = 0; i < sizeof model_tables / sizeof model_tables[0]; i++)
        table_matters |= !strcmp(table->name, model_tables[i]);
    for (size_t i = 0; table_matters && i < settings->n; i++) {
        if (settings->items[i].has_key)
            continue;
        for (size_t k = 0; k < sizeof model_columns / sizeof model_columns[0]; k++)
            if (!strcmp(settings->items[i].column->name, model_columns[k]))
                return true;
    }
    return false;
}

/* ---- rows under construction ---- */

void vsctl_row_init(struct vsctl_row *row, const struct db_table_schema *table)
{
    row->table = table;
    row->values = vsctl_xzalloc(table->n_columns * sizeof *row->values);
    row->set = vsctl_xzalloc(table->n_columns * sizeof *row->set);
}

void vsctl_row_destroy(struct vsctl_row *row)
{
    for (size_t i = 0; i < row->table->n_columns; i++)
        if (row->set[i])
            db_datum_destroy(&row->values[i], &row->table->columns[i].type);
    free(row->values);
    free(row->set);
}

static void row_take(struct vsctl_row *row, const struct db_column_schema *column,
                     struct db_datum *datum)
{
    unsigned int i = column->index;
    if (row->set[i])
        db_datum_destroy(&row->values[i], &column->type);
    row->values[i] = *datum;
    row->set[i] = true;
    db_datum_init_empty(datum);
}

void vsctl_row_put(struct vsctl_row *row, const char *column, struct db_datum *datum)
{
    const struct db_column_schema *c = db_table_schema_column(row->table, column);
    if (c)
        row_take(row, c, datum);
    else
        db_datum_init_empty(datum);
}

/* Sets a column to one atom (taken) of type `type`. A column the schema lacks is ignored. */
static void put_atom(struct vsctl_row *row, const char *column, union db_atom *atom,
                     enum db_atomic_type type)
{
    const struct db_column_schema *c = db_table_schema_column(row->table, column);
    if (!c) {
        db_atom_destroy(atom, type);
        return;
    }
    struct db_datum datum;
    db_datum_init_empty(&datum);
    db_datum_append_unsorted(&datum, atom, NULL);
    row_take(row, c, &datum);
}

void vsctl_row_put_string(struct vsctl_row *row, const char *column, const char *value)
{
    union db_atom atom = { .string = vsctl_xstrdup(value) };
    put_atom(row, column, &atom, DB_TYPE_STRING);
}

void vsctl_row_put_integer(struct vsctl_row *row, const char *column, int64_t value)
{
    union db_atom atom = { .integer = value };
    put_atom(row, column, &atom, DB_TYPE_INTEGER);
}

void vsctl_row_put_boolean(struct vsctl_row *row, const char *column, bool value)
{
    union db_atom atom = { .boolean = value };
    put_atom(row, column, &atom, DB_TYPE_BOOLEAN);
}

void vsctl_row_put_uuids(struct vsctl_row *row, const char *column, const struct uuid *uuids,
                         size_t n)
{
    const struct db_column_schema *c = db_table_schema_column(row->table, column);
    if (!c)
        return;
    struct db_datum datum;
    db_datum_init_empty(&datum);
    for (size_t i = 0; i < n; i++) {
        union db_atom atom = { .uuid = uuids[i] };
        db_datum_append_unsorted(&datum, &atom, NULL);
    }
    db_datum_sort_dedup(&datum, &c->type);
    row_take(row, c, &datum);
}

/* Adds or replaces one entry of a map column. */
static void row_put_entry(struct vsctl_row *row, const struct vsctl_setting *s)
{
    const struct db_column_schema *c = s->column;
    const struct db_type *type = &c->type;
    unsigned int i = c->index;
    if (!row->set[i]) {
        db_datum_init_empty(&row->values[i]);
        row->set[i] = true;
    }
    struct db_datum *datum = &row->values[i];
    long at = db_datum_find_key(datum, &s->key, type->key.type);
    if (at >= 0)
        db_datum_remove_at(datum, (size_t)at, type);
    union db_atom key, value;
    db_atom_clone(&key, &s->key, type->key.type);
    db_atom_clone(&value, &s->value, type->value.type);
    db_datum_append_unsorted(datum, &key, &value);
    db_datum_sort_dedup(datum, type);
}

void vsctl_row_apply(struct vsctl_row *row, const struct vsctl_settings *settings)
{
    for (size_t i = 0; i < settings->n; i++) {
        const struct vsctl_setting *s = &settings->items[i];
        if (s->has_key) {
            row_put_entry(row, s);
            continue;
        }
        struct db_datum copy;
        db_datum_clone(&copy, &s->datum, &s->column->type);
        row_take(row, s->column, &copy);
    }
}

struct json *vsctl_row_to_json(const struct vsctl_row *row)
{
    struct json *json = json_object_new();
    for (size_t i = 0; i < row->table->n_columns; i++) {
        if (!row->set[i])
            continue;
        const struct db_column_schema *c = &row->table->columns[i];
        json_object_put(json, c->name, db_datum_to_json(&row->values[i], &c->type));
    }
    return json;
}
