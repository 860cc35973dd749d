/* Helpers for integration tests: run commands, find built binaries in Bazel's runfiles, start
 * and stop a vsw instance in a private run directory. */
#ifndef VSW_TESTS_HARNESS_H
#define VSW_TESTS_HARNESS_H

#include <string>
#include <vector>

struct CommandResult {
    int exit_code;        // -1 if killed by a signal
    std::string output;   // stdout and stderr, merged
};

// Runs `command` through /bin/sh and collects its output.
CommandResult Shell(const std::string &command);

// The path of a file built by Bazel, e.g. "tools/vsw", from the test's runfiles.
std::string Runfile(const std::string &path);

std::string ReadFile(const std::string &path);

// A vsw instance in a fresh run directory under /tmp, stopped and removed on destruction.
class VswInstance {
  public:
    VswInstance();
    ~VswInstance();
    const std::string &rundir() const { return rundir_; }
    CommandResult Ctl(const std::string &args) const;   // tools/vsw-ctl ARGS --rundir DIR
    CommandResult Vsw(const std::string &args) const;   // vsw --rundir DIR ARGS
    int Pid(const std::string &short_name) const;       // from <short_name>.pid, or -1
    // Waits until `vsw status` shows every daemon up; false after `timeout_ms`.
    bool WaitAllUp(int timeout_ms) const;

  private:
    std::string rundir_;
};

// The daemons as named in the run directory, in start order.
extern const std::vector<std::string> kDaemons;

// A /proc/PID/status field's value ("Seccomp", "NoNewPrivs", "CapEff", "Uid"...), trimmed.
std::string ProcStatusField(int pid, const std::string &field, int tid = 0);

#endif
