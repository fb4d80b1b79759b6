/*
 * fuzz_vq_packed.c - libFuzzer target: the packed virtqueue (vq_packed.c and
 * virtqueue.c) against a device that writes what it likes.
 *
 * Attacks: the descriptor ring, which the device overwrites with used
 * descriptors (flags with AVAIL/USED and wrap bits, ids, lengths), the
 * device event area and every other ring byte, interleaved with legal
 * adds, kicks, honest out-of-order completions that skip chained
 * positions, harvests, callback toggles and resets; any size 1..256
 * (sizes 1..8 often, so the wrap counters flip), EVENT_IDX,
 * INDIRECT_DESC, lax lengths.
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
	vqh_run(data, size, 1);
	return 0;
}
