/* libFuzzer target for the OpenFlow codec (openflow/), built with clang's address and
 * undefined-behaviour sanitizers.
 *
 * Raw input is decoded as an OpenFlow message, as vsw-switchd decodes what a controller sends.
 * What decodes is encoded again in its version and decoded once more, which must succeed (the
 * codec accepts what it writes), and printed as ovs-ofctl's text. Input starting with 'T' is
 * read as flow syntax instead, the way `vsw ofctl add-flow` reads it; a flow that parses is
 * encoded as 1.3 and must decode (and as 1.0, which may say less). A crash, a sanitizer
 * report or a broken round trip aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openflow/ofp.h"
#include "openflow/text.h"

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "openflow_fuzz: %s\n", what);
        abort();
    }
}

static void decode_all(const struct ofbuf *b, const char *what)
{
    for (size_t at = 0; at < b->len;) {
        size_t len = (size_t)b->data[at + 2] << 8 | b->data[at + 3];
        struct of_msg msg;
        enum ofperr err = of_msg_decode(b->data + at, len, &msg);
        if (err)
            fprintf(stderr, "openflow_fuzz: %s: %s\n", what, ofperr_name(err));
        must(err == OFPERR_NONE, "a message the codec wrote does not decode");
        of_msg_free(&msg);
        at += len;
    }
}

static void print_flow(const struct of_match *match, const struct of_instructions *insts)
{
    struct ofbuf text;
    ofbuf_init(&text);
    of_match_format(&text, match, 1, NULL, NULL);
    of_instructions_format(&text, insts, NULL, NULL);
    ofbuf_free(&text);
}

/* Encodes again what decoded, for the types whose encoding is the same function. */
static void reencode(const struct of_msg *msg)
{
    struct ofbuf b;
    ofbuf_init(&b);
    int rc = 0;
    switch (msg->type) {
    case OFM_FLOW_MOD:
        rc = of_encode_flow_mod(&b, msg->version, msg->xid, &msg->flow_mod);
        print_flow(&msg->flow_mod.match, &msg->flow_mod.insts);
        break;
    case OFM_PACKET_OUT:
        rc = of_encode_packet_out(&b, msg->version, msg->xid, &msg->packet_out);
        break;
    case OFM_PACKET_IN:
        rc = of_encode_packet_in(&b, msg->version, msg->xid, &msg->packet_in);
        break;
    case OFM_FLOW_REMOVED:
        rc = of_encode_flow_removed(&b, msg->version, msg->xid, &msg->flow_removed);
        break;
    case OFM_MULTIPART_REQUEST:
        rc = of_encode_multipart_request(&b, msg->version, msg->xid, &msg->mp);
        break;
    case OFM_MULTIPART_REPLY:
        if (msg->mp.type == OFPMP_FLOW) {
            for (size_t i = 0; i < msg->mp.n; i++)
                print_flow(&msg->mp.flows[i].match, &msg->mp.flows[i].insts);
        }
        rc = of_encode_multipart_reply(&b, msg->version, msg->xid, &msg->mp);
        break;
    default:
        break;
    }
    if (rc == 0)
        decode_all(&b, ofm_type_name(msg->type));
    ofbuf_free(&b);
}

static void fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    struct of_flow_mod fm;
    char err[256];
    if (of_flow_parse(text, OFPFC_ADD, &fm, NULL, NULL, err, sizeof err) == 0) {
        /* 1.3 says all the syntax can; 1.0 says less (no IPv6, no instructions), and what
         * it cannot say may leave actions its match no longer allows: decoded, not checked. */
        struct ofbuf b;
        ofbuf_init(&b);
        if (of_encode_flow_mod(&b, OFP13_VERSION, 1, &fm) == 0)
            decode_all(&b, "parsed flow");
        ofbuf_clear(&b);
        struct of_msg msg;
        if (of_encode_flow_mod(&b, OFP10_VERSION, 1, &fm) == 0 &&
            of_msg_decode(b.data, b.len, &msg) == OFPERR_NONE)
            of_msg_free(&msg);
        ofbuf_free(&b);
        print_flow(&fm.match, &fm.insts);
        of_instructions_free(&fm.insts);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size && data[0] == 'T') {
        fuzz_text(data + 1, size - 1);
        return 0;
    }
    struct of_msg msg;
    if (of_msg_decode(data, size, &msg) != OFPERR_NONE)
        return 0;
    reencode(&msg);
    of_msg_free(&msg);
    return 0;
}
