/* dbd/vswitch.schema parsed at build time (dbd/schema_c.c): the same schema db_schema_parse()
 * gives for dbd_builtin_schema, as static data, for a program that would otherwise parse it on
 * every start. */
#ifndef VSW_DBD_COMPILED_SCHEMA_H
#define VSW_DBD_COMPILED_SCHEMA_H

#include "dbd/builtin_schema.h"
#include "dbd/schema.h"

/* The schema; db_schema_free() leaves it alone. Not thread-safe on first use of
 * db_schema_json(), like any schema. */
struct db_schema *dbd_compiled_schema(void);
/* db_schema_digest() of dbd_builtin_schema. */
extern const char dbd_compiled_schema_digest[];

#endif
