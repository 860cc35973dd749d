/* Driving vsw-flowd over its channel (<rundir>/flowd.sock) from tests, as vsw-switchd will. */
#ifndef VSW_TESTS_INTEGRATION_FLOWD_CLIENT_H
#define VSW_TESTS_INTEGRATION_FLOWD_CLIENT_H

#include <stdint.h>

#include <string>
#include <vector>

extern "C" {
#include "lib/ipc.h"
#include "proto/dbd.pb-c.h"
#include "proto/flowd.pb-c.h"
}

struct FdbRow {
    uint32_t port_no;
    uint32_t vlan;
    std::string mac;
    uint32_t age_s;
};

struct FlowRow {
    std::string match, actions;
    uint64_t packets, bytes;
};

class FlowdClient {
  public:
    explicit FlowdClient(const std::string &rundir);
    ~FlowdClient();

    // Each returns "" on success, else "<ERROR_CODE>: <message>".
    std::string Call(Vsw__FlowdType type, const ProtobufCMessage &req,
                     const ProtobufCMessageDescriptor *reply_desc = &vsw__flowd_ack__descriptor,
                     ProtobufCMessage **reply = nullptr);
    std::string AddDatapath(const std::string &name);
    std::string DelDatapath(const std::string &name);
    std::string AddPort(const std::string &dp, const std::string &name, uint32_t port_no,
                        bool internal = false, uint32_t mtu = 0, bool offloads_off = false);
    std::string DelPort(const std::string &dp, const std::string &name);
    std::string SetVlan(const std::string &dp, const std::string &name, int tag,
                        Vsw__FlowdVlanMode mode, std::vector<uint32_t> trunks = {});
    std::string SetOptions(const std::string &dp, uint32_t aging_s, uint32_t table_size,
                           uint32_t idle_ms);
    std::string Flush(const std::string &dp, bool flows, bool fdb);
    // The status of port `name` of `dp`, or of all its ports for ""; nullptr if refused.
    // Free with protobuf_c_message_free_unpacked().
    Vsw__FlowdPortStatusReply *PortStatus(const std::string &dp, const std::string &name = "");
    std::vector<FdbRow> Fdb(const std::string &dp);
    std::vector<FlowRow> Flows(const std::string &dp);
    // A packed FLOWD_DATAPATH_DUMP reply, to compare the whole state before and after.
    std::string StateSnapshot();
    uint64_t Epoch();   // from the HELLO handshake; 0 if flowd does not answer

  private:
    std::string rundir_;
    ipc_client client_;
    bool open_ = false;
};

#endif
