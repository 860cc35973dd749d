/* Non-blocking byte streams over TCP, Unix sockets and TLS (over TCP), active and passive, for
 * every process that talks to the network: the OVSDB endpoint (managers and clients) and the
 * OpenFlow agent (controllers). The caller owns the event loop: it polls stream_fd() for
 * stream_poll_events() and calls the function that was waiting.
 *
 * A stream is first connecting (TCP connect, then the TLS handshake); stream_connect() advances
 * it. Once it returns 0 the stream carries bytes both ways until EOF or an error. Every failure
 * leaves a message for people in stream_error(): the socket error, or for TLS the reason the
 * peer was refused ("certificate verify failed: certificate has expired").
 *
 * Writing to a peer that went away raises SIGPIPE: a process using streams ignores it. */
#ifndef VSW_STREAM_STREAM_H
#define VSW_STREAM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stream/address.h"

struct stream;
struct pstream;
struct tls_context;

/* Starts connecting to the active address `address`. An ssl: address needs `tls` (which the
 * stream references: the caller keeps it alive as long as the stream), others ignore it.
 * Returns 0 with *out (connecting), or -1 with `error` filled. */
int stream_open(const struct stream_address *address, struct tls_context *tls,
                struct stream **out, char error[STREAM_ERROR_SIZE]);

/* Advances a connecting stream. Returns 0 once connected (and always after), EAGAIN while in
 * progress (poll for stream_poll_events()), or another errno value: failed, for the reason in
 * stream_error(). EPROTO after a TLS bootstrap: see stream_take_bootstrap_ca(). */
int stream_connect(struct stream *stream);

/* Reads up to `n` bytes. Returns the count (> 0), 0 at end of stream, or -1 with errno set
 * (EAGAIN: nothing yet). */
ssize_t stream_recv(struct stream *stream, void *buf, size_t n);

/* Writes up to `n` bytes. Returns the count written (> 0), or -1 with errno set (EAGAIN: the
 * socket is full). */
ssize_t stream_send(struct stream *stream, const void *buf, size_t n);

/* The poll(2) events the stream is waiting for: POLLIN to read, plus POLLOUT while connecting
 * or when `want_send` (the caller has bytes queued). TLS may need the opposite direction of
 * the caller's (a renegotiation), which this accounts for. */
short stream_poll_events(const struct stream *stream, bool want_send);

int stream_fd(const struct stream *stream);
/* The peer's address: "127.0.0.1:40312", "[::1]:6640", the path of an active Unix stream, or
 * "unix:PATH" of the listener that accepted a Unix client. */
const char *stream_peer_name(const struct stream *stream);
/* Why the stream failed, or "" if it has not. */
const char *stream_error(const struct stream *stream);

/* After a TLS connection learned the peer's CA certificate (bootstrap: no CA was configured
 * and the context allows learning it), stream_connect() fails with EPROTO, and this returns
 * the certificate as PEM text (malloc'd, once; NULL otherwise). The caller saves it where
 * the configuration says and builds a new context with it; the next connection verifies the
 * peer against it. Bootstrap does not trust this first connection: it is closed. */
char *stream_take_bootstrap_ca(struct stream *stream);

/* Closes and frees. NULL is a no-op. */
void stream_close(struct stream *stream);

/* Starts listening on the passive address `address` (pssl: needs `tls`, kept alive by the
 * caller while the listener and its streams exist). A punix: path left by an earlier run is
 * replaced. Returns 0 with *out, or -1 with `error` filled. */
int pstream_open(const struct stream_address *address, struct tls_context *tls,
                 struct pstream **out, char error[STREAM_ERROR_SIZE]);

/* Takes one pending connection. Returns 0 with *out (connecting: a pssl: stream has its TLS
 * handshake ahead), EAGAIN if none waits, or another errno value (logged by the caller). */
int pstream_accept(struct pstream *pstream, struct stream **out);

int pstream_fd(const struct pstream *pstream);
/* The port bound (ptcp:0 and pssl:0 let the kernel choose); 0 for punix:. */
uint16_t pstream_port(const struct pstream *pstream);
/* Closes the listener; a punix: listener removes its socket file. NULL is a no-op. */
void pstream_close(struct pstream *pstream);

#endif
