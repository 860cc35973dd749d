/* XML-RPC (http://xmlrpc.com/spec.md), the wire format of XAPI and of its plugins, with values
 * held as lib/json trees:
 *
 *   XML-RPC                         json
 *   <string>, a bare <value>text    string
 *   <int>, <i4>, <i8>               integer
 *   <boolean> (0 or 1)              boolean
 *   <double>                        real
 *   <nil/>                          null
 *   <array>                         array
 *   <struct>                        object (member names unique)
 *   <dateTime.iso8601>, <base64>    string (the text as sent)
 *
 * Documents are parsed by Expat, never by hand, and checked against the grammar as they are
 * read: an element where the grammar has none, text where it has none, a struct member without
 * its name, two names alike, a number out of range, a DOCTYPE (and with it every entity
 * declaration) each stop the parse with a message naming the line. Input is bounded in size
 * and nesting before and while it is parsed. */
#ifndef VSW_XAPI_XMLRPC_H
#define VSW_XAPI_XMLRPC_H

#include <stddef.h>

struct json;

#define XMLRPC_DEFAULT_MAX_BYTES (8u * 1024 * 1024)
#define XMLRPC_DEFAULT_MAX_DEPTH 32

struct xmlrpc_limits {
    size_t max_bytes;       /* a longer document is refused before it is parsed */
    unsigned int max_depth; /* values nested deeper (arrays, structs) are refused */
};

/* A methodCall of `method` with the elements of `params` (an array) as its parameters.
 * Returns the document (malloc'd), or NULL with *error (malloc'd): a value XML cannot carry
 * (a control character in a string, a real that is not finite). */
char *xmlrpc_encode_call(const char *method, const struct json *params, char **error);

/* A methodResponse carrying `value`. Returns the document or NULL with *error, as above. */
char *xmlrpc_encode_response(const struct json *value, char **error);

/* Parses a methodCall. Returns 0 with *method (malloc'd) and *params (an array, possibly
 * empty; free with json_free()), or -1 with *error (malloc'd). `limits` may be NULL for the
 * defaults. */
int xmlrpc_decode_call(const char *text, size_t len, const struct xmlrpc_limits *limits,
                       char **method, struct json **params, char **error);

/* Parses a methodResponse and returns its one parameter, or NULL with *error (malloc'd); a
 * <fault> is such an error ("XML-RPC fault <code>: <string>"). `limits` may be NULL. */
struct json *xmlrpc_decode_response(const char *text, size_t len,
                                    const struct xmlrpc_limits *limits, char **error);

#endif
