#include "switchd/name_index.h"

#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"

void name_index_init(struct name_index *idx)
{
    memset(idx, 0, sizeof *idx);
}

int name_index_add(struct name_index *idx, const char *name, const void *item, const void *aux)
{
    if (idx->n == idx->allocated) {
        size_t allocated = idx->allocated ? 2 * idx->allocated : 64;
        struct name_entry *entries = realloc(idx->entries, allocated * sizeof *entries);
        if (!entries)
            return -1;
        idx->entries = entries;
        idx->allocated = allocated;
    }
    idx->entries[idx->n++] = (struct name_entry){ name, item, aux };
    return 0;
}

/* Names are short and chosen by the operator, not by a remote peer. */
static size_t hash_name(const char *name)
{
    uint64_t hash = fnv1a_64_string(name);
    return (size_t)(hash ^ (hash >> 32));
}

void name_index_build(struct name_index *idx)
{
    free(idx->slots);
    idx->slots = NULL;
    idx->mask = 0;
    if (!idx->n)
        return;
    size_t n_slots = 16;
    while (n_slots < 2 * idx->n)
        n_slots *= 2;
    idx->slots = calloc(n_slots, sizeof *idx->slots);
    if (!idx->slots)
        return;   /* finds nothing, as after a failed add */
    idx->mask = n_slots - 1;
    for (size_t i = 0; i < idx->n; i++) {
        size_t s = hash_name(idx->entries[i].name) & idx->mask;
        while (idx->slots[s])
            s = (s + 1) & idx->mask;
        idx->slots[s] = (uint32_t)(i + 1);
    }
}

const struct name_entry *name_index_find(const struct name_index *idx, const char *name)
{
    if (!idx->slots)
        return NULL;
    for (size_t s = hash_name(name) & idx->mask; idx->slots[s]; s = (s + 1) & idx->mask) {
        const struct name_entry *e = &idx->entries[idx->slots[s] - 1];
        if (strcmp(e->name, name) == 0)
            return e;
    }
    return NULL;
}

void name_index_destroy(struct name_index *idx)
{
    free(idx->entries);
    free(idx->slots);
    name_index_init(idx);
}
