/* Parsing and formatting of connection targets; see address.h. */
#include "stream/address.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *prefix;
    enum stream_kind kind;
    bool passive;
} kinds[] = {
    { "tcp:", STREAM_TCP, false },   { "ssl:", STREAM_SSL, false },
    { "unix:", STREAM_UNIX, false }, { "ptcp:", STREAM_TCP, true },
    { "pssl:", STREAM_SSL, true },   { "punix:", STREAM_UNIX, true },
};

static int fail(char *error, const char *fmt, const char *a, const char *b)
{
    snprintf(error, STREAM_ERROR_SIZE, fmt, a, b);
    return -1;
}

/* A decimal port of 0 to 65535 (0 only where `allow_zero`). */
static bool parse_port(const char *s, bool allow_zero, uint16_t *port)
{
    if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
        return false;
    long value = strtol(s, NULL, 10);
    if (value > 65535 || (value == 0 && !allow_zero))
        return false;
    *port = (uint16_t)value;
    return true;
}

/* A numeric IPv4 address, or an IPv6 one (without brackets), with `port`. */
static bool parse_ip(const char *ip, uint16_t port, struct stream_address *out)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&out->inet;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->inet;
    memset(&out->inet, 0, sizeof out->inet);
    if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        out->inet_len = sizeof *sin;
        return true;
    }
    if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        out->inet_len = sizeof *sin6;
        return true;
    }
    return false;
}

/* Splits "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" in `s` (modified) into *ip and *port (NULL
 * if absent). */
static bool split_host_port(char *s, char **ip, char **port)
{
    *port = NULL;
    if (*s == '[') {
        char *end = strchr(s, ']');
        if (!end || (end[1] && end[1] != ':'))
            return false;
        *end = '\0';
        *ip = s + 1;
        if (end[1] == ':')
            *port = end + 2;
        return true;
    }
    *ip = s;
    char *colon = strchr(s, ':');
    if (colon) {
        if (strchr(colon + 1, ':'))
            return false;   /* an IPv6 address needs brackets to carry a port */
        *colon = '\0';
        *port = colon + 1;
    }
    return true;
}

/* "IP[:PORT]" of an active target. */
static int parse_active_inet(const char *target, char *rest, uint16_t default_port,
                             struct stream_address *out, char *error)
{
    char *ip, *port_text;
    uint16_t port = default_port;
    if (!*rest)
        return fail(error, "%s: an IP address is required%s", target, "");
    if (!split_host_port(rest, &ip, &port_text))
        return fail(error, "%s: malformed address (write IPv6 addresses as [IP]:PORT)%s",
                    target, "");
    if (port_text && !parse_port(port_text, false, &port))
        return fail(error, "%s: %s is not a port number (1 to 65535)", target, port_text);
    if (!parse_ip(ip, port, out))
        return fail(error, "%s: %s is not an IP address (host names are not resolved)", target,
                    ip);
    return 0;
}

/* "[PORT][:IP]" of a passive target. */
static int parse_passive_inet(const char *target, char *rest, uint16_t default_port,
                              struct stream_address *out, char *error)
{
    uint16_t port = default_port;
    char *ip = strchr(rest, ':');
    if (ip)
        *ip++ = '\0';
    if (*rest && !parse_port(rest, true, &port))
        return fail(error, "%s: %s is not a port number (0 to 65535)", target, rest);
    if (!ip || !*ip)
        ip = "0.0.0.0";
    size_t n = strlen(ip);
    if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']') {
        ip[n - 1] = '\0';
        ip++;
    }
    if (!parse_ip(ip, port, out))
        return fail(error, "%s: %s is not an IP address (host names are not resolved)", target,
                    ip);
    return 0;
}

static int parse_path(const char *target, const char *path, const char *base_dir,
                      struct stream_address *out, char *error)
{
    if (!*path)
        return fail(error, "%s: a socket path is required%s", target, "");
    if (path[0] != '/' && !base_dir)
        return fail(error, "%s: %s is not an absolute path", target, path);
    memset(&out->un, 0, sizeof out->un);
    out->un.sun_family = AF_UNIX;
    int n = path[0] == '/'
                ? snprintf(out->un.sun_path, sizeof out->un.sun_path, "%s", path)
                : snprintf(out->un.sun_path, sizeof out->un.sun_path, "%s/%s", base_dir, path);
    if (n < 0 || (size_t)n >= sizeof out->un.sun_path)
        return fail(error, "%s: the socket path is longer than 107 bytes%s", target, "");
    out->un_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
    return 0;
}

int stream_address_parse(const char *target, uint16_t default_port, const char *base_dir,
                         struct stream_address *out, char error[STREAM_ERROR_SIZE])
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i].prefix);
        if (strncmp(target, kinds[i].prefix, n) != 0)
            continue;
        out->kind = kinds[i].kind;
        out->passive = kinds[i].passive;
        if (out->kind == STREAM_UNIX)
            return parse_path(target, target + n, base_dir, out, error);
        char rest[128];
        if (strlen(target + n) >= sizeof rest)
            return fail(error, "%s: the address is too long%s", target, "");
        snprintf(rest, sizeof rest, "%s", target + n);
        return out->passive ? parse_passive_inet(target, rest, default_port, out, error)
                            : parse_active_inet(target, rest, default_port, out, error);
    }
    return fail(error,
                "%s: unknown connection method (expected tcp:, ssl:, unix:, ptcp:, pssl: or "
                "punix:)%s",
                target, "");
}

const char *stream_address_kind_name(const struct stream_address *address)
{
    static const char *const names[2][3] = {
        { [STREAM_TCP] = "tcp", [STREAM_SSL] = "ssl", [STREAM_UNIX] = "unix" },
        { [STREAM_TCP] = "ptcp", [STREAM_SSL] = "pssl", [STREAM_UNIX] = "punix" },
    };
    return names[address->passive][address->kind];
}

void stream_sockaddr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
        snprintf(buf, size, "%s:%u", ip, ntohs(sin->sin_port));
    } else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
        snprintf(buf, size, "[%s]:%u", ip, ntohs(sin6->sin6_port));
    } else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t n = len > offsetof(struct sockaddr_un, sun_path)
                       ? len - offsetof(struct sockaddr_un, sun_path) : 0;
        snprintf(buf, size, "%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
    } else {
        snprintf(buf, size, "(unknown address family %d)", sa->sa_family);
    }
}

void stream_address_format(const struct stream_address *address, char *buf, size_t size)
{
    if (address->kind == STREAM_UNIX)
        snprintf(buf, size, "%s", address->un.sun_path);
    else
        stream_sockaddr_format((const struct sockaddr *)&address->inet, address->inet_len, buf,
                               size);
}
