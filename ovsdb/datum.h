/* Typed database values: atoms and datums (RFC 7047 <value>s).
 *
 * A datum is the value of one column in one row: n keys, and for a map n values, kept sorted by
 * key with no duplicate keys (as in OVSDB), so equality is a linear comparison, membership a
 * binary search and set operations a merge. A scalar column is a datum of exactly one key.
 *
 * Ownership: a datum owns its arrays and, for string atoms, the strings; destroying or cloning
 * one needs its type, because only the type says whether atoms hold strings. Every function
 * that returns `struct db_error *` returns NULL on success, or an error the caller frees with
 * db_error_free() and leaves its output empty (nothing to free). */
#ifndef VSW_OVSDB_DATUM_H
#define VSW_OVSDB_DATUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ovsdb/error.h"
#include "ovsdb/type.h"
#include "ovsdb/uuid.h"

struct json;

union db_atom {
    int64_t integer;
    double real;            /* always finite */
    bool boolean;
    char *string;           /* malloc'd, valid UTF-8, no NUL inside */
    struct uuid uuid;
};

struct db_datum {
    size_t n;
    union db_atom *keys;    /* n keys in ascending order, no two equal */
    union db_atom *values;  /* n values for a map (values[i] goes with keys[i]); else NULL */
};

/* Resolves ["named-uuid", name] to the UUID the transaction gave that name. Parsers that are
 * given NULL reject named-uuids: they are meaningful only inside a transaction. */
struct db_named_uuids {
    bool (*resolve)(void *aux, const char *name, struct uuid *uuid);
    void *aux;
};

/* ---- atoms ---- */

/* 0, 0.0, false, "" or the all-zeros UUID: what OVSDB stores in a column that must hold one
 * atom when nothing else was given. */
void db_atom_init_default(union db_atom *atom, enum db_atomic_type type);
bool db_atom_is_default(const union db_atom *atom, enum db_atomic_type type);
void db_atom_clone(union db_atom *dst, const union db_atom *src, enum db_atomic_type type);
void db_atom_destroy(union db_atom *atom, enum db_atomic_type type);
/* Total order: numbers numerically, false < true, strings bytewise (= code point order),
 * UUIDs bytewise. Returns <0, 0 or >0. */
int db_atom_compare(const union db_atom *a, const union db_atom *b, enum db_atomic_type type);
bool db_atom_equals(const union db_atom *a, const union db_atom *b, enum db_atomic_type type);
size_t db_atom_hash(const union db_atom *atom, enum db_atomic_type type, size_t basis);

/* Parses the RFC 7047 JSON form of one atom of `base->type` (a number, boolean, string,
 * ["uuid", "..."] or ["named-uuid", "name"]) into *atom, which the caller then owns. Does not
 * check base's constraints (see db_atom_check_constraints()). */
struct db_error *db_atom_from_json(union db_atom *atom, const struct db_base_type *base,
                                   const struct json *json,
                                   const struct db_named_uuids *names);
/* Returns the JSON form (caller frees). */
struct json *db_atom_to_json(const union db_atom *atom, enum db_atomic_type type);
/* Checks enum, range and length constraints ("constraint violation"). References are checked
 * at commit, not here. */
struct db_error *db_atom_check_constraints(const union db_atom *atom,
                                           const struct db_base_type *base);

/* Parses an atom as people type it on a command line (ovs-vsctl syntax): 42, -1.5, true,
 * 550e8400-e29b-41d4-a716-446655440000, a bare string (br0) or a JSON-quoted one ("a b").
 * Checks constraints. The caller owns *atom on success. */
struct db_error *db_atom_from_string(union db_atom *atom, const struct db_base_type *base,
                                     const char *s);
/* The inverse: strings come back bare when db_atom_from_string() would read them back the
 * same way, JSON-quoted otherwise. Malloc'd; the caller frees it. */
char *db_atom_to_string(const union db_atom *atom, enum db_atomic_type type);

/* ---- datums ---- */

/* Parses a whole value as people type it on a command line (ovs-vsctl syntax): a set as
 * "[a, b]" or "a, b", a map as "{k=v, k2=v2}" or "k=v", the empty value as "[]" or "{}", an
 * optional or scalar value as its atom. Bare atoms end at whitespace or one of ":=,[]{}!<>";
 * quote strings that contain those ("\"aa:bb\""). Fully validated as db_datum_from_json() does.
 * *datum (uninitialized before) belongs to the caller on success. */
struct db_error *db_datum_from_string(struct db_datum *datum, const struct db_type *type,
                                      const char *s);
/* The inverse, as ovs-vsctl prints values: an atom alone for (optional) scalars, "[]" when
 * empty, "[a, b]" for sets, "{k=v, k2=v2}" for maps. Malloc'd; the caller frees it. */
char *db_datum_to_string(const struct db_datum *datum, const struct db_type *type);

void db_datum_init_empty(struct db_datum *datum);
/* Empty if type->n_min is 0; otherwise one default key (and value). */
void db_datum_init_default(struct db_datum *datum, const struct db_type *type);
bool db_datum_is_default(const struct db_datum *datum, const struct db_type *type);
/* Frees what `datum` owns and leaves it empty. */
void db_datum_destroy(struct db_datum *datum, const struct db_type *type);
/* Makes `dst` (uninitialized) a deep copy of `src`. */
void db_datum_clone(struct db_datum *dst, const struct db_datum *src, const struct db_type *type);
void db_datum_swap(struct db_datum *a, struct db_datum *b);

int db_datum_compare(const struct db_datum *a, const struct db_datum *b,
                     const struct db_type *type);
bool db_datum_equals(const struct db_datum *a, const struct db_datum *b,
                     const struct db_type *type);
size_t db_datum_hash(const struct db_datum *datum, const struct db_type *type, size_t basis);

/* The index of `key` among datum's keys, or -1. O(log n). */
long db_datum_find_key(const struct db_datum *datum, const union db_atom *key,
                       enum db_atomic_type key_type);
/* True if every element of `a` (for maps: every key-value pair) is in `b`. */
bool db_datum_includes_all(const struct db_datum *a, const struct db_datum *b,
                           const struct db_type *type);
/* True if no element of `a` (for maps: no key-value pair) is in `b`. */
bool db_datum_excludes_all(const struct db_datum *a, const struct db_datum *b,
                           const struct db_type *type);

/* Parses an RFC 7047 <value> (an atom, ["set", [...]] or ["map", [[k, v], ...]]) of `type`
 * into *datum (uninitialized before, owned by the caller after). Fully validates: the JSON
 * shape, each atom's type and constraints, duplicates, and the number of elements against
 * type->n_min and n_max. */
struct db_error *db_datum_from_json(struct db_datum *datum, const struct db_type *type,
                                    const struct json *json,
                                    const struct db_named_uuids *names);
/* The RFC 7047 form: a set of one element as the bare atom, other sets as ["set", [...]], maps
 * as ["map", [...]]. The caller frees the result. */
struct json *db_datum_to_json(const struct db_datum *datum, const struct db_type *type);

/* Appends the JSON text of db_atom_to_json() / db_datum_to_json() to the malloc'd buffer *buf
 * (*len bytes used of *cap), without building a tree: for change records and snapshots, where
 * building trees of thousands of UUIDs would cost more than the transaction itself. */
void db_atom_append_json(const union db_atom *atom, enum db_atomic_type type, char **buf,
                         size_t *len, size_t *cap);
void db_datum_append_json(const struct db_datum *datum, const struct db_type *type, char **buf,
                          size_t *len, size_t *cap);

/* Checks every atom's constraints and the number of elements. */
struct db_error *db_datum_check_constraints(const struct db_datum *datum,
                                            const struct db_type *type);
struct db_error *db_datum_check_size(const struct db_datum *datum, const struct db_type *type);

/* Sorts keys (carrying values) and checks that no key repeats. Used after building a datum
 * element by element. On a duplicate, returns "constraint violation" and leaves the datum
 * sorted but otherwise untouched (the caller still owns and destroys it). */
struct db_error *db_datum_sort_unique(struct db_datum *datum, const struct db_type *type);
/* Sorts and drops repeated keys (keeping the first value of each), for results of arithmetic
 * on sets where merging elements is the documented effect. Returns how many were dropped. */
size_t db_datum_sort_dedup(struct db_datum *datum, const struct db_type *type);

/* Adds to `dst` every element of `src` whose key `dst` lacks (RFC 7047 "insert" mutation:
 * for maps, keys already present keep their value). `src` is unchanged. */
void db_datum_union(struct db_datum *dst, const struct db_datum *src, const struct db_type *type);
/* Removes from `dst` every element of `src`. `src_type` says what `src` holds: for a map `dst`,
 * either a map (remove pairs whose key and value both match) or a set of keys (remove those
 * keys whatever their value); otherwise the same type as `dst`. */
void db_datum_subtract(struct db_datum *dst, const struct db_type *type,
                       const struct db_datum *src, const struct db_type *src_type);
/* Change records describe a set or map column that changed by its difference (as OVSDB's
 * "update2" does): the elements to toggle. For a set, the elements in exactly one of `before`
 * and `after`; for a map, the pairs whose key only `before` has (with that value), and those
 * `after` has with a value `before` lacks (after's value). Appends it as ["set", [...]] or ["map", [...]]. */
void db_datum_append_diff_json(const struct db_datum *before, const struct db_datum *after,
                               const struct db_type *type, char **buf, size_t *len, size_t *cap);
/* Applies such a difference: a set element in both is removed, one only in `diff` added; a
 * map key in both is removed if the values are equal, else takes diff's value; a key only in
 * `diff` is added. Applying db_datum_append_diff_json(before, after) to before gives
 * after. */
void db_datum_apply_diff(struct db_datum *datum, const struct db_datum *diff,
                         const struct db_type *type);
/* Removes element `index`. */
void db_datum_remove_at(struct db_datum *datum, size_t index, const struct db_type *type);

/* Appends a key (and value, for maps), taking ownership of the atoms; the datum is unsorted
 * until db_datum_sort_unique() or db_datum_sort_dedup(). */
void db_datum_append_unsorted(struct db_datum *datum, const union db_atom *key,
                              const union db_atom *value);

/* Number of Unicode code points in valid UTF-8 `s`; SIZE_MAX if `s` is not valid UTF-8. */
size_t db_utf8_length(const char *s);

#endif
