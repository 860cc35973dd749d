/* Bridges, ports and interfaces as ovs-vsctl sees them, looked up one name at a time.
 *
 * ovs-vsctl downloads the whole database and builds this view for every command; here each
 * lookup is one or two indexed selects (a name is a unique index in Bridge, Port and
 * Interface), whose results are cached for the rest of the attempt and re-checked at commit by
 * guards. Fake bridges are the exception: they are Port rows with fake_bridge=true, found by
 * one select (dbd scans Port for it, in memory; only the few fake ports come back). */
#include <stdlib.h>
#include <string.h>

#include "tools/cli/vsctl_private.h"

char vsctl_absent;

static void bridge_free(void *data)
{
    struct vsctl_bridge *br = data;
    if (!br || data == &vsctl_absent)
        return;
    free(br->name);
    free(br->real);
    free(br);
}

static void port_free(void *data)
{
    struct vsctl_port *port = data;
    if (!port || data == &vsctl_absent)
        return;
    free(port->name);
    free(port->real);
    free(port->bridge);
    free(port->ifaces);
    free(port);
}

static void iface_free(void *data)
{
    struct vsctl_iface *iface = data;
    if (!iface || data == &vsctl_absent)
        return;
    free(iface->name);
    free(iface->port);
    free(iface->real);
    free(iface->bridge);
    free(iface);
}

void vsctl_model_init(struct vsctl_model *model)
{
    memset(model, 0, sizeof *model);
    shash_init(&model->bridges);
    shash_init(&model->ports);
    shash_init(&model->ifaces);
    shash_init(&model->assumed);
}

static void free_fakes(struct vsctl_model *model)
{
    for (size_t i = 0; i < model->n_fakes; i++) {
        free(model->fakes[i].name);
        free(model->fakes[i].parent);
    }
    free(model->fakes);
    model->fakes = NULL;
    model->n_fakes = model->allocated_fakes = 0;
    model->fakes_loaded = false;
}

void vsctl_model_destroy(struct vsctl_model *model)
{
    shash_destroy(&model->bridges, bridge_free);
    shash_destroy(&model->ports, port_free);
    shash_destroy(&model->ifaces, iface_free);
    shash_destroy(&model->assumed, NULL);
    free_fakes(model);
}

void vsctl_model_invalidate(struct vsctl_ctx *ctx)
{
    vsctl_model_destroy(&ctx->model);
    vsctl_model_init(&ctx->model);
    ctx->model_dirty = true;
}

static void cache_replace(struct vsctl_shash *cache, const char *name, void *entry,
                          void (*free_entry)(void *))
{
    free_entry(shash_replace(cache, name, entry));
}

/* ---- fake bridges ---- */

static bool valid_vlan(int64_t tag)
{
    return tag >= 0 && tag <= 4095;
}

static void add_fake(struct vsctl_model *model, const char *name, const struct uuid *port_uuid,
                     int vlan, const char *parent)
{
    for (size_t i = 0; i < model->n_fakes; i++)
        if (uuid_equals(&model->fakes[i].port_uuid, port_uuid))
            return;
    if (model->n_fakes == model->allocated_fakes) {
        model->allocated_fakes = model->allocated_fakes ? 2 * model->allocated_fakes : 8;
        model->fakes = vsctl_xrealloc(model->fakes,
                                      model->allocated_fakes * sizeof *model->fakes);
    }
    struct vsctl_fake *fake = &model->fakes[model->n_fakes++];
    fake->name = vsctl_xstrdup(name);
    fake->port_uuid = *port_uuid;
    fake->vlan = vlan;
    fake->parent = vsctl_xstrdup(parent);
}

/* For each fake port, the bridge that holds it: one batch of selects. */
static enum vsctl_status load_fake_parents(struct vsctl_ctx *ctx, const struct json *ports)
{
    size_t n = vj_size(ports);
    struct vsctl_query *q = vsctl_xzalloc(n * sizeof *q);
    for (size_t i = 0; i < n; i++) {
        struct uuid uuid;
        row_uuid(vj_at(ports, i), "_uuid", &uuid);
        q[i] = (struct vsctl_query){ "Bridge", where_one("ports", "includes", json_uuid(&uuid)),
                                     json_strings("name", NULL), true, NULL };
    }
    enum vsctl_status status = vsctl_query(ctx, VIEW_MODEL, q, n);
    for (size_t i = 0; status == VSCTL_OK && i < n; i++) {
        const struct json *port = vj_at(ports, i);
        struct uuid uuid;
        int64_t tag;
        row_uuid(port, "_uuid", &uuid);
        row_opt_integer(port, "tag", &tag);
        if (vj_size(q[i].rows) == 1)
            add_fake(&ctx->model, row_string(port, "name"), &uuid, (int)tag,
                     row_string(vj_at(q[i].rows, 0), "name"));
    }
    for (size_t i = 0; i < n; i++)
        json_free(q[i].rows);
    free(q);
    return status;
}

enum vsctl_status vsctl_load_fakes(struct vsctl_ctx *ctx)
{
    if (ctx->model.fakes_loaded)
        return VSCTL_OK;
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_MODEL, "Port",
                                            where_one("fake_bridge", "==",
                                                      json_boolean_new(true)),
                                            json_strings("_uuid", "name", "tag", NULL), true,
                                            &rows);
    if (status != VSCTL_OK)
        return status;
    /* Only a fake port with a valid VLAN is a fake bridge, as in ovs-vsctl. */
    struct json *fakes = json_array_new();
    for (size_t i = 0; i < vj_size(rows); i++) {
        int64_t tag;
        const struct json *row = vj_at(rows, i);
        if (row_opt_integer(row, "tag", &tag) && valid_vlan(tag))
            json_array_append(fakes, json_clone(row));
    }
    status = load_fake_parents(ctx, fakes);
    json_free(fakes);
    json_free(rows);
    if (status == VSCTL_OK)
        ctx->model.fakes_loaded = true;
    return status;
}

static const struct vsctl_fake *fake_by_name(const struct vsctl_model *model, const char *name)
{
    for (size_t i = 0; i < model->n_fakes; i++)
        if (!strcmp(model->fakes[i].name, name))
            return &model->fakes[i];
    return NULL;
}

static const struct vsctl_fake *fake_by_vlan(const struct vsctl_model *model, const char *parent,
                                             int64_t vlan)
{
    for (size_t i = 0; i < model->n_fakes; i++)
        if (model->fakes[i].vlan == vlan && !strcmp(model->fakes[i].parent, parent))
            return &model->fakes[i];
    return NULL;
}

/* The bridge a port with `tag` on real bridge `real` belongs to: the fake child for that VLAN
 * if there is one, else the real bridge. Malloc'd. */
static enum vsctl_status port_bridge(struct vsctl_ctx *ctx, const char *real, bool has_tag,
                                     int64_t tag, char **bridge)
{
    *bridge = NULL;
    if (has_tag && valid_vlan(tag)) {
        enum vsctl_status status = vsctl_load_fakes(ctx);
        if (status != VSCTL_OK)
            return status;
        const struct vsctl_fake *fake = fake_by_vlan(&ctx->model, real, tag);
        if (fake)
            *bridge = vsctl_xstrdup(fake->name);
    }
    if (!*bridge)
        *bridge = vsctl_xstrdup(real);
    return VSCTL_OK;
}

/* ---- bridges ---- */

static struct vsctl_bridge *bridge_new(const char *name, bool fake, const struct uuid *uuid,
                                       const char *real, int vlan)
{
    struct vsctl_bridge *br = vsctl_xzalloc(sizeof *br);
    br->name = vsctl_xstrdup(name);
    br->fake = fake;
    if (uuid)
        br->uuid = *uuid;
    br->real = vsctl_xstrdup(real);
    br->vlan = vlan;
    return br;
}

static enum vsctl_status lookup_bridge(struct vsctl_ctx *ctx, const char *name, void **entry)
{
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_MODEL, "Bridge", where_string("name", name),
                                            json_strings("_uuid", NULL), true, &rows);
    if (status != VSCTL_OK)
        return status;
    if (vj_size(rows) == 1) {
        struct uuid uuid;
        row_uuid(vj_at(rows, 0), "_uuid", &uuid);
        *entry = bridge_new(name, false, &uuid, name, 0);
        json_free(rows);
        return VSCTL_OK;
    }
    json_free(rows);
    status = vsctl_load_fakes(ctx);
    if (status != VSCTL_OK)
        return status;
    const struct vsctl_fake *fake = fake_by_name(&ctx->model, name);
    *entry = fake ? bridge_new(name, true, &fake->port_uuid, fake->parent, fake->vlan)
                  : (void *)&vsctl_absent;
    return VSCTL_OK;
}

enum vsctl_status vsctl_find_bridge(struct vsctl_ctx *ctx, const char *name, bool must_exist,
                                    const struct vsctl_bridge **result)
{
    void *entry = shash_find(&ctx->model.bridges, name);
    *result = NULL;
    if (!entry) {
        enum vsctl_status status = lookup_bridge(ctx, name, &entry);
        if (status != VSCTL_OK)
            return status;
        cache_replace(&ctx->model.bridges, name, entry, bridge_free);
    }
    if (entry == &vsctl_absent)
        return must_exist ? vsctl_fail(ctx, VSCTL_EXIT_FAILED, "no bridge named %s", name)
                          : VSCTL_OK;
    *result = entry;
    return VSCTL_OK;
}

enum vsctl_status vsctl_find_real_bridge(struct vsctl_ctx *ctx, const char *name,
                                         bool must_exist, const struct vsctl_bridge **result)
{
    enum vsctl_status status = vsctl_find_bridge(ctx, name, must_exist, result);
    if (status == VSCTL_OK && *result && (*result)->fake)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "%s is a fake bridge", name);
    return status;
}

enum vsctl_status vsctl_bridge_for_write(struct vsctl_ctx *ctx, const char *name,
                                         const struct vsctl_bridge **bridge, const char **real)
{
    *bridge = NULL;
    *real = name;
    void *entry = shash_find(&ctx->model.bridges, name);
    if (!entry && !ctx->pessimistic) {
        if (!shash_find(&ctx->model.assumed, name)) {
            vsctl_add_assume(ctx, op_wait("Bridge", where_string("name", name), json_array_new(),
                                          false, json_array_new()));
            shash_replace(&ctx->model.assumed, name, &vsctl_absent);
        }
        return VSCTL_OK;
    }
    enum vsctl_status status = vsctl_find_bridge(ctx, name, true, bridge);
    if (status == VSCTL_OK)
        *real = (*bridge)->real;
    return status;
}

/* ---- ports ---- */

static enum vsctl_status port_from_row(struct vsctl_ctx *ctx, const struct json *row,
                                       void **entry)
{
    struct uuid uuid;
    row_uuid(row, "_uuid", &uuid);
    struct json *bridges;
    enum vsctl_status status = vsctl_select(ctx, VIEW_MODEL, "Bridge",
                                            where_one("ports", "includes", json_uuid(&uuid)),
                                            json_strings("name", NULL), true, &bridges);
    if (status != VSCTL_OK)
        return status;
    if (vj_size(bridges) != 1) {
        /* Not on any bridge (garbage collection makes that impossible) or on several (which
         * ovs-vsctl warns about): not a port ovs-vsctl would show. */
        json_free(bridges);
        *entry = &vsctl_absent;
        return VSCTL_OK;
    }
    struct vsctl_port *port = vsctl_xzalloc(sizeof *port);
    port->name = vsctl_xstrdup(row_string(row, "name"));
    port->uuid = uuid;
    port->real = vsctl_xstrdup(row_string(vj_at(bridges, 0), "name"));
    port->ifaces = row_uuid_set(row, "interfaces", &port->n_ifaces);
    json_free(bridges);
    int64_t tag = -1;
    bool has_tag = row_opt_integer(row, "tag", &tag);
    status = port_bridge(ctx, port->real, has_tag, tag, &port->bridge);
    if (status != VSCTL_OK) {
        port_free(port);
        return status;
    }
    *entry = port;
    return VSCTL_OK;
}

static const char *const port_columns[] = { "_uuid", "name", "tag", "interfaces" };

static struct json *port_column_list(void)
{
    return json_strings(port_columns[0], port_columns[1], port_columns[2], port_columns[3],
                        NULL);
}

static enum vsctl_status lookup_port(struct vsctl_ctx *ctx, const char *name, void **entry)
{
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_MODEL, "Port", where_string("name", name),
                                            port_column_list(), true, &rows);
    if (status != VSCTL_OK)
        return status;
    if (vj_size(rows) == 1)
        status = port_from_row(ctx, vj_at(rows, 0), entry);
    else
        *entry = &vsctl_absent;
    json_free(rows);
    return status;
}

/* The port named `name`, including a bridge's own local port. */
static enum vsctl_status find_port_raw(struct vsctl_ctx *ctx, const char *name,
                                       const struct vsctl_port **result)
{
    void *entry = shash_find(&ctx->model.ports, name);
    *result = NULL;
    if (!entry) {
        enum vsctl_status status = lookup_port(ctx, name, &entry);
        if (status != VSCTL_OK)
            return status;
        cache_replace(&ctx->model.ports, name, entry, port_free);
    }
    if (entry != &vsctl_absent)
        *result = entry;
    return VSCTL_OK;
}

enum vsctl_status vsctl_find_port(struct vsctl_ctx *ctx, const char *name, bool must_exist,
                                  const struct vsctl_port **result)
{
    enum vsctl_status status = find_port_raw(ctx, name, result);
    if (status != VSCTL_OK)
        return status;
    if (*result && !strcmp((*result)->bridge, name))
        *result = NULL;   /* a bridge's local port is not a port in ovs-vsctl's view */
    if (!*result && must_exist)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "no port named %s", name);
    return VSCTL_OK;
}

/* ---- interfaces ---- */

static enum vsctl_status iface_from_port_row(struct vsctl_ctx *ctx, const char *name,
                                             const struct uuid *uuid, const struct json *row,
                                             void **entry)
{
    void *port_entry;
    enum vsctl_status status = port_from_row(ctx, row, &port_entry);
    if (status != VSCTL_OK)
        return status;
    if (port_entry == &vsctl_absent) {
        *entry = &vsctl_absent;
        return VSCTL_OK;
    }
    const struct vsctl_port *port = port_entry;
    struct vsctl_iface *iface = vsctl_xzalloc(sizeof *iface);
    iface->name = vsctl_xstrdup(name);
    iface->uuid = *uuid;
    iface->port = vsctl_xstrdup(port->name);
    iface->real = vsctl_xstrdup(port->real);
    iface->bridge = vsctl_xstrdup(port->bridge);
    *entry = iface;
    /* Keep what was learnt about the port too. */
    if (!shash_find(&ctx->model.ports, port->name))
        shash_replace(&ctx->model.ports, port->name, port_entry);
    else
        port_free(port_entry);
    return VSCTL_OK;
}

static enum vsctl_status lookup_iface(struct vsctl_ctx *ctx, const char *name, void **entry)
{
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_MODEL, "Interface",
                                            where_string("name", name),
                                            json_strings("_uuid", NULL), true, &rows);
    if (status != VSCTL_OK)
        return status;
    *entry = &vsctl_absent;
    if (vj_size(rows) != 1) {
        json_free(rows);
        return VSCTL_OK;
    }
    struct uuid uuid;
    row_uuid(vj_at(rows, 0), "_uuid", &uuid);
    json_free(rows);
    status = vsctl_select(ctx, VIEW_MODEL, "Port",
                          where_one("interfaces", "includes", json_uuid(&uuid)),
                          port_column_list(), true, &rows);
    if (status == VSCTL_OK && vj_size(rows) == 1)
        status = iface_from_port_row(ctx, name, &uuid, vj_at(rows, 0), entry);
    json_free(rows);
    return status;
}

static enum vsctl_status find_iface_raw(struct vsctl_ctx *ctx, const char *name,
                                        const struct vsctl_iface **result)
{
    void *entry = shash_find(&ctx->model.ifaces, name);
    *result = NULL;
    if (!entry) {
        enum vsctl_status status = lookup_iface(ctx, name, &entry);
        if (status != VSCTL_OK)
            return status;
        cache_replace(&ctx->model.ifaces, name, entry, iface_free);
    }
    if (entry != &vsctl_absent)
        *result = entry;
    return VSCTL_OK;
}

enum vsctl_status vsctl_find_iface(struct vsctl_ctx *ctx, const char *name, bool must_exist,
                                   const struct vsctl_iface **result)
{
    enum vsctl_status status = find_iface_raw(ctx, name, result);
    if (status != VSCTL_OK)
        return status;
    if (*result && !strcmp((*result)->bridge, name))
        *result = NULL;   /* a bridge's local interface */
    if (!*result && must_exist)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "no interface named %s", name);
    return VSCTL_OK;
}

enum vsctl_status vsctl_iface_names(struct vsctl_ctx *ctx, const struct uuid *uuids, size_t n,
                                    char ***names)
{
    struct vsctl_query *q = vsctl_xzalloc((n ? n : 1) * sizeof *q);
    for (size_t i = 0; i < n; i++)
        q[i] = (struct vsctl_query){ "Interface", where_uuid(&uuids[i]),
                                     json_strings("name", NULL), true, NULL };
    enum vsctl_status status = vsctl_query(ctx, VIEW_MODEL, q, n);
    *names = vsctl_xzalloc((n ? n : 1) * sizeof **names);
    for (size_t i = 0; i < n; i++) {
        const struct json *row = vj_at(q[i].rows, 0);
        (*names)[i] = vsctl_xstrdup(row ? row_string(row, "name") : "");
        json_free(q[i].rows);
    }
    free(q);
    if (status == VSCTL_OK)
        vsctl_sort_strings(*names, n);
    return status;
}

/* ---- conflicts ---- */

static void assume_absent(struct vsctl_ctx *ctx, const char *table, const char *name)
{
    vsctl_add_assume(ctx, op_wait(table, where_string("name", name), json_array_new(), true,
                                  json_array_new()));
}

/* Reports a conflict from what is already known without reading (names this invocation
 * created or looked up), in ovs-vsctl's order: bridge, port, interface. *known is false if
 * the answer needs a lookup. */
static enum vsctl_status known_conflict(struct vsctl_ctx *ctx, const char *name,
                                        const char *what, bool *known)
{
    void *br = shash_find(&ctx->model.bridges, name);
    void *port = shash_find(&ctx->model.ports, name);
    void *iface = shash_find(&ctx->model.ifaces, name);
    *known = false;
    if (!br)
        return VSCTL_OK;
    if (br != &vsctl_absent)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "%s because a bridge named %s already exists",
                          what, name);
    if (!port)
        return VSCTL_OK;
    if (port != &vsctl_absent)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "%s because a port named %s already exists on "
                          "bridge %s", what, name, ((struct vsctl_port *)port)->bridge);
    if (!iface)
        return VSCTL_OK;
    if (iface != &vsctl_absent)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "%s because an interface named %s already "
                          "exists on bridge %s", what, name,
                          ((struct vsctl_iface *)iface)->bridge);
    *known = true;
    return VSCTL_OK;
}

enum vsctl_status vsctl_check_conflicts(struct vsctl_ctx *ctx, const char *name,
                                        const char *what)
{
    bool known;
    enum vsctl_status status = known_conflict(ctx, name, what, &known);
    if (status != VSCTL_OK || known)
        return status;
    if (!ctx->pessimistic) {
        /* The unique indexes would refuse a duplicate anyway; these assumptions make the
         * failure a retry that finds the right words for it. */
        assume_absent(ctx, "Bridge", name);
        assume_absent(ctx, "Port", name);
        assume_absent(ctx, "Interface", name);
        return VSCTL_OK;
    }
    const struct vsctl_bridge *br;
    const struct vsctl_port *port;
    const struct vsctl_iface *iface;
    status = vsctl_find_bridge(ctx, name, false, &br);
    if (status == VSCTL_OK && !br)
        status = find_port_raw(ctx, name, &port);
    if (status == VSCTL_OK && !br && !port)
        status = find_iface_raw(ctx, name, &iface);
    if (status != VSCTL_OK)
        return status;
    return known_conflict(ctx, name, what, &known);
}

/* ---- rows the model already knows ---- */

bool vsctl_model_row_by_name(const struct vsctl_ctx *ctx, const char *table, const char *name,
                             struct uuid *uuid)
{
    const struct vsctl_model *model = &ctx->model;
    if (!strcmp(table, "Bridge")) {
        const struct vsctl_bridge *br = shash_find(&model->bridges, name);
        if (!br || (const void *)br == &vsctl_absent || br->fake)
            return false;   /* a fake bridge is a Port row, not a Bridge */
        *uuid = br->uuid;
        return true;
    }
    const struct vsctl_shash *cache = !strcmp(table, "Port")        ? &model->ports
                                      : !strcmp(table, "Interface") ? &model->ifaces
                                                                    : NULL;
    if (!cache)
        return false;
    const void *entry = shash_find(cache, name);
    if (!entry || entry == &vsctl_absent)
        return false;
    *uuid = cache == &model->ports ? ((const struct vsctl_port *)entry)->uuid
                                   : ((const struct vsctl_iface *)entry)->uuid;
    return true;
}

/* ---- what this invocation creates ---- */

void vsctl_note_bridge(struct vsctl_ctx *ctx, const char *name, const struct uuid *uuid,
                       const char *parent, int vlan)
{
    struct vsctl_bridge *br = bridge_new(name, parent != NULL, uuid, parent ? parent : name,
                                         vlan);
    cache_replace(&ctx->model.bridges, name, br, bridge_free);
    if (parent)
        add_fake(&ctx->model, name, uuid, vlan, parent);
}

void vsctl_note_port(struct vsctl_ctx *ctx, const char *name, const struct uuid *uuid,
                     const char *real, const char *bridge, const struct uuid *ifaces,
                     size_t n_ifaces)
{
    struct vsctl_port *port = vsctl_xzalloc(sizeof *port);
    port->name = vsctl_xstrdup(name);
    port->uuid = *uuid;
    port->real = vsctl_xstrdup(real);
    port->bridge = vsctl_xstrdup(bridge);
    port->ifaces = vsctl_xmalloc((n_ifaces ? n_ifaces : 1) * sizeof *ifaces);
    memcpy(port->ifaces, ifaces, n_ifaces * sizeof *ifaces);
    port->n_ifaces = n_ifaces;
    cache_replace(&ctx->model.ports, name, port, port_free);
}

void vsctl_note_iface(struct vsctl_ctx *ctx, const char *name, const struct uuid *uuid,
                      const char *port, const char *real, const char *bridge)
{
    struct vsctl_iface *iface = vsctl_xzalloc(sizeof *iface);
    iface->name = vsctl_xstrdup(name);
    iface->uuid = *uuid;
    iface->port = vsctl_xstrdup(port);
    iface->real = vsctl_xstrdup(real);
    iface->bridge = vsctl_xstrdup(bridge);
    cache_replace(&ctx->model.ifaces, name, iface, iface_free);
}
