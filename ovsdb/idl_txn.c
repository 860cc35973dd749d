/* Typed transactions over the replica (see idl.h): writes, mutations, inserts, deletes and
 * verifications gathered per row, turned into RFC 7047 operations at commit, with what would
 * change nothing left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "ovsdb/idl_private.h"

/* What the transaction does to one row. */
struct txn_row {
    struct hmap_node node;        /* in txn->rows, by the row's address */
    struct idl_row *row;
    bool inserted;                /* by this transaction (then `row` is the txn's own) */
    bool deleted;
    unsigned int number;          /* an inserted row's name: "row<number>" */
    struct json **write;          /* per column, the value to set, or NULL; NULL until a write */
    struct json *mutations;       /* [[column, mutator, value], ...] for a replica row, or NULL */
    long insert_op;               /* index of its insert in the result, or -1 */
    struct uuid inserted_uuid;    /* what dbd gave it, once committed */
    struct txn_row *next;         /* in the order the transaction first touched rows */
};

struct idl_txn {
    struct idl *idl;
    struct hmap rows;
    struct txn_row *head, **tail;
    struct json *verifies;        /* "wait" operations, sent first */
    char *comment;
    unsigned int n_inserted;
};

static size_t pointer_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0xed5ad4bbu;
    x ^= x >> 11;
    return (size_t)x;
}

static void free_writes(struct txn_row *r)
{
    for (size_t c = 0; r->write && c < r->row->table_class->n_columns; c++)
        json_free(r->write[c]);
    free(r->write);
}

/* Sets the pending value of column `c` (taking `value`). */
static void put_write(struct txn_row *r, size_t c, struct json *value)
{
    if (!r->write)
        r->write = xzalloc(r->row->table_class->n_columns * sizeof *r->write);
    json_free(r->write[c]);
    r->write[c] = value;
}

/* The pending writes as an operation's "row": {"column": value, ...}. */
static struct json *writes_json(const struct txn_row *r)
{
    struct json *row = json_object_new();
    for (size_t c = 0; r->write && c < r->row->table_class->n_columns; c++)
        if (r->write[c])
            json_object_put(row, r->row->table_class->columns[c].name, json_clone(r->write[c]));
    return row;
}

struct idl_txn *idl_txn_create(struct idl *idl)
{
    struct idl_txn *txn = xzalloc(sizeof *txn);
    txn->idl = idl;
    hmap_init(&txn->rows);
    txn->tail = &txn->head;
    txn->verifies = json_array_new();
    return txn;
}

void idl_txn_destroy(struct idl_txn *txn)
{
    if (!txn)
        return;
    for (struct txn_row *r = txn->head, *next; r; r = next) {
        next = r->next;
        free_writes(r);
        json_free(r->mutations);
        if (r->inserted)
            free(r->row);   /* write-only: it never held parsed values */
        free(r);
    }
    hmap_destroy(&txn->rows);
    json_free(txn->verifies);
    free(txn->comment);
    free(txn);
}

void idl_txn_add_comment(struct idl_txn *txn, const char *comment)
{
    free(txn->comment);
    txn->comment = strdup(comment);
}

static struct txn_row *find_txn_row(const struct idl_txn *txn, const struct idl_row *row)
{
    size_t hash = pointer_hash(row);
    for (struct hmap_node *n = hmap_first_with_hash(&txn->rows, hash); n;
         n = hmap_next_with_hash(n)) {
        struct txn_row *r = CONTAINER_OF(n, struct txn_row, node);
        if (r->row == row)
            return r;
    }
    return NULL;
}

static struct txn_row *txn_row(struct idl_txn *txn, const struct idl_row *row)
{
    struct txn_row *r = find_txn_row(txn, row);
    if (r)
        return r;
    r = xzalloc(sizeof *r);
    r->row = (struct idl_row *)row;
    r->insert_op = -1;
    hmap_insert(&txn->rows, &r->node, pointer_hash(row));
    *txn->tail = r;
    txn->tail = &r->next;
    return r;
}

struct idl_row *idl_txn_insert(struct idl_txn *txn, const struct idl_table_class *table)
{
    struct idl_row *row = xzalloc(table->row_size);
    row->table_class = table;
    struct txn_row *r = txn_row(txn, row);
    r->inserted = true;
    r->number = ++txn->n_inserted;
    return row;
}

void idl_txn_delete(struct idl_txn *txn, const struct idl_row *row)
{
    struct txn_row *r = txn_row(txn, row);
    if (r->inserted) {
        vlog_warn("idl: deleting a %s row the same transaction inserts: it is not inserted",
                  row->table_class->name);
    }
    r->deleted = true;
}

/* ---- Typed values to OVSDB notation ---- */

static struct json *uuid_json(const char *tag, const char *text)
{
    struct json *atom = json_array_append(json_array_new(), json_string_new(tag));
    return json_array_append(atom, json_string_new(text));
}

static struct json *row_uuid_json(const struct idl_row *row)
{
    char text[UUID_STRING_LEN + 1];
    uuid_to_string(&row->uuid, text);
    return uuid_json("uuid", text);
}

static struct json *ref_json(const struct idl_txn *txn, const struct idl_row *target)
{
    const struct txn_row *r = find_txn_row(txn, target);
    if (r && r->inserted) {
        char name[32];
        snprintf(name, sizeof name, "row%u", r->number);
        return uuid_json("named-uuid", name);
    }
    return row_uuid_json(target);
}

static struct json *atom_json(const struct idl_txn *txn, enum idl_atomic type, int ref,
                              const void *element)
{
    if (ref >= 0)
        return ref_json(txn, *(const struct idl_row *const *)element);
    switch (type) {
    case IDL_INTEGER: return json_integer_new(*(const int64_t *)element);
    case IDL_REAL: return json_real_new(*(const double *)element);
    case IDL_BOOLEAN: return json_boolean_new(*(const bool *)element);
    case IDL_STRING: return json_string_new(*(const char *const *)element);
    case IDL_UUID: {
        char text[UUID_STRING_LEN + 1];
        uuid_to_string(element, text);
        return uuid_json("uuid", text);
    }
    case IDL_VOID: break;
    }
    return json_null_new();
}

static struct json *tagged_json(const char *tag, struct json *array)
{
    struct json *value = json_array_append(json_array_new(), json_string_new(tag));
    return json_array_append(value, array);
}

static struct json *datum_json(const struct idl_txn *txn, const struct idl_column *c,
                               const void *values, const void *map_values, size_t n)
{
    size_t key_size = idl_element_size(c->key_type, c->key_ref);
    bool map = c->value_type != IDL_VOID;
    if (!map && n == 1 && c->n_max == 1)
        return atom_json(txn, c->key_type, c->key_ref, values);
    struct json *array = json_array_new();
    for (size_t i = 0; i < n; i++) {
        struct json *key = atom_json(txn, c->key_type, c->key_ref,
                                     (const char *)values + i * key_size);
        if (!map) {
            json_array_append(array, key);
            continue;
        }
        size_t value_size = idl_element_size(c->value_type, c->value_ref);
        struct json *pair = json_array_append(json_array_new(), key);
        json_array_append(pair, atom_json(txn, c->value_type, c->value_ref,
                                          (const char *)map_values + i * value_size));
        json_array_append(array, pair);
    }
    return tagged_json(map ? "map" : "set", array);
}

/* The value a column has when a row does not mention it. */
static struct json *default_json(const struct idl_column *c)
{
    if (c->value_type != IDL_VOID)
        return tagged_json("map", json_array_new());
    if (c->n_min == 0 || c->n_max != 1)
        return tagged_json("set", json_array_new());
    switch (c->key_type) {
    case IDL_INTEGER: return json_integer_new(0);
    case IDL_REAL: return json_real_new(0);
    case IDL_BOOLEAN: return json_boolean_new(false);
    case IDL_STRING: return json_string_new("");
    case IDL_UUID: return uuid_json("uuid", "00000000-0000-0000-0000-000000000000");
    case IDL_VOID: break;
    }
    return json_null_new();
}

/* ---- Comparing values: does a write change anything? ---- */

/* A value's elements (a set's or a map's, or a bare atom as one), in canonical text, sorted. */
static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **sorted_texts(const struct json *value, size_t *n)
{
    bool collection = idl_json_tagged(value, "set") || idl_json_tagged(value, "map");
    const struct json *array = collection ? json_array_at(value, 1) : NULL;
    *n = array ? json_array_size(array) : 1;
    char **texts = xzalloc(*n * sizeof *texts);
    for (size_t i = 0; i < *n; i++)
        texts[i] = json_to_string(array ? json_array_at(array, i) : value);
    qsort(texts, *n, sizeof *texts, compare_strings);
    return texts;
}

static void free_texts(char **texts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
}

/* Whether two values of one column are the same datum: a one-element set equals its atom, and
 * the order of a set's or a map's elements does not matter. */
static bool same_datum(const struct json *a, const struct json *b)
{
    if (json_equal(a, b))
        return true;
    bool a_atom = !idl_json_tagged(a, "set") && !idl_json_tagged(a, "map");
    bool b_atom = !idl_json_tagged(b, "set") && !idl_json_tagged(b, "map");
    if (a_atom && b_atom)
        return false;
    size_t na, nb;
    char **ta = sorted_texts(a, &na), **tb = sorted_texts(b, &nb);
    bool same = na == nb;
    for (size_t i = 0; same && i < na; i++)
        same = strcmp(ta[i], tb[i]) == 0;
    free_texts(ta, na);
    free_texts(tb, nb);
    return same;
}

static bool column_holds(const struct idl_row *row, const struct idl_column *c,
                         const struct json *value)
{
    const struct json *have = json_object_get(row->json, c->name);
    if (have)
        return same_datum(have, value);
    struct json *dflt = default_json(c);
    bool same = same_datum(dflt, value);
    json_free(dflt);
    return same;
}

/* ---- Writes and mutations ---- */

/* A row may only be changed once through one transaction's view of it. */
static struct txn_row *writable(struct idl_txn *txn, const struct idl_row *row, size_t column)
{
    if (column >= row->table_class->n_columns) {
        vlog_err("idl: %s has no column %zu", row->table_class->name, column);
        return NULL;
    }
    struct txn_row *r = txn_row(txn, row);
    if (r->deleted) {
        vlog_warn("idl: writing to a %s row the transaction deletes: ignored", row->table_class->name);
        return NULL;
    }
    return r;
}

void idl_txn_write(struct idl_txn *txn, const struct idl_row *row, size_t column,
                   const void *values, const void *map_values, size_t n)
{
    struct txn_row *r = writable(txn, row, column);
    if (!r)
        return;
    const struct idl_column *c = &row->table_class->columns[column];
    put_write(r, column, datum_json(txn, c, values, map_values, n));
}

/* The pending value of `column` (a copy of the replica's value first, if the row has one and the
 * transaction had not written the column yet), as a mutable array of elements. */
static struct json *pending_elements(struct txn_row *r, size_t column)
{
    const struct idl_column *c = &r->row->table_class->columns[column];
    bool map = c->value_type != IDL_VOID;
    if (!r->write || !r->write[column]) {
        const struct json *have = r->row->json ? json_object_get(r->row->json, c->name) : NULL;
        put_write(r, column, have ? json_clone(have) : NULL);
    }
    /* idl_json_elements() works on a row object: lend it the value. */
    struct json *holder = json_object_new();
    if (r->write[column])
        json_object_put(holder, c->name, r->write[column]);
    struct json *array = idl_json_elements(holder, c->name, map);
    r->write[column] = json_object_remove(holder, c->name);
    json_free(holder);
    return array;
}

/* Applies a mutation to a pending write of the same column (an inserted row, or a column the
 * transaction wrote already). */
static void mutate_pending(struct txn_row *r, size_t column, struct json *key, struct json *value,
                           bool insert)
{
    const struct idl_column *c = &r->row->table_class->columns[column];
    bool map = c->value_type != IDL_VOID;
    struct json *array = pending_elements(r, column);
    long at = idl_json_find_element(array, key, map);
    if (at >= 0)
        json_free(json_array_remove(array, (size_t)at));
    if (insert) {
        struct json *element = key;
        if (map)
            element = json_array_append(json_array_append(json_array_new(), key), value);
        json_array_append(array, element);
        return;
    }
    json_free(key);
    json_free(value);
}

/* Queues an RFC 7047 mutation of a replica row's column, unless the replica shows that it would
 * change nothing (the element is there already, or is absent already, or the key has that
 * value). */
static void mutate(struct idl_txn *txn, const struct idl_row *row, size_t column,
                   const void *key, const void *value, bool insert)
{
    struct txn_row *r = writable(txn, row, column);
    if (!r)
        return;
    const struct idl_column *c = &row->table_class->columns[column];
    bool map = c->value_type != IDL_VOID;
    struct json *key_json = atom_json(txn, c->key_type, c->key_ref, key);
    struct json *value_json = map && value
                                  ? atom_json(txn, c->value_type, c->value_ref, value) : NULL;
    if (r->inserted || (r->write && r->write[column])) {
        mutate_pending(r, column, key_json, value_json, insert);
        return;
    }
    struct json *current = NULL;
    const struct json *have = json_object_get(row->json, c->name);
    if (have)
        current = json_object_put(json_object_new(), c->name, json_clone(have));
    long at = current ? idl_json_find_element(idl_json_elements(current, c->name, map),
                                              key_json, map) : -1;
    bool same_value = false;
    if (at >= 0 && map && value_json) {
        const struct json *array = json_array_at(json_object_get(current, c->name), 1);
        same_value = json_equal(json_array_at(json_array_at(array, (size_t)at), 1), value_json);
    }
    json_free(current);
    if ((insert && at >= 0 && (!map || same_value)) || (!insert && at < 0)) {
        json_free(key_json);
        json_free(value_json);
        return;   /* changes nothing */
    }
    if (!r->mutations)
        r->mutations = json_array_new();
    if (map || !insert) {
        /* a map key is replaced by deleting it first: "insert" keeps an existing key */
        struct json *m = json_array_append(json_array_new(), json_string_new(c->name));
        json_array_append(m, json_string_new("delete"));
        json_array_append(m, tagged_json("set", json_array_append(json_array_new(),
                                                                  json_clone(key_json))));
        json_array_append(r->mutations, m);
    }
    if (insert) {
        struct json *element = key_json;
        if (map)
            element = json_array_append(json_array_append(json_array_new(), key_json),
                                        value_json);
        struct json *m = json_array_append(json_array_new(), json_string_new(c->name));
        json_array_append(m, json_string_new("insert"));
        json_array_append(m, tagged_json(map ? "map" : "set",
                                         json_array_append(json_array_new(), element)));
        json_array_append(r->mutations, m);
        return;
    }
    json_free(key_json);
    json_free(value_json);
}

void idl_txn_set_add(struct idl_txn *txn, const struct idl_row *row, size_t column,
                     const void *element)
{
    mutate(txn, row, column, element, NULL, true);
}

void idl_txn_set_remove(struct idl_txn *txn, const struct idl_row *row, size_t column,
                        const void *element)
{
    mutate(txn, row, column, element, NULL, false);
}

void idl_txn_map_set(struct idl_txn *txn, const struct idl_row *row, size_t column,
                     const void *key, const void *value)
{
    mutate(txn, row, column, key, value, true);
}

void idl_txn_map_remove(struct idl_txn *txn, const struct idl_row *row, size_t column,
                        const void *key)
{
    mutate(txn, row, column, key, NULL, false);
}

/* ---- Operations ---- */

static struct json *where_uuid(const struct idl_row *row)
{
    struct json *cond = json_array_append(json_array_new(), json_string_new("_uuid"));
    json_array_append(cond, json_string_new("=="));
    json_array_append(cond, row_uuid_json(row));
    return json_array_append(json_array_new(), cond);
}

static struct json *operation(const char *op, const struct idl_row *row)
{
    struct json *o = json_object_new();
    json_object_put(o, "op", json_string_new(op));
    json_object_put(o, "table", json_string_new(row->table_class->name));
    if (strcmp(op, "insert") != 0)
        json_object_put(o, "where", where_uuid(row));
    return o;
}

void idl_txn_verify(struct idl_txn *txn, const struct idl_row *row, size_t column)
{
    if (!row->json || column >= row->table_class->n_columns)
        return;   /* a row this transaction inserts has nothing to verify */
    const struct idl_column *c = &row->table_class->columns[column];
    const struct json *have = json_object_get(row->json, c->name);
    struct json *o = operation("wait", row);
    json_object_put(o, "timeout", json_integer_new(0));
    json_object_put(o, "columns", json_array_append(json_array_new(), json_string_new(c->name)));
    json_object_put(o, "until", json_string_new("=="));
    struct json *expected = json_object_new();
    json_object_put(expected, c->name, have ? json_clone(have) : default_json(c));
    json_object_put(o, "rows", json_array_append(json_array_new(), expected));
    json_array_append(txn->verifies, o);
}

/* Leaves out the pending writes of the values the replica holds already; whether any is left. */
static bool elide_unchanged(struct txn_row *r)
{
    bool any = false;
    for (size_t c = 0; r->write && c < r->row->table_class->n_columns; c++) {
        if (!r->write[c])
            continue;
        if (column_holds(r->row, &r->row->table_class->columns[c], r->write[c])) {
            json_free(r->write[c]);
            r->write[c] = NULL;
        } else {
            any = true;
        }
    }
    return any;
}

/* The operations of `txn` after its verifications; the number that change something. */
static size_t append_row_operations(struct idl_txn *txn, struct json *params)
{
    size_t n = 0;
    for (struct txn_row *r = txn->head; r; r = r->next) {
        if (r->inserted) {
            if (r->deleted)
                continue;
            char name[32];
            snprintf(name, sizeof name, "row%u", r->number);
            struct json *o = operation("insert", r->row);
            json_object_put(o, "uuid-name", json_string_new(name));
            json_object_put(o, "row", writes_json(r));
            r->insert_op = (long)json_array_size(params) - 1;
            json_array_append(params, o);
            n++;
            continue;
        }
        if (r->deleted) {
            json_array_append(params, operation("delete", r->row));
            n++;
            continue;
        }
        if (elide_unchanged(r)) {
            struct json *o = operation("update", r->row);
            json_object_put(o, "row", writes_json(r));
            json_array_append(params, o);
            n++;
        }
        if (r->mutations) {
            struct json *o = operation("mutate", r->row);
            json_object_put(o, "mutations", json_clone(r->mutations));
            json_array_append(params, o);
            n++;
        }
    }
    return n;
}

/* Reads the UUIDs dbd gave the inserted rows. */
static void read_inserted(struct idl_txn *txn, const struct json *result)
{
    for (struct txn_row *r = txn->head; r; r = r->next) {
        if (r->insert_op < 0)
            continue;
        const struct json *uuid = json_object_get(json_array_at(result, (size_t)r->insert_op),
                                                  "uuid");
        const struct json *text = json_array_at(uuid, 1);
        if (!json_is_string(text) || !uuid_from_string(&r->inserted_uuid, json_string(text)))
            r->insert_op = -1;
    }
}

enum idl_txn_status idl_txn_commit(struct idl_txn *txn, char **error)
{
    *error = NULL;
    struct json *params = json_array_new();
    json_array_append(params, json_string_new(txn->idl->idl_class->database));
    size_t n_verifies = json_array_size(txn->verifies);
    for (size_t i = 0; i < n_verifies; i++)
        json_array_append(params, json_clone(json_array_at(txn->verifies, i)));
    if (append_row_operations(txn, params) == 0) {
        json_free(params);
        return IDL_TXN_UNCHANGED;
    }
    if (txn->comment) {
        struct json *o = json_object_new();
        json_object_put(o, "op", json_string_new("comment"));
        json_object_put(o, "comment", json_string_new(txn->comment));
        json_array_append(params, o);
    }
    char *text = json_to_string(params);
    json_free(params);
    struct json *result = NULL;
    int rc = idl_transact_text(txn->idl, text, &result, error);
    free(text);
    if (rc < 0)
        return IDL_TXN_ERROR;
    size_t failed = 0;
    *error = idl_first_error(result, &failed);
    enum idl_txn_status status = IDL_TXN_SUCCESS;
    if (*error) {
        const char *code = json_string(json_object_get(json_array_at(result, failed), "error"));
        bool verify_failed = failed < n_verifies && strcmp(code, "timed out") == 0;
        status = verify_failed ? IDL_TXN_TRY_AGAIN : IDL_TXN_ERROR;
    } else {
        read_inserted(txn, result);
    }
    json_free(result);
    return status;
}

bool idl_txn_inserted_uuid(const struct idl_txn *txn, const struct idl_row *row,
                           struct uuid *uuid)
{
    const struct txn_row *r = find_txn_row(txn, row);
    if (!r || !r->inserted || r->insert_op < 0)
        return false;
    *uuid = r->inserted_uuid;
    return true;
}
