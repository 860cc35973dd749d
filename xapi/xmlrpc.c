/* XML-RPC documents to and from lib/json trees: writing by hand (escaping is all it takes),
 * reading through Expat with the grammar checked element by element. */
#include "xapi/xmlrpc.h"

#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/xalloc.h"

/* ---- Writing ---- */

struct buf {
    char *data;
    size_t len, cap;
    char *error;          /* the first value that could not be written (malloc'd) */
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

/* Character data: markup characters escaped, and \r too (a parser would fold a raw one into
 * \n). XML 1.0 cannot carry the other control characters at all. */
static void put_text(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '&')
            buf_puts(b, "&amp;");
        else if (c == '<')
            buf_puts(b, "&lt;");
        else if (c == '>')
            buf_puts(b, "&gt;");
        else if (c == '\r')
            buf_puts(b, "&#13;");
        else if (c < 0x20 && c != '\t' && c != '\n') {
            if (!b->error)
                b->error = xasprintf("a string holds control character 0x%02x, which XML "
                                     "cannot carry", c);
            return;
        }
        else
            buf_put(b, (const char *)&s[i], 1);
    }
}

static void put_value(struct buf *b, const struct json *v);

static void put_scalar(struct buf *b, const char *tag, const char *text)
{
    buf_puts(b, "<");
    buf_puts(b, tag);
    buf_puts(b, ">");
    buf_puts(b, text);
    buf_puts(b, "</");
    buf_puts(b, tag);
    buf_puts(b, ">");
}

static void put_number(struct buf *b, const struct json *v)
{
    char text[64];
    if (json_is_integer(v)) {
        int64_t i = json_integer(v);
        snprintf(text, sizeof text, "%" PRId64, i);
        put_scalar(b, i >= INT32_MIN && i <= INT32_MAX ? "int" : "i8", text);
        return;
    }
    double d = json_real(v);
    if (!isfinite(d)) {
        if (!b->error)
            b->error = xstrdup("a real number is not finite, which XML-RPC cannot carry");
        return;
    }
    snprintf(text, sizeof text, "%.17g", d);
    put_scalar(b, "double", text);
}

static void put_struct(struct buf *b, const struct json *v)
{
    buf_puts(b, "<struct>");
    for (size_t i = 0; i < json_object_size(v); i++) {
        const char *name = json_object_key_at(v, i);
        buf_puts(b, "<member><name>");
        put_text(b, name, strlen(name));
        buf_puts(b, "</name>");
        put_value(b, json_object_value_at(v, i));
        buf_puts(b, "</member>");
    }
    buf_puts(b, "</struct>");
}

static void put_value(struct buf *b, const struct json *v)
{
    buf_puts(b, "<value>");
    switch (json_type(v)) {
    case JSON_NULL:
        buf_puts(b, "<nil/>");
        break;
    case JSON_BOOLEAN:
        put_scalar(b, "boolean", json_boolean(v) ? "1" : "0");
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        put_number(b, v);
        break;
    case JSON_STRING:
        buf_puts(b, "<string>");
        put_text(b, json_string(v), json_string_length(v));
        buf_puts(b, "</string>");
        break;
    case JSON_ARRAY:
        buf_puts(b, "<array><data>");
        for (size_t i = 0; i < json_array_size(v); i++)
            put_value(b, json_array_at(v, i));
        buf_puts(b, "</data></array>");
        break;
    case JSON_OBJECT:
        put_struct(b, v);
        break;
    }
    buf_puts(b, "</value>");
}

static char *buf_finish(struct buf *b, char **error)
{
    if (b->error) {
        free(b->data);
        *error = b->error;
        return NULL;
    }
    return b->data;
}

char *xmlrpc_encode_call(const char *method, const struct json *params, char **error)
{
    struct buf b = { 0 };
    buf_puts(&b, "<?xml version=\"1.0\"?>\n<methodCall><methodName>");
    put_text(&b, method, strlen(method));
    buf_puts(&b, "</methodName><params>");
    for (size_t i = 0; i < json_array_size(params); i++) {
        buf_puts(&b, "<param>");
        put_value(&b, json_array_at(params, i));
        buf_puts(&b, "</param>");
    }
    buf_puts(&b, "</params></methodCall>\n");
    return buf_finish(&b, error);
}

char *xmlrpc_encode_response(const struct json *value, char **error)
{
    struct buf b = { 0 };
    buf_puts(&b, "<?xml version=\"1.0\"?>\n<methodResponse><params><param>");
    put_value(&b, value);
    buf_puts(&b, "</param></params></methodResponse>\n");
    return buf_finish(&b, error);
}

/* ---- Reading ---- */

/* The elements of the grammar. */
enum elem {
    E_DOCUMENT,          /* the parser's own bottom frame */
    E_METHOD_CALL,
    E_METHOD_RESPONSE,
    E_METHOD_NAME,
    E_PARAMS,
    E_PARAM,
    E_FAULT,
    E_VALUE,
    E_STRUCT,
    E_MEMBER,
    E_NAME,
    E_ARRAY,
    E_DATA,
    E_STRING,
    E_INT,
    E_I4,
    E_I8,
    E_BOOLEAN,
    E_DOUBLE,
    E_DATETIME,
    E_BASE64,
    E_NIL,
    N_ELEMS,
};

static const char *const elem_names[N_ELEMS] = {
    [E_DOCUMENT] = "(document)", [E_METHOD_CALL] = "methodCall",
    [E_METHOD_RESPONSE] = "methodResponse", [E_METHOD_NAME] = "methodName",
    [E_PARAMS] = "params", [E_PARAM] = "param", [E_FAULT] = "fault", [E_VALUE] = "value",
    [E_STRUCT] = "struct", [E_MEMBER] = "member", [E_NAME] = "name", [E_ARRAY] = "array",
    [E_DATA] = "data", [E_STRING] = "string", [E_INT] = "int", [E_I4] = "i4", [E_I8] = "i8",
    [E_BOOLEAN] = "boolean", [E_DOUBLE] = "double", [E_DATETIME] = "dateTime.iso8601",
    [E_BASE64] = "base64", [E_NIL] = "nil",
};

static bool is_scalar(enum elem e)
{
    return e >= E_STRING && e <= E_NIL;
}

/* Elements whose content is text (everything else holds elements and blank space only). */
static bool holds_text(enum elem e)
{
    return e == E_METHOD_NAME || e == E_NAME || e == E_VALUE || (is_scalar(e) && e != E_NIL);
}

/* Whether `child` may appear in `parent` after `n_children` children. */
static bool child_allowed(enum elem parent, int n_children, enum elem child, bool want_call)
{
    switch (parent) {
    case E_DOCUMENT:
        return n_children == 0 && child == (want_call ? E_METHOD_CALL : E_METHOD_RESPONSE);
    case E_METHOD_CALL:
        return (n_children == 0 && child == E_METHOD_NAME) ||
               (n_children == 1 && child == E_PARAMS);
    case E_METHOD_RESPONSE:
        return n_children == 0 && (child == E_PARAMS || child == E_FAULT);
    case E_PARAMS:
        return child == E_PARAM;
    case E_PARAM:
    case E_FAULT:
        return n_children == 0 && child == E_VALUE;
    case E_VALUE:
        return n_children == 0 && (is_scalar(child) || child == E_STRUCT || child == E_ARRAY);
    case E_STRUCT:
        return child == E_MEMBER;
    case E_MEMBER:
        return (n_children == 0 && child == E_NAME) || (n_children == 1 && child == E_VALUE);
    case E_ARRAY:
        return n_children == 0 && child == E_DATA;
    case E_DATA:
        return child == E_VALUE;
    default:
        return false;
    }
}

struct frame {
    enum elem elem;
    int n_children;
    struct json *value;      /* the value this element stands for, once known */
    char *name;              /* E_MEMBER: its name (malloc'd) */
};

#define MAX_FRAMES 256

struct reader {
    XML_Parser parser;
    bool want_call;
    unsigned int max_depth;
    unsigned int depth;      /* values open */
    struct frame frames[MAX_FRAMES];
    int n_frames;
    char *text;              /* character data of the innermost text element (never NULL) */
    size_t text_len, text_cap;
    char *error;
    char *method;            /* E_METHOD_NAME's text */
    bool fault;              /* the methodResponse is a <fault> */
};

static void fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct reader *r, const char *fmt, ...)
{
    if (r->error)
        return;
    va_list args;
    va_start(args, fmt);
    char *what = NULL;
    if (vasprintf(&what, fmt, args) < 0)
        abort();
    va_end(args);
    r->error = xasprintf("line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(r->parser),
                         what);
    free(what);
    XML_StopParser(r->parser, XML_FALSE);
}

static enum elem elem_from_name(const char *name)
{
    for (int e = E_METHOD_CALL; e < N_ELEMS; e++) {
        if (!strcmp(name, elem_names[e]))
            return (enum elem)e;
    }
    return N_ELEMS;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    }
    return true;
}

static struct frame *top(struct reader *r)
{
    return &r->frames[r->n_frames - 1];
}

static void XMLCALL on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
    struct reader *r = arg;
    if (r->error)
        return;
    struct frame *parent = top(r);
    enum elem e = elem_from_name(name);
    if (e == N_ELEMS) {
        fail(r, "unknown element <%s>", name);
        return;
    }
    if (!child_allowed(parent->elem, parent->n_children, e, r->want_call)) {
        fail(r, "<%s> is not allowed here (in <%s>)", name, elem_names[parent->elem]);
        return;
    }
    if (attrs[0]) {
        fail(r, "<%s> has an attribute, which XML-RPC has none of", name);
        return;
    }
    if (parent->elem == E_VALUE && !is_blank(r->text, r->text_len)) {
        fail(r, "text before <%s> in a <value>", name);
        return;
    }
    if (e == E_VALUE && ++r->depth > r->max_depth) {
        fail(r, "values nested deeper than %u", r->max_depth);
        return;
    }
    if (r->n_frames == MAX_FRAMES) {
        fail(r, "elements nested deeper than %d", MAX_FRAMES);
        return;
    }
    parent->n_children++;
    r->frames[r->n_frames++] = (struct frame){ .elem = e };
    if (e == E_STRUCT)
        top(r)->value = json_object_new();
    else if (e == E_DATA || e == E_PARAMS)
        top(r)->value = json_array_new();
    r->text_len = 0;
    r->text[0] = '\0';
}

static void XMLCALL on_text(void *arg, const XML_Char *s, int len)
{
    struct reader *r = arg;
    if (r->error)
        return;
    if (!holds_text(top(r)->elem)) {
        if (!is_blank(s, (size_t)len))
            fail(r, "text in <%s>", elem_names[top(r)->elem]);
        return;
    }
    if (top(r)->elem == E_VALUE && top(r)->n_children) {
        if (!is_blank(s, (size_t)len))
            fail(r, "text after the typed value in a <value>");
        return;
    }
    if (r->text_len + (size_t)len + 1 > r->text_cap) {
        r->text_cap = (r->text_len + (size_t)len + 1) * 2;
        r->text = xrealloc(r->text, r->text_cap);
    }
    memcpy(r->text + r->text_len, s, (size_t)len);
    r->text_len += (size_t)len;
    r->text[r->text_len] = '\0';
}

static struct json *parse_integer(struct reader *r, enum elem e)
{
    const char *s = r->text;
    bool digits = *s && (isdigit((unsigned char)*s) ||
                         ((*s == '-' || *s == '+') && isdigit((unsigned char)s[1])));
    errno = 0;
    char *end;
    long long v = digits ? strtoll(s, &end, 10) : 0;
    if (!digits || *end || errno) {
        fail(r, "<%s> holds '%.40s', not an integer", elem_names[e], s);
        return NULL;
    }
    if (e != E_I8 && (v < INT32_MIN || v > INT32_MAX)) {
        fail(r, "<%s> holds %lld, out of the 32-bit range", elem_names[e], v);
        return NULL;
    }
    return json_integer_new(v);
}

static struct json *parse_double(struct reader *r)
{
    char *end;
    errno = 0;
    double d = strtod(r->text, &end);
    if (!r->text_len || *end || errno || !isfinite(d) || is_blank(r->text, 1)) {
        fail(r, "<double> holds '%.40s', not a finite number", r->text);
        return NULL;
    }
    return json_real_new(d);
}

/* The value of a scalar element, from its text. */
static struct json *scalar_value(struct reader *r, enum elem e)
{
    switch (e) {
    case E_INT:
    case E_I4:
    case E_I8:
        return parse_integer(r, e);
    case E_BOOLEAN:
        if (strcmp(r->text, "0") && strcmp(r->text, "1")) {
            fail(r, "<boolean> holds '%.40s', not 0 or 1", r->text);
            return NULL;
        }
        return json_boolean_new(r->text[0] == '1');
    case E_DOUBLE:
        return parse_double(r);
    case E_NIL:
        return json_null_new();
    default:
        return json_string_new_len(r->text, r->text_len);
    }
}

static bool valid_method_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && !strchr("_.:/", *s))
            return false;
    }
    return true;
}

/* Hands the finished element `f`'s value to its parent. */
static void give_to_parent(struct reader *r, struct frame *f, struct frame *parent)
{
    switch (parent->elem) {
    case E_VALUE:
    case E_PARAM:
    case E_FAULT:
        parent->value = f->value;
        break;
    case E_DATA:
        json_array_append(parent->value, f->value);
        break;
    case E_MEMBER:
        if (f->elem == E_NAME) {
            parent->name = xstrdup(r->text);
            return;
        }
        parent->value = f->value;
        break;
    case E_STRUCT:
        if (json_object_get(parent->value, f->name)) {
            fail(r, "two struct members are named '%.60s'", f->name);
            break;
        }
        json_object_put(parent->value, f->name, f->value);
        break;
    case E_ARRAY:
        parent->value = f->value;
        break;
    case E_PARAMS:
        json_array_append(parent->value, f->value);
        break;
    case E_METHOD_RESPONSE:
        /* its <params> holds exactly one value (checked), or its <fault> one */
        parent->value = f->elem == E_PARAMS ? json_array_remove(f->value, 0) : f->value;
        if (f->elem == E_PARAMS)
            json_free(f->value);
        break;
    case E_METHOD_CALL:
    case E_DOCUMENT:
        parent->value = f->value;
        break;
    default:
        json_free(f->value);
        break;
    }
    f->value = NULL;
}

static void XMLCALL on_end(void *arg, const XML_Char *name)
{
    (void)name;
    struct reader *r = arg;
    if (r->error)
        return;
    struct frame *f = top(r);
    struct frame *parent = &r->frames[r->n_frames - 2];
    if (is_scalar(f->elem)) {
        f->value = scalar_value(r, f->elem);
    }
    else if (f->elem == E_VALUE) {
        if (!f->n_children)
            f->value = json_string_new_len(r->text, r->text_len);
        r->depth--;
    }
    else if (f->elem == E_METHOD_NAME) {
        if (!valid_method_name(r->text)) {
            fail(r, "'%.60s' is not a method name", r->text);
            return;
        }
        r->method = xstrdup(r->text);
    }
    else if ((f->elem == E_PARAM || f->elem == E_FAULT) && !f->n_children) {
        fail(r, "<%s> without a <value>", elem_names[f->elem]);
    }
    else if (f->elem == E_MEMBER && f->n_children < 2) {
        fail(r, "a struct <member> without its %s", f->n_children ? "<value>" : "<name>");
    }
    else if (f->elem == E_ARRAY && !f->n_children) {
        fail(r, "an <array> without <data>");
    }
    else if (f->elem == E_METHOD_RESPONSE && !f->n_children) {
        fail(r, "a <methodResponse> with neither <params> nor <fault>");
    }
    else if (f->elem == E_METHOD_CALL && !f->n_children) {
        fail(r, "a <methodCall> without <methodName>");
    }
    if (r->error)
        return;
    if (f->elem == E_PARAMS && parent->elem == E_METHOD_RESPONSE &&
        json_array_size(f->value) != 1) {
        fail(r, "a <methodResponse> with %zu params, not one", json_array_size(f->value));
        return;
    }
    if (f->elem == E_FAULT)
        r->fault = true;
    if (f->value || f->elem == E_NAME)
        give_to_parent(r, f, parent);
    if (f->elem == E_MEMBER) {
        free(f->name);
        f->name = NULL;
    }
    r->n_frames--;
    r->text_len = 0;
    r->text[0] = '\0';
}

static void XMLCALL on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(arg, "a DOCTYPE, which XML-RPC has none of");
}

static void XMLCALL on_pi(void *arg, const XML_Char *target, const XML_Char *data)
{
    (void)data;
    fail(arg, "a processing instruction <?%s?>, which XML-RPC has none of", target);
}

static void reader_free(struct reader *r)
{
    for (int i = 0; i < r->n_frames; i++) {
        json_free(r->frames[i].value);
        free(r->frames[i].name);
    }
    free(r->text);
    free(r->method);
    if (r->parser)
        XML_ParserFree(r->parser);
}

/* Parses `text`; on success the document's value is in frames[0].value (for a methodCall, the
 * params array or NULL; for a methodResponse, its param or its fault, r->fault telling). */
static int parse(struct reader *r, const char *text, size_t len,
                 const struct xmlrpc_limits *limits, bool want_call)
{
    size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : XMLRPC_DEFAULT_MAX_BYTES;
    r->want_call = want_call;
    r->max_depth = limits && limits->max_depth ? limits->max_depth : XMLRPC_DEFAULT_MAX_DEPTH;
    r->n_frames = 1;
    r->frames[0] = (struct frame){ .elem = E_DOCUMENT };
    r->text_cap = 64;
    r->text = xzalloc(r->text_cap);
    if (len > max_bytes) {
        r->error = xasprintf("the document is %zu bytes long, more than the %zu allowed", len,
                             max_bytes);
        return -1;
    }
    if (len > INT32_MAX || !(r->parser = XML_ParserCreate("UTF-8")))
        abort();
    XML_SetUserData(r->parser, r);
    XML_SetElementHandler(r->parser, on_start, on_end);
    XML_SetCharacterDataHandler(r->parser, on_text);
    XML_SetStartDoctypeDeclHandler(r->parser, on_doctype);
    XML_SetProcessingInstructionHandler(r->parser, on_pi);
    if (XML_Parse(r->parser, text, (int)len, XML_TRUE) == XML_STATUS_ERROR && !r->error)
        r->error = xasprintf("line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(r->parser),
                             XML_ErrorString(XML_GetErrorCode(r->parser)));
    if (!r->error && !r->frames[0].n_children)
        r->error = xstrdup("no document element");
    return r->error ? -1 : 0;
}

static void take_error(struct reader *r, char **error)
{
    char *e = xasprintf("malformed XML-RPC: %s", r->error);
    free(r->error);
    r->error = NULL;
    if (error)
        *error = e;
    else
        free(e);
}

int xmlrpc_decode_call(const char *text, size_t len, const struct xmlrpc_limits *limits,
                       char **method, struct json **params, char **error)
{
    struct reader r = { 0 };
    if (parse(&r, text, len, limits, true) < 0) {
        take_error(&r, error);
        reader_free(&r);
        return -1;
    }
    *method = r.method;
    r.method = NULL;
    *params = r.frames[0].value ? r.frames[0].value : json_array_new();
    r.frames[0].value = NULL;
    reader_free(&r);
    return 0;
}

/* "XML-RPC fault <code>: <string>" from a fault's struct. */
static char *fault_message(const struct json *fault)
{
    const struct json *code = json_object_get(fault, "faultCode");
    const struct json *string = json_object_get(fault, "faultString");
    return xasprintf("XML-RPC fault %" PRId64 ": %s", json_integer(code),
                     json_is_string(string) ? json_string(string) : "(no faultString)");
}

struct json *xmlrpc_decode_response(const char *text, size_t len,
                                    const struct xmlrpc_limits *limits, char **error)
{
    struct reader r = { 0 };
    if (parse(&r, text, len, limits, false) < 0) {
        take_error(&r, error);
        reader_free(&r);
        return NULL;
    }
    struct json *value = r.frames[0].value;
    r.frames[0].value = NULL;
    bool fault = r.fault;
    reader_free(&r);
    if (fault) {
        if (error)
            *error = fault_message(value);
        json_free(value);
        return NULL;
    }
    return value;
}
