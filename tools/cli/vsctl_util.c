/* Small helpers for the database commands: memory, strings, a string map, and builders and
 * readers of RFC 7047 JSON. Allocation failure aborts: every size is bounded by the command
 * line or by replies that IPC already bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "tools/cli/vsctl_private.h"

void *vsctl_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        abort();
    return p;
}

void *vsctl_xzalloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

void *vsctl_xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p)
        abort();
    return p;
}

char *vsctl_xstrdup(const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        abort();
    return copy;
}

char *vsctl_xasprintf(const char *fmt, ...)
{
    va_list args;
    char *s;
    va_start(args, fmt);
    if (vasprintf(&s, fmt, args) < 0)
        abort();
    va_end(args);
    return s;
}

/* ---- growable strings ---- */

void buf_put(struct vsctl_buf *buf, const char *s, size_t n)
{
    if (buf->len + n + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap * 2 : 256;
        while (cap < buf->len + n + 1)
            cap *= 2;
        buf->s = vsctl_xrealloc(buf->s, cap);
        buf->cap = cap;
    }
    memcpy(buf->s + buf->len, s, n);
    buf->len += n;
    buf->s[buf->len] = '\0';
}

void buf_puts(struct vsctl_buf *buf, const char *s)
{
    buf_put(buf, s, strlen(s));
}

void buf_putc(struct vsctl_buf *buf, char c)
{
    buf_put(buf, &c, 1);
}

void buf_printf(struct vsctl_buf *buf, const char *fmt, ...)
{
    va_list args;
    char *s;
    va_start(args, fmt);
    if (vasprintf(&s, fmt, args) < 0)
        abort();
    va_end(args);
    buf_puts(buf, s);
    free(s);
}

const char *buf_cstr(const struct vsctl_buf *buf)
{
    return buf->s ? buf->s : "";
}

void buf_free(struct vsctl_buf *buf)
{
    free(buf->s);
    buf->s = NULL;
    buf->len = buf->cap = 0;
}

/* ---- string map ---- */

/* Names are short and not chosen by an adversary who could profit from collisions (the
 * command line is the user's own). */
static size_t hash_string(const char *s)
{
    return (size_t)fnv1a_64_string(s);
}

void shash_init(struct vsctl_shash *sh)
{
    hmap_init(&sh->map);
}

void shash_destroy(struct vsctl_shash *sh, void (*free_data)(void *))
{
    struct hmap_node *node = hmap_first(&sh->map);
    while (node) {
        struct hmap_node *next = hmap_next(&sh->map, node);
        struct vsctl_shash_node *n = CONTAINER_OF(node, struct vsctl_shash_node, node);
        if (free_data)
            free_data(n->data);
        free(n->name);
        free(n);
        node = next;
    }
    hmap_destroy(&sh->map);
    hmap_init(&sh->map);
}

static struct vsctl_shash_node *shash_find_node(const struct vsctl_shash *sh, const char *name)
{
    size_t hash = hash_string(name);
    for (struct hmap_node *node = hmap_first_with_hash(&sh->map, hash); node;
         node = hmap_next_with_hash(node)) {
        struct vsctl_shash_node *n = CONTAINER_OF(node, struct vsctl_shash_node, node);
        if (!strcmp(n->name, name))
            return n;
    }
    return NULL;
}

void *shash_replace(struct vsctl_shash *sh, const char *name, void *data)
{
    struct vsctl_shash_node *n = shash_find_node(sh, name);
    if (n) {
        void *old = n->data;
        n->data = data;
        return old;
    }
    n = vsctl_xmalloc(sizeof *n);
    n->name = vsctl_xstrdup(name);
    n->data = data;
    hmap_insert(&sh->map, &n->node, hash_string(name));
    return NULL;
}

void *shash_find(const struct vsctl_shash *sh, const char *name)
{
    struct vsctl_shash_node *n = shash_find_node(sh, name);
    return n ? n->data : NULL;
}

size_t shash_count(const struct vsctl_shash *sh)
{
    return hmap_count(&sh->map);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void vsctl_sort_strings(char **strings, size_t n)
{
    if (n > 1)
        qsort(strings, n, sizeof *strings, compare_strings);
}

/* ---- JSON builders ---- */

struct json *json_uuid(const struct uuid *uuid)
{
    char s[UUID_STRING_LEN + 1];
    uuid_to_string(uuid, s);
    struct json *atom = json_array_new();
    json_array_append(atom, json_string_new("uuid"));
    return json_array_append(atom, json_string_new(s));
}

struct json *json_uuid_set(const struct uuid *uuids, size_t n)
{
    struct json *elements = json_array_new();
    for (size_t i = 0; i < n; i++)
        json_array_append(elements, json_uuid(&uuids[i]));
    struct json *set = json_array_append(json_array_new(), json_string_new("set"));
    return json_array_append(set, elements);
}

struct json *json_empty_set(void)
{
    struct json *set = json_array_append(json_array_new(), json_string_new("set"));
    return json_array_append(set, json_array_new());
}

struct json *json_empty_map(void)
{
    struct json *map = json_array_append(json_array_new(), json_string_new("map"));
    return json_array_append(map, json_array_new());
}

struct json *cond_new(const char *column, const char *function, struct json *value)
{
    struct json *cond = json_array_new();
    json_array_append(cond, json_string_new(column));
    json_array_append(cond, json_string_new(function));
    return json_array_append(cond, value);
}

struct json *where_one(const char *column, const char *function, struct json *value)
{
    return json_array_append(json_array_new(), cond_new(column, function, value));
}

struct json *where_uuid(const struct uuid *uuid)
{
    return where_one("_uuid", "==", json_uuid(uuid));
}

struct json *where_string(const char *column, const char *value)
{
    return where_one(column, "==", json_string_new(value));
}

struct json *json_strings(const char *first, ...)
{
    struct json *array = json_array_new();
    va_list args;
    va_start(args, first);
    for (const char *s = first; s; s = va_arg(args, const char *))
        json_array_append(array, json_string_new(s));
    va_end(args);
    return array;
}

static struct json *op_new(const char *op, const char *table)
{
    struct json *json = json_object_new();
    json_object_put(json, "op", json_string_new(op));
    return json_object_put(json, "table", json_string_new(table));
}

struct json *op_select(const char *table, struct json *where, struct json *columns)
{
    struct json *op = op_new("select", table);
    json_object_put(op, "where", where);
    if (columns)
        json_object_put(op, "columns", columns);
    return op;
}

struct json *op_insert(const char *table, const struct uuid *uuid, struct json *row)
{
    struct json *op = op_new("insert", table);
    json_object_put(op, "row", row);
    if (uuid)
        json_object_put(op, "uuid", json_uuid(uuid));
    return op;
}

struct json *op_update(const char *table, struct json *where, struct json *row)
{
    struct json *op = op_new("update", table);
    json_object_put(op, "where", where);
    return json_object_put(op, "row", row);
}

struct json *op_mutate(const char *table, struct json *where, struct json *mutations)
{
    struct json *op = op_new("mutate", table);
    json_object_put(op, "where", where);
    return json_object_put(op, "mutations", mutations);
}

struct json *op_delete(const char *table, struct json *where)
{
    struct json *op = op_new("delete", table);
    return json_object_put(op, "where", where);
}

struct json *op_wait(const char *table, struct json *where, struct json *columns, bool equal,
                     struct json *rows)
{
    struct json *op = op_new("wait", table);
    json_object_put(op, "where", where);
    json_object_put(op, "columns", columns);
    json_object_put(op, "until", json_string_new(equal ? "==" : "!="));
    json_object_put(op, "rows", rows);
    return json_object_put(op, "timeout", json_integer_new(0));
}

struct json *mutation_new(const char *column, const char *mutator, struct json *value)
{
    return cond_new(column, mutator, value);
}

/* ---- readers ---- */

bool json_to_uuid(const struct json *atom, struct uuid *uuid)
{
    if (!vj_is_array(atom) || vj_size(atom) != 2 ||
        strcmp(vj_string(vj_at(atom, 0)), "uuid"))
        return false;
    return uuid_from_string(uuid, vj_string(vj_at(atom, 1)));
}

bool row_uuid(const struct json *row, const char *column, struct uuid *uuid)
{
    const struct json *value = vj_get(row, column);
    if (value && json_to_uuid(value, uuid))
        return true;
    /* A set of exactly one UUID. */
    size_t n;
    struct uuid *set = row_uuid_set(row, column, &n);
    bool ok = n == 1;
    if (ok)
        *uuid = set[0];
    free(set);
    return ok;
}

const char *row_string(const struct json *row, const char *column)
{
    return vj_string(vj_get(row, column));
}

bool row_bool(const struct json *row, const char *column)
{
    return vj_boolean(vj_get(row, column));
}

/* The elements of a set value: the array inside ["set", [...]], or NULL for a bare atom. */
static const struct json *set_elements(const struct json *value)
{
    if (vj_is_array(value) && vj_size(value) == 2 &&
        !strcmp(vj_string(vj_at(value, 0)), "set"))
        return vj_at(value, 1);
    return NULL;
}

bool row_opt_integer(const struct json *row, const char *column, int64_t *value)
{
    const struct json *json = vj_get(row, column);
    const struct json *elements = set_elements(json);
    if (elements)
        json = vj_size(elements) == 1 ? vj_at(elements, 0) : NULL;
    if (!vj_is_integer(json))
        return false;
    *value = vj_integer(json);
    return true;
}

struct uuid *row_uuid_set(const struct json *row, const char *column, size_t *n)
{
    const struct json *value = vj_get(row, column);
    const struct json *elements = set_elements(value);
    size_t count = elements ? vj_size(elements) : value ? 1 : 0;
    struct uuid *uuids = vsctl_xmalloc((count ? count : 1) * sizeof *uuids);
    *n = 0;
    for (size_t i = 0; i < count; i++) {
        const struct json *atom = elements ? vj_at(elements, i) : value;
        if (json_to_uuid(atom, &uuids[*n]))
            (*n)++;
    }
    return uuids;
}
