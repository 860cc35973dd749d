/* The megaflow cache: datapath flows that match a packet on the bits of its flow key that the
 * switching decision looked at (the mask), each with its actions and counters.
 *
 * Flows with the same mask share a subtable, a hash table on the masked key; a lookup probes
 * each subtable once (Open vSwitch's dpcls, without the ranking). The cache is pure memory:
 * the userspace provider owns one per datapath. */
#ifndef VSW_FLOWD_MEGAFLOW_H
#define VSW_FLOWD_MEGAFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowd/hmap.h"
#include "flowd/packet.h"

/* How an output changes the outer VLAN tag of the frame as received. */
enum dp_vlan_op {
    DP_VLAN_KEEP,    /* as received (tag or no tag) */
    DP_VLAN_STRIP,   /* without outer tag */
    DP_VLAN_SET,     /* with exactly the tag (tpid, tci), replacing any outer tag */
};

struct dp_action {
    uint32_t port_no;   /* output port */
    uint16_t slot;      /* the bridge's index of that port (see bridge.h), for the fast path */
    uint8_t vlan_op;    /* enum dp_vlan_op */
    uint8_t pad;
    uint16_t tpid;      /* DP_VLAN_SET only */
    uint16_t tci;
};

/* A flow's actions: outputs, in order. No output: drop. */
struct dp_actions {
    uint32_t n;
    struct dp_action a[];
};

/* Returns a malloc'd copy of `n` actions, or NULL when out of memory. */
struct dp_actions *dp_actions_new(const struct dp_action *a, size_t n);
bool dp_actions_equal(const struct dp_actions *x, const struct dp_action *a, size_t n);
/* "drop" or "2,3(pop_vlan),4(push_vlan(vid=10,pcp=0))". Always NUL-terminates. */
void dp_actions_format(const struct dp_action *a, size_t n, char *buf, size_t size);

/* What the translation noted about its decision, for the bridge (revalidation, learning). */
struct flow_notes {
    int32_t learn_vlan;             /* the VLAN the source MAC belongs to; -1: not learned */
    bool mac_lookup;                /* the decision looked (mac_dst, mac_vlan) up */
    uint16_t mac_vlan;
    uint8_t mac_dst[ETH_ADDR_LEN];
};

struct mf_subtable;

struct megaflow {
    struct hmap_node node;          /* in subtable->flows */
    struct megaflow *prev, *next;   /* in the table's list of every flow */
    struct mf_subtable *subtable;
    struct flow_key key;            /* masked by subtable->mask */
    struct dp_actions *actions;     /* owned */
    struct flow_notes notes;
    uint64_t packets;
    uint64_t bytes;
    uint64_t used_ms;               /* last packet; 0: none yet */
    uint64_t created_ms;
};

struct mf_subtable {
    struct flow_key mask;
    /* The words of `mask` that are not zero: the only ones a lookup hashes and compares (a
     * NORMAL flow reads 3 of the key's 13). */
    uint8_t n_words;
    uint8_t words[FLOW_KEY_WORDS];
    struct hmap flows;
    struct mf_subtable *next;
};

struct megaflow_table {
    struct mf_subtable *subtables;
    struct megaflow *flows;         /* every flow, newest first */
    size_t n_flows;
    size_t max_flows;               /* installs beyond are refused */
};

void megaflow_table_init(struct megaflow_table *t, size_t max_flows);
void megaflow_table_destroy(struct megaflow_table *t);

/* The flow matching `key`, or NULL. */
struct megaflow *megaflow_lookup(const struct megaflow_table *t, const struct flow_key *key);

/* Installs a flow for `key` under `mask`, taking ownership of `actions`. A flow with the same
 * masked key and mask gets the new actions instead. Returns the flow, or NULL (table full,
 * out of memory) after freeing `actions`. */
struct megaflow *megaflow_insert(struct megaflow_table *t, const struct flow_key *key,
                                 const struct flow_key *mask, struct dp_actions *actions,
                                 const struct flow_notes *notes, uint64_t now_ms);

/* Replaces a flow's actions (ownership taken). */
void megaflow_set_actions(struct megaflow *f, struct dp_actions *actions);

void megaflow_remove(struct megaflow_table *t, struct megaflow *f);
void megaflow_flush(struct megaflow_table *t);

/* Removes flows unused (or, if never used, uninstalled) for `idle_ms`. Returns how many. */
size_t megaflow_expire(struct megaflow_table *t, uint64_t now_ms, uint64_t idle_ms);

static inline void megaflow_count(struct megaflow *f, uint32_t bytes, uint64_t now_ms)
{
    f->packets++;
    f->bytes += bytes;
    f->used_ms = now_ms;
}

#endif
