/* dbd/vswitch.schema parsed at build time (ovsdb/schema_c.c): the same schema db_schema_parse()
 * gives for the file's text, as static data, for a client that would otherwise parse it on
 * every start (the `vsw` CLI). */
#ifndef VSW_OVSDB_VSWITCH_SCHEMA_H
#define VSW_OVSDB_VSWITCH_SCHEMA_H

#include "ovsdb/schema.h"

/* The schema; db_schema_free() leaves it alone. Not thread-safe on first use of
 * db_schema_json(), like any schema. */
struct db_schema *vswitch_schema(void);
/* db_schema_digest() of the schema file's text. */
extern const char vswitch_schema_digest[];

/* Keys of Open_vSwitch:status that vsw-dbd writes when it recovered a damaged database with
 * loss (db_recovery_time, db_recovery_problem, ...; docs/dbd.md). Removing them acknowledges
 * the loss (`vsw ack-db-recovery`). */
#define VSWITCH_RECOVERY_KEY_PREFIX "db_recovery_"

#endif
