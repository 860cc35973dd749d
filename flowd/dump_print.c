#include "flowd/dump_print.h"

void flowd_print_flows(FILE *out, const Vsw__FlowdFlowDumpReply *reply)
{
    for (size_t i = 0; i < reply->n_flows; i++) {
        const Vsw__FlowdFlow *f = reply->flows[i];
        char used[32];
        if (f->used_ms_ago < 0)
            snprintf(used, sizeof used, "never");
        else
            snprintf(used, sizeof used, "%.3fs", f->used_ms_ago / 1000.0);
        fprintf(out, "%s: %s, packets:%llu, bytes:%llu, used:%s, actions:%s\n", f->datapath,
                f->match, (unsigned long long)f->packets, (unsigned long long)f->bytes, used,
                f->actions);
    }
    if (reply->truncated)
        fprintf(out, "(more flows than one reply carries)\n");
}

void flowd_print_fdb(FILE *out, const Vsw__FlowdFdbDumpReply *reply)
{
    fprintf(out, " port  VLAN  MAC                Age\n");
    for (size_t i = 0; i < reply->n_entries; i++) {
        const Vsw__FlowdFdbEntry *e = reply->entries[i];
        fprintf(out, "%5u  %4u  %s  %3u\n", e->port_no, e->vlan, e->mac, e->age_s);
    }
    if (reply->truncated)
        fprintf(out, "(more entries than one reply carries)\n");
}
