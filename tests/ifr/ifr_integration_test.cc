// interface-reconfigure against real vsw daemons: the daemons and the program run in a network
// namespace standing for the XenServer dom0, whose eth0, eth1 and eth2 are veth ends (with the
// MACs of the example cache) whose peers sit in namespaces standing for the LAN. After `up`,
// packets flow through the bridge; after `down`, the bridges are gone. ifup, ifdown and
// update-issue, which XenServer has and Debian lacks, are recording doubles on PATH; ip and
// ethtool are the real ones. XAPI is the double of tests/xapi.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/integration/netns.h"
#include "tests/xapi/xapi_double.h"

namespace {

const char *kHost = "5b0e3f7c-2a41-4d8e-9c61-7f3a2d9e4b10";
const char *kEth0Uuid = "0c6b1f52-4e8a-4d2b-9f37-a1c5e9d3b701";

std::string Example()
{
    return ReadFile(Runfile("tests/ifr/network.dbcache.example"));
}

std::string Replace(std::string s, const std::string &from, const std::string &to)
{
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
        s.replace(at, from.size(), to);
    return s;
}

bool WaitFor(const std::function<bool()> &condition, int timeout_ms)
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

// The frames of `frames` sent by `src` (the namespaces' own chatter left out).
std::vector<std::vector<uint8_t>> From(const std::vector<std::vector<uint8_t>> &frames,
                                       const MacAddr &src)
{
    std::vector<std::vector<uint8_t>> mine;
    for (const auto &f : frames)
        if (f.size() >= 12 && std::equal(src.begin(), src.end(), f.begin() + 6))
            mine.push_back(f);
    return mine;
}

// A dom0: a namespace with vsw running in it, a private root for the program's files, and
// LAN namespaces behind eth0, eth1, eth2.
class Dom0 : public ::testing::Test {
  protected:
    void SetUp() override
    {
        dom0_ = std::make_unique<Netns>();
        In("sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
        const char *macs[] = { "00:1e:c9:3a:10:01", "00:1e:c9:3a:10:02", "00:1e:c9:3a:10:03" };
        for (int i = 0; i < 3; i++) {
            lans_.push_back(std::make_unique<Netns>());
            std::string eth = "eth" + std::to_string(i);
            ASSERT_EQ(In("ip link add " + eth + " address " + macs[i] +
                         " type veth peer name lan netns " + lans_[i]->name()).exit_code, 0)
                << eth;
            Lan(i, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
            Lan(i, "ip link set lan up");
        }
        // The private root: the files of a XenServer host the program reads and writes.
        char dir[] = "/tmp/vsw-ifr-XXXXXX";
        ASSERT_NE(mkdtemp(dir), nullptr);
        root_ = dir;
        Shell("chmod 0755 " + root_);
        Shell("mkdir -p " + root_ + "/etc/xensource " + root_ + "/var/xapi " + root_ +
              "/etc/sysconfig/network-scripts " + root_ + "/bin");
        Write("/etc/xensource/network.conf", "vswitch\n");
        Write("/etc/xensource-inventory", std::string("PRODUCT_BRAND='XenServer'\n"
                                                      "INSTALLATION_UUID='") + kHost + "'\n");
        Write("/var/xapi/network.dbcache", Example());
        for (const char *tool : { "ifup", "ifdown", "update-issue" })
            Write("/bin/" + std::string(tool),
                  "#!/bin/sh\necho \"" + std::string(tool) + " $*\" >> " + root_ + "/calls\n");
        Shell("chmod 0755 " + root_ + "/bin/*");
        Shell("ln -s " + Runfile("tools/vsw") + " " + root_ + "/bin/vsw");
        // vsw, started inside the dom0's namespace, with a run directory of its own.
        rundir_ = root_ + "/run";
        ASSERT_EQ(In(Runfile("tools/vsw_ctl") + " start --rundir " + rundir_).exit_code, 0);
    }
    void TearDown() override
    {
        In(Runfile("tools/vsw_ctl") + " stop --rundir " + rundir_);
        if (!root_.empty())
            Shell("rm -rf " + root_);
    }
    CommandResult In(const std::string &command) const
    {
        return Shell("ip netns exec " + dom0_->name() + " " + command);
    }
    CommandResult Lan(int i, const std::string &command) const
    {
        return Shell("ip netns exec " + lans_[i]->name() + " " + command);
    }
    void Write(const std::string &path, const std::string &text) const
    {
        std::ofstream(root_ + path) << text;
    }
    // interface-reconfigure ARGS in the dom0, as XAPI or the boot scripts would run it.
    CommandResult Ifr(const std::string &args, const std::string &env = "") const
    {
        return In("env PATH=" + root_ + "/bin:/usr/sbin:/usr/bin:/sbin:/bin VSW_RUNDIR=" +
                  rundir_ + " " + env + " " + Runfile("xenserver/ifr/interface-reconfigure") +
                  " --no-syslog --root-prefix=" + root_ + " " + args);
    }
    std::string Vsw(const std::string &args) const
    {
        return In(Runfile("tools/vsw") + " --rundir " + rundir_ + " " + args).output;
    }
    std::string Calls() const { return ReadFile(root_ + "/calls"); }
    // An interface's statistics counter, e.g. "rx_packets".
    static long Counter(const Netns &ns, const std::string &dev, const std::string &stat)
    {
        std::string out;
        ns.Exec("cat /sys/class/net/" + dev + "/statistics/" + stat, &out);
        return atol(out.c_str());
    }
    static bool Pings(const Netns &from, const std::string &to)
    {
        return from.Exec("ping -c 1 -W 1 " + to) == 0;
    }
    static bool PingsWithin(const Netns &from, const std::string &to, int timeout_ms)
    {
        return WaitFor([&] { return Pings(from, to); }, timeout_ms);
    }

    std::unique_ptr<Netns> dom0_;
    std::vector<std::unique_ptr<Netns>> lans_;
    std::string root_, rundir_;
};

TEST_F(Dom0, SingleNicUpForwardsThenDownRemovesTheBridge)
{
    CommandResult r = Ifr("--force xenbr0 up");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // IFR-13: the device up with its MTU and offloads, the transaction, ifup, update-issue.
    EXPECT_NE(r.output.find("Running command: ip link set eth0 up mtu 1500"), std::string::npos);
    EXPECT_NE(r.output.find("Running command: ethtool -K eth0 gro off lro off"),
              std::string::npos);
    EXPECT_EQ(Calls(), "ifup xenbr0\nupdate-issue \n");
    EXPECT_EQ(Vsw("list-br"), "xenbr0\n");
    EXPECT_EQ(Vsw("list-ports xenbr0"), "eth0\n");
    EXPECT_EQ(Vsw("br-get-external-id xenbr0 xs-network-uuids"),
              "a13c80c9-bf51-4492-86ae-183c5a4ace08\n");
    EXPECT_EQ(Vsw("get Bridge xenbr0 fail_mode"), "standalone\n");
    EXPECT_EQ(Vsw("get Bridge xenbr0 other_config:hwaddr"), "\"00:1e:c9:3a:10:01\"\n");
    std::string ifcfg = ReadFile(root_ + "/etc/sysconfig/network-scripts/ifcfg-xenbr0");
    EXPECT_NE(ifcfg.find("BOOTPROTO=dhcp\nPERSISTENT_DHCLIENT=yes\n"), std::string::npos);
    EXPECT_NE(ifcfg.find("MTU=1500\nDNS1=192.168.10.2\n"), std::string::npos);
    EXPECT_EQ(ReadFile(root_ + "/etc/sysconfig/network"), "DNSDEV=xenbr0\nGATEWAYDEV=xenbr0\n");

    // Packets: the dom0's address on the bridge's own port (what ifup would have given it)
    // reaches the LAN behind eth0 through vsw.
    ASSERT_TRUE(WaitFor([&] { return In("ip link show xenbr0").exit_code == 0; }, 10000));
    In("ip addr add 192.168.10.21/24 dev xenbr0");
    In("ip link set xenbr0 up");
    Lan(0, "ip addr add 192.168.10.1/24 dev lan");
    EXPECT_TRUE(PingsWithin(*dom0_, "192.168.10.1", 10000));
    EXPECT_TRUE(Pings(*lans_[0], "192.168.10.21"));

    // A second up is idempotent.
    ASSERT_EQ(Ifr("--force xenbr0 up").exit_code, 0);
    EXPECT_EQ(Vsw("list-ports xenbr0"), "eth0\n");
    EXPECT_TRUE(PingsWithin(*dom0_, "192.168.10.1", 10000));

    r = Ifr("--force xenbr0 down");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(Vsw("list-br"), "");
    EXPECT_NE(Calls().find("ifdown xenbr0\n"), std::string::npos);
    EXPECT_TRUE(WaitFor([&] { return In("ip link show xenbr0").exit_code != 0; }, 10000));
    EXPECT_NE(In("ip link show eth0").output.find("state DOWN"), std::string::npos);
}

// The example's VLAN 100 moved from the bond onto eth0: a fake bridge with tag 100 in xenbr0.
TEST_F(Dom0, VlanOnANicUpTagsItsTrafficThenDownKeepsNothing)
{
    std::string cache = Example();
    const char *eth0 = "OpaqueRef:3f6d2c1a-8b7e-4f05-9a1d-2c4e6b8d0f11";
    const char *vlan = "OpaqueRef:5f7b9d1f-3b5d-4e7f-91b3-d5f7b9d1f377";
    cache = Replace(cache, "<device>eth0</device>\n\t\t<bond_master_of/>\n\t\t<bond_slave_of>"
                           "OpaqueRef:NULL</bond_slave_of>\n\t\t<VLAN>-1</VLAN>\n\t\t"
                           "<VLAN_master_of>OpaqueRef:NULL</VLAN_master_of>\n\t\t<VLAN_slave_of/>",
                    std::string("<device>eth0</device>\n\t\t<bond_master_of/>\n\t\t<bond_slave_of>"
                                "OpaqueRef:NULL</bond_slave_of>\n\t\t<VLAN>-1</VLAN>\n\t\t"
                                "<VLAN_master_of>OpaqueRef:NULL</VLAN_master_of>\n\t\t"
                                "<VLAN_slave_of><master>") + vlan + "</master></VLAN_slave_of>");
    cache = Replace(cache, "<device>bond0</device>\n\t\t<bond_master_of/>\n\t\t<bond_slave_of>"
                           "OpaqueRef:NULL</bond_slave_of>\n\t\t<VLAN>100</VLAN>",
                    "<device>eth0</device>\n\t\t<bond_master_of/>\n\t\t<bond_slave_of>"
                    "OpaqueRef:NULL</bond_slave_of>\n\t\t<VLAN>100</VLAN>");
    cache = Replace(cache, "<tagged_PIF>OpaqueRef:c8e0a2b4-6d8f-4c13-a5b7-d9f1b3d5f744</tagged_PIF>",
                    std::string("<tagged_PIF>") + eth0 + "</tagged_PIF>");
    cache = Replace(cache, "<VLAN_slave_of>\n\t\t\t<master>OpaqueRef:5f7b9d1f-3b5d-4e7f-91b3-"
                           "d5f7b9d1f377</master>\n\t\t</VLAN_slave_of>", "<VLAN_slave_of/>");
    Write("/var/xapi/network.dbcache", cache);

    CommandResult r = Ifr("--force xapi2 up");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(Vsw("list-br"), "xapi2\nxenbr0\n");
    EXPECT_EQ(Vsw("br-to-parent xapi2"), "xenbr0\n");
    EXPECT_EQ(Vsw("br-to-vlan xapi2"), "100\n");
    EXPECT_EQ(Vsw("br-get-external-id xapi2 xs-network-uuids"),
              "a13c80c9-bf51-4492-86ae-183c5a4ace08;e570c40d-f395-48d6-8ae2-5c709e8e020c\n");
    // The VLAN's own port carries the datapath PIF's MAC (IFR-14 step 11).
    EXPECT_EQ(Vsw("get Interface xapi2 mac"), "\"00:1e:c9:3a:10:01\"\n");

    // Tagged on the wire (frames: this kernel has no 8021q for a VLAN device). A frame of
    // VLAN 100 from the LAN reaches the VLAN's own port untagged, and the parent bridge's own
    // port (a trunk, as in Open vSwitch) only still tagged; one the dom0 sends on the VLAN's
    // port leaves eth0 tagged 100.
    ASSERT_TRUE(WaitFor([&] { return In("ip link show xapi2").exit_code == 0; }, 10000));
    In("ip link set xapi2 up");
    In("ip link set xenbr0 up");
    MacAddr lan_mac = { 0x02, 0, 0, 0, 0x10, 0x01 }, bcast = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    {
        Capture on_vlan(*dom0_, "xapi2"), on_parent(*dom0_, "xenbr0");
        long before = Counter(*dom0_, "xapi2", "rx_packets");
        ASSERT_EQ(SendFrames(*lans_[0], "lan", { EthFrame(bcast, lan_mac, 100) }), 1u);
        ASSERT_TRUE(WaitFor([&] { return Counter(*dom0_, "xapi2", "rx_packets") > before; },
                            5000));
        std::vector<std::vector<uint8_t>> vlan = From(on_vlan.Stop(), lan_mac);
        ASSERT_EQ(vlan.size(), 1u);
        EXPECT_EQ(FrameVid(vlan[0]), -1);
        for (const auto &f : From(on_parent.Stop(), lan_mac))
            EXPECT_EQ(FrameVid(f), 100);
    }
    {
        Capture on_lan(*lans_[0], "lan");
        MacAddr dom0_mac = { 0x02, 0, 0, 0, 0x20, 0x01 };
        long before = Counter(*lans_[0], "lan", "rx_packets");
        ASSERT_EQ(SendFrames(*dom0_, "xapi2", { EthFrame(bcast, dom0_mac) }), 1u);
        ASSERT_TRUE(WaitFor([&] { return Counter(*lans_[0], "lan", "rx_packets") > before; },
                            5000));
        std::vector<std::vector<uint8_t>> seen = From(on_lan.Stop(), dom0_mac);
        ASSERT_EQ(seen.size(), 1u);
        EXPECT_EQ(FrameVid(seen[0]), 100);
    }

    r = Ifr("--force xapi2 down");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // From the cache nothing reads as attached, so the parent datapath goes too (IFR-19).
    EXPECT_EQ(Vsw("list-br"), "");
}

TEST_F(Dom0, AnInternalNetworkHasNoPif)
{
    CommandResult r = Ifr("--force xapi3 up");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("No PIF on host for network xapi3"), std::string::npos) << r.output;
    EXPECT_EQ(Vsw("list-br"), "");
    r = Ifr("--force xenbr9 up");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("No matching network"), std::string::npos) << r.output;
}

// XAPI mode (IFR-05): a session reused, the PIF by ref or by uuid, and the cache saved after.
TEST_F(Dom0, FromXapiUpWritesTheCacheAndRewriteRefreshesTheUuids)
{
    XapiDouble xapi;
    ASSERT_TRUE(xapi.Start());
    Shell("rm " + root_ + "/var/xapi/network.dbcache");
    std::string env = "VSW_XAPI_SOCKET=" + xapi.socket();
    XapiDouble::Result login = xapi.Call("session.login_with_password", { "root", "" });
    ASSERT_EQ(login.exit_code, 0);
    std::string session = login.output.substr(1, login.output.find('"', 1) - 1);

    CommandResult r = Ifr("--session " + session +
                          " --pif OpaqueRef:3f6d2c1a-8b7e-4f05-9a1d-2c4e6b8d0f11 up", env);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(Vsw("list-ports xenbr0"), "eth0\n");
    EXPECT_EQ(ReadFile(root_ + "/var/xapi/network.dbcache"), Example());
    // The caller's session is not ended.
    EXPECT_EQ(xapi.Call("pool.get_all", { session }).exit_code, 0);

    r = Ifr(std::string("--pif-uuid ") + kEth0Uuid + " down", env);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(Vsw("list-br"), "");

    // rewrite: xs-network-uuids of each attached bridge, set by a real transaction (only
    // eth0's bridge is up here: XAPI says so).
    xapi.SetField("PIF", "OpaqueRef:c8e0a2b4-6d8f-4c13-a5b7-d9f1b3d5f744", "currently_attached",
                  "false");
    xapi.SetField("PIF", "OpaqueRef:e4a6c8e0-2b4d-4f69-81a3-c5e7a9cbe155", "currently_attached",
                  "false");
    ASSERT_EQ(Ifr("--force xenbr0 up").exit_code, 0);
    Vsw("--no-wait br-set-external-id xenbr0 xs-network-uuids stale");
    r = Ifr("rewrite", env);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(Vsw("br-get-external-id xenbr0 xs-network-uuids"),
              "a13c80c9-bf51-4492-86ae-183c5a4ace08\n");

    // A PVS boot device is skipped (IFR-07) and the cache not saved.
    Shell("mkdir -p " + root_ + "/proc");
    Write("/proc/ardence", "HWaddr: 00:1E:C9:3A:10:01 \n");
    Shell("rm " + root_ + "/var/xapi/network.dbcache");
    r = Ifr(std::string("--pif-uuid ") + kEth0Uuid + " up", env);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Skipping PVS device eth0"), std::string::npos) << r.output;
    EXPECT_EQ(access((root_ + "/var/xapi/network.dbcache").c_str(), F_OK), -1);

    // XAPI gone: a clear error, exit 1.
    xapi.Stop();
    r = Ifr(std::string("--pif-uuid ") + kEth0Uuid + " up", env);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("cannot connect"), std::string::npos) << r.output;
}

// A tunnel access PIF (a cross-host internal network) has no physical device: a bridge with no
// port; its cache keeps the tunnel record as a tunnel.
TEST_F(Dom0, TunnelAccessPifUpMakesABridgeWithoutPorts)
{
    XapiDouble xapi({ "tests/xapi/example.json", "tests/xapi/tunnel.json" });
    ASSERT_TRUE(xapi.Start());
    std::string env = "VSW_XAPI_SOCKET=" + xapi.socket();
    CommandResult r = Ifr("--pif-uuid c1b2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d3a up", env);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(Vsw("list-br"), "xapi4\n");
    EXPECT_EQ(Vsw("list-ports xapi4"), "");
    EXPECT_EQ(Vsw("br-get-external-id xapi4 xs-network-uuids"),
              "d2c3e4f5-a6b7-4c8d-9eaf-1a2b3c4d5e4b\n");
    EXPECT_EQ(r.output.find("ip link set eth0"), std::string::npos) << r.output;
    std::string cache = ReadFile(root_ + "/var/xapi/network.dbcache");
    EXPECT_NE(cache.find("\t<tunnel ref=\"OpaqueRef:6d8fabcd-4f6b-4d8f-8abc-d4f6b8dafcd6\">"),
              std::string::npos) << cache;
    EXPECT_NE(cache.find("<tunnel_access_PIF_of>\n\t\t\t<pif>OpaqueRef:6d8fabcd"),
              std::string::npos) << cache;
    // Read back from that cache, the tunnel is one (the old reader filed it as a VLAN).
    r = Ifr("--force xapi4 down");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(Vsw("list-br"), "");
}

TEST_F(Dom0, ForceRewriteWritesTheMinimalCache)
{
    CommandResult r = Ifr("--force xenbr0 rewrite --device=eth0 --mac=00:1e:c9:3a:10:01 "
                          "--mode=static --ip=10.0.0.5 --netmask=255.255.255.0");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::string cache = ReadFile(root_ + "/var/xapi/network.dbcache");
    EXPECT_NE(cache.find("\t\t<uuid>eth0Pif</uuid>\n\t\t<management>True</management>"),
              std::string::npos) << cache;
    EXPECT_NE(cache.find("<ip_configuration_mode>Static</ip_configuration_mode>\n\t\t"
                         "<IP>10.0.0.5</IP>\n\t\t<netmask>255.255.255.0</netmask>\n\t\t"
                         "<gateway></gateway>"), std::string::npos) << cache;
    EXPECT_NE(cache.find("<uuid>InitialManagementNetwork</uuid>\n\t\t<bridge>xenbr0</bridge>"),
              std::string::npos) << cache;
    EXPECT_EQ(cache.find("currently_attached"), std::string::npos);
    EXPECT_EQ(cache.find("<pool"), std::string::npos);
    // And it is a cache the next boot can use.
    r = Ifr("--force xenbr0 up");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(Vsw("list-ports xenbr0"), "eth0\n");
}

TEST_F(Dom0, AFailedTransactionRevertsTheFiles)
{
    Write("/etc/sysconfig/network-scripts/ifcfg-xenbr0", "# the administrator's\n");
    // A vsw that cannot reach its database: the transaction fails.
    CommandResult r = In("env PATH=" + root_ + "/bin:/usr/sbin:/usr/bin:/sbin:/bin VSW_RUNDIR=" +
                         root_ + "/nowhere " + Runfile("xenserver/ifr/interface-reconfigure") +
                         " --no-syslog --root-prefix=" + root_ + " --force xenbr0 up");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("vsw failed"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Reverting changes"), std::string::npos) << r.output;
    EXPECT_EQ(ReadFile(root_ + "/etc/sysconfig/network-scripts/ifcfg-xenbr0"),
              "# the administrator's\n");
    EXPECT_EQ(Calls().find("ifup"), std::string::npos);
    EXPECT_EQ(Vsw("list-br"), "");
}

TEST_F(Dom0, ADeviceWithAnotherPifsMacIsRefused)
{
    // eth0's MAC is on eth1 now: renaming was removed, so this is an Error (IFR-13).
    In("ip link set eth0 address 00:1e:c9:3a:10:09");
    In("ip link set eth1 address 00:1e:c9:3a:10:01");
    In("ip link set eth1 up");
    CommandResult r = Ifr("--force xenbr0 up");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("renaming devices is not supported"), std::string::npos) << r.output;
    EXPECT_EQ(Vsw("list-br"), "");
    EXPECT_EQ(access((root_ + "/etc/sysconfig/network-scripts/ifcfg-xenbr0").c_str(), F_OK), -1);
}

TEST_F(Dom0, ABadCacheChangesNothing)
{
    Write("/var/xapi/network.dbcache", Replace(Example(), "\t<pool ", "\t<!-- x -->\n\t<pool "));
    CommandResult r = Ifr("--force xenbr0 up");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("network.dbcache: line 184: a comment"), std::string::npos)
        << r.output;
    EXPECT_EQ(Vsw("list-br"), "");
    EXPECT_EQ(Calls(), "");
    Write("/etc/xensource/network.conf", "bridge\n");
    r = Ifr("--force xenbr0 up");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("Linux bridge backend"), std::string::npos) << r.output;
}

struct UsageCase {
    const char *args;
    const char *message;
};

// IFR-02: each violation prints its message and "For help use --help.", exit 2; nothing runs.
TEST(IfrCommandLine, ValidationErrorsExitTwo)
{
    const UsageCase cases[] = {
        { "", "Required option <action> not present" },
        { "up down --pif-uuid x", "Only one <action> allowed" },
        { "--pif-uuid x sideways", "Unknown action \"sideways\"" },
        { "--session s --pif p --pif-uuid u up", "--session/--pif and --pif-uuid are mutually" },
        { "--session s up", "--session and --pif must be used together" },
        { "--pif p up", "--session and --pif must be used together" },
        { "--force xenbr0 --pif-uuid u up", "--force is mutually exclusive" },
        { "--pif-uuid u --mac=00:11:22:33:44:55 up", "may only be used with --force ... rewrite" },
        { "--session s --pif p rewrite", "rewrite takes neither --pif nor --pif-uuid" },
        { "up", "No PIF given" },
        { "down", "No PIF given" },
        { "--force xenbr0 rewrite --device=eth0 --mac=m --mode=dhcp --ip=1.2.3.4",
          "--mode=dhcp takes neither" },
        { "--force xenbr0 rewrite --device=eth0 --mode=dhcp", "needs --device, --mac and --mode" },
        { "--bogus up", "option --bogus not recognized" },
        { "--pif-uuid", "option --pif-uuid requires an argument" },
    };
    for (const UsageCase &c : cases) {
        SCOPED_TRACE(c.args);
        CommandResult r = Shell(Runfile("xenserver/ifr/interface-reconfigure") +
                                " --no-syslog --root-prefix=/nonexistent " + c.args);
        EXPECT_EQ(r.exit_code, 2);
        EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("For help use --help."), std::string::npos) << r.output;
    }
    // GNU-style: options may follow the action; --help exits 0.
    CommandResult r = Shell(Runfile("xenserver/ifr/interface-reconfigure") +
                            " --no-syslog --root-prefix=/nonexistent up --pif-uuid u");
    EXPECT_EQ(r.exit_code, 1);   // past the command line: no network.conf under that root
    r = Shell(Runfile("xenserver/ifr/interface-reconfigure") + " --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("--force <BRIDGE> [up|down|rewrite <CONFIG>]"), std::string::npos);
}

}  // namespace
