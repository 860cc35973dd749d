/* Values as people type them on a command line, in ovs-vsctl's syntax, parsed against a
 * column's type from the schema; table and column names matched as ovs-vsctl matches them;
 * and values printed back the way ovs-vsctl prints them.
 *
 * Every input is hostile until parsed: errors name the text at fault and what was expected,
 * and nothing here can be made to allocate more than the input's size allows (integer ranges
 * are bounded by the column's maximum number of elements). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb/error.h"
#include "tools/cli/vsctl_private.h"

/* ---- symbols ---- */

static void symbol_free(void *data)
{
    struct vsctl_symbol *symbol = data;
    free(symbol->name);
    free(symbol);
}

void symtab_init(struct vsctl_symtab *symtab, struct uuid_generator *uuids)
{
    shash_init(&symtab->symbols);
    symtab->uuids = uuids;
    symtab->current_command = 0;
}

void symtab_destroy(struct vsctl_symtab *symtab)
{
    shash_destroy(&symtab->symbols, symbol_free);
}

struct vsctl_symbol *symtab_get(struct vsctl_symtab *symtab, const char *name)
{
    struct vsctl_symbol *symbol = shash_find(&symtab->symbols, name);
    if (symbol)
        return symbol;
    symbol = vsctl_xzalloc(sizeof *symbol);
    symbol->name = vsctl_xstrdup(name);
    uuid_generate(symtab->uuids, &symbol->uuid);
    symbol->defined_by = SIZE_MAX;
    symbol->first_use = SIZE_MAX;
    shash_replace(&symtab->symbols, name, symbol);
    return symbol;
}

/* ---- tokens ---- */

static bool is_delimiter(char c)
{
    return c && strchr(":=, []{}!<>", c) != NULL;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const char *skip_spaces(const char *p)
{
    while (is_space(*p))
        p++;
    return p;
}

char *vsctl_token(const char **p, char **token)
{
    struct vsctl_buf out = { NULL, 0, 0 };
    bool in_quotes = false;
    const char *s = *p;
    buf_puts(&out, "");
    while (*s) {
        char c = *s++;
        if (c == '\\') {
            if (in_quotes)
                buf_putc(&out, '\\');
            if (!*s) {
                buf_free(&out);
                return vsctl_xasprintf("%s: backslash at end of argument", *p);
            }
            buf_putc(&out, *s++);
        } else if (!in_quotes && (is_delimiter(c) || is_space(c))) {
            s--;
            break;
        } else {
            buf_putc(&out, c);
            if (c == '"')
                in_quotes = !in_quotes;
        }
    }
    if (in_quotes) {
        buf_free(&out);
        return vsctl_xasprintf("%s: quoted string extends past end of argument", *p);
    }
    *token = out.s;
    *p = s;
    return NULL;
}

/* ---- atoms ---- */

static char *parse_integer(const char *s, int64_t *value)
{
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (!*s || *end || errno || isspace((unsigned char)*s))
        return vsctl_xasprintf("\"%s\" is not a valid integer", s);
    *value = n;
    return NULL;
}

static char *parse_real(const char *s, double *value)
{
    char *end;
    errno = 0;
    /* strtod() follows LC_NUMERIC; vsw never calls setlocale(), so it is "C". */
    double d = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(d) || isspace((unsigned char)*s))
        return vsctl_xasprintf("\"%s\" is not a valid real number", s);
    *value = d == 0 ? 0.0 : d;   /* no -0 */
    return NULL;
}

static char *parse_boolean(const char *s, bool *value)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
            *value = !strcmp(s, yes[i]);
            return NULL;
        }
    }
    return vsctl_xasprintf("\"%s\" is not a valid boolean (use \"true\" or \"false\")", s);
}

/* A string is either bare (taken as is) or a JSON string literal, quotes included. */
static char *parse_string(const char *s, char **value)
{
    if (!*s)
        return vsctl_xstrdup("an empty string is not valid as input; use \"\" to represent "
                             "the empty string");
    if (*s != '"') {
        if (db_utf8_length(s) == SIZE_MAX)
            return vsctl_xasprintf("\"%s\" is not valid UTF-8", s);
        *value = vsctl_xstrdup(s);
        return NULL;
    }
    size_t len = strlen(s);
    if (len < 2 || s[len - 1] != '"')
        return vsctl_xasprintf("%s: missing quote at end of quoted string", s);
    char *error = NULL;
    struct json *json = json_parse(s, len, &error);
    if (!json || !vj_is_string(json)) {
        char *message = vsctl_xasprintf("%s: not a valid quoted string (%s)", s,
                                        error ? error : "it is not one string");
        free(error);
        json_free(json);
        return message;
    }
    *value = vsctl_xstrdup(vj_string(json));
    json_free(json);
    return NULL;
}

static char *parse_uuid_atom(const char *s, const struct db_base_type *base,
                             struct vsctl_symtab *symtab, struct uuid *uuid)
{
    if (*s != '@') {
        if (!uuid_from_string(uuid, s))
            return vsctl_xasprintf("\"%s\" is not a valid UUID", s);
        return NULL;
    }
    if (!symtab)
        return vsctl_xasprintf("row id \"%s\" cannot be used here", s);
    if (!s[1])
        return vsctl_xstrdup("\"@\" must be followed by a name");
    struct vsctl_symbol *symbol = symtab_get(symtab, s);
    if (symbol->first_use == SIZE_MAX)
        symbol->first_use = symtab->current_command;
    if (db_base_type_is_strong_ref(base))
        symbol->strong_ref = true;
    else if (db_base_type_is_weak_ref(base))
        symbol->weak_ref = true;
    *uuid = symbol->uuid;
    return NULL;
}

static char *parse_atom_text(const struct db_base_type *base, const char *text,
                             struct vsctl_symtab *symtab, union db_atom *atom)
{
    switch (base->type) {
    case DB_TYPE_INTEGER:
        return parse_integer(text, &atom->integer);
    case DB_TYPE_REAL:
        return parse_real(text, &atom->real);
    case DB_TYPE_BOOLEAN:
        return parse_boolean(text, &atom->boolean);
    case DB_TYPE_STRING:
        return parse_string(text, &atom->string);
    case DB_TYPE_UUID:
        return parse_uuid_atom(text, base, symtab, &atom->uuid);
    case DB_TYPE_VOID:
        break;
    }
    return vsctl_xstrdup("internal error: a value of no type");
}

static char *check_constraints(const union db_atom *atom, const struct db_base_type *base)
{
    struct db_error *error = db_atom_check_constraints(atom, base);
    return error ? db_error_to_string_free(error) : NULL;
}

char *vsctl_parse_atom(const struct db_base_type *base, const char *text,
                       struct vsctl_symtab *symtab, union db_atom *atom)
{
    memset(atom, 0, sizeof *atom);
    char *error = parse_atom_text(base, text, symtab, atom);
    if (!error)
        error = check_constraints(atom, base);
    if (error) {
        db_atom_destroy(atom, base->type);
        memset(atom, 0, sizeof *atom);
    }
    return error;
}

/* ---- whole values ---- */

/* "a-b" as an integer range; false if `token` is not one. */
static bool parse_range(const char *token, int64_t *start, int64_t *end)
{
    char *p;
    errno = 0;
    long long a = strtoll(token, &p, 10);
    if (p == token || *p != '-' || errno)
        return false;
    const char *second = p + 1;
    long long b = strtoll(second, &p, 10);
    if (p == second || *p || errno || !isdigit((unsigned char)*second))
        return false;
    *start = a;
    *end = b;
    return true;
}

/* Appends the integers start..end to `datum`, at most `room` of them. */
static char *append_range(struct db_datum *datum, const struct db_base_type *base,
                          const char *token, int64_t start, int64_t end, size_t room)
{
    if (end < start)
        return vsctl_xasprintf("\"%s\" is not a valid range: the end is before the start",
                               token);
    if ((uint64_t)(end - start) >= room)
        return vsctl_xasprintf("\"%s\" is a range of more values than the column may hold",
                               token);
    for (int64_t i = start;; i++) {
        union db_atom atom = { .integer = i };
        char *error = check_constraints(&atom, base);
        if (error)
            return error;
        db_datum_append_unsorted(datum, &atom, NULL);
        if (i == end)
            break;
    }
    return NULL;
}

/* Parses one token at *p as an atom of `base`. */
static char *token_atom(const char **p, const struct db_base_type *base,
                        struct vsctl_symtab *symtab, union db_atom *atom)
{
    char *token;
    char *error = vsctl_token(p, &token);
    if (error)
        return error;
    error = vsctl_parse_atom(base, token, symtab, atom);
    free(token);
    return error;
}

/* Parses one element (an atom, a range, or key=value) at *p and appends it. */
static char *parse_element(const char **p, const char *text, const struct db_type *type,
                           struct vsctl_symtab *symtab, struct db_datum *datum)
{
    bool map = db_type_is_map(type);
    if (!map && type->key.type == DB_TYPE_INTEGER && type->n_max > 1) {
        const char *start = *p;
        char *token;
        char *error = vsctl_token(p, &token);
        if (error)
            return error;
        int64_t a, b;
        if (parse_range(token, &a, &b)) {
            size_t room = type->n_max == DB_UNLIMITED ? 4096 : type->n_max;
            error = append_range(datum, &type->key, token, a, b, room);
            free(token);
            return error;
        }
        free(token);
        *p = start;
    }
    union db_atom key, value;
    char *error = token_atom(p, &type->key, symtab, &key);
    if (error)
        return error;
    if (!map) {
        db_datum_append_unsorted(datum, &key, NULL);
        return NULL;
    }
    *p = skip_spaces(*p);
    if (**p != '=') {
        db_atom_destroy(&key, type->key.type);
        return vsctl_xasprintf("%s: syntax error at \"%s\" (expected \"=\" after a map key)",
                               text, *p);
    }
    *p = skip_spaces(*p + 1);
    error = token_atom(p, &type->value, symtab, &value);
    if (error) {
        db_atom_destroy(&key, type->key.type);
        return error;
    }
    db_datum_append_unsorted(datum, &key, &value);
    return NULL;
}

static char *type_english(const struct db_type *type)
{
    return db_type_to_english(type);
}

static char *parse_elements(const char *text, const struct db_type *type,
                            struct vsctl_symtab *symtab, struct db_datum *datum)
{
    const char *p = skip_spaces(text);
    char end = 0;
    if (*p == '[' || *p == '{') {
        end = *p == '[' ? ']' : '}';
        p = skip_spaces(p + 1);
    } else if (!*p) {
        return vsctl_xstrdup(db_type_is_map(type) ? "use \"{}\" to specify the empty map"
                                                  : "use \"[]\" to specify the empty set");
    }
    while (*p && *p != end) {
        if (is_delimiter(*p)) {
            char *english = type_english(type);
            char *error = vsctl_xasprintf("%s: unexpected \"%c\" parsing %s", text, *p,
                                          english);
            free(english);
            return error;
        }
        char *error = parse_element(&p, text, type, symtab, datum);
        if (error)
            return error;
        if (datum->n > 65536)
            return vsctl_xasprintf("%s: too many values", text);
        p = skip_spaces(p);
        if (*p == ',')
            p = skip_spaces(p + 1);
    }
    if (*p != end)
        return vsctl_xasprintf("%s: missing \"%c\" at end of data", text, end);
    if (end && *skip_spaces(p + 1))
        return vsctl_xasprintf("%s: trailing garbage after \"%c\"", text, end);
    return NULL;
}

static char *check_size(const char *text, const struct db_datum *datum, const struct db_type *type)
{
    if (datum->n < type->n_min)
        return vsctl_xasprintf("%s: %zu value(s) specified but the minimum number is %u", text,
                               datum->n, type->n_min);
    if (type->n_max != DB_UNLIMITED && datum->n > type->n_max)
        return vsctl_xasprintf("%s: %zu value(s) specified but the maximum number is %u", text,
                               datum->n, type->n_max);
    return NULL;
}

char *vsctl_parse_datum(const struct db_type *type, const char *text,
                        struct vsctl_symtab *symtab, struct db_datum *datum)
{
    db_datum_init_empty(datum);
    char *error = parse_elements(text, type, symtab, datum);
    if (!error)
        error = check_size(text, datum, type);
    if (!error) {
        struct db_error *dup = db_datum_sort_unique(datum, type);
        if (dup) {
            db_error_free(dup);
            error = vsctl_xasprintf(db_type_is_map(type) ? "%s: map contains duplicate key"
                                                         : "%s: set contains duplicate value",
                                    text);
        }
    }
    if (error)
        db_datum_destroy(datum, type);
    return error;
}

/* ---- names of tables and columns ---- */

static int fold(char c)
{
    return c == '-' ? '_' : tolower((unsigned char)c);
}

/* How well `s` (typed) matches `name`: exact beats case-insensitive beats a prefix, longer
 * prefixes beat shorter ones; 0 is no match. As ovs-vsctl's score_partial_match(). */
static unsigned int match_score(const char *name, const char *s)
{
    if (!strcmp(name, s))
        return UINT_MAX;
    unsigned int score = 0;
    for (;; score++, name++, s++) {
        if (fold(*name) != fold(*s))
            break;
        if (!*name)
            return UINT_MAX - 1;
    }
    return *s ? 0 : score;
}

char *vsctl_find_table(const struct db_schema *schema, const char *name,
                       const struct db_table_schema **table)
{
    unsigned int best = 0;
    size_t n_best = 0;
    *table = NULL;
    for (size_t i = 0; i < schema->n_tables; i++) {
        unsigned int score = match_score(schema->tables[i].name, name);
        if (score > best) {
            best = score;
            n_best = 1;
            *table = &schema->tables[i];
        } else if (score && score == best) {
            n_best++;
        }
    }
    if (n_best > 1) {
        *table = NULL;
        return vsctl_xasprintf("multiple table names match \"%s\"", name);
    }
    return *table ? NULL : vsctl_xasprintf("unknown table \"%s\"", name);
}

char *vsctl_find_column(const struct db_table_schema *table, const char *name,
                        const struct db_column_schema **column)
{
    unsigned int best = 0;
    size_t n_best = 0;
    *column = NULL;
    for (size_t i = 0; i < table->n_columns; i++) {
        if (i == DB_COLUMN_VERSION)
            continue;   /* ovs-vsctl does not show _version */
        unsigned int score = match_score(table->columns[i].name, name);
        if (score > best) {
            best = score;
            n_best = 1;
            *column = &table->columns[i];
        } else if (score && score == best) {
            n_best++;
        }
    }
    if (n_best > 1) {
        *column = NULL;
        return vsctl_xasprintf("%s contains more than one column whose name matches \"%s\"",
                               table->name, name);
    }
    return *column ? NULL
                   : vsctl_xasprintf("%s does not contain a column whose name matches \"%s\"",
                                     table->name, name);
}

static char *missing_operator(const char *arg, const char *const *ops, size_t n_ops)
{
    if (n_ops == 1)
        return vsctl_xasprintf("%s: argument does not end in \"%s\" followed by a value", arg,
                               ops[0]);
    struct vsctl_buf list = { NULL, 0, 0 };
    for (size_t i = 0; i < n_ops; i++)
        buf_printf(&list, "%s\"%s\"", i ? (i + 1 < n_ops ? ", " : ", or ") : "", ops[i]);
    char *error = vsctl_xasprintf("%s: argument does not end in %s followed by a value", arg,
                                  buf_cstr(&list));
    buf_free(&list);
    return error;
}

/* Matches the longest of `ops` at `p` that is followed by something. */
static bool match_operator(const char *p, const char *const *ops, size_t n_ops, size_t *best)
{
    size_t best_len = 0;
    bool found = false;
    for (size_t i = 0; i < n_ops; i++) {
        size_t len = strlen(ops[i]);
        if (len > best_len && !strncmp(ops[i], p, len) && p[len]) {
            best_len = len;
            *best = i;
            found = true;
        }
    }
    return found;
}

char *vsctl_parse_column_key_value(const char *arg, const struct db_table_schema *table,
                                   const struct db_column_schema **column, char **key,
                                   const char *const *ops, size_t n_ops, size_t *op,
                                   char **value)
{
    static const char *const equals[] = { "=" };
    const char *p = arg;
    char *name;
    *key = NULL;
    if (value)
        *value = NULL;
    char *error = vsctl_token(&p, &name);
    if (error)
        return error;
    if (!*name)
        error = vsctl_xasprintf("%s: missing column name", arg);
    else
        error = vsctl_find_column(table, name, column);
    free(name);
    if (!error && *p == ':') {
        p++;
        error = vsctl_token(&p, key);
    }
    if (error)
        goto fail;
    if (!value) {
        if (*p) {
            error = vsctl_xasprintf("%s: trailing garbage \"%s\" in argument", arg, p);
            goto fail;
        }
        return NULL;
    }
    if (!ops) {
        ops = equals;
        n_ops = 1;
    }
    size_t best = 0;
    if (!match_operator(p, ops, n_ops, &best)) {
        error = missing_operator(arg, ops, n_ops);
        goto fail;
    }
    if (op)
        *op = best;
    *value = vsctl_xstrdup(p + strlen(ops[best]));
    return NULL;
fail:
    free(*key);
    *key = NULL;
    return error;
}

/* ---- values back to text ---- */

static void atom_bare(struct vsctl_buf *out, const union db_atom *atom, enum db_atomic_type type)
{
    if (type == DB_TYPE_STRING) {
        buf_puts(out, atom->string);
        return;
    }
    char *s = db_atom_to_string(atom, type);
    buf_puts(out, s);
    free(s);
}

char *vsctl_datum_to_text(const struct db_datum *datum, const struct db_type *type, bool bare)
{
    if (!bare)
        return db_datum_to_string(datum, type);
    struct vsctl_buf out = { NULL, 0, 0 };
    buf_puts(&out, "");
    for (size_t i = 0; i < datum->n; i++) {
        if (i)
            buf_putc(&out, ' ');
        atom_bare(&out, &datum->keys[i], type->key.type);
        if (db_type_is_map(type)) {
            buf_putc(&out, '=');
            atom_bare(&out, &datum->values[i], type->value.type);
        }
    }
    return out.s;
}

char *vsctl_datum_from_json(const struct db_type *type, const struct json *json,
                            struct db_datum *datum)
{
    if (!json) {
        /* A column the reply left out holds its default. */
        db_datum_init_default(datum, type);
        return NULL;
    }
    struct db_error *error = db_datum_from_json(datum, type, json, NULL);
    return error ? db_error_to_string_free(error) : NULL;
}

int vsctl_datum_compare_3way(const struct db_datum *a, const struct db_datum *b,
                             const struct db_type *type)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    return db_datum_compare(a, b, type);
}
