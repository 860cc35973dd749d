/* The names of the atomic types. Apart from schema.c so that datum.c, which the schema parser
 * uses, can name a type without depending on the parser. */
#include "ovsdb/type.h"

const char *db_atomic_type_name(enum db_atomic_type type)
{
    switch (type) {
    case DB_TYPE_VOID: return "void";
    case DB_TYPE_INTEGER: return "integer";
    case DB_TYPE_REAL: return "real";
    case DB_TYPE_BOOLEAN: return "boolean";
    case DB_TYPE_STRING: return "string";
    case DB_TYPE_UUID: return "uuid";
    }
    return "invalid";
}
