// The whole switch with real packets: bridges and ports configured with the vsw CLI in vsw-dbd,
// reconciled by vsw-switchd into vsw-flowd, traffic between network namespaces joined by veth
// pairs (offloads on). Also what switchd writes back (ofport, state, cur_cfg), and what happens
// when flowd or switchd is killed.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "tests/integration/flowd_client.h"
#include "tests/integration/harness.h"
#include "tests/integration/netns.h"

namespace {

using Clock = std::chrono::steady_clock;

long long MsSince(Clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

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

std::string Trim(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

struct Host {
    std::unique_ptr<Netns> ns;
    std::unique_ptr<Veth> veth;
};

class Switch : public ::testing::Test {
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
        br_ = UniqueName("swbr");
        Ok("add-br " + br_);
    }
    void TearDown() override { vsw_->Vsw("--if-exists del-br " + br_); }

    // Runs a vsw command that must succeed; returns its output.
    std::string Ok(const std::string &args)
    {
        CommandResult r = vsw_->Vsw(args);
        EXPECT_EQ(r.exit_code, 0) << "vsw " << args << "\n" << r.output;
        return Trim(r.output);
    }

    Host AddHost(const std::string &cidr, const std::string &settings = "")
    {
        Host h;
        h.ns = std::make_unique<Netns>();
        h.veth = std::make_unique<Veth>(*h.ns, cidr);
        Ok("add-port " + br_ + " " + h.veth->host() + " " + settings);
        return h;
    }

    bool Ping(const Host &from, const std::string &ip, int count = 1)
    {
        return from.ns->Exec("ping -c " + std::to_string(count) + " -i 0.05 -W 1 " + ip) == 0;
    }

    std::string Get(const std::string &table, const std::string &row, const std::string &column)
    {
        return Ok("get " + table + " " + row + " " + column);
    }

    // A daemon counter from `vsw status --verbose`, -1 if absent.
    long Counter(const std::string &name)
    {
        std::string out = Ok("status --verbose");
        size_t at = out.find(name);
        return at == std::string::npos ? -1L : atol(out.c_str() + at + name.size());
    }

    static VswInstance *vsw_;
    std::string br_;
};
VswInstance *Switch::vsw_ = nullptr;

TEST_F(Switch, ConfiguredBridgeForwardsPingAndTcp)
{
    Host a = AddHost("10.81.0.1/24"), b = AddHost("10.81.0.2/24");
    ASSERT_TRUE(Ping(a, "10.81.0.2", 3));
    b.ns->Exec("iperf3 -s -1 -D");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::string out;
    a.ns->Exec("iperf3 -c 10.81.0.2 -t 2 -J | python3 -c 'import json,sys; "
               "print(json.load(sys.stdin)[\"end\"][\"sum_received\"][\"bits_per_second\"]/1e9)'",
               &out);
    double gbps = out.empty() ? -1 : atof(out.c_str());
    EXPECT_GT(gbps, 1.0) << "TCP through a bridge configured in the database";
    printf("TCP a->b: %.2f Gbit/s\n", gbps);
}

// switchd reads again only the rows that changed: a change to one Interface row is applied,
// and what earlier changes set stays through later changes to other rows.
TEST_F(Switch, ChangedRowsAreAppliedAndOthersKeepTheirSettings)
{
    std::string p1 = br_ + "u1", p2 = br_ + "u2";
    Ok("add-port " + br_ + " " + p1 + " -- set Interface " + p1 + " type=internal -- add-port " +
       br_ + " " + p2 + " -- set Interface " + p2 + " type=internal");
    auto mtu = [&](const std::string &dev) {
        std::string text = ReadFile("/sys/class/net/" + dev + "/mtu");
        return atoi(text.c_str());
    };
    Ok("set Interface " + p1 + " mtu_request=1400");
    EXPECT_EQ(mtu(p1), 1400);
    EXPECT_EQ(mtu(p2), 1500);
    Ok("set Port " + p2 + " tag=7");
    Ok("add-port " + br_ + " " + br_ + "u3 -- set Interface " + br_ + "u3 type=internal");
    EXPECT_EQ(mtu(p1), 1400) << "kept through changes to other rows";
    EXPECT_EQ(Get("Interface", p1, "mtu"), "1400");
    // flowd's view: " name=port_no/kind/tag/vlan_mode/n_trunks".
    FlowdClient flowd(vsw_->rundir());
    std::string state = flowd.StateSnapshot();
    size_t at = state.find(" " + p2 + "=");
    ASSERT_NE(at, std::string::npos) << state;
    std::string fields = state.substr(at + p2.size() + 2);
    fields = fields.substr(0, fields.find_first_of(" \n"));
    EXPECT_EQ(fields.substr(0, fields.find('/')), Get("Interface", p2, "ofport")) << fields;
    size_t tag_at = fields.find('/', fields.find('/') + 1) + 1;
    EXPECT_EQ(fields.substr(tag_at, fields.find('/', tag_at) - tag_at), "7") << fields;
}

// One add-port, one reconciliation: switchd does not react to the status it wrote itself.
TEST_F(Switch, EachChangeIsReconciledOnce)
{
    auto reconciliations = [&] {
        std::string out = Ok("status --verbose");
        size_t at = out.find("reconciliations");
        return at == std::string::npos ? -1L : atol(out.c_str() + at + strlen("reconciliations"));
    };
    long before = reconciliations();
    ASSERT_GE(before, 0);
    for (int i = 0; i < 5; i++)
        Ok("add-port " + br_ + " " + br_ + "r" + std::to_string(i) + " -- set Interface " + br_ +
           "r" + std::to_string(i) + " type=internal");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    long delta = reconciliations() - before;
    EXPECT_GE(delta, 5);
    EXPECT_LE(delta, 6) << "at most one more: the 5 s status round";
}

// flowd's view of one port: "port_no/kind/tag/vlan_mode/n_trunks", or "" if it has none.
std::string FlowdPort(FlowdClient &flowd, const std::string &name)
{
    std::string state = flowd.StateSnapshot();
    size_t at = state.find(" " + name + "=");
    if (at == std::string::npos)
        return "";
    std::string fields = state.substr(at + name.size() + 2);
    return fields.substr(0, fields.find_first_of(" \n"));
}

// Ports only added (add-port, VIF hotplug) are applied alone, without rereading the bridge or
// comparing it with flowd whole; the result is what a full reconciliation gives.
TEST_F(Switch, PortsOnlyAddedAreAppliedAloneWithTheirSettings)
{
    std::string bulk;
    for (int i = 0; i < 100; i++) {
        std::string p = br_ + "b" + std::to_string(i);
        bulk += " -- add-port " + br_ + " " + p + " -- set Interface " + p + " type=internal";
    }
    Ok(bulk.substr(4));
    long growths = Counter("port_additions_alone");
    ASSERT_GE(growths, 0);
    // One by one, with settings: a tag, a port number asked for, two hosts on one VLAN.
    std::string tagged = br_ + "t1", numbered = br_ + "n1";
    Ok("add-port " + br_ + " " + tagged + " tag=42 -- set Interface " + tagged +
       " type=internal");
    Ok("add-port " + br_ + " " + numbered + " -- set Interface " + numbered +
       " type=internal ofport_request=777");
    Host a = AddHost("10.86.0.1/24", "tag=5"), b = AddHost("10.86.0.2/24", "tag=5");
    EXPECT_EQ(Counter("port_additions_alone") - growths, 4);

    FlowdClient flowd(vsw_->rundir());
    std::string t = FlowdPort(flowd, tagged);
    EXPECT_EQ(t.substr(0, t.find('/')), Get("Interface", tagged, "ofport")) << t;
    EXPECT_EQ(Get("Interface", tagged, "ofport"), "101");   // the bulk took 1..100
    EXPECT_NE(t.find("/42/"), std::string::npos) << t;
    EXPECT_EQ(Get("Interface", numbered, "ofport"), "777");
    EXPECT_EQ(FlowdPort(flowd, numbered).substr(0, 4), "777/");
    EXPECT_EQ(Get("Interface", tagged, "error"), "[]");
    EXPECT_EQ(Get("Interface", tagged, "mtu"), "1500");
    EXPECT_EQ(Get("Open_vSwitch", ".", "cur_cfg"), Get("Open_vSwitch", ".", "next_cfg"));
    EXPECT_TRUE(Ping(a, "10.86.0.2", 2)) << "two new ports on one VLAN";

    // Anything else goes the full way, and adding afterwards is alone again.
    std::string number = Get("Interface", br_ + "b7", "ofport");
    Ok("del-port " + br_ + " " + br_ + "b7");
    EXPECT_EQ(FlowdPort(flowd, br_ + "b7"), "");
    long before = Counter("port_additions_alone");
    Ok("add-port " + br_ + " " + br_ + "b7 -- set Interface " + br_ + "b7 type=internal");
    EXPECT_EQ(Counter("port_additions_alone") - before, 1);
    EXPECT_EQ(Get("Interface", br_ + "b7", "ofport"), number) << "the lowest free number";
    EXPECT_NE(FlowdPort(flowd, br_ + "b7"), "");
}

// vsw dump-flows and vsw fdb-show read vsw-flowd's state for a bridge named as in the database.
TEST_F(Switch, DumpFlowsAndFdbShowShowWhatTheTrafficMade)
{
    Host a = AddHost("10.89.0.1/24"), b = AddHost("10.89.0.2/24");
    ASSERT_TRUE(Ping(a, "10.89.0.2", 3));
    std::string fdb = Ok("fdb-show " + br_);
    EXPECT_NE(fdb.find(MacText(a.veth->PeerMac())), std::string::npos) << fdb;
    EXPECT_NE(fdb.find(MacText(b.veth->PeerMac())), std::string::npos) << fdb;
    std::string flows = Ok("dump-flows " + br_);
    EXPECT_NE(flows.find(br_ + ": "), std::string::npos) << flows;
    EXPECT_NE(flows.find("packets:"), std::string::npos) << flows;
    EXPECT_NE(Ok("dump-flows").find(br_ + ": "), std::string::npos) << "all bridges";

    CommandResult missing = vsw_->Vsw("fdb-show no-such-br");
    EXPECT_EQ(missing.exit_code, 1) << missing.output;
    EXPECT_NE(missing.output.find("no datapath named no-such-br"), std::string::npos)
        << missing.output;
    EXPECT_EQ(vsw_->Vsw("fdb-show").exit_code, 2);
    EXPECT_EQ(vsw_->Vsw("dump-flows a b").exit_code, 2);
}

TEST_F(Switch, SwitchdWritesBackPortNumbersStateAndCurCfg)
{
    Host a = AddHost("10.82.0.1/24"), b = AddHost("10.82.0.2/24");
    // add-port returned: switchd applied it, so cur_cfg caught up with next_cfg.
    EXPECT_EQ(Get("Open_vSwitch", ".", "cur_cfg"), Get("Open_vSwitch", ".", "next_cfg"));
    EXPECT_EQ(Get("Interface", a.veth->host(), "ofport"), "1");
    EXPECT_EQ(Get("Interface", br_, "ofport"), "65534");
    EXPECT_EQ(Get("Interface", a.veth->host(), "link_state"), "up");
    EXPECT_EQ(Get("Interface", a.veth->host(), "admin_state"), "up");
    EXPECT_EQ(Get("Interface", a.veth->host(), "mtu"), "1500");
    EXPECT_EQ(Get("Interface", a.veth->host(), "error"), "[]");
    std::string mac = Get("Interface", a.veth->host(), "mac_in_use");
    EXPECT_EQ(mac.size(), 19u) << mac;   // "aa:bb:cc:dd:ee:ff" with quotes
    // A port number asked for is honoured, and a change of it is applied.
    EXPECT_EQ(Get("Interface", b.veth->host(), "ofport"), "2");
    Ok("set interface " + b.veth->host() + " ofport_request=9");
    EXPECT_EQ(Get("Interface", b.veth->host(), "ofport"), "9");
    // Statistics arrive within the 5 s period.
    ASSERT_TRUE(Ping(a, "10.82.0.2", 3));
    EXPECT_TRUE(WaitUntil([&] {
        std::string stats = Get("Interface", a.veth->host(), "statistics");
        return stats.find("rx_packets=0,") == std::string::npos &&
               stats.find("rx_packets=") != std::string::npos;
    }, 7000, 250)) << Get("Interface", a.veth->host(), "statistics");
}

// The 5 s status round is put off while changes are being applied (its cost grows with the
// ports whose status changed, and a change would wait behind it), and runs once they pause.
TEST_F(Switch, StatusRoundGivesWayToChangesAndRunsOnceTheyPause)
{
    long put_off = Counter("status_rounds_put_off");
    ASSERT_GE(put_off, 0);
    // A change every 50 ms for 6 s: at least one round falls due meanwhile.
    std::string last;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(6);
    for (int i = 0; std::chrono::steady_clock::now() < until; i++) {
        last = br_ + "s" + std::to_string(i);
        Ok("add-port " + br_ + " " + last + " -- set Interface " + last + " type=internal");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_GT(Counter("status_rounds_put_off"), put_off);
    // Once they pause, the round put off runs within half a second and its own time, not at
    // the next period: the last port gets its first statistics.
    EXPECT_TRUE(WaitUntil([&] {
        return Get("Interface", last, "statistics").find("rx_packets=") != std::string::npos;
    }, 3000, 100)) << Get("Interface", last, "statistics");
}

TEST_F(Switch, MissingDeviceIsReportedThenAttachedWhenItAppears)
{
    std::string name = UniqueName("vdtlate");
    Ok("add-port " + br_ + " " + name);
    EXPECT_EQ(Get("Interface", name, "ofport"), "-1");
    EXPECT_NE(Get("Interface", name, "error").find("no interface named"), std::string::npos);
    Netns ns;
    Shell("ip link add " + name + " type veth peer name " + name + "p && ip link set " + name +
          " up");
    EXPECT_TRUE(WaitUntil([&] { return Get("Interface", name, "ofport") == "1"; }, 8000, 200))
        << Get("Interface", name, "error");
    EXPECT_EQ(Get("Interface", name, "error"), "[]");
    Shell("ip link del " + name);
}

TEST_F(Switch, VlanTagsFromTheDatabase)
{
    Host a = AddHost("10.83.0.1/24", "tag=10"), b = AddHost("10.83.0.2/24", "tag=20"),
         c = AddHost("10.83.0.3/24", "tag=10");
    EXPECT_TRUE(Ping(a, "10.83.0.3", 2)) << "same access VLAN";
    EXPECT_FALSE(Ping(a, "10.83.0.2", 2)) << "VLAN 10 reached VLAN 20";
    // Moving b into VLAN 10 is applied (and stale forwarding state revalidated) at once.
    Ok("set port " + b.veth->host() + " tag=10");
    EXPECT_TRUE(Ping(a, "10.83.0.2", 2)) << "after moving b to VLAN 10";
    Ok("set port " + c.veth->host() + " tag=30");
    EXPECT_FALSE(Ping(a, "10.83.0.3", 2)) << "after moving c to VLAN 30";
}

TEST_F(Switch, FakeBridgeIsAnAccessPortOfItsParent)
{
    std::string fake = UniqueName("swfk");
    Ok("add-br " + fake + " " + br_ + " 12");
    FlowdClient flowd(vsw_->rundir());
    std::string state = flowd.StateSnapshot();
    EXPECT_NE(state.find(fake), std::string::npos) << state;
    EXPECT_EQ(Get("Port", fake, "tag"), "12");
    EXPECT_EQ(Get("Interface", fake, "error"), "[]");
    Ok("del-br " + fake);
    EXPECT_EQ(flowd.StateSnapshot().find(fake), std::string::npos);
}

TEST_F(Switch, DeletedPortStopsForwardingWithinOneSecond)
{
    Host a = AddHost("10.84.0.1/24"), b = AddHost("10.84.0.2/24");
    ASSERT_TRUE(Ping(a, "10.84.0.2"));
    auto start = Clock::now();
    Ok("--no-wait del-port " + b.veth->host());
    EXPECT_TRUE(WaitUntil([&] { return !Ping(a, "10.84.0.2"); }, 1000, 1));
    EXPECT_LT(MsSince(start), 2000);
}

TEST_F(Switch, FlowdKilledIsRestartedAndSwitchdRestoresForwardingWithinThreeSeconds)
{
    Host a = AddHost("10.85.0.1/24"), b = AddHost("10.85.0.2/24");
    ASSERT_TRUE(Ping(a, "10.85.0.2"));
    int pid = vsw_->Pid("flowd");
    ASSERT_GT(pid, 0);
    auto killed = Clock::now();
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_TRUE(WaitUntil([&] { return Ping(a, "10.85.0.2"); }, 3000, 1))
        << "forwarding did not resume within 3 s of SIGKILL";
    printf("forwarding back %lld ms after flowd's SIGKILL\n", MsSince(killed));
    EXPECT_NE(vsw_->Pid("flowd"), pid);
    // And the status in the database is right again.
    EXPECT_EQ(Get("Interface", b.veth->host(), "error"), "[]");
}

// Internal ports are persistent taps: when flowd dies, the device stays with its address (as
// an internal port of Open vSwitch's kernel datapath outlives ovs-vswitchd), and the next
// flowd attaches to it again. A tap of this run directory's flowd that nobody claims is
// deleted after the grace period; anyone else's tap is left alone.
TEST_F(Switch, InternalPortOutlivesFlowdAndLeftoversAreDeleted)
{
    std::string in = br_ + "in", leftover = br_ + "lo", other = br_ + "ot";
    Ok("add-port " + br_ + " " + in + " -- set Interface " + in + " type=internal");
    ASSERT_EQ(Shell("ip addr add 10.86.9.1/24 dev " + in).exit_code, 0);
    std::string ifindex = Trim(ReadFile("/sys/class/net/" + in + "/ifindex"));
    ASSERT_EQ(Shell("ip tuntap add " + leftover + " mode tap && ip link set " + leftover +
                    " alias 'vsw-flowd " + vsw_->rundir() + "'").exit_code, 0);
    ASSERT_EQ(Shell("ip tuntap add " + other + " mode tap && ip link set " + other +
                    " alias 'vsw-flowd /some/other/rundir'").exit_code, 0);

    int pid = vsw_->Pid("flowd");
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    FlowdClient flowd(vsw_->rundir());
    EXPECT_TRUE(WaitUntil([&] { return flowd.StateSnapshot().find(" " + in + "=") !=
                                       std::string::npos; }, 3000, 20))
        << "the internal port is back in the new flowd";
    EXPECT_NE(vsw_->Pid("flowd"), pid);
    EXPECT_EQ(Trim(ReadFile("/sys/class/net/" + in + "/ifindex")), ifindex) << "the same device";
    EXPECT_EQ(Shell("ip addr show dev " + in + " | grep -q 10.86.9.1").exit_code, 0)
        << "its address survived";
    EXPECT_EQ(Get("Interface", in, "error"), "[]");

    EXPECT_TRUE(WaitUntil([&] { return Shell("ip link show " + leftover).exit_code != 0; },
                          15000, 200))
        << "the unclaimed leftover is deleted after the grace period";
    EXPECT_EQ(Shell("ip link show " + other).exit_code, 0) << "another flowd's tap stays";
    EXPECT_EQ(Shell("ip link show " + in).exit_code, 0);
    Shell("ip link del " + other);
    Shell("ip link del " + leftover);
}

TEST_F(Switch, SwitchdKilledForwardingContinuesAndControlResumes)
{
    Host a = AddHost("10.86.0.1/24"), b = AddHost("10.86.0.2/24");
    ASSERT_TRUE(Ping(a, "10.86.0.2"));
    int pid = vsw_->Pid("switchd");
    ASSERT_GT(pid, 0);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_TRUE(Ping(a, "10.86.0.2", 5)) << "known flows must keep forwarding";
    ASSERT_TRUE(vsw_->WaitAllUp(3000));
    // Control is back: a new port is applied (the CLI waits for cur_cfg).
    Host c = AddHost("10.86.0.3/24");
    EXPECT_TRUE(Ping(c, "10.86.0.1", 2));
    (void)b;
}

TEST_F(Switch, DeletingTheBridgeRemovesItsDatapathAndDevices)
{
    Host a = AddHost("10.87.0.1/24");
    Ok("add-port " + br_ + " " + br_ + "i -- set interface " + br_ + "i type=internal");
    EXPECT_EQ(Shell("ip link show " + br_ + "i").exit_code, 0) << "internal port is a device";
    Ok("del-br " + br_);
    FlowdClient flowd(vsw_->rundir());
    EXPECT_EQ(flowd.StateSnapshot().find(br_), std::string::npos);
    EXPECT_NE(Shell("ip link show " + br_).exit_code, 0) << "the bridge's tap is gone";
    EXPECT_NE(Shell("ip link show " + br_ + "i").exit_code, 0);
    EXPECT_EQ(Shell("ip link show " + a.veth->host()).exit_code, 0) << "a system port stays";
}

// A hundred internal ports in one transaction: all become devices with port numbers, one bad
// port among them does not stop the others (flowd takes them in one batch), and del-br
// deletes every device at once, leaving alone a device that happens to be in the interface
// group flowd would otherwise use for that.
TEST_F(Switch, HundredInternalPortsInOneTransactionThenDelBr)
{
    std::string prefix = br_ + "m", bystander = br_ + "x";
    std::string line;
    for (int i = 0; i < 100; i++) {
        std::string name = prefix + std::to_string(i);
        line += " -- add-port " + br_ + " " + name + " -- set Interface " + name +
                " type=internal";
    }
    line += " -- add-port " + br_ + " " + br_ + "nodev";   // a system port with no device
    Ok(line.substr(4));
    for (int i = 0; i < 100; i += 33) {
        std::string name = prefix + std::to_string(i);
        EXPECT_EQ(Shell("ip link show " + name).exit_code, 0) << name;
        EXPECT_NE(Get("Interface", name, "ofport"), "-1") << name;
        EXPECT_EQ(Get("Interface", name, "error"), "[]") << name;
    }
    EXPECT_EQ(Get("Interface", br_ + "nodev", "ofport"), "-1");
    EXPECT_NE(Get("Interface", br_ + "nodev", "error"), "[]");

    // 1987278593 is 0x76737701, the first group flowd tries for a batch deletion.
    ASSERT_EQ(Shell("ip tuntap add " + bystander + " mode tap && ip link set " + bystander +
                    " group 1987278593").exit_code, 0);
    Ok("del-br " + br_);
    for (int i = 0; i < 100; i += 11)
        EXPECT_NE(Shell("ip link show " + prefix + std::to_string(i)).exit_code, 0) << i;
    EXPECT_EQ(Shell("ip link show " + bystander).exit_code, 0) << "a device not of vsw's";
    Shell("ip link del " + bystander);
}

TEST_F(Switch, BridgeOptionsReachTheDatapath)
{
    Ok("set bridge " + br_ + " other_config:mac-aging-time=42 other_config:mac-table-size=500");
    FlowdClient flowd(vsw_->rundir());
    EXPECT_NE(flowd.StateSnapshot().find(br_ + " netdev 42 500 0:"), std::string::npos)
        << flowd.StateSnapshot();
    Ok("remove bridge " + br_ + " other_config mac-aging-time");
    EXPECT_NE(flowd.StateSnapshot().find(br_ + " netdev 0 500 0:"), std::string::npos)
        << flowd.StateSnapshot();
}

}  // namespace
