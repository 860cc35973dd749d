/* Software fallbacks for checksum and segmentation offloads, for ports that exchange plain
 * frames: a packet received with a partial checksum (VNET_F_NEEDS_CSUM) or as one
 * large GSO packet (TCP over IPv4/IPv6, UDP L4) is completed or cut into wire-size frames
 * before it leaves through such a port. Pure computation over buffers. */
#ifndef VSW_FLOWD_OFFLOAD_H
#define VSW_FLOWD_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "flowd/packet.h"

/* Completes the partial checksum of `frame` in place as the kernel would (the checksum field
 * holds the pseudo-header sum; the sum runs from csum_start to the end). Does nothing without
 * VNET_F_NEEDS_CSUM. Returns 0, or -1 when the offsets do not fit the frame. */
int offload_complete_csum(uint8_t *frame, size_t len, const struct vnet_hdr *vnet);

typedef void offload_emit_fn(void *aux, const uint8_t *frame, size_t len);

/* Cuts a GSO frame into frames carrying at most vnet->gso_size bytes of payload each, with
 * lengths, IPv4 ids, TCP sequence numbers and flags, and all checksums fixed, and passes each
 * to `emit`. `scratch` holds one output frame at a time (headers + gso_size bytes).
 * Returns the number of frames emitted, or -1 when the frame is not a GSO frame it can parse
 * (the caller drops it). */
int offload_segment(const uint8_t *frame, size_t len, const struct vnet_hdr *vnet,
                    uint8_t *scratch, size_t scratch_size, offload_emit_fn *emit, void *aux);

/* One's complement sum helpers, exposed for tests. */
uint32_t csum_add(uint32_t sum, const uint8_t *data, size_t len);
uint16_t csum_fold(uint32_t sum);

#endif
