#include "flowd/hmap.h"

#include <stdlib.h>

#define HMAP_MIN_BUCKETS 16

int hmap_init(struct hmap *map)
{
    map->buckets = calloc(HMAP_MIN_BUCKETS, sizeof *map->buckets);
    map->mask = HMAP_MIN_BUCKETS - 1;
    map->n = 0;
    return map->buckets ? 0 : -1;
}

void hmap_destroy(struct hmap *map)
{
    free(map->buckets);
    map->buckets = NULL;
    map->mask = 0;
    map->n = 0;
}

/* Doubles the bucket array when the load exceeds 2 per bucket. */
static void hmap_expand(struct hmap *map)
{
    size_t n_buckets = (map->mask + 1) * 2;
    struct hmap_node **buckets = calloc(n_buckets, sizeof *buckets);
    if (!buckets)
        return;
    for (size_t i = 0; i <= map->mask; i++) {
        struct hmap_node *node = map->buckets[i];
        while (node) {
            struct hmap_node *next = node->next;
            size_t b = node->hash & (n_buckets - 1);
            node->next = buckets[b];
            buckets[b] = node;
            node = next;
        }
    }
    free(map->buckets);
    map->buckets = buckets;
    map->mask = n_buckets - 1;
}

void hmap_insert(struct hmap *map, struct hmap_node *node, uint32_t hash)
{
    node->hash = hash;
    struct hmap_node **bucket = &map->buckets[hash & map->mask];
    node->next = *bucket;
    *bucket = node;
    if (++map->n > 2 * (map->mask + 1))
        hmap_expand(map);
}

void hmap_remove(struct hmap *map, struct hmap_node *node)
{
    struct hmap_node **p = &map->buckets[node->hash & map->mask];
    while (*p && *p != node)
        p = &(*p)->next;
    if (!*p)
        return;
    *p = node->next;
    map->n--;
}

static struct hmap_node *first_from_bucket(const struct hmap *map, size_t bucket)
{
    for (; bucket <= map->mask; bucket++) {
        if (map->buckets[bucket])
            return map->buckets[bucket];
    }
    return NULL;
}

struct hmap_node *hmap_first(const struct hmap *map)
{
    return first_from_bucket(map, 0);
}

struct hmap_node *hmap_next(const struct hmap *map, const struct hmap_node *node)
{
    if (node->next)
        return node->next;
    return first_from_bucket(map, (node->hash & map->mask) + 1);
}
