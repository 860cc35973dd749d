#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* The only mutable global in the runtime: a process has one log, and every function may log. */
static struct {
    char program[32];
    enum vlog_target target;
    enum vlog_level level;
    char path[4096];
    int fd;                     /* file target: the open log file; stderr target: 2 */
} the_log = { "vsw", VLOG_TO_STDERR, VLOG_INFO, "", 2 };

static const char *const level_names[] = {
    [VLOG_ERR] = "err", [VLOG_WARN] = "warn", [VLOG_INFO] = "info", [VLOG_DEBUG] = "debug",
};

static const int syslog_priorities[] = {
    [VLOG_ERR] = LOG_ERR, [VLOG_WARN] = LOG_WARNING, [VLOG_INFO] = LOG_INFO,
    [VLOG_DEBUG] = LOG_DEBUG,
};

int vlog_open(const char *program, enum vlog_target target, const char *path,
              enum vlog_level level)
{
    snprintf(the_log.program, sizeof the_log.program, "%s", program);
    the_log.target = target;
    the_log.level = level;
    the_log.fd = STDERR_FILENO;
    if (target == VLOG_TO_SYSLOG) {
        /* LOG_NDELAY connects now, before the sandbox forbids opening new sockets. */
        openlog(the_log.program, LOG_PID | LOG_NDELAY, LOG_DAEMON);
        return 0;
    }
    if (target == VLOG_TO_FILE) {
        snprintf(the_log.path, sizeof the_log.path, "%s", path);
        return vlog_reopen();
    }
    return 0;
}

int vlog_reopen(void)
{
    if (the_log.target != VLOG_TO_FILE)
        return 0;
    int fd = open(the_log.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if (the_log.fd > STDERR_FILENO)
        close(the_log.fd);
    the_log.fd = fd;
    return 0;
}

void vlog_close(void)
{
    if (the_log.target == VLOG_TO_SYSLOG)
        closelog();
    if (the_log.fd > STDERR_FILENO)
        close(the_log.fd);
    the_log.fd = STDERR_FILENO;
    the_log.target = VLOG_TO_STDERR;
}

void vlog_set_level(enum vlog_level level)
{
    if (level >= VLOG_ERR && level <= VLOG_DEBUG)
        the_log.level = level;
}

enum vlog_level vlog_get_level(void)
{
    return the_log.level;
}

bool vlog_level_from_string(const char *name, enum vlog_level *level)
{
    for (int i = VLOG_ERR; i <= VLOG_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *level = i;
            return true;
        }
    }
    return false;
}

const char *vlog_level_to_string(enum vlog_level level)
{
    if (level < VLOG_ERR || level > VLOG_DEBUG)
        return "?";
    return level_names[level];
}

void vlogv(enum vlog_level level, const char *fmt, va_list args)
{
    if (level > the_log.level || level < VLOG_ERR)
        return;
    int saved_errno = errno;
    if (the_log.target == VLOG_TO_SYSLOG) {
        vsyslog(syslog_priorities[level], fmt, args);
        errno = saved_errno;
        return;
    }
    char line[2048];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, now.tv_nsec / 1000000, the_log.program, (int)getpid(),
                     level_names[level]);
    if (n > 0 && (size_t)n < sizeof line)
        n += vsnprintf(line + n, sizeof line - n, fmt, args);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line - 1)
        n = sizeof line - 2;
    line[n++] = '\n';
    /* One write per line keeps lines whole when several processes share a file. */
    ssize_t ignored = write(the_log.fd, line, n);
    (void)ignored;
    errno = saved_errno;
}

void vlog(enum vlog_level level, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vlogv(level, fmt, args);
    va_end(args);
}
