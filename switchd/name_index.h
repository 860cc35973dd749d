/* Lookup by name among the thousand ports of a bridge, for one reconciliation: a hash table
 * built once (O(n)), then lookups in O(1). A linear search per port made each reconciliation
 * quadratic in the number of ports; a sorted array cost n log n string comparisons each time. */
#ifndef VSW_SWITCHD_NAME_INDEX_H
#define VSW_SWITCHD_NAME_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct name_entry {
    const char *name;     /* not copied: must outlive the index */
    const void *item;
    const void *aux;      /* whatever else the caller wants back with `item` */
};

struct name_index {
    struct name_entry *entries;
    size_t n, allocated;
    uint32_t *slots;      /* open addressing: entry index + 1, or 0 for empty */
    size_t mask;          /* number of slots - 1 */
};

void name_index_init(struct name_index *idx);
/* Returns 0, or -1 if out of memory (the index then finds nothing more). */
int name_index_add(struct name_index *idx, const char *name, const void *item, const void *aux);
/* Call after the last add and before the first find (it builds the table). With several
 * entries of one name, find returns one of them. */
void name_index_build(struct name_index *idx);
const struct name_entry *name_index_find(const struct name_index *idx, const char *name);
void name_index_destroy(struct name_index *idx);

#endif
