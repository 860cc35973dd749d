/* ovs-ofctl's flow syntax: parsing "priority=100,tcp,in_port=1,tp_dst=80,actions=output:2"
 * into a flow-mod, and printing matches, actions and flow statistics the way ovs-ofctl prints
 * them. Pure. */
#ifndef VSW_OPENFLOW_TEXT_H
#define VSW_OPENFLOW_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "openflow/ofp.h"

/* Resolves a port name ("eth1") to its number; returns false if there is no such port. The
 * reserved names (LOCAL, IN_PORT, CONTROLLER...) never reach it. */
typedef bool of_port_lookup_fn(void *aux, const char *name, uint32_t *port_no);
/* The name of port `port_no`, or NULL to print the number. */
typedef const char *of_port_name_fn(void *aux, uint32_t port_no);

/* Parses one flow for `command` (OFPFC_*) into *fm (free fm->insts with
 * of_instructions_free()). Adds require actions (as "actions=drop" says nothing); deletions
 * take none. Fields lacking their prerequisite (tp_dst without tcp...) are refused. Returns
 * 0, or -1 with a message in `err`. */
int of_flow_parse(const char *text, int command, struct of_flow_mod *fm,
                  of_port_lookup_fn *lookup, void *aux, char *err, size_t err_size);

/* Parses an action list alone ("output:2,strip_vlan"), as packet-out takes it. */
int of_actions_parse(const char *text, struct of_actions *acts, of_port_lookup_fn *lookup,
                     void *aux, char *err, size_t err_size);

/* Parses a port: a number, a reserved name or a name `lookup` knows. Returns 0, or -1. */
int of_port_parse(const char *text, uint32_t *port, of_port_lookup_fn *lookup, void *aux);
/* "LOCAL", "CONTROLLER"... or the number; `buf` of at least 16 bytes. */
const char *of_port_format(uint32_t port, char *buf);

/* Appends text to an ofbuf kept NUL-terminated (an empty one reads as ""). */
void of_text_printf(struct ofbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty). */
const char *of_text(const struct ofbuf *b);

/* "priority=100,tcp,in_port=1,tp_dst=80" (priority left out when `priority` < 0, and when it
 * is the default 32768 as ovs-ofctl leaves it out). */
void of_match_format(struct ofbuf *b, const struct of_match *m, int priority,
                     of_port_name_fn *name, void *aux);
/* "output:2,mod_vlan_vid:10" or "drop". */
void of_instructions_format(struct ofbuf *b, const struct of_instructions *insts,
                            of_port_name_fn *name, void *aux);
void of_actions_format(struct ofbuf *b, const struct of_actions *acts, of_port_name_fn *name,
                       void *aux);
/* One line of dump-flows, as ovs-ofctl prints it:
 * " cookie=0x0, duration=1.5s, table=0, n_packets=0, n_bytes=0, priority=100,ip actions=..." */
void of_flow_stats_format(struct ofbuf *b, const struct of_flow_stats *fs,
                          of_port_name_fn *name, void *aux);

#endif
