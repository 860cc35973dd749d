// lib/ipc: frame validation by ipc_server_process (every way a frame can be refused, and that
// no prefix or random frame crashes it), request/reply over real nanomsg sockets, the client's
// timeout, stream sequence tracking and a real PUB/SUB round trip.
#include <gtest/gtest.h>
#include <nanomsg/nn.h>
#include <poll.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "lib/ipc.h"
#include "lib/loop.h"
#include "proto/control.pb-c.h"
#include "proto/dbd.pb-c.h"
}

namespace {

constexpr uint32_t kHello = VSW__DBD_TYPE__DBD_HELLO;
constexpr uint32_t kHeartbeat = VSW__DBD_TYPE__DBD_HEARTBEAT;
// Registered on the control channel only: the DBD server must not find it.
constexpr uint32_t kControlOnly = 77;

struct HandlerCtx {
    int calls = 0;
};

// Answers a Hello with a HelloReply naming the client back; a Hello from "refuse" gets an
// ERROR_INVALID_ARGUMENT, as a handler's own refusal.
void HandleHello(void *ctx, const ProtobufCMessage *request, struct ipc_reply *reply)
{
    auto *c = static_cast<HandlerCtx *>(ctx);
    c->calls++;
    const auto *hello = reinterpret_cast<const Vsw__Hello *>(request);
    if (std::string(hello->client) == "refuse") {
        ipc_reply_error(reply, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT, "client %s refused",
                        hello->client);
        return;
    }
    std::string server = std::string("echo:") + hello->client;
    Vsw__HelloReply r = VSW__HELLO_REPLY__INIT;
    r.server = const_cast<char *>(server.c_str());
    r.pid = hello->pid;
    r.version = const_cast<char *>("test");
    r.epoch = 42;
    ipc_reply_message(reply, &r.base);
}

void HandleNever(void *ctx, const ProtobufCMessage *, struct ipc_reply *reply)
{
    static_cast<HandlerCtx *>(ctx)->calls += 1000;
    ipc_reply_error(reply, VSW__ERROR_CODE__ERROR_INTERNAL, "must not be reached");
}

const struct ipc_route kRoutes[] = {
    { VSW__CHANNEL__CHANNEL_DBD, kHello, "DBD_HELLO", &vsw__hello__descriptor, HandleHello },
    { VSW__CHANNEL__CHANNEL_CONTROL, kControlOnly, "CONTROL_ONLY",
      &vsw__status_request__descriptor, HandleNever },
};
constexpr size_t kNRoutes = sizeof kRoutes / sizeof kRoutes[0];

std::string PackHello(const char *client, uint32_t pid)
{
    Vsw__Hello hello = VSW__HELLO__INIT;
    hello.client = const_cast<char *>(client);
    hello.pid = pid;
    std::string out(vsw__hello__get_packed_size(&hello), '\0');
    vsw__hello__pack(&hello, reinterpret_cast<uint8_t *>(&out[0]));
    return out;
}

struct EnvelopeSpec {
    uint32_t version = IPC_VERSION;
    Vsw__Channel channel = VSW__CHANNEL__CHANNEL_DBD;
    uint32_t type = kHello;
    uint64_t request_id = 7;
    std::string payload = PackHello("tester", 1234);
};

std::string PackEnvelope(const EnvelopeSpec &s)
{
    Vsw__Envelope env = VSW__ENVELOPE__INIT;
    env.version = s.version;
    env.channel = s.channel;
    env.type = s.type;
    env.request_id = s.request_id;
    env.payload.data = reinterpret_cast<uint8_t *>(const_cast<char *>(s.payload.data()));
    env.payload.len = s.payload.size();
    uint8_t *frame = nullptr;
    size_t len = ipc_frame_pack(&env, &frame);
    std::string out(reinterpret_cast<char *>(frame), len);
    free(frame);
    return out;
}

class ServerProcess : public ::testing::Test {
  protected:
    void SetUp() override
    {
        server_.sock = -1;
        server_.rcvfd = -1;
        server_.channel = VSW__CHANNEL__CHANNEL_DBD;
        server_.routes = kRoutes;
        server_.n_routes = kNRoutes;
        server_.ctx = &ctx_;
        server_.counters = &counters_;
        snprintf(server_.address, sizeof server_.address, "ipc:///nowhere/test.sock");
    }

    // Runs one frame through the server; returns the parsed reply envelope (never null: a
    // reply that does not parse fails the test).
    Vsw__Envelope *Process(const void *frame, size_t len)
    {
        uint8_t *reply = nullptr;
        size_t reply_len = ipc_server_process(&server_, frame, len, &reply);
        EXPECT_NE(reply, nullptr);
        EXPECT_GT(reply_len, 0u);
        Vsw__Envelope *env = vsw__envelope__unpack(nullptr, reply_len, reply);
        free(reply);
        EXPECT_NE(env, nullptr) << "the reply to a " << len << "-byte frame does not parse";
        return env;
    }
    Vsw__Envelope *Process(const std::string &frame)
    {
        return Process(frame.data(), frame.size());
    }

    // Asserts `env` is a well-formed error reply with `code` and counts it.
    void ExpectError(const Vsw__Envelope *env, Vsw__ErrorCode code, const std::string &what)
    {
        ASSERT_NE(env, nullptr) << what;
        EXPECT_EQ(env->version, static_cast<uint32_t>(IPC_VERSION)) << what;
        EXPECT_EQ(env->channel, VSW__CHANNEL__CHANNEL_DBD) << what;
        ASSERT_NE(env->error, nullptr) << what;
        EXPECT_EQ(env->error->code, code)
            << what << ": got " << ipc_error_code_name(env->error->code) << " ("
            << env->error->message << ")";
        ASSERT_NE(env->error->message, nullptr) << what;
        EXPECT_GT(strlen(env->error->message), 0u) << what;
        EXPECT_EQ(env->payload.len, 0u) << what;
    }

    // Asserts `env` is a successful reply to a Hello from `client` with `pid`.
    void ExpectHelloReply(const Vsw__Envelope *env, const std::string &client, uint32_t pid,
                          uint64_t request_id)
    {
        ASSERT_NE(env, nullptr);
        EXPECT_EQ(env->version, static_cast<uint32_t>(IPC_VERSION));
        EXPECT_EQ(env->channel, VSW__CHANNEL__CHANNEL_DBD);
        EXPECT_EQ(env->type, kHello);
        EXPECT_EQ(env->request_id, request_id);
        EXPECT_TRUE(env->error == nullptr || env->error->code == VSW__ERROR_CODE__ERROR_NONE);
        Vsw__HelloReply *r =
            vsw__hello_reply__unpack(nullptr, env->payload.len, env->payload.data);
        ASSERT_NE(r, nullptr) << "reply payload does not parse as HelloReply";
        EXPECT_EQ(std::string(r->server), "echo:" + client);
        EXPECT_EQ(r->pid, pid);
        EXPECT_EQ(r->epoch, 42u);
        vsw__hello_reply__free_unpacked(r, nullptr);
    }

    struct ipc_server server_ {};
    struct ipc_counters counters_ {};
    HandlerCtx ctx_;
};

TEST_F(ServerProcess, ValidRequestGetsTheHandlersReply)
{
    EnvelopeSpec s;
    s.request_id = 0x1122334455667788ull;
    Vsw__Envelope *env = Process(PackEnvelope(s));
    ExpectHelloReply(env, "tester", 1234, 0x1122334455667788ull);
    vsw__envelope__free_unpacked(env, nullptr);
    EXPECT_EQ(ctx_.calls, 1);
    EXPECT_EQ(counters_.request_errors, 0u);
}

TEST_F(ServerProcess, HandlerRefusalIsAnErrorReplyWithTheRequestId)
{
    EnvelopeSpec s;
    s.payload = PackHello("refuse", 1);
    s.request_id = 99;
    Vsw__Envelope *env = Process(PackEnvelope(s));
    ExpectError(env, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT, "handler refusal");
    EXPECT_EQ(env->request_id, 99u);
    EXPECT_EQ(env->type, kHello);
    vsw__envelope__free_unpacked(env, nullptr);
    EXPECT_EQ(ctx_.calls, 1);
    EXPECT_EQ(counters_.request_errors, 1u);
}

struct BadFrame {
    const char *name;
    std::string frame;
    Vsw__ErrorCode code;
    bool echoes_request_id;  // the envelope parsed, so its request id comes back
};

std::vector<BadFrame> BadFrames()
{
    std::vector<BadFrame> v;
    EnvelopeSpec s;

    EnvelopeSpec version2 = s;
    version2.version = 2;
    v.push_back({ "version 2", PackEnvelope(version2), VSW__ERROR_CODE__ERROR_BAD_VERSION, true });
    EnvelopeSpec version0 = s;
    version0.version = 0;
    v.push_back({ "version 0", PackEnvelope(version0), VSW__ERROR_CODE__ERROR_BAD_VERSION, true });

    EnvelopeSpec flowd = s;
    flowd.channel = VSW__CHANNEL__CHANNEL_FLOWD;
    v.push_back({ "flowd channel", PackEnvelope(flowd), VSW__ERROR_CODE__ERROR_WRONG_CHANNEL,
                  true });
    EnvelopeSpec unspecified = s;
    unspecified.channel = VSW__CHANNEL__CHANNEL_UNSPECIFIED;
    v.push_back({ "no channel", PackEnvelope(unspecified), VSW__ERROR_CODE__ERROR_WRONG_CHANNEL,
                  true });
    EnvelopeSpec control = s;
    control.channel = VSW__CHANNEL__CHANNEL_CONTROL;
    control.type = kControlOnly;
    v.push_back({ "control channel", PackEnvelope(control), VSW__ERROR_CODE__ERROR_WRONG_CHANNEL,
                  true });

    EnvelopeSpec unknown = s;
    unknown.type = 9999;
    v.push_back({ "unknown type", PackEnvelope(unknown), VSW__ERROR_CODE__ERROR_UNKNOWN_TYPE,
                  true });
    EnvelopeSpec zero_type = s;
    zero_type.type = 0;
    v.push_back({ "type 0", PackEnvelope(zero_type), VSW__ERROR_CODE__ERROR_UNKNOWN_TYPE, true });
    EnvelopeSpec other_channels_type = s;
    other_channels_type.type = kControlOnly;
    v.push_back({ "type of another channel", PackEnvelope(other_channels_type),
                  VSW__ERROR_CODE__ERROR_UNKNOWN_TYPE, true });

    EnvelopeSpec truncated_payload = s;
    truncated_payload.payload = std::string("\x0a\x10" "abc", 5);  // string field cut short
    v.push_back({ "truncated payload", PackEnvelope(truncated_payload),
                  VSW__ERROR_CODE__ERROR_BAD_PAYLOAD, true });
    EnvelopeSpec wrong_wire_type = s;
    wrong_wire_type.payload = std::string("\x0d\x01\x02\x03\x04", 5);  // field 1 as fixed32
    v.push_back({ "payload with a wrong wire type", PackEnvelope(wrong_wire_type),
                  VSW__ERROR_CODE__ERROR_BAD_PAYLOAD, true });
    EnvelopeSpec garbage_payload = s;
    garbage_payload.payload = std::string(16, '\xff');
    v.push_back({ "garbage payload", PackEnvelope(garbage_payload),
                  VSW__ERROR_CODE__ERROR_BAD_PAYLOAD, true });

    v.push_back({ "garbage envelope", std::string(32, '\xff'), VSW__ERROR_CODE__ERROR_MALFORMED,
                  false });
    v.push_back({ "envelope with a wrong wire type", std::string("\x0a\x01\x01", 3),
                  VSW__ERROR_CODE__ERROR_MALFORMED, false });
    return v;
}

TEST_F(ServerProcess, EachBadFrameGetsItsErrorCode)
{
    uint64_t errors = 0;
    for (const BadFrame &bad : BadFrames()) {
        SCOPED_TRACE(bad.name);
        Vsw__Envelope *env = Process(bad.frame);
        ExpectError(env, bad.code, bad.name);
        if (env) {
            EXPECT_EQ(env->request_id, bad.echoes_request_id ? 7u : 0u);
        }
        vsw__envelope__free_unpacked(env, nullptr);
        EXPECT_EQ(counters_.request_errors, ++errors);
    }
    EXPECT_EQ(ctx_.calls, 0) << "a handler ran for a refused frame";
}

TEST_F(ServerProcess, OversizedFrameIsTooBig)
{
    // A valid envelope padded past the cap: the size check comes before any parsing.
    EnvelopeSpec s;
    s.payload = PackHello("tester", 1) + std::string(IPC_MAX_MESSAGE, '\0');
    std::string frame = PackEnvelope(s);
    ASSERT_GT(frame.size(), static_cast<size_t>(IPC_MAX_MESSAGE));
    Vsw__Envelope *env = Process(frame);
    ExpectError(env, VSW__ERROR_CODE__ERROR_TOO_BIG, "oversized");
    vsw__envelope__free_unpacked(env, nullptr);
    EXPECT_EQ(counters_.request_errors, 1u);
    EXPECT_EQ(ctx_.calls, 0);

    // Exactly at the cap is not "too big" (it is refused for what it contains instead).
    std::string at_cap(IPC_MAX_MESSAGE, '\xff');
    env = Process(at_cap);
    ExpectError(env, VSW__ERROR_CODE__ERROR_MALFORMED, "at the cap");
    vsw__envelope__free_unpacked(env, nullptr);
    EXPECT_EQ(counters_.request_errors, 2u);
}

TEST_F(ServerProcess, RandomBytesAreRefusedNeverHandled)
{
    const Vsw__ErrorCode refusals[] = {
        VSW__ERROR_CODE__ERROR_MALFORMED,     VSW__ERROR_CODE__ERROR_BAD_VERSION,
        VSW__ERROR_CODE__ERROR_WRONG_CHANNEL, VSW__ERROR_CODE__ERROR_UNKNOWN_TYPE,
        VSW__ERROR_CODE__ERROR_BAD_PAYLOAD,
    };
    uint64_t errors = 0;
    for (uint32_t seed : { 1u, 2u, 3u, 17u, 4242u, 0xdeadbeefu }) {
        std::mt19937 rng(seed);
        for (int i = 0; i < 200; i++) {
            size_t len = 1 + rng() % (i < 100 ? 16 : 2048);
            std::string frame(len, '\0');
            for (char &c : frame)
                c = static_cast<char>(rng());
            Vsw__Envelope *env = Process(frame);
            ASSERT_NE(env, nullptr) << "seed " << seed << " frame " << i;
            ASSERT_NE(env->error, nullptr) << "seed " << seed << " frame " << i;
            bool known = false;
            for (Vsw__ErrorCode code : refusals)
                known = known || env->error->code == code;
            EXPECT_TRUE(known) << "seed " << seed << " frame " << i << ": "
                               << ipc_error_code_name(env->error->code);
            EXPECT_GT(strlen(env->error->message), 0u);
            vsw__envelope__free_unpacked(env, nullptr);
            ASSERT_EQ(counters_.request_errors, ++errors);
        }
    }
    EXPECT_EQ(ctx_.calls, 0);
}

TEST_F(ServerProcess, EveryPrefixOfAValidFrameGetsAWellFormedReply)
{
    EnvelopeSpec s;
    s.request_id = 300;  // two-byte varint
    std::string frame = PackEnvelope(s);
    ASSERT_GT(frame.size(), 10u);
    int answered = 0, refused = 0;
    for (size_t n = 0; n <= frame.size(); n++) {
        SCOPED_TRACE("prefix of " + std::to_string(n) + " bytes");
        uint64_t errors_before = counters_.request_errors;
        int calls_before = ctx_.calls;
        // A heap copy of exactly n bytes, so that reading past it would be caught by tools.
        std::vector<uint8_t> prefix(frame.begin(), frame.begin() + n);
        Vsw__Envelope *env = Process(prefix.data(), n);
        ASSERT_NE(env, nullptr);
        EXPECT_EQ(env->version, static_cast<uint32_t>(IPC_VERSION));
        EXPECT_EQ(env->channel, VSW__CHANNEL__CHANNEL_DBD);
        if (env->error && env->error->code != VSW__ERROR_CODE__ERROR_NONE) {
            refused++;
            EXPECT_GT(strlen(env->error->message), 0u);
            EXPECT_EQ(counters_.request_errors, errors_before + 1);
            EXPECT_EQ(ctx_.calls, calls_before);
        } else {
            // The prefix still parses (it ends between fields): the handler answered it.
            answered++;
            EXPECT_EQ(counters_.request_errors, errors_before);
            EXPECT_EQ(ctx_.calls, calls_before + 1);
            Vsw__HelloReply *r =
                vsw__hello_reply__unpack(nullptr, env->payload.len, env->payload.data);
            EXPECT_NE(r, nullptr);
            if (r)
                vsw__hello_reply__free_unpacked(r, nullptr);
        }
        vsw__envelope__free_unpacked(env, nullptr);
    }
    // The whole frame and the prefix without its payload are answered; the empty frame and
    // any cut inside a field are refused.
    EXPECT_GE(answered, 2);
    EXPECT_GE(refused, static_cast<int>(frame.size()) - 8);
}

TEST_F(ServerProcess, WorksWithoutCounters)
{
    server_.counters = nullptr;
    Vsw__Envelope *env = Process(std::string(8, '\xff'));
    ExpectError(env, VSW__ERROR_CODE__ERROR_MALFORMED, "no counters");
    vsw__envelope__free_unpacked(env, nullptr);
}

TEST(IpcErrors, CodeNamesCoverEveryCode)
{
    EXPECT_STREQ(ipc_error_code_name(VSW__ERROR_CODE__ERROR_NONE), "none");
    EXPECT_STREQ(ipc_error_code_name(VSW__ERROR_CODE__ERROR_TOO_BIG), "too-big");
    EXPECT_STREQ(ipc_error_code_name(VSW__ERROR_CODE__ERROR_UNAVAILABLE), "unavailable");
    for (unsigned i = 0; i < vsw__error_code__descriptor.n_values; i++) {
        auto code = static_cast<Vsw__ErrorCode>(vsw__error_code__descriptor.values[i].value);
        EXPECT_STRNE(ipc_error_code_name(code), "unknown-error") << "code " << code;
    }
    EXPECT_STREQ(ipc_error_code_name(static_cast<Vsw__ErrorCode>(1000)), "unknown-error");
    EXPECT_STREQ(ipc_error_code_name(static_cast<Vsw__ErrorCode>(-1)), "unknown-error");
}

TEST(IpcAddress, RefusesWhatDoesNotFit)
{
    char buf[32];
    EXPECT_EQ(ipc_address(buf, sizeof buf, "/run/vsw", "dbd.sock"), 0);
    EXPECT_STREQ(buf, "ipc:///run/vsw/dbd.sock");
    EXPECT_EQ(ipc_address(buf, sizeof buf, "/run/vsw/a/very/long/dir", "dbd.sock"), -1);
    // Exactly filling the buffer, terminator included, fits; one more byte does not.
    char exact[sizeof "ipc:///r/abc"];
    EXPECT_EQ(ipc_address(exact, sizeof exact, "/r", "abc"), 0);
    EXPECT_EQ(ipc_address(exact, sizeof exact, "/r", "abcd"), -1);
}

// ---- Over real sockets ----

class TempDir {
  public:
    TempDir()
    {
        char tmpl[] = "/tmp/vsw-ipc-XXXXXX";
        if (mkdtemp(tmpl))
            path_ = tmpl;
    }
    ~TempDir()
    {
        if (!path_.empty())
            system(("rm -rf " + path_).c_str());
    }
    const char *c_str() const { return path_.c_str(); }
    bool ok() const { return !path_.empty(); }

  private:
    std::string path_;
};

// Serves `server` from a thread until destroyed, as a daemon's loop would.
class ServingThread {
  public:
    explicit ServingThread(struct ipc_server *server)
        : server_(server), thread_([this] { Run(); }) {}
    ~ServingThread()
    {
        stop_ = true;
        thread_.join();
    }

  private:
    void Run()
    {
        while (!stop_) {
            struct pollfd p = { server_->rcvfd, POLLIN, 0 };
            if (poll(&p, 1, 20) > 0)
                ipc_server_receive(server_);
        }
    }
    struct ipc_server *server_;
    std::atomic<bool> stop_{ false };
    std::thread thread_;
};

class IpcSockets : public ::testing::Test {
  protected:
    void SetUp() override
    {
        ASSERT_TRUE(dir_.ok());
        ASSERT_EQ(ipc_server_open(&server_, dir_.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_DBD,
                                  kRoutes, kNRoutes, &ctx_, &counters_),
                  0);
        std::string path = std::string(dir_.c_str()) + "/test.sock";
        EXPECT_EQ(access(path.c_str(), F_OK), 0) << "no socket file at " << path;
    }
    void TearDown() override { ipc_server_close(&server_); }

    TempDir dir_;
    struct ipc_server server_ {};
    struct ipc_counters counters_ {};
    HandlerCtx ctx_;
};

TEST_F(IpcSockets, CallGetsTheReply)
{
    struct ipc_client client;
    ASSERT_EQ(ipc_client_open(&client, dir_.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_DBD, 2000),
              0);
    {
        ServingThread serving(&server_);
        for (uint32_t i = 1; i <= 3; i++) {
            Vsw__Hello hello = VSW__HELLO__INIT;
            hello.client = const_cast<char *>("roundtrip");
            hello.pid = 100 + i;
            ProtobufCMessage *reply = nullptr;
            struct ipc_error err;
            ASSERT_EQ(ipc_call(&client, kHello, &hello.base, &vsw__hello_reply__descriptor, &reply,
                               &err),
                      0)
                << ipc_error_code_name(err.code) << ": " << err.message;
            ASSERT_NE(reply, nullptr);
            auto *r = reinterpret_cast<Vsw__HelloReply *>(reply);
            EXPECT_STREQ(r->server, "echo:roundtrip");
            EXPECT_EQ(r->pid, 100 + i);
            EXPECT_EQ(err.code, VSW__ERROR_CODE__ERROR_NONE);
            protobuf_c_message_free_unpacked(reply, nullptr);
        }

        // A handler's refusal reaches the caller with its code and message.
        Vsw__Hello hello = VSW__HELLO__INIT;
        hello.client = const_cast<char *>("refuse");
        ProtobufCMessage *reply = nullptr;
        struct ipc_error err;
        EXPECT_EQ(ipc_call(&client, kHello, &hello.base, &vsw__hello_reply__descriptor, &reply,
                           &err),
                  -1);
        EXPECT_EQ(reply, nullptr);
        EXPECT_EQ(err.code, VSW__ERROR_CODE__ERROR_INVALID_ARGUMENT);
        EXPECT_NE(std::string(err.message).find("refuse"), std::string::npos) << err.message;

        // An unknown type is refused by the server, not timed out.
        EXPECT_EQ(ipc_call(&client, 555, &hello.base, &vsw__hello_reply__descriptor, &reply,
                           &err),
                  -1);
        EXPECT_EQ(err.code, VSW__ERROR_CODE__ERROR_UNKNOWN_TYPE);
    }
    ipc_client_close(&client);
    EXPECT_EQ(counters_.requests, 5u);
    EXPECT_EQ(counters_.request_errors, 2u);
    EXPECT_EQ(ctx_.calls, 4);
}

TEST_F(IpcSockets, ClientOfAnotherChannelIsRefused)
{
    struct ipc_client client;
    ASSERT_EQ(ipc_client_open(&client, dir_.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_FLOWD,
                              2000),
              0);
    ServingThread serving(&server_);
    Vsw__Hello hello = VSW__HELLO__INIT;
    hello.client = const_cast<char *>("lost");
    ProtobufCMessage *reply = nullptr;
    struct ipc_error err;
    EXPECT_EQ(ipc_call(&client, kHello, &hello.base, &vsw__hello_reply__descriptor, &reply, &err),
              -1);
    EXPECT_EQ(err.code, VSW__ERROR_CODE__ERROR_WRONG_CHANNEL) << err.message;
    EXPECT_EQ(ctx_.calls, 0);
    ipc_client_close(&client);
}

TEST_F(IpcSockets, ReplyOfTheWrongMessageTypeIsBadPayload)
{
    struct ipc_client client;
    ASSERT_EQ(ipc_client_open(&client, dir_.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_DBD, 2000),
              0);
    ServingThread serving(&server_);
    Vsw__Hello hello = VSW__HELLO__INIT;
    hello.client = const_cast<char *>("x");
    ProtobufCMessage *reply = nullptr;
    struct ipc_error err;
    // The server answers a HelloReply, whose field 1 is a string where DbdHeartbeat has a
    // varint: the caller expecting a DbdHeartbeat cannot parse it.
    EXPECT_EQ(ipc_call(&client, kHello, &hello.base, &vsw__dbd_heartbeat__descriptor, &reply,
                       &err),
              -1);
    EXPECT_EQ(reply, nullptr);
    EXPECT_EQ(err.code, VSW__ERROR_CODE__ERROR_BAD_PAYLOAD) << err.message;
    ipc_client_close(&client);
}

TEST_F(IpcSockets, OversizedRequestIsRefusedOverTheWire)
{
    struct ipc_client client;
    ASSERT_EQ(ipc_client_open(&client, dir_.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_DBD, 5000),
              0);
    ServingThread serving(&server_);
    // Between vsw's cap and the transport's: nanomsg delivers it, the server refuses it.
    std::string big(IPC_MAX_MESSAGE + 1000, 'b');
    Vsw__Hello hello = VSW__HELLO__INIT;
    hello.client = &big[0];
    ProtobufCMessage *reply = nullptr;
    struct ipc_error err;
    EXPECT_EQ(ipc_call(&client, kHello, &hello.base, &vsw__hello_reply__descriptor, &reply, &err),
              -1);
    EXPECT_EQ(err.code, VSW__ERROR_CODE__ERROR_TOO_BIG) << err.message;
    EXPECT_EQ(ctx_.calls, 0);

    // The connection still works afterwards.
    hello.client = const_cast<char *>("small");
    ASSERT_EQ(ipc_call(&client, kHello, &hello.base, &vsw__hello_reply__descriptor, &reply, &err),
              0)
        << err.message;
    protobuf_c_message_free_unpacked(reply, nullptr);
    ipc_client_close(&client);
}

TEST_F(IpcSockets, ManyClientsEachGetTheirOwnReplies)
{
    constexpr int kClients = 4, kCalls = 25;
    std::atomic<int> good{ 0 };
    {
        ServingThread serving(&server_);
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; c++) {
            clients.emplace_back([&, c] {
                struct ipc_client client;
                if (ipc_client_open(&client, dir_.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_DBD,
                                    3000) < 0)
                    return;
                std::string name = "client" + std::to_string(c);
                for (int i = 0; i < kCalls; i++) {
                    Vsw__Hello hello = VSW__HELLO__INIT;
                    hello.client = &name[0];
                    hello.pid = static_cast<uint32_t>(c * 1000 + i);
                    ProtobufCMessage *reply = nullptr;
                    struct ipc_error err;
                    if (ipc_call(&client, kHello, &hello.base, &vsw__hello_reply__descriptor,
                                 &reply, &err) < 0)
                        continue;
                    auto *r = reinterpret_cast<Vsw__HelloReply *>(reply);
                    if (std::string(r->server) == "echo:" + name && r->pid == hello.pid)
                        good++;
                    protobuf_c_message_free_unpacked(reply, nullptr);
                }
                ipc_client_close(&client);
            });
        }
        for (std::thread &t : clients)
            t.join();
    }
    EXPECT_EQ(good.load(), kClients * kCalls);
    EXPECT_EQ(counters_.requests, static_cast<uint64_t>(kClients * kCalls));
    EXPECT_EQ(counters_.request_errors, 0u);
}

TEST_F(IpcSockets, SecondServerOnTheSamePathIsRefused)
{
    struct ipc_server second;
    struct ipc_counters counters = {};
    EXPECT_EQ(ipc_server_open(&second, dir_.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_DBD,
                              kRoutes, kNRoutes, &ctx_, &counters),
              -1);
    EXPECT_EQ(second.sock, -1);
    ipc_server_close(&second);  // harmless on a server that did not open
    std::string path = std::string(dir_.c_str()) + "/test.sock";
    EXPECT_EQ(access(path.c_str(), F_OK), 0) << "the failed server removed the live socket";

    // The first server still answers.
    struct ipc_client client;
    ASSERT_EQ(ipc_client_open(&client, dir_.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_DBD, 2000),
              0);
    ServingThread serving(&server_);
    Vsw__Hello hello = VSW__HELLO__INIT;
    hello.client = const_cast<char *>("still");
    ProtobufCMessage *reply = nullptr;
    struct ipc_error err;
    EXPECT_EQ(ipc_call(&client, kHello, &hello.base, &vsw__hello_reply__descriptor, &reply, &err),
              0)
        << err.message;
    if (reply)
        protobuf_c_message_free_unpacked(reply, nullptr);
    ipc_client_close(&client);
}

TEST(IpcServer, StaleSocketFileOfADeadServerIsReplaced)
{
    // A daemon killed by SIGKILL leaves its socket file behind; its successor must bind.
    TempDir dir;
    ASSERT_TRUE(dir.ok());
    struct ipc_counters counters = {};
    HandlerCtx ctx;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        struct ipc_server dead;
        _exit(ipc_server_open(&dead, dir.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_DBD, kRoutes,
                              kNRoutes, &ctx, &counters) == 0
                  ? 0
                  : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    std::string path = std::string(dir.c_str()) + "/test.sock";
    ASSERT_EQ(access(path.c_str(), F_OK), 0) << "the dead server left no socket file";

    struct ipc_server server;
    ASSERT_EQ(ipc_server_open(&server, dir.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_DBD, kRoutes,
                              kNRoutes, &ctx, &counters),
              0);
    struct ipc_client client;
    ASSERT_EQ(ipc_client_open(&client, dir.c_str(), "test.sock", VSW__CHANNEL__CHANNEL_DBD, 2000),
              0);
    {
        ServingThread serving(&server);
        Vsw__Hello hello = VSW__HELLO__INIT;
        hello.client = const_cast<char *>("successor");
        ProtobufCMessage *reply = nullptr;
        struct ipc_error err;
        EXPECT_EQ(ipc_call(&client, kHello, &hello.base, &vsw__hello_reply__descriptor, &reply,
                           &err),
                  0)
            << err.message;
        if (reply)
            protobuf_c_message_free_unpacked(reply, nullptr);
    }
    ipc_client_close(&client);
    ipc_server_close(&server);
    EXPECT_NE(access(path.c_str(), F_OK), 0) << "close left the socket file";
}

TEST(IpcServer, PathsTooLongAreRefused)
{
    std::string long_dir = "/tmp/" + std::string(IPC_ADDRESS_MAX, 'd');
    struct ipc_server server;
    struct ipc_counters counters = {};
    EXPECT_EQ(ipc_server_open(&server, long_dir.c_str(), "x.sock", VSW__CHANNEL__CHANNEL_DBD,
                              kRoutes, kNRoutes, nullptr, &counters),
              -1);
    ipc_server_close(&server);
    struct ipc_client client;
    EXPECT_EQ(ipc_client_open(&client, long_dir.c_str(), "x.sock", VSW__CHANNEL__CHANNEL_DBD, 100),
              -1);
    ipc_client_close(&client);
    struct ipc_publisher pub;
    EXPECT_EQ(ipc_publisher_open(&pub, long_dir.c_str(), "x", VSW__CHANNEL__CHANNEL_DBD,
                                 &counters),
              -1);
    ipc_publisher_close(&pub);
    struct ipc_subscriber sub;
    EXPECT_EQ(ipc_subscriber_open(&sub, long_dir.c_str(), "x", VSW__CHANNEL__CHANNEL_DBD), -1);
    ipc_subscriber_close(&sub);
    // Fits the address buffer but not a unix socket's 108-byte path.
    std::string mid_dir = "/tmp/" + std::string(120, 'm');
    EXPECT_EQ(ipc_server_open(&server, mid_dir.c_str(), "x.sock", VSW__CHANNEL__CHANNEL_DBD,
                              kRoutes, kNRoutes, nullptr, &counters),
              -1);
    ipc_server_close(&server);
}

TEST(IpcClient, NoServerIsUnavailableWithinTheTimeout)
{
    TempDir dir;
    ASSERT_TRUE(dir.ok());
    struct ipc_client client;
    const int timeout_ms = 300;
    ASSERT_EQ(ipc_client_open(&client, dir.c_str(), "nobody.sock", VSW__CHANNEL__CHANNEL_DBD,
                              timeout_ms),
              0);
    Vsw__Hello hello = VSW__HELLO__INIT;
    hello.client = const_cast<char *>("alone");
    ProtobufCMessage *reply = nullptr;
    struct ipc_error err;
    uint64_t start = loop_now_ms();
    EXPECT_EQ(ipc_call(&client, kHello, &hello.base, &vsw__hello_reply__descriptor, &reply, &err),
              -1);
    uint64_t elapsed = loop_now_ms() - start;
    EXPECT_EQ(reply, nullptr);
    EXPECT_EQ(err.code, VSW__ERROR_CODE__ERROR_UNAVAILABLE);
    EXPECT_GT(strlen(err.message), 0u);
    EXPECT_GE(elapsed, static_cast<uint64_t>(timeout_ms) - 20);
    EXPECT_LT(elapsed, static_cast<uint64_t>(timeout_ms) * 2 + 200);
    ipc_client_close(&client);
}

// ---- Notification streams ----

Vsw__Envelope Notification(uint64_t epoch, uint64_t seq)
{
    Vsw__Envelope env = VSW__ENVELOPE__INIT;
    env.version = IPC_VERSION;
    env.channel = VSW__CHANNEL__CHANNEL_DBD;
    env.type = kHeartbeat;
    env.epoch = epoch;
    env.seq = seq;
    return env;
}

class StreamTrack : public ::testing::Test {
  protected:
    void SetUp() override
    {
        sub_.sock = -1;
        sub_.channel = VSW__CHANNEL__CHANNEL_DBD;
        snprintf(sub_.address, sizeof sub_.address, "ipc:///nowhere/events");
    }
    enum ipc_stream_status Track(uint64_t epoch, uint64_t seq)
    {
        Vsw__Envelope env = Notification(epoch, seq);
        return ipc_subscriber_track(&sub_, &env);
    }
    struct ipc_subscriber sub_ {};
};

TEST_F(StreamTrack, FollowsTheSequenceAndResyncsOnGapsAndRestarts)
{
    struct Step {
        uint64_t epoch, seq;
        enum ipc_stream_status want;
        uint64_t resyncs;  // after the step
    };
    const Step steps[] = {
        { 10, 5, IPC_STREAM_RESYNC, 1 },     // first message: wherever the stream is
        { 10, 6, IPC_STREAM_IN_ORDER, 1 },
        { 10, 7, IPC_STREAM_IN_ORDER, 1 },
        { 10, 9, IPC_STREAM_RESYNC, 2 },     // 8 was lost
        { 10, 10, IPC_STREAM_IN_ORDER, 2 },
        { 10, 10, IPC_STREAM_RESYNC, 3 },    // a repeat is not the next message
        { 10, 11, IPC_STREAM_IN_ORDER, 3 },
        { 20, 12, IPC_STREAM_RESYNC, 4 },    // the publisher restarted, even at the right seq
        { 20, 13, IPC_STREAM_IN_ORDER, 4 },
        { 30, 1, IPC_STREAM_RESYNC, 5 },     // restarted again, from 1
        { 30, 2, IPC_STREAM_IN_ORDER, 5 },
    };
    for (const Step &s : steps) {
        SCOPED_TRACE("epoch " + std::to_string(s.epoch) + " seq " + std::to_string(s.seq));
        EXPECT_EQ(Track(s.epoch, s.seq), s.want);
        EXPECT_EQ(sub_.resyncs, s.resyncs);
        EXPECT_EQ(sub_.epoch, s.epoch);
        EXPECT_EQ(sub_.next_seq, s.seq + 1);
    }
}

TEST_F(StreamTrack, InvalidNotificationsAreDroppedWithoutMovingTheStream)
{
    ASSERT_EQ(Track(10, 1), IPC_STREAM_RESYNC);
    ASSERT_EQ(Track(10, 2), IPC_STREAM_IN_ORDER);

    Vsw__Envelope wrong_channel = Notification(10, 3);
    wrong_channel.channel = VSW__CHANNEL__CHANNEL_FLOWD;
    Vsw__Envelope wrong_version = Notification(10, 3);
    wrong_version.version = IPC_VERSION + 1;
    Vsw__Envelope no_version = Notification(10, 3);
    no_version.version = 0;
    Vsw__Envelope seq0 = Notification(10, 0);
    Vsw__Envelope seq0_new_epoch = Notification(99, 0);
    for (const Vsw__Envelope *env :
         { &wrong_channel, &wrong_version, &no_version, &seq0, &seq0_new_epoch }) {
        EXPECT_EQ(ipc_subscriber_track(&sub_, env), IPC_STREAM_INVALID);
        EXPECT_EQ(sub_.epoch, 10u);
        EXPECT_EQ(sub_.next_seq, 3u);
        EXPECT_EQ(sub_.resyncs, 1u);
    }
    EXPECT_EQ(Track(10, 3), IPC_STREAM_IN_ORDER);
}

TEST_F(StreamTrack, InvalidFirstMessageLeavesTheSubscriberUnsynced)
{
    Vsw__Envelope seq0 = Notification(10, 0);
    EXPECT_EQ(ipc_subscriber_track(&sub_, &seq0), IPC_STREAM_INVALID);
    EXPECT_EQ(sub_.epoch, 0u);
    EXPECT_EQ(sub_.resyncs, 0u);
    // Still the first message, so not "in order" even though nothing was seen.
    EXPECT_EQ(Track(10, 1), IPC_STREAM_RESYNC);
}

// Waits up to `ms` for something on `sub`; publishes `publish` (when set) every 20 ms meanwhile,
// since a SUB socket only hears what is published after it connected.
enum ipc_stream_status WaitNotification(struct ipc_subscriber *sub, Vsw__Envelope **env, int ms,
                                        struct ipc_publisher *publish = nullptr,
                                        uint64_t uptime = 0)
{
    uint64_t deadline = loop_now_ms() + static_cast<uint64_t>(ms);
    while (loop_now_ms() < deadline) {
        if (publish) {
            Vsw__DbdHeartbeat beat = VSW__DBD_HEARTBEAT__INIT;
            beat.uptime_ms = uptime;
            ipc_publish(publish, kHeartbeat, &beat.base);
        }
        struct pollfd p = { sub->rcvfd, POLLIN, 0 };
        poll(&p, 1, 20);
        enum ipc_stream_status status = ipc_subscriber_next(sub, env);
        if (status != IPC_STREAM_EMPTY)
            return status;
    }
    return IPC_STREAM_EMPTY;
}

TEST(Stream, PublishAndSubscribeOverNanomsg)
{
    TempDir dir;
    ASSERT_TRUE(dir.ok());
    struct ipc_counters counters = {};
    struct ipc_publisher pub;
    ASSERT_EQ(ipc_publisher_open(&pub, dir.c_str(), "events", VSW__CHANNEL__CHANNEL_DBD,
                                 &counters),
              0);
    EXPECT_NE(pub.epoch, 0u);
    struct ipc_subscriber sub;
    ASSERT_EQ(ipc_subscriber_open(&sub, dir.c_str(), "events", VSW__CHANNEL__CHANNEL_DBD), 0);

    Vsw__Envelope *env = nullptr;
    EXPECT_EQ(ipc_subscriber_next(&sub, &env), IPC_STREAM_EMPTY);
    EXPECT_EQ(env, nullptr);

    // The first notification heard is a resync, whatever its number.
    ASSERT_EQ(WaitNotification(&sub, &env, 5000, &pub, 111), IPC_STREAM_RESYNC);
    ASSERT_NE(env, nullptr);
    EXPECT_EQ(env->epoch, pub.epoch);
    EXPECT_EQ(env->type, kHeartbeat);
    EXPECT_EQ(env->channel, VSW__CHANNEL__CHANNEL_DBD);
    EXPECT_GE(env->seq, 1u);
    Vsw__DbdHeartbeat *beat =
        vsw__dbd_heartbeat__unpack(nullptr, env->payload.len, env->payload.data);
    ASSERT_NE(beat, nullptr);
    EXPECT_EQ(beat->uptime_ms, 111u);
    vsw__dbd_heartbeat__free_unpacked(beat, nullptr);
    vsw__envelope__free_unpacked(env, nullptr);

    // Drain whatever else the retry loop published; each is the next in order.
    while (WaitNotification(&sub, &env, 100) != IPC_STREAM_EMPTY) {
        EXPECT_EQ(sub.resyncs, 1u);
        vsw__envelope__free_unpacked(env, nullptr);
    }
    ASSERT_EQ(sub.next_seq, pub.seq + 1);

    // Once connected, each publish arrives next in order.
    for (uint64_t i = 0; i < 3; i++) {
        Vsw__DbdHeartbeat b = VSW__DBD_HEARTBEAT__INIT;
        b.uptime_ms = 500 + i;
        ASSERT_EQ(ipc_publish(&pub, kHeartbeat, &b.base), 0);
        ASSERT_EQ(WaitNotification(&sub, &env, 2000), IPC_STREAM_IN_ORDER);
        EXPECT_EQ(env->seq, pub.seq);
        vsw__envelope__free_unpacked(env, nullptr);
    }
    EXPECT_EQ(counters.notifications, pub.seq);

    // A message skipped by the publisher (as if lost) shows as a gap.
    uint64_t resyncs = sub.resyncs;
    pub.seq++;
    Vsw__DbdHeartbeat b = VSW__DBD_HEARTBEAT__INIT;
    ASSERT_EQ(ipc_publish(&pub, kHeartbeat, &b.base), 0);
    ASSERT_EQ(WaitNotification(&sub, &env, 2000), IPC_STREAM_RESYNC);
    vsw__envelope__free_unpacked(env, nullptr);
    EXPECT_EQ(sub.resyncs, resyncs + 1);

    // A frame that is no envelope is dropped as invalid; the stream goes on.
    const char garbage[] = "\xff\xff\xff\xff";
    ASSERT_GE(nn_send(pub.sock, garbage, 4, 0), 0);
    EXPECT_EQ(WaitNotification(&sub, &env, 2000), IPC_STREAM_INVALID);
    EXPECT_EQ(env, nullptr);
    ASSERT_EQ(ipc_publish(&pub, kHeartbeat, &b.base), 0);
    ASSERT_EQ(WaitNotification(&sub, &env, 2000), IPC_STREAM_IN_ORDER);
    vsw__envelope__free_unpacked(env, nullptr);

    // A valid notification over vsw's size cap is dropped as invalid too.
    Vsw__Envelope big_env = Notification(pub.epoch, pub.seq + 1);
    std::string big(IPC_MAX_MESSAGE, 'x');
    big_env.payload.data = reinterpret_cast<uint8_t *>(&big[0]);
    big_env.payload.len = big.size();
    uint8_t *big_frame = nullptr;
    size_t big_len = ipc_frame_pack(&big_env, &big_frame);
    ASSERT_GT(big_len, static_cast<size_t>(IPC_MAX_MESSAGE));
    ASSERT_EQ(nn_send(pub.sock, big_frame, big_len, 0), static_cast<int>(big_len));
    free(big_frame);
    EXPECT_EQ(WaitNotification(&sub, &env, 3000), IPC_STREAM_INVALID);
    EXPECT_EQ(env, nullptr);

    // A restarted publisher (new epoch, seq from 1) forces a resync.
    uint64_t old_epoch = pub.epoch;
    ipc_publisher_close(&pub);
    ASSERT_EQ(ipc_publisher_open(&pub, dir.c_str(), "events", VSW__CHANNEL__CHANNEL_DBD,
                                 &counters),
              0);
    EXPECT_NE(pub.epoch, old_epoch);
    ASSERT_EQ(WaitNotification(&sub, &env, 5000, &pub, 1), IPC_STREAM_RESYNC);
    EXPECT_EQ(env->epoch, pub.epoch);
    vsw__envelope__free_unpacked(env, nullptr);
    EXPECT_EQ(sub.epoch, pub.epoch);

    ipc_subscriber_close(&sub);
    ipc_publisher_close(&pub);
}

}  // namespace
