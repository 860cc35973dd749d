/* When vsw-dbd compacts its journal: after a commit that grew it past a threshold, on request
 * (DBD_COMPACT), and at a retry timer after a failure. The snapshot is taken in the loop; the
 * compactor thread writes it while requests go on; the loop finishes it (compaction_done()). */
#include <stdlib.h>

#include "dbd/dbd.h"
#include "dbd/journal.h"
#include "lib/log.h"

static void answer_waiters(struct dbd *dbd, int rc)
{
    Vsw__CompactReply out = VSW__COMPACT_REPLY__INIT;
    out.bytes_before = dbd->compact_bytes_before;
    out.bytes_after = journal_size(dbd->store.journal);
    for (size_t i = 0; i < dbd->n_compact_waiters; i++) {
        if (rc == 0)
            ipc_deferred_reply(&dbd->api, dbd->compact_waiters[i], &out.base);
        else
            ipc_deferred_error(&dbd->api, dbd->compact_waiters[i],
                               VSW__ERROR_CODE__ERROR_UNAVAILABLE,
                               "the compaction failed (see vsw-dbd's log); the journal is "
                               "unchanged");
    }
    dbd->n_compact_waiters = 0;
}

static void start(struct dbd *dbd)
{
    if (store_compacting(&dbd->store))
        return;
    dbd->compact_bytes_before = journal_size(dbd->store.journal);
    int rc = store_compact(&dbd->store);
    /* Without the compactor thread (it could not start) the compaction is over already. */
    if (rc < 0 || !store_compacting(&dbd->store))
        answer_waiters(dbd, rc);
}

static void on_timer(void *arg)
{
    struct dbd *dbd = arg;
    dbd->compact_timer = -1;
    if (store_wants_compaction(&dbd->store) || dbd->n_compact_waiters)
        start(dbd);
}

void compaction_schedule(struct dbd *dbd)
{
    if (dbd->compact_timer >= 0 || !store_wants_compaction(&dbd->store))
        return;
    /* At the next turn of the loop: after the reply to the commit that crossed the threshold. */
    dbd->compact_timer = loop_add_timer(&dbd->daemon.loop, 0, 0, on_timer, dbd);
}

void compaction_request(struct dbd *dbd, struct ipc_reply *reply)
{
    if (dbd->n_compact_waiters == DBD_COMPACT_WAITERS_MAX) {
        ipc_reply_error(reply, VSW__ERROR_CODE__ERROR_UNAVAILABLE, "too many compaction "
                        "requests waiting");
        return;
    }
    struct ipc_deferred *deferred = ipc_reply_defer(reply);
    if (!deferred) {
        ipc_reply_error(reply, VSW__ERROR_CODE__ERROR_INTERNAL, "out of memory");
        return;
    }
    dbd->compact_waiters[dbd->n_compact_waiters++] = deferred;
    /* A compaction already running answers this request too. */
    if (!store_compacting(&dbd->store))
        start(dbd);
}

void compaction_done(void *arg, int fd, short revents)
{
    struct dbd *dbd = arg;
    (void)fd;
    (void)revents;
    if (!store_compacting(&dbd->store))
        return;
    int rc = store_compaction_done(&dbd->store);
    if (store_compacting(&dbd->store))
        return;   /* the signal was not this job's end */
    answer_waiters(dbd, rc);
}

void compaction_retry(void *arg)
{
    struct dbd *dbd = arg;
    store_retry(&dbd->store);
    compaction_schedule(dbd);
}
