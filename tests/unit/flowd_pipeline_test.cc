// The bridge pipeline (bridge.c) over a fake datapath provider: frames go in through
// recv_batch, come out of send_batch as bytes, and the cache's state is inspected in between.
// This is where revalidation is proven: after a MAC is learned, moves or ages out, a port is
// deleted or its VLAN changes, no cached flow forwards the old way, and the packets that follow
// hit the cache instead of missing.
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <thread>
#include <map>

#include "tests/unit/flowd_test_util.h"

extern "C" {
#include "flowd/bridge.h"
#include "lib/loop.h"
}

namespace {

struct Sent {
    std::vector<uint8_t> frame;
    vnet_hdr vnet;
};

struct FakeDpif;

// What the bridge holds: the provider's struct dpif first, so the two convert.
struct FakeHandle {
    dpif up;
    FakeDpif *self;
};

// The fake datapath: frames queued per port for input, frames captured per port on output,
// the real megaflow table as its cache.
struct FakeDpif {
    FakeHandle handle;
    megaflow_table flows;
    std::map<uint32_t, int> fds;
    std::map<uint32_t, std::deque<dp_packet>> rx;   // data owned by `frames`
    std::deque<std::vector<uint8_t>> frames;
    std::map<uint32_t, std::vector<Sent>> tx;
};

FakeDpif *Fake(dpif *d)
{
    return reinterpret_cast<FakeHandle *>(d)->self;
}

int FakeOpen(const dpif_class *cls, const char *name, const dpif_env *, dpif **out, char *,
             size_t)
{
    auto *f = new FakeDpif();
    f->handle.self = f;
    f->handle.up.dpif_class = cls;
    snprintf(f->handle.up.name, sizeof f->handle.up.name, "%s", name);
    megaflow_table_init(&f->flows, 1000);
    *out = &f->handle.up;
    return 0;
}

void FakeClose(dpif *d)
{
    FakeDpif *f = Fake(d);
    for (auto &[port, fd] : f->fds)
        close(fd);
    megaflow_table_destroy(&f->flows);
    delete f;
}

int FakePortAdd(dpif *d, const dpif_port_spec *spec, dpif_port_info *info, char *, size_t)
{
    int fd = eventfd(0, EFD_CLOEXEC);
    Fake(d)->fds[spec->port_no] = fd;
    info->fd = fd;
    info->ifindex = (int)spec->port_no;
    info->vnet_hdr = true;
    return 0;
}

void FakePortDel(dpif *d, uint32_t port_no)
{
    FakeDpif *f = Fake(d);
    close(f->fds[port_no]);
    f->fds.erase(port_no);
}

size_t FakeRecv(dpif *d, uint32_t port_no, dp_packet_batch *b, uint64_t *)
{
    auto &q = Fake(d)->rx[port_no];
    b->n = 0;
    while (!q.empty() && b->n < DP_BATCH_MAX) {
        b->pkts[b->n++] = q.front();
        q.pop_front();
    }
    return b->n;
}

void FakeRecvDone(dpif *, uint32_t) {}
int FakePortError(dpif *, uint32_t) { return -1; }
uint64_t FakeRxDropped(dpif *, uint32_t) { return 0; }

dp_send_result FakeSend(dpif *d, uint32_t port_no, dp_txq *q)
{
    dp_send_result r = { 0, 0, 0 };
    for (size_t i = 0; i < q->n; i++) {
        Sent s;
        s.vnet = q->tx[i].vnet;
        for (int k = 1; k < q->tx[i].n_iov; k++) {
            auto *p = static_cast<uint8_t *>(q->tx[i].iov[k].iov_base);
            s.frame.insert(s.frame.end(), p, p + q->tx[i].iov[k].iov_len);
        }
        EXPECT_EQ(s.frame.size(), q->tx[i].len);
        Fake(d)->tx[port_no].push_back(s);
        r.sent++;
        r.bytes += q->tx[i].len;
    }
    return r;
}

megaflow *FakeLookup(dpif *d, const flow_key *key)
{
    return megaflow_lookup(&Fake(d)->flows, key);
}

megaflow *FakePut(dpif *d, const flow_key *key, const flow_key *mask, dp_actions *a,
                  const flow_notes *notes, uint64_t now)
{
    return megaflow_insert(&Fake(d)->flows, key, mask, a, notes, now);
}

void FakeDel(dpif *d, megaflow *f) { megaflow_remove(&Fake(d)->flows, f); }
void FakeFlush(dpif *d) { megaflow_flush(&Fake(d)->flows); }
megaflow *FakeNext(dpif *d, megaflow *prev) { return prev ? prev->next : Fake(d)->flows.flows; }
size_t FakeCount(const dpif *d) { return Fake(const_cast<dpif *>(d))->flows.n_flows; }

const dpif_class kFakeClass = {
    "fake", FakeOpen, FakeClose, FakePortAdd, FakePortDel, FakeRecv, FakeRecvDone, FakeSend,
    FakePortError, FakeRxDropped, FakeLookup, FakePut, FakeDel, FakeFlush, FakeNext, FakeCount,
};

class Pipeline : public ::testing::Test {
  protected:
    void SetUp() override
    {
        env_.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        env_.batch = new dp_packet_batch();
        char err[128];
        br_ = bridge_create(&env_, &kFakeClass, "br0", err, sizeof err);
        ASSERT_NE(br_, nullptr) << err;
        for (uint32_t p = 1; p <= 4; p++)
            AddPort(p);
    }
    void TearDown() override
    {
        bridge_destroy(br_);
        close(env_.epoll_fd);
        delete env_.batch;
    }

    void AddPort(uint32_t port_no)
    {
        std::string name = "p" + std::to_string(port_no);
        dpif_port_spec spec = { name.c_str(), port_no, DP_PORT_SYSTEM, 0, false };
        char err[128];
        ASSERT_NE(bridge_port_add(br_, &spec, err, sizeof err), nullptr) << err;
    }

    FakeDpif *fake() { return Fake(br_->dpif); }

    // Sends one frame into `port_no` (tag in auxdata if aux_tpid) and runs the pipeline.
    void Input(uint32_t port_no, std::vector<uint8_t> frame, uint16_t aux_tpid = 0,
               uint16_t aux_tci = 0, vnet_hdr vnet = {})
    {
        fake()->frames.push_back(std::move(frame));
        dp_packet pkt = {};
        pkt.data = fake()->frames.back().data();
        pkt.len = (uint32_t)fake()->frames.back().size();
        pkt.aux_tpid = aux_tpid;
        pkt.aux_tci = aux_tci;
        pkt.vnet = vnet;
        fake()->rx[port_no].push_back(pkt);
        bridge_port_input(bridge_port_find_no(br_, port_no));
    }

    // Which ports received frames since the last call (and forget them).
    std::vector<uint32_t> Receivers()
    {
        std::vector<uint32_t> out;
        for (auto &[port, frames] : fake()->tx) {
            if (!frames.empty())
                out.push_back(port);
        }
        fake()->tx.clear();
        return out;
    }

    void SetVlan(uint32_t port_no, bool has_tag, uint16_t tag, int mode,
                 std::vector<uint16_t> trunks = {})
    {
        port_vlan_columns cols = { has_tag, tag, mode, trunks.data(), trunks.size() };
        ASSERT_EQ(bridge_port_set_vlan(br_, bridge_port_find_no(br_, port_no), &cols), 0);
    }

    std::vector<uint8_t> Unicast(uint32_t from, uint32_t to)
    {
        return Frame(MacN(to), MacN(from), {}, ETH_TYPE_IPV4);
    }

    bridge_env env_ = {};
    bridge *br_ = nullptr;
};

using Ports = std::vector<uint32_t>;

TEST_F(Pipeline, UnknownUnicastFloodsThenLearnedUnicastHitsTheCache)
{
    Input(1, Unicast(1, 2));
    EXPECT_EQ(Receivers(), (Ports{ 2, 3, 4 }));   // never back out of port 1
    Input(2, Unicast(2, 1));
    EXPECT_EQ(Receivers(), (Ports{ 1 }));          // 1 was learned on port 1
    uint64_t misses = br_->misses;
    // The flood flow 1->2 was revalidated when 2 was learned: now unicast, and a hit.
    Input(1, Unicast(1, 2));
    EXPECT_EQ(Receivers(), (Ports{ 2 }));
    EXPECT_EQ(br_->misses, misses);
    Input(2, Unicast(2, 1));
    EXPECT_EQ(Receivers(), (Ports{ 1 }));
    EXPECT_EQ(br_->misses, misses);
    EXPECT_EQ(br_->hits, 2u);
}

TEST_F(Pipeline, MacMoveIsFollowedByCachedFlows)
{
    Input(1, Unicast(1, 9));
    Receivers();
    Input(2, Unicast(2, 1));
    EXPECT_EQ(Receivers(), (Ports{ 1 }));
    Input(2, Unicast(2, 1));
    EXPECT_EQ(Receivers(), (Ports{ 1 }));
    // MAC 1 shows up on port 3.
    Input(3, Unicast(1, 9));
    Receivers();
    uint64_t misses = br_->misses;
    Input(2, Unicast(2, 1));
    EXPECT_EQ(Receivers(), (Ports{ 3 }));
    EXPECT_EQ(br_->misses, misses) << "the cached flow was fixed, not dropped";
}

TEST_F(Pipeline, DeletedPortGetsNothingMoreAndItsMacsAreForgotten)
{
    Input(2, Unicast(2, 9));
    Receivers();
    Input(1, Unicast(1, 2));
    EXPECT_EQ(Receivers(), (Ports{ 2 }));
    bridge_port_del(br_, bridge_port_find_no(br_, 2));
    Input(1, Unicast(1, 2));
    EXPECT_EQ(Receivers(), (Ports{ 3, 4 }));   // 2's MAC is unknown again: flooded
    Input(1, Frame(kBroadcast, MacN(1), {}, 0x0806));
    EXPECT_EQ(Receivers(), (Ports{ 3, 4 }));
    for (megaflow *f = fake()->flows.flows; f; f = f->next) {
        EXPECT_NE(f->key.in_port, 2u);
        for (uint32_t i = 0; i < f->actions->n; i++)
            EXPECT_NE(f->actions->a[i].port_no, 2u);
    }
}

TEST_F(Pipeline, VlanChangeRevalidatesCachedFloods)
{
    SetVlan(1, true, 10, VLAN_MODE_ACCESS);
    SetVlan(2, true, 10, VLAN_MODE_ACCESS);
    SetVlan(3, true, 20, VLAN_MODE_ACCESS);
    Input(1, Frame(kBroadcast, MacN(1), {}, 0x0806));
    EXPECT_EQ(Receivers(), (Ports{ 2, 4 }));    // 4 is a trunk of all VLANs
    ASSERT_EQ(fake()->tx.size(), 0u);
    SetVlan(2, true, 20, VLAN_MODE_ACCESS);
    SetVlan(3, true, 10, VLAN_MODE_ACCESS);
    uint64_t misses = br_->misses;
    Input(1, Frame(kBroadcast, MacN(1), {}, 0x0806));
    EXPECT_EQ(Receivers(), (Ports{ 3, 4 }));
    EXPECT_EQ(br_->misses, misses);
}

TEST_F(Pipeline, TagsArePushedPoppedAndRestoredFromAuxdata)
{
    SetVlan(1, true, 10, VLAN_MODE_ACCESS);
    SetVlan(2, false, 0, VLAN_MODE_TRUNK, { 10, 20 });
    SetVlan(3, true, 10, VLAN_MODE_ACCESS);
    SetVlan(4, true, 20, VLAN_MODE_ACCESS);
    std::vector<uint8_t> untagged = Frame(kBroadcast, MacN(1), {}, ETH_TYPE_IPV4);
    Input(1, untagged);
    ASSERT_EQ(fake()->tx[2].size(), 1u);
    EXPECT_EQ(fake()->tx[2][0].frame, Frame(kBroadcast, MacN(1), { { 0x8100, 10 } }, ETH_TYPE_IPV4));
    ASSERT_EQ(fake()->tx[3].size(), 1u);
    EXPECT_EQ(fake()->tx[3][0].frame, untagged);
    EXPECT_EQ(fake()->tx[4].size(), 0u);
    Receivers();
    // From the trunk, VLAN 20 with priority 5, the tag in auxdata (as AF_PACKET gives it).
    Input(2, Frame(kBroadcast, MacN(2), {}, ETH_TYPE_IPV4), 0x8100, 0xa014);
    ASSERT_EQ(fake()->tx[4].size(), 1u);
    EXPECT_EQ(fake()->tx[4][0].frame, Frame(kBroadcast, MacN(2), {}, ETH_TYPE_IPV4));
    EXPECT_EQ(fake()->tx[1].size(), 0u);
    Receivers();
    // Trunk to trunk keeps the tag, which must be put back from auxdata.
    AddPort(5);
    Input(2, Frame(kBroadcast, MacN(2), {}, ETH_TYPE_IPV4), 0x8100, 0xa014);

    ASSERT_EQ(fake()->tx[5].size(), 1u);
    EXPECT_EQ(fake()->tx[5][0].frame,
              Frame(kBroadcast, MacN(2), { { 0x8100, 0xa014 } }, ETH_TYPE_IPV4));
}

TEST_F(Pipeline, OffloadOffsetsFollowTheTag)
{
    SetVlan(1, true, 10, VLAN_MODE_ACCESS);
    vnet_hdr vnet = {};
    vnet.flags = VNET_F_NEEDS_CSUM;
    vnet.gso_type = VNET_GSO_TCPV4;
    vnet.csum_start = 34;
    vnet.csum_offset = 16;
    vnet.hdr_len = 66;
    vnet.gso_size = 1448;
    Input(1, Frame(kBroadcast, MacN(1), {}, ETH_TYPE_IPV4, 200), 0, 0, vnet);
    ASSERT_EQ(fake()->tx[2].size(), 1u);
    EXPECT_EQ(fake()->tx[2][0].vnet.csum_start, 38);   // a tag was pushed in front
    EXPECT_EQ(fake()->tx[2][0].vnet.hdr_len, 70);
    EXPECT_EQ(fake()->tx[2][0].vnet.gso_size, 1448);
    Receivers();
    Input(2, Frame(MacN(1), MacN(2), { { 0x8100, 10 } }, ETH_TYPE_IPV4, 200), 0, 0, vnet);
    ASSERT_EQ(fake()->tx[1].size(), 1u);
    EXPECT_EQ(fake()->tx[1][0].vnet.csum_start, 30);   // and popped
}

TEST_F(Pipeline, ReservedMulticastAndTruncatedFramesAreDropped)
{
    Input(1, Frame({ 0x01, 0x80, 0xc2, 0, 0, 0x0e }, MacN(1), {}, 0x88cc));
    Input(1, std::vector<uint8_t>(10, 0xee));
    EXPECT_TRUE(Receivers().empty());
    EXPECT_EQ(bridge_port_find_no(br_, 1)->stats.rx_dropped, 1u);
}

TEST_F(Pipeline, AgingAndIdleExpiryRevalidate)
{
    bridge_set_options(br_, 2, 0, 500);
    Input(2, Unicast(2, 9));
    Receivers();
    Input(1, Unicast(1, 2));
    EXPECT_EQ(Receivers(), (Ports{ 2 }));
    // Run the periodic work as if 3 s had passed without traffic: MAC 2 ages out and the
    // flows, idle for longer than 500 ms, expire.
    bridge_run_periodic(br_, loop_now_ms() + 3000);
    EXPECT_EQ(mac_table_count(&br_->macs), 0u);
    EXPECT_EQ(fake()->flows.n_flows, 0u);
    Input(1, Unicast(1, 2));
    EXPECT_EQ(Receivers(), (Ports{ 2, 3, 4 }));
}

TEST_F(Pipeline, AgingAloneTurnsUnicastBackIntoFlood)
{
    bridge_set_options(br_, 2, 0, 60000);
    Input(2, Unicast(2, 9));
    Input(1, Unicast(1, 2));
    Receivers();
    // The periodic pass sees the traffic above (refreshing MAC 2), the next one, 3 s later,
    // none: MAC 2 ages out.
    uint64_t t0 = loop_now_ms();
    bridge_run_periodic(br_, t0 + 500);
    EXPECT_EQ(mac_table_count(&br_->macs), 2u);
    bridge_run_periodic(br_, t0 + 3000);
    EXPECT_EQ(mac_table_count(&br_->macs), 0u);
    uint64_t misses = br_->misses;
    Input(1, Unicast(1, 2));
    EXPECT_EQ(Receivers(), (Ports{ 2, 3, 4 }));
    EXPECT_EQ(br_->misses, misses);   // the cached flow was turned into a flood
}

TEST_F(Pipeline, CachedTrafficKeepsItsSourceMacAlive)
{
    bridge_set_options(br_, 2, 0, 60000);
    Input(2, Unicast(2, 1));
    Input(1, Unicast(1, 2));
    uint64_t t0 = loop_now_ms();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Input(2, Unicast(2, 1));   // a cache hit, later: no learning on the way
    bridge_run_periodic(br_, t0 + 1500);
    bridge_run_periodic(br_, t0 + 2500);
    const auto mac2 = MacN(2);   // kept: a pointer into the temporary would dangle
    EXPECT_NE(mac_table_lookup(&br_->macs, mac2.data(), 0, t0 + 2500), nullptr);
}

TEST_F(Pipeline, FlushEmptiesTheCacheAndTheMacTable)
{
    Input(2, Unicast(2, 1));
    Input(1, Unicast(1, 2));
    EXPECT_GT(fake()->flows.n_flows, 0u);
    bridge_flush(br_, true, true);
    EXPECT_EQ(fake()->flows.n_flows, 0u);
    EXPECT_EQ(mac_table_count(&br_->macs), 0u);
}

}  // namespace
