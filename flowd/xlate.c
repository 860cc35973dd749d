#include "flowd/xlate.h"

#include <string.h>

/* Per-translation state. */
struct xlate_ctx {
    const struct xlate_bridge *br;
    const struct flow_key *key;
    struct xlate_result *out;
    size_t in_slot;
    struct xvlan xvlan;          /* the frame's VLAN inside the bridge */
};

static bool find_slot(const struct xlate_bridge *br, uint32_t port_no, size_t *slot)
{
    for (size_t i = 0; i < br->n_slots; i++) {
        if (br->ports[i].in_use && br->ports[i].port_no == port_no) {
            *slot = i;
            return true;
        }
    }
    return false;
}

/* The output op for a frame leaving with VLAN state `o`, and the key bits that choice read.
 *
 * When the input frame is tagged, every translation (vlan.c) either clears the VLAN state or
 * keeps the input tag's TPID and PCP in it: a tag on output then differs from the input tag by
 * its VID alone, so KEEP vs SET compares VIDs (always masked). Two choices read more: a SET
 * writes the input's PCP and TPID, and a state with VID 0 is a tag only if its PCP is non-zero
 * (a priority tag). The TPID is never compared: a revalidated key may have it masked out. */
static void choose_vlan_op(struct xlate_ctx *ctx, const struct xvlan *o, struct dp_action *a)
{
    const struct flow_key *key = ctx->key;
    struct flow_key *mask = &ctx->out->mask;
    bool in_tagged = key->vlan_present;
    uint16_t tpid, tci;
    bool tagged = xvlan_to_tag(o, &tpid, &tci);

    if (in_tagged && o->tpid && o->vid == 0)
        mask->vlan_tci |= VLAN_PCP_MASK;
    if (!tagged) {
        a->vlan_op = in_tagged ? DP_VLAN_STRIP : DP_VLAN_KEEP;
        return;
    }
    if (in_tagged && o->vid == (key->vlan_tci & VLAN_VID_MASK)) {
        a->vlan_op = DP_VLAN_KEEP;
        return;
    }
    a->vlan_op = DP_VLAN_SET;
    a->tpid = tpid;
    a->tci = tci;
    if (in_tagged) {
        mask->vlan_tci |= VLAN_PCP_MASK;
        mask->vlan_tpid = 0xffff;
    }
}

static void output_normal(struct xlate_ctx *ctx, size_t slot)
{
    const struct xlate_port *port = &ctx->br->ports[slot];
    struct xvlan o;
    vlan_output_translate(&port->vlan, &ctx->xvlan, &o);
    struct dp_action *a = &ctx->out->actions[ctx->out->n_actions++];
    memset(a, 0, sizeof *a);
    a->port_no = port->port_no;
    a->slot = (uint16_t)slot;
    choose_vlan_op(ctx, &o, a);
}

/* Every port carrying the frame's VLAN, except the input port. */
static void flood(struct xlate_ctx *ctx)
{
    for (size_t i = 0; i < ctx->br->n_slots; i++) {
        const struct xlate_port *p = &ctx->br->ports[i];
        if (p->in_use && i != ctx->in_slot && vlan_port_includes(&p->vlan, ctx->xvlan.vid))
            output_normal(ctx, i);
    }
    if (ctx->out->n_actions == 0)
        ctx->out->drop_reason = "no other port in the VLAN";
}

static void forward_unicast(struct xlate_ctx *ctx, uint64_t now_ms)
{
    const struct flow_key *key = ctx->key;
    struct flow_notes *notes = &ctx->out->notes;
    notes->mac_lookup = true;
    notes->mac_vlan = ctx->xvlan.vid;
    memcpy(notes->mac_dst, key->dl_dst, ETH_ADDR_LEN);

    const struct mac_entry *e = mac_table_lookup(ctx->br->macs, key->dl_dst, ctx->xvlan.vid,
                                                 now_ms);
    if (!e) {
        flood(ctx);
        return;
    }
    size_t slot;
    if (e->port == key->in_port) {
        ctx->out->drop_reason = "destination learned on the input port";
        return;
    }
    if (!find_slot(ctx->br, e->port, &slot) ||
        !vlan_port_includes(&ctx->br->ports[slot].vlan, ctx->xvlan.vid)) {
        ctx->out->drop_reason = "destination learned on a port not carrying the VLAN";
        return;
    }
    output_normal(ctx, slot);
}

static void init_result(struct xlate_result *out)
{
    memset(&out->mask, 0, sizeof out->mask);
    out->n_actions = 0;
    out->drop_reason = NULL;
    memset(&out->notes, 0, sizeof out->notes);
    out->notes.learn_vlan = -1;
    /* Read by every decision: where the frame came from, both addresses (forwarding and
     * learning), whether it is tagged and its VID. */
    out->mask.in_port = UINT32_MAX;
    memset(out->mask.dl_dst, 0xff, ETH_ADDR_LEN);
    memset(out->mask.dl_src, 0xff, ETH_ADDR_LEN);
    out->mask.vlan_present = 0xff;
    out->mask.vlan_tci = VLAN_VID_MASK;
}

void xlate_normal(const struct xlate_bridge *br, const struct flow_key *key, bool learn,
                  uint64_t now_ms, struct xlate_result *out)
{
    init_result(out);
    struct xlate_ctx ctx = { .br = br, .key = key, .out = out };
    if (!find_slot(br, key->in_port, &ctx.in_slot)) {
        out->drop_reason = "unknown input port";
        return;
    }
    const struct vlan_config *in_cfg = &br->ports[ctx.in_slot].vlan;
    struct xvlan in;
    /* Tagged or not is vlan_present's to say: a key being revalidated may have its TPID
     * masked out (zero), and then only SET, which masks it, would read it. */
    uint16_t in_tpid = key->vlan_tpid ? key->vlan_tpid : ETH_TYPE_VLAN_8021Q;
    xvlan_from_tag(&in, key->vlan_present ? in_tpid : 0, key->vlan_tci);
    if (!vlan_input_valid(in_cfg, in.vid)) {
        out->drop_reason = "VLAN not allowed on the input port";
        return;
    }
    vlan_input_translate(in_cfg, &in, &ctx.xvlan);
    if (eth_addr_is_reserved(key->dl_dst)) {
        out->drop_reason = "reserved multicast destination";
        return;
    }
    if (!eth_addr_is_multicast(key->dl_src)) {
        out->notes.learn_vlan = ctx.xvlan.vid;
        if (learn)
            mac_table_learn(br->macs, key->dl_src, ctx.xvlan.vid, key->in_port, now_ms);
    }
    if (eth_addr_is_multicast(key->dl_dst))
        flood(&ctx);
    else
        forward_unicast(&ctx, now_ms);
}
