/* The schema compiled in from dbd/vswitch.schema: vsw-dbd's default, and the one the `vsw`
 * CLI assumes until vsw-dbd says it runs another (see TransactRequest.schema_digest). */
#ifndef VSW_DBD_BUILTIN_SCHEMA_H
#define VSW_DBD_BUILTIN_SCHEMA_H

/* The file's bytes, NUL-terminated. */
extern const char dbd_builtin_schema[];

#endif
