/*
 * vq_oracle.h - what a correct virtqueue driver must do with the used
 * ring it sees, written from the rules in virtqueue.h and the virtio 1.2
 * spec (§2.7.8 split used ring, §2.8.7/§2.8.21 packed used descriptors).
 *
 * The fuzz harness (fuzz/vq_harness.c) asks it before every vq_get_used
 * and vq_more_used, so a check the driver forgets (say, a used index
 * running ahead of what is in flight) shows up as a wrong answer even
 * when no memory is corrupted.
 */
#ifndef PINPRICK_FUZZ_VQ_ORACLE_H
#define PINPRICK_FUZZ_VQ_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtqueue.h"

/* The harness's record of a buffer in flight, looked up by head / id. */
typedef bool (*vqo_lookup_fn)(uint16_t head, uint32_t *in_len);

struct vqo {
	bool packed, lax;
	unsigned size;
	const struct vring_packed_desc *desc; /* packed */
	const struct vring_used *used;	      /* split */
	uint16_t last_used; /* split: free-running; packed: position */
	bool used_wrap;	    /* packed */
};

/* What the next vq_get_used must do. */
struct vqo_expect {
	int err;       /* enum vq_error: NONE, or the error it must report */
	bool got;      /* a buffer comes back (err is NONE) */
	uint16_t head; /* ... this one */
	uint32_t len;  /* ... with this length */
	bool clamped;  /* ... after clamping (lax_used_len) */
};

void vqo_init(struct vqo *o, const struct vq_addrs *a, bool lax);
void vqo_predict(const struct vqo *o, unsigned in_flight, vqo_lookup_fn look,
		 struct vqo_expect *e);
/* The buffer predicted came back; it had need ring descriptors. */
void vqo_advance(struct vqo *o, uint16_t need);
/* What vq_more_used must say on a queue that is not broken. */
bool vqo_more_used(const struct vqo *o, unsigned in_flight);

#endif
