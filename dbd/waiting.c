/* Transactions waiting for a "wait" condition; see waiting.h. */
#include "dbd/waiting.h"

#include <stdlib.h>
#include <string.h>

#include "dbd/dbd.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "ovsdb/db.h"

struct waiting_txn {
    struct waiting_txn *next;
    char *params;
    uint64_t deadline_ms;
    struct ipc_deferred *deferred;
    /* A committed transaction waiting for its then_wait condition is answered with its own
     * reply (malloc'd result), not the wait's. NULL for a client's own waiting transaction. */
    char *answer_result;
    uint64_t answer_seq;
};

static void on_deadline(void *arg);

/* Runs a waiting transaction again. It only reads (waiting_allowed()), so it never commits and
 * has nothing to publish; it goes to the store directly, which keeps this file below dispatch.c
 * (whose commits call waiting_retry()) rather than beside it in a cycle. */
static enum store_result run_again(struct dbd *dbd, const char *params, Vsw__TransactReply *out,
                                   int64_t *wait_timeout_ms)
{
    char *result = NULL, *record = NULL;
    enum store_result outcome = store_transact(&dbd->store, params, strlen(params), &result,
                                               &record, NULL, NULL, wait_timeout_ms);
    free(record);
    out->result_json = result;
    return outcome;
}

bool waiting_allowed(const char *params)
{
    static const char *const reading[] = { "wait", "select", "comment", "assert", NULL };
    struct json *json = json_parse(params, strlen(params), NULL);
    bool allowed = json_is_array(json);
    for (size_t i = 1; allowed && i < json_array_size(json); i++) {
        const char *op = json_string(json_object_get(json_array_at(json, i), "op"));
        allowed = false;
        for (size_t k = 0; op && reading[k]; k++)
            allowed |= strcmp(op, reading[k]) == 0;
    }
    json_free(json);
    return allowed;
}

/* One timer, for the earliest deadline. */
static void arm_timer(struct dbd *dbd)
{
    struct waiting *w = &dbd->waiting;
    if (w->timer >= 0)
        loop_cancel_timer(&dbd->daemon.loop, w->timer);
    w->timer = -1;
    uint64_t earliest = UINT64_MAX;
    for (const struct waiting_txn *t = w->head; t; t = t->next)
        earliest = t->deadline_ms < earliest ? t->deadline_ms : earliest;
    if (earliest == UINT64_MAX)
        return;
    uint64_t now = loop_now_ms();
    w->timer = loop_add_timer(&dbd->daemon.loop, earliest > now ? earliest - now : 0, 0,
                              on_deadline, dbd);
    if (w->timer < 0)
        vlog_err("cannot arm the timer of waiting transactions: they are answered at the next "
                 "commit only");
}

/* Keeps `params` and defers `reply`; NULL when full or out of memory. */
static struct waiting_txn *add(struct dbd *dbd, const char *params, int64_t timeout_ms,
                               struct ipc_reply *reply)
{
    struct waiting *w = &dbd->waiting;
    if (w->n >= WAITING_MAX) {
        vlog_warn("%zu transactions wait already: one more is answered at once", w->n);
        return NULL;
    }
    struct waiting_txn *t = calloc(1, sizeof *t);
    if (!t || !(t->params = strdup(params)) || !(t->deferred = ipc_reply_defer(reply))) {
        if (t)
            free(t->params);
        free(t);
        vlog_err("out of memory keeping a waiting transaction");
        return NULL;
    }
    t->deadline_ms = loop_now_ms() + (uint64_t)timeout_ms;
    struct waiting_txn **tail = &w->head;
    while (*tail)
        tail = &(*tail)->next;
    *tail = t;
    w->n++;
    arm_timer(dbd);
    return t;
}

int waiting_add(struct dbd *dbd, const char *params, int64_t timeout_ms,
                struct ipc_reply *reply)
{
    return add(dbd, params, timeout_ms, reply) ? 0 : -1;
}

/* Whether a result array holds no error. */
static bool result_ok(const char *result)
{
    struct json *json = json_parse(result, strlen(result), NULL);
    bool ok = json_is_array(json);
    for (size_t i = 0; ok && i < json_array_size(json); i++)
        ok = json_object_get(json_array_at(json, i), "error") == NULL;
    json_free(json);
    return ok;
}

/* The integer `column` of the single row of `table`, into *value; false if there is not
 * exactly one row or the column is not an integer. */
static bool read_single_integer(struct dbd *dbd, const char *db_name, const char *table,
                                const char *column, int64_t *value)
{
    struct json *op = json_object_new();
    json_object_put(op, "op", json_string_new("select"));
    json_object_put(op, "table", json_string_new(table));
    json_object_put(op, "where", json_array_new());
    json_object_put(op, "columns",
                    json_array_append(json_array_new(), json_string_new(column)));
    struct json *params = json_array_append(json_array_new(), json_string_new(db_name));
    json_array_append(params, op);
    char *text = json_to_string(params);
    json_free(params);
    char *reply = NULL;
    bool found = false;
    if (db_transact(dbd->store.db, text, strlen(text), &reply, NULL) == 0) {
        struct json *results = json_parse(reply, strlen(reply), NULL);
        const struct json *rows = json_object_get(json_array_at(results, 0), "rows");
        const struct json *cell = json_array_size(rows) == 1
                                      ? json_object_get(json_array_at(rows, 0), column)
                                      : NULL;
        found = json_is_integer(cell);
        if (found)
            *value = json_integer(cell);
        json_free(results);
    }
    free(reply);
    free(text);
    return found;
}

/* [<db>, wait until a row of `table` has `column` >= `value`, for at most `ms`]. */
static char *wait_at_least(const char *db_name, const char *table, const char *column,
                           int64_t value, uint32_t ms)
{
    struct json *cond = json_array_append(json_array_new(), json_string_new(column));
    json_array_append(cond, json_string_new(">="));
    json_array_append(cond, json_integer_new(value));
    struct json *op = json_object_new();
    json_object_put(op, "op", json_string_new("wait"));
    json_object_put(op, "table", json_string_new(table));
    json_object_put(op, "where", json_array_append(json_array_new(), cond));
    json_object_put(op, "columns", json_array_new());
    json_object_put(op, "until", json_string_new("!="));
    json_object_put(op, "rows", json_array_new());
    json_object_put(op, "timeout", json_integer_new(ms));
    struct json *params = json_array_append(json_array_new(), json_string_new(db_name));
    json_array_append(params, op);
    char *text = json_to_string(params);
    json_free(params);
    return text;
}

int waiting_after_commit(struct dbd *dbd, const Vsw__TransactRequest *req,
                         Vsw__TransactReply *answer, struct ipc_reply *reply)
{
    const char *db_name = db_get_schema(dbd->store.db)->name;
    int64_t target;
    if (!read_single_integer(dbd, db_name, req->then_wait_table, req->then_wait_reaches,
                             &target))
        return -1;
    char *params = wait_at_least(db_name, req->then_wait_table, req->then_wait_column, target,
                                 req->then_wait_ms);
    Vsw__TransactReply now = VSW__TRANSACT_REPLY__INIT;
    int64_t timeout_ms = 0;
    enum store_result outcome = run_again(dbd, params, &now, &timeout_ms);
    if (outcome != STORE_BLOCKED) {
        answer->waited = result_ok(now.result_json);
        free(now.result_json);
        free(params);
        return -1;
    }
    free(now.result_json);
    char *result = strdup(answer->result_json);
    struct waiting_txn *t = result ? add(dbd, params, timeout_ms, reply) : NULL;
    free(params);
    if (!t) {
        free(result);
        return -1;
    }
    t->answer_result = result;
    t->answer_seq = answer->seq;
    return 0;
}

static void forget(struct waiting *w, struct waiting_txn **link)
{
    struct waiting_txn *t = *link;
    *link = t->next;
    w->n--;
    free(t->params);
    free(t->answer_result);
    free(t);
}

/* Answers a committed transaction that waited: its own result, and whether the wait held. */
static void answer_committed(struct dbd *dbd, struct waiting_txn *t, bool waited)
{
    Vsw__TransactReply out = VSW__TRANSACT_REPLY__INIT;
    out.result_json = t->answer_result;
    out.committed = true;
    out.seq = t->answer_seq;
    out.waited = waited;
    ipc_deferred_reply(&dbd->api, t->deferred, &out.base);
}

/* Runs the waiting transactions; answers those that no longer wait, or whose deadline is
 * `now` or earlier. */
static void run_all(struct dbd *dbd, uint64_t now)
{
    struct waiting *w = &dbd->waiting;
    if (w->retrying)
        return;
    w->retrying = true;
    size_t before = w->n;
    for (struct waiting_txn **link = &w->head; *link;) {
        struct waiting_txn *t = *link;
        Vsw__TransactReply out = VSW__TRANSACT_REPLY__INIT;
        int64_t timeout_ms = 0;
        enum store_result outcome = run_again(dbd, t->params, &out, &timeout_ms);
        if (outcome == STORE_BLOCKED && t->deadline_ms > now) {
            free(out.result_json);
            link = &t->next;
            continue;
        }
        if (t->answer_result)
            answer_committed(dbd, t, outcome != STORE_BLOCKED && result_ok(out.result_json));
        else if (outcome == STORE_FAILED)
            ipc_deferred_error(&dbd->api, t->deferred, VSW__ERROR_CODE__ERROR_UNAVAILABLE,
                               "the journal write failed");
        else
            ipc_deferred_reply(&dbd->api, t->deferred, &out.base);
        free(out.result_json);
        forget(w, link);
    }
    w->retrying = false;
    if (w->n != before || w->timer < 0)
        arm_timer(dbd);
}

void waiting_retry(struct dbd *dbd)
{
    if (dbd->waiting.head)
        run_all(dbd, 0);
}

static void on_deadline(void *arg)
{
    struct dbd *dbd = arg;
    dbd->waiting.timer = -1;
    run_all(dbd, loop_now_ms());
}

void waiting_abandon(struct dbd *dbd, const char *why)
{
    struct waiting *w = &dbd->waiting;
    while (w->head) {
        if (w->head->answer_result)
            answer_committed(dbd, w->head, false);
        else
            ipc_deferred_error(&dbd->api, w->head->deferred,
                               VSW__ERROR_CODE__ERROR_UNAVAILABLE, "%s", why);
        forget(w, &w->head);
    }
    if (w->timer >= 0)
        loop_cancel_timer(&dbd->daemon.loop, w->timer);
    w->timer = -1;
}
