// vsw-flowd's data plane with real packets: the real daemons under the real supervisor, network
// namespaces joined by veth pairs (offloads left on), flowd driven over its channel as
// vsw-switchd will drive it. Ping and TCP, VLAN isolation and trunk tags, MAC moves, port
// deletion, flowd's restart, MAC learning and aging at scale, floods, and the channel's
// refusals.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>

#include "tests/integration/flowd_client.h"
#include "tests/integration/harness.h"
#include "tests/integration/netns.h"

namespace {

using Clock = std::chrono::steady_clock;

bool WaitUntil(const std::function<bool()> &condition, int timeout_ms, int step_ms = 20)
{
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
    }
    return condition();
}

MacAddr MacN(uint32_t n, uint8_t tag = 0xaa)
{
    return { 0x02, tag, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
}

const MacAddr kBroadcast = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

// A namespace with one veth whose host end is a port of the datapath.
struct Host {
    std::unique_ptr<Netns> ns;
    std::unique_ptr<Veth> veth;
    uint32_t port_no;
};

class Dataplane : public ::testing::Test {
  protected:
    static void SetUpTestSuite()
    {
        RemoveLeftovers();
        vsw_ = new VswInstance();
        CommandResult r = vsw_->Ctl("start");
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    static void TearDownTestSuite()
    {
        delete vsw_;
        vsw_ = nullptr;
        RemoveLeftovers();
    }
    void SetUp() override
    {
        ASSERT_TRUE(vsw_->WaitAllUp(5000)) << vsw_->Vsw("status").output;
        flowd_ = std::make_unique<FlowdClient>(vsw_->rundir());
        flowd_pid_ = vsw_->Pid("flowd");
        dp_ = UniqueName("dtbr");
        ASSERT_EQ(flowd_->AddDatapath(dp_), "");
    }
    void TearDown() override
    {
        if (flowd_)
            flowd_->DelDatapath(dp_);
        flowd_.reset();
        // Everything the test made flowd do passed its seccomp filter: a forbidden call would
        // have killed it (SIGSYS) and the supervisor would have started another.
        if (flowd_pid_ > 0) {
            EXPECT_EQ(vsw_->Pid("flowd"), flowd_pid_) << "vsw-flowd died during the test";
        }
    }

    Host AddHost(uint32_t port_no, const std::string &cidr)
    {
        Host h;
        h.ns = std::make_unique<Netns>();
        h.veth = std::make_unique<Veth>(*h.ns, cidr);
        h.port_no = port_no;
        EXPECT_EQ(flowd_->AddPort(dp_, h.veth->host(), port_no), "");
        return h;
    }

    bool Ping(const Host &from, const std::string &ip, int count = 1)
    {
        return from.ns->Exec("ping -c " + std::to_string(count) + " -i 0.05 -W 1 " + ip) == 0;
    }

    static VswInstance *vsw_;
    std::unique_ptr<FlowdClient> flowd_;
    std::string dp_;
    int flowd_pid_ = -1;   // -1: the test restarts flowd on purpose
};
VswInstance *Dataplane::vsw_ = nullptr;

// Gbit/s received, from iperf3's JSON, or -1.
double Iperf(const Netns &client, const Netns &server, const std::string &server_ip, int seconds,
             const std::string &extra = "")
{
    server.Exec("iperf3 -s -1 -D");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::string out;
    client.Exec("iperf3 -c " + server_ip + " -t " + std::to_string(seconds) + " " + extra +
                        " -J | python3 -c 'import json,sys; "
                        "print(json.load(sys.stdin)[\"end\"][\"sum_received\"][\"bits_per_second\"]/1e9)'",
                    &out);
    return out.empty() ? -1 : atof(out.c_str());
}

TEST_F(Dataplane, PingAndTcpAcrossTheBridgeWithOffloadsOn)
{
    Host a = AddHost(1, "10.91.0.1/24"), b = AddHost(2, "10.91.0.2/24");
    std::string features;
    a.ns->Exec("ethtool -k " + a.veth->peer(), &features);
    ASSERT_NE(features.find("tx-checksumming: on"), std::string::npos) << features;
    ASSERT_NE(features.find("tcp-segmentation-offload: on"), std::string::npos) << features;
    ASSERT_TRUE(Ping(a, "10.91.0.2", 3));
    double gbps = Iperf(*a.ns, *b.ns, "10.91.0.2", 2);
    EXPECT_GT(gbps, 1.0) << "TCP through the bridge with offloads on";
    printf("TCP a->b: %.2f Gbit/s\n", gbps);
    // The traffic went through the cache: flows with counters, both MACs learned.
    std::vector<FlowRow> flows = flowd_->Flows(dp_);
    uint64_t packets = 0;
    for (const auto &f : flows)
        packets += f.packets;
    EXPECT_GT(packets, 1000u);
    std::vector<FdbRow> fdb = flowd_->Fdb(dp_);
    EXPECT_EQ(fdb.size(), 2u);
}

TEST_F(Dataplane, TcpToInternalPortsWithAndWithoutOffloads)
{
    Host a = AddHost(1, "10.92.0.1/24");
    // The bridge's own port and an internal port without offloads, moved into namespaces.
    Netns local_ns, plain_ns;
    std::string plain = UniqueName("vdt");
    ASSERT_EQ(flowd_->AddPort(dp_, dp_, 65534, true), "");
    ASSERT_EQ(flowd_->AddPort(dp_, plain, 7, true, 1400, true), "");
    ASSERT_EQ(Shell("ip link set " + dp_ + " netns " + local_ns.name()).exit_code, 0);
    ASSERT_EQ(Shell("ip link set " + plain + " netns " + plain_ns.name()).exit_code, 0);
    local_ns.Exec("ip addr add 10.92.0.2/24 dev " + dp_);
    local_ns.Exec("ip link set " + dp_ + " up");
    plain_ns.Exec("ip addr add 10.92.0.3/24 dev " + plain);
    plain_ns.Exec("ip link set " + plain + " up");
    std::string mtu;
    plain_ns.Exec("cat /sys/class/net/" + plain + "/mtu", &mtu);
    EXPECT_EQ(atoi(mtu.c_str()), 1400) << "mtu_request";
    ASSERT_TRUE(Ping(a, "10.92.0.2", 2));
    ASSERT_TRUE(Ping(a, "10.92.0.3", 2));
    // veth (GSO, partial checksums) -> tap with virtio-net headers, and back.
    double to_tap = Iperf(*a.ns, local_ns, "10.92.0.2", 1);
    double from_tap = Iperf(*a.ns, local_ns, "10.92.0.2", 1, "-R");
    // veth (GSO) -> tap without offloads: flowd segments and checksums in software.
    double to_plain = Iperf(*a.ns, plain_ns, "10.92.0.3", 1);
    double from_plain = Iperf(*a.ns, plain_ns, "10.92.0.3", 1, "-R");
    printf("TCP veth->tap %.2f, tap->veth %.2f, veth->plain tap %.2f, plain tap->veth %.2f Gbit/s\n",
           to_tap, from_tap, to_plain, from_plain);
    EXPECT_GT(to_tap, 0.5);
    EXPECT_GT(from_tap, 0.5);
    EXPECT_GT(to_plain, 0.1);
    EXPECT_GT(from_plain, 0.1);
    ASSERT_EQ(flowd_->DelPort(dp_, plain), "");
    ASSERT_EQ(flowd_->DelPort(dp_, dp_), "");
}

// How many captured frames have destination `dst` and outer VID `vid` (-1: untagged).
size_t Count(const std::vector<std::vector<uint8_t>> &frames, const MacAddr &dst, int vid)
{
    size_t n = 0;
    for (const auto &f : frames)
        n += std::equal(dst.begin(), dst.end(), f.begin()) && FrameVid(f) == vid;
    return n;
}

TEST_F(Dataplane, VlanIsolationAndTrunkTags)
{
    // (This kernel has no 8021q module, so the trunk's namespace speaks raw tagged frames.)
    Host a = AddHost(1, "10.93.0.1/24"), b = AddHost(2, "10.93.0.2/24"), c = AddHost(3, "");
    ASSERT_EQ(flowd_->SetVlan(dp_, a.veth->host(), 10, VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_ACCESS), "");
    ASSERT_EQ(flowd_->SetVlan(dp_, b.veth->host(), 20, VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_ACCESS), "");
    ASSERT_EQ(flowd_->SetVlan(dp_, c.veth->host(), -1, VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_TRUNK,
                              { 10, 20 }),
              "");
    MacAddr mac_a = a.veth->PeerMac(), mac_c = MacN(3, 0xcc);
    {
        Capture at_b(*b.ns, b.veth->peer()), at_c(*c.ns, c.veth->peer());
        // Same subnet, different access VLANs: A's ARP requests never reach B.
        EXPECT_FALSE(Ping(a, "10.93.0.2", 2));
        b.ns->Exec("ping -c 1 -W 1 10.93.0.8");
        std::vector<std::vector<uint8_t>> got_b = at_b.Stop(), got_c = at_c.Stop();
        EXPECT_EQ(Count(got_b, kBroadcast, -1), 0u) << "VLAN 10 broadcasts reached VLAN 20";
        EXPECT_GE(Count(got_c, kBroadcast, 10), 2u) << "A's ARP on the trunk, tagged 10";
        EXPECT_GE(Count(got_c, kBroadcast, 20), 1u) << "B's ARP on the trunk, tagged 20";
        EXPECT_EQ(Count(got_c, kBroadcast, -1), 0u) << "nothing untagged on the trunk";
    }
    // From the trunk: VLAN 10 (with priority 5) reaches A untagged, VLAN 20 reaches B only,
    // VLAN 30 (not trunked) and untagged frames (VLAN 0, not trunked) nobody.
    Capture at_a(*a.ns, a.veth->peer()), at_b(*b.ns, b.veth->peer());
    std::vector<uint8_t> prio10 = EthFrame(mac_a, mac_c, 10);
    prio10[14] |= 5 << 5;
    std::vector<std::vector<uint8_t>> frames = {
        prio10, EthFrame(mac_a, mac_c, 10), EthFrame(kBroadcast, mac_c, 20),
        EthFrame(mac_a, mac_c, 20), EthFrame(kBroadcast, mac_c, 30), EthFrame(kBroadcast, mac_c, -1),
    };
    ASSERT_EQ(SendFrames(*c.ns, c.veth->peer(), frames), frames.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::vector<std::vector<uint8_t>> got_a = at_a.Stop(), got_b = at_b.Stop();
    EXPECT_EQ(Count(got_a, mac_a, -1), 2u) << "VLAN 10 to A, untagged";
    EXPECT_EQ(Count(got_a, kBroadcast, -1), 0u) << "VLAN 20, 30 and 0 broadcasts stay away from A";
    EXPECT_EQ(Count(got_b, kBroadcast, -1), 1u) << "the VLAN 20 broadcast only";
    EXPECT_EQ(Count(got_b, mac_a, -1), 1u) << "A's MAC is unknown in VLAN 20: flooded there";
    EXPECT_EQ(Count(got_a, mac_a, 10) + Count(got_b, mac_a, 20), 0u) << "access ports get no tags";
    // A native-untagged trunk: its native VLAN 10 leaves untagged, VLAN 20 tagged.
    ASSERT_EQ(flowd_->SetVlan(dp_, c.veth->host(), 10,
                              VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_NATIVE_UNTAGGED, { 20 }),
              "");
    Capture at_c(*c.ns, c.veth->peer());
    a.ns->Exec("ping -c 1 -W 1 10.93.0.9");
    b.ns->Exec("ping -c 1 -W 1 10.93.0.9");
    std::vector<std::vector<uint8_t>> got_c = at_c.Stop();
    EXPECT_GE(Count(got_c, kBroadcast, -1), 1u);
    EXPECT_GE(Count(got_c, kBroadcast, 20), 1u);
    EXPECT_EQ(Count(got_c, kBroadcast, 10), 0u);
}

TEST_F(Dataplane, MacMovingToAnotherPortIsFollowed)
{
    Host x = AddHost(1, "10.94.0.1/24"), y = AddHost(2, ""), z = AddHost(3, "10.94.0.3/24");
    ASSERT_TRUE(Ping(z, "10.94.0.1", 2));
    MacAddr mac = x.veth->PeerMac();
    // The host behind port 1 "migrates" to port 2: same MAC and IP, announced from there.
    x.ns->Exec("ip link set " + x.veth->peer() + " down");
    y.ns->Exec("ip link set " + y.veth->peer() + " address " + MacText(mac));
    y.ns->Exec("ip addr add 10.94.0.1/24 dev " + y.veth->peer());
    y.ns->Exec("ping -c 1 -W 1 10.94.0.3");
    bool moved = WaitUntil([&] {
        for (const auto &row : flowd_->Fdb(dp_)) {
            if (row.mac == MacText(mac))
                return row.port_no == 2;
        }
        return false;
    }, 1000);
    EXPECT_TRUE(moved);
    // z still has the MAC in its ARP cache: its frames must now go to port 2.
    EXPECT_TRUE(Ping(z, "10.94.0.1", 3));
    for (const auto &f : flowd_->Flows(dp_)) {
        if (f.match.find("dl_dst=" + MacText(mac)) != std::string::npos &&
            f.match.find("in_port=3") != std::string::npos) {
            EXPECT_EQ(f.actions, "2") << f.match;
        }
    }
}

TEST_F(Dataplane, DeletedPortStopsForwardingWithinOneSecond)
{
    Host a = AddHost(1, "10.95.0.1/24"), b = AddHost(2, "10.95.0.2/24");
    ASSERT_TRUE(Ping(a, "10.95.0.2"));
    a.ns->Exec("sh -c 'ping -i 0.01 -w 4 10.95.0.2 >/dev/null 2>&1 &'");
    ASSERT_TRUE(WaitUntil([&] { return b.veth->PeerCounter("rx_packets") > 50; }, 2000));
    ASSERT_EQ(flowd_->DelPort(dp_, b.veth->host()), "");
    auto deleted = Clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    uint64_t after = b.veth->PeerCounter("rx_packets");
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    EXPECT_EQ(b.veth->PeerCounter("rx_packets"), after)
        << "frames still reach the deleted port "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - deleted).count()
        << " ms after its deletion";
    EXPECT_FALSE(Ping(a, "10.95.0.2"));
}

TEST_F(Dataplane, FlowdKilledIsRestartedAndForwardsAgainOnceConfigured)
{
    Host a = AddHost(1, "10.96.0.1/24"), b = AddHost(2, "10.96.0.2/24");
    ASSERT_TRUE(Ping(a, "10.96.0.2"));
    uint64_t epoch = flowd_->Epoch();
    int pid = vsw_->Pid("flowd");
    ASSERT_GT(pid, 0);
    flowd_pid_ = -1;
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    flowd_.reset();
    // The supervisor restarts it; it has no state and says so with a new epoch. Here the test
    // plays vsw-switchd's part and pushes the configuration again.
    auto killed = Clock::now();
    ASSERT_TRUE(WaitUntil([&] {
        int now = vsw_->Pid("flowd");
        if (now <= 0 || now == pid)
            return false;
        FlowdClient probe(vsw_->rundir());
        uint64_t e = probe.Epoch();
        return e != 0 && e != epoch;
    }, 5000));
    flowd_ = std::make_unique<FlowdClient>(vsw_->rundir());
    EXPECT_EQ(flowd_->StateSnapshot(), "");
    auto pushed = Clock::now();
    ASSERT_EQ(flowd_->AddDatapath(dp_), "");
    ASSERT_EQ(flowd_->AddPort(dp_, a.veth->host(), 1), "");
    ASSERT_EQ(flowd_->AddPort(dp_, b.veth->host(), 2), "");
    EXPECT_TRUE(WaitUntil([&] { return Ping(a, "10.96.0.2"); }, 3000, 1))
        << "forwarding did not resume within 3 s of the configuration push";
    printf("flowd back %lld ms after SIGKILL; forwarding %lld ms after the push\n",
           (long long)std::chrono::duration_cast<std::chrono::milliseconds>(pushed - killed).count(),
           (long long)std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - pushed)
               .count());
}

TEST_F(Dataplane, SwitchdKilledLeavesForwardingAlone)
{
    // The datapath lives in flowd: the control plane going away does not stop packets.
    Host a = AddHost(1, "10.90.0.1/24"), b = AddHost(2, "10.90.0.2/24");
    ASSERT_TRUE(Ping(a, "10.90.0.2"));
    int switchd = vsw_->Pid("switchd");
    ASSERT_GT(switchd, 0);
    ASSERT_EQ(kill(switchd, SIGKILL), 0);
    EXPECT_TRUE(Ping(a, "10.90.0.2", 3));
    EXPECT_TRUE(vsw_->WaitAllUp(3000));
}

TEST_F(Dataplane, ThousandMacsAreLearnedAndAgeOut)
{
    Host a = AddHost(1, ""), b = AddHost(2, "");
    ASSERT_EQ(flowd_->SetOptions(dp_, 2, 0, 0), "");
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t i = 0; i < 1000; i++)
        frames.push_back(EthFrame(kBroadcast, MacN(i)));
    ASSERT_EQ(SendFrames(*a.ns, a.veth->peer(), frames), 1000u);
    size_t learned = 0;
    WaitUntil([&] {
        learned = 0;
        for (const auto &row : flowd_->Fdb(dp_))
            learned += row.mac.compare(0, 5, "02:aa") == 0 && row.port_no == 1;
        return learned == 1000;
    }, 2000);
    EXPECT_EQ(learned, 1000u);
    // mac-aging-time 2 s, aging checked every second: all gone within 4 s.
    auto start = Clock::now();
    EXPECT_TRUE(WaitUntil([&] { return flowd_->Fdb(dp_).empty(); }, 4000, 100));
    printf("1000 MACs aged out in %lld ms\n",
           (long long)std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)
               .count());
    // Traffic matching a cached flow is learned again (from the flow's counters).
    ASSERT_EQ(SendFrames(*a.ns, a.veth->peer(), { frames[5] }), 1u);
    EXPECT_TRUE(WaitUntil([&] {
        std::vector<FdbRow> rows = flowd_->Fdb(dp_);
        return rows.size() == 1 && rows[0].mac == MacText(MacN(5));
    }, 2500, 50));
    // With a table of 100, the last 100 sources stay: the oldest are evicted. (The cache is
    // emptied first so that every frame is learned in order, on the slow path.)
    ASSERT_EQ(flowd_->SetOptions(dp_, 300, 100, 0), "");
    ASSERT_EQ(flowd_->Flush(dp_, true, true), "");
    ASSERT_EQ(SendFrames(*a.ns, a.veth->peer(), frames), 1000u);
    std::vector<FdbRow> fdb;
    WaitUntil([&] {
        fdb = flowd_->Fdb(dp_);
        return fdb.size() == 100 && fdb.back().mac == MacText(MacN(999));
    }, 2000);
    ASSERT_EQ(fdb.size(), 100u);
    EXPECT_EQ(fdb.front().mac, MacText(MacN(900)));
    EXPECT_EQ(fdb.back().mac, MacText(MacN(999)));
}

TEST_F(Dataplane, UnknownUnicastBurstFloodsOnceToEveryOtherPort)
{
    Host a = AddHost(1, ""), b = AddHost(2, ""), c = AddHost(3, "");
    Capture at_a(*a.ns, a.veth->peer()), at_b(*b.ns, b.veth->peer()), at_c(*c.ns, c.veth->peer());
    MacAddr unknown = MacN(7, 0xbb), src = MacN(1, 0xcc);
    std::vector<std::vector<uint8_t>> burst(1000, EthFrame(unknown, src));
    std::vector<std::vector<uint8_t>> reserved(10, EthFrame({ 0x01, 0x80, 0xc2, 0, 0, 0 }, src));
    ASSERT_EQ(SendFrames(*a.ns, a.veth->peer(), burst), 1000u);
    ASSERT_EQ(SendFrames(*a.ns, a.veth->peer(), reserved), 10u);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::vector<std::vector<uint8_t>> got_b = at_b.Stop(), got_c = at_c.Stop(), got_a = at_a.Stop();
    auto matching = [](const std::vector<std::vector<uint8_t>> &frames, const MacAddr &dst) {
        size_t n = 0;
        for (const auto &f : frames)
            n += std::equal(dst.begin(), dst.end(), f.begin());
        return n;
    };
    EXPECT_EQ(matching(got_b, unknown), 1000u) << "each flooded frame exactly once";
    EXPECT_EQ(matching(got_c, unknown), 1000u);
    EXPECT_EQ(matching(got_a, unknown), 0u) << "never back out of the input port";
    EXPECT_EQ(matching(got_b, { 0x01, 0x80, 0xc2, 0, 0, 0 }), 0u) << "802.1D reserved";
}

TEST_F(Dataplane, ChannelRefusesInvalidRequestsAndChangesNothing)
{
    Host a = AddHost(1, "");
    Netns other_ns;
    Veth other(other_ns, "");
    std::string before = flowd_->StateSnapshot();
    struct {
        std::string result;
        std::string expect;
    } cases[] = {
        { flowd_->AddDatapath("much-too-long-bridge"), "name: \"much-too-long-bridge\" is not an interface name" },
        { flowd_->AddDatapath("a/b"), "contains '/'" },
        { flowd_->AddPort(dp_, "eth-none", 0), "port_no: 0 is not a port number" },
        { flowd_->AddPort(dp_, "eth-none", 65280), "port_no: 65280 is not a port number" },
        { flowd_->AddPort("nosuchbr", "eth-none", 5), "datapath: no datapath named nosuchbr" },
        { flowd_->AddPort(dp_, "vdt-missing", 5), "no interface named vdt-missing" },
        { flowd_->AddPort(dp_, a.veth->host(), 2), "already a port of" },
        { flowd_->AddPort(dp_, "vdtother", 1), "port_no: 1 is already port" },
        { flowd_->AddPort(dp_, dp_, 3, true), "must be number 65534" },
        { flowd_->AddPort(dp_, "vdtx", 65534, true), "is the bridge's own port" },
        { flowd_->AddPort(dp_, "vdtx", 9, false, 0, true), "only internal ports" },
        { flowd_->AddPort(dp_, "vdtx", 9, true, 40), "mtu_request: 40 is out of range" },
        { flowd_->AddPort(dp_, other.host(), 9, true), "exists already; an internal port is a new device" },
        { flowd_->SetVlan(dp_, a.veth->host(), 4096, VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_ACCESS),
          "tag: 4096 is out of range (0..4095)" },
        { flowd_->SetVlan(dp_, a.veth->host(), -1, VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_TRUNK, { 1, 5000 }),
          "trunks: VLAN 5000 is out of range" },
        { flowd_->SetVlan(dp_, a.veth->host(), 1, (Vsw__FlowdVlanMode)17), "vlan_mode: 17 is not a value" },
        { flowd_->SetVlan(dp_, "vdtnone", 1, VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_ACCESS), "has no port named vdtnone" },
        { flowd_->SetOptions(dp_, 0, 5, 0), "mac_table_size: 5 is out of range" },
        { flowd_->SetOptions(dp_, 100000, 0, 0), "mac_aging_time: 100000 is out of range" },
        { flowd_->DelPort(dp_, "vdtnone"), "has no port named vdtnone" },
        { flowd_->DelDatapath("nosuchbr"), "no datapath named nosuchbr" },
    };
    for (const auto &c : cases) {
        EXPECT_EQ(c.result.rfind("invalid-argument: ", 0), 0u) << c.result;
        EXPECT_NE(c.result.find(c.expect), std::string::npos) << c.result << "\nexpected: " << c.expect;
    }
    Vsw__FlowdDatapathAdd bad_type = VSW__FLOWD_DATAPATH_ADD__INIT;
    bad_type.name = const_cast<char *>("vdtsys");
    bad_type.type = const_cast<char *>("system");
    EXPECT_NE(flowd_->Call(VSW__FLOWD_TYPE__FLOWD_DATAPATH_ADD, bad_type.base)
                  .find("datapath type \"system\" is not available here (available: netdev)"),
              std::string::npos);
    EXPECT_EQ(flowd_->StateSnapshot(), before);
    // Re-pushing what exists is accepted and changes nothing either.
    EXPECT_EQ(flowd_->AddDatapath(dp_), "");
    EXPECT_EQ(flowd_->AddPort(dp_, a.veth->host(), 1), "");
    EXPECT_EQ(flowd_->StateSnapshot(), before);
}

TEST_F(Dataplane, PortStatusFlowDumpAndFlush)
{
    Host a = AddHost(1, "10.97.0.1/24"), b = AddHost(2, "10.97.0.2/24");
    ASSERT_TRUE(Ping(a, "10.97.0.2", 3));
    Vsw__FlowdPortStatusReply *r = flowd_->PortStatus(dp_);
    ASSERT_NE(r, nullptr);
    ASSERT_EQ(r->n_ports, 2u);
    for (size_t i = 0; i < r->n_ports; i++) {
        const Vsw__FlowdPortStatus *p = r->ports[i];
        SCOPED_TRACE(p->name);
        EXPECT_TRUE(p->admin_up);
        EXPECT_TRUE(p->link_up);
        EXPECT_EQ(p->mtu, 1500u);
        EXPECT_EQ(strlen(p->mac_in_use), 17u);
        EXPECT_GT(p->ifindex, 0);
        EXPECT_FALSE(p->stats_from_switch);
        EXPECT_GE(p->stats->rx_packets, 3u);
        EXPECT_GE(p->stats->tx_packets, 3u);
    }
    protobuf_c_message_free_unpacked(&r->base, nullptr);
    std::vector<FlowRow> flows = flowd_->Flows(dp_);
    ASSERT_FALSE(flows.empty());
    bool unicast = false;
    for (const auto &f : flows) {
        EXPECT_EQ(f.match.rfind("in_port=", 0), 0u) << f.match;
        unicast |= f.actions == "2" && f.packets >= 2 && f.bytes >= 2 * 98;
    }
    EXPECT_TRUE(unicast) << "a flow to port 2 with the pings' counters";
    ASSERT_EQ(flowd_->Flush(dp_, true, true), "");
    EXPECT_TRUE(flowd_->Flows(dp_).empty());
    EXPECT_TRUE(flowd_->Fdb(dp_).empty());
    EXPECT_TRUE(Ping(a, "10.97.0.2"));
}

// A batch of ports answers with each added port's status (what FLOWD_PORT_STATUS says), so
// switchd writes it back without asking again; a refused port gets its error and no status.
TEST_F(Dataplane, PortAddBatchReplyCarriesEachPortsStatus)
{
    std::string ok = UniqueName("vbat"), dup = ok;
    Vsw__FlowdPortAdd ports[2];
    Vsw__FlowdPortAdd *list[2] = { &ports[0], &ports[1] };
    for (int i = 0; i < 2; i++) {
        vsw__flowd_port_add__init(&ports[i]);
        ports[i].datapath = const_cast<char *>(dp_.c_str());
        ports[i].name = const_cast<char *>(i ? dup.c_str() : ok.c_str());
        ports[i].port_no = 40 + static_cast<uint32_t>(i);
        ports[i].kind = VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL;
    }
    Vsw__FlowdPortAddBatch req = VSW__FLOWD_PORT_ADD_BATCH__INIT;
    req.n_ports = 2;
    req.ports = list;
    ProtobufCMessage *reply = nullptr;
    ASSERT_EQ(flowd_->Call(VSW__FLOWD_TYPE__FLOWD_PORT_ADD_BATCH, req.base,
                           &vsw__flowd_port_add_batch_reply__descriptor, &reply),
              "");
    auto *r = reinterpret_cast<Vsw__FlowdPortAddBatchReply *>(reply);
    ASSERT_EQ(r->n_errors, 2u);
    ASSERT_EQ(r->n_statuses, 2u);
    EXPECT_STREQ(r->errors[0], "");
    EXPECT_NE(std::string(r->errors[1]), "") << "the same name twice";
    const Vsw__FlowdPortStatus *st = r->statuses[0];
    EXPECT_STREQ(st->name, ok.c_str());
    EXPECT_EQ(st->port_no, 40u);
    EXPECT_EQ(st->mtu, 1500u);
    EXPECT_EQ(strlen(st->mac_in_use), 17u);
    EXPECT_EQ(static_cast<int>(st->ifindex), atoi(ReadFile("/sys/class/net/" + ok +
                                                           "/ifindex").c_str()));
    EXPECT_STREQ(r->statuses[1]->name, "");
    // The same as a status request says.
    Vsw__FlowdPortStatusReply *sr = flowd_->PortStatus(dp_, ok);
    ASSERT_NE(sr, nullptr);
    ASSERT_EQ(sr->n_ports, 1u);
    EXPECT_EQ(sr->ports[0]->admin_up, st->admin_up);
    EXPECT_EQ(sr->ports[0]->link_up, st->link_up);
    EXPECT_STREQ(sr->ports[0]->mac_in_use, st->mac_in_use);
    EXPECT_EQ(sr->ports[0]->ifindex, st->ifindex);
    EXPECT_STREQ(sr->ports[0]->error, st->error);
    protobuf_c_message_free_unpacked(&sr->base, nullptr);
    protobuf_c_message_free_unpacked(reply, nullptr);
    EXPECT_EQ(flowd_->DelPort(dp_, ok), "");
}

TEST_F(Dataplane, FlowdStaysSandboxedWithPortsAndTaps)
{
    Host a = AddHost(1, "");
    ASSERT_EQ(flowd_->AddPort(dp_, dp_, 65534, true), "");
    int pid = vsw_->Pid("flowd");
    EXPECT_EQ(ProcStatusField(pid, "CapEff"), "0000000000003000");
    EXPECT_EQ(ProcStatusField(pid, "Seccomp"), "2");
    EXPECT_NE(ProcStatusField(pid, "Uid").rfind("0\t", 0), 0u);
    // The /dev/net/tun helper: flowd's child, uid 0 but no capability, seccomp on.
    std::string children = ReadFile("/proc/" + std::to_string(pid) + "/task/" +
                                    std::to_string(pid) + "/children");
    int helper = atoi(children.c_str());
    ASSERT_GT(helper, 0) << "no helper process";
    EXPECT_EQ(ProcStatusField(helper, "CapEff"), "0000000000000000");
    EXPECT_EQ(ProcStatusField(helper, "CapBnd"), "0000000000000000");
    EXPECT_EQ(ProcStatusField(helper, "Seccomp"), "2");
    EXPECT_EQ(ProcStatusField(helper, "NoNewPrivs"), "1");
    ASSERT_EQ(flowd_->DelPort(dp_, dp_), "");
}

// CPU time (user + system, in clock ticks) a process has used.
long CpuTicks(int pid)
{
    std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    size_t end = stat.rfind(')');
    if (end == std::string::npos)
        return -1;
    std::istringstream in(stat.substr(end + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; in >> field; i++) {
        if (i == 14)
            utime = atol(field.c_str());
        if (i == 15) {
            stime = atol(field.c_str());
            break;
        }
    }
    return utime + stime;
}

TEST_F(Dataplane, InterfaceDownOrGoneIsReportedNotSpunOn)
{
    Host a = AddHost(1, "10.98.0.1/24"), b = AddHost(2, "10.98.0.2/24");
    ASSERT_TRUE(Ping(a, "10.98.0.2"));
    // Down and up again: the port reports it, then forwards again.
    Shell("ip link set " + b.veth->host() + " down");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Shell("ip link set " + b.veth->host() + " up");
    EXPECT_TRUE(WaitUntil([&] { return Ping(a, "10.98.0.2"); }, 3000, 100));
    // Gone: flowd stops watching it instead of spinning on its error, and says why.
    int pid = vsw_->Pid("flowd");
    Shell("ip link del " + b.veth->host());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    long before = CpuTicks(pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    EXPECT_LT(CpuTicks(pid) - before, 20) << "flowd busy after its port's interface vanished";
    // The socket may report only "Network is down" (deletion takes the device down first);
    // flowd then finds the device gone at its next once-a-second look.
    std::string name = b.veth->host(), error;
    auto port_error = [&] {
        Vsw__FlowdPortStatusRequest req = VSW__FLOWD_PORT_STATUS_REQUEST__INIT;
        req.datapath = const_cast<char *>(dp_.c_str());
        req.name = const_cast<char *>(name.c_str());
        ProtobufCMessage *reply = nullptr;
        if (flowd_->Call(VSW__FLOWD_TYPE__FLOWD_PORT_STATUS, req.base,
                         &vsw__flowd_port_status_reply__descriptor, &reply) != "")
            return std::string("(no reply)");
        auto *r = reinterpret_cast<Vsw__FlowdPortStatusReply *>(reply);
        std::string text = r->n_ports == 1 ? r->ports[0]->error : "(no port)";
        protobuf_c_message_free_unpacked(reply, nullptr);
        return text;
    };
    EXPECT_TRUE(WaitUntil([&] { return (error = port_error()) == "No such device"; }, 3000, 100))
        << error;
    EXPECT_EQ(flowd_->DelPort(dp_, name), "");
}

}  // namespace
