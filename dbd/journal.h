/* The database file: an append-only journal of checksummed records.
 *
 * Each record is a header line and a payload:
 *     VSWDB <kind> <payload length> <crc32 of payload, 8 hex digits>\n<payload>\n
 * The first record is the schema, then optionally a snapshot of the whole database, then one
 * record per committed transaction.
 *
 * Durability. A record is written at the end of the file with one pwritev, and is durable once
 * journal_sync() (or journal_append()) returned 0: fdatasync. A write or sync that fails (disk
 * full, quota, I/O error) is undone: the file is truncated back to its last durable size and
 * fsync'd, and the journal goes on accepting writes. Only if that undo fails is the journal
 * broken (journal_broken()): its tail is unknown, and the caller must stop.
 *
 * Reading. On open every record is read in order. Reading stops at the first record that is
 * damaged or that the caller refuses; what follows is handled in one of two ways:
 *   - a torn write (the file ends in the middle of its last record, as a crash during an append
 *     leaves it): nothing acknowledged is lost; the partial record is saved beside the file as
 *     PATH.damaged-<time> and cut off;
 *   - any other damage (a complete record with a bad checksum or header, a record refused, or
 *     intact records after a bad one): acknowledged records may be lost. The whole file is kept
 *     as PATH.damaged-<time> (a hard link: no space needed), and PATH is replaced, atomically,
 *     by the valid prefix. The caller is told (struct journal_damage) and must report it.
 *
 * Compaction replaces the file's contents with a few records (schema, snapshot) through a
 * temporary file: written and synced, renamed over PATH, the directory synced. The previous
 * file stays whole until the rename, so a crash at any moment leaves either the old or the new
 * file. The slow part (writing and syncing the snapshot) can run on another thread while
 * records are appended; the records appended meanwhile are copied into the new file before
 * the rename. */
#ifndef VSW_DBD_JOURNAL_H
#define VSW_DBD_JOURNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum journal_kind {
    JOURNAL_SCHEMA,     /* the schema the following records were written with */
    JOURNAL_SNAPSHOT,   /* the whole database */
    JOURNAL_TXN,        /* one committed transaction's changes */
};

/* Largest payload accepted; a header claiming more is corruption. */
#define JOURNAL_MAX_RECORD (64u * 1024 * 1024)

struct journal;

/* Called for a record, in file order. Returning -1 (for a record of the valid prefix)
 * declares the record unusable: it and everything after it are treated as damage. */
typedef int journal_record_fn(void *arg, enum journal_kind kind, const char *payload,
                              size_t len);

struct journal_reader {
    journal_record_fn *record;   /* each record of the valid prefix */
    journal_record_fn *lost;     /* each intact record after damage (may be NULL); its return
                                  * value is ignored */
    void *arg;
};

/* What reading found after the valid prefix. */
struct journal_damage {
    bool found;                  /* reading stopped before the end of the file */
    bool torn;                   /* at a write cut short: nothing acknowledged was lost */
    char problem[160];           /* e.g. "checksum mismatch" */
    uint64_t offset;             /* where the valid prefix ends */
    uint64_t bytes;              /* bytes from there to the end of the file, cut */
    uint64_t intact_after;       /* intact records found after the bad one (lost with it) */
    char saved[PATH_MAX + 32];   /* where the bytes were saved, or "" */
};

/* Takes the lock that says a process uses the database file at `path` (an exclusive flock()
 * on PATH.lock, created if missing): vsw-dbd holds it while the journal is open, vsw-dbtool
 * while it rewrites the file. Returns the descriptor that holds it (close it to release), or
 * -1 with errno set (EWOULDBLOCK: another process holds it). */
int journal_lock(const char *path);

/* Opens the journal at `path`, creating it if missing, after taking its lock (journal_lock()),
 * and reads every record through `reader`. `damage` (may be NULL) says what followed the
 * valid prefix. Returns the journal (close with journal_close), or NULL (logged): the lock is
 * held by another process, the file could not be read, or its damaged part could not be set
 * aside (then the file is left exactly as it was). */
struct journal *journal_open(const char *path, const struct journal_reader *reader,
                             struct journal_damage *damage);
void journal_close(struct journal *journal);

/* Appends a record and makes it durable. Returns 0, or -1 with errno set: the record is not in
 * the file (see journal_broken()). */
int journal_append(struct journal *journal, enum journal_kind kind, const char *payload,
                   size_t len);
/* The two halves of journal_append(), for a caller with something to do in between: the
 * record is durable only once journal_sync() returned 0; if it fails, the record written
 * since the last sync is removed again. Same failure rules. */
int journal_write(struct journal *journal, enum journal_kind kind, const char *payload,
                  size_t len);
int journal_sync(struct journal *journal);

/* A failed write or sync could not be undone: the file's tail is unknown, and nothing more is
 * written. Reopening (a restart) reads what is there. */
bool journal_broken(const struct journal *journal);

struct journal_record {
    enum journal_kind kind;
    const char *payload;
    size_t len;
};

/* Replaces the file's contents with `records`, atomically and durably. Returns 0, or -1
 * (logged; the old file is then still in place and in use). */
int journal_compact(struct journal *journal, const struct journal_record *records, size_t n);

/* A compaction in two steps (see the top of this file). */
struct journal_compaction {
    char tmp[PATH_MAX + 8];      /* PATH.tmp */
    int fd;                      /* open on tmp after the write step, or -1 */
    uint64_t size;               /* bytes written to tmp */
    uint64_t from;               /* the journal's size when the records were taken */
    int error;                   /* errno of the write step's failure, or 0 */
};

/* Prepares `c` for records that describe the journal as it is now (journal_size()). */
void journal_compaction_init(const struct journal *journal, struct journal_compaction *c);
/* Writes `records` to the temporary file and syncs it. Touches nothing of the journal: may run
 * on another thread while the journal is appended to. Returns 0, or -1 with c->error set
 * (nothing logged: the caller logs from its own thread). */
int journal_compaction_write(struct journal_compaction *c, const struct journal_record *records,
                             size_t n);
/* Completes a compaction whose write step succeeded: copies the records appended since,
 * syncs, renames, syncs the directory, and goes on in the new file. Returns 0, or -1 (logged;
 * the temporary file is removed, the old file stays in use). */
int journal_compaction_finish(struct journal *journal, struct journal_compaction *c);
/* Removes the temporary file of a compaction that will not be finished. */
void journal_compaction_abandon(struct journal_compaction *c);

/* Bytes in the file, and records appended since it was opened or compacted. */
uint64_t journal_size(const struct journal *journal);
uint64_t journal_appends_since_compaction(const struct journal *journal);
/* Bytes the file had right after the last open or compaction. */
uint64_t journal_base_size(const struct journal *journal);
const char *journal_path(const struct journal *journal);

/* Bytes available to unprivileged users on the file system holding the journal, or -1. */
long long journal_free_bytes(const struct journal *journal);

const char *journal_kind_name(enum journal_kind kind);

/* CRC-32 (IEEE 802.3), as used in record headers. */
uint32_t journal_crc32(const void *data, size_t len);

/* The whole contents of `path`, malloc'd (*size bytes, plus a NUL), or NULL with errno set. */
char *journal_read_image(const char *path, size_t *size);

/* Reads a file image as journal_open() reads a file, changing nothing: the records of the
 * valid prefix through reader->record, then what follows it (damage->offset is the prefix's
 * length; damage->saved is ""). For tools. */
void journal_examine(const char *data, size_t size, const struct journal_reader *reader,
                     struct journal_damage *damage);

/* Writes `records` as the whole contents of `path` (replacing it, if it exists) atomically
 * and durably: a temporary file beside it, synced, owned by `uid`:`gid` (unless -1), renamed,
 * the directory synced. For tools. Returns 0, or -1 with errno set (nothing changed). */
int journal_write_file(const char *path, const struct journal_record *records, size_t n,
                       int uid, int gid);

/* Reads the records of a whole file image, for tools: calls `fn` for each intact record in
 * order and `damaged` (may be NULL) for each stretch that is not one, with its offset, length
 * and the problem. Returns the number of damaged stretches. */
typedef void journal_damaged_fn(void *arg, uint64_t offset, uint64_t len, const char *problem);
typedef void journal_scan_fn(void *arg, uint64_t offset, enum journal_kind kind,
                             const char *payload, size_t len);
size_t journal_scan(const char *data, size_t size, journal_scan_fn *fn,
                    journal_damaged_fn *damaged, void *arg);

#endif
