/* One invocation of the database commands: parse the command line, check it against the
 * schema, run the commands into one transaction (again if the database changed meanwhile),
 * commit, print, wait for vsw-switchd. See vsctl_private.h for the design. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/vsctl_private.h"

/* Bound on attempts, beyond the deadline: a run only repeats when another client changed
 * what it read, which cannot go on for long on a real host. */
#define MAX_ATTEMPTS 50

void vsctl_options_init(struct vsctl_options *options)
{
    memset(options, 0, sizeof *options);
    options->format = VSCTL_FORMAT_LIST;
    options->timeout_ms = 30 * 1000;
}

/* ---- the command table ---- */

static const struct {
    const struct vsctl_syntax *commands;
    const size_t *n;
} command_groups[] = {
    { vsctl_config_commands, &vsctl_n_config_commands },
    { vsctl_bridge_commands, &vsctl_n_bridge_commands },
    { vsctl_port_commands, &vsctl_n_port_commands },
    { vsctl_db_commands, &vsctl_n_db_commands },
};

const struct vsctl_syntax *vsctl_find_syntax(const char *name)
{
    for (size_t g = 0; g < sizeof command_groups / sizeof command_groups[0]; g++)
        for (size_t i = 0; i < *command_groups[g].n; i++)
            if (!strcmp(command_groups[g].commands[i].name, name))
                return &command_groups[g].commands[i];
    return NULL;
}

bool vsctl_is_command(const char *name)
{
    return vsctl_find_syntax(name) != NULL;
}

void vsctl_print_help(FILE *out)
{
    for (size_t g = 0; g < sizeof command_groups / sizeof command_groups[0]; g++) {
        for (size_t i = 0; i < *command_groups[g].n; i++) {
            const struct vsctl_syntax *s = &command_groups[g].commands[i];
            char *usage = vsctl_xasprintf("%s %s", s->name, s->arguments);
            fprintf(out, "  %-40s %s\n", usage, s->help);
            free(usage);
        }
    }
}

/* ---- command options ---- */

static const struct {
    const char *name;
    bool has_arg;
} command_options[] = {
    { "--if-exists", false }, { "--may-exist", false }, { "--with-iface", false },
    { "--fake-iface", false }, { "--real", false },     { "--fake", false },
    { "--all", false },       { "--bootstrap", false }, { "--id", true },
    { "--columns", true },
};

static int find_command_option(const char *arg, size_t *len)
{
    const char *eq = strchr(arg, '=');
    *len = eq ? (size_t)(eq - arg) : strlen(arg);
    for (size_t i = 0; i < sizeof command_options / sizeof command_options[0]; i++)
        if (strlen(command_options[i].name) == *len && !strncmp(arg, command_options[i].name, *len))
            return (int)i;
    return -1;
}

bool vsctl_is_command_option(const char *arg)
{
    size_t len;
    return find_command_option(arg, &len) >= 0;
}

/* Whether `syntax` lists option `name` ("--id") in its options string ("--if-exists,--id="). */
static bool syntax_takes(const struct vsctl_syntax *syntax, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = syntax->options; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        size_t m = n && p[n - 1] == '=' ? n - 1 : n;
        if (m == len && !strncmp(p, name, len))
            return true;
        p = end ? end + 1 : p + n;
    }
    return false;
}

static int set_option(struct vsctl_ctx *ctx, struct vsctl_command *cmd, int index,
                      const char *arg, const char *value)
{
    const char *name = command_options[index].name;
    bool *flags[] = { &cmd->if_exists, &cmd->may_exist, &cmd->with_iface, &cmd->fake_iface,
                      &cmd->real,      &cmd->fake,      &cmd->all,        &cmd->bootstrap };
    if (command_options[index].has_arg && (!value || !*value))
        return vsctl_usage_error(ctx, "option '%s' needs a value (%s=...)", name, name);
    if (!command_options[index].has_arg && value)
        return vsctl_usage_error(ctx, "option '%s' takes no value", name);
    if (!strcmp(name, "--id")) {
        if (cmd->id)
            return vsctl_usage_error(ctx, "'%s' option specified multiple times", arg);
        cmd->id = value;
    } else if (!strcmp(name, "--columns")) {
        if (cmd->columns)
            return vsctl_usage_error(ctx, "'%s' option specified multiple times", arg);
        cmd->columns = value;
    } else {
        if (*flags[index])
            return vsctl_usage_error(ctx, "'%s' option specified multiple times", arg);
        *flags[index] = true;
    }
    return 0;
}

/* Parses "[--option...] name args..." into `cmd`. */
static int parse_command(struct vsctl_ctx *ctx, int argc, char **argv, struct vsctl_command *cmd)
{
    int i = 0;
    struct vsctl_buf text = { NULL, 0, 0 };
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        size_t len;
        int index = find_command_option(argv[i], &len);
        buf_printf(&text, "%s ", argv[i]);
        if (index < 0) {
            buf_free(&text);
            return vsctl_usage_error(ctx, "unknown option '%s'", argv[i]);
        }
        const char *value = argv[i][len] == '=' ? argv[i] + len + 1 : NULL;
        if (set_option(ctx, cmd, index, argv[i], value) < 0) {
            buf_free(&text);
            return -1;
        }
    }
    if (i == argc) {
        buf_free(&text);
        return vsctl_usage_error(ctx, "missing command name");
    }
    cmd->syntax = vsctl_find_syntax(argv[i]);
    if (!cmd->syntax) {
        buf_free(&text);
        return vsctl_usage_error(ctx, "unknown command '%s'", argv[i]);
    }
    cmd->argv = &argv[i];
    cmd->argc = argc - i;
    for (int k = i; k < argc; k++)
        buf_printf(&text, "%s%s", k > i ? " " : "", argv[k]);
    cmd->text = text.s;
    return 0;
}

static int check_command_shape(struct vsctl_ctx *ctx, const struct vsctl_command *cmd)
{
    const struct vsctl_syntax *s = cmd->syntax;
    int n_args = cmd->argc - 1;
    const char *options[] = { "--if-exists", "--may-exist", "--with-iface", "--fake-iface",
                              "--real",      "--fake",      "--all",        "--bootstrap" };
    const bool flags[] = { cmd->if_exists, cmd->may_exist, cmd->with_iface, cmd->fake_iface,
                           cmd->real,      cmd->fake,      cmd->all,        cmd->bootstrap };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i] && !syntax_takes(s, options[i]))
            return vsctl_usage_error(ctx, "'%s' command has no '%s' option", s->name, options[i]);
    if (cmd->id && !syntax_takes(s, "--id"))
        return vsctl_usage_error(ctx, "'%s' command has no '--id' option", s->name);
    if (cmd->columns && !syntax_takes(s, "--columns"))
        return vsctl_usage_error(ctx, "'%s' command has no '--columns' option", s->name);
    if (n_args < s->min_args)
        return vsctl_usage_error(ctx, "'%s' command requires at least %d argument%s (%s %s)",
                                 s->name, s->min_args, s->min_args == 1 ? "" : "s", s->name,
                                 s->arguments);
    if (n_args > s->max_args)
        return vsctl_usage_error(ctx, "'%s' command takes at most %d argument%s (%s %s)",
                                 s->name, s->max_args, s->max_args == 1 ? "" : "s", s->name,
                                 s->arguments);
    return 0;
}

/* Splits argv at "--" into commands. */
static int parse_commands(struct vsctl_ctx *ctx, int argc, char **argv)
{
    /* Every argument may end up in the JSON of the transaction, which must be UTF-8. */
    for (int i = 0; i < argc; i++)
        if (db_utf8_length(argv[i]) == SIZE_MAX)
            return vsctl_usage_error(ctx, "argument %d is not valid UTF-8", i + 1);
    ctx->commands = vsctl_xzalloc((size_t)(argc + 1) * sizeof *ctx->commands);
    int start = 0;
    for (int i = 0; i <= argc; i++) {
        if (i < argc && strcmp(argv[i], "--"))
            continue;
        if (i > start) {
            struct vsctl_command *cmd = &ctx->commands[ctx->n_commands];
            cmd->index = ctx->n_commands++;
            if (parse_command(ctx, i - start, &argv[start], cmd) < 0 ||
                check_command_shape(ctx, cmd) < 0)
                return -1;
        }
        start = i + 1;
    }
    if (!ctx->n_commands)
        return vsctl_usage_error(ctx, "missing command name");
    return 0;
}

/* ---- checks against the schema ---- */

static int check_symbols(struct vsctl_ctx *ctx)
{
    struct hmap_node *node;
    for (node = hmap_first(&ctx->symtab.symbols.map); node;
         node = hmap_next(&ctx->symtab.symbols.map, node)) {
        const struct vsctl_symbol *symbol =
            CONTAINER_OF(node, struct vsctl_shash_node, node)->data;
        if (!symbol->created && !symbol->from_get)
            return vsctl_usage_error(ctx, "row id \"%s\" is referenced but never created (e.g. "
                                     "with \"-- --id=%s create ...\")", symbol->name,
                                     symbol->name);
        if (symbol->from_get && symbol->first_use <= symbol->defined_by)
            return vsctl_usage_error(ctx, "row id \"%s\" is used before the \"get\" command "
                                     "that defines it", symbol->name);
    }
    return 0;
}

static int check_commands(struct vsctl_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_commands; i++) {
        struct vsctl_command *cmd = &ctx->commands[i];
        ctx->symtab.current_command = i;
        if (cmd->syntax->check && cmd->syntax->check(ctx, cmd) < 0)
            return -1;
    }
    return check_symbols(ctx);
}

/* ---- attempts ---- */

static void reset_attempt(struct vsctl_ctx *ctx)
{
    json_free(ctx->front.ops);
    free(ctx->front.kinds);
    json_free(ctx->ops.ops);
    free(ctx->ops.kinds);
    memset(&ctx->front, 0, sizeof ctx->front);
    memset(&ctx->ops, 0, sizeof ctx->ops);
    ctx->writes = false;
    ctx->model_dirty = false;
    ctx->root_checked = false;
    vsctl_model_destroy(&ctx->model);
    vsctl_model_init(&ctx->model);
    for (size_t i = 0; i < ctx->n_commands; i++) {
        buf_free(&ctx->commands[i].output);
        vsctl_table_free(ctx->commands[i].table);
        ctx->commands[i].table = NULL;
    }
    struct hmap_node *node;
    for (node = hmap_first(&ctx->symtab.symbols.map); node;
         node = hmap_next(&ctx->symtab.symbols.map, node)) {
        struct vsctl_symbol *symbol = CONTAINER_OF(node, struct vsctl_shash_node, node)->data;
        symbol->resolved = false;
    }
}

static enum vsctl_status run_commands(struct vsctl_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_commands; i++) {
        struct vsctl_command *cmd = &ctx->commands[i];
        enum vsctl_status status = cmd->syntax->run(ctx, cmd);
        if (status != VSCTL_OK)
            return status;
    }
    return VSCTL_OK;
}

/* One attempt: run, then commit if something was written. */
static enum vsctl_status attempt(struct vsctl_ctx *ctx, int64_t *next_cfg)
{
    *next_cfg = -1;
    reset_attempt(ctx);
    enum vsctl_status status = run_commands(ctx);
    if (status != VSCTL_OK || !ctx->writes || ctx->options->dry_run)
        return status;
    return vsctl_commit(ctx, next_cfg);
}

static void print_oneline(const char *s, FILE *out)
{
    size_t len = strlen(s);
    while (len && s[len - 1] == '\n')
        len--;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            fputs("\\n", out);
        else if (s[i] == '\\')
            fputs("\\\\", out);
        else
            putc(s[i], out);
    }
    putc('\n', out);
}

static void print_outputs(struct vsctl_ctx *ctx, FILE *out)
{
    ctx->printed = true;
    for (size_t i = 0; i < ctx->n_commands; i++) {
        struct vsctl_command *cmd = &ctx->commands[i];
        if (cmd->table)
            vsctl_table_format(cmd->table, ctx->options, &cmd->output);
        if (ctx->options->oneline)
            print_oneline(buf_cstr(&cmd->output), out);
        else
            fputs(buf_cstr(&cmd->output), out);
    }
    fflush(out);
}

static int run_attempts(struct vsctl_ctx *ctx, FILE *out)
{
    const struct vsctl_backend *b = ctx->backend;
    int64_t next_cfg = -1;
    enum vsctl_status status = VSCTL_RETRY;
    for (int n = 0; n < MAX_ATTEMPTS && status == VSCTL_RETRY; n++) {
        if (n && b->now_ms(b->aux) >= ctx->deadline_ms)
            break;
        status = attempt(ctx, &next_cfg);
    }
    if (status == VSCTL_RETRY)
        vsctl_fail(ctx, VSCTL_EXIT_FAILED, "the database kept changing under the transaction; "
                   "gave up after %d attempts", MAX_ATTEMPTS);
    if (ctx->error)
        return ctx->exit_code;
    print_outputs(ctx, out);
    if (next_cfg < 0)
        return VSCTL_EXIT_OK;
    return vsctl_wait_for_cfg(ctx, next_cfg) == VSCTL_OK ? VSCTL_EXIT_OK : ctx->exit_code;
}

/* ---- the invocation ---- */

static int load_schema(struct vsctl_ctx *ctx)
{
    char *error = NULL;
    if (ctx->backend->get_schema(ctx->backend->aux, &ctx->schema, &ctx->schema_assumed,
                                 &error) < 0) {
        vsctl_fail(ctx, VSCTL_EXIT_FAILED, "%s", error ? error : "cannot get the schema");
        free(error);
        return -1;
    }
    return 0;
}

static char *join_args(int argc, char **argv)
{
    struct vsctl_buf text = { NULL, 0, 0 };
    buf_puts(&text, "vsw:");
    for (int i = 0; i < argc; i++)
        buf_printf(&text, " %s", argv[i]);
    return text.s;
}

static void ctx_destroy(struct vsctl_ctx *ctx)
{
    reset_attempt(ctx);
    vsctl_model_destroy(&ctx->model);
    for (size_t i = 0; i < ctx->n_commands; i++) {
        struct vsctl_command *cmd = &ctx->commands[i];
        if (cmd->free_data)
            cmd->free_data(cmd->data);
        free(cmd->text);
    }
    free(ctx->commands);
    symtab_destroy(&ctx->symtab);
    free(ctx->comment);
    free(ctx->error);
}

/* Whether the backend's schema is not the database's, asked with a transaction of no
 * operation. Only an invocation that failed without a request asks: its error may come from
 * the schema (a column the database has and the CLI's built-in schema lacks). */
static bool schema_is_stale(struct vsctl_ctx *ctx)
{
    if (!ctx->schema_assumed || ctx->schema_confirmed || !ctx->schema)
        return false;
    return vsctl_schema_refuted(ctx);
}

/* One run of the invocation over the backend's current schema. *rerun: the schema was not the
 * database's; nothing was committed or printed. */
static int run_once(const struct vsctl_options *options, int argc, char **argv,
                    const struct vsctl_backend *backend, FILE *out, FILE *err, bool *rerun)
{
    struct vsctl_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.err = err;
    ctx.options = options;
    ctx.backend = backend;
    uuid_generator_init(&ctx.uuids);
    symtab_init(&ctx.symtab, &ctx.uuids);
    vsctl_model_init(&ctx.model);
    ctx.comment = join_args(argc, argv);
    uint64_t now = backend->now_ms(backend->aux);
    ctx.deadline_ms = options->timeout_ms > 0 ? now + (uint64_t)options->timeout_ms : UINT64_MAX;

    int rc;
    if (parse_commands(&ctx, argc, argv) < 0) {
        fprintf(err, "vsw: %s (try 'vsw --help')\n", ctx.error);
        rc = ctx.exit_code;
    } else if (load_schema(&ctx) < 0 || check_commands(&ctx) < 0) {
        *rerun = schema_is_stale(&ctx);
        if (!*rerun)
            fprintf(err, "vsw: %s\n", ctx.error);
        rc = ctx.exit_code;
    } else {
        rc = run_attempts(&ctx, out);
        *rerun = ctx.schema_changed || (rc != VSCTL_EXIT_OK && schema_is_stale(&ctx));
        if (ctx.error && *ctx.error && !*rerun)   /* br-exists fails silently */
            fprintf(err, "vsw: %s\n", ctx.error);
    }
    ctx_destroy(&ctx);
    return rc;
}

int vsctl_run(const struct vsctl_options *options, int argc, char **argv,
              const struct vsctl_backend *backend, FILE *out, FILE *err)
{
    /* The CLI starts with the schema it was built with (one request less per call); if vsw-dbd
     * runs another, it runs once more with vsw-dbd's. Once more again covers vsw-dbd
     * restarting with a new schema meanwhile; beyond that, it is an error. */
    for (int run = 0;; run++) {
        bool rerun = false;
        int rc = run_once(options, argc, argv, backend, out, err, &rerun);
        if (!rerun)
            return rc;
        if (run == 2) {
            fprintf(err, "vsw: vsw-dbd's schema keeps changing\n");
            return VSCTL_EXIT_FAILED;
        }
    }
}
