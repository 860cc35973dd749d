/* Build tool: the typed IDL of a schema (see ovsdb/idl.h). Parses the schema with the engine's
 * own parser and writes a header with one struct per table (a member per column, typed), the
 * column indexes, iterators, and typed setters and transaction builders, and a source file
 * with the tables' descriptions and those functions. Run by Bazel (`ovsdb_idl()` in
 * ovsdb/idl.bzl).
 *
 * Usage: idlgen SCHEMA PREFIX HEADER_OUT SOURCE_OUT HEADER_INCLUDE_PATH */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb/schema.h"

struct gen {
    const struct db_schema *schema;
    const char *prefix;           /* "vswrec" */
    FILE *h, *c;
};

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* A name in one case, in a buffer of the caller's: "Open_vSwitch" -> "open_vswitch". */
struct cased {
    char s[128];
};

static struct cased cased(const char *name, bool upper)
{
    struct cased c;
    size_t i = 0;
    for (; name[i] && i < sizeof c.s - 1; i++)
        c.s[i] = (char)(upper ? toupper((unsigned char)name[i]) : tolower((unsigned char)name[i]));
    c.s[i] = '\0';
    return c;
}

/* A column's C member name: its own, unless that is a C or C++ keyword (C++ tests include the
 * generated header). */
static const char *member_name(const char *column)
{
    static const char *const keywords[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
        "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
        "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
        "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true",
        "false", "header_", "and", "asm", "catch", "class", "delete", "explicit", "export",
        "friend", "mutable", "namespace", "new", "not", "operator", "or", "private",
        "protected", "public", "template", "this", "throw", "try", "typename", "using",
        "virtual", "xor",
    };
    static char buf[160];
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        if (strcmp(column, keywords[i]) == 0) {
            snprintf(buf, sizeof buf, "%s_", column);
            return buf;
        }
    }
    return column;
}

/* ---- Column shapes (the layout idl.h describes) ---- */

static bool is_map(const struct db_column_schema *col)
{
    return db_type_is_map(&col->type);
}

static bool is_ref(const struct db_base_type *base)
{
    return db_base_type_is_ref(base);
}

/* Exactly one value: a plain member. */
static bool is_single(const struct db_column_schema *col)
{
    return db_type_is_scalar(&col->type);
}

/* An optional string or reference: a pointer, NULL when empty. */
static bool is_optional_pointer(const struct db_column_schema *col)
{
    const struct db_base_type *key = &col->type.key;
    return db_type_is_optional_scalar(&col->type) &&
           (key->type == DB_TYPE_STRING || is_ref(key));
}

static bool is_counted(const struct db_column_schema *col)
{
    return !is_single(col) && !is_optional_pointer(col);
}

/* The C type of one element, e.g. "int64_t" or "struct vswrec_port *". */
static const char *element_type(const struct gen *g, const struct db_base_type *base)
{
    static char buf[2][160];
    static int next;
    char *b = buf[next++ % 2];
    switch (base->type) {
    case DB_TYPE_INTEGER: return "int64_t";
    case DB_TYPE_REAL: return "double";
    case DB_TYPE_BOOLEAN: return "bool";
    case DB_TYPE_STRING: return "char *";
    case DB_TYPE_UUID:
        if (!is_ref(base))
            return "struct uuid";
        snprintf(b, sizeof buf[0], "struct %s_%s *", g->prefix,
                 cased(base->ref_table->name, false).s);
        return b;
    case DB_TYPE_VOID: break;
    }
    return "void";
}

static const char *idl_atomic(enum db_atomic_type type)
{
    switch (type) {
    case DB_TYPE_INTEGER: return "IDL_INTEGER";
    case DB_TYPE_REAL: return "IDL_REAL";
    case DB_TYPE_BOOLEAN: return "IDL_BOOLEAN";
    case DB_TYPE_STRING: return "IDL_STRING";
    case DB_TYPE_UUID: return "IDL_UUID";
    case DB_TYPE_VOID: break;
    }
    return "IDL_VOID";
}

/* "T *" -> "T *", "int64_t" -> "int64_t " : the type followed by where a name goes. */
static void put_decl(FILE *f, const char *type, const char *stars, const char *name)
{
    size_t n = strlen(type);
    fprintf(f, "%s%s%s%s", type, type[n - 1] == '*' ? "" : " ", stars, name);
}

static void put_members(const struct gen *g, const struct db_column_schema *col)
{
    const char *name = member_name(col->name);
    char *english = db_type_to_english(&col->type);
    fprintf(g->h, "    /* %s: %s */\n", col->name, english);
    free(english);
    const char *key = element_type(g, &col->type.key);
    fprintf(g->h, "    ");
    if (is_map(col)) {
        const char *value = element_type(g, &col->type.value);
        char kname[200], vname[200];
        snprintf(kname, sizeof kname, "key_%s", col->name);
        snprintf(vname, sizeof vname, "value_%s", col->name);
        put_decl(g->h, key, "*", kname);
        fprintf(g->h, ";\n    ");
        put_decl(g->h, value, "*", vname);
        fprintf(g->h, ";\n    size_t n_%s;\n", col->name);
    } else if (is_counted(col)) {
        put_decl(g->h, key, "*", name);
        fprintf(g->h, ";\n    size_t n_%s;\n", col->name);
    } else {
        put_decl(g->h, key, "", name);
        fprintf(g->h, ";%s\n", is_optional_pointer(col) ? "   /* NULL when empty */" : "");
    }
}

/* ---- The header ---- */

static void put_table_header(const struct gen *g, const struct db_table_schema *t)
{
    struct cased lower = cased(t->name, false), upper = cased(t->name, true);
    struct cased prefix_upper = cased(g->prefix, true);
    const char *lt = lower.s, *ut = upper.s, *p = g->prefix, *up = prefix_upper.s;
    fprintf(g->h, "/* ---- Table %s ---- */\n\nstruct %s_%s {\n    struct idl_row header_;\n",
            t->name, p, lt);
    for (size_t i = DB_N_META_COLUMNS; i < t->n_columns; i++)
        put_members(g, &t->columns[i]);
    fprintf(g->h, "};\n\nenum {\n");
    for (size_t i = DB_N_META_COLUMNS; i < t->n_columns; i++)
        fprintf(g->h, "    %s_%s_COL_%s,\n", up, ut, cased(t->columns[i].name, true).s);
    fprintf(g->h, "    %s_%s_N_COLUMNS\n};\n\n", up, ut);
    fprintf(g->h, "extern const struct idl_table_class %s_table_%s;\n\n", p, lt);

    const char *row = "const struct";
    fprintf(g->h, "static inline %s %s_%s *%s_%s_cast(const struct idl_row *row)\n"
                  "{\n    return (%s %s_%s *)row;\n}\n", row, p, lt, p, lt, row, p, lt);
    fprintf(g->h, "%s %s_%s *%s_%s_first(const struct idl *idl);\n", row, p, lt, p, lt);
    fprintf(g->h, "%s %s_%s *%s_%s_next(const struct idl *idl, %s %s_%s *row);\n", row, p, lt,
            p, lt, row, p, lt);
    fprintf(g->h, "%s %s_%s *%s_%s_get_for_uuid(const struct idl *idl, const struct uuid *uuid);\n",
            row, p, lt, p, lt);
    fprintf(g->h, "/* Rows changed since idl_forget_changes(), deleted ones included. */\n");
    fprintf(g->h, "%s %s_%s *%s_%s_track_get_first(const struct idl *idl);\n", row, p, lt, p, lt);
    fprintf(g->h, "%s %s_%s *%s_%s_track_get_next(%s %s_%s *row);\n", row, p, lt, p, lt, row, p,
            lt);
    fprintf(g->h, "#define %s_%s_FOR_EACH(ROW, IDL) \\\n"
                  "    for ((ROW) = %s_%s_first(IDL); (ROW); (ROW) = %s_%s_next(IDL, ROW))\n",
            up, ut, p, lt, p, lt);
    fprintf(g->h, "#define %s_%s_FOR_EACH_TRACKED(ROW, IDL) \\\n"
                  "    for ((ROW) = %s_%s_track_get_first(IDL); (ROW); \\\n"
                  "         (ROW) = %s_%s_track_get_next(ROW))\n\n", up, ut, p, lt, p, lt);

    for (size_t i = DB_N_META_COLUMNS; i < t->n_columns; i++) {
        const struct db_column_schema *col = &t->columns[i];
        if (is_map(col) && col->type.key.type == DB_TYPE_STRING &&
            col->type.value.type == DB_TYPE_STRING)
            fprintf(g->h, "const char *%s_%s_get_%s(const struct %s_%s *row, const char *key);\n",
                    p, lt, col->name, p, lt);
    }

    fprintf(g->h, "\nstruct %s_%s *%s_%s_insert(struct idl_txn *txn);\n", p, lt, p, lt);
    fprintf(g->h, "void %s_%s_delete(struct idl_txn *txn, const struct %s_%s *row);\n", p, lt, p,
            lt);
}

/* The C type of an array of const elements of `base`, followed by where a name goes. */
static void array_param_type(const struct gen *g, const struct db_base_type *base, char *buf,
                             size_t size)
{
    if (base->type == DB_TYPE_STRING)
        snprintf(buf, size, "const char *const *");
    else if (is_ref(base))
        snprintf(buf, size, "%sconst *", element_type(g, base));
    else
        snprintf(buf, size, "const %s *", element_type(g, base));
}

/* The parameters of a setter after (txn, row), and the arguments to idl_txn_write(). */
static void setter_signature(const struct gen *g, const struct db_column_schema *col, char *params,
                             size_t size, char *args, size_t args_size)
{
    const char *name = member_name(col->name);
    const struct db_base_type *key = &col->type.key;
    char ktype[200], vtype[200];
    array_param_type(g, key, ktype, sizeof ktype);
    if (is_map(col)) {
        array_param_type(g, &col->type.value, vtype, sizeof vtype);
        snprintf(params, size, "%skey_%s, %svalue_%s, size_t n_%s", ktype, col->name, vtype,
                 col->name, col->name);
        snprintf(args, args_size, "key_%s, value_%s, n_%s", col->name, col->name, col->name);
    } else if (is_counted(col)) {
        snprintf(params, size, "%s%s, size_t n_%s", ktype, name, col->name);
        snprintf(args, args_size, "%s, NULL, n_%s", name, col->name);
    } else if (key->type == DB_TYPE_STRING || is_ref(key)) {
        const char *t = key->type == DB_TYPE_STRING ? "const char *" : element_type(g, key);
        snprintf(params, size, "%s%s%s", is_ref(key) ? "const " : "", t, name);
        if (is_optional_pointer(col))
            snprintf(args, args_size, "&%s, NULL, %s != NULL", name, name);
        else
            snprintf(args, args_size, "&%s, NULL, 1", name);
    } else if (key->type == DB_TYPE_UUID) {
        snprintf(params, size, "const struct uuid *%s", name);
        snprintf(args, args_size, "%s, NULL, 1", name);
    } else {
        snprintf(params, size, "%s %s", element_type(g, key), name);
        snprintf(args, args_size, "&%s, NULL, 1", name);
    }
}

/* One element's parameter: "const char *key" / "int64_t key" / ... and how to pass it. */
static void element_param(const struct gen *g, const struct db_base_type *base, const char *name,
                          char *param, size_t size, char *arg, size_t arg_size)
{
    if (base->type == DB_TYPE_STRING)
        snprintf(param, size, "const char *%s", name);
    else if (is_ref(base))
        snprintf(param, size, "const %s%s", element_type(g, base), name);
    else if (base->type == DB_TYPE_UUID)
        snprintf(param, size, "const struct uuid *%s", name);
    else
        snprintf(param, size, "%s %s", element_type(g, base), name);
    snprintf(arg, arg_size, base->type == DB_TYPE_UUID && !is_ref(base) ? "%s" : "&%s", name);
}

static void put_setters(const struct gen *g, const struct db_table_schema *t, FILE *f, bool body)
{
    struct cased lower = cased(t->name, false), upper = cased(t->name, true);
    struct cased prefix_upper = cased(g->prefix, true);
    const char *lt = lower.s, *ut = upper.s, *p = g->prefix, *up = prefix_upper.s;
    for (size_t i = DB_N_META_COLUMNS; i < t->n_columns; i++) {
        const struct db_column_schema *col = &t->columns[i];
        char params[1024], args[1024], col_index[512];
        snprintf(col_index, sizeof col_index, "%s_%s_COL_%s", up, ut, cased(col->name, true).s);
        setter_signature(g, col, params, sizeof params, args, sizeof args);
        fprintf(f, "void %s_%s_set_%s(struct idl_txn *txn, const struct %s_%s *row,\n    %s)%s\n",
                p, lt, col->name, p, lt, params, body ? "" : ";");
        if (body)
            fprintf(f, "{\n    idl_txn_write(txn, &row->header_, %s, %s);\n}\n\n", col_index,
                    args);
        fprintf(f, "void %s_%s_verify_%s(struct idl_txn *txn, const struct %s_%s *row)%s\n", p,
                lt, col->name, p, lt, body ? "" : ";");
        if (body)
            fprintf(f, "{\n    idl_txn_verify(txn, &row->header_, %s);\n}\n\n", col_index);
        char kparam[300], karg[200], vparam[300], varg[200];
        element_param(g, &col->type.key, is_map(col) ? "key" : "element", kparam, sizeof kparam,
                      karg, sizeof karg);
        if (is_map(col)) {
            element_param(g, &col->type.value, "value", vparam, sizeof vparam, varg, sizeof varg);
            fprintf(f, "void %s_%s_update_%s_setkey(struct idl_txn *txn, const struct %s_%s *row,"
                       "\n    %s, %s)%s\n", p, lt, col->name, p, lt, kparam, vparam,
                    body ? "" : ";");
            if (body)
                fprintf(f, "{\n    idl_txn_map_set(txn, &row->header_, %s, %s, %s);\n}\n\n",
                        col_index, karg, varg);
            fprintf(f, "void %s_%s_update_%s_delkey(struct idl_txn *txn, const struct %s_%s *row,"
                       "\n    %s)%s\n", p, lt, col->name, p, lt, kparam, body ? "" : ";");
            if (body)
                fprintf(f, "{\n    idl_txn_map_remove(txn, &row->header_, %s, %s);\n}\n\n",
                        col_index, karg);
        } else if (col->type.n_max > 1) {
            fprintf(f, "void %s_%s_update_%s_addvalue(struct idl_txn *txn, "
                       "const struct %s_%s *row,\n    %s)%s\n", p, lt, col->name, p, lt, kparam,
                    body ? "" : ";");
            if (body)
                fprintf(f, "{\n    idl_txn_set_add(txn, &row->header_, %s, %s);\n}\n\n",
                        col_index, karg);
            fprintf(f, "void %s_%s_update_%s_delvalue(struct idl_txn *txn, "
                       "const struct %s_%s *row,\n    %s)%s\n", p, lt, col->name, p, lt, kparam,
                    body ? "" : ";");
            if (body)
                fprintf(f, "{\n    idl_txn_set_remove(txn, &row->header_, %s, %s);\n}\n\n",
                        col_index, karg);
        }
    }
}

static void put_header(const struct gen *g, const char *schema_path)
{
    const struct db_schema *s = g->schema;
    struct cased guard_name = cased(g->prefix, true);
    const char *guard = guard_name.s;
    fprintf(g->h, "/* Generated by ovsdb/idlgen from %s: do not edit. The typed IDL of schema\n"
                  " * \"%s\" version %s (ovsdb/idl.h says how columns become members). */\n",
            schema_path, s->name, s->version);
    fprintf(g->h, "#ifndef %s_IDL_H\n#define %s_IDL_H\n\n", guard, guard);
    fprintf(g->h, "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n"
                  "#include \"ovsdb/idl.h\"\n\n");
    fprintf(g->h, "extern const struct idl_class %s_idl_class;\n\n", g->prefix);
    for (size_t t = 0; t < s->n_tables; t++)
        fprintf(g->h, "struct %s_%s;\n", g->prefix, cased(s->tables[t].name, false).s);
    fprintf(g->h, "\n");
    for (size_t t = 0; t < s->n_tables; t++) {
        put_table_header(g, &s->tables[t]);
        put_setters(g, &s->tables[t], g->h, false);
        fprintf(g->h, "\n");
    }
    fprintf(g->h, "#endif\n");
}

/* ---- The source ---- */

static void put_column_description(const struct gen *g, const struct db_table_schema *t,
                                   const struct db_column_schema *col)
{
    struct cased lower = cased(t->name, false);
    const char *lt = lower.s;
    const char *name = member_name(col->name);
    char member[1024], values[1024], count[1024];
    if (is_map(col)) {
        snprintf(member, sizeof member, "offsetof(struct %s_%s, key_%s)", g->prefix, lt,
                 col->name);
        snprintf(values, sizeof values, "offsetof(struct %s_%s, value_%s)", g->prefix, lt,
                 col->name);
    } else {
        snprintf(member, sizeof member, "offsetof(struct %s_%s, %s)", g->prefix, lt, name);
        snprintf(values, sizeof values, "IDL_NO_MEMBER");
    }
    if (is_counted(col))
        snprintf(count, sizeof count, "offsetof(struct %s_%s, n_%s)", g->prefix, lt, col->name);
    else
        snprintf(count, sizeof count, "IDL_NO_MEMBER");
    const struct db_type *type = &col->type;
    fprintf(g->c, "    { \"%s\", %s, %s, %d, %d, %u, ", col->name, idl_atomic(type->key.type),
            idl_atomic(type->value.type),
            is_ref(&type->key) ? (int)type->key.ref_table->index : -1,
            is_ref(&type->value) ? (int)type->value.ref_table->index : -1, type->n_min);
    if (type->n_max == DB_UNLIMITED)
        fprintf(g->c, "IDL_UNLIMITED,\n");
    else
        fprintf(g->c, "%u,\n", type->n_max);
    fprintf(g->c, "      %s,\n      %s,\n      %s },\n", member, values, count);
}

static void put_table_source(const struct gen *g, const struct db_table_schema *t)
{
    struct cased lower = cased(t->name, false);
    const char *lt = lower.s, *p = g->prefix;
    fprintf(g->c, "/* ---- Table %s ---- */\n\n", t->name);
    fprintf(g->c, "static const struct idl_column %s_%s_columns[] = {\n", p, lt);
    for (size_t i = DB_N_META_COLUMNS; i < t->n_columns; i++)
        put_column_description(g, t, &t->columns[i]);
    fprintf(g->c, "};\n\n");
    fprintf(g->c, "const struct idl_table_class %s_table_%s = {\n    \"%s\", %u, %s, "
                  "%s_%s_columns, %zu, sizeof(struct %s_%s)\n};\n\n",
            p, lt, t->name, t->index, t->is_root ? "true" : "false", p, lt,
            t->n_columns - DB_N_META_COLUMNS, p, lt);

    const char *row = "const struct";
    fprintf(g->c, "%s %s_%s *%s_%s_first(const struct idl *idl)\n{\n"
                  "    return %s_%s_cast(idl_first_row(idl, &%s_table_%s));\n}\n\n",
            row, p, lt, p, lt, p, lt, p, lt);
    fprintf(g->c, "%s %s_%s *%s_%s_next(const struct idl *idl, %s %s_%s *row)\n{\n"
                  "    return %s_%s_cast(idl_next_row(idl, &row->header_));\n}\n\n",
            row, p, lt, p, lt, row, p, lt, p, lt);
    fprintf(g->c, "%s %s_%s *%s_%s_get_for_uuid(const struct idl *idl, const struct uuid *uuid)"
                  "\n{\n    return %s_%s_cast(idl_row_for_uuid(idl, &%s_table_%s, uuid));\n}\n\n",
            row, p, lt, p, lt, p, lt, p, lt);
    fprintf(g->c, "%s %s_%s *%s_%s_track_get_first(const struct idl *idl)\n{\n"
                  "    return %s_%s_cast(idl_first_tracked(idl, &%s_table_%s));\n}\n\n",
            row, p, lt, p, lt, p, lt, p, lt);
    fprintf(g->c, "%s %s_%s *%s_%s_track_get_next(%s %s_%s *row)\n{\n"
                  "    return %s_%s_cast(idl_next_tracked(&row->header_));\n}\n\n",
            row, p, lt, p, lt, row, p, lt, p, lt);
    for (size_t i = DB_N_META_COLUMNS; i < t->n_columns; i++) {
        const struct db_column_schema *col = &t->columns[i];
        if (is_map(col) && col->type.key.type == DB_TYPE_STRING &&
            col->type.value.type == DB_TYPE_STRING)
            fprintf(g->c, "const char *%s_%s_get_%s(const struct %s_%s *row, const char *key)\n"
                          "{\n    return idl_row_map_get(&row->header_, %s_%s_COL_%s, key);\n}\n\n",
                    p, lt, col->name, p, lt, cased(p, true).s, cased(t->name, true).s,
                    cased(col->name, true).s);
    }
    fprintf(g->c, "struct %s_%s *%s_%s_insert(struct idl_txn *txn)\n{\n"
                  "    return (struct %s_%s *)idl_txn_insert(txn, &%s_table_%s);\n}\n\n",
            p, lt, p, lt, p, lt, p, lt);
    fprintf(g->c, "void %s_%s_delete(struct idl_txn *txn, const struct %s_%s *row)\n{\n"
                  "    idl_txn_delete(txn, &row->header_);\n}\n\n", p, lt, p, lt);
    put_setters(g, t, g->c, true);
}

static void put_source(const struct gen *g, const char *schema_path, const char *include)
{
    const struct db_schema *s = g->schema;
    fprintf(g->c, "/* Generated by ovsdb/idlgen from %s: do not edit. */\n", schema_path);
    fprintf(g->c, "#include \"%s\"\n\n#include <stddef.h>\n\n", include);
    for (size_t t = 0; t < s->n_tables; t++)
        put_table_source(g, &s->tables[t]);
    fprintf(g->c, "static const struct idl_table_class *const tables[] = {\n");
    for (size_t t = 0; t < s->n_tables; t++)
        fprintf(g->c, "    &%s_table_%s,\n", g->prefix, cased(s->tables[t].name, false).s);
    fprintf(g->c, "};\n\nconst struct idl_class %s_idl_class = { \"%s\", tables, %zu };\n",
            g->prefix, s->name, s->n_tables);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: idlgen SCHEMA PREFIX HEADER_OUT SOURCE_OUT HEADER_INCLUDE\n");
        return 2;
    }
    size_t len = 0;
    char *text = read_all(argv[1], &len);
    if (!text) {
        fprintf(stderr, "idlgen: cannot read %s\n", argv[1]);
        return 1;
    }
    char *error = NULL;
    struct db_schema *schema = db_schema_parse(text, len, &error);
    if (!schema) {
        fprintf(stderr, "idlgen: %s: %s\n", argv[1], error);
        return 1;
    }
    struct gen g = { schema, argv[2], fopen(argv[3], "w"), fopen(argv[4], "w") };
    if (!g.h || !g.c) {
        fprintf(stderr, "idlgen: cannot write %s or %s\n", argv[3], argv[4]);
        return 1;
    }
    put_header(&g, argv[1]);
    put_source(&g, argv[1], argv[5]);
    int rc = fclose(g.h) | fclose(g.c);
    db_schema_free(schema);
    free(text);
    if (rc) {
        fprintf(stderr, "idlgen: writing the output failed\n");
        return 1;
    }
    return 0;
}
