/* The generic database commands of ovs-vsctl, on any table: list, find, get, set, add, remove,
 * clear, create, destroy; and how a record is named on the command line. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/vsctl_private.h"

/* ---- naming records ---- */

/* How ovs-vsctl identifies rows of each table besides UUIDs: by a name column of `via`, whose
 * `uuid_column` (if any) then points at the row. Entries whose tables or columns the schema
 * lacks are skipped. */
static const struct row_id {
    const char *table;
    const char *via;
    const char *name_column;     /* NULL: the record must be "." and `via` have one row */
    const char *uuid_column;
} row_ids[] = {
    { "Bridge", "Bridge", "name", NULL },
    { "Controller", "Bridge", "name", "controller" },
    { "Interface", "Interface", "name", NULL },
    { "Mirror", "Mirror", "name", NULL },
    { "Manager", "Manager", "target", NULL },
    { "NetFlow", "Bridge", "name", "netflow" },
    { "Open_vSwitch", "Open_vSwitch", NULL, NULL },
    { "Port", "Port", "name", NULL },
    { "QoS", "Port", "name", "qos" },
    { "SSL", "Open_vSwitch", NULL, "ssl" },
    { "sFlow", "Bridge", "name", "sflow" },
    { "IPFIX", "Bridge", "name", "ipfix" },
    { "AutoAttach", "Bridge", "name", "auto_attach" },
};

/* The length of `s` if it could begin a UUID's text form, else 0 (ovs-vsctl accepts a unique
 * prefix of at least 4 characters). */
static size_t partial_uuid_length(const char *s)
{
    static const char tmpl[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    size_t i;
    for (i = 0; i < UUID_STRING_LEN; i++) {
        if (!s[i])
            return i;
        if (tmpl[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != '-')
            return 0;
    }
    return s[i] ? 0 : i;
}

static enum vsctl_status row_by_uuid(struct vsctl_ctx *ctx, const char *table,
                                     const struct uuid *uuid, bool *found)
{
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_DATA, table, where_uuid(uuid),
                                            json_strings("_uuid", NULL), true, &rows);
    *found = status == VSCTL_OK && vj_size(rows) == 1;
    json_free(rows);
    return status;
}

static bool row_id_usable(const struct db_schema *schema, const struct row_id *id)
{
    const struct db_table_schema *via = db_schema_table(schema, id->via);
    return via && (!id->name_column || db_table_schema_column(via, id->name_column)) &&
           (!id->uuid_column || db_table_schema_column(via, id->uuid_column));
}

/* The row of `table` that `id` names as `record`. */
static enum vsctl_status row_by_id(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                                   const struct row_id *id, const char *record, bool *found,
                                   struct uuid *uuid)
{
    *found = false;
    if (!id->name_column && strcmp(record, "."))
        return VSCTL_OK;
    struct json *where = id->name_column ? where_string(id->name_column, record)
                                         : json_array_new();
    struct json *columns = json_strings("_uuid", id->uuid_column, NULL);
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_DATA, id->via, where, columns, true, &rows);
    if (status != VSCTL_OK)
        return status;
    size_t n = vj_size(rows);
    if (n > 1 && id->name_column) {
        json_free(rows);
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "multiple rows in %s match \"%s\"",
                          table->name, record);
    }
    if (n == 1) {
        const struct json *row = vj_at(rows, 0);
        *found = row_uuid(row, id->uuid_column ? id->uuid_column : "_uuid", uuid);
    }
    json_free(rows);
    return VSCTL_OK;
}

static enum vsctl_status row_by_prefix(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                                       const char *record, bool *found, struct uuid *uuid)
{
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_DATA, table->name, json_array_new(),
                                            json_strings("_uuid", NULL), true, &rows);
    if (status != VSCTL_OK)
        return status;
    size_t len = strlen(record), matches = 0;
    for (size_t i = 0; i < vj_size(rows); i++) {
        struct uuid u;
        char text[UUID_STRING_LEN + 1];
        if (!row_uuid(vj_at(rows, i), "_uuid", &u))
            continue;
        uuid_to_string(&u, text);
        if (!strncasecmp(text, record, len)) {
            *uuid = u;
            matches++;
        }
    }
    json_free(rows);
    if (matches > 1)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "multiple rows in %s match \"%s\"",
                          table->name, record);
    *found = matches == 1;
    return VSCTL_OK;
}

enum vsctl_status vsctl_get_row(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                                const char *record, bool must_exist, bool *found,
                                struct uuid *uuid)
{
    enum vsctl_status status = VSCTL_OK;
    *found = false;
    if (uuid_from_string(uuid, record))
        status = row_by_uuid(ctx, table->name, uuid, found);
    else if (vsctl_model_row_by_name(ctx, table->name, record, uuid))
        /* No read: after many pending writes (a long "--" chain) each read would carry them
         * all, making the chain cost quadratic. */
        *found = true;
    for (size_t i = 0; status == VSCTL_OK && !*found && i < sizeof row_ids / sizeof *row_ids;
         i++) {
        if (!strcmp(row_ids[i].table, table->name) && row_id_usable(ctx->schema, &row_ids[i]))
            status = row_by_id(ctx, table, &row_ids[i], record, found, uuid);
    }
    if (status == VSCTL_OK && !*found && partial_uuid_length(record) >= 4)
        status = row_by_prefix(ctx, table, record, found, uuid);
    if (status == VSCTL_OK && !*found && must_exist)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "no row \"%s\" in table %s", record,
                          table->name);
    return status;
}

/* ---- what check() keeps for the generic commands ---- */

enum find_op {
    OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE,
    OP_SET_EQ, OP_SET_NE, OP_SET_LT, OP_SET_GT, OP_SET_LE, OP_SET_GE, OP_SET_IN, OP_SET_NOT_IN,
};
static const char *const find_ops[] = { "=",    "!=",    "<",     ">",     "<=",
                                        ">=",   "{=}",   "{!=}",  "{<}",   "{>}",
                                        "{<=}", "{>=}",  "{in}",  "{not-in}" };

/* One column argument: "column" or "column:key" (get, clear), or a find condition. */
struct column_arg {
    const struct db_column_schema *column;
    bool has_key;
    union db_atom key;
    char *key_text;
    enum find_op op;             /* find */
    struct db_type type;         /* find: the type `value` was parsed with */
    struct db_datum value;       /* find; also add/remove values */
};

struct db_cmd {
    const struct db_table_schema *table;
    struct column_arg *args;     /* get, clear, find, add, remove */
    size_t n_args;
    const struct db_column_schema **show;   /* list, find: the columns shown */
    size_t n_show;
    struct vsctl_settings settings;         /* set, create */
    struct vsctl_symbol *symbol;            /* --id */
};

static void db_cmd_free(void *data)
{
    struct db_cmd *d = data;
    if (!d)
        return;
    for (size_t i = 0; i < d->n_args; i++) {
        struct column_arg *a = &d->args[i];
        if (a->has_key)
            db_atom_destroy(&a->key, a->column->type.key.type);
        free(a->key_text);
        db_datum_destroy(&a->value, &a->type);
    }
    free(d->args);
    free(d->show);
    vsctl_settings_destroy(&d->settings);
    free(d);
}

static struct db_cmd *db_cmd_new(struct vsctl_command *cmd, size_t n_args)
{
    struct db_cmd *d = vsctl_xzalloc(sizeof *d);
    d->args = vsctl_xzalloc((n_args ? n_args : 1) * sizeof *d->args);
    for (size_t i = 0; i < n_args; i++)
        db_datum_init_empty(&d->args[i].value);
    cmd->data = d;
    cmd->free_data = db_cmd_free;
    return d;
}

static int check_table(struct vsctl_ctx *ctx, struct vsctl_command *cmd, struct db_cmd *d)
{
    char *error = vsctl_find_table(ctx->schema, cmd->argv[1], &d->table);
    if (!error)
        return 0;
    vsctl_usage_error(ctx, "%s", error);
    free(error);
    return -1;
}

/* "column" or "column:key" into `a`. */
static int check_column_key(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                            const char *arg, const char *verb, struct column_arg *a)
{
    char *key = NULL;
    char *error = vsctl_parse_column_key_value(arg, table, &a->column, &key, NULL, 0, NULL, NULL);
    if (error) {
        vsctl_usage_error(ctx, "%s", error);
        free(error);
        return -1;
    }
    a->type = a->column->type;
    if (!key)
        return 0;
    a->key_text = key;
    if (!db_type_is_map(&a->column->type))
        return vsctl_usage_error(ctx, "cannot specify key to %s for non-map column %s", verb,
                                 a->column->name);
    error = vsctl_parse_atom(&a->column->type.key, key, NULL, &a->key);
    if (error) {
        vsctl_usage_error(ctx, "%s: %s", arg, error);
        free(error);
        return -1;
    }
    a->has_key = true;
    return 0;
}

/* --columns=a,b,c, or every column but _version, _uuid first. */
static int check_shown_columns(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                               struct db_cmd *d)
{
    const struct db_table_schema *t = d->table;
    d->show = vsctl_xzalloc(t->n_columns * sizeof *d->show + 64 * sizeof *d->show);
    if (!cmd->columns) {
        for (size_t i = 0; i < t->n_columns; i++)
            if (i != DB_COLUMN_VERSION)
                d->show[d->n_show++] = &t->columns[i];
        return 0;
    }
    char *list = vsctl_xstrdup(cmd->columns), *save = NULL;
    size_t allocated = t->n_columns + 64;
    int rc = 0;
    for (char *name = strtok_r(list, ",", &save); name && !rc; name = strtok_r(NULL, ",", &save)) {
        const struct db_column_schema *column;
        char *error = vsctl_find_column(t, name, &column);
        if (error) {
            rc = vsctl_usage_error(ctx, "%s", error);
            free(error);
        } else if (d->n_show == allocated) {
            rc = vsctl_usage_error(ctx, "--columns: too many columns");
        } else {
            d->show[d->n_show++] = column;
        }
    }
    free(list);
    if (!rc && !d->n_show)
        rc = vsctl_usage_error(ctx, "--columns: no column given");
    return rc;
}

static int check_id(struct vsctl_ctx *ctx, struct vsctl_command *cmd, struct db_cmd *d,
                    bool from_get)
{
    if (!cmd->id)
        return 0;
    if (cmd->id[0] != '@' || !cmd->id[1])
        return vsctl_usage_error(ctx, "row id \"%s\" does not begin with \"@\"", cmd->id);
    struct vsctl_symbol *symbol = symtab_get(&ctx->symtab, cmd->id);
    if (symbol->created || symbol->from_get)
        return vsctl_usage_error(ctx, "row id \"%s\" may only be specified on one --id option",
                                 cmd->id);
    symbol->created = !from_get;
    symbol->from_get = from_get;
    symbol->defined_by = cmd->index;
    symbol->table = d->table;
    if (from_get)
        symbol->strong_ref = true;   /* an existing row: nothing to warn about */
    d->symbol = symbol;
    return 0;
}

static bool is_read_only(const struct db_column_schema *column)
{
    return !column->is_mutable || column->index < DB_N_META_COLUMNS;
}

/* ---- get ---- */

static int check_get(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    size_t n = (size_t)cmd->argc - 3;
    struct db_cmd *d = db_cmd_new(cmd, n);
    if (check_table(ctx, cmd, d) < 0 || check_id(ctx, cmd, d, true) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct column_arg *a = &d->args[d->n_args++];
        if (check_column_key(ctx, d->table, cmd->argv[3 + i], "get", a) < 0)
            return -1;
    }
    return 0;
}

static struct json *arg_columns(const struct db_cmd *d)
{
    struct json *columns = json_array_new();
    for (size_t i = 0; i < d->n_args; i++)
        json_array_append(columns, json_string_new(d->args[i].column->name));
    return columns;
}

static enum vsctl_status print_get_value(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                                         const struct column_arg *a, const struct json *row)
{
    const struct db_type *type = &a->column->type;
    struct db_datum datum;
    char *error = vsctl_datum_from_json(type, vj_get(row, a->column->name), &datum);
    if (error)
        return vsctl_fail_take(ctx, VSCTL_EXIT_FAILED, error);
    enum vsctl_status status = VSCTL_OK;
    if (!a->has_key) {
        char *text = vsctl_datum_to_text(&datum, type, ctx->options->bare);
        buf_printf(&cmd->output, "%s\n", text);
        free(text);
    } else {
        long at = db_datum_find_key(&datum, &a->key, type->key.type);
        if (at >= 0) {
            char *text = db_atom_to_string(&datum.values[at], type->value.type);
            buf_printf(&cmd->output, "%s\n", text);
            free(text);
        } else if (!cmd->if_exists) {
            status = vsctl_fail(ctx, VSCTL_EXIT_FAILED, "no key \"%s\" in %s record \"%s\" "
                                "column %s", a->key_text, a->column->table->name, cmd->argv[2],
                                a->column->name);
        }
    }
    db_datum_destroy(&datum, type);
    return status;
}

static enum vsctl_status run_get(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = cmd->data;
    bool found;
    struct uuid uuid;
    enum vsctl_status status = vsctl_get_row(ctx, d->table, cmd->argv[2], !cmd->if_exists,
                                             &found, &uuid);
    if (status != VSCTL_OK || !found)
        return status;
    if (d->symbol) {
        d->symbol->real = uuid;
        d->symbol->resolved = true;
    }
    if (!d->n_args)
        return VSCTL_OK;
    struct json *rows;
    status = vsctl_select(ctx, VIEW_DATA, d->table->name, where_uuid(&uuid), arg_columns(d),
                          false, &rows);
    for (size_t i = 0; status == VSCTL_OK && i < d->n_args; i++) {
        if (vj_size(rows) != 1)
            status = vsctl_fail(ctx, VSCTL_EXIT_FAILED, "no row \"%s\" in table %s",
                                cmd->argv[2], d->table->name);
        else
            status = print_get_value(ctx, cmd, &d->args[i], vj_at(rows, 0));
    }
    json_free(rows);
    return status;
}

/* ---- list and find ---- */

static struct vsctl_table *new_output_table(const struct db_cmd *d)
{
    const char **headings = vsctl_xmalloc(d->n_show * sizeof *headings);
    const struct db_type **types = vsctl_xmalloc(d->n_show * sizeof *types);
    for (size_t i = 0; i < d->n_show; i++) {
        headings[i] = d->show[i]->name;
        types[i] = &d->show[i]->type;
    }
    struct vsctl_table *table = vsctl_table_new(d->n_show, headings, types);
    free(headings);
    free(types);
    return table;
}

static void add_output_row(struct vsctl_table *table, const struct db_cmd *d,
                           const struct json *row)
{
    struct json **cells = vsctl_xmalloc(d->n_show * sizeof *cells);
    for (size_t i = 0; i < d->n_show; i++) {
        const struct json *value = vj_get(row, d->show[i]->name);
        cells[i] = value ? json_clone(value) : json_empty_set();
    }
    vsctl_table_add_row(table, cells);
    free(cells);
}

static int check_list(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = db_cmd_new(cmd, 0);
    if (check_table(ctx, cmd, d) < 0)
        return -1;
    return check_shown_columns(ctx, cmd, d);
}

static enum vsctl_status list_records(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                                      struct db_cmd *d)
{
    size_t n = (size_t)cmd->argc - 2;
    struct vsctl_query *q = vsctl_xzalloc(n * sizeof *q);
    size_t n_q = 0;
    enum vsctl_status status = VSCTL_OK;
    for (size_t i = 0; status == VSCTL_OK && i < n; i++) {
        bool found;
        struct uuid uuid;
        status = vsctl_get_row(ctx, d->table, cmd->argv[2 + i], !cmd->if_exists, &found, &uuid);
        if (status == VSCTL_OK && found)
            q[n_q++] = (struct vsctl_query){ d->table->name, where_uuid(&uuid), NULL, false,
                                             NULL };
    }
    if (status == VSCTL_OK)
        status = vsctl_query(ctx, VIEW_DATA, q, n_q);
    else
        for (size_t i = 0; i < n_q; i++)
            json_free(q[i].where);
    for (size_t i = 0; i < n_q; i++) {
        if (status == VSCTL_OK && vj_size(q[i].rows) == 1)
            add_output_row(cmd->table, d, vj_at(q[i].rows, 0));
        json_free(q[i].rows);
    }
    free(q);
    return status;
}

static enum vsctl_status run_list(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = cmd->data;
    cmd->table = new_output_table(d);
    if (cmd->argc > 2)
        return list_records(ctx, cmd, d);
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_DATA, d->table->name, json_array_new(),
                                            NULL, false, &rows);
    for (size_t i = 0; status == VSCTL_OK && i < vj_size(rows); i++)
        add_output_row(cmd->table, d, vj_at(rows, i));
    json_free(rows);
    return status;
}

static bool is_set_op(enum find_op op)
{
    return op >= OP_SET_EQ;
}

static int check_condition(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                           const char *arg, struct column_arg *a)
{
    char *key = NULL, *value = NULL;
    size_t op;
    char *error = vsctl_parse_column_key_value(arg, table, &a->column, &key, find_ops,
                                               sizeof find_ops / sizeof *find_ops, &op, &value);
    if (error) {
        vsctl_usage_error(ctx, "%s", error);
        free(error);
        return -1;
    }
    a->op = (enum find_op)op;
    a->key_text = key;
    a->type = a->column->type;
    if (key) {
        if (!db_type_is_map(&a->column->type)) {
            free(value);
            return vsctl_usage_error(ctx, "cannot specify key to check for non-map column %s",
                                     a->column->name);
        }
        error = vsctl_parse_atom(&a->column->type.key, key, NULL, &a->key);
        a->has_key = !error;
        /* The value of one key: a set of at most one atom of the map's value type. */
        a->type.key = a->column->type.value;
        a->type.value.type = DB_TYPE_VOID;
        a->type.n_max = 1;
    }
    a->type.n_min = 0;   /* "column=[]" finds empty columns, whatever the minimum */
    if (is_set_op(a->op))
        a->type.n_max = DB_UNLIMITED;
    if (!error)
        error = vsctl_parse_datum(&a->type, value, NULL, &a->value);
    free(value);
    if (error) {
        vsctl_usage_error(ctx, "%s: %s", arg, error);
        free(error);
        return -1;
    }
    return 0;
}

static int check_find(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    size_t n = (size_t)cmd->argc - 2;
    struct db_cmd *d = db_cmd_new(cmd, n);
    if (check_table(ctx, cmd, d) < 0 || check_shown_columns(ctx, cmd, d) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct column_arg *a = &d->args[d->n_args++];
        if (check_condition(ctx, d->table, cmd->argv[2 + i], a) < 0)
            return -1;
    }
    return 0;
}

static bool evaluate(enum find_op op, const struct db_datum *a, const struct db_datum *b,
                     const struct db_type *type)
{
    switch (op) {
    case OP_EQ:
    case OP_SET_EQ:
        return vsctl_datum_compare_3way(a, b, type) == 0;
    case OP_NE:
    case OP_SET_NE:
        return vsctl_datum_compare_3way(a, b, type) != 0;
    case OP_LT:
        return vsctl_datum_compare_3way(a, b, type) < 0;
    case OP_GT:
        return vsctl_datum_compare_3way(a, b, type) > 0;
    case OP_LE:
        return vsctl_datum_compare_3way(a, b, type) <= 0;
    case OP_GE:
        return vsctl_datum_compare_3way(a, b, type) >= 0;
    case OP_SET_LT:
        return b->n > a->n && db_datum_includes_all(a, b, type);
    case OP_SET_GT:
        return a->n > b->n && db_datum_includes_all(b, a, type);
    case OP_SET_LE:
        return db_datum_includes_all(a, b, type);
    case OP_SET_GE:
        return db_datum_includes_all(b, a, type);
    case OP_SET_IN:
        return db_datum_includes_all(a, b, type);
    case OP_SET_NOT_IN:
        return db_datum_excludes_all(a, b, type);
    }
    return false;
}

/* Whether `row` satisfies one condition, as ovs-vsctl's find decides it. */
static bool condition_holds(const struct column_arg *a, const struct json *row)
{
    const struct db_type *type = &a->column->type;
    struct db_datum have;
    char *error = vsctl_datum_from_json(type, vj_get(row, a->column->name), &have);
    if (error) {
        free(error);
        return false;
    }
    bool holds;
    if (!a->has_key) {
        holds = evaluate(a->op, &have, &a->value, type);
    } else {
        long at = db_datum_find_key(&have, &a->key, type->key.type);
        if (at < 0 && !is_set_op(a->op)) {
            holds = false;
        } else {
            struct db_datum one = { at >= 0 ? 1 : 0, at >= 0 ? &have.values[at] : NULL, NULL };
            holds = evaluate(a->op, &one, &a->value, &a->type);
        }
    }
    db_datum_destroy(&have, type);
    return holds;
}

static enum vsctl_status run_find(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = cmd->data;
    cmd->table = new_output_table(d);
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_DATA, d->table->name, json_array_new(),
                                            NULL, false, &rows);
    for (size_t i = 0; status == VSCTL_OK && i < vj_size(rows); i++) {
        const struct json *row = vj_at(rows, i);
        bool match = true;
        for (size_t k = 0; match && k < d->n_args; k++)
            match = condition_holds(&d->args[k], row);
        if (match)
            add_output_row(cmd->table, d, row);
    }
    json_free(rows);
    return status;
}

/* ---- set, add, remove, clear ---- */

/* The tables whose rows the bridge model describes: creating or deleting rows there may
 * change what bridges, ports and interfaces exist. */
static bool is_model_table(const struct db_table_schema *table)
{
    static const char *const tables[] = { "Open_vSwitch", "Bridge", "Port", "Interface" };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (!strcmp(table->name, tables[i]))
            return true;
    return false;
}

static bool touches_model(const struct db_table_schema *table,
                          const struct db_column_schema *column)
{
    struct vsctl_setting s = { .column = column };
    struct vsctl_settings settings = { &s, 1 };
    return vsctl_settings_touch_model(table, &settings);
}

static int check_set(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = db_cmd_new(cmd, 0);
    if (check_table(ctx, cmd, d) < 0)
        return -1;
    return vsctl_parse_settings(ctx, d->table, &cmd->argv[3], (size_t)cmd->argc - 3, false,
                                &d->settings);
}

static enum vsctl_status run_set(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = cmd->data;
    bool found;
    struct uuid uuid;
    enum vsctl_status status = vsctl_get_row(ctx, d->table, cmd->argv[2], !cmd->if_exists,
                                             &found, &uuid);
    if (status != VSCTL_OK || !found)
        return status;
    struct json *where = where_uuid(&uuid);
    vsctl_settings_write(ctx, d->table, where, &d->settings);
    json_free(where);
    if (vsctl_settings_touch_model(d->table, &d->settings))
        vsctl_model_invalidate(ctx);
    return VSCTL_OK;
}

static int check_mutable_column(struct vsctl_ctx *ctx, struct db_cmd *d, const char *arg,
                                struct column_arg *a)
{
    char *error = vsctl_find_column(d->table, arg, &a->column);
    if (error) {
        vsctl_usage_error(ctx, "%s", error);
        free(error);
        return -1;
    }
    a->type = a->column->type;
    if (is_read_only(a->column))
        return vsctl_usage_error(ctx, "cannot modify read-only column %s in table %s",
                                 a->column->name, d->table->name);
    return 0;
}

/* add TABLE RECORD COLUMN VALUE...: each value a non-empty set or map of the column's kind. */
static int check_add(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    size_t n = (size_t)cmd->argc - 4;
    struct db_cmd *d = db_cmd_new(cmd, n);
    struct column_arg column;
    if (check_table(ctx, cmd, d) < 0 || check_mutable_column(ctx, d, cmd->argv[3], &column) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct column_arg *a = &d->args[d->n_args++];
        a->column = column.column;
        a->type = column.column->type;
        a->type.n_min = 1;
        a->type.n_max = DB_UNLIMITED;
        char *error = vsctl_parse_datum(&a->type, cmd->argv[4 + i], &ctx->symtab, &a->value);
        if (error) {
            vsctl_usage_error(ctx, "%s", error);
            free(error);
            return -1;
        }
    }
    return 0;
}

/* remove: for a map, "key=value" pairs or bare keys; for a set, values. */
static int check_remove(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    size_t n = (size_t)cmd->argc - 4;
    struct db_cmd *d = db_cmd_new(cmd, n);
    struct column_arg column;
    if (check_table(ctx, cmd, d) < 0 || check_mutable_column(ctx, d, cmd->argv[3], &column) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct column_arg *a = &d->args[d->n_args++];
        const char *text = cmd->argv[4 + i];
        a->column = column.column;
        a->type = column.column->type;
        a->type.n_min = 1;
        a->type.n_max = DB_UNLIMITED;
        char *error = vsctl_parse_datum(&a->type, text, &ctx->symtab, &a->value);
        if (error && db_type_is_map(&a->type)) {
            /* Not pairs: keys, whatever their values. */
            free(error);
            a->type.value.type = DB_TYPE_VOID;
            error = vsctl_parse_datum(&a->type, text, &ctx->symtab, &a->value);
        }
        if (error) {
            vsctl_usage_error(ctx, "%s", error);
            free(error);
            return -1;
        }
    }
    return 0;
}

static enum vsctl_status mutate_values(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                                       const char *mutator)
{
    struct db_cmd *d = cmd->data;
    bool found;
    struct uuid uuid;
    enum vsctl_status status = vsctl_get_row(ctx, d->table, cmd->argv[2], !cmd->if_exists,
                                             &found, &uuid);
    if (status != VSCTL_OK || !found)
        return status;
    for (size_t i = 0; i < d->n_args; i++) {
        const struct column_arg *a = &d->args[i];
        struct json *mutations = json_array_append(
            json_array_new(),
            mutation_new(a->column->name, mutator, db_datum_to_json(&a->value, &a->type)));
        vsctl_add_write(ctx, op_mutate(d->table->name, where_uuid(&uuid), mutations));
    }
    if (d->n_args && touches_model(d->table, d->args[0].column))
        vsctl_model_invalidate(ctx);
    return VSCTL_OK;
}

static enum vsctl_status run_add(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    return mutate_values(ctx, cmd, "insert");
}

static enum vsctl_status run_remove(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    return mutate_values(ctx, cmd, "delete");
}

static int check_clear(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    size_t n = (size_t)cmd->argc - 3;
    struct db_cmd *d = db_cmd_new(cmd, n);
    if (check_table(ctx, cmd, d) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct column_arg *a = &d->args[d->n_args++];
        if (check_mutable_column(ctx, d, cmd->argv[3 + i], a) < 0)
            return -1;
        if (a->column->type.n_min > 0)
            return vsctl_usage_error(ctx, "\"clear\" operation cannot be applied to column %s "
                                     "of table %s, which is not allowed to be empty",
                                     a->column->name, d->table->name);
    }
    return 0;
}

static enum vsctl_status run_clear(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = cmd->data;
    bool found;
    struct uuid uuid;
    enum vsctl_status status = vsctl_get_row(ctx, d->table, cmd->argv[2], !cmd->if_exists,
                                             &found, &uuid);
    if (status != VSCTL_OK || !found)
        return status;
    struct json *row = json_object_new();
    bool model = false;
    for (size_t i = 0; i < d->n_args; i++) {
        const struct db_column_schema *c = d->args[i].column;
        json_object_put(row, c->name, db_type_is_map(&c->type) ? json_empty_map()
                                                               : json_empty_set());
        model |= touches_model(d->table, c);
    }
    vsctl_add_write(ctx, op_update(d->table->name, where_uuid(&uuid), row));
    if (model)
        vsctl_model_invalidate(ctx);
    return VSCTL_OK;
}

/* ---- create and destroy ---- */

static int check_create(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = db_cmd_new(cmd, 0);
    if (check_table(ctx, cmd, d) < 0 || check_id(ctx, cmd, d, false) < 0)
        return -1;
    if (!d->symbol && !d->table->is_root)
        vsctl_warn(ctx, "applying \"create\" command to table %s without --id option will have "
                   "no effect", d->table->name);
    return vsctl_parse_settings(ctx, d->table, &cmd->argv[2], (size_t)cmd->argc - 2, true,
                                &d->settings);
}

static enum vsctl_status run_create(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = cmd->data;
    struct uuid uuid;
    if (d->symbol)
        uuid = d->symbol->uuid;
    else
        vsctl_new_uuid(ctx, &uuid);
    struct vsctl_row row;
    vsctl_row_init(&row, d->table);
    vsctl_row_apply(&row, &d->settings);
    vsctl_add_write(ctx, op_insert(d->table->name, &uuid, vsctl_row_to_json(&row)));
    vsctl_row_destroy(&row);
    char text[UUID_STRING_LEN + 1];
    uuid_to_string(&uuid, text);
    buf_printf(&cmd->output, "%s\n", text);
    if (is_model_table(d->table))
        vsctl_model_invalidate(ctx);
    return VSCTL_OK;
}

static int check_destroy(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = db_cmd_new(cmd, 0);
    if (check_table(ctx, cmd, d) < 0)
        return -1;
    if (cmd->all && cmd->argc > 2)
        return vsctl_usage_error(ctx, "--all and records argument should not be specified "
                                 "together");
    if (!cmd->all && cmd->argc == 2)
        return vsctl_usage_error(ctx, "either --all or records argument should be specified");
    return 0;
}

static enum vsctl_status run_destroy(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct db_cmd *d = cmd->data;
    if (cmd->all)
        vsctl_add_write(ctx, op_delete(d->table->name, json_array_new()));
    for (int i = 2; i < cmd->argc; i++) {
        bool found;
        struct uuid uuid;
        enum vsctl_status status = vsctl_get_row(ctx, d->table, cmd->argv[i], !cmd->if_exists,
                                                 &found, &uuid);
        if (status != VSCTL_OK)
            return status;
        if (found)
            vsctl_add_write(ctx, op_delete(d->table->name, where_uuid(&uuid)));
    }
    if (is_model_table(d->table))
        vsctl_model_invalidate(ctx);
    return VSCTL_OK;
}

const struct vsctl_syntax vsctl_db_commands[] = {
    { "list", 1, INT_MAX, "TABLE [RECORD]...", "--if-exists,--columns=", check_list, run_list,
      "list RECORDs (or all records) in TABLE" },
    { "find", 1, INT_MAX, "TABLE [COLUMN[:KEY]{=,!=,<,>,<=,>=,{=},{!=},{<},{>},{<=},{>=}}VALUE]...",
      "--columns=", check_find, run_find, "list records in TABLE that satisfy every condition" },
    { "get", 2, INT_MAX, "TABLE RECORD [COLUMN[:KEY]]...", "--if-exists,--id=", check_get,
      run_get, "print values of COLUMNs in RECORD" },
    { "set", 3, INT_MAX, "TABLE RECORD COLUMN[:KEY]=VALUE...", "--if-exists", check_set,
      run_set, "set COLUMNs in RECORD" },
    { "add", 4, INT_MAX, "TABLE RECORD COLUMN [KEY=]VALUE...", "--if-exists", check_add,
      run_add, "add (KEY=)VALUEs to COLUMN in RECORD" },
    { "remove", 4, INT_MAX, "TABLE RECORD COLUMN KEY|VALUE|KEY=VALUE...", "--if-exists",
      check_remove, run_remove, "remove KEYs or VALUEs from COLUMN in RECORD" },
    { "clear", 3, INT_MAX, "TABLE RECORD COLUMN...", "--if-exists", check_clear, run_clear,
      "clear COLUMNs in RECORD" },
    { "create", 2, INT_MAX, "TABLE COLUMN[:KEY]=VALUE...", "--id=", check_create, run_create,
      "create and initialize a new record" },
    { "destroy", 1, INT_MAX, "TABLE [RECORD]...", "--if-exists,--all", check_destroy,
      run_destroy, "delete RECORDs (or all, with --all) from TABLE" },
};
const size_t vsctl_n_db_commands = sizeof vsctl_db_commands / sizeof vsctl_db_commands[0];
