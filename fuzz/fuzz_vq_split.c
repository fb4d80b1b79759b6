/*
 * fuzz_vq_split.c - libFuzzer target: the split virtqueue (vq_split.c and
 * virtqueue.c) against a device that writes what it likes.
 *
 * Attacks: the used ring (idx, id, len) and every other byte of the ring
 * memory, interleaved with legal adds, kicks, honest out-of-order
 * completions, harvests, callback toggles and resets; sizes 1..256,
 * legacy and VERSION_1 layouts, EVENT_IDX, INDIRECT_DESC, lax lengths.
 * Checks: the invariants listed at the top of fuzz/vq_harness.c (a token
 * is returned only if in flight and only once, exact free/in-flight
 * accounting, exact predictions while the device is honest, the device
 * area is never written by the driver, broken means broken).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/vq_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vqh_run(data, size, 0);
	return 0;
}
