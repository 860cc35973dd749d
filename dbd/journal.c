#include "dbd/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

#define MAGIC "VSWDB"
#define HEADER_MAX 64

struct journal {
    char path[PATH_MAX];
    int fd;
    uint64_t size;
    uint64_t base_size;
    uint64_t appends;
    bool broken;          /* an append failed half-way: refuse more */
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

/* Writes all of buf at the current offset, retrying short writes and EINTR. */
static int write_all(int fd, const struct iovec *iov_in, int n_iov)
{
    struct iovec iov[3];
    memcpy(iov, iov_in, sizeof(iov[0]) * n_iov);
    int first = 0;
    while (first < n_iov) {
        ssize_t n = writev(fd, iov + first, n_iov - first);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (first < n_iov && (size_t)n >= iov[first].iov_len)
            n -= (ssize_t)iov[first++].iov_len;
        if (first < n_iov) {
            iov[first].iov_base = (char *)iov[first].iov_base + n;
            iov[first].iov_len -= (size_t)n;
        }
    }
    return 0;
}

static int write_record(int fd, enum journal_kind kind, const char *payload, size_t len,
                        uint64_t *written)
{
    char header[HEADER_MAX];
    int header_len = format_header(header, kind, len, payload);
    struct iovec iov[3] = {
        { header, (size_t)header_len },
        { (void *)payload, len },
        { "\n", 1 },
    };
    if (write_all(fd, iov, 3) < 0)
        return -1;
    *written += (uint64_t)header_len + len + 1;
    return 0;
}

/* ---- Reading ---- */

struct reader {
    const char *data;
    size_t size;
    size_t pos;           /* start of the next record */
    char problem[160];    /* why reading stopped early */
};

/* Parses the record at r->pos. Returns 1 with the record, 0 at a clean end, -1 on damage. */
static int next_record(struct reader *r, enum journal_kind *kind, const char **payload,
                       size_t *len)
{
    if (r->pos == r->size)
        return 0;
    const char *start = r->data + r->pos;
    size_t left = r->size - r->pos;
    const char *nl = memchr(start, '\n', left < HEADER_MAX ? left : HEADER_MAX);
    if (!nl) {
        snprintf(r->problem, sizeof r->problem, "incomplete record header");
        return -1;
    }
    char header[HEADER_MAX], kind_name[16];
    size_t header_len = (size_t)(nl - start);
    memcpy(header, start, header_len);
    header[header_len] = '\0';
    unsigned long long claimed;
    uint32_t crc;
    int consumed = 0;
    if (sscanf(header, MAGIC " %15s %llu %8" SCNx32 "%n", kind_name, &claimed, &crc,
               &consumed) != 3 || (size_t)consumed != header_len ||
        !kind_from_name(kind_name, kind)) {
        snprintf(r->problem, sizeof r->problem, "malformed record header");
        return -1;
    }
    if (claimed > JOURNAL_MAX_RECORD || claimed + 1 > left - header_len - 1) {
        snprintf(r->problem, sizeof r->problem, "record of %llu bytes runs past the end",
                 claimed);
        return -1;
    }
    const char *body = nl + 1;
    if (body[claimed] != '\n' || journal_crc32(body, claimed) != crc) {
        snprintf(r->problem, sizeof r->problem, "checksum mismatch");
        return -1;
    }
    *payload = body;
    *len = claimed;
    r->pos += header_len + 1 + claimed + 1;
    return 1;
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

/* Copies the damaged tail beside the journal, so that nothing is destroyed unseen. */
static void save_damaged_tail(const struct journal *j, const char *tail, size_t len)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s.damaged-%lld", j->path, (long long)time(NULL));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    struct iovec iov = { (void *)tail, len };
    if (fd < 0 || write_all(fd, &iov, 1) < 0 || fsync(fd) < 0)
        vlog_err("journal: cannot save the damaged tail to %s: %s", path, strerror(errno));
    else
        vlog_warn("journal: damaged tail (%zu bytes) saved to %s", len, path);
    if (fd >= 0)
        close(fd);
}

static int cut_damaged_tail(struct journal *j, const struct reader *r)
{
    vlog_warn("journal: %s at offset %zu of %s: keeping the %zu bytes before it, cutting %zu",
              r->problem, r->pos, j->path, r->pos, r->size - r->pos);
    save_damaged_tail(j, r->data + r->pos, r->size - r->pos);
    if (ftruncate(j->fd, (off_t)r->pos) < 0 || fsync(j->fd) < 0) {
        vlog_err("journal: cannot cut %s at offset %zu: %s", j->path, r->pos, strerror(errno));
        return -1;
    }
    return 0;
}

static int replay_file(struct journal *j, journal_record_fn *fn, void *arg)
{
    struct reader r = { 0 };
    char *data;
    if (read_file(j->fd, &data, &r.size) < 0) {
        vlog_err("journal: cannot read %s: %s", j->path, strerror(errno));
        return -1;
    }
    r.data = data;
    int rc;
    enum journal_kind kind;
    const char *payload;
    size_t len;
    size_t record_start = 0;
    while ((rc = next_record(&r, &kind, &payload, &len)) == 1) {
        if (fn(arg, kind, payload, len) < 0) {
            /* Intact bytes the database refuses: treat as damage from this record on. */
            snprintf(r.problem, sizeof r.problem, "%s record refused by the database",
                     journal_kind_name(kind));
            r.pos = record_start;
            rc = -1;
            break;
        }
        record_start = r.pos;
    }
    int result = 0;
    if (rc < 0)
        result = cut_damaged_tail(j, &r);
    j->size = r.pos;
    free(data);
    return result;
}

struct journal *journal_open(const char *path, journal_record_fn *fn, void *arg)
{
    struct journal *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    if (strlen(path) >= sizeof j->path) {
        vlog_err("journal: path too long: %s", path);
        free(j);
        return NULL;
    }
    strcpy(j->path, path);
    j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (j->fd < 0) {
        vlog_err("journal: cannot open %s: %s", path, strerror(errno));
        free(j);
        return NULL;
    }
    if (replay_file(j, fn, arg) < 0 || lseek(j->fd, (off_t)j->size, SEEK_SET) < 0) {
        close(j->fd);
        free(j);
        return NULL;
    }
    j->base_size = j->size;
    return j;
}

void journal_close(struct journal *j)
{
    if (!j)
        return;
    close(j->fd);
    free(j);
}

int journal_write(struct journal *j, enum journal_kind kind, const char *payload, size_t len)
{
    if (j->broken) {
        vlog_err("journal: %s is in an unknown state after a failed write; restart dbd",
                 j->path);
        return -1;
    }
    if (len > JOURNAL_MAX_RECORD) {
        vlog_err("journal: record of %zu bytes exceeds the limit of %u", len,
                 JOURNAL_MAX_RECORD);
        return -1;
    }
    if (write_record(j->fd, kind, payload, len, &j->size) < 0) {
        vlog_err("journal: cannot append to %s: %s", j->path, strerror(errno));
        j->broken = true;
        return -1;
    }
    j->appends++;
    return 0;
}

int journal_sync(struct journal *j)
{
    if (j->broken)
        return -1;
    if (fdatasync(j->fd) < 0) {
        vlog_err("journal: cannot make %s durable: %s", j->path, strerror(errno));
        j->broken = true;
        return -1;
    }
    return 0;
}

int journal_append(struct journal *j, enum journal_kind kind, const char *payload, size_t len)
{
    if (journal_write(j, kind, payload, len) < 0)
        return -1;
    return journal_sync(j);
}

static int fsync_directory(const char *path)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int journal_compact(struct journal *j, const struct journal_record *records, size_t n)
{
    /* Reading refuses a record above the limit as damage and cuts it with everything after:
     * never write one, or the next open would lose the whole database. */
    for (size_t i = 0; i < n; i++) {
        if (records[i].len > JOURNAL_MAX_RECORD) {
            vlog_err("journal: not compacting %s: its %s record would be %zu bytes, above the "
                     "limit of %u", j->path, journal_kind_name(records[i].kind), records[i].len,
                     JOURNAL_MAX_RECORD);
            return -1;
        }
    }
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", j->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        vlog_err("journal: cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    uint64_t size = 0;
    for (size_t i = 0; i < n; i++) {
        if (write_record(fd, records[i].kind, records[i].payload, records[i].len, &size) < 0)
            goto fail;
    }
    if (fsync(fd) < 0 || rename(tmp, j->path) < 0)
        goto fail;
    if (fsync_directory(j->path) < 0)
        vlog_warn("journal: cannot fsync the directory of %s: %s", j->path, strerror(errno));
    close(j->fd);
    j->fd = fd;
    j->size = j->base_size = size;
    j->appends = 0;
    j->broken = false;
    vlog_info("journal: compacted %s to %" PRIu64 " bytes", j->path, size);
    return 0;
fail:
    vlog_err("journal: compacting %s failed: %s", j->path, strerror(errno));
    close(fd);
    unlink(tmp);
    return -1;
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
