/* Streams and listeners over TCP, Unix sockets and TLS; see stream.h. */
#include "stream/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream/tls_private.h"

#define LISTEN_BACKLOG 64

enum stream_state {
    STREAM_TCP_CONNECTING,   /* non-blocking connect() in progress */
    STREAM_HANDSHAKING,      /* TLS handshake in progress */
    STREAM_OPEN,
    STREAM_FAILED,
};

struct stream {
    int fd;
    enum stream_state state;
    int failure;                 /* errno value once STREAM_FAILED */
    SSL *ssl;                    /* ssl: and pssl: streams */
    struct tls_context *tls;     /* referenced while ssl is set */
    bool learning_ca;            /* bootstrapping: learn the peer's CA, then fail */
    char *bootstrap_ca;          /* learned CA certificate (PEM), until taken */
    short tls_wants;             /* what the last TLS call is waiting for: POLLIN or POLLOUT */
    char peer[128];
    char error[STREAM_ERROR_SIZE];
};

struct pstream {
    int fd;
    enum stream_kind kind;
    struct tls_context *tls;     /* referenced, pssl: */
    uint16_t port;
    char path[sizeof ((struct sockaddr_un *)0)->sun_path];   /* punix: to remove on close */
};

static int fail(struct stream *s, int error, const char *fmt, const char *detail)
{
    s->state = STREAM_FAILED;
    s->failure = error;
    snprintf(s->error, sizeof s->error, fmt, detail);
    return error;
}

static int socket_for(int family, char *error)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        snprintf(error, STREAM_ERROR_SIZE, "socket: %s", strerror(errno));
    return fd;
}

/* Small messages (OVSDB replies, OpenFlow) should not wait for Nagle. */
static void set_nodelay(int fd, int family)
{
    int one = 1;
    if (family == AF_INET || family == AF_INET6)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static struct stream *stream_new(int fd, struct tls_context *tls, bool server,
                                 enum stream_state state, char *error)
{
    struct stream *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(error, STREAM_ERROR_SIZE, "out of memory");
        return NULL;
    }
    s->fd = fd;
    s->state = state;
    if (tls) {
        s->ssl = tls_context_new_ssl(tls, fd, server);
        if (!s->ssl) {
            snprintf(error, STREAM_ERROR_SIZE, "cannot create a TLS session");
            free(s);
            return NULL;
        }
        s->tls = tls_context_ref(tls);
        s->learning_ca = tls_context_bootstrapping(tls);
    }
    return s;
}

int stream_open(const struct stream_address *address, struct tls_context *tls,
                struct stream **out, char error[STREAM_ERROR_SIZE])
{
    *out = NULL;
    if (address->passive) {
        snprintf(error, STREAM_ERROR_SIZE, "a passive address cannot be connected to");
        return -1;
    }
    if (address->kind == STREAM_SSL && !tls) {
        snprintf(error, STREAM_ERROR_SIZE, "ssl: needs the SSL configuration (key, "
                                           "certificate, CA certificate)");
        return -1;
    }
    const struct sockaddr *sa = address->kind == STREAM_UNIX
                                    ? (const struct sockaddr *)&address->un
                                    : (const struct sockaddr *)&address->inet;
    socklen_t len = address->kind == STREAM_UNIX ? address->un_len : address->inet_len;
    int fd = socket_for(sa->sa_family, error);
    if (fd < 0)
        return -1;
    set_nodelay(fd, sa->sa_family);
    if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
        snprintf(error, STREAM_ERROR_SIZE, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    struct stream *s = stream_new(fd, address->kind == STREAM_SSL ? tls : NULL, false,
                                  STREAM_TCP_CONNECTING, error);
    if (!s) {
        close(fd);
        return -1;
    }
    stream_address_format(address, s->peer, sizeof s->peer);
    *out = s;
    return 0;
}

/* The TLS operation just done returned `rc`: EAGAIN with s->tls_wants set, 0 at a clean end
 * (SSL_ERROR_ZERO_RETURN), or an errno value with s->error set. */
static int tls_result(struct stream *s, int rc, const char *what)
{
    int saved_errno = errno;
    int code = SSL_get_error(s->ssl, rc);
    switch (code) {
    case SSL_ERROR_WANT_READ:
        s->tls_wants = POLLIN;
        return EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        s->tls_wants = POLLOUT;
        return EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (rc == 0 || saved_errno == 0)
            return fail(s, EPIPE, "%s: the peer closed the connection", what);
        snprintf(s->error, sizeof s->error, "%s: %s", what, strerror(saved_errno));
        s->state = STREAM_FAILED;
        s->failure = saved_errno;
        return saved_errno;
    default: {
        char reasons[STREAM_ERROR_SIZE - 32];
        tls_describe_error(s->ssl, reasons, sizeof reasons);
        snprintf(s->error, sizeof s->error, "%s: %s", what,
                 reasons[0] ? reasons : "protocol error");
        s->state = STREAM_FAILED;
        s->failure = EPROTO;
        return EPROTO;
    }
    }
}

static int finish_tcp_connect(struct stream *s)
{
    struct pollfd pfd = { s->fd, POLLOUT, 0 };
    if (poll(&pfd, 1, 0) == 0)
        return EAGAIN;
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
        error = errno;
    if (error)
        return fail(s, error, "connect: %s", strerror(error));
    s->state = s->ssl ? STREAM_HANDSHAKING : STREAM_OPEN;
    return 0;
}

static int handshake(struct stream *s)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(s->ssl);
    if (rc != 1) {
        int error = tls_result(s, rc, "TLS handshake");
        return error == 0 ? fail(s, EPROTO, "TLS handshake: %s", "the peer closed it") : error;
    }
    if (s->learning_ca) {
        char why[STREAM_ERROR_SIZE];
        s->bootstrap_ca = tls_peer_ca_pem(s->ssl, why, sizeof why);
        if (!s->bootstrap_ca)
            return fail(s, EPROTO, "%s", why);
        return fail(s, EPROTO, "%s",
                    "bootstrap: learned the peer's CA certificate; closing this connection to "
                    "verify the next one against it");
    }
    s->state = STREAM_OPEN;
    return 0;
}

int stream_connect(struct stream *s)
{
    if (s->state == STREAM_TCP_CONNECTING) {
        int error = finish_tcp_connect(s);
        if (error)
            return error;
    }
    if (s->state == STREAM_HANDSHAKING)
        return handshake(s);
    return s->state == STREAM_FAILED ? s->failure : 0;
}

ssize_t stream_recv(struct stream *s, void *buf, size_t n)
{
    if (s->state != STREAM_OPEN) {
        errno = s->state == STREAM_FAILED ? s->failure : EAGAIN;
        return -1;
    }
    if (!s->ssl) {
        ssize_t got = recv(s->fd, buf, n, 0);
        if (got < 0 && errno != EAGAIN && errno != EINTR)
            fail(s, errno, "receive: %s", strerror(errno));
        return got;
    }
    ERR_clear_error();
    int rc = SSL_read(s->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    if (rc > 0) {
        s->tls_wants = 0;
        return rc;
    }
    int error = tls_result(s, rc, "TLS receive");
    if (error == 0)
        return 0;
    errno = error;
    return -1;
}

ssize_t stream_send(struct stream *s, const void *buf, size_t n)
{
    if (s->state != STREAM_OPEN) {
        errno = s->state == STREAM_FAILED ? s->failure : EAGAIN;
        return -1;
    }
    if (!s->ssl) {
        ssize_t sent = send(s->fd, buf, n, MSG_NOSIGNAL);
        if (sent < 0 && errno != EAGAIN && errno != EINTR)
            fail(s, errno, "send: %s", strerror(errno));
        return sent;
    }
    ERR_clear_error();
    int rc = SSL_write(s->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    if (rc > 0) {
        s->tls_wants = 0;
        return rc;
    }
    int error = tls_result(s, rc, "TLS send");
    errno = error ? error : EPIPE;
    return -1;
}

short stream_poll_events(const struct stream *s, bool want_send)
{
    switch (s->state) {
    case STREAM_TCP_CONNECTING:
        return POLLOUT;
    case STREAM_HANDSHAKING:
        return s->tls_wants ? s->tls_wants : POLLIN;
    case STREAM_OPEN:
        /* TLS may have buffered a record already read from the socket: the caller reads
         * until EAGAIN, so POLLIN stays right. A write blocked on a read shows in tls_wants. */
        return POLLIN | (want_send || s->tls_wants == POLLOUT ? POLLOUT : 0);
    default:
        return 0;
    }
}

int stream_fd(const struct stream *s)
{
    return s->fd;
}

const char *stream_peer_name(const struct stream *s)
{
    return s->peer;
}

const char *stream_error(const struct stream *s)
{
    return s->error;
}

char *stream_take_bootstrap_ca(struct stream *s)
{
    char *pem = s->bootstrap_ca;
    s->bootstrap_ca = NULL;
    return pem;
}

void stream_close(struct stream *s)
{
    if (!s)
        return;
    if (s->ssl) {
        if (s->state == STREAM_OPEN)
            SSL_shutdown(s->ssl);   /* a courtesy close_notify; never waited for */
        SSL_free(s->ssl);
        tls_context_unref(s->tls);
    }
    ERR_clear_error();
    close(s->fd);
    free(s->bootstrap_ca);
    free(s);
}

/* ---- listeners ---- */

static int bind_unix(int fd, const struct stream_address *address, char *error)
{
    /* A socket file left by an earlier run would make bind() fail; anything else is not ours
     * to remove. */
    struct stat st;
    if (lstat(address->un.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(address->un.sun_path);
    if (bind(fd, (const struct sockaddr *)&address->un, address->un_len) < 0) {
        snprintf(error, STREAM_ERROR_SIZE, "bind %s: %s", address->un.sun_path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int bind_inet(int fd, const struct stream_address *address, char *error)
{
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&address->inet, address->inet_len) < 0) {
        char where[96];
        stream_address_format(address, where, sizeof where);
        snprintf(error, STREAM_ERROR_SIZE, "bind %s: %s", where, strerror(errno));
        return -1;
    }
    return 0;
}

static uint16_t bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

int pstream_open(const struct stream_address *address, struct tls_context *tls,
                 struct pstream **out, char error[STREAM_ERROR_SIZE])
{
    *out = NULL;
    if (!address->passive) {
        snprintf(error, STREAM_ERROR_SIZE, "an active address cannot be listened on");
        return -1;
    }
    if (address->kind == STREAM_SSL && !tls) {
        snprintf(error, STREAM_ERROR_SIZE, "pssl: needs the SSL configuration (key, "
                                           "certificate, CA certificate)");
        return -1;
    }
    bool unix_socket = address->kind == STREAM_UNIX;
    int fd = socket_for(unix_socket ? AF_UNIX : address->inet.ss_family, error);
    if (fd < 0)
        return -1;
    if ((unix_socket ? bind_unix(fd, address, error) : bind_inet(fd, address, error)) < 0) {
        close(fd);
        return -1;
    }
    if (listen(fd, LISTEN_BACKLOG) < 0) {
        snprintf(error, STREAM_ERROR_SIZE, "listen: %s", strerror(errno));
        close(fd);
        if (unix_socket)
            unlink(address->un.sun_path);
        return -1;
    }
    struct pstream *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(error, STREAM_ERROR_SIZE, "out of memory");
        close(fd);
        return -1;
    }
    p->fd = fd;
    p->kind = address->kind;
    p->tls = address->kind == STREAM_SSL ? tls_context_ref(tls) : NULL;
    if (unix_socket)
        snprintf(p->path, sizeof p->path, "%s", address->un.sun_path);
    else
        p->port = bound_port(fd);
    *out = p;
    return 0;
}

int pstream_accept(struct pstream *p, struct stream **out)
{
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = accept4(p->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return errno == EWOULDBLOCK ? EAGAIN : errno;
    set_nodelay(fd, ss.ss_family);
    char error[STREAM_ERROR_SIZE];
    struct stream *s = stream_new(fd, p->tls, true, p->tls ? STREAM_HANDSHAKING : STREAM_OPEN,
                                  error);
    if (!s) {
        close(fd);
        return ENOMEM;
    }
    if (ss.ss_family == AF_UNIX)
        snprintf(s->peer, sizeof s->peer, "unix:%s", p->path);
    else
        stream_sockaddr_format((struct sockaddr *)&ss, len, s->peer, sizeof s->peer);
    *out = s;
    return 0;
}

int pstream_fd(const struct pstream *p)
{
    return p->fd;
}

uint16_t pstream_port(const struct pstream *p)
{
    return p->port;
}

void pstream_close(struct pstream *p)
{
    if (!p)
        return;
    close(p->fd);
    if (p->path[0])
        unlink(p->path);
    tls_context_unref(p->tls);
    free(p);
}
