/* The connection state machine; see reconnect.h. */
#include "stream/reconnect.h"

static void transition(struct reconnect *r, enum reconnect_state state, uint64_t now_ms)
{
    r->state = state;
    r->state_entered_ms = now_ms;
}

void reconnect_init(struct reconnect *r, bool passive, uint64_t now_ms)
{
    *r = (struct reconnect){
        .passive = passive,
        .max_backoff_ms = RECONNECT_DEFAULT_MAX_BACKOFF_MS,
        .probe_interval_ms = RECONNECT_DEFAULT_PROBE_MS,
        .last_activity_ms = now_ms,
        .last_connected_ms = UINT64_MAX,
        .last_disconnected_ms = UINT64_MAX,
    };
    transition(r, RECONNECT_VOID, now_ms);
    if (passive) {
        r->last_connected_ms = now_ms;
        r->n_connections = 1;
        transition(r, RECONNECT_ACTIVE, now_ms);
    }
}

void reconnect_set_max_backoff(struct reconnect *r, unsigned int ms)
{
    r->max_backoff_ms = ms < RECONNECT_MIN_BACKOFF_MS ? RECONNECT_MIN_BACKOFF_MS : ms;
    if (r->backoff_ms > r->max_backoff_ms)
        r->backoff_ms = r->max_backoff_ms;
}

void reconnect_set_probe_interval(struct reconnect *r, unsigned int ms)
{
    /* Open vSwitch's floor: a probe every few milliseconds would be a flood, not a probe. */
    r->probe_interval_ms = ms == 0 ? 0 : ms < 1000 ? 1000 : ms;
}

void reconnect_enable(struct reconnect *r, uint64_t now_ms)
{
    if (r->state != RECONNECT_VOID || r->passive)
        return;
    r->backoff_ms = 0;
    transition(r, RECONNECT_BACKOFF, now_ms);
}

void reconnect_connecting(struct reconnect *r, uint64_t now_ms)
{
    r->n_attempts++;
    transition(r, RECONNECT_CONNECTING, now_ms);
}

void reconnect_connected(struct reconnect *r, uint64_t now_ms)
{
    r->n_connections++;
    r->last_connected_ms = now_ms;
    r->last_activity_ms = now_ms;
    r->last_error = 0;
    transition(r, RECONNECT_ACTIVE, now_ms);
}

/* The next wait: back to the minimum after a connection that was alive for at least the
 * current backoff (it was healthy), else doubled up to the maximum. */
static void back_off(struct reconnect *r, uint64_t now_ms, bool was_healthy)
{
    if (was_healthy || r->backoff_ms < RECONNECT_MIN_BACKOFF_MS)
        r->backoff_ms = RECONNECT_MIN_BACKOFF_MS;
    else
        r->backoff_ms = r->backoff_ms >= r->max_backoff_ms / 2 ? r->max_backoff_ms
                                                                : r->backoff_ms * 2;
    transition(r, r->passive ? RECONNECT_VOID : RECONNECT_BACKOFF, now_ms);
}

void reconnect_connect_failed(struct reconnect *r, uint64_t now_ms, int error)
{
    r->last_error = error;
    back_off(r, now_ms, false);
}

void reconnect_disconnected(struct reconnect *r, uint64_t now_ms, int error)
{
    bool was_connected = reconnect_is_connected(r);
    r->last_error = error;
    if (was_connected)
        r->last_disconnected_ms = now_ms;
    back_off(r, now_ms,
             was_connected && r->last_activity_ms - r->last_connected_ms >= r->backoff_ms);
}

void reconnect_activity(struct reconnect *r, uint64_t now_ms)
{
    r->last_activity_ms = now_ms;
    if (r->state == RECONNECT_IDLE)
        transition(r, RECONNECT_ACTIVE, now_ms);
}

uint64_t reconnect_deadline(const struct reconnect *r)
{
    switch (r->state) {
    case RECONNECT_BACKOFF:
        return r->state_entered_ms + r->backoff_ms;
    case RECONNECT_CONNECTING:
        /* An attempt may take as long as the backoff, and at least a second. */
        return r->state_entered_ms +
               (r->backoff_ms > RECONNECT_MIN_BACKOFF_MS ? r->backoff_ms
                                                         : RECONNECT_MIN_BACKOFF_MS);
    case RECONNECT_ACTIVE: {
        if (!r->probe_interval_ms)
            return UINT64_MAX;
        uint64_t base = r->last_activity_ms > r->state_entered_ms ? r->last_activity_ms
                                                                  : r->state_entered_ms;
        return base + r->probe_interval_ms;
    }
    case RECONNECT_IDLE:
        return r->probe_interval_ms ? r->state_entered_ms + r->probe_interval_ms : UINT64_MAX;
    default:
        return UINT64_MAX;
    }
}

enum reconnect_action reconnect_run(struct reconnect *r, uint64_t now_ms)
{
    if (now_ms < reconnect_deadline(r))
        return RECONNECT_NONE;
    switch (r->state) {
    case RECONNECT_BACKOFF:
        return RECONNECT_CONNECT;
    case RECONNECT_CONNECTING:
    case RECONNECT_IDLE:
        return RECONNECT_DISCONNECT;
    case RECONNECT_ACTIVE:
        transition(r, RECONNECT_IDLE, now_ms);
        return RECONNECT_PROBE;
    default:
        return RECONNECT_NONE;
    }
}

bool reconnect_is_connected(const struct reconnect *r)
{
    return r->state == RECONNECT_ACTIVE || r->state == RECONNECT_IDLE;
}

const char *reconnect_state_name(enum reconnect_state state)
{
    static const char *const names[] = {
        [RECONNECT_VOID] = "VOID",
        [RECONNECT_BACKOFF] = "BACKOFF",
        [RECONNECT_CONNECTING] = "CONNECTING",
        [RECONNECT_ACTIVE] = "ACTIVE",
        [RECONNECT_IDLE] = "IDLE",
    };
    return state <= RECONNECT_IDLE ? names[state] : "?";
}
