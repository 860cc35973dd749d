/* When to connect, probe and give up on one connection, as Open vSwitch's reconnect.c decides
 * it for managers and controllers: a state machine fed with what happened and the time, which
 * answers what to do next. It does no I/O itself, so it is tested with a fake clock.
 *
 * - An active connection that fails or drops is retried after a backoff that starts at 1 s
 *   and doubles with each failure up to max_backoff (the Manager/Controller column, default
 *   8 s). A connection that was alive (something received) for at least the backoff counts
 *   as healthy: after it drops, the wait is 1 s again.
 * - With a probe interval (inactivity_probe, default 5 s; 0 disables), a connection on which
 *   nothing was received for that long is probed (the caller sends an echo request) and
 *   dropped if nothing arrives within another interval.
 * - A passive connection (accepted from a listener) is probed the same way but never
 *   reconnected.
 *
 * The state names are those ovsdb-server writes into Manager.status:state. */
#ifndef VSW_STREAM_RECONNECT_H
#define VSW_STREAM_RECONNECT_H

#include <stdbool.h>
#include <stdint.h>

#define RECONNECT_MIN_BACKOFF_MS 1000
#define RECONNECT_DEFAULT_MAX_BACKOFF_MS 8000
#define RECONNECT_DEFAULT_PROBE_MS 5000

enum reconnect_state {
    RECONNECT_VOID,        /* not enabled */
    RECONNECT_BACKOFF,     /* waiting before the next attempt */
    RECONNECT_CONNECTING,  /* an attempt is in progress */
    RECONNECT_ACTIVE,      /* connected, and something arrived recently */
    RECONNECT_IDLE,        /* connected, probed, waiting for an answer */
};

enum reconnect_action {
    RECONNECT_NONE,
    RECONNECT_CONNECT,     /* start an attempt, then call reconnect_connecting() */
    RECONNECT_DISCONNECT,  /* the attempt or the connection timed out: close it, then call
                            * reconnect_disconnected() */
    RECONNECT_PROBE,       /* send an echo request */
};

struct reconnect {
    enum reconnect_state state;
    uint64_t state_entered_ms;
    bool passive;
    unsigned int max_backoff_ms;
    unsigned int backoff_ms;          /* the wait in BACKOFF */
    unsigned int probe_interval_ms;   /* 0: never probe */
    uint64_t last_activity_ms;
    uint64_t last_connected_ms;       /* UINT64_MAX: never */
    uint64_t last_disconnected_ms;    /* UINT64_MAX: never */
    int last_error;                   /* errno value of the last failure, 0 if none */
    unsigned int n_attempts;
    unsigned int n_connections;
};

/* An active connection starts VOID until reconnect_enable(); a passive one starts ACTIVE (it
 * exists because it was accepted). */
void reconnect_init(struct reconnect *r, bool passive, uint64_t now_ms);
void reconnect_set_max_backoff(struct reconnect *r, unsigned int ms);
void reconnect_set_probe_interval(struct reconnect *r, unsigned int ms);

/* Asks for a connection as soon as possible (VOID -> BACKOFF with no wait). */
void reconnect_enable(struct reconnect *r, uint64_t now_ms);
void reconnect_connecting(struct reconnect *r, uint64_t now_ms);
void reconnect_connected(struct reconnect *r, uint64_t now_ms);
/* The attempt failed (error: errno value) / the connection dropped (0: closed by the peer). */
void reconnect_connect_failed(struct reconnect *r, uint64_t now_ms, int error);
void reconnect_disconnected(struct reconnect *r, uint64_t now_ms, int error);
/* Something was received: the peer is alive. */
void reconnect_activity(struct reconnect *r, uint64_t now_ms);

/* What to do now. */
enum reconnect_action reconnect_run(struct reconnect *r, uint64_t now_ms);
/* When reconnect_run() will next have something to do (UINT64_MAX: nothing is due). */
uint64_t reconnect_deadline(const struct reconnect *r);

bool reconnect_is_connected(const struct reconnect *r);
/* "VOID", "BACKOFF", "CONNECTING", "ACTIVE" or "IDLE". */
const char *reconnect_state_name(enum reconnect_state state);

#endif
