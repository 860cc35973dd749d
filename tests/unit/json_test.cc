// lib/json: the parser must accept exactly RFC 8259, reject hostile input with a precise message
// and never crash; the serializer must round-trip.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

extern "C" {
#include "lib/json.h"
}

namespace {

// Parses `text`; returns the compact serialization, or "ERROR: <message>".
std::string RoundTrip(const std::string &text)
{
    char *error = nullptr;
    struct json *json = json_parse(text.data(), text.size(), &error);
    if (!json) {
        std::string out = std::string("ERROR: ") + (error ? error : "(no message)");
        free(error);
        return out;
    }
    EXPECT_EQ(error, nullptr);
    char *s = json_to_string(json);
    std::string out(s);
    free(s);
    json_free(json);
    return out;
}

std::string ParseError(const std::string &text, const json_limits *limits = nullptr)
{
    char *error = nullptr;
    struct json *json = limits ? json_parse_with_limits(text.data(), text.size(), limits, &error)
                               : json_parse(text.data(), text.size(), &error);
    if (json) {
        json_free(json);
        return "(parsed)";
    }
    std::string out = error ? error : "(no message)";
    free(error);
    return out;
}

TEST(Json, Scalars)
{
    EXPECT_EQ(RoundTrip("null"), "null");
    EXPECT_EQ(RoundTrip("true"), "true");
    EXPECT_EQ(RoundTrip(" false "), "false");
    EXPECT_EQ(RoundTrip("0"), "0");
    EXPECT_EQ(RoundTrip("-12"), "-12");
    EXPECT_EQ(RoundTrip("0.5"), "0.5");
    EXPECT_EQ(RoundTrip("3.0"), "3.0");
    EXPECT_EQ(RoundTrip("1e2"), "100.0");
    EXPECT_EQ(RoundTrip("-2.5E-3"), "-0.0025");
    EXPECT_EQ(RoundTrip("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""), "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\"");
}

TEST(Json, IntegersAreExactInt64ElseDouble)
{
    EXPECT_EQ(RoundTrip("9223372036854775807"), "9223372036854775807");
    EXPECT_EQ(RoundTrip("-9223372036854775808"), "-9223372036854775808");
    char *error = nullptr;
    std::string big = "9223372036854775808";
    struct json *json = json_parse(big.data(), big.size(), &error);
    ASSERT_NE(json, nullptr);
    EXPECT_EQ(json_type(json), JSON_REAL);
    EXPECT_DOUBLE_EQ(json_real(json), 9223372036854775808.0);
    json_free(json);

    std::string huge = "1" + std::string(400, '0');
    EXPECT_EQ(ParseError(huge), "number out of range at offset 0");
    EXPECT_EQ(ParseError("[1e999]"), "number out of range at offset 1");
    EXPECT_EQ(RoundTrip("1e-400"), "0.0");   // underflow is a representable approximation
}

TEST(Json, RealsRoundTripExactly)
{
    std::mt19937_64 rng(7);
    for (int i = 0; i < 2000; i++) {
        uint64_t bits = rng();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!std::isfinite(d))
            continue;
        struct json *json = json_real_new(d);
        char *s = json_to_string(json);
        struct json *back = json_parse(s, strlen(s), nullptr);
        ASSERT_NE(back, nullptr) << s;
        EXPECT_EQ(json_type(back), JSON_REAL) << s;
        EXPECT_EQ(json_real(back), d) << s;
        json_free(back);
        free(s);
        json_free(json);
    }
}

TEST(Json, NumberSyntaxIsStrict)
{
    EXPECT_EQ(ParseError("01"), "leading zeros are not allowed in numbers at offset 1");
    EXPECT_EQ(ParseError("-"), "expected a digit, found end of input at offset 1");
    EXPECT_EQ(ParseError("1."), "expected a digit after '.', found end of input at offset 2");
    EXPECT_EQ(ParseError("1e"), "expected a digit in the exponent, found end of input at offset 2");
    EXPECT_EQ(ParseError("+1"), "expected a value, found '+' at offset 0");
    EXPECT_EQ(ParseError(".5"), "expected a value, found '.' at offset 0");
    EXPECT_EQ(ParseError("NaN"), "expected a value, found 'N' at offset 0");
    EXPECT_EQ(ParseError("Infinity"), "expected a value, found 'I' at offset 0");
    EXPECT_EQ(ParseError("0x10"), "expected end of input after the value, found 'x' at offset 1");
}

TEST(Json, StructureErrorsNameWhatWasExpectedAndWhere)
{
    EXPECT_EQ(ParseError("{\"a\":1 \"b\":2}"), "expected ',' or '}', found '\"' at offset 7");
    EXPECT_EQ(ParseError("[1,2"), "expected ',' or ']', found end of input at offset 4");
    EXPECT_EQ(ParseError("[1,]"), "expected a value, found ']' at offset 3");
    EXPECT_EQ(ParseError("{\"a\" 1}"), "expected ':', found '1' at offset 5");
    EXPECT_EQ(ParseError("{1:2}"), "expected a string (object key), found '1' at offset 1");
    EXPECT_EQ(ParseError("{\"a\":1,}"), "expected a string (object key), found '}' at offset 7");
    EXPECT_EQ(ParseError(""), "expected a value, found end of input at offset 0");
    EXPECT_EQ(ParseError("   "), "expected a value, found end of input at offset 3");
    EXPECT_EQ(ParseError("[] []"), "expected end of input after the value, found '[' at offset 3");
    EXPECT_EQ(ParseError("tru"), "invalid literal (expected 'true') at offset 0");
    EXPECT_EQ(ParseError("nul1"), "invalid literal (expected 'null') at offset 0");
    EXPECT_EQ(ParseError("\x01"), "expected a value, found byte 0x01 at offset 0");
}

TEST(Json, DuplicateKeysRejected)
{
    EXPECT_EQ(ParseError("{\"a\":1,\"a\":2}"), "duplicate object key \"a\" at offset 7");
    // Also in a large (hash-indexed) object.
    std::string text = "{";
    for (int i = 0; i < 100; i++)
        text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    text += "\"k42\":0}";
    EXPECT_NE(ParseError(text).find("duplicate object key \"k42\""), std::string::npos);
    // Escapes are decoded before comparing.
    EXPECT_EQ(ParseError("{\"a\":1,\"\\u0061\":2}"), "duplicate object key \"a\" at offset 7");
}

TEST(Json, Strings)
{
    EXPECT_EQ(RoundTrip("\"\\u00e9\""), "\"\xc3\xa9\"");
    EXPECT_EQ(RoundTrip("\"\\ud83d\\ude00\""), "\"\xf0\x9f\x98\x80\"");
    EXPECT_EQ(RoundTrip("\"\xf4\x8f\xbf\xbf\""), "\"\xf4\x8f\xbf\xbf\"");   // U+10FFFF
    EXPECT_EQ(RoundTrip("\"\\u001f\""), "\"\\u001f\"");
    EXPECT_EQ(RoundTrip("\"\x7f\""), "\"\x7f\"");
    EXPECT_EQ(ParseError("\"\\ud800\""),
              "high surrogate not followed by a low surrogate at offset 1");
    EXPECT_EQ(ParseError("\"\\ud800\\u0041\""),
              "high surrogate not followed by a low surrogate at offset 1");
    EXPECT_EQ(ParseError("\"\\udc00\""), "unpaired low surrogate in \\u escape at offset 1");
    EXPECT_EQ(ParseError("\"\\u0000\""), "\\u0000 is not supported in strings at offset 1");
    EXPECT_EQ(ParseError("\"\\u12xy\""), "invalid hex digit in \\u escape at offset 5");
    EXPECT_EQ(ParseError("\"\\u12\""), "truncated \\u escape at offset 3");
    EXPECT_EQ(ParseError("\"\\x\""), "invalid escape sequence at offset 1");
    EXPECT_EQ(ParseError("\"abc"), "unterminated string at offset 0");
    EXPECT_EQ(ParseError("\"abc\\"), "unterminated string at offset 0");
    EXPECT_EQ(ParseError("\"a\tb\""), "unescaped control character 0x09 in string at offset 2");
    EXPECT_EQ(ParseError(std::string("\"a\0b\"", 5)),
              "unescaped control character 0x00 in string at offset 2");
}

TEST(Json, InvalidUtf8Rejected)
{
    const char *bad[] = {
        "\"\xc3\x28\"",             // bad continuation
        "\"\xc0\xaf\"",             // overlong '/'
        "\"\xe0\x80\xaf\"",         // overlong, 3 bytes
        "\"\xed\xa0\x80\"",         // encoded surrogate
        "\"\xf4\x90\x80\x80\"",     // above U+10FFFF
        "\"\xf8\x88\x80\x80\x80\"", // 5-byte form
        "\"\xff\"",
        "\"\x80\"",                 // lone continuation
        "\"\xe2\x82\"",             // truncated
    };
    for (const char *s : bad)
        EXPECT_EQ(ParseError(s), "invalid UTF-8 in string at offset 1") << s;
    EXPECT_EQ(ParseError("\xc3\xa9"), "expected a value, found byte 0xc3 at offset 0");
}

TEST(Json, DepthLimit)
{
    std::string ok = std::string(64, '[') + std::string(64, ']');
    EXPECT_EQ(RoundTrip(ok), ok);
    std::string deep = std::string(65, '[') + std::string(65, ']');
    EXPECT_EQ(ParseError(deep), "nesting deeper than 64 levels at offset 64");
    // A million opening brackets must not exhaust the stack.
    std::string abyss(1000000, '[');
    EXPECT_EQ(ParseError(abyss), "nesting deeper than 64 levels at offset 64");
    std::string objects;
    for (int i = 0; i < 100000; i++)
        objects += "{\"a\":";
    EXPECT_NE(ParseError(objects).find("nesting deeper than 64 levels"), std::string::npos);

    json_limits shallow = { 1000, 2 };
    EXPECT_EQ(ParseError("[[1]]", &shallow), "(parsed)");
    EXPECT_EQ(ParseError("[[[1]]]", &shallow), "nesting deeper than 2 levels at offset 2");
}

TEST(Json, SizeLimit)
{
    json_limits small = { 10, 64 };
    EXPECT_EQ(ParseError("[1,2,3,4,5,6]", &small),
              "input of 13 bytes exceeds the limit of 10 bytes");
    std::string big(JSON_DEFAULT_MAX_BYTES + 1, ' ');
    EXPECT_EQ(ParseError(big), "input of 16777217 bytes exceeds the limit of 16777216 bytes");
}

TEST(Json, TruncatedInputNeverParses)
{
    std::string text =
        "{\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\ud83d\\ude00y\"],\"b\":{\"c\":{}}}";
    EXPECT_NE(RoundTrip(text).rfind("ERROR", 0), 0u);
    for (size_t n = 0; n < text.size(); n++) {
        std::string prefix = text.substr(0, n);
        EXPECT_NE(ParseError(prefix), "(parsed)") << prefix;
    }
}

TEST(Json, RandomGarbageNeverCrashes)
{
    std::mt19937 rng(12345);
    // 1 MB of random bytes, and random mutations of a valid document.
    std::string garbage(1 << 20, '\0');
    for (char &c : garbage)
        c = static_cast<char>(rng());
    std::string error = ParseError(garbage);
    EXPECT_NE(error.find(" at offset "), std::string::npos);

    const std::string alphabet = "{}[],:\"\\u0123456789abcdefnulltrue -+.eE\x80\xc3\xff";
    std::string doc = "{\"a\":[1,2,{\"b\":\"c\\u00e9\"}],\"d\":-1.5e2,\"e\":null}";
    for (int i = 0; i < 20000; i++) {
        std::string m = doc;
        int edits = 1 + rng() % 4;
        for (int e = 0; e < edits; e++) {
            size_t pos = rng() % m.size();
            switch (rng() % 3) {
            case 0: m[pos] = alphabet[rng() % alphabet.size()]; break;
            case 1: m.erase(pos, 1); break;
            default: m.insert(pos, 1, alphabet[rng() % alphabet.size()]);
            }
        }
        char *err = nullptr;
        struct json *json = json_parse(m.data(), m.size(), &err);
        if (json) {
            // Whatever parses must serialize and parse back to an equal tree.
            char *s = json_to_string(json);
            struct json *back = json_parse(s, strlen(s), nullptr);
            ASSERT_NE(back, nullptr) << s;
            EXPECT_TRUE(json_equal(json, back)) << s;
            json_free(back);
            free(s);
            json_free(json);
        } else {
            ASSERT_NE(err, nullptr);
            EXPECT_NE(std::string(err).find(" at offset "), std::string::npos) << err;
            free(err);
        }
    }
}

TEST(Json, TreeApi)
{
    struct json *obj = json_object_new();
    json_object_put(obj, "name", json_string_new("br0"));
    json_object_put(obj, "n", json_integer_new(3));
    json_object_put(obj, "list", json_array_append(json_array_append(json_array_new(),
                                                                     json_boolean_new(true)),
                                                   json_null_new()));
    json_object_put(obj, "n", json_real_new(1.5));   // replaces in place
    char *s = json_to_string(obj);
    EXPECT_STREQ(s, "{\"name\":\"br0\",\"n\":1.5,\"list\":[true,null]}");
    free(s);

    EXPECT_EQ(json_object_size(obj), 3u);
    EXPECT_STREQ(json_object_key_at(obj, 2), "list");
    EXPECT_EQ(json_array_size(json_object_get(obj, "list")), 2u);
    EXPECT_EQ(json_object_get(obj, "missing"), nullptr);
    EXPECT_STREQ(json_string(json_object_get(obj, "name")), "br0");
    // Accessors on the wrong type return zero values.
    EXPECT_EQ(json_integer(json_object_get(obj, "name")), 0);
    EXPECT_STREQ(json_string(json_object_get(obj, "n")), "");
    EXPECT_EQ(json_array_at(obj, 0), nullptr);

    struct json *copy = json_clone(obj);
    EXPECT_TRUE(json_equal(obj, copy));
    struct json *removed = json_object_remove(copy, "name");
    ASSERT_NE(removed, nullptr);
    json_free(removed);
    EXPECT_FALSE(json_equal(obj, copy));
    EXPECT_EQ(json_object_size(copy), 2u);
    EXPECT_STREQ(json_object_key_at(copy, 0), "n");

    char *pretty = json_to_string_pretty(obj);
    EXPECT_STREQ(pretty,
                 "{\n  \"name\": \"br0\",\n  \"n\": 1.5,\n  \"list\": [\n    true,\n    null\n"
                 "  ]\n}");
    free(pretty);
    json_free(copy);
    json_free(obj);

    // Object equality ignores member order; integer and real never compare equal.
    struct json *a = json_parse("{\"x\":1,\"y\":2}", 13, nullptr);
    struct json *b = json_parse("{\"y\":2,\"x\":1}", 13, nullptr);
    struct json *c = json_parse("{\"y\":2,\"x\":1.0}", 15, nullptr);
    EXPECT_TRUE(json_equal(a, b));
    EXPECT_FALSE(json_equal(a, c));
    json_free(a);
    json_free(b);
    json_free(c);
}

TEST(Json, LargeObjectLookupAndOrder)
{
    struct json *obj = json_object_new();
    for (int i = 0; i < 5000; i++)
        json_object_put(obj, ("key" + std::to_string(i)).c_str(), json_integer_new(i));
    for (int i = 0; i < 5000; i += 7) {
        struct json *v = json_object_get(obj, ("key" + std::to_string(i)).c_str());
        ASSERT_NE(v, nullptr);
        EXPECT_EQ(json_integer(v), i);
    }
    EXPECT_STREQ(json_object_key_at(obj, 4999), "key4999");
    char *s = json_to_string(obj);
    struct json *back = json_parse(s, strlen(s), nullptr);
    ASSERT_NE(back, nullptr);
    EXPECT_TRUE(json_equal(obj, back));
    EXPECT_STREQ(json_object_key_at(back, 1234), "key1234");
    json_free(back);
    free(s);
    json_free(obj);
}

TEST(Json, EscapingControlCharacters)
{
    struct json *j = json_string_new("a\x01\x1f\"\\\n");
    char *s = json_to_string(j);
    EXPECT_STREQ(s, "\"a\\u0001\\u001f\\\"\\\\\\n\"");
    struct json *back = json_parse(s, strlen(s), nullptr);
    ASSERT_NE(back, nullptr);
    EXPECT_TRUE(json_equal(j, back));
    json_free(back);
    free(s);
    json_free(j);
}

}  // namespace
