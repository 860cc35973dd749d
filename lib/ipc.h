/* IPC between vsw processes: protobuf-c messages in a vsw.Envelope over nanomsg ipc:// sockets
 * in the run directory. Two patterns:
 *   - request/reply (NN_REP server, NN_REQ client) with a timeout; nanomsg reconnects by itself;
 *   - notification streams (NN_PUB / NN_SUB) carrying an epoch and a sequence number, so a
 *     subscriber detects a lost message or a restarted publisher and resyncs.
 * A socket serves exactly one channel. Every received frame is validated (size cap, envelope,
 * version, channel, type, payload) against the server's route table before any handler runs. */
#ifndef VSW_IPC_H
#define VSW_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/envelope.pb-c.h"

#define IPC_VERSION 1
/* Frames larger than this get ERROR_TOO_BIG. */
#define IPC_MAX_MESSAGE (8u * 1024 * 1024)
/* nanomsg drops a connection that sends more than this; between the two caps we still answer. */
#define IPC_TRANSPORT_MAX (64 * 1024 * 1024)
#define IPC_ADDRESS_MAX 200

struct ipc_error {
    Vsw__ErrorCode code;
    char message[256];
};

void ipc_error_set(struct ipc_error *err, Vsw__ErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *ipc_error_code_name(Vsw__ErrorCode code);

/* Builds "ipc://<rundir>/<name>". Returns 0, or -1 if it does not fit. */
int ipc_address(char *buf, size_t size, const char *rundir, const char *name);

/* Counters a daemon reports in its status; shared by all of its sockets. */
struct ipc_counters {
    uint64_t requests;        /* frames received on servers */
    uint64_t request_errors;  /* of which refused with an error reply */
    uint64_t notifications;   /* published */
    uint64_t notifications_received;
};

/* ---- Server side ---- */

/* A request answered after its handler returned (ipc_reply_defer()). */
struct ipc_deferred;

/* What a handler produces: a packed reply message, an error, or a promise to answer later. */
struct ipc_reply {
    uint8_t *payload;         /* malloc'd, owned by the reply */
    size_t len;
    struct ipc_error error;   /* error.code != VSW__ERROR_CODE__ERROR_NONE: an error reply */
    struct ipc_deferred *deferred;   /* set by ipc_reply_defer(): nothing is sent now */
};

/* Packs `msg` as the reply. */
void ipc_reply_message(struct ipc_reply *reply, const ProtobufCMessage *msg);
void ipc_reply_error(struct ipc_reply *reply, Vsw__ErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Called by a handler that will answer later; the server goes on with other requests
 * meanwhile. Returns the handle to answer with, which the handler then owns until
 * ipc_deferred_reply() or ipc_deferred_error(); NULL when out of memory (answer now). */
struct ipc_deferred *ipc_reply_defer(struct ipc_reply *reply);
struct ipc_server;
/* Send the reply to a deferred request and free the handle. A client that has gone away
 * meanwhile is not an error: nanomsg drops a reply that has no connection to go to. */
void ipc_deferred_reply(struct ipc_server *server, struct ipc_deferred *deferred,
                        const ProtobufCMessage *msg);
void ipc_deferred_error(struct ipc_server *server, struct ipc_deferred *deferred,
                        Vsw__ErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* `request` has been parsed as the route's descriptor and is freed after the handler returns. */
typedef void ipc_handler_fn(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply);

/* One line of a daemon's dispatch table. */
struct ipc_route {
    Vsw__Channel channel;
    uint32_t type;
    const char *name;                             /* for logs */
    const ProtobufCMessageDescriptor *request;    /* the payload must parse as this */
    ipc_handler_fn *handler;
};

struct ipc_server {
    int sock;
    int rcvfd;                      /* poll for POLLIN, then ipc_server_receive() */
    Vsw__Channel channel;
    const struct ipc_route *routes;
    size_t n_routes;
    void *ctx;                      /* passed to handlers */
    struct ipc_counters *counters;
    char address[IPC_ADDRESS_MAX];
};

/* Binds a REP socket at <rundir>/<name> serving `channel` with the routes of that channel found
 * in `routes`. Returns 0, or -1 (logged). The socket is raw (AF_SP_RAW): each request's
 * routing header is kept with it, so a handler may answer later (ipc_reply_defer()) while
 * other requests are served. */
int ipc_server_open(struct ipc_server *server, const char *rundir, const char *name,
                    Vsw__Channel channel, const struct ipc_route *routes, size_t n_routes,
                    void *ctx, struct ipc_counters *counters);
/* Handles every request waiting on the socket; never blocks. */
void ipc_server_receive(struct ipc_server *server);
void ipc_server_close(struct ipc_server *server);

/* Validates one received frame and runs its handler; fills `reply_frame` (malloc'd) with the
 * packed reply envelope. Exposed for tests; ipc_server_receive() is the normal entry. */
size_t ipc_server_process(const struct ipc_server *server, const void *frame, size_t len,
                          uint8_t **reply_frame);

/* ---- Client side ---- */

struct ipc_client {
    int sock;
    Vsw__Channel channel;
    int timeout_ms;
    uint64_t next_request_id;
    char address[IPC_ADDRESS_MAX];
};

int ipc_client_open(struct ipc_client *client, const char *rundir, const char *name,
                    Vsw__Channel channel, int timeout_ms);
void ipc_client_close(struct ipc_client *client);

/* Sends `request` as `type`, waits for the matching reply and unpacks it as `reply_desc` into
 * *reply (free with protobuf_c_message_free_unpacked). Returns 0, or -1 with `err` filled:
 * the peer's error reply, or ERROR_UNAVAILABLE when no reply came in time. */
int ipc_call(struct ipc_client *client, uint32_t type, const ProtobufCMessage *request,
             const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
             struct ipc_error *err);

/* ---- Notification streams ---- */

struct ipc_publisher {
    int sock;
    Vsw__Channel channel;
    uint64_t epoch;       /* random per start of the publisher */
    uint64_t seq;         /* of the last message published */
    struct ipc_counters *counters;
    char address[IPC_ADDRESS_MAX];
};

int ipc_publisher_open(struct ipc_publisher *pub, const char *rundir, const char *name,
                       Vsw__Channel channel, struct ipc_counters *counters);
/* Publishes without blocking; a subscriber too slow to keep up loses messages and sees a gap. */
int ipc_publish(struct ipc_publisher *pub, uint32_t type, const ProtobufCMessage *msg);
void ipc_publisher_close(struct ipc_publisher *pub);

struct ipc_subscriber {
    int sock;
    int rcvfd;
    Vsw__Channel channel;
    uint64_t epoch;       /* 0 until the first message */
    uint64_t next_seq;
    uint64_t resyncs;
    char address[IPC_ADDRESS_MAX];
};

enum ipc_stream_status {
    IPC_STREAM_EMPTY,     /* nothing waiting */
    IPC_STREAM_IN_ORDER,  /* the next message of the stream */
    IPC_STREAM_RESYNC,    /* first message, new epoch or a gap: refetch state, then go on */
    IPC_STREAM_INVALID,   /* a frame that is not a valid message of this channel (dropped) */
};

int ipc_subscriber_open(struct ipc_subscriber *sub, const char *rundir, const char *name,
                        Vsw__Channel channel);
/* Takes one waiting notification without blocking. For IN_ORDER and RESYNC, *env is the
 * message (free with vsw__envelope__free_unpacked). */
enum ipc_stream_status ipc_subscriber_next(struct ipc_subscriber *sub, Vsw__Envelope **env);
/* Classifies an envelope against the subscriber's position and advances it. Exposed for tests. */
enum ipc_stream_status ipc_subscriber_track(struct ipc_subscriber *sub, const Vsw__Envelope *env);
void ipc_subscriber_close(struct ipc_subscriber *sub);

/* Packs an envelope into a malloc'd frame. Returns its length (0 on allocation failure). */
size_t ipc_frame_pack(const Vsw__Envelope *env, uint8_t **frame);

#endif
