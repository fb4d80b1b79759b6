/*
 * vbal_model.h - an in-process virtio-balloon DEVICE for host unit tests
 * of the balloon driver (drivers/virtio/vbal*.c).
 *
 * It is a struct virtio_dev whose transport operations are the device:
 * status, features, a 16-byte config space, queues numbered the way QEMU
 * numbers them (compacted over the offered features), one vq_device_model
 * per queue. Guest memory is a fixed low mapping, so a PFN << 12 is a
 * host pointer and every PFN fits in 32 bits, as in the kernel.
 *
 * Like QEMU it discards (zeroes) inflated pages, acknowledges with used
 * length 0, holds the stats buffer until asked, records hint ids and
 * blocks, and acknowledges reports. Unlike QEMU it also judges the
 * driver: every rule it can see broken is counted in m->errors with a
 * message, and tests expect that count to stay 0.
 */
#ifndef PINPRICK_VBAL_MODEL_H
#define PINPRICK_VBAL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio_balloon.h"
#include "tests/unit/vq_device_model.h"

#define VBM_BASE    0x40000000ul /* guest memory lives here */
#define VBM_BYTES   (64ul << 20)
#define VBM_PAGES   (VBM_BYTES >> 12)
#define VBM_RESERVE 256
#define VBM_NQ	    5

struct vbm {
	struct virtio_dev dev;
	uint64_t offered, driver_features;
	uint8_t status;
	bool saw_failed;
	uint8_t cfg[16];
	uint32_t generation;
	uint8_t isr;
	int qidx[VBAL_NR_QUEUES]; /* QEMU's numbering; -1: absent */
	unsigned nq;
	uint16_t qmax[VBM_NQ];
	struct vqm q[VBM_NQ];
	bool active[VBM_NQ];
	bool defer;	     /* queue work waits for vbm_run */
	bool no_ack[VBM_NQ]; /* take buffers, never answer */
	struct vqm_buf held[VBM_NQ][8];
	unsigned nheld[VBM_NQ];

	/* What the device saw. */
	uint8_t inflated[VBM_PAGES]; /* per page of guest memory */
	uint64_t balloon;	     /* pages inflated, not deflated */
	uint64_t inflate_bufs, deflate_bufs, max_pfns_per_buf;
	uint64_t notifies[VBM_NQ];
	uint64_t kicks_with_many; /* notifies that found > 1 buffer */
	uint32_t last_deflated;
	bool poison_written, poison_before_ok;
	unsigned actual_writes;
	struct vbal_stat stats[16];
	unsigned nstats, stats_len, stats_updates;
	uint32_t hint_ids[16];
	unsigned nhint_ids, hint_blocks, hint_stops;
	unsigned report_bufs, report_blocks;

	unsigned errors;
	char last_error[160];
};

/* Map guest memory, build mm_zone over it (reserve VBM_RESERVE), once. */
void vbm_memory_init(void);
/* A fresh device offering these features (VERSION_1 added unless legacy). */
void vbm_init(struct vbm *m, uint64_t offered);
/* Process every queue (deferred mode, or after clearing no_ack). */
void vbm_run(struct vbm *m);
/* The device wants fresh statistics: hand the held buffer back. */
bool vbm_stats_request(struct vbm *m);
/* Host side of the config: set num_pages / the hint command id. */
void vbm_set_target(struct vbm *m, uint32_t pages);
void vbm_set_cmd_id(struct vbm *m, uint32_t id);
uint32_t vbm_cfg32(const struct vbm *m, unsigned off);

/* A fake clock: each call moves 1 ms, so timeouts come fast and exact. */
uint64_t vbm_now(void);
/* A driver configuration for m with the fake clock. */
struct vbal_cfg vbm_cfg(struct vbm *m);

#endif
