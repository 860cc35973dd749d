// xapi/xmlrpc: what XAPI and Python's xmlrpc.client write must read back as the same values;
// anything outside the grammar, or beyond the limits, must be refused with the line and the
// reason, and never crash.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

extern "C" {
#include "lib/json.h"
#include "xapi/xmlrpc.h"
}

namespace {

std::string Json(const struct json *j)
{
    char *s = json_to_string(j);
    std::string out(s);
    free(s);
    return out;
}

// The one value of a methodResponse as compact JSON, or "ERROR: <message>".
std::string Response(const std::string &xml, const xmlrpc_limits *limits = nullptr)
{
    char *error = nullptr;
    struct json *v = xmlrpc_decode_response(xml.data(), xml.size(), limits, &error);
    if (!v) {
        std::string out = std::string("ERROR: ") + (error ? error : "(no message)");
        free(error);
        return out;
    }
    std::string out = Json(v);
    json_free(v);
    return out;
}

std::string Wrap(const std::string &value)
{
    return "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n" + value +
           "\n</param>\n</params>\n</methodResponse>\n";
}

// "method params-as-json", or "ERROR: <message>".
std::string Call(const std::string &xml)
{
    char *error = nullptr, *method = nullptr;
    struct json *params = nullptr;
    if (xmlrpc_decode_call(xml.data(), xml.size(), nullptr, &method, &params, &error) < 0) {
        std::string out = std::string("ERROR: ") + (error ? error : "(no message)");
        free(error);
        return out;
    }
    std::string out = std::string(method) + " " + Json(params);
    free(method);
    json_free(params);
    return out;
}

struct json *Parse(const std::string &text)
{
    struct json *j = json_parse(text.data(), text.size(), nullptr);
    EXPECT_NE(j, nullptr) << text;
    return j;
}

TEST(Xmlrpc, ReadsEveryTypeAsXapiAndPythonWriteThem)
{
    // XAPI writes strings as bare <value> text; Python's xmlrpc.client inside <string>.
    EXPECT_EQ(Response(Wrap("<value>OpaqueRef:1</value>")), "\"OpaqueRef:1\"");
    EXPECT_EQ(Response(Wrap("<value><string>a b</string></value>")), "\"a b\"");
    EXPECT_EQ(Response(Wrap("<value/>")), "\"\"");
    EXPECT_EQ(Response(Wrap("<value><string/></value>")), "\"\"");
    EXPECT_EQ(Response(Wrap("<value><int>-12</int></value>")), "-12");
    EXPECT_EQ(Response(Wrap("<value><i4>7</i4></value>")), "7");
    EXPECT_EQ(Response(Wrap("<value><i8>9000000000</i8></value>")), "9000000000");
    EXPECT_EQ(Response(Wrap("<value><boolean>1</boolean></value>")), "true");
    EXPECT_EQ(Response(Wrap("<value><boolean>0</boolean></value>")), "false");
    EXPECT_EQ(Response(Wrap("<value><double>1.5</double></value>")), "1.5");
    EXPECT_EQ(Response(Wrap("<value><nil/></value>")), "null");
    EXPECT_EQ(Response(Wrap("<value><dateTime.iso8601>20240101T00:00:00Z</dateTime.iso8601>"
                            "</value>")),
              "\"20240101T00:00:00Z\"");
    EXPECT_EQ(Response(Wrap("<value><array><data>\n<value>a</value>\n<value><int>1</int>"
                            "</value></data></array></value>")),
              "[\"a\",1]");
    EXPECT_EQ(Response(Wrap("<value><array><data/></array></value>")), "[]");
    EXPECT_EQ(Response(Wrap("<value><struct>\n<member>\n<name>Status</name>\n"
                            "<value>Success</value>\n</member>\n<member><name>Value</name>"
                            "<value><struct/></value></member></struct></value>")),
              "{\"Status\":\"Success\",\"Value\":{}}");
    // Entities, character references and CDATA are XML's, handled by Expat.
    EXPECT_EQ(Response(Wrap("<value>a&amp;b&lt;&#233;<![CDATA[<x>]]></value>")),
              "\"a&b<\xc3\xa9<x>\"");
}

TEST(Xmlrpc, WritesWhatItReads)
{
    const char *values[] = {
        "\"plain\"", "\"\"", "\"a&b<c>d\\r\\n\\t\\\"'\"", "\"\xc3\xa9t\xc3\xa9\"", "0", "-5",
        "2147483647", "-2147483648", "9223372036854775807", "true", "false", "2.5", "null",
        "[]", "{}", "[1,[2,[3]],{\"k\":[\"v\"]}]",
        "{\"Status\":\"Failure\",\"ErrorDescription\":[\"SESSION_INVALID\",\"OpaqueRef:x\"]}",
    };
    for (const char *text : values) {
        struct json *v = Parse(text);
        char *error = nullptr;
        char *xml = xmlrpc_encode_response(v, &error);
        ASSERT_NE(xml, nullptr) << text << ": " << (error ? error : "");
        EXPECT_EQ(Response(xml), Json(v)) << xml;
        free(xml);
        json_free(v);
    }
}

TEST(Xmlrpc, CallsRoundTrip)
{
    struct json *params = Parse("[\"OpaqueRef:s\",{\"k\":\"v\"},[\"a\",\"b\"]]");
    char *error = nullptr;
    char *xml = xmlrpc_encode_call("VIF.get_record", params, &error);
    ASSERT_NE(xml, nullptr);
    EXPECT_EQ(Call(xml), "VIF.get_record [\"OpaqueRef:s\",{\"k\":\"v\"},[\"a\",\"b\"]]");
    free(xml);
    json_free(params);
    // What XenAPIPlugin's caller (XAPI) and Python's xmlrpc.client.dumps write.
    EXPECT_EQ(Call("<?xml version='1.0'?>\n<methodCall>\n<methodName>update</methodName>\n"
                   "<params>\n<param>\n<value><string>OpaqueRef:abc</string></value>\n"
                   "</param>\n<param>\n<value><struct>\n</struct></value>\n</param>\n"
                   "</params>\n</methodCall>\n"),
              "update [\"OpaqueRef:abc\",{}]");
    EXPECT_EQ(Call("<methodCall><methodName>f</methodName></methodCall>"), "f []");
    EXPECT_EQ(Call("<methodCall><methodName>f</methodName><params/></methodCall>"), "f []");
}

TEST(Xmlrpc, RefusesWhatXmlCannotCarry)
{
    struct json *v = Parse("\"bell\\u0007\"");
    char *error = nullptr;
    EXPECT_EQ(xmlrpc_encode_response(v, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error).find("control character 0x07"), std::string::npos) << error;
    free(error);
    json_free(v);
}

TEST(Xmlrpc, RefusesWhatIsNotTheGrammar)
{
    struct Case {
        std::string xml;
        std::string error;   // a part of the message
    } cases[] = {
        { "", "no element found" },
        { "not xml at all", "syntax error" },
        { "<html><body>502 Bad Gateway</body></html>", "unknown element <html>" },
        { "<methodCall><methodName>f</methodName></methodCall>",
          "<methodCall> is not allowed here" },
        { "<methodResponse/>", "neither <params> nor <fault>" },
        { "<methodResponse><params/></methodResponse>", "with 0 params" },
        { "<methodResponse><params><param><value>a</value></param><param><value>b</value>"
          "</param></params></methodResponse>",
          "with 2 params" },
        { Wrap("<value><struct><member><name>a</name><value>1</value></member><member><name>a"
               "</name><value>2</value></member></struct></value>"),
          "two struct members are named 'a'" },
        { Wrap("<value><struct><member><value>1</value></member></struct></value>"),
          "<value> is not allowed here (in <member>)" },
        { Wrap("<value><struct><member><name>a</name></member></struct></value>"),
          "without its <value>" },
        { Wrap("<value><int>12x</int></value>"), "not an integer" },
        { Wrap("<value><int>4294967296</int></value>"), "out of the 32-bit range" },
        { Wrap("<value><i8>99999999999999999999</i8></value>"), "not an integer" },
        { Wrap("<value><int></int></value>"), "not an integer" },
        { Wrap("<value><boolean>true</boolean></value>"), "not 0 or 1" },
        { Wrap("<value><double>nan</double></value>"), "not a finite number" },
        { Wrap("<value><double>1e999</double></value>"), "not a finite number" },
        { Wrap("<value>text<int>1</int></value>"), "text before <int>" },
        { Wrap("<value><int>1</int>text</value>"), "text after the typed value" },
        { Wrap("<value><int>1</int><int>2</int></value>"), "<int> is not allowed here" },
        { Wrap("<value><array><value>a</value></array></value>"),
          "<value> is not allowed here (in <array>)" },
        { Wrap("<value><array></array></value>"), "without <data>" },
        { Wrap("<value><struct>text</struct></value>"), "text in <struct>" },
        { Wrap("<value><string x='1'>a</string></value>"), "has an attribute" },
        { "<methodResponse><params><param><value>a</value></param></params>",
          "no element found" },
        { "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>]><methodResponse/>",
          "DOCTYPE" },
        { "<?xml version='1.0'?><?evil stuff?><methodResponse/>", "processing instruction" },
        { Wrap("<value>&undefined;</value>"), "undefined entity" },
        { Wrap("<value>a&#0;b</value>"), "reference to invalid character" },
        { "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>3"
          "</int></value></member><member><name>faultString</name><value>no such method"
          "</value></member></struct></value></fault></methodResponse>",
          "XML-RPC fault 3: no such method" },
    };
    for (const Case &c : cases) {
        std::string got = Response(c.xml);
        EXPECT_EQ(got.rfind("ERROR: ", 0), 0u) << c.xml << " gave " << got;
        EXPECT_NE(got.find(c.error), std::string::npos) << c.xml << " gave " << got;
    }
    EXPECT_NE(Call("<methodCall><params/></methodCall>").find("<params> is not allowed"),
              std::string::npos);
    EXPECT_NE(Call("<methodCall><methodName>a b</methodName></methodCall>")
                  .find("is not a method name"),
              std::string::npos);
    EXPECT_NE(Call("<methodCall><methodName></methodName></methodCall>")
                  .find("is not a method name"),
              std::string::npos);
    EXPECT_NE(Call("<methodResponse><params/></methodResponse>")
                  .find("<methodResponse> is not allowed"),
              std::string::npos);
}

TEST(Xmlrpc, EnforcesItsLimits)
{
    xmlrpc_limits small = { 100, 3 };
    EXPECT_NE(Response(Wrap("<value>" + std::string(200, 'x') + "</value>"), &small)
                  .find("bytes long, more than the 100 allowed"),
              std::string::npos);
    xmlrpc_limits shallow = { 0, 3 };
    std::string deep = "<value>a</value>";
    for (int i = 0; i < 3; i++)
        deep = "<value><array><data>" + deep + "</data></array></value>";
    EXPECT_NE(Response(Wrap(deep), &shallow).find("nested deeper than 3"), std::string::npos);
    // The default depth, and the default size: 8 MiB.
    std::string very_deep = "<value>a</value>";
    for (int i = 0; i < 100; i++)
        very_deep = "<value><array><data>" + very_deep + "</data></array></value>";
    EXPECT_NE(Response(Wrap(very_deep)).find("nested deeper than 32"), std::string::npos);
    std::string big = Wrap("<value>" + std::string(10 * 1024 * 1024, 'x') + "</value>");
    EXPECT_NE(Response(big).find("more than the 8388608 allowed"), std::string::npos);
}

// Every prefix and many random corruptions of a real reply: an answer or an error, no crash.
TEST(Xmlrpc, SurvivesCorruption)
{
    const std::string good = Wrap(
        "<value><struct><member><name>Status</name><value>Success</value></member><member>"
        "<name>Value</name><value><struct><member><name>OpaqueRef:a</name><value><struct>"
        "<member><name>other_config</name><value><struct><member><name>k</name><value>v"
        "</value></member></struct></value></member><member><name>VLAN</name><value>-1"
        "</value></member><member><name>management</name><value><boolean>1</boolean>"
        "</value></member></struct></value></member></struct></value></member></struct>"
        "</value>");
    ASSERT_EQ(Response(good).rfind("{", 0), 0u) << Response(good);
    for (size_t n = 0; n <= good.rfind(">"); n++)   // all but the last ">" and the newline
        EXPECT_EQ(Response(good.substr(0, n)).rfind("ERROR: ", 0), 0u) << n;
    std::mt19937 rng(13);
    for (int i = 0; i < 3000; i++) {
        std::string bad = good;
        for (int k = 0; k < 3; k++)
            bad[rng() % bad.size()] = static_cast<char>(rng() % 256);
        Response(bad);
    }
}

}  // namespace
