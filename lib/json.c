/* JSON: see json.h. The parser is a recursive descent bounded by the depth limit, so its stack
 * use is bounded too; object members keep insertion order in an array, with a hash index (keyed
 * by a per-process random seed, so crafted keys cannot force collisions) once they are many. */
#include "lib/json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lib/xalloc.h"

/* Objects with more members than this get a hash index; below it a linear scan is cheaper. */
#define OBJECT_INDEX_THRESHOLD 8

struct json_member {
    char *key;
    uint64_t hash;
    struct json *value;
};

struct json_object {
    struct json_member *members;   /* insertion order */
    size_t n, allocated;
    /* Open addressing: each slot holds a member index + 1, or 0 if empty. NULL while the
     * object is small. n_slots is a power of two, at least twice n. */
    uint32_t *slots;
    size_t n_slots;
};

struct json {
    enum json_type type;
    union {
        bool boolean;
        int64_t integer;
        double real;
        struct {
            char *s;
            size_t len;
        } string;
        struct {
            struct json **elems;
            size_t n, allocated;
        } array;
        struct json_object object;
    } u;
};

/* ---- memory ---- */

/* Grows *array (of *allocated elements of `elem_size`) to hold at least `needed`. */
static void grow(void **array, size_t *allocated, size_t needed, size_t elem_size)
{
    if (needed <= *allocated)
        return;
    size_t n = *allocated ? *allocated * 2 : 4;
    while (n < needed)
        n *= 2;
    *array = xrealloc(*array, n * elem_size);
    *allocated = n;
}

static char *xstrndup(const char *s, size_t n)
{
    char *copy = xmalloc(n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

static char *xvasprintf(const char *fmt, va_list args)
{
    char *s;
    if (vasprintf(&s, fmt, args) < 0)
        abort();
    return s;
}

/* ---- hashing: SipHash-1-3 of the key under a random per-process seed ---- */

static uint64_t hash_seed[2];
static pthread_once_t hash_seed_once = PTHREAD_ONCE_INIT;

/* The seed is process-wide and set once (pthread_once: a daemon's threads may all parse): it
 * only has to be unknown to whoever writes the input. getrandom() is in every vsw sandbox; if
 * it fails, time and ASLR still vary it. */
static void seed_hash(void)
{
    if (getrandom(hash_seed, sizeof hash_seed, GRND_NONBLOCK) != sizeof hash_seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        hash_seed[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uintptr_t)&ts;
        hash_seed[1] = (uint64_t)ts.tv_sec ^ (uintptr_t)hash_seed;
    }
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3)                                                         \
    do {                                                                                \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                       \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                          \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                          \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                       \
    } while (0)

static uint64_t hash_key(const char *s, size_t len)
{
    pthread_once(&hash_seed_once, seed_hash);
    uint64_t v0 = 0x736f6d6570736575ull ^ hash_seed[0], v1 = 0x646f72616e646f6dull ^ hash_seed[1];
    uint64_t v2 = 0x6c7967656e657261ull ^ hash_seed[0], v3 = 0x7465646279746573ull ^ hash_seed[1];
    const unsigned char *p = (const unsigned char *)s;
    size_t left = len;
    for (; left >= 8; p += 8, left -= 8) {
        uint64_t m;
        memcpy(&m, p, 8);
        v3 ^= m;
        SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < left; i++)
        b |= (uint64_t)p[i] << (8 * i);
    v3 ^= b;
    SIPROUND(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- object members ---- */

static void object_index_insert(struct json_object *o, size_t member)
{
    size_t mask = o->n_slots - 1;
    for (size_t i = o->members[member].hash & mask;; i = (i + 1) & mask) {
        if (!o->slots[i]) {
            o->slots[i] = (uint32_t)(member + 1);
            return;
        }
    }
}

static void object_reindex(struct json_object *o)
{
    free(o->slots);
    o->slots = NULL;
    o->n_slots = 0;
    if (o->n <= OBJECT_INDEX_THRESHOLD)
        return;
    size_t n_slots = 16;
    while (n_slots < o->n * 2)
        n_slots *= 2;
    o->slots = calloc(n_slots, sizeof *o->slots);
    if (!o->slots)
        abort();
    o->n_slots = n_slots;
    for (size_t i = 0; i < o->n; i++)
        object_index_insert(o, i);
}

/* Returns the index of member `key` (of `len` bytes, hash `hash`), or -1. */
static long object_find(const struct json_object *o, const char *key, size_t len, uint64_t hash)
{
    if (!o->slots) {
        for (size_t i = 0; i < o->n; i++)
            if (o->members[i].hash == hash && !strcmp(o->members[i].key, key))
                return (long)i;
        return -1;
    }
    size_t mask = o->n_slots - 1;
    for (size_t i = hash & mask; o->slots[i]; i = (i + 1) & mask) {
        const struct json_member *m = &o->members[o->slots[i] - 1];
        if (m->hash == hash && !strncmp(m->key, key, len) && m->key[len] == '\0')
            return (long)(o->slots[i] - 1);
    }
    return -1;
}

/* Appends a member known not to exist. Takes ownership of `key` and `value`. */
static void object_append(struct json_object *o, char *key, uint64_t hash, struct json *value)
{
    if (o->n >= UINT32_MAX - 1)
        abort();   /* unreachable: input limits keep objects far smaller */
    grow((void **)&o->members, &o->allocated, o->n + 1, sizeof *o->members);
    o->members[o->n] = (struct json_member){ key, hash, value };
    o->n++;
    if (o->n <= OBJECT_INDEX_THRESHOLD)
        return;
    if (!o->slots || o->n * 2 > o->n_slots)
        object_reindex(o);
    else
        object_index_insert(o, o->n - 1);
}

/* ---- constructors and destruction ---- */

static struct json *json_new(enum json_type type)
{
    struct json *json = xmalloc(sizeof *json);
    memset(json, 0, sizeof *json);
    json->type = type;
    return json;
}

struct json *json_null_new(void)
{
    return json_new(JSON_NULL);
}

struct json *json_boolean_new(bool value)
{
    struct json *json = json_new(JSON_BOOLEAN);
    json->u.boolean = value;
    return json;
}

struct json *json_integer_new(int64_t value)
{
    struct json *json = json_new(JSON_INTEGER);
    json->u.integer = value;
    return json;
}

struct json *json_real_new(double value)
{
    struct json *json = json_new(JSON_REAL);
    json->u.real = value;
    return json;
}

struct json *json_string_new_len(const char *s, size_t len)
{
    return json_string_take(xstrndup(s, len));
}

struct json *json_string_new(const char *s)
{
    return json_string_new_len(s, strlen(s));
}

struct json *json_string_take(char *s)
{
    struct json *json = json_new(JSON_STRING);
    json->u.string.s = s;
    json->u.string.len = strlen(s);
    return json;
}

struct json *json_array_new(void)
{
    return json_new(JSON_ARRAY);
}

struct json *json_object_new(void)
{
    return json_new(JSON_OBJECT);
}

struct json *json_array_append(struct json *array, struct json *value)
{
    if (array->type != JSON_ARRAY)
        abort();   /* a programming error, never input-driven */
    grow((void **)&array->u.array.elems, &array->u.array.allocated, array->u.array.n + 1,
         sizeof *array->u.array.elems);
    array->u.array.elems[array->u.array.n++] = value;
    return array;
}

struct json *json_object_put(struct json *object, const char *key, struct json *value)
{
    if (object->type != JSON_OBJECT)
        abort();
    size_t len = strlen(key);
    uint64_t hash = hash_key(key, len);
    long i = object_find(&object->u.object, key, len, hash);
    if (i >= 0) {
        json_free(object->u.object.members[i].value);
        object->u.object.members[i].value = value;
    } else {
        object_append(&object->u.object, xstrndup(key, len), hash, value);
    }
    return object;
}

struct json *json_array_remove(struct json *array, size_t index)
{
    if (!json_is_array(array) || index >= array->u.array.n)
        return NULL;
    struct json *value = array->u.array.elems[index];
    memmove(&array->u.array.elems[index], &array->u.array.elems[index + 1],
            (array->u.array.n - index - 1) * sizeof *array->u.array.elems);
    array->u.array.n--;
    return value;
}

struct json *json_object_remove(struct json *object, const char *key)
{
    if (!json_is_object(object))
        return NULL;
    struct json_object *o = &object->u.object;
    size_t len = strlen(key);
    long i = object_find(o, key, len, hash_key(key, len));
    if (i < 0)
        return NULL;
    struct json *value = o->members[i].value;
    free(o->members[i].key);
    memmove(&o->members[i], &o->members[i + 1], (o->n - (size_t)i - 1) * sizeof *o->members);
    o->n--;
    object_reindex(o);
    return value;
}

void json_free(struct json *json)
{
    if (!json)
        return;
    switch (json->type) {
    case JSON_STRING:
        free(json->u.string.s);
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < json->u.array.n; i++)
            json_free(json->u.array.elems[i]);
        free(json->u.array.elems);
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < json->u.object.n; i++) {
            free(json->u.object.members[i].key);
            json_free(json->u.object.members[i].value);
        }
        free(json->u.object.members);
        free(json->u.object.slots);
        break;
    default:
        break;
    }
    free(json);
}

struct json *json_clone(const struct json *json)
{
    switch (json->type) {
    case JSON_NULL:
        return json_null_new();
    case JSON_BOOLEAN:
        return json_boolean_new(json->u.boolean);
    case JSON_INTEGER:
        return json_integer_new(json->u.integer);
    case JSON_REAL:
        return json_real_new(json->u.real);
    case JSON_STRING:
        return json_string_new_len(json->u.string.s, json->u.string.len);
    case JSON_ARRAY: {
        struct json *copy = json_array_new();
        for (size_t i = 0; i < json->u.array.n; i++)
            json_array_append(copy, json_clone(json->u.array.elems[i]));
        return copy;
    }
    case JSON_OBJECT: {
        struct json *copy = json_object_new();
        for (size_t i = 0; i < json->u.object.n; i++) {
            const struct json_member *m = &json->u.object.members[i];
            object_append(&copy->u.object, xstrndup(m->key, strlen(m->key)), m->hash,
                          json_clone(m->value));
        }
        return copy;
    }
    }
    abort();
}

bool json_equal(const struct json *a, const struct json *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case JSON_NULL:
        return true;
    case JSON_BOOLEAN:
        return a->u.boolean == b->u.boolean;
    case JSON_INTEGER:
        return a->u.integer == b->u.integer;
    case JSON_REAL:
        return a->u.real == b->u.real;
    case JSON_STRING:
        return a->u.string.len == b->u.string.len &&
               !memcmp(a->u.string.s, b->u.string.s, a->u.string.len);
    case JSON_ARRAY:
        if (a->u.array.n != b->u.array.n)
            return false;
        for (size_t i = 0; i < a->u.array.n; i++)
            if (!json_equal(a->u.array.elems[i], b->u.array.elems[i]))
                return false;
        return true;
    case JSON_OBJECT:
        if (a->u.object.n != b->u.object.n)
            return false;
        for (size_t i = 0; i < a->u.object.n; i++) {
            const struct json *other = json_object_get(b, a->u.object.members[i].key);
            if (!other || !json_equal(a->u.object.members[i].value, other))
                return false;
        }
        return true;
    }
    return false;
}

/* ---- accessors ---- */

const char *json_type_name(enum json_type type)
{
    static const char *const names[] = {
        [JSON_NULL] = "null",     [JSON_BOOLEAN] = "boolean", [JSON_INTEGER] = "integer",
        [JSON_REAL] = "real",     [JSON_STRING] = "string",   [JSON_ARRAY] = "array",
        [JSON_OBJECT] = "object",
    };
    return (unsigned)type < sizeof names / sizeof names[0] ? names[type] : "invalid";
}

enum json_type json_type(const struct json *json) { return json->type; }
bool json_is_null(const struct json *json) { return json && json->type == JSON_NULL; }
bool json_is_boolean(const struct json *json) { return json && json->type == JSON_BOOLEAN; }
bool json_is_integer(const struct json *json) { return json && json->type == JSON_INTEGER; }
bool json_is_real(const struct json *json) { return json && json->type == JSON_REAL; }
bool json_is_string(const struct json *json) { return json && json->type == JSON_STRING; }
bool json_is_array(const struct json *json) { return json && json->type == JSON_ARRAY; }
bool json_is_object(const struct json *json) { return json && json->type == JSON_OBJECT; }

bool json_is_number(const struct json *json)
{
    return json && (json->type == JSON_INTEGER || json->type == JSON_REAL);
}

bool json_boolean(const struct json *json)
{
    return json && json->type == JSON_BOOLEAN && json->u.boolean;
}

int64_t json_integer(const struct json *json)
{
    return json && json->type == JSON_INTEGER ? json->u.integer : 0;
}

double json_real(const struct json *json)
{
    if (!json)
        return 0.0;
    if (json->type == JSON_REAL)
        return json->u.real;
    return json->type == JSON_INTEGER ? (double)json->u.integer : 0.0;
}

const char *json_string(const struct json *json)
{
    return json && json->type == JSON_STRING ? json->u.string.s : "";
}

size_t json_string_length(const struct json *json)
{
    return json->type == JSON_STRING ? json->u.string.len : 0;
}

size_t json_array_size(const struct json *json)
{
    return json && json->type == JSON_ARRAY ? json->u.array.n : 0;
}

struct json *json_array_at(const struct json *json, size_t index)
{
    if (!json || json->type != JSON_ARRAY || index >= json->u.array.n)
        return NULL;
    return json->u.array.elems[index];
}

size_t json_object_size(const struct json *json)
{
    return json && json->type == JSON_OBJECT ? json->u.object.n : 0;
}

struct json *json_object_get(const struct json *json, const char *key)
{
    if (!json || json->type != JSON_OBJECT)
        return NULL;
    size_t len = strlen(key);
    long i = object_find(&json->u.object, key, len, hash_key(key, len));
    return i < 0 ? NULL : json->u.object.members[i].value;
}

const char *json_object_key_at(const struct json *json, size_t index)
{
    return json && json->type == JSON_OBJECT && index < json->u.object.n
               ? json->u.object.members[index].key
               : NULL;
}

struct json *json_object_value_at(const struct json *json, size_t index)
{
    return json && json->type == JSON_OBJECT && index < json->u.object.n
               ? json->u.object.members[index].value
               : NULL;
}

/* ---- numbers, locale-independent ---- */

/* strtod() and printf("%g") follow LC_NUMERIC; JSON always uses '.'. A program that called
 * setlocale() (the CLI might) must not change what we read or write. */
static locale_t c_locale_object;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale_object = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static locale_t c_locale(void)
{
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale_object;
}

static double c_strtod(const char *s, char **end)
{
    locale_t c = c_locale();
    if (!c)
        return strtod(s, end);
    return strtod_l(s, end, c);
}

/* Writes the shortest of %.15g .. %.17g that reads back as exactly `d`. */
static void format_real(char *buf, size_t size, double d)
{
    locale_t c = c_locale(), old = c ? uselocale(c) : (locale_t)0;
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, d);
        if (c_strtod(buf, NULL) == d)
            break;
    }
    if (c)
        uselocale(old);
    if (!strpbrk(buf, ".eE"))
        strncat(buf, ".0", size - strlen(buf) - 1);
}

/* ---- serializer ---- */

struct wbuf {
    char *s;
    size_t len, allocated;
};

static void wbuf_put(struct wbuf *w, const char *s, size_t n)
{
    grow((void **)&w->s, &w->allocated, w->len + n + 1, 1);
    memcpy(w->s + w->len, s, n);
    w->len += n;
    w->s[w->len] = '\0';
}

static void wbuf_putc(struct wbuf *w, char c)
{
    wbuf_put(w, &c, 1);
}

void json_append_string(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    struct wbuf w = { *buf, *len, *cap };
    wbuf_putc(&w, '"');
    size_t run = 0;   /* bytes copied verbatim, flushed before each escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        wbuf_put(&w, s + i - run, run);
        run = 0;
        char esc[8];
        switch (c) {
        case '"': wbuf_put(&w, "\\\"", 2); break;
        case '\\': wbuf_put(&w, "\\\\", 2); break;
        case '\b': wbuf_put(&w, "\\b", 2); break;
        case '\f': wbuf_put(&w, "\\f", 2); break;
        case '\n': wbuf_put(&w, "\\n", 2); break;
        case '\r': wbuf_put(&w, "\\r", 2); break;
        case '\t': wbuf_put(&w, "\\t", 2); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            wbuf_put(&w, esc, 6);
        }
    }
    wbuf_put(&w, s + n - run, run);
    wbuf_putc(&w, '"');
    *buf = w.s;
    *len = w.len;
    *cap = w.allocated;
}

static void write_value(struct wbuf *w, const struct json *json, int indent, int level);

static void write_newline(struct wbuf *w, int indent, int level)
{
    if (indent < 0)
        return;
    wbuf_putc(w, '\n');
    for (int i = 0; i < indent * level; i++)
        wbuf_putc(w, ' ');
}

static void write_array(struct wbuf *w, const struct json *json, int indent, int level)
{
    wbuf_putc(w, '[');
    for (size_t i = 0; i < json->u.array.n; i++) {
        if (i)
            wbuf_putc(w, ',');
        write_newline(w, indent, level + 1);
        write_value(w, json->u.array.elems[i], indent, level + 1);
    }
    if (json->u.array.n)
        write_newline(w, indent, level);
    wbuf_putc(w, ']');
}

static void write_object(struct wbuf *w, const struct json *json, int indent, int level)
{
    wbuf_putc(w, '{');
    for (size_t i = 0; i < json->u.object.n; i++) {
        const struct json_member *m = &json->u.object.members[i];
        if (i)
            wbuf_putc(w, ',');
        write_newline(w, indent, level + 1);
        json_append_string(&w->s, &w->len, &w->allocated, m->key, strlen(m->key));
        wbuf_put(w, indent < 0 ? ":" : ": ", indent < 0 ? 1 : 2);
        write_value(w, m->value, indent, level + 1);
    }
    if (json->u.object.n)
        write_newline(w, indent, level);
    wbuf_putc(w, '}');
}

static void write_value(struct wbuf *w, const struct json *json, int indent, int level)
{
    char buf[64];
    switch (json->type) {
    case JSON_NULL:
        wbuf_put(w, "null", 4);
        break;
    case JSON_BOOLEAN:
        wbuf_put(w, json->u.boolean ? "true" : "false", json->u.boolean ? 4 : 5);
        break;
    case JSON_INTEGER:
        wbuf_put(w, buf, (size_t)snprintf(buf, sizeof buf, "%lld", (long long)json->u.integer));
        break;
    case JSON_REAL:
        if (!isfinite(json->u.real)) {
            wbuf_put(w, "null", 4);
            break;
        }
        format_real(buf, sizeof buf, json->u.real);
        wbuf_put(w, buf, strlen(buf));
        break;
    case JSON_STRING:
        json_append_string(&w->s, &w->len, &w->allocated, json->u.string.s, json->u.string.len);
        break;
    case JSON_ARRAY:
        write_array(w, json, indent, level);
        break;
    case JSON_OBJECT:
        write_object(w, json, indent, level);
        break;
    }
}

char *json_to_string(const struct json *json)
{
    struct wbuf w = { NULL, 0, 0 };
    write_value(&w, json, -1, 0);
    return w.s;
}

char *json_to_string_pretty(const struct json *json)
{
    struct wbuf w = { NULL, 0, 0 };
    write_value(&w, json, 2, 0);
    return w.s;
}

/* ---- parser ---- */

struct parser {
    const char *start, *p, *end;
    unsigned int depth, max_depth;
    char *error;   /* the first error; parsing stops there */
};

static void __attribute__((format(printf, 3, 4)))
parse_error_at(struct parser *ps, const char *where, const char *fmt, ...)
{
    if (ps->error)
        return;
    va_list args;
    va_start(args, fmt);
    char *what = xvasprintf(fmt, args);
    va_end(args);
    if (asprintf(&ps->error, "%s at offset %zu", what, (size_t)(where - ps->start)) < 0)
        abort();
    free(what);
}

/* Describes the byte at ps->p for "expected X" messages. */
static void parse_expected(struct parser *ps, const char *expected)
{
    if (ps->p >= ps->end) {
        parse_error_at(ps, ps->p, "expected %s, found end of input", expected);
        return;
    }
    unsigned char c = (unsigned char)*ps->p;
    if (c >= 0x20 && c < 0x7f)
        parse_error_at(ps, ps->p, "expected %s, found '%c'", expected, c);
    else
        parse_error_at(ps, ps->p, "expected %s, found byte 0x%02x", expected, c);
}

static void skip_whitespace(struct parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static struct json *parse_value(struct parser *ps);

static bool parse_literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n)) {
        parse_error_at(ps, ps->p, "invalid literal (expected '%s')", word);
        return false;
    }
    ps->p += n;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Consumes digits; returns how many. */
static size_t skip_digits(struct parser *ps)
{
    const char *begin = ps->p;
    while (ps->p < ps->end && is_digit(*ps->p))
        ps->p++;
    return (size_t)(ps->p - begin);
}

/* Accumulates an integer literal without overflow; false if it does not fit in int64. */
static bool integer_from_digits(const char *s, const char *end, int64_t *value)
{
    bool negative = *s == '-';
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
    for (s += negative; s < end; s++) {
        uint64_t digit = (uint64_t)(*s - '0');
        if (v > (limit - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    *value = negative ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static struct json *real_from_text(struct parser *ps, const char *begin)
{
    size_t n = (size_t)(ps->p - begin);
    char small[64], *copy = n < sizeof small ? small : xmalloc(n + 1);
    memcpy(copy, begin, n);
    copy[n] = '\0';
    errno = 0;
    double d = c_strtod(copy, NULL);
    if (copy != small)
        free(copy);
    if (!isfinite(d)) {
        parse_error_at(ps, begin, "number out of range");
        return NULL;
    }
    return json_real_new(d);
}

/* number = [ '-' ] int [ frac ] [ exp ], exactly as RFC 8259 section 6 writes it. */
static struct json *parse_number(struct parser *ps)
{
    const char *begin = ps->p;
    if (*ps->p == '-')
        ps->p++;
    if (ps->p < ps->end && *ps->p == '0') {
        ps->p++;
    } else if (!skip_digits(ps)) {
        parse_expected(ps, "a digit");
        return NULL;
    }
    bool integral = true;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        integral = false;
        if (!skip_digits(ps)) {
            parse_expected(ps, "a digit after '.'");
            return NULL;
        }
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        integral = false;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!skip_digits(ps)) {
            parse_expected(ps, "a digit in the exponent");
            return NULL;
        }
    }
    if (ps->p < ps->end && is_digit(*ps->p)) {
        parse_error_at(ps, ps->p, "leading zeros are not allowed in numbers");
        return NULL;
    }
    int64_t value;
    if (integral && integer_from_digits(begin, ps->p, &value))
        return json_integer_new(value);
    return real_from_text(ps, begin);
}

/* Length of the valid UTF-8 sequence at s (at most `left` bytes), or 0 if invalid. */
static size_t utf8_sequence_length(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;   /* range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;   /* overlong */
        if (c == 0xed)
            hi = 0x9f;   /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;   /* overlong */
        if (c == 0xf4)
            hi = 0x8f;   /* above U+10FFFF */
    } else {
        return 0;
    }
    if (left < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Reads the 4 hex digits after "\u" at ps->p. */
static bool parse_hex4(struct parser *ps, uint32_t *value)
{
    if (ps->end - ps->p < 4) {
        parse_error_at(ps, ps->p, "truncated \\u escape");
        return false;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        int digit = is_digit(c) ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (digit < 0) {
            parse_error_at(ps, ps->p + i, "invalid hex digit in \\u escape");
            return false;
        }
        v = v * 16 + (uint32_t)digit;
    }
    ps->p += 4;
    *value = v;
    return true;
}

/* Decodes "\uXXXX" (ps->p just after the 'u'), joining a surrogate pair, into `out`. */
static size_t parse_unicode_escape(struct parser *ps, char *out)
{
    const char *escape = ps->p - 2;
    uint32_t cp;
    if (!parse_hex4(ps, &cp))
        return 0;
    if (cp >= 0xdc00 && cp <= 0xdfff) {
        parse_error_at(ps, escape, "unpaired low surrogate in \\u escape");
        return 0;
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
        uint32_t low;
        if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
            parse_error_at(ps, escape, "high surrogate not followed by a low surrogate");
            return 0;
        }
        ps->p += 2;
        if (!parse_hex4(ps, &low))
            return 0;
        if (low < 0xdc00 || low > 0xdfff) {
            parse_error_at(ps, escape, "high surrogate not followed by a low surrogate");
            return 0;
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    if (cp == 0) {
        parse_error_at(ps, escape, "\\u0000 is not supported in strings");
        return 0;
    }
    return utf8_encode(cp, out);
}

/* Decodes one escape sequence (ps->p at the backslash) into `out`; returns its length. */
static size_t parse_escape(struct parser *ps, char *out)
{
    const char *escape = ps->p++;
    if (ps->p >= ps->end) {
        parse_error_at(ps, escape, "unterminated string");
        return 0;
    }
    char c = *ps->p++;
    switch (c) {
    case '"': case '\\': case '/': *out = c; return 1;
    case 'b': *out = '\b'; return 1;
    case 'f': *out = '\f'; return 1;
    case 'n': *out = '\n'; return 1;
    case 'r': *out = '\r'; return 1;
    case 't': *out = '\t'; return 1;
    case 'u': return parse_unicode_escape(ps, out);
    default:
        parse_error_at(ps, escape, "invalid escape sequence");
        return 0;
    }
}

/* Finds the closing quote of the string whose body starts at `s`, skipping escaped bytes, so
 * that the decoded string (never longer than its source) can be allocated once. */
static const char *find_string_end(const char *s, const char *end)
{
    while (s < end && *s != '"') {
        if (*s == '\\' && end - s < 2)
            return NULL;
        s += *s == '\\' ? 2 : 1;
    }
    return s < end ? s : NULL;
}

/* Parses a string (ps->p at the opening quote) into a malloc'd C string. */
static char *parse_string_raw(struct parser *ps, size_t *len)
{
    const char *open = ps->p++;
    const char *close = find_string_end(ps->p, ps->end);
    if (!close) {
        parse_error_at(ps, open, "unterminated string");
        return NULL;
    }
    char *out = xmalloc((size_t)(close - ps->p) + 1);
    size_t n = 0;
    while (ps->p < close) {
        unsigned char c = (unsigned char)*ps->p;
        size_t k;
        if (c == '\\') {
            k = parse_escape(ps, out + n);
        } else if (c < 0x20) {
            parse_error_at(ps, ps->p, "unescaped control character 0x%02x in string", c);
            k = 0;
        } else {
            k = utf8_sequence_length((const unsigned char *)ps->p, (size_t)(close - ps->p));
            if (!k)
                parse_error_at(ps, ps->p, "invalid UTF-8 in string");
            memcpy(out + n, ps->p, k);
            ps->p += k;
        }
        if (!k) {
            free(out);
            return NULL;
        }
        n += k;
    }
    ps->p++;   /* closing quote */
    out[n] = '\0';
    *len = n;
    return out;
}

static struct json *parse_string(struct parser *ps)
{
    size_t len;
    char *s = parse_string_raw(ps, &len);
    if (!s)
        return NULL;
    struct json *json = json_new(JSON_STRING);
    json->u.string.s = s;
    json->u.string.len = len;
    return json;
}

static bool enter_container(struct parser *ps)
{
    if (ps->depth >= ps->max_depth) {
        parse_error_at(ps, ps->p, "nesting deeper than %u levels", ps->max_depth);
        return false;
    }
    ps->depth++;
    ps->p++;   /* the opening bracket */
    return true;
}

/* After an element: consumes ',' (returns true: another element follows) or `close` (returns
 * false with *done set). Anything else is an error (false, *done unset). */
static bool next_element(struct parser *ps, char close, bool *done)
{
    skip_whitespace(ps);
    if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        return true;
    }
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        *done = true;
        return false;
    }
    parse_expected(ps, close == ']' ? "',' or ']'" : "',' or '}'");
    return false;
}

static struct json *parse_array(struct parser *ps)
{
    if (!enter_container(ps))
        return NULL;
    struct json *array = json_array_new();
    skip_whitespace(ps);
    bool done = ps->p < ps->end && *ps->p == ']';
    if (done)
        ps->p++;
    while (!done) {
        struct json *elem = parse_value(ps);
        if (!elem)
            break;
        json_array_append(array, elem);
        if (!next_element(ps, ']', &done) && !done)
            break;
    }
    if (!done) {
        json_free(array);
        return NULL;
    }
    ps->depth--;
    return array;
}

/* Parses one "key": value member into `object`. */
static bool parse_member(struct parser *ps, struct json *object)
{
    skip_whitespace(ps);
    if (ps->p >= ps->end || *ps->p != '"') {
        parse_expected(ps, "a string (object key)");
        return false;
    }
    const char *key_at = ps->p;
    size_t len;
    char *key = parse_string_raw(ps, &len);
    if (!key)
        return false;
    uint64_t hash = hash_key(key, len);
    if (object_find(&object->u.object, key, len, hash) >= 0) {
        parse_error_at(ps, key_at, "duplicate object key \"%s\"", key);
        free(key);
        return false;
    }
    skip_whitespace(ps);
    if (ps->p >= ps->end || *ps->p != ':') {
        parse_expected(ps, "':'");
        free(key);
        return false;
    }
    ps->p++;
    struct json *value = parse_value(ps);
    if (!value) {
        free(key);
        return false;
    }
    object_append(&object->u.object, key, hash, value);
    return true;
}

static struct json *parse_object(struct parser *ps)
{
    if (!enter_container(ps))
        return NULL;
    struct json *object = json_object_new();
    skip_whitespace(ps);
    bool done = ps->p < ps->end && *ps->p == '}';
    if (done)
        ps->p++;
    while (!done) {
        if (!parse_member(ps, object))
            break;
        if (!next_element(ps, '}', &done) && !done)
            break;
    }
    if (!done) {
        json_free(object);
        return NULL;
    }
    ps->depth--;
    return object;
}

static struct json *parse_value(struct parser *ps)
{
    skip_whitespace(ps);
    if (ps->p >= ps->end) {
        parse_expected(ps, "a value");
        return NULL;
    }
    switch (*ps->p) {
    case '{':
        return parse_object(ps);
    case '[':
        return parse_array(ps);
    case '"':
        return parse_string(ps);
    case 't':
        return parse_literal(ps, "true") ? json_boolean_new(true) : NULL;
    case 'f':
        return parse_literal(ps, "false") ? json_boolean_new(false) : NULL;
    case 'n':
        return parse_literal(ps, "null") ? json_null_new() : NULL;
    default:
        if (*ps->p == '-' || is_digit(*ps->p))
            return parse_number(ps);
        parse_expected(ps, "a value");
        return NULL;
    }
}

struct json *json_parse_with_limits(const char *text, size_t len,
                                    const struct json_limits *limits, char **error)
{
    struct parser ps = {
        .start = text, .p = text, .end = text + len,
        .max_depth = limits->max_depth ? limits->max_depth : 1,
    };
    if (len > limits->max_bytes) {
        if (error && asprintf(error, "input of %zu bytes exceeds the limit of %zu bytes", len,
                              limits->max_bytes) < 0)
            abort();
        return NULL;
    }
    struct json *json = parse_value(&ps);
    if (json) {
        skip_whitespace(&ps);
        if (ps.p < ps.end) {
            parse_expected(&ps, "end of input after the value");
            json_free(json);
            json = NULL;
        }
    }
    if (error)
        *error = ps.error;
    else
        free(ps.error);
    return json;
}

struct json *json_parse(const char *text, size_t len, char **error)
{
    static const struct json_limits defaults = { JSON_DEFAULT_MAX_BYTES, JSON_DEFAULT_MAX_DEPTH };
    return json_parse_with_limits(text, len, &defaults, error);
}
