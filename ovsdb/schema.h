/* Database schemas (RFC 7047 <database-schema>): tables, their columns and column types, root
 * tables, row limits and unique indexes. The schema is data (dbd/vswitch.schema), parsed and
 * fully validated once, then read-only: every pointer into it stays valid until
 * db_schema_free(). Callers must not modify the structures below.
 *
 * Every table has two implicit columns, as in RFC 7047: "_uuid" (the row's identity) at index
 * DB_COLUMN_UUID and "_version" (changes whenever the row does) at DB_COLUMN_VERSION. The
 * schema's own columns follow, sorted by name. */
#ifndef VSW_OVSDB_SCHEMA_H
#define VSW_OVSDB_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "ovsdb/datum.h"
#include "ovsdb/type.h"

#define DB_COLUMN_UUID 0
#define DB_COLUMN_VERSION 1
#define DB_N_META_COLUMNS 2

struct db_schema;
struct db_table_schema;

struct db_column_schema {
    char *name;
    unsigned int index;              /* in table->columns, and in each row's values */
    struct db_type type;
    bool is_mutable;                 /* false: set on insert, never updated ("mutable": false) */
    bool is_ephemeral;               /* accepted and kept like any column: vsw's journal holds
                                      * what is committed; switchd rewrites status anyway */
    struct db_table_schema *table;   /* the table it belongs to */
};

/* A set of columns whose values, taken together, no two rows may share. */
struct db_index_schema {
    struct db_column_schema **columns;
    size_t n_columns;
};

struct db_table_schema {
    char *name;
    unsigned int index;              /* in schema->tables */
    struct db_schema *schema;
    struct db_column_schema *columns;   /* _uuid, _version, then by name */
    size_t n_columns;
    /* Root tables keep their rows; a row of another table lives only while a strong reference
     * points at it, and is deleted (garbage collected) at commit once none does. */
    bool is_root;
    unsigned int max_rows;           /* DB_UNLIMITED if no "maxRows" */
    struct db_index_schema *indexes;
    size_t n_indexes;
    /* Indexes (into `columns`) of the columns that hold references, strong or weak: the only
     * ones commit-time reference tracking has to look at. */
    unsigned int *ref_columns;
    size_t n_ref_columns;
};

struct db_schema {
    char *name;
    char *version;                   /* "x.y.z" */
    struct db_table_schema *tables;  /* sorted by name */
    size_t n_tables;
    char *source;                    /* the text it was parsed from */
    size_t source_len;
    char *json_text;                 /* compact JSON: made from `source` when first asked for */
    bool is_static;                  /* compiled in (dbd/schema_c.c): db_schema_free() leaves it */
};

/* Parses and validates a schema from JSON text. Returns the schema (free with
 * db_schema_free()), or NULL with *error set to a malloc'd message the caller frees, naming the
 * table and column at fault. */
struct db_schema *db_schema_parse(const char *json, size_t len, char **error);
void db_schema_free(struct db_schema *schema);

const char *db_schema_name(const struct db_schema *schema);
const char *db_schema_version(const struct db_schema *schema);
/* The schema as compact JSON text (for OVSDB's "get_schema" and for the journal); it belongs to
 * the schema. Made on the first call: a client that only uses the schema (the CLI, once per
 * invocation) does not pay for writing it out. */
const char *db_schema_json(const struct db_schema *schema);

/* A digest of schema text, exactly as given (formatting included): 16 lowercase hex digits
 * (64-bit FNV-1a) and a NUL. It tells whether a client and vsw-dbd hold the same schema
 * without sending it; a difference only costs the client a fetch, so it need not resist
 * forgery (vsw-dbd checks every operation against its schema anyway). */
#define DB_SCHEMA_DIGEST_SIZE 17
void db_schema_digest(const char *text, size_t len, char digest[DB_SCHEMA_DIGEST_SIZE]);

/* Lookups by name; NULL if there is no such table or column. O(log n). The results belong to
 * the schema (they are not const only so callers can hold them in plain pointers). */
struct db_table_schema *db_schema_table(const struct db_schema *schema, const char *name);
struct db_column_schema *db_table_schema_column(const struct db_table_schema *table,
                                                const char *name);

/* Compares "x.y.z" version strings numerically: <0, 0 or >0. Malformed ones sort first. */
int db_schema_version_compare(const char *a, const char *b);

#endif
