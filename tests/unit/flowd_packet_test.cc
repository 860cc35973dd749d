// Flow key extraction from crafted frames: untagged, 802.1Q, 802.1ad, QinQ, tags the kernel
// moved to auxdata, and frames too short to hold what their ethertype announces.
#include <gtest/gtest.h>

#include "tests/unit/flowd_test_util.h"

extern "C" {
#include "flowd/packet.h"
}

namespace {

struct Extracted {
    int rc;
    flow_key key;
};

Extracted Extract(std::vector<uint8_t> frame, uint16_t aux_tpid = 0, uint16_t aux_tci = 0)
{
    dp_packet pkt = {};
    pkt.data = frame.data();
    pkt.len = (uint32_t)frame.size();
    pkt.aux_tpid = aux_tpid;
    pkt.aux_tci = aux_tci;
    Extracted e;
    e.rc = flow_extract(&pkt, 7, &e.key);
    return e;
}

TEST(FlowExtract, UntaggedFrame)
{
    Extracted e = Extract(Frame(MacN(2), MacN(1), {}, ETH_TYPE_IPV4));
    ASSERT_EQ(e.rc, 0);
    EXPECT_EQ(e.key.in_port, 7u);
    EXPECT_EQ(memcmp(e.key.dl_dst, MacN(2).data(), 6), 0);
    EXPECT_EQ(memcmp(e.key.dl_src, MacN(1).data(), 6), 0);
    EXPECT_EQ(e.key.vlan_present, 0);
    EXPECT_EQ(e.key.vlan_tci, 0);
    EXPECT_EQ(e.key.vlan_tpid, 0);
    EXPECT_EQ(e.key.dl_type, ETH_TYPE_IPV4);
    EXPECT_EQ(e.key.pad, 0);
}

TEST(FlowExtract, Dot1QTagInTheFrame)
{
    Extracted e = Extract(Frame(MacN(2), MacN(1), { { 0x8100, 0xa00a } }, ETH_TYPE_IPV6));
    ASSERT_EQ(e.rc, 0);
    EXPECT_EQ(e.key.vlan_present, 1);
    EXPECT_EQ(e.key.vlan_tpid, 0x8100);
    EXPECT_EQ(e.key.vlan_tci, 0xa00a);   // PCP 5, VID 10
    EXPECT_EQ(e.key.dl_type, ETH_TYPE_IPV6);
}

TEST(FlowExtract, Dot1ADOuterTagIsAVlanTag)
{
    Extracted e = Extract(Frame(MacN(2), MacN(1), { { 0x88a8, 20 } }, 0x0806));
    ASSERT_EQ(e.rc, 0);
    EXPECT_EQ(e.key.vlan_tpid, 0x88a8);
    EXPECT_EQ(e.key.vlan_tci, 20);
    EXPECT_EQ(e.key.dl_type, 0x0806);
}

TEST(FlowExtract, QinQOnlyTheOuterTagCounts)
{
    Extracted e = Extract(Frame(MacN(2), MacN(1), { { 0x88a8, 100 }, { 0x8100, 10 } },
                                ETH_TYPE_IPV4));
    ASSERT_EQ(e.rc, 0);
    EXPECT_EQ(e.key.vlan_tpid, 0x88a8);
    EXPECT_EQ(e.key.vlan_tci, 100);
    EXPECT_EQ(e.key.dl_type, 0x8100);   // the inner tag stays payload
}

TEST(FlowExtract, TagFromAuxdata)
{
    // The kernel took the outer tag off: the frame holds the inner ethertype directly.
    Extracted e = Extract(Frame(MacN(2), MacN(1), {}, ETH_TYPE_IPV4), 0x8100, 0x2014);
    ASSERT_EQ(e.rc, 0);
    EXPECT_EQ(e.key.vlan_present, 1);
    EXPECT_EQ(e.key.vlan_tpid, 0x8100);
    EXPECT_EQ(e.key.vlan_tci, 0x2014);
    EXPECT_EQ(e.key.dl_type, ETH_TYPE_IPV4);
}

TEST(FlowExtract, TagFromAuxdataWithInnerTagInTheFrame)
{
    Extracted e = Extract(Frame(MacN(2), MacN(1), { { 0x8100, 10 } }, ETH_TYPE_IPV4), 0x88a8,
                          300);
    ASSERT_EQ(e.rc, 0);
    EXPECT_EQ(e.key.vlan_tpid, 0x88a8);
    EXPECT_EQ(e.key.vlan_tci, 300);
    EXPECT_EQ(e.key.dl_type, 0x8100);
}

TEST(FlowExtract, PriorityTagWithVidZero)
{
    Extracted e = Extract(Frame(MacN(2), MacN(1), { { 0x8100, 0x6000 } }, ETH_TYPE_IPV4));
    ASSERT_EQ(e.rc, 0);
    EXPECT_EQ(e.key.vlan_present, 1);
    EXPECT_EQ(e.key.vlan_tci, 0x6000);
}

TEST(FlowExtract, TruncatedFramesAreRefused)
{
    std::vector<uint8_t> full = Frame(MacN(2), MacN(1), { { 0x8100, 10 } }, ETH_TYPE_IPV4, 0);
    // Up to 13 bytes: no Ethernet header. 14..17: a VLAN ethertype without the whole tag.
    for (size_t len = 0; len < 18; len++) {
        std::vector<uint8_t> cut(full.begin(), full.begin() + len);
        EXPECT_EQ(Extract(cut).rc, -1) << len << " bytes";
    }
    EXPECT_EQ(Extract(full).rc, 0);
    // 14 bytes of an untagged frame are enough.
    std::vector<uint8_t> untagged = Frame(MacN(2), MacN(1), {}, ETH_TYPE_IPV4, 0);
    EXPECT_EQ(Extract(untagged).rc, 0);
    untagged.pop_back();
    EXPECT_EQ(Extract(untagged).rc, -1);
}

TEST(FlowExtract, RestOffsetSkipsOnlyAnInlineOuterTag)
{
    std::vector<uint8_t> tagged = Frame(MacN(2), MacN(1), { { 0x8100, 10 } }, ETH_TYPE_IPV4);
    dp_packet pkt = {};
    pkt.data = tagged.data();
    pkt.len = (uint32_t)tagged.size();
    EXPECT_EQ(dp_packet_l2_rest(&pkt), 16u);
    pkt.aux_tpid = 0x8100;   // then the first tag in the data is an inner one
    EXPECT_EQ(dp_packet_l2_rest(&pkt), 12u);
    std::vector<uint8_t> untagged = Frame(MacN(2), MacN(1), {}, ETH_TYPE_IPV4);
    pkt = {};
    pkt.data = untagged.data();
    pkt.len = (uint32_t)untagged.size();
    EXPECT_EQ(dp_packet_l2_rest(&pkt), 12u);
}

TEST(FlowExtract, ReservedMulticastAddresses)
{
    for (int last = 0; last < 0x20; last++) {
        const uint8_t mac[6] = { 0x01, 0x80, 0xc2, 0, 0, (uint8_t)last };
        EXPECT_EQ(eth_addr_is_reserved(mac), last < 0x10) << last;
    }
    EXPECT_FALSE(eth_addr_is_reserved(kBroadcast.data()));
}

TEST(FlowKey, FormatShowsOnlyMaskedFields)
{
    Extracted e = Extract(Frame(MacN(2), MacN(1), { { 0x8100, 0xa00a } }, ETH_TYPE_IPV4));
    flow_key mask = {};
    mask.in_port = UINT32_MAX;
    memset(mask.dl_dst, 0xff, 6);
    mask.vlan_present = 0xff;
    mask.vlan_tci = VLAN_VID_MASK;
    char buf[256];
    flow_key_format(&e.key, &mask, buf, sizeof buf);
    EXPECT_STREQ(buf, "in_port=7,dl_dst=02:00:00:00:00:02,vlan(vid=10)");
    flow_key_format(&e.key, nullptr, buf, sizeof buf);
    EXPECT_STREQ(buf, "in_port=7,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,"
                      "vlan(tpid=0x8100,vid=10,pcp=5,dei=0),dl_type=0x0800");
    flow_key_format(&e.key, nullptr, buf, 10);
    EXPECT_EQ(strlen(buf), 9u);
}

TEST(FlowKey, MacParseAndFormatRoundTrip)
{
    uint8_t mac[6];
    ASSERT_EQ(eth_addr_parse("0a:1b:2c:3d:4e:5f", mac), 0);
    char text[18];
    eth_addr_format(mac, text);
    EXPECT_STREQ(text, "0a:1b:2c:3d:4e:5f");
    EXPECT_EQ(eth_addr_parse("0a:1b:2c:3d:4e", mac), -1);
    EXPECT_EQ(eth_addr_parse("0a:1b:2c:3d:4e:5f:00", mac), -1);
}

}  // namespace
