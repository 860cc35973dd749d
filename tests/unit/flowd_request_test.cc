// The flowd channel's validation policies: every field range, name and enum rule refuses with
// ERROR_INVALID_ARGUMENT and a message naming the field; valid requests pass.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "flowd/request.h"
#include "proto/flowd.pb-c.h"
}

namespace {

std::string Refusal(const ProtobufCMessage *msg)
{
    ipc_error err = {};
    if (request_validate(msg, &err) == 0)
        return "";
    EXPECT_EQ(err.code, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    return err.message;
}

Vsw__FlowdPortAdd ValidPortAdd()
{
    Vsw__FlowdPortAdd req = VSW__FLOWD_PORT_ADD__INIT;
    req.datapath = (char *)"br0";
    req.name = (char *)"eth1";
    req.port_no = 1;
    req.kind = VSW__FLOWD_PORT_KIND__FLOWD_PORT_SYSTEM;
    return req;
}

TEST(Request, InterfaceNames)
{
    char why[96];
    EXPECT_TRUE(ifname_valid("eth0", why, sizeof why));
    EXPECT_TRUE(ifname_valid("abcdefghijklmno", why, sizeof why));   // 15 bytes
    EXPECT_FALSE(ifname_valid("abcdefghijklmnop", why, sizeof why));
    EXPECT_STREQ(why, "is 16 bytes long (at most 15)");
    for (const char *bad : { "", ".", "..", "a/b", "a:1", "a b", "a\tb", "\x7f" })
        EXPECT_FALSE(ifname_valid(bad, why, sizeof why)) << bad;
}

TEST(Request, PortAdd)
{
    Vsw__FlowdPortAdd req = ValidPortAdd();
    EXPECT_EQ(Refusal(&req.base), "");
    req.port_no = 0xfffe;
    EXPECT_EQ(Refusal(&req.base), "");
    for (uint32_t bad : { 0u, 0xff00u, 0xfffdu, 0xffffu, 70000u }) {
        req.port_no = bad;
        EXPECT_NE(Refusal(&req.base).find("port_no: " + std::to_string(bad) +
                                          " is not a port number"),
                  std::string::npos);
    }
    req = ValidPortAdd();
    req.name = (char *)"much-too-long-name";
    EXPECT_NE(Refusal(&req.base).find("name: \"much-too-long-name\" is not an interface name"),
              std::string::npos);
    req = ValidPortAdd();
    req.datapath = (char *)"";
    EXPECT_EQ(Refusal(&req.base), "datapath: \"\" is not an interface name: it is empty");
    req = ValidPortAdd();
    req.kind = VSW__FLOWD_PORT_KIND__FLOWD_PORT_KIND_UNSPECIFIED;
    EXPECT_EQ(Refusal(&req.base), "kind: must be set");
    req.kind = (Vsw__FlowdPortKind)7;
    EXPECT_EQ(Refusal(&req.base), "kind: 7 is not a value of vsw.FlowdPortKind");
    req = ValidPortAdd();
    req.mtu_request = 67;
    EXPECT_EQ(Refusal(&req.base), "mtu_request: 67 is out of range (0 for the default, or 68..65535)");
    req.mtu_request = 9000;
    EXPECT_EQ(Refusal(&req.base), "");
}

TEST(Request, PortAddBatchHoldsOneTo1024Ports)
{
    Vsw__FlowdPortAdd one = ValidPortAdd();
    std::vector<Vsw__FlowdPortAdd *> ports(1025, &one);
    Vsw__FlowdPortAddBatch batch = VSW__FLOWD_PORT_ADD_BATCH__INIT;
    batch.ports = ports.data();
    batch.n_ports = 1;
    EXPECT_EQ(Refusal(&batch.base), "");
    batch.n_ports = 1024;
    EXPECT_EQ(Refusal(&batch.base), "");
    batch.n_ports = 1025;
    EXPECT_EQ(Refusal(&batch.base), "ports: 1025 elements (1..1024 allowed)");
    batch.n_ports = 0;
    EXPECT_EQ(Refusal(&batch.base), "ports: 0 elements (1..1024 allowed)");
}

TEST(Request, PortVlan)
{
    Vsw__FlowdPortVlan req = VSW__FLOWD_PORT_VLAN__INIT;
    req.datapath = (char *)"br0";
    req.name = (char *)"eth1";
    uint32_t trunks[] = { 0, 10, 4095 };
    req.trunks = trunks;
    req.n_trunks = 3;
    req.has_tag = true;
    req.tag = 4095;
    req.vlan_mode = VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_NATIVE_UNTAGGED;
    EXPECT_EQ(Refusal(&req.base), "");
    req.tag = 4096;
    EXPECT_EQ(Refusal(&req.base), "tag: 4096 is out of range (0..4095)");
    req.tag = 1;
    trunks[1] = 5000;
    EXPECT_EQ(Refusal(&req.base), "trunks: VLAN 5000 is out of range (0..4095)");
    trunks[1] = 10;
    req.vlan_mode = (Vsw__FlowdVlanMode)9;
    EXPECT_EQ(Refusal(&req.base), "vlan_mode: 9 is not a value of vsw.FlowdVlanMode");
    req.vlan_mode = VSW__FLOWD_VLAN_MODE__FLOWD_VLAN_MODE_UNSPECIFIED;   // OVS's default
    EXPECT_EQ(Refusal(&req.base), "");
}

TEST(Request, BridgeOptions)
{
    Vsw__FlowdBridgeOptions req = VSW__FLOWD_BRIDGE_OPTIONS__INIT;
    req.datapath = (char *)"br0";
    EXPECT_EQ(Refusal(&req.base), "");   // all defaults
    req.mac_aging_time = 86401;
    EXPECT_EQ(Refusal(&req.base), "mac_aging_time: 86401 is out of range (0 for the default, or 1..86400)");
    req.mac_aging_time = 2;
    req.mac_table_size = 9;
    EXPECT_EQ(Refusal(&req.base), "mac_table_size: 9 is out of range (0 for the default, or 10..1048576)");
    req.mac_table_size = 0;
    req.flow_idle_timeout_ms = 50;
    EXPECT_EQ(Refusal(&req.base), "flow_idle_timeout_ms: 50 is out of range (0 for the default, or 100..3600000)");
}

TEST(Request, DumpsAcceptAnEmptyDatapathWhereItMeansAll)
{
    Vsw__FlowdFlowDumpRequest flows = VSW__FLOWD_FLOW_DUMP_REQUEST__INIT;
    EXPECT_EQ(Refusal(&flows.base), "");
    Vsw__FlowdFdbDumpRequest fdb = VSW__FLOWD_FDB_DUMP_REQUEST__INIT;
    EXPECT_NE(Refusal(&fdb.base), "");
    Vsw__FlowdPortStatusRequest status = VSW__FLOWD_PORT_STATUS_REQUEST__INIT;
    status.datapath = (char *)"br0";
    EXPECT_EQ(Refusal(&status.base), "");
}

}  // namespace
