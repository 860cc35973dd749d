/* Schema parsing and validation: see schema.h. Errors name where they were found ("table
 * Port, column tag: ...") so that a broken schema file is quick to fix. */
#include "ovsdb/schema.h"

#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/json.h"
#include "lib/xalloc.h"

static bool atomic_type_from_string(const char *s, enum db_atomic_type *type)
{
    for (enum db_atomic_type t = DB_TYPE_INTEGER; t <= DB_TYPE_UUID; t++) {
        if (!strcmp(s, db_atomic_type_name(t))) {
            *type = t;
            return true;
        }
    }
    return false;
}

/* An <id>: [a-zA-Z_][a-zA-Z0-9_]* */
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

static bool is_version(const char *s)
{
    for (int part = 0; part < 3; part++) {
        if (part && *s++ != '.')
            return false;
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

static struct db_error *syntax(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static struct db_error *syntax(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *details;
    if (vasprintf(&details, fmt, args) < 0)
        abort();
    va_end(args);
    struct db_error *error = db_error_create(DB_ERR_SYNTAX, "%s", details);
    free(details);
    return error;
}

/* Rejects members of `object` not in the NULL-terminated `allowed` list: a misspelled
 * "maxInteger" must not silently drop a constraint. */
static struct db_error *check_members(const struct json *object, const char *const *allowed)
{
    for (size_t i = 0; i < json_object_size(object); i++) {
        const char *key = json_object_key_at(object, i);
        const char *const *a = allowed;
        while (*a && strcmp(*a, key))
            a++;
        if (!*a)
            return syntax("unknown member \"%s\"", key);
    }
    return NULL;
}

/* ---- base types ---- */

static void base_type_init(struct db_base_type *base, enum db_atomic_type type)
{
    memset(base, 0, sizeof *base);
    base->type = type;
    base->min_integer = INT64_MIN;
    base->max_integer = INT64_MAX;
    base->min_real = -DBL_MAX;
    base->max_real = DBL_MAX;
    base->max_length = SIZE_MAX;
    base->ref_type = DB_REF_STRONG;
}

static void base_type_destroy(struct db_base_type *base)
{
    if (base->enum_values) {
        struct db_type set = { .key = *base, .n_max = DB_UNLIMITED };
        set.key.enum_values = NULL;
        db_datum_destroy(base->enum_values, &set);
        free(base->enum_values);
    }
    free(base->ref_table_name);
    base->enum_values = NULL;
    base->ref_table_name = NULL;
}

static struct db_error *parse_integer_member(const struct json *object, const char *name,
                                             int64_t min, int64_t *value)
{
    const struct json *json = json_object_get(object, name);
    if (!json)
        return NULL;
    if (!json_is_integer(json) || json_integer(json) < min)
        return syntax("\"%s\" must be an integer of at least %lld", name, (long long)min);
    *value = json_integer(json);
    return NULL;
}

static struct db_error *parse_real_member(const struct json *object, const char *name,
                                          double *value)
{
    const struct json *json = json_object_get(object, name);
    if (!json)
        return NULL;
    if (!json_is_number(json))
        return syntax("\"%s\" must be a number", name);
    *value = json_real(json);
    return NULL;
}

static struct db_error *parse_integer_constraints(struct db_base_type *base,
                                                  const struct json *json)
{
    struct db_error *error = parse_integer_member(json, "minInteger", INT64_MIN,
                                                  &base->min_integer);
    if (!error)
        error = parse_integer_member(json, "maxInteger", INT64_MIN, &base->max_integer);
    if (!error && base->min_integer > base->max_integer)
        error = syntax("minInteger %lld exceeds maxInteger %lld", (long long)base->min_integer,
                       (long long)base->max_integer);
    return error;
}

static struct db_error *parse_real_constraints(struct db_base_type *base, const struct json *json)
{
    struct db_error *error = parse_real_member(json, "minReal", &base->min_real);
    if (!error)
        error = parse_real_member(json, "maxReal", &base->max_real);
    if (!error && base->min_real > base->max_real)
        error = syntax("minReal %.17g exceeds maxReal %.17g", base->min_real, base->max_real);
    return error;
}

static struct db_error *parse_string_constraints(struct db_base_type *base,
                                                 const struct json *json)
{
    int64_t min = 0, max = INT64_MAX;
    struct db_error *error = parse_integer_member(json, "minLength", 0, &min);
    if (!error)
        error = parse_integer_member(json, "maxLength", 0, &max);
    if (error)
        return error;
    if (min > max)
        return syntax("minLength %lld exceeds maxLength %lld", (long long)min, (long long)max);
    base->min_length = (size_t)min;
    base->max_length = max == INT64_MAX ? SIZE_MAX : (size_t)max;
    return NULL;
}

static struct db_error *parse_ref_constraints(struct db_base_type *base, const struct json *json)
{
    const struct json *table = json_object_get(json, "refTable");
    const struct json *ref_type = json_object_get(json, "refType");
    if (table) {
        if (!json_is_string(table) || !is_id(json_string(table)))
            return syntax("\"refTable\" must be a table name");
        base->ref_table_name = xstrdup(json_string(table));
    }
    if (!ref_type)
        return NULL;
    if (!table)
        return syntax("\"refType\" without \"refTable\"");
    if (json_is_string(ref_type) && !strcmp(json_string(ref_type), "strong"))
        base->ref_type = DB_REF_STRONG;
    else if (json_is_string(ref_type) && !strcmp(json_string(ref_type), "weak"))
        base->ref_type = DB_REF_WEAK;
    else
        return syntax("\"refType\" must be \"strong\" or \"weak\"");
    return NULL;
}

/* "enum": a <value> of the base type, a set of any size, validated against the constraints
 * given beside it. */
static struct db_error *parse_enum(struct db_base_type *base, const struct json *json)
{
    const struct json *values = json_object_get(json, "enum");
    if (!values)
        return NULL;
    struct db_type set = { .key = *base, .n_min = 1, .n_max = DB_UNLIMITED };
    set.value.type = DB_TYPE_VOID;
    struct db_datum *datum = xcalloc(1, sizeof *datum);
    struct db_error *error = db_datum_from_json(datum, &set, values, NULL);
    if (error) {
        free(datum);
        return db_error_wrap(error, "\"enum\"");
    }
    base->enum_values = datum;
    return NULL;
}

static struct db_error *parse_base_type_object(struct db_base_type *base, const struct json *json)
{
    static const char *const by_type[][5] = {
        [DB_TYPE_INTEGER] = { "type", "enum", "minInteger", "maxInteger", NULL },
        [DB_TYPE_REAL] = { "type", "enum", "minReal", "maxReal", NULL },
        [DB_TYPE_BOOLEAN] = { "type", "enum", NULL },
        [DB_TYPE_STRING] = { "type", "enum", "minLength", "maxLength", NULL },
        [DB_TYPE_UUID] = { "type", "refTable", "refType", NULL },
    };
    const struct json *type = json_object_get(json, "type");
    enum db_atomic_type t;
    if (!type || !json_is_string(type) || !atomic_type_from_string(json_string(type), &t))
        return syntax("\"type\" must be one of integer, real, boolean, string or uuid");
    base_type_init(base, t);
    struct db_error *error = check_members(json, by_type[t]);
    if (error)
        return error;
    switch (t) {
    case DB_TYPE_INTEGER: error = parse_integer_constraints(base, json); break;
    case DB_TYPE_REAL: error = parse_real_constraints(base, json); break;
    case DB_TYPE_STRING: error = parse_string_constraints(base, json); break;
    case DB_TYPE_UUID: error = parse_ref_constraints(base, json); break;
    default: break;
    }
    if (!error && t != DB_TYPE_UUID)
        error = parse_enum(base, json);
    return error;
}

/* <base-type>: an atomic type name, or an object with "type" and constraints. */
static struct db_error *parse_base_type(struct db_base_type *base, const struct json *json)
{
    if (json_is_string(json)) {
        enum db_atomic_type t;
        if (!atomic_type_from_string(json_string(json), &t))
            return syntax("unknown atomic type \"%s\"", json_string(json));
        base_type_init(base, t);
        return NULL;
    }
    if (json_is_object(json))
        return parse_base_type_object(base, json);
    return syntax("a base type must be a string or an object");
}

/* ---- types ---- */

static struct db_error *parse_min_max(struct db_type *type, const struct json *json)
{
    const struct json *min = json_object_get(json, "min");
    const struct json *max = json_object_get(json, "max");
    type->n_min = 1;
    type->n_max = 1;
    if (min) {
        if (!json_is_integer(min) || json_integer(min) < 0 || json_integer(min) > 1)
            return syntax("\"min\" must be 0 or 1");
        type->n_min = (unsigned int)json_integer(min);
    }
    if (max) {
        if (json_is_string(max) && !strcmp(json_string(max), "unlimited"))
            type->n_max = DB_UNLIMITED;
        else if (json_is_integer(max) && json_integer(max) >= 1 &&
                 json_integer(max) < DB_UNLIMITED)
            type->n_max = (unsigned int)json_integer(max);
        else
            return syntax("\"max\" must be a positive integer or \"unlimited\"");
    }
    if (type->n_min > type->n_max)
        return syntax("\"min\" exceeds \"max\"");
    return NULL;
}

static void type_destroy(struct db_type *type)
{
    base_type_destroy(&type->key);
    base_type_destroy(&type->value);
}

/* <type>: an atomic type name, or {"key": ..., "value": ..., "min": ..., "max": ...}. */
static struct db_error *parse_type(struct db_type *type, const struct json *json)
{
    static const char *const members[] = { "key", "value", "min", "max", NULL };
    memset(type, 0, sizeof *type);
    base_type_init(&type->value, DB_TYPE_VOID);
    type->n_min = type->n_max = 1;
    if (json_is_string(json))
        return parse_base_type(&type->key, json);
    if (!json_is_object(json))
        return syntax("a type must be a string or an object");
    struct db_error *error = check_members(json, members);
    if (error)
        return error;
    const struct json *key = json_object_get(json, "key");
    const struct json *value = json_object_get(json, "value");
    if (!key)
        return syntax("a type object needs \"key\"");
    error = parse_base_type(&type->key, key);
    if (!error && value) {
        error = parse_base_type(&type->value, value);
        if (error)
            error = db_error_wrap(error, "\"value\"");
    }
    if (!error)
        error = parse_min_max(type, json);
    return error;
}

char *db_base_type_to_english(const struct db_base_type *base)
{
    char *s = NULL;
    int n = 0;
    const char *name = db_atomic_type_name(base->type);
    if (base->enum_values) {
        struct db_type set = { .key = *base, .n_min = 0, .n_max = DB_UNLIMITED };
        set.key.enum_values = NULL;
        struct json *json = db_datum_to_json(base->enum_values, &set);
        char *values = json_to_string(json);
        json_free(json);
        n = asprintf(&s, "%s, one of %s", name, values);
        free(values);
    } else if (base->type == DB_TYPE_INTEGER &&
               (base->min_integer != INT64_MIN || base->max_integer != INT64_MAX)) {
        n = asprintf(&s, "integer in range %lld to %lld", (long long)base->min_integer,
                     (long long)base->max_integer);
    } else if (base->type == DB_TYPE_REAL &&
               (base->min_real != -DBL_MAX || base->max_real != DBL_MAX)) {
        n = asprintf(&s, "real in range %.17g to %.17g", base->min_real, base->max_real);
    } else if (base->type == DB_TYPE_STRING &&
               (base->min_length || base->max_length != SIZE_MAX)) {
        n = base->max_length == SIZE_MAX
                ? asprintf(&s, "string of at least %zu characters", base->min_length)
                : asprintf(&s, "string of %zu to %zu characters", base->min_length,
                           base->max_length);
    } else if (db_base_type_is_ref(base)) {
        n = asprintf(&s, "%s reference to a %s row",
                     base->ref_type == DB_REF_WEAK ? "weak" : "strong", base->ref_table_name);
    } else {
        s = xstrdup(name);
    }
    if (n < 0)
        abort();
    return s;
}

char *db_type_to_english(const struct db_type *type)
{
    char *key = db_base_type_to_english(&type->key), *s;
    int n;
    if (db_type_is_map(type)) {
        char *value = db_base_type_to_english(&type->value);
        n = asprintf(&s, "map of %s to %s", key, value);
        free(value);
    } else if (db_type_is_scalar(type)) {
        n = asprintf(&s, "%s", key);
    } else if (db_type_is_optional_scalar(type)) {
        n = asprintf(&s, "optional %s", key);
    } else if (type->n_max == DB_UNLIMITED) {
        n = asprintf(&s, "set of %s%s", type->n_min ? "1 or more " : "", key);
    } else {
        n = asprintf(&s, "set of %s%u %s", type->n_min ? "1 to " : "up to ", type->n_max, key);
    }
    if (n < 0)
        abort();
    free(key);
    return s;
}

/* ---- columns and tables ---- */

static void column_destroy(struct db_column_schema *column)
{
    free(column->name);
    type_destroy(&column->type);
}

static struct db_error *parse_column(struct db_column_schema *column, const char *name,
                                     const struct json *json)
{
    static const char *const members[] = { "type", "ephemeral", "mutable", NULL };
    column->name = xstrdup(name);
    column->is_mutable = true;
    base_type_init(&column->type.key, DB_TYPE_VOID);
    base_type_init(&column->type.value, DB_TYPE_VOID);
    if (!is_id(name) || name[0] == '_')
        return syntax("\"%s\" is not a valid column name (names starting with _ are "
                      "reserved)", name);
    if (!json_is_object(json))
        return syntax("a column must be an object");
    struct db_error *error = check_members(json, members);
    if (error)
        return error;
    const struct json *type = json_object_get(json, "type");
    const struct json *ephemeral = json_object_get(json, "ephemeral");
    const struct json *mutable_ = json_object_get(json, "mutable");
    if (!type)
        return syntax("a column needs \"type\"");
    if ((ephemeral && !json_is_boolean(ephemeral)) || (mutable_ && !json_is_boolean(mutable_)))
        return syntax("\"ephemeral\" and \"mutable\" must be booleans");
    column->is_ephemeral = ephemeral && json_boolean(ephemeral);
    column->is_mutable = !mutable_ || json_boolean(mutable_);
    return parse_type(&column->type, type);
}

static void init_meta_column(struct db_column_schema *column, const char *name,
                             unsigned int index)
{
    column->name = xstrdup(name);
    column->index = index;
    column->is_mutable = false;
    base_type_init(&column->type.key, DB_TYPE_UUID);
    base_type_init(&column->type.value, DB_TYPE_VOID);
    column->type.n_min = column->type.n_max = 1;
}

static int compare_member_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The member names of `object`, sorted. The strings belong to `object`. */
static const char **sorted_keys(const struct json *object)
{
    size_t n = json_object_size(object);
    const char **keys = xcalloc(n, sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = json_object_key_at(object, i);
    qsort(keys, n, sizeof *keys, compare_member_names);
    return keys;
}

static struct db_error *parse_columns(struct db_table_schema *table, const struct json *json)
{
    if (!json || !json_is_object(json) || !json_object_size(json))
        return syntax("\"columns\" must be an object with at least one column");
    size_t n = json_object_size(json);
    table->columns = xcalloc(n + DB_N_META_COLUMNS, sizeof *table->columns);
    init_meta_column(&table->columns[DB_COLUMN_UUID], "_uuid", DB_COLUMN_UUID);
    init_meta_column(&table->columns[DB_COLUMN_VERSION], "_version", DB_COLUMN_VERSION);
    table->n_columns = DB_N_META_COLUMNS;
    const char **names = sorted_keys(json);
    struct db_error *error = NULL;
    for (size_t i = 0; i < n && !error; i++) {
        struct db_column_schema *column = &table->columns[table->n_columns++];
        column->index = (unsigned int)(table->n_columns - 1);
        column->table = table;
        error = parse_column(column, names[i], json_object_get(json, names[i]));
        if (error)
            error = db_error_wrap(error, "column %s", names[i]);
    }
    for (size_t i = 0; i < table->n_columns; i++)
        table->columns[i].table = table;
    free(names);
    return error;
}

static struct db_error *parse_index(struct db_table_schema *table, struct db_index_schema *index,
                                    const struct json *json)
{
    if (!json_is_array(json) || !json_array_size(json))
        return syntax("an index must be a non-empty array of column names");
    index->columns = xcalloc(json_array_size(json), sizeof *index->columns);
    for (size_t i = 0; i < json_array_size(json); i++) {
        const struct json *name = json_array_at(json, i);
        struct db_column_schema *column =
            json_is_string(name) ? db_table_schema_column(table, json_string(name)) : NULL;
        if (!column || column->index < DB_N_META_COLUMNS)
            return syntax("index column %s is not a column of the table",
                          json_is_string(name) ? json_string(name) : "(not a string)");
        for (size_t j = 0; j < index->n_columns; j++)
            if (index->columns[j] == column)
                return syntax("index names column %s twice", column->name);
        index->columns[index->n_columns++] = column;
    }
    return NULL;
}

static struct db_error *parse_indexes(struct db_table_schema *table, const struct json *json)
{
    if (!json)
        return NULL;
    if (!json_is_array(json))
        return syntax("\"indexes\" must be an array");
    table->indexes = xcalloc(json_array_size(json), sizeof *table->indexes);
    for (size_t i = 0; i < json_array_size(json); i++) {
        struct db_error *error = parse_index(table, &table->indexes[table->n_indexes++],
                                             json_array_at(json, i));
        if (error)
            return error;
    }
    return NULL;
}

static struct db_error *parse_table_options(struct db_table_schema *table,
                                            const struct json *json, bool *root_given)
{
    const struct json *max_rows = json_object_get(json, "maxRows");
    const struct json *is_root = json_object_get(json, "isRoot");
    table->max_rows = DB_UNLIMITED;
    if (max_rows) {
        if (!json_is_integer(max_rows) || json_integer(max_rows) < 1 ||
            json_integer(max_rows) >= DB_UNLIMITED)
            return syntax("\"maxRows\" must be a positive integer");
        table->max_rows = (unsigned int)json_integer(max_rows);
    }
    if (is_root) {
        if (!json_is_boolean(is_root))
            return syntax("\"isRoot\" must be a boolean");
        table->is_root = json_boolean(is_root);
        *root_given = true;
    }
    return NULL;
}

static struct db_error *parse_table(struct db_table_schema *table, const char *name,
                                    const struct json *json, bool *root_given)
{
    static const char *const members[] = { "columns", "maxRows", "isRoot", "indexes", NULL };
    table->name = xstrdup(name);
    if (!is_id(name) || name[0] == '_')
        return syntax("\"%s\" is not a valid table name", name);
    if (!json_is_object(json))
        return syntax("a table must be an object");
    struct db_error *error = check_members(json, members);
    if (!error)
        error = parse_columns(table, json_object_get(json, "columns"));
    if (!error)
        error = parse_table_options(table, json, root_given);
    if (!error)
        error = parse_indexes(table, json_object_get(json, "indexes"));
    return error;
}

static void table_destroy(struct db_table_schema *table)
{
    for (size_t i = 0; i < table->n_columns; i++)
        column_destroy(&table->columns[i]);
    for (size_t i = 0; i < table->n_indexes; i++)
        free(table->indexes[i].columns);
    free(table->columns);
    free(table->indexes);
    free(table->ref_columns);
    free(table->name);
}

/* ---- the whole schema ---- */

static struct db_error *resolve_ref(struct db_schema *schema, struct db_base_type *base)
{
    if (!base->ref_table_name)
        return NULL;
    base->ref_table = db_schema_table(schema, base->ref_table_name);
    if (!base->ref_table)
        return syntax("refTable \"%s\" is not a table of the schema", base->ref_table_name);
    return NULL;
}

/* Points references at their tables and lists each table's reference columns. */
static struct db_error *resolve_refs(struct db_schema *schema)
{
    for (size_t t = 0; t < schema->n_tables; t++) {
        struct db_table_schema *table = &schema->tables[t];
        table->ref_columns = xcalloc(table->n_columns, sizeof *table->ref_columns);
        for (size_t c = DB_N_META_COLUMNS; c < table->n_columns; c++) {
            struct db_column_schema *column = &table->columns[c];
            struct db_error *error = resolve_ref(schema, &column->type.key);
            if (!error)
                error = resolve_ref(schema, &column->type.value);
            if (error)
                return db_error_wrap(error, "table %s, column %s", table->name, column->name);
            if (db_type_has_refs(&column->type))
                table->ref_columns[table->n_ref_columns++] = (unsigned int)c;
        }
    }
    return NULL;
}

static struct db_error *parse_tables(struct db_schema *schema, const struct json *json)
{
    if (!json || !json_is_object(json) || !json_object_size(json))
        return syntax("\"tables\" must be an object with at least one table");
    const char **names = sorted_keys(json);
    schema->tables = xcalloc(json_object_size(json), sizeof *schema->tables);
    bool root_given = false;
    struct db_error *error = NULL;
    for (size_t i = 0; i < json_object_size(json) && !error; i++) {
        struct db_table_schema *table = &schema->tables[schema->n_tables++];
        table->index = (unsigned int)i;
        table->schema = schema;
        error = parse_table(table, names[i], json_object_get(json, names[i]), &root_given);
        if (error)
            error = db_error_wrap(error, "table %s", names[i]);
    }
    free(names);
    /* Schemas written before "isRoot" existed meant every table to be a root table. */
    for (size_t i = 0; !error && !root_given && i < schema->n_tables; i++)
        schema->tables[i].is_root = true;
    return error ? error : resolve_refs(schema);
}

static struct db_error *parse_schema(struct db_schema *schema, const struct json *json)
{
    static const char *const members[] = { "name", "version", "cksum", "tables", NULL };
    if (!json_is_object(json))
        return syntax("a schema must be a JSON object");
    struct db_error *error = check_members(json, members);
    if (error)
        return error;
    const struct json *name = json_object_get(json, "name");
    const struct json *version = json_object_get(json, "version");
    if (!name || !json_is_string(name) || !is_id(json_string(name)))
        return syntax("\"name\" must be an identifier");
    if (!version || !json_is_string(version) || !is_version(json_string(version)))
        return syntax("\"version\" must be a string of the form x.y.z");
    schema->name = xstrdup(json_string(name));
    schema->version = xstrdup(json_string(version));
    return parse_tables(schema, json_object_get(json, "tables"));
}

struct db_schema *db_schema_parse(const char *text, size_t len, char **error)
{
    char *parse_error = NULL;
    struct json *json = json_parse(text, len, &parse_error);
    if (!json) {
        if (error && asprintf(error, "schema is not valid JSON: %s", parse_error) < 0)
            abort();
        free(parse_error);
        return NULL;
    }
    struct db_schema *schema = xcalloc(1, sizeof *schema);
    struct db_error *e = parse_schema(schema, json);
    if (e) {
        json_free(json);
        db_schema_free(schema);
        char *message = db_error_to_string_free(e);
        if (error)
            *error = message;
        else
            free(message);
        return NULL;
    }
    json_free(json);
    schema->source = xcalloc(1, len + 1);
    memcpy(schema->source, text, len);
    schema->source[len] = '\0';
    schema->source_len = len;
    if (error)
        *error = NULL;
    return schema;
}

void db_schema_free(struct db_schema *schema)
{
    if (!schema || schema->is_static)
        return;
    for (size_t i = 0; i < schema->n_tables; i++)
        table_destroy(&schema->tables[i]);
    free(schema->tables);
    free(schema->name);
    free(schema->version);
    free(schema->source);
    free(schema->json_text);
    free(schema);
}

const char *db_schema_name(const struct db_schema *schema)
{
    return schema->name;
}

const char *db_schema_version(const struct db_schema *schema)
{
    return schema->version;
}

const char *db_schema_json(const struct db_schema *schema)
{
    if (schema->json_text)
        return schema->json_text;
    /* The source parsed once already, so it parses again; the result is a cache, which is
     * why a const schema may be written here. */
    struct json *json = json_parse(schema->source, schema->source_len, NULL);
    if (!json)
        abort();
    ((struct db_schema *)schema)->json_text = json_to_string(json);
    json_free(json);
    return schema->json_text;
}

void db_schema_digest(const char *text, size_t len, char digest[DB_SCHEMA_DIGEST_SIZE])
{
    uint64_t hash = fnv1a_64(FNV1A_64_BASIS, text, len);
    snprintf(digest, DB_SCHEMA_DIGEST_SIZE, "%016llx", (unsigned long long)hash);
}

struct db_table_schema *db_schema_table(const struct db_schema *schema, const char *name)
{
    size_t lo = 0, hi = schema->n_tables;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, schema->tables[mid].name);
        if (!c)
            return &schema->tables[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

struct db_column_schema *db_table_schema_column(const struct db_table_schema *table,
                                                const char *name)
{
    if (name[0] == '_') {
        for (size_t i = 0; i < DB_N_META_COLUMNS && i < table->n_columns; i++)
            if (!strcmp(name, table->columns[i].name))
                return &table->columns[i];
        return NULL;
    }
    size_t lo = DB_N_META_COLUMNS, hi = table->n_columns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, table->columns[mid].name);
        if (!c)
            return &table->columns[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Reads one decimal component; -1 if there is none. */
static long long version_part(const char **s)
{
    if (**s < '0' || **s > '9')
        return -1;
    long long v = 0;
    while (**s >= '0' && **s <= '9') {
        if (v < 1000000000)
            v = v * 10 + (**s - '0');
        (*s)++;
    }
    if (**s == '.')
        (*s)++;
    return v;
}

int db_schema_version_compare(const char *a, const char *b)
{
    for (int i = 0; i < 3; i++) {
        long long x = version_part(&a), y = version_part(&b);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}
