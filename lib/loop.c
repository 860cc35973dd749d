#include "lib/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

uint64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void loop_init(struct loop *loop)
{
    memset(loop, 0, sizeof *loop);
    loop->signal_fd = -1;
}

void loop_destroy(struct loop *loop)
{
    if (loop->signal_fd >= 0)
        close(loop->signal_fd);
    loop->signal_fd = -1;
    loop->n_watches = 0;
}

int loop_watch_fd(struct loop *loop, int fd, short events, loop_fd_fn *fn, void *arg)
{
    if (loop->n_watches == LOOP_MAX_FDS) {
        vlog_err("event loop: cannot watch fd %d, all %d slots in use", fd, LOOP_MAX_FDS);
        return -1;
    }
    loop->watches[loop->n_watches++] = (struct loop_watch){ fd, events, fn, arg };
    return 0;
}

void loop_unwatch_fd(struct loop *loop, int fd)
{
    for (int i = 0; i < loop->n_watches; i++) {
        if (loop->watches[i].fd == fd) {
            loop->watches[i] = loop->watches[--loop->n_watches];
            return;
        }
    }
}

int loop_add_timer(struct loop *loop, uint64_t delay_ms, uint64_t interval_ms,
                   loop_timer_fn *fn, void *arg)
{
    for (int i = 0; i < LOOP_MAX_TIMERS; i++) {
        struct loop_timer *t = &loop->timers[i];
        if (t->active)
            continue;
        *t = (struct loop_timer){ true, loop_now_ms() + delay_ms, interval_ms, fn, arg };
        return i;
    }
    vlog_err("event loop: all %d timer slots in use", LOOP_MAX_TIMERS);
    return -1;
}

void loop_cancel_timer(struct loop *loop, int timer_id)
{
    if (timer_id >= 0 && timer_id < LOOP_MAX_TIMERS)
        loop->timers[timer_id].active = false;
}

int loop_on_signal(struct loop *loop, int signo, loop_signal_fn *fn, void *arg)
{
    if (loop->n_signals == LOOP_MAX_SIGNALS) {
        errno = ENOSPC;
        return -1;
    }
    sigset_t mask;
    sigemptyset(&mask);
    for (int i = 0; i < loop->n_signals; i++)
        sigaddset(&mask, loop->signals[i].signo);
    sigaddset(&mask, signo);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
        return -1;
    int fd = signalfd(loop->signal_fd, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -1;
    loop->signal_fd = fd;
    loop->signals[loop->n_signals++] = (struct loop_signal){ signo, fn, arg };
    return 0;
}

void loop_stop(struct loop *loop)
{
    loop->stopping = true;
}

/* Milliseconds until the earliest timer, or -1 (wait forever) when none is armed. */
static int next_timeout_ms(const struct loop *loop, uint64_t now)
{
    int timeout = -1;
    for (int i = 0; i < LOOP_MAX_TIMERS; i++) {
        const struct loop_timer *t = &loop->timers[i];
        if (!t->active)
            continue;
        int wait = t->deadline_ms <= now ? 0 : (int)(t->deadline_ms - now);
        if (timeout < 0 || wait < timeout)
            timeout = wait;
    }
    return timeout;
}

static void run_due_timers(struct loop *loop)
{
    uint64_t now = loop_now_ms();
    for (int i = 0; i < LOOP_MAX_TIMERS && !loop->stopping; i++) {
        struct loop_timer *t = &loop->timers[i];
        if (!t->active || t->deadline_ms > now)
            continue;
        if (t->interval_ms)
            t->deadline_ms = now + t->interval_ms;
        else
            t->active = false;
        t->fn(t->arg);
    }
}

/* A callback earlier in the same round may have dropped a watch; its fd must not fire. */
static bool still_watched(const struct loop *loop, const struct loop_watch *w)
{
    for (int i = 0; i < loop->n_watches; i++) {
        if (loop->watches[i].fd == w->fd && loop->watches[i].fn == w->fn)
            return true;
    }
    return false;
}

static void dispatch_signals(struct loop *loop)
{
    struct signalfd_siginfo info;
    while (read(loop->signal_fd, &info, sizeof info) == sizeof info) {
        for (int i = 0; i < loop->n_signals; i++) {
            if (loop->signals[i].signo == (int)info.ssi_signo)
                loop->signals[i].fn(loop->signals[i].arg, info.ssi_signo);
        }
    }
}

int loop_run(struct loop *loop)
{
    struct pollfd pfds[LOOP_MAX_FDS + 1];
    struct loop_watch ready[LOOP_MAX_FDS];

    while (!loop->stopping) {
        int n = 0;
        for (int i = 0; i < loop->n_watches; i++)
            pfds[n++] = (struct pollfd){ .fd = loop->watches[i].fd,
                                         .events = loop->watches[i].events };
        int n_fds = n;
        if (loop->signal_fd >= 0)
            pfds[n++] = (struct pollfd){ .fd = loop->signal_fd, .events = POLLIN };

        /* Callbacks may add or remove watches, so act on a copy of the table as polled. */
        memcpy(ready, loop->watches, sizeof(ready[0]) * n_fds);
        int rc = poll(pfds, n, next_timeout_ms(loop, loop_now_ms()));
        if (rc < 0 && errno != EINTR) {
            vlog_err("event loop: poll failed: %s", strerror(errno));
            return -1;
        }
        if (rc > 0 && n > n_fds && (pfds[n_fds].revents & POLLIN))
            dispatch_signals(loop);
        for (int i = 0; rc > 0 && i < n_fds && !loop->stopping; i++) {
            if (pfds[i].revents && still_watched(loop, &ready[i]))
                ready[i].fn(ready[i].arg, ready[i].fd, pfds[i].revents);
        }
        run_due_timers(loop);
    }
    return 0;
}
