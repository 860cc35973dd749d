/* The database commands' backend over IPC to vsw-dbd. */
#include "tools/cli/vsctl_ipc.h"

#include <errno.h>
#include <nanomsg/nn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/json.h"
#include "ovsdb/vswitch_schema.h"
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

/* Each call may take what is left of the invocation's time, at least a second, and at least
 * `at_least_ms` (a call that waits in vsw-dbd is answered when its wait ends). */
static void set_call_timeout(struct vsctl_ipc *ipc, unsigned int at_least_ms)
{
    uint64_t now = monotonic_ms();
    uint64_t left = ipc->deadline_ms > now ? ipc->deadline_ms - now : 0;
    if (left < at_least_ms)
        left = at_least_ms;
    int timeout = left > 3600 * 1000 ? 3600 * 1000 : left < 1000 ? 1000 : (int)left;
    ipc->client.timeout_ms = timeout;
    nn_setsockopt(ipc->client.sock, NN_SOL_SOCKET, NN_SNDTIMEO, &timeout, sizeof timeout);
    nn_setsockopt(ipc->client.sock, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout, sizeof timeout);
}

static int call(struct vsctl_ipc *ipc, Vsw__DbdType type, const ProtobufCMessage *request,
                const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                unsigned int at_least_ms, char **error)
{
    if (connect_dbd(ipc, error) < 0)
        return -1;
    set_call_timeout(ipc, at_least_ms);
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

/* Runs `request`; one that may wait in vsw-dbd for up to `wait_ms` is given twice that to be
 * answered. *waited (may be NULL): the reply says its then_wait condition held. */
static int transact_request(struct vsctl_ipc *ipc, Vsw__TransactRequest *request,
                            unsigned int wait_ms, char **result, bool *waited, char **error)
{
    request->schema_digest = ipc->schema_digest;
    ProtobufCMessage *reply = NULL;
    if (call(ipc, VSW__DBD_TYPE__DBD_TRANSACT, &request->base,
             &vsw__transact_reply__descriptor, &reply, 2 * wait_ms, error) < 0)
        return -1;
    const Vsw__TransactReply *r = (const Vsw__TransactReply *)reply;
    if (r->schema_mismatch) {
        protobuf_c_message_free_unpacked(reply, NULL);
        ipc->server_schema = true;
        return VSCTL_SCHEMA_CHANGED;
    }
    if (waited)
        *waited = r->waited;
    /* Once per invocation, whatever the command: an operator must see it. */
    if (r->warning[0] && !ipc->warned) {
        fprintf(stderr, "vsw: warning: %s\n", r->warning);
        ipc->warned = true;
    }
    *result = strdup(r->result_json);
    protobuf_c_message_free_unpacked(reply, NULL);
    if (!*result)
        abort();
    return 0;
}

static int ipc_transact(void *aux, const char *params, char **result, char **error)
{
    Vsw__TransactRequest request = VSW__TRANSACT_REQUEST__INIT;
    request.params_json = (char *)params;
    return transact_request(aux, &request, 0, result, NULL, error);
}

static int ipc_transact_then_wait(void *aux, const char *params,
                                  const struct vsctl_then_wait *then_wait, char **result,
                                  bool *waited, char **error)
{
    Vsw__TransactRequest request = VSW__TRANSACT_REQUEST__INIT;
    request.params_json = (char *)params;
    request.then_wait_ms = then_wait->ms;
    request.then_wait_table = (char *)then_wait->table;
    request.then_wait_column = (char *)then_wait->column;
    request.then_wait_reaches = (char *)then_wait->reaches;
    return transact_request(aux, &request, then_wait->ms, result, waited, error);
}

/* vsw-dbd keeps a transaction whose "wait" does not hold yet and answers it with the commit
 * that satisfies it (vsw-switchd's write of cur_cfg) or when its timeout passes. */
static bool ipc_wait_cfg(void *aux, const char *params, unsigned int ms)
{
    Vsw__TransactRequest request = VSW__TRANSACT_REQUEST__INIT;
    request.params_json = (char *)params;
    char *result = NULL, *error = NULL;
    if (transact_request(aux, &request, ms, &result, NULL, &error) != 0) {
        free(error);
        return false;
    }
    struct json *results = json_parse(result, strlen(result), NULL);
    const struct json *first = json_array_at(results, 0);
    bool held = json_is_object(first) && !json_object_get(first, "error");
    json_free(results);
    free(result);
    return held;
}

static bool ipc_wait_blocks(void *aux)
{
    (void)aux;
    return true;
}

static int ipc_get_schema(void *aux, const struct db_schema **schema, bool *assumed,
                          char **error)
{
    struct vsctl_ipc *ipc = aux;
    *assumed = !ipc->server_schema;
    if (*assumed) {
        *schema = vswitch_schema();
        snprintf(ipc->schema_digest, sizeof ipc->schema_digest, "%s",
                 vswitch_schema_digest);
        return 0;
    }
    Vsw__GetSchemaRequest request = VSW__GET_SCHEMA_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    if (call(ipc, VSW__DBD_TYPE__DBD_GET_SCHEMA, &request.base,
             &vsw__get_schema_reply__descriptor, &reply, 0, error) < 0)
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
                    struct vsctl_backend *backend)
{
    memset(ipc, 0, sizeof *ipc);
    snprintf(ipc->rundir, sizeof ipc->rundir, "%s", rundir);
    ipc->client.sock = -1;
    ipc->deadline_ms = timeout_ms > 0 ? monotonic_ms() + (uint64_t)timeout_ms : UINT64_MAX;
    backend->transact = ipc_transact;
    backend->get_schema = ipc_get_schema;
    backend->now_ms = ipc_now_ms;
    backend->wait_cfg = ipc_wait_cfg;
    backend->wait_blocks = ipc_wait_blocks;
    backend->transact_then_wait = ipc_transact_then_wait;
    backend->aux = ipc;
    /* nanomsg connects in the background (connect, then an exchange of protocol headers with
     * vsw-dbd): started now, that round trip overlaps the parsing of the command line and
     * the building of the transaction instead of delaying the request. */
    char *error = NULL;
    if (connect_dbd(ipc, &error) < 0)
        free(error);
}
