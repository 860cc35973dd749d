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
    EXPECT_EQ(e.key.nw_frag, 0);
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
    // Without a mask: what a packet of its type has (its payload is no IPv4 header: zeros).
    EXPECT_STREQ(buf, "in_port=7,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,"
                      "vlan(tpid=0x8100,vid=10,pcp=5,dei=0),dl_type=0x0800,"
                      "ipv4(src=0.0.0.0,dst=0.0.0.0,proto=0,tos=0x0,frag=no)");
    flow_key_format(&e.key, nullptr, buf, 10);
    EXPECT_EQ(strlen(buf), 9u);
}

// An IPv4 header (20 bytes, no options) with `proto`, and `l4` after it.
std::vector<uint8_t> Ipv4Frame(uint8_t proto, uint16_t frag, std::vector<uint8_t> l4)
{
    std::vector<uint8_t> f = Frame(MacN(2), MacN(1), {}, ETH_TYPE_IPV4, 0);
    std::vector<uint8_t> ip = { 0x45, 0xb8, 0, (uint8_t)(20 + l4.size()), 0, 1,
                                (uint8_t)(frag >> 8), (uint8_t)frag, 64, proto, 0, 0,
                                10, 0, 0, 1, 192, 168, 7, 9 };
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), l4.begin(), l4.end());
    return f;
}

TEST(FlowExtract, Ipv4TcpPortsAndToS)
{
    Extracted e = Extract(Ipv4Frame(6, 0x4000, { 0x30, 0x39, 0x00, 0x50, 0, 0, 0, 0 }));
    ASSERT_EQ(e.rc, 0);
    EXPECT_EQ(e.key.nw_src, 0x0a000001u);
    EXPECT_EQ(e.key.nw_dst, 0xc0a80709u);
    EXPECT_EQ(e.key.nw_proto, 6);
    EXPECT_EQ(e.key.nw_tos, 0xb8);
    EXPECT_EQ(e.key.nw_frag, 0) << "DF alone is no fragment";
    EXPECT_EQ(e.key.tp_src, 12345);
    EXPECT_EQ(e.key.tp_dst, 80);
    char buf[256];
    flow_key_format(&e.key, nullptr, buf, sizeof buf);
    EXPECT_STREQ(buf, "in_port=7,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,novlan,"
                      "dl_type=0x0800,ipv4(src=10.0.0.1,dst=192.168.7.9,proto=6,tos=0xb8,"
                      "frag=no),tcp(src=12345,dst=80)");
}

TEST(FlowExtract, LaterFragmentsHaveNoPorts)
{
    Extracted first = Extract(Ipv4Frame(17, 0x2000, { 0, 53, 0, 54, 0, 8, 0, 0 }));
    EXPECT_EQ(first.key.nw_frag, FLOW_FRAG_ANY);
    EXPECT_EQ(first.key.tp_dst, 54);
    Extracted later = Extract(Ipv4Frame(17, 0x0010, { 0, 53, 0, 54, 0, 8, 0, 0 }));
    EXPECT_EQ(later.key.nw_frag, FLOW_FRAG_ANY | FLOW_FRAG_LATER);
    EXPECT_EQ(later.key.tp_src, 0);
    EXPECT_EQ(later.key.tp_dst, 0);
}

TEST(FlowExtract, TruncatedHeadersLeaveTheirFieldsZero)
{
    std::vector<uint8_t> f = Ipv4Frame(6, 0, { 0x30, 0x39, 0x00, 0x50 });
    for (size_t len = 14; len < f.size(); len++) {
        Extracted e = Extract(std::vector<uint8_t>(f.begin(), f.begin() + len));
        ASSERT_EQ(e.rc, 0) << len;
        EXPECT_EQ(e.key.tp_dst, 0) << len;
        if (len < 34) {
            EXPECT_EQ(e.key.nw_src, 0u) << len;
        }
    }
    // A header length larger than the frame: no L3 fields at all.
    f[14] = 0x4f;
    EXPECT_EQ(Extract(f).key.nw_proto, 0);
}

TEST(FlowExtract, ArpUnderAVlanTag)
{
    std::vector<uint8_t> f = Frame(kBroadcast, MacN(1), { { 0x8100, 5 } }, ETH_TYPE_ARP, 0);
    std::vector<uint8_t> arp = { 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
                                 0, 0, 0, 0, 0, 0, 10, 0, 0, 2 };
    f.insert(f.end(), arp.begin(), arp.end());
    Extracted e = Extract(f);
    ASSERT_EQ(e.rc, 0);
    EXPECT_EQ(e.key.dl_type, ETH_TYPE_ARP);
    EXPECT_EQ(e.key.nw_proto, 1) << "the opcode";
    EXPECT_EQ(e.key.nw_src, 0x0a000001u);
    EXPECT_EQ(e.key.nw_dst, 0x0a000002u);
    EXPECT_EQ(memcmp(e.key.arp_sha, MacN(1).data(), 6), 0);
}

TEST(FlowExtract, Ipv6ExtensionHeadersAndNeighbourSolicitation)
{
    std::vector<uint8_t> f = Frame(MacN(2), MacN(1), {}, ETH_TYPE_IPV6, 0);
    std::vector<uint8_t> ip = { 0x6a, 0xb1, 0x23, 0x45, 0, 40, 0 /* hop-by-hop */, 255 };
    for (int i = 0; i < 32; i++)
        ip.push_back((uint8_t)(i < 16 ? 0xfe : 0x20 + i));
    // Hop-by-hop (8 bytes), then ICMPv6 neighbour solicitation with a source link-layer
    // address option.
    std::vector<uint8_t> hop = { 58, 0, 1, 4, 0, 0, 0, 0 };
    std::vector<uint8_t> ns = { 135, 0, 0, 0, 0, 0, 0, 0 };
    for (int i = 0; i < 16; i++)
        ns.push_back((uint8_t)(0x80 + i));
    std::vector<uint8_t> opt = { 1, 1, 2, 0, 0, 0, 0, 9 };
    for (auto *part : { &ip, &hop, &ns, &opt })
        f.insert(f.end(), part->begin(), part->end());
    Extracted e = Extract(f);
    ASSERT_EQ(e.rc, 0);
    EXPECT_EQ(e.key.nw_proto, 58);
    EXPECT_EQ(e.key.nw_tos, 0xab);
    EXPECT_EQ(e.key.ipv6_label, 0x12345u);
    EXPECT_EQ(e.key.tp_src, 135);
    EXPECT_EQ(e.key.nd_target[15], 0x8f);
    EXPECT_EQ(e.key.arp_sha[5], 9);
    EXPECT_EQ(e.key.ipv6_dst[15], 0x20 + 31);
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
