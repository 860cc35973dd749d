#include "flowd/mac_table.h"

#include <stdlib.h>
#include <string.h>

static uint32_t mac_hash(const uint8_t *mac, uint16_t vlan)
{
    uint64_t word = 0;
    memcpy(&word, mac, ETH_ADDR_LEN);
    word |= (uint64_t)vlan << 48;
    return hash_words64(&word, 1, 0);
}

int mac_table_init(struct mac_table *t, size_t max_entries, uint64_t idle_ms)
{
    memset(t, 0, sizeof *t);
    t->max_entries = max_entries;
    t->idle_ms = idle_ms;
    return hmap_init(&t->map);
}

void mac_table_set_change_callback(struct mac_table *t, mac_change_fn *fn, void *aux)
{
    t->on_change = fn;
    t->aux = aux;
}

static void notify(struct mac_table *t, const struct mac_entry *e)
{
    if (t->on_change)
        t->on_change(t->aux, e->mac, e->vlan);
}

static void age_list_unlink(struct mac_table *t, struct mac_entry *e)
{
    if (e->older)
        e->older->newer = e->newer;
    else
        t->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        t->newest = e->older;
    e->older = e->newer = NULL;
}

static void age_list_push_newest(struct mac_table *t, struct mac_entry *e)
{
    e->older = t->newest;
    e->newer = NULL;
    if (t->newest)
        t->newest->newer = e;
    else
        t->oldest = e;
    t->newest = e;
}

static void entry_remove(struct mac_table *t, struct mac_entry *e)
{
    notify(t, e);
    hmap_remove(&t->map, &e->node);
    age_list_unlink(t, e);
    free(e);
}

void mac_table_flush(struct mac_table *t)
{
    while (t->oldest)
        entry_remove(t, t->oldest);
}

void mac_table_destroy(struct mac_table *t)
{
    t->on_change = NULL;
    mac_table_flush(t);
    hmap_destroy(&t->map);
}

static void evict_to(struct mac_table *t, size_t limit)
{
    while (t->map.n > limit && t->oldest) {
        entry_remove(t, t->oldest);
        t->evictions++;
    }
}

void mac_table_set_limits(struct mac_table *t, size_t max_entries, uint64_t idle_ms)
{
    t->max_entries = max_entries;
    t->idle_ms = idle_ms;
    evict_to(t, max_entries);
}

static struct mac_entry *find(const struct mac_table *t, const uint8_t *mac, uint16_t vlan)
{
    uint32_t hash = mac_hash(mac, vlan);
    for (struct hmap_node *n = hmap_first_with_hash(&t->map, hash); n;
         n = hmap_next_with_hash(n)) {
        struct mac_entry *e = HMAP_CONTAINER(n, struct mac_entry, node);
        if (e->vlan == vlan && !memcmp(e->mac, mac, ETH_ADDR_LEN))
            return e;
    }
    return NULL;
}

static bool expired(const struct mac_table *t, const struct mac_entry *e, uint64_t now_ms)
{
    return now_ms >= e->seen_ms + t->idle_ms;
}

static void refresh(struct mac_table *t, struct mac_entry *e, uint64_t now_ms)
{
    e->seen_ms = now_ms;
    age_list_unlink(t, e);
    age_list_push_newest(t, e);
}

enum mac_learn_result mac_table_learn(struct mac_table *t, const uint8_t *mac, uint16_t vlan,
                                      uint32_t port, uint64_t now_ms)
{
    if (eth_addr_is_multicast(mac))
        return MAC_LEARN_FAILED;
    struct mac_entry *e = find(t, mac, vlan);
    if (e) {
        /* Lookups ignored an expired entry that aging has not removed yet: seeing it again
         * is news to the flows that flooded meanwhile. */
        bool moved = e->port != port;
        bool revived = expired(t, e, now_ms);
        e->port = port;
        refresh(t, e, now_ms);
        if (moved || revived)
            notify(t, e);
        return moved ? MAC_LEARN_MOVED : revived ? MAC_LEARN_NEW : MAC_LEARN_REFRESHED;
    }
    if (t->max_entries == 0)
        return MAC_LEARN_FAILED;
    evict_to(t, t->max_entries - 1);
    e = calloc(1, sizeof *e);
    if (!e)
        return MAC_LEARN_FAILED;
    memcpy(e->mac, mac, ETH_ADDR_LEN);
    e->vlan = vlan;
    e->port = port;
    e->seen_ms = now_ms;
    hmap_insert(&t->map, &e->node, mac_hash(mac, vlan));
    age_list_push_newest(t, e);
    notify(t, e);
    return MAC_LEARN_NEW;
}

enum mac_learn_result mac_table_learn_from_cache(struct mac_table *t, const uint8_t *mac,
                                                 uint16_t vlan, uint32_t port, uint64_t seen_ms,
                                                 uint64_t now_ms)
{
    const struct mac_entry *e = find(t, mac, vlan);
    if (e && e->seen_ms >= seen_ms)
        return MAC_LEARN_REFRESHED;
    return mac_table_learn(t, mac, vlan, port, now_ms);
}

const struct mac_entry *mac_table_lookup(const struct mac_table *t, const uint8_t *mac,
                                         uint16_t vlan, uint64_t now_ms)
{
    const struct mac_entry *e = find(t, mac, vlan);
    return e && !expired(t, e, now_ms) ? e : NULL;
}

size_t mac_table_age(struct mac_table *t, uint64_t now_ms)
{
    size_t removed = 0;
    while (t->oldest && expired(t, t->oldest, now_ms)) {
        entry_remove(t, t->oldest);
        removed++;
    }
    return removed;
}

size_t mac_table_flush_port(struct mac_table *t, uint32_t port)
{
    size_t removed = 0;
    struct mac_entry *e = t->oldest;
    while (e) {
        struct mac_entry *next = e->newer;
        if (e->port == port) {
            entry_remove(t, e);
            removed++;
        }
        e = next;
    }
    return removed;
}
