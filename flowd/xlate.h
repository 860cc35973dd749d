/* Translation of a flow key through a bridge's NORMAL pipeline (MAC learning switch with
 * VLANs): decides the outputs and records, in a mask, every key bit the decision read. That
 * mask makes the megaflow, so the cache is correct by construction of this file: a packet that
 * agrees with the key on the masked bits gets the same decision.
 *
 * Pure: it reads the bridge's ports and MAC table and, when asked to learn, updates the latter. */
#ifndef VSW_FLOWD_XLATE_H
#define VSW_FLOWD_XLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowd/mac_table.h"
#include "flowd/megaflow.h"
#include "flowd/packet.h"
#include "flowd/vlan.h"

/* A bridge port as the translation needs it. */
struct xlate_port {
    bool in_use;                 /* false: an empty slot */
    uint32_t port_no;
    struct vlan_config vlan;
};

/* The bridge: ports by slot (the index every dp_action.slot refers to), and its MAC table. */
struct xlate_bridge {
    const struct xlate_port *ports;
    size_t n_slots;
    struct mac_table *macs;
};

struct xlate_result {
    struct flow_key mask;
    struct dp_action *actions;   /* caller's buffer of at least n_slots entries */
    size_t n_actions;
    struct flow_notes notes;
    const char *drop_reason;     /* set when nothing is output, for logs and tests */
};

/* Runs NORMAL for `key`. With `learn`, the source MAC is learned at `now_ms` (the slow path
 * does so; revalidation does not). */
void xlate_normal(const struct xlate_bridge *br, const struct flow_key *key, bool learn,
                  uint64_t now_ms, struct xlate_result *out);

#endif
