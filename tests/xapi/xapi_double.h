/* The XAPI double (xapi_double.py) for C++ tests: started on a Unix socket in a fresh directory,
 * stopped, restarted (XAPI restarting: every session forgotten), told to fail or misbehave, and
 * asked what was called. For vsw-hostd's tests and interface-reconfigure's. */
#ifndef VSW_TESTS_XAPI_DOUBLE_H
#define VSW_TESTS_XAPI_DOUBLE_H

#include <sys/types.h>

#include <string>
#include <vector>

class XapiDouble {
  public:
    // `fixtures` are paths in the runfiles (e.g. "tests/xapi/example.json"), merged in order;
    // `plugin_dir` is where host.call_plugin finds plugins (may be empty).
    explicit XapiDouble(const std::vector<std::string> &fixtures = { "tests/xapi/example.json" },
                        const std::string &plugin_dir = "");
    ~XapiDouble();
    XapiDouble(const XapiDouble &) = delete;
    XapiDouble &operator=(const XapiDouble &) = delete;

    // Starts the process and waits (up to 10 s) until its socket accepts connections.
    bool Start();
    // SIGTERM, then waits for the process; its socket is gone after.
    void Stop();
    bool Restart();
    bool running() const { return pid_ > 0; }
    const std::string &socket() const { return socket_; }
    const std::string &dir() const { return dir_; }   // 0755: reachable by the vsw user

    struct Result {
        int exit_code;        // 0: Success, printed as JSON in `output`; 1: Failure
        std::string output;   // the Value as JSON, or the ErrorDescription
    };
    // One call through `xapi_double.py call`; each argument is JSON if it parses, else a
    // string. With `session`, a fresh login's ref goes first.
    Result Call(const std::string &method, const std::vector<std::string> &args,
                bool session = false) const;

    // The next `count` calls of `method` ("*": any) answer Failure `description` (JSON array).
    void Fail(const std::string &method, const std::string &description, int count) const;
    // The next `count` calls of `method` ("*": any) misbehave: "garbage", "not_xapi",
    // "wrong_value", "truncated_xml", "cut_short", "huge", "http500", "not_http", "close",
    // "hang" (`argument` seconds, then the answer).
    void Misbehave(const std::string &method, const std::string &mode, int count,
                   const std::string &argument = "") const;
    void Clear() const;
    // Changes one key of a map field (other_config) of a record; empty `value` removes it.
    void SetMapKey(const std::string &cls, const std::string &ref, const std::string &field,
                   const std::string &key, const std::string &value) const;
    void SetField(const std::string &cls, const std::string &ref, const std::string &field,
                  const std::string &json_value) const;
    // The methods called with a session since the start or ResetCalls(), in order.
    std::vector<std::string> Calls() const;
    void ResetCalls() const;

  private:
    std::vector<std::string> fixtures_;
    std::string plugin_dir_;
    std::string dir_, socket_;
    pid_t pid_ = -1;
};

// A JSON string literal for `s`.
std::string JsonQuote(const std::string &s);

#endif
