// The MAC learning table: learning, moves, aging, the size limit (oldest evicted), flushes, and
// the change notifications revalidation relies on. Time is the test's.
#include <gtest/gtest.h>

#include <utility>

#include "tests/unit/flowd_test_util.h"

extern "C" {
#include "flowd/mac_table.h"
}

namespace {

class MacTable : public ::testing::Test {
  protected:
    void SetUp() override
    {
        ASSERT_EQ(mac_table_init(&t_, 8, 300000), 0);
        mac_table_set_change_callback(&t_, OnChange, this);
    }
    void TearDown() override { mac_table_destroy(&t_); }

    static void OnChange(void *aux, const uint8_t *mac, uint16_t vlan)
    {
        auto *self = static_cast<MacTable *>(aux);
        Mac m;
        memcpy(m.data(), mac, 6);
        self->changes_.push_back({ m, vlan });
    }

    int PortOf(uint32_t n, uint16_t vlan, uint64_t now)
    {
        const mac_entry *e = mac_table_lookup(&t_, MacN(n).data(), vlan, now);
        return e ? (int)e->port : -1;
    }

    mac_table t_;
    std::vector<std::pair<Mac, uint16_t>> changes_;
};

TEST_F(MacTable, LearnsPerVlan)
{
    EXPECT_EQ(mac_table_learn(&t_, MacN(1).data(), 10, 3, 0), MAC_LEARN_NEW);
    EXPECT_EQ(mac_table_learn(&t_, MacN(1).data(), 20, 4, 0), MAC_LEARN_NEW);
    EXPECT_EQ(PortOf(1, 10, 1), 3);
    EXPECT_EQ(PortOf(1, 20, 1), 4);
    EXPECT_EQ(PortOf(1, 30, 1), -1);
    EXPECT_EQ(mac_table_count(&t_), 2u);
    EXPECT_EQ(changes_.size(), 2u);
}

TEST_F(MacTable, RefreshIsNotAChangeButAMoveIs)
{
    mac_table_learn(&t_, MacN(1).data(), 0, 1, 0);
    changes_.clear();
    EXPECT_EQ(mac_table_learn(&t_, MacN(1).data(), 0, 1, 100), MAC_LEARN_REFRESHED);
    EXPECT_TRUE(changes_.empty());
    EXPECT_EQ(mac_table_learn(&t_, MacN(1).data(), 0, 2, 200), MAC_LEARN_MOVED);
    ASSERT_EQ(changes_.size(), 1u);
    EXPECT_EQ(changes_[0].first, MacN(1));
    EXPECT_EQ(PortOf(1, 0, 300), 2);
}

TEST_F(MacTable, MulticastSourcesAreNotLearned)
{
    uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
    EXPECT_EQ(mac_table_learn(&t_, mcast, 0, 1, 0), MAC_LEARN_FAILED);
    EXPECT_EQ(mac_table_count(&t_), 0u);
}

TEST_F(MacTable, EntriesAgeOutAfterTheAgingTime)
{
    mac_table_set_limits(&t_, 8, 2000);
    mac_table_learn(&t_, MacN(1).data(), 0, 1, 0);
    mac_table_learn(&t_, MacN(2).data(), 0, 1, 1000);
    EXPECT_EQ(PortOf(1, 0, 1999), 1);
    EXPECT_EQ(PortOf(1, 0, 2000), -1);   // expired: invisible before the aging pass
    EXPECT_EQ(mac_table_age(&t_, 1999), 0u);
    changes_.clear();
    EXPECT_EQ(mac_table_age(&t_, 2500), 1u);
    EXPECT_EQ(changes_.size(), 1u);
    EXPECT_EQ(mac_table_count(&t_), 1u);
    EXPECT_EQ(mac_table_age(&t_, 3000), 1u);
    EXPECT_EQ(mac_table_count(&t_), 0u);
}

TEST_F(MacTable, SeeingAMacAgainKeepsItAlive)
{
    mac_table_set_limits(&t_, 8, 2000);
    mac_table_learn(&t_, MacN(1).data(), 0, 1, 0);
    mac_table_learn(&t_, MacN(1).data(), 0, 1, 1500);
    EXPECT_EQ(mac_table_age(&t_, 3000), 0u);
    EXPECT_EQ(PortOf(1, 0, 3000), 1);
    EXPECT_EQ(mac_table_age(&t_, 3600), 1u);
}

TEST_F(MacTable, CachedTrafficCountsOnlyWhenItIsNews)
{
    mac_table_set_limits(&t_, 8, 2000);
    mac_table_learn(&t_, MacN(1).data(), 0, 1, 1000);
    // A flow on port 2 last used before the table last heard of the MAC: stale, ignored.
    EXPECT_EQ(mac_table_learn_from_cache(&t_, MacN(1).data(), 0, 2, 900, 1500),
              MAC_LEARN_REFRESHED);
    EXPECT_EQ(PortOf(1, 0, 1500), 1);
    // Used after: the MAC is there now (refreshed at the time of the periodic pass).
    EXPECT_EQ(mac_table_learn_from_cache(&t_, MacN(1).data(), 0, 1, 1200, 1500),
              MAC_LEARN_REFRESHED);
    EXPECT_EQ(mac_table_age(&t_, 3400), 0u);
    // Or moved there.
    EXPECT_EQ(mac_table_learn_from_cache(&t_, MacN(1).data(), 0, 2, 1600, 2000), MAC_LEARN_MOVED);
    EXPECT_EQ(PortOf(1, 0, 2000), 2);
    // Aged out, but its cached flow keeps carrying traffic: learned again.
    EXPECT_EQ(mac_table_age(&t_, 5000), 1u);
    EXPECT_EQ(mac_table_learn_from_cache(&t_, MacN(1).data(), 0, 2, 5200, 5500), MAC_LEARN_NEW);
    EXPECT_EQ(PortOf(1, 0, 5500), 2);
}

TEST_F(MacTable, ExpiredEntrySeenAgainIsNewsToFloodingFlows)
{
    mac_table_set_limits(&t_, 8, 1000);
    mac_table_learn(&t_, MacN(1).data(), 0, 1, 0);
    changes_.clear();
    // Expired but not yet aged out: lookups flooded meanwhile, so this must notify.
    EXPECT_EQ(mac_table_learn(&t_, MacN(1).data(), 0, 1, 1500), MAC_LEARN_NEW);
    EXPECT_EQ(changes_.size(), 1u);
}

TEST_F(MacTable, FullTableEvictsTheLeastRecentlySeen)
{
    for (uint32_t i = 0; i < 8; i++)
        mac_table_learn(&t_, MacN(i).data(), 0, 1, i);
    mac_table_learn(&t_, MacN(0).data(), 0, 1, 100);   // 0 is now the most recent
    changes_.clear();
    EXPECT_EQ(mac_table_learn(&t_, MacN(100).data(), 0, 1, 101), MAC_LEARN_NEW);
    EXPECT_EQ(mac_table_count(&t_), 8u);
    EXPECT_EQ(PortOf(1, 0, 102), -1);   // 1 was the oldest
    EXPECT_EQ(PortOf(0, 0, 102), 1);
    EXPECT_EQ(PortOf(100, 0, 102), 1);
    EXPECT_EQ(t_.evictions, 1u);
    ASSERT_EQ(changes_.size(), 2u);      // the evicted one, then the new one
    EXPECT_EQ(changes_[0].first, MacN(1));
    // Shrinking the table evicts down to the new size, oldest first.
    mac_table_set_limits(&t_, 3, 300000);
    EXPECT_EQ(mac_table_count(&t_), 3u);
    EXPECT_EQ(PortOf(100, 0, 103), 1);
    EXPECT_EQ(PortOf(0, 0, 103), 1);
    EXPECT_EQ(PortOf(7, 0, 103), 1);
}

TEST_F(MacTable, ThousandsOfEntries)
{
    mac_table_set_limits(&t_, 8192, 300000);
    for (uint32_t i = 0; i < 10000; i++)
        mac_table_learn(&t_, MacN(i).data(), (uint16_t)(i % 7), i % 5, i);
    EXPECT_EQ(mac_table_count(&t_), 8192u);
    for (uint32_t i = 10000 - 8192; i < 10000; i++)
        ASSERT_EQ(PortOf(i, (uint16_t)(i % 7), 10000), (int)(i % 5)) << i;
    EXPECT_EQ(PortOf(0, 0, 10000), -1);
}

TEST_F(MacTable, FlushPortForgetsOnlyThatPort)
{
    mac_table_learn(&t_, MacN(1).data(), 0, 1, 0);
    mac_table_learn(&t_, MacN(2).data(), 0, 2, 0);
    mac_table_learn(&t_, MacN(3).data(), 5, 1, 0);
    EXPECT_EQ(mac_table_flush_port(&t_, 1), 2u);
    EXPECT_EQ(PortOf(2, 0, 1), 2);
    EXPECT_EQ(mac_table_count(&t_), 1u);
    mac_table_flush(&t_);
    EXPECT_EQ(mac_table_count(&t_), 0u);
}

}  // namespace
