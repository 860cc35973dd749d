/* Transactions waiting for a "wait" condition; see waiting.h. */
#include "dbd/waiting.h"

#include <stdlib.h>
#include <string.h>

#include "dbd/dbd.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"

struct waiting_txn {
    struct waiting_txn *next;
    char *params;
    uint64_t deadline_ms;
    struct ipc_deferred *deferred;
};

static void on_deadline(void *arg);

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

int waiting_add(struct dbd *dbd, const char *params, int64_t timeout_ms,
                struct ipc_reply *reply)
{
    struct waiting *w = &dbd->waiting;
    if (w->n >= WAITING_MAX) {
        vlog_warn("%zu transactions wait already: one more is answered at once", w->n);
        return -1;
    }
    struct waiting_txn *t = calloc(1, sizeof *t);
    if (!t || !(t->params = strdup(params)) || !(t->deferred = ipc_reply_defer(reply))) {
        if (t)
            free(t->params);
        free(t);
        vlog_err("out of memory keeping a waiting transaction");
        return -1;
    }
    t->deadline_ms = loop_now_ms() + (uint64_t)timeout_ms;
    struct waiting_txn **tail = &w->head;
    while (*tail)
        tail = &(*tail)->next;
    *tail = t;
    w->n++;
    arm_timer(dbd);
    return 0;
}

static void forget(struct waiting *w, struct waiting_txn **link)
{
    struct waiting_txn *t = *link;
    *link = t->next;
    w->n--;
    free(t->params);
    free(t);
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
        enum store_result outcome = dbd_transact(dbd, t->params, &out, &timeout_ms);
        if (outcome == STORE_BLOCKED && t->deadline_ms > now) {
            free(out.result_json);
            link = &t->next;
            continue;
        }
        if (outcome == STORE_FAILED)
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
        ipc_deferred_error(&dbd->api, w->head->deferred, VSW__ERROR_CODE__ERROR_UNAVAILABLE,
                           "%s", why);
        forget(w, &w->head);
    }
    if (w->timer >= 0)
        loop_cancel_timer(&dbd->daemon.loop, w->timer);
    w->timer = -1;
}
