"""One rule for every .proto: protoc-c generates C, a cc_library wraps it."""

def proto_c_library(name, src, deps = [], visibility = None):
    """Compiles `src` (a .proto in this package) to a cc_library named `name`.

    Generated files are <base>.pb-c.c and <base>.pb-c.h; include them as "proto/<base>.pb-c.h".
    `deps` are other proto_c_library targets whose .proto files `src` imports.
    """
    base = src[:-len(".proto")]
    gen = name + "_gen"
    native.genrule(
        name = gen,
        srcs = [src] + [d + "_src" for d in deps],
        outs = [base + ".pb-c.c", base + ".pb-c.h"],
        cmd = "protoc-c --proto_path=$$(dirname $(location %s))/.. --c_out=$(GENDIR) $(location %s)" % (src, src),
    )
    native.filegroup(name = name + "_src", srcs = [src], visibility = visibility)
    native.cc_library(
        name = name,
        srcs = [base + ".pb-c.c"],
        hdrs = [base + ".pb-c.h"],
        copts = ["-Wno-unused-parameter"],
        deps = ["//third_party/system:protobuf_c"] + deps,
        visibility = visibility,
    )
