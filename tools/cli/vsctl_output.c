/* Output of list and find, in ovs-vsctl's formats: "list" (one "column : value" line per
 * column, a blank line between records), "table" (aligned columns under a dashed heading
 * line) and "json" ({"data": [[...]], "headings": [...]} with values in RFC 7047 notation).
 * --bare prints values only, without quotes or brackets. */
#include <stdlib.h>
#include <string.h>

#include "tools/cli/vsctl_private.h"

struct vsctl_table *vsctl_table_new(size_t n_columns, const char *const *headings,
                                    const struct db_type *const *types)
{
    struct vsctl_table *table = vsctl_xzalloc(sizeof *table);
    table->n_columns = n_columns;
    table->headings = vsctl_xmalloc(n_columns * sizeof *table->headings);
    table->types = vsctl_xmalloc(n_columns * sizeof *table->types);
    for (size_t i = 0; i < n_columns; i++) {
        table->headings[i] = vsctl_xstrdup(headings[i]);
        table->types[i] = types[i];
    }
    return table;
}

void vsctl_table_add_row(struct vsctl_table *table, struct json **cells)
{
    if (table->n_rows == table->allocated_rows) {
        table->allocated_rows = table->allocated_rows ? 2 * table->allocated_rows : 16;
        table->cells = vsctl_xrealloc(table->cells, table->allocated_rows * table->n_columns *
                                                        sizeof *table->cells);
    }
    memcpy(&table->cells[table->n_rows * table->n_columns], cells,
           table->n_columns * sizeof *cells);
    table->n_rows++;
}

void vsctl_table_free(struct vsctl_table *table)
{
    if (!table)
        return;
    for (size_t i = 0; i < table->n_rows * table->n_columns; i++)
        json_free(table->cells[i]);
    for (size_t i = 0; i < table->n_columns; i++)
        free(table->headings[i]);
    free(table->cells);
    free(table->headings);
    free(table->types);
    free(table);
}

/* One cell as text. A value that does not parse under its type (which dbd never sends) is
 * shown as its JSON rather than hidden. */
static char *cell_text(const struct vsctl_table *table, size_t row, size_t column, bool bare)
{
    const struct json *json = table->cells[row * table->n_columns + column];
    const struct db_type *type = table->types[column];
    struct db_datum datum;
    char *error = vsctl_datum_from_json(type, json, &datum);
    if (error) {
        free(error);
        return json_to_string(json);
    }
    char *text = vsctl_datum_to_text(&datum, type, bare);
    db_datum_destroy(&datum, type);
    return text;
}

static void format_list(const struct vsctl_table *table, bool bare, struct vsctl_buf *out)
{
    for (size_t r = 0; r < table->n_rows; r++) {
        if (r)
            buf_putc(out, '\n');
        for (size_t c = 0; c < table->n_columns; c++) {
            char *text = cell_text(table, r, c, bare);
            if (bare)
                buf_printf(out, "%s\n", text);
            else
                buf_printf(out, "%-20s: %s\n", table->headings[c], text);
            free(text);
        }
    }
}

static void put_padded(struct vsctl_buf *out, const char *s, size_t width, bool last)
{
    buf_puts(out, s);
    if (last)
        return;
    for (size_t n = strlen(s); n < width + 1; n++)
        buf_putc(out, ' ');
}

static void format_table(const struct vsctl_table *table, bool headings, bool bare,
                         struct vsctl_buf *out)
{
    size_t n = table->n_rows * table->n_columns;
    char **texts = vsctl_xmalloc((n ? n : 1) * sizeof *texts);
    size_t *widths = vsctl_xzalloc(table->n_columns * sizeof *widths);
    for (size_t c = 0; c < table->n_columns; c++)
        widths[c] = headings ? strlen(table->headings[c]) : 0;
    for (size_t r = 0; r < table->n_rows; r++) {
        for (size_t c = 0; c < table->n_columns; c++) {
            char *text = cell_text(table, r, c, bare);
            texts[r * table->n_columns + c] = text;
            if (strlen(text) > widths[c])
                widths[c] = strlen(text);
        }
    }
    size_t last = table->n_columns - 1;
    if (headings && table->n_columns) {
        for (size_t c = 0; c < table->n_columns; c++)
            put_padded(out, table->headings[c], widths[c], c == last);
        buf_putc(out, '\n');
        for (size_t c = 0; c < table->n_columns; c++) {
            for (size_t i = 0; i < widths[c]; i++)
                buf_putc(out, '-');
            if (c != last)
                buf_putc(out, ' ');
        }
        buf_putc(out, '\n');
    }
    for (size_t r = 0; r < table->n_rows; r++) {
        for (size_t c = 0; c < table->n_columns; c++)
            put_padded(out, texts[r * table->n_columns + c], widths[c], c == last);
        buf_putc(out, '\n');
    }
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(widths);
}

static void format_json(const struct vsctl_table *table, struct vsctl_buf *out)
{
    struct json *data = json_array_new();
    for (size_t r = 0; r < table->n_rows; r++) {
        struct json *row = json_array_new();
        for (size_t c = 0; c < table->n_columns; c++)
            json_array_append(row, json_clone(table->cells[r * table->n_columns + c]));
        json_array_append(data, row);
    }
    struct json *headings = json_array_new();
    for (size_t c = 0; c < table->n_columns; c++)
        json_array_append(headings, json_string_new(table->headings[c]));
    struct json *top = json_object_new();
    json_object_put(top, "data", data);
    json_object_put(top, "headings", headings);
    char *text = json_to_string(top);
    buf_printf(out, "%s\n", text);
    free(text);
    json_free(top);
}

void vsctl_table_format(const struct vsctl_table *table, const struct vsctl_options *options,
                        struct vsctl_buf *out)
{
    switch (options->format) {
    case VSCTL_FORMAT_JSON:
        format_json(table, out);
        return;
    case VSCTL_FORMAT_TABLE:
        format_table(table, !options->no_headings && !options->bare, options->bare, out);
        return;
    case VSCTL_FORMAT_LIST:
        format_list(table, options->bare, out);
        return;
    }
}
