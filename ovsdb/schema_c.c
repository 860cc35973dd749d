/* Build tool: parses a schema file and writes C source defining the same schema as static data
 * (`struct db_schema *vswitch_schema(void)`, ovsdb/vswitch_schema.h), the file's text and its
 * digest. A program linking it has the parsed schema without parsing: the `vsw` CLI, which
 * would otherwise parse it on every call (a third of a millisecond).
 *
 * Usage: schema_c SCHEMA_FILE > vswitch_schema.c */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb/schema.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (buf)
        *len = n;
    return buf;
}

/* A C string literal. */
static void put_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            printf("\\%03o", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* The schema file's text, which db_schema_json() serves, as a byte array. */
static void put_source(const char *text, size_t len)
{
    printf("static const char source[] = {");
    for (size_t i = 0; i < len; i++)
        printf("%s%d,", i % 24 ? "" : "\n   ", (unsigned char)text[i]);
    printf("\n    0 };\n\n");
}

static void put_atom(const union db_atom *atom, enum db_atomic_type type)
{
    switch (type) {
    case DB_TYPE_INTEGER:
        printf("{ .integer = INT64_C(%" PRId64 ") }", atom->integer);
        break;
    case DB_TYPE_REAL:
        printf("{ .real = %a }", atom->real);
        break;
    case DB_TYPE_BOOLEAN:
        printf("{ .boolean = %s }", atom->boolean ? "true" : "false");
        break;
    case DB_TYPE_STRING:
        printf("{ .string = ");
        put_string(atom->string);
        printf(" }");
        break;
    case DB_TYPE_UUID:
        printf("{ .uuid = { {");
        for (int i = 0; i < 16; i++)
            printf("%s%u", i ? "," : "", atom->uuid.bytes[i]);
        printf("} } }");
        break;
    case DB_TYPE_VOID:
        printf("{ .integer = 0 }");
        break;
    }
}

/* Names each base type's enum (datum and atoms) by table, column and key/value. */
static void put_enum_data(const struct db_base_type *base, size_t t, size_t c, const char *part)
{
    if (!base->enum_values)
        return;
    printf("static union db_atom enum_atoms_%zu_%zu_%s[] = {\n", t, c, part);
    for (size_t i = 0; i < base->enum_values->n; i++) {
        printf("    ");
        put_atom(&base->enum_values->keys[i], base->type);
        printf(",\n");
    }
    printf("};\nstatic struct db_datum enum_%zu_%zu_%s = { %zu, enum_atoms_%zu_%zu_%s, NULL };\n",
           t, c, part, base->enum_values->n, t, c, part);
}

static void put_int64(int64_t v)
{
    if (v == INT64_MIN)
        printf("INT64_MIN");
    else if (v == INT64_MAX)
        printf("INT64_MAX");
    else
        printf("INT64_C(%" PRId64 ")", v);
}

static void put_base(const struct db_base_type *base, size_t t, size_t c, const char *part)
{
    printf("{ %d, ", (int)base->type);
    if (base->enum_values)
        printf("&enum_%zu_%zu_%s, ", t, c, part);
    else
        printf("NULL, ");
    put_int64(base->min_integer);
    printf(", ");
    put_int64(base->max_integer);
    printf(", %a, %a, ", base->min_real, base->max_real);
    printf(base->min_length == SIZE_MAX ? "SIZE_MAX, " : "%zu, ", base->min_length);
    printf(base->max_length == SIZE_MAX ? "SIZE_MAX, " : "%zu, ", base->max_length);
    if (base->ref_table_name)
        put_string(base->ref_table_name);
    else
        printf("NULL");
    if (base->ref_table)
        printf(", &tables[%u], %d }", base->ref_table->index, (int)base->ref_type);
    else
        printf(", NULL, %d }", (int)base->ref_type);
}

static void put_table_data(const struct db_table_schema *table, size_t t)
{
    for (size_t c = 0; c < table->n_columns; c++) {
        put_enum_data(&table->columns[c].type.key, t, c, "key");
        put_enum_data(&table->columns[c].type.value, t, c, "value");
    }
    printf("static struct db_column_schema columns_%zu[] = {\n", t);
    for (size_t c = 0; c < table->n_columns; c++) {
        const struct db_column_schema *col = &table->columns[c];
        printf("    { ");
        put_string(col->name);
        printf(", %u, { ", col->index);
        put_base(&col->type.key, t, c, "key");
        printf(", ");
        put_base(&col->type.value, t, c, "value");
        printf(", %uu, %uu }, %s, %s, &tables[%zu] },\n", col->type.n_min, col->type.n_max,
               col->is_mutable ? "true" : "false", col->is_ephemeral ? "true" : "false", t);
    }
    printf("};\n");
    for (size_t i = 0; i < table->n_indexes; i++) {
        printf("static struct db_column_schema *index_%zu_%zu[] = {", t, i);
        for (size_t k = 0; k < table->indexes[i].n_columns; k++)
            printf(" &columns_%zu[%u],", t, table->indexes[i].columns[k]->index);
        printf(" };\n");
    }
    printf("static struct db_index_schema indexes_%zu[] = {", t);
    for (size_t i = 0; i < table->n_indexes; i++)
        printf(" { index_%zu_%zu, %zu },", t, i, table->indexes[i].n_columns);
    printf(" { NULL, 0 } };\n");
    printf("static unsigned int ref_columns_%zu[] = {", t);
    for (size_t i = 0; i < table->n_ref_columns; i++)
        printf(" %u,", table->ref_columns[i]);
    printf(" 0 };\n");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: schema_c SCHEMA_FILE\n");
        return 2;
    }
    size_t len = 0;
    char *text = read_all(argv[1], &len);
    if (!text) {
        fprintf(stderr, "schema_c: cannot read %s\n", argv[1]);
        return 1;
    }
    char *error = NULL;
    struct db_schema *schema = db_schema_parse(text, len, &error);
    if (!schema) {
        fprintf(stderr, "schema_c: %s: %s\n", argv[1], error);
        return 1;
    }
    char digest[DB_SCHEMA_DIGEST_SIZE];
    db_schema_digest(text, len, digest);

    printf("/* Generated by ovsdb/schema_c from %s: do not edit. */\n", argv[1]);
    printf("#include <float.h>\n#include <stdint.h>\n\n#include \"ovsdb/vswitch_schema.h\"\n\n");
    printf("const char vswitch_schema_digest[] = \"%s\";\n\n", digest);
    put_source(text, len);
    printf("static struct db_table_schema tables[%zu];\n", schema->n_tables);
    printf("static struct db_schema schema;\n\n");
    for (size_t t = 0; t < schema->n_tables; t++)
        put_table_data(&schema->tables[t], t);
    printf("\nstatic struct db_table_schema tables[%zu] = {\n", schema->n_tables);
    for (size_t t = 0; t < schema->n_tables; t++) {
        const struct db_table_schema *table = &schema->tables[t];
        printf("    { ");
        put_string(table->name);
        printf(", %u, &schema, columns_%zu, %zu, %s, ", table->index, t, table->n_columns,
               table->is_root ? "true" : "false");
        printf(table->max_rows == DB_UNLIMITED ? "DB_UNLIMITED" : "%uu", table->max_rows);
        printf(", indexes_%zu, %zu, ref_columns_%zu, %zu },\n", t, table->n_indexes, t,
               table->n_ref_columns);
    }
    printf("};\n\nstatic struct db_schema schema = { ");
    put_string(schema->name);
    printf(", ");
    put_string(schema->version);
    printf(", tables, %zu, NULL, 0, NULL, true };\n\n", schema->n_tables);
    printf("struct db_schema *vswitch_schema(void)\n{\n");
    printf("    schema.source = (char *)source;\n");
    printf("    schema.source_len = %zu;\n", len);
    printf("    return &schema;\n}\n");
    db_schema_free(schema);
    free(text);
    return 0;
}
