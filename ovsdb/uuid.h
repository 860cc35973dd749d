/* UUIDs as RFC 7047 uses them: 128-bit row identities written as 36-character strings
 * ("550e8400-e29b-41d4-a716-446655440000"). */
#ifndef VSW_OVSDB_UUID_H
#define VSW_OVSDB_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UUID_STRING_LEN 36

struct uuid {
    uint8_t bytes[16];
};

/* A generator of random (version 4) UUIDs. It draws from a small PRNG seeded once from the
 * kernel, so that inserting thousands of rows costs no system calls. */
struct uuid_generator {
    uint64_t state[4];
};

void uuid_generator_init(struct uuid_generator *gen);
void uuid_generate(struct uuid_generator *gen, struct uuid *uuid);

/* Parses exactly 36 characters of the 8-4-4-4-12 hex form (either case) from `s`, which must
 * be NUL-terminated after them. Returns false if `s` is anything else. */
bool uuid_from_string(struct uuid *uuid, const char *s);
/* Writes the lowercase form and a NUL into `buf`, which must hold UUID_STRING_LEN + 1 bytes. */
void uuid_to_string(const struct uuid *uuid, char *buf);

int uuid_compare(const struct uuid *a, const struct uuid *b);
bool uuid_equals(const struct uuid *a, const struct uuid *b);
bool uuid_is_zero(const struct uuid *uuid);
/* A hash keyed by a per-process secret (stable within the process only). */
size_t uuid_hash(const struct uuid *uuid);

#endif
