/* XML-RPC over HTTP/1.1 on XAPI's Unix socket, through libcurl: CURLOPT_UNIX_SOCKET_PATH (no
 * name is ever resolved), or CURLOPT_ABSTRACT_UNIX_SOCKET for vsw-hostd's relay. The
 * connection stays open between exchanges (HTTP keep-alive) until XAPI closes it. */
#include "xapi/http.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/version.h"
#include "lib/xalloc.h"
#include "xapi/xmlrpc.h"

struct xapi_http {
    CURL *curl;
    struct curl_slist *headers;
    char *socket_path;
    bool relayed;
    size_t max_reply;
    /* The answer being received. */
    char *reply;
    size_t reply_len, reply_cap;
    bool too_big;
    char relay_error[256];      /* the relay's XAPI_RELAY_ERROR_HEADER, or "" */
};

/* Keeps the relay's error header; every other header is libcurl's business. */
static size_t receive_header(char *data, size_t size, size_t n, void *arg)
{
    struct xapi_http *http = arg;
    size_t len = size * n;
    size_t name_len = strlen(XAPI_RELAY_ERROR_HEADER);
    if (len > name_len + 1 && !strncasecmp(data, XAPI_RELAY_ERROR_HEADER ":", name_len + 1)) {
        const char *value = data + name_len + 1;
        size_t value_len = len - name_len - 1;
        while (value_len && (*value == ' ' || *value == '\t'))
            value++, value_len--;
        while (value_len && (value[value_len - 1] == '\r' || value[value_len - 1] == '\n'))
            value_len--;
        snprintf(http->relay_error, sizeof http->relay_error, "%.*s", (int)value_len, value);
    }
    return len;
}

static size_t receive(char *data, size_t size, size_t n, void *arg)
{
    struct xapi_http *http = arg;
    size_t len = size * n;
    if (http->reply_len + len > http->max_reply) {
        http->too_big = true;
        return 0;   /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    if (http->reply_len + len + 1 > http->reply_cap) {
        http->reply_cap = (http->reply_len + len + 1) * 2;
        if (http->reply_cap > http->max_reply + 1)
            http->reply_cap = http->max_reply + 1;
        http->reply = xrealloc(http->reply, http->reply_cap);
    }
    memcpy(http->reply + http->reply_len, data, len);
    http->reply_len += len;
    http->reply[http->reply_len] = '\0';
    return len;
}

static int set_options(struct xapi_http *http, const struct xapi_options *o)
{
    CURL *c = http->curl;
    long timeout = o->timeout_ms > 0 ? o->timeout_ms : XAPI_DEFAULT_TIMEOUT_MS;
    http->headers = curl_slist_append(NULL, "Content-Type: text/xml");
    /* libcurl would wait for "100 Continue" before sending a large body; XAPI sends none. */
    if (http->headers)
        http->headers = curl_slist_append(http->headers, "Expect:");
    if (!http->headers)
        return -1;
    CURLcode rc = CURLE_OK;
    /* The host name only fills the Host header: the socket path says where to connect. */
    rc |= curl_easy_setopt(c, CURLOPT_URL, "http://localhost/");
    if (o->relay)
        rc |= curl_easy_setopt(c, CURLOPT_ABSTRACT_UNIX_SOCKET, o->relay);
    else
        rc |= curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, http->socket_path);
    rc |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, receive_header);
    rc |= curl_easy_setopt(c, CURLOPT_HEADERDATA, http);
    rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, receive);
    rc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, http);
    rc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, http->headers);
    rc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "vsw/" VSW_VERSION);
    rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    rc |= curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)http->max_reply);
    rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);   /* no alarm(), no SIGPIPE handler */
    rc |= curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    return rc == CURLE_OK ? 0 : -1;
}

struct xapi_http *xapi_http_create(const struct xapi_options *o)
{
    if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK) {
        vlog_err("xapi: libcurl failed to initialize");
        return NULL;
    }
    struct xapi_http *http = xzalloc(sizeof *http);
    http->socket_path = xstrdup(o->socket_path ? o->socket_path : XAPI_DEFAULT_SOCKET);
    http->relayed = o->relay != NULL;
    http->max_reply = o->max_reply_bytes ? o->max_reply_bytes : XMLRPC_DEFAULT_MAX_BYTES;
    http->curl = curl_easy_init();
    if (!http->curl || set_options(http, o) < 0) {
        vlog_err("xapi: cannot set up libcurl for %s", http->socket_path);
        xapi_http_destroy(http);
        return NULL;
    }
    return http;
}

void xapi_http_destroy(struct xapi_http *http)
{
    if (!http)
        return;
    if (http->curl)
        curl_easy_cleanup(http->curl);
    curl_slist_free_all(http->headers);
    free(http->socket_path);
    free(http->reply);
    free(http);
    curl_global_cleanup();
}

/* What a failed transfer means for the caller. */
static enum xapi_http_result transfer_failed(struct xapi_http *http, CURLcode rc,
                                             char *message, size_t size)
{
    if (http->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(message, size, "the answer is longer than %zu bytes; refused", http->max_reply);
        return XAPI_HTTP_BAD_ANSWER;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(message, size, "no answer from %s within the timeout", http->socket_path);
        return XAPI_HTTP_TIMEOUT;
    }
    long os_errno = 0;
    if (rc == CURLE_COULDNT_CONNECT && !http->relayed &&
        curl_easy_getinfo(http->curl, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno) {
        snprintf(message, size, "cannot connect to %s: %s", http->socket_path,
                 strerror((int)os_errno));
        return XAPI_HTTP_NO_ANSWER;
    }
    if (rc == CURLE_PARTIAL_FILE) {
        snprintf(message, size, "the answer on %s was cut short", http->socket_path);
        return XAPI_HTTP_BAD_ANSWER;
    }
    if (rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_UNSUPPORTED_PROTOCOL ||
        rc == CURLE_BAD_CONTENT_ENCODING) {
        snprintf(message, size, "the answer on %s is not HTTP: %s", http->socket_path,
                 curl_easy_strerror(rc));
        return XAPI_HTTP_BAD_ANSWER;
    }
    snprintf(message, size, "%s: %s", http->socket_path, curl_easy_strerror(rc));
    return XAPI_HTTP_NO_ANSWER;
}

enum xapi_http_result xapi_http_post(struct xapi_http *http, const char *body, size_t len,
                                     char **reply, size_t *reply_len, char *message,
                                     size_t size)
{
    http->reply = NULL;
    http->reply_len = http->reply_cap = 0;
    http->too_big = false;
    http->relay_error[0] = '\0';
    curl_easy_setopt(http->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(http->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    CURLcode rc = curl_easy_perform(http->curl);
    enum xapi_http_result result = XAPI_HTTP_OK;
    long code = 0;
    if (rc != CURLE_OK)
        result = transfer_failed(http, rc, message, size);
    else if (http->relay_error[0]) {
        snprintf(message, size, "%s", http->relay_error);   /* the relay could not connect */
        result = XAPI_HTTP_NO_ANSWER;
    }
    else if (curl_easy_getinfo(http->curl, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK ||
             code != 200) {
        snprintf(message, size, "XAPI answered HTTP status %ld, not 200", code);
        result = XAPI_HTTP_BAD_ANSWER;
    }
    if (result != XAPI_HTTP_OK) {
        free(http->reply);
        http->reply = NULL;
        return result;
    }
    *reply = http->reply ? http->reply : xstrdup("");
    *reply_len = http->reply_len;
    http->reply = NULL;
    return XAPI_HTTP_OK;
}
