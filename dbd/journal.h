/* The database file: an append-only journal of checksummed records.
 *
 * Each record is a header line and a payload:
 *     VSWDB <kind> <payload length> <crc32 of payload, 8 hex digits>\n<payload>\n
 * The first record is the schema, then optionally a snapshot of the whole database, then one
 * record per committed transaction. A record is durable once journal_append() (or
 * journal_sync() after journal_write()) returns: written with one writev, then fdatasync. A torn or corrupt tail — a crash mid-append, a damaged
 * disk block — is detected on open: everything before it is kept, the damaged bytes are saved
 * beside the file for inspection and cut off. Compaction rewrites the file as schema + snapshot
 * into a temporary file, fsyncs it and renames it over the old one, so a crash at any moment
 * leaves either the old or the new file, whole. */
#ifndef VSW_DBD_JOURNAL_H
#define VSW_DBD_JOURNAL_H

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

/* Called for each intact record, in file order. Returning -1 declares the record unusable:
 * it and everything after it are treated as a damaged tail. */
typedef int journal_record_fn(void *arg, enum journal_kind kind, const char *payload,
                              size_t len);

/* Opens the journal at `path`, creating it if missing, and reads every record through `fn`.
 * Returns the journal (close with journal_close), or NULL (logged). */
struct journal *journal_open(const char *path, journal_record_fn *fn, void *arg);
void journal_close(struct journal *journal);

/* Appends a record and makes it durable. Returns 0, or -1 (logged); after a failure the
 * journal refuses further appends, since the file's tail is unknown. */
int journal_append(struct journal *journal, enum journal_kind kind, const char *payload,
                   size_t len);
/* The two halves of journal_append(), for a caller with something to do in between: the
 * record is durable only once journal_sync() returned 0. Same failure rules. */
int journal_write(struct journal *journal, enum journal_kind kind, const char *payload,
                  size_t len);
int journal_sync(struct journal *journal);

struct journal_record {
    enum journal_kind kind;
    const char *payload;
    size_t len;
};

/* Replaces the file's contents with `records`, atomically and durably. Returns 0, or -1 (logged;
 * the old file is then still in place and in use). */
int journal_compact(struct journal *journal, const struct journal_record *records, size_t n);

/* Bytes in the file, and records appended since it was opened or compacted. */
uint64_t journal_size(const struct journal *journal);
uint64_t journal_appends_since_compaction(const struct journal *journal);
/* Bytes the file had right after the last open or compaction. */
uint64_t journal_base_size(const struct journal *journal);

const char *journal_kind_name(enum journal_kind kind);

/* CRC-32 (IEEE 802.3), as used in record headers. */
uint32_t journal_crc32(const void *data, size_t len);

#endif
