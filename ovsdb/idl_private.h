/* What idl.c and idl_txn.c share, and nobody else. */
#ifndef VSW_OVSDB_IDL_PRIVATE_H
#define VSW_OVSDB_IDL_PRIVATE_H

#include "ovsdb/hmap.h"
#include "ovsdb/idl.h"

/* A row's place in its table: apart from the row so that idl.h need not show the hash map
 * (flowd has a hash map of its own under the same names, and its headers meet idl.h's in the
 * tests that link both). */
struct idl_row_node {
    struct hmap_node hmap;
    struct idl_row *row;
};

struct idl_table {
    const struct idl_table_class *table_class;
    bool monitored;
    struct hmap rows;              /* struct idl_row_node, by uuid */
    struct idl_row *tracked;       /* rows changed since idl_forget_changes(), deleted too */
};

struct idl_table *idl_table_of(const struct idl *idl, const struct idl_table_class *table);

/* Sends RFC 7047 transact params (JSON text) over the idl's transport; *result is the parsed
 * result array (caller frees). Returns 0, or -1 with *error (malloc'd): the transport failed or
 * the result did not parse. Operation errors are the caller's to find (idl_first_error()). */
int idl_transact_text(struct idl *idl, const char *params, struct json **result, char **error);

/* The first operation result carrying an "error", described (malloc'd), with its index in
 * *index if not NULL; or NULL. */
char *idl_first_error(const struct json *result, size_t *index);

/* The size of one element of a column's array (or of its one value). */
static inline size_t idl_element_size(enum idl_atomic type, int ref)
{
    if (ref >= 0)
        return sizeof(struct idl_row *);
    switch (type) {
    case IDL_INTEGER: return sizeof(int64_t);
    case IDL_REAL: return sizeof(double);
    case IDL_BOOLEAN: return sizeof(bool);
    case IDL_STRING: return sizeof(char *);
    case IDL_UUID: return sizeof(struct uuid);
    case IDL_VOID: break;
    }
    return 0;
}

/* OVSDB notation. True if `value` is [tag, [...]] ("set" or "map"). */
bool idl_json_tagged(const struct json *value, const char *tag);
/* The elements of the set or map column `name` of `row` (an object) as a mutable array (the
 * array of ["set"/"map", array]), creating that form from absent (empty) or a bare atom (a
 * one-element set). */
struct json *idl_json_elements(struct json *row, const char *name, bool map);
/* The index in `array` of `atom` (a set element), or of the pair whose key is `atom`; -1. */
long idl_json_find_element(const struct json *array, const struct json *atom, bool map);

#endif
