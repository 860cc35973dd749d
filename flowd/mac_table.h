/* A bridge's MAC learning table: which port each (MAC, VLAN) was last seen on.
 *
 * Entries age out `idle_ms` after they were last seen; when the table holds `max_entries`, the
 * least recently seen entry makes room for a new one. Entries are kept in a list ordered by
 * last sighting, so aging and eviction look at the oldest only. Time comes from the caller
 * (milliseconds on any monotonic clock): the table is pure, and tests drive its clock. */
#ifndef VSW_FLOWD_MAC_TABLE_H
#define VSW_FLOWD_MAC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowd/hmap.h"
#include "flowd/packet.h"

#define MAC_TABLE_DEFAULT_SIZE 8192
#define MAC_TABLE_DEFAULT_AGING_S 300

struct mac_entry {
    struct hmap_node node;        /* in mac_table.map, by (mac, vlan) */
    struct mac_entry *older;      /* age list: toward the oldest sighting */
    struct mac_entry *newer;
    uint8_t mac[ETH_ADDR_LEN];
    uint16_t vlan;
    uint32_t port;                /* OpenFlow port number */
    uint64_t seen_ms;             /* last sighting */
};

/* Called for every entry that is added, moved or removed, so the bridge can revalidate the
 * flows that depended on it. */
typedef void mac_change_fn(void *aux, const uint8_t *mac, uint16_t vlan);

struct mac_table {
    struct hmap map;
    struct mac_entry *oldest;
    struct mac_entry *newest;
    size_t max_entries;
    uint64_t idle_ms;
    mac_change_fn *on_change;     /* may be NULL */
    void *aux;
    uint64_t evictions;           /* entries dropped to make room */
};

enum mac_learn_result {
    MAC_LEARN_REFRESHED,          /* known on this port: only its age was reset */
    MAC_LEARN_NEW,
    MAC_LEARN_MOVED,              /* was on another port */
    MAC_LEARN_FAILED,             /* out of memory, or a multicast source */
};

int mac_table_init(struct mac_table *t, size_t max_entries, uint64_t idle_ms);
void mac_table_destroy(struct mac_table *t);
void mac_table_set_change_callback(struct mac_table *t, mac_change_fn *fn, void *aux);

/* Applies new limits; entries beyond the new size are evicted, oldest first. */
void mac_table_set_limits(struct mac_table *t, size_t max_entries, uint64_t idle_ms);

/* `mac` was seen as the source of a frame on `port` in `vlan` at `now_ms`. */
enum mac_learn_result mac_table_learn(struct mac_table *t, const uint8_t *mac, uint16_t vlan,
                                      uint32_t port, uint64_t now_ms);

/* Learning from a cached flow's counters: the flow saw `mac` as a source on `port` at
 * `seen_ms`; cached traffic never reaches the slow path, so this is how its MACs stay alive (or
 * come back after aging out). Only news counts: if the table heard of (mac, vlan) at or after
 * `seen_ms` (say, the slow path saw it move since), nothing changes; otherwise the entry is
 * refreshed, moved or added at `now_ms`. */
enum mac_learn_result mac_table_learn_from_cache(struct mac_table *t, const uint8_t *mac,
                                                 uint16_t vlan, uint32_t port, uint64_t seen_ms,
                                                 uint64_t now_ms);

/* The entry for (mac, vlan), or NULL. An entry older than the aging time is not returned even
 * before mac_table_age() removes it. */
const struct mac_entry *mac_table_lookup(const struct mac_table *t, const uint8_t *mac,
                                         uint16_t vlan, uint64_t now_ms);

/* Removes entries not seen for the aging time. Returns how many. */
size_t mac_table_age(struct mac_table *t, uint64_t now_ms);

/* Removes every entry on `port`. Returns how many. */
size_t mac_table_flush_port(struct mac_table *t, uint32_t port);

/* Removes every entry. */
void mac_table_flush(struct mac_table *t);

static inline size_t mac_table_count(const struct mac_table *t)
{
    return t->map.n;
}

#endif
