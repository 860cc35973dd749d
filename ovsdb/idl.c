#include "ovsdb/idl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

/* The daemon's link to vsw-dbd, declared with daemon_add_peer(). */
static struct ipc_client *dbd_client(struct daemon *d)
{
    for (int i = 0; i < d->n_peers; i++) {
        if (strcmp(d->peers[i].peer, "vsw-dbd") == 0)
            return &d->peers[i].client;
    }
    return NULL;
}

int idl_init(struct idl *idl, struct daemon *daemon, const char *requests,
             idl_changed_fn *changed, void *arg)
{
    memset(idl, 0, sizeof *idl);
    idl->daemon = daemon;
    idl->client = dbd_client(daemon);
    idl->changed = changed;
    idl->arg = arg;
    idl->requests = strdup(requests);
    idl->tables = json_object_new();
    idl->changed_rows = json_object_new();
    idl->all_changed = true;
    if (!idl->client) {
        vlog_err("idl: %s has no link to vsw-dbd", daemon->name);
        return -1;
    }
    return idl->requests ? 0 : -1;
}

void idl_destroy(struct idl *idl)
{
    free(idl->requests);
    json_free(idl->tables);
    json_free(idl->changed_rows);
    memset(idl, 0, sizeof *idl);
}

/* Converts RFC 7047 <table-updates> ({"T": {"u": {"new": row}}}) into replica form. Every
 * monitored table gets an entry, even when empty in the snapshot: updates to tables without one
 * are ignored as not monitored. */
static struct json *tables_from_updates(const char *requests, const struct json *updates)
{
    struct json *tables = json_object_new();
    struct json *monitored = json_parse(requests, strlen(requests), NULL);
    for (size_t t = 0; t < json_object_size(monitored); t++)
        json_object_put(tables, json_object_key_at(monitored, t), json_object_new());
    json_free(monitored);
    for (size_t t = 0; t < json_object_size(updates); t++) {
        const struct json *rows = json_object_value_at(updates, t);
        struct json *table = json_object_new();
        for (size_t r = 0; r < json_object_size(rows); r++) {
            const struct json *row = json_object_get(json_object_value_at(rows, r), "new");
            if (row)
                json_object_put(table, json_object_key_at(rows, r), json_clone(row));
        }
        json_object_put(tables, json_object_key_at(updates, t), table);
    }
    return tables;
}

int idl_sync(struct idl *idl)
{
    Vsw__MonitorRequest req = VSW__MONITOR_REQUEST__INIT;
    req.requests_json = idl->requests;
    ProtobufCMessage *reply = NULL;
    struct ipc_error err;
    idl->synced = false;
    if (ipc_call(idl->client, VSW__DBD_TYPE__DBD_MONITOR, &req.base,
                 &vsw__monitor_reply__descriptor, &reply, &err) < 0) {
        vlog_warn("idl: fetching a snapshot from vsw-dbd failed: %s", err.message);
        return -1;
    }
    const Vsw__MonitorReply *r = (const Vsw__MonitorReply *)reply;
    char *error = NULL;
    struct json *updates = json_parse(r->updates_json, strlen(r->updates_json), &error);
    if (!updates || !json_is_object(updates)) {
        vlog_err("idl: vsw-dbd sent an unreadable snapshot: %s", error ? error : "not an object");
        free(error);
        json_free(updates);
        protobuf_c_message_free_unpacked(reply, NULL);
        return -1;
    }
    json_free(idl->tables);
    idl->tables = tables_from_updates(idl->requests, updates);
    json_free(updates);
    idl->epoch = r->epoch;
    idl->seq = r->seq;
    idl->own_seq = 0;   /* a number of the stream before this snapshot, maybe of another epoch */
    idl->all_changed = true;
    idl->synced = true;
    idl->syncs++;
    protobuf_c_message_free_unpacked(reply, NULL);
    vlog_debug("idl: synced at sequence %llu", (unsigned long long)idl->seq);
    if (idl->changed)
        idl->changed(idl->arg, idl);
    return 0;
}

static bool tagged(const struct json *value, const char *tag);

/* The elements of a set or map value as a mutable array (["set"/"map", array]), creating that
 * form from absent (empty) or a bare atom (a one-element set). */
static struct json *elements_of(struct json *row, const char *name, bool map)
{
    struct json *value = json_object_get(row, name);
    if (tagged(value, map ? "map" : "set"))
        return json_array_at(value, 1);
    struct json *elements = json_array_new();
    if (value && !map && !tagged(value, "set"))
        json_array_append(elements, json_clone(value));
    struct json *form = json_array_new();
    json_array_append(form, json_string_new(map ? "map" : "set"));
    json_array_append(form, elements);
    json_object_put(row, name, form);
    return elements;
}

/* The index in `elements` of `atom` (a set element), or of the pair whose key is `atom`. */
static long find_element(const struct json *elements, const struct json *atom, bool map)
{
    for (size_t i = 0; i < json_array_size(elements); i++) {
        const struct json *e = json_array_at(elements, i);
        if (json_equal(map ? json_array_at(e, 0) : e, atom))
            return (long)i;
    }
    return -1;
}

/* A large difference against a large set: one pass over each, elements matched by their text. */
static void toggle_many(struct json *elements, const struct json *diff)
{
    struct json *pending = json_object_new();   /* text -> element, those not matched yet */
    for (size_t j = 0; j < json_array_size(diff); j++) {
        char *text = json_to_string(json_array_at(diff, j));
        json_object_put(pending, text, json_clone(json_array_at(diff, j)));
        free(text);
    }
    for (size_t i = 0; i < json_array_size(elements);) {
        char *text = json_to_string(json_array_at(elements, i));
        struct json *match = json_object_remove(pending, text);
        free(text);
        if (match) {
            json_free(match);
            json_free(json_array_remove(elements, i));
        } else {
            i++;
        }
    }
    while (json_object_size(pending)) {
        const char *text = json_object_key_at(pending, 0);
        json_array_append(elements, json_object_remove(pending, text));
    }
    json_free(pending);
}

/* Applies a set or map difference (see db_datum_append_diff_json()) to column `name`.
 * Returns 1 if it only added elements to a set, 0 otherwise, -1 if malformed. */
static int toggle_column(struct json *row, const char *name, const struct json *diff)
{
    bool map = tagged(diff, "map");
    if (!map && !tagged(diff, "set"))
        return -1;
    struct json *elements = elements_of(row, name, map);
    const struct json *changes = json_array_at(diff, 1);
    size_t before = json_array_size(elements);
    if (!map && json_array_size(changes) > 16) {
        toggle_many(elements, changes);
        return json_array_size(elements) == before + json_array_size(changes);
    }
    bool grew = !map;
    for (size_t j = 0; j < json_array_size(changes); j++) {
        const struct json *change = json_array_at(changes, j);
        if (map && (!json_is_array(change) || json_array_size(change) != 2))
            return -1;
        long at = find_element(elements, map ? json_array_at(change, 0) : change, map);
        bool same = at >= 0 && (!map || json_equal(json_array_at(json_array_at(elements,
                                                                             (size_t)at), 1),
                                                   json_array_at(change, 1)));
        if (at >= 0)
            json_free(json_array_remove(elements, (size_t)at));
        if (!same)   /* new, or a map key with another value */
            json_array_append(elements, json_clone(change));
        grew = grew && at < 0;
    }
    return grew;
}

static struct json *grew_by(const struct json *diff)
{
    struct json *grew = json_array_append(json_array_new(), json_string_new("grew"));
    return json_array_append(grew, json_clone(diff));
}

/* Applies ["modify", {new values}, {set and map differences}] to `row`; `columns` gets each
 * changed column's description (see idl_changes()). */
static int modify_row(struct json *row, const struct json *change, struct json *columns)
{
    const struct json *replaced = json_array_at(change, 1), *toggled = json_array_at(change, 2);
    if (!row || json_array_size(change) != 3 || !json_is_object(replaced) ||
        !json_is_object(toggled))
        return -1;
    for (size_t i = 0; i < json_object_size(replaced); i++) {
        const char *name = json_object_key_at(replaced, i);
        json_object_put(row, name, json_clone(json_object_value_at(replaced, i)));
        if (strcmp(name, "_version") != 0)   /* changes with any change */
            json_object_put(columns, name, json_string_new("changed"));
    }
    for (size_t i = 0; i < json_object_size(toggled); i++) {
        const char *name = json_object_key_at(toggled, i);
        const struct json *diff = json_object_value_at(toggled, i);
        int grew = toggle_column(row, name, diff);
        if (grew < 0)
            return -1;
        json_object_put(columns, name, grew ? grew_by(diff) : json_string_new("changed"));
    }
    return 0;
}

bool idl_change_is(const struct json *change, const char *field, const char *value)
{
    const char *have = json_string(json_object_get(change, field));
    return have && strcmp(have, value) == 0;
}

/* Adds one row's change to idl->changed_rows, merged with what the batch holds for it. */
static void note_change(struct idl *idl, const char *table, const char *uuid, const char *kind,
                        struct json *columns)
{
    struct json *had = json_object_get(idl->changed_rows, uuid);
    if (had && strcmp(kind, "modify") == 0 && (idl_change_is(had, "kind", "insert") ||
                                               idl_change_is(had, "kind", "modify"))) {
        struct json *merged = json_object_get(had, "columns");
        for (size_t i = 0; i < json_object_size(columns); i++) {
            const char *name = json_object_key_at(columns, i);
            bool twice = json_object_get(merged, name) != NULL;
            json_object_put(merged, name, twice ? json_string_new("changed")
                                                : json_clone(json_object_value_at(columns, i)));
        }
        json_free(columns);
        return;
    }
    if (had && strcmp(kind, "delete") != 0)
        kind = "replace";   /* e.g. deleted, then inserted again */
    struct json *change = json_object_new();
    json_object_put(change, "table", json_string_new(table));
    json_object_put(change, "kind", json_string_new(kind));
    json_object_put(change, "columns", columns);
    json_object_put(idl->changed_rows, uuid, change);
}

/* Applies a change record to the monitored tables. Returns 0, or -1 if it is unreadable (the
 * caller then refetches everything, so a half-applied record does not last). */
static int apply_record(struct idl *idl, const char *text)
{
    char *error = NULL;
    struct json *record = json_parse(text, strlen(text), &error);
    if (!record || !json_is_object(record)) {
        vlog_err("idl: unreadable update from vsw-dbd: %s", error ? error : "not an object");
        free(error);
        json_free(record);
        return -1;
    }
    for (size_t t = 0; t < json_object_size(record); t++) {
        struct json *table = json_object_get(idl->tables, json_object_key_at(record, t));
        if (!table)
            continue;   /* not monitored */
        const struct json *rows = json_object_value_at(record, t);
        for (size_t r = 0; r < json_object_size(rows); r++) {
            const char *uuid = json_object_key_at(rows, r);
            const struct json *row = json_object_value_at(rows, r);
            const char *name = json_object_key_at(record, t);
            struct json *columns = json_object_new();
            const char *kind;
            if (json_is_null(row)) {
                json_free(json_object_remove(table, uuid));
                kind = "delete";
            } else if (json_is_array(row)) {
                if (modify_row(json_object_get(table, uuid), row, columns) < 0) {
                    vlog_err("idl: vsw-dbd sent a change to row %s that does not apply", uuid);
                    json_free(columns);
                    json_free(record);
                    return -1;
                }
                kind = "modify";
            } else {
                kind = json_object_get(table, uuid) ? "replace" : "insert";
                json_object_put(table, uuid, json_clone(row));
            }
            note_change(idl, name, uuid, kind, columns);
        }
    }
    json_free(record);
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
    if (!update || apply_record(idl, update->record_json) < 0) {
        vsw__dbd_update__free_unpacked(update, NULL);
        idl_sync(idl);
        return;
    }
    vsw__dbd_update__free_unpacked(update, NULL);
    if (idl->changed && env->seq != idl->own_seq)
        idl->changed(idl->arg, idl);
}

bool idl_row_unchanged(const struct idl *idl, const char *uuid)
{
    return !idl->all_changed && !json_object_get(idl->changed_rows, uuid);
}

const struct json *idl_changes(const struct idl *idl)
{
    return idl->all_changed ? NULL : idl->changed_rows;
}

void idl_forget_changes(struct idl *idl)
{
    json_free(idl->changed_rows);
    idl->changed_rows = json_object_new();
    idl->all_changed = false;
}

const struct json *idl_table(const struct idl *idl, const char *table)
{
    return json_object_get(idl->tables, table);
}

/* The first operation result carrying an "error", described, or NULL. */
static char *first_error(const struct json *result)
{
    for (size_t i = 0; i < json_array_size(result); i++) {
        const struct json *op = json_array_at(result, i);
        const struct json *error = json_object_get(op, "error");
        if (!error)
            continue;
        const char *details = json_string(json_object_get(op, "details"));
        char *text = NULL;
        if (asprintf(&text, "operation %zu: %s%s%s", i, json_string(error),
                     *details ? ": " : "", details) < 0)
            return strdup("error");
        return text;
    }
    return NULL;
}

int idl_transact(struct idl *idl, struct json *params, struct json **result, char **error)
{
    *result = NULL;
    *error = NULL;
    char *text = json_to_string(params);
    json_free(params);
    Vsw__TransactRequest req = VSW__TRANSACT_REQUEST__INIT;
    req.params_json = text;
    ProtobufCMessage *reply = NULL;
    struct ipc_error err;
    int rc = ipc_call(idl->client, VSW__DBD_TYPE__DBD_TRANSACT, &req.base,
                      &vsw__transact_reply__descriptor, &reply, &err);
    free(text);
    if (rc < 0) {
        *error = strdup(err.message);
        return -1;
    }
    const Vsw__TransactReply *r = (const Vsw__TransactReply *)reply;
    if (r->committed)
        idl->own_seq = r->seq;
    char *parse_error = NULL;
    *result = json_parse(r->result_json, strlen(r->result_json), &parse_error);
    protobuf_c_message_free_unpacked(reply, NULL);
    if (!*result) {
        *error = parse_error;
        return -1;
    }
    *error = first_error(*result);
    return *error ? -1 : 0;
}

/* ---- Reading values ---- */

/* A column's value, or NULL when absent (the column's default). */
static const struct json *column(const struct json *row, const char *name)
{
    return json_object_get(row, name);
}

/* True if `value` is ["set", [...]] (or ["map", ...] when `tag` is "map"). */
static bool tagged(const struct json *value, const char *tag)
{
    return json_is_array(value) && json_array_size(value) == 2 &&
           strcmp(json_string(json_array_at(value, 0)), tag) == 0 &&
           json_is_array(json_array_at(value, 1));
}

/* A scalar column may also be written as a set of zero or one element. */
static const struct json *scalar(const struct json *row, const char *name)
{
    const struct json *v = column(row, name);
    if (tagged(v, "set"))
        return json_array_at(json_array_at(v, 1), 0);
    return v;
}

const char *ovsdb_row_string(const struct json *row, const char *name)
{
    return json_string(scalar(row, name));
}

bool ovsdb_row_integer(const struct json *row, const char *name, int64_t *value)
{
    const struct json *v = scalar(row, name);   /* NULL if absent or the empty set */
    if (!json_is_integer(v))
        return false;
    *value = json_integer(v);
    return true;
}

bool ovsdb_row_boolean(const struct json *row, const char *name)
{
    return json_boolean(scalar(row, name));
}

size_t ovsdb_set_size(const struct json *value)
{
    if (!value)
        return 0;
    return tagged(value, "set") ? json_array_size(json_array_at(value, 1)) : 1;
}

const struct json *ovsdb_set_at(const struct json *value, size_t i)
{
    if (tagged(value, "set"))
        return json_array_at(json_array_at(value, 1), i);
    return i == 0 ? value : NULL;
}

size_t ovsdb_row_set_size(const struct json *row, const char *name)
{
    return ovsdb_set_size(column(row, name));
}

const struct json *ovsdb_row_set_at(const struct json *row, const char *name, size_t i)
{
    return ovsdb_set_at(column(row, name), i);
}

const char *ovsdb_row_map_get(const struct json *row, const char *name, const char *key)
{
    const struct json *v = column(row, name);
    if (!tagged(v, "map"))
        return NULL;
    const struct json *pairs = json_array_at(v, 1);
    for (size_t i = 0; i < json_array_size(pairs); i++) {
        const struct json *pair = json_array_at(pairs, i);
        if (strcmp(json_string(json_array_at(pair, 0)), key) == 0)
            return json_string(json_array_at(pair, 1));
    }
    return NULL;
}

const char *ovsdb_atom_uuid(const struct json *atom)
{
    if (!json_is_array(atom) || json_array_size(atom) != 2)
        return NULL;
    const char *tag = json_string(json_array_at(atom, 0));
    if (strcmp(tag, "uuid") != 0 && strcmp(tag, "named-uuid") != 0)
        return NULL;
    return json_string(json_array_at(atom, 1));
}
