/* Running the host's commands (ip, ethtool, ifup, ifdown, update-issue, vsw) the way the old
 * script did: by name from PATH, each logged before it runs and when it fails (IFR-03). */
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "xenserver/ifr/ifr.h"

extern char **environ;

void argv_init(struct argv *a)
{
    a->n = 0;
    a->cap = 8;
    a->args = xzalloc(a->cap * sizeof *a->args);
}

void argv_free(struct argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->args[i]);
    free(a->args);
    a->args = NULL;
    a->n = a->cap = 0;
}

void argv_add(struct argv *a, const char *arg)
{
    if (a->n + 2 > a->cap) {
        a->cap *= 2;
        a->args = xrealloc(a->args, a->cap * sizeof *a->args);
    }
    a->args[a->n++] = xstrdup(arg);
    a->args[a->n] = NULL;
}

void argv_addf(struct argv *a, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, args) < 0)
        abort();
    va_end(args);
    argv_add(a, s);
    free(s);
}

char *argv_text(const struct argv *a)
{
    size_t len = 1;
    for (size_t i = 0; i < a->n; i++)
        len += strlen(a->args[i]) + 1;
    char *text = xzalloc(len);
    for (size_t i = 0; i < a->n; i++) {
        if (i)
            strcat(text, " ");
        strcat(text, a->args[i]);
    }
    return text;
}

/* environ plus `extra`, for the child. */
static char **child_environment(const char *const *extra)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    while (extra && extra[k])
        k++;
    char **env = xzalloc((n + k + 1) * sizeof *env);
    memcpy(env, environ, n * sizeof *env);
    for (size_t i = 0; i < k; i++)
        env[n + i] = (char *)extra[i];
    return env;
}

static int spawn(const struct argv *a, const char *const *extra, int stdout_fd, pid_t *pid)
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (stdout_fd >= 0)
        posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
    char **env = child_environment(extra);
    int rc = posix_spawnp(pid, a->args[0], &actions, NULL, a->args, env);
    free(env);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

static int wait_status(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 127;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

static void log_failure(const struct argv *a, int status)
{
    char *text = argv_text(a);
    vlog_warn("Command failed %d: %s", status, text);
    free(text);
}

int ifr_run(const struct argv *a, const char *const *env)
{
    char *text = argv_text(a);
    vlog_info("Running command: %s", text);
    free(text);
    pid_t pid;
    int rc = spawn(a, env, -1, &pid);
    int status = rc == 0 ? wait_status(pid) : 127;
    if (rc != 0)
        vlog_warn("cannot run %s: %s", a->args[0], strerror(rc));
    if (status != 0)
        log_failure(a, status);
    return status;
}

int ifr_run_words(const char *first, ...)
{
    struct argv a;
    argv_init(&a);
    va_list args;
    va_start(args, first);
    for (const char *w = first; w; w = va_arg(args, const char *))
        argv_add(&a, w);
    va_end(args);
    int status = ifr_run(&a, NULL);
    argv_free(&a);
    return status;
}

char *ifr_run_output(const struct argv *a)
{
    char *text = argv_text(a);
    vlog_info("Running command: %s", text);
    free(text);
    int fds[2];
    if (pipe(fds) < 0)
        return NULL;
    pid_t pid;
    int rc = spawn(a, NULL, fds[1], &pid);
    close(fds[1]);
    size_t len = 0, cap = 256;
    char *out = xmalloc(cap);
    ssize_t got;
    while (rc == 0 && (got = read(fds[0], out + len, cap - len - 1)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        len += (size_t)got;
        if (cap - len < 2)
            out = xrealloc(out, cap *= 2);
    }
    close(fds[0]);
    out[len] = '\0';
    int status = rc == 0 ? wait_status(pid) : 127;
    if (status != 0) {
        log_failure(a, status);
        free(out);
        return NULL;
    }
    while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
        out[--len] = '\0';
    return out;
}

char *ifr_path(const struct ifr_options *opts, const char *path)
{
    return xasprintf("%s%s", opts->root ? opts->root : "", path);
}
