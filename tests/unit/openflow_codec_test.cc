// The OpenFlow codec: messages of both versions encoded and decoded back, every kind of bad
// input refused with the error OpenFlow names for it, hello version bitmaps, multipart replies
// split at 64 KB, and ovs-ofctl's flow syntax read and printed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "openflow/ofp.h"
#include "openflow/text.h"
}

namespace {

std::vector<uint8_t> Bytes(const ofbuf &b)
{
    return std::vector<uint8_t>(b.data, b.data + b.len);
}

of_flow_mod Parse(const std::string &text, int command = OFPFC_ADD)
{
    of_flow_mod fm;
    char err[256] = "";
    int rc = of_flow_parse(text.c_str(), command, &fm, nullptr, nullptr, err, sizeof err);
    EXPECT_EQ(rc, 0) << text << ": " << err;
    return fm;
}

std::string ParseError(const std::string &text, int command = OFPFC_ADD)
{
    of_flow_mod fm;
    char err[256] = "";
    if (of_flow_parse(text.c_str(), command, &fm, nullptr, nullptr, err, sizeof err) == 0) {
        of_instructions_free(&fm.insts);
        return "(parsed)";
    }
    return err;
}

std::string Format(const of_flow_mod &fm)
{
    ofbuf b;
    ofbuf_init(&b);
    of_match_format(&b, &fm.match, fm.priority, nullptr, nullptr);
    of_text_printf(&b, " actions=");
    of_instructions_format(&b, &fm.insts, nullptr, nullptr);
    std::string s = of_text(&b);
    ofbuf_free(&b);
    return s;
}

std::vector<uint8_t> EncodeFlowMod(uint8_t version, const of_flow_mod &fm)
{
    ofbuf b;
    ofbuf_init(&b);
    EXPECT_EQ(of_encode_flow_mod(&b, version, 42, &fm), 0);
    std::vector<uint8_t> out = Bytes(b);
    ofbuf_free(&b);
    return out;
}

// Decodes `bytes`; returns the error (OFPERR_NONE on success, the message then in *msg).
ofperr Decode(const std::vector<uint8_t> &bytes, of_msg *msg)
{
    return of_msg_decode(bytes.data(), bytes.size(), msg);
}

ofperr DecodeError(const std::vector<uint8_t> &bytes)
{
    of_msg msg;
    ofperr err = Decode(bytes, &msg);
    if (!err)
        of_msg_free(&msg);
    return err;
}

void SetLength(std::vector<uint8_t> &m)
{
    m[2] = (uint8_t)(m.size() >> 8);
    m[3] = (uint8_t)m.size();
}

// The flow text `text` goes through the wire of `version` and prints as `expect`.
void RoundTrip(uint8_t version, const std::string &text, const std::string &expect)
{
    of_flow_mod fm = Parse(text);
    std::vector<uint8_t> wire = EncodeFlowMod(version, fm);
    of_instructions_free(&fm.insts);
    of_msg msg;
    ASSERT_EQ(Decode(wire, &msg), OFPERR_NONE) << text;
    ASSERT_EQ(msg.type, OFM_FLOW_MOD);
    EXPECT_EQ(msg.xid, 42u);
    EXPECT_EQ(Format(msg.flow_mod), expect) << "version " << (int)version;
    of_msg_free(&msg);
}

TEST(OpenflowText, ParsesAndPrintsTheSpecManagementFlows)
{
    // CFG-11's four flows, as the XenServer plugin adds them.
    const char *flows[][2] = {
        { "idle_timeout=0,priority=0,in_port=3,arp,nw_proto=1,actions=local",
          "priority=0,arp,in_port=3,arp_op=1 actions=LOCAL" },
        { "idle_timeout=0,priority=0,in_port=local,arp,dl_src=00:16:3e:01:02:03,actions=3",
          "priority=0,arp,in_port=LOCAL,dl_src=00:16:3e:01:02:03 actions=output:3" },
        { "idle_timeout=0,priority=0,in_port=3,dl_dst=00:16:3e:01:02:03,actions=local",
          "priority=0,in_port=3,dl_dst=00:16:3e:01:02:03 actions=LOCAL" },
        { "idle_timeout=0,priority=0,in_port=local,dl_src=00:16:3e:01:02:03,actions=3",
          "priority=0,in_port=LOCAL,dl_src=00:16:3e:01:02:03 actions=output:3" },
    };
    for (auto &f : flows) {
        RoundTrip(OFP10_VERSION, f[0], f[1]);
        RoundTrip(OFP13_VERSION, f[0], f[1]);
    }
}

TEST(OpenflowText, L3L4FieldsMasksAndActionsSurviveBothVersions)
{
    RoundTrip(OFP13_VERSION,
              "priority=100,tcp,nw_src=10.0.0.0/8,nw_dst=192.168.1.1,tp_dst=80,"
              "actions=mod_dl_dst:02:00:00:00:00:01,mod_nw_dst:10.1.1.1,mod_tp_dst:8080,output:2",
              "priority=100,tcp,nw_src=10.0.0.0/8,nw_dst=192.168.1.1,tp_dst=80 "
              "actions=set_field:02:00:00:00:00:01->eth_dst,set_field:10.1.1.1->ipv4_dst,"
              "set_field:8080->tcp_dst,output:2");
    RoundTrip(OFP10_VERSION,
              "priority=100,udp,nw_src=10.0.0.0/8,tp_src=53,actions=mod_vlan_vid:10,2",
              "priority=100,udp,nw_src=10.0.0.0/8,tp_src=53 actions=mod_vlan_vid:10,output:2");
    RoundTrip(OFP13_VERSION,
              "table=1,priority=5,ipv6,ipv6_src=2001:db8::/32,actions=push_vlan:0x8100,"
              "set_field:5->vlan_vid,output:3",
              "priority=5,ipv6,ipv6_src=2001:db8::/32 actions=push_vlan:0x8100,"
              "set_field:4101->vlan_vid,output:3");
    RoundTrip(OFP13_VERSION,
              "dl_vlan=7,dl_vlan_pcp=3,dl_src=00:00:00:00:00:01/ff:ff:ff:00:00:00,"
              "actions=strip_vlan,write_actions(output:4),write_metadata:0x5/0xff,goto_table:3",
              "dl_vlan=7,dl_vlan_pcp=3,dl_src=00:00:00:00:00:00/ff:ff:ff:00:00:00 "
              "actions=strip_vlan,write_actions(output:4),write_metadata:0x5/0xff,goto_table:3");
    RoundTrip(OFP13_VERSION, "icmp6,icmp_type=135,nd_target=fe80::1,actions=controller:128",
              "icmp6,icmp_type=135,nd_target=fe80::1 actions=CONTROLLER:128");
    RoundTrip(OFP13_VERSION, "arp,arp_tpa=10.0.0.1,arp_sha=00:11:22:33:44:55,actions=normal",
              "arp,arp_tpa=10.0.0.1,arp_sha=00:11:22:33:44:55 actions=NORMAL");
    RoundTrip(OFP13_VERSION, "vlan_tci=0,actions=drop", "vlan_tci=0x0000 actions=drop");
}

TEST(OpenflowText, RefusesWhatOvsOfctlRefuses)
{
    EXPECT_EQ(ParseError("tp_dst=80,actions=drop"),
              "tcp_dst: matching it requires tcp or tcp6");
    EXPECT_EQ(ParseError("nw_src=10.0.0.1,actions=drop"),
              "ipv4_src: matching it requires ip (dl_type=0x0800)");
    EXPECT_EQ(ParseError("bogus=1,actions=drop"), "unknown field 'bogus'");
    EXPECT_EQ(ParseError("in_port=1"), "must specify an action (actions=...)");
    EXPECT_EQ(ParseError("in_port=1,actions=frobnicate"), "unknown action 'frobnicate'");
    EXPECT_EQ(ParseError("dl_vlan=5000,actions=drop"),
              "dl_vlan: '5000' is not a VLAN (0..4095, or 0xffff for none)");
    EXPECT_EQ(ParseError("in_port=1,actions=mod_nw_dst:10.0.0.1"),
              "actions do not fit the match (OFPBAC_MATCH_INCONSISTENT): a field is set that "
              "the match does not say the packet has");
    EXPECT_EQ(ParseError("table=3,actions=goto_table:2"),
              "goto_table:2 must name a later table than 3");
    EXPECT_EQ(ParseError("in_port=1,actions=drop", OFPFC_DELETE),
              "actions are not allowed when deleting flows");
    EXPECT_EQ(ParseError("in_port=eth1,actions=drop"), "in_port: 'eth1' is not a valid value");
}

TEST(OpenflowCodec, HelloCarriesAVersionBitmap)
{
    ofbuf b;
    ofbuf_init(&b);
    ASSERT_EQ(of_encode_hello(&b, OFP13_VERSION, 1, OF_VERSIONS_ALL), 0);
    of_msg msg;
    ASSERT_EQ(Decode(Bytes(b), &msg), OFPERR_NONE);
    EXPECT_EQ(msg.type, OFM_HELLO);
    EXPECT_EQ(msg.hello_versions, OF_VERSIONS_ALL);
    // A hello of a version vsw does not speak still decodes: negotiation needs it.
    std::vector<uint8_t> v15 = { 0x06, 0, 0, 8, 0, 0, 0, 9 };
    ASSERT_EQ(Decode(v15, &msg), OFPERR_NONE);
    EXPECT_EQ(msg.hello_versions, 0x7eu) << "versions 1..6 without a bitmap";
    ofbuf_free(&b);
}

TEST(OpenflowCodec, RefusesTruncatedLyingAndUnknownMessages)
{
    EXPECT_EQ(DecodeError({ 0x04, 5, 0 }), OFPERR_BAD_LEN);
    EXPECT_EQ(DecodeError({ 0x04, 5, 0, 16, 0, 0, 0, 1 }), OFPERR_BAD_LEN) << "length lies";
    EXPECT_EQ(DecodeError({ 0x04, 5, 0, 4, 0, 0, 0, 1 }), OFPERR_BAD_LEN);
    EXPECT_EQ(DecodeError({ 0x04, 99, 0, 8, 0, 0, 0, 1 }), OFPERR_BAD_TYPE);
    EXPECT_EQ(DecodeError({ 0x02, 5, 0, 8, 0, 0, 0, 1 }), OFPERR_BAD_VERSION);
    EXPECT_EQ(DecodeError({ 0x01, 24, 0, 8, 0, 0, 0, 1 }), OFPERR_BAD_TYPE)
        << "1.0 has no role request";
    EXPECT_EQ(DecodeError({ 0x04, 5, 0, 9, 0, 0, 0, 1, 0 }), OFPERR_BAD_LEN)
        << "a features request has no body";
    // Every prefix of a valid flow-mod fails cleanly (no read past the end), except those
    // that end where a shorter valid message would: 1.0 without actions or with one, 1.3
    // without instructions (48 bytes and a 32-byte match).
    of_flow_mod fm = Parse("tcp,nw_dst=10.0.0.1,tp_dst=22,actions=output:1,output:2");
    for (uint8_t version : { OFP10_VERSION, OFP13_VERSION }) {
        std::vector<uint8_t> wire = EncodeFlowMod(version, fm);
        std::vector<size_t> valid;
        for (size_t len = 0; len < wire.size(); len++) {
            std::vector<uint8_t> cut(wire.begin(), wire.begin() + len);
            if (len >= 4)
                SetLength(cut);
            if (DecodeError(cut) == OFPERR_NONE)
                valid.push_back(len);
        }
        std::vector<size_t> expect = version == OFP10_VERSION ? std::vector<size_t>{ 72, 80 }
                                                              : std::vector<size_t>{ 80 };
        EXPECT_EQ(valid, expect);
    }
    of_instructions_free(&fm.insts);
}

TEST(OpenflowCodec, RefusesBadMatchesWithTheirErrors)
{
    of_flow_mod fm = Parse("tcp,tp_dst=22,actions=output:1");
    std::vector<uint8_t> wire = EncodeFlowMod(OFP13_VERSION, fm);
    of_instructions_free(&fm.insts);
    // The OXM fields start at 48 + 4: eth_type, ip_proto, tcp_dst. Turn ip_proto into udp's:
    // tcp_dst then lacks its prerequisite.
    size_t proto_at = 52 + 6 + 4;
    ASSERT_EQ(wire[proto_at - 2], (10 << 1));
    wire[proto_at] = 17;
    EXPECT_EQ(DecodeError(wire), OFPERR_MATCH_BAD_PREREQ);
    wire[proto_at] = 6;
    // tcp_dst (2 bytes, after eth_type and ip_proto) made a second eth_type.
    wire[52 + 6 + 5 + 2] = 5 << 1;
    EXPECT_EQ(DecodeError(wire), OFPERR_MATCH_DUP_FIELD);
    wire[52 + 6 + 5 + 2] = 14 << 1;
    EXPECT_EQ(DecodeError(wire), OFPERR_NONE);
    // A mask on eth_type, which takes none (length doubled to stay consistent).
    std::vector<uint8_t> masked = wire;
    masked[52 + 2] = (5 << 1) | 1;
    EXPECT_EQ(DecodeError(masked), OFPERR_MATCH_BAD_LEN);
    // An unsupported field (MPLS label, 34).
    std::vector<uint8_t> mpls = wire;
    mpls[52 + 2] = 34 << 1;
    EXPECT_EQ(DecodeError(mpls), OFPERR_MATCH_BAD_FIELD);
}

TEST(OpenflowCodec, OpenFlow10DropsFieldsWithoutPrerequisites)
{
    // dl_type wildcarded but nw_src given: 1.0 ignores nw_src, as Open vSwitch does.
    of_flow_mod fm = Parse("ip,nw_src=10.0.0.1,actions=output:1");
    std::vector<uint8_t> wire = EncodeFlowMod(OFP10_VERSION, fm);
    of_instructions_free(&fm.insts);
    wire[8 + 3] |= 1 << 4;   // OFPFW10_DL_TYPE
    of_msg msg;
    ASSERT_EQ(Decode(wire, &msg), OFPERR_NONE);
    EXPECT_EQ(Format(msg.flow_mod), " actions=output:1");
    of_msg_free(&msg);
}

std::vector<uint8_t> FlowModWithActions(const std::vector<uint8_t> &actions)
{
    of_flow_mod fm = Parse("in_port=1,actions=drop");
    std::vector<uint8_t> wire = EncodeFlowMod(OFP13_VERSION, fm);
    of_instructions_free(&fm.insts);
    // An apply-actions instruction holding `actions`.
    size_t len = 8 + actions.size();
    std::vector<uint8_t> inst = { 0, 4, (uint8_t)(len >> 8), (uint8_t)len, 0, 0, 0, 0 };
    inst.insert(inst.end(), actions.begin(), actions.end());
    wire.insert(wire.end(), inst.begin(), inst.end());
    SetLength(wire);
    return wire;
}

std::vector<uint8_t> Output13(uint32_t port)
{
    return { 0, 0, 0, 16, (uint8_t)(port >> 24), (uint8_t)(port >> 16), (uint8_t)(port >> 8),
             (uint8_t)port, 0xff, 0xff, 0, 0, 0, 0, 0, 0 };
}

TEST(OpenflowCodec, RefusesBadActionsWithTheirErrors)
{
    EXPECT_EQ(DecodeError(FlowModWithActions(Output13(2))), OFPERR_NONE);
    EXPECT_EQ(DecodeError(FlowModWithActions(Output13(0))), OFPERR_ACTION_BAD_OUT_PORT);
    EXPECT_EQ(DecodeError(FlowModWithActions(Output13(0xffffff10))), OFPERR_ACTION_BAD_OUT_PORT);
    EXPECT_EQ(DecodeError(FlowModWithActions(Output13(OFPP_TABLE))), OFPERR_ACTION_BAD_OUT_PORT)
        << "OFPP_TABLE is for packet-out only";
    EXPECT_EQ(DecodeError(FlowModWithActions({ 0, 22, 0, 8, 0, 0, 0, 1 })),
              OFPERR_ACTION_BAD_OUT_GROUP)
        << "no group table";
    EXPECT_EQ(DecodeError(FlowModWithActions({ 0, 24, 0, 8, 0, 0, 0, 0 })),
              OFPERR_ACTION_BAD_TYPE)
        << "dec_nw_ttl";
    std::vector<uint8_t> long_output = Output13(2);
    long_output[3] = 24;
    long_output.resize(24);
    EXPECT_EQ(DecodeError(FlowModWithActions(long_output)), OFPERR_ACTION_BAD_LEN);
    // set_field ipv4_dst with a match that does not say IPv4.
    std::vector<uint8_t> set_ip = { 0, 25, 0, 16, 0x80, 0, 12 << 1, 4, 10, 0, 0, 1, 0, 0, 0, 0 };
    EXPECT_EQ(DecodeError(FlowModWithActions(set_ip)), OFPERR_ACTION_MATCH_INCONSISTENT);
    // A 64 KB list of outputs is fine.
    std::vector<uint8_t> many;
    while (many.size() + 16 <= 65535 - 64)
        for (uint8_t b : Output13(1 + many.size() / 16 % 100))
            many.push_back(b);
    std::vector<uint8_t> big = FlowModWithActions(many);
    ASSERT_LE(big.size(), 65535u);
    of_msg msg;
    ASSERT_EQ(Decode(big, &msg), OFPERR_NONE);
    EXPECT_EQ(msg.flow_mod.insts.apply_actions.n, many.size() / 16);
    of_msg_free(&msg);
}

TEST(OpenflowCodec, GotoTableMustGoForward)
{
    of_flow_mod fm = Parse("table=2,actions=goto_table:3");
    std::vector<uint8_t> wire = EncodeFlowMod(OFP13_VERSION, fm);
    of_instructions_free(&fm.insts);
    EXPECT_EQ(DecodeError(wire), OFPERR_NONE);
    wire[8 + 16] = 3;   // table_id 3, goto 3
    EXPECT_EQ(DecodeError(wire), OFPERR_INST_BAD_TABLE_ID);
}

TEST(OpenflowCodec, ErrorsMapToEachVersionsWire)
{
    uint16_t type, code;
    ofperr_to_wire(OFPERR_MATCH_BAD_PREREQ, OFP13_VERSION, &type, &code);
    EXPECT_EQ(type, 4);
    EXPECT_EQ(code, 9);
    ofperr_to_wire(OFPERR_FLOW_MOD_TABLE_FULL, OFP10_VERSION, &type, &code);
    EXPECT_EQ(type, 3);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(ofperr_from_wire(OFP13_VERSION, 2, 9), OFPERR_ACTION_BAD_OUT_GROUP);
    ofbuf b;
    ofbuf_init(&b);
    uint8_t request[100] = { 0x04, 14 };
    ASSERT_EQ(of_encode_error(&b, OFP13_VERSION, 7, OFPERR_BAD_TYPE, request, sizeof request), 0);
    EXPECT_EQ(b.len, 12u + 64) << "the error carries the request's first 64 bytes";
    of_msg msg;
    ASSERT_EQ(Decode(Bytes(b), &msg), OFPERR_NONE);
    EXPECT_EQ(msg.error.err, OFPERR_BAD_TYPE);
    ofbuf_free(&b);
}

TEST(OpenflowCodec, LongFlowStatsRepliesSplitWithTheMoreFlag)
{
    std::vector<of_flow_stats> flows(3000);
    for (size_t i = 0; i < flows.size(); i++) {
        of_flow_mod fm = Parse("ip,nw_dst=10.0.0." + std::to_string(i % 250) +
                               ",actions=output:" + std::to_string(1 + i % 7));
        memset(&flows[i], 0, sizeof flows[i]);
        flows[i].match = fm.match;
        flows[i].insts = fm.insts;
        flows[i].priority = (uint16_t)i;
        flows[i].packet_count = i;
    }
    of_multipart mp;
    memset(&mp, 0, sizeof mp);
    mp.type = OFPMP_FLOW;
    mp.n = flows.size();
    mp.flows = flows.data();
    for (uint8_t version : { OFP10_VERSION, OFP13_VERSION }) {
        ofbuf b;
        ofbuf_init(&b);
        ASSERT_EQ(of_encode_multipart_reply(&b, version, 9, &mp), 0);
        size_t seen = 0, messages = 0;
        for (size_t at = 0; at < b.len;) {
            size_t len = (size_t)b.data[at + 2] << 8 | b.data[at + 3];
            of_msg msg;
            ASSERT_EQ(of_msg_decode(b.data + at, len, &msg), OFPERR_NONE);
            bool last = at + len == b.len;
            EXPECT_EQ(msg.mp.flags & OFPMPF_MORE, last ? 0 : OFPMPF_MORE);
            for (size_t i = 0; i < msg.mp.n; i++)
                EXPECT_EQ(msg.mp.flows[i].priority, seen + i);
            seen += msg.mp.n;
            messages++;
            of_msg_free(&msg);
            at += len;
        }
        EXPECT_EQ(seen, flows.size());
        EXPECT_GT(messages, 2u);
        ofbuf_free(&b);
    }
    for (auto &f : flows)
        of_instructions_free(&f.insts);
}

TEST(OpenflowCodec, PacketInAndPortStatusRoundTrip)
{
    uint8_t frame[60] = { 1, 2, 3, 4, 5, 6 };
    of_packet_in pi;
    memset(&pi, 0, sizeof pi);
    pi.buffer_id = OFP_NO_BUFFER;
    pi.total_len = 60;
    pi.reason = OFPR_ACTION;
    pi.table_id = 3;
    pi.cookie = 0xabc;
    of_match_set_exact_u32(&pi.match, MF_IN_PORT, 7);
    pi.data = frame;
    pi.len = sizeof frame;
    for (uint8_t version : { OFP10_VERSION, OFP13_VERSION }) {
        ofbuf b;
        ofbuf_init(&b);
        ASSERT_EQ(of_encode_packet_in(&b, version, 0, &pi), 0);
        of_port port;
        memset(&port, 0, sizeof port);
        port.port_no = OFPP_LOCAL;
        strcpy(port.name, "br0");
        ASSERT_EQ(of_encode_port_status(&b, version, 0, OFPPR_ADD, &port), 0);
        of_msg msg;
        size_t first = (size_t)b.data[2] << 8 | b.data[3];
        ASSERT_EQ(of_msg_decode(b.data, first, &msg), OFPERR_NONE);
        EXPECT_EQ(of_match_value(&msg.packet_in.match, MF_IN_PORT), 7u);
        EXPECT_EQ(msg.packet_in.len, sizeof frame);
        EXPECT_EQ(msg.packet_in.data[5], 6);
        ASSERT_EQ(of_msg_decode(b.data + first, b.len - first, &msg), OFPERR_NONE);
        EXPECT_EQ(msg.port_status.port.port_no, OFPP_LOCAL);
        EXPECT_STREQ(msg.port_status.port.name, "br0");
        ofbuf_free(&b);
    }
}

}  // namespace
