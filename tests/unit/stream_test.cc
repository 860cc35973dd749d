// stream/: target parsing, the reconnection state machine with a fake clock, and real streams
// over loopback TCP, Unix sockets and TLS with certificates made by `openssl` (tests/pki.sh).
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

extern "C" {
#include "stream/address.h"
#include "stream/reconnect.h"
#include "stream/stream.h"
#include "stream/tls.h"
}

namespace {

std::string Parse(const std::string &target, uint16_t port = 6640, const char *base = nullptr)
{
    struct stream_address a;
    char error[STREAM_ERROR_SIZE];
    if (stream_address_parse(target.c_str(), port, base, &a, error) < 0)
        return std::string("ERROR: ") + error;
    char where[128];
    stream_address_format(&a, where, sizeof where);
    return std::string(stream_address_kind_name(&a)) + " " + where;
}

TEST(StreamAddress, ActiveTargets)
{
    EXPECT_EQ(Parse("tcp:127.0.0.1:6641"), "tcp 127.0.0.1:6641");
    EXPECT_EQ(Parse("tcp:127.0.0.1"), "tcp 127.0.0.1:6640");
    EXPECT_EQ(Parse("ssl:127.0.0.2:6632"), "ssl 127.0.0.2:6632");
    EXPECT_EQ(Parse("ssl:[::1]:6632"), "ssl [::1]:6632");
    EXPECT_EQ(Parse("tcp:[::1]"), "tcp [::1]:6640");
    EXPECT_EQ(Parse("tcp:127.0.0.1", 6653), "tcp 127.0.0.1:6653");
    EXPECT_EQ(Parse("unix:/run/vsw/db.sock"), "unix /run/vsw/db.sock");
    EXPECT_EQ(Parse("unix:db.sock", 0, "/tmp/x"), "unix /tmp/x/db.sock");
}

TEST(StreamAddress, PassiveTargets)
{
    EXPECT_EQ(Parse("ptcp:6640"), "ptcp 0.0.0.0:6640");
    EXPECT_EQ(Parse("ptcp:6640:127.0.0.1"), "ptcp 127.0.0.1:6640");
    EXPECT_EQ(Parse("ptcp:"), "ptcp 0.0.0.0:6640");
    EXPECT_EQ(Parse("ptcp::127.0.0.3"), "ptcp 127.0.0.3:6640");
    EXPECT_EQ(Parse("ptcp:0:127.0.0.1"), "ptcp 127.0.0.1:0");
    EXPECT_EQ(Parse("pssl:6640:[::1]"), "pssl [::1]:6640");
    EXPECT_EQ(Parse("pssl:6640:::1"), "pssl [::1]:6640");
    EXPECT_EQ(Parse("punix:/tmp/x.sock"), "punix /tmp/x.sock");
}

TEST(StreamAddress, RefusesWithAReason)
{
    EXPECT_EQ(Parse("tcp:"), "ERROR: tcp:: an IP address is required");
    EXPECT_EQ(Parse("tcp:example.com:6640"),
              "ERROR: tcp:example.com:6640: example.com is not an IP address (host names are "
              "not resolved)");
    EXPECT_EQ(Parse("tcp:127.0.0.1:0"),
              "ERROR: tcp:127.0.0.1:0: 0 is not a port number (1 to 65535)");
    EXPECT_EQ(Parse("tcp:127.0.0.1:65536"),
              "ERROR: tcp:127.0.0.1:65536: 65536 is not a port number (1 to 65535)");
    EXPECT_EQ(Parse("tcp:127.0.0.1:66x"),
              "ERROR: tcp:127.0.0.1:66x: 66x is not a port number (1 to 65535)");
    EXPECT_EQ(Parse("tcp:::1:6640"),
              "ERROR: tcp:::1:6640: malformed address (write IPv6 addresses as [IP]:PORT)");
    EXPECT_EQ(Parse("tcp:[::1"),
              "ERROR: tcp:[::1: malformed address (write IPv6 addresses as [IP]:PORT)");
    EXPECT_EQ(Parse("tcp:10.0.0.300"),
              "ERROR: tcp:10.0.0.300: 10.0.0.300 is not an IP address (host names are not "
              "resolved)");
    EXPECT_EQ(Parse("ptcp:x"), "ERROR: ptcp:x: x is not a port number (0 to 65535)");
    EXPECT_EQ(Parse("unix:"), "ERROR: unix:: a socket path is required");
    EXPECT_EQ(Parse("punix:relative"), "ERROR: punix:relative: relative is not an absolute path");
    EXPECT_EQ(Parse("unix:/" + std::string(200, 'a')).substr(0, 7), "ERROR: ");
    EXPECT_EQ(Parse("http://127.0.0.1"),
              "ERROR: http://127.0.0.1: unknown connection method (expected tcp:, ssl:, unix:, "
              "ptcp:, pssl: or punix:)");
    EXPECT_EQ(Parse("tcp:" + std::string(500, '1')).substr(0, 7), "ERROR: ");
}

// ---- reconnect ----

TEST(Reconnect, BacksOffDoublingUpToTheMaximum)
{
    struct reconnect r;
    reconnect_init(&r, false, 0);
    EXPECT_EQ(reconnect_run(&r, 0), RECONNECT_NONE);   // not enabled
    reconnect_enable(&r, 0);
    EXPECT_EQ(reconnect_run(&r, 0), RECONNECT_CONNECT);
    uint64_t now = 0;
    unsigned expected[] = { 1000, 2000, 4000, 8000, 8000 };
    for (unsigned wait : expected) {
        reconnect_connecting(&r, now);
        reconnect_connect_failed(&r, now, ECONNREFUSED);
        EXPECT_STREQ(reconnect_state_name(r.state), "BACKOFF");
        EXPECT_EQ(reconnect_run(&r, now + wait - 1), RECONNECT_NONE);
        EXPECT_EQ(reconnect_run(&r, now + wait), RECONNECT_CONNECT);
        now += wait;
    }
    EXPECT_EQ(r.last_error, ECONNREFUSED);
    EXPECT_EQ(r.n_attempts, 5u);
}

TEST(Reconnect, MaxBackoffIsHonoured)
{
    struct reconnect r;
    reconnect_init(&r, false, 0);
    reconnect_set_max_backoff(&r, 3000);
    reconnect_enable(&r, 0);
    uint64_t now = 0;
    for (unsigned wait : { 1000u, 2000u, 3000u, 3000u }) {
        reconnect_connecting(&r, now);
        reconnect_connect_failed(&r, now, ETIMEDOUT);
        EXPECT_EQ(reconnect_deadline(&r), now + wait);
        now += wait;
    }
}

TEST(Reconnect, ProbesAnIdlePeerAndDropsASilentOne)
{
    struct reconnect r;
    reconnect_init(&r, false, 0);
    reconnect_set_probe_interval(&r, 5000);
    reconnect_enable(&r, 0);
    reconnect_connecting(&r, 0);
    reconnect_connected(&r, 10);
    EXPECT_TRUE(reconnect_is_connected(&r));
    reconnect_activity(&r, 3000);
    EXPECT_EQ(reconnect_run(&r, 7999), RECONNECT_NONE);
    EXPECT_EQ(reconnect_run(&r, 8000), RECONNECT_PROBE);
    EXPECT_STREQ(reconnect_state_name(r.state), "IDLE");
    reconnect_activity(&r, 9000);   // the echo reply
    EXPECT_STREQ(reconnect_state_name(r.state), "ACTIVE");
    EXPECT_EQ(reconnect_run(&r, 14000), RECONNECT_PROBE);
    EXPECT_EQ(reconnect_run(&r, 18999), RECONNECT_NONE);
    EXPECT_EQ(reconnect_run(&r, 19000), RECONNECT_DISCONNECT);
    reconnect_disconnected(&r, 19000, ETIMEDOUT);
    // It was alive for longer than the backoff: the next attempt comes after the minimum.
    EXPECT_EQ(reconnect_deadline(&r), 20000u);
}

TEST(Reconnect, NoProbesWhenDisabledAndPassiveNeverReconnects)
{
    struct reconnect r;
    reconnect_init(&r, true, 100);
    reconnect_set_probe_interval(&r, 0);
    EXPECT_TRUE(reconnect_is_connected(&r));
    EXPECT_EQ(reconnect_deadline(&r), UINT64_MAX);
    reconnect_disconnected(&r, 200, 0);
    EXPECT_STREQ(reconnect_state_name(r.state), "VOID");
    EXPECT_EQ(reconnect_run(&r, 100000), RECONNECT_NONE);
    reconnect_set_probe_interval(&r, 10);
    EXPECT_EQ(r.probe_interval_ms, 1000u);   // a floor, as Open vSwitch has
}

// ---- real streams ----

class StreamTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite()
    {
        signal(SIGPIPE, SIG_IGN);
        char dir[] = "/tmp/vsw-stream-test-XXXXXX";
        ASSERT_NE(mkdtemp(dir), nullptr);
        dir_ = dir;
        std::string script = std::string(getenv("TEST_SRCDIR")) + "/" +
                             getenv("TEST_WORKSPACE") + "/tests/pki.sh";
        ASSERT_EQ(system((script + " " + dir_ + " server client >/dev/null 2>&1").c_str()), 0);
    }
    static void TearDownTestSuite() { (void)!system(("rm -rf " + dir_).c_str()); }

    static std::string Pem(const std::string &name)
    {
        std::ifstream in(dir_ + "/" + name);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    // A context with NAME.key/NAME.pem, trusting `ca` ("" for none: bootstrap).
    static struct tls_context *Context(const std::string &name, const std::string &ca,
                                       bool bootstrap = false)
    {
        std::string key = Pem(name + ".key"), cert = Pem(name + ".pem"), ca_pem;
        if (!ca.empty())
            ca_pem = Pem(ca);
        struct tls_config config = { key.c_str(), cert.c_str(),
                                     ca.empty() ? nullptr : ca_pem.c_str(), bootstrap };
        char error[STREAM_ERROR_SIZE];
        struct tls_context *tls = tls_context_create(&config, error);
        EXPECT_NE(tls, nullptr) << error;
        return tls;
    }

    // Connects a client to `listener` and drives both ends until neither is in progress.
    // Returns the client's result; *server_result the server's.
    static int Handshake(struct pstream *listener, const std::string &target,
                         struct tls_context *client_tls, struct stream **client,
                         struct stream **server, int *server_result)
    {
        struct stream_address a;
        char error[STREAM_ERROR_SIZE];
        EXPECT_EQ(stream_address_parse(target.c_str(), 0, nullptr, &a, error), 0) << error;
        EXPECT_EQ(stream_open(&a, client_tls, client, error), 0) << error;
        *server = nullptr;
        int crc = EAGAIN, src = EAGAIN;
        for (int i = 0; i < 2000 && (crc == EAGAIN || src == EAGAIN); i++) {
            if (!*server) {
                int rc = pstream_accept(listener, server);
                EXPECT_TRUE(rc == 0 || rc == EAGAIN) << strerror(rc);
            }
            if (crc == EAGAIN)
                crc = stream_connect(*client);
            if (*server && src == EAGAIN)
                src = stream_connect(*server);
            struct pollfd pfd[2] = { { stream_fd(*client), stream_poll_events(*client, false),
                                       0 },
                                     { *server ? stream_fd(*server) : pstream_fd(listener),
                                       *server ? stream_poll_events(*server, false)
                                               : (short)POLLIN,
                                       0 } };
            poll(pfd, 2, 10);
        }
        *server_result = src;
        return crc;
    }

    static std::string Exchange(struct stream *from, struct stream *to, const std::string &msg)
    {
        size_t sent = 0;
        std::string got;
        for (int i = 0; i < 2000 && got.size() < msg.size(); i++) {
            if (sent < msg.size()) {
                ssize_t n = stream_send(from, msg.data() + sent, msg.size() - sent);
                if (n > 0)
                    sent += (size_t)n;
            }
            char buf[65536];
            ssize_t n = stream_recv(to, buf, sizeof buf);
            if (n > 0)
                got.append(buf, (size_t)n);
            else if (n == 0)
                break;
            struct pollfd pfd[2] = { { stream_fd(from), stream_poll_events(from, true), 0 },
                                     { stream_fd(to), stream_poll_events(to, false), 0 } };
            poll(pfd, 2, 10);
        }
        return got;
    }

    static std::string Listen(const std::string &target, struct tls_context *tls,
                              struct pstream **listener)
    {
        struct stream_address a;
        char error[STREAM_ERROR_SIZE];
        EXPECT_EQ(stream_address_parse(target.c_str(), 0, nullptr, &a, error), 0) << error;
        EXPECT_EQ(pstream_open(&a, tls, listener, error), 0) << error;
        return std::to_string(pstream_port(*listener));
    }

    static std::string dir_;
};

std::string StreamTest::dir_;

TEST_F(StreamTest, PlainTcpBothWaysOnAChosenPort)
{
    struct pstream *listener;
    std::string port = Listen("ptcp:0:127.0.0.1", nullptr, &listener);
    EXPECT_NE(port, "0");
    struct stream *client, *server;
    int src;
    EXPECT_EQ(Handshake(listener, "tcp:127.0.0.1:" + port, nullptr, &client, &server, &src), 0);
    EXPECT_EQ(src, 0);
    std::string big(300000, 'x');
    EXPECT_EQ(Exchange(client, server, big), big);
    EXPECT_EQ(Exchange(server, client, "pong"), "pong");
    EXPECT_EQ(std::string(stream_peer_name(server)).rfind("127.0.0.1:", 0), 0u);
    stream_close(client);
    char buf[16];
    for (int i = 0; i < 100 && stream_recv(server, buf, sizeof buf) != 0; i++)
        usleep(1000);
    EXPECT_EQ(stream_recv(server, buf, sizeof buf), 0);   // end of stream
    stream_close(server);
    pstream_close(listener);
}

TEST_F(StreamTest, UnixSocketReplacesAStaleFileAndRemovesItsOwn)
{
    std::string path = dir_ + "/test.sock";
    struct pstream *listener;
    Listen("punix:" + path, nullptr, &listener);
    pstream_close(listener);
    EXPECT_NE(access(path.c_str(), F_OK), 0);
    Listen("punix:" + path, nullptr, &listener);
    struct pstream *again;   // the file of a listener that died: replaced
    Listen("punix:" + path, nullptr, &again);
    struct stream *client, *server;
    int src;
    EXPECT_EQ(Handshake(again, "unix:" + path, nullptr, &client, &server, &src), 0);
    EXPECT_EQ(Exchange(client, server, "hello"), "hello");
    stream_close(client);
    stream_close(server);
    pstream_close(again);
    pstream_close(listener);
}

TEST_F(StreamTest, TcpConnectionRefusedIsReported)
{
    struct pstream *listener;
    std::string port = Listen("ptcp:0:127.0.0.1", nullptr, &listener);
    pstream_close(listener);   // nothing listens there any more
    struct stream_address a;
    char error[STREAM_ERROR_SIZE];
    ASSERT_EQ(stream_address_parse(("tcp:127.0.0.1:" + port).c_str(), 0, nullptr, &a, error), 0);
    struct stream *client;
    ASSERT_EQ(stream_open(&a, nullptr, &client, error), 0);
    int rc = EAGAIN;
    for (int i = 0; i < 1000 && rc == EAGAIN; i++) {
        struct pollfd pfd = { stream_fd(client), stream_poll_events(client, false), 0 };
        poll(&pfd, 1, 10);
        rc = stream_connect(client);
    }
    EXPECT_EQ(rc, ECONNREFUSED);
    EXPECT_STREQ(stream_error(client), "connect: Connection refused");
    stream_close(client);
}

TEST_F(StreamTest, TlsMutualAuthentication)
{
    struct tls_context *server_tls = Context("server", "ca.pem");
    struct tls_context *client_tls = Context("client", "ca.pem");
    struct pstream *listener;
    std::string port = Listen("pssl:0:127.0.0.1", server_tls, &listener);
    tls_context_unref(server_tls);   // the listener holds its own reference
    struct stream *client, *server;
    int src;
    ASSERT_EQ(Handshake(listener, "ssl:127.0.0.1:" + port, client_tls, &client, &server, &src),
              0)
        << stream_error(client);
    ASSERT_EQ(src, 0) << stream_error(server);
    std::string big(200000, 'y');
    EXPECT_EQ(Exchange(client, server, big), big);
    EXPECT_EQ(Exchange(server, client, "ok"), "ok");
    stream_close(client);
    stream_close(server);
    pstream_close(listener);
    tls_context_unref(client_tls);
}

// A peer is refused, with the reason, when its certificate is signed by another CA or has
// expired, and when it has none.
TEST_F(StreamTest, TlsRefusesUntrustedAndExpiredPeers)
{
    struct tls_context *server_tls = Context("server", "ca.pem");
    struct pstream *listener;
    std::string port = Listen("pssl:0:127.0.0.1", server_tls, &listener);
    for (const char *name : { "stranger", "expired" }) {
        struct tls_context *client_tls = Context(name, "ca.pem");
        struct stream *client, *server;
        int src;
        int crc = Handshake(listener, "ssl:127.0.0.1:" + port, client_tls, &client, &server,
                            &src);
        EXPECT_NE(src, 0) << name;
        // Under TLS 1.3 the client finishes before the server has checked its certificate:
        // the refusal reaches it as an alert on its first read.
        char buf[16];
        for (int i = 0; i < 100 && crc == 0; i++) {
            if (stream_recv(client, buf, sizeof buf) < 0 && errno != EAGAIN)
                crc = errno;
            usleep(1000);
        }
        EXPECT_NE(crc, 0) << name;
        std::string why = server ? stream_error(server) : "";
        EXPECT_NE(why.find(strcmp(name, "expired") == 0 ? "certificate has expired"
                                                        : "unable to get local issuer"),
                  std::string::npos)
            << why;
        stream_close(client);
        stream_close(server);
        tls_context_unref(client_tls);
    }
    // The client refuses a server whose certificate another CA signed.
    struct tls_context *stranger_tls = Context("stranger", "ca.pem");
    struct pstream *rogue;
    std::string rogue_port = Listen("pssl:0:127.0.0.1", stranger_tls, &rogue);
    struct tls_context *client_tls = Context("client", "ca.pem");
    struct stream *client, *server;
    int src;
    EXPECT_EQ(Handshake(rogue, "ssl:127.0.0.1:" + rogue_port, client_tls, &client, &server, &src),
              EPROTO);
    EXPECT_NE(std::string(stream_error(client)).find("certificate verify failed"),
              std::string::npos)
        << stream_error(client);
    stream_close(client);
    stream_close(server);
    pstream_close(rogue);
    pstream_close(listener);
    tls_context_unref(client_tls);
    tls_context_unref(stranger_tls);
    tls_context_unref(server_tls);
}

TEST_F(StreamTest, TlsBootstrapLearnsThePeersCa)
{
    struct tls_context *server_tls = Context("server", "ca.pem");
    struct pstream *listener;
    std::string port = Listen("pssl:0:127.0.0.1", server_tls, &listener);
    struct tls_context *learning = Context("client", "", true);
    ASSERT_TRUE(tls_context_bootstrapping(learning));
    struct stream *client, *server;
    int src;
    EXPECT_EQ(Handshake(listener, "ssl:127.0.0.1:" + port, learning, &client, &server, &src),
              EPROTO);
    char *pem = stream_take_bootstrap_ca(client);
    ASSERT_NE(pem, nullptr) << stream_error(client);
    EXPECT_EQ(std::string(pem), Pem("ca.pem"));   // the server sent its CA after its certificate
    EXPECT_EQ(stream_take_bootstrap_ca(client), nullptr);
    stream_close(client);
    stream_close(server);

    // With what it learned, the next connection is verified and goes through.
    std::string key = Pem("client.key"), cert = Pem("client.pem");
    struct tls_config config = { key.c_str(), cert.c_str(), pem, false };
    char error[STREAM_ERROR_SIZE];
    struct tls_context *learned = tls_context_create(&config, error);
    ASSERT_NE(learned, nullptr) << error;
    EXPECT_EQ(Handshake(listener, "ssl:127.0.0.1:" + port, learned, &client, &server, &src), 0)
        << stream_error(client);
    EXPECT_EQ(Exchange(client, server, "trusted"), "trusted");
    stream_close(client);
    stream_close(server);
    free(pem);
    pstream_close(listener);
    tls_context_unref(learned);
    tls_context_unref(learning);
    tls_context_unref(server_tls);
}

TEST_F(StreamTest, TlsContextRefusesBadMaterial)
{
    std::string key = Pem("server.key"), cert = Pem("server.pem"), ca = Pem("ca.pem");
    std::string other_key = Pem("client.key");
    char error[STREAM_ERROR_SIZE];
    struct tls_config mismatched = { other_key.c_str(), cert.c_str(), ca.c_str(), false };
    EXPECT_EQ(tls_context_create(&mismatched, error), nullptr);
    EXPECT_NE(std::string(error).find("does not match"), std::string::npos) << error;
    struct tls_config garbage = { key.c_str(), "not a certificate", ca.c_str(), false };
    EXPECT_EQ(tls_context_create(&garbage, error), nullptr);
    EXPECT_NE(std::string(error).find("certificate does not parse"), std::string::npos) << error;
    struct tls_config no_ca = { key.c_str(), cert.c_str(), nullptr, false };
    EXPECT_EQ(tls_context_create(&no_ca, error), nullptr);
    EXPECT_NE(std::string(error).find("CA certificate is required"), std::string::npos) << error;
    struct tls_config bad_ca = { key.c_str(), cert.c_str(), "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                            "-----END CERTIFICATE-----\n",
                                 false };
    EXPECT_EQ(tls_context_create(&bad_ca, error), nullptr);
    char *missing = tls_read_pem_file((dir_ + "/missing.pem").c_str(), error);
    EXPECT_EQ(missing, nullptr);
    EXPECT_EQ(errno, ENOENT);
    EXPECT_NE(std::string(error).find("No such file"), std::string::npos) << error;
}

}  // namespace
