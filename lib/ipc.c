#include "lib/ipc.h"

#include <errno.h>
#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>
#include <nanomsg/reqrep.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/loop.h"

/* Receive at most this many frames per wake-up so one busy socket cannot starve the others. */
#define IPC_BATCH 64

static const char *const error_code_names[] = {
    [VSW__ERROR_CODE__ERROR_NONE] = "none",
    [VSW__ERROR_CODE__ERROR_MALFORMED] = "malformed",
    [VSW__ERROR_CODE__ERROR_TOO_BIG] = "too-big",
    [VSW__ERROR_CODE__ERROR_BAD_VERSION] = "bad-version",
    [VSW__ERROR_CODE__ERROR_WRONG_CHANNEL] = "wrong-channel",
    [VSW__ERROR_CODE__ERROR_UNKNOWN_TYPE] = "unknown-type",
    [VSW__ERROR_CODE__ERROR_BAD_PAYLOAD] = "bad-payload",
    [VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT] = "invalid-argument",
    [VSW__ERROR_CODE__ERROR_INTERNAL] = "internal",
    [VSW__ERROR_CODE__ERROR_UNAVAILABLE] = "unavailable",
};

const char *ipc_error_code_name(Vsw__ErrorCode code)
{
    if ((size_t)code >= sizeof error_code_names / sizeof error_code_names[0] ||
        !error_code_names[code])
        return "unknown-error";
    return error_code_names[code];
}

static void ipc_error_vset(struct ipc_error *err, Vsw__ErrorCode code, const char *fmt,
                           va_list args)
{
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, args);
}

void ipc_error_set(struct ipc_error *err, Vsw__ErrorCode code, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    ipc_error_vset(err, code, fmt, args);
    va_end(args);
}

int ipc_address(char *buf, size_t size, const char *rundir, const char *name)
{
    int n = snprintf(buf, size, "ipc://%s/%s", rundir, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

size_t ipc_frame_pack(const Vsw__Envelope *env, uint8_t **frame)
{
    size_t len = vsw__envelope__get_packed_size(env);
    *frame = malloc(len ? len : 1);
    if (!*frame)
        return 0;
    vsw__envelope__pack(env, *frame);
    return len;
}

/* Packs `msg` into a malloc'd buffer; returns its length, or SIZE_MAX on allocation failure. */
static size_t message_pack(const ProtobufCMessage *msg, uint8_t **out)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    *out = malloc(len ? len : 1);
    if (!*out)
        return SIZE_MAX;
    protobuf_c_message_pack(msg, *out);
    return len;
}

/* Creates a nanomsg socket with vsw's receive cap and the given timeouts (-1: none). */
static int socket_new(int domain, int protocol, int timeout_ms)
{
    int sock = nn_socket(domain, protocol);
    if (sock < 0) {
        vlog_err("ipc: nn_socket failed: %s", nn_strerror(nn_errno()));
        return -1;
    }
    int max = IPC_TRANSPORT_MAX;
    int linger = 0;
    nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max, sizeof max);
    nn_setsockopt(sock, NN_SOL_SOCKET, NN_LINGER, &linger, sizeof linger);
    nn_setsockopt(sock, NN_SOL_SOCKET, NN_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    return sock;
}

static int socket_rcvfd(int sock)
{
    int fd = -1;
    size_t size = sizeof fd;
    if (nn_getsockopt(sock, NN_SOL_SOCKET, NN_RCVFD, &fd, &size) < 0)
        return -1;
    return fd;
}

static int socket_bind(int sock, const char *address)
{
    if (nn_bind(sock, address) < 0) {
        vlog_err("ipc: cannot bind %s: %s", address, nn_strerror(nn_errno()));
        return -1;
    }
    return 0;
}

static void socket_unlink(const char *address)
{
    const char *path = address + strlen("ipc://");
    if (unlink(path) < 0 && errno != ENOENT)
        vlog_warn("ipc: cannot remove %s: %s", path, strerror(errno));
}

/* ---- Server ---- */

/* The raw REP socket hands each request over with its routing header (`control`, a nanomsg
 * message chunk); sending the reply with that header routes it back to the requester. */
struct ipc_deferred {
    uint32_t type;
    uint64_t request_id;
    void *control;     /* owned; NULL when the request came through ipc_server_process() */
};

struct ipc_deferred *ipc_reply_defer(struct ipc_reply *reply)
{
    if (!reply->deferred)
        reply->deferred = calloc(1, sizeof *reply->deferred);
    return reply->deferred;
}

void ipc_reply_message(struct ipc_reply *reply, const ProtobufCMessage *msg)
{
    free(reply->payload);
    reply->payload = NULL;
    size_t len = message_pack(msg, &reply->payload);
    if (len == SIZE_MAX) {
        ipc_reply_error(reply, VSW__ERROR_CODE__ERROR_INTERNAL, "out of memory packing reply");
        return;
    }
    reply->len = len;
}

void ipc_reply_error(struct ipc_reply *reply, Vsw__ErrorCode code, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    ipc_error_vset(&reply->error, code, fmt, args);
    va_end(args);
}

int ipc_server_open(struct ipc_server *server, const char *rundir, const char *name,
                    Vsw__Channel channel, const struct ipc_route *routes, size_t n_routes,
                    void *ctx, struct ipc_counters *counters)
{
    memset(server, 0, sizeof *server);
    server->sock = -1;
    server->channel = channel;
    server->routes = routes;
    server->n_routes = n_routes;
    server->ctx = ctx;
    server->counters = counters;
    if (ipc_address(server->address, sizeof server->address, rundir, name) < 0) {
        vlog_err("ipc: socket path %s/%s is too long", rundir, name);
        return -1;
    }
    server->sock = socket_new(AF_SP_RAW, NN_REP, -1);
    if (server->sock < 0)
        return -1;
    if (socket_bind(server->sock, server->address) < 0 ||
        (server->rcvfd = socket_rcvfd(server->sock)) < 0) {
        nn_close(server->sock);
        server->sock = -1;
        return -1;
    }
    return 0;
}

void ipc_server_close(struct ipc_server *server)
{
    if (server->sock < 0)
        return;
    nn_close(server->sock);
    server->sock = -1;
    socket_unlink(server->address);
}

static const struct ipc_route *route_find(const struct ipc_server *server, uint32_t type)
{
    for (size_t i = 0; i < server->n_routes; i++) {
        const struct ipc_route *r = &server->routes[i];
        if (r->channel == server->channel && r->type == type)
            return r;
    }
    return NULL;
}

/* Checks the envelope itself; fills `err` and returns false when it is refused. */
static bool envelope_acceptable(const struct ipc_server *server, const Vsw__Envelope *env,
                                struct ipc_error *err)
{
    if (env->version != IPC_VERSION) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_BAD_VERSION,
                      "protocol version %u is not supported (this daemon speaks %u)",
                      env->version, IPC_VERSION);
        return false;
    }
    if (env->channel != server->channel) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_WRONG_CHANNEL,
                      "message for channel %d sent to %s, which serves channel %d",
                      env->channel, server->address, server->channel);
        return false;
    }
    return true;
}

/* Runs the route's handler on the envelope's payload, or fills reply->error. */
static void dispatch(const struct ipc_server *server, const Vsw__Envelope *env,
                     struct ipc_reply *reply)
{
    const struct ipc_route *route = route_find(server, env->type);
    if (!route) {
        ipc_reply_error(reply, VSW__ERROR_CODE__ERROR_UNKNOWN_TYPE,
                        "message type %u is not handled on channel %d", env->type,
                        server->channel);
        return;
    }
    ProtobufCMessage *request = protobuf_c_message_unpack(route->request, NULL,
                                                          env->payload.len, env->payload.data);
    if (!request) {
        ipc_reply_error(reply, VSW__ERROR_CODE__ERROR_BAD_PAYLOAD,
                        "payload of %s (%zu bytes) does not parse as %s", route->name,
                        env->payload.len, route->request->name);
        return;
    }
    vlog_debug("ipc: %s on %s", route->name, server->address);
    route->handler(server->ctx, request, reply);
    protobuf_c_message_free_unpacked(request, NULL);
}

/* Packs the reply envelope for a request of `type` and `request_id`. */
static size_t reply_frame_pack(const struct ipc_server *server, uint32_t type,
                               uint64_t request_id, struct ipc_reply *reply,
                               uint8_t **reply_frame)
{
    Vsw__Envelope out = VSW__ENVELOPE__INIT;
    Vsw__Error error = VSW__ERROR__INIT;
    out.version = IPC_VERSION;
    out.channel = server->channel;
    out.type = type;
    out.request_id = request_id;
    if (reply->error.code != VSW__ERROR_CODE__ERROR_NONE) {
        if (server->counters)
            server->counters->request_errors++;
        vlog_warn("ipc: refused a request on %s: %s: %s", server->address,
                  ipc_error_code_name(reply->error.code), reply->error.message);
        error.code = reply->error.code;
        error.message = reply->error.message;
        out.error = &error;
    } else {
        out.payload.data = reply->payload;
        out.payload.len = reply->len;
    }
    return ipc_frame_pack(&out, reply_frame);
}

/* As ipc_server_process(); a request whose handler deferred its reply gives no frame and
 * *deferred instead. */
static size_t process_frame(const struct ipc_server *server, const void *frame, size_t len,
                            uint8_t **reply_frame, struct ipc_deferred **deferred)
{
    struct ipc_reply reply = { 0 };
    *reply_frame = NULL;
    *deferred = NULL;
    Vsw__Envelope *env = NULL;
    uint32_t type = 0;
    uint64_t request_id = 0;

    if (len > IPC_MAX_MESSAGE) {
        ipc_reply_error(&reply, VSW__ERROR_CODE__ERROR_TOO_BIG,
                        "message of %zu bytes exceeds the limit of %u bytes", len,
                        IPC_MAX_MESSAGE);
    } else if (!(env = vsw__envelope__unpack(NULL, len, frame))) {
        ipc_reply_error(&reply, VSW__ERROR_CODE__ERROR_MALFORMED,
                        "message of %zu bytes is not a valid envelope (malformed or truncated)",
                        len);
    } else {
        type = env->type;
        request_id = env->request_id;
        if (envelope_acceptable(server, env, &reply.error))
            dispatch(server, env, &reply);
    }
    if (env)
        vsw__envelope__free_unpacked(env, NULL);
    if (reply.deferred) {
        reply.deferred->type = type;
        reply.deferred->request_id = request_id;
        *deferred = reply.deferred;
        free(reply.payload);
        return 0;
    }
    size_t out_len = reply_frame_pack(server, type, request_id, &reply, reply_frame);
    free(reply.payload);
    return out_len;
}

size_t ipc_server_process(const struct ipc_server *server, const void *frame, size_t len,
                          uint8_t **reply_frame)
{
    struct ipc_deferred *deferred;
    return process_frame(server, frame, len, reply_frame, &deferred);
}

/* Sends `frame` to whoever sent the request that came with `control` (consumed). A NULL
 * `frame` is a reply that could not be built: the request goes unanswered. */
static void send_routed(struct ipc_server *server, void *control, const uint8_t *frame,
                        size_t len)
{
    if (!frame) {
        vlog_err("ipc: out of memory building a reply on %s", server->address);
        if (control)
            nn_freemsg(control);
        return;
    }
    struct nn_iovec iov = { (void *)frame, len };
    struct nn_msghdr hdr = { &iov, 1, control ? &control : NULL, control ? NN_MSG : 0 };
    if (nn_sendmsg(server->sock, &hdr, NN_DONTWAIT) < 0)
        vlog_warn("ipc: reply on %s not sent: %s", server->address, nn_strerror(nn_errno()));
}

static void deferred_send(struct ipc_server *server, struct ipc_deferred *deferred,
                          struct ipc_reply *reply)
{
    uint8_t *frame = NULL;
    size_t len = reply_frame_pack(server, deferred->type, deferred->request_id, reply, &frame);
    send_routed(server, deferred->control, frame, len);
    free(frame);
    free(reply->payload);
    free(deferred);
}

void ipc_deferred_reply(struct ipc_server *server, struct ipc_deferred *deferred,
                        const ProtobufCMessage *msg)
{
    struct ipc_reply reply = { 0 };
    ipc_reply_message(&reply, msg);
    deferred_send(server, deferred, &reply);
}

void ipc_deferred_error(struct ipc_server *server, struct ipc_deferred *deferred,
                        Vsw__ErrorCode code, const char *fmt, ...)
{
    struct ipc_reply reply = { 0 };
    va_list args;
    va_start(args, fmt);
    ipc_error_vset(&reply.error, code, fmt, args);
    va_end(args);
    deferred_send(server, deferred, &reply);
}

void ipc_server_receive(struct ipc_server *server)
{
    for (int i = 0; i < IPC_BATCH; i++) {
        void *frame = NULL, *control = NULL;
        struct nn_iovec iov = { &frame, NN_MSG };
        struct nn_msghdr hdr = { &iov, 1, &control, NN_MSG };
        int len = nn_recvmsg(server->sock, &hdr, NN_DONTWAIT);
        if (len < 0) {
            if (nn_errno() != EAGAIN)
                vlog_warn("ipc: receive on %s failed: %s", server->address,
                          nn_strerror(nn_errno()));
            return;
        }
        if (server->counters)
            server->counters->requests++;
        uint8_t *reply = NULL;
        struct ipc_deferred *deferred = NULL;
        size_t reply_len = process_frame(server, frame, (size_t)len, &reply, &deferred);
        nn_freemsg(frame);
        if (deferred)
            deferred->control = control;   /* the handler answers later */
        else
            send_routed(server, control, reply, reply_len);
        free(reply);
    }
}

/* ---- Client ---- */

int ipc_client_open(struct ipc_client *client, const char *rundir, const char *name,
                    Vsw__Channel channel, int timeout_ms)
{
    memset(client, 0, sizeof *client);
    client->channel = channel;
    client->timeout_ms = timeout_ms;
    client->next_request_id = 1;
    client->sock = -1;
    if (ipc_address(client->address, sizeof client->address, rundir, name) < 0) {
        vlog_err("ipc: socket path %s/%s is too long", rundir, name);
        return -1;
    }
    client->sock = socket_new(AF_SP, NN_REQ, timeout_ms);
    if (client->sock < 0)
        return -1;
    /* nanomsg would resend an unanswered request after this interval; a resent transaction
     * could apply twice, so never resend within a call's timeout: the caller decides. */
    int resend = 3600 * 1000;
    int reconnect = 50, reconnect_max = 500;
    nn_setsockopt(client->sock, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof resend);
    nn_setsockopt(client->sock, NN_SOL_SOCKET, NN_RECONNECT_IVL, &reconnect, sizeof reconnect);
    nn_setsockopt(client->sock, NN_SOL_SOCKET, NN_RECONNECT_IVL_MAX, &reconnect_max,
                  sizeof reconnect_max);
    if (nn_connect(client->sock, client->address) < 0) {
        vlog_err("ipc: cannot connect to %s: %s", client->address, nn_strerror(nn_errno()));
        nn_close(client->sock);
        client->sock = -1;
        return -1;
    }
    return 0;
}

void ipc_client_close(struct ipc_client *client)
{
    if (client->sock >= 0)
        nn_close(client->sock);
    client->sock = -1;
}

static int client_send(struct ipc_client *client, uint32_t type, uint64_t request_id,
                       const ProtobufCMessage *request, struct ipc_error *err)
{
    uint8_t *payload = NULL;
    size_t payload_len = message_pack(request, &payload);
    if (payload_len == SIZE_MAX) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INTERNAL, "out of memory");
        return -1;
    }
    Vsw__Envelope env = VSW__ENVELOPE__INIT;
    env.version = IPC_VERSION;
    env.channel = client->channel;
    env.type = type;
    env.request_id = request_id;
    env.payload.data = payload;
    env.payload.len = payload_len;
    uint8_t *frame = NULL;
    size_t len = ipc_frame_pack(&env, &frame);
    free(payload);
    if (!frame) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_INTERNAL, "out of memory");
        return -1;
    }
    int rc = nn_send(client->sock, frame, len, 0);
    free(frame);
    if (rc < 0) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_UNAVAILABLE, "cannot send to %s: %s",
                      client->address, nn_strerror(nn_errno()));
        return -1;
    }
    return 0;
}

/* Waits for the reply carrying `request_id`; stale replies to abandoned calls are skipped. */
static Vsw__Envelope *client_wait(struct ipc_client *client, uint64_t request_id,
                                  struct ipc_error *err)
{
    uint64_t deadline = loop_now_ms() + (uint64_t)client->timeout_ms;
    for (;;) {
        void *frame = NULL;
        int len = nn_recv(client->sock, &frame, NN_MSG, 0);
        if (len < 0) {
            ipc_error_set(err, VSW__ERROR_CODE__ERROR_UNAVAILABLE,
                          "no reply from %s within %d ms: %s", client->address,
                          client->timeout_ms, nn_strerror(nn_errno()));
            return NULL;
        }
        Vsw__Envelope *env = vsw__envelope__unpack(NULL, (size_t)len, frame);
        nn_freemsg(frame);
        /* A request the server could not read (too big, malformed) is refused with request id
         * 0; the REQ socket delivers only the reply to the request in flight, so it is ours. */
        if (env && (env->request_id == request_id ||
                    (env->request_id == 0 && env->error &&
                     env->error->code != VSW__ERROR_CODE__ERROR_NONE)))
            return env;
        if (env)
            vsw__envelope__free_unpacked(env, NULL);
        else
            vlog_warn("ipc: dropped an unparsable reply from %s", client->address);
        if (loop_now_ms() >= deadline) {
            ipc_error_set(err, VSW__ERROR_CODE__ERROR_UNAVAILABLE,
                          "no matching reply from %s within %d ms", client->address,
                          client->timeout_ms);
            return NULL;
        }
    }
}

int ipc_call(struct ipc_client *client, uint32_t type, const ProtobufCMessage *request,
             const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
             struct ipc_error *err)
{
    *reply = NULL;
    err->code = VSW__ERROR_CODE__ERROR_NONE;
    err->message[0] = '\0';
    uint64_t request_id = client->next_request_id++;
    if (client_send(client, type, request_id, request, err) < 0)
        return -1;
    Vsw__Envelope *env = client_wait(client, request_id, err);
    if (!env)
        return -1;
    int rc = -1;
    if (env->error && env->error->code != VSW__ERROR_CODE__ERROR_NONE) {
        ipc_error_set(err, env->error->code, "%s", env->error->message);
    } else if (env->version != IPC_VERSION) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_BAD_VERSION,
                      "reply from %s has protocol version %u", client->address, env->version);
    } else if (!(*reply = protobuf_c_message_unpack(reply_desc, NULL, env->payload.len,
                                                     env->payload.data))) {
        ipc_error_set(err, VSW__ERROR_CODE__ERROR_BAD_PAYLOAD,
                      "reply from %s does not parse as %s", client->address, reply_desc->name);
    } else {
        rc = 0;
    }
    vsw__envelope__free_unpacked(env, NULL);
    return rc;
}

/* ---- Notification streams ---- */

static uint64_t new_epoch(void)
{
    uint64_t epoch = 0;
    if (getrandom(&epoch, sizeof epoch, 0) != sizeof epoch)
        epoch = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
    return epoch ? epoch : 1;
}

int ipc_publisher_open(struct ipc_publisher *pub, const char *rundir, const char *name,
                       Vsw__Channel channel, struct ipc_counters *counters)
{
    memset(pub, 0, sizeof *pub);
    pub->sock = -1;
    pub->channel = channel;
    pub->epoch = new_epoch();
    pub->counters = counters;
    if (ipc_address(pub->address, sizeof pub->address, rundir, name) < 0) {
        vlog_err("ipc: socket path %s/%s is too long", rundir, name);
        return -1;
    }
    pub->sock = socket_new(AF_SP, NN_PUB, -1);
    if (pub->sock < 0)
        return -1;
    if (socket_bind(pub->sock, pub->address) < 0) {
        nn_close(pub->sock);
        pub->sock = -1;
        return -1;
    }
    return 0;
}

int ipc_publish(struct ipc_publisher *pub, uint32_t type, const ProtobufCMessage *msg)
{
    uint8_t *payload = NULL;
    size_t payload_len = message_pack(msg, &payload);
    if (payload_len == SIZE_MAX)
        return -1;
    Vsw__Envelope env = VSW__ENVELOPE__INIT;
    env.version = IPC_VERSION;
    env.channel = pub->channel;
    env.type = type;
    env.epoch = pub->epoch;
    env.seq = ++pub->seq;
    env.payload.data = payload;
    env.payload.len = payload_len;
    uint8_t *frame = NULL;
    size_t len = ipc_frame_pack(&env, &frame);
    free(payload);
    if (!frame)
        return -1;
    /* PUB never blocks: a full subscriber queue drops the message, and the gap shows in seq. */
    int rc = nn_send(pub->sock, frame, len, NN_DONTWAIT);
    free(frame);
    if (pub->counters)
        pub->counters->notifications++;
    return rc < 0 ? -1 : 0;
}

void ipc_publisher_close(struct ipc_publisher *pub)
{
    if (pub->sock < 0)
        return;
    nn_close(pub->sock);
    pub->sock = -1;
    socket_unlink(pub->address);
}

int ipc_subscriber_open(struct ipc_subscriber *sub, const char *rundir, const char *name,
                        Vsw__Channel channel)
{
    memset(sub, 0, sizeof *sub);
    sub->channel = channel;
    sub->sock = -1;
    if (ipc_address(sub->address, sizeof sub->address, rundir, name) < 0) {
        vlog_err("ipc: socket path %s/%s is too long", rundir, name);
        return -1;
    }
    sub->sock = socket_new(AF_SP, NN_SUB, -1);
    if (sub->sock < 0)
        return -1;
    int reconnect = 50, reconnect_max = 500;
    nn_setsockopt(sub->sock, NN_SOL_SOCKET, NN_RECONNECT_IVL, &reconnect, sizeof reconnect);
    nn_setsockopt(sub->sock, NN_SOL_SOCKET, NN_RECONNECT_IVL_MAX, &reconnect_max,
                  sizeof reconnect_max);
    if (nn_setsockopt(sub->sock, NN_SUB, NN_SUB_SUBSCRIBE, "", 0) < 0 ||
        nn_connect(sub->sock, sub->address) < 0 || (sub->rcvfd = socket_rcvfd(sub->sock)) < 0) {
        vlog_err("ipc: cannot subscribe to %s: %s", sub->address, nn_strerror(nn_errno()));
        nn_close(sub->sock);
        sub->sock = -1;
        return -1;
    }
    return 0;
}

enum ipc_stream_status ipc_subscriber_track(struct ipc_subscriber *sub, const Vsw__Envelope *env)
{
    if (env->version != IPC_VERSION || env->channel != sub->channel || env->seq == 0)
        return IPC_STREAM_INVALID;
    bool in_order = sub->epoch == env->epoch && env->seq == sub->next_seq;
    if (!in_order) {
        if (sub->epoch && sub->epoch != env->epoch)
            vlog_info("ipc: %s restarted (new epoch), resyncing", sub->address);
        else if (sub->epoch)
            vlog_warn("ipc: gap on %s: expected message %llu, got %llu; resyncing",
                      sub->address, (unsigned long long)sub->next_seq,
                      (unsigned long long)env->seq);
        sub->resyncs++;
    }
    sub->epoch = env->epoch;
    sub->next_seq = env->seq + 1;
    return in_order ? IPC_STREAM_IN_ORDER : IPC_STREAM_RESYNC;
}

enum ipc_stream_status ipc_subscriber_next(struct ipc_subscriber *sub, Vsw__Envelope **env)
{
    *env = NULL;
    void *frame = NULL;
    int len = nn_recv(sub->sock, &frame, NN_MSG, NN_DONTWAIT);
    if (len < 0)
        return IPC_STREAM_EMPTY;
    Vsw__Envelope *got = (size_t)len <= IPC_MAX_MESSAGE
                             ? vsw__envelope__unpack(NULL, (size_t)len, frame) : NULL;
    nn_freemsg(frame);
    if (!got) {
        vlog_warn("ipc: dropped an unparsable notification of %d bytes from %s", len,
                  sub->address);
        return IPC_STREAM_INVALID;
    }
    enum ipc_stream_status status = ipc_subscriber_track(sub, got);
    if (status == IPC_STREAM_INVALID) {
        vlog_warn("ipc: dropped an invalid notification from %s", sub->address);
        vsw__envelope__free_unpacked(got, NULL);
        return status;
    }
    *env = got;
    return status;
}

void ipc_subscriber_close(struct ipc_subscriber *sub)
{
    if (sub->sock >= 0)
        nn_close(sub->sock);
    sub->sock = -1;
}
