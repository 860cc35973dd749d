/* Transactions waiting for a "wait" condition (RFC 7047 section 5.2.6): one whose wait does
 * not hold and has a positive timeout is kept and run again after every later commit, and
 * answered when it succeeds or fails otherwise, or once its timeout has passed. This is how a
 * client waits for vsw-switchd to apply a change: a wait on cur_cfg, answered by the commit
 * that raises it, with no subscription to set up. */
#ifndef VSW_DBD_WAITING_H
#define VSW_DBD_WAITING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ipc.h"
#include "proto/dbd.pb-c.h"

/* Beyond this many waiting transactions a new one is answered at once (timed out). */
#define WAITING_MAX 1024

struct dbd;
struct waiting_txn;

struct waiting {
    struct waiting_txn *head;   /* in arrival order */
    size_t n;
    int timer;                  /* for the earliest deadline, or -1 */
    bool retrying;
};

/* Whether `params` may wait: only a transaction that changes nothing (wait, select, comment,
 * assert) is run again, and that from inside a commit, before its fsync. */
bool waiting_allowed(const char *params);

/* Keeps `params` (copied) for up to `timeout_ms` from now and defers `reply`, the request's.
 * Returns 0, or -1 (full, or out of memory: the caller answers now). */
int waiting_add(struct dbd *dbd, const char *params, int64_t timeout_ms,
                struct ipc_reply *reply);

/* For a committed `req` that asks to wait (then_wait_ms): keeps a wait for its condition and
 * defers `reply`, to be answered with `answer` (copied) once the condition holds (waited) or
 * its time has passed. Returns 0, or -1 when the caller answers now: the condition held
 * already (answer->waited set), or cannot be waited for (no single row, not an integer, full,
 * out of memory). */
int waiting_after_commit(struct dbd *dbd, const Vsw__TransactRequest *req,
                         Vsw__TransactReply *answer, struct ipc_reply *reply);

/* Runs every waiting transaction again: the database has just changed. */
void waiting_retry(struct dbd *dbd);

/* Answers every waiting transaction: with ERROR_UNAVAILABLE, or a committed one with its
 * answer, not waited. dbd is stopping. */
void waiting_abandon(struct dbd *dbd, const char *why);

#endif
