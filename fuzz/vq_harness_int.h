/*
 * vq_harness_int.h - state shared by the two halves of the virtqueue fuzz
 * harness: fuzz/vq_harness.c (the driver side: runs the script, predicts
 * and checks) and fuzz/vq_device.c (the scripted device that writes the
 * rings). Not for the fuzz targets themselves: they use vq_harness.h.
 */
#ifndef PINPRICK_FUZZ_VQ_HARNESS_INT_H
#define PINPRICK_FUZZ_VQ_HARNESS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "drivers/virtio/virtqueue.h"
#include "fuzz/vq_oracle.h"

#define MAX_Q	256
#define MAX_TOK (MAX_Q + 1) /* one always free, even with the ring full */
#define MAX_SEG 8
#define N_OPS	11

#include "fuzz/fuzz_check.h"

enum { T_FREE, T_AVAIL, T_DONE };

struct tok {
	int state;
	uint32_t in_len;
	uint16_t need; /* descriptors it took from the ring */
	uint16_t head; /* split: head descriptor; packed: buffer id */
	uint32_t seq;  /* T_DONE: when the device completed it */
};

struct harness {
	const uint8_t *p, *end;
	bool packed;
	unsigned size, indirect_max;
	uint64_t features;
	bool lax;
	struct virtqueue vq;
	uint8_t *ring, *shadow, *dev_area;
	size_t ring_bytes, dev_bytes;
	void *state, *ind;
	struct vq_addrs a;

	struct tok tok[MAX_TOK];
	unsigned in_flight, desc_used;
	uint16_t adds; /* split: what avail->idx must say */

	/* The honest device's positions. */
	uint16_t dev_used_idx; /* split, free-running */
	uint16_t dev_used_pos; /* packed */
	bool dev_used_wrap;
	uint16_t drv_avail_pos; /* packed: where the driver writes next */
	bool drv_avail_wrap;

	struct vqo o;	   /* the reference driver's view */
	uint32_t done_seq; /* order of honest completions */

	bool lied, was_broken;
	uint64_t clamped;
	unsigned notifies, err_calls;
};

extern struct harness h;

/* Script bytes; 0 once the input is used up. */
uint8_t vqh_in8(void);
uint16_t vqh_in16(void);
uint32_t vqh_in32(void);

/* The k-th (mod count) token in the given state, MAX_TOK if none. */
unsigned vqh_pick_tok(int state, unsigned k);

/* The device's operations (fuzz/vq_device.c). */
void vqd_complete(void);
void vqd_raw(void);
void vqd_wish(void);

#endif
