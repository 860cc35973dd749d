// interface-reconfigure's pieces without daemons: the network cache (IFR-08) read strictly and
// written in the old format to the byte, the records loaded from the XAPI double, and the vsw
// transaction of up and down for the example cache, against the spec's Appendix B.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/xapi/xapi_double.h"

extern "C" {
#include "lib/json.h"
#include "xapi/xapi.h"
#include "xenserver/ifr/dbcache.h"
#include "xenserver/ifr/netdb.h"
#include "xenserver/ifr/vswitch.h"
#include "xenserver/ifr/xapi_load.h"
}

namespace {

using JsonPtr = std::unique_ptr<struct json, void (*)(struct json *)>;

const char *kHost = "5b0e3f7c-2a41-4d8e-9c61-7f3a2d9e4b10";
// Refs of the example cache.
const char *kEth0 = "OpaqueRef:3f6d2c1a-8b7e-4f05-9a1d-2c4e6b8d0f11";
const char *kBond0 = "OpaqueRef:c8e0a2b4-6d8f-4c13-a5b7-d9f1b3d5f744";
const char *kVlan100 = "OpaqueRef:e4a6c8e0-2b4d-4f69-81a3-c5e7a9cbe155";

std::string ReadFile(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string Example()
{
    return ReadFile("tests/ifr/network.dbcache.example");
}

JsonPtr Parse(const std::string &text, std::string *error = nullptr)
{
    char why[512] = "";
    JsonPtr db(dbcache_parse(text.data(), text.size(), why, sizeof why), json_free);
    if (error)
        *error = why;
    return db;
}

std::string Replace(std::string s, const std::string &from, const std::string &to)
{
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
        s.replace(at, from.size(), to);
    return s;
}

// "" if equal, else the first line that differs, for a readable failure.
std::string FirstDifference(const std::string &got, const std::string &want)
{
    std::istringstream g(got), w(want);
    std::string gl, wl;
    for (int line = 1;; line++) {
        bool more_g = static_cast<bool>(std::getline(g, gl));
        bool more_w = static_cast<bool>(std::getline(w, wl));
        if (!more_g && !more_w)
            return got == want ? "" : "(line ends differ)";
        if (gl != wl || more_g != more_w)
            return "line " + std::to_string(line) + ": got \"" + gl + "\", want \"" + wl + "\"";
    }
}

std::vector<std::string> Commands(const vswitch_plan &plan)
{
    return std::vector<std::string>(plan.commands, plan.commands + plan.n_commands);
}

// ---- The cache ----

TEST(IfrCache, TheExampleReadsAsTheSpecDescribesIt)
{
    JsonPtr db = Parse(Example());
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(json_object_size(json_object_get(db.get(), "pif")), 5u);
    EXPECT_EQ(json_object_size(json_object_get(db.get(), "network")), 6u);
    EXPECT_EQ(json_object_size(json_object_get(db.get(), "bond")), 1u);
    EXPECT_EQ(json_object_size(json_object_get(db.get(), "vlan")), 1u);
    EXPECT_EQ(json_object_size(json_object_get(db.get(), "pool")), 1u);
    const struct json *eth0 = netdb_get(db.get(), "pif", kEth0);
    EXPECT_TRUE(netdb_bool(eth0, "management"));
    EXPECT_FALSE(netdb_bool(eth0, "currently_attached"));   // always read as false (IFR-08)
    EXPECT_STREQ(netdb_string(eth0, "DNS"), "192.168.10.2");
    EXPECT_STREQ(netdb_map_get(netdb_get(db.get(), "pif", kBond0), "other_config", "bond-mode"),
                 "active-backup");
    char name[64];
    EXPECT_STREQ(netdb_netdev_name(db.get(), kVlan100, name, sizeof name), "bond0.100");
    EXPECT_STREQ(netdb_ipdev_name(db.get(), kVlan100, name, sizeof name), "xapi2");
    EXPECT_STREQ(netdb_datapath_pif(db.get(), kVlan100), kBond0);
    char *uuids = netdb_xs_network_uuids(db.get(), kVlan100);
    EXPECT_STREQ(uuids, "d46fb3fc-e284-47c5-b9d1-4b6f8d7df10b;"
                        "e570c40d-f395-48d6-8ae2-5c709e8e020c");
    free(uuids);
}

TEST(IfrCache, ValuesOnTheirOwnLinesAndUnknownFieldsAreAccepted)
{
    std::string text = Replace(Example(), "<VLAN>-1</VLAN>", "<VLAN>\n\t\t\t-1\n\t\t</VLAN>");
    text = Replace(text, "<uuid>0c6b1f52", "<colour>blue</colour><uuid>0c6b1f52");
    text = Replace(text, "<other_config/>\n\t\t<currently_attached>True",
                   "<other_config><not-allowed>x</not-allowed><mtu>9000</mtu></other_config>"
                   "\n\t\t<currently_attached>True");
    JsonPtr db = Parse(text);
    ASSERT_NE(db, nullptr);
    const struct json *eth0 = netdb_get(db.get(), "pif", kEth0);
    EXPECT_STREQ(netdb_string(eth0, "VLAN"), "-1");
    EXPECT_EQ(netdb_map_get(eth0, "other_config", "not-allowed"), nullptr);
    EXPECT_STREQ(netdb_map_get(eth0, "other_config", "mtu"), "9000");
}

struct BadCache {
    const char *what;
    std::string text;
    const char *reason;   // a part of the message
};

TEST(IfrCache, ABadCacheIsRefusedWithTheLineAndTheReason)
{
    std::string ex = Example();
    std::vector<BadCache> cases = {
        { "unknown element", Replace(ex, "\t<pool ", "\t<router ref=\"x\"/>\n\t<pool "),
          "line 184: unknown element <router>" },
        { "comment", Replace(ex, "\t<pool ", "\t<!-- pool -->\n\t<pool "),
          "line 184: a comment" },
        { "second root", ex + "<xenserver-network-configuration/>\n", "junk after" },
        { "management not a boolean",
          Replace(ex, "<management>True</management>", "<management>Yes</management>"),
          "line 5: <management> is \"Yes\", not True or False" },
        { "dangling ref",
          Replace(ex, "<network>OpaqueRef:90a2c4e6-0a2c-4e6a-8c0e-2a4c6e8a0c88</network>",
                  "<network>OpaqueRef:00000000-0000-0000-0000-000000000000</network>"),
          "which the configuration lacks" },
        { "truncated", ex.substr(0, ex.size() / 2), "line " },
        { "no root", "<?xml version=\"1.0\" ?>\n", "no element found" },
        { "wrong root", "<?xml version=\"1.0\" ?>\n<networks/>\n", "the root is <networks>" },
        { "DOCTYPE", "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n"
                     "<xenserver-network-configuration/>\n", "DOCTYPE" },
        { "text in the root", Replace(ex, "\t<pool ", "hello\n\t<pool "), "text \"" },
        { "a field missing", Replace(ex, "\t\t<device>eth0</device>\n", ""),
          "<pif> has no <device>" },
        { "two records with one ref",
          Replace(ex, "</vlan>", "</vlan>\n\t<vlan ref=\"OpaqueRef:5f7b9d1f-3b5d-4e7f-91b3-"
                                 "d5f7b9d1f377\"><uuid>x</uuid></vlan>"),
          "two <vlan> records" },
        { "50 MB", ex + std::string(50u << 20, ' '), "more than a network configuration" },
    };
    for (const BadCache &c : cases) {
        SCOPED_TRACE(c.what);
        std::string error;
        EXPECT_EQ(Parse(c.text, &error), nullptr);
        EXPECT_NE(error.find(c.reason), std::string::npos) << error;
    }
}

// The double holds the example host with the records of the example cache, so a cache written
// from XAPI is that file, byte for byte (IFR-08's writer order, tabs, True/False, <X></X> for an
// empty string, <X/> for an empty list or map).
TEST(IfrCache, ACacheWrittenFromXapiIsTheExampleToTheByte)
{
    XapiDouble xapi;
    ASSERT_TRUE(xapi.Start());
    xapi_options options = {};
    options.socket_path = xapi.socket().c_str();
    struct xapi *x = xapi_create(&options);
    ASSERT_NE(x, nullptr);
    char error[512] = "";
    JsonPtr db(xapi_load(x, kHost, error, sizeof error), json_free);
    xapi_destroy(x);
    ASSERT_NE(db, nullptr) << error;
    char *text = dbcache_format(db.get());
    EXPECT_EQ(FirstDifference(text, Example()), "");
    free(text);

    // And written through a file: atomically replaced, nothing left beside it.
    std::string dir = xapi.dir() + "/cache";
    ASSERT_EQ(system(("mkdir -p " + dir + " && echo old > " + dir + "/network.dbcache").c_str()),
              0);
    ASSERT_EQ(dbcache_write(db.get(), (dir + "/network.dbcache").c_str(), error, sizeof error), 0)
        << error;
    EXPECT_EQ(FirstDifference(ReadFile(dir + "/network.dbcache"), Example()), "");
    EXPECT_EQ(system(("test $(ls -A " + dir + " | wc -l) = 1").c_str()), 0);
}

TEST(IfrCache, ARecordXapiSendsMalformedIsRefused)
{
    XapiDouble xapi;
    ASSERT_TRUE(xapi.Start());
    xapi.SetField("PIF", kEth0, "management", "\"yes\"");
    xapi_options options = {};
    options.socket_path = xapi.socket().c_str();
    struct xapi *x = xapi_create(&options);
    char error[512] = "";
    JsonPtr db(xapi_load(x, kHost, error, sizeof error), json_free);
    xapi_destroy(x);
    EXPECT_EQ(db, nullptr);
    EXPECT_NE(std::string(error).find("malformed management"), std::string::npos) << error;
}

// ---- The transaction (Appendix B) ----

class IfrPlan : public ::testing::Test {
  protected:
    void SetUp() override
    {
        db_ = Parse(Example());
        ASSERT_NE(db_, nullptr);
    }
    void TearDown() override { vswitch_plan_free(&plan_); }
    void SetPoolFailMode(const char *mode)
    {
        struct json *pools = json_object_get(db_.get(), "pool");
        json_object_put(json_object_get(json_object_value_at(pools, 0), "other_config"),
                        "vswitch-controller-fail-mode", json_string_new(mode));
    }
    JsonPtr db_{ nullptr, json_free };
    vswitch_plan plan_ = {};
    char error_[512] = "";
};

TEST_F(IfrPlan, ManagementNicUp)
{
    ASSERT_EQ(vswitch_plan_up(&plan_, db_.get(), kEth0, kEth0, error_, sizeof error_), 0);
    EXPECT_EQ(Commands(plan_), (std::vector<std::string>{
        "--with-iface --if-exists del-port eth0",
        "--may-exist add-br xenbr0",
        "--may-exist add-port xenbr0 eth0",
        "set Bridge xenbr0 other-config:hwaddr=\"00:1e:c9:3a:10:01\"",
        "set Bridge xenbr0 fail_mode=standalone",
        "remove Bridge xenbr0 other_config disable-in-band",
        "br-set-external-id xenbr0 xs-network-uuids a13c80c9-bf51-4492-86ae-183c5a4ace08",
    }));
    EXPECT_FALSE(vswitch_needs_fail_mode(db_.get(), kEth0, kEth0));
}

TEST_F(IfrPlan, ManagementNicUpInASecurePoolAddsTheFourFlows)
{
    SetPoolFailMode("secure");
    ASSERT_EQ(vswitch_plan_up(&plan_, db_.get(), kEth0, kEth0, error_, sizeof error_), 0);
    EXPECT_EQ(Commands(plan_)[4], "set Bridge xenbr0 fail_mode=secure");
    ASSERT_TRUE(vswitch_needs_fail_mode(db_.get(), kEth0, kEth0));
    vswitch_plan_flows(&plan_, db_.get(), kEth0, "standalone");
    ASSERT_TRUE(plan_.management_flows);
    long ofport = 1;
    size_t n = 0;
    char **flows = vswitch_flows(&plan_, &ofport, &n);
    std::vector<std::string> got(flows, flows + n);
    for (size_t i = 0; i < n; i++)
        free(flows[i]);
    free(flows);
    EXPECT_EQ(got, (std::vector<std::string>{
        "idle_timeout=0,priority=0,in_port=1,arp,nw_proto=1,actions=local",
        "idle_timeout=0,priority=0,in_port=local,arp,dl_src=00:1e:c9:3a:10:01,actions=1",
        "idle_timeout=0,priority=0,in_port=1,dl_dst=00:1e:c9:3a:10:01,actions=local",
        "idle_timeout=0,priority=0,in_port=local,dl_src=00:1e:c9:3a:10:01,actions=1",
    }));
    // Already secure: no flows (the controller set them).
    vswitch_plan_flows(&plan_, db_.get(), kEth0, "secure");
    EXPECT_FALSE(plan_.management_flows);
    // Not the management PIF: the question is not even asked.
    EXPECT_FALSE(vswitch_needs_fail_mode(db_.get(), kVlan100, kEth0));
}

TEST_F(IfrPlan, VlanOnABondUp)
{
    ASSERT_EQ(vswitch_plan_up(&plan_, db_.get(), kVlan100, kEth0, error_, sizeof error_), 0);
    const char *uuids = "d46fb3fc-e284-47c5-b9d1-4b6f8d7df10b;e570c40d-f395-48d6-8ae2-5c709e8e020c";
    EXPECT_EQ(Commands(plan_), (std::vector<std::string>{
        "--if-exists del-br xenbr1",
        "--if-exists del-br xenbr2",
        "--with-iface --if-exists del-port eth1",
        "--with-iface --if-exists del-port eth2",
        "--may-exist add-br xapi1",
        "--with-iface --if-exists del-port bond0",
        "--fake-iface add-bond xapi1 bond0 eth1 eth2",
        "set Port bond0 MAC=\"00:1e:c9:3a:10:02\" bond_downdelay=200 "
        "other-config:bond-miimon-interval=100 bond_updelay=31000 "
        "other-config:bond-detect-mode=carrier lacp=off bond_mode=active-backup",
        "set Bridge xapi1 other-config:hwaddr=\"00:1e:c9:3a:10:02\"",
        "set Bridge xapi1 fail_mode=standalone",
        "remove Bridge xapi1 other_config disable-in-band",
        std::string("br-set-external-id xapi1 xs-network-uuids ") + uuids,
        "--if-exists del-br xapi2",
        "--may-exist add-br xapi2 xapi1 100",
        std::string("br-set-external-id xapi2 xs-network-uuids ") + uuids,
        "set Interface xapi2 MAC=\"00:1e:c9:3a:10:02\"",
    }));
    EXPECT_EQ(plan_.n_devices_down, 2u);   // xenbr1 and xenbr2, if they exist
}

TEST_F(IfrPlan, LacpBondOptions)
{
    struct json *oc = json_object_get(json_object_get(json_object_get(db_.get(), "pif"), kBond0),
                                      "other_config");
    json_object_put(oc, "bond-mode", json_string_new("lacp"));
    json_object_put(oc, "bond-hashing-algorithm", json_string_new("tcpudp_ports"));
    json_object_put(oc, "bond-use_carrier", json_string_new("0"));
    char *options = vswitch_bond_options(db_.get(), kBond0);
    std::string got = options;
    free(options);
    EXPECT_EQ(got, "MAC=\"00:1e:c9:3a:10:02\" bond_downdelay=200 "
                   "other-config:bond-miimon-interval=100 bond_updelay=31000 "
                   "other-config:bond-detect-mode=miimon lacp=active bond_mode=balance-tcp");
    json_object_put(oc, "bond-downdelay", json_string_new("-5"));
    options = vswitch_bond_options(db_.get(), kBond0);
    EXPECT_EQ(std::string(options).find("bond_downdelay"), std::string::npos);   // skipped
    free(options);
}

TEST_F(IfrPlan, VlanOnABondDownTearsTheParentDown)
{
    ASSERT_EQ(vswitch_plan_down(&plan_, db_.get(), kVlan100, error_, sizeof error_), 0);
    EXPECT_EQ(Commands(plan_), (std::vector<std::string>{
        "--with-iface --if-exists del-port xapi2",
        "--if-exists del-br xapi2",
        "--if-exists del-br xapi1",
    }));
    ASSERT_EQ(plan_.n_devices_down, 2u);
    EXPECT_STREQ(plan_.devices_down[0], "eth1");
    EXPECT_STREQ(plan_.devices_down[1], "eth2");
}

TEST_F(IfrPlan, AttachedVlanKeepsItsParentDatapath)
{
    // From XAPI (not the cache) currently_attached is what it is: the VLAN keeps xapi1 up.
    json_object_put(json_object_get(json_object_get(db_.get(), "pif"), kVlan100),
                    "currently_attached", json_boolean_new(true));
    ASSERT_EQ(vswitch_plan_down(&plan_, db_.get(), kBond0, error_, sizeof error_), 0);
    EXPECT_EQ(Commands(plan_), (std::vector<std::string>{
        "--with-iface --if-exists del-port xapi1",
    }));
    EXPECT_EQ(plan_.n_devices_down, 0u);
}

TEST_F(IfrPlan, RewriteSetsTheUuidsOfAttachedBridges)
{
    struct json *pifs = json_object_get(db_.get(), "pif");
    json_object_put(json_object_get(pifs, kEth0), "currently_attached", json_boolean_new(true));
    json_object_put(json_object_get(pifs, kBond0), "currently_attached", json_boolean_new(true));
    json_object_put(json_object_get(pifs, kVlan100), "currently_attached", json_boolean_new(true));
    vswitch_plan_rewrite(&plan_, db_.get());
    EXPECT_EQ(Commands(plan_), (std::vector<std::string>{
        "br-set-external-id xenbr0 xs-network-uuids a13c80c9-bf51-4492-86ae-183c5a4ace08",
        "br-set-external-id xapi1 xs-network-uuids d46fb3fc-e284-47c5-b9d1-4b6f8d7df10b;"
        "e570c40d-f395-48d6-8ae2-5c709e8e020c",
    }));
}

TEST_F(IfrPlan, NonVlanNetworksComeFirstWhateverTheRecordOrder)
{
    // The bond's PIF listed after the VLAN PIF stacked on it: its network still leads.
    struct json *pifs = json_object_get(db_.get(), "pif");
    json_object_put(pifs, kBond0, json_object_remove(pifs, kBond0));
    ASSERT_STREQ(json_object_key_at(pifs, json_object_size(pifs) - 1), kBond0);
    char *uuids = netdb_xs_network_uuids(db_.get(), kVlan100);
    EXPECT_STREQ(uuids, "d46fb3fc-e284-47c5-b9d1-4b6f8d7df10b;"
                        "e570c40d-f395-48d6-8ae2-5c709e8e020c");
    free(uuids);
}

TEST(IfrQuote, AsOvsVsctlQuotesValues)
{
    auto quoted = [](const char *s) {
        char *q = vswitch_quote(s);
        std::string out = q;
        free(q);
        return out;
    };
    EXPECT_EQ(quoted("abc123"), "abc123");
    EXPECT_EQ(quoted("00:1e:c9:3a:10:01"), "\"00:1e:c9:3a:10:01\"");
    EXPECT_EQ(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(quoted(""), "\"\"");
}

}  // namespace
