/* The replica and its change tracking; see idl.h. Transactions are in idl_txn.c. */
#include "ovsdb/idl_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "proto/dbd.pb-c.h"

/* ---- Tables and rows ---- */

struct idl_table *idl_table_of(const struct idl *idl, const struct idl_table_class *table)
{
    return &idl->tables[table->index];
}

static struct idl_row *row_of(const struct hmap_node *node)
{
    return node ? CONTAINER_OF(node, struct idl_row_node, hmap)->row : NULL;
}

static struct idl_row *find_row(const struct idl_table *table, const struct uuid *uuid)
{
    size_t hash = uuid_hash(uuid);
    for (struct hmap_node *node = hmap_first_with_hash(&table->rows, hash); node;
         node = hmap_next_with_hash(node)) {
        struct idl_row *row = row_of(node);
        if (uuid_equals(&row->uuid, uuid))
            return row;
    }
    return NULL;
}

static struct idl_row *row_create(struct idl_table *table, const struct uuid *uuid)
{
    struct idl_row *row = xzalloc(table->table_class->row_size);
    row->uuid = *uuid;
    row->table_class = table->table_class;
    row->node = xzalloc(sizeof *row->node);
    row->node->row = row;
    hmap_insert(&table->rows, &row->node->hmap, uuid_hash(uuid));
    return row;
}

static void *member(struct idl_row *row, size_t offset)
{
    return (char *)row + offset;
}

/* Frees the typed values of one column and resets its members. */
static void clear_column(struct idl_row *row, const struct idl_column *c)
{
    if (c->count == IDL_NO_MEMBER) {
        if (c->key_type == IDL_STRING) {
            char **s = member(row, c->member);
            free(*s);
            *s = NULL;
        } else {
            memset(member(row, c->member), 0, idl_element_size(c->key_type, c->key_ref));
        }
        return;
    }
    size_t *n = member(row, c->count);
    void **keys = member(row, c->member);
    if (c->key_type == IDL_STRING && c->key_ref < 0)
        for (size_t i = 0; i < *n; i++)
            free(((char **)*keys)[i]);
    free(*keys);
    *keys = NULL;
    if (c->values != IDL_NO_MEMBER) {
        void **values = member(row, c->values);
        if (c->value_type == IDL_STRING && c->value_ref < 0)
            for (size_t i = 0; i < *n; i++)
                free(((char **)*values)[i]);
        free(*values);
        *values = NULL;
    }
    *n = 0;
}

static void clear_columns(struct idl_row *row)
{
    for (size_t c = 0; c < row->table_class->n_columns; c++)
        clear_column(row, &row->table_class->columns[c]);
}

static void row_free(struct idl_row *row)
{
    clear_columns(row);
    json_free(row->json);
    free(row->column_changes);
    free(row->node);
    free(row);
}

/* ---- Parsing OVSDB notation into typed members ---- */

bool idl_json_tagged(const struct json *value, const char *tag)
{
    return json_is_array(value) && json_array_size(value) == 2 &&
           json_is_string(json_array_at(value, 0)) &&
           strcmp(json_string(json_array_at(value, 0)), tag) == 0 &&
           json_is_array(json_array_at(value, 1));
}

/* ["uuid", "<36 characters>"] */
static bool parse_uuid_atom(const struct json *atom, struct uuid *uuid)
{
    return json_is_array(atom) && json_array_size(atom) == 2 &&
           json_is_string(json_array_at(atom, 0)) &&
           strcmp(json_string(json_array_at(atom, 0)), "uuid") == 0 &&
           json_is_string(json_array_at(atom, 1)) &&
           uuid_from_string(uuid, json_string(json_array_at(atom, 1)));
}

/* Stores one atom of `type` at `out`. A reference is resolved in the replica; one that does not
 * resolve (another table's row not replicated, or missing) returns false, as does an atom of the
 * wrong type (which dbd never sends: logged). */
static bool parse_atom(const struct idl *idl, const struct json *atom, enum idl_atomic type,
                       int ref, void *out)
{
    bool ok;
    switch (type) {
    case IDL_INTEGER:
        if ((ok = json_is_integer(atom)))
            *(int64_t *)out = json_integer(atom);
        break;
    case IDL_REAL:
        if ((ok = json_is_number(atom)))
            *(double *)out = json_real(atom);
        break;
    case IDL_BOOLEAN:
        if ((ok = json_is_boolean(atom)))
            *(bool *)out = json_boolean(atom);
        break;
    case IDL_STRING:
        if ((ok = json_is_string(atom)))
            *(char **)out = xstrdup(json_string(atom));
        break;
    case IDL_UUID: {
        struct uuid uuid;
        if (!(ok = parse_uuid_atom(atom, &uuid)))
            break;
        if (ref < 0) {
            *(struct uuid *)out = uuid;
            break;
        }
        const struct idl_table *table = &idl->tables[ref];
        struct idl_row *row = table->monitored ? find_row(table, &uuid) : NULL;
        *(struct idl_row **)out = row;
        return row != NULL;
    }
    default:
        ok = false;
        break;
    }
    if (!ok)
        vlog_warn("idl: a value of the wrong type from vsw-dbd: %s", json_type_name(json_type(atom)));
    return ok;
}

/* The elements of a column's value: a set's array, a map's pairs, a bare atom as one. */
static const struct json *elements(const struct json *value, bool map, const struct json **one)
{
    if (idl_json_tagged(value, map ? "map" : "set"))
        return json_array_at(value, 1);
    *one = value;
    return NULL;
}

static void parse_column(const struct idl *idl, struct idl_row *row, const struct idl_column *c)
{
    const struct json *value = json_object_get(row->json, c->name);
    bool map = c->value_type != IDL_VOID;
    const struct json *one = NULL;
    const struct json *array = value ? elements(value, map, &one) : NULL;
    size_t n = array ? json_array_size(array) : one ? 1 : 0;
    if (c->count == IDL_NO_MEMBER) {
        const struct json *atom = array ? json_array_at(array, 0) : one;
        if (atom && parse_atom(idl, atom, c->key_type, c->key_ref, member(row, c->member)))
            return;
        if (c->key_type == IDL_STRING && c->n_min == 1)
            *(char **)member(row, c->member) = xstrdup("");   /* never NULL when required */
        return;
    }
    size_t key_size = idl_element_size(c->key_type, c->key_ref);
    char *keys = xzalloc(n * key_size);
    char *values = map ? xzalloc(n * idl_element_size(c->value_type, c->value_ref)) : NULL;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        const struct json *e = array ? json_array_at(array, i) : one;
        const struct json *key = map ? json_array_at(e, 0) : e;
        if (!parse_atom(idl, key, c->key_type, c->key_ref, keys + kept * key_size))
            continue;
        if (map) {
            size_t value_size = idl_element_size(c->value_type, c->value_ref);
            if (!parse_atom(idl, json_array_at(e, 1), c->value_type, c->value_ref,
                            values + kept * value_size)) {
                if (c->key_type == IDL_STRING)
                    free(((char **)keys)[kept]);
                continue;
            }
        }
        kept++;
    }
    *(void **)member(row, c->member) = keys;
    if (map)
        *(void **)member(row, c->values) = values;
    *(size_t *)member(row, c->count) = kept;
}

static void parse_row(const struct idl *idl, struct idl_row *row)
{
    clear_columns(row);
    for (size_t c = 0; c < row->table_class->n_columns; c++)
        parse_column(idl, row, &row->table_class->columns[c]);
}

/* Rows whose JSON an update changed are parsed once it is applied whole, when every row
 * they may reference is in place. */
static void queue_parse(struct idl *idl, struct idl_row *row)
{
    if (row->parse_pending)
        return;
    row->parse_pending = true;
    row->next_parse = idl->parse_head;
    idl->parse_head = row;
}

static void parse_queued(struct idl *idl)
{
    for (struct idl_row *row = idl->parse_head, *next; row; row = next) {
        next = row->next_parse;
        row->parse_pending = false;
        row->next_parse = NULL;
        if (row->change != IDL_ROW_DELETED)
            parse_row(idl, row);
    }
    idl->parse_head = NULL;
}

/* ---- Change tracking ---- */

static size_t column_index(const struct idl_table_class *table, const char *name)
{
    for (size_t c = 0; c < table->n_columns; c++)
        if (strcmp(table->columns[c].name, name) == 0)
            return c;
    return SIZE_MAX;
}

/* Notes a change of `kind` to `row`; `columns` (per column, for IDL_ROW_MODIFIED) merges with
 * what the row already had since the last idl_forget_changes(). */
static void track(struct idl_table *table, struct idl_row *row, enum idl_row_change kind,
                  const uint8_t *columns)
{
    size_t n = row->table_class->n_columns;
    if (row->change == IDL_ROW_UNCHANGED) {
        row->next_tracked = table->tracked;
        table->tracked = row;
        row->column_changes = xzalloc(n);
        row->change = kind;
    } else if (kind == IDL_ROW_DELETED) {
        row->change = kind;
    } else if (kind != IDL_ROW_MODIFIED) {
        row->change = IDL_ROW_REPLACED;   /* e.g. deleted, then inserted again */
    }
    if (kind != IDL_ROW_MODIFIED) {
        memset(row->column_changes, IDL_COLUMN_CHANGED, n);
        return;
    }
    for (size_t c = 0; c < n; c++) {
        if (!columns[c])
            continue;
        bool twice = row->column_changes[c] != IDL_COLUMN_UNCHANGED;
        row->column_changes[c] = twice ? IDL_COLUMN_CHANGED : columns[c];
    }
}

enum idl_column_change idl_row_column_change(const struct idl_row *row, size_t column)
{
    if (row->change == IDL_ROW_UNCHANGED || column >= row->table_class->n_columns)
        return IDL_COLUMN_UNCHANGED;
    return row->column_changes[column];
}

bool idl_row_changed_except(const struct idl_row *row, const size_t *columns, size_t n)
{
    if (row->change == IDL_ROW_UNCHANGED)
        return false;
    if (row->change != IDL_ROW_MODIFIED)
        return true;
    for (size_t c = 0; c < row->table_class->n_columns; c++) {
        if (!row->column_changes[c])
            continue;
        bool excepted = false;
        for (size_t i = 0; i < n && !excepted; i++)
            excepted = columns[i] == c;
        if (!excepted)
            return true;
    }
    return false;
}

void idl_forget_changes(struct idl *idl)
{
    for (size_t t = 0; t < idl->idl_class->n_tables; t++) {
        struct idl_table *table = &idl->tables[t];
        for (struct idl_row *row = table->tracked, *next; row; row = next) {
            next = row->next_tracked;
            row->next_tracked = NULL;
            free(row->column_changes);
            row->column_changes = NULL;
            if (row->change == IDL_ROW_DELETED)
                row_free(row);
            else
                row->change = IDL_ROW_UNCHANGED;
        }
        table->tracked = NULL;
    }
}

/* ---- Applying updates to the JSON of rows ---- */

struct json *idl_json_elements(struct json *row, const char *name, bool map)
{
    struct json *value = json_object_get(row, name);
    if (idl_json_tagged(value, map ? "map" : "set"))
        return json_array_at(value, 1);
    struct json *array = json_array_new();
    if (value && !map && !idl_json_tagged(value, "set"))
        json_array_append(array, json_clone(value));
    struct json *form = json_array_new();
    json_array_append(form, json_string_new(map ? "map" : "set"));
    json_array_append(form, array);
    json_object_put(row, name, form);
    return array;
}

long idl_json_find_element(const struct json *array, const struct json *atom, bool map)
{
    for (size_t i = 0; i < json_array_size(array); i++) {
        const struct json *e = json_array_at(array, i);
        if (json_equal(map ? json_array_at(e, 0) : e, atom))
            return (long)i;
    }
    return -1;
}

/* A large difference against a large set: one pass over each, elements matched by their text. */
static void toggle_many(struct json *array, const struct json *diff)
{
    struct json *pending = json_object_new();   /* text -> element, those not matched yet */
    for (size_t j = 0; j < json_array_size(diff); j++) {
        char *text = json_to_string(json_array_at(diff, j));
        json_object_put(pending, text, json_clone(json_array_at(diff, j)));
        free(text);
    }
    for (size_t i = 0; i < json_array_size(array);) {
        char *text = json_to_string(json_array_at(array, i));
        struct json *match = json_object_remove(pending, text);
        free(text);
        if (match) {
            json_free(match);
            json_free(json_array_remove(array, i));
        } else {
            i++;
        }
    }
    while (json_object_size(pending)) {
        const char *text = json_object_key_at(pending, 0);
        json_array_append(array, json_object_remove(pending, text));
    }
    json_free(pending);
}

/* Applies a set or map difference (see db_datum_append_diff_json()) to column `name`.
 * Returns IDL_COLUMN_GREW if it only added elements to a set, IDL_COLUMN_CHANGED otherwise,
 * -1 if malformed. */
static int toggle_column(struct json *row, const char *name, const struct json *diff)
{
    bool map = idl_json_tagged(diff, "map");
    if (!map && !idl_json_tagged(diff, "set"))
        return -1;
    struct json *array = idl_json_elements(row, name, map);
    const struct json *changes = json_array_at(diff, 1);
    size_t before = json_array_size(array);
    if (!map && json_array_size(changes) > 16) {
        toggle_many(array, changes);
        return json_array_size(array) == before + json_array_size(changes)
                   ? IDL_COLUMN_GREW : IDL_COLUMN_CHANGED;
    }
    bool grew = !map;
    for (size_t j = 0; j < json_array_size(changes); j++) {
        const struct json *change = json_array_at(changes, j);
        if (map && (!json_is_array(change) || json_array_size(change) != 2))
            return -1;
        long at = idl_json_find_element(array, map ? json_array_at(change, 0) : change, map);
        bool same = at >= 0 && (!map || json_equal(json_array_at(json_array_at(array,
                                                                             (size_t)at), 1),
                                                   json_array_at(change, 1)));
        if (at >= 0)
            json_free(json_array_remove(array, (size_t)at));
        if (!same)   /* new, or a map key with another value */
            json_array_append(array, json_clone(change));
        grew = grew && at < 0;
    }
    return grew ? IDL_COLUMN_GREW : IDL_COLUMN_CHANGED;
}

/* Applies ["modify", {new values}, {set and map differences}] to `row`; `columns` gets each
 * changed column's change. */
static int modify_row(struct idl_row *row, const struct json *change, uint8_t *columns)
{
    const struct json *replaced = json_array_at(change, 1), *toggled = json_array_at(change, 2);
    if (json_array_size(change) != 3 || !json_is_object(replaced) || !json_is_object(toggled))
        return -1;
    for (size_t i = 0; i < json_object_size(replaced); i++) {
        const char *name = json_object_key_at(replaced, i);
        json_object_put(row->json, name, json_clone(json_object_value_at(replaced, i)));
        size_t c = column_index(row->table_class, name);
        if (c != SIZE_MAX)   /* not "_version", which changes with any change */
            columns[c] = IDL_COLUMN_CHANGED;
    }
    for (size_t i = 0; i < json_object_size(toggled); i++) {
        const char *name = json_object_key_at(toggled, i);
        int how = toggle_column(row->json, name, json_object_value_at(toggled, i));
        if (how < 0)
            return -1;
        size_t c = column_index(row->table_class, name);
        if (c != SIZE_MAX)
            columns[c] = (uint8_t)how;
    }
    return 0;
}

static void delete_row(struct idl_table *table, struct idl_row *row)
{
    hmap_remove(&table->rows, &row->node->hmap);
    track(table, row, IDL_ROW_DELETED, NULL);
}

/* One row of a change record: its new state, a modification, or null (deleted). */
static int apply_row(struct idl *idl, struct idl_table *table, const char *uuid_text,
                     const struct json *change, uint64_t snapshot)
{
    struct uuid uuid;
    if (!uuid_from_string(&uuid, uuid_text))
        return -1;
    struct idl_row *row = find_row(table, &uuid);
    if (json_is_null(change)) {
        if (row)
            delete_row(table, row);
        return 0;
    }
    if (json_is_array(change)) {
        if (!row)
            return -1;
        uint8_t *columns = xzalloc(table->table_class->n_columns);
        int rc = modify_row(row, change, columns);
        if (rc == 0)
            track(table, row, IDL_ROW_MODIFIED, columns);
        free(columns);
        if (rc == 0)
            queue_parse(idl, row);
        return rc;
    }
    if (!json_is_object(change))
        return -1;
    bool existed = row != NULL;
    if (!row)
        row = row_create(table, &uuid);
    json_free(row->json);
    row->json = json_clone(change);
    row->snapshot = snapshot;
    track(table, row, existed ? IDL_ROW_REPLACED : IDL_ROW_INSERTED, NULL);
    queue_parse(idl, row);
    return 0;
}

static struct idl_table *monitored_table(const struct idl *idl, const char *name)
{
    for (size_t t = 0; t < idl->idl_class->n_tables; t++)
        if (idl->tables[t].monitored && strcmp(idl->idl_class->tables[t]->name, name) == 0)
            return &idl->tables[t];
    return NULL;
}

int idl_apply_update(struct idl *idl, const char *text)
{
    char *error = NULL;
    struct json *record = json_parse(text, strlen(text), &error);
    if (!record || !json_is_object(record)) {
        vlog_err("idl: unreadable update from vsw-dbd: %s", error ? error : "not an object");
        free(error);
        json_free(record);
        idl->synced = false;
        return -1;
    }
    int rc = 0;
    for (size_t t = 0; rc == 0 && t < json_object_size(record); t++) {
        struct idl_table *table = monitored_table(idl, json_object_key_at(record, t));
        const struct json *rows = json_object_value_at(record, t);
        for (size_t r = 0; table && rc == 0 && r < json_object_size(rows); r++) {
            rc = apply_row(idl, table, json_object_key_at(rows, r),
                           json_object_value_at(rows, r), idl->snapshots_loaded);
            if (rc < 0)
                vlog_err("idl: vsw-dbd sent a change to %s row %s that does not apply",
                         table->table_class->name, json_object_key_at(rows, r));
        }
    }
    json_free(record);
    parse_queued(idl);
    if (rc < 0)
        idl->synced = false;   /* the caller refetches, so a half-applied record does not last */
    return rc;
}

int idl_load_snapshot(struct idl *idl, const char *text)
{
    char *error = NULL;
    struct json *updates = json_parse(text, strlen(text), &error);
    if (!updates || !json_is_object(updates)) {
        vlog_err("idl: vsw-dbd sent an unreadable snapshot: %s", error ? error : "not an object");
        free(error);
        json_free(updates);
        idl->synced = false;
        return -1;
    }
    int rc = 0;
    uint64_t generation = ++idl->snapshots_loaded;
    for (size_t t = 0; t < idl->idl_class->n_tables; t++) {
        struct idl_table *table = &idl->tables[t];
        if (!table->monitored)
            continue;
        const struct json *rows = json_object_get(updates, table->table_class->name);
        for (size_t r = 0; rc == 0 && r < json_object_size(rows); r++) {
            const struct json *row = json_object_get(json_object_value_at(rows, r), "new");
            rc = row ? apply_row(idl, table, json_object_key_at(rows, r), row, generation) : -1;
        }
        /* The rows the snapshot lacks are gone. */
        for (struct hmap_node *n = hmap_first(&table->rows), *next; rc == 0 && n; n = next) {
            next = hmap_next(&table->rows, n);
            struct idl_row *row = row_of(n);
            if (row->snapshot != generation)
                delete_row(table, row);
        }
    }
    json_free(updates);
    parse_queued(idl);
    idl->synced = rc == 0;
    return rc;
}

/* ---- Reading ---- */

const struct json *idl_row_json(const struct idl_row *row)
{
    return row->json;
}

const struct idl_row *idl_first_row(const struct idl *idl, const struct idl_table_class *table)
{
    return row_of(hmap_first(&idl_table_of(idl, table)->rows));
}

const struct idl_row *idl_next_row(const struct idl *idl, const struct idl_row *row)
{
    if (row->change == IDL_ROW_DELETED)
        return NULL;   /* not in the table any more */
    return row_of(hmap_next(&idl_table_of(idl, row->table_class)->rows, &row->node->hmap));
}

const struct idl_row *idl_row_for_uuid(const struct idl *idl, const struct idl_table_class *table,
                                       const struct uuid *uuid)
{
    return find_row(idl_table_of(idl, table), uuid);
}

const struct idl_row *idl_first_tracked(const struct idl *idl,
                                        const struct idl_table_class *table)
{
    return idl_table_of(idl, table)->tracked;
}

const char *idl_row_map_get(const struct idl_row *row, size_t column, const char *key)
{
    const struct idl_column *c = &row->table_class->columns[column];
    if (c->key_type != IDL_STRING || c->value_type != IDL_STRING || c->key_ref >= 0 ||
        c->value_ref >= 0)
        return NULL;
    const char *base = (const char *)row;
    char *const *keys = *(char *const *const *)(base + c->member);
    char *const *values = *(char *const *const *)(base + c->values);
    size_t n = *(const size_t *)(base + c->count);
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0)
            return values[i];
    return NULL;
}

struct json *idl_table_json(const struct idl *idl, const char *name)
{
    const struct idl_table *table = monitored_table(idl, name);
    if (!table)
        return NULL;
    struct json *rows = json_object_new();
    for (struct hmap_node *n = hmap_first(&table->rows); n; n = hmap_next(&table->rows, n)) {
        const struct idl_row *row = row_of(n);
        char uuid[UUID_STRING_LEN + 1];
        uuid_to_string(&row->uuid, uuid);
        json_object_put(rows, uuid, json_clone(row->json));
    }
    return rows;
}

/* ---- Life cycle and the link to vsw-dbd ---- */

/* The daemon's link to vsw-dbd, declared with daemon_add_peer(). */
static struct ipc_client *dbd_client(struct daemon *d)
{
    for (int i = 0; d && i < d->n_peers; i++) {
        if (strcmp(d->peers[i].peer, "vsw-dbd") == 0)
            return &d->peers[i].client;
    }
    return NULL;
}

static int transact_over_ipc(void *arg, const char *params, char **result, uint64_t *seq,
                             char **error)
{
    struct ipc_client *client = arg;
    Vsw__TransactRequest req = VSW__TRANSACT_REQUEST__INIT;
    req.params_json = (char *)params;
    ProtobufCMessage *reply = NULL;
    struct ipc_error err;
    if (ipc_call(client, VSW__DBD_TYPE__DBD_TRANSACT, &req.base,
                 &vsw__transact_reply__descriptor, &reply, &err) < 0) {
        *error = xstrdup(err.message);
        return -1;
    }
    const Vsw__TransactReply *r = (const Vsw__TransactReply *)reply;
    *seq = r->committed ? r->seq : 0;
    *result = xstrdup(r->result_json);
    protobuf_c_message_free_unpacked(reply, NULL);
    return 0;
}

/* RFC 7047 <monitor-requests> for the replicated tables: every column. */
static char *monitor_requests(const struct idl *idl)
{
    struct json *requests = json_object_new();
    for (size_t t = 0; t < idl->idl_class->n_tables; t++)
        if (idl->tables[t].monitored)
            json_object_put(requests, idl->idl_class->tables[t]->name, json_object_new());
    char *text = json_to_string(requests);
    json_free(requests);
    return text;
}

int idl_init(struct idl *idl, struct daemon *daemon, const struct idl_class *idl_class,
             const struct idl_table_class *const *tables, size_t n_tables,
             idl_changed_fn *changed, void *arg)
{
    memset(idl, 0, sizeof *idl);
    idl->idl_class = idl_class;
    idl->changed = changed;
    idl->arg = arg;
    idl->tables = xzalloc(idl_class->n_tables * sizeof *idl->tables);
    for (size_t t = 0; t < idl_class->n_tables; t++) {
        idl->tables[t].table_class = idl_class->tables[t];
        hmap_init(&idl->tables[t].rows);
        idl->tables[t].monitored = tables == NULL;
    }
    for (size_t i = 0; tables && i < n_tables; i++)
        idl->tables[tables[i]->index].monitored = true;
    idl->requests = monitor_requests(idl);
    if (daemon) {
        idl->client = dbd_client(daemon);
        if (!idl->client) {
            vlog_err("idl: %s has no link to vsw-dbd", daemon->name);
            return -1;
        }
        idl_set_transport(idl, transact_over_ipc, idl->client);
    }
    return 0;
}

void idl_set_transport(struct idl *idl, idl_transport_fn *transport, void *arg)
{
    idl->transport = transport;
    idl->transport_arg = arg;
}

void idl_destroy(struct idl *idl)
{
    if (!idl->idl_class)
        return;
    idl_forget_changes(idl);
    for (size_t t = 0; t < idl->idl_class->n_tables; t++) {
        struct hmap *rows = &idl->tables[t].rows;
        for (struct hmap_node *n = hmap_first(rows), *next; n; n = next) {
            next = hmap_next(rows, n);
            row_free(row_of(n));
        }
        hmap_destroy(rows);
    }
    free(idl->tables);
    free(idl->requests);
    memset(idl, 0, sizeof *idl);
}

int idl_sync(struct idl *idl)
{
    Vsw__MonitorRequest req = VSW__MONITOR_REQUEST__INIT;
    req.requests_json = idl->requests;
    ProtobufCMessage *reply = NULL;
    struct ipc_error err;
    idl->synced = false;
    if (!idl->client)
        return -1;
    if (ipc_call(idl->client, VSW__DBD_TYPE__DBD_MONITOR, &req.base,
                 &vsw__monitor_reply__descriptor, &reply, &err) < 0) {
        vlog_warn("idl: fetching a snapshot from vsw-dbd failed: %s", err.message);
        return -1;
    }
    const Vsw__MonitorReply *r = (const Vsw__MonitorReply *)reply;
    int rc = idl_load_snapshot(idl, r->updates_json);
    idl->epoch = r->epoch;
    idl->seq = r->seq;
    idl->own_seq = 0;   /* a number of the stream before this snapshot, maybe of another epoch */
    protobuf_c_message_free_unpacked(reply, NULL);
    if (rc < 0)
        return -1;
    idl->syncs++;
    vlog_debug("idl: synced at sequence %llu", (unsigned long long)idl->seq);
    if (idl->changed)
        idl->changed(idl->arg, idl);
    return 0;
}

void idl_handle_notification(struct idl *idl, const Vsw__Envelope *env)
{
    /* The replica keeps its own position: a snapshot covers everything up to idl->seq, so
     * older messages are skipped and anything but the next one means refetching. */
    if (!idl->synced || env->epoch != idl->epoch || env->seq > idl->seq + 1) {
        idl_sync(idl);
        return;
    }
    if (env->seq <= idl->seq)
        return;
    idl->seq = env->seq;
    if (env->type != VSW__DBD_TYPE__DBD_UPDATE)
        return;
    Vsw__DbdUpdate *update = vsw__dbd_update__unpack(NULL, env->payload.len, env->payload.data);
    if (!update || idl_apply_update(idl, update->record_json) < 0) {
        vsw__dbd_update__free_unpacked(update, NULL);
        idl_sync(idl);
        return;
    }
    vsw__dbd_update__free_unpacked(update, NULL);
    if (idl->changed && env->seq != idl->own_seq)
        idl->changed(idl->arg, idl);
}

/* The first operation result carrying an "error", described, or NULL. */
char *idl_first_error(const struct json *result, size_t *index)
{
    for (size_t i = 0; i < json_array_size(result); i++) {
        const struct json *op = json_array_at(result, i);
        const struct json *error = json_object_get(op, "error");
        if (!error)
            continue;
        const char *details = json_string(json_object_get(op, "details"));
        char *text = NULL;
        if (index)
            *index = i;
        if (asprintf(&text, "operation %zu: %s%s%s", i, json_string(error),
                     *details ? ": " : "", details) < 0)
            abort();
        return text;
    }
    return NULL;
}

int idl_transact_text(struct idl *idl, const char *params, struct json **result, char **error)
{
    *result = NULL;
    *error = NULL;
    if (!idl->transport) {
        *error = xstrdup("no link to vsw-dbd");
        return -1;
    }
    char *text = NULL;
    uint64_t seq = 0;
    if (idl->transport(idl->transport_arg, params, &text, &seq, error) < 0)
        return -1;
    if (seq)
        idl->own_seq = seq;
    *result = json_parse(text, strlen(text), error);
    free(text);
    return *result ? 0 : -1;
}

int idl_transact(struct idl *idl, struct json *params, struct json **result, char **error)
{
    char *text = json_to_string(params);
    json_free(params);
    int rc = idl_transact_text(idl, text, result, error);
    free(text);
    if (rc < 0)
        return -1;
    *error = idl_first_error(*result, NULL);
    return *error ? -1 : 0;
}
