/* Switch-wide and per-bridge configuration commands: init, show, emer-reset, ack-db-recovery,
 * the fail mode, controllers, managers and SSL. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb/vswitch_schema.h"
#include "tools/cli/vsctl_private.h"

/* ---- init ---- */

/* Creates the Open_vSwitch row if missing. Unlike other commands it always reads (it is run
 * once at start, and must not write when the row exists: no change, no wait). */
static enum vsctl_status run_init(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    (void)cmd;
    bool pessimistic = ctx->pessimistic;
    ctx->pessimistic = true;
    enum vsctl_status status = vsctl_need_root(ctx);
    ctx->pessimistic = pessimistic;
    return status;
}

/* ---- fail mode ---- */

static enum vsctl_status run_get_fail_mode(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], true, &br);
    if (status != VSCTL_OK)
        return status;
    struct json *rows;
    status = vsctl_select(ctx, VIEW_DATA, "Bridge", where_string("name", br->real),
                          json_strings("fail_mode", NULL), false, &rows);
    if (status == VSCTL_OK && vj_size(rows) == 1) {
        const struct json *mode = vj_get(vj_at(rows, 0), "fail_mode");
        if (vj_is_string(mode) && *vj_string(mode))
            buf_printf(&cmd->output, "%s\n", vj_string(mode));
    }
    json_free(rows);
    return status;
}

static int check_set_fail_mode(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const char *mode = cmd->argv[2];
    if (strcmp(mode, "standalone") && strcmp(mode, "secure"))
        return vsctl_usage_error(ctx, "fail-mode must be \"standalone\" or \"secure\" (got "
                                 "\"%s\")", mode);
    return 0;
}

/* The real bridge a per-bridge setting goes to; ovs-vsctl refuses fake bridges here. */
static enum vsctl_status real_bridge_for_write(struct vsctl_ctx *ctx, const char *name,
                                               const char **real)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_bridge_for_write(ctx, name, &br, real);
    if (status == VSCTL_OK && br && br->fake)
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "%s is a fake bridge", name);
    return status;
}

static enum vsctl_status update_bridge(struct vsctl_ctx *ctx, const char *name,
                                       const char *column, struct json *value)
{
    const char *real;
    enum vsctl_status status = real_bridge_for_write(ctx, name, &real);
    if (status != VSCTL_OK) {
        json_free(value);
        return status;
    }
    struct json *row = json_object_put(json_object_new(), column, value);
    vsctl_add_write(ctx, op_update("Bridge", where_string("name", real), row));
    return VSCTL_OK;
}

static enum vsctl_status run_set_fail_mode(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    return update_bridge(ctx, cmd->argv[1], "fail_mode", json_string_new(cmd->argv[2]));
}

static enum vsctl_status run_del_fail_mode(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    return update_bridge(ctx, cmd->argv[1], "fail_mode", json_empty_set());
}

/* ---- controllers and managers ---- */

/* The "target" of each row of `table` listed in `uuids`, sorted, one per line. */
static enum vsctl_status print_targets(struct vsctl_ctx *ctx, struct vsctl_command *cmd,
                                       const char *table, const struct uuid *uuids, size_t n)
{
    struct vsctl_query *q = vsctl_xzalloc((n ? n : 1) * sizeof *q);
    for (size_t i = 0; i < n; i++)
        q[i] = (struct vsctl_query){ table, where_uuid(&uuids[i]), json_strings("target", NULL),
                                     false, NULL };
    enum vsctl_status status = vsctl_query(ctx, VIEW_DATA, q, n);
    char **targets = vsctl_xmalloc((n ? n : 1) * sizeof *targets);
    size_t n_targets = 0;
    for (size_t i = 0; i < n; i++)
        if (vj_size(q[i].rows) == 1)
            targets[n_targets++] = (char *)row_string(vj_at(q[i].rows, 0), "target");
    vsctl_sort_strings(targets, n_targets);
    for (size_t i = 0; status == VSCTL_OK && i < n_targets; i++)
        if (!i || strcmp(targets[i], targets[i - 1]))
            buf_printf(&cmd->output, "%s\n", targets[i]);
    for (size_t i = 0; i < n; i++)
        json_free(q[i].rows);
    free(targets);
    free(q);
    return status;
}

/* The UUIDs in `column` of the rows of `table` matching `where` (one row expected). */
static enum vsctl_status read_refs(struct vsctl_ctx *ctx, const char *table, struct json *where,
                                   const char *column, struct uuid **uuids, size_t *n)
{
    struct json *rows;
    *uuids = NULL;
    *n = 0;
    enum vsctl_status status = vsctl_select(ctx, VIEW_DATA, table, where,
                                            json_strings(column, NULL), false, &rows);
    if (status == VSCTL_OK && vj_size(rows) == 1)
        *uuids = row_uuid_set(vj_at(rows, 0), column, n);
    json_free(rows);
    return status;
}

static enum vsctl_status run_get_controller(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const struct vsctl_bridge *br;
    enum vsctl_status status = vsctl_find_bridge(ctx, cmd->argv[1], true, &br);
    struct uuid *uuids = NULL;
    size_t n = 0;
    if (status == VSCTL_OK)
        status = read_refs(ctx, "Bridge", where_string("name", br->real), "controller", &uuids,
                           &n);
    if (status == VSCTL_OK)
        status = print_targets(ctx, cmd, "Controller", uuids, n);
    free(uuids);
    return status;
}

static bool known_target(const char *target, bool manager)
{
    static const char *const prefixes[] = { "tcp:", "ssl:", "unix:", "ptcp:", "pssl:", "punix:" };
    (void)manager;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (!strncmp(target, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

static int check_targets(struct vsctl_ctx *ctx, struct vsctl_command *cmd, int first)
{
    for (int i = first; i < cmd->argc; i++) {
        if (db_utf8_length(cmd->argv[i]) == SIZE_MAX)
            return vsctl_usage_error(ctx, "\"%s\" is not valid UTF-8", cmd->argv[i]);
        if (!known_target(cmd->argv[i], first == 1))
            vsctl_warn(ctx, "target type \"%s\" is possibly erroneous", cmd->argv[i]);
    }
    return 0;
}

static int check_set_controller(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    return check_targets(ctx, cmd, 2);
}

/* Inserts one row of `table` per target; returns their UUIDs (caller frees). */
static struct uuid *insert_targets(struct vsctl_ctx *ctx, const char *table, char **targets,
                                   size_t n)
{
    struct uuid *uuids = vsctl_xmalloc((n ? n : 1) * sizeof *uuids);
    for (size_t i = 0; i < n; i++) {
        vsctl_new_uuid(ctx, &uuids[i]);
        struct json *row = json_object_put(json_object_new(), "target",
                                           json_string_new(targets[i]));
        vsctl_add_write(ctx, op_insert(table, &uuids[i], row));
    }
    return uuids;
}

/* The bridge's old controllers are garbage collected once it no longer refers to them. */
static enum vsctl_status run_set_controller(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    const char *real;
    enum vsctl_status status = real_bridge_for_write(ctx, cmd->argv[1], &real);
    if (status != VSCTL_OK)
        return status;
    size_t n = (size_t)cmd->argc - 2;
    struct uuid *uuids = insert_targets(ctx, "Controller", &cmd->argv[2], n);
    struct json *row = json_object_put(json_object_new(), "controller", json_uuid_set(uuids, n));
    vsctl_add_write(ctx, op_update("Bridge", where_string("name", real), row));
    free(uuids);
    return VSCTL_OK;
}

static enum vsctl_status run_del_controller(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    return update_bridge(ctx, cmd->argv[1], "controller", json_empty_set());
}

static enum vsctl_status run_get_manager(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct uuid *uuids = NULL;
    size_t n = 0;
    enum vsctl_status status = read_refs(ctx, ctx->schema->name, json_array_new(),
                                         "manager_options", &uuids, &n);
    if (status == VSCTL_OK)
        status = print_targets(ctx, cmd, "Manager", uuids, n);
    free(uuids);
    return status;
}

static void update_root(struct vsctl_ctx *ctx, const char *column, struct json *value)
{
    struct json *row = json_object_put(json_object_new(), column, value);
    vsctl_add_write(ctx, op_update(ctx->schema->name, json_array_new(), row));
}

static enum vsctl_status run_del_manager(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    (void)cmd;
    enum vsctl_status status = vsctl_need_root(ctx);
    if (status == VSCTL_OK)
        update_root(ctx, "manager_options", json_empty_set());
    return status;
}

static int check_set_manager(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    return check_targets(ctx, cmd, 1);
}

/* Old Manager rows are deleted explicitly, not left to garbage collection, so that a target
 * set again gets a fresh row without tripping Manager's unique index on "target". */
static enum vsctl_status run_set_manager(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    enum vsctl_status status = vsctl_need_root(ctx);
    if (status != VSCTL_OK)
        return status;
    update_root(ctx, "manager_options", json_empty_set());
    vsctl_add_write(ctx, op_delete("Manager", json_array_new()));
    size_t n = (size_t)cmd->argc - 1;
    struct uuid *uuids = insert_targets(ctx, "Manager", &cmd->argv[1], n);
    update_root(ctx, "manager_options", json_uuid_set(uuids, n));
    free(uuids);
    return VSCTL_OK;
}

/* ---- SSL ---- */

static enum vsctl_status run_get_ssl(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    struct uuid *uuids = NULL;
    size_t n = 0;
    enum vsctl_status status = read_refs(ctx, ctx->schema->name, json_array_new(), "ssl", &uuids,
                                         &n);
    struct json *rows = NULL;
    if (status == VSCTL_OK && n == 1)
        status = vsctl_select(ctx, VIEW_DATA, "SSL", where_uuid(&uuids[0]), NULL, false, &rows);
    if (status == VSCTL_OK && vj_size(rows) == 1) {
        const struct json *ssl = vj_at(rows, 0);
        buf_printf(&cmd->output, "Private key: %s\n", row_string(ssl, "private_key"));
        buf_printf(&cmd->output, "Certificate: %s\n", row_string(ssl, "certificate"));
        buf_printf(&cmd->output, "CA Certificate: %s\n", row_string(ssl, "ca_cert"));
        buf_printf(&cmd->output, "Bootstrap: %s\n",
                   row_bool(ssl, "bootstrap_ca_cert") ? "true" : "false");
    }
    json_free(rows);
    free(uuids);
    return status;
}

static enum vsctl_status run_del_ssl(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    (void)cmd;
    enum vsctl_status status = vsctl_need_root(ctx);
    if (status == VSCTL_OK)
        update_root(ctx, "ssl", json_empty_set());
    return status;
}

static int check_set_ssl(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    for (int i = 1; i < cmd->argc; i++)
        if (db_utf8_length(cmd->argv[i]) == SIZE_MAX)
            return vsctl_usage_error(ctx, "\"%s\" is not valid UTF-8", cmd->argv[i]);
    return 0;
}

/* SSL holds at most one row: the old one is deleted in the same transaction. */
static enum vsctl_status run_set_ssl(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    enum vsctl_status status = vsctl_need_root(ctx);
    if (status != VSCTL_OK)
        return status;
    update_root(ctx, "ssl", json_empty_set());
    vsctl_add_write(ctx, op_delete("SSL", json_array_new()));
    struct uuid uuid;
    vsctl_new_uuid(ctx, &uuid);
    struct json *row = json_object_new();
    json_object_put(row, "private_key", json_string_new(cmd->argv[1]));
    json_object_put(row, "certificate", json_string_new(cmd->argv[2]));
    json_object_put(row, "ca_cert", json_string_new(cmd->argv[3]));
    json_object_put(row, "bootstrap_ca_cert", json_boolean_new(cmd->bootstrap));
    vsctl_add_write(ctx, op_insert("SSL", &uuid, row));
    update_root(ctx, "ssl", json_uuid_set(&uuid, 1));
    return VSCTL_OK;
}

/* ---- emer-reset ---- */

/* What Open vSwitch's emer-reset clears (utilities/ovs-vsctl.c, cmd_emer_reset), restricted to
 * the tables and columns this schema has; docs/cli.md lists it. */
static const char *const reset_bridge_columns[] = {
    "controller", "fail_mode", "mirrors", "netflow", "sflow", "ipfix", "flood_vlans",
};
static const char *const reset_deleted_tables[] = {
    "Mirror", "Controller", "Manager", "NetFlow", "SSL", "sFlow", "IPFIX",
    "Flow_Sample_Collector_Set",
};

static bool has_column(const struct vsctl_ctx *ctx, const char *table, const char *column)
{
    const struct db_table_schema *t = db_schema_table(ctx->schema, table);
    return t && db_table_schema_column(t, column);
}

static struct json *empty_value(const struct vsctl_ctx *ctx, const char *table,
                                const char *column)
{
    const struct db_column_schema *c =
        db_table_schema_column(db_schema_table(ctx->schema, table), column);
    return db_type_is_map(&c->type) ? json_empty_map() : json_empty_set();
}

/* Bridge other_config keeps only "hwaddr"; every bridge needs its own update for that. */
static enum vsctl_status reset_bridges(struct vsctl_ctx *ctx)
{
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_DATA, "Bridge", json_array_new(),
                                            json_strings("_uuid", "other_config", NULL), true,
                                            &rows);
    if (status != VSCTL_OK)
        return status;
    for (size_t i = 0; i < vj_size(rows); i++) {
        const struct json *bridge = vj_at(rows, i);
        struct uuid uuid;
        row_uuid(bridge, "_uuid", &uuid);
        struct json *row = json_object_new();
        for (size_t k = 0; k < sizeof reset_bridge_columns / sizeof *reset_bridge_columns; k++)
            if (has_column(ctx, "Bridge", reset_bridge_columns[k]))
                json_object_put(row, reset_bridge_columns[k],
                                empty_value(ctx, "Bridge", reset_bridge_columns[k]));
        const struct json *pairs = vj_at(vj_get(bridge, "other_config"), 1);
        struct json *kept = json_array_new();
        for (size_t k = 0; k < vj_size(pairs); k++)
            if (!strcmp(vj_string(vj_at(vj_at(pairs, k), 0)), "hwaddr"))
                json_array_append(kept, json_clone(vj_at(pairs, k)));
        json_object_put(row, "other_config",
                        json_array_append(json_array_append(json_array_new(),
                                                            json_string_new("map")), kept));
        vsctl_add_write(ctx, op_update("Bridge", where_uuid(&uuid), row));
    }
    json_free(rows);
    return VSCTL_OK;
}

static enum vsctl_status run_emer_reset(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    (void)cmd;
    enum vsctl_status status = vsctl_need_root(ctx);
    if (status == VSCTL_OK)
        status = reset_bridges(ctx);
    if (status != VSCTL_OK)
        return status;
    update_root(ctx, "manager_options", json_empty_set());
    update_root(ctx, "ssl", json_empty_set());
    if (has_column(ctx, "Port", "other_config"))
        vsctl_add_write(ctx, op_update("Port", json_array_new(),
                                       json_object_put(json_object_new(), "other_config",
                                                       json_empty_map())));
    struct json *policing = json_object_new();
    if (has_column(ctx, "Interface", "ingress_policing_rate"))
        json_object_put(policing, "ingress_policing_rate", json_integer_new(0));
    if (has_column(ctx, "Interface", "ingress_policing_burst"))
        json_object_put(policing, "ingress_policing_burst", json_integer_new(0));
    if (json_object_size(policing))
        vsctl_add_write(ctx, op_update("Interface", json_array_new(), policing));
    else
        json_free(policing);
    for (size_t i = 0; i < sizeof reset_deleted_tables / sizeof *reset_deleted_tables; i++)
        if (db_schema_table(ctx->schema, reset_deleted_tables[i]))
            vsctl_add_write(ctx, op_delete(reset_deleted_tables[i], json_array_new()));
    return VSCTL_OK;
}

/* ---- ack-db-recovery ---- */

/* Removes vsw-dbd's record of a recovery with loss (Open_vSwitch:status db_recovery_*): it
 * reports the loss with every command until an operator has dealt with it and says so. */
static enum vsctl_status run_ack_db_recovery(struct vsctl_ctx *ctx, struct vsctl_command *cmd)
{
    (void)cmd;
    if (!has_column(ctx, "Open_vSwitch", "status"))
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "vsw-dbd's schema has no Open_vSwitch "
                          "status column");
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_DATA, "Open_vSwitch", json_array_new(),
                                            json_strings("status", NULL), true, &rows);
    if (status != VSCTL_OK)
        return status;
    struct json *keys = json_array_new();
    const struct json *pairs = vj_at(vj_get(vj_at(rows, 0), "status"), 1);
    for (size_t i = 0; i < vj_size(pairs); i++) {
        const char *key = vj_string(vj_at(vj_at(pairs, i), 0));
        if (!strncmp(key, VSWITCH_RECOVERY_KEY_PREFIX, strlen(VSWITCH_RECOVERY_KEY_PREFIX)))
            json_array_append(keys, json_string_new(key));
    }
    json_free(rows);
    if (!vj_size(keys)) {
        json_free(keys);
        return VSCTL_OK;   /* nothing to acknowledge */
    }
    struct json *set = json_array_append(json_array_new(), json_string_new("set"));
    json_array_append(set, keys);
    vsctl_add_write(ctx, op_mutate("Open_vSwitch", json_array_new(),
                                   json_array_append(json_array_new(),
                                                     mutation_new("status", "delete", set))));
    return VSCTL_OK;
}

const struct vsctl_syntax vsctl_config_commands[] = {
    { "init", 0, 0, "", NULL, NULL, run_init, "initialize the database, if not yet initialized" },
    { "show", 0, 0, "", NULL, NULL, vsctl_show_run, "print an overview of the database" },
    { "emer-reset", 0, 0, "", NULL, NULL, run_emer_reset,
      "reset the configuration to a clean state (see docs/cli.md)" },
    { "ack-db-recovery", 0, 0, "", NULL, NULL, run_ack_db_recovery,
      "acknowledge that the database was recovered with loss (see docs/dbd.md)" },
    { "get-fail-mode", 1, 1, "BRIDGE", NULL, NULL, run_get_fail_mode,
      "print the fail-mode of BRIDGE" },
    { "set-fail-mode", 2, 2, "BRIDGE MODE", NULL, check_set_fail_mode, run_set_fail_mode,
      "set the fail-mode of BRIDGE to standalone or secure" },
    { "del-fail-mode", 1, 1, "BRIDGE", NULL, NULL, run_del_fail_mode,
      "delete the fail-mode of BRIDGE" },
    { "get-controller", 1, 1, "BRIDGE", NULL, NULL, run_get_controller,
      "print the controllers of BRIDGE" },
    { "set-controller", 2, INT_MAX, "BRIDGE TARGET...", NULL, check_set_controller,
      run_set_controller, "set the controllers of BRIDGE" },
    { "del-controller", 1, 1, "BRIDGE", NULL, NULL, run_del_controller,
      "delete the controllers of BRIDGE" },
    { "get-manager", 0, 0, "", NULL, NULL, run_get_manager, "print the managers" },
    { "set-manager", 1, INT_MAX, "TARGET...", NULL, check_set_manager, run_set_manager,
      "set the list of managers to TARGET..." },
    { "del-manager", 0, 0, "", NULL, NULL, run_del_manager, "delete the managers" },
    { "get-ssl", 0, 0, "", NULL, NULL, run_get_ssl, "print the SSL configuration" },
    { "set-ssl", 3, 3, "PRIVATE-KEY CERTIFICATE CA-CERT", "--bootstrap", check_set_ssl,
      run_set_ssl, "set the SSL configuration" },
    { "del-ssl", 0, 0, "", NULL, NULL, run_del_ssl, "delete the SSL configuration" },
};
const size_t vsctl_n_config_commands =
    sizeof vsctl_config_commands / sizeof vsctl_config_commands[0];
