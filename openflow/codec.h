/* The codec's internal seams: the match and action codecs that msg.c builds messages from. */
#ifndef VSW_OPENFLOW_CODEC_H
#define VSW_OPENFLOW_CODEC_H

#include "openflow/ofp.h"

#define OFP10_MATCH_LEN 40
/* Most actions one list may hold; a 64 KB message of 8-byte actions stays under it. */
#define OF_MAX_ACTIONS 8192

/* The wire type number of `type` in `version`, or -1 if that version has no such message. */
int of_wire_type(enum ofm_type type, uint8_t version);

/* Appends `len` zeroed bytes and returns them, or NULL (b->oom set) when out of memory. */
uint8_t *ofbuf_put(struct ofbuf *b, size_t len);
uint8_t *ofbuf_put_copy(struct ofbuf *b, const void *data, size_t len);

/* OpenFlow 1.0's fixed 12-tuple match. Decoding drops fields whose prerequisite is not met,
 * as 1.0 switches do. Encoding writes what 1.0 can say and wildcards the rest (a match made by
 * a 1.3 controller may say more than 1.0 can). */
enum ofperr of_match_decode_10(const uint8_t *p, struct of_match *m);
void of_match_encode_10(uint8_t *p, const struct of_match *m);

/* OpenFlow 1.3's ofp_match with OXM fields, padded to 8 bytes. `avail` bytes are readable at
 * `p`; *consumed is the padded length. */
enum ofperr of_match_decode_oxm(const uint8_t *p, size_t avail, struct of_match *m,
                                size_t *consumed);
/* Appends the padded ofp_match. Returns its length, or 0 when out of memory. */
size_t of_match_encode_oxm(struct ofbuf *b, const struct of_match *m);
/* Appends bare OXM TLVs (no ofp_match header), as a set-field carries one. */
void of_oxm_put_field(struct ofbuf *b, const struct mf_field *f, const uint8_t *value,
                      const uint8_t *mask);

/* An action list of `len` bytes in `version`'s encoding. */
enum ofperr of_actions_decode(uint8_t version, const uint8_t *p, size_t len,
                              struct of_actions *acts);
void of_actions_encode(struct ofbuf *b, uint8_t version, const struct of_actions *acts);

/* OpenFlow 1.3 instructions of `len` bytes. */
enum ofperr of_instructions_decode(const uint8_t *p, size_t len, struct of_instructions *insts);
/* 1.3: instructions; 1.0: the apply-actions as an action list (other instructions cannot be
 * said in 1.0 and are left out). */
void of_instructions_encode(struct ofbuf *b, uint8_t version,
                            const struct of_instructions *insts);

#endif
