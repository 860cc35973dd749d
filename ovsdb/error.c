#include "ovsdb/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static char *vformat(const char *fmt, va_list args)
{
    char *s;
    if (vasprintf(&s, fmt, args) < 0)
        abort();
    return s;
}

struct db_error *db_error_create(const char *tag, const char *fmt, ...)
{
    struct db_error *error = malloc(sizeof *error);
    if (!error)
        abort();
    va_list args;
    va_start(args, fmt);
    error->tag = tag;
    error->details = vformat(fmt, args);
    va_end(args);
    return error;
}

void db_error_free(struct db_error *error)
{
    if (!error)
        return;
    free(error->details);
    free(error);
}

char *db_error_to_string_free(struct db_error *error)
{
    char *s;
    if (asprintf(&s, "%s: %s", error->tag, error->details) < 0)
        abort();
    db_error_free(error);
    return s;
}

struct db_error *db_error_wrap(struct db_error *error, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *context = vformat(fmt, args);
    va_end(args);
    char *details;
    if (asprintf(&details, "%s: %s", context, error->details) < 0)
        abort();
    free(context);
    free(error->details);
    error->details = details;
    return error;
}
