/* The database commands of the vsw CLI (ovs-vsctl's command set): parsing a command line into
 * commands, turning them into ONE RFC 7047 transaction that vsw-dbd checks and applies
 * atomically, and formatting what comes back.
 *
 * The layer is pure: it talks to the database only through `struct vsctl_backend`, so the same
 * code runs against vsw-dbd over IPC (tools/vsctl_ipc.c) and, in unit tests, against the engine
 * in memory. */
#ifndef VSW_TOOLS_VSCTL_H
#define VSW_TOOLS_VSCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct db_schema;

/* Exit codes, as the issue fixes them (ovs-vsctl differs: see docs/cli.md). */
#define VSCTL_EXIT_OK 0
#define VSCTL_EXIT_FAILED 1   /* not found, condition false, the request failed */
#define VSCTL_EXIT_USAGE 2    /* the command line is wrong; nothing was sent */

/* After a commit, wait until `column` of the single row of `table` reaches the value its
 * `reaches` column was given, for at most `ms`. */
struct vsctl_then_wait {
    const char *table;
    const char *column;
    const char *reaches;
    unsigned int ms;
};

/* How the layer reaches the database. Every function returns 0, or -1 with *error (malloc'd,
 * the caller frees) when the database could not be asked at all. */
struct vsctl_backend {
    /* Runs RFC 7047 transact params; *result is the RFC 7047 result array (malloc'd JSON).
     * Returns 0, -1 with *error, or VSCTL_SCHEMA_CHANGED: the schema get_schema() gave is not
     * the database's, nothing was run, and get_schema() now gives the database's. */
    int (*transact)(void *aux, const char *params, char **result, char **error);
    /* The database schema, parsed; it belongs to the backend and lives as long as it does.
     * *assumed: it is the client's own copy, which transact() may yet refute with
     * VSCTL_SCHEMA_CHANGED. */
    int (*get_schema)(void *aux, const struct db_schema **schema, bool *assumed, char **error);
    /* Milliseconds on a monotonic clock. */
    uint64_t (*now_ms)(void *aux);
    /* Runs `params`: a transaction of one RFC 7047 "wait" with a timeout of `ms`, which holds
     * once the root row's cur_cfg has reached the value waited for. Returns whether it held
     * within `ms` (false too when the database could not be asked: the caller's read of
     * cur_cfg then says why). */
    bool (*wait_cfg)(void *aux, const char *params, unsigned int ms);
    /* Whether wait_cfg() blocks in the database until the condition holds (vsw-dbd keeps the
     * transaction and answers it with the commit that satisfies it): then one call may cover
     * a second, and the caller reads cur_cfg only when it timed out. Otherwise wait_cfg()
     * asks once and sleeps, and the caller polls with short waits. May be NULL (no). */
    bool (*wait_blocks)(void *aux);
    /* May be NULL. As transact(), but a transaction that commits is answered only once the
     * single row of then_wait->table has then_wait->column at least what its
     * then_wait->reaches column holds after the commit, or then_wait->ms has passed; *waited
     * says whether it held. The commit that waits for vsw-switchd costs one request then. */
    int (*transact_then_wait)(void *aux, const char *params,
                              const struct vsctl_then_wait *then_wait, char **result,
                              bool *waited, char **error);
    void *aux;
};

#define VSCTL_SCHEMA_CHANGED (-2)

enum vsctl_format {
    VSCTL_FORMAT_LIST,    /* "column : value" lines (ovs-vsctl's default for list and find) */
    VSCTL_FORMAT_TABLE,   /* aligned columns under headings */
    VSCTL_FORMAT_JSON,    /* {"headings": [...], "data": [[...], ...]} in RFC 7047 notation */
};

/* Global options that shape the whole invocation. */
struct vsctl_options {
    bool no_wait;          /* do not bump next_cfg nor wait for vsw-switchd to apply */
    bool dry_run;          /* build and check everything, commit nothing */
    bool oneline;          /* each command's output on one line, newlines as "\n" */
    enum vsctl_format format;
    bool bare;             /* values without quotes or brackets, no headings (--bare) */
    bool no_headings;
    int timeout_ms;        /* bound on the whole invocation, including the wait for apply */
};

void vsctl_options_init(struct vsctl_options *options);

/* True if `name` is one of the database commands (so vsw.c sends the command line here). */
bool vsctl_is_command(const char *name);
/* True if `arg` is an option that belongs to a database command (--may-exist, --id=@x...),
 * which may come before the first command as in ovs-vsctl. */
bool vsctl_is_command_option(const char *arg);

/* Runs the database command line argv[0..argc) (commands separated by "--", each optionally
 * preceded by its own options). Prints each command's output to `out` after the transaction
 * committed, errors to `err` prefixed by "vsw: ". Returns the exit code. */
int vsctl_run(const struct vsctl_options *options, int argc, char **argv,
              const struct vsctl_backend *backend, FILE *out, FILE *err);

/* Prints the database commands for `vsw --help`. */
void vsctl_print_help(FILE *out);

#endif
