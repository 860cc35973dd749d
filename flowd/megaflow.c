#include "flowd/megaflow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dp_actions *dp_actions_new(const struct dp_action *a, size_t n)
{
    struct dp_actions *acts = malloc(sizeof *acts + n * sizeof a[0]);
    if (!acts)
        return NULL;
    acts->n = (uint32_t)n;
    if (n)
        memcpy(acts->a, a, n * sizeof a[0]);
    return acts;
}

bool dp_actions_equal(const struct dp_actions *x, const struct dp_action *a, size_t n)
{
    return x->n == n && (n == 0 || !memcmp(x->a, a, n * sizeof a[0]));
}

static void append(char *buf, size_t size, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
    if (*used + 1 >= size)
        return;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(buf + *used, size - *used, fmt, args);
    va_end(args);
    if (n > 0)
        *used += (size_t)n < size - *used ? (size_t)n : size - *used - 1;
}

void dp_actions_format(const struct dp_action *a, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    if (n == 0) {
        append(buf, size, &used, "drop");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        append(buf, size, &used, "%s%u", i ? "," : "", a[i].port_no);
        if (a[i].vlan_op == DP_VLAN_STRIP)
            append(buf, size, &used, "(pop_vlan)");
        else if (a[i].vlan_op == DP_VLAN_SET)
            append(buf, size, &used, "(push_vlan(%svid=%u,pcp=%u))",
                   a[i].tpid == ETH_TYPE_VLAN_8021AD ? "tpid=0x88a8," : "",
                   a[i].tci & VLAN_VID_MASK, a[i].tci >> VLAN_PCP_SHIFT);
    }
}

void megaflow_table_init(struct megaflow_table *t, size_t max_flows)
{
    memset(t, 0, sizeof *t);
    t->max_flows = max_flows;
}

/* The hash of `key` under the subtable's mask, over its significant words only; `masked`
 * receives those words masked (the others are left as they are). */
static uint32_t subtable_hash(const struct mf_subtable *st, const struct flow_key *key,
                              struct flow_key *masked)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < st->n_words; i++) {
        int w = st->words[i];
        masked->words[w] = key->words[w] & st->mask.words[w];
        h ^= masked->words[w];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return (uint32_t)h;
}

static bool subtable_key_equal(const struct mf_subtable *st, const struct flow_key *a,
                               const struct flow_key *masked)
{
    for (int i = 0; i < st->n_words; i++) {
        int w = st->words[i];
        if (a->words[w] != masked->words[w])
            return false;
    }
    return true;
}

static struct megaflow *find_exact(const struct mf_subtable *st, const struct flow_key *masked,
                                   uint32_t hash)
{
    for (struct hmap_node *n = hmap_first_with_hash(&st->flows, hash); n;
         n = hmap_next_with_hash(n)) {
        struct megaflow *f = HMAP_CONTAINER(n, struct megaflow, node);
        if (subtable_key_equal(st, &f->key, masked))
            return f;
    }
    return NULL;
}

struct megaflow *megaflow_lookup(const struct megaflow_table *t, const struct flow_key *key)
{
    for (const struct mf_subtable *st = t->subtables; st; st = st->next) {
        struct flow_key masked;
        uint32_t hash = subtable_hash(st, key, &masked);
        struct megaflow *f = find_exact(st, &masked, hash);
        if (f)
            return f;
    }
    return NULL;
}

static struct mf_subtable *subtable_find_or_create(struct megaflow_table *t,
                                                   const struct flow_key *mask)
{
    for (struct mf_subtable *st = t->subtables; st; st = st->next) {
        if (flow_key_equal(&st->mask, mask))
            return st;
    }
    struct mf_subtable *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    if (hmap_init(&st->flows) < 0) {
        free(st);
        return NULL;
    }
    st->mask = *mask;
    for (int w = 0; w < FLOW_KEY_WORDS; w++) {
        if (mask->words[w])
            st->words[st->n_words++] = (uint8_t)w;
    }
    st->next = t->subtables;
    t->subtables = st;
    return st;
}

static void subtable_destroy_if_empty(struct megaflow_table *t, struct mf_subtable *st)
{
    if (st->flows.n)
        return;
    for (struct mf_subtable **p = &t->subtables; *p; p = &(*p)->next) {
        if (*p == st) {
            *p = st->next;
            break;
        }
    }
    hmap_destroy(&st->flows);
    free(st);
}

struct megaflow *megaflow_insert(struct megaflow_table *t, const struct flow_key *key,
                                 const struct flow_key *mask, struct dp_actions *actions,
                                 const struct flow_notes *notes, uint64_t now_ms)
{
    struct mf_subtable *st = subtable_find_or_create(t, mask);
    if (!st) {
        free(actions);
        return NULL;
    }
    struct flow_key masked;
    flow_key_apply_mask(&masked, key, mask);
    uint32_t hash = subtable_hash(st, key, &masked);
    struct megaflow *f = find_exact(st, &masked, hash);
    if (f) {
        megaflow_set_actions(f, actions);
        f->notes = *notes;
        return f;
    }
    if (t->n_flows >= t->max_flows || !(f = calloc(1, sizeof *f))) {
        free(actions);
        subtable_destroy_if_empty(t, st);
        return NULL;
    }
    f->key = masked;
    f->subtable = st;
    f->actions = actions;
    f->notes = *notes;
    f->created_ms = now_ms;
    hmap_insert(&st->flows, &f->node, hash);
    f->next = t->flows;
    if (t->flows)
        t->flows->prev = f;
    t->flows = f;
    t->n_flows++;
    return f;
}

void megaflow_set_actions(struct megaflow *f, struct dp_actions *actions)
{
    free(f->actions);
    f->actions = actions;
}

void megaflow_remove(struct megaflow_table *t, struct megaflow *f)
{
    struct mf_subtable *st = f->subtable;
    hmap_remove(&st->flows, &f->node);
    if (f->prev)
        f->prev->next = f->next;
    else
        t->flows = f->next;
    if (f->next)
        f->next->prev = f->prev;
    t->n_flows--;
    free(f->actions);
    free(f);
    subtable_destroy_if_empty(t, st);
}

void megaflow_flush(struct megaflow_table *t)
{
    while (t->flows)
        megaflow_remove(t, t->flows);
}

void megaflow_table_destroy(struct megaflow_table *t)
{
    megaflow_flush(t);
}

size_t megaflow_expire(struct megaflow_table *t, uint64_t now_ms, uint64_t idle_ms)
{
    size_t removed = 0;
    struct megaflow *f = t->flows;
    while (f) {
        struct megaflow *next = f->next;
        uint64_t last = f->used_ms ? f->used_ms : f->created_ms;
        if (now_ms >= last + idle_ms) {
            megaflow_remove(t, f);
            removed++;
        }
        f = next;
    }
    return removed;
}
