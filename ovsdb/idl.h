/* A daemon's replica of some tables of the database, kept in step with vsw-dbd, and its way to
 * send transactions. (The name is Open vSwitch's: "interface definition language" client.)
 *
 * The replica is fed by the daemon's dbd.events subscription: the first message, a new epoch or
 * a gap in the sequence triggers a DBD_MONITOR (a snapshot and the stream position it covers);
 * after that every DBD_UPDATE with a higher sequence number is applied in order. So a daemon
 * never misses a change: at worst it refetches everything. */
#ifndef VSW_OVSDB_IDL_H
#define VSW_OVSDB_IDL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/daemon.h"
#include "lib/json.h"

struct idl;
/* Called after the replica changed (a snapshot or an update was applied), except by an update
 * that carries only the daemon's own transaction (idl_transact()): the daemon knows what it
 * wrote, and reacting to it would double its work for every change. */
typedef void idl_changed_fn(void *arg, struct idl *idl);

struct idl {
    struct daemon *daemon;
    struct ipc_client *client;     /* the daemon's link to dbd.sock */
    char *requests;                /* RFC 7047 <monitor-requests>, JSON text */
    struct json *tables;           /* {"Table": {"<uuid>": row}} */
    bool synced;                   /* `tables` reflects dbd up to (epoch, seq) */
    uint64_t epoch;
    uint64_t seq;
    uint64_t syncs;                /* snapshots fetched */
    uint64_t own_seq;              /* the update carrying our last committed transaction */
    struct json *changed_rows;     /* {"<uuid>": change}: see idl_changes() */
    bool all_changed;              /* a snapshot replaced everything since then */
    idl_changed_fn *changed;
    void *arg;
};

/* Starts a replica of the tables and columns named in `requests` (RFC 7047 monitor-requests
 * JSON, copied). The daemon must have a peer link to "vsw-dbd" and a dbd.events subscription
 * whose notifications it passes to idl_handle_notification(). Returns 0, or -1. */
int idl_init(struct idl *idl, struct daemon *daemon, const char *requests,
             idl_changed_fn *changed, void *arg);
void idl_destroy(struct idl *idl);

/* Feeds one notification from dbd.events. */
void idl_handle_notification(struct idl *idl, const Vsw__Envelope *env);

/* Fetches a fresh snapshot now. Returns 0, or -1 (logged; the replica is then unsynced and the
 * next notification retries). */
int idl_sync(struct idl *idl);

/* Whether the row `uuid` (of any table) is as it was at the last idl_forget_changes(): neither
 * changed by an update (the daemon's own included) nor replaced by a snapshot. A daemon that
 * keeps what it derived from rows rebuilds only what changed. Unchanged rows also keep their
 * address in the replica. */
bool idl_row_unchanged(const struct idl *idl, const char *uuid);
void idl_forget_changes(struct idl *idl);

/* What changed since idl_forget_changes(), or NULL if a snapshot replaced everything:
 *     {"<uuid>": {"table": "<table>", "kind": K, "columns": {"<column>": C, ...}}, ...}
 * K is "insert" (a new row), "modify" (`columns` says which changed), "delete", or "replace"
 * (changed in a way not described further: deleted and inserted again, or rewritten whole).
 * C is "changed", or ["grew", ["set", [atoms]]] for a set column that only gained those
 * elements (read them with ovsdb_set_size()/ovsdb_set_at()).
 * Several updates to one row merge: a row inserted then modified is "insert"; a column changed
 * twice is "changed". So a daemon can tell, without comparing anything, that a batch of updates
 * only added ports to a bridge. Borrowed. */
const struct json *idl_changes(const struct idl *idl);
/* Whether one of those changes has `field` ("table" or "kind") equal to `value`. */
bool idl_change_is(const struct json *change, const char *field, const char *value);

/* The rows of `table` as {"<uuid>": row}, or NULL if none or not monitored. Borrowed. */
const struct json *idl_table(const struct idl *idl, const char *table);

/* Sends RFC 7047 transact params (taken) and returns the result array in *result (caller frees)
 * or -1 with *error (malloc'd) describing an IPC failure or the first failed operation. */
int idl_transact(struct idl *idl, struct json *params, struct json **result, char **error);

/* Reading OVSDB-notation values of a row (RFC 7047 section 5.1): a missing column is its
 * default; a set of one element may be written as the bare atom. */
const char *ovsdb_row_string(const struct json *row, const char *column);   /* "" if absent */
bool ovsdb_row_integer(const struct json *row, const char *column, int64_t *value);
bool ovsdb_row_boolean(const struct json *row, const char *column);
/* The elements of a set column (atoms, with uuids as ["uuid", "..."]): count and i-th. */
size_t ovsdb_row_set_size(const struct json *row, const char *column);
const struct json *ovsdb_row_set_at(const struct json *row, const char *column, size_t i);
/* The same on a column's value (json_object_get(row, column)), to walk a large set without
 * looking the column up for each element. */
size_t ovsdb_set_size(const struct json *value);
const struct json *ovsdb_set_at(const struct json *value, size_t i);
/* A map column's value for a string key, or NULL. */
const char *ovsdb_row_map_get(const struct json *row, const char *column, const char *key);
/* The uuid string of an atom ["uuid", "..."] or ["named-uuid", "..."], or NULL. */
const char *ovsdb_atom_uuid(const struct json *atom);

#endif
