#include "tests/integration/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

const std::vector<std::string> kDaemons = { "dbd", "flowd", "switchd", "tunneld", "hostd" };

CommandResult Shell(const std::string &command)
{
    CommandResult result{ -1, "" };
    FILE *pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe)
        return result;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0)
        result.output.append(buf, n);
    int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::string Runfile(const std::string &path)
{
    const char *srcdir = getenv("TEST_SRCDIR");
    const char *workspace = getenv("TEST_WORKSPACE");
    return std::string(srcdir ? srcdir : ".") + "/" + (workspace ? workspace : "vsw") + "/" + path;
}

std::string ReadFile(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

VswInstance::VswInstance()
{
    char dir[] = "/tmp/vsw-it-XXXXXX";
    if (mkdtemp(dir))
        rundir_ = dir;
}

VswInstance::~VswInstance()
{
    if (rundir_.empty())
        return;
    Ctl("stop");
    Shell("rm -rf " + rundir_);
}

CommandResult VswInstance::Ctl(const std::string &args) const
{
    return Shell(Runfile("tools/vsw_ctl") + " " + args + " --rundir " + rundir_);
}

CommandResult VswInstance::Vsw(const std::string &args) const
{
    return Shell(Runfile("tools/vsw") + " --rundir " + rundir_ + " " + args);
}

int VswInstance::Pid(const std::string &short_name) const
{
    std::string text = ReadFile(rundir_ + "/" + short_name + ".pid");
    return text.empty() ? -1 : atoi(text.c_str());
}

bool VswInstance::WaitAllUp(int timeout_ms) const
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (Vsw("status").exit_code == 0)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::string ProcStatusField(int pid, const std::string &field, int tid)
{
    std::string path = "/proc/" + std::to_string(pid) +
                       (tid ? "/task/" + std::to_string(tid) : std::string()) + "/status";
    std::istringstream in(ReadFile(path));
    std::string line;
    while (std::getline(in, line)) {
        if (line.compare(0, field.size() + 1, field + ":") != 0)
            continue;
        std::string value = line.substr(field.size() + 1);
        size_t start = value.find_first_not_of(" \t");
        return start == std::string::npos ? "" : value.substr(start);
    }
    return "";
}
