/* vsw-dbd's dispatch table: every message it accepts, on every channel it serves. */
#include <stdlib.h>
#include <string.h>

#include "dbd/dbd.h"
#include "dbd/waiting.h"
#include "lib/log.h"
#include "ovsdb/db.h"

/* Publishes a commit as soon as it is written, before it is durable: subscribers (switchd)
 * start applying it during the fsync instead of after it. The client's reply still waits for
 * the fsync. Should dbd die before the fsync completes, the change may be lost, but nobody was
 * told it was committed, and every subscriber resyncs with the restarted dbd (a new epoch). */
static void publish_update(void *arg, const char *record)
{
    struct dbd *dbd = arg;
    Vsw__DbdUpdate update = VSW__DBD_UPDATE__INIT;
    update.record_json = (char *)record;
    /* A subscriber that misses it (queue full, not yet connected) sees the gap in seq and
     * resyncs with DBD_MONITOR; dbd never waits for anyone. */
    if (ipc_publish(&dbd->events, VSW__DBD_TYPE__DBD_UPDATE, &update.base) < 0)
        vlog_debug("update %llu not delivered to every subscriber",
                 (unsigned long long)dbd->events.seq);
    /* Those waiting for this change (a CLI for cur_cfg) learn of it as subscribers do. */
    waiting_retry(dbd);
}

/* Runs one client transaction (`params`, RFC 7047 transact params) and fills `out` with the
 * reply (out->result_json malloc'd: the caller frees it). STORE_FAILED has stopped the loop;
 * STORE_REFUSED (the disk did not take the commit) is a result like any failed transaction's;
 * STORE_BLOCKED sets *wait_timeout_ms (see store_transact()). */
static enum store_result dbd_transact(struct dbd *dbd, const char *params,
                                      Vsw__TransactReply *out, int64_t *wait_timeout_ms)
{
    char *result = NULL, *record = NULL;
    enum store_result outcome = store_transact(&dbd->store, params, strlen(params), &result,
                                               &record, publish_update, dbd, wait_timeout_ms);
    free(record);
    out->result_json = result;
    if (outcome == STORE_FAILED) {
        /* The journal's end is unknown and memory may be ahead of it: answering would
         * acknowledge what may be lost. Exit, and the restart replays what the file holds. */
        vlog_err("the journal could not be restored after a failed write; exiting so that "
                 "the restart reloads the database from disk");
        dbd->failed = true;
        loop_stop(&dbd->daemon.loop);
    } else if (outcome == STORE_COMMITTED) {
        out->committed = true;
        out->seq = dbd->events.seq;   /* that of the update publish_update() sent */
        compaction_schedule(dbd);
    }
    const char *notice = store_recovery_notice(&dbd->store);
    out->warning = (char *)(notice ? notice : "");
    return outcome;
}

static void handle_transact(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    struct dbd *dbd = ctx;
    const Vsw__TransactRequest *req = (const Vsw__TransactRequest *)request;
    if (req->schema_digest[0] && strcmp(req->schema_digest, dbd->schema_digest)) {
        Vsw__TransactReply mismatch = VSW__TRANSACT_REPLY__INIT;
        mismatch.result_json = "";
        mismatch.schema_mismatch = true;
        ipc_reply_message(reply, &mismatch.base);
        return;
    }
    Vsw__TransactReply out = VSW__TRANSACT_REPLY__INIT;
    int64_t timeout_ms = 0;
    enum store_result outcome = dbd_transact(dbd, req->params_json, &out, &timeout_ms);
    if (outcome == STORE_FAILED) {
        ipc_reply_error(reply, VSW__ERROR_CODE__ERROR_UNAVAILABLE,
                        "the journal could not be restored after a failed write; the change "
                        "may or may not survive the restart of vsw-dbd");
    } else if (outcome == STORE_COMMITTED && req->then_wait_ms > 0) {
        /* Answered once its condition holds, unless it cannot wait. */
        if (waiting_after_commit(dbd, req, &out, reply) < 0)
            ipc_reply_message(reply, &out.base);
    } else if (!(outcome == STORE_BLOCKED && waiting_allowed(req->params_json) &&
                 waiting_add(dbd, req->params_json, timeout_ms, reply) == 0)) {
        ipc_reply_message(reply, &out.base);
    }
    free(out.result_json);
}

static void handle_monitor(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    struct dbd *dbd = ctx;
    const Vsw__MonitorRequest *req = (const Vsw__MonitorRequest *)request;
    char *error = NULL;
    char *updates = db_monitor_snapshot(dbd->store.db, req->requests_json,
                                        strlen(req->requests_json), &error);
    if (!updates) {
        vlog_warn("monitor request refused: %s", error ? error : "out of memory");
        ipc_reply_error(reply, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT, "%s",
                        error ? error : "out of memory");
        free(error);
        return;
    }
    Vsw__MonitorReply out = VSW__MONITOR_REPLY__INIT;
    out.updates_json = updates;
    out.epoch = dbd->events.epoch;
    out.seq = dbd->events.seq;
    ipc_reply_message(reply, &out.base);
    free(updates);
}

static void handle_get_schema(void *ctx, const ProtobufCMessage *request,
                              struct ipc_reply *reply)
{
    struct dbd *dbd = ctx;
    (void)request;
    Vsw__GetSchemaReply out = VSW__GET_SCHEMA_REPLY__INIT;
    out.schema_json = dbd->schema_text;
    out.digest = dbd->schema_digest;
    ipc_reply_message(reply, &out.base);
}

static void handle_compact(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    (void)request;
    compaction_request(ctx, reply);
}

const struct ipc_route dbd_routes[] = {
    DAEMON_CONTROL_ROUTES,
    { VSW__CHANNEL__CHANNEL_DBD, VSW__DBD_TYPE__DBD_HELLO, "DBD_HELLO", &vsw__hello__descriptor,
      daemon_handle_hello },
    { VSW__CHANNEL__CHANNEL_DBD, VSW__DBD_TYPE__DBD_TRANSACT, "DBD_TRANSACT",
      &vsw__transact_request__descriptor, handle_transact },
    { VSW__CHANNEL__CHANNEL_DBD, VSW__DBD_TYPE__DBD_MONITOR, "DBD_MONITOR",
      &vsw__monitor_request__descriptor, handle_monitor },
    { VSW__CHANNEL__CHANNEL_DBD, VSW__DBD_TYPE__DBD_GET_SCHEMA, "DBD_GET_SCHEMA",
      &vsw__get_schema_request__descriptor, handle_get_schema },
    { VSW__CHANNEL__CHANNEL_DBD, VSW__DBD_TYPE__DBD_COMPACT, "DBD_COMPACT",
      &vsw__compact_request__descriptor, handle_compact },
};
const size_t dbd_n_routes = sizeof dbd_routes / sizeof dbd_routes[0];
