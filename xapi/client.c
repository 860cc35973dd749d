/* XAPI calls: sessions, the {Status, Value} envelope of replies, retries. */
#include "xapi/xapi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/json.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "xapi/http.h"
#include "xapi/xmlrpc.h"

struct xapi {
    struct xapi_http *http;
    char *user, *password;
    int attempts;
    int backoff_ms;
    char *session;              /* the session ref, or NULL when logged out */
    struct xapi_stats stats;
};

static void set_error(struct xapi_error *err, enum xapi_status status, const char *method,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_error(struct xapi_error *err, enum xapi_status status, const char *method,
                      const char *fmt, ...)
{
    err->status = status;
    err->description = NULL;
    int n = snprintf(err->message, sizeof err->message, "%s: ", method);
    va_list args;
    va_start(args, fmt);
    if (n > 0 && (size_t)n < sizeof err->message)
        vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, args);
    va_end(args);
}

struct xapi *xapi_create(const struct xapi_options *options)
{
    struct xapi *x = xzalloc(sizeof *x);
    x->http = xapi_http_create(options);
    if (!x->http) {
        free(x);
        return NULL;
    }
    x->user = xstrdup(options->user ? options->user : "");
    x->password = xstrdup(options->password ? options->password : "");
    x->attempts = options->attempts > 0 ? options->attempts : XAPI_DEFAULT_ATTEMPTS;
    x->backoff_ms = options->backoff_ms > 0 ? options->backoff_ms : XAPI_DEFAULT_BACKOFF_MS;
    return x;
}

void xapi_destroy(struct xapi *x)
{
    if (!x)
        return;
    xapi_logout(x);
    xapi_http_destroy(x->http);
    free(x->user);
    free(x->password);
    free(x);
}

static void pause_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) < 0)
        ;
}

/* One HTTP exchange, tried again (after a pause that doubles) while the connection fails. */
static enum xapi_http_result exchange(struct xapi *x, const char *method, const char *body,
                                      char **reply, size_t *reply_len, struct xapi_error *err)
{
    char message[400];
    int pause = x->backoff_ms;
    for (int attempt = 1;; attempt++) {
        enum xapi_http_result r = xapi_http_post(x->http, body, strlen(body), reply, reply_len,
                                                 message, sizeof message);
        if (r == XAPI_HTTP_OK)
            return r;
        if (r != XAPI_HTTP_NO_ANSWER || attempt >= x->attempts) {
            set_error(err, r == XAPI_HTTP_BAD_ANSWER ? XAPI_BAD_REPLY : XAPI_UNREACHABLE, method,
                      "%s%s", message,
                      r == XAPI_HTTP_NO_ANSWER && attempt > 1 ? " (every attempt failed)" : "");
            return r;
        }
        vlog_debug("xapi: %s: %s; trying again in %d ms", method, message, pause);
        x->stats.retries++;
        pause_ms(pause);
        pause *= 2;
    }
}

/* The Value of a XAPI reply {Status, Value | ErrorDescription}, or NULL with `err`. */
static struct json *unwrap(const char *method, struct json *reply, struct xapi_error *err)
{
    const char *status = json_string(json_object_get(reply, "Status"));
    if (!json_is_object(reply) || !*status) {
        set_error(err, XAPI_BAD_REPLY, method, "the reply is a %s without a Status, not a "
                  "XAPI reply", json_type_name(json_type(reply)));
        return NULL;
    }
    if (!strcmp(status, "Success")) {
        struct json *value = json_object_remove(reply, "Value");
        if (!value)
            set_error(err, XAPI_BAD_REPLY, method, "a Success without a Value");
        return value;
    }
    if (strcmp(status, "Failure")) {
        set_error(err, XAPI_BAD_REPLY, method, "Status is '%.40s', neither Success nor Failure",
                  status);
        return NULL;
    }
    struct json *description = json_object_remove(reply, "ErrorDescription");
    if (!json_is_array(description) || !json_array_size(description)) {
        json_free(description);
        set_error(err, XAPI_BAD_REPLY, method, "a Failure without an ErrorDescription");
        return NULL;
    }
    char *text = json_to_string(description);
    set_error(err, XAPI_FAILURE, method, "XAPI failure %s", text);
    free(text);
    err->description = description;
    return NULL;
}

/* Sends `method` with exactly `params` (taken) and returns the reply's Value. */
static struct json *call_raw(struct xapi *x, const char *method, struct json *params,
                             struct xapi_error *err)
{
    char *encode_error = NULL;
    char *body = xmlrpc_encode_call(method, params, &encode_error);
    json_free(params);
    x->stats.calls++;
    if (!body) {
        set_error(err, XAPI_BAD_REPLY, method, "cannot encode the call: %s", encode_error);
        free(encode_error);
        return NULL;
    }
    char *reply = NULL;
    size_t reply_len = 0;
    enum xapi_http_result r = exchange(x, method, body, &reply, &reply_len, err);
    free(body);
    if (r != XAPI_HTTP_OK) {
        if (err->status == XAPI_UNREACHABLE)
            x->stats.unreachable++;
        else
            x->stats.bad_replies++;
        return NULL;
    }
    char *parse_error = NULL;
    struct json *decoded = xmlrpc_decode_response(reply, reply_len, NULL, &parse_error);
    free(reply);
    if (!decoded) {
        set_error(err, XAPI_BAD_REPLY, method, "%s", parse_error);
        free(parse_error);
        x->stats.bad_replies++;
        return NULL;
    }
    struct json *value = unwrap(method, decoded, err);
    json_free(decoded);
    if (!value && err->status == XAPI_FAILURE)
        x->stats.failures++;
    else if (!value)
        x->stats.bad_replies++;
    return value;
}

struct json *xapi_call_sessionless(struct xapi *x, const char *method, struct json *params,
                                   struct xapi_error *err)
{
    return call_raw(x, method, params ? params : json_array_new(), err);
}

int xapi_login(struct xapi *x, struct xapi_error *err)
{
    struct json *params = json_array_new();
    json_array_append(params, json_string_new(x->user));
    json_array_append(params, json_string_new(x->password));
    x->stats.logins++;
    struct json *session = call_raw(x, "session.login_with_password", params, err);
    if (!session)
        return -1;
    if (!json_is_string(session)) {
        set_error(err, XAPI_BAD_REPLY, "session.login_with_password",
                  "the session is a %s, not a ref", json_type_name(json_type(session)));
        json_free(session);
        return -1;
    }
    free(x->session);
    x->session = xstrdup(json_string(session));
    json_free(session);
    return 0;
}

void xapi_use_session(struct xapi *x, const char *session)
{
    free(x->session);
    x->session = xstrdup(session);
}

void xapi_forget_session(struct xapi *x)
{
    free(x->session);
    x->session = NULL;
}

void xapi_logout(struct xapi *x)
{
    if (!x->session)
        return;
    struct json *params = json_array_append(json_array_new(), json_string_new(x->session));
    struct xapi_error err;
    struct json *result = call_raw(x, "session.logout", params, &err);
    if (result)
        json_free(result);
    else
        xapi_error_clear(&err);
    xapi_forget_session(x);
}

bool xapi_logged_in(const struct xapi *x)
{
    return x->session != NULL;
}

/* `args` with the session in front, a new array; `args` is left as it was. */
static struct json *with_session(const struct xapi *x, const struct json *args)
{
    struct json *params = json_array_append(json_array_new(), json_string_new(x->session));
    for (size_t i = 0; i < json_array_size(args); i++)
        json_array_append(params, json_clone(json_array_at(args, i)));
    return params;
}

struct json *xapi_call(struct xapi *x, const char *method, struct json *args,
                       struct xapi_error *err)
{
    struct json *value = NULL;
    /* A second round only after SESSION_INVALID: XAPI restarted and forgot the session. */
    for (int round = 0; round < 2 && !value; round++) {
        if (!x->session && xapi_login(x, err) < 0)
            break;
        value = call_raw(x, method, with_session(x, args), err);
        if (value || strcmp(xapi_error_code(err), "SESSION_INVALID") || round == 1)
            break;
        vlog_debug("xapi: %s: the session is no longer valid; logging in again", method);
        xapi_error_clear(err);
        xapi_forget_session(x);
    }
    json_free(args);
    return value;
}

struct json *xapi_call_strings(struct xapi *x, struct xapi_error *err, const char *method, ...)
{
    struct json *args = json_array_new();
    va_list ap;
    va_start(ap, method);
    for (const char *s; (s = va_arg(ap, const char *));)
        json_array_append(args, json_string_new(s));
    va_end(ap);
    return xapi_call(x, method, args, err);
}

const struct xapi_stats *xapi_stats(const struct xapi *x)
{
    return &x->stats;
}

const char *xapi_error_code(const struct xapi_error *err)
{
    if (err->status != XAPI_FAILURE)
        return "";
    return json_string(json_array_at(err->description, 0));
}

void xapi_error_clear(struct xapi_error *err)
{
    json_free(err->description);
    err->description = NULL;
}

const char *xapi_status_name(enum xapi_status status)
{
    switch (status) {
    case XAPI_OK:
        return "ok";
    case XAPI_FAILURE:
        return "failure";
    case XAPI_UNREACHABLE:
        return "unreachable";
    case XAPI_BAD_REPLY:
        return "bad reply";
    }
    return "?";
}

const char *xapi_string_field(const struct json *record, const char *field)
{
    return json_string(json_object_get(record, field));
}

const char *xapi_map_field(const struct json *record, const char *map, const char *key)
{
    const struct json *value = json_object_get(json_object_get(record, map), key);
    return json_is_string(value) ? json_string(value) : NULL;
}

bool xapi_bool_field(const struct json *record, const char *field)
{
    return json_boolean(json_object_get(record, field));
}
