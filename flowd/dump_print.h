/* Text forms of flowd's flow and MAC-table dumps, shared by `vsw dump-flows`/`vsw fdb-show`
 * and vsw-flowctl so that both print the same lines (the format docs/cli.md shows). */
#ifndef VSW_FLOWD_DUMP_PRINT_H
#define VSW_FLOWD_DUMP_PRINT_H

#include <stdio.h>

#include "proto/flowd.pb-c.h"

/* One line per datapath flow: "DP: MATCH, packets:N, bytes:N, used:Ts, actions:ACTIONS". */
void flowd_print_flows(FILE *out, const Vsw__FlowdFlowDumpReply *reply);

/* A table of learned MACs, in the layout of ovs-appctl fdb/show. */
void flowd_print_fdb(FILE *out, const Vsw__FlowdFdbDumpReply *reply);

#endif
