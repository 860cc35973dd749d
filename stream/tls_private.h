/* What stream.c needs of tls.c: OpenSSL objects behind a context, and reading the reasons
 * OpenSSL gives. Not for users of the library. */
#ifndef VSW_STREAM_TLS_PRIVATE_H
#define VSW_STREAM_TLS_PRIVATE_H

#include <openssl/ssl.h>

#include "stream/tls.h"

/* A new SSL object for one connection on `fd`, client or server side. NULL when out of
 * memory. */
SSL *tls_context_new_ssl(struct tls_context *tls, int fd, bool server);

/* Appends OpenSSL's queued error reasons (and the verification result of `ssl`, if it failed)
 * to `buf`, and empties the queue. */
void tls_describe_error(SSL *ssl, char *buf, size_t size);

/* For a bootstrapping connection that completed its handshake: the self-signed certificate at
 * the top of the peer's chain, as PEM (malloc'd), or NULL with `error` filled. */
char *tls_peer_ca_pem(SSL *ssl, char *error, size_t size);

#endif
