// Software checksum and segmentation for ports without offloads: a TCP GSO frame (IPv4 and
// IPv6, tagged or not) is cut into segments whose headers and checksums a receiver accepts.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "tests/unit/flowd_test_util.h"

extern "C" {
#include "flowd/offload.h"
#include "flowd/packet.h"
}

namespace {

uint16_t Get16(const std::vector<uint8_t> &f, size_t at)
{
    return (uint16_t)(f[at] << 8 | f[at + 1]);
}

uint32_t Get32(const std::vector<uint8_t> &f, size_t at)
{
    return (uint32_t)Get16(f, at) << 16 | Get16(f, at + 2);
}

// A reference checksum, written independently of offload.c: RFC 1071 over 16-bit words.
uint16_t Rfc1071(const std::vector<uint8_t> &data)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < data.size(); i += 2)
        sum += (uint32_t)(data[i] << 8 | (i + 1 < data.size() ? data[i + 1] : 0));
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

// Does the L4 checksum of `f` verify (sum over pseudo-header and segment is 0xffff)?
bool L4ChecksumOk(const std::vector<uint8_t> &f, size_t l3, bool v6, uint8_t proto)
{
    size_t l4 = l3 + (v6 ? 40 : (f[l3] & 0xf) * 4);
    std::vector<uint8_t> buf;
    if (v6)
        buf.insert(buf.end(), f.begin() + (long)l3 + 8, f.begin() + (long)l3 + 40);
    else
        buf.insert(buf.end(), f.begin() + (long)l3 + 12, f.begin() + (long)l3 + 20);
    size_t l4_len = f.size() - l4;
    if (v6) {
        buf.insert(buf.end(), { (uint8_t)(l4_len >> 24), (uint8_t)(l4_len >> 16),
                                (uint8_t)(l4_len >> 8), (uint8_t)l4_len, 0, 0, 0, proto });
    } else {
        buf.insert(buf.end(), { 0, proto, (uint8_t)(l4_len >> 8), (uint8_t)l4_len });
    }
    buf.insert(buf.end(), f.begin() + (long)l4, f.end());
    return Rfc1071(buf) == 0xffff;
}

// An Ethernet frame with IPv4 or IPv6, TCP (flags PSH|ACK|FIN... as given) and `payload`
// bytes counting up; the TCP checksum field holds the pseudo-header sum, as with
// CHECKSUM_PARTIAL.
std::vector<uint8_t> TcpFrame(bool v6, bool tagged, size_t payload, uint8_t flags)
{
    std::vector<uint8_t> f = Frame(MacN(2), MacN(1), {}, 0, 0);
    f.resize(12);
    if (tagged) {
        Put16(f, 0x8100);
        Put16(f, 10);
    }
    Put16(f, v6 ? ETH_TYPE_IPV6 : ETH_TYPE_IPV4);
    size_t l3 = f.size();
    size_t l4_len = 20 + payload;
    if (v6) {
        f.insert(f.end(), { 0x60, 0, 0, 0 });
        Put16(f, (uint16_t)l4_len);
        f.insert(f.end(), { 6, 64 });
        for (int i = 0; i < 32; i++)
            f.push_back((uint8_t)(i < 16 ? 0x20 : 0x30));
    } else {
        f.insert(f.end(), { 0x45, 0 });
        Put16(f, (uint16_t)(20 + l4_len));
        f.insert(f.end(), { 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 });
    }
    size_t l4 = f.size();
    f.insert(f.end(), { 0x30, 0x39, 0x00, 0x50, 0x00, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0x50, flags,
                        0xff, 0xff, 0, 0, 0, 0 });
    for (size_t i = 0; i < payload; i++)
        f.push_back((uint8_t)i);
    // Pseudo-header sum into the checksum field.
    std::vector<uint8_t> ph;
    if (v6) {
        ph.insert(ph.end(), f.begin() + (long)l3 + 8, f.begin() + (long)l3 + 40);
        ph.insert(ph.end(), { 0, 0, (uint8_t)(l4_len >> 8), (uint8_t)l4_len, 0, 0, 0, 6 });
    } else {
        ph.insert(ph.end(), f.begin() + (long)l3 + 12, f.begin() + (long)l3 + 20);
        ph.insert(ph.end(), { 0, 6, (uint8_t)(l4_len >> 8), (uint8_t)l4_len });
    }
    uint16_t pseudo = Rfc1071(ph);
    f[l4 + 16] = (uint8_t)(pseudo >> 8);
    f[l4 + 17] = (uint8_t)pseudo;
    return f;
}

struct Segments {
    std::vector<std::vector<uint8_t>> frames;
    static void Emit(void *aux, const uint8_t *frame, size_t len)
    {
        static_cast<Segments *>(aux)->frames.emplace_back(frame, frame + len);
    }
};

void CheckSegmentation(bool v6, bool tagged)
{
    SCOPED_TRACE(std::string(v6 ? "IPv6" : "IPv4") + (tagged ? " tagged" : ""));
    const size_t payload = 4000, mss = 1448;
    std::vector<uint8_t> f = TcpFrame(v6, tagged, payload, 0x19 /* FIN|PSH|ACK */);
    size_t l3 = tagged ? 18 : 14, l4 = l3 + (v6 ? 40 : 20);
    vnet_hdr vnet = {};
    vnet.flags = VNET_F_NEEDS_CSUM;
    vnet.gso_type = v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
    vnet.gso_size = mss;
    vnet.csum_start = (uint16_t)l4;
    vnet.csum_offset = 16;
    vnet.hdr_len = (uint16_t)(l4 + 20);
    std::vector<uint8_t> scratch(65536);
    Segments segs;
    ASSERT_EQ(offload_segment(f.data(), f.size(), &vnet, scratch.data(), scratch.size(),
                              Segments::Emit, &segs),
              3);
    size_t offset = 0;
    for (size_t i = 0; i < segs.frames.size(); i++) {
        const auto &s = segs.frames[i];
        size_t chunk = std::min(mss, payload - offset);
        ASSERT_EQ(s.size(), l4 + 20 + chunk);
        EXPECT_TRUE(std::equal(s.begin(), s.begin() + (long)l3, f.begin()));   // L2 as is
        if (v6) {
            EXPECT_EQ(Get16(s, l3 + 4), 20 + chunk);
        } else {
            EXPECT_EQ(Get16(s, l3 + 2), 40 + chunk);
            EXPECT_EQ(Get16(s, l3 + 4), 0x1234 + i);   // IP id counts up
            std::vector<uint8_t> ip(s.begin() + (long)l3, s.begin() + (long)l3 + 20);
            EXPECT_EQ(Rfc1071(ip), 0xffff) << "IPv4 header checksum";
        }
        EXPECT_EQ(Get32(s, l4 + 4), 0x1000u + offset);   // sequence number
        bool last = i + 1 == segs.frames.size();
        EXPECT_EQ(s[l4 + 13], last ? 0x19 : 0x10);      // FIN and PSH only on the last
        EXPECT_TRUE(L4ChecksumOk(s, l3, v6, 6));
        EXPECT_TRUE(std::equal(s.begin() + (long)l4 + 20, s.end(),
                               f.begin() + (long)(l4 + 20 + offset)));
        offset += chunk;
    }
}

TEST(Offload, SegmentsTcpOverIpv4) { CheckSegmentation(false, false); }
TEST(Offload, SegmentsTcpOverIpv6) { CheckSegmentation(true, false); }
TEST(Offload, SegmentsTaggedTcp) { CheckSegmentation(false, true); }

TEST(Offload, CompletesAPartialChecksum)
{
    std::vector<uint8_t> f = TcpFrame(false, false, 333, 0x18);
    vnet_hdr vnet = {};
    vnet.flags = VNET_F_NEEDS_CSUM;
    vnet.csum_start = 34;
    vnet.csum_offset = 16;
    EXPECT_FALSE(L4ChecksumOk(f, 14, false, 6));
    ASSERT_EQ(offload_complete_csum(f.data(), f.size(), &vnet), 0);
    EXPECT_TRUE(L4ChecksumOk(f, 14, false, 6));
    vnet.csum_start = (uint16_t)f.size();   // out of the frame: refused
    EXPECT_EQ(offload_complete_csum(f.data(), f.size(), &vnet), -1);
}

TEST(Offload, RefusesWhatItCannotParse)
{
    std::vector<uint8_t> f = Frame(MacN(2), MacN(1), {}, 0x0806, 100);
    vnet_hdr vnet = {};
    vnet.gso_type = VNET_GSO_TCPV4;
    vnet.gso_size = 1000;
    std::vector<uint8_t> scratch(65536);
    Segments segs;
    EXPECT_EQ(offload_segment(f.data(), f.size(), &vnet, scratch.data(), scratch.size(),
                              Segments::Emit, &segs),
              -1);
    std::vector<uint8_t> tcp = TcpFrame(false, false, 100, 0x10);
    vnet.gso_type = VNET_GSO_UDP_L4;   // says UDP, is TCP
    EXPECT_EQ(offload_segment(tcp.data(), tcp.size(), &vnet, scratch.data(), scratch.size(),
                              Segments::Emit, &segs),
              -1);
    EXPECT_TRUE(segs.frames.empty());
}

TEST(Offload, ChecksumHelpers)
{
    const uint8_t data[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                             0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
    EXPECT_EQ((uint16_t)~csum_fold(csum_add(0, data, sizeof data)), 0xb861);  // RFC 1071 example
}

}  // namespace
