// The bridge, port and configuration commands end to end against the engine in memory: what
// they print, what exit code they give, what transactions they send, and that a failure
// leaves the database unchanged.
#include <regex>

#include "tests/unit/vsctl_test_util.h"

using vsctltest::CountOps;
using vsctltest::MemoryDb;
using vsctltest::Result;

namespace {

// Transact params with every UUID and the name `name` replaced by placeholders: what is left
// is the shape of the transaction.
std::string Shape(const std::string &params, const std::string &name)
{
    static const std::regex kUuid("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    std::string shape = std::regex_replace(params, kUuid, "UUID");
    return std::regex_replace(shape, std::regex("\\b" + name + "\\b"), "NAME");
}

// A database with br0 (ports p1 with tag 5, vif1 on fake bridge fk, VLAN 7) and br1 (eth1).
class Commands : public ::testing::Test {
  protected:
    void SetUp() override
    {
        ASSERT_EQ(Ok("init"), "");
        ASSERT_EQ(Ok("add-br br0 -- add-port br0 p1 tag=5 -- add-br fk br0 7 -- "
                     "add-port fk vif1 -- add-br br1 -- add-port br1 eth1"),
                  "");
    }

    // Runs a command line that must succeed; returns its output.
    std::string Ok(const std::string &line)
    {
        Result r = db_.Run(line);
        EXPECT_EQ(r.exit_code, 0) << line << "\n" << r.err;
        return r.out;
    }

    // Runs a command line that must fail with `code`, saying `says`, and change nothing.
    void Fails(const std::string &line, int code, const std::string &says)
    {
        std::string before = db_.Snapshot();
        Result r = db_.Run(line);
        EXPECT_EQ(r.exit_code, code) << line << "\n" << r.err;
        EXPECT_NE(r.err.find(says), std::string::npos) << line << "\n" << r.err;
        EXPECT_EQ(r.out, "") << line;
        EXPECT_EQ(db_.Snapshot(), before) << line;
        if (code == VSCTL_EXIT_USAGE) {
            EXPECT_TRUE(r.requests.empty()) << line << ": a usage error sent a request";
        }
    }

    MemoryDb db_;
};

TEST_F(Commands, InitIsIdempotentAndWritesNothingTheSecondTime)
{
    Result r = db_.Run("init");
    EXPECT_EQ(r.exit_code, 0);
    ASSERT_EQ(r.requests.size(), 1u);   // one read, no commit
    EXPECT_EQ(CountOps(r.requests[0], "insert"), 0);
    MemoryDb empty;
    r = empty.Run("init");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(empty.Rows("Open_vSwitch"), 1u);
}

TEST_F(Commands, ShowPrintsTheTreeLikeOvsVsctl)
{
    Ok("set-controller br0 tcp:127.1.2.3:6653 -- set-fail-mode br0 secure -- "
       "set-manager ptcp:6640:127.0.0.1 -- "
       "set Interface eth1 type=vxlan options:remote_ip=1.1.1.1");
    std::string out = Ok("show");
    // Rows come in UUID order as in ovs-vsctl; check the structure line by line.
    for (const char *line : { "\n    Manager \"ptcp:6640:127.0.0.1\"\n", "\n    Bridge br0\n",
                              "\n        Controller \"tcp:127.1.2.3:6653\"\n",
                              "\n        fail_mode: secure\n", "\n        Port fk\n",
                              "\n            tag: 7\n", "\n            Interface fk\n",
                              "\n                type: internal\n", "\n        Port p1\n",
                              "\n            tag: 5\n", "\n    Bridge br1\n",
                              "\n                type: vxlan\n",
                              "\n                options: {remote_ip=\"1.1.1.1\"}\n" })
        EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
    EXPECT_EQ(out.find("is_connected"), std::string::npos) << "defaults are not shown";
}

TEST_F(Commands, BridgeQueries)
{
    EXPECT_EQ(Ok("list-br"), "br0\nbr1\nfk\n");
    EXPECT_EQ(Ok("--real list-br"), "br0\nbr1\n");
    EXPECT_EQ(Ok("--fake list-br"), "fk\n");
    EXPECT_EQ(Ok("br-to-vlan fk -- br-to-parent fk -- br-to-vlan br0 -- br-to-parent br0"),
              "7\nbr0\n0\nbr0\n");
    EXPECT_EQ(Ok("br-exists br0 -- br-exists fk"), "");
    Result r = db_.Run("br-exists nope");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "");
    Fails("br-to-vlan nope", 1, "vsw: no bridge named nope");
}

TEST(CommandLine, ListBrRejectsArguments)
{
    MemoryDb db;
    Result r = db.Run("list-br --real");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("'list-br' command takes at most 0 arguments"), std::string::npos)
        << r.err;
}

TEST_F(Commands, AddBrVariantsAndErrors)
{
    Ok("add-br br2");
    EXPECT_EQ(Ok("list-ports br2 -- list-ifaces br2"), "");
    Fails("add-br br2", 1, "cannot create a bridge named br2 because a bridge named br2 "
                           "already exists");
    Fails("add-br p1", 1, "cannot create a bridge named p1 because a port named p1 already "
                          "exists on bridge br0");
    Fails("add-br vif1", 1, "because a port named vif1 already exists on bridge fk");
    Ok("--may-exist add-br br2");
    Ok("--may-exist add-br fk br0 7");
    Fails("--may-exist add-br fk", 1, "\"--may-exist add-br fk\" but fk is a VLAN bridge for "
                                      "VLAN 7");
    Fails("--may-exist add-br br2 br0 9", 1, "but br2 is not a VLAN bridge");
    Fails("--may-exist add-br fk br1 7", 1, "but fk has the wrong parent br0");
    Fails("--may-exist add-br fk br0 8", 1, "but fk is a VLAN bridge for the wrong VLAN 7");
    Fails("add-br fk2 fk 9", 1, "cannot create bridge with fake bridge as parent");
    Fails("add-br fk2 nope 9", 1, "parent bridge nope does not exist");
    Fails("add-br fk2 br0 7", 1, "bridge br0 already has a child VLAN bridge fk on VLAN 7");
    Fails("add-br fk2 br0 4096", 2, "vlan must be between 0 and 4095");
    Fails("add-br fk2 br0 x", 2, "vlan must be between 0 and 4095");
    Fails("add-br fk2 br0", 2, "takes exactly 1 or 3 arguments");
    Ok("add-br fk2 br1 0");
    EXPECT_EQ(Ok("br-to-vlan fk2 -- br-to-parent fk2"), "0\nbr1\n");
}

TEST_F(Commands, AddPortIsOneTransactionWhateverTheDatabaseSize)
{
    Result r = db_.Run("add-port br0 q0");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.requests.size(), 1u);
    const std::string txn = r.requests[0];
    EXPECT_EQ(CountOps(txn, "insert"), 2);
    EXPECT_EQ(CountOps(txn, "mutate"), 1);
    EXPECT_EQ(CountOps(txn, "select"), 0);
    // The bridge exists, and the name is free in Bridge, Port and Interface. With --no-wait the
    // root row is not written, so nothing is assumed of it: a Bridge row exists only while the
    // root refers to it (garbage collection). ovs-vsctl instead verifies the root's bridges,
    // every bridge's ports and every port's interfaces: a wait per row of the database.
    EXPECT_EQ(CountOps(txn, "wait"), 4);
    for (int i = 1; i <= 300; i++)
        Ok("add-port br0 q" + std::to_string(i));
    r = db_.Run("add-port br0 q301");
    ASSERT_EQ(r.requests.size(), 1u);
    // The same operations, byte for byte, once the name and the random UUIDs are set aside.
    EXPECT_EQ(Shape(r.requests[0], "q301"), Shape(txn, "q0"));
    EXPECT_EQ(db_.Rows("Port"), 6u + 302u);   // br0 p1 fk vif1 br1 eth1, then q0 to q301
}

// "add-port br0 qN -- set Interface qN type=internal", a thousand times over in one command
// line: `set` finds the interface this invocation created without asking vsw-dbd, so the
// invocation sends one request however long the chain (a read through the pending writes
// would carry them all, making the chain quadratic).
TEST_F(Commands, LongChainOfAddPortAndSetIsOneRequest)
{
    std::string line;
    for (int i = 0; i < 200; i++) {
        std::string name = "c" + std::to_string(i);
        line += (i ? " -- " : "") + std::string("add-port br0 ") + name + " -- set Interface " +
                name + " type=internal";
    }
    Result r = db_.Run(line);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.requests.size(), 1u);
    EXPECT_EQ(CountOps(r.requests[0], "insert"), 400);
    EXPECT_EQ(CountOps(r.requests[0], "update"), 200);
    EXPECT_EQ(Ok("get Interface c199 type"), "internal\n");
}

TEST_F(Commands, AddPortWaitingForSwitchdAlsoAssumesTheRoot)
{
    db_.switchd = true;
    vsctl_options options;
    vsctl_options_init(&options);
    Result r = db_.Run("add-port br0 q0", &options);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_GE(r.requests.size(), 2u);   // the commit, then waits for cur_cfg and reads of it
    const std::string &txn = r.requests[0];
    EXPECT_EQ(CountOps(txn, "insert"), 2);
    // The bridge's ports, and next_cfg += 1 on the root row, read back by the one select.
    EXPECT_EQ(CountOps(txn, "mutate"), 2);
    EXPECT_EQ(CountOps(txn, "select"), 1);
    // The mutate of next_cfg selects the root with an empty where, which would silently match
    // nothing without it: so the root's existence joins the bridge and the three names.
    EXPECT_EQ(CountOps(txn, "wait"), 5);
    for (size_t i = 1; i < r.requests.size(); i++) {
        const std::string &req = r.requests[i];
        if (i % 2)   // a wait for cur_cfg >= 1, at most as long as the poll interval
            EXPECT_NE(req.find("\"op\":\"wait\",\"table\":\"Open_vSwitch\",\"where\":"
                               "[[\"cur_cfg\",\">=\",1]],\"columns\":[],\"until\":\"!=\","
                               "\"rows\":[],\"timeout\":"),
                      std::string::npos)
                << req;
        else
            EXPECT_EQ(CountOps(req, "select"), 1) << req;
    }
}

TEST_F(Commands, AddPortWithSettingsAndOnFakeBridges)
{
    Ok("add-port br1 p2 tag=9 other_config:x=y trunks=[1,2]");
    EXPECT_EQ(Ok("get Port p2 tag other_config trunks"), "9\n{x=y}\n[1, 2]\n");
    Ok("add-port fk vif2");
    EXPECT_EQ(Ok("get Port vif2 tag -- port-to-br vif2 -- list-ports fk"), "7\nfk\nvif1\nvif2\n");
    EXPECT_EQ(Ok("list-ports br0"), "p1\n");
    Ok("add-port fk vif3 tag=8");   // a setting overrides the fake bridge's tag
    EXPECT_EQ(Ok("get Port vif3 tag -- port-to-br vif3"), "8\nbr0\n");
}

TEST_F(Commands, AddPortErrorsLikeOvsVsctl)
{
    Fails("add-port br1 p1", 1, "vsw: cannot create a port named p1 because a port named p1 "
                                "already exists on bridge br0");
    Fails("add-port br1 fk", 1, "cannot create a port named fk because a bridge named fk already "
                                "exists");
    Fails("add-port br1 br0", 1, "because a bridge named br0 already exists");
    Fails("add-port nope p9", 1, "no bridge named nope");
    Fails("add-port br0 p9 nosuch=1", 2, "Port does not contain a column whose name matches "
                                         "\"nosuch\"");
    Fails("add-port br0 p9 tag=x", 2, "\"x\" is not a valid integer");
    Fails("add-port br0 p9 name=other", 2, "cannot modify read-only column name in table Port");
    Fails("add-port br0", 2, "'add-port' command requires at least 2 arguments");
    Fails("add-port br0 p9 -- add-port br1 p9", 1, "cannot create a port named p9 because a "
                                                   "port named p9 already exists on bridge br0");
}

TEST_F(Commands, AddPortMayExist)
{
    Result r = db_.Run("--may-exist add-port br0 p1");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const auto &q : r.requests)
        EXPECT_EQ(CountOps(q, "insert"), 0);
    Fails("--may-exist add-port br1 p1", 1, "\"--may-exist add-port br1 p1\" but p1 is actually "
                                            "attached to bridge br0");
    Ok("add-bond br1 bond0 a b");
    Fails("--may-exist add-bond br1 bond0 a c", 1, "but bond0 actually has interface(s) a, b");
    Ok("--may-exist add-bond br1 bond0 b a");
    Ok("--may-exist add-port br1 p7");
    EXPECT_EQ(Ok("port-to-br p7"), "br1\n");
}

TEST_F(Commands, AddBond)
{
    Ok("--fake-iface add-bond br1 bond0 a b c bond_mode=active-backup");
    EXPECT_EQ(Ok("list-ifaces br1"), "a\nb\nc\neth1\n");
    EXPECT_EQ(Ok("get Port bond0 bond_mode bond_fake_iface -- iface-to-br b"),
              "active-backup\ntrue\nbr1\n");
    Fails("add-bond br1 bond1 a2", 2, "'add-bond' command requires at least 4 arguments");
    Fails("add-bond br1 bond1 a2 lacp=active", 2, "add-bond requires at least 2 interfaces, but "
                                                  "only 1 were specified");
    Fails("add-bond br1 bond1 x x", 1, "cannot create an interface named x twice");
    Fails("add-bond br1 bond1 x eth1", 1, "cannot create an interface named eth1 because a port "
                                          "named eth1 already exists on bridge br1");
    Ok("del-port bond0");
    // The bond's interfaces go with its port, as in ovs-vsctl: left are br0, p1, fk, vif1, br1
    // and eth1.
    EXPECT_EQ(db_.Rows("Interface"), 6u);
    EXPECT_EQ(db_.Rows("Port"), 6u);
    EXPECT_EQ(Ok("list-ifaces br1"), "eth1\n");
}

TEST_F(Commands, DelPort)
{
    Fails("del-port br0", 1, "cannot delete port br0 because it is the local port for bridge "
                             "br0 (deleting this port requires deleting the entire bridge)");
    Fails("del-port nope", 1, "no port named nope");
    Fails("del-port br1 p1", 1, "bridge br1 does not have a port p1");
    Fails("del-port br0 vif1", 1, "bridge br0 does not have a port vif1 (although its child "
                                  "bridge fk does)");
    Fails("del-port fk p1", 1, "bridge fk does not have a port p1 (although its parent bridge br0 "
                               "does)");
    Ok("--if-exists del-port nope -- --if-exists del-port br0");
    Ok("del-port fk vif1");
    Ok("del-port br0 p1");
    EXPECT_EQ(Ok("list-ports br0 -- list-ports fk"), "");
    Ok("add-bond br1 bond0 a b");
    Fails("del-port a", 1, "no port named a");
    Fails("--with-iface del-port zz", 1, "no port or interface named zz");
    Ok("--with-iface del-port a");
    EXPECT_EQ(Ok("list-ports br1"), "eth1\n");
    EXPECT_EQ(db_.Rows("Port"), 4u);   // br0, fk, br1, eth1
}

TEST_F(Commands, DelBr)
{
    Ok("del-br fk");
    EXPECT_EQ(Ok("list-br -- list-ports br0"), "br0\nbr1\np1\n");
    EXPECT_EQ(db_.Rows("Port"), 4u);
    Ok("add-br fk br0 7 -- add-port fk vif1");
    Ok("del-br br0");
    EXPECT_EQ(Ok("list-br"), "br1\n");
    EXPECT_EQ(db_.Rows("Port"), 2u);
    EXPECT_EQ(db_.Rows("Interface"), 2u);
    Fails("del-br br0", 1, "no bridge named br0");
    Ok("--if-exists del-br br0");
}

TEST_F(Commands, ChainedCommandsAreOneAtomicTransaction)
{
    Fails("add-port br0 n1 -- add-port nope n2", 1, "no bridge named nope");
    Fails("add-port br0 n1 -- set Port n1 tag=99999", 2, "not in the valid range");
    Fails("add-br b9 -- add-port b9 n1 -- add-port b9 n1", 1, "cannot create a port named n1 "
                                                              "because a port named n1 already "
                                                              "exists on bridge b9");
    Result r = db_.Run("add-br b9 -- add-port b9 n1 -- list-ports b9 -- set Port n1 tag=3 -- "
                       "get Port n1 tag");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "n1\n3\n");
    ASSERT_FALSE(r.requests.empty());
    EXPECT_EQ(CountOps(r.requests.back(), "insert"), 5);
}

TEST_F(Commands, FailMode)
{
    EXPECT_EQ(Ok("get-fail-mode br0"), "");
    Ok("set-fail-mode br0 secure");
    EXPECT_EQ(Ok("get-fail-mode br0 -- get-fail-mode fk"), "secure\nsecure\n");
    Ok("del-fail-mode br0");
    EXPECT_EQ(Ok("get-fail-mode br0"), "");
    Fails("set-fail-mode br0 bogus", 2, "fail-mode must be \"standalone\" or \"secure\"");
    Fails("set-fail-mode fk secure", 1, "fk is a fake bridge");
    Fails("set-fail-mode nope secure", 1, "no bridge named nope");
}

TEST_F(Commands, Controllers)
{
    Ok("set-controller br0 tcp:127.2.2.2:6653 tcp:127.1.1.1:6653");
    EXPECT_EQ(Ok("get-controller br0 -- get-controller fk"),
              "tcp:127.1.1.1:6653\ntcp:127.2.2.2:6653\ntcp:127.1.1.1:6653\ntcp:127.2.2.2:6653\n");
    Ok("set-controller br0 ssl:127.3.3.3:6653");
    EXPECT_EQ(Ok("get-controller br0"), "ssl:127.3.3.3:6653\n");
    EXPECT_EQ(db_.Rows("Controller"), 1u);   // the old ones were collected
    Ok("del-controller br0");
    EXPECT_EQ(Ok("get-controller br0"), "");
    EXPECT_EQ(db_.Rows("Controller"), 0u);
    Fails("set-controller fk tcp:127.1.1.1", 1, "fk is a fake bridge");
    Result r = db_.Run("set-controller br1 bogus");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.err.find("target type \"bogus\" is possibly erroneous"), std::string::npos);
}

TEST_F(Commands, Managers)
{
    Ok("set-manager ptcp:6640:127.0.0.1 ssl:127.0.0.1:6632");
    EXPECT_EQ(Ok("get-manager"), "ptcp:6640:127.0.0.1\nssl:127.0.0.1:6632\n");
    Ok("set-manager ssl:127.0.0.1:6632");   // the same target again: a fresh row
    EXPECT_EQ(Ok("get-manager"), "ssl:127.0.0.1:6632\n");
    EXPECT_EQ(db_.Rows("Manager"), 1u);
    Ok("del-manager");
    EXPECT_EQ(Ok("get-manager"), "");
    EXPECT_EQ(db_.Rows("Manager"), 0u);
}

TEST_F(Commands, Ssl)
{
    Ok("--bootstrap set-ssl /k.pem /c.pem /ca.pem");
    EXPECT_EQ(Ok("get-ssl"), "Private key: /k.pem\nCertificate: /c.pem\nCA Certificate: /ca.pem\n"
                             "Bootstrap: true\n");
    Ok("set-ssl /k2 /c2 /ca2");
    EXPECT_EQ(db_.Rows("SSL"), 1u);
    EXPECT_NE(Ok("get-ssl").find("Bootstrap: false"), std::string::npos);
    // What the XenServer plugin does when the pool gets a controller, in one transaction.
    Ok("del-manager -- del-ssl -- --bootstrap set-ssl /etc/xensource/xapi-ssl.pem "
       "/etc/xensource/xapi-ssl.pem /etc/openvswitch/vswitchd.cacert -- set-manager "
       "ssl:127.1.1.1:6632");
    EXPECT_EQ(Ok("get-manager"), "ssl:127.1.1.1:6632\n");
    Ok("del-ssl");
    EXPECT_EQ(Ok("get-ssl"), "");
    EXPECT_EQ(db_.Rows("SSL"), 0u);
}

TEST_F(Commands, EmerReset)
{
    Ok("set-controller br0 tcp:127.1.1.1 -- set-fail-mode br0 secure -- "
       "set-manager ptcp:6640:127.0.0.1 -- "
       "set-ssl /k /c /ca -- set Bridge br0 other_config:hwaddr=\"00:11:22:33:44:55\" "
       "other_config:x=y flood_vlans=[3] -- set Port p1 other_config:a=b -- "
       "set Interface p1 ingress_policing_rate=100 ingress_policing_burst=10 -- "
       "-- --id=@m create Mirror name=m0 -- set Bridge br0 mirrors=@m -- "
       "set Bridge br0 external_ids:keep=1");
    Ok("emer-reset");
    EXPECT_EQ(Ok("get-controller br0 -- get-fail-mode br0 -- get-manager -- get-ssl"), "");
    EXPECT_EQ(Ok("get Bridge br0 other_config flood_vlans mirrors external_ids"),
              "{hwaddr=\"00:11:22:33:44:55\"}\n[]\n[]\n{keep=\"1\"}\n");
    EXPECT_EQ(Ok("get Port p1 other_config -- get Interface p1 ingress_policing_rate "
                 "ingress_policing_burst"),
              "{}\n0\n0\n");
    for (const char *table : { "Mirror", "Controller", "Manager", "SSL" })
        EXPECT_EQ(db_.Rows(table), 0u) << table;
    EXPECT_EQ(Ok("list-br"), "br0\nbr1\nfk\n");   // bridges and ports stay
}

TEST_F(Commands, WaitsForSwitchdToApply)
{
    db_.switchd = true;
    vsctl_options options;
    vsctl_options_init(&options);
    Result r = db_.Run("add-port br0 w1", &options);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(db_.Transact("[\"Open_vSwitch\",{\"op\":\"select\",\"table\":\"Open_vSwitch\","
                           "\"where\":[],\"columns\":[\"cur_cfg\",\"next_cfg\"]}]"),
              "[{\"rows\":[{\"cur_cfg\":1,\"next_cfg\":1}]}]");
    // Reads change nothing and wait for nothing: one request, selecting the bridges and the
    // fake bridges together, with no commit and no poll of cur_cfg.
    r = db_.Run("list-br", &options);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "br0\nbr1\nfk\n");
    ASSERT_EQ(r.requests.size(), 1u);
    EXPECT_EQ(CountOps(r.requests[0], "select"), 2);
    EXPECT_EQ(CountOps(r.requests[0], "comment") + CountOps(r.requests[0], "mutate") +
                  CountOps(r.requests[0], "wait"),
              0);

    db_.switchd = false;
    options.timeout_ms = 2000;
    uint64_t start = db_.now_ms;
    r = db_.Run("add-port br0 w2", &options);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("timed out waiting for vsw-switchd to apply the change (next_cfg 2, "
                         "cur_cfg 1); the change is committed"),
              std::string::npos)
        << r.err;
    EXPECT_GE(db_.now_ms - start, 2000u);
    // Each poll is a wait of up to 10 ms and a read of cur_cfg.
    EXPECT_LT(r.requests.size(), 2 * (2000u / 10 + 20)) << "polls back off to 10 ms";
    EXPECT_EQ(Ok("port-to-br w2"), "br0\n");
}

TEST_F(Commands, DryRunCommitsNothing)
{
    vsctl_options options;
    vsctl_options_init(&options);
    options.no_wait = true;
    options.dry_run = true;
    std::string before = db_.Snapshot();
    Result r = db_.Run("add-port br0 d1 -- create Bridge name=x", &options);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(db_.Snapshot(), before);
}

TEST_F(Commands, RetriesWhenTheDatabaseChangesUnderIt)
{
    // Between del-port's reads and its commit, another client moves p1 to br1.
    bool moved = false;
    db_.before_request = [&moved](MemoryDb &db, const std::string &params) {
        if (moved || params.find("\"comment\"") == std::string::npos)
            return;
        moved = true;
        std::string reply = db.Transact(
            "[\"Open_vSwitch\",{\"op\":\"select\",\"table\":\"Port\",\"where\":[[\"name\","
            "\"==\",\"p1\"]],\"columns\":[\"_uuid\"]}]");
        size_t at = reply.find("[\"uuid\",\"");
        std::string uuid = reply.substr(at, 46);
        db.Transact("[\"Open_vSwitch\",{\"op\":\"mutate\",\"table\":\"Bridge\",\"where\":[["
                    "\"name\",\"==\",\"br0\"]],\"mutations\":[[\"ports\",\"delete\"," +
                    uuid + "]]},{\"op\":\"mutate\",\"table\":\"Bridge\",\"where\":[[\"name\","
                    "\"==\",\"br1\"]],\"mutations\":[[\"ports\",\"insert\"," + uuid + "]]}]");
    };
    Result r = db_.Run("del-port p1");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(moved);
    db_.before_request = nullptr;
    EXPECT_EQ(Ok("list-ports br1"), "eth1\n");
    EXPECT_EQ(db_.Rows("Port"), 5u);
}

TEST_F(Commands, Oneline)
{
    vsctl_options options;
    vsctl_options_init(&options);
    options.oneline = true;
    Result r = db_.Run("list-br -- list-ports br0 -- br-exists br0", &options);
    EXPECT_EQ(r.out, "br0\\nbr1\\nfk\np1\n\n");
}

TEST(CommandLine, UsageErrorsSendNothing)
{
    MemoryDb db;
    struct {
        const char *line;
        const char *says;
    } cases[] = {
        { "frobnicate", "unknown command 'frobnicate'" },
        { "--if-exists add-br br0", "'add-br' command has no '--if-exists' option" },
        { "--if-exists --if-exists del-br x", "'--if-exists' option specified multiple times" },
        { "--bogus del-br x", "unknown option '--bogus'" },
        { "--id del-br x", "option '--id' needs a value" },
        { "del-br", "'del-br' command requires at least 1 argument" },
        { "del-br a b", "'del-br' command takes at most 1 argument" },
        { "add-br -- list-br", "'add-br' command requires at least 1 argument" },
        { "--may-exist", "missing command name" },
        { "-- --", "missing command name" },
        { "list-br -- frob", "unknown command 'frob'" },
    };
    for (const auto &c : cases) {
        Result r = db.Run(c.line);
        EXPECT_EQ(r.exit_code, 2) << c.line << "\n" << r.err;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << c.line << "\n" << r.err;
        EXPECT_NE(r.err.find("(try 'vsw --help')"), std::string::npos) << c.line;
        EXPECT_TRUE(r.requests.empty()) << c.line;
    }
    Result r = db.Run(std::vector<std::string>{ "add-br", "\xff\xfe" });
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("argument 2 is not valid UTF-8"), std::string::npos) << r.err;
}

}  // namespace

// ==== the CLI's own copy of the schema ====

// The schema without Bridge.datapath_version: a CLI built before the database gained it.
std::string SchemaWithoutDatapathVersion()
{
    std::string text = vsctltest::ReadFile("dbd/vswitch.schema");
    struct json *schema = json_parse(text.data(), text.size(), nullptr);
    if (!schema)
        return "";
    struct json *bridge = json_object_get(json_object_get(schema, "tables"), "Bridge");
    json_free(json_object_remove(json_object_get(bridge, "columns"), "datapath_version"));
    char *out = json_to_string(schema);
    std::string result = out;
    free(out);
    json_free(schema);
    return result;
}

TEST_F(Commands, RefusedOwnSchemaRunsAgainWithTheDatabasesOnce)
{
    db_.assumed_schema = vsctltest::ReadFile("dbd/vswitch.schema");
    db_.schema_fetches = 0;
    std::string before = db_.Snapshot();
    Result r = db_.Run("add-br br9 -- list-br");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "br0\nbr1\nbr9\nfk\n");   // printed once, by the run that committed
    EXPECT_EQ(db_.schema_fetches, 2);
    EXPECT_EQ(db_.refused, 1);
    EXPECT_EQ(Ok("list-br"), "br0\nbr1\nbr9\nfk\n");
    EXPECT_NE(db_.Snapshot(), before);
}

TEST_F(Commands, ColumnUnknownToTheOwnSchemaIsAskedOfTheDatabase)
{
    ASSERT_EQ(Ok("set Bridge br0 datapath_version=v7"), "");
    db_.assumed_schema = SchemaWithoutDatapathVersion();
    ASSERT_EQ(db_.assumed_schema.find("datapath_version"), std::string::npos);
    db_.schema_fetches = 0;
    Result r = db_.Run("get Bridge br0 datapath_version");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "v7\n");
    EXPECT_EQ(db_.schema_fetches, 2);
    // The usage error of the first run was checked with one request of no operation.
    EXPECT_EQ(db_.refused, 1);
    ASSERT_FALSE(r.requests.empty());
    EXPECT_EQ(r.requests[0], "[\"Open_vSwitch\"]");
}

TEST_F(Commands, UsageErrorUnderTheDatabasesSchemaStaysOneError)
{
    db_.assumed_schema = vsctltest::ReadFile("dbd/vswitch.schema");
    db_.schema_fetches = 0;
    std::string before = db_.Snapshot();
    Result r = db_.Run("get Bridge br0 nosuchcolumn");
    EXPECT_EQ(r.exit_code, VSCTL_EXIT_USAGE);
    // One message, from the run with the database's schema.
    EXPECT_EQ(r.err.find("vsw: "), r.err.rfind("vsw: ")) << r.err;
    EXPECT_NE(r.err.find("nosuchcolumn"), std::string::npos) << r.err;
    EXPECT_EQ(db_.schema_fetches, 2);
    EXPECT_EQ(db_.Snapshot(), before);
}
