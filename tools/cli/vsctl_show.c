/* "show": the database as a tree, in ovs-vsctl's layout. The root row is printed as its UUID,
 * every other row as "<Table> <name>", indented four spaces per level; a reference column
 * recurses into the rows it points at, any other column is printed as "column: value" unless
 * it holds its default. The tables and columns shown are ovs-vsctl's (cmd_show_tables). */
#include <stdlib.h>
#include <string.h>

#include "tools/cli/vsctl_private.h"

struct show_table {
    const char *table;
    const char *name_column;         /* NULL: print the row's UUID */
    const char *columns[4];
};

static const struct show_table show_tables[] = {
    { "Open_vSwitch", NULL, { "manager_options", "bridges", "ovs_version", NULL } },
    { "Bridge", "name", { "controller", "fail_mode", "datapath_type", "ports" } },
    { "Port", "name", { "tag", "trunks", "interfaces", NULL } },
    { "Interface", "name", { "type", "options", "error", NULL } },
    { "Controller", "target", { "is_connected", NULL, NULL, NULL } },
    { "Manager", "target", { "is_connected", NULL, NULL, NULL } },
};
#define N_SHOW_TABLES (sizeof show_tables / sizeof show_tables[0])

struct show_ctx {
    struct vsctl_ctx *ctx;
    struct vsctl_buf *out;
    /* Per show table: its schema (NULL if absent) and rows by UUID text. */
    const struct db_table_schema *schemas[N_SHOW_TABLES];
    struct vsctl_shash rows[N_SHOW_TABLES];
    struct json *rows_owner[N_SHOW_TABLES];   /* the selected rows `rows` points into */
    bool active[N_SHOW_TABLES];      /* being printed: stops reference cycles */
};

static int show_index(const char *table)
{
    for (size_t i = 0; i < N_SHOW_TABLES; i++)
        if (!strcmp(show_tables[i].table, table))
            return (int)i;
    return -1;
}

static void indent(struct vsctl_buf *out, int level)
{
    for (int i = 0; i < level * 4; i++)
        buf_putc(out, ' ');
}

static void show_row(struct show_ctx *s, int t, const struct json *row, int level);

/* Prints a column: recursion into referenced rows, or "column: value". */
static void show_column(struct show_ctx *s, const struct db_column_schema *c,
                        const struct json *row, int level)
{
    struct db_datum datum;
    char *error = vsctl_datum_from_json(&c->type, vj_get(row, c->name), &datum);
    if (error) {
        free(error);
        return;
    }
    int ref = db_base_type_is_ref(&c->type.key) ? show_index(c->type.key.ref_table->name) : -1;
    if (ref >= 0 && s->schemas[ref]) {
        for (size_t i = 0; i < datum.n; i++) {
            char text[UUID_STRING_LEN + 1];
            uuid_to_string(&datum.keys[i].uuid, text);
            const struct json *target = shash_find(&s->rows[ref], text);
            if (target)
                show_row(s, ref, target, level + 1);
        }
    } else if (!db_datum_is_default(&datum, &c->type)) {
        char *text = db_datum_to_string(&datum, &c->type);
        indent(s->out, level + 1);
        buf_printf(s->out, "%s: %s\n", c->name, text);
        free(text);
    }
    db_datum_destroy(&datum, &c->type);
}

static void show_row(struct show_ctx *s, int t, const struct json *row, int level)
{
    const struct show_table *st = &show_tables[t];
    const struct db_table_schema *schema = s->schemas[t];
    indent(s->out, level);
    const struct db_column_schema *name =
        st->name_column ? db_table_schema_column(schema, st->name_column) : NULL;
    struct db_datum datum;
    char *error = name ? vsctl_datum_from_json(&name->type, vj_get(row, name->name),
                                               &datum)
                       : vsctl_xstrdup("no name");
    if (!error) {
        char *text = db_datum_to_string(&datum, &name->type);
        buf_printf(s->out, "%s %s\n", schema->name, text);
        free(text);
        db_datum_destroy(&datum, &name->type);
    } else {
        free(error);
        struct uuid uuid;
        char text[UUID_STRING_LEN + 1] = "";
        if (row_uuid(row, "_uuid", &uuid))
            uuid_to_string(&uuid, text);
        buf_printf(s->out, "%s\n", text);
    }
    if (s->active[t])
        return;
    s->active[t] = true;
    for (size_t i = 0; i < 4 && st->columns[i]; i++) {
        const struct db_column_schema *c = db_table_schema_column(schema, st->columns[i]);
        if (c)
            show_column(s, c, row, level);
    }
    s->active[t] = false;
}

/* Selects every shown table (only the shown columns) in one request. */
static enum vsctl_status load(struct show_ctx *s, struct json **root_rows)
{
    struct vsctl_query q[N_SHOW_TABLES];
    size_t n = 0;
    int index[N_SHOW_TABLES];
    for (size_t t = 0; t < N_SHOW_TABLES; t++) {
        s->schemas[t] = db_schema_table(s->ctx->schema, show_tables[t].table);
        shash_init(&s->rows[t]);
        if (!s->schemas[t])
            continue;
        struct json *columns = json_strings("_uuid", NULL);
        if (show_tables[t].name_column)
            json_array_append(columns, json_string_new(show_tables[t].name_column));
        for (size_t i = 0; i < 4 && show_tables[t].columns[i]; i++)
            if (db_table_schema_column(s->schemas[t], show_tables[t].columns[i]))
                json_array_append(columns, json_string_new(show_tables[t].columns[i]));
        index[n] = (int)t;
        q[n++] = (struct vsctl_query){ show_tables[t].table, json_array_new(), columns, false,
                                       NULL };
    }
    enum vsctl_status status = vsctl_query(s->ctx, VIEW_DATA, q, n);
    *root_rows = NULL;
    for (size_t i = 0; i < n; i++) {
        int t = index[i];
        for (size_t r = 0; status == VSCTL_OK && r < vj_size(q[i].rows); r++) {
            const struct json *row = vj_at(q[i].rows, r);
            struct uuid uuid;
            char text[UUID_STRING_LEN + 1];
            if (row_uuid(row, "_uuid", &uuid)) {
                uuid_to_string(&uuid, text);
                shash_replace(&s->rows[t], text, (void *)row);
            }
        }
        if (t == 0)
            *root_rows = q[i].rows;
        else
            s->rows_owner[t] = q[i].rows;
    }
    return status;
}

enum vsctl_status vsctl_show_run(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct show_ctx s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.out = &cmd->output;
    struct json *root_rows;
    enum vsctl_status status = load(&s, &root_rows);
    for (size_t i = 0; status == VSCTL_OK && i < vj_size(root_rows); i++)
        show_row(&s, 0, vj_at(root_rows, i), 0);
    json_free(root_rows);
    for (size_t t = 0; t < N_SHOW_TABLES; t++) {
        shash_destroy(&s.rows[t], NULL);
        json_free(s.rows_owner[t]);
    }
    return status;
}
