#include "dbd/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

#define MAGIC "VSWDB"
#define HEADER_MAX 64

struct journal {
    char path[PATH_MAX];
    int fd;
    int lock_fd;          /* PATH.lock, locked while the journal is open */
    uint64_t size;        /* bytes written */
    uint64_t synced;      /* bytes known durable: where a failed write is undone back to */
    uint64_t base_size;
    uint64_t appends;     /* records synced since the last open or compaction */
    uint64_t unsynced;    /* records written since the last sync */
    bool broken;          /* a failed write could not be undone: refuse more */
    bool dir_unsynced;    /* the rename of a compaction is not known durable yet */
    /* The current episode of failed writes: logged when it starts and when it ends (or its
     * cause changes), not at each refused record. */
    int failing;          /* errno, or 0 */
    uint64_t refused;
    time_t failing_since;
};

static const char *const kind_names[] = {
    [JOURNAL_SCHEMA] = "schema",
    [JOURNAL_SNAPSHOT] = "snapshot",
    [JOURNAL_TXN] = "txn",
};

const char *journal_kind_name(enum journal_kind kind)
{
    return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "?";
}

static bool kind_from_name(const char *name, enum journal_kind *kind)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *kind = (enum journal_kind)i;
            return true;
        }
    }
    return false;
}

uint32_t journal_crc32(const void *data, size_t len)
{
    static uint32_t table[256];
    if (!table[1]) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    }
    const uint8_t *p = data;
    uint32_t crc = 0xffffffffu;
    while (len--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffu;
}

static int format_header(char *buf, enum journal_kind kind, size_t len, const char *payload)
{
    return snprintf(buf, HEADER_MAX, MAGIC " %s %zu %08" PRIx32 "\n", journal_kind_name(kind),
                    len, journal_crc32(payload, len));
}

/* ---- Writing ---- */

/* Writes all of `iov` at `offset`, retrying short writes and EINTR. */
static int pwrite_all(int fd, const struct iovec *iov_in, int n_iov, uint64_t offset)
{
    struct iovec iov[3];
    memcpy(iov, iov_in, sizeof(iov[0]) * n_iov);
    int first = 0;
    while (first < n_iov) {
        ssize_t n = pwritev(fd, iov + first, n_iov - first, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        offset += (uint64_t)n;
        while (first < n_iov && (size_t)n >= iov[first].iov_len)
            n -= (ssize_t)iov[first++].iov_len;
        if (first < n_iov) {
            iov[first].iov_base = (char *)iov[first].iov_base + n;
            iov[first].iov_len -= (size_t)n;
        }
    }
    return 0;
}

/* Writes one record at *size and advances *size. */
static int write_record(int fd, enum journal_kind kind, const char *payload, size_t len,
                        uint64_t *size)
{
    char header[HEADER_MAX];
    int header_len = format_header(header, kind, len, payload);
    struct iovec iov[3] = {
        { header, (size_t)header_len },
        { (void *)payload, len },
        { "\n", 1 },
    };
    if (pwrite_all(fd, iov, 3, *size) < 0)
        return -1;
    *size += (uint64_t)header_len + len + 1;
    return 0;
}

static int write_bytes(int fd, const char *data, size_t len, uint64_t offset)
{
    struct iovec iov = { (void *)data, len };
    return pwrite_all(fd, &iov, 1, offset);
}

static int fsync_directory(const char *path)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* ---- Reading ---- */

struct reader {
    const char *data;
    size_t size;
    size_t pos;           /* start of the next record */
    char problem[160];    /* why the record at pos is not one */
};

/* Parses the header line at `start` (`left` bytes available). Returns its length (without the
 * newline) with *kind and *claimed, or -1: no newline within HEADER_MAX bytes, or malformed
 * (then *complete says whether a newline was found). */
static int parse_header(const char *start, size_t left, enum journal_kind *kind,
                        unsigned long long *claimed, uint32_t *crc, bool *complete)
{
    const char *nl = memchr(start, '\n', left < HEADER_MAX ? left : HEADER_MAX);
    *complete = nl != NULL;
    if (!nl)
        return -1;
    char header[HEADER_MAX], kind_name[16];
    size_t header_len = (size_t)(nl - start);
    memcpy(header, start, header_len);
    header[header_len] = '\0';
    int consumed = 0;
    if (sscanf(header, MAGIC " %15s %llu %8" SCNx32 "%n", kind_name, claimed, crc,
               &consumed) != 3 || (size_t)consumed != header_len ||
        !kind_from_name(kind_name, kind))
        return -1;
    return (int)header_len;
}

/* Parses the record at r->pos. Returns 1 with the record, 0 at a clean end, -1 on damage. */
static int next_record(struct reader *r, enum journal_kind *kind, const char **payload,
                       size_t *len)
{
    if (r->pos == r->size)
        return 0;
    const char *start = r->data + r->pos;
    size_t left = r->size - r->pos;
    unsigned long long claimed;
    uint32_t crc;
    bool complete;
    int header_len = parse_header(start, left, kind, &claimed, &crc, &complete);
    if (header_len < 0) {
        snprintf(r->problem, sizeof r->problem, "%s record header",
                 complete ? "malformed" : "incomplete");
        return -1;
    }
    if (claimed > JOURNAL_MAX_RECORD || claimed + 1 > left - (size_t)header_len - 1) {
        snprintf(r->problem, sizeof r->problem, "record of %llu bytes runs past the end",
                 claimed);
        return -1;
    }
    const char *body = start + header_len + 1;
    if (body[claimed] != '\n' || journal_crc32(body, claimed) != crc) {
        snprintf(r->problem, sizeof r->problem, "checksum mismatch");
        return -1;
    }
    *payload = body;
    *len = claimed;
    r->pos += (size_t)header_len + 1 + claimed + 1;
    return 1;
}

/* Whether the bytes from r->pos to the end are what a write cut short leaves: a prefix of one
 * record. A crash during an append leaves the file ending inside the record: inside its
 * header, or before its payload and final newline are all there (a file system may also show
 * the unwritten end as zeros). A complete record that is wrong, garbage ending in a newline,
 * or a header whose length overshoots a payload that is all there (a flipped digit) is
 * damage. Payloads other than the schema's are JSON, which holds no raw newline: only a
 * complete record or a header line alone ends in one. */
static bool is_torn_write(const struct reader *r)
{
    const char *start = r->data + r->pos;
    size_t left = r->size - r->pos;
    enum journal_kind kind;
    unsigned long long claimed;
    uint32_t crc;
    bool complete;
    int header_len = parse_header(start, left, &kind, &claimed, &crc, &complete);
    if (header_len < 0) {
        if (!complete && left < HEADER_MAX)
            return true;
        for (size_t i = 0; i < left; i++)
            if (start[i] != '\0')
                return false;
        return true;
    }
    size_t after_header = left - (size_t)header_len - 1;
    if (claimed > JOURNAL_MAX_RECORD || claimed + 1 <= after_header)
        return false;
    return kind == JOURNAL_SCHEMA || after_header == 0 || start[left - 1] != '\n';
}

/* Finds the intact records after the damaged stretch at r->pos (skipping `skip` bytes, the
 * length of a record refused though intact), calling `lost` for each. */
static uint64_t scan_after_damage(const struct reader *r, size_t skip,
                                  const struct journal_reader *reader)
{
    uint64_t intact = 0;
    struct reader scan = { r->data, r->size, r->pos + (skip ? skip : 1), "" };
    while (scan.pos < scan.size) {
        const char *at = scan.data + scan.pos;
        if (scan.data[scan.pos - 1] != '\n' || scan.size - scan.pos < sizeof MAGIC ||
            memcmp(at, MAGIC " ", sizeof MAGIC) != 0) {
            scan.pos++;
            continue;
        }
        enum journal_kind kind;
        const char *payload;
        size_t len;
        size_t start = scan.pos;
        if (next_record(&scan, &kind, &payload, &len) == 1) {
            intact++;
            if (reader->lost)
                reader->lost(reader->arg, kind, payload, len);
        } else {
            scan.pos = start + 1;
        }
    }
    return intact;
}

static int read_file(int fd, char **data, size_t *size)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    *size = (size_t)st.st_size;
    *data = malloc(*size + 1);
    if (!*data)
        return -1;
    size_t got = 0;
    while (got < *size) {
        ssize_t n = pread(fd, *data + got, *size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(*data);
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

char *journal_read_image(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *data;
    int rc = read_file(fd, &data, size);
    int saved = errno;
    close(fd);
    if (rc < 0) {
        errno = saved;
        return NULL;
    }
    data[*size] = '\0';
    return data;
}

/* A name beside the journal for its damaged part, not yet taken. */
static void damaged_name(const struct journal *j, char *buf, size_t size)
{
    long long now = (long long)time(NULL);
    snprintf(buf, size, "%s.damaged-%lld", j->path, now);
    for (int i = 1; access(buf, F_OK) == 0 && i < 1000; i++)
        snprintf(buf, size, "%s.damaged-%lld.%d", j->path, now, i);
}

/* A torn tail lost nothing acknowledged: it is cut even if it cannot be saved. */
static int cut_torn_tail(struct journal *j, const struct reader *r, struct journal_damage *d)
{
    vlog_warn("journal: %s at offset %zu of %s: a write cut short; keeping the %zu bytes "
              "before it, cutting %zu", r->problem, r->pos, j->path, r->pos, r->size - r->pos);
    damaged_name(j, d->saved, sizeof d->saved);
    int fd = open(d->saved, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0 || write_bytes(fd, r->data + r->pos, r->size - r->pos, 0) < 0 || fsync(fd) < 0) {
        vlog_warn("journal: cannot save the cut bytes to %s: %s", d->saved, strerror(errno));
        if (fd >= 0)
            unlink(d->saved);
        d->saved[0] = '\0';
    } else {
        vlog_info("journal: the cut bytes are saved in %s", d->saved);
    }
    if (fd >= 0)
        close(fd);
    if (ftruncate(j->fd, (off_t)r->pos) < 0 || fsync(j->fd) < 0) {
        vlog_err("journal: cannot cut %s at offset %zu: %s", j->path, r->pos, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes `len` bytes of `data` as the new contents of the journal's file, atomically: a
 * temporary file, synced, renamed over it, the directory synced. On success the journal uses
 * the new file. */
static int replace_contents(struct journal *j, const char *data, size_t len)
{
    struct journal_compaction c;
    journal_compaction_init(j, &c);
    int fd = open(c.tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0 || write_bytes(fd, data, len, 0) < 0 || fsync(fd) < 0 ||
        rename(c.tmp, j->path) < 0 || fsync_directory(j->path) < 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        unlink(c.tmp);
        errno = saved;
        return -1;
    }
    close(j->fd);
    j->fd = fd;
    return 0;
}

/* Damage that may have cost acknowledged records: keep the whole file under another name (a
 * hard link, which needs no space) and go on with a new file holding the valid prefix. */
static int set_aside_damaged_file(struct journal *j, const struct reader *r,
                                  struct journal_damage *d)
{
    damaged_name(j, d->saved, sizeof d->saved);
    if (link(j->path, d->saved) < 0) {
        vlog_err("journal: %s at offset %zu of %s, and the file cannot be kept as %s: %s; "
                 "not starting, so that nothing is lost", r->problem, r->pos, j->path,
                 d->saved, strerror(errno));
        return -1;
    }
    if (replace_contents(j, r->data, r->pos) < 0) {
        vlog_err("journal: %s at offset %zu of %s: cannot write its %zu intact bytes to a new "
                 "file: %s; not starting (the file is unchanged, and also kept as %s)",
                 r->problem, r->pos, j->path, r->pos, strerror(errno), d->saved);
        return -1;
    }
    vlog_err("journal: %s at offset %zu of %s, followed by %" PRIu64 " intact record(s): "
             "recovered with loss, from the %zu bytes before it; the %zu bytes after are "
             "lost; the whole damaged file is kept as %s", r->problem, r->pos, j->path,
             d->intact_after, r->pos, r->size - r->pos, d->saved);
    return 0;
}

/* Reads every record of the image through `reader` and says in *d what follows the valid
 * prefix (d->offset is its length). */
static void examine(struct reader *r, const struct journal_reader *reader,
                    struct journal_damage *d)
{
    memset(d, 0, sizeof *d);
    int rc;
    enum journal_kind kind;
    const char *payload;
    size_t len;
    size_t record_start = 0, refused_len = 0;
    while ((rc = next_record(r, &kind, &payload, &len)) == 1) {
        if (reader->record(reader->arg, kind, payload, len) < 0) {
            /* Intact bytes the database refuses: damage from this record on. */
            snprintf(r->problem, sizeof r->problem, "%s record refused by the database",
                     journal_kind_name(kind));
            refused_len = r->pos - record_start;
            r->pos = record_start;
            rc = -1;
            break;
        }
        record_start = r->pos;
    }
    d->offset = r->pos;
    if (rc == 0)
        return;
    d->found = true;
    snprintf(d->problem, sizeof d->problem, "%s", r->problem);
    d->bytes = r->size - r->pos;
    d->intact_after = scan_after_damage(r, refused_len, reader);
    d->torn = !refused_len && d->intact_after == 0 && is_torn_write(r);
}

void journal_examine(const char *data, size_t size, const struct journal_reader *reader,
                     struct journal_damage *damage)
{
    struct reader r = { data, size, 0, "" };
    examine(&r, reader, damage);
}

static int replay_file(struct journal *j, const struct journal_reader *reader,
                       struct journal_damage *d)
{
    struct reader r = { 0 };
    char *data;
    if (read_file(j->fd, &data, &r.size) < 0) {
        vlog_err("journal: cannot read %s: %s", j->path, strerror(errno));
        return -1;
    }
    r.data = data;
    examine(&r, reader, d);
    int result = 0;
    if (d->found)
        result = d->torn ? cut_torn_tail(j, &r, d) : set_aside_damaged_file(j, &r, d);
    j->size = j->synced = j->base_size = r.pos;
    free(data);
    return result;
}

int journal_lock(const char *path)
{
    char lock_path[PATH_MAX + 8];
    if ((size_t)snprintf(lock_path, sizeof lock_path, "%s.lock", path) >= sizeof lock_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* Read-only is enough for flock(), and works whoever created the file. */
    int fd = open(lock_path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

struct journal *journal_open(const char *path, const struct journal_reader *reader,
                             struct journal_damage *damage)
{
    struct journal_damage ignored;
    if (!damage)
        damage = &ignored;
    struct journal *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    if (strlen(path) >= sizeof j->path) {
        vlog_err("journal: path too long: %s", path);
        free(j);
        return NULL;
    }
    strcpy(j->path, path);
    j->lock_fd = journal_lock(path);
    if (j->lock_fd < 0) {
        vlog_err("journal: cannot lock %s.lock: %s", path, errno == EWOULDBLOCK
                 ? "another process (vsw-dbd, vsw-dbtool) is using the database" : strerror(errno));
        free(j);
        return NULL;
    }
    j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (j->fd < 0) {
        vlog_err("journal: cannot open %s: %s", path, strerror(errno));
        close(j->lock_fd);
        free(j);
        return NULL;
    }
    if (replay_file(j, reader, damage) < 0) {
        journal_close(j);
        return NULL;
    }
    return j;
}

void journal_close(struct journal *j)
{
    if (!j)
        return;
    close(j->fd);
    close(j->lock_fd);
    free(j);
}

/* ---- Appending, and undoing a failed append ---- */

long long journal_free_bytes(const struct journal *j)
{
    struct statvfs st;
    if (fstatvfs(j->fd, &st) < 0)
        return -1;
    return (long long)st.f_bavail * (long long)st.f_frsize;
}

static void note_failure(struct journal *j, const char *what, int error)
{
    j->refused++;
    if (j->failing == error) {
        vlog_debug("journal: %s %s failed again: %s", what, j->path, strerror(error));
        return;
    }
    if (!j->failing)
        j->failing_since = time(NULL);
    j->failing = error;
    vlog_err("journal: cannot %s %s: %s (%lld bytes free on its file system); commits are "
             "refused, and the database stays as it was, until it can be written again",
             what, j->path, strerror(error), journal_free_bytes(j));
}

static void note_success(struct journal *j)
{
    if (!j->failing)
        return;
    vlog_warn("journal: %s is written again; %" PRIu64 " write(s) were refused in the %lld s "
              "since the first failure", j->path, j->refused,
              (long long)(time(NULL) - j->failing_since));
    j->failing = 0;
    j->refused = 0;
}

/* Takes the file back to its last durable size after a failed write or sync. */
static void undo_unsynced(struct journal *j)
{
    if (ftruncate(j->fd, (off_t)j->synced) < 0 || fsync(j->fd) < 0) {
        vlog_err("journal: cannot take %s back to its last durable size (%" PRIu64 " bytes) "
                 "after a failed write: %s; its end is unknown", j->path, j->synced,
                 strerror(errno));
        j->broken = true;
        return;
    }
    j->size = j->synced;
    j->unsynced = 0;
}

int journal_write(struct journal *j, enum journal_kind kind, const char *payload, size_t len)
{
    if (j->broken) {
        errno = EIO;
        return -1;
    }
    if (len > JOURNAL_MAX_RECORD) {
        vlog_err("journal: record of %zu bytes exceeds the limit of %u", len,
                 JOURNAL_MAX_RECORD);
        errno = EFBIG;
        return -1;
    }
    if (write_record(j->fd, kind, payload, len, &j->size) < 0) {
        int error = errno;
        note_failure(j, "write to", error);
        undo_unsynced(j);
        errno = error;
        return -1;
    }
    j->unsynced++;
    return 0;
}

int journal_sync(struct journal *j)
{
    if (j->broken) {
        errno = EIO;
        return -1;
    }
    /* A record in the file a compaction renamed into place is durable only once the rename
     * is: until the directory is synced, a crash may bring back the old file. */
    if (j->dir_unsynced && fsync_directory(j->path) == 0)
        j->dir_unsynced = false;
    if (j->dir_unsynced || fdatasync(j->fd) < 0) {
        int error = errno;
        note_failure(j, j->dir_unsynced ? "sync the directory of" : "sync", error);
        undo_unsynced(j);
        errno = error;
        return -1;
    }
    j->synced = j->size;
    j->appends += j->unsynced;
    j->unsynced = 0;
    note_success(j);
    return 0;
}

int journal_append(struct journal *j, enum journal_kind kind, const char *payload, size_t len)
{
    if (journal_write(j, kind, payload, len) < 0)
        return -1;
    return journal_sync(j);
}

bool journal_broken(const struct journal *j)
{
    return j->broken;
}

/* ---- Compaction ---- */

void journal_compaction_init(const struct journal *j, struct journal_compaction *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->tmp, sizeof c->tmp, "%s.tmp", j->path);
    c->fd = -1;
    c->from = j->size;
}

int journal_compaction_write(struct journal_compaction *c, const struct journal_record *records,
                             size_t n)
{
    /* Reading refuses a record above the limit as damage: never write one, or the next open
     * would lose the whole database. */
    for (size_t i = 0; i < n; i++) {
        if (records[i].len > JOURNAL_MAX_RECORD) {
            c->error = EFBIG;
            return -1;
        }
    }
    c->fd = open(c->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (c->fd < 0) {
        c->error = errno;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (write_record(c->fd, records[i].kind, records[i].payload, records[i].len,
                         &c->size) < 0) {
            c->error = errno;
            return -1;
        }
    }
    if (fsync(c->fd) < 0) {
        c->error = errno;
        return -1;
    }
    return 0;
}

void journal_compaction_abandon(struct journal_compaction *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    unlink(c->tmp);
}

/* Copies the journal's bytes from c->from to its end (records synced there already) into the
 * temporary file. */
static int copy_tail(const struct journal *j, struct journal_compaction *c)
{
    char buf[65536];
    for (uint64_t at = c->from; at < j->size;) {
        size_t want = j->size - at < sizeof buf ? (size_t)(j->size - at) : sizeof buf;
        ssize_t n = pread(j->fd, buf, want, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        if (write_bytes(c->fd, buf, (size_t)n, c->size) < 0)
            return -1;
        at += (uint64_t)n;
        c->size += (uint64_t)n;
    }
    return 0;
}

int journal_compaction_finish(struct journal *j, struct journal_compaction *c)
{
    uint64_t tail = j->size - c->from;
    if (j->broken || j->size != j->synced || copy_tail(j, c) < 0 ||
        (tail && fdatasync(c->fd) < 0) || rename(c->tmp, j->path) < 0) {
        vlog_err("journal: compacting %s failed: %s", j->path,
                 j->broken ? "the journal is broken" : strerror(errno));
        journal_compaction_abandon(c);
        return -1;
    }
    /* The new file is in place; until the directory is synced a crash may still bring back
     * the old one, which holds the same records: nothing acknowledged depends on the rename
     * yet. Should the sync fail, journal_sync() retries it before any record counts. */
    if (fsync_directory(j->path) < 0) {
        vlog_warn("journal: cannot fsync the directory of %s: %s", j->path, strerror(errno));
        j->dir_unsynced = true;
    }
    uint64_t before = j->size;
    close(j->fd);
    j->fd = c->fd;
    c->fd = -1;
    j->size = j->synced = c->size;
    j->base_size = c->size - tail;
    j->appends = 0;
    vlog_info("journal: compacted %s from %" PRIu64 " to %" PRIu64 " bytes", j->path, before,
              c->size);
    return 0;
}

int journal_compact(struct journal *j, const struct journal_record *records, size_t n)
{
    struct journal_compaction c;
    journal_compaction_init(j, &c);
    if (journal_compaction_write(&c, records, n) < 0) {
        vlog_err("journal: cannot write %s to compact %s: %s", c.tmp, j->path,
                 strerror(c.error));
        journal_compaction_abandon(&c);
        return -1;
    }
    return journal_compaction_finish(j, &c);
}

uint64_t journal_size(const struct journal *j)
{
    return j->size;
}

uint64_t journal_base_size(const struct journal *j)
{
    return j->base_size;
}

uint64_t journal_appends_since_compaction(const struct journal *j)
{
    return j->appends;
}

const char *journal_path(const struct journal *j)
{
    return j->path;
}

int journal_write_file(const char *path, const struct journal_record *records, size_t n,
                       int uid, int gid)
{
    char tmp[PATH_MAX + 8];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    uint64_t size = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (records[i].len > JOURNAL_MAX_RECORD) {
            errno = EFBIG;
            rc = -1;
        } else {
            rc = write_record(fd, records[i].kind, records[i].payload, records[i].len, &size);
        }
    }
    if (rc == 0 && (uid >= 0 || gid >= 0))
        rc = fchown(fd, (uid_t)uid, (gid_t)gid);
    if (rc == 0)
        rc = fsync(fd);
    if (rc == 0)
        rc = rename(tmp, path);
    int saved = errno;
    close(fd);
    if (rc < 0) {
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return fsync_directory(path);
}

/* ---- Reading a file image, for tools ---- */

size_t journal_scan(const char *data, size_t size, journal_scan_fn *fn,
                    journal_damaged_fn *damaged, void *arg)
{
    struct reader r = { data, size, 0, "" };
    size_t n_damaged = 0;
    while (r.pos < r.size) {
        size_t start = r.pos;
        enum journal_kind kind;
        const char *payload;
        size_t len;
        if (next_record(&r, &kind, &payload, &len) == 1) {
            fn(arg, start, kind, payload, len);
            continue;
        }
        /* Skip to the next line that starts an intact record. */
        char problem[sizeof r.problem];
        snprintf(problem, sizeof problem, "%s", r.problem);
        size_t next = start + 1;
        for (; next < size; next++) {
            if (data[next - 1] != '\n' || size - next < sizeof MAGIC ||
                memcmp(data + next, MAGIC " ", sizeof MAGIC) != 0)
                continue;
            struct reader probe = { data, size, next, "" };
            if (next_record(&probe, &kind, &payload, &len) == 1)
                break;
        }
        if (next > size)
            next = size;
        n_damaged++;
        if (damaged)
            damaged(arg, start, next - start, problem);
        r.pos = next;
    }
    return n_damaged;
}
