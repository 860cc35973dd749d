/* Validation of every request of the flowd channel against a policy table (one line per
 * field, after the kernel's netlink policies): names, port numbers, VLANs, ranges and enum
 * values are checked before any handler looks at the request, and the first bad field is
 * reported by name. Checks against state (does the datapath exist?) are the handlers'. */
#ifndef VSW_FLOWD_REQUEST_H
#define VSW_FLOWD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "lib/ipc.h"

#define PORT_NO_MAX 0xff00u     /* OpenFlow: OFPP_MAX is 0xff00, the last usable is 0xfeff */
#define PORT_NO_LOCAL 0xfffeu   /* OFPP_LOCAL: the bridge's own port */
#define MTU_MIN 68
#define MTU_MAX 65535

/* Checks `msg` against its type's policy. Returns 0, or -1 with `err` set to
 * ERROR_INVALID_ARGUMENT and a message naming the field. A type without a policy passes. */
int request_validate(const ProtobufCMessage *msg, struct ipc_error *err);

/* Is `name` a valid Linux interface name (1..15 bytes, no '/', ':' or whitespace, not "." or
 * "..")? If not, says why in `why`. */
bool ifname_valid(const char *name, char *why, size_t why_size);

#endif
