// The XAPI client (xapi/xapi.h) against the XAPI double: lazy login, a fresh login after XAPI
// restarted, Failure for unknown uuids, bounded retries, and every kind of answer that is not a
// XAPI reply refused with a message naming the call.
#include <gtest/gtest.h>

#include <string>

#include "tests/xapi/xapi_double.h"

extern "C" {
#include "lib/json.h"
#include "xapi/xapi.h"
}

namespace {

const char *kVifUuid = "8c3d4e5f-6a7b-4c8d-ae9f-1a2b3c4d5e63";

class XapiClient : public ::testing::Test {
  protected:
    void SetUp() override
    {
        ASSERT_TRUE(xapi_double_.Start());
        Open(xapi_options{});
    }
    void TearDown() override
    {
        xapi_destroy(xapi_);
    }
    void Open(xapi_options options)
    {
        xapi_destroy(xapi_);
        options.socket_path = xapi_double_.socket().c_str();
        xapi_ = xapi_create(&options);
        ASSERT_NE(xapi_, nullptr);
    }
    // The call's Value as JSON, or "<status>: <message>" with err kept in err_.
    std::string Call(const char *method, const char *arg = nullptr)
    {
        xapi_error_clear(&err_);
        struct json *v = arg ? xapi_call_strings(xapi_, &err_, method, arg, nullptr)
                             : xapi_call(xapi_, method, nullptr, &err_);
        if (!v)
            return std::string(xapi_status_name(err_.status)) + ": " + err_.message;
        char *s = json_to_string(v);
        std::string out(s);
        free(s);
        json_free(v);
        return out;
    }
    ~XapiClient() override { xapi_error_clear(&err_); }

    XapiDouble xapi_double_;
    xapi *xapi_ = nullptr;
    xapi_error err_ = {};
};

TEST_F(XapiClient, LogsInLazilyAndKeepsOneConnection)
{
    EXPECT_FALSE(xapi_logged_in(xapi_));
    EXPECT_EQ(Call("pool.get_all"), "[\"OpaqueRef:f60a2c4e-6a8c-4e0a-a264-8a0c2e4a62ee\"]");
    EXPECT_TRUE(xapi_logged_in(xapi_));
    std::string vif = Call("VIF.get_by_uuid", kVifUuid);
    EXPECT_EQ(vif, "\"OpaqueRef:3a5c7e9a-1c3e-4a5c-97e9-a1c3e5a7c9a3\"");
    xapi_error err = {};
    struct json *rec = xapi_call_strings(xapi_, &err, "VIF.get_record",
                                         "OpaqueRef:3a5c7e9a-1c3e-4a5c-97e9-a1c3e5a7c9a3",
                                         nullptr);
    ASSERT_NE(rec, nullptr) << err.message;
    EXPECT_STREQ(xapi_string_field(rec, "MAC"), "aa:00:00:00:01:00");
    EXPECT_STREQ(xapi_string_field(rec, "MTU"), "1500");   // integers travel as strings
    EXPECT_TRUE(xapi_bool_field(rec, "currently_attached"));
    EXPECT_EQ(xapi_map_field(rec, "other_config", "nicira-iface-id"), nullptr);
    EXPECT_STREQ(xapi_string_field(rec, "no such field"), "");
    json_free(rec);
    EXPECT_EQ(xapi_stats(xapi_)->logins, 1u);
    EXPECT_EQ(xapi_double_.Call("test.connections", {}).output, "1");   // HTTP keep-alive
    EXPECT_EQ(xapi_double_.Calls(),
              (std::vector<std::string>{ "pool.get_all", "VIF.get_by_uuid", "VIF.get_record" }));
}

TEST_F(XapiClient, ReturnsXapiFailuresWithTheCall)
{
    EXPECT_EQ(Call("VIF.get_by_uuid", "no-such-uuid"),
              "failure: VIF.get_by_uuid: XAPI failure [\"UUID_INVALID\",\"VIF\",\"no-such-uuid\"]");
    EXPECT_STREQ(xapi_error_code(&err_), "UUID_INVALID");
    EXPECT_EQ(Call("VM.get_record", "OpaqueRef:nothing"),
              "failure: VM.get_record: XAPI failure [\"HANDLE_INVALID\",\"VM\","
              "\"OpaqueRef:nothing\"]");
    xapi_double_.Fail("pool.get_all", "[\"INTERNAL_ERROR\", \"boom\"]", 1);
    EXPECT_EQ(Call("pool.get_all"), "failure: pool.get_all: XAPI failure [\"INTERNAL_ERROR\","
                                    "\"boom\"]");
    EXPECT_EQ(Call("pool.get_all"), "[\"OpaqueRef:f60a2c4e-6a8c-4e0a-a264-8a0c2e4a62ee\"]");
    EXPECT_EQ(xapi_stats(xapi_)->failures, 3u);
}

TEST_F(XapiClient, LogsInAgainAfterXapiRestarted)
{
    ASSERT_NE(Call("pool.get_all").find("OpaqueRef:"), std::string::npos);
    ASSERT_TRUE(xapi_double_.Restart());   // every session forgotten
    EXPECT_NE(Call("pool.get_all").find("OpaqueRef:"), std::string::npos) << err_.message;
    EXPECT_EQ(xapi_stats(xapi_)->logins, 2u);
    // A login that fails is the call's failure; the next call tries again.
    xapi_double_.Fail("session.login_with_password", "[\"SESSION_AUTHENTICATION_FAILED\"]", 1);
    xapi_forget_session(xapi_);
    EXPECT_EQ(Call("pool.get_all"), "failure: session.login_with_password: XAPI failure "
                                    "[\"SESSION_AUTHENTICATION_FAILED\"]");
    EXPECT_FALSE(xapi_logged_in(xapi_));
    EXPECT_NE(Call("pool.get_all").find("OpaqueRef:"), std::string::npos);
}

TEST_F(XapiClient, RetriesAFailedConnectionABoundedNumberOfTimes)
{
    xapi_options options = {};
    options.attempts = 3;
    options.backoff_ms = 10;
    Open(options);
    xapi_double_.Stop();
    EXPECT_EQ(Call("pool.get_all"), "unreachable: session.login_with_password: cannot connect "
                                    "to " + xapi_double_.socket() +
                                        ": No such file or directory (every attempt failed)");
    EXPECT_EQ(xapi_stats(xapi_)->retries, 2u);
    ASSERT_TRUE(xapi_double_.Start());
    EXPECT_NE(Call("pool.get_all").find("OpaqueRef:"), std::string::npos);
    // XAPI closing the connection before answering once: the second attempt is answered.
    xapi_double_.Misbehave("pool.get_all", "close", 1);
    EXPECT_NE(Call("pool.get_all").find("OpaqueRef:"), std::string::npos) << err_.message;
    xapi_double_.Misbehave("pool.get_all", "close", 5);
    EXPECT_EQ(Call("pool.get_all").rfind("unreachable: pool.get_all: ", 0), 0u);
}

TEST_F(XapiClient, GivesUpOnAHungXapiAfterTheTimeout)
{
    xapi_options options = {};
    options.timeout_ms = 300;
    Open(options);
    ASSERT_NE(Call("pool.get_all").find("OpaqueRef:"), std::string::npos);
    xapi_double_.Misbehave("pool.get_all", "hang", 1, "3");
    EXPECT_EQ(Call("pool.get_all").rfind("unreachable: pool.get_all: no answer from", 0), 0u)
        << err_.message;
    EXPECT_EQ(xapi_stats(xapi_)->retries, 0u);   // a hung XAPI is not asked again at once
}

TEST_F(XapiClient, RefusesAnswersThatAreNotXapiReplies)
{
    ASSERT_NE(Call("pool.get_all").find("OpaqueRef:"), std::string::npos);
    struct Case {
        const char *mode;
        const char *message;
    } cases[] = {
        { "garbage", "bad reply: pool.get_all: malformed XML-RPC: line 1: unknown element <html>" },
        { "not_xapi", "bad reply: pool.get_all: the reply is a array without a Status" },
        { "truncated_xml", "bad reply: pool.get_all: malformed XML-RPC: line " },
        { "huge", "bad reply: pool.get_all: the answer is longer than 8388608 bytes; refused" },
        { "http500", "bad reply: pool.get_all: XAPI answered HTTP status 500, not 200" },
        { "not_http", "bad reply: pool.get_all: the answer on " },
        { "cut_short", "bad reply: pool.get_all: " },
    };
    for (const Case &c : cases) {
        xapi_double_.Misbehave("pool.get_all", c.mode, 1);
        std::string got = Call("pool.get_all");
        EXPECT_EQ(got.rfind(c.message, 0), 0u) << c.mode << ": " << got;
        // The client is still good for the next call.
        EXPECT_NE(Call("pool.get_all").find("OpaqueRef:"), std::string::npos) << c.mode;
    }
    EXPECT_EQ(xapi_stats(xapi_)->bad_replies, sizeof cases / sizeof cases[0]);
    // A reply of the right shape whose Value has the wrong type is the caller's to refuse.
    xapi_double_.Misbehave("pool.get_all", "wrong_value", 1);
    EXPECT_EQ(Call("pool.get_all"), "42");
}

TEST_F(XapiClient, LogsOut)
{
    ASSERT_NE(Call("pool.get_all").find("OpaqueRef:"), std::string::npos);
    EXPECT_EQ(xapi_double_.Call("test.sessions", {}).output, "1");
    xapi_logout(xapi_);
    EXPECT_FALSE(xapi_logged_in(xapi_));
    EXPECT_EQ(xapi_double_.Call("test.sessions", {}).output, "0");
}

}  // namespace
