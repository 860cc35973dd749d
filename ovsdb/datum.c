/* Atoms and datums: see datum.h. */
/* qsort_r() needs _GNU_SOURCE, which the build defines for every file. */
#include "ovsdb/datum.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/json.h"
#include "lib/xalloc.h"

/* ---- hashing ---- */

/* Index keys (bridge names...) come from clients: a per-process random seed keeps anyone from
 * choosing names that all land in one bucket. */
static uint64_t seed_value;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void make_seed(void)
{
    if (getrandom(&seed_value, sizeof seed_value, GRND_NONBLOCK) != sizeof seed_value)
        seed_value = (uintptr_t)&seed_value * 0x9e3779b97f4a7c15ull;
}

static uint64_t seed(void)
{
    pthread_once(&seed_once, make_seed);
    return seed_value;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static size_t hash_bytes(const void *data, size_t n, size_t basis)
{
    const unsigned char *p = data;
    uint64_t h = mix64(basis ^ seed() ^ (n * 0x9e3779b97f4a7c15ull));
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t chunk;
        memcpy(&chunk, p, 8);
        h = mix64(h ^ chunk) + 0x2545f4914f6cdd1dull;
    }
    uint64_t tail = 0;
    memcpy(&tail, p, n);
    return (size_t)mix64(h ^ tail);
}

/* ---- UTF-8 ---- */

size_t db_utf8_length(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        unsigned char c = *p;
        size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (!len)
            return SIZE_MAX;
        unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
        unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
        for (size_t i = 1; i < len; i++) {
            unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xbf;
            if (p[i] < min || p[i] > max)
                return SIZE_MAX;
        }
        p += len;
        n++;
    }
    return n;
}

/* ---- atoms ---- */

void db_atom_init_default(union db_atom *atom, enum db_atomic_type type)
{
    memset(atom, 0, sizeof *atom);
    if (type == DB_TYPE_STRING)
        atom->string = xstrdup("");
}

bool db_atom_is_default(const union db_atom *atom, enum db_atomic_type type)
{
    switch (type) {
    case DB_TYPE_INTEGER: return atom->integer == 0;
    case DB_TYPE_REAL: return atom->real == 0.0;
    case DB_TYPE_BOOLEAN: return !atom->boolean;
    case DB_TYPE_STRING: return atom->string[0] == '\0';
    case DB_TYPE_UUID: return uuid_is_zero(&atom->uuid);
    case DB_TYPE_VOID: return true;
    }
    return false;
}

void db_atom_clone(union db_atom *dst, const union db_atom *src, enum db_atomic_type type)
{
    if (type == DB_TYPE_STRING)
        dst->string = xstrdup(src->string);
    else
        *dst = *src;
}

void db_atom_destroy(union db_atom *atom, enum db_atomic_type type)
{
    if (type == DB_TYPE_STRING) {
        free(atom->string);
        atom->string = NULL;
    }
}

int db_atom_compare(const union db_atom *a, const union db_atom *b, enum db_atomic_type type)
{
    switch (type) {
    case DB_TYPE_INTEGER: return a->integer < b->integer ? -1 : a->integer > b->integer;
    case DB_TYPE_REAL: return a->real < b->real ? -1 : a->real > b->real;
    case DB_TYPE_BOOLEAN: return (int)a->boolean - (int)b->boolean;
    case DB_TYPE_STRING: return strcmp(a->string, b->string);
    case DB_TYPE_UUID: return uuid_compare(&a->uuid, &b->uuid);
    case DB_TYPE_VOID: return 0;
    }
    return 0;
}

bool db_atom_equals(const union db_atom *a, const union db_atom *b, enum db_atomic_type type)
{
    return !db_atom_compare(a, b, type);
}

size_t db_atom_hash(const union db_atom *atom, enum db_atomic_type type, size_t basis)
{
    switch (type) {
    case DB_TYPE_INTEGER: return hash_bytes(&atom->integer, sizeof atom->integer, basis);
    case DB_TYPE_REAL: {
        double d = atom->real == 0.0 ? 0.0 : atom->real;   /* -0.0 == 0.0 */
        return hash_bytes(&d, sizeof d, basis);
    }
    case DB_TYPE_BOOLEAN: return hash_bytes(&atom->boolean, sizeof atom->boolean, basis);
    case DB_TYPE_STRING: return hash_bytes(atom->string, strlen(atom->string), basis);
    case DB_TYPE_UUID: return hash_bytes(atom->uuid.bytes, sizeof atom->uuid.bytes, basis);
    case DB_TYPE_VOID: return basis;
    }
    return basis;
}

/* Describes a JSON value briefly for error messages: its type, and short scalars in full. */
static char *describe_json(const struct json *json)
{
    char *s = NULL;
    switch (json_type(json)) {
    case JSON_ARRAY:
    case JSON_OBJECT:
        s = xstrdup(json_type_name(json_type(json)));
        break;
    default: {
        char *text = json_to_string(json);
        if (strlen(text) <= 64)
            return text;
        free(text);
        s = xstrdup(json_type_name(json_type(json)));
    }
    }
    return s;
}

static struct db_error *type_mismatch(const struct json *json, const char *expected)
{
    char *got = describe_json(json);
    struct db_error *error = db_error_create(DB_ERR_SYNTAX, "expected %s, got %s", expected, got);
    free(got);
    return error;
}

/* ["uuid", "..."] or ["named-uuid", "name"] */
static struct db_error *uuid_from_json(struct uuid *uuid, const struct json *json,
                                       const struct db_named_uuids *names)
{
    const struct json *tag = json_array_at(json, 0), *arg = json_array_at(json, 1);
    if (!json_is_array(json) || json_array_size(json) != 2 || !json_is_string(tag) ||
        !json_is_string(arg))
        return type_mismatch(json, "[\"uuid\", <uuid>] or [\"named-uuid\", <name>]");
    if (!strcmp(json_string(tag), "uuid")) {
        if (!uuid_from_string(uuid, json_string(arg)))
            return db_error_create(DB_ERR_SYNTAX, "\"%s\" is not a valid UUID",
                                   json_string(arg));
        return NULL;
    }
    if (!strcmp(json_string(tag), "named-uuid")) {
        if (!names)
            return db_error_create(DB_ERR_SYNTAX, "named-uuid \"%s\" is not allowed here",
                                   json_string(arg));
        if (!names->resolve(names->aux, json_string(arg), uuid))
            return db_error_create(DB_ERR_SYNTAX, "unknown named-uuid \"%s\"",
                                   json_string(arg));
        return NULL;
    }
    return type_mismatch(json, "[\"uuid\", <uuid>] or [\"named-uuid\", <name>]");
}

struct db_error *db_atom_from_json(union db_atom *atom, const struct db_base_type *base,
                                   const struct json *json, const struct db_named_uuids *names)
{
    memset(atom, 0, sizeof *atom);
    switch (base->type) {
    case DB_TYPE_INTEGER:
        if (!json_is_integer(json))
            return type_mismatch(json, "integer");
        atom->integer = json_integer(json);
        return NULL;
    case DB_TYPE_REAL:
        if (!json_is_number(json))
            return type_mismatch(json, "real");
        atom->real = json_real(json);
        return NULL;
    case DB_TYPE_BOOLEAN:
        if (!json_is_boolean(json))
            return type_mismatch(json, "boolean");
        atom->boolean = json_boolean(json);
        return NULL;
    case DB_TYPE_STRING:
        if (!json_is_string(json))
            return type_mismatch(json, "string");
        atom->string = xstrdup(json_string(json));
        return NULL;
    case DB_TYPE_UUID:
        return uuid_from_json(&atom->uuid, json, names);
    case DB_TYPE_VOID:
        break;
    }
    return db_error_create(DB_ERR_SYNTAX, "void atom");
}

struct json *db_atom_to_json(const union db_atom *atom, enum db_atomic_type type)
{
    char buf[UUID_STRING_LEN + 1];
    switch (type) {
    case DB_TYPE_INTEGER: return json_integer_new(atom->integer);
    case DB_TYPE_REAL: return json_real_new(atom->real);
    case DB_TYPE_BOOLEAN: return json_boolean_new(atom->boolean);
    case DB_TYPE_STRING: return json_string_new(atom->string);
    case DB_TYPE_UUID:
        uuid_to_string(&atom->uuid, buf);
        return json_array_append(json_array_append(json_array_new(), json_string_new("uuid")),
                                 json_string_new(buf));
    case DB_TYPE_VOID: break;
    }
    return json_null_new();
}

/* An atom as JSON text, for error messages: unambiguous where the bare form is not. */
static char *atom_to_json_text(const union db_atom *atom, enum db_atomic_type type)
{
    struct json *json = db_atom_to_json(atom, type);
    char *s = json_to_string(json);
    json_free(json);
    return s;
}

static char *enum_to_english(const struct db_datum *values, enum db_atomic_type type)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < values->n; i++) {
        char *atom = atom_to_json_text(&values->keys[i], type), *next;
        const char *sep = !i ? "" : i + 1 < values->n ? ", " : values->n == 2 ? " or " : ", or ";
        if (asprintf(&next, "%s%s%s", out, sep, atom) < 0)
            abort();
        free(atom);
        free(out);
        out = next;
    }
    return out;
}

static struct db_error *check_enum(const union db_atom *atom, const struct db_base_type *base)
{
    if (db_datum_find_key(base->enum_values, atom, base->type) >= 0)
        return NULL;
    char *value = atom_to_json_text(atom, base->type);
    char *allowed = enum_to_english(base->enum_values, base->type);
    struct db_error *error = db_error_create(DB_ERR_CONSTRAINT, "%s is not one of the allowed "
                                             "values (%s)", value, allowed);
    free(value);
    free(allowed);
    return error;
}

static struct db_error *check_string_length(const char *s, const struct db_base_type *base)
{
    if (!base->min_length && base->max_length == SIZE_MAX)
        return NULL;
    size_t n = db_utf8_length(s);
    if (n < base->min_length)
        return db_error_create(DB_ERR_CONSTRAINT, "\"%s\" length %zu is less than the minimum "
                               "allowed length %zu", s, n, base->min_length);
    if (n > base->max_length)
        return db_error_create(DB_ERR_CONSTRAINT, "\"%.40s...\" length %zu is greater than the "
                               "maximum allowed length %zu", s, n, base->max_length);
    return NULL;
}

struct db_error *db_atom_check_constraints(const union db_atom *atom,
                                           const struct db_base_type *base)
{
    if (base->enum_values)
        return check_enum(atom, base);
    switch (base->type) {
    case DB_TYPE_INTEGER:
        if (atom->integer < base->min_integer || atom->integer > base->max_integer)
            return db_error_create(DB_ERR_CONSTRAINT, "%lld is not in the valid range %lld to "
                                   "%lld (inclusive)", (long long)atom->integer,
                                   (long long)base->min_integer, (long long)base->max_integer);
        return NULL;
    case DB_TYPE_REAL:
        if (atom->real < base->min_real || atom->real > base->max_real)
            return db_error_create(DB_ERR_CONSTRAINT, "%.17g is not in the valid range %.17g "
                                   "to %.17g (inclusive)", atom->real, base->min_real,
                                   base->max_real);
        return NULL;
    case DB_TYPE_STRING:
        return check_string_length(atom->string, base);
    default:
        return NULL;
    }
}

/* ---- atoms as people type them ---- */

static struct db_error *bad_text(const char *s, const struct db_base_type *base)
{
    return db_error_create(DB_ERR_SYNTAX, "\"%s\" is not a valid %s", s,
                           db_atomic_type_name(base->type));
}

/* A string typed on a command line: JSON-quoted, or taken as is. */
static struct db_error *string_from_text(union db_atom *atom, const char *s)
{
    if (s[0] != '"') {
        if (db_utf8_length(s) == SIZE_MAX)
            return db_error_create(DB_ERR_SYNTAX, "string is not valid UTF-8");
        atom->string = xstrdup(s);
        return NULL;
    }
    char *error = NULL;
    struct json *json = json_parse(s, strlen(s), &error);
    if (!json || !json_is_string(json)) {
        struct db_error *e = db_error_create(DB_ERR_SYNTAX, "%s is not a valid quoted string%s%s",
                                             s, error ? ": " : "", error ? error : "");
        free(error);
        json_free(json);
        return e;
    }
    atom->string = xstrdup(json_string(json));
    json_free(json);
    return NULL;
}

static struct db_error *atom_from_text(union db_atom *atom, const struct db_base_type *base,
                                       const char *s)
{
    char *end;
    errno = 0;
    switch (base->type) {
    case DB_TYPE_INTEGER:
        atom->integer = strtoll(s, &end, 10);
        return !*s || *end || errno ? bad_text(s, base) : NULL;
    case DB_TYPE_REAL: {
        /* Through the JSON parser: strtod() would follow the caller's locale. */
        struct json *json = json_parse(s, strlen(s), NULL);
        bool ok = json && json_is_number(json);
        atom->real = ok ? json_real(json) : 0.0;
        json_free(json);
        return ok ? NULL : bad_text(s, base);
    }
    case DB_TYPE_BOOLEAN:
        if (strcmp(s, "true") && strcmp(s, "false"))
            return bad_text(s, base);
        atom->boolean = !strcmp(s, "true");
        return NULL;
    case DB_TYPE_STRING:
        return string_from_text(atom, s);
    case DB_TYPE_UUID:
        return uuid_from_string(&atom->uuid, s) ? NULL : bad_text(s, base);
    case DB_TYPE_VOID:
        break;
    }
    return bad_text(s, base);
}

struct db_error *db_atom_from_string(union db_atom *atom, const struct db_base_type *base,
                                     const char *s)
{
    memset(atom, 0, sizeof *atom);
    struct db_error *error = atom_from_text(atom, base, s);
    if (!error)
        error = db_atom_check_constraints(atom, base);
    if (error) {
        db_atom_destroy(atom, base->type);
        memset(atom, 0, sizeof *atom);
    }
    return error;
}

/* A string can be shown bare if reading it back bare gives the same string and it cannot be
 * mistaken for another type: an identifier-like word that is not a boolean. */
static bool string_needs_quotes(const char *s)
{
    if (!*s || !strcmp(s, "true") || !strcmp(s, "false"))
        return true;
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return true;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return true;
    }
    return false;
}

char *db_atom_to_string(const union db_atom *atom, enum db_atomic_type type)
{
    char *s = NULL;
    switch (type) {
    case DB_TYPE_INTEGER:
        if (asprintf(&s, "%lld", (long long)atom->integer) < 0)
            abort();
        return s;
    case DB_TYPE_REAL:
    case DB_TYPE_BOOLEAN: {
        struct json *json = db_atom_to_json(atom, type);
        s = json_to_string(json);
        json_free(json);
        return s;
    }
    case DB_TYPE_STRING:
        if (!string_needs_quotes(atom->string))
            return xstrdup(atom->string);
        struct json *json = json_string_new(atom->string);
        s = json_to_string(json);
        json_free(json);
        return s;
    case DB_TYPE_UUID:
        s = xmalloc(UUID_STRING_LEN + 1);
        uuid_to_string(&atom->uuid, s);
        return s;
    case DB_TYPE_VOID:
        break;
    }
    return xstrdup("");
}

/* ---- whole values as people type them ---- */

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n);

static bool is_token_delimiter(char c)
{
    return !c || strchr(":=,[]{}!<> \t\n", c) != NULL;
}

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    return p;
}

/* Reads one atom token at *p (a JSON-quoted string, or a bare run up to a delimiter) and parses
 * it as `base`; advances *p past it. */
static struct db_error *token_to_atom(union db_atom *atom, const struct db_base_type *base,
                                      const char **p)
{
    const char *start = *p, *end = start;
    if (*start == '"') {
        for (end = start + 1; *end && *end != '"'; end++)
            if (*end == '\\' && end[1])
                end++;
        if (*end != '"')
            return db_error_create(DB_ERR_SYNTAX, "unterminated quoted string: %s", start);
        end++;
    } else {
        while (!is_token_delimiter(*end))
            end++;
    }
    if (end == start)
        return db_error_create(DB_ERR_SYNTAX, "missing value at \"%s\"", start);
    char *token = strndup(start, (size_t)(end - start));
    if (!token)
        abort();
    struct db_error *error = db_atom_from_string(atom, base, token);
    free(token);
    *p = end;
    return error;
}

/* Parses one element (an atom, or key=value for maps) at *p and appends it. */
static struct db_error *element_from_text(struct db_datum *datum, const struct db_type *type,
                                          const char **p)
{
    union db_atom key, value;
    struct db_error *error = token_to_atom(&key, &type->key, p);
    if (error || !db_type_is_map(type)) {
        if (!error)
            db_datum_append_unsorted(datum, &key, NULL);
        return error;
    }
    *p = skip_spaces(*p);
    if (**p != '=') {
        db_atom_destroy(&key, type->key.type);
        return db_error_create(DB_ERR_SYNTAX, "expected \"=\" after a map key, at \"%s\"", *p);
    }
    *p = skip_spaces(*p + 1);
    error = token_to_atom(&value, &type->value, p);
    if (error) {
        db_atom_destroy(&key, type->key.type);
        return error;
    }
    db_datum_append_unsorted(datum, &key, &value);
    return NULL;
}

static struct db_error *elements_from_text(struct db_datum *datum, const struct db_type *type,
                                           const char *s)
{
    const char *p = skip_spaces(s);
    char close = *p == '[' ? ']' : *p == '{' ? '}' : '\0';
    if (close)
        p = skip_spaces(p + 1);
    while (*p && *p != close) {
        struct db_error *error = element_from_text(datum, type, &p);
        if (error)
            return error;
        p = skip_spaces(p);
        if (*p == ',')
            p = skip_spaces(p + 1);
        else if (*p && *p != close)
            return db_error_create(DB_ERR_SYNTAX, "expected \",\" between elements, at \"%s\"",
                                   p);
    }
    if (close && *p != close)
        return db_error_create(DB_ERR_SYNTAX, "missing \"%c\" at the end of \"%s\"", close, s);
    if (close)
        p = skip_spaces(p + 1);
    if (*p)
        return db_error_create(DB_ERR_SYNTAX, "unexpected \"%s\" after the value", p);
    return NULL;
}

struct db_error *db_datum_from_string(struct db_datum *datum, const struct db_type *type,
                                      const char *s)
{
    db_datum_init_empty(datum);
    struct db_error *error = elements_from_text(datum, type, s);
    if (!error)
        error = db_datum_sort_unique(datum, type);
    if (!error)
        error = db_datum_check_constraints(datum, type);
    if (error)
        db_datum_destroy(datum, type);
    return error;
}

char *db_datum_to_string(const struct db_datum *datum, const struct db_type *type)
{
    bool map = db_type_is_map(type);
    if (!map && type->n_max == 1 && datum->n == 1)
        return db_atom_to_string(&datum->keys[0], type->key.type);
    size_t len = 0, cap = 0;
    char *out = NULL;
    append(&out, &len, &cap, map ? "{" : "[", 1);
    for (size_t i = 0; i < datum->n; i++) {
        char *key = db_atom_to_string(&datum->keys[i], type->key.type);
        if (i)
            append(&out, &len, &cap, ", ", 2);
        append(&out, &len, &cap, key, strlen(key));
        free(key);
        if (map) {
            char *value = db_atom_to_string(&datum->values[i], type->value.type);
            append(&out, &len, &cap, "=", 1);
            append(&out, &len, &cap, value, strlen(value));
            free(value);
        }
    }
    append(&out, &len, &cap, map ? "}" : "]", 1);
    return out;
}

/* ---- datums ---- */

void db_datum_init_empty(struct db_datum *datum)
{
    datum->n = 0;
    datum->keys = NULL;
    datum->values = NULL;
}

void db_datum_init_default(struct db_datum *datum, const struct db_type *type)
{
    db_datum_init_empty(datum);
    if (!type->n_min)
        return;
    datum->n = 1;
    datum->keys = xmalloc(sizeof *datum->keys);
    db_atom_init_default(&datum->keys[0], type->key.type);
    if (db_type_is_map(type)) {
        datum->values = xmalloc(sizeof *datum->values);
        db_atom_init_default(&datum->values[0], type->value.type);
    }
}

bool db_datum_is_default(const struct db_datum *datum, const struct db_type *type)
{
    if (!type->n_min)
        return datum->n == 0;
    return datum->n == 1 && db_atom_is_default(&datum->keys[0], type->key.type) &&
           (!db_type_is_map(type) || db_atom_is_default(&datum->values[0], type->value.type));
}

static void destroy_atoms(union db_atom *atoms, size_t n, enum db_atomic_type type)
{
    if (type == DB_TYPE_STRING)
        for (size_t i = 0; i < n; i++)
            free(atoms[i].string);
    free(atoms);
}

void db_datum_destroy(struct db_datum *datum, const struct db_type *type)
{
    destroy_atoms(datum->keys, datum->n, type->key.type);
    if (datum->values)
        destroy_atoms(datum->values, datum->n, type->value.type);
    db_datum_init_empty(datum);
}

static union db_atom *clone_atoms(const union db_atom *atoms, size_t n, enum db_atomic_type type)
{
    if (!n)
        return NULL;
    union db_atom *copy = xmalloc(n * sizeof *copy);
    if (type != DB_TYPE_STRING) {
        memcpy(copy, atoms, n * sizeof *copy);
        return copy;
    }
    for (size_t i = 0; i < n; i++)
        copy[i].string = xstrdup(atoms[i].string);
    return copy;
}

void db_datum_clone(struct db_datum *dst, const struct db_datum *src, const struct db_type *type)
{
    dst->n = src->n;
    dst->keys = clone_atoms(src->keys, src->n, type->key.type);
    dst->values = src->values && src->n ? clone_atoms(src->values, src->n, type->value.type)
                                        : NULL;
}

void db_datum_swap(struct db_datum *a, struct db_datum *b)
{
    struct db_datum tmp = *a;
    *a = *b;
    *b = tmp;
}

int db_datum_compare(const struct db_datum *a, const struct db_datum *b,
                     const struct db_type *type)
{
    bool map = db_type_is_map(type);
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        int c = db_atom_compare(&a->keys[i], &b->keys[i], type->key.type);
        if (!c && map)
            c = db_atom_compare(&a->values[i], &b->values[i], type->value.type);
        if (c)
            return c;
    }
    return a->n < b->n ? -1 : a->n > b->n;
}

bool db_datum_equals(const struct db_datum *a, const struct db_datum *b,
                     const struct db_type *type)
{
    return a->n == b->n && !db_datum_compare(a, b, type);
}

size_t db_datum_hash(const struct db_datum *datum, const struct db_type *type, size_t basis)
{
    size_t h = basis + datum->n;
    for (size_t i = 0; i < datum->n; i++) {
        h = db_atom_hash(&datum->keys[i], type->key.type, h);
        if (datum->values)
            h = db_atom_hash(&datum->values[i], type->value.type, h);
    }
    return h;
}

long db_datum_find_key(const struct db_datum *datum, const union db_atom *key,
                       enum db_atomic_type key_type)
{
    size_t lo = 0, hi = datum->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = db_atom_compare(key, &datum->keys[mid], key_type);
        if (!c)
            return (long)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* Whether element i of `a` (key, and value for maps) is in `b`. */
static bool contains_element(const struct db_datum *b, const struct db_datum *a, size_t i,
                             const struct db_type *type)
{
    long j = db_datum_find_key(b, &a->keys[i], type->key.type);
    if (j < 0)
        return false;
    return !db_type_is_map(type) ||
           db_atom_equals(&a->values[i], &b->values[j], type->value.type);
}

bool db_datum_includes_all(const struct db_datum *a, const struct db_datum *b,
                           const struct db_type *type)
{
    for (size_t i = 0; i < a->n; i++)
        if (!contains_element(b, a, i, type))
            return false;
    return true;
}

bool db_datum_excludes_all(const struct db_datum *a, const struct db_datum *b,
                           const struct db_type *type)
{
    for (size_t i = 0; i < a->n; i++)
        if (contains_element(b, a, i, type))
            return false;
    return true;
}

void db_datum_append_unsorted(struct db_datum *datum, const union db_atom *key,
                              const union db_atom *value)
{
    datum->keys = xrealloc(datum->keys, (datum->n + 1) * sizeof *datum->keys);
    datum->keys[datum->n] = *key;
    if (value) {
        datum->values = xrealloc(datum->values, (datum->n + 1) * sizeof *datum->values);
        datum->values[datum->n] = *value;
    }
    datum->n++;
}

struct sort_ctx {
    const struct db_datum *datum;
    enum db_atomic_type key_type;
};

static int compare_indexes(const void *a_, const void *b_, void *ctx_)
{
    const struct sort_ctx *ctx = ctx_;
    size_t a = *(const size_t *)a_, b = *(const size_t *)b_;
    int c = db_atom_compare(&ctx->datum->keys[a], &ctx->datum->keys[b], ctx->key_type);
    return c ? c : (a < b ? -1 : a > b);   /* stable: the first of equal keys stays first */
}

/* Sorts keys (and values along) by key, stably. */
static void sort_datum(struct db_datum *datum, const struct db_type *type)
{
    if (datum->n < 2)
        return;
    bool sorted = true;
    for (size_t i = 1; i < datum->n && sorted; i++)
        sorted = db_atom_compare(&datum->keys[i - 1], &datum->keys[i], type->key.type) < 0;
    if (sorted)
        return;
    size_t *order = xmalloc(datum->n * sizeof *order);
    for (size_t i = 0; i < datum->n; i++)
        order[i] = i;
    struct sort_ctx ctx = { datum, type->key.type };
    qsort_r(order, datum->n, sizeof *order, compare_indexes, &ctx);
    union db_atom *keys = xmalloc(datum->n * sizeof *keys), *values = NULL;
    for (size_t i = 0; i < datum->n; i++)
        keys[i] = datum->keys[order[i]];
    if (datum->values) {
        values = xmalloc(datum->n * sizeof *values);
        for (size_t i = 0; i < datum->n; i++)
            values[i] = datum->values[order[i]];
    }
    free(order);
    free(datum->keys);
    free(datum->values);
    datum->keys = keys;
    datum->values = values;
}

struct db_error *db_datum_sort_unique(struct db_datum *datum, const struct db_type *type)
{
    sort_datum(datum, type);
    for (size_t i = 1; i < datum->n; i++) {
        if (db_atom_equals(&datum->keys[i - 1], &datum->keys[i], type->key.type)) {
            char *dup = atom_to_json_text(&datum->keys[i], type->key.type);
            struct db_error *error = db_error_create(
                DB_ERR_CONSTRAINT, db_type_is_map(type) ? "map contains duplicate key %s"
                                                        : "set contains duplicate value %s", dup);
            free(dup);
            return error;
        }
    }
    return NULL;
}

void db_datum_remove_at(struct db_datum *datum, size_t index, const struct db_type *type)
{
    db_atom_destroy(&datum->keys[index], type->key.type);
    memmove(&datum->keys[index], &datum->keys[index + 1],
            (datum->n - index - 1) * sizeof *datum->keys);
    if (datum->values) {
        db_atom_destroy(&datum->values[index], type->value.type);
        memmove(&datum->values[index], &datum->values[index + 1],
                (datum->n - index - 1) * sizeof *datum->values);
    }
    datum->n--;
}

size_t db_datum_sort_dedup(struct db_datum *datum, const struct db_type *type)
{
    sort_datum(datum, type);
    size_t dropped = 0;
    for (size_t i = 1; i < datum->n;) {
        if (db_atom_equals(&datum->keys[i - 1], &datum->keys[i], type->key.type)) {
            db_datum_remove_at(datum, i, type);
            dropped++;
        } else {
            i++;
        }
    }
    return dropped;
}

struct db_error *db_datum_check_size(const struct db_datum *datum, const struct db_type *type)
{
    if (datum->n < type->n_min)
        return db_error_create(DB_ERR_CONSTRAINT, "%zu elements is fewer than the minimum %u",
                               datum->n, type->n_min);
    if (type->n_max != DB_UNLIMITED && datum->n > type->n_max)
        return db_error_create(DB_ERR_CONSTRAINT, "%zu elements is more than the maximum %u",
                               datum->n, type->n_max);
    return NULL;
}

struct db_error *db_datum_check_constraints(const struct db_datum *datum,
                                            const struct db_type *type)
{
    for (size_t i = 0; i < datum->n; i++) {
        struct db_error *error = db_atom_check_constraints(&datum->keys[i], &type->key);
        if (!error && datum->values)
            error = db_atom_check_constraints(&datum->values[i], &type->value);
        if (error)
            return error;
    }
    return db_datum_check_size(datum, type);
}

/* Parses one element (an atom, or a [key, value] pair for maps) and appends it. */
static struct db_error *element_from_json(struct db_datum *datum, const struct db_type *type,
                                          const struct json *json,
                                          const struct db_named_uuids *names)
{
    union db_atom key, value;
    if (!db_type_is_map(type)) {
        struct db_error *error = db_atom_from_json(&key, &type->key, json, names);
        if (!error)
            db_datum_append_unsorted(datum, &key, NULL);
        return error;
    }
    if (!json_is_array(json) || json_array_size(json) != 2)
        return type_mismatch(json, "a [key, value] pair");
    struct db_error *error = db_atom_from_json(&key, &type->key, json_array_at(json, 0), names);
    if (error)
        return error;
    error = db_atom_from_json(&value, &type->value, json_array_at(json, 1), names);
    if (error) {
        db_atom_destroy(&key, type->key.type);
        return error;
    }
    db_datum_append_unsorted(datum, &key, &value);
    return NULL;
}

/* The elements of ["set", [...]] or ["map", [...]], or NULL if `json` is neither. */
static const struct json *collection_elements(const struct json *json, const char *tag)
{
    const struct json *first = json_array_at(json, 0);
    if (!json_is_array(json) || json_array_size(json) != 2 || !json_is_string(first) ||
        strcmp(json_string(first), tag))
        return NULL;
    return json_array_at(json, 1);
}

static struct db_error *elements_from_json(struct db_datum *datum, const struct db_type *type,
                                           const struct json *json,
                                           const struct db_named_uuids *names)
{
    bool map = db_type_is_map(type);
    const struct json *elems = collection_elements(json, map ? "map" : "set");
    if (!elems) {
        if (map)
            return type_mismatch(json, "[\"map\", [[key, value], ...]]");
        /* A bare atom stands for the set of that one atom. */
        return element_from_json(datum, type, json, names);
    }
    if (!json_is_array(elems))
        return type_mismatch(elems, "an array of elements");
    for (size_t i = 0; i < json_array_size(elems); i++) {
        struct db_error *error = element_from_json(datum, type, json_array_at(elems, i), names);
        if (error)
            return error;
    }
    return NULL;
}

struct db_error *db_datum_from_json(struct db_datum *datum, const struct db_type *type,
                                    const struct json *json, const struct db_named_uuids *names)
{
    db_datum_init_empty(datum);
    struct db_error *error = elements_from_json(datum, type, json, names);
    if (!error)
        error = db_datum_sort_unique(datum, type);
    if (!error)
        error = db_datum_check_constraints(datum, type);
    if (error)
        db_datum_destroy(datum, type);
    return error;
}

struct json *db_datum_to_json(const struct db_datum *datum, const struct db_type *type)
{
    if (!db_type_is_map(type) && datum->n == 1)
        return db_atom_to_json(&datum->keys[0], type->key.type);
    bool map = db_type_is_map(type);
    struct json *elems = json_array_new();
    for (size_t i = 0; i < datum->n; i++) {
        struct json *key = db_atom_to_json(&datum->keys[i], type->key.type);
        if (!map) {
            json_array_append(elems, key);
            continue;
        }
        struct json *pair = json_array_append(json_array_new(), key);
        json_array_append(pair, db_atom_to_json(&datum->values[i], type->value.type));
        json_array_append(elems, pair);
    }
    struct json *out = json_array_append(json_array_new(), json_string_new(map ? "map" : "set"));
    return json_array_append(out, elems);
}

/* ---- JSON text without trees ---- */

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t want = *cap ? *cap * 2 : 256;
        while (want < *len + n + 1)
            want *= 2;
        *buf = xrealloc(*buf, want);
        *cap = want;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

void db_atom_append_json(const union db_atom *atom, enum db_atomic_type type, char **buf,
                         size_t *len, size_t *cap)
{
    char text[64];
    switch (type) {
    case DB_TYPE_INTEGER:
        append(buf, len, cap, text,
               (size_t)snprintf(text, sizeof text, "%lld", (long long)atom->integer));
        return;
    case DB_TYPE_BOOLEAN:
        append(buf, len, cap, atom->boolean ? "true" : "false", atom->boolean ? 4 : 5);
        return;
    case DB_TYPE_STRING:
        json_append_string(buf, len, cap, atom->string, strlen(atom->string));
        return;
    case DB_TYPE_UUID:
        memcpy(text, "[\"uuid\",\"", 9);
        uuid_to_string(&atom->uuid, text + 9);
        memcpy(text + 9 + UUID_STRING_LEN, "\"]", 3);
        append(buf, len, cap, text, 9 + UUID_STRING_LEN + 2);
        return;
    case DB_TYPE_REAL:
    case DB_TYPE_VOID: {
        /* Rare: reuse the serializer's shortest round-trip formatting. */
        struct json *json = db_atom_to_json(atom, type);
        char *s = json_to_string(json);
        append(buf, len, cap, s, strlen(s));
        free(s);
        json_free(json);
        return;
    }
    }
}

/* Appends element `i` of `datum` (a key, or a [key, value] pair), after a comma unless first. */
static void append_element(const struct db_datum *datum, size_t i, const struct db_type *type,
                           bool *first, char **buf, size_t *len, size_t *cap)
{
    bool map = db_type_is_map(type);
    if (!*first)
        append(buf, len, cap, ",", 1);
    *first = false;
    if (map)
        append(buf, len, cap, "[", 1);
    db_atom_append_json(&datum->keys[i], type->key.type, buf, len, cap);
    if (map) {
        append(buf, len, cap, ",", 1);
        db_atom_append_json(&datum->values[i], type->value.type, buf, len, cap);
        append(buf, len, cap, "]", 1);
    }
}

void db_datum_append_json(const struct db_datum *datum, const struct db_type *type, char **buf,
                          size_t *len, size_t *cap)
{
    bool map = db_type_is_map(type);
    if (!map && datum->n == 1) {
        db_atom_append_json(&datum->keys[0], type->key.type, buf, len, cap);
        return;
    }
    append(buf, len, cap, map ? "[\"map\",[" : "[\"set\",[", 8);
    bool first = true;
    for (size_t i = 0; i < datum->n; i++)
        append_element(datum, i, type, &first, buf, len, cap);
    append(buf, len, cap, "]]", 2);
}

/* ---- set operations ---- */

/* Replaces dst's arrays with merged ones built by the caller. */
static void adopt(struct db_datum *dst, union db_atom *keys, union db_atom *values, size_t n)
{
    free(dst->keys);
    free(dst->values);
    dst->keys = keys;
    dst->values = values;
    dst->n = n;
}

void db_datum_union(struct db_datum *dst, const struct db_datum *src, const struct db_type *type)
{
    if (!src->n)
        return;
    bool map = db_type_is_map(type);
    size_t max = dst->n + src->n, n = 0, i = 0, j = 0;
    union db_atom *keys = xmalloc(max * sizeof *keys);
    union db_atom *values = map ? xmalloc(max * sizeof *values) : NULL;
    while (i < dst->n || j < src->n) {
        int c = i >= dst->n ? 1 : j >= src->n ? -1
              : db_atom_compare(&dst->keys[i], &src->keys[j], type->key.type);
        if (c <= 0) {
            keys[n] = dst->keys[i];
            if (map)
                values[n] = dst->values[i];
            i++;
            j += c == 0;   /* the key is present already: dst's value wins */
        } else {
            db_atom_clone(&keys[n], &src->keys[j], type->key.type);
            if (map)
                db_atom_clone(&values[n], &src->values[j], type->value.type);
            j++;
        }
        n++;
    }
    adopt(dst, keys, values, n);
}

void db_datum_append_diff_json(const struct db_datum *before, const struct db_datum *after,
                               const struct db_type *type, char **buf, size_t *len, size_t *cap)
{
    bool map = db_type_is_map(type), first = true;
    append(buf, len, cap, map ? "[\"map\",[" : "[\"set\",[", 8);
    size_t i = 0, j = 0;
    while (i < before->n || j < after->n) {
        int c = i >= before->n ? 1 : j >= after->n ? -1
              : db_atom_compare(&before->keys[i], &after->keys[j], type->key.type);
        if (c < 0) {
            append_element(before, i++, type, &first, buf, len, cap);
        } else if (c > 0) {
            append_element(after, j++, type, &first, buf, len, cap);
        } else {
            if (map && !db_atom_equals(&before->values[i], &after->values[j], type->value.type))
                append_element(after, j, type, &first, buf, len, cap);
            i++;
            j++;
        }
    }
    append(buf, len, cap, "]]", 2);
}

void db_datum_apply_diff(struct db_datum *datum, const struct db_datum *diff,
                         const struct db_type *type)
{
    bool map = db_type_is_map(type);
    size_t max = datum->n + diff->n, n = 0, i = 0, j = 0;
    union db_atom *keys = xmalloc((max ? max : 1) * sizeof *keys);
    union db_atom *values = map ? xmalloc((max ? max : 1) * sizeof *values) : NULL;
    while (i < datum->n || j < diff->n) {
        int c = i >= datum->n ? 1 : j >= diff->n ? -1
              : db_atom_compare(&datum->keys[i], &diff->keys[j], type->key.type);
        if (c < 0) {
            keys[n] = datum->keys[i];
            if (map)
                values[n] = datum->values[i];
            i++;
            n++;
        } else if (c > 0) {
            db_atom_clone(&keys[n], &diff->keys[j], type->key.type);
            if (map)
                db_atom_clone(&values[n], &diff->values[j], type->value.type);
            j++;
            n++;
        } else if (map && !db_atom_equals(&datum->values[i], &diff->values[j],
                                          type->value.type)) {
            keys[n] = datum->keys[i];
            db_atom_destroy(&datum->values[i], type->value.type);
            db_atom_clone(&values[n], &diff->values[j], type->value.type);
            i++;
            j++;
            n++;
        } else {
            db_atom_destroy(&datum->keys[i], type->key.type);
            if (map)
                db_atom_destroy(&datum->values[i], type->value.type);
            i++;
            j++;
        }
    }
    if (n) {
        adopt(datum, keys, values, n);
        return;
    }
    free(keys);
    free(values);
    free(datum->keys);
    free(datum->values);
    db_datum_init_empty(datum);
}

void db_datum_subtract(struct db_datum *dst, const struct db_type *type,
                       const struct db_datum *src, const struct db_type *src_type)
{
    bool match_values = db_type_is_map(type) && db_type_is_map(src_type);
    size_t n = 0;
    for (size_t i = 0; i < dst->n; i++) {
        long j = db_datum_find_key(src, &dst->keys[i], type->key.type);
        bool remove = j >= 0 && (!match_values || db_atom_equals(&dst->values[i], &src->values[j],
                                                                 type->value.type));
        if (remove) {
            db_atom_destroy(&dst->keys[i], type->key.type);
            if (dst->values)
                db_atom_destroy(&dst->values[i], type->value.type);
            continue;
        }
        dst->keys[n] = dst->keys[i];
        if (dst->values)
            dst->values[n] = dst->values[i];
        n++;
    }
    dst->n = n;
    if (!n) {
        free(dst->keys);
        free(dst->values);
        db_datum_init_empty(dst);
    }
}
