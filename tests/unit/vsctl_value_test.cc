// Values as typed on the vsw command line (ovs-vsctl syntax), parsed against the vswitch
// schema's column types: every type, every constraint, and hostile input.
#include <string>

#include "tests/unit/vsctl_test_util.h"

extern "C" {
#include "tools/cli/vsctl_private.h"
}

namespace {

class Values : public ::testing::Test {
  protected:
    void SetUp() override
    {
        std::string text = vsctltest::ReadFile("dbd/vswitch.schema");
        char *error = nullptr;
        schema_ = db_schema_parse(text.data(), text.size(), &error);
        ASSERT_NE(schema_, nullptr) << (error ? error : "");
        uuid_generator_init(&uuids_);
        symtab_init(&symtab_, &uuids_);
    }
    void TearDown() override
    {
        symtab_destroy(&symtab_);
        db_schema_free(schema_);
    }

    const db_column_schema *Column(const char *table, const char *column)
    {
        const db_column_schema *c =
            db_table_schema_column(db_schema_table(schema_, table), column);
        EXPECT_NE(c, nullptr) << table << "." << column;
        return c;
    }

    // Parses `text` as a value of table.column; returns its ovs-vsctl text form, or
    // "ERROR: message".
    std::string Parse(const char *table, const char *column, const std::string &text,
                      bool symbols = false)
    {
        const db_column_schema *c = Column(table, column);
        db_datum datum;
        char *error = vsctl_parse_datum(&c->type, text.c_str(), symbols ? &symtab_ : nullptr,
                                        &datum);
        if (error) {
            std::string out = std::string("ERROR: ") + error;
            free(error);
            return out;
        }
        char *s = vsctl_datum_to_text(&datum, &c->type, false);
        std::string out = s;
        free(s);
        db_datum_destroy(&datum, &c->type);
        return out;
    }

    std::string Atom(const char *table, const char *column, const std::string &text)
    {
        const db_column_schema *c = Column(table, column);
        db_atom atom;
        char *error = vsctl_parse_atom(&c->type.key, text.c_str(), nullptr, &atom);
        if (error) {
            std::string out = std::string("ERROR: ") + error;
            free(error);
            return out;
        }
        char *s = db_atom_to_string(&atom, c->type.key.type);
        std::string out = s;
        free(s);
        db_atom_destroy(&atom, c->type.key.type);
        return out;
    }

    db_schema *schema_ = nullptr;
    uuid_generator uuids_;
    vsctl_symtab symtab_;
};

bool IsError(const std::string &s, const std::string &says = "")
{
    return s.rfind("ERROR: ", 0) == 0 && s.find(says) != std::string::npos;
}

TEST_F(Values, Integers)
{
    EXPECT_EQ(Parse("Port", "tag", "5"), "5");
    EXPECT_EQ(Parse("Port", "tag", "0"), "0");
    EXPECT_EQ(Parse("Port", "tag", "[]"), "[]");
    EXPECT_EQ(Parse("Port", "bond_updelay", "-200"), "-200");
    EXPECT_TRUE(IsError(Parse("Port", "tag", "abc"), "\"abc\" is not a valid integer"));
    EXPECT_TRUE(IsError(Parse("Port", "tag", "5x"), "not a valid integer"));
    EXPECT_TRUE(IsError(Parse("Port", "tag", "99999999999999999999"), "not a valid integer"));
    EXPECT_TRUE(IsError(Parse("Port", "tag", "4096"), "4096 is not in the valid range 0 to 4095"));
    EXPECT_TRUE(IsError(Parse("Port", "tag", "-1"), "not in the valid range"));
    EXPECT_TRUE(IsError(Parse("Port", "tag", "1,2"), "2 value(s) specified but the maximum "
                                                     "number is 1"));
    EXPECT_TRUE(IsError(Parse("Port", "bond_updelay", "[]"), "minimum number is 1"));
    EXPECT_TRUE(IsError(Parse("Port", "tag", ""), "use \"[]\" to specify the empty set"));
    EXPECT_TRUE(IsError(Parse("Interface", "ofport_request", "0"), "valid range 1 to 65279"));
}

TEST_F(Values, SetsAndRanges)
{
    EXPECT_EQ(Parse("Port", "trunks", "[1,2,3]"), "[1, 2, 3]");
    EXPECT_EQ(Parse("Port", "trunks", "1,2"), "[1, 2]");
    EXPECT_EQ(Parse("Port", "trunks", "3 1 2"), "[1, 2, 3]");
    EXPECT_EQ(Parse("Port", "trunks", "{6,7}"), "[6, 7]");   // vsw also takes braces
    EXPECT_EQ(Parse("Port", "trunks", "[ 10 , 20 ]"), "[10, 20]");
    EXPECT_EQ(Parse("Port", "trunks", "[]"), "[]");
    EXPECT_EQ(Parse("Port", "trunks", "[1-4,9]"), "[1, 2, 3, 4, 9]");
    EXPECT_TRUE(IsError(Parse("Port", "trunks", "[4-1]"), "end is before the start"));
    EXPECT_TRUE(IsError(Parse("Port", "trunks", "0-100000"), "more values than the column"));
    EXPECT_TRUE(IsError(Parse("Port", "trunks", "[4000-4100]"), "not in the valid range"));
    EXPECT_TRUE(IsError(Parse("Port", "trunks", "[1,1]"), "set contains duplicate value"));
    EXPECT_TRUE(IsError(Parse("Port", "trunks", "[1,2"), "missing \"]\" at end of data"));
    EXPECT_TRUE(IsError(Parse("Port", "trunks", "[1]x"), "trailing garbage after \"]\""));
    EXPECT_TRUE(IsError(Parse("Port", "trunks", "[[1]]"), "unexpected \"[\""));
    EXPECT_TRUE(IsError(Parse("Port", "trunks", "[1=2]"), "unexpected \"=\""));
}

TEST_F(Values, Maps)
{
    EXPECT_EQ(Parse("Bridge", "other_config", "{a=b, c=d}"), "{a=b, c=d}");
    EXPECT_EQ(Parse("Bridge", "other_config", "x=1"), "{x=\"1\"}");
    EXPECT_EQ(Parse("Bridge", "other_config", "{}"), "{}");
    EXPECT_EQ(Parse("Bridge", "other_config", "{y=\"2 3\", \"k:1\"=\"a,b\"}"),
              "{\"k:1\"=\"a,b\", y=\"2 3\"}");
    EXPECT_TRUE(IsError(Parse("Bridge", "other_config", "{a}"), "expected \"=\""));
    EXPECT_TRUE(IsError(Parse("Bridge", "other_config", "{a=b,a=c}"), "duplicate key"));
    EXPECT_TRUE(IsError(Parse("Bridge", "other_config", ""), "use \"{}\""));
    EXPECT_TRUE(IsError(Parse("Port", "statistics", "{a=x}"), "\"x\" is not a valid integer"));
}

TEST_F(Values, Strings)
{
    EXPECT_EQ(Parse("Bridge", "datapath_type", "netdev"), "netdev");
    EXPECT_EQ(Parse("Bridge", "datapath_type", "\"\""), "\"\"");
    EXPECT_EQ(Parse("Bridge", "datapath_type", "\"a b\""), "\"a b\"");
    EXPECT_EQ(Parse("Bridge", "datapath_type", "\"q\\\"uote\""), "\"q\\\"uote\"");
    EXPECT_EQ(Parse("Bridge", "datapath_type", "a\\,b"), "\"a,b\"");   // escaped delimiter
    EXPECT_EQ(Parse("Bridge", "datapath_type", "\"\\u00fc\""), "\"\xc3\xbc\"");
    EXPECT_TRUE(IsError(Parse("Bridge", "datapath_type", "\"open"), "quoted string extends "
                                                                    "past end of argument"));
    EXPECT_TRUE(IsError(Parse("Bridge", "datapath_type", "x\\"), "backslash at end"));
    EXPECT_TRUE(IsError(Parse("Bridge", "datapath_type", "\"\\u0000\""), "not a valid quoted"));
    EXPECT_TRUE(IsError(Parse("Bridge", "datapath_type", "\"\\x\""), "not a valid quoted"));
    EXPECT_TRUE(IsError(Parse("Bridge", "datapath_type", "a b"), "2 value(s) specified"));
    // Whole-atom parsing (column:key=value values) keeps spaces and delimiters.
    EXPECT_EQ(Atom("Bridge", "datapath_type", "hello world=1"), "\"hello world=1\"");
    EXPECT_TRUE(IsError(Atom("Bridge", "datapath_type", ""), "empty string is not valid"));
    EXPECT_TRUE(IsError(Atom("Bridge", "datapath_type", "\xff\xfe"), "not valid UTF-8"));
}

TEST_F(Values, EnumsBooleansRealsUuids)
{
    EXPECT_EQ(Parse("Bridge", "fail_mode", "secure"), "secure");
    EXPECT_TRUE(IsError(Parse("Bridge", "fail_mode", "bogus"), "constraint violation"));
    EXPECT_EQ(Parse("Bridge", "protocols", "[OpenFlow10,OpenFlow13]"), "[OpenFlow10, OpenFlow13]");
    EXPECT_EQ(Parse("Bridge", "stp_enable", "true"), "true");
    EXPECT_EQ(Parse("Bridge", "stp_enable", "yes"), "true");
    EXPECT_EQ(Parse("Bridge", "stp_enable", "off"), "false");
    EXPECT_TRUE(IsError(Parse("Bridge", "stp_enable", "maybe"), "not a valid boolean"));
    std::string u = "550e8400-e29b-41d4-a716-446655440000";
    EXPECT_EQ(Parse("Bridge", "ports", "[" + u + "]"), "[" + u + "]");
    EXPECT_TRUE(IsError(Parse("Bridge", "ports", "[not-a-uuid]"), "not a valid UUID"));
    EXPECT_TRUE(IsError(Parse("Bridge", "ports", "[@p]"), "cannot be used here"));
    std::string with_symbol = Parse("Bridge", "ports", "[@p]", true);
    EXPECT_FALSE(IsError(with_symbol)) << with_symbol;
    vsctl_symbol *symbol = symtab_get(&symtab_, "@p");
    EXPECT_TRUE(symbol->strong_ref);
    EXPECT_FALSE(symbol->created);
    Parse("Mirror", "select_src_port", "[@w]", true);
    EXPECT_TRUE(symtab_get(&symtab_, "@w")->weak_ref);
}

TEST_F(Values, HostileInputFailsCleanly)
{
    // A megabyte of elements, deep brackets and control characters: errors, never crashes.
    std::string big = "[";
    for (int i = 0; i < 200000; i++)
        big += "1,";
    big += "1]";
    EXPECT_TRUE(IsError(Parse("Port", "trunks", big)));
    EXPECT_TRUE(IsError(Parse("Port", "trunks", std::string(100000, '['))));
    EXPECT_TRUE(IsError(Parse("Bridge", "other_config", std::string(100000, '{'))));
    EXPECT_EQ(Parse("Bridge", "other_config", "{k=\"\\t\\n\"}"), "{k=\"\\t\\n\"}");
    std::string many;
    for (int i = 0; i < 70000; i++)
        many += "k" + std::to_string(i) + "=v,";
    EXPECT_TRUE(IsError(Parse("Bridge", "other_config", many), "too many values"));
}

TEST_F(Values, ColumnKeyValueArguments)
{
    const db_table_schema *port = db_schema_table(schema_, "Port");
    const db_column_schema *column;
    char *key, *value, *error;

    error = vsctl_parse_column_key_value("external_ids:vm=a=b", port, &column, &key, nullptr, 0,
                                         nullptr, &value);
    ASSERT_EQ(error, nullptr) << error;
    EXPECT_STREQ(column->name, "external_ids");
    EXPECT_STREQ(key, "vm");
    EXPECT_STREQ(value, "a=b");
    free(key);
    free(value);

    error = vsctl_parse_column_key_value("TA=5", port, &column, &key, nullptr, 0, nullptr,
                                         &value);
    ASSERT_EQ(error, nullptr) << error;   // a unique prefix, case-insensitive, as ovs-vsctl
    EXPECT_STREQ(column->name, "tag");
    free(value);

    struct {
        const char *arg;
        const char *says;
    } bad[] = {
        { "nosuch=1", "Port does not contain a column whose name matches \"nosuch\"" },
        { "=1", "missing column name" },
        { "tag", "argument does not end in \"=\" followed by a value" },
        { "tag=", "argument does not end in \"=\" followed by a value" },
        { "bond_=1", "more than one column" },
        { "\"tag=1", "quoted string extends past end" },
    };
    for (const auto &b : bad) {
        error = vsctl_parse_column_key_value(b.arg, port, &column, &key, nullptr, 0, nullptr,
                                             &value);
        ASSERT_NE(error, nullptr) << b.arg;
        EXPECT_NE(std::string(error).find(b.says), std::string::npos) << b.arg << ": " << error;
        free(error);
    }

    static const char *const ops[] = { "=", "!=", "<", "<=", "{>=}" };
    size_t op;
    error = vsctl_parse_column_key_value("tag<=5", port, &column, &key, ops, 5, &op, &value);
    ASSERT_EQ(error, nullptr);
    EXPECT_STREQ(ops[op], "<=");
    EXPECT_STREQ(value, "5");
    free(value);
}

TEST_F(Values, TableNames)
{
    const db_table_schema *table;
    char *error = vsctl_find_table(schema_, "port", &table);
    EXPECT_EQ(error, nullptr);
    EXPECT_STREQ(table->name, "Port");
    error = vsctl_find_table(schema_, "open", &table);
    EXPECT_EQ(error, nullptr);
    EXPECT_STREQ(table->name, "Open_vSwitch");
    error = vsctl_find_table(schema_, "M", &table);
    ASSERT_NE(error, nullptr);
    EXPECT_STREQ(error, "multiple table names match \"M\"");
    free(error);
    error = vsctl_find_table(schema_, "Nope", &table);
    ASSERT_NE(error, nullptr);
    EXPECT_STREQ(error, "unknown table \"Nope\"");
    free(error);
}

TEST_F(Values, Tokens)
{
    const char *p = "\"a b\"\\,c,rest";
    char *token;
    ASSERT_EQ(vsctl_token(&p, &token), nullptr);
    EXPECT_STREQ(token, "\"a b\",c");
    EXPECT_STREQ(p, ",rest");
    free(token);
}

}  // namespace
