/* Database errors as RFC 7047 reports them: a short class ("constraint violation",
 * "referential integrity violation", "syntax error", ...) and a sentence of details. */
#ifndef VSW_OVSDB_ERROR_H
#define VSW_OVSDB_ERROR_H

struct db_error {
    const char *tag;   /* a string constant: one of the classes below, or another fixed name */
    char *details;     /* malloc'd */
};

#define DB_ERR_SYNTAX "syntax error"
#define DB_ERR_CONSTRAINT "constraint violation"
#define DB_ERR_REFERENTIAL "referential integrity violation"
#define DB_ERR_RESOURCES "resources exhausted"
#define DB_ERR_NOT_SUPPORTED "not supported"
#define DB_ERR_DUPLICATE_NAME "duplicate uuid-name"
#define DB_ERR_DUPLICATE_UUID "duplicate uuid"
#define DB_ERR_UNKNOWN_DATABASE "unknown database"
#define DB_ERR_UNKNOWN_TABLE "unknown table"
#define DB_ERR_UNKNOWN_COLUMN "unknown column"
#define DB_ERR_TIMED_OUT "timed out"
#define DB_ERR_ABORTED "aborted"
#define DB_ERR_DOMAIN "domain error"
#define DB_ERR_RANGE "range error"

/* Returns a new error the caller frees with db_error_free(). `tag` must be a constant. */
struct db_error *db_error_create(const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void db_error_free(struct db_error *error);
/* "tag: details", malloc'd, for callers that report errors as one string. Frees `error`. */
char *db_error_to_string_free(struct db_error *error);
/* Prefixes the details with "context: " (e.g. the column an error was found in). */
struct db_error *db_error_wrap(struct db_error *error, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
