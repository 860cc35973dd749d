// VLAN semantics of NORMAL, table-driven against Open vSwitch's (vswitch.xml; xlate's
// input_vid_is_valid, xvlan_input_translate, xvlan_output_translate, xvlan_put): a frame with a
// given tag enters a port with a given configuration, is flooded, and leaves through a port with
// another configuration; the table says what tag it leaves with, or that it does not leave.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/flowd_test_util.h"

extern "C" {
#include "flowd/mac_table.h"
#include "flowd/xlate.h"
}

namespace {

struct PortCols {
    std::string name;
    bool has_tag;
    uint16_t tag;
    int mode;
    std::vector<uint16_t> trunks;
};

const PortCols kDefault = { "default", false, 0, -1, {} };
const PortCols kAccess10 = { "access10", true, 10, VLAN_MODE_ACCESS, {} };
const PortCols kAccess20 = { "access20", true, 20, VLAN_MODE_ACCESS, {} };
const PortCols kAccessNoTag = { "access-no-tag", false, 0, VLAN_MODE_ACCESS, {} };
const PortCols kTagOnly5 = { "tag5-no-mode", true, 5, -1, {} };
const PortCols kAccess7Trunks = { "access7-with-trunks", true, 7, VLAN_MODE_ACCESS, { 10 } };
const PortCols kTrunk = { "trunk", false, 0, VLAN_MODE_TRUNK, {} };
const PortCols kTrunk10_20 = { "trunk10,20", false, 0, VLAN_MODE_TRUNK, { 10, 20 } };
const PortCols kNativeTagged10 = { "native-tagged10", true, 10, VLAN_MODE_NATIVE_TAGGED, {} };
const PortCols kNativeTagged10T20 = { "native-tagged10,trunks20", true, 10,
                                      VLAN_MODE_NATIVE_TAGGED, { 20 } };
const PortCols kNativeUntagged10 = { "native-untagged10", true, 10, VLAN_MODE_NATIVE_UNTAGGED,
                                     {} };
const PortCols kNativeUntaggedNoTag = { "native-untagged-no-tag", false, 0,
                                        VLAN_MODE_NATIVE_UNTAGGED, {} };

const int kDrop = -1;
const uint16_t kUntagged = 0;

struct Case {
    PortCols in;
    Tag in_tag;            // tpid 0: untagged
    PortCols out;
    int expect_tpid;       // kDrop, kUntagged (0), or the TPID of the tag on output
    uint16_t expect_tci;
};

const Case kCases[] = {
    // access ports: untagged (and priority-tagged) frames belong to the tag's VLAN
    { kAccess10, { 0, 0 }, kTrunk, 0x8100, 10 },
    { kAccess10, { 0, 0 }, kAccess10, kUntagged, 0 },
    { kAccess10, { 0, 0 }, kAccess20, kDrop, 0 },
    { kAccess10, { 0x8100, 10 }, kTrunk, kDrop, 0 },          // tagged frames are dropped...
    { kAccess10, { 0x8100, 20 }, kAccess20, kDrop, 0 },       // ...whatever their VID
    { kAccess10, { 0x8100, 0x6000 }, kTrunk, 0x8100, 0x600a },  // priority kept on the trunk
    { kAccess10, { 0x8100, 0x6000 }, kAccess10, kUntagged, 0 },
    { kAccess10, { 0x88a8, 0x4000 }, kTrunk, 0x88a8, 0x400a },  // and the priority tag's TPID
    { kAccessNoTag, { 0, 0 }, kTrunk, kUntagged, 0 },           // access to VLAN 0
    { kAccessNoTag, { 0x8100, 0x8000 }, kTrunk, 0x8100, 0x8000 },  // VID 0, PCP 4: kept
    { kTagOnly5, { 0, 0 }, kTrunk, 0x8100, 5 },                 // a tag alone means access
    { kAccess7Trunks, { 0, 0 }, kTrunk, 0x8100, 7 },            // trunks ignored on access
    { kAccess7Trunks, { 0x8100, 10 }, kTrunk, kDrop, 0 },
    // trunks: the tag's VLAN, VLAN 0 when untagged
    { kTrunk, { 0, 0 }, kAccessNoTag, kUntagged, 0 },
    { kTrunk, { 0, 0 }, kTrunk, kUntagged, 0 },
    { kTrunk, { 0x8100, 0xa00a }, kTrunk, 0x8100, 0xa00a },
    { kTrunk, { 0x8100, 0x100a }, kTrunk, 0x8100, 0x100a },     // DEI untouched when kept
    { kTrunk, { 0x8100, 10 }, kAccess10, kUntagged, 0 },
    { kTrunk, { 0x8100, 10 }, kTrunk10_20, 0x8100, 10 },
    { kTrunk, { 0x8100, 30 }, kTrunk10_20, kDrop, 0 },
    { kTrunk, { 0x8100, 0 }, kTrunk, kUntagged, 0 },             // VID 0 PCP 0: no tag out
    { kTrunk, { 0x8100, 0x6000 }, kTrunk, 0x8100, 0x6000 },     // VID 0 PCP 3: priority tag
    { kTrunk, { 0x88a8, 10 }, kTrunk, 0x88a8, 10 },
    { kTrunk, { 0x88a8, 10 }, kAccess10, kUntagged, 0 },
    { kTrunk10_20, { 0x8100, 30 }, kTrunk, kDrop, 0 },
    { kTrunk10_20, { 0, 0 }, kTrunk, kDrop, 0 },                 // VLAN 0 is not trunked
    { kDefault, { 0x8100, 4095 }, kTrunk, 0x8100, 4095 },        // default: trunk of all
    { kDefault, { 0, 0 }, kDefault, kUntagged, 0 },
    // native-tagged: untagged frames belong to the native VLAN, which leaves tagged
    { kNativeTagged10, { 0, 0 }, kTrunk, 0x8100, 10 },
    { kNativeTagged10, { 0, 0 }, kNativeTagged10, 0x8100, 10 },
    { kNativeTagged10, { 0x8100, 10 }, kAccess10, kUntagged, 0 },
    { kNativeTagged10, { 0x8100, 30 }, kTrunk, 0x8100, 30 },
    { kTrunk, { 0, 0 }, kNativeTagged10, kDrop, 0 },              // never carries VLAN 0
    { kNativeTagged10T20, { 0x8100, 30 }, kTrunk, kDrop, 0 },
    { kNativeTagged10T20, { 0x8100, 20 }, kTrunk, 0x8100, 20 },
    { kNativeTagged10T20, { 0, 0 }, kTrunk, 0x8100, 10 },        // native always trunked
    // native-untagged: the native VLAN leaves untagged
    { kNativeTagged10, { 0, 0 }, kNativeUntagged10, kUntagged, 0 },
    { kNativeUntagged10, { 0x8100, 10 }, kNativeUntagged10, kUntagged, 0 },
    { kNativeUntagged10, { 0x8100, 20 }, kNativeUntagged10, 0x8100, 20 },
    { kNativeUntagged10, { 0, 0 }, kTrunk, 0x8100, 10 },
    { kTrunk, { 0x8100, 0xa00a }, kNativeUntagged10, kUntagged, 0 },
    { kNativeUntaggedNoTag, { 0, 0 }, kTrunk, kUntagged, 0 },     // native VLAN 0
};

class TwoPortBridge {
  public:
    TwoPortBridge(const PortCols &in, const PortCols &out)
    {
        mac_table_init(&macs_, 100, 300000);
        Configure(0, 1, in);
        Configure(1, 2, out);
        bridge_ = { ports_, 2, &macs_ };
    }
    ~TwoPortBridge() { mac_table_destroy(&macs_); }

    // Floods a broadcast frame with `tag` from port 1; returns the single output's wire tag as
    // (tpid, tci), (0, 0) for untagged, or tpid -1 when nothing was output.
    std::pair<int, uint16_t> Flood(Tag tag)
    {
        flow_key key = {};
        key.in_port = 1;
        memcpy(key.dl_dst, kBroadcast.data(), 6);
        memcpy(key.dl_src, MacN(1).data(), 6);
        key.vlan_present = tag.tpid ? 1 : 0;
        key.vlan_tpid = tag.tpid;
        key.vlan_tci = tag.tci;
        key.dl_type = ETH_TYPE_IPV4;
        dp_action actions[2];
        xlate_result r = {};
        r.actions = actions;
        xlate_normal(&bridge_, &key, true, 1000, &r);
        if (r.n_actions == 0)
            return { kDrop, 0 };
        EXPECT_EQ(r.n_actions, 1u);
        EXPECT_EQ(actions[0].port_no, 2u);
        switch (actions[0].vlan_op) {
        case DP_VLAN_KEEP:
            return { tag.tpid, tag.tpid ? tag.tci : 0 };
        case DP_VLAN_STRIP:
            EXPECT_NE(tag.tpid, 0) << "strip on an untagged frame";
            return { 0, 0 };
        default:
            return { actions[0].tpid, actions[0].tci };
        }
    }

  private:
    void Configure(int slot, uint32_t port_no, const PortCols &c)
    {
        ports_[slot].in_use = true;
        ports_[slot].port_no = port_no;
        vlan_port_columns cols = { c.has_tag, c.tag, c.mode, c.trunks.data(), c.trunks.size() };
        vlan_config_from_columns(&ports_[slot].vlan, &cols);
    }

    mac_table macs_;
    xlate_port ports_[2] = {};
    xlate_bridge bridge_;
};

TEST(Vlan, OpenVSwitchSemanticsTable)
{
    for (const Case &c : kCases) {
        SCOPED_TRACE(c.in.name + " in, tag " + std::to_string(c.in_tag.tpid) + "/" +
                     std::to_string(c.in_tag.tci) + ", out " + c.out.name);
        TwoPortBridge br(c.in, c.out);
        std::pair<int, uint16_t> got = br.Flood(c.in_tag);
        EXPECT_EQ(got.first, c.expect_tpid);
        if (c.expect_tpid > 0) {
            EXPECT_EQ(got.second, c.expect_tci);
        }
    }
}

TEST(Vlan, NativePortsForceTheirVlanAndDropVlanZero)
{
    vlan_config cfg;
    std::vector<uint16_t> trunks = { 0, 20 };
    vlan_port_columns cols = { true, 10, VLAN_MODE_NATIVE_UNTAGGED, trunks.data(), 2 };
    vlan_config_from_columns(&cfg, &cols);
    EXPECT_TRUE(vlan_port_includes(&cfg, 10));
    EXPECT_TRUE(vlan_port_includes(&cfg, 20));
    EXPECT_FALSE(vlan_port_includes(&cfg, 0));
    EXPECT_FALSE(vlan_port_includes(&cfg, 30));
    EXPECT_TRUE(vlan_input_valid(&cfg, 0));    // untagged: the native VLAN
    EXPECT_FALSE(vlan_input_valid(&cfg, 30));
}

TEST(Vlan, DefaultIsATrunkOfEveryVlan)
{
    vlan_config cfg;
    vlan_config_default(&cfg);
    for (uint16_t vid : { 0, 1, 10, 4094, 4095 }) {
        EXPECT_TRUE(vlan_input_valid(&cfg, vid)) << vid;
        EXPECT_TRUE(vlan_port_includes(&cfg, vid)) << vid;
    }
}

TEST(Vlan, PriorityTagOnlyWhenPcpIsSet)
{
    xvlan x = { 0x8100, 0, 0 };
    uint16_t tpid, tci;
    EXPECT_FALSE(xvlan_to_tag(&x, &tpid, &tci));
    x.pcp = 0xe000;
    ASSERT_TRUE(xvlan_to_tag(&x, &tpid, &tci));
    EXPECT_EQ(tpid, 0x8100);
    EXPECT_EQ(tci, 0xe000);
    x = { 0, 42, 0 };   // a VLAN from an untagged frame: 802.1Q by default
    ASSERT_TRUE(xvlan_to_tag(&x, &tpid, &tci));
    EXPECT_EQ(tpid, 0x8100);
    EXPECT_EQ(tci, 42);
}

}  // namespace
