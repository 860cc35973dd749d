/* A client of XAPI, the XenServer toolstack, on its local Unix socket: XML-RPC (xapi/xmlrpc.h)
 * over HTTP/1.1 (libcurl), as XenServer's own Python binding (XenAPI.xapi_local()) speaks it.
 *
 * Every call but the login carries the session ref as its first parameter. A reply is a struct
 * {Status: "Success", Value: v} or {Status: "Failure", ErrorDescription: [code, params...]}.
 * Refs are "OpaqueRef:<uuid>" strings ("OpaqueRef:NULL" for none); integers such as VLAN and
 * MTU travel as strings; get_all_records* return a struct from ref to record.
 *
 * The client logs in lazily (XAPI accepts any credentials on its local socket), logs in again
 * once when XAPI answers SESSION_INVALID (it restarted and forgot the session), and retries a
 * call whose connection failed (refused, reset, closed before an answer) a bounded number of
 * times with a doubling pause. It logs nothing but retries (debug): every failure is returned
 * in a struct xapi_error whose message names the call, for the caller to log once.
 *
 * A program running as root connects to XAPI's socket itself. vsw-hostd, which runs as an
 * unprivileged user, connects instead to a relay that a privileged helper of its own serves on
 * an abstract Unix socket (xapi_options.relay; hostd/xapi_relay.h says why a relay). One
 * thread at a time per client. */
#ifndef VSW_XAPI_XAPI_H
#define VSW_XAPI_XAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json;

#define XAPI_DEFAULT_SOCKET "/var/lib/xcp/xapi"
#define XAPI_NULL_REF "OpaqueRef:NULL"
#define XAPI_DEFAULT_TIMEOUT_MS 10000
#define XAPI_DEFAULT_ATTEMPTS 3
#define XAPI_DEFAULT_BACKOFF_MS 100

struct xapi_options {
    const char *socket_path;     /* NULL: XAPI_DEFAULT_SOCKET */
    const char *user;            /* for session.login_with_password; NULL: "" */
    const char *password;        /* NULL: "" */
    int timeout_ms;              /* one HTTP exchange; 0: XAPI_DEFAULT_TIMEOUT_MS */
    size_t max_reply_bytes;      /* a longer reply is refused; 0: XMLRPC_DEFAULT_MAX_BYTES */
    int attempts;                /* tries of an exchange whose connection failed; 0: default */
    int backoff_ms;              /* pause before the second try, doubled after; 0: default */
    /* NULL: connect to socket_path. Else the name, in the abstract namespace (without the
     * leading NUL), of a relay to it: a connection it cannot make to XAPI is answered with
     * HTTP status 503 and the header XAPI_RELAY_ERROR_HEADER, whose value says why. */
    const char *relay;
};

#define XAPI_RELAY_ERROR_HEADER "X-Vsw-Relay-Error"

enum xapi_status {
    XAPI_OK,
    XAPI_FAILURE,      /* XAPI answered {Status: Failure}: see xapi_error.description */
    XAPI_UNREACHABLE,  /* no answer: no socket, refused, reset, closed or timed out */
    XAPI_BAD_REPLY,    /* an answer that is not a XAPI reply: not HTTP 200, not XML-RPC, too
                        * large, not {Status, Value} */
};

struct xapi_error {
    enum xapi_status status;
    struct json *description;    /* XAPI_FAILURE: the ErrorDescription, an array of strings */
    char message[512];           /* "<Class.method>: <what happened>", for a human */
};

/* Counters, for a daemon's status. */
struct xapi_stats {
    uint64_t calls;              /* calls made (logins included) */
    uint64_t failures;           /* of which answered Failure */
    uint64_t unreachable;        /* of which unanswered after every attempt */
    uint64_t bad_replies;        /* of which answered with something not XAPI's */
    uint64_t logins;
    uint64_t retries;            /* exchanges tried again after a failed connection */
};

struct xapi;

/* Creates a client (no connection yet). Initializes libcurl: call it before any thread
 * exists and before a sandbox forbids what libcurl's initialization does. NULL on failure
 * (logged). */
struct xapi *xapi_create(const struct xapi_options *options);
/* Logs out if logged in, then frees the client. NULL is a no-op. */
void xapi_destroy(struct xapi *xapi);

/* Calls `method` ("Class.method") with the session ref followed by the elements of `args` (an
 * array, taken; NULL for none), logging in first if there is no session. Returns the Value
 * (the caller frees it), or NULL with `err` filled (free its description with
 * xapi_error_clear()). */
struct json *xapi_call(struct xapi *xapi, const char *method, struct json *args,
                       struct xapi_error *err);
/* The same with string arguments, the list ending with NULL. */
struct json *xapi_call_strings(struct xapi *xapi, struct xapi_error *err, const char *method,
                               ...) __attribute__((sentinel));
/* A call without the session: the parameters are exactly `params` (taken; NULL for none). */
struct json *xapi_call_sessionless(struct xapi *xapi, const char *method, struct json *params,
                                   struct xapi_error *err);

/* Logs in now (xapi_call() does when needed). Returns 0, or -1 with `err`. */
int xapi_login(struct xapi *xapi, struct xapi_error *err);
/* session.logout, if logged in; its failure is only forgotten with the session. */
void xapi_logout(struct xapi *xapi);
bool xapi_logged_in(const struct xapi *xapi);
/* Uses a session someone else logged in (interface-reconfigure's --session): calls carry it,
 * xapi_logout() ends it. */
void xapi_use_session(struct xapi *xapi, const char *session);
/* Forgets the session without telling XAPI (it has already forgotten it, say). */
void xapi_forget_session(struct xapi *xapi);

const struct xapi_stats *xapi_stats(const struct xapi *xapi);

/* The code of a XAPI_FAILURE (ErrorDescription[0]), or "" for any other error. */
const char *xapi_error_code(const struct xapi_error *err);
void xapi_error_clear(struct xapi_error *err);
const char *xapi_status_name(enum xapi_status status);

/* Reading records. A field that is absent or of another type reads as "" / NULL / false, so a
 * record missing what a caller needs behaves as an empty one. */
const char *xapi_string_field(const struct json *record, const char *field);
/* `map` is a struct of strings (other_config): the value of `key`, or NULL. */
const char *xapi_map_field(const struct json *record, const char *map, const char *key);
bool xapi_bool_field(const struct json *record, const char *field);

#endif
