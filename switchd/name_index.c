#include "switchd/name_index.h"

#include <stdlib.h>
#include <string.h>

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

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const struct name_entry *)a)->name, ((const struct name_entry *)b)->name);
}

void name_index_sort(struct name_index *idx)
{
    if (idx->n > 1)
        qsort(idx->entries, idx->n, sizeof *idx->entries, compare_entries);
}

const struct name_entry *name_index_find(const struct name_index *idx, const char *name)
{
    struct name_entry key = { name, NULL, NULL };
    if (!idx->n)
        return NULL;
    return bsearch(&key, idx->entries, idx->n, sizeof *idx->entries, compare_entries);
}

void name_index_destroy(struct name_index *idx)
{
    free(idx->entries);
    name_index_init(idx);
}
