// The megaflow cache and the masks NORMAL's translation records: a flow matches on exactly the
// bits its mask covers, and (the property the whole cache rests on) any packet that agrees with
// a translated key on the masked bits gets the same actions.
#include <gtest/gtest.h>

#include <random>

#include "tests/unit/flowd_test_util.h"

extern "C" {
#include "flowd/mac_table.h"
#include "flowd/megaflow.h"
#include "flowd/xlate.h"
}

namespace {

flow_key Key(uint32_t in_port, const Mac &src, const Mac &dst, uint16_t tpid = 0,
             uint16_t tci = 0)
{
    flow_key k = {};
    k.in_port = in_port;
    memcpy(k.dl_src, src.data(), 6);
    memcpy(k.dl_dst, dst.data(), 6);
    k.vlan_present = tpid ? 1 : 0;
    k.vlan_tpid = tpid;
    k.vlan_tci = tci;
    k.dl_type = ETH_TYPE_IPV4;
    return k;
}

dp_actions *Outputs(std::vector<uint32_t> ports)
{
    std::vector<dp_action> a(ports.size());
    for (size_t i = 0; i < ports.size(); i++) {
        a[i] = {};
        a[i].port_no = ports[i];
    }
    return dp_actions_new(a.data(), a.size());
}

flow_notes NoNotes()
{
    flow_notes n = {};
    n.learn_vlan = -1;
    return n;
}

TEST(MegaflowTable, MatchesOnMaskedBitsOnly)
{
    megaflow_table t;
    megaflow_table_init(&t, 100);
    flow_key mask = {};
    mask.in_port = UINT32_MAX;
    memset(mask.dl_dst, 0xff, 6);
    flow_notes notes = NoNotes();
    flow_key k = Key(1, MacN(1), MacN(2));
    megaflow *f = megaflow_insert(&t, &k, &mask, Outputs({ 2 }), &notes, 0);
    ASSERT_NE(f, nullptr);
    // Another source, another ethertype, a tag: not in the mask, still a hit.
    flow_key other = Key(1, MacN(9), MacN(2), 0x8100, 10);
    other.dl_type = 0x86dd;
    EXPECT_EQ(megaflow_lookup(&t, &other), f);
    // Another destination or input port: a miss.
    flow_key miss1 = Key(1, MacN(1), MacN(3));
    flow_key miss2 = Key(2, MacN(1), MacN(2));
    EXPECT_EQ(megaflow_lookup(&t, &miss1), nullptr);
    EXPECT_EQ(megaflow_lookup(&t, &miss2), nullptr);
    megaflow_table_destroy(&t);
}

TEST(MegaflowTable, SeveralMasksAndReplacement)
{
    megaflow_table t;
    megaflow_table_init(&t, 100);
    flow_notes notes = NoNotes();
    flow_key narrow = {}, wide = {};
    narrow.in_port = UINT32_MAX;
    memset(narrow.dl_dst, 0xff, 6);
    memset(narrow.dl_src, 0xff, 6);
    wide.in_port = UINT32_MAX;
    flow_key k1 = Key(1, MacN(1), MacN(2));
    flow_key k2 = Key(3, MacN(1), MacN(2));
    megaflow *f1 = megaflow_insert(&t, &k1, &narrow, Outputs({ 2 }), &notes, 0);
    megaflow *f2 = megaflow_insert(&t, &k2, &wide, Outputs({}), &notes, 0);
    EXPECT_EQ(megaflow_lookup(&t, &k1), f1);
    flow_key k2b = Key(3, MacN(7), MacN(8));
    EXPECT_EQ(megaflow_lookup(&t, &k2b), f2);
    EXPECT_EQ(t.n_flows, 2u);
    // Same key and mask: the actions are replaced, no second flow.
    megaflow *again = megaflow_insert(&t, &k1, &narrow, Outputs({ 4, 5 }), &notes, 0);
    EXPECT_EQ(again, f1);
    EXPECT_EQ(f1->actions->n, 2u);
    EXPECT_EQ(t.n_flows, 2u);
    megaflow_remove(&t, f2);
    EXPECT_EQ(megaflow_lookup(&t, &k2b), nullptr);
    EXPECT_EQ(t.n_flows, 1u);
    megaflow_table_destroy(&t);
}

TEST(MegaflowTable, FullTableRefusesAndIdleFlowsExpire)
{
    megaflow_table t;
    megaflow_table_init(&t, 3);
    flow_notes notes = NoNotes();
    flow_key mask;
    memset(&mask, 0xff, sizeof mask);
    for (uint32_t i = 0; i < 3; i++) {
        flow_key k = Key(1, MacN(i), MacN(100));
        ASSERT_NE(megaflow_insert(&t, &k, &mask, Outputs({ 2 }), &notes, 1000), nullptr);
    }
    flow_key k = Key(1, MacN(50), MacN(100));
    EXPECT_EQ(megaflow_insert(&t, &k, &mask, Outputs({ 2 }), &notes, 1000), nullptr);
    flow_key k0 = Key(1, MacN(0), MacN(100));
    megaflow_count(megaflow_lookup(&t, &k0), 100, 5000);
    EXPECT_EQ(megaflow_expire(&t, 10999, 10000), 0u);
    EXPECT_EQ(megaflow_expire(&t, 11000, 10000), 2u);   // the two never used since 1000
    EXPECT_EQ(megaflow_lookup(&t, &k0)->packets, 1u);
    EXPECT_EQ(megaflow_lookup(&t, &k0)->bytes, 100u);
    EXPECT_EQ(megaflow_expire(&t, 15000, 10000), 1u);
    EXPECT_EQ(t.n_flows, 0u);
    megaflow_table_destroy(&t);
}

TEST(MegaflowTable, ActionsFormat)
{
    dp_action a[3] = {};
    a[0].port_no = 2;
    a[1].port_no = 3;
    a[1].vlan_op = DP_VLAN_STRIP;
    a[2].port_no = 4;
    a[2].vlan_op = DP_VLAN_SET;
    a[2].tpid = 0x8100;
    a[2].tci = 0xa00a;
    char buf[128];
    dp_actions_format(a, 3, buf, sizeof buf);
    EXPECT_STREQ(buf, "2,3(pop_vlan),4(push_vlan(vid=10,pcp=5))");
    dp_actions_format(a, 0, buf, sizeof buf);
    EXPECT_STREQ(buf, "drop");
}

// A random bridge: 5 ports with random VLAN configurations and MACs learned on them.
struct RandomBridge {
    explicit RandomBridge(std::mt19937 &rng)
    {
        mac_table_init(&macs, 1000, 300000);
        for (int i = 0; i < 5; i++) {
            ports[i].in_use = true;
            ports[i].port_no = (uint32_t)i + 1;
            std::vector<uint16_t> trunks;
            int ntrunks = (int)(rng() % 3);
            for (int t = 0; t < ntrunks; t++)
                trunks.push_back(Vid(rng));
            vlan_port_columns cols = { rng() % 2 == 0, Vid(rng), (int)(rng() % 5) - 1,
                                       trunks.data(), trunks.size() };
            vlan_config_from_columns(&ports[i].vlan, &cols);
        }
        for (uint32_t m = 0; m < 6; m++)
            mac_table_learn(&macs, MacN(m).data(), Vid(rng), (uint32_t)(rng() % 5) + 1, 0);
        view = { ports, 5, &macs };
    }
    ~RandomBridge() { mac_table_destroy(&macs); }

    static uint16_t Vid(std::mt19937 &rng)
    {
        static const uint16_t vids[] = { 0, 1, 10, 20 };
        return vids[rng() % 4];
    }

    flow_key RandomKey(std::mt19937 &rng)
    {
        static const uint16_t tpids[] = { 0, 0, 0x8100, 0x88a8 };
        Mac dst = rng() % 5 == 0 ? kBroadcast : MacN(rng() % 8);
        if (rng() % 10 == 0)
            dst = { 0x01, 0x80, 0xc2, 0, 0, (uint8_t)(rng() % 3) };
        flow_key k = Key((uint32_t)(rng() % 6) + 1, MacN(rng() % 8), dst);
        uint16_t tpid = tpids[rng() % 4];
        if (tpid) {
            k.vlan_present = 1;
            k.vlan_tpid = tpid;
            k.vlan_tci = (uint16_t)(Vid(rng) | (rng() % 8) << 13 | (rng() % 2) << 12);
        }
        k.dl_type = rng() % 2 ? ETH_TYPE_IPV4 : 0x0806;
        return k;
    }

    mac_table macs;
    xlate_port ports[5] = {};
    xlate_bridge view;
};

std::vector<dp_action> Translate(RandomBridge &br, const flow_key &k, flow_key *mask)
{
    std::vector<dp_action> a(5);
    xlate_result r = {};
    r.actions = a.data();
    xlate_normal(&br.view, &k, false, 1, &r);
    a.resize(r.n_actions);
    if (mask)
        *mask = r.mask;
    return a;
}

bool SameActions(const std::vector<dp_action> &x, const std::vector<dp_action> &y)
{
    return x.size() == y.size() && (x.empty() || !memcmp(x.data(), y.data(), x.size() * sizeof x[0]));
}

TEST(MegaflowMask, AnyPacketAgreeingOnTheMaskGetsTheSameActions)
{
    std::mt19937 rng(4242);
    int checked = 0, variants = 0;
    for (int b = 0; b < 200; b++) {
        RandomBridge br(rng);
        for (int k = 0; k < 50; k++) {
            flow_key key = br.RandomKey(rng);
            flow_key mask;
            std::vector<dp_action> actions = Translate(br, key, &mask);
            checked++;
            // Revalidation translates the installed (masked) key: same actions, no wider mask.
            flow_key masked, remask;
            flow_key_apply_mask(&masked, &key, &mask);
            ASSERT_TRUE(SameActions(actions, Translate(br, masked, &remask)))
                << "bridge " << b << " key " << k << ": masked key";
            for (int w = 0; w < FLOW_KEY_WORDS; w++)
                ASSERT_EQ(remask.words[w] & ~mask.words[w], 0u) << "bridge " << b << " key " << k;
            // Change only bits outside the mask: the decision must not change.
            for (int v = 0; v < 20; v++) {
                flow_key other = br.RandomKey(rng);
                flow_key mixed;
                for (int w = 0; w < FLOW_KEY_WORDS; w++)
                    mixed.words[w] = (key.words[w] & mask.words[w]) |
                                     (other.words[w] & ~mask.words[w]);
                mixed.nw_frag = 0;
                // A key must stay well-formed: no tag means no TPID/TCI.
                if (!mixed.vlan_present) {
                    mixed.vlan_tpid = 0;
                    mixed.vlan_tci = 0;
                } else if (!mixed.vlan_tpid) {
                    continue;
                }
                variants++;
                ASSERT_TRUE(SameActions(actions, Translate(br, mixed, nullptr)))
                    << "bridge " << b << " key " << k << " variant " << v;
            }
        }
    }
    EXPECT_EQ(checked, 10000);
    EXPECT_GT(variants, 100000);
}

TEST(MegaflowMask, UntaggedTrunkToTrunkWildcardsPriorityAndEthertype)
{
    std::mt19937 rng(1);
    RandomBridge br(rng);
    for (auto &p : br.ports)
        vlan_config_default(&p.vlan);
    flow_key mask;
    Translate(br, Key(1, MacN(1), kBroadcast, 0x8100, 10), &mask);
    EXPECT_EQ(mask.dl_type, 0);
    EXPECT_EQ(mask.vlan_tci, VLAN_VID_MASK);   // PCP and DEI not read when the tag is kept
    EXPECT_EQ(mask.vlan_tpid, 0);
    EXPECT_EQ(mask.in_port, UINT32_MAX);
}

TEST(MegaflowMask, PushingATagReadsItsPriority)
{
    std::mt19937 rng(1);
    RandomBridge br(rng);
    vlan_port_columns access = { true, 10, VLAN_MODE_ACCESS, nullptr, 0 };
    vlan_config_from_columns(&br.ports[0].vlan, &access);
    for (int i = 1; i < 5; i++)
        vlan_config_default(&br.ports[i].vlan);
    flow_key mask;
    std::vector<dp_action> a = Translate(br, Key(1, MacN(1), kBroadcast, 0x8100, 0x6000), &mask);
    ASSERT_EQ(a.size(), 4u);
    EXPECT_EQ(a[0].vlan_op, DP_VLAN_SET);
    EXPECT_EQ(a[0].tci, 0x600a);
    EXPECT_EQ(mask.vlan_tci & VLAN_PCP_MASK, VLAN_PCP_MASK);
    EXPECT_EQ(mask.vlan_tpid, 0xffff);
}

}  // namespace
