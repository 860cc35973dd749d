/* interface-reconfigure for vsw: brings a XenServer PIF up or down, or rewrites the network
 * cache (xenserver-spec.md section 4). What the pieces share. */
#ifndef VSW_IFR_H
#define VSW_IFR_H

#include <stdbool.h>
#include <stddef.h>

struct json;

/* An Error of the spec: logged, exit status 1. */
#define IFR_ERROR_MAX 512

/* The invocation, validated (main.c). */
struct ifr_options {
    const char *action;          /* "up", "down" or "rewrite" */
    const char *session;         /* --session: a XAPI session to reuse */
    const char *pif;             /* --pif: a PIF ref */
    const char *pif_uuid;        /* --pif-uuid */
    const char *force;           /* --force / --force-interface: a bridge */
    bool management;             /* --management */
    const char *mac, *device, *mode, *ip, *netmask, *gateway;   /* --force ... rewrite */
    const char *root;            /* --root-prefix, "" for none */
    bool no_syslog;
};

/* ---- Running commands (run.c) ---- */

/* A command line being built. */
struct argv {
    char **args;                 /* NULL-terminated */
    size_t n, cap;
};

void argv_init(struct argv *a);
void argv_free(struct argv *a);
void argv_add(struct argv *a, const char *arg);
void argv_addf(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The words joined by spaces, for the log (malloc'd). */
char *argv_text(const struct argv *a);

/* Runs `a` (found on PATH), logging "Running command: ..." and, on failure, "Command failed
 * <status>: ...". `env` (NULL-terminated "NAME=value" strings, may be NULL) is added to the
 * environment. Returns the exit status, 127 if it could not be run, 128+N if killed. */
int ifr_run(const struct argv *a, const char *const *env);
/* The same for a literal list of words, ending with NULL. */
int ifr_run_words(const char *first, ...) __attribute__((sentinel));
/* Runs `a` and returns what it printed on stdout (malloc'd, trailing newline removed), or NULL
 * if it failed. */
char *ifr_run_output(const struct argv *a);

/* <root><path> (malloc'd). */
char *ifr_path(const struct ifr_options *opts, const char *path);

#endif
