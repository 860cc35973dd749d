/* RFC 7047 "transact": parsing and executing operations inside one transaction (txn.c).
 *
 * Every operation is validated completely before it changes anything, and the first failing
 * operation aborts the whole transaction. Named UUIDs may be used before the insert that
 * defines them (Open vSwitch's IDL emits such transactions): a reference creates the name with
 * a fresh UUID, and the insert then takes that UUID. */
#include "ovsdb/db_private.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/xalloc.h"

struct symbol {
    struct hmap_node node;
    char *name;
    struct uuid uuid;
    bool created;            /* an insert defined it (else it was only referenced so far) */
};

struct exec {
    struct db *db;
    struct db_txn *txn;
    struct hmap symbols;     /* struct symbol, by name */
    struct db_named_uuids names;
    int64_t wait_timeout_ms;  /* of the "wait" that failed the transaction, if positive */
    struct db_text comments;  /* the "comment" operations' texts, joined by "\n" */
};

enum function { F_EQ, F_NE, F_LT, F_LE, F_GT, F_GE, F_INCLUDES, F_EXCLUDES };

struct condition {
    const struct db_column_schema *column;
    enum function function;
    struct db_type arg_type;     /* the type `arg` was parsed with (to destroy it) */
    struct db_datum arg;
};

struct where {
    struct condition *conds;
    size_t n;
};

/* A row's worth of values given by an operation ("row" of insert and update). */
struct row_values {
    const struct db_column_schema **columns;
    struct db_datum *values;
    size_t n;
};

enum mutator { M_ADD, M_SUB, M_MUL, M_DIV, M_MOD, M_INSERT, M_DELETE };

struct mutation {
    const struct db_column_schema *column;
    enum mutator mutator;
    struct db_type arg_type;
    struct db_datum arg;
};

/* Matching rows, current versions. */
struct row_set {
    struct db_row **rows;
    size_t n, allocated;
};

static void row_set_add(struct row_set *set, struct db_row *row)
{
    if (set->n == set->allocated) {
        set->allocated = set->allocated ? set->allocated * 2 : 16;
        set->rows = realloc(set->rows, set->allocated * sizeof *set->rows);
        if (!set->rows)
            abort();
    }
    set->rows[set->n++] = row;
}

/* ---- named UUIDs ---- */

/* Names come from clients: use the keyed string hash, so none can be chosen to collide. */
static size_t hash_name(const char *s)
{
    union db_atom atom = { .string = (char *)s };
    return db_atom_hash(&atom, DB_TYPE_STRING, 0);
}

static struct symbol *find_symbol(const struct exec *x, const char *name)
{
    for (struct hmap_node *node = hmap_first_with_hash(&x->symbols, hash_name(name)); node;
         node = hmap_next_with_hash(node)) {
        struct symbol *symbol = CONTAINER_OF(node, struct symbol, node);
        if (!strcmp(symbol->name, name))
            return symbol;
    }
    return NULL;
}

static struct symbol *add_symbol(struct exec *x, const char *name, const struct uuid *uuid)
{
    struct symbol *symbol = xzalloc(sizeof *symbol);
    symbol->name = strdup(name);
    if (!symbol->name)
        abort();
    symbol->uuid = *uuid;
    hmap_insert(&x->symbols, &symbol->node, hash_name(name));
    return symbol;
}

static bool resolve_name(void *aux, const char *name, struct uuid *uuid)
{
    struct exec *x = aux;
    struct symbol *symbol = find_symbol(x, name);
    if (!symbol) {
        struct uuid fresh;
        uuid_generate(&x->db->uuids, &fresh);
        symbol = add_symbol(x, name, &fresh);
    }
    *uuid = symbol->uuid;
    return true;
}

static void free_symbols(struct exec *x)
{
    struct hmap_node *node = hmap_first(&x->symbols), *next;
    for (; node; node = next) {
        next = hmap_next(&x->symbols, node);
        struct symbol *symbol = CONTAINER_OF(node, struct symbol, node);
        free(symbol->name);
        free(symbol);
    }
    hmap_destroy(&x->symbols);
}

static struct db_error *check_symbols_defined(const struct exec *x)
{
    for (struct hmap_node *node = hmap_first(&x->symbols); node;
         node = hmap_next(&x->symbols, node)) {
        const struct symbol *symbol = CONTAINER_OF(node, struct symbol, node);
        if (!symbol->created)
            return db_error_create(DB_ERR_SYNTAX, "named-uuid \"%s\" is used but no insert in "
                                   "the transaction has that uuid-name", symbol->name);
    }
    return NULL;
}

/* ---- parsing helpers ---- */

static struct db_error *check_members(const struct json *op, const char *const *allowed)
{
    for (size_t i = 0; i < json_object_size(op); i++) {
        const char *key = json_object_key_at(op, i);
        const char *const *a = allowed;
        while (*a && strcmp(*a, key))
            a++;
        if (!*a)
            return db_error_create(DB_ERR_SYNTAX, "member \"%s\" is not allowed in operation "
                                   "\"%s\"", key, json_string(json_object_get(op, "op")));
    }
    return NULL;
}

static struct db_error *required(const struct json *op, const char *name, enum json_type type,
                                 const struct json **value)
{
    *value = json_object_get(op, name);
    if (!*value)
        return db_error_create(DB_ERR_SYNTAX, "operation \"%s\" requires member \"%s\"",
                               json_string(json_object_get(op, "op")), name);
    if (json_type(*value) != type)
        return db_error_create(DB_ERR_SYNTAX, "member \"%s\" must be %s %s", name,
                               type == JSON_ARRAY || type == JSON_OBJECT || type == JSON_INTEGER
                                   ? "an" : "a", json_type_name(type));
    return NULL;
}

static struct db_error *parse_table(const struct exec *x, const struct json *op,
                                    struct db_table **table)
{
    const struct json *name;
    struct db_error *error = required(op, "table", JSON_STRING, &name);
    if (error)
        return error;
    const struct db_table_schema *schema = db_schema_table(x->db->schema, json_string(name));
    if (!schema)
        return db_error_create(DB_ERR_UNKNOWN_TABLE, "no table named %s", json_string(name));
    *table = &x->db->tables[schema->index];
    return NULL;
}

static struct db_error *lookup_column_name(const struct db_table *table, const char *name,
                                           const struct db_column_schema **column)
{
    *column = db_table_schema_column(table->schema, name);
    if (!*column)
        return db_error_create(DB_ERR_UNKNOWN_COLUMN, "no column %s in table %s", name,
                               table->schema->name);
    return NULL;
}

static struct db_error *lookup_column(const struct db_table *table, const struct json *name,
                                      const struct db_column_schema **column)
{
    if (!json_is_string(name))
        return db_error_create(DB_ERR_SYNTAX, "a column name must be a string");
    return lookup_column_name(table, json_string(name), column);
}

/* A column an operation may write: not _uuid or _version; with `for_update`, mutable too. */
static struct db_error *writable_column(const struct db_table *table, const char *name,
                                        bool for_update, const struct db_column_schema **column)
{
    struct db_error *error = lookup_column_name(table, name, column);
    if (error)
        return error;
    if ((*column)->index < DB_N_META_COLUMNS)
        return db_error_create(DB_ERR_CONSTRAINT, "column %s of table %s is read-only",
                               (*column)->name, table->schema->name);
    if (for_update && !(*column)->is_mutable)
        return db_error_create(DB_ERR_CONSTRAINT, "cannot modify immutable column %s in table "
                               "%s", (*column)->name, table->schema->name);
    return NULL;
}

static struct db_error *parse_columns(const struct db_table *table, const struct json *json,
                                      const struct db_column_schema ***columns, size_t *n)
{
    *columns = NULL;
    *n = 0;
    if (!json)
        return NULL;
    if (!json_is_array(json))
        return db_error_create(DB_ERR_SYNTAX, "\"columns\" must be an array of column names");
    *columns = xzalloc(json_array_size(json) * sizeof **columns);
    for (size_t i = 0; i < json_array_size(json); i++) {
        struct db_error *error = lookup_column(table, json_array_at(json, i), &(*columns)[*n]);
        if (error) {
            free(*columns);
            *columns = NULL;
            return error;
        }
        (*n)++;
    }
    return NULL;
}

/* ---- row values (insert, update) ---- */

static void row_values_destroy(struct row_values *rv)
{
    for (size_t i = 0; i < rv->n; i++)
        db_datum_destroy(&rv->values[i], &rv->columns[i]->type);
    free(rv->columns);
    free(rv->values);
}

static struct db_error *parse_row_values(struct exec *x, const struct db_table *table,
                                         const struct json *row, bool for_update,
                                         struct row_values *rv)
{
    size_t n = json_object_size(row);
    rv->columns = xzalloc(n * sizeof *rv->columns);
    rv->values = xzalloc(n * sizeof *rv->values);
    rv->n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_object_key_at(row, i);
        const struct db_column_schema *column;
        struct db_error *error = writable_column(table, name, for_update, &column);
        if (error)
            return error;
        error = db_datum_from_json(&rv->values[rv->n], &column->type,
                                   json_object_value_at(row, i), &x->names);
        if (error)
            return db_error_wrap(error, "table %s column %s", table->schema->name, name);
        rv->columns[rv->n++] = column;
    }
    return NULL;
}

/* Copies the values into `row` (a version the transaction owns). */
static void apply_row_values(struct db_row *row, const struct row_values *rv)
{
    for (size_t i = 0; i < rv->n; i++) {
        const struct db_column_schema *column = rv->columns[i];
        db_datum_destroy(&row->fields[column->index], &column->type);
        db_datum_clone(&row->fields[column->index], &rv->values[i], &column->type);
    }
}

/* ---- where ---- */

static bool function_from_string(const char *s, enum function *f)
{
    static const char *const names[] = {
        [F_EQ] = "==", [F_NE] = "!=", [F_LT] = "<", [F_LE] = "<=", [F_GT] = ">",
        [F_GE] = ">=", [F_INCLUDES] = "includes", [F_EXCLUDES] = "excludes",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcmp(s, names[i])) {
            *f = (enum function)i;
            return true;
        }
    }
    return false;
}

/* The type a condition's value is parsed with: the column's, relaxed as RFC 7047 allows. */
static struct db_error *condition_type(const struct db_column_schema *column, enum function f,
                                       const char *name, struct db_type *type)
{
    *type = column->type;
    switch (f) {
    case F_EQ:
    case F_NE:
        type->n_min = 0;
        return NULL;
    case F_INCLUDES:
    case F_EXCLUDES:
        type->n_min = 0;
        type->n_max = DB_UNLIMITED;
        return NULL;
    default:
        if (db_type_is_map(type) || type->n_max != 1 ||
            (type->key.type != DB_TYPE_INTEGER && type->key.type != DB_TYPE_REAL)) {
            char *english = db_type_to_english(&column->type);
            struct db_error *error = db_error_create(
                DB_ERR_SYNTAX, "type mismatch: \"%s\" cannot be applied to column %s of type %s",
                name, column->name, english);
            free(english);
            return error;
        }
        type->n_min = 1;
        return NULL;
    }
}

static struct db_error *parse_condition(struct exec *x, const struct db_table *table,
                                        const struct json *json, struct condition *cond)
{
    const struct json *fn = json_array_at(json, 1);
    if (!json_is_array(json) || json_array_size(json) != 3 || !json_is_string(fn))
        return db_error_create(DB_ERR_SYNTAX, "a condition must be [column, function, value]");
    struct db_error *error = lookup_column(table, json_array_at(json, 0), &cond->column);
    if (error)
        return error;
    if (!function_from_string(json_string(fn), &cond->function))
        return db_error_create(DB_ERR_SYNTAX, "unknown function \"%s\" in condition",
                               json_string(fn));
    error = condition_type(cond->column, cond->function, json_string(fn), &cond->arg_type);
    if (!error)
        error = db_datum_from_json(&cond->arg, &cond->arg_type, json_array_at(json, 2),
                                   &x->names);
    return error ? db_error_wrap(error, "condition on column %s", cond->column->name) : NULL;
}

static void where_destroy(struct where *w)
{
    for (size_t i = 0; i < w->n; i++)
        db_datum_destroy(&w->conds[i].arg, &w->conds[i].arg_type);
    free(w->conds);
}

static struct db_error *parse_where(struct exec *x, const struct db_table *table,
                                    const struct json *op, struct where *w)
{
    const struct json *json;
    struct db_error *error = required(op, "where", JSON_ARRAY, &json);
    w->conds = NULL;
    w->n = 0;
    if (error)
        return error;
    w->conds = xzalloc(json_array_size(json) * sizeof *w->conds);
    for (size_t i = 0; !error && i < json_array_size(json); i++) {
        error = parse_condition(x, table, json_array_at(json, i), &w->conds[w->n]);
        if (!error)
            w->n++;
    }
    return error;
}

static bool condition_matches(const struct condition *c, const struct db_row *row)
{
    const struct db_datum *value = &row->fields[c->column->index];
    const struct db_type *type = &c->column->type;
    int cmp;
    switch (c->function) {
    case F_EQ: return db_datum_equals(value, &c->arg, type);
    case F_NE: return !db_datum_equals(value, &c->arg, type);
    case F_INCLUDES: return db_datum_includes_all(&c->arg, value, type);
    case F_EXCLUDES: return db_datum_excludes_all(&c->arg, value, type);
    default:
        if (value->n != 1)
            return false;   /* an empty optional value is not ordered against anything */
        cmp = db_atom_compare(&value->keys[0], &c->arg.keys[0], type->key.type);
        return c->function == F_LT ? cmp < 0 : c->function == F_LE ? cmp <= 0
             : c->function == F_GT ? cmp > 0 : cmp >= 0;
    }
}

static bool where_matches(const struct where *w, const struct db_row *row)
{
    for (size_t i = 0; i < w->n; i++)
        if (!condition_matches(&w->conds[i], row))
            return false;
    return true;
}

/* The "==" condition on `column`, if any. */
static const struct condition *equality_on(const struct where *w,
                                           const struct db_column_schema *column)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->conds[i].column == column && w->conds[i].function == F_EQ)
            return &w->conds[i];
    return NULL;
}

/* Uses a unique index whose every column has an "==" condition; false if there is none. */
static bool select_by_index(const struct db_table *table, const struct where *w,
                            struct row_set *out)
{
    for (size_t i = 0; i < table->schema->n_indexes; i++) {
        const struct db_index_schema *index = &table->schema->indexes[i];
        size_t hash = 0, k;
        for (k = 0; k < index->n_columns; k++) {
            const struct condition *c = equality_on(w, index->columns[k]);
            if (!c)
                break;
            hash = db_datum_hash(&c->arg, &index->columns[k]->type, hash);
        }
        if (k < index->n_columns)
            continue;
        /* During a transaction two rows may briefly share a key: check every candidate. */
        for (struct hmap_node *node = hmap_first_with_hash(&table->indexes[i], hash); node;
             node = hmap_next_with_hash(node)) {
            struct db_row *row = CONTAINER_OF(node, struct db_index_node, node)->row;
            if (where_matches(w, row))
                row_set_add(out, row);
        }
        return true;
    }
    return false;
}

/* The current rows of `table` that satisfy `w`: by UUID or a unique index when the conditions
 * allow it, else by a scan of the table. */
static void select_rows(const struct db_table *table, const struct where *w, struct row_set *out)
{
    const struct condition *by_uuid = equality_on(w, &table->schema->columns[DB_COLUMN_UUID]);
    if (by_uuid) {
        struct db_row *row = by_uuid->arg.n == 1 ? db_table_find(table, &by_uuid->arg.keys[0].uuid)
                                                 : NULL;
        if (row && where_matches(w, row))
            row_set_add(out, row);
        return;
    }
    if (select_by_index(table, w, out))
        return;
    for (struct hmap_node *node = hmap_first(&table->rows); node;
         node = hmap_next(&table->rows, node)) {
        struct db_row *row = CONTAINER_OF(node, struct db_row, node);
        if (where_matches(w, row))
            row_set_add(out, row);
    }
}

/* Parses the table and where clause of `op` and selects the rows. */
static struct db_error *parse_and_select(struct exec *x, const struct json *op,
                                         struct db_table **table, struct row_set *rows)
{
    struct where w = { NULL, 0 };
    struct db_error *error = parse_table(x, op, table);
    if (!error)
        error = parse_where(x, *table, op, &w);
    if (!error)
        select_rows(*table, &w, rows);
    where_destroy(&w);
    return error;
}

static struct json *count_result(size_t n)
{
    return json_object_put(json_object_new(), "count", json_integer_new((int64_t)n));
}

/* ---- insert ---- */

static struct db_error *parse_uuid_member(const struct json *json, struct uuid *uuid)
{
    const struct json *text = json;
    if (json_is_array(json) && json_array_size(json) == 2 &&
        !strcmp(json_string(json_array_at(json, 0)), "uuid"))
        text = json_array_at(json, 1);
    if (!json_is_string(text) || !uuid_from_string(uuid, json_string(text)))
        return db_error_create(DB_ERR_SYNTAX, "\"uuid\" must be a UUID");
    return NULL;
}

static bool is_id(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* Chooses the new row's UUID: the explicit "uuid", the one a forward reference to its
 * uuid-name already gave out, or a fresh one; and defines the uuid-name. */
static struct db_error *choose_uuid(struct exec *x, const struct db_table *table,
                                    const struct json *op, struct uuid *uuid)
{
    const struct json *explicit_uuid = json_object_get(op, "uuid");
    const struct json *name = json_object_get(op, "uuid-name");
    struct db_error *error = explicit_uuid ? parse_uuid_member(explicit_uuid, uuid) : NULL;
    if (error)
        return error;
    if (!explicit_uuid)
        uuid_generate(&x->db->uuids, uuid);
    if (name) {
        if (!json_is_string(name) || !is_id(json_string(name)))
            return db_error_create(DB_ERR_SYNTAX, "\"uuid-name\" must be an identifier");
        struct symbol *symbol = find_symbol(x, json_string(name));
        if (symbol && symbol->created)
            return db_error_create(DB_ERR_DUPLICATE_NAME, "uuid-name \"%s\" is defined by an "
                                   "earlier insert", json_string(name));
        if (symbol && explicit_uuid && !uuid_equals(&symbol->uuid, uuid))
            return db_error_create(DB_ERR_SYNTAX, "uuid-name \"%s\" was used before this insert, "
                                   "which gives an explicit uuid", json_string(name));
        if (symbol)
            *uuid = symbol->uuid;
        else
            symbol = add_symbol(x, json_string(name), uuid);
        symbol->created = true;
    }
    if (db_table_find(table, uuid) || db_txn_uuid_used(x->txn, table, uuid)) {
        char u[UUID_STRING_LEN + 1];
        uuid_to_string(uuid, u);
        return db_error_create(DB_ERR_DUPLICATE_UUID, "table %s already has a row %s (or had "
                               "one earlier in this transaction)", table->schema->name, u);
    }
    return NULL;
}

static struct db_error *execute_insert(struct exec *x, const struct json *op,
                                       struct json **result)
{
    static const char *const members[] = { "op", "table", "row", "uuid-name", "uuid", NULL };
    struct db_table *table;
    struct db_error *error = check_members(op, members);
    if (!error)
        error = parse_table(x, op, &table);
    const struct json *row_json = json_object_get(op, "row");
    if (!error && row_json && !json_is_object(row_json))
        error = db_error_create(DB_ERR_SYNTAX, "member \"row\" must be an object");
    struct row_values rv = { NULL, NULL, 0 };
    struct uuid uuid;
    if (!error)
        error = choose_uuid(x, table, op, &uuid);
    if (!error && row_json)
        error = parse_row_values(x, table, row_json, false, &rv);
    if (!error) {
        struct db_row *row = db_row_create(table, &uuid);
        apply_row_values(row, &rv);
        db_txn_insert(x->txn, row);
        *result = json_object_put(json_object_new(), "uuid",
                                  db_atom_to_json(&row->meta[DB_COLUMN_UUID], DB_TYPE_UUID));
    }
    row_values_destroy(&rv);
    return error;
}

/* ---- select ---- */

static struct db_error *execute_select(struct exec *x, const struct json *op,
                                       struct json **result)
{
    static const char *const members[] = { "op", "table", "where", "columns", NULL };
    struct db_table *table;
    struct row_set rows = { NULL, 0, 0 };
    const struct db_column_schema **columns = NULL;
    size_t n_columns = 0;
    struct db_error *error = check_members(op, members);
    if (!error)
        error = parse_and_select(x, op, &table, &rows);
    if (!error)
        error = parse_columns(table, json_object_get(op, "columns"), &columns, &n_columns);
    if (!error) {
        struct json *array = json_array_new();
        for (size_t i = 0; i < rows.n; i++)
            json_array_append(array, db_row_to_json(rows.rows[i], columns, n_columns, false));
        *result = json_object_put(json_object_new(), "rows", array);
    }
    free(columns);
    free(rows.rows);
    return error;
}

/* ---- update ---- */

static struct db_error *execute_update(struct exec *x, const struct json *op,
                                       struct json **result)
{
    static const char *const members[] = { "op", "table", "where", "row", NULL };
    struct db_table *table;
    struct row_set rows = { NULL, 0, 0 };
    struct row_values rv = { NULL, NULL, 0 };
    const struct json *row_json;
    struct db_error *error = check_members(op, members);
    if (!error)
        error = required(op, "row", JSON_OBJECT, &row_json);
    if (!error)
        error = parse_table(x, op, &table);
    if (!error)
        error = parse_row_values(x, table, row_json, true, &rv);
    if (!error)
        error = parse_and_select(x, op, &table, &rows);
    for (size_t i = 0; !error && i < rows.n; i++) {
        struct db_row *row = db_txn_modify(x->txn, rows.rows[i]);
        apply_row_values(row, &rv);
        db_table_reindex(table, row);
    }
    if (!error)
        *result = count_result(rows.n);
    row_values_destroy(&rv);
    free(rows.rows);
    return error;
}

/* ---- mutate ---- */

static bool mutator_from_string(const char *s, enum mutator *m)
{
    static const char *const names[] = {
        [M_ADD] = "+=", [M_SUB] = "-=", [M_MUL] = "*=", [M_DIV] = "/=", [M_MOD] = "%=",
        [M_INSERT] = "insert", [M_DELETE] = "delete",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcmp(s, names[i])) {
            *m = (enum mutator)i;
            return true;
        }
    }
    return false;
}

static struct db_error *arithmetic_mismatch(const struct db_column_schema *column,
                                            const char *mutator)
{
    char *english = db_type_to_english(&column->type);
    struct db_error *error = db_error_create(
        DB_ERR_SYNTAX, "type mismatch: \"%s\" cannot be applied to column %s of type %s",
        mutator, column->name, english);
    free(english);
    return error;
}

/* The argument of an arithmetic mutator: one atom of the column's key type, unconstrained (a
 * step of -1 is fine on a column that holds only positive numbers). */
static struct db_error *parse_arithmetic_arg(struct exec *x, struct mutation *m,
                                             const char *name, const struct json *value)
{
    const struct db_column_schema *column = m->column;
    enum db_atomic_type t = column->type.key.type;
    if (db_type_is_map(&column->type) || (t != DB_TYPE_INTEGER && t != DB_TYPE_REAL) ||
        (m->mutator == M_MOD && t != DB_TYPE_INTEGER))
        return arithmetic_mismatch(column, name);
    memset(&m->arg_type, 0, sizeof m->arg_type);
    m->arg_type.key.type = t;
    m->arg_type.n_min = m->arg_type.n_max = 1;
    union db_atom atom;
    struct db_error *error = db_atom_from_json(&atom, &m->arg_type.key, value, &x->names);
    if (error)
        return error;
    db_datum_init_empty(&m->arg);
    db_datum_append_unsorted(&m->arg, &atom, NULL);
    return NULL;
}

/* The argument of insert/delete: a set or map of the column's type, any size. Deleting from a
 * map also accepts a set of keys. */
static struct db_error *parse_collection_arg(struct exec *x, struct mutation *m,
                                             const struct json *value)
{
    m->arg_type = m->column->type;
    m->arg_type.n_min = 0;
    m->arg_type.n_max = DB_UNLIMITED;
    const struct json *tag = json_array_at(value, 0);
    bool is_map_json = json_is_array(value) && tag && !strcmp(json_string(tag), "map");
    if (m->mutator == M_DELETE && db_type_is_map(&m->arg_type) && !is_map_json)
        m->arg_type.value.type = DB_TYPE_VOID;
    return db_datum_from_json(&m->arg, &m->arg_type, value, &x->names);
}

static struct db_error *parse_mutation(struct exec *x, const struct db_table *table,
                                       const struct json *json, struct mutation *m)
{
    const struct json *name = json_array_at(json, 1);
    if (!json_is_array(json) || json_array_size(json) != 3 || !json_is_string(name))
        return db_error_create(DB_ERR_SYNTAX, "a mutation must be [column, mutator, value]");
    const struct json *column = json_array_at(json, 0);
    if (!json_is_string(column))
        return db_error_create(DB_ERR_SYNTAX, "a column name must be a string");
    struct db_error *error = writable_column(table, json_string(column), true, &m->column);
    if (error)
        return error;
    if (!mutator_from_string(json_string(name), &m->mutator))
        return db_error_create(DB_ERR_SYNTAX, "unknown mutator \"%s\"", json_string(name));
    error = m->mutator <= M_MOD
                ? parse_arithmetic_arg(x, m, json_string(name), json_array_at(json, 2))
                : parse_collection_arg(x, m, json_array_at(json, 2));
    return error ? db_error_wrap(error, "mutation of column %s", m->column->name) : NULL;
}

static struct db_error *integer_op(enum mutator m, int64_t a, int64_t b, int64_t *out)
{
    bool overflow = false;
    switch (m) {
    case M_ADD: overflow = __builtin_add_overflow(a, b, out); break;
    case M_SUB: overflow = __builtin_sub_overflow(a, b, out); break;
    case M_MUL: overflow = __builtin_mul_overflow(a, b, out); break;
    case M_DIV:
    case M_MOD:
        if (!b)
            return db_error_create(DB_ERR_DOMAIN, "division by zero");
        overflow = a == INT64_MIN && b == -1;
        if (!overflow)
            *out = m == M_DIV ? a / b : a % b;
        break;
    default: break;
    }
    return overflow ? db_error_create(DB_ERR_RANGE, "result of %lld and %lld is outside the "
                                      "range of a 64-bit integer", (long long)a, (long long)b)
                    : NULL;
}

static struct db_error *real_op(enum mutator m, double a, double b, double *out)
{
    if (m == M_DIV && b == 0.0)
        return db_error_create(DB_ERR_DOMAIN, "division by zero");
    *out = m == M_ADD ? a + b : m == M_SUB ? a - b : m == M_MUL ? a * b : a / b;
    if (!isfinite(*out))
        return db_error_create(DB_ERR_RANGE, "result of %.17g and %.17g is not a finite real",
                               a, b);
    return NULL;
}

static struct db_error *apply_arithmetic(struct db_datum *datum, const struct mutation *m)
{
    const struct db_type *type = &m->column->type;
    const union db_atom *arg = &m->arg.keys[0];
    for (size_t i = 0; i < datum->n; i++) {
        union db_atom *atom = &datum->keys[i];
        struct db_error *error = type->key.type == DB_TYPE_INTEGER
            ? integer_op(m->mutator, atom->integer, arg->integer, &atom->integer)
            : real_op(m->mutator, atom->real, arg->real, &atom->real);
        if (!error)
            error = db_atom_check_constraints(atom, &type->key);
        if (error)
            return error;
    }
    return db_datum_sort_unique(datum, type);
}

static struct db_error *apply_mutation(struct db_row *row, const struct mutation *m)
{
    const struct db_type *type = &m->column->type;
    struct db_datum *datum = &row->fields[m->column->index];
    struct db_error *error;
    switch (m->mutator) {
    case M_INSERT:
        db_datum_union(datum, &m->arg, type);
        error = db_datum_check_size(datum, type);
        break;
    case M_DELETE:
        db_datum_subtract(datum, type, &m->arg, &m->arg_type);
        error = db_datum_check_size(datum, type);
        break;
    default:
        error = apply_arithmetic(datum, m);
        break;
    }
    if (!error)
        return NULL;
    char u[UUID_STRING_LEN + 1];
    uuid_to_string(db_row_uuid(row), u);
    return db_error_wrap(error, "mutation of column %s of %s row %s", m->column->name,
                         row->table->schema->name, u);
}

static void mutations_destroy(struct mutation *ms, size_t n)
{
    for (size_t i = 0; i < n; i++)
        db_datum_destroy(&ms[i].arg, &ms[i].arg_type);
    free(ms);
}

static struct db_error *parse_mutations(struct exec *x, const struct db_table *table,
                                        const struct json *op, struct mutation **ms, size_t *n)
{
    const struct json *json;
    struct db_error *error = required(op, "mutations", JSON_ARRAY, &json);
    *ms = NULL;
    *n = 0;
    if (error)
        return error;
    *ms = xzalloc(json_array_size(json) * sizeof **ms);
    for (size_t i = 0; !error && i < json_array_size(json); i++) {
        error = parse_mutation(x, table, json_array_at(json, i), &(*ms)[*n]);
        if (!error)
            (*n)++;
    }
    return error;
}

static struct db_error *execute_mutate(struct exec *x, const struct json *op,
                                       struct json **result)
{
    static const char *const members[] = { "op", "table", "where", "mutations", NULL };
    struct db_table *table;
    struct row_set rows = { NULL, 0, 0 };
    struct mutation *ms = NULL;
    size_t n_ms = 0;
    struct db_error *error = check_members(op, members);
    if (!error)
        error = parse_table(x, op, &table);
    if (!error)
        error = parse_mutations(x, table, op, &ms, &n_ms);
    if (!error)
        error = parse_and_select(x, op, &table, &rows);
    for (size_t i = 0; !error && i < rows.n; i++) {
        struct db_row *row = db_txn_modify(x->txn, rows.rows[i]);
        for (size_t j = 0; !error && j < n_ms; j++)
            error = apply_mutation(row, &ms[j]);
        db_table_reindex(table, row);
    }
    if (!error)
        *result = count_result(rows.n);
    mutations_destroy(ms, n_ms);
    free(rows.rows);
    return error;
}

/* ---- delete ---- */

static struct db_error *execute_delete(struct exec *x, const struct json *op,
                                       struct json **result)
{
    static const char *const members[] = { "op", "table", "where", NULL };
    struct db_table *table;
    struct row_set rows = { NULL, 0, 0 };
    struct db_error *error = check_members(op, members);
    if (!error)
        error = parse_and_select(x, op, &table, &rows);
    for (size_t i = 0; !error && i < rows.n; i++)
        db_txn_delete(x->txn, rows.rows[i]);
    if (!error)
        *result = count_result(rows.n);
    free(rows.rows);
    return error;
}

/* ---- wait ---- */

/* One expected row of a wait: values for the wait's columns, in their order. */
static struct db_error *parse_expected_row(struct exec *x, const struct db_table *table,
                                           const struct json *json,
                                           const struct db_column_schema **columns,
                                           size_t n_columns, struct db_datum *values)
{
    if (!json_is_object(json))
        return db_error_create(DB_ERR_SYNTAX, "each of \"rows\" must be an object");
    for (size_t i = 0; i < json_object_size(json); i++) {
        const char *name = json_object_key_at(json, i);
        size_t k = 0;
        while (k < n_columns && strcmp(columns[k]->name, name))
            k++;
        if (k == n_columns)
            return db_error_create(DB_ERR_SYNTAX, "column %s of a row to wait for is not in "
                                   "\"columns\"", name);
    }
    for (size_t k = 0; k < n_columns; k++) {
        const struct json *value = json_object_get(json, columns[k]->name);
        struct db_error *error = value ? db_datum_from_json(&values[k], &columns[k]->type, value,
                                                            &x->names)
                                       : NULL;
        if (!value)
            db_datum_init_default(&values[k], &columns[k]->type);
        if (error) {
            for (size_t j = 0; j < k; j++)
                db_datum_destroy(&values[j], &columns[j]->type);
            return db_error_wrap(error, "table %s column %s", table->schema->name,
                                 columns[k]->name);
        }
    }
    return NULL;
}

static bool row_matches_expected(const struct db_row *row,
                                 const struct db_column_schema **columns, size_t n_columns,
                                 const struct db_datum *values)
{
    for (size_t k = 0; k < n_columns; k++)
        if (!db_datum_equals(&row->fields[columns[k]->index], &values[k], &columns[k]->type))
            return false;
    return true;
}

/* Whether the selected rows, projected on `columns`, are exactly the expected rows (as
 * multisets). Wait conditions are small, so a quadratic match is fine. */
static bool rows_equal_expected(const struct row_set *rows,
                                const struct db_column_schema **columns, size_t n_columns,
                                struct db_datum *const *expected, size_t n_expected)
{
    if (rows->n != n_expected)
        return false;
    bool *used = xzalloc(n_expected * sizeof *used);
    bool equal = true;
    for (size_t i = 0; equal && i < rows->n; i++) {
        size_t j = 0;
        while (j < n_expected &&
               (used[j] || !row_matches_expected(rows->rows[i], columns, n_columns, expected[j])))
            j++;
        if (j == n_expected)
            equal = false;
        else
            used[j] = true;
    }
    free(used);
    return equal;
}

struct wait_op {
    const struct db_column_schema **columns;
    size_t n_columns;
    struct db_datum **expected;
    size_t n_expected;
    bool until_equal;
    int64_t timeout_ms;
};

static void wait_op_destroy(struct wait_op *w)
{
    for (size_t i = 0; i < w->n_expected; i++) {
        for (size_t k = 0; k < w->n_columns; k++)
            db_datum_destroy(&w->expected[i][k], &w->columns[k]->type);
        free(w->expected[i]);
    }
    free(w->expected);
    free(w->columns);
}

static struct db_error *parse_wait(struct exec *x, const struct db_table *table,
                                   const struct json *op, struct wait_op *w)
{
    const struct json *columns, *until, *rows, *timeout = json_object_get(op, "timeout");
    struct db_error *error = required(op, "columns", JSON_ARRAY, &columns);
    if (!error)
        error = required(op, "until", JSON_STRING, &until);
    if (!error)
        error = required(op, "rows", JSON_ARRAY, &rows);
    if (!error && timeout && (!json_is_integer(timeout) || json_integer(timeout) < 0))
        error = db_error_create(DB_ERR_SYNTAX, "\"timeout\" must be a non-negative integer");
    if (!error && strcmp(json_string(until), "==") && strcmp(json_string(until), "!="))
        error = db_error_create(DB_ERR_SYNTAX, "\"until\" must be \"==\" or \"!=\"");
    if (!error)
        error = parse_columns(table, columns, &w->columns, &w->n_columns);
    if (error)
        return error;
    w->until_equal = !strcmp(json_string(until), "==");
    w->timeout_ms = timeout ? json_integer(timeout) : 0;
    w->expected = xzalloc(json_array_size(rows) * sizeof *w->expected);
    for (size_t i = 0; i < json_array_size(rows); i++) {
        struct db_datum *values = xzalloc(w->n_columns * sizeof *values);
        error = parse_expected_row(x, table, json_array_at(rows, i), w->columns, w->n_columns,
                                   values);
        if (error) {
            free(values);
            return error;
        }
        w->expected[w->n_expected++] = values;
    }
    return NULL;
}

/* The condition is evaluated when the transaction runs. If it does not hold and the timeout
 * is positive, the caller may run the whole transaction again after later commits until the
 * timeout has passed (db_transact_blocking()); this error is what the client gets then. */
static struct db_error *execute_wait(struct exec *x, const struct json *op, struct json **result)
{
    static const char *const members[] = { "op", "table", "where", "columns", "until", "rows",
                                           "timeout", NULL };
    struct db_table *table;
    struct row_set rows = { NULL, 0, 0 };
    struct wait_op w = { NULL, 0, NULL, 0, false, 0 };
    struct db_error *error = check_members(op, members);
    if (!error)
        error = parse_table(x, op, &table);
    if (!error)
        error = parse_wait(x, table, op, &w);
    if (!error)
        error = parse_and_select(x, op, &table, &rows);
    if (!error) {
        bool equal = rows_equal_expected(&rows, w.columns, w.n_columns, w.expected,
                                         w.n_expected);
        if (equal == w.until_equal) {
            *result = json_object_new();
        } else if (w.timeout_ms > 0) {
            x->wait_timeout_ms = w.timeout_ms;
            error = db_error_create(DB_ERR_TIMED_OUT, "\"wait\" condition on table %s not met "
                                    "within %" PRId64 " ms", table->schema->name, w.timeout_ms);
        } else {
            error = db_error_create(DB_ERR_TIMED_OUT, "\"wait\" condition on table %s not met",
                                    table->schema->name);
        }
    }
    wait_op_destroy(&w);
    free(rows.rows);
    return error;
}

/* ---- commit, abort, comment, assert ---- */

static struct db_error *execute_commit(struct exec *x, const struct json *op,
                                       struct json **result)
{
    static const char *const members[] = { "op", "durable", NULL };
    const struct json *durable;
    (void)x;
    struct db_error *error = check_members(op, members);
    if (!error)
        error = required(op, "durable", JSON_BOOLEAN, &durable);
    if (!error)
        *result = json_object_new();   /* every commit is durable: dbd syncs its journal */
    return error;
}

static struct db_error *execute_abort(struct exec *x, const struct json *op, struct json **result)
{
    static const char *const members[] = { "op", NULL };
    (void)x;
    (void)result;
    struct db_error *error = check_members(op, members);
    return error ? error : db_error_create(DB_ERR_ABORTED, "aborted by request");
}

static struct db_error *execute_comment(struct exec *x, const struct json *op,
                                        struct json **result)
{
    static const char *const members[] = { "op", "comment", NULL };
    const struct json *comment;
    struct db_error *error = check_members(op, members);
    if (!error)
        error = required(op, "comment", JSON_STRING, &comment);
    if (error)
        return error;
    if (x->comments.len)
        db_text_put(&x->comments, "\n", 1);
    db_text_put(&x->comments, json_string(comment), strlen(json_string(comment)));
    *result = json_object_new();
    return NULL;
}

static struct db_error *execute_assert(struct exec *x, const struct json *op,
                                       struct json **result)
{
    static const char *const members[] = { "op", "lock", NULL };
    const struct json *lock = json_object_get(op, "lock");
    (void)x;
    struct db_error *error = check_members(op, members);
    if (error)
        return error;
    if (lock)
        return db_error_create(DB_ERR_NOT_SUPPORTED, "locks are not supported: cannot assert "
                               "lock %s", json_is_string(lock) ? json_string(lock) : "(invalid)");
    *result = json_object_new();
    return NULL;
}

/* ---- the transaction ---- */

typedef struct db_error *execute_fn(struct exec *, const struct json *op, struct json **result);

static const struct {
    const char *name;
    execute_fn *execute;
} operations[] = {
    { "insert", execute_insert },   { "select", execute_select },
    { "update", execute_update },   { "mutate", execute_mutate },
    { "delete", execute_delete },   { "wait", execute_wait },
    { "commit", execute_commit },   { "abort", execute_abort },
    { "comment", execute_comment }, { "assert", execute_assert },
};

static struct db_error *execute_op(struct exec *x, const struct json *op, struct json **result)
{
    const struct json *name = json_is_object(op) ? json_object_get(op, "op") : NULL;
    if (!name || !json_is_string(name))
        return db_error_create(DB_ERR_SYNTAX, "an operation must be an object with a string "
                               "member \"op\"");
    for (size_t i = 0; i < sizeof operations / sizeof operations[0]; i++)
        if (!strcmp(json_string(name), operations[i].name))
            return operations[i].execute(x, op, result);
    return db_error_create(DB_ERR_SYNTAX, "unknown operation \"%s\"", json_string(name));
}

static struct json *error_json(struct db_error *error)
{
    struct json *json = json_object_new();
    json_object_put(json, "error", json_string_new(error->tag));
    json_object_put(json, "details", json_string_new(error->details));
    db_error_free(error);
    return json;
}

/* Runs the operations params[1..]; returns the results array and whether all succeeded. */
static bool execute_ops(struct exec *x, const struct json *params, struct json *results)
{
    size_t n = json_array_size(params);
    for (size_t i = 1; i < n; i++) {
        struct json *result = NULL;
        struct db_error *error = execute_op(x, json_array_at(params, i), &result);
        if (error) {
            json_free(result);
            json_array_append(results, error_json(error));
            while (++i < n)
                json_array_append(results, json_null_new());
            return false;
        }
        json_array_append(results, result);
    }
    return true;
}

static char *single_error(struct db_error *error)
{
    struct json *results = json_array_append(json_array_new(), error_json(error));
    char *text = json_to_string(results);
    json_free(results);
    return text;
}

/* Checks the envelope: a JSON array whose first element names this database. */
static struct db_error *parse_params(const struct db *db, const char *text, size_t len,
                                     struct json **params)
{
    static const struct json_limits limits = { DB_TRANSACT_MAX_BYTES, JSON_DEFAULT_MAX_DEPTH };
    *params = NULL;
    if (len > DB_TRANSACT_MAX_BYTES)
        return db_error_create(DB_ERR_RESOURCES, "transaction of %zu bytes exceeds the limit of "
                               "%u bytes", len, DB_TRANSACT_MAX_BYTES);
    char *parse_error = NULL;
    struct json *json = json_parse_with_limits(text, len, &limits, &parse_error);
    if (!json) {
        struct db_error *error = db_error_create(DB_ERR_SYNTAX, "%s", parse_error);
        free(parse_error);
        return error;
    }
    const struct json *name = json_array_at(json, 0);
    if (!json_is_array(json) || !name || !json_is_string(name)) {
        json_free(json);
        return db_error_create(DB_ERR_SYNTAX, "transact params must be an array "
                               "[\"<database>\", <operation>, ...]");
    }
    if (strcmp(json_string(name), db->schema->name)) {
        struct db_error *error = db_error_create(DB_ERR_UNKNOWN_DATABASE, "no database named "
                                                 "%s (this one is %s)", json_string(name),
                                                 db->schema->name);
        json_free(json);
        return error;
    }
    *params = json;
    return NULL;
}

/* Runs the operations and the commit checks; on failure the transaction is rolled back. */
static bool run_transaction(struct exec *x, const struct json *params, struct json *results,
                            struct db_commit *commit)
{
    struct db_error *error = NULL;
    if (!execute_ops(x, params, results))
        goto abort;
    error = check_symbols_defined(x);
    if (!error)
        error = db_txn_precommit(x->txn, &commit->record, &commit->undo);
    if (error) {
        json_array_append(results, error_json(error));
        goto abort;
    }
    db_txn_commit(x->txn);
    return true;
abort:
    db_txn_abort(x->txn);
    return false;
}

int db_transact(struct db *db, const char *text, size_t len, char **reply, char **commit)
{
    return db_transact_blocking(db, text, len, reply, commit, NULL);
}

int db_transact_blocking(struct db *db, const char *text, size_t len, char **reply,
                         char **commit, int64_t *wait_timeout_ms)
{
    struct db_commit outcome;
    int rc = db_transact_undoable(db, text, len, reply, &outcome, wait_timeout_ms);
    if (commit)
        *commit = outcome.record;
    else
        free(outcome.record);
    free(outcome.undo);
    free(outcome.comment);
    return rc;
}

int db_transact_undoable(struct db *db, const char *text, size_t len, char **reply,
                         struct db_commit *commit, int64_t *wait_timeout_ms)
{
    if (wait_timeout_ms)
        *wait_timeout_ms = 0;
    memset(commit, 0, sizeof *commit);
    struct json *params;
    struct db_error *error = parse_params(db, text, len, &params);
    if (error) {
        *reply = single_error(error);
        return -1;
    }
    struct exec x = { .db = db };
    hmap_init(&x.symbols);
    x.names.resolve = resolve_name;
    x.names.aux = &x;
    x.txn = db_txn_begin(db);
    struct json *results = json_array_new();
    bool ok = run_transaction(&x, params, results, commit);
    if (!ok && wait_timeout_ms)
        *wait_timeout_ms = x.wait_timeout_ms;
    if (ok && commit->record)
        commit->comment = x.comments.s;
    else
        free(x.comments.s);
    free_symbols(&x);
    json_free(params);
    *reply = json_to_string(results);
    json_free(results);
    return ok ? 0 : -1;
}
