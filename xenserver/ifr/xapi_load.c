/* Loading this host's network records from XAPI (IFR-05, IFR-06). */
#include "xenserver/ifr/xapi_load.h"

#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "lib/log.h"
#include "xapi/xapi.h"
#include "xenserver/ifr/netdb.h"

static void xapi_failed(char *error, size_t size, struct xapi_error *err)
{
    snprintf(error, size, "%s", err->message);
    xapi_error_clear(err);
}

/* Copies the fields of `cls` from a XAPI record, other_config filtered to the allowed keys.
 * Returns the copy, or NULL with `error` when a field is missing or of the wrong type. */
static struct json *copy_record(const struct netdb_class *cls, const char *ref,
                                const struct json *rec, char *error, size_t size)
{
    struct json *copy = json_object_new();
    for (size_t i = 0; i < cls->n_fields; i++) {
        const struct netdb_field *f = &cls->fields[i];
        const struct json *v = json_object_get(rec, f->name);
        if (!v && f->kind == NETDB_OPTIONAL)
            continue;   /* network MTU: absent on XenServer 5.5 */
        bool ok = (f->kind == NETDB_STRING && json_is_string(v)) ||
                  (f->kind == NETDB_OPTIONAL && json_is_string(v)) ||
                  (f->kind == NETDB_BOOL && json_is_boolean(v)) ||
                  (f->kind == NETDB_LIST && json_is_array(v)) ||
                  (f->kind == NETDB_MAP && json_is_object(v));
        if (!ok) {
            snprintf(error, size, "XAPI's %s record %s has %s %s", cls->name, ref,
                     v ? "a malformed" : "no", f->name);
            json_free(copy);
            return NULL;
        }
        if (f->kind != NETDB_MAP) {
            json_object_put(copy, f->name, json_clone(v));
            continue;
        }
        struct json *map = json_object_new();
        json_object_put(copy, f->name, map);
        for (size_t k = 0; k < json_object_size(v); k++) {
            const char *key = json_object_key_at(v, k);
            if (netdb_allowed_key(cls, key) && json_is_string(json_object_value_at(v, k)))
                json_object_put(map, key, json_clone(json_object_value_at(v, k)));
            else
                vlog_debug("dropping other_config:%s of %s %s", key, cls->name, ref);
        }
    }
    return copy;
}

/* Every record of `xclass` ("PIF", ...) as {ref: record}: get_all_records. */
static struct json *all_records(struct xapi *x, const char *xclass, char *error, size_t size)
{
    char method[64];
    snprintf(method, sizeof method, "%s.get_all_records", xclass);
    struct xapi_error err;
    struct json *records = xapi_call(x, method, NULL, &err);
    if (!records) {
        xapi_failed(error, size, &err);
        return NULL;
    }
    if (!json_is_object(records)) {
        snprintf(error, size, "%s did not return records", method);
        json_free(records);
        return NULL;
    }
    return records;
}

/* The same through get_all and get_record, as the old script read pools and tunnels. */
static struct json *records_one_by_one(struct xapi *x, const char *xclass, char *error,
                                       size_t size)
{
    char method[64];
    snprintf(method, sizeof method, "%s.get_all", xclass);
    struct xapi_error err;
    struct json *refs = xapi_call(x, method, NULL, &err);
    if (!refs) {
        xapi_failed(error, size, &err);
        return NULL;
    }
    struct json *records = json_object_new();
    snprintf(method, sizeof method, "%s.get_record", xclass);
    for (size_t i = 0; i < json_array_size(refs); i++) {
        const char *ref = json_string(json_array_at(refs, i));
        struct json *rec = *ref ? xapi_call_strings(x, &err, method, ref, NULL) : NULL;
        if (!rec || !json_is_object(rec)) {
            if (rec || !*ref)
                snprintf(error, size, "%s %s did not return a record", method, ref);
            else
                xapi_failed(error, size, &err);
            json_free(rec);
            json_free(records);
            json_free(refs);
            return NULL;
        }
        json_object_put(records, ref, rec);
    }
    json_free(refs);
    return records;
}

static bool on_host(const struct json *db, const char *pif)
{
    return netdb_get(db, "pif", pif) != NULL;
}

/* Copies the records of `from` for which `keep(field)` holds into `cls`. */
static int copy_class(struct json *db, const char *cls_name, const struct json *from,
                      const char *host_field, char *error, size_t size)
{
    const struct netdb_class *cls = netdb_class(cls_name);
    struct json *to = netdb_records(db, cls_name);
    for (size_t i = 0; i < json_object_size(from); i++) {
        const char *ref = json_object_key_at(from, i);
        const struct json *rec = json_object_value_at(from, i);
        if (host_field && !on_host(db, json_string(json_object_get(rec, host_field))))
            continue;
        struct json *copy = copy_record(cls, ref, rec, error, size);
        if (!copy)
            return -1;
        json_object_put(to, ref, copy);
    }
    return 0;
}

static int load_pifs(struct xapi *x, struct json *db, const char *host, char *error,
                     size_t size)
{
    struct json *pifs = all_records(x, "PIF", error, size);
    if (!pifs)
        return -1;
    const struct netdb_class *cls = netdb_class("pif");
    struct json *to = netdb_records(db, "pif");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_object_size(pifs); i++) {
        const struct json *rec = json_object_value_at(pifs, i);
        const char *owner = json_string(json_object_get(rec, "host"));
        if (!owner || strcmp(owner, host) != 0)
            continue;
        struct json *copy = copy_record(cls, json_object_key_at(pifs, i), rec, error, size);
        if (copy)
            json_object_put(to, json_object_key_at(pifs, i), copy);
        else
            rc = -1;
    }
    json_free(pifs);
    return rc;
}

/* Networks, each with its PIFs reduced to this host's. */
static int load_networks(struct xapi *x, struct json *db, char *error, size_t size)
{
    struct json *networks = all_records(x, "network", error, size);
    if (!networks)
        return -1;
    int rc = copy_class(db, "network", networks, NULL, error, size);
    json_free(networks);
    struct json *copies = netdb_records(db, "network");
    for (size_t i = 0; rc == 0 && i < json_object_size(copies); i++) {
        struct json *rec = json_object_value_at(copies, i);
        const struct json *all = json_object_get(rec, "PIFs");
        struct json *mine = json_array_new();
        for (size_t p = 0; p < json_array_size(all); p++)
            if (on_host(db, json_string(json_array_at(all, p))))
                json_array_append(mine, json_clone(json_array_at(all, p)));
        json_object_put(rec, "PIFs", mine);
    }
    return rc;
}

struct json *xapi_load(struct xapi *x, const char *host_uuid, char *error, size_t size)
{
    struct xapi_error err;
    struct json *host = xapi_call_strings(x, &err, "host.get_by_uuid", host_uuid, NULL);
    if (!host) {
        xapi_failed(error, size, &err);
        return NULL;
    }
    struct json *db = netdb_new();
    const char *host_ref = json_string(host);
    struct json *records[4] = { NULL, NULL, NULL, NULL };
    int rc = *host_ref ? load_pifs(x, db, host_ref, error, size) : -1;
    if (!*host_ref)
        snprintf(error, size, "host.get_by_uuid did not return a ref");
    if (rc == 0 && (records[0] = all_records(x, "Bond", error, size)) == NULL)
        rc = -1;
    if (rc == 0)
        rc = copy_class(db, "bond", records[0], "master", error, size);
    if (rc == 0 && (records[1] = all_records(x, "VLAN", error, size)) == NULL)
        rc = -1;
    if (rc == 0)
        rc = copy_class(db, "vlan", records[1], "untagged_PIF", error, size);
    if (rc == 0 && (records[2] = records_one_by_one(x, "tunnel", error, size)) == NULL)
        rc = -1;
    if (rc == 0)
        rc = copy_class(db, "tunnel", records[2], "transport_PIF", error, size);
    if (rc == 0)
        rc = load_networks(x, db, error, size);
    if (rc == 0 && (records[3] = records_one_by_one(x, "pool", error, size)) == NULL)
        rc = -1;
    if (rc == 0)
        rc = copy_class(db, "pool", records[3], NULL, error, size);
    for (size_t i = 0; i < 4; i++)
        json_free(records[i]);
    json_free(host);
    if (rc == 0 && netdb_check_refs(db, error, size) < 0)
        rc = -1;
    if (rc < 0) {
        json_free(db);
        return NULL;
    }
    return db;
}
