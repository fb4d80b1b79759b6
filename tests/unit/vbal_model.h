/*
 * vbal_model.h - an in-process virtio-balloon DEVICE for host unit tests
 * of the balloon driver (drivers/virtio/vbal*.c).
 *
 * It is a struct virtio_dev whose transport operations are the device:
 * status, features, a config space of 8 to 20 bytes, queues numbered the
 * way QEMU numbers them (compacted over the offered features; or, for the
 * fallback rule, the way §5.5.2 reads literally), one vq_device_model per
 * queue. Guest memory is a fixed low mapping (vbal_host_stubs.c), so a
 * PFN << 12 is a host pointer and every PFN fits in 32 bits, as in the
 * kernel.
 *
 * Like QEMU it discards (zeroes) inflated pages, acknowledges with used
 * length 0, holds the stats buffer until asked, records hint ids and
 * blocks, and acknowledges reports. It can answer at once, only when the
 * driver idles (an asynchronous device), hold buffers and never answer
 * (a silent one), or misbehave on its rings (vqm hostile modes).
 *
 * Unlike QEMU it also judges the driver: every rule it can see broken is
 * counted in m->errors with a message, and tests expect that count to stay
 * 0. It sees a lot because it shares the allocator with the driver: a page
 * it is asked to inflate, deflate, hint or report must be PA_BALLOONED
 * (nobody else's), and a page in the balloon must still read as the zeroes
 * the discard left when it comes back (nobody wrote it meanwhile).
 */
#ifndef PINPRICK_VBAL_MODEL_H
#define PINPRICK_VBAL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio_balloon.h"
#include "tests/unit/vq_device_model.h"

#define VBM_BASE      0x40000000ul /* guest memory lives here */
#define VBM_BYTES     (64ul << 20)
#define VBM_PAGES     (VBM_BYTES >> 12)
#define VBM_RESERVE   256
#define VBM_NQ	      5
#define VBM_HELD      96 /* buffers a silent device keeps per queue */
#define VBM_CFG_BYTES 20 /* crosvm's size, the largest seen */

struct vbm {
	struct virtio_dev dev;
	uint64_t offered, driver_features;
	uint8_t status;
	bool saw_failed;
	uint8_t cfg[VBM_CFG_BYTES];
	uint32_t generation;
	uint8_t isr;
	int qidx[VBAL_NR_QUEUES]; /* device index of each queue; -1: none */
	unsigned nq;		  /* indexes 0..nq-1 exist (qmax 0: a hole) */
	uint16_t qmax[VBM_NQ];
	struct vqm q[VBM_NQ];
	bool active[VBM_NQ];

	/* How the device behaves; tests set these after vbm_init. */
	bool defer;	       /* queue work waits for vbm_run */
	unsigned answer_every; /* with defer: run on every Nth idle call */
	bool no_ack[VBM_NQ];   /* take buffers, never answer */
	bool refuse_features_ok;
	bool refuse_msix;
	bool flapping_generation; /* changes on every read */

	struct vqm_buf held[VBM_NQ][VBM_HELD];
	uint32_t held_sum[VBM_NQ][VBM_HELD]; /* of the readable bytes */
	unsigned nheld[VBM_NQ];

	/* What the device saw. */
	uint8_t inflated[VBM_PAGES]; /* per page of guest memory */
	uint64_t balloon;	     /* pages inflated, not deflated */
	uint64_t inflate_bufs, deflate_bufs, max_pfns_per_buf;
	uint64_t notifies[VBM_NQ];
	uint64_t early_notifies;  /* before DRIVER_OK */
	uint64_t kicks_with_many; /* notifies that found > 1 buffer */
	uint64_t idle_calls;
	uint32_t last_deflated;
	bool poison_written, poison_before_ok;
	bool stats_ready_at_ok; /* a stats buffer was available then */
	unsigned actual_writes;
	struct vbal_stat stats[16];
	unsigned nstats, stats_len, stats_updates;
	uint16_t first_tags[16]; /* of the first stats buffer (D23) */
	unsigned nfirst_tags;
	uint32_t hint_ids[16];
	unsigned nhint_ids, hint_blocks, hint_stops;
	bool hint_open; /* an id came, its STOP not yet */
	unsigned report_bufs, report_blocks;
	uint64_t report_pfn[64]; /* first blocks reported, in order */

	unsigned errors;
	char last_error[160];
};

/* Map guest memory, build mm_zone over it (reserve VBM_RESERVE), once. */
void vbm_memory_init(void);
/* A fresh device offering these features (VERSION_1 added); config 16. */
void vbm_init(struct vbm *m, uint64_t offered);
/* Renumber the queues as §5.5.2 lists them, with holes for absent ones. */
void vbm_number_by_spec(struct vbm *m);
/* Process every queue (deferred mode, or after clearing no_ack). */
void vbm_run(struct vbm *m);
/* The driver's idle hook: counts, and answers every answer_every-th. */
void vbm_idle(void *ctx);
/* The device wants fresh statistics: hand the held buffer back. */
bool vbm_stats_request(struct vbm *m);
/* Host side of the config: set num_pages / the hint command id. */
void vbm_set_target(struct vbm *m, uint32_t pages);
void vbm_set_cmd_id(struct vbm *m, uint32_t id);
uint32_t vbm_cfg32(const struct vbm *m, unsigned off);

/* A fake clock: each call moves 1 ms, so timeouts come fast and exact. */
uint64_t vbm_now(void);
/* A driver configuration for m with the fake clock and vbm_idle. */
struct vbal_cfg vbm_cfg(struct vbm *m);

/* Internal, shared by vbal_model.c and vbal_model_queues.c. */
void vbm_bad(struct vbm *m, const char *fmt, uint64_t a);
int vbm_queue_of(const struct vbm *m, unsigned idx); /* enum vbal_queue */
void vbm_run_queue(struct vbm *m, unsigned idx);
void vbm_release_held(struct vbm *m, unsigned idx);
bool vbm_has_avail(const struct vqm *q);

#endif
