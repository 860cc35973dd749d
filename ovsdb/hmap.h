/* An intrusive hash map in the manner of Open vSwitch's: the caller embeds a `struct hmap_node`
 * in its element and supplies the hash; the map never allocates elements, only its bucket array
 * (which doubles as the map grows, so insertion is amortized O(1)). Several nodes may share a
 * hash or even a key: lookups walk the nodes with a given hash and the caller compares keys. */
#ifndef VSW_OVSDB_HMAP_H
#define VSW_OVSDB_HMAP_H

#include <stdbool.h>
#include <stddef.h>

struct hmap_node {
    size_t hash;
    struct hmap_node *next;   /* in the same bucket */
};

struct hmap {
    struct hmap_node **buckets;
    size_t mask;              /* number of buckets - 1; buckets is a power of two */
    size_t n;
};

void hmap_init(struct hmap *map);
/* Frees the bucket array; the elements are the caller's. */
void hmap_destroy(struct hmap *map);

void hmap_insert(struct hmap *map, struct hmap_node *node, size_t hash);
/* `node` must be in `map`. */
void hmap_remove(struct hmap *map, struct hmap_node *node);
/* Puts `new_node` where `old_node` (in `map`) was, with the same hash. O(bucket length). */
void hmap_replace(struct hmap *map, struct hmap_node *old_node, struct hmap_node *new_node);

/* The first node with `hash`, then the next ones; NULL at the end. Keys must still be compared. */
struct hmap_node *hmap_first_with_hash(const struct hmap *map, size_t hash);
struct hmap_node *hmap_next_with_hash(const struct hmap_node *node);

/* Iteration in no particular order. The map must not change during it, except that the
 * current node may be removed if the next one was fetched first. */
struct hmap_node *hmap_first(const struct hmap *map);
struct hmap_node *hmap_next(const struct hmap *map, const struct hmap_node *node);

static inline size_t hmap_count(const struct hmap *map)
{
    return map->n;
}

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
