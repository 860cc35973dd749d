/* Leveled logging to stderr, a file or syslog. One log per process. */
#ifndef VSW_LOG_H
#define VSW_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum vlog_level {
    VLOG_ERR = 1,
    VLOG_WARN,
    VLOG_INFO,
    VLOG_DEBUG,
};

enum vlog_target {
    VLOG_TO_STDERR,
    VLOG_TO_FILE,
    VLOG_TO_SYSLOG,
};

/* Opens the log. `path` is used only for VLOG_TO_FILE. Returns 0, or -1 with errno set. */
int vlog_open(const char *program, enum vlog_target target, const char *path,
              enum vlog_level level);
void vlog_close(void);

/* Reopens a log file after rotation (SIGHUP); a no-op for other targets. */
int vlog_reopen(void);

void vlog_set_level(enum vlog_level level);
enum vlog_level vlog_get_level(void);

/* Parses "err", "warn", "info" or "debug". Returns false for anything else. */
bool vlog_level_from_string(const char *name, enum vlog_level *level);
const char *vlog_level_to_string(enum vlog_level level);

void vlog(enum vlog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vlogv(enum vlog_level level, const char *fmt, va_list args);

#define vlog_err(...) vlog(VLOG_ERR, __VA_ARGS__)
#define vlog_warn(...) vlog(VLOG_WARN, __VA_ARGS__)
#define vlog_info(...) vlog(VLOG_INFO, __VA_ARGS__)
#define vlog_debug(...) vlog(VLOG_DEBUG, __VA_ARGS__)

#endif
