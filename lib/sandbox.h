/* The sandbox each daemon enters after setup: drop to the unprivileged user keeping only the
 * listed capabilities, set no_new_privs, then load the daemon's seccomp allowlist.
 *
 * A daemon's allowlist is a table in its own sandbox.c; it is applied together with the
 * runtime's table below (what the event loop, logging and nanomsg need in every daemon). */
#ifndef VSW_SANDBOX_H
#define VSW_SANDBOX_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SANDBOX_DEFAULT_USER "vsw"

/* One allowed system call, optionally only with one argument equal to a value. */
struct sandbox_rule {
    int nr;
    const char *name;
    int arg;             /* -1: any arguments; else the index of the argument checked */
    uint64_t value;      /* the only value allowed for that argument */
};

#define SANDBOX_ALLOW(call) { SCMP_SYS(call), #call, -1, 0 }
#define SANDBOX_ALLOW_ARG(call, index, val) { SCMP_SYS(call), #call, (index), (uint64_t)(val) }

struct sandbox_policy {
    const char *daemon;
    const int *capabilities;           /* kept after the uid change; all others are dropped */
    size_t n_capabilities;
    const struct sandbox_rule *rules;  /* the daemon's own, on top of the runtime's */
    size_t n_rules;
};

/* What every daemon's runtime needs (event loop, logging, nanomsg's worker thread). */
extern const struct sandbox_rule sandbox_runtime_rules[];
extern const size_t sandbox_n_runtime_rules;

/* Switches to `user` keeping only the policy's capabilities (also in the bounding set), clears
 * ambient capabilities and sets no_new_privs. Must run before any thread exists: uid changes
 * reach every thread but capabilities do not. When not root, only sets no_new_privs.
 * Returns 0, or -1 (logged). */
int sandbox_drop_privileges(const struct sandbox_policy *policy, const char *user);

/* How a call outside the allowlist ends the process. */
enum sandbox_violation {
    SANDBOX_KILL,  /* SIGSYS kills the whole process (production) */
    SANDBOX_TRAP,  /* a SIGSYS handler logs the syscall number, then the process dies (debug) */
};

/* Loads the runtime's and the policy's allowlist into every thread of the process.
 * Returns 0, or -1 (logged). */
int sandbox_restrict_syscalls(const struct sandbox_policy *policy,
                              enum sandbox_violation violation);

/* Both of the above, in order. */
int sandbox_enter(const struct sandbox_policy *policy, const char *user,
                  enum sandbox_violation violation);

#endif
