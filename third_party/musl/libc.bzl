"""Builds a cc_binary against musl instead of glibc, statically, with everything it depends on.

Why: a process linked with glibc spends its first ~0.35 ms in glibc's start-up reading the
processor's cache geometry with dozens of `cpuid` instructions, each a VM exit on a virtual
machine; musl does not. That matters only for `vsw`, which scripts start by the thousand
(bench/README.md). The daemons stay on glibc.
"""

LibcInfo = provider(fields = ["name"])

def _libc_flag_impl(ctx):
    return LibcInfo(name = ctx.build_setting_value)

libc_flag = rule(
    implementation = _libc_flag_impl,
    build_setting = config.string(flag = False),
)

_SPECS = "/usr/lib/x86_64-linux-musl/musl-gcc.specs"

# Bazel's C++ toolchain appends -lstdc++ to every link; the musl specs search musl's directory
# only. A C program pulls no member from the archive: it only has to be found.
_GCC_LIBDIR = "/usr/lib/gcc/x86_64-linux-gnu/12"

def _to_musl_impl(settings, attr):
    return {
        "//third_party/musl:libc": "musl",
        "//command_line_option:copt": settings["//command_line_option:copt"] + ["-specs=" + _SPECS],
        "//command_line_option:linkopt": settings["//command_line_option:linkopt"] +
                                         ["-specs=" + _SPECS, "-static", "-L" + _GCC_LIBDIR],
    }

_to_musl = transition(
    implementation = _to_musl_impl,
    inputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
    outputs = [
        "//third_party/musl:libc",
        "//command_line_option:copt",
        "//command_line_option:linkopt",
    ],
)

def _musl_binary_impl(ctx):
    built = ctx.attr.binary[0][DefaultInfo].files_to_run.executable
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = built, is_executable = True)
    return [DefaultInfo(executable = out, files = depset([out]), runfiles = ctx.runfiles([out]))]

musl_binary = rule(
    implementation = _musl_binary_impl,
    doc = "The cc_binary `binary`, and all it depends on, compiled and linked against musl.",
    attrs = {
        "binary": attr.label(cfg = _to_musl, executable = True, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    executable = True,
)
