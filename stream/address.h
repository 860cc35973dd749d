/* Connection targets in Open vSwitch's syntax, as the Manager and Controller tables and the
 * --remote and --db options hold them:
 *
 *     tcp:IP[:PORT]     ssl:IP[:PORT]     unix:PATH        (active: connect)
 *     ptcp:[PORT][:IP]  pssl:[PORT][:IP]  punix:PATH       (passive: listen)
 *
 * IP is a numeric IPv4 or IPv6 address, IPv6 in brackets ("tcp:[::1]:6640"); host names are not
 * resolved. A missing port is the caller's default (6640 for OVSDB, 6653 for OpenFlow); a
 * passive target without IP listens on every IPv4 address, and port 0 lets the kernel choose.
 * A relative PATH is taken relative to a directory the caller names (the run directory). */
#ifndef VSW_STREAM_ADDRESS_H
#define VSW_STREAM_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

enum stream_kind {
    STREAM_TCP,
    STREAM_SSL,    /* TLS over TCP */
    STREAM_UNIX,
};

struct stream_address {
    enum stream_kind kind;
    bool passive;
    /* STREAM_TCP, STREAM_SSL: where to connect, or what to bind. */
    struct sockaddr_storage inet;
    socklen_t inet_len;
    /* STREAM_UNIX: the socket's path. */
    struct sockaddr_un un;
    socklen_t un_len;
};

/* Enough for any message stream_address_parse() writes. */
#define STREAM_ERROR_SIZE 256

/* Parses `target`. `default_port` fills a missing port; `base_dir` (may be NULL: then a
 * relative path is refused) anchors a relative unix or punix path. Returns 0, or -1 with a
 * message in `error` naming what is wrong, e.g. "tcp:10.0.0.300: 10.0.0.300 is not an IP
 * address". */
int stream_address_parse(const char *target, uint16_t default_port, const char *base_dir,
                         struct stream_address *out, char error[STREAM_ERROR_SIZE]);

/* "ssl", "tcp" or "unix", with a "p" in front for a passive target. */
const char *stream_address_kind_name(const struct stream_address *address);

/* Writes the address without its kind: "127.0.0.1:6640", "[::1]:6640", or the path. */
void stream_address_format(const struct stream_address *address, char *buf, size_t size);

/* Formats a socket address as stream_address_format() does ("IP:PORT" or a path); for peers
 * and bound sockets. */
void stream_sockaddr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);

#endif
