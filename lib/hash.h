/* FNV-1a, 64-bit: a fast, unseeded hash of short keys, for tables whose keys no remote peer
 * chooses (the command line's names, port names) and for digests that must come out the same in
 * every process (a schema's). Not for keys an adversary could pick to collide: lib/json.c and
 * dbd/datum.c seed theirs. */
#ifndef VSW_LIB_HASH_H
#define VSW_LIB_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FNV1A_64_BASIS 0xcbf29ce484222325ull

/* Continues `hash` (start with FNV1A_64_BASIS) over `n` bytes. */
static inline uint64_t fnv1a_64(uint64_t hash, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        hash ^= p[i];
        hash *= 0x100000001b3ull;
    }
    return hash;
}

/* The hash of a NUL-terminated string. */
static inline uint64_t fnv1a_64_string(const char *s)
{
    return fnv1a_64(FNV1A_64_BASIS, s, strlen(s));
}

#endif
