/*
 * vq_device_model.h - an in-process virtio DEVICE for host unit tests.
 *
 * It plays the device side of one virtqueue, split or packed, reading the
 * rings by guest-physical address exactly as a hypervisor would: the test
 * gives it the addresses the driver reported (vq_get_addrs) and a
 * phys_to_virt for its pretend guest memory. It takes available buffers
 * (following chains and indirect tables), writes used entries with the
 * lengths the test chooses, and decides whether it would interrupt from
 * used_event / avail flags / the packed driver event area. The test sets
 * the device's own wishes (NO_NOTIFY, avail_event, packed device event).
 *
 * It checks the driver too: every rule the driver breaks (address outside
 * guest memory, loop in a chain, readable after writable, indirect without
 * the feature or inside a table, index ahead of the queue...) is counted
 * in m->errors with a message, and tests expect that count to stay zero.
 *
 * Hostile modes make the NEXT vqm_push misbehave once, so tests can check
 * the driver detects it.
 */
#ifndef PINPRICK_VQ_DEVICE_MODEL_H
#define PINPRICK_VQ_DEVICE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio/virtqueue.h"

#define VQM_MAX_SEG 64

struct vqm_seg {
	void *p;
	uint64_t gpa;
	uint32_t len;
	bool write;
};

/* One buffer the device took from the ring. */
struct vqm_buf {
	uint16_t id;	/* split: head descriptor; packed: buffer id */
	uint16_t ndesc; /* ring descriptors it used (packed: positions) */
	bool indirect;
	unsigned n_out, n_in;
	uint32_t out_len, in_len;
	struct vqm_seg seg[VQM_MAX_SEG];
};

enum vqm_hostile {
	VQM_HONEST = 0,
	VQM_ID_RANGE,	/* used id = queue size + 7 */
	VQM_ID_IDLE,	/* used id = hostile_arg (not in flight) */
	VQM_LEN_BIG,	/* used len = writable bytes + 1 */
	VQM_IDX_JUMP,	/* split: used idx moves hostile_arg extra;
			   packed: an extra used descriptor follows */
	VQM_DUPLICATE,	/* the same completion written twice */
	VQM_WRONG_WRAP, /* packed: used flags with the other wrap counter */
	VQM_BAD_FLAGS,	/* packed: AVAIL != USED */
};

typedef void *(*vqm_p2v_fn)(void *ctx, uint64_t gpa, size_t len);

struct vqm {
	struct vq_addrs a;
	unsigned size;
	bool packed, event_idx, indirect_ok;
	vqm_p2v_fn p2v;
	void *mem_ctx;

	/* split */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail; /* free-running, like the driver's */
	uint16_t used_idx;
	bool auto_avail_event; /* EVENT_IDX: avail_event = last_avail on pop */

	/* packed */
	struct vring_packed_desc *pdesc;
	struct vring_packed_event *drv, *dev;
	uint16_t avail_pos, used_pos;
	bool avail_wrap, used_wrap;

	/* interrupt decision: entries (positions) pushed since last one */
	uint32_t since_signal;
	uint16_t signalled; /* split: used idx; packed: used position */

	uint64_t popped, pushed, interrupts, suppressed;
	enum vqm_hostile hostile; /* one-shot, for the next push */
	uint32_t hostile_arg;

	unsigned errors; /* driver protocol violations */
	char last_error[160];
};

/* Attach to a queue the driver set up. 0, or -1 if the rings are bad. */
int vqm_init(struct vqm *m, const struct vq_addrs *a, uint64_t features,
	     vqm_p2v_fn p2v, void *mem_ctx);

/* Take the next available buffer: 1 got one (in *b), 0 none, -1 driver
 * error; *b changes only on 1. */
int vqm_pop(struct vqm *m, struct vqm_buf *b);

/* Return a buffer as used with len bytes written (hostile mode applies). */
void vqm_push(struct vqm *m, const struct vqm_buf *b, uint32_t len);

/* After pushes: would the device interrupt now? Counts the answer. */
bool vqm_signal(struct vqm *m);

/* Device wishes about kicks. */
void vqm_set_no_notify(struct vqm *m, bool no_notify);
/* EVENT_IDX: kick me when entry idx (packed: position idx, lap wrap)
 * becomes available. Split: also stops auto_avail_event. */
void vqm_set_kick_event(struct vqm *m, uint16_t idx, bool wrap);

/* The readable bytes of b, concatenated; returns bytes copied. */
size_t vqm_read_out(const struct vqm_buf *b, void *dst, size_t max);
/* Write n bytes into b's writable pieces; returns bytes written. */
uint32_t vqm_write_in(const struct vqm_buf *b, const void *src, size_t n);

#endif
