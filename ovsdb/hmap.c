#include "ovsdb/hmap.h"

#include <stdlib.h>

/* A map with no elements shares this one empty bucket, so an empty map costs no allocation. */
static struct hmap_node *empty_bucket;

void hmap_init(struct hmap *map)
{
    map->buckets = &empty_bucket;
    map->mask = 0;
    map->n = 0;
}

void hmap_destroy(struct hmap *map)
{
    if (map->buckets != &empty_bucket)
        free(map->buckets);
    hmap_init(map);
}

static void resize(struct hmap *map, size_t n_buckets)
{
    struct hmap_node **buckets = calloc(n_buckets, sizeof *buckets);
    if (!buckets)
        abort();
    for (size_t i = 0; i <= map->mask; i++) {
        struct hmap_node *node = map->buckets[i], *next;
        for (; node; node = next) {
            next = node->next;
            struct hmap_node **bucket = &buckets[node->hash & (n_buckets - 1)];
            node->next = *bucket;
            *bucket = node;
        }
    }
    if (map->buckets != &empty_bucket)
        free(map->buckets);
    map->buckets = buckets;
    map->mask = n_buckets - 1;
}

void hmap_insert(struct hmap *map, struct hmap_node *node, size_t hash)
{
    if (map->buckets == &empty_bucket)
        resize(map, 8);
    else if (map->n >= (map->mask + 1) * 2)
        resize(map, (map->mask + 1) * 4);
    node->hash = hash;
    struct hmap_node **bucket = &map->buckets[hash & map->mask];
    node->next = *bucket;
    *bucket = node;
    map->n++;
}

/* The link that points at `node`. */
static struct hmap_node **find_link(struct hmap *map, const struct hmap_node *node)
{
    struct hmap_node **link = &map->buckets[node->hash & map->mask];
    while (*link != node) {
        if (!*link)
            abort();   /* `node` is not in `map`: a bug that would corrupt the map */
        link = &(*link)->next;
    }
    return link;
}

void hmap_remove(struct hmap *map, struct hmap_node *node)
{
    struct hmap_node **link = find_link(map, node);
    *link = node->next;
    map->n--;
}

void hmap_replace(struct hmap *map, struct hmap_node *old_node, struct hmap_node *new_node)
{
    struct hmap_node **link = find_link(map, old_node);
    new_node->hash = old_node->hash;
    new_node->next = old_node->next;
    *link = new_node;
}

struct hmap_node *hmap_first_with_hash(const struct hmap *map, size_t hash)
{
    struct hmap_node *node = map->buckets[hash & map->mask];
    while (node && node->hash != hash)
        node = node->next;
    return node;
}

struct hmap_node *hmap_next_with_hash(const struct hmap_node *node)
{
    size_t hash = node->hash;
    for (node = node->next; node && node->hash != hash; node = node->next)
        continue;
    return (struct hmap_node *)node;
}

static struct hmap_node *first_from(const struct hmap *map, size_t bucket)
{
    for (; bucket <= map->mask; bucket++)
        if (map->buckets[bucket])
            return map->buckets[bucket];
    return NULL;
}

struct hmap_node *hmap_first(const struct hmap *map)
{
    return first_from(map, 0);
}

struct hmap_node *hmap_next(const struct hmap *map, const struct hmap_node *node)
{
    return node->next ? node->next : first_from(map, (node->hash & map->mask) + 1);
}
