/*
 * vq_harness.h - the scripted device shared by the split and packed
 * virtqueue fuzz targets (fuzz/fuzz_vq_split.c, fuzz/fuzz_vq_packed.c).
 *
 * Both targets run the same script language over the real driver code
 * (drivers/virtio/virtqueue.c, vq_split.c, vq_packed.c); only the ring
 * layout differs, so the interpreter and its invariants live once in
 * fuzz/vq_harness.c. See that file for the input format and what is
 * asserted.
 */
#ifndef PINPRICK_FUZZ_VQ_HARNESS_H
#define PINPRICK_FUZZ_VQ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* Run one fuzz input against a fresh queue; aborts on a broken invariant. */
void vqh_run(const uint8_t *data, size_t size, int packed);

#endif
