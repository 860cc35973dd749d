#include "flowd/vlan.h"

#include <string.h>

#include "flowd/packet.h"

static void bitmap_set(uint64_t *bits, uint16_t vid, bool value)
{
    if (value)
        bits[vid / 64] |= 1ull << (vid % 64);
    else
        bits[vid / 64] &= ~(1ull << (vid % 64));
}

void vlan_config_default(struct vlan_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = VLAN_MODE_TRUNK;
    cfg->trunks_all = true;
}

static enum vlan_mode effective_mode(const struct vlan_port_columns *cols)
{
    if (cols->mode >= 0)
        return (enum vlan_mode)cols->mode;
    return cols->has_tag ? VLAN_MODE_ACCESS : VLAN_MODE_TRUNK;
}

void vlan_config_from_columns(struct vlan_config *cfg, const struct vlan_port_columns *cols)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = effective_mode(cols);
    cfg->vlan = cfg->mode == VLAN_MODE_TRUNK || !cols->has_tag ? 0 : cols->tag;
    if (cfg->mode == VLAN_MODE_ACCESS)
        return;   /* an access port trunks nothing */

    cfg->trunks_all = cols->n_trunks == 0;
    for (size_t i = 0; i < cols->n_trunks; i++)
        bitmap_set(cfg->trunks, cols->trunks[i], true);
    if (cfg->mode == VLAN_MODE_TRUNK || cfg->vlan == 0)
        return;
    /* Native modes: force trunking the native VLAN and prohibit trunking VLAN 0 (Open
     * vSwitch's bundle_set does the same). */
    if (cfg->trunks_all) {
        memset(cfg->trunks, 0xff, sizeof cfg->trunks);
        cfg->trunks_all = false;
    }
    bitmap_set(cfg->trunks, cfg->vlan, true);
    bitmap_set(cfg->trunks, 0, false);
}

void xvlan_from_tag(struct xvlan *x, uint16_t tpid, uint16_t tci)
{
    x->tpid = tpid;
    x->vid = tpid ? tci & VLAN_VID_MASK : 0;
    x->pcp = tpid ? tci & VLAN_PCP_MASK : 0;
}

static bool trunks_vlan(const struct vlan_config *cfg, uint16_t vid)
{
    return cfg->mode != VLAN_MODE_ACCESS &&
           (cfg->trunks_all || vlan_bitmap_get(cfg->trunks, vid));
}

bool vlan_input_valid(const struct vlan_config *cfg, uint16_t vid)
{
    switch (cfg->mode) {
    case VLAN_MODE_ACCESS:
        return vid == 0;
    case VLAN_MODE_NATIVE_TAGGED:
    case VLAN_MODE_NATIVE_UNTAGGED:
        if (vid == 0)
            return true;   /* a native port always carries its native VLAN */
        return trunks_vlan(cfg, vid);
    case VLAN_MODE_TRUNK:
        return trunks_vlan(cfg, vid);
    }
    return false;
}

void vlan_input_translate(const struct vlan_config *cfg, const struct xvlan *in,
                          struct xvlan *out)
{
    *out = *in;
    switch (cfg->mode) {
    case VLAN_MODE_ACCESS:
        out->tpid = in->tpid ? in->tpid : ETH_TYPE_VLAN_8021Q;
        out->vid = cfg->vlan;
        break;
    case VLAN_MODE_TRUNK:
        break;
    case VLAN_MODE_NATIVE_TAGGED:
    case VLAN_MODE_NATIVE_UNTAGGED:
        if (in->vid == 0) {
            out->tpid = in->tpid ? in->tpid : ETH_TYPE_VLAN_8021Q;
            out->vid = cfg->vlan;
        }
        break;
    }
}

bool vlan_port_includes(const struct vlan_config *cfg, uint16_t vid)
{
    if (cfg->mode == VLAN_MODE_ACCESS)
        return vid == cfg->vlan;
    return trunks_vlan(cfg, vid);
}

void vlan_output_translate(const struct vlan_config *cfg, const struct xvlan *x,
                           struct xvlan *out)
{
    *out = *x;
    switch (cfg->mode) {
    case VLAN_MODE_ACCESS:
        memset(out, 0, sizeof *out);
        break;
    case VLAN_MODE_TRUNK:
    case VLAN_MODE_NATIVE_TAGGED:
        break;
    case VLAN_MODE_NATIVE_UNTAGGED:
        if (x->vid == cfg->vlan)
            memset(out, 0, sizeof *out);   /* pop: with one tag, nothing is left */
        break;
    }
}

bool xvlan_to_tag(const struct xvlan *x, uint16_t *tpid, uint16_t *tci)
{
    uint16_t value = (uint16_t)(x->vid | (x->pcp & VLAN_PCP_MASK));
    if (!value) {
        *tpid = 0;
        *tci = 0;
        return false;
    }
    *tpid = x->tpid ? x->tpid : ETH_TYPE_VLAN_8021Q;
    *tci = value;
    return true;
}
