/* VLAN semantics of a bridge port, exactly as Open vSwitch's NORMAL action has them
 * (vswitchd/vswitch.xml, Port tag/trunks/vlan_mode; ofproto-dpif-xlate.c's xvlan functions):
 *
 *   access           untagged frames (and priority-tagged, VID 0) belong to `tag`; frames
 *                    with a non-zero VID are dropped; output is always untagged.
 *   trunk            a frame belongs to the VLAN of its tag, VLAN 0 when untagged; frames of
 *                    VLANs not in `trunks` (empty: all) are dropped; output keeps the tag,
 *                    untagged for VLAN 0 unless the priority (PCP) is non-zero.
 *   native-tagged    a trunk whose untagged frames belong to the native VLAN `tag`.
 *   native-untagged  the same, and frames of the native VLAN leave untagged.
 *
 * Only the outer tag counts (Open vSwitch's default vlan-limit of 1); 802.1ad (0x88a8) outer
 * tags are VLAN tags like 802.1Q ones. Everything here is pure computation. */
#ifndef VSW_FLOWD_VLAN_H
#define VSW_FLOWD_VLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VLAN_COUNT 4096

enum vlan_mode {
    VLAN_MODE_ACCESS,
    VLAN_MODE_TRUNK,
    VLAN_MODE_NATIVE_TAGGED,
    VLAN_MODE_NATIVE_UNTAGGED,
};

/* A port's effective VLAN configuration, after Open vSwitch's normalization. */
struct vlan_config {
    enum vlan_mode mode;
    uint16_t vlan;              /* access or native VLAN; 0 for trunks */
    bool trunks_all;            /* trunks every VLAN (an empty `trunks` column) */
    uint64_t trunks[VLAN_COUNT / 64];  /* the trunked VLANs when !trunks_all */
};

/* What a port's columns ask for; `mode` < 0 is the unset vlan_mode column. */
struct vlan_port_columns {
    bool has_tag;
    uint16_t tag;
    int mode;                   /* enum vlan_mode, or -1 */
    const uint16_t *trunks;
    size_t n_trunks;
};

/* The default: a trunk of every VLAN. */
void vlan_config_default(struct vlan_config *cfg);

/* Derives the effective configuration the way Open vSwitch does: no vlan_mode means access
 * when a tag is set (trunks ignored), else trunk; an access port without tag is on VLAN 0; a
 * native port always trunks its native VLAN and then never VLAN 0. Values must be in range
 * (the caller validated them). */
void vlan_config_from_columns(struct vlan_config *cfg, const struct vlan_port_columns *cols);

/* The VLAN state of a frame: outer tag's TPID (0: untagged), VID and PCP (in TCI position,
 * bits 13-15). */
struct xvlan {
    uint16_t tpid;
    uint16_t vid;
    uint16_t pcp;
};

/* From a frame's outer tag (tpid 0: none). */
void xvlan_from_tag(struct xvlan *x, uint16_t tpid, uint16_t tci);

/* May a frame tagged with `vid` (0: untagged or priority-tagged) enter through this port? */
bool vlan_input_valid(const struct vlan_config *cfg, uint16_t vid);

/* The frame's VLAN inside the bridge, given its tag on input. */
void vlan_input_translate(const struct vlan_config *cfg, const struct xvlan *in,
                          struct xvlan *out);

/* Does the port carry `vid`? (Open vSwitch's xbundle_includes_vlan.) */
bool vlan_port_includes(const struct vlan_config *cfg, uint16_t vid);

/* The frame's VLAN state on output through this port. */
void vlan_output_translate(const struct vlan_config *cfg, const struct xvlan *x,
                           struct xvlan *out);

/* Whether `x` is put on the wire as a tag (non-zero VID or PCP), and that tag's TPID and TCI. */
bool xvlan_to_tag(const struct xvlan *x, uint16_t *tpid, uint16_t *tci);

static inline bool vlan_bitmap_get(const uint64_t *bits, uint16_t vid)
{
    return bits[vid / 64] >> (vid % 64) & 1;
}

#endif
