/* Port and interface commands: add-port, add-bond, del-port, list-ports, port-to-br,
 * list-ifaces, iface-to-br.
 *
 * add-port is the hot path (XenServer adds a port for every VIF): optimistically it is one
 * transaction of constant size, whatever the size of the database: assume the bridge is a real
 * one and the names are free, insert the Interface and Port, add the Port to the Bridge. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/vsctl_private.h"

/* ---- add-port, add-bond ---- */

struct add_port {
    char **ifaces;               /* borrowed from argv */
    size_t n_ifaces;
    struct vsctl_settings settings;   /* for the Port */
};

static void add_port_free(void *data)
{
    struct add_port *d = data;
    if (!d)
        return;
    vsctl_settings_destroy(&d->settings);
    free(d);
}

static int check_add_port_common(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                                 size_t n_ifaces)
{
    struct add_port *d = vsctl_xzalloc(sizeof *d);
    cmd->data = d;
    cmd->free_data = add_port_free;
    /* add-port's only interface has the port's name. */
    d->ifaces = cmd->argc >= 4 && !strcmp(cmd->argv[0], "add-bond") ? &cmd->argv[3]
                                                                     : &cmd->argv[2];
    d->n_ifaces = n_ifaces;
    size_t first = !strcmp(cmd->argv[0], "add-bond") ? 3 + n_ifaces : 3;
    return vsctl_parse_settings(ctx, db_schema_table(ctx->schema, "Port"), &cmd->argv[first],
                                (size_t)cmd->argc - first, false, &d->settings);
}

static int check_add_port(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    return check_add_port_common(ctx, cmd, 1);
}

static int check_add_bond(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    /* Interfaces run up to the first argument with "=", which starts the settings. */
    size_t n = 0;
    while (3 + n < (size_t)cmd->argc && !strchr(cmd->argv[3 + n], '='))
        n++;
    if (n < 2)
        return vsctl_usage_error(ctx, "add-bond requires at least 2 interfaces, but only %zu "
                                 "were specified", n);
    return check_add_port_common(ctx, cmd, n);
}

/* --may-exist and the port exists: it must be on that bridge, with those interfaces. */
static enum vsctl_status check_existing_port(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                                             const struct vsctl_port *port)
{
    const struct add_port *d = cmd->data;
    if (strcmp(port->bridge, cmd->argv[1]))
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "\"%s\" but %s is actually attached to bridge "
                          "%s", cmd->text, port->name, port->bridge);
    char **have;
    enum vsctl_status status = vsctl_iface_names(ctx, port->ifaces, port->n_ifaces, &have);
    char **want = vsctl_xmalloc((d->n_ifaces + 1) * sizeof *want);
    memcpy(want, d->ifaces, d->n_ifaces * sizeof *want);
    vsctl_sort_strings(want, d->n_ifaces);
    bool same = d->n_ifaces == port->n_ifaces;
    for (size_t i = 0; same && i < d->n_ifaces; i++)
        same = !strcmp(want[i], have[i]);
    if (status == VSCTL_OK && !same) {
        struct vsctl_buf list = { NULL, 0, 0 };
        for (size_t i = 0; i < port->n_ifaces; i++)
            buf_printf(&list, "%s%s", i ? ", " : "", have[i]);
        status = vsctl_fail(ctx, VSCTL_EXIT_FAILED, "\"%s\" but %s actually has interface(s) %s",
                            cmd->text, port->name, buf_cstr(&list));
        buf_free(&list);
    }
    for (size_t i = 0; i < port->n_ifaces; i++)
        free(have[i]);
    free(have);
    free(want);
    return status;
}

static enum vsctl_status check_port_conflicts(struct vsctl_ctx *ctx, const char *port,
                                              char **ifaces, size_t n)
{
    char *what = vsctl_xasprintf("cannot create a port named %s", port);
    enum vsctl_status status = vsctl_check_conflicts(ctx, port, what);
    free(what);
    for (size_t i = 0; status == VSCTL_OK && i < n; i++) {
        if (!strcmp(ifaces[i], port))
            continue;   /* the same checks as for the port */
        what = vsctl_xasprintf("cannot create an interface named %s", ifaces[i]);
        status = vsctl_check_conflicts(ctx, ifaces[i], what);
        free(what);
    }
    return status;
}

static void insert_port(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                        const struct vsctl_bridge *bridge, const char *real)
{
    const struct add_port *d = cmd->data;
    const char *name = cmd->argv[2];
    struct uuid *ifaces = vsctl_xmalloc(d->n_ifaces * sizeof *ifaces);
    const struct db_table_schema *iface_table = db_schema_table(ctx->schema, "Interface");
    for (size_t i = 0; i < d->n_ifaces; i++) {
        struct vsctl_row row;
        vsctl_new_uuid(ctx, &ifaces[i]);
        vsctl_row_init(&row, iface_table);
        vsctl_row_put_string(&row, "name", d->ifaces[i]);
        vsctl_add_write(ctx, op_insert("Interface", &ifaces[i], vsctl_row_to_json(&row)));
        vsctl_row_destroy(&row);
    }
    struct uuid port;
    struct vsctl_row row;
    vsctl_new_uuid(ctx, &port);
    vsctl_row_init(&row, db_schema_table(ctx->schema, "Port"));
    vsctl_row_put_string(&row, "name", name);
    vsctl_row_put_uuids(&row, "interfaces", ifaces, d->n_ifaces);
    if (cmd->fake_iface)
        vsctl_row_put_boolean(&row, "bond_fake_iface", true);
    if (bridge && bridge->fake)
        vsctl_row_put_integer(&row, "tag", bridge->vlan);
    vsctl_row_apply(&row, &d->settings);
    vsctl_add_write(ctx, op_insert("Port", &port, vsctl_row_to_json(&row)));
    vsctl_row_destroy(&row);

    struct json *mutations = json_array_append(json_array_new(),
                                               mutation_new("ports", "insert", json_uuid(&port)));
    vsctl_add_write(ctx, op_mutate("Bridge", where_string("name", real), mutations));

    const char *br_name = cmd->argv[1];
    vsctl_note_port(ctx, name, &port, real, br_name, ifaces, d->n_ifaces);
    for (size_t i = 0; i < d->n_ifaces; i++)
        vsctl_note_iface(ctx, d->ifaces[i], &ifaces[i], name, real, br_name);
    free(ifaces);
}

static enum vsctl_status run_add_port(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct add_port *d = cmd->data;
    if (cmd->may_exist) {
        const struct vsctl_port *port;
        enum vsctl_status status = vsctl_find_port(ctx, cmd->argv[2], false, &port);
        if (status != VSCTL_OK || port)
            return status != VSCTL_OK ? status : check_existing_port(ctx, cmd, port);
    }
    enum vsctl_status status = check_port_conflicts(ctx, cmd->argv[2], d->ifaces, d->n_ifaces);
    if (status != VSCTL_OK)
        return status;
    /* Two interfaces of one bond with the same name. */
    for (size_t i = 0; i < d->n_ifaces; i++)
        for (size_t k = i + 1; k < d->n_ifaces; k++)
            if (!strcmp(d->ifaces[i], d->ifaces[k]))
                return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "cannot create an interface named %s "
                                  "twice", d->ifaces[i]);
    const struct vsctl_bridge *bridge;
    const char *real;
    status = vsctl_bridge_for_write(ctx, cmd->argv[1], &bridge, &real);
    if (status != VSCTL_OK)
        return status;
    insert_port(ctx, cmd, bridge, real);
    return VSCTL_OK;
}

/* ---- del-port ---- */

static enum vsctl_status find_port_or_iface(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                                            const char *target, const struct vsctl_port **port)
{
    bool must_exist = !cmd->if_exists;
    if (!cmd->with_iface)
        return vsctl_find_port(ctx, target, must_exist, port);
    enum vsctl_status status = vsctl_find_port(ctx, target, false, port);
    if (status != VSCTL_OK || *port)
        return status;
    const struct vsctl_iface *iface;
    status = vsctl_find_iface(ctx, target, false, &iface);
    if (status == VSCTL_OK && iface)
        status = vsctl_find_port(ctx, iface->port, false, port);
    if (status == VSCTL_OK && !*port && must_exist)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "no port or interface named %s", target);
    return status;
}

/* del-port BRIDGE PORT: the port must be on that bridge (as ovs-vsctl sees bridges). */
static enum vsctl_status check_port_bridge(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                                           const struct vsctl_port *port)
{
    const struct vsctl_bridge *bridge;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], true, &bridge);
    if (status != VSCTL_OK || !strcmp(port->bridge, bridge->name))
        return status;
    const char *name = cmd->argv[1], *target = cmd->argv[2];
    if (!bridge->fake && !strcmp(port->real, bridge->name))
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "bridge %s does not have a port %s (although "
                          "its child bridge %s does)", name, target, port->bridge);
    if (bridge->fake && !strcmp(port->bridge, bridge->real))
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "bridge %s does not have a port %s (although "
                          "its parent bridge %s does)", name, target, bridge->real);
    return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "bridge %s does not have a port %s", name, target);
}

static enum vsctl_status run_del_port(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const char *target = cmd->argv[cmd->argc - 1];
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, target, false, &br);
    if (status != VSCTL_OK)
        return status;
    if (br)
        return cmd->if_exists ? VSCTL_OK
                              : vsctl_fail(ctx, VSCTL_EXIT_FAILED, "cannot delete port %s "
                                           "because it is the local port for bridge %s "
                                           "(deleting this port requires deleting the entire "
                                           "bridge)", target, target);
    const struct vsctl_port *port;
    status = find_port_or_iface(ctx, cmd, target, &port);
    if (status != VSCTL_OK || !port)
        return status;
    if (cmd->argc == 3) {
        status = check_port_bridge(ctx, cmd, port);
        if (status != VSCTL_OK)
            return status;
    }
    /* Garbage collection deletes the Port and its Interfaces once no bridge holds it. */
    struct json *mutations = json_array_append(json_array_new(),
                                               mutation_new("ports", "delete",
                                                            json_uuid(&port->uuid)));
    vsctl_add_write(ctx, op_mutate("Bridge", where_string("name", port->real), mutations));
    vsctl_model_invalidate(ctx);
    return VSCTL_OK;
}

/* ---- listing ---- */

/* The Port rows (name, tag, interfaces) of bridge `br` as ovs-vsctl sees it: for a real bridge,
 * its ports but those of its fake children; for a fake one, its parent's ports with its tag. */
static enum vsctl_status bridge_ports(struct vsctl_ctx *ctx, const struct vsctl_bridge *br,
                                      struct json **ports)
{
    struct json *rows;
    *ports = json_array_new();
    enum vsctl_status status = vsctl_select(ctx, VIEW_DATA, "Bridge",
                                            where_string("name", br->real),
                                            json_strings("ports", NULL), false, &rows);
    if (status != VSCTL_OK || vj_size(rows) != 1) {
        json_free(rows);
        return status;
    }
    size_t n;
    struct uuid *uuids = row_uuid_set(vj_at(rows, 0), "ports", &n);
    json_free(rows);
    struct vsctl_query *q = vsctl_xzalloc((n ? n : 1) * sizeof *q);
    for (size_t i = 0; i < n; i++)
        q[i] = (struct vsctl_query){ "Port", where_uuid(&uuids[i]),
                                     json_strings("name", "tag", "interfaces", NULL), false,
                                     NULL };
    free(uuids);
    status = vsctl_query(ctx, VIEW_DATA, q, n);
    if (status == VSCTL_OK)
        status = vsctl_load_fakes(ctx);
    for (size_t i = 0; i < n; i++) {
        const struct json *row = vj_at(q[i].rows, 0);
        int64_t tag = -1;
        bool tagged = row && row_opt_integer(row, "tag", &tag) && tag >= 0 && tag <= 4095;
        bool mine = false;
        if (row && br->fake) {
            mine = tagged && tag == br->vlan;
        } else if (row) {
            mine = true;
            for (size_t k = 0; tagged && k < ctx->model.n_fakes; k++)
                if (ctx->model.fakes[k].vlan == tag && !strcmp(ctx->model.fakes[k].parent,
                                                               br->name))
                    mine = false;
        }
        if (status == VSCTL_OK && mine)
            json_array_append(*ports, json_clone(row));
        json_free(q[i].rows);
    }
    free(q);
    return status;
}

static void output_sorted(struct vsctl_command *cmd, char **names, size_t n)
{
    vsctl_sort_strings(names, n);
    for (size_t i = 0; i < n; i++)
        buf_printf(&cmd->output, "%s\n", names[i]);
}

static enum vsctl_status run_list_ports(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], true, &br);
    struct json *ports = NULL;
    if (status == VSCTL_OK)
        status = bridge_ports(ctx, br, &ports);
    if (status == VSCTL_OK) {
        size_t n = 0;
        char **names = vsctl_xmalloc((vj_size(ports) + 1) * sizeof *names);
        for (size_t i = 0; i < vj_size(ports); i++) {
            const char *name = row_string(vj_at(ports, i), "name");
            if (strcmp(name, br->name))
                names[n++] = (char *)name;
        }
        output_sorted(cmd, names, n);
        free(names);
    }
    json_free(ports);
    return status;
}

static enum vsctl_status run_list_ifaces(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], true, &br);
    struct json *ports = NULL;
    if (status == VSCTL_OK)
        status = bridge_ports(ctx, br, &ports);
    size_t n = 0, allocated = 16;
    struct uuid *uuids = vsctl_xmalloc(allocated * sizeof *uuids);
    for (size_t i = 0; status == VSCTL_OK && i < vj_size(ports); i++) {
        size_t k;
        struct uuid *ifaces = row_uuid_set(vj_at(ports, i), "interfaces", &k);
        if (n + k > allocated) {
            allocated = 2 * (n + k);
            uuids = vsctl_xrealloc(uuids, allocated * sizeof *uuids);
        }
        memcpy(&uuids[n], ifaces, k * sizeof *ifaces);
        n += k;
        free(ifaces);
    }
    json_free(ports);
    char **names = NULL;
    if (status == VSCTL_OK)
        status = vsctl_iface_names(ctx, uuids, n, &names);
    for (size_t i = 0; names && i < n; i++)
        if (status == VSCTL_OK && strcmp(names[i], br->name))
            buf_printf(&cmd->output, "%s\n", names[i]);
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    free(uuids);
    return status;
}

static enum vsctl_status run_port_to_br(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct vsctl_port *port;
    enum vsctl_status status = vsctl_find_port(ctx, cmd->argv[1], true, &port);
    if (status == VSCTL_OK)
        buf_printf(&cmd->output, "%s\n", port->bridge);
    return status;
}

static enum vsctl_status run_iface_to_br(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct vsctl_iface *iface;
    enum vsctl_status status = vsctl_find_iface(ctx, cmd->argv[1], true, &iface);
    if (status == VSCTL_OK)
        buf_printf(&cmd->output, "%s\n", iface->bridge);
    return status;
}

const struct vsctl_syntax vsctl_port_commands[] = {
    { "list-ports", 1, 1, "BRIDGE", NULL, NULL, run_list_ports,
      "print the names of all the ports on BRIDGE" },
    { "add-port", 2, INT_MAX, "BRIDGE PORT [COLUMN[:KEY]=VALUE]...", "--may-exist",
      check_add_port, run_add_port, "add network device PORT to BRIDGE" },
    { "add-bond", 4, INT_MAX, "BRIDGE PORT IFACE... [COLUMN[:KEY]=VALUE]...",
      "--may-exist,--fake-iface", check_add_bond, run_add_port,
      "add bonded port PORT in BRIDGE from IFACES" },
    { "del-port", 1, 2, "[BRIDGE] PORT|IFACE", "--if-exists,--with-iface", NULL, run_del_port,
      "delete PORT (which may be bonded) from BRIDGE" },
    { "port-to-br", 1, 1, "PORT", NULL, NULL, run_port_to_br,
      "print name of bridge that contains PORT" },
    { "list-ifaces", 1, 1, "BRIDGE", NULL, NULL, run_list_ifaces,
      "print the names of all interfaces on BRIDGE" },
    { "iface-to-br", 1, 1, "IFACE", NULL, NULL, run_iface_to_br,
      "print name of bridge that contains IFACE" },
};
const size_t vsctl_n_port_commands = sizeof vsctl_port_commands / sizeof vsctl_port_commands[0];
