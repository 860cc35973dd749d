// ovsdb/schema and ovsdb/datum: the vswitch schema loads with the types Open vSwitch gives its
// columns; broken schemas are rejected with a message naming the spot; values parse, check and
// print as RFC 7047 and ovs-vsctl write them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

extern "C" {
#include "dbd/builtin_schema.h"
#include "lib/json.h"
#include "ovsdb/datum.h"
#include "ovsdb/schema.h"
#include "ovsdb/vswitch_schema.h"
}

namespace {

std::string ReadSchemaFile()
{
    std::ifstream in("dbd/vswitch.schema");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct SchemaDeleter {
    void operator()(db_schema *s) const { db_schema_free(s); }
};
using SchemaPtr = std::unique_ptr<db_schema, SchemaDeleter>;

SchemaPtr LoadVswitch()
{
    std::string text = ReadSchemaFile();
    char *error = nullptr;
    db_schema *schema = db_schema_parse(text.data(), text.size(), &error);
    EXPECT_EQ(error, nullptr) << error;
    free(error);
    return SchemaPtr(schema);
}

std::string SchemaError(const std::string &text)
{
    char *error = nullptr;
    db_schema *schema = db_schema_parse(text.data(), text.size(), &error);
    if (schema) {
        db_schema_free(schema);
        return "(parsed)";
    }
    std::string out = error ? error : "(no message)";
    free(error);
    return out;
}

// A one-table schema whose single column "c" has type `type`.
std::string OneColumn(const std::string &type, const std::string &extra = "")
{
    return "{\"name\":\"T\",\"version\":\"1.0.0\",\"tables\":{\"t\":{\"columns\":{\"c\":{\"type\":" +
           type + "}}" + extra + "}}}";
}

const db_type *ColumnType(const db_schema *schema, const char *table, const char *column)
{
    db_table_schema *t = db_schema_table(schema, table);
    EXPECT_NE(t, nullptr) << table;
    if (!t)
        return nullptr;
    db_column_schema *c = db_table_schema_column(t, column);
    EXPECT_NE(c, nullptr) << table << "." << column;
    return c ? &c->type : nullptr;
}

std::string English(const db_schema *schema, const char *table, const char *column)
{
    char *s = db_type_to_english(ColumnType(schema, table, column));
    std::string out(s);
    free(s);
    return out;
}

TEST(Schema, VswitchSchemaLoads)
{
    SchemaPtr schema = LoadVswitch();
    ASSERT_NE(schema, nullptr);
    EXPECT_STREQ(db_schema_name(schema.get()), "Open_vSwitch");
    EXPECT_STREQ(db_schema_version(schema.get()), "1.1.0");
    const char *tables[] = { "Open_vSwitch", "Bridge", "Port", "Interface", "Controller",
                             "Manager", "SSL", "Mirror" };
    for (const char *name : tables)
        EXPECT_NE(db_schema_table(schema.get(), name), nullptr) << name;
    EXPECT_EQ(db_schema_table(schema.get(), "NoSuchTable"), nullptr);
    // Root tables exactly as in Open vSwitch.
    EXPECT_TRUE(db_schema_table(schema.get(), "Open_vSwitch")->is_root);
    EXPECT_EQ(db_schema_table(schema.get(), "Open_vSwitch")->max_rows, 1u);
    for (const char *name : { "Bridge", "Port", "Interface", "Controller", "Manager", "SSL",
                              "Mirror" })
        EXPECT_FALSE(db_schema_table(schema.get(), name)->is_root) << name;
    EXPECT_EQ(db_schema_table(schema.get(), "SSL")->max_rows, 1u);
}

TEST(Schema, VswitchColumnTypesFollowOpenVswitch)
{
    SchemaPtr schema = LoadVswitch();
    ASSERT_NE(schema, nullptr);
    db_schema *s = schema.get();
    EXPECT_EQ(English(s, "Port", "tag"), "optional integer in range 0 to 4095");
    EXPECT_EQ(English(s, "Port", "trunks"), "set of up to 4096 integer in range 0 to 4095");
    EXPECT_EQ(English(s, "Port", "interfaces"), "set of 1 or more strong reference to a "
                                                "Interface row");
    EXPECT_EQ(English(s, "Port", "vlan_mode"),
              "optional string, one of [\"set\",[\"access\",\"dot1q-tunnel\",\"native-tagged\","
              "\"native-untagged\",\"trunk\"]]");
    EXPECT_EQ(English(s, "Interface", "ofport_request"), "optional integer in range 1 to 65279");
    EXPECT_EQ(English(s, "Bridge", "other_config"), "map of string to string");
    EXPECT_EQ(English(s, "Open_vSwitch", "next_cfg"), "integer");
    EXPECT_EQ(English(s, "Mirror", "output_port"), "optional weak reference to a Port row");

    const db_type *ports = ColumnType(s, "Bridge", "ports");
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->key.ref_table, db_schema_table(s, "Port"));
    EXPECT_EQ(ports->key.ref_type, DB_REF_STRONG);
    EXPECT_EQ(ports->n_min, 0u);
    EXPECT_EQ(ports->n_max, DB_UNLIMITED);

    db_table_schema *bridge = db_schema_table(s, "Bridge");
    ASSERT_EQ(bridge->n_indexes, 1u);
    ASSERT_EQ(bridge->indexes[0].n_columns, 1u);
    EXPECT_STREQ(bridge->indexes[0].columns[0]->name, "name");
    EXPECT_FALSE(db_table_schema_column(bridge, "name")->is_mutable);
    EXPECT_TRUE(db_table_schema_column(bridge, "datapath_id")->is_ephemeral);
    db_table_schema *manager = db_schema_table(s, "Manager");
    ASSERT_EQ(manager->n_indexes, 1u);
    EXPECT_STREQ(manager->indexes[0].columns[0]->name, "target");

    // Implicit columns.
    db_column_schema *uuid = db_table_schema_column(bridge, "_uuid");
    ASSERT_NE(uuid, nullptr);
    EXPECT_EQ(uuid->index, (unsigned)DB_COLUMN_UUID);
    EXPECT_EQ(db_table_schema_column(bridge, "_version")->index, (unsigned)DB_COLUMN_VERSION);
    EXPECT_EQ(db_table_schema_column(bridge, "_nope"), nullptr);
    EXPECT_EQ(db_table_schema_column(bridge, "nope"), nullptr);

    // Reference columns are listed for commit-time tracking.
    db_table_schema *mirror = db_schema_table(s, "Mirror");
    EXPECT_EQ(mirror->n_ref_columns, 3u);   // select_src_port, select_dst_port, output_port
}

TEST(Schema, EveryColumnIndexIsItsPosition)
{
    SchemaPtr schema = LoadVswitch();
    ASSERT_NE(schema, nullptr);
    for (size_t t = 0; t < schema->n_tables; t++) {
        db_table_schema *table = &schema->tables[t];
        EXPECT_EQ(table->index, t);
        for (size_t c = 0; c < table->n_columns; c++) {
            EXPECT_EQ(table->columns[c].index, c);
            EXPECT_EQ(table->columns[c].table, table);
            EXPECT_EQ(db_table_schema_column(table, table->columns[c].name), &table->columns[c]);
        }
    }
}

TEST(Schema, SchemaJsonRoundTrips)
{
    SchemaPtr schema = LoadVswitch();
    ASSERT_NE(schema, nullptr);
    const char *text = db_schema_json(schema.get());
    char *error = nullptr;
    db_schema *again = db_schema_parse(text, strlen(text), &error);
    ASSERT_NE(again, nullptr) << error;
    EXPECT_STREQ(db_schema_json(again), text);
    db_schema_free(again);
}

TEST(Schema, BrokenSchemasAreRejectedPrecisely)
{
    EXPECT_EQ(SchemaError("{"), "schema is not valid JSON: expected a string (object key), "
                                "found end of input at offset 1");
    EXPECT_EQ(SchemaError("[]"), "syntax error: a schema must be a JSON object");
    EXPECT_EQ(SchemaError("{\"name\":\"T\",\"tables\":{}}"),
              "syntax error: \"version\" must be a string of the form x.y.z");
    EXPECT_EQ(SchemaError("{\"name\":\"T\",\"version\":\"1.0\",\"tables\":{}}"),
              "syntax error: \"version\" must be a string of the form x.y.z");
    EXPECT_EQ(SchemaError("{\"name\":\"T\",\"version\":\"1.0.0\",\"tables\":{},\"x\":1}"),
              "syntax error: unknown member \"x\"");
    EXPECT_EQ(SchemaError(OneColumn("\"float\"")),
              "syntax error: table t: column c: unknown atomic type \"float\"");
    EXPECT_EQ(SchemaError(OneColumn("{\"key\":{\"type\":\"integer\",\"maxInteger\":1,"
                                    "\"minInteger\":2}}")),
              "syntax error: table t: column c: minInteger 2 exceeds maxInteger 1");
    EXPECT_EQ(SchemaError(OneColumn("{\"key\":{\"type\":\"integer\",\"maxLength\":1}}")),
              "syntax error: table t: column c: unknown member \"maxLength\"");
    EXPECT_EQ(SchemaError(OneColumn("{\"key\":\"string\",\"min\":2}")),
              "syntax error: table t: column c: \"min\" must be 0 or 1");
    EXPECT_EQ(SchemaError(OneColumn("{\"key\":\"string\",\"max\":0}")),
              "syntax error: table t: column c: \"max\" must be a positive integer or "
              "\"unlimited\"");
    EXPECT_EQ(SchemaError(OneColumn("{\"key\":{\"type\":\"uuid\",\"refTable\":\"nope\"}}")),
              "syntax error: table t, column c: refTable \"nope\" is not a table of the schema");
    EXPECT_EQ(SchemaError(OneColumn("{\"key\":{\"type\":\"uuid\",\"refType\":\"weak\"}}")),
              "syntax error: table t: column c: \"refType\" without \"refTable\"");
    EXPECT_EQ(SchemaError(OneColumn("{\"key\":{\"type\":\"string\",\"enum\":[\"set\",[1]]}}")),
              "syntax error: table t: column c: \"enum\": expected string, got 1");
    EXPECT_EQ(SchemaError(OneColumn("\"string\"", ",\"indexes\":[[\"d\"]]")),
              "syntax error: table t: index column d is not a column of the table");
    EXPECT_EQ(SchemaError(OneColumn("\"string\"", ",\"maxRows\":0")),
              "syntax error: table t: \"maxRows\" must be a positive integer");
    EXPECT_EQ(SchemaError("{\"name\":\"T\",\"version\":\"1.0.0\",\"tables\":{\"t\":{\"columns\":"
                          "{\"_c\":{\"type\":\"string\"}}}}}"),
              "syntax error: table t: column _c: \"_c\" is not a valid column name (names "
              "starting with _ are reserved)");
    EXPECT_EQ(SchemaError(OneColumn("\"string\"", ",\"isRoot\":1")),
              "syntax error: table t: \"isRoot\" must be a boolean");
}

TEST(Schema, TablesWithoutIsRootAreAllRoots)
{
    std::string text = OneColumn("\"string\"");
    db_schema *schema = db_schema_parse(text.data(), text.size(), nullptr);
    ASSERT_NE(schema, nullptr);
    EXPECT_TRUE(db_schema_table(schema, "t")->is_root);
    db_schema_free(schema);
}

TEST(Schema, VersionCompare)
{
    EXPECT_LT(db_schema_version_compare("1.0.0", "1.0.1"), 0);
    EXPECT_LT(db_schema_version_compare("1.9.0", "1.10.0"), 0);
    EXPECT_EQ(db_schema_version_compare("2.3.4", "2.3.4"), 0);
    EXPECT_GT(db_schema_version_compare("10.0.0", "9.99.99"), 0);
}

// ---- values ----

std::string DatumRoundTrip(const db_type *type, const std::string &text)
{
    json *j = json_parse(text.data(), text.size(), nullptr);
    EXPECT_NE(j, nullptr) << text;
    db_datum datum;
    db_error *error = db_datum_from_json(&datum, type, j, nullptr);
    json_free(j);
    if (error) {
        std::string out = std::string(error->tag) + ": " + error->details;
        db_error_free(error);
        return out;
    }
    json *back = db_datum_to_json(&datum, type);
    char *s = json_to_string(back);
    std::string out(s);
    free(s);
    json_free(back);
    db_datum_destroy(&datum, type);
    return out;
}

TEST(Datum, ParseCheckAndPrint)
{
    SchemaPtr schema = LoadVswitch();
    ASSERT_NE(schema, nullptr);
    db_schema *s = schema.get();
    const db_type *tag = ColumnType(s, "Port", "tag");
    const db_type *trunks = ColumnType(s, "Port", "trunks");
    const db_type *oc = ColumnType(s, "Bridge", "other_config");
    const db_type *name = ColumnType(s, "Bridge", "name");
    const db_type *fail_mode = ColumnType(s, "Bridge", "fail_mode");
    const db_type *ports = ColumnType(s, "Bridge", "ports");

    EXPECT_EQ(DatumRoundTrip(tag, "10"), "10");
    EXPECT_EQ(DatumRoundTrip(tag, "[\"set\",[]]"), "[\"set\",[]]");
    EXPECT_EQ(DatumRoundTrip(tag, "[\"set\",[7]]"), "7");
    EXPECT_EQ(DatumRoundTrip(tag, "4096"),
              "constraint violation: 4096 is not in the valid range 0 to 4095 (inclusive)");
    EXPECT_EQ(DatumRoundTrip(tag, "[\"set\",[1,2]]"),
              "constraint violation: 2 elements is more than the maximum 1");
    EXPECT_EQ(DatumRoundTrip(tag, "1.5"), "syntax error: expected integer, got 1.5");
    EXPECT_EQ(DatumRoundTrip(tag, "\"1\""), "syntax error: expected integer, got \"1\"");
    EXPECT_EQ(DatumRoundTrip(trunks, "[\"set\",[30,10,20]]"), "[\"set\",[10,20,30]]");
    EXPECT_EQ(DatumRoundTrip(trunks, "[\"set\",[10,10]]"),
              "constraint violation: set contains duplicate value 10");
    EXPECT_EQ(DatumRoundTrip(oc, "[\"map\",[[\"b\",\"2\"],[\"a\",\"1\"]]]"),
              "[\"map\",[[\"a\",\"1\"],[\"b\",\"2\"]]]");
    EXPECT_EQ(DatumRoundTrip(oc, "[\"map\",[[\"a\",\"1\"],[\"a\",\"2\"]]]"),
              "constraint violation: map contains duplicate key \"a\"");
    EXPECT_EQ(DatumRoundTrip(oc, "\"a\""),
              "syntax error: expected [\"map\", [[key, value], ...]], got \"a\"");
    EXPECT_EQ(DatumRoundTrip(oc, "[\"map\",[[\"a\"]]]"),
              "syntax error: expected a [key, value] pair, got array");
    EXPECT_EQ(DatumRoundTrip(name, "[\"set\",[]]"),
              "constraint violation: 0 elements is fewer than the minimum 1");
    EXPECT_EQ(DatumRoundTrip(fail_mode, "\"secure\""), "\"secure\"");
    EXPECT_EQ(DatumRoundTrip(fail_mode, "\"open\""),
              "constraint violation: \"open\" is not one of the allowed values (\"secure\" or "
              "\"standalone\")");
    EXPECT_EQ(DatumRoundTrip(ports, "[\"uuid\",\"0B5CE3D4-51C2-4E09-9B0B-33B8DB8A5D77\"]"),
              "[\"uuid\",\"0b5ce3d4-51c2-4e09-9b0b-33b8db8a5d77\"]");
    EXPECT_EQ(DatumRoundTrip(ports, "[\"uuid\",\"0b5ce3d4\"]"),
              "syntax error: \"0b5ce3d4\" is not a valid UUID");
    EXPECT_EQ(DatumRoundTrip(ports, "[\"named-uuid\",\"p\"]"),
              "syntax error: named-uuid \"p\" is not allowed here");
}

TEST(Datum, StringLengthCountsCodePoints)
{
    std::string text = OneColumn("{\"key\":{\"type\":\"string\",\"minLength\":2,"
                                 "\"maxLength\":3}}");
    db_schema *schema = db_schema_parse(text.data(), text.size(), nullptr);
    ASSERT_NE(schema, nullptr);
    const db_type *type = ColumnType(schema, "t", "c");
    EXPECT_EQ(DatumRoundTrip(type, "\"\xc3\xa9\xc3\xa9\xc3\xa9\""), "\"\xc3\xa9\xc3\xa9\xc3\xa9\"");
    EXPECT_EQ(DatumRoundTrip(type, "\"a\""), "constraint violation: \"a\" length 1 is less than "
                                             "the minimum allowed length 2");
    EXPECT_NE(DatumRoundTrip(type, "\"abcd\"").find("is greater than the maximum allowed length"),
              std::string::npos);
    db_schema_free(schema);
}

TEST(Datum, AtomsFromCommandLineText)
{
    SchemaPtr schema = LoadVswitch();
    ASSERT_NE(schema, nullptr);
    const db_type *tag = ColumnType(schema.get(), "Port", "tag");
    const db_type *name = ColumnType(schema.get(), "Bridge", "name");
    const db_type *stp = ColumnType(schema.get(), "Bridge", "stp_enable");
    union db_atom atom;

    ASSERT_EQ(db_atom_from_string(&atom, &tag->key, "42"), nullptr);
    EXPECT_EQ(atom.integer, 42);
    db_error *e = db_atom_from_string(&atom, &tag->key, "42x");
    ASSERT_NE(e, nullptr);
    EXPECT_STREQ(e->details, "\"42x\" is not a valid integer");
    db_error_free(e);
    e = db_atom_from_string(&atom, &tag->key, "5000");
    ASSERT_NE(e, nullptr);
    EXPECT_STREQ(e->tag, "constraint violation");
    db_error_free(e);

    ASSERT_EQ(db_atom_from_string(&atom, &stp->key, "true"), nullptr);
    EXPECT_TRUE(atom.boolean);

    ASSERT_EQ(db_atom_from_string(&atom, &name->key, "br0"), nullptr);
    EXPECT_STREQ(atom.string, "br0");
    char *shown = db_atom_to_string(&atom, DB_TYPE_STRING);
    EXPECT_STREQ(shown, "br0");
    free(shown);
    db_atom_destroy(&atom, DB_TYPE_STRING);

    ASSERT_EQ(db_atom_from_string(&atom, &name->key, "\"a b\""), nullptr);
    EXPECT_STREQ(atom.string, "a b");
    shown = db_atom_to_string(&atom, DB_TYPE_STRING);
    EXPECT_STREQ(shown, "\"a b\"");
    free(shown);
    db_atom_destroy(&atom, DB_TYPE_STRING);

    // Strings that would read back as something else are quoted.
    for (const char *s : { "", "true", "1", "a:b", "-x" }) {
        union db_atom a;
        a.string = strdup(s);
        char *out = db_atom_to_string(&a, DB_TYPE_STRING);
        EXPECT_EQ(out[0], '"') << s;
        free(out);
        free(a.string);
    }
}

std::string FromString(const db_type *type, const char *text)
{
    db_datum datum;
    db_error *error = db_datum_from_string(&datum, type, text);
    if (error) {
        std::string out = std::string(error->tag) + ": " + error->details;
        db_error_free(error);
        return out;
    }
    char *s = db_datum_to_string(&datum, type);
    std::string out(s);
    free(s);
    db_datum_destroy(&datum, type);
    return out;
}

TEST(Datum, ValuesFromCommandLineText)
{
    SchemaPtr schema = LoadVswitch();
    ASSERT_NE(schema, nullptr);
    db_schema *s = schema.get();
    const db_type *tag = ColumnType(s, "Port", "tag");
    const db_type *trunks = ColumnType(s, "Port", "trunks");
    const db_type *oc = ColumnType(s, "Bridge", "other_config");
    const db_type *name = ColumnType(s, "Bridge", "name");
    const db_type *mac = ColumnType(s, "Interface", "mac");

    EXPECT_EQ(FromString(tag, "10"), "10");
    EXPECT_EQ(FromString(tag, "[]"), "[]");
    EXPECT_EQ(FromString(tag, "[5]"), "5");
    EXPECT_EQ(FromString(tag, "5000"),
              "constraint violation: 5000 is not in the valid range 0 to 4095 (inclusive)");
    EXPECT_EQ(FromString(trunks, "[30, 10,20]"), "[10, 20, 30]");
    EXPECT_EQ(FromString(trunks, "1,2"), "[1, 2]");
    EXPECT_EQ(FromString(trunks, "[1 2]"),
              "syntax error: expected \",\" between elements, at \"2]\"");
    EXPECT_EQ(FromString(trunks, "[1,"), "syntax error: missing \"]\" at the end of \"[1,\"");
    // "2" is quoted on output: bare, it would read as a number for other column types.
    EXPECT_EQ(FromString(oc, "{b=2, a=\"x y\"}"), "{a=\"x y\", b=\"2\"}");
    EXPECT_EQ(FromString(oc, "k=v"), "{k=v}");
    EXPECT_EQ(FromString(oc, "{}"), "{}");
    EXPECT_EQ(FromString(oc, "{k}"), "syntax error: expected \"=\" after a map key, at \"}\"");
    EXPECT_EQ(FromString(oc, "{a=1,a=2}"), "constraint violation: map contains duplicate key \"a\"");
    EXPECT_EQ(FromString(name, "br0"), "br0");
    EXPECT_EQ(FromString(name, "\"my bridge\""), "\"my bridge\"");
    EXPECT_EQ(FromString(name, "br0 x"),
              "syntax error: expected \",\" between elements, at \"x\"");
    // A MAC address needs quotes (':' ends a bare word), as with ovs-vsctl.
    EXPECT_EQ(FromString(mac, "\"aa:bb:cc:dd:ee:ff\""), "\"aa:bb:cc:dd:ee:ff\"");
    EXPECT_EQ(FromString(mac, "aa:bb"),
              "syntax error: expected \",\" between elements, at \":bb\"");
    EXPECT_EQ(FromString(trunks, "[1] 2"), "syntax error: unexpected \"2\" after the value");
    EXPECT_EQ(FromString(name, "\"abc"), "syntax error: unterminated quoted string: \"abc");
}

TEST(Datum, SetOperations)
{
    SchemaPtr schema = LoadVswitch();
    ASSERT_NE(schema, nullptr);
    const db_type *trunks = ColumnType(schema.get(), "Port", "trunks");
    const db_type *oc = ColumnType(schema.get(), "Bridge", "other_config");
    auto parse = [](const db_type *type, const char *text) {
        json *j = json_parse(text, strlen(text), nullptr);
        db_datum d;
        db_error *e = db_datum_from_json(&d, type, j, nullptr);
        EXPECT_EQ(e, nullptr);
        json_free(j);
        return d;
    };
    auto show = [](const db_datum *d, const db_type *type) {
        json *j = db_datum_to_json(d, type);
        char *s = json_to_string(j);
        std::string out(s);
        free(s);
        json_free(j);
        return out;
    };
    db_datum a = parse(trunks, "[\"set\",[1,3,5]]"), b = parse(trunks, "[\"set\",[2,3,6]]");
    db_datum_union(&a, &b, trunks);
    EXPECT_EQ(show(&a, trunks), "[\"set\",[1,2,3,5,6]]");
    EXPECT_TRUE(db_datum_includes_all(&b, &a, trunks));
    db_datum_subtract(&a, trunks, &b, trunks);
    EXPECT_EQ(show(&a, trunks), "[\"set\",[1,5]]");
    EXPECT_TRUE(db_datum_excludes_all(&b, &a, trunks));
    db_datum_destroy(&a, trunks);
    db_datum_destroy(&b, trunks);

    db_datum m = parse(oc, "[\"map\",[[\"a\",\"1\"],[\"b\",\"2\"]]]");
    db_datum n = parse(oc, "[\"map\",[[\"a\",\"9\"],[\"c\",\"3\"]]]");
    db_datum_union(&m, &n, oc);   // "a" keeps its value
    EXPECT_EQ(show(&m, oc), "[\"map\",[[\"a\",\"1\"],[\"b\",\"2\"],[\"c\",\"3\"]]]");
    db_datum_subtract(&m, oc, &n, oc);   // removes only the pair that matches: c=3
    EXPECT_EQ(show(&m, oc), "[\"map\",[[\"a\",\"1\"],[\"b\",\"2\"]]]");
    db_type keys = *oc;
    keys.value.type = DB_TYPE_VOID;
    keys.n_min = 0;
    keys.n_max = DB_UNLIMITED;
    db_datum k = parse(&keys, "[\"set\",[\"a\",\"z\"]]");
    db_datum_subtract(&m, oc, &k, &keys);   // by key
    EXPECT_EQ(show(&m, oc), "[\"map\",[[\"b\",\"2\"]]]");
    db_datum_destroy(&k, &keys);
    db_datum_destroy(&m, oc);
    db_datum_destroy(&n, oc);
}

}  // namespace

namespace {

void ExpectSameBase(const db_base_type &a, const db_base_type &b)
{
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.min_integer, b.min_integer);
    EXPECT_EQ(a.max_integer, b.max_integer);
    EXPECT_EQ(a.min_real, b.min_real);
    EXPECT_EQ(a.max_real, b.max_real);
    EXPECT_EQ(a.min_length, b.min_length);
    EXPECT_EQ(a.max_length, b.max_length);
    EXPECT_EQ(a.ref_type, b.ref_type);
    EXPECT_EQ(a.ref_table_name == nullptr, b.ref_table_name == nullptr);
    if (a.ref_table_name && b.ref_table_name) {
        EXPECT_STREQ(a.ref_table_name, b.ref_table_name);
    }
    EXPECT_EQ(a.ref_table == nullptr, b.ref_table == nullptr);
    if (a.ref_table && b.ref_table) {
        EXPECT_EQ(a.ref_table->index, b.ref_table->index);
    }
    ASSERT_EQ(a.enum_values == nullptr, b.enum_values == nullptr);
    if (a.enum_values) {
        db_type set = {};
        set.key = a;
        set.key.enum_values = nullptr;
        set.value.type = DB_TYPE_VOID;
        set.n_min = 0;
        set.n_max = DB_UNLIMITED;
        EXPECT_TRUE(db_datum_equals(a.enum_values, b.enum_values, &set));
    }
}

}  // namespace

// The schema compiled into the CLI is, field by field, what parsing the built-in text gives.
TEST(CompiledSchema, IsTheParsedBuiltInSchema)
{
    char *error = nullptr;
    SchemaPtr parsed(db_schema_parse(dbd_builtin_schema, strlen(dbd_builtin_schema), &error));
    ASSERT_TRUE(parsed) << error;
    const db_schema *compiled = vswitch_schema();
    EXPECT_STREQ(compiled->name, parsed->name);
    EXPECT_STREQ(compiled->version, parsed->version);
    EXPECT_TRUE(compiled->is_static);
    ASSERT_EQ(compiled->n_tables, parsed->n_tables);
    for (size_t t = 0; t < parsed->n_tables; t++) {
        const db_table_schema &a = compiled->tables[t], &b = parsed->tables[t];
        SCOPED_TRACE(b.name);
        EXPECT_STREQ(a.name, b.name);
        EXPECT_EQ(a.index, b.index);
        EXPECT_EQ(a.schema, compiled);
        EXPECT_EQ(a.is_root, b.is_root);
        EXPECT_EQ(a.max_rows, b.max_rows);
        ASSERT_EQ(a.n_columns, b.n_columns);
        for (size_t c = 0; c < b.n_columns; c++) {
            SCOPED_TRACE(b.columns[c].name);
            EXPECT_STREQ(a.columns[c].name, b.columns[c].name);
            EXPECT_EQ(a.columns[c].index, b.columns[c].index);
            EXPECT_EQ(a.columns[c].is_mutable, b.columns[c].is_mutable);
            EXPECT_EQ(a.columns[c].is_ephemeral, b.columns[c].is_ephemeral);
            EXPECT_EQ(a.columns[c].table, &a);
            EXPECT_EQ(a.columns[c].type.n_min, b.columns[c].type.n_min);
            EXPECT_EQ(a.columns[c].type.n_max, b.columns[c].type.n_max);
            ExpectSameBase(a.columns[c].type.key, b.columns[c].type.key);
            ExpectSameBase(a.columns[c].type.value, b.columns[c].type.value);
        }
        ASSERT_EQ(a.n_indexes, b.n_indexes);
        for (size_t i = 0; i < b.n_indexes; i++) {
            ASSERT_EQ(a.indexes[i].n_columns, b.indexes[i].n_columns);
            for (size_t k = 0; k < b.indexes[i].n_columns; k++) {
                EXPECT_EQ(a.indexes[i].columns[k]->index, b.indexes[i].columns[k]->index);
                EXPECT_EQ(a.indexes[i].columns[k]->table, &a);
            }
        }
        ASSERT_EQ(a.n_ref_columns, b.n_ref_columns);
        for (size_t i = 0; i < b.n_ref_columns; i++)
            EXPECT_EQ(a.ref_columns[i], b.ref_columns[i]);
    }
    // Lookups work on it, and it writes out as the parsed one does.
    EXPECT_NE(db_table_schema_column(db_schema_table(compiled, "Bridge"), "ports"), nullptr);
    EXPECT_STREQ(db_schema_json(compiled), db_schema_json(parsed.get()));
    char digest[DB_SCHEMA_DIGEST_SIZE];
    db_schema_digest(dbd_builtin_schema, strlen(dbd_builtin_schema), digest);
    EXPECT_STREQ(vswitch_schema_digest, digest);
    db_schema_free(const_cast<db_schema *>(compiled));   // a no-op: it is static
    EXPECT_STREQ(vswitch_schema()->name, "Open_vSwitch");
}
