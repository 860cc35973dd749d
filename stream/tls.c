/* TLS contexts with OpenSSL; see tls.h. */
#include "stream/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream/tls_private.h"

/* TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3's own list is OpenSSL's default,
 * which holds nothing else. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL"
#define PEM_FILE_MAX (1 << 20)

struct tls_context {
    SSL_CTX *ctx;
    bool bootstrapping;   /* no CA yet: the next peer's chain is accepted to learn its CA */
    unsigned int refs;
};

static void set_error(char *error, const char *what)
{
    char reasons[STREAM_ERROR_SIZE - 64];
    tls_describe_error(NULL, reasons, sizeof reasons);
    snprintf(error, STREAM_ERROR_SIZE, "%s%s%s", what, reasons[0] ? ": " : "", reasons);
}

void tls_describe_error(SSL *ssl, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (verify != X509_V_OK)
        len = (size_t)snprintf(buf, size, "certificate verify failed: %s",
                               X509_verify_cert_error_string(verify));
    unsigned long code;
    while ((code = ERR_get_error()) != 0) {
        if (len + 3 >= size || verify != X509_V_OK)
            continue;   /* drain the queue: the verification result says it best */
        char reason[160];
        ERR_error_string_n(code, reason, sizeof reason);
        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "; " : "", reason);
    }
}

/* Calls `add` for each certificate in the PEM text; returns how many, or -1 if one failed to
 * parse or to be added. */
static int for_each_certificate(const char *pem, int (*add)(void *aux, X509 *cert, int index),
                                void *aux)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    if (!bio)
        return -1;
    int n = 0;
    X509 *cert;
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        int rc = add(aux, cert, n++);
        X509_free(cert);
        if (rc != 1) {
            BIO_free(bio);
            return -1;
        }
    }
    /* The loop ends at the first text that is not a certificate: only the end is fine. */
    unsigned long last = ERR_peek_last_error();
    bool at_end = ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
    ERR_clear_error();
    BIO_free(bio);
    return at_end || n == 0 ? n : -1;
}

static int use_own_certificate(void *aux, X509 *cert, int index)
{
    SSL_CTX *ctx = aux;
    return index == 0 ? SSL_CTX_use_certificate(ctx, cert) : SSL_CTX_add1_chain_cert(ctx, cert);
}

/* A CA certificate: trusted for verification, named to clients as acceptable, and sent after
 * our own certificate so that a peer in bootstrap mode can learn it. */
static int trust_ca(void *aux, X509 *cert, int index)
{
    SSL_CTX *ctx = aux;
    (void)index;
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert) != 1)
        return 0;
    if (SSL_CTX_add_client_CA(ctx, cert) != 1)
        return 0;
    return X509_check_issued(cert, cert) == X509_V_OK ? SSL_CTX_add1_chain_cert(ctx, cert) : 1;
}

static int load_private_key(SSL_CTX *ctx, const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    int rc = key ? SSL_CTX_use_PrivateKey(ctx, key) : 0;
    EVP_PKEY_free(key);
    BIO_free(bio);
    return rc;
}

/* While bootstrapping, any chain is accepted: it is only read for its CA, and the connection
 * is closed right after the handshake. */
static int accept_to_learn(int preverify_ok, X509_STORE_CTX *store)
{
    (void)preverify_ok;
    (void)store;
    return 1;
}

static SSL_CTX *new_ssl_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_security_level(ctx, 2);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_dh_auto(ctx, 1);
    if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

struct tls_context *tls_context_create(const struct tls_config *config,
                                       char error[STREAM_ERROR_SIZE])
{
    ERR_clear_error();
    if (!config->private_key || !config->certificate) {
        snprintf(error, STREAM_ERROR_SIZE, "a private key and a certificate are required");
        return NULL;
    }
    if (!config->ca_cert && !config->bootstrap_ca) {
        snprintf(error, STREAM_ERROR_SIZE,
                 "a CA certificate is required (or bootstrap mode, to learn it from the peer)");
        return NULL;
    }
    SSL_CTX *ctx = new_ssl_ctx();
    if (!ctx) {
        set_error(error, "cannot create a TLS context");
        return NULL;
    }
    const char *failed = NULL;
    if (load_private_key(ctx, config->private_key) != 1)
        failed = "the private key does not parse, or is too weak";
    else if (for_each_certificate(config->certificate, use_own_certificate, ctx) <= 0)
        failed = "the certificate does not parse, or is too weak";
    else if (SSL_CTX_check_private_key(ctx) != 1)
        failed = "the private key does not match the certificate";
    else if (config->ca_cert && for_each_certificate(config->ca_cert, trust_ca, ctx) <= 0)
        failed = "the CA certificate does not parse";
    if (failed) {
        set_error(error, failed);
        SSL_CTX_free(ctx);
        return NULL;
    }
    bool bootstrapping = !config->ca_cert;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       bootstrapping ? accept_to_learn : NULL);
    struct tls_context *tls = calloc(1, sizeof *tls);
    if (!tls) {
        snprintf(error, STREAM_ERROR_SIZE, "out of memory");
        SSL_CTX_free(ctx);
        return NULL;
    }
    tls->ctx = ctx;
    tls->bootstrapping = bootstrapping;
    tls->refs = 1;
    return tls;
}

bool tls_context_bootstrapping(const struct tls_context *tls)
{
    return tls->bootstrapping;
}

struct tls_context *tls_context_ref(struct tls_context *tls)
{
    tls->refs++;
    return tls;
}

void tls_context_unref(struct tls_context *tls)
{
    if (!tls || --tls->refs > 0)
        return;
    SSL_CTX_free(tls->ctx);
    free(tls);
}

SSL *tls_context_new_ssl(struct tls_context *tls, int fd, bool server)
{
    SSL *ssl = SSL_new(tls->ctx);
    if (!ssl)
        return NULL;
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    if (server)
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);
    return ssl;
}

char *tls_peer_ca_pem(SSL *ssl, char *error, size_t size)
{
    /* A client's view of the chain starts with the server's own certificate; a server's
     * leaves the client's out, so look at both. */
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    X509 *ca = NULL;
    for (int i = chain ? sk_X509_num(chain) - 1 : -1; i >= 0 && !ca; i--) {
        X509 *cert = sk_X509_value(chain, i);
        if (X509_check_issued(cert, cert) == X509_V_OK && X509_check_ca(cert) > 0)
            ca = cert;
    }
    if (!ca) {
        snprintf(error, size, "bootstrap: the peer sent no self-signed CA certificate in its "
                              "chain, so there is nothing to learn");
        return NULL;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len = 0;
    if (!bio || PEM_write_bio_X509(bio, ca) != 1 || (len = BIO_get_mem_data(bio, &data)) <= 0) {
        BIO_free(bio);
        snprintf(error, size, "bootstrap: cannot write the peer's CA certificate");
        return NULL;
    }
    char *pem = strndup(data, (size_t)len);
    BIO_free(bio);
    if (!pem)
        snprintf(error, size, "out of memory");
    return pem;
}

char *tls_read_pem_file(const char *path, char error[STREAM_ERROR_SIZE])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        snprintf(error, STREAM_ERROR_SIZE, "%s: %s", path, strerror(errno));
        errno = saved;
        return NULL;
    }
    struct stat st;
    char *text = NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PEM_FILE_MAX) {
        snprintf(error, STREAM_ERROR_SIZE, "%s: not a regular file of at most 1 MiB", path);
    } else if (!(text = malloc((size_t)st.st_size + 1))) {
        snprintf(error, STREAM_ERROR_SIZE, "%s: out of memory", path);
    } else {
        size_t got = 0;
        ssize_t n = 1;
        while (got < (size_t)st.st_size && (n = read(fd, text + got, st.st_size - got)) > 0)
            got += (size_t)n;
        text[got] = '\0';
        if (n < 0 || memchr(text, '\0', got)) {
            snprintf(error, STREAM_ERROR_SIZE, "%s: %s", path,
                     n < 0 ? strerror(errno) : "not a text file");
            free(text);
            text = NULL;
        }
    }
    close(fd);
    errno = text ? 0 : EINVAL;
    return text;
}
