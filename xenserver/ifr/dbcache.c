/* network.dbcache: read with Expat, written in the old writer's exact format; see dbcache.h. */
#include "xenserver/ifr/dbcache.h"

#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/json.h"
#include "lib/xalloc.h"
#include "xenserver/ifr/netdb.h"

#define ROOT "xenserver-network-configuration"

/* Where the parser is. */
enum level {
    IN_DOCUMENT,       /* before the root */
    IN_ROOT,           /* between records */
    IN_RECORD,         /* between fields */
    IN_CONTAINER,      /* between the entries of a list or map field */
    IN_VALUE,          /* collecting the text of a value */
    SKIPPING,          /* inside an ignored element */
};

struct reader {
    XML_Parser parser;
    struct json *db;
    enum level level;
    const struct netdb_class *class_;
    struct json *record;              /* the record being read (in db) */
    const struct netdb_field *field;  /* the list or map field, or the value's field */
    struct json *container;           /* the list or map being filled */
    char *key;                        /* the map key whose value is collected */
    char *text;                       /* the value's text so far */
    size_t text_len;
    int skip_depth;                   /* nesting inside an ignored element */
    enum level after_skip;
    bool done;                        /* the root closed */
    char *error;                      /* set once: the first reason */
};

static void fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct reader *r, const char *fmt, ...)
{
    if (r->error)
        return;
    va_list args;
    va_start(args, fmt);
    char *why = NULL;
    if (vasprintf(&why, fmt, args) < 0)
        abort();
    va_end(args);
    r->error = xasprintf("line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(r->parser),
                         why);
    free(why);
    XML_StopParser(r->parser, XML_FALSE);
}

static const char *attribute(const XML_Char **attrs, const char *name)
{
    for (size_t i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], name) == 0)
            return attrs[i + 1];
    return NULL;
}

static void start_record(struct reader *r, const char *name, const XML_Char **attrs)
{
    const struct netdb_class *cls = netdb_class(name);
    if (!cls) {
        fail(r, "unknown element <%s> in <%s>", name, ROOT);
        return;
    }
    const char *ref = attribute(attrs, "ref");
    if (!ref || !*ref) {
        fail(r, "<%s> has no ref", name);
        return;
    }
    struct json *records = netdb_records(r->db, name);
    if (json_object_get(records, ref)) {
        fail(r, "two <%s> records with ref %s", name, ref);
        return;
    }
    r->class_ = cls;
    r->record = json_object_new();
    json_object_put(records, ref, r->record);
    r->level = IN_RECORD;
}

static void skip(struct reader *r, enum level after)
{
    r->after_skip = after;
    r->skip_depth = 1;
    r->level = SKIPPING;
}

static void start_field(struct reader *r, const char *name)
{
    const struct netdb_field *f = netdb_field(r->class_, name);
    if (!f) {
        skip(r, IN_RECORD);   /* unknown fields of a record are ignored (IFR-08) */
        return;
    }
    if (json_object_get(r->record, name)) {
        fail(r, "<%s> twice in a <%s>", name, r->class_->name);
        return;
    }
    r->field = f;
    if (f->kind == NETDB_LIST || f->kind == NETDB_MAP) {
        r->container = f->kind == NETDB_LIST ? json_array_new() : json_object_new();
        json_object_put(r->record, name, r->container);
        r->level = IN_CONTAINER;
        return;
    }
    r->level = IN_VALUE;
}

static void start_entry(struct reader *r, const char *name)
{
    const struct netdb_field *f = r->field;
    bool wanted = f->kind == NETDB_LIST ? strcmp(name, f->item) == 0
                                        : netdb_allowed_key(r->class_, name);
    if (!wanted) {
        skip(r, IN_CONTAINER);   /* other entries and other_config keys are dropped */
        return;
    }
    if (f->kind == NETDB_MAP && json_object_get(r->container, name)) {
        fail(r, "key <%s> twice in <%s>", name, f->name);
        return;
    }
    free(r->key);
    r->key = f->kind == NETDB_MAP ? xstrdup(name) : NULL;
    r->level = IN_VALUE;
}

static void on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
    struct reader *r = arg;
    switch (r->level) {
    case IN_DOCUMENT:
        if (strcmp(name, ROOT) != 0)
            fail(r, "the root is <%s>, not <%s>", name, ROOT);
        r->level = IN_ROOT;
        break;
    case IN_ROOT:
        start_record(r, name, attrs);
        break;
    case IN_RECORD:
        start_field(r, name);
        break;
    case IN_CONTAINER:
        start_entry(r, name);
        break;
    case IN_VALUE:
        fail(r, "element <%s> inside a value", name);
        break;
    case SKIPPING:
        r->skip_depth++;
        break;
    }
}

/* The collected text, whitespace-stripped (IFR-08), taken. */
static char *take_text(struct reader *r)
{
    char *s = r->text ? r->text : xstrdup("");
    r->text = NULL;
    r->text_len = 0;
    char *start = s;
    while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r')
        start++;
    size_t n = strlen(start);
    while (n && (start[n - 1] == ' ' || start[n - 1] == '\t' || start[n - 1] == '\n' ||
                 start[n - 1] == '\r'))
        n--;
    char *stripped = xasprintf("%.*s", (int)n, start);
    free(s);
    return stripped;
}

static void end_value(struct reader *r)
{
    char *text = take_text(r);
    const struct netdb_field *f = r->field;
    if (f->kind == NETDB_LIST) {
        json_array_append(r->container, json_string_take(text));
        r->level = IN_CONTAINER;
    } else if (f->kind == NETDB_MAP) {
        json_object_put(r->container, r->key, json_string_take(text));
        r->level = IN_CONTAINER;
    } else if (f->kind == NETDB_BOOL) {
        if (strcmp(text, "True") != 0 && strcmp(text, "False") != 0)
            fail(r, "<%s> is \"%s\", not True or False", f->name, text);
        /* Always false, as in the old reader: see dbcache.h. */
        bool value = strcmp(f->name, "currently_attached") != 0 && strcmp(text, "True") == 0;
        json_object_put(r->record, f->name, json_boolean_new(value));
        free(text);
        r->level = IN_RECORD;
    } else {
        json_object_put(r->record, f->name, json_string_take(text));
        r->level = IN_RECORD;
    }
}

/* Every field but the optional ones must be there: a record without its device or network
 * would fail later, half-applied. */
static void check_record(struct reader *r)
{
    for (size_t i = 0; i < r->class_->n_fields; i++) {
        const struct netdb_field *f = &r->class_->fields[i];
        bool optional = f->kind == NETDB_OPTIONAL || strcmp(f->name, "currently_attached") == 0;
        if (!optional && !json_object_get(r->record, f->name)) {
            fail(r, "<%s> has no <%s>", r->class_->name, f->name);
            return;
        }
    }
    if (!json_object_get(r->record, "currently_attached") && strcmp(r->class_->name, "pif") == 0)
        json_object_put(r->record, "currently_attached", json_boolean_new(false));
}

static void on_end(void *arg, const XML_Char *name)
{
    (void)name;
    struct reader *r = arg;
    switch (r->level) {
    case SKIPPING:
        if (--r->skip_depth == 0)
            r->level = r->after_skip;
        break;
    case IN_VALUE:
        end_value(r);
        break;
    case IN_CONTAINER:
        r->level = IN_RECORD;
        break;
    case IN_RECORD:
        check_record(r);
        r->level = IN_ROOT;
        break;
    case IN_ROOT:
        r->done = true;
        r->level = IN_DOCUMENT;
        break;
    case IN_DOCUMENT:
        break;
    }
}

static bool blank(const XML_Char *s, int len)
{
    for (int i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

static void on_text(void *arg, const XML_Char *s, int len)
{
    struct reader *r = arg;
    if (r->level == SKIPPING)
        return;
    if (r->level != IN_VALUE) {
        if (!blank(s, len))
            fail(r, "text \"%.*s\" where the format has none", len > 40 ? 40 : len, s);
        return;
    }
    r->text = xrealloc(r->text, r->text_len + (size_t)len + 1);
    memcpy(r->text + r->text_len, s, (size_t)len);
    r->text_len += (size_t)len;
    r->text[r->text_len] = '\0';
}

static void on_comment(void *arg, const XML_Char *data)
{
    (void)data;
    fail(arg, "a comment, which the format does not allow");
}

static void on_instruction(void *arg, const XML_Char *target, const XML_Char *data)
{
    (void)data;
    fail(arg, "a processing instruction <?%s?>, which the format does not allow", target);
}

static void on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
                       const XML_Char *pubid, int internal)
{
    (void)name, (void)sysid, (void)pubid, (void)internal;
    fail(arg, "a DOCTYPE, which the format does not allow");
}

struct json *dbcache_parse(const char *text, size_t len, char *error, size_t size)
{
    if (len > DBCACHE_MAX_BYTES) {
        snprintf(error, size, "%zu bytes, more than a network configuration cache holds "
                 "(at most %u)", len, DBCACHE_MAX_BYTES);
        return NULL;
    }
    struct reader r = { .db = netdb_new(), .level = IN_DOCUMENT };
    r.parser = XML_ParserCreate("UTF-8");
    if (!r.parser)
        abort();
    XML_SetUserData(r.parser, &r);
    XML_SetElementHandler(r.parser, on_start, on_end);
    XML_SetCharacterDataHandler(r.parser, on_text);
    XML_SetCommentHandler(r.parser, on_comment);
    XML_SetProcessingInstructionHandler(r.parser, on_instruction);
    XML_SetStartDoctypeDeclHandler(r.parser, on_doctype);
    XML_SetParamEntityParsing(r.parser, XML_PARAM_ENTITY_PARSING_NEVER);
    enum XML_Status status = XML_Parse(r.parser, text, (int)len, XML_TRUE);
    if (status != XML_STATUS_OK && !r.error)
        r.error = xasprintf("line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(r.parser),
                            XML_ErrorString(XML_GetErrorCode(r.parser)));
    if (!r.error && !r.done)
        r.error = xstrdup("no <" ROOT "> element");
    XML_ParserFree(r.parser);
    free(r.text);
    free(r.key);
    if (!r.error && netdb_check_refs(r.db, error, size) < 0) {
        json_free(r.db);
        return NULL;
    }
    if (r.error) {
        snprintf(error, size, "%s", r.error);
        free(r.error);
        json_free(r.db);
        return NULL;
    }
    return r.db;
}

struct json *dbcache_read(const char *path, char *error, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(error, size, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    /* Read one byte past the limit: enough to know the file is too large. */
    char *text = xmalloc(DBCACHE_MAX_BYTES + 2);
    size_t len = fread(text, 1, DBCACHE_MAX_BYTES + 1, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        snprintf(error, size, "cannot read %s", path);
        free(text);
        return NULL;
    }
    char why[512];
    struct json *db = dbcache_parse(text, len, why, sizeof why);
    free(text);
    if (!db)
        snprintf(error, size, "%s: %s", path, why);
    return db;
}

/* ---- Writing ---- */

struct text {
    char *s;
    size_t len, cap;
};

static void put(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = xrealloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, s, n + 1);
    t->len += n;
}

/* The escapes the old writer used (minidom's): & < " >. */
static void put_escaped(struct text *t, const char *s)
{
    char one[2] = { 0, 0 };
    for (; *s; s++) {
        switch (*s) {
        case '&': put(t, "&amp;"); break;
        case '<': put(t, "&lt;"); break;
        case '>': put(t, "&gt;"); break;
        case '"': put(t, "&quot;"); break;
        default: one[0] = *s; put(t, one); break;
        }
    }
}

static void put_element(struct text *t, const char *indent, const char *name, const char *text)
{
    put(t, indent);
    put(t, "<");
    put(t, name);
    put(t, ">");
    put_escaped(t, text);
    put(t, "</");
    put(t, name);
    put(t, ">\n");
}

static void put_container(struct text *t, const struct netdb_field *f, const struct json *value)
{
    size_t n = f->kind == NETDB_LIST ? json_array_size(value) : json_object_size(value);
    if (n == 0) {
        put(t, "\t\t<");
        put(t, f->name);
        put(t, "/>\n");
        return;
    }
    put(t, "\t\t<");
    put(t, f->name);
    put(t, ">\n");
    for (size_t i = 0; i < n; i++) {
        if (f->kind == NETDB_LIST)
            put_element(t, "\t\t\t", f->item, json_string(json_array_at(value, i)));
        else
            put_element(t, "\t\t\t", json_object_key_at(value, i),
                         json_string(json_object_value_at(value, i)));
    }
    put(t, "\t\t</");
    put(t, f->name);
    put(t, ">\n");
}

static void put_record(struct text *t, const struct netdb_class *cls, const char *ref,
                       const struct json *rec)
{
    put(t, "\t<");
    put(t, cls->name);
    put(t, " ref=\"");
    put_escaped(t, ref);
    put(t, "\">\n");
    for (size_t i = 0; i < cls->n_fields; i++) {
        const struct netdb_field *f = &cls->fields[i];
        const struct json *value = json_object_get(rec, f->name);
        if (f->kind == NETDB_LIST || f->kind == NETDB_MAP)
            put_container(t, f, value);
        else if (f->kind == NETDB_BOOL && value)
            put_element(t, "\t\t", f->name, json_boolean(value) ? "True" : "False");
        else if (f->kind == NETDB_STRING || (f->kind == NETDB_OPTIONAL && value))
            put_element(t, "\t\t", f->name, json_string(value) ? json_string(value) : "");
    }
    put(t, "\t</");
    put(t, cls->name);
    put(t, ">\n");
}

char *dbcache_format(const struct json *db)
{
    struct text t = { NULL, 0, 0 };
    put(&t, "<?xml version=\"1.0\" ?>\n");
    size_t n = 0;
    for (size_t c = 0; c < netdb_n_classes; c++)
        n += json_object_size(json_object_get(db, netdb_classes[c].name));
    if (n == 0) {
        put(&t, "<" ROOT "/>\n");
        return t.s;
    }
    put(&t, "<" ROOT ">\n");
    for (size_t c = 0; c < netdb_n_classes; c++) {
        const struct json *records = json_object_get(db, netdb_classes[c].name);
        for (size_t r = 0; r < json_object_size(records); r++)
            put_record(&t, &netdb_classes[c], json_object_key_at(records, r),
                       json_object_value_at(records, r));
    }
    put(&t, "</" ROOT ">\n");
    return t.s;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_directory_of(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Writes `text` to a new file `tmp` and syncs it. Returns 0, or -1 with `error`. */
static int write_synced(const char *tmp, const char *text, char *error, size_t size)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(error, size, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
        snprintf(error, size, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        return -1;
    }
    if (close(fd) < 0) {
        snprintf(error, size, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    return 0;
}

int dbcache_write(const struct json *db, const char *path, char *error, size_t size)
{
    char *text = dbcache_format(db);
    char *tmp = xasprintf("%s.%ld", path, (long)getpid());
    int rc = write_synced(tmp, text, error, size);
    if (rc == 0 && rename(tmp, path) < 0) {
        snprintf(error, size, "cannot replace %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc < 0)
        unlink(tmp);
    else if (fsync_directory_of(path) < 0) {
        snprintf(error, size, "cannot sync the directory of %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(tmp);
    free(text);
    return rc;
}
