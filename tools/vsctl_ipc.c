/* The database commands' backend over IPC to vsw-dbd. */
#include "tools/vsctl_ipc.h"

#include <errno.h>
#include <nanomsg/nn.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dbd/compiled_schema.h"
#include "lib/json.h"
#include "proto/dbd.pb-c.h"

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t ipc_now_ms(void *aux)
{
    (void)aux;
    return monotonic_ms();
}

static void sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        continue;
}

/* Notes the root row's cur_cfg if this update changed it (a row inserted whole, or a
 * ["modify", {..., "cur_cfg": N}, {...}]). */
static void note_cur_cfg(struct vsctl_ipc *ipc, const Vsw__Envelope *env)
{
    if (env->type != VSW__DBD_TYPE__DBD_UPDATE)
        return;
    Vsw__DbdUpdate *update = vsw__dbd_update__unpack(NULL, env->payload.len, env->payload.data);
    if (!update)
        return;
    /* Most updates (the commit being waited for among them) do not touch cur_cfg: those need
     * no parsing. */
    if (!strstr(update->record_json, "\"cur_cfg\"")) {
        vsw__dbd_update__free_unpacked(update, NULL);
        return;
    }
    struct json *record = json_parse(update->record_json, strlen(update->record_json), NULL);
    const struct json *roots = json_object_get(record, "Open_vSwitch");
    for (size_t i = 0; i < json_object_size(roots); i++) {
        const struct json *row = json_object_value_at(roots, i);
        if (json_is_array(row))
            row = json_array_at(row, 1);
        const struct json *cfg = json_object_get(row, "cur_cfg");
        if (json_is_integer(cfg) && json_integer(cfg) > ipc->seen_cur_cfg)
            ipc->seen_cur_cfg = json_integer(cfg);
    }
    json_free(record);
    vsw__dbd_update__free_unpacked(update, NULL);
}

/* Takes the waiting updates. Returns false if one may have been lost (a gap or a new epoch
 * after the first message): what it said must then be read. */
static bool take_updates(struct vsctl_ipc *ipc)
{
    bool complete = true;
    Vsw__Envelope *env = NULL;
    enum ipc_stream_status status;
    while ((status = ipc_subscriber_next(&ipc->updates, &env)) != IPC_STREAM_EMPTY) {
        if (status == IPC_STREAM_RESYNC && ipc->heard)
            complete = false;
        if (env) {
            ipc->heard = true;
            note_cur_cfg(ipc, env);
            vsw__envelope__free_unpacked(env, NULL);
        }
        env = NULL;
    }
    return complete;
}

/* Waits up to `ms` for an update showing cur_cfg >= cfg. Without a subscription, or if it
 * missed a message, the caller reads instead; one that has not connected yet sees nothing, and
 * the caller's reads are the fallback. */
static bool ipc_wait_cfg(void *aux, int64_t cfg, unsigned int ms)
{
    struct vsctl_ipc *ipc = aux;
    if (!ipc->following) {
        sleep_ms(ms);
        return false;
    }
    uint64_t deadline = monotonic_ms() + ms;
    for (;;) {
        if (ipc->seen_cur_cfg >= cfg)
            return true;
        uint64_t now = monotonic_ms();
        if (now >= deadline)
            return false;
        struct pollfd pfd = { .fd = ipc->updates.rcvfd, .events = POLLIN };
        if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
            return false;
        if (!take_updates(ipc))
            return ipc->seen_cur_cfg >= cfg;
    }
}

static bool ipc_follows_updates(void *aux)
{
    return ((struct vsctl_ipc *)aux)->following;
}

static char *xasprintf_or_abort(const char *fmt, const char *a, const char *b)
{
    char *s;
    if (asprintf(&s, fmt, a, b) < 0)
        abort();
    return s;
}

/* Connects once. A missing socket fails at once instead of waiting for the timeout: that is
 * what "vsw is not running" looks like. */
static int connect_dbd(struct vsctl_ipc *ipc, char **error)
{
    if (ipc->connected)
        return 0;
    char path[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s/dbd.sock", ipc->rundir);
    if (stat(path, &st) < 0) {
        *error = xasprintf_or_abort("cannot reach vsw-dbd: %s: %s (is vsw running?)", path,
                                    strerror(errno));
        return -1;
    }
    if (ipc_client_open(&ipc->client, ipc->rundir, "dbd.sock", VSW__CHANNEL__CHANNEL_DBD,
                        1000) < 0) {
        *error = xasprintf_or_abort("cannot open a socket to vsw-dbd at %s%s", path, "");
        return -1;
    }
    ipc->connected = true;
    return 0;
}

/* Subscribing before the commit gives the connection time to be in place when vsw-switchd
 * reports cur_cfg, half a millisecond later at the soonest; should it not be, the wait reads
 * cur_cfg every 10 ms instead. */
static void ipc_will_wait(void *aux)
{
    struct vsctl_ipc *ipc = aux;
    if (ipc->follow_updates && !ipc->following)
        ipc->following = ipc_subscriber_open(&ipc->updates, ipc->rundir, "dbd.events",
                                             VSW__CHANNEL__CHANNEL_DBD) == 0;
}

/* Each call may take what is left of the invocation's time, at least a second. */
static void set_call_timeout(struct vsctl_ipc *ipc)
{
    uint64_t now = monotonic_ms();
    uint64_t left = ipc->deadline_ms > now ? ipc->deadline_ms - now : 0;
    int timeout = left > 3600 * 1000 ? 3600 * 1000 : left < 1000 ? 1000 : (int)left;
    ipc->client.timeout_ms = timeout;
    nn_setsockopt(ipc->client.sock, NN_SOL_SOCKET, NN_SNDTIMEO, &timeout, sizeof timeout);
    nn_setsockopt(ipc->client.sock, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout, sizeof timeout);
}

static int call(struct vsctl_ipc *ipc, Vsw__DbdType type, const ProtobufCMessage *request,
                const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                char **error)
{
    if (connect_dbd(ipc, error) < 0)
        return -1;
    set_call_timeout(ipc);
    struct ipc_error err;
    if (ipc_call(&ipc->client, type, request, reply_desc, reply, &err) == 0)
        return 0;
    *error = xasprintf_or_abort("vsw-dbd: %s%s", err.message,
                                err.code == VSW__ERROR_CODE__ERROR_UNAVAILABLE &&
                                        type == VSW__DBD_TYPE__DBD_TRANSACT
                                    ? " (a change may or may not have been applied)"
                                    : "");
    return -1;
}

static int ipc_transact(void *aux, const char *params, char **result, char **error)
{
    struct vsctl_ipc *ipc = aux;
    Vsw__TransactRequest request = VSW__TRANSACT_REQUEST__INIT;
    request.params_json = (char *)params;
    request.schema_digest = ipc->schema_digest;
    ProtobufCMessage *reply = NULL;
    if (call(ipc, VSW__DBD_TYPE__DBD_TRANSACT, &request.base, &vsw__transact_reply__descriptor,
             &reply, error) < 0)
        return -1;
    const Vsw__TransactReply *r = (const Vsw__TransactReply *)reply;
    if (r->schema_mismatch) {
        protobuf_c_message_free_unpacked(reply, NULL);
        ipc->server_schema = true;
        return VSCTL_SCHEMA_CHANGED;
    }
    *result = strdup(r->result_json);
    protobuf_c_message_free_unpacked(reply, NULL);
    if (!*result)
        abort();
    return 0;
}

static int ipc_get_schema(void *aux, const struct db_schema **schema, bool *assumed,
                          char **error)
{
    struct vsctl_ipc *ipc = aux;
    *assumed = !ipc->server_schema;
    if (*assumed) {
        *schema = dbd_compiled_schema();
        snprintf(ipc->schema_digest, sizeof ipc->schema_digest, "%s",
                 dbd_compiled_schema_digest);
        return 0;
    }
    Vsw__GetSchemaRequest request = VSW__GET_SCHEMA_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    if (call(ipc, VSW__DBD_TYPE__DBD_GET_SCHEMA, &request.base,
             &vsw__get_schema_reply__descriptor, &reply, error) < 0)
        return -1;
    const Vsw__GetSchemaReply *r = (const Vsw__GetSchemaReply *)reply;
    char *parse_error = NULL;
    struct db_schema *fetched = db_schema_parse(r->schema_json, strlen(r->schema_json),
                                                &parse_error);
    snprintf(ipc->schema_digest, sizeof ipc->schema_digest, "%s", r->digest);
    protobuf_c_message_free_unpacked(reply, NULL);
    if (!fetched) {
        *error = xasprintf_or_abort("vsw-dbd's schema does not parse: %s%s", parse_error, "");
        free(parse_error);
        return -1;
    }
    db_schema_free(ipc->fetched_schema);
    ipc->fetched_schema = fetched;
    *schema = fetched;
    return 0;
}

void vsctl_ipc_init(struct vsctl_ipc *ipc, const char *rundir, int timeout_ms,
                    bool follow_updates, struct vsctl_backend *backend)
{
    memset(ipc, 0, sizeof *ipc);
    ipc->follow_updates = follow_updates;
    snprintf(ipc->rundir, sizeof ipc->rundir, "%s", rundir);
    ipc->client.sock = -1;
    ipc->seen_cur_cfg = -1;
    ipc->deadline_ms = timeout_ms > 0 ? monotonic_ms() + (uint64_t)timeout_ms : UINT64_MAX;
    backend->transact = ipc_transact;
    backend->get_schema = ipc_get_schema;
    backend->now_ms = ipc_now_ms;
    backend->wait_cfg = ipc_wait_cfg;
    backend->follows_updates = ipc_follows_updates;
    backend->will_wait = ipc_will_wait;
    backend->aux = ipc;
    /* nanomsg connects in the background (connect, then an exchange of protocol headers with
     * vsw-dbd): started now, that round trip overlaps the parsing of the command line and
     * the building of the transaction instead of delaying the request. */
    char *error = NULL;
    if (connect_dbd(ipc, &error) < 0)
        free(error);
}
