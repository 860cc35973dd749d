/* The event loop every daemon runs: poll(2) over a few descriptors (plain fds and nanomsg's
 * NN_RCVFD), one-shot and periodic timers, and signals delivered through a signalfd. */
#ifndef VSW_LOOP_H
#define VSW_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#define LOOP_MAX_FDS 32
#define LOOP_MAX_TIMERS 16
#define LOOP_MAX_SIGNALS 8

typedef void loop_fd_fn(void *arg, int fd, short revents);
typedef void loop_timer_fn(void *arg);
typedef void loop_signal_fn(void *arg, int signo);

struct loop_watch {
    int fd;
    short events;
    loop_fd_fn *fn;
    void *arg;
};

struct loop_timer {
    bool active;
    uint64_t deadline_ms;   /* on CLOCK_MONOTONIC */
    uint64_t interval_ms;   /* 0: one-shot */
    loop_timer_fn *fn;
    void *arg;
};

struct loop_signal {
    int signo;
    loop_signal_fn *fn;
    void *arg;
};

struct loop {
    struct loop_watch watches[LOOP_MAX_FDS];
    int n_watches;
    struct loop_timer timers[LOOP_MAX_TIMERS];
    struct loop_signal signals[LOOP_MAX_SIGNALS];
    int n_signals;
    int signal_fd;          /* -1 until the first loop_on_signal() */
    bool stopping;
};

void loop_init(struct loop *loop);
void loop_destroy(struct loop *loop);

/* Watches `fd` for `events` (POLLIN...). Returns 0, or -1 if the table is full. */
int loop_watch_fd(struct loop *loop, int fd, short events, loop_fd_fn *fn, void *arg);
void loop_unwatch_fd(struct loop *loop, int fd);

/* Calls `fn` after `delay_ms`, then every `interval_ms` if non-zero. Returns a timer id >= 0,
 * or -1 if the table is full. */
int loop_add_timer(struct loop *loop, uint64_t delay_ms, uint64_t interval_ms,
                   loop_timer_fn *fn, void *arg);
void loop_cancel_timer(struct loop *loop, int timer_id);

/* Blocks `signo` and delivers it through the loop. Returns 0, or -1 with errno set. */
int loop_on_signal(struct loop *loop, int signo, loop_signal_fn *fn, void *arg);

/* Runs until loop_stop(). Returns 0, or -1 if poll failed for a reason other than EINTR. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

uint64_t loop_now_ms(void);

#endif
