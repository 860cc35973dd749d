/* The one transaction of an invocation: the operations commands add, the reads they make on
 * the way (each re-checked at commit by a guard), the commit with its next_cfg bump, and the
 * wait for vsw-switchd to apply it. See vsctl_private.h for the overall design. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/vsctl_private.h"

/* ---- errors ---- */

enum vsctl_status vsctl_fail_take(struct vsctl_ctx *ctx, int exit_code, char *message)
{
    if (!ctx->error) {
        ctx->error = message;
        ctx->exit_code = exit_code;
    } else {
        free(message);
    }
    return VSCTL_ERROR;
}

enum vsctl_status vsctl_fail(struct vsctl_ctx *ctx, int exit_code, const char *fmt, ...)
{
    va_list args;
    char *message;
    va_start(args, fmt);
    if (vasprintf(&message, fmt, args) < 0)
        abort();
    va_end(args);
    return vsctl_fail_take(ctx, exit_code, message);
}

int vsctl_usage_error(struct vsctl_ctx *ctx, const char *fmt, ...)
{
    va_list args;
    char *message;
    va_start(args, fmt);
    if (vasprintf(&message, fmt, args) < 0)
        abort();
    va_end(args);
    vsctl_fail_take(ctx, VSCTL_EXIT_USAGE, message);
    return -1;
}

void vsctl_new_uuid(struct vsctl_ctx *ctx, struct uuid *uuid)
{
    uuid_generate(&ctx->uuids, uuid);
}

/* ---- operation lists ---- */

static void op_list_add(struct vsctl_op_list *list, struct json *op, enum vsctl_op_kind kind)
{
    if (!list->ops)
        list->ops = json_array_new();
    if (list->n == list->allocated) {
        list->allocated = list->allocated ? 2 * list->allocated : 32;
        list->kinds = vsctl_xrealloc(list->kinds, list->allocated * sizeof *list->kinds);
    }
    json_array_append(list->ops, op);
    list->kinds[list->n++] = kind;
}

void vsctl_add_write(struct vsctl_ctx *ctx, struct json *op)
{
    op_list_add(&ctx->ops, op, OP_WRITE);
    ctx->writes = true;
}

void vsctl_add_assume(struct vsctl_ctx *ctx, struct json *op)
{
    op_list_add(&ctx->ops, op, OP_ASSUME);
}

/* ---- sending ---- */

/* Rows found by `get --id=@name` are known only when that command runs, so values parsed
 * before used a placeholder UUID: replace it by the row's real UUID. */
static void substitute_symbols(struct vsctl_ctx *ctx, struct json *json)
{
    if (vj_is_object(json)) {
        for (size_t i = 0; i < json_object_size(json); i++)
            substitute_symbols(ctx, json_object_value_at(json, i));
        return;
    }
    if (!vj_is_array(json))
        return;
    struct uuid uuid;
    if (json_to_uuid(json, &uuid)) {
        struct hmap_node *node;
        for (node = hmap_first(&ctx->symtab.symbols.map); node;
             node = hmap_next(&ctx->symtab.symbols.map, node)) {
            struct vsctl_symbol *symbol =
                CONTAINER_OF(node, struct vsctl_shash_node, node)->data;
            if (symbol->from_get && symbol->resolved && uuid_equals(&symbol->uuid, &uuid)) {
                char s[UUID_STRING_LEN + 1];
                uuid_to_string(&symbol->real, s);
                json_free(json_array_remove(json, 1));
                json_array_append(json, json_string_new(s));
                return;
            }
        }
        return;
    }
    for (size_t i = 0; i < vj_size(json); i++)
        substitute_symbols(ctx, vj_at(json, i));
}

static bool have_get_symbols(const struct vsctl_ctx *ctx)
{
    struct hmap_node *node;
    for (node = hmap_first(&ctx->symtab.symbols.map); node;
         node = hmap_next(&ctx->symtab.symbols.map, node)) {
        const struct vsctl_symbol *symbol =
            CONTAINER_OF(node, struct vsctl_shash_node, node)->data;
        if (symbol->from_get)
            return true;
    }
    return false;
}

/* Appends the elements of the JSON array `ops` to the params text. */
static void put_ops(struct vsctl_buf *params, const struct json *ops)
{
    for (size_t i = 0; i < vj_size(ops); i++) {
        char *text = json_to_string(vj_at(ops, i));
        buf_putc(params, ',');
        buf_puts(params, text);
        free(text);
    }
}

/* Sends ["<db>", <prefix>..., <front>..., <ops>..., <extra>...] (the pending parts only if
 * `pending`; `prefix` may be NULL) and parses the result array. */
static enum vsctl_status transact(struct vsctl_ctx *ctx, const struct json *prefix,
                                  bool pending, const struct json *extra,
                                  const struct vsctl_then_wait *then_wait,
                                  struct json **results)
{
    if (have_get_symbols(ctx)) {
        substitute_symbols(ctx, ctx->front.ops);
        substitute_symbols(ctx, ctx->ops.ops);
    }
    struct vsctl_buf params = { NULL, 0, 0 };
    struct json *name = json_string_new(ctx->schema->name);
    char *name_text = json_to_string(name);
    json_free(name);
    buf_printf(&params, "[%s", name_text);
    free(name_text);
    if (prefix)
        put_ops(&params, prefix);
    if (pending) {
        put_ops(&params, ctx->front.ops);
        put_ops(&params, ctx->ops.ops);
    }
    put_ops(&params, extra);
    buf_putc(&params, ']');

    char *reply = NULL, *error = NULL;
    const struct vsctl_backend *b = ctx->backend;
    ctx->n_reads++;
    int rc = then_wait && b->transact_then_wait
                 ? b->transact_then_wait(b->aux, buf_cstr(&params), then_wait, &reply,
                                         &ctx->cfg_waited, &error)
                 : b->transact(b->aux, buf_cstr(&params), &reply, &error);
    buf_free(&params);
    if (rc == VSCTL_SCHEMA_CHANGED) {
        ctx->schema_changed = !ctx->printed;
        return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "vsw-dbd's schema changed under the "
                          "invocation");
    }
    if (rc < 0) {
        enum vsctl_status status = vsctl_fail(ctx, VSCTL_EXIT_FAILED, "%s",
                                              error ? error : "vsw-dbd failed");
        free(error);
        return status;
    }
    ctx->schema_confirmed = true;
    char *parse_error = NULL;
    *results = json_parse(reply, strlen(reply), &parse_error);
    free(reply);
    free(error);
    if (!*results || !vj_is_array(*results)) {
        json_free(*results);
        *results = NULL;
        enum vsctl_status status = vsctl_fail(ctx, VSCTL_EXIT_FAILED, "vsw-dbd sent a reply "
                                              "that is not a result array: %s",
                                              parse_error ? parse_error : "not an array");
        free(parse_error);
        return status;
    }
    return VSCTL_OK;
}

bool vsctl_schema_refuted(struct vsctl_ctx *ctx)
{
    struct json *results = NULL;
    transact(ctx, NULL, false, NULL, NULL, &results);
    json_free(results);
    return ctx->schema_changed;
}

static const struct json *result_error(const struct json *result)
{
    return vj_is_object(result) ? vj_get(result, "error") : NULL;
}

static char *describe_error(const struct json *result)
{
    const char *error = vj_string(vj_get(result, "error"));
    const char *details = vj_string(vj_get(result, "details"));
    return *details ? vsctl_xasprintf("%s: %s", error, details) : vsctl_xstrdup(error);
}

/* What the failure of operation `index` of the sent list means. `n_front` and `n_ops` count
 * the pending parts (0 if they were not sent). */
static enum vsctl_status classify_failure(struct vsctl_ctx *ctx, size_t index, size_t n_front,
                                          size_t n_ops, const struct json *result)
{
    enum vsctl_op_kind kind = OP_WRITE;   /* also the commit checks, after every operation */
    if (index < n_front)
        kind = ctx->front.kinds[index];
    else if (index < n_front + n_ops)
        kind = ctx->ops.kinds[index - n_front];
    if (kind == OP_GUARD)
        return VSCTL_RETRY;
    /* The disk did not take the commit: trying again now would fail the same way. */
    bool io_error = !strcmp(vj_string(vj_get(result, "error")), "I/O error");
    if (!io_error && (kind == OP_ASSUME || !ctx->pessimistic)) {
        /* A pessimistic run reads what the optimistic one assumed, and either succeeds or
         * fails with the precise message. */
        ctx->pessimistic = true;
        return VSCTL_RETRY;
    }
    char *description = describe_error(result);
    enum vsctl_status status = vsctl_fail(ctx, VSCTL_EXIT_FAILED, "transaction failed: %s",
                                          description);
    free(description);
    return status;
}

/* Checks a reply for a failed operation among the first `n_checked` results, the first
 * `n_prefix` of which are not ours to classify (the commit's comment). */
static enum vsctl_status check_results(struct vsctl_ctx *ctx, const struct json *results,
                                       size_t n_checked, size_t n_prefix, size_t n_front,
                                       size_t n_ops)
{
    for (size_t i = 0; i < vj_size(results) && i < n_checked; i++) {
        const struct json *result = vj_at(results, i);
        if (!result_error(result))
            continue;
        if (i < n_prefix)
            return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "vsw-dbd refused the transaction's "
                              "comment");
        return classify_failure(ctx, i - n_prefix, n_front, n_ops, result);
    }
    return VSCTL_OK;
}

/* ---- reads ---- */

static struct json *clone_or_null(const struct json *json)
{
    return json ? json_clone(json) : NULL;
}

static void add_guard(struct vsctl_ctx *ctx, bool pending, const struct vsctl_query *q)
{
    if (!q->columns)
        return;   /* callers guard only reads of named columns */
    struct json *op = op_wait(q->table, json_clone(q->where), json_clone(q->columns), true,
                              json_clone(q->rows));
    /* A fact read from the committed database is checked against it, before the writes; one
     * read through the pending writes is checked where those writes have been applied. */
    op_list_add(pending ? &ctx->ops : &ctx->front, op, OP_GUARD);
}

static bool read_includes_pending(const struct vsctl_ctx *ctx, enum vsctl_view view)
{
    if (!ctx->ops.n && !ctx->front.n)
        return false;
    return view == VIEW_DATA ? ctx->writes : ctx->model_dirty;
}

static void free_queries(struct vsctl_query *queries, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_free(queries[i].where);
        json_free(queries[i].columns);
        queries[i].where = queries[i].columns = NULL;
    }
}

enum vsctl_status vsctl_query(struct vsctl_ctx *ctx, enum vsctl_view view,
                              struct vsctl_query *queries, size_t n)
{
    if (!n)
        return VSCTL_OK;
    bool pending = read_includes_pending(ctx, view);
    struct json *extra = json_array_new();
    for (size_t i = 0; i < n; i++) {
        queries[i].rows = NULL;
        json_array_append(extra, op_select(queries[i].table, json_clone(queries[i].where),
                                           clone_or_null(queries[i].columns)));
    }
    /* Nothing a read runs may stay: reads through pending writes end with an abort. */
    if (pending)
        json_array_append(extra, json_object_put(json_object_new(), "op",
                                                 json_string_new("abort")));
    struct json *results = NULL;
    enum vsctl_status status = transact(ctx, NULL, pending, extra, NULL, &results);
    json_free(extra);
    size_t n_front = pending ? ctx->front.n : 0, n_ops = pending ? ctx->ops.n : 0;
    if (status == VSCTL_OK)
        status = check_results(ctx, results, n_front + n_ops + n, 0, n_front, n_ops);
    for (size_t i = 0; status == VSCTL_OK && i < n; i++) {
        const struct json *rows = vj_get(vj_at(results, n_front + n_ops + i),
                                                  "rows");
        if (!vj_is_array(rows)) {
            status = vsctl_fail(ctx, VSCTL_EXIT_FAILED, "vsw-dbd's reply to a select of %s "
                                "has no rows", queries[i].table);
            break;
        }
        queries[i].rows = json_clone(rows);
        if (queries[i].guard)
            add_guard(ctx, pending, &queries[i]);
    }
    json_free(results);
    if (status != VSCTL_OK) {
        for (size_t i = 0; i < n; i++) {
            json_free(queries[i].rows);
            queries[i].rows = NULL;
        }
    }
    free_queries(queries, n);
    return status;
}

enum vsctl_status vsctl_select(struct vsctl_ctx *ctx, enum vsctl_view view, const char *table,
                               struct json *where, struct json *columns, bool guard,
                               struct json **rows)
{
    struct vsctl_query q = { table, where, columns, guard, NULL };
    enum vsctl_status status = vsctl_query(ctx, view, &q, 1);
    *rows = q.rows;
    return status;
}

/* ---- the root row ---- */

static const char *root_table(const struct vsctl_ctx *ctx)
{
    return ctx->schema->name;   /* Open_vSwitch: the database and its root table share it */
}

enum vsctl_status vsctl_need_root(struct vsctl_ctx *ctx)
{
    if (ctx->root_checked)
        return VSCTL_OK;
    ctx->root_checked = true;
    const char *table = root_table(ctx);
    if (!ctx->pessimistic) {
        vsctl_add_assume(ctx, op_wait(table, json_array_new(), json_array_new(), false,
                                      json_array_new()));
        return VSCTL_OK;
    }
    struct json *rows;
    enum vsctl_status status = vsctl_select(ctx, VIEW_MODEL, table, json_array_new(),
                                            json_strings("_uuid", NULL), true, &rows);
    if (status != VSCTL_OK)
        return status;
    if (!vj_size(rows)) {
        /* As ovs-vsctl: an empty database gets its root row from the first change. */
        struct uuid uuid;
        vsctl_new_uuid(ctx, &uuid);
        vsctl_add_write(ctx, op_insert(table, &uuid, json_object_new()));
    }
    json_free(rows);
    return VSCTL_OK;
}

/* ---- commit and wait ---- */

static struct json *commit_extra(struct vsctl_ctx *ctx, bool bump)
{
    struct json *extra = json_array_new();
    if (!bump)
        return extra;
    const char *table = root_table(ctx);
    struct json *mutations = json_array_append(json_array_new(),
                                               mutation_new("next_cfg", "+=",
                                                            json_integer_new(1)));
    json_array_append(extra, op_mutate(table, json_array_new(), mutations));
    json_array_append(extra, op_select(table, json_array_new(), json_strings("next_cfg", NULL)));
    return extra;
}

static int64_t read_next_cfg(const struct json *results)
{
    const struct json *last = vj_at(results, vj_size(results) - 1);
    const struct json *rows = vj_get(last, "rows");
    int64_t value = -1;
    if (vj_size(rows) == 1 && row_opt_integer(vj_at(rows, 0), "next_cfg", &value))
        return value;
    return -1;
}

enum vsctl_status vsctl_commit(struct vsctl_ctx *ctx, int64_t *next_cfg)
{
    *next_cfg = -1;
    bool bump = !ctx->options->no_wait;
    enum vsctl_status status = bump ? vsctl_need_root(ctx) : VSCTL_OK;
    if (status != VSCTL_OK)
        return status;
    /* The command line as a comment, for whoever reads dbd's log or journal. */
    struct json *comment = json_object_new();
    json_object_put(comment, "op", json_string_new("comment"));
    json_object_put(comment, "comment", json_string_new(ctx->comment));
    struct json *prefix = json_array_append(json_array_new(), comment);
    struct json *extra = commit_extra(ctx, bump);
    /* vsw-dbd may answer the commit only once vsw-switchd has written cur_cfg: the wait then
     * costs no request of its own. Within a second; vsctl_wait_for_cfg() waits further. */
    uint64_t now = ctx->backend->now_ms(ctx->backend->aux);
    uint64_t left = ctx->deadline_ms > now ? ctx->deadline_ms - now : 0;
    struct vsctl_then_wait then_wait = { root_table(ctx), "cur_cfg", "next_cfg",
                                         left < 1000 ? (unsigned int)left : 1000 };
    ctx->cfg_waited = false;

    struct json *results = NULL;
    status = transact(ctx, prefix, true, extra, bump && then_wait.ms ? &then_wait : NULL,
                      &results);
    size_t n_sent = 1 + ctx->front.n + ctx->ops.n + vj_size(extra);
    json_free(prefix);
    json_free(extra);
    /* One result more than sent: the commit checks' error, if any. */
    if (status == VSCTL_OK)
        status = check_results(ctx, results, n_sent + 1, 1, ctx->front.n, ctx->ops.n);
    if (status == VSCTL_OK && bump)
        *next_cfg = read_next_cfg(results);
    json_free(results);
    return status;
}

static enum vsctl_status read_cur_cfg(struct vsctl_ctx *ctx, int64_t *cur_cfg)
{
    struct json *extra = json_array_append(json_array_new(),
                                           op_select(root_table(ctx), json_array_new(),
                                                     json_strings("cur_cfg", NULL)));
    struct json *results = NULL;
    enum vsctl_status status = transact(ctx, NULL, false, extra, NULL, &results);
    json_free(extra);
    if (status != VSCTL_OK)
        return status;
    const struct json *rows = vj_get(vj_at(results, 0), "rows");
    *cur_cfg = -1;
    if (vj_size(rows) != 1 || !row_opt_integer(vj_at(rows, 0), "cur_cfg", cur_cfg))
        status = vsctl_fail(ctx, VSCTL_EXIT_FAILED, "cannot read %s.cur_cfg", root_table(ctx));
    json_free(results);
    return status;
}

/* [<db>, wait until a root row has cur_cfg >= cfg, for at most `ms`]: the rows matching the
 * condition, projected on no column, stop being the empty set. */
static char *wait_cfg_params(const struct vsctl_ctx *ctx, int64_t cfg, unsigned int ms)
{
    struct json *cond = json_array_append(json_strings("cur_cfg", ">=", NULL),
                                          json_integer_new(cfg));
    struct json *op = json_object_new();
    json_object_put(op, "op", json_string_new("wait"));
    json_object_put(op, "table", json_string_new(root_table(ctx)));
    json_object_put(op, "where", json_array_append(json_array_new(), cond));
    json_object_put(op, "columns", json_array_new());
    json_object_put(op, "until", json_string_new("!="));
    json_object_put(op, "rows", json_array_new());
    json_object_put(op, "timeout", json_integer_new(ms));
    struct json *params = json_array_append(json_array_new(),
                                            json_string_new(ctx->schema->name));
    json_array_append(params, op);
    char *text = json_to_string(params);
    json_free(params);
    return text;
}

enum vsctl_status vsctl_wait_for_cfg(struct vsctl_ctx *ctx, int64_t next_cfg)
{
    if (ctx->cfg_waited)
        return VSCTL_OK;   /* the commit's answer came once switchd had applied it */
    const struct vsctl_backend *b = ctx->backend;
    /* A backend whose wait blocks in vsw-dbd is answered by the commit that raises cur_cfg;
     * cur_cfg is read only after each second without it. Otherwise poll: after 1 ms first
     * (switchd often applies that fast), then backing off to 10 ms so a slow apply costs dbd
     * little. */
    bool blocks = b->wait_blocks && b->wait_blocks(b->aux);
    unsigned int delay_ms = blocks ? 1000 : 1;
    for (;;) {
        int64_t cur_cfg;
        uint64_t now = b->now_ms(b->aux);
        uint64_t left = ctx->deadline_ms > now ? ctx->deadline_ms - now : 0;
        if (left) {
            unsigned int ms = left < delay_ms ? (unsigned int)left : delay_ms;
            char *params = wait_cfg_params(ctx, next_cfg, ms);
            ctx->n_reads++;
            bool held = b->wait_cfg(b->aux, params, ms);
            free(params);
            if (held)
                return VSCTL_OK;
        }
        enum vsctl_status status = read_cur_cfg(ctx, &cur_cfg);
        if (status != VSCTL_OK)
            return status;
        if (cur_cfg >= next_cfg)
            return VSCTL_OK;
        if (b->now_ms(b->aux) >= ctx->deadline_ms)
            return vsctl_fail(ctx, VSCTL_EXIT_FAILED, "timed out waiting for vsw-switchd to "
                              "apply the change (next_cfg %" PRId64 ", cur_cfg %" PRId64 "); "
                              "the change is committed", next_cfg, cur_cfg);
        if (!blocks)
            delay_ms = delay_ms * 2 > 10 ? 10 : delay_ms * 2;
    }
}

void vsctl_warn(struct vsctl_ctx *ctx, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fputs("vsw: warning: ", ctx->err);
    vfprintf(ctx->err, fmt, args);
    fputc('\n', ctx->err);
    va_end(args);
}
