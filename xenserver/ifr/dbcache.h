/* /var/xapi/network.dbcache (IFR-08): the host's network records as XML, read before XAPI is up
 * (`--force`) and written after every XAPI-mode up, down and rewrite.
 *
 * Reading is strict: Expat parses it, and one root <xenserver-network-configuration> holding
 * only <pif>, <bond>, <vlan>, <tunnel>, <network> and <pool> records (each with a ref) is all it
 * accepts; a comment, a processing instruction, a DOCTYPE, text or an unknown element where
 * the grammar has none, a boolean other than True/False, two records with one ref, a ref to a
 * record the file lacks, or a file larger than DBCACHE_MAX_BYTES is refused with the line and
 * the reason, and nothing of the file is used. Unknown fields of a record are ignored, and
 * other_config keys outside the allowed set are dropped, as the old reader did. As in the old
 * reader, `currently_attached` always reads as false: a cache is read at boot, when nothing is
 * attached yet.
 *
 * Writing gives exactly the old writer's format: records in class order, fields in the order
 * of netdb.c's tables, one tab per level, True/False, `<X></X>` for an empty string and
 * `<X/>` for an empty list or map. The file is replaced atomically: written beside it, fsync'd,
 * renamed over it, and the directory fsync'd. */
#ifndef VSW_IFR_DBCACHE_H
#define VSW_IFR_DBCACHE_H

#include <stddef.h>

struct json;

#define DBCACHE_PATH "/var/xapi/network.dbcache"
/* A real cache is a few kilobytes; anything near this is not one. */
#define DBCACHE_MAX_BYTES (4u * 1024 * 1024)

/* Parses a cache. Returns the database (see netdb.h; free with json_free()), or NULL with
 * `error` ("line N: why"). */
struct json *dbcache_parse(const char *text, size_t len, char *error, size_t size);
/* Reads and parses `path`. */
struct json *dbcache_read(const char *path, char *error, size_t size);

/* The cache's text for `db` (malloc'd). */
char *dbcache_format(const struct json *db);
/* Writes `db` to `path` atomically. Returns 0, or -1 with `error`. */
int dbcache_write(const struct json *db, const char *path, char *error, size_t size);

#endif
