/* One XML-RPC exchange with XAPI: an HTTP/1.1 POST on its Unix socket, through libcurl, on a
 * connection kept open between exchanges. Internal to xapi/. */
#ifndef VSW_XAPI_HTTP_H
#define VSW_XAPI_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "xapi/xapi.h"

struct xapi_http;

/* NULL on failure (logged). libcurl is initialized on the first call. */
struct xapi_http *xapi_http_create(const struct xapi_options *options);
void xapi_http_destroy(struct xapi_http *http);

enum xapi_http_result {
    XAPI_HTTP_OK,          /* *reply holds the body of a 200 answer */
    XAPI_HTTP_NO_ANSWER,   /* the connection failed before an answer: worth another try */
    XAPI_HTTP_TIMEOUT,     /* XAPI took longer than the timeout: not tried again */
    XAPI_HTTP_BAD_ANSWER,  /* an answer, but not a 200 of at most the size allowed */
};

/* POSTs `body` and returns the answer's body in *reply (malloc'd, NUL-terminated, *reply_len
 * bytes) on XAPI_HTTP_OK; otherwise `message` says what happened. */
enum xapi_http_result xapi_http_post(struct xapi_http *http, const char *body, size_t len,
                                     char **reply, size_t *reply_len, char *message,
                                     size_t size);

#endif
