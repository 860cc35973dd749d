/* Bridge commands: add-br (real, or fake: a VLAN bridge modelled as OVS does, a Port named like
 * the bridge with fake_bridge=true and the VLAN as its tag on the parent, with an internal
 * Interface), del-br, list-br, br-exists, br-to-vlan, br-to-parent, br-set/get-external-id. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/vsctl_private.h"

/* ---- add-br ---- */

struct add_br {
    int vlan;
};

static void free_data(void *data)
{
    free(data);
}

static int check_add_br(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    if (cmd->argc == 3)
        return vsctl_usage_error(ctx, "'add-br' command takes exactly 1 or 3 arguments");
    struct add_br *d = vsctl_xzalloc(sizeof *d);
    cmd->data = d;
    cmd->free_data = free_data;
    if (cmd->argc == 2)
        return 0;
    const char *text = cmd->argv[3];
    char *end;
    long vlan = strtol(text, &end, 10);
    if (!*text || *end || vlan < 0 || vlan > 4095)
        return vsctl_usage_error(ctx, "add-br: vlan must be between 0 and 4095 (got \"%s\")",
                                 text);
    d->vlan = (int)vlan;
    return 0;
}

/* --may-exist: the bridge exists; it must be the kind asked for. */
static enum vsctl_status check_existing_bridge(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                                              const struct vsctl_bridge *br, int vlan)
{
    const char *name = cmd->argv[1];
    if (cmd->argc == 2) {
        if (br->fake)
            return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "\"--may-exist add-br %s\" but %s is a "
                              "VLAN bridge for VLAN %d", name, name, br->vlan);
        return VSCTL_OK;
    }
    const char *parent = cmd->argv[2];
    if (!br->fake)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "\"--may-exist add-br %s %s %d\" but %s is "
                          "not a VLAN bridge", name, parent, vlan, name);
    if (strcmp(br->real, parent))
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "\"--may-exist add-br %s %s %d\" but %s has "
                          "the wrong parent %s", name, parent, vlan, name, br->real);
    if (br->vlan != vlan)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "\"--may-exist add-br %s %s %d\" but %s is a "
                          "VLAN bridge for the wrong VLAN %d", name, parent, vlan, name,
                          br->vlan);
    return VSCTL_OK;
}

/* The Interface (internal) and Port a bridge of either kind is made of. */
static void insert_local_port(struct vsctl_ctx *ctx, const char *name, bool fake, int vlan,
                              struct uuid *port_uuid, struct uuid *iface_uuid)
{
    const struct db_table_schema *ifaces = db_schema_table(ctx->schema, "Interface");
    const struct db_table_schema *ports = db_schema_table(ctx->schema, "Port");
    struct vsctl_row row;
    vsctl_new_uuid(ctx, iface_uuid);
    vsctl_new_uuid(ctx, port_uuid);

    vsctl_row_init(&row, ifaces);
    vsctl_row_put_string(&row, "name", name);
    vsctl_row_put_string(&row, "type", "internal");
    vsctl_add_write(ctx, op_insert("Interface", iface_uuid, vsctl_row_to_json(&row)));
    vsctl_row_destroy(&row);

    vsctl_row_init(&row, ports);
    vsctl_row_put_string(&row, "name", name);
    vsctl_row_put_uuids(&row, "interfaces", iface_uuid, 1);
    if (fake) {
        vsctl_row_put_boolean(&row, "fake_bridge", true);
        vsctl_row_put_integer(&row, "tag", vlan);
    }
    vsctl_add_write(ctx, op_insert("Port", port_uuid, vsctl_row_to_json(&row)));
    vsctl_row_destroy(&row);
}

static struct json *insert_mutation(const char *column, const struct uuid *uuid)
{
    return json_array_append(json_array_new(), mutation_new(column, "insert", json_uuid(uuid)));
}

static enum vsctl_status add_real_bridge(struct vsctl_ctx *ctx, const char *name)
{
    enum vsctl_status status = vsctl_need_root(ctx);
    if (status != VSCTL_OK)
        return status;
    struct uuid port, iface, bridge;
    insert_local_port(ctx, name, false, 0, &port, &iface);
    vsctl_new_uuid(ctx, &bridge);
    struct vsctl_row row;
    vsctl_row_init(&row, db_schema_table(ctx->schema, "Bridge"));
    vsctl_row_put_string(&row, "name", name);
    vsctl_row_put_uuids(&row, "ports", &port, 1);
    vsctl_add_write(ctx, op_insert("Bridge", &bridge, vsctl_row_to_json(&row)));
    vsctl_row_destroy(&row);
    vsctl_add_write(ctx, op_mutate(ctx->schema->name, json_array_new(),
                                   insert_mutation("bridges", &bridge)));
    vsctl_note_bridge(ctx, name, &bridge, NULL, 0);
    vsctl_note_port(ctx, name, &port, name, name, &iface, 1);
    vsctl_note_iface(ctx, name, &iface, name, name, name);
    return VSCTL_OK;
}

static enum vsctl_status add_fake_bridge(struct vsctl_ctx *ctx, const char *name,
                                         const char *parent_name, int vlan)
{
    const struct vsctl_bridge *parent;
    enum vsctl_status status = vsctl_find_bridge(ctx, parent_name, false, &parent);
    if (status != VSCTL_OK)
        return status;
    if (parent && parent->fake)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "cannot create bridge with fake bridge as "
                          "parent");
    if (!parent)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "parent bridge %s does not exist",
                          parent_name);
    status = vsctl_load_fakes(ctx);
    if (status != VSCTL_OK)
        return status;
    for (size_t i = 0; i < ctx->model.n_fakes; i++) {
        const struct vsctl_fake *f = &ctx->model.fakes[i];
        if (f->vlan == vlan && !strcmp(f->parent, parent_name))
            return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "bridge %s already has a child VLAN "
                              "bridge %s on VLAN %d", parent_name, f->name, vlan);
    }
    struct uuid port, iface;
    insert_local_port(ctx, name, true, vlan, &port, &iface);
    vsctl_add_write(ctx, op_mutate("Bridge", where_string("name", parent_name),
                                   insert_mutation("ports", &port)));
    vsctl_note_bridge(ctx, name, &port, parent_name, vlan);
    vsctl_note_port(ctx, name, &port, parent_name, name, &iface, 1);
    vsctl_note_iface(ctx, name, &iface, name, parent_name, name);
    return VSCTL_OK;
}

static enum vsctl_status run_add_br(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct add_br *d = cmd->data;
    const char *name = cmd->argv[1];
    if (cmd->may_exist) {
        const struct vsctl_bridge *br;
        enum vsctl_status status = vsctl_find_bridge(ctx, name, false, &br);
        if (status != VSCTL_OK || br)
            return status != VSCTL_OK ? status : check_existing_bridge(ctx, cmd, br, d->vlan);
    }
    char *what = vsctl_xasprintf("cannot create a bridge named %s", name);
    enum vsctl_status status = vsctl_check_conflicts(ctx, name, what);
    free(what);
    if (status != VSCTL_OK)
        return status;
    return cmd->argc == 2 ? add_real_bridge(ctx, name)
                          : add_fake_bridge(ctx, name, cmd->argv[2], d->vlan);
}

/* ---- del-br ---- */

/* A fake bridge's ports are its parent's ports tagged with its VLAN, its own port included.
 * Deleting from the parent's set every port with that tag touches only those: the others are
 * not in the set. */
static enum vsctl_status del_fake_bridge(struct vsctl_ctx *ctx, const struct vsctl_bridge *br)
{
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_DATA, "Port",
                                            where_one("tag", "==", json_integer_new(br->vlan)),
                                            json_strings("_uuid", NULL), true, &rows);
    if (status != VSCTL_OK)
        return status;
    struct json *uuids = json_array_new();
    for (size_t i = 0; i < vj_size(rows); i++)
        json_array_append(uuids, json_clone(vj_get(vj_at(rows, i), "_uuid")));
    json_free(rows);
    struct json *set = json_array_append(json_array_append(json_array_new(),
                                                           json_string_new("set")), uuids);
    struct json *mutations = json_array_append(json_array_new(),
                                               mutation_new("ports", "delete", set));
    vsctl_add_write(ctx, op_mutate("Bridge", where_string("name", br->real), mutations));
    return VSCTL_OK;
}

static enum vsctl_status run_del_br(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], !cmd->if_exists, &br);
    if (status != VSCTL_OK || !br)
        return status;
    if (br->fake) {
        status = del_fake_bridge(ctx, br);
    } else {
        /* Garbage collection deletes the bridge, its ports, interfaces, mirrors and
         * controllers, and its fake bridges with it, once the root no longer refers to it. */
        status = vsctl_need_root(ctx);
        if (status == VSCTL_OK) {
            struct json *mutations = json_array_append(
                json_array_new(), mutation_new("bridges", "delete", json_uuid(&br->uuid)));
            vsctl_add_write(ctx, op_mutate(ctx->schema->name, json_array_new(), mutations));
        }
    }
    vsctl_model_invalidate(ctx);
    return status;
}

/* ---- queries ---- */

static void output_sorted(struct vsctl_command *cmd, char **names, size_t n)
{
    vsctl_sort_strings(names, n);
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(names[i], names[i - 1]))
            continue;
        buf_printf(&cmd->output, "%s\n", names[i]);
    }
}

static enum vsctl_status run_list_br(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    bool real = cmd->real || !cmd->fake, fake = cmd->fake || !cmd->real;
    struct vsctl_query q[2] = {
        { "Bridge", json_array_new(), json_strings("name", NULL), false, NULL },
        { "Port", where_one("fake_bridge", "==", json_boolean_new(true)),
          json_strings("name", "tag", NULL), false, NULL },
    };
    enum vsctl_status status = vsctl_query(ctx, VIEW_DATA, q, 2);
    if (status != VSCTL_OK)
        return status;
    size_t n_real = vj_size(q[0].rows), n_fake = vj_size(q[1].rows), n = 0;
    char **names = vsctl_xmalloc((n_real + n_fake + 1) * sizeof *names);
    for (size_t i = 0; real && i < n_real; i++)
        names[n++] = (char *)row_string(vj_at(q[0].rows, i), "name");
    for (size_t i = 0; fake && i < n_fake; i++) {
        const struct json *row = vj_at(q[1].rows, i);
        int64_t tag;
        if (row_opt_integer(row, "tag", &tag) && tag >= 0 && tag <= 4095)
            names[n++] = (char *)row_string(row, "name");
    }
    output_sorted(cmd, names, n);
    free(names);
    json_free(q[0].rows);
    json_free(q[1].rows);
    return VSCTL_OK;
}

static enum vsctl_status run_br_exists(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], false, &br);
    if (status == VSCTL_OK && !br)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "%s", "");   /* silent, as in ovs-vsctl */
    return status;
}

static enum vsctl_status run_br_to_vlan(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], true, &br);
    if (status == VSCTL_OK)
        buf_printf(&cmd->output, "%d\n", br->vlan);
    return status;
}

static enum vsctl_status run_br_to_parent(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], true, &br);
    if (status == VSCTL_OK)
        buf_printf(&cmd->output, "%s\n", br->real);
    return status;
}

/* ---- external ids ---- */

/* A real bridge keeps them in Bridge:external_ids; a fake one in its Port's external_ids,
 * under "fake-bridge-KEY" (as ovs-vsctl does). */
static enum vsctl_status run_br_set_external_id(struct vsctl_ctx *ctx,
                                                struct vsctl_command *cmd)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], true, &br);
    if (status != VSCTL_OK)
        return status;
    char *key = vsctl_xasprintf("%s%s", br->fake ? "fake-bridge-" : "", cmd->argv[2]);
    struct json *where = br->fake ? where_uuid(&br->uuid) : where_string("name", br->name);
    struct json *keys = json_array_append(json_array_new(), json_string_new(key));
    struct json *mutations = json_array_append(
        json_array_new(),
        mutation_new("external_ids", "delete",
                     json_array_append(json_array_append(json_array_new(),
                                                         json_string_new("set")), keys)));
    if (cmd->argc == 4) {
        struct json *pair = json_array_append(json_array_append(json_array_new(),
                                                                json_string_new(key)),
                                              json_string_new(cmd->argv[3]));
        struct json *map = json_array_append(json_array_append(json_array_new(),
                                                               json_string_new("map")),
                                             json_array_append(json_array_new(), pair));
        json_array_append(mutations, mutation_new("external_ids", "insert", map));
    }
    vsctl_add_write(ctx, op_mutate(br->fake ? "Port" : "Bridge", where, mutations));
    free(key);
    return VSCTL_OK;
}

static int check_external_id(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    for (int i = 2; i < cmd->argc; i++)
        if (db_utf8_length(cmd->argv[i]) == SIZE_MAX)
            return vsctl_usage_error(ctx, "\"%s\" is not valid UTF-8", cmd->argv[i]);
    return 0;
}

static void print_external_ids(struct vsctl_command *cmd, const struct json *map,
                               const char *prefix, const char *key)
{
    const struct json *pairs = vj_at(map, 1);
    size_t len = strlen(prefix);
    for (size_t i = 0; i < vj_size(pairs); i++) {
        const char *k = vj_string(vj_at(vj_at(pairs, i), 0));
        const char *v = vj_string(vj_at(vj_at(pairs, i), 1));
        if (strncmp(k, prefix, len))
            continue;
        if (!key)
            buf_printf(&cmd->output, "%s=%s\n", k + len, v);
        else if (!strcmp(k + len, key))
            buf_printf(&cmd->output, "%s\n", v);
    }
}

static enum vsctl_status run_br_get_external_id(struct vsctl_ctx *ctx,
                                                struct vsctl_command *cmd)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], true, &br);
    if (status != VSCTL_OK)
        return status;
    struct json *rows;
    status = vsctl_select(ctx, VIEW_DATA, br->fake ? "Port" : "Bridge",
                          br->fake ? where_uuid(&br->uuid) : where_string("name", br->name),
                          json_strings("external_ids", NULL), false, &rows);
    if (status == VSCTL_OK && vj_size(rows) == 1)
        /* Maps come back sorted by key, as ovs-vsctl prints them. */
        print_external_ids(cmd, vj_get(vj_at(rows, 0), "external_ids"),
                           br->fake ? "fake-bridge-" : "", cmd->argc == 3 ? cmd->argv[2] : NULL);
    json_free(rows);
    return status;
}

const struct vsctl_syntax vsctl_bridge_commands[] = {
    { "add-br", 1, 3, "BRIDGE [PARENT VLAN]", "--may-exist", check_add_br, run_add_br,
      "create a bridge (or a fake bridge for VLAN on PARENT)" },
    { "del-br", 1, 1, "BRIDGE", "--if-exists", NULL, run_del_br,
      "delete BRIDGE and all of its ports" },
    { "list-br", 0, 0, "", "--real,--fake", NULL, run_list_br,
      "print the names of all the bridges" },
    { "br-exists", 1, 1, "BRIDGE", NULL, NULL, run_br_exists, "exit 1 if BRIDGE does not exist" },
    { "br-to-vlan", 1, 1, "BRIDGE", NULL, NULL, run_br_to_vlan,
      "print the VLAN which BRIDGE is on" },
    { "br-to-parent", 1, 1, "BRIDGE", NULL, NULL, run_br_to_parent,
      "print the parent of BRIDGE" },
    { "br-set-external-id", 2, 3, "BRIDGE KEY [VALUE]", NULL, check_external_id,
      run_br_set_external_id, "set (or, without VALUE, unset) KEY on BRIDGE" },
    { "br-get-external-id", 1, 2, "BRIDGE [KEY]", NULL, NULL, run_br_get_external_id,
      "print KEY's value on BRIDGE (or every key=value)" },
};
const size_t vsctl_n_bridge_commands =
    sizeof vsctl_bridge_commands / sizeof vsctl_bridge_commands[0];
