/* Internals shared by the vsctl_*.c files: commands, the per-invocation context, the operation
 * lists that become the one transaction, reads, the bridge model, values and output.
 *
 * How an invocation runs (vsctl_run.c):
 *   1. parse: split the command line at "--", match each command and its options against the
 *      command table, check argument counts. No database needed.
 *   2. check: with the schema (fetched from vsw-dbd), resolve tables and columns and parse every
 *      value. Any error so far is a usage error (exit 2) and nothing has been sent but the
 *      schema request.
 *   3. run: each command adds operations to the transaction. Facts a command needs (does bridge
 *      X exist, which bridge holds port P) are read with small indexed selects, never by
 *      downloading tables, and every fact read is re-checked inside the transaction by a "wait"
 *      operation (a guard): if another client changed it meanwhile, the transaction fails as a
 *      whole and the invocation runs again, as ovs-vsctl's IDL "verify" does.
 *      The first attempt is optimistic: instead of reading, a command may *assume* what is
 *      normally true (the bridge exists, the new name is free) and put that assumption into the
 *      transaction as a wait. If an assumption fails, the invocation runs again in pessimistic
 *      mode, which reads the facts and produces ovs-vsctl's exact error messages. So the common
 *      `add-port` costs one transaction whatever the size of the database.
 *   4. commit (unless nothing was written), then wait for cur_cfg to reach the next_cfg the
 *      transaction bumped (unless --no-wait). */
#ifndef VSW_TOOLS_VSCTL_PRIVATE_H
#define VSW_TOOLS_VSCTL_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/json.h"
#include "ovsdb/datum.h"
#include "ovsdb/hmap.h"
#include "ovsdb/schema.h"
#include "ovsdb/uuid.h"
#include "tools/cli/vsctl.h"

/* ---- small utilities (vsctl_util.c) ---- */

void *vsctl_xmalloc(size_t size);
void *vsctl_xzalloc(size_t size);
void *vsctl_xrealloc(void *p, size_t size);
char *vsctl_xstrdup(const char *s);
char *vsctl_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable string. Zero-initialized is empty. */
struct vsctl_buf {
    char *s;
    size_t len, cap;
};
void buf_put(struct vsctl_buf *buf, const char *s, size_t n);
void buf_puts(struct vsctl_buf *buf, const char *s);
void buf_putc(struct vsctl_buf *buf, char c);
void buf_printf(struct vsctl_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *buf_cstr(const struct vsctl_buf *buf);   /* "" when nothing was written */
void buf_free(struct vsctl_buf *buf);

/* A string-keyed map of borrowed or owned pointers. */
struct vsctl_shash {
    struct hmap map;
};
struct vsctl_shash_node {
    struct hmap_node node;
    char *name;
    void *data;
};
void shash_init(struct vsctl_shash *sh);
/* Frees the nodes; calls free_data(data) for each if not NULL. */
void shash_destroy(struct vsctl_shash *sh, void (*free_data)(void *));
/* Adds or replaces; returns the previous data (or NULL). */
void *shash_replace(struct vsctl_shash *sh, const char *name, void *data);
void *shash_find(const struct vsctl_shash *sh, const char *name);
size_t shash_count(const struct vsctl_shash *sh);

/* Sorts an array of strings bytewise, as ovs-vsctl's svec_sort(). */
void vsctl_sort_strings(char **strings, size_t n);

/* ---- NULL-tolerant JSON accessors ----
 * lib/json.h's accessors need a value; replies from the database are read with these, which
 * take a missing member or element (NULL) as an absent value. */

static inline struct json *vj_get(const struct json *object, const char *key)
{
    return object ? json_object_get(object, key) : NULL;
}
static inline struct json *vj_at(const struct json *array, size_t index)
{
    return array ? json_array_at(array, index) : NULL;
}
static inline size_t vj_size(const struct json *array)
{
    return array ? json_array_size(array) : 0;
}
static inline const char *vj_string(const struct json *json)
{
    return json ? json_string(json) : "";
}
static inline bool vj_is_array(const struct json *json)
{
    return json && json_is_array(json);
}
static inline bool vj_is_object(const struct json *json)
{
    return json && json_is_object(json);
}
static inline bool vj_is_string(const struct json *json)
{
    return json && json_is_string(json);
}
static inline bool vj_is_integer(const struct json *json)
{
    return json && json_is_integer(json);
}
static inline int64_t vj_integer(const struct json *json)
{
    return json ? json_integer(json) : 0;
}
static inline bool vj_boolean(const struct json *json)
{
    return json && json_boolean(json);
}

/* ---- JSON builders for RFC 7047 operations (vsctl_util.c) ---- */

struct json *json_uuid(const struct uuid *uuid);                   /* ["uuid", "..."] */
struct json *json_uuid_set(const struct uuid *uuids, size_t n);    /* ["set", [...]] */
struct json *json_empty_set(void);                                 /* ["set", []] */
struct json *json_empty_map(void);                                 /* ["map", []] */
/* [column, function, value]; takes `value`. */
struct json *cond_new(const char *column, const char *function, struct json *value);
/* [[column, function, value]] */
struct json *where_one(const char *column, const char *function, struct json *value);
struct json *where_uuid(const struct uuid *uuid);
struct json *where_string(const char *column, const char *value);
/* A JSON array of the given strings; NULL-terminated list. */
struct json *json_strings(const char *first, ...);

struct json *op_select(const char *table, struct json *where, struct json *columns);
struct json *op_insert(const char *table, const struct uuid *uuid, struct json *row);
struct json *op_update(const char *table, struct json *where, struct json *row);
struct json *op_mutate(const char *table, struct json *where, struct json *mutations);
struct json *op_delete(const char *table, struct json *where);
/* A wait that succeeds only if the rows selected now, projected on `columns`, equal `rows`
 * (as a multiset) or, with `equal` false, differ from them. Takes every argument. */
struct json *op_wait(const char *table, struct json *where, struct json *columns, bool equal,
                     struct json *rows);
/* [column, mutator, value] */
struct json *mutation_new(const char *column, const char *mutator, struct json *value);

/* Reading RFC 7047 rows as select returns them. */
bool row_uuid(const struct json *row, const char *column, struct uuid *uuid);
const char *row_string(const struct json *row, const char *column);   /* "" if absent */
bool row_bool(const struct json *row, const char *column);
/* An optional integer (a set of at most one). Returns false if empty. */
bool row_opt_integer(const struct json *row, const char *column, int64_t *value);
/* The UUIDs of a set column, malloc'd (caller frees); count in *n. */
struct uuid *row_uuid_set(const struct json *row, const char *column, size_t *n);
/* The uuid of an atom ["uuid", "..."]. */
bool json_to_uuid(const struct json *atom, struct uuid *uuid);

/* ---- symbols: @name row ids (vsctl_value.c) ---- */

struct vsctl_symbol {
    char *name;               /* "@name", as typed */
    /* The row's UUID. For `create --id` it is chosen here and given to the insert; for
     * `get --id` it is a placeholder that the row's real UUID replaces before sending. */
    struct uuid uuid;
    bool created;             /* defined by create --id */
    bool from_get;            /* defined by get --id */
    bool resolved;            /* from_get: `real` is known */
    struct uuid real;
    size_t defined_by;        /* the defining command's index */
    size_t first_use;         /* the first referencing command's index (SIZE_MAX if none) */
    bool strong_ref, weak_ref;
    const struct db_table_schema *table;   /* created: the table of its row */
};

struct vsctl_symtab {
    struct vsctl_shash symbols;     /* "@name" -> struct vsctl_symbol */
    struct uuid_generator *uuids;
    size_t current_command;         /* for first_use */
};

void symtab_init(struct vsctl_symtab *symtab, struct uuid_generator *uuids);
void symtab_destroy(struct vsctl_symtab *symtab);
struct vsctl_symbol *symtab_get(struct vsctl_symtab *symtab, const char *name);

/* ---- values as people type them (vsctl_value.c) ---- */

/* Errors are malloc'd strings the caller frees; NULL means success. */

/* Splits one token off *p as ovs-vsctl does: up to one of ":=, []{}!<>" or white space outside
 * double quotes; a backslash escapes the next character (kept inside quotes). */
char *vsctl_token(const char **p, char **token);
/* Parses one atom of `base` from the whole of `text`: integers, reals, booleans (true/false,
 * yes/no, on/off, 1/0), strings bare or JSON-quoted, UUIDs, and @name for UUIDs (through
 * `symtab`, which may be NULL to refuse them). Checks the base type's constraints. */
char *vsctl_parse_atom(const struct db_base_type *base, const char *text,
                       struct vsctl_symtab *symtab, union db_atom *atom);
/* Parses a whole value of `type`: "[a, b]" or "a, b" for sets, "{k=v, k2=v2}" or "k=v" for maps
 * (vsw also takes "{...}" for sets), "[]" or "{}" for empty, ranges "1-5" in sets of integers.
 * Checks sizes, duplicates and constraints. *datum belongs to the caller on success. */
char *vsctl_parse_datum(const struct db_type *type, const char *text,
                        struct vsctl_symtab *symtab, struct db_datum *datum);

/* Splits "column[:key]<op>value" (op one of `ops`, the longest that matches; NULL for "=")
 * or, with `value` NULL, "column[:key]". The column is matched against `table` as ovs-vsctl
 * does (exact, then case-insensitive unique prefix). */
char *vsctl_parse_column_key_value(const char *arg, const struct db_table_schema *table,
                                   const struct db_column_schema **column, char **key,
                                   const char *const *ops, size_t n_ops, size_t *op,
                                   char **value);
char *vsctl_find_table(const struct db_schema *schema, const char *name,
                       const struct db_table_schema **table);
char *vsctl_find_column(const struct db_table_schema *table, const char *name,
                        const struct db_column_schema **column);

/* A datum's value as text: ovs-vsctl's string form, or with `bare` its elements without
 * quotes or brackets, separated by spaces. Malloc'd. */
char *vsctl_datum_to_text(const struct db_datum *datum, const struct db_type *type, bool bare);
/* Parses a column's RFC 7047 JSON value (as select returns it). */
char *vsctl_datum_from_json(const struct db_type *type, const struct json *json,
                            struct db_datum *datum);
/* Compares as ovs-vsctl's find does: by number of elements first, then element by element. */
int vsctl_datum_compare_3way(const struct db_datum *a, const struct db_datum *b,
                             const struct db_type *type);

/* ---- commands ---- */

struct vsctl_ctx;
struct vsctl_command;

enum vsctl_status {
    VSCTL_OK,
    VSCTL_ERROR,    /* ctx->error and ctx->exit_code say what and how to exit */
    VSCTL_RETRY,    /* the database changed under us (or an assumption failed): run again */
};

/* Schema-level checks before anything runs; fills cmd->data. Returns 0, or -1 after
 * vsctl_usage_error(). */
typedef int vsctl_check_fn(struct vsctl_ctx *ctx, struct vsctl_command *cmd);
typedef enum vsctl_status vsctl_run_fn(struct vsctl_ctx *ctx, struct vsctl_command *cmd);

struct vsctl_syntax {
    const char *name;
    int min_args, max_args;      /* not counting the name; INT_MAX for "any number" */
    const char *arguments;       /* for help and usage errors */
    const char *options;         /* the command options it takes, e.g. "--if-exists,--id=" */
    vsctl_check_fn *check;       /* may be NULL */
    vsctl_run_fn *run;
    const char *help;
};

struct vsctl_command {
    const struct vsctl_syntax *syntax;
    int argc;                    /* argv[0] is the command name */
    char **argv;                 /* borrowed from the command line */
    size_t index;
    /* Command options. */
    bool if_exists, may_exist, with_iface, fake_iface, real, fake, all, bootstrap;
    const char *id;              /* --id=@name */
    const char *columns;         /* --columns=a,b */
    char *text;                  /* the command with its options, as typed (for messages) */
    /* What check() parsed, freed with free_data. */
    void *data;
    void (*free_data)(void *data);
    struct vsctl_buf output;
    /* Filled by run when the output is a table (list, find); formatted after commit. */
    struct vsctl_table *table;
};

extern const struct vsctl_syntax vsctl_bridge_commands[];
extern const size_t vsctl_n_bridge_commands;
extern const struct vsctl_syntax vsctl_port_commands[];
extern const size_t vsctl_n_port_commands;
extern const struct vsctl_syntax vsctl_config_commands[];
extern const size_t vsctl_n_config_commands;
extern const struct vsctl_syntax vsctl_db_commands[];
extern const size_t vsctl_n_db_commands;

const struct vsctl_syntax *vsctl_find_syntax(const char *name);

/* "show" (vsctl_show.c). */
enum vsctl_status vsctl_show_run(struct vsctl_ctx *ctx, struct vsctl_command *cmd);

/* ---- the bridge model: what ovs-vsctl calls its cache (vsctl_model.c) ---- */

/* A bridge as ovs-vsctl shows it: a real Bridge row, or a fake (VLAN) bridge, which is a Port
 * with fake_bridge=true and a tag on its parent, with an internal Interface of the same name.
 * Writes name real Bridge rows by name (unique and immutable), never by UUID, so rows this
 * invocation only assumed to exist can be written too. */
struct vsctl_bridge {
    char *name;
    bool fake;
    struct uuid uuid;            /* real: its Bridge row; fake: its Port row */
    char *real;                  /* the real bridge: itself, or the parent */
    int vlan;                    /* fake: its VLAN, 0..4095; real: 0 */
};

struct vsctl_port {
    char *name;
    struct uuid uuid;
    char *real;                  /* the real bridge that holds it */
    char *bridge;                /* the bridge it belongs to as ovs-vsctl sees it (maybe fake) */
    struct uuid *ifaces;
    size_t n_ifaces;
};

struct vsctl_iface {
    char *name;
    struct uuid uuid;
    char *port;                  /* the port holding it */
    char *real;                  /* that port's real bridge */
    char *bridge;                /* that port's bridge as ovs-vsctl sees it */
};

/* A fake bridge as read from the database (or created by this invocation). */
struct vsctl_fake {
    char *name;
    struct uuid port_uuid;
    int vlan;
    char *parent;
};

struct vsctl_model {
    struct vsctl_shash bridges;  /* name -> struct vsctl_bridge, or &vsctl_absent */
    struct vsctl_shash ports;    /* name -> struct vsctl_port, or &vsctl_absent */
    struct vsctl_shash ifaces;   /* name -> struct vsctl_iface, or &vsctl_absent */
    struct vsctl_shash assumed;  /* real bridges assumed to exist (optimistic mode) */
    bool fakes_loaded;
    struct vsctl_fake *fakes;
    size_t n_fakes, allocated_fakes;
};
extern char vsctl_absent;      /* a cached "no such name" */

void vsctl_model_init(struct vsctl_model *model);
void vsctl_model_destroy(struct vsctl_model *model);
/* Forgets everything cached and makes later reads include this invocation's pending
 * operations: for commands whose writes may change names, ports, interfaces or tags in ways the
 * model does not track itself. */
void vsctl_model_invalidate(struct vsctl_ctx *ctx);

/* Lookups. Each sets *result to the cached entry or NULL if there is none; with `must_exist`,
 * a missing name is an error ("no bridge named X", exit 1). */
enum vsctl_status vsctl_find_bridge(struct vsctl_ctx *ctx, const char *name, bool must_exist,
                                    const struct vsctl_bridge **result);
/* Also fails for a fake bridge ("X is a fake bridge"). */
enum vsctl_status vsctl_find_real_bridge(struct vsctl_ctx *ctx, const char *name,
                                         bool must_exist, const struct vsctl_bridge **result);
/* ovs-vsctl's find_port(): a bridge's own local port (named as the bridge) is not found. */
enum vsctl_status vsctl_find_port(struct vsctl_ctx *ctx, const char *name, bool must_exist,
                                  const struct vsctl_port **result);
enum vsctl_status vsctl_find_iface(struct vsctl_ctx *ctx, const char *name, bool must_exist,
                                   const struct vsctl_iface **result);
/* Every fake bridge (read once per attempt). */
enum vsctl_status vsctl_load_fakes(struct vsctl_ctx *ctx);
/* Names of the interfaces with these UUIDs, sorted; caller frees the array and strings. */
enum vsctl_status vsctl_iface_names(struct vsctl_ctx *ctx, const struct uuid *uuids, size_t n,
                                    char ***names);

/* Fails with ovs-vsctl's message if `name` is taken by a bridge, port or interface:
 * "<what> because a port named X already exists on bridge B". In optimistic mode, assumes
 * instead that it is free, and adds that assumption to the transaction. */
enum vsctl_status vsctl_check_conflicts(struct vsctl_ctx *ctx, const char *name,
                                        const char *what);

/* The UUID of the Bridge, Port or Interface row named `name` if the model holds it: created by
 * this invocation, or looked up (and guarded) earlier. Every write that could delete or rename
 * one empties the model, so what it holds is true of the pending state too. */
bool vsctl_model_row_by_name(const struct vsctl_ctx *ctx, const char *table, const char *name,
                             struct uuid *uuid);

/* Records rows this invocation creates, so later commands of the same invocation see them. */
void vsctl_note_bridge(struct vsctl_ctx *ctx, const char *name, const struct uuid *uuid,
                       const char *parent, int vlan);
void vsctl_note_port(struct vsctl_ctx *ctx, const char *name, const struct uuid *uuid,
                     const char *real, const char *bridge, const struct uuid *ifaces,
                     size_t n_ifaces);
void vsctl_note_iface(struct vsctl_ctx *ctx, const char *name, const struct uuid *uuid,
                      const char *port, const char *real, const char *bridge);

/* Resolves bridge `name` for a command that writes to it. Optimistic, and not known yet: assumes
 * it is a real bridge (the assumption joins the transaction) and sets *bridge to NULL.
 * Otherwise looks it up (it must exist) and sets *bridge. Either way *real is the real Bridge
 * row's name to write to (borrowed: `name` or the cache's). */
enum vsctl_status vsctl_bridge_for_write(struct vsctl_ctx *ctx, const char *name,
                                         const struct vsctl_bridge **bridge,
                                         const char **real);

/* ---- the transaction (vsctl_txn.c) ---- */

enum vsctl_op_kind {
    OP_WRITE,        /* a change; its failure is an error */
    OP_GUARD,        /* re-checks a fact read earlier; its failure means: run again */
    OP_ASSUME,       /* an optimistic assumption; its failure means: run again, pessimistic */
};

struct vsctl_op_list {
    struct json *ops;            /* JSON array */
    enum vsctl_op_kind *kinds;
    size_t n, allocated;
};

/* One select of a batch. */
struct vsctl_query {
    const char *table;
    struct json *where;          /* taken */
    struct json *columns;        /* taken; NULL: every column */
    bool guard;                  /* re-check the result at commit */
    struct json *rows;           /* result: the selected rows (caller frees) */
};

enum vsctl_view {
    VIEW_MODEL,      /* for bridge/port/interface facts: pending writes matter only once the
                      * model was invalidated */
    VIEW_DATA,       /* for get/list/find: sees every pending write */
};

/* Runs a batch of selects in one request. */
enum vsctl_status vsctl_query(struct vsctl_ctx *ctx, enum vsctl_view view,
                              struct vsctl_query *queries, size_t n);
/* One select; *rows belongs to the caller. */
enum vsctl_status vsctl_select(struct vsctl_ctx *ctx, enum vsctl_view view, const char *table,
                               struct json *where, struct json *columns, bool guard,
                               struct json **rows);

/* Adds a change to the transaction (takes `op`). */
void vsctl_add_write(struct vsctl_ctx *ctx, struct json *op);
/* Adds an optimistic assumption (a wait op, taken). */
void vsctl_add_assume(struct vsctl_ctx *ctx, struct json *op);
/* Makes sure the Open_vSwitch row exists in the transaction: assumed when optimistic, read
 * (and inserted if missing, as ovs-vsctl does) when pessimistic. */
enum vsctl_status vsctl_need_root(struct vsctl_ctx *ctx);

/* Commits. On success, *next_cfg is the bumped next_cfg (or -1 when not bumped). */
enum vsctl_status vsctl_commit(struct vsctl_ctx *ctx, int64_t *next_cfg);
/* Whether the database refutes the schema this run used, asked with a transaction of no
 * operation (which fails nothing: an error already recorded stays the one reported). Sets
 * ctx->schema_changed when it does. */
bool vsctl_schema_refuted(struct vsctl_ctx *ctx);
/* Waits until Open_vSwitch.cur_cfg >= next_cfg or the deadline. */
enum vsctl_status vsctl_wait_for_cfg(struct vsctl_ctx *ctx, int64_t next_cfg);

/* ---- the context of one invocation ---- */

struct vsctl_ctx {
    const struct vsctl_options *options;
    const struct vsctl_backend *backend;
    const struct db_schema *schema;   /* the backend's */
    struct vsctl_command *commands;
    size_t n_commands;
    char *comment;                  /* the command line, for the transaction's comment */
    struct vsctl_symtab symtab;
    struct uuid_generator uuids;
    uint64_t deadline_ms;           /* UINT64_MAX: none */

    /* Per attempt. */
    bool pessimistic;
    struct vsctl_op_list front;     /* guards of facts read from the committed database */
    struct vsctl_op_list ops;       /* writes, assumptions and inline guards, in order */
    bool writes;                    /* ops holds a write */
    bool model_dirty;               /* model reads must include `ops` */
    bool root_checked;              /* vsctl_need_root() ran this attempt */
    struct vsctl_model model;
    size_t n_reads;                 /* requests sent (for tests and statistics) */
    bool cfg_waited;                /* the commit was answered once switchd had applied it */

    /* The backend's schema turned out not to be the database's before anything was printed:
     * the invocation runs again from the start with the database's (vsctl_run). */
    bool schema_changed;
    bool printed;                   /* the outputs went out: too late to run again */
    bool schema_assumed;            /* the backend's own copy, not (yet) the database's */
    bool schema_confirmed;          /* a request ran: the schema is the database's */

    /* The first error of the attempt. */
    char *error;
    int exit_code;
    FILE *err;                      /* for warnings, printed as they arise */
};

/* Prints "vsw: warning: ..." on ctx->err. */
void vsctl_warn(struct vsctl_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records an error (the first one wins) and returns VSCTL_ERROR. */
enum vsctl_status vsctl_fail(struct vsctl_ctx *ctx, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* For check functions: records a usage error, returns -1. */
int vsctl_usage_error(struct vsctl_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Takes a malloc'd message as the error. */
enum vsctl_status vsctl_fail_take(struct vsctl_ctx *ctx, int exit_code, char *message);

/* A fresh UUID for a row this invocation inserts. */
void vsctl_new_uuid(struct vsctl_ctx *ctx, struct uuid *uuid);

/* ---- column settings and rows (vsctl_row.c) ---- */

/* One "column[:key]=value" argument, parsed against the column's type. */
struct vsctl_setting {
    const struct db_column_schema *column;
    bool has_key;
    union db_atom key, value;    /* has_key: one map entry */
    struct db_datum datum;       /* !has_key: the whole value */
};

struct vsctl_settings {
    struct vsctl_setting *items;
    size_t n;
};

/* Parses settings for `table`. `for_insert` allows immutable columns (they may be set when a
 * row is created). Returns 0, or -1 after a usage error. */
int vsctl_parse_settings(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                         char **args, size_t n, bool for_insert,
                         struct vsctl_settings *settings);
void vsctl_settings_destroy(struct vsctl_settings *settings);
/* Adds the update and mutate operations that apply `settings` to the rows matching `where`. */
void vsctl_settings_write(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                          const struct json *where, const struct vsctl_settings *settings);
/* True if a setting touches a column the bridge model depends on. */
bool vsctl_settings_touch_model(const struct db_table_schema *table,
                                const struct vsctl_settings *settings);

/* A row under construction, for insert. */
struct vsctl_row {
    const struct db_table_schema *table;
    struct db_datum *values;     /* by column index */
    bool *set;
};
void vsctl_row_init(struct vsctl_row *row, const struct db_table_schema *table);
void vsctl_row_destroy(struct vsctl_row *row);
/* Sets a column (takes `datum`). The column must exist. */
void vsctl_row_put(struct vsctl_row *row, const char *column, struct db_datum *datum);
void vsctl_row_put_string(struct vsctl_row *row, const char *column, const char *value);
void vsctl_row_put_integer(struct vsctl_row *row, const char *column, int64_t value);
void vsctl_row_put_boolean(struct vsctl_row *row, const char *column, bool value);
void vsctl_row_put_uuids(struct vsctl_row *row, const char *column, const struct uuid *uuids,
                         size_t n);
/* Applies settings in order: a whole value replaces, a key adds or replaces one entry. */
void vsctl_row_apply(struct vsctl_row *row, const struct vsctl_settings *settings);
struct json *vsctl_row_to_json(const struct vsctl_row *row);

/* ---- records of any table, as ovs-vsctl identifies them (vsctl_db.c) ---- */

/* Finds the row `record` names in `table`: a UUID, a unique UUID prefix of at least 4
 * characters, a name (Bridge, Port, Interface, Mirror by name; Manager by target; Controller by
 * its bridge's name; Open_vSwitch and SSL as "."). *found is false if none (an error with
 * `must_exist`). */
enum vsctl_status vsctl_get_row(struct vsctl_ctx *ctx, const struct db_table_schema *table,
                                const char *record, bool must_exist, bool *found,
                                struct uuid *uuid);

/* ---- output of list and find (vsctl_output.c) ---- */

struct vsctl_table {
    char **headings;
    size_t n_columns;
    /* Cells: rows of n_columns values each, as RFC 7047 JSON plus their types. */
    struct json **cells;
    const struct db_type **types;   /* per column */
    size_t n_rows, allocated_rows;
};

struct vsctl_table *vsctl_table_new(size_t n_columns, const char *const *headings,
                                    const struct db_type *const *types);
/* Appends a row; takes the n_columns cells. */
void vsctl_table_add_row(struct vsctl_table *table, struct json **cells);
void vsctl_table_free(struct vsctl_table *table);
/* Formats per the options: list, table or JSON. */
void vsctl_table_format(const struct vsctl_table *table, const struct vsctl_options *options,
                        struct vsctl_buf *out);

#endif
