#include <stdlib.h>
#include <string.h>

#include "openflow/codec.h"

void ofbuf_init(struct ofbuf *b)
{
    memset(b, 0, sizeof *b);
}

void ofbuf_free(struct ofbuf *b)
{
    free(b->data);
    ofbuf_init(b);
}

void ofbuf_clear(struct ofbuf *b)
{
    b->len = 0;
    b->oom = false;
}

uint8_t *ofbuf_put(struct ofbuf *b, size_t len)
{
    if (b->oom)
        return NULL;
    if (b->cap - b->len < len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < len)
            cap *= 2;
        uint8_t *data = realloc(b->data, cap);
        if (!data) {
            b->oom = true;
            return NULL;
        }
        b->data = data;
        b->cap = cap;
    }
    uint8_t *p = b->data + b->len;
    memset(p, 0, len);
    b->len += len;
    return p;
}

uint8_t *ofbuf_put_copy(struct ofbuf *b, const void *data, size_t len)
{
    uint8_t *p = ofbuf_put(b, len);
    if (p && len)
        memcpy(p, data, len);
    return p;
}
