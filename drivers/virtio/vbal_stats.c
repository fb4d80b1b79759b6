/*
 * vbal_stats.c - virtio-balloon memory statistics (§5.5.6.3).
 *
 * The device drives this queue. The driver keeps exactly one buffer on it
 * (D16); the device holds that buffer until it wants fresh numbers, then
 * hands it back used; the driver refills it and offers it again at once
 * (D18). QEMU asks every guest-stats-polling-interval seconds.
 *
 * pinprick sends the same six entries every time (D23), in tag order:
 *
 *	SWAP_IN, SWAP_OUT   0: pinprick has no swap
 *	MEMFREE             free pages x 4096, from the allocator
 *	MEMTOT              pages the allocator manages x 4096
 *	AVAIL               free pages above the reserve floor x 4096
 *	CACHES              0: pinprick has no page cache
 *
 * so the host can check them against the guest's own accounting. Entries
 * are guest-endian, which on x86 is also little-endian (L6).
 */
#include "drivers/virtio/virtio_balloon.h"

void vbal_stats_fill(struct vbal *vb)
{
	const struct pa_zone *z = vb->cfg.zone;
	static const uint16_t tags[VBAL_NR_STATS] = {
		VBAL_S_SWAP_IN, VBAL_S_SWAP_OUT, VBAL_S_MEMFREE,
		VBAL_S_MEMTOT,	VBAL_S_AVAIL,	 VBAL_S_CACHES,
	};
	uint64_t vals[VBAL_NR_STATS] = {
		0,
		0,
		z->count[PA_FREE] * PA_PAGE_SIZE,
		z->managed * PA_PAGE_SIZE,
		pa_available(z) * PA_PAGE_SIZE,
		0,
	};

	for (unsigned i = 0; i < VBAL_NR_STATS; i++) {
		vb->stats[i].tag = tags[i];
		vb->stats[i].val = vals[i];
	}
}

static int offer(struct vbal *vb)
{
	struct vq_buf piece = {vb->stats,
			       VBAL_NR_STATS * sizeof(struct vbal_stat)};

	/* D16: never a second buffer while the device holds one. */
	if (vb->stats_with_device)
		return 0;
	vbal_stats_fill(vb); /* D19: filled before it is offered */
	if (vq_add(&vb->vq[VBAL_Q_STATS], &piece, 1, 0, vb->stats) != VQ_OK)
		return -1;
	vb->stats_with_device = true;
	return 0;
}

int vbal_stats_start(struct vbal *vb)
{
	/* D17: available once the device is initialised; the caller
	 * notifies after DRIVER_OK (§5.5.5). */
	return offer(vb);
}

void vbal_stats_service(struct vbal *vb)
{
	struct virtqueue *vq = &vb->vq[VBAL_Q_STATS];
	uint32_t len;
	bool asked = false;

	while (vq_get_used(vq, &len)) {
		vb->st.stats_requests++;
		vb->stats_with_device = false;
		asked = true;
	}
	if (vq_is_broken(vq)) {
		vbal_device_broke(vb, VBAL_Q_STATS);
		return;
	}
	if (asked && offer(vb) == 0) {
		vq_kick(vq);
		vb->st.stats_sent++;
	}
}
