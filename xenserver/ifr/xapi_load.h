/* This host's network records from XAPI (IFR-05, IFR-06): its PIFs (all their fields), the
 * Bonds, VLANs and tunnels on them, every network (its PIFs reduced to this host's), the pools;
 * other_config maps filtered to the keys the cache keeps. */
#ifndef VSW_IFR_XAPI_LOAD_H
#define VSW_IFR_XAPI_LOAD_H

#include <stddef.h>

struct json;
struct xapi;

/* Returns the database (see netdb.h), or NULL with `error` naming the call or the record that
 * failed. `host_uuid` is the host's INSTALLATION_UUID. */
struct json *xapi_load(struct xapi *xapi, const char *host_uuid, char *error, size_t size);

#endif
