/* A strict JSON (RFC 8259) parser and serializer for hostile input, and a small tree API.
 *
 * Parsing never trusts its input: the size of the text and the nesting depth are bounded, UTF-8
 * is validated (no overlong forms, no surrogates, nothing above U+10FFFF), \u escapes are decoded
 * including surrogate pairs, duplicate object keys are rejected, and every error names what was
 * expected and the byte offset where it was not found, e.g. "expected ',' or '}' at offset 123".
 *
 * Two deliberate restrictions, shared with Open vSwitch's JSON: strings may not contain NUL
 * (\u0000 is rejected), so every string is also a C string; and numbers are integers (int64_t)
 * when written without fraction or exponent and within int64 range, reals (double) otherwise.
 *
 * Trees are owned by whoever holds the root: json_free() frees a value and everything in it.
 * Functions that put a value into an array or object take ownership of that value. Accessors
 * return borrowed pointers that live as long as the tree. Allocation failure aborts, as every
 * size is bounded by the input limits. */
#ifndef VSW_JSON_H
#define VSW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type {
    JSON_NULL,
    JSON_BOOLEAN,
    JSON_INTEGER,
    JSON_REAL,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
};

#define JSON_DEFAULT_MAX_DEPTH 64
#define JSON_DEFAULT_MAX_BYTES (16u * 1024 * 1024)

struct json_limits {
    size_t max_bytes;       /* longer input is rejected before parsing */
    unsigned int max_depth; /* arrays and objects nested deeper are rejected; >= 1 */
};

struct json;

/* Parses exactly one JSON value (surrounded by optional whitespace) from `text[0..len)`, which
 * need not be NUL-terminated, with the default limits. Returns the tree (free with json_free()),
 * or NULL with *error set to a malloc'd message the caller frees (if `error` is non-NULL). */
struct json *json_parse(const char *text, size_t len, char **error);
/* The same with explicit limits. */
struct json *json_parse_with_limits(const char *text, size_t len,
                                    const struct json_limits *limits, char **error);

/* Frees `json` and everything it contains. NULL is a no-op. */
void json_free(struct json *json);
/* Returns a deep copy the caller frees with json_free(). */
struct json *json_clone(const struct json *json);
/* True if `a` and `b` are the same value: object members compare regardless of order; an
 * integer never equals a real. */
bool json_equal(const struct json *a, const struct json *b);

/* Serializes without any whitespace; object members in insertion order. Returns a malloc'd
 * NUL-terminated string the caller frees. Reals that are not finite (which no parse produces)
 * are written as null; reals always carry a '.' or an exponent so they parse back as reals. */
char *json_to_string(const struct json *json);
/* The same, indented by two spaces per level, for humans. */
char *json_to_string_pretty(const struct json *json);

/* "null", "boolean", "integer", "real", "string", "array" or "object". */
const char *json_type_name(enum json_type type);

/* Accessors. Each expects the matching type and returns a zero value otherwise (false, 0, "",
 * NULL), also for a NULL json (an absent member), so a caller that checked json_type() never
 * needs another test. */
enum json_type json_type(const struct json *json);
bool json_is_null(const struct json *json);
bool json_is_boolean(const struct json *json);
bool json_is_integer(const struct json *json);
bool json_is_real(const struct json *json);
bool json_is_number(const struct json *json);   /* integer or real */
bool json_is_string(const struct json *json);
bool json_is_array(const struct json *json);
bool json_is_object(const struct json *json);

bool json_boolean(const struct json *json);
int64_t json_integer(const struct json *json);
double json_real(const struct json *json);       /* integers convert */
const char *json_string(const struct json *json);
size_t json_string_length(const struct json *json);   /* in bytes */

size_t json_array_size(const struct json *json);
struct json *json_array_at(const struct json *json, size_t index);   /* NULL if out of range */

size_t json_object_size(const struct json *json);
/* The value for `key`, or NULL. Constant time on average, however large the object. */
struct json *json_object_get(const struct json *json, const char *key);
/* Members in insertion order, for 0 <= index < json_object_size(). */
const char *json_object_key_at(const struct json *json, size_t index);
struct json *json_object_value_at(const struct json *json, size_t index);

/* Constructors. Each returns a new value the caller owns. */
struct json *json_null_new(void);
struct json *json_boolean_new(bool value);
struct json *json_integer_new(int64_t value);
struct json *json_real_new(double value);
/* Copies `s`, which must be valid UTF-8 without NUL (not checked: the caller builds it). */
struct json *json_string_new(const char *s);
struct json *json_string_new_len(const char *s, size_t len);
/* Takes ownership of the malloc'd string `s`. */
struct json *json_string_take(char *s);
struct json *json_array_new(void);
struct json *json_object_new(void);

/* Appends `value` (ownership passes to the array). Returns `array` for chaining. */
struct json *json_array_append(struct json *array, struct json *value);
/* Sets member `key` (copied) to `value` (ownership passes to the object). An existing member of
 * that name keeps its position and gets the new value; the old one is freed. Returns `object`. */
struct json *json_object_put(struct json *object, const char *key, struct json *value);

/* Removes and returns element `index` of `array` / the value of `key` in `object`, which the
 * caller then owns; NULL if absent. Later elements move down by one. */
struct json *json_array_remove(struct json *array, size_t index);
struct json *json_object_remove(struct json *object, const char *key);

/* Appends `s` to the malloc'd buffer *buf (of *len bytes used, *cap allocated) as a quoted JSON
 * string, escaping what RFC 8259 requires. For writers that stream JSON without a tree. */
void json_append_string(char **buf, size_t *len, size_t *cap, const char *s, size_t n);

#endif
