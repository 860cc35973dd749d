#include "tests/integration/flowd_client.h"

#include <unistd.h>

FlowdClient::FlowdClient(const std::string &rundir) : rundir_(rundir)
{
    open_ = ipc_client_open(&client_, rundir.c_str(), "flowd.sock", VSW__CHANNEL__CHANNEL_FLOWD,
                            3000) == 0;
}

FlowdClient::~FlowdClient()
{
    if (open_)
        ipc_client_close(&client_);
}

std::string FlowdClient::Call(Vsw__FlowdType type, const ProtobufCMessage &req,
                              const ProtobufCMessageDescriptor *reply_desc,
                              ProtobufCMessage **reply)
{
    if (!open_)
        return "not connected";
    ProtobufCMessage *r = nullptr;
    ipc_error err = {};
    if (ipc_call(&client_, type, &req, reply_desc, &r, &err) < 0)
        return std::string(ipc_error_code_name(err.code)) + ": " + err.message;
    if (reply)
        *reply = r;
    else
        protobuf_c_message_free_unpacked(r, nullptr);
    return "";
}

std::string FlowdClient::AddDatapath(const std::string &name)
{
    Vsw__FlowdDatapathAdd req = VSW__FLOWD_DATAPATH_ADD__INIT;
    req.name = const_cast<char *>(name.c_str());
    req.type = const_cast<char *>("netdev");
    return Call(VSW__FLOWD_TYPE__FLOWD_DATAPATH_ADD, req.base);
}

std::string FlowdClient::DelDatapath(const std::string &name)
{
    Vsw__FlowdDatapathDel req = VSW__FLOWD_DATAPATH_DEL__INIT;
    req.name = const_cast<char *>(name.c_str());
    return Call(VSW__FLOWD_TYPE__FLOWD_DATAPATH_DEL, req.base);
}

std::string FlowdClient::AddPort(const std::string &dp, const std::string &name, uint32_t port_no,
                                 bool internal, uint32_t mtu, bool offloads_off)
{
    Vsw__FlowdPortAdd req = VSW__FLOWD_PORT_ADD__INIT;
    req.datapath = const_cast<char *>(dp.c_str());
    req.name = const_cast<char *>(name.c_str());
    req.port_no = port_no;
    req.kind = internal ? VSW__FLOWD_PORT_KIND__FLOWD_PORT_INTERNAL
                        : VSW__FLOWD_PORT_KIND__FLOWD_PORT_SYSTEM;
    req.mtu_request = mtu;
    req.offloads_off = offloads_off;
    return Call(VSW__FLOWD_TYPE__FLOWD_PORT_ADD, req.base, &vsw__flowd_port_add_reply__descriptor);
}

std::string FlowdClient::DelPort(const std::string &dp, const std::string &name)
{
    Vsw__FlowdPortDel req = VSW__FLOWD_PORT_DEL__INIT;
    req.datapath = const_cast<char *>(dp.c_str());
    req.name = const_cast<char *>(name.c_str());
    return Call(VSW__FLOWD_TYPE__FLOWD_PORT_DEL, req.base);
}

std::string FlowdClient::SetVlan(const std::string &dp, const std::string &name, int tag,
                                 Vsw__FlowdVlanMode mode, std::vector<uint32_t> trunks)
{
    Vsw__FlowdPortVlan req = VSW__FLOWD_PORT_VLAN__INIT;
    req.datapath = const_cast<char *>(dp.c_str());
    req.name = const_cast<char *>(name.c_str());
    req.has_tag = tag >= 0;
    req.tag = tag >= 0 ? (uint32_t)tag : 0;
    req.vlan_mode = mode;
    req.trunks = trunks.data();
    req.n_trunks = trunks.size();
    return Call(VSW__FLOWD_TYPE__FLOWD_PORT_SET_VLAN, req.base);
}

std::string FlowdClient::SetOptions(const std::string &dp, uint32_t aging_s, uint32_t table_size,
                                    uint32_t idle_ms)
{
    Vsw__FlowdBridgeOptions req = VSW__FLOWD_BRIDGE_OPTIONS__INIT;
    req.datapath = const_cast<char *>(dp.c_str());
    req.mac_aging_time = aging_s;
    req.mac_table_size = table_size;
    req.flow_idle_timeout_ms = idle_ms;
    return Call(VSW__FLOWD_TYPE__FLOWD_BRIDGE_SET_OPTIONS, req.base);
}

std::string FlowdClient::Flush(const std::string &dp, bool flows, bool fdb)
{
    Vsw__FlowdFlushRequest req = VSW__FLOWD_FLUSH_REQUEST__INIT;
    req.datapath = const_cast<char *>(dp.c_str());
    req.flows = flows;
    req.fdb = fdb;
    return Call(VSW__FLOWD_TYPE__FLOWD_FLUSH, req.base);
}

Vsw__FlowdPortStatusReply *FlowdClient::PortStatus(const std::string &dp,
                                                   const std::string &name)
{
    Vsw__FlowdPortStatusRequest req = VSW__FLOWD_PORT_STATUS_REQUEST__INIT;
    req.datapath = const_cast<char *>(dp.c_str());
    req.name = const_cast<char *>(name.c_str());
    ProtobufCMessage *reply = nullptr;
    if (!Call(VSW__FLOWD_TYPE__FLOWD_PORT_STATUS, req.base,
              &vsw__flowd_port_status_reply__descriptor, &reply)
             .empty())
        return nullptr;
    return reinterpret_cast<Vsw__FlowdPortStatusReply *>(reply);
}

std::vector<FdbRow> FlowdClient::Fdb(const std::string &dp)
{
    Vsw__FlowdFdbDumpRequest req = VSW__FLOWD_FDB_DUMP_REQUEST__INIT;
    req.datapath = const_cast<char *>(dp.c_str());
    ProtobufCMessage *reply = nullptr;
    std::vector<FdbRow> rows;
    if (!Call(VSW__FLOWD_TYPE__FLOWD_FDB_DUMP, req.base, &vsw__flowd_fdb_dump_reply__descriptor,
              &reply)
             .empty())
        return rows;
    auto *r = reinterpret_cast<Vsw__FlowdFdbDumpReply *>(reply);
    for (size_t i = 0; i < r->n_entries; i++)
        rows.push_back({ r->entries[i]->port_no, r->entries[i]->vlan, r->entries[i]->mac,
                         r->entries[i]->age_s });
    protobuf_c_message_free_unpacked(reply, nullptr);
    return rows;
}

std::vector<FlowRow> FlowdClient::Flows(const std::string &dp)
{
    Vsw__FlowdFlowDumpRequest req = VSW__FLOWD_FLOW_DUMP_REQUEST__INIT;
    req.datapath = const_cast<char *>(dp.c_str());
    ProtobufCMessage *reply = nullptr;
    std::vector<FlowRow> rows;
    if (!Call(VSW__FLOWD_TYPE__FLOWD_FLOW_DUMP, req.base, &vsw__flowd_flow_dump_reply__descriptor,
              &reply)
             .empty())
        return rows;
    auto *r = reinterpret_cast<Vsw__FlowdFlowDumpReply *>(reply);
    for (size_t i = 0; i < r->n_flows; i++)
        rows.push_back({ r->flows[i]->match, r->flows[i]->actions, r->flows[i]->packets,
                         r->flows[i]->bytes });
    protobuf_c_message_free_unpacked(reply, nullptr);
    return rows;
}

std::string FlowdClient::StateSnapshot()
{
    Vsw__FlowdDatapathDumpRequest req = VSW__FLOWD_DATAPATH_DUMP_REQUEST__INIT;
    ProtobufCMessage *reply = nullptr;
    std::string err = Call(VSW__FLOWD_TYPE__FLOWD_DATAPATH_DUMP, req.base,
                           &vsw__flowd_datapath_dump_reply__descriptor, &reply);
    if (!err.empty())
        return err;
    auto *r = reinterpret_cast<Vsw__FlowdDatapathDumpReply *>(reply);
    std::string out;
    for (size_t i = 0; i < r->n_datapaths; i++) {
        const Vsw__FlowdDatapath *d = r->datapaths[i];
        out += std::string(d->name) + " " + d->type + " " + std::to_string(d->mac_aging_time) +
               " " + std::to_string(d->mac_table_size) + " " +
               std::to_string(d->flow_idle_timeout_ms) + ":";
        for (size_t p = 0; p < d->n_ports; p++) {
            const Vsw__FlowdPortConfig *c = d->ports[p];
            out += std::string(" ") + c->name + "=" + std::to_string(c->port_no) + "/" +
                   std::to_string(c->kind) + "/" + std::to_string(c->tag) + "/" +
                   std::to_string(c->vlan_mode) + "/" + std::to_string(c->n_trunks);
        }
        out += "\n";
    }
    protobuf_c_message_free_unpacked(reply, nullptr);
    return out;
}

uint64_t FlowdClient::Epoch()
{
    Vsw__Hello hello = VSW__HELLO__INIT;
    hello.client = const_cast<char *>("dataplane_test");
    hello.pid = (uint32_t)getpid();
    ProtobufCMessage *reply = nullptr;
    if (!Call(VSW__FLOWD_TYPE__FLOWD_HELLO, hello.base, &vsw__hello_reply__descriptor, &reply)
             .empty())
        return 0;
    uint64_t epoch = reinterpret_cast<Vsw__HelloReply *>(reply)->epoch;
    protobuf_c_message_free_unpacked(reply, nullptr);
    return epoch;
}
