// lib/loop: one-shot and periodic timers, cancellation, fd watches, signals through the
// signalfd, and loop_stop from a callback.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <vector>

extern "C" {
#include "lib/loop.h"
}

namespace {

// Every test gets a fresh loop and a safety timer that stops a loop which would otherwise run
// forever, recording that it had to.
class Loop : public ::testing::Test {
  protected:
    void SetUp() override
    {
        loop_init(&loop_);
        sigprocmask(SIG_SETMASK, nullptr, &saved_mask_);
    }
    void TearDown() override
    {
        loop_destroy(&loop_);
        // Take any signal a failed test left pending before unblocking it, or it would kill us.
        sigset_t pending;
        sigpending(&pending);
        struct timespec zero = { 0, 0 };
        while (sigtimedwait(&pending, nullptr, &zero) > 0) {
        }
        sigprocmask(SIG_SETMASK, &saved_mask_, nullptr);
    }

    // Runs the loop; fails the test if the safety timer had to end it.
    void Run(uint64_t limit_ms = 2000)
    {
        timed_out_ = false;
        int guard = loop_add_timer(&loop_, limit_ms, 0, Guard, this);
        ASSERT_GE(guard, 0);
        uint64_t start = loop_now_ms();
        ASSERT_EQ(loop_run(&loop_), 0);
        elapsed_ = loop_now_ms() - start;
        loop_cancel_timer(&loop_, guard);
        EXPECT_FALSE(timed_out_) << "the loop did not stop by itself within " << limit_ms << " ms";
    }

    static void Guard(void *arg)
    {
        auto *self = static_cast<Loop *>(arg);
        self->timed_out_ = true;
        loop_stop(&self->loop_);
    }

    struct loop loop_;
    sigset_t saved_mask_;
    bool timed_out_ = false;
    uint64_t elapsed_ = 0;
};

struct Counter {
    explicit Counter(struct loop *l) : loop(l) {}
    struct loop *loop;
    int count = 0;
    int stop_at = -1;           // loop_stop() when count reaches this
    int cancel_at = -1;         // cancel `timer` when count reaches this
    int timer = -1;
    std::vector<uint64_t> at;   // loop_now_ms() of each call
    std::vector<int> *order = nullptr;
    int id = 0;
};

void Count(void *arg)
{
    auto *c = static_cast<Counter *>(arg);
    c->count++;
    c->at.push_back(loop_now_ms());
    if (c->order)
        c->order->push_back(c->id);
    if (c->count == c->cancel_at)
        loop_cancel_timer(c->loop, c->timer);
    if (c->count == c->stop_at)
        loop_stop(c->loop);
}

void Stop(void *arg)
{
    loop_stop(static_cast<struct loop *>(arg));
}

TEST_F(Loop, OneShotTimerFiresOnceAfterItsDelay)
{
    Counter c{ &loop_ };
    uint64_t start = loop_now_ms();
    ASSERT_GE(loop_add_timer(&loop_, 30, 0, Count, &c), 0);
    ASSERT_GE(loop_add_timer(&loop_, 150, 0, Stop, &loop_), 0);
    Run();
    EXPECT_EQ(c.count, 1);
    ASSERT_EQ(c.at.size(), 1u);
    EXPECT_GE(c.at[0] - start, 30u);
    EXPECT_LT(c.at[0] - start, 140u);
    EXPECT_GE(elapsed_, 150u);
}

TEST_F(Loop, PeriodicTimerKeepsFiring)
{
    Counter c{ &loop_ };
    c.stop_at = 5;
    uint64_t start = loop_now_ms();
    ASSERT_GE(loop_add_timer(&loop_, 0, 15, Count, &c), 0);
    Run();
    EXPECT_EQ(c.count, 5);
    ASSERT_EQ(c.at.size(), 5u);
    EXPECT_LT(c.at[0] - start, 15u);  // a zero delay fires at once
    for (size_t i = 1; i < c.at.size(); i++)
        EXPECT_GE(c.at[i] - c.at[i - 1], 15u) << "call " << i;
    EXPECT_GE(c.at[4] - start, 60u);
}

TEST_F(Loop, TimersFireInDeadlineOrder)
{
    std::vector<int> order;
    Counter late{ &loop_ }, early{ &loop_ }, middle{ &loop_ };
    late.order = early.order = middle.order = &order;
    late.id = 3, early.id = 1, middle.id = 2;
    late.stop_at = 1;
    ASSERT_GE(loop_add_timer(&loop_, 80, 0, Count, &late), 0);
    ASSERT_GE(loop_add_timer(&loop_, 10, 0, Count, &early), 0);
    ASSERT_GE(loop_add_timer(&loop_, 40, 0, Count, &middle), 0);
    Run();
    EXPECT_EQ(order, (std::vector<int>{ 1, 2, 3 }));
}

TEST_F(Loop, CancelledTimersDoNotFire)
{
    Counter once{ &loop_ }, periodic{ &loop_ };
    int id = loop_add_timer(&loop_, 20, 0, Count, &once);
    ASSERT_GE(id, 0);
    loop_cancel_timer(&loop_, id);
    // A periodic timer cancelling itself from its own callback after three calls.
    periodic.cancel_at = 3;
    periodic.timer = loop_add_timer(&loop_, 5, 10, Count, &periodic);
    ASSERT_GE(periodic.timer, 0);
    ASSERT_GE(loop_add_timer(&loop_, 150, 0, Stop, &loop_), 0);
    Run();
    EXPECT_EQ(once.count, 0);
    EXPECT_EQ(periodic.count, 3);
    // Out-of-range ids are ignored.
    loop_cancel_timer(&loop_, -1);
    loop_cancel_timer(&loop_, LOOP_MAX_TIMERS);
}

TEST_F(Loop, TimerTableFillsAndFreedSlotsAreReused)
{
    Counter c{ &loop_ };
    std::vector<int> ids;
    for (int i = 0; i < LOOP_MAX_TIMERS; i++) {
        int id = loop_add_timer(&loop_, 100000, 0, Count, &c);
        ASSERT_GE(id, 0);
        ids.push_back(id);
    }
    EXPECT_EQ(loop_add_timer(&loop_, 1, 0, Count, &c), -1);
    loop_cancel_timer(&loop_, ids[5]);
    EXPECT_EQ(loop_add_timer(&loop_, 1, 0, Count, &c), ids[5]);
    // Keep only the reused slot (due in 1 ms); once it has fired, its slot is free again.
    for (int id : ids) {
        if (id != ids[5])
            loop_cancel_timer(&loop_, id);
    }
    c.stop_at = 1;
    Run();
    EXPECT_EQ(c.count, 1);
    EXPECT_FALSE(loop_.timers[ids[5]].active);
}

struct Reader {
    explicit Reader(struct loop *l) : loop(l) {}
    struct loop *loop;
    std::vector<short> revents;
    std::string data;
    bool stop = true;
    int unwatch = -1;   // an fd to stop watching from the callback
};

void ReadPipe(void *arg, int fd, short revents)
{
    auto *r = static_cast<Reader *>(arg);
    r->revents.push_back(revents);
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0)
        r->data.append(buf, static_cast<size_t>(n));
    if (r->unwatch >= 0)
        loop_unwatch_fd(r->loop, r->unwatch);
    if (r->stop)
        loop_stop(r->loop);
}

struct Writer {
    int fd;
    const char *text;
};

void WritePipe(void *arg)
{
    auto *w = static_cast<Writer *>(arg);
    ASSERT_EQ(write(w->fd, w->text, strlen(w->text)), static_cast<ssize_t>(strlen(w->text)));
}

class LoopPipe : public Loop {
  protected:
    void SetUp() override
    {
        Loop::SetUp();
        ASSERT_EQ(pipe(a_), 0);
        ASSERT_EQ(pipe(b_), 0);
    }
    void TearDown() override
    {
        for (int fd : { a_[0], a_[1], b_[0], b_[1] })
            close(fd);
        Loop::TearDown();
    }
    int a_[2], b_[2];
};

TEST_F(LoopPipe, WatchedFdWakesTheLoop)
{
    Reader r{ &loop_ };
    Writer w{ a_[1], "ping" };
    ASSERT_EQ(loop_watch_fd(&loop_, a_[0], POLLIN, ReadPipe, &r), 0);
    ASSERT_GE(loop_add_timer(&loop_, 20, 0, WritePipe, &w), 0);
    Run();
    ASSERT_EQ(r.revents.size(), 1u);
    EXPECT_TRUE(r.revents[0] & POLLIN);
    EXPECT_EQ(r.data, "ping");
    EXPECT_GE(elapsed_, 20u);
}

TEST_F(LoopPipe, DataAlreadyWaitingIsSeenAtOnce)
{
    Reader r{ &loop_ };
    ASSERT_EQ(write(a_[1], "x", 1), 1);
    ASSERT_EQ(loop_watch_fd(&loop_, a_[0], POLLIN, ReadPipe, &r), 0);
    Run();
    EXPECT_EQ(r.data, "x");
    EXPECT_LT(elapsed_, 500u);
}

TEST_F(LoopPipe, UnwatchedFdIsIgnored)
{
    Reader r{ &loop_ };
    ASSERT_EQ(write(a_[1], "x", 1), 1);
    ASSERT_EQ(loop_watch_fd(&loop_, a_[0], POLLIN, ReadPipe, &r), 0);
    loop_unwatch_fd(&loop_, a_[0]);
    EXPECT_EQ(loop_.n_watches, 0);
    ASSERT_GE(loop_add_timer(&loop_, 50, 0, Stop, &loop_), 0);
    Run();
    EXPECT_TRUE(r.revents.empty());
}

TEST_F(LoopPipe, FdDroppedByAnEarlierCallbackDoesNotFire)
{
    // Both pipes are readable in the same round; whichever callback runs first drops the
    // other's watch, so exactly one runs.
    Reader ra{ &loop_ }, rb{ &loop_ };
    ra.stop = rb.stop = false;
    ra.unwatch = b_[0];
    rb.unwatch = a_[0];
    ASSERT_EQ(write(a_[1], "a", 1), 1);
    ASSERT_EQ(write(b_[1], "b", 1), 1);
    ASSERT_EQ(loop_watch_fd(&loop_, a_[0], POLLIN, ReadPipe, &ra), 0);
    ASSERT_EQ(loop_watch_fd(&loop_, b_[0], POLLIN, ReadPipe, &rb), 0);
    ASSERT_GE(loop_add_timer(&loop_, 50, 0, Stop, &loop_), 0);
    Run();
    EXPECT_EQ(ra.revents.size() + rb.revents.size(), 1u);
}

TEST_F(LoopPipe, HangupIsReported)
{
    Reader r{ &loop_ };
    ASSERT_EQ(loop_watch_fd(&loop_, a_[0], POLLIN, ReadPipe, &r), 0);
    close(a_[1]);
    a_[1] = -1;
    Run();
    ASSERT_EQ(r.revents.size(), 1u);
    EXPECT_TRUE(r.revents[0] & POLLHUP);
}

TEST_F(Loop, WatchTableFills)
{
    Reader r{ &loop_ };
    for (int i = 0; i < LOOP_MAX_FDS; i++)
        ASSERT_EQ(loop_watch_fd(&loop_, 1000 + i, POLLIN, ReadPipe, &r), 0);
    EXPECT_EQ(loop_watch_fd(&loop_, 2000, POLLIN, ReadPipe, &r), -1);
    loop_unwatch_fd(&loop_, 1005);
    EXPECT_EQ(loop_.n_watches, LOOP_MAX_FDS - 1);
    EXPECT_EQ(loop_watch_fd(&loop_, 2000, POLLIN, ReadPipe, &r), 0);
}

struct SignalSeen {
    explicit SignalSeen(struct loop *l) : loop(l) {}
    struct loop *loop;
    std::vector<int> signals;
    size_t stop_after = 1;
};

void OnSignal(void *arg, int signo)
{
    auto *s = static_cast<SignalSeen *>(arg);
    s->signals.push_back(signo);
    if (s->signals.size() == s->stop_after)
        loop_stop(s->loop);
}

void RaiseUsr1(void *)
{
    raise(SIGUSR1);
}

TEST_F(Loop, SignalIsDeliveredThroughTheLoop)
{
    SignalSeen seen{ &loop_ };
    ASSERT_EQ(loop_on_signal(&loop_, SIGUSR1, OnSignal, &seen), 0);
    EXPECT_GE(loop_.signal_fd, 0);
    // The signal is blocked now: raising it does not kill the process (its default action).
    sigset_t blocked;
    sigprocmask(SIG_SETMASK, nullptr, &blocked);
    EXPECT_TRUE(sigismember(&blocked, SIGUSR1));
    ASSERT_GE(loop_add_timer(&loop_, 10, 0, RaiseUsr1, nullptr), 0);
    Run();
    EXPECT_EQ(seen.signals, (std::vector<int>{ SIGUSR1 }));
}

TEST_F(Loop, SeveralSignalsEachReachTheirHandler)
{
    SignalSeen usr1{ &loop_ }, usr2{ &loop_ };
    ASSERT_EQ(loop_on_signal(&loop_, SIGUSR1, OnSignal, &usr1), 0);
    ASSERT_EQ(loop_on_signal(&loop_, SIGUSR2, OnSignal, &usr2), 0);
    // Both pending before the loop runs; SIGUSR1 must still be in the signalfd's mask after
    // SIGUSR2 was added.
    raise(SIGUSR2);
    raise(SIGUSR1);
    usr1.stop_after = 99;
    ASSERT_GE(loop_add_timer(&loop_, 100, 0, Stop, &loop_), 0);
    Run();
    EXPECT_EQ(usr1.signals, (std::vector<int>{ SIGUSR1 }));
    EXPECT_EQ(usr2.signals, (std::vector<int>{ SIGUSR2 }));
}

TEST_F(Loop, SignalTableFills)
{
    SignalSeen seen{ &loop_ };
    const int signals[] = { SIGUSR1, SIGUSR2, SIGHUP, SIGALRM, SIGTERM, SIGINT, SIGWINCH, SIGURG };
    static_assert(sizeof signals / sizeof signals[0] == LOOP_MAX_SIGNALS, "fill the table");
    for (int s : signals)
        ASSERT_EQ(loop_on_signal(&loop_, s, OnSignal, &seen), 0);
    errno = 0;
    EXPECT_EQ(loop_on_signal(&loop_, SIGPIPE, OnSignal, &seen), -1);
    EXPECT_EQ(errno, ENOSPC);
}

TEST_F(Loop, StopFromACallbackEndsTheRoundAndTheRun)
{
    // Two timers due in the same round: the first stops the loop, the second must not run.
    Counter first{ &loop_ }, second{ &loop_ };
    first.stop_at = 1;
    uint64_t soon = 10;
    ASSERT_EQ(loop_add_timer(&loop_, soon, 0, Count, &first), 0);
    ASSERT_EQ(loop_add_timer(&loop_, soon, 0, Count, &second), 1);
    usleep(20 * 1000);   // both are overdue when the loop first looks
    Run();
    EXPECT_EQ(first.count, 1);
    EXPECT_EQ(second.count, 0);
    EXPECT_LT(elapsed_, 100u);
    // A stopped loop stays stopped until re-initialised.
    EXPECT_TRUE(loop_.stopping);
}

TEST_F(Loop, StopBeforeRunReturnsAtOnce)
{
    loop_stop(&loop_);
    uint64_t start = loop_now_ms();
    EXPECT_EQ(loop_run(&loop_), 0);
    EXPECT_LT(loop_now_ms() - start, 50u);
}

TEST(LoopClock, IsMonotonicMilliseconds)
{
    uint64_t a = loop_now_ms();
    usleep(30 * 1000);
    uint64_t b = loop_now_ms();
    EXPECT_GE(b - a, 30u);
    EXPECT_LT(b - a, 1000u);
}

}  // namespace
