/* An intrusive hash map (after Open vSwitch's lib/hmap.h): the caller embeds a struct hmap_node
 * in its element, computes the hash, and compares keys itself while walking a bucket. The map
 * never allocates per element; it only grows its bucket array. */
#ifndef VSW_FLOWD_HMAP_H
#define VSW_FLOWD_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_node {
    struct hmap_node *next;   /* in the same bucket */
    uint32_t hash;
};

struct hmap {
    struct hmap_node **buckets;
    size_t mask;              /* n_buckets - 1; n_buckets is a power of two */
    size_t n;
};

/* Returns 0, or -1 when out of memory. */
int hmap_init(struct hmap *map);
void hmap_destroy(struct hmap *map);

/* Inserts `node` with `hash` (duplicates allowed; the caller decides). Growing the bucket array
 * may fail silently: the map then stays correct, only slower. */
void hmap_insert(struct hmap *map, struct hmap_node *node, uint32_t hash);
void hmap_remove(struct hmap *map, struct hmap_node *node);

/* The first node of the bucket `hash` falls in; follow with hmap_next_with_hash(). */
static inline struct hmap_node *hmap_first_with_hash(const struct hmap *map, uint32_t hash)
{
    struct hmap_node *node = map->buckets[hash & map->mask];
    while (node && node->hash != hash)
        node = node->next;
    return node;
}

static inline struct hmap_node *hmap_next_with_hash(const struct hmap_node *prev)
{
    uint32_t hash = prev->hash;
    struct hmap_node *node = prev->next;
    while (node && node->hash != hash)
        node = node->next;
    return node;
}

/* Iteration in no particular order; `hmap_next` is safe after removing `node` only if the
 * caller fetched the successor first (see HMAP_FOR_EACH_SAFE). */
struct hmap_node *hmap_first(const struct hmap *map);
struct hmap_node *hmap_next(const struct hmap *map, const struct hmap_node *node);

#define HMAP_CONTAINER(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Hashing of fixed-size keys made of 64-bit words (flow keys, MAC+VLAN). */
static inline uint32_t hash_words64(const uint64_t *words, size_t n, uint64_t basis)
{
    uint64_t h = basis ^ 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        h ^= words[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return (uint32_t)h;
}

#endif
