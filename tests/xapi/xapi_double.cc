#include "tests/xapi/xapi_double.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "tests/integration/harness.h"

namespace {

bool Connectable(const std::string &path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_un sun = {};
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path.c_str());
    bool ok = connect(fd, reinterpret_cast<sockaddr *>(&sun), sizeof sun) == 0;
    close(fd);
    return ok;
}

std::string Script()
{
    return Runfile("tests/xapi/xapi_double.py");
}

}  // namespace

std::string JsonQuote(const std::string &s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

static std::string ShellQuote(const std::string &s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

XapiDouble::XapiDouble(const std::vector<std::string> &fixtures, const std::string &plugin_dir)
    : fixtures_(fixtures), plugin_dir_(plugin_dir)
{
    char dir[] = "/tmp/vsw-xapi-XXXXXX";
    if (mkdtemp(dir)) {
        dir_ = dir;
        chmod(dir, 0755);
        socket_ = dir_ + "/xapi";
    }
}

XapiDouble::~XapiDouble()
{
    Stop();
    if (!dir_.empty())
        Shell("rm -rf " + dir_);
}

bool XapiDouble::Start()
{
    if (pid_ > 0 || dir_.empty())
        return pid_ > 0;
    std::vector<std::string> args = { "python3", Script(), "serve", "--socket", socket_,
                                      "--log", dir_ + "/xapi.log" };
    for (const std::string &f : fixtures_) {
        args.push_back("--fixture");
        args.push_back(Runfile(f));
    }
    if (!plugin_dir_.empty()) {
        args.push_back("--plugin-dir");
        args.push_back(plugin_dir_);
    }
    pid_t pid = fork();
    if (pid == 0) {
        std::vector<char *> argv;
        for (std::string &a : args)
            argv.push_back(&a[0]);
        argv.push_back(nullptr);
        execvp("python3", argv.data());
        _exit(127);
    }
    if (pid < 0)
        return false;
    pid_ = pid;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (Connectable(socket_))
            return true;
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Stop();
    return false;
}

void XapiDouble::Stop()
{
    if (pid_ <= 0)
        return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    unlink(socket_.c_str());   // the default SIGTERM action leaves it behind
}

bool XapiDouble::Restart()
{
    Stop();
    return Start();
}

XapiDouble::Result XapiDouble::Call(const std::string &method,
                                    const std::vector<std::string> &args, bool session) const
{
    std::string command = "python3 " + Script() + " call --socket " + socket_ +
                          (session ? " --session " : " ") + ShellQuote(method);
    for (const std::string &a : args)
        command += " " + ShellQuote(a);
    CommandResult r = Shell(command);
    while (!r.output.empty() && r.output.back() == '\n')
        r.output.pop_back();
    return { r.exit_code, r.output };
}

void XapiDouble::Fail(const std::string &method, const std::string &description, int count) const
{
    Call("test.fail", { JsonQuote(method), description, std::to_string(count) });
}

void XapiDouble::Misbehave(const std::string &method, const std::string &mode, int count,
                           const std::string &argument) const
{
    std::vector<std::string> args = { JsonQuote(method), JsonQuote(mode), std::to_string(count) };
    if (!argument.empty())
        args.push_back(JsonQuote(argument));
    Call("test.misbehave", args);
}

void XapiDouble::Clear() const
{
    Call("test.clear", {});
}

void XapiDouble::SetMapKey(const std::string &cls, const std::string &ref,
                           const std::string &field, const std::string &key,
                           const std::string &value) const
{
    Call("test.set_map_key", { JsonQuote(cls), JsonQuote(ref), JsonQuote(field), JsonQuote(key),
                               JsonQuote(value) });
}

void XapiDouble::SetField(const std::string &cls, const std::string &ref,
                          const std::string &field, const std::string &json_value) const
{
    Call("test.set_field", { JsonQuote(cls), JsonQuote(ref), JsonQuote(field), json_value });
}

std::vector<std::string> XapiDouble::Calls() const
{
    // One method a line, from the JSON list of [method, args...].
    Result r = Call("test.calls", {});
    std::vector<std::string> methods;
    std::string::size_type pos = 0;
    while ((pos = r.output.find("[\"", pos)) != std::string::npos) {
        std::string::size_type end = r.output.find('"', pos + 2);
        methods.push_back(r.output.substr(pos + 2, end - pos - 2));
        pos = r.output.find(']', end);
    }
    return methods;
}

void XapiDouble::ResetCalls() const
{
    Call("test.reset_calls", {});
}
