/* Column types of RFC 7047: an atomic key type, an optional atomic value type (then the column
 * is a map), and how many elements a value may have. Each atomic type may carry constraints:
 * an enumeration, a numeric range, a string length range, a referenced table. */
#ifndef VSW_OVSDB_TYPE_H
#define VSW_OVSDB_TYPE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db_datum;
struct db_table_schema;

enum db_atomic_type {
    DB_TYPE_VOID,      /* the "value" of a column that is not a map */
    DB_TYPE_INTEGER,
    DB_TYPE_REAL,
    DB_TYPE_BOOLEAN,
    DB_TYPE_STRING,
    DB_TYPE_UUID,
};

enum db_ref_type {
    DB_REF_STRONG,     /* the referenced row must exist; it lives while referenced */
    DB_REF_WEAK,       /* a reference to a missing row is dropped silently */
};

/* n_max of a column without an upper bound ("max": "unlimited"). */
#define DB_UNLIMITED UINT_MAX

struct db_base_type {
    enum db_atomic_type type;
    /* Allowed values, a set of `type` atoms sorted as every datum is; NULL if unconstrained. */
    struct db_datum *enum_values;
    int64_t min_integer, max_integer;   /* INTEGER: inclusive; INT64_MIN/MAX if unset */
    double min_real, max_real;          /* REAL: inclusive; -DBL_MAX/DBL_MAX if unset */
    size_t min_length, max_length;      /* STRING: in Unicode code points; 0/SIZE_MAX if unset */
    /* UUID: the table references point into, or NULL for a plain UUID. Resolved when the
     * schema is parsed, so it is valid as long as the schema is. */
    char *ref_table_name;
    struct db_table_schema *ref_table;
    enum db_ref_type ref_type;
};

struct db_type {
    struct db_base_type key;
    struct db_base_type value;     /* DB_TYPE_VOID unless the column is a map */
    unsigned int n_min, n_max;     /* n_min is 0 or 1; n_max >= 1, or DB_UNLIMITED */
};

const char *db_atomic_type_name(enum db_atomic_type type);   /* "integer", ... */

static inline bool db_type_is_map(const struct db_type *type)
{
    return type->value.type != DB_TYPE_VOID;
}

/* Exactly one atom, e.g. "name": "string". */
static inline bool db_type_is_scalar(const struct db_type *type)
{
    return !db_type_is_map(type) && type->n_min == 1 && type->n_max == 1;
}

/* Zero or one atom, e.g. Port "tag". */
static inline bool db_type_is_optional_scalar(const struct db_type *type)
{
    return !db_type_is_map(type) && type->n_min == 0 && type->n_max == 1;
}

/* A set of atoms that may hold more than one, e.g. Port "trunks". */
static inline bool db_type_is_set(const struct db_type *type)
{
    return !db_type_is_map(type) && type->n_max > 1;
}

/* A set or a map: its changes can be described element by element. */
static inline bool db_type_is_collection(const struct db_type *type)
{
    return db_type_is_map(type) || db_type_is_set(type);
}

static inline bool db_base_type_is_ref(const struct db_base_type *base)
{
    return base->type == DB_TYPE_UUID && base->ref_table != NULL;
}

static inline bool db_base_type_is_strong_ref(const struct db_base_type *base)
{
    return db_base_type_is_ref(base) && base->ref_type == DB_REF_STRONG;
}

static inline bool db_base_type_is_weak_ref(const struct db_base_type *base)
{
    return db_base_type_is_ref(base) && base->ref_type == DB_REF_WEAK;
}

/* True if the key or the value refers to rows. */
static inline bool db_type_has_refs(const struct db_type *type)
{
    return db_base_type_is_ref(&type->key) || db_base_type_is_ref(&type->value);
}

/* Describes `type` for people, e.g. "set of up to 4096 integers in range 0 to 4095" or
 * "map of string to string". Returns a malloc'd string the caller frees. */
char *db_type_to_english(const struct db_type *type);

/* Describes one atomic type with its constraints, e.g. "integer in range 1 to 65279" or
 * "string, one of \"standalone\" or \"secure\"". Malloc'd; the caller frees it. */
char *db_base_type_to_english(const struct db_base_type *base);

#endif
