/* TLS settings for streams (stream.h), built with OpenSSL from the SSL table's files: a private
 * key, its certificate, and the CA certificate peers are verified against.
 *
 * What every context enforces: TLS 1.2 or newer; forward-secret AEAD cipher suites only under
 * TLS 1.2 (ECDHE or DHE with AES-GCM or ChaCha20-Poly1305; TLS 1.3's are all such); OpenSSL's
 * security level 2 (keys of at least 112 bits of strength, no SHA-1 signatures); a peer
 * certificate is required on both sides and verified against the CA, so a certificate signed
 * by another CA, expired or not yet valid is refused (stream_error() says which). As in Open
 * vSwitch, the peer's name is not checked: the CA is the trust anchor.
 *
 * Bootstrap (Open vSwitch's --bootstrap-ca-cert, the SSL table's bootstrap_ca_cert): with no
 * CA certificate yet, the first peer's chain is accepted only long enough to learn its CA (the
 * self-signed certificate at the top of the chain), and the connection is then closed; see
 * stream_take_bootstrap_ca(). Each context also sends its own CA certificate after its
 * certificate, so that a peer in bootstrap mode can learn it. */
#ifndef VSW_STREAM_TLS_H
#define VSW_STREAM_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "stream/address.h"

struct tls_context;

struct tls_config {
    const char *private_key;   /* PEM text */
    const char *certificate;   /* PEM text: the certificate, optionally followed by its chain */
    const char *ca_cert;       /* PEM text of the trusted CA certificate(s); NULL: none yet */
    bool bootstrap_ca;         /* without ca_cert: learn it from the first peer */
};

/* Builds a context from `config` (its texts are copied into OpenSSL's structures, not kept).
 * Returns NULL with `error` filled when a text does not parse, the key does not match the
 * certificate, a key is too weak, or there is no CA and no bootstrap. */
struct tls_context *tls_context_create(const struct tls_config *config,
                                       char error[STREAM_ERROR_SIZE]);

/* Whether the context learns its CA from the next peer (bootstrap without a CA yet). */
bool tls_context_bootstrapping(const struct tls_context *tls);

/* Contexts are shared by the streams made with them; each holds a reference. */
struct tls_context *tls_context_ref(struct tls_context *tls);
/* Drops a reference; the last one frees the context. NULL is a no-op. */
void tls_context_unref(struct tls_context *tls);

/* Reads a PEM file for tls_config (at most 1 MiB). Returns the text (malloc'd, the caller
 * frees it), or NULL with `error` filled; errno is ENOENT when the file does not exist. */
char *tls_read_pem_file(const char *path, char error[STREAM_ERROR_SIZE]);

#endif
