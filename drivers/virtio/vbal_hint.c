/*
 * vbal_hint.c - free page hinting (§5.5.6.5) and free page reporting
 * (§5.5.6.7): two ways of telling the host about FREE guest memory.
 *
 * Hinting serves migration. The device opens a round by writing a command
 * id >= 2 into free_page_hint_cmd_id; the driver answers once with a
 * 4-byte output buffer holding that id (D24-D26), then hands over free
 * blocks as device-writable buffers (D27), and closes with a 4-byte STOP
 * (D29). The host may skip those pages while migrating. When the id
 * becomes DONE the pages are the guest's again (D33). pinprick takes the
 * blocks from the allocator as PA_BALLOONED for the round, so nothing
 * else can touch them and the accounting shows where they are.
 *
 * Reporting frees host memory for good. The driver offers free 2 MiB
 * blocks (D41) on reporting_vq, waits for the acknowledgement (D39) and
 * then gives them back to the allocator. With PAGE_POISON the blocks are
 * filled with poison_val first (D38), and the device may only turn them
 * into poison_val (V14), so QEMU then keeps their contents.
 */
#include "drivers/virtio/virtio_balloon.h"
#include "kernel/string.h"

void vbal_hint_release(struct vbal *vb)
{
	for (unsigned i = 0; i < vb->hint_nr; i++)
		pa_free(vb->cfg.zone, vb->hint_pfn[i], VBAL_HINT_ORDER,
			PA_BALLOONED);
	vb->hint_nr = 0;
}

static bool add_out_id(struct vbal *vb, uint32_t *slot, uint32_t id)
{
	struct vq_buf piece = {slot, 4};

	*slot = id; /* L8: guest-native endian */
	return vq_add(&vb->vq[VBAL_Q_HINT], &piece, 1, 0, slot) == VQ_OK;
}

/* A new command id: answer it, hand over free blocks, then STOP. */
static void open_round(struct vbal *vb, uint32_t id)
{
	struct virtqueue *vq = &vb->vq[VBAL_Q_HINT];
	unsigned room;

	/* Pages of an earlier round may be handed back at any time (D30). */
	vbal_hint_release(vb);
	vb->hint_round_id = id;
	vb->hint_stopped = false;
	if (!add_out_id(vb, vb->hint_id_buf, id)) {
		vb->st.hint_ids_ignored++;
		return;
	}
	vb->st.hint_rounds++;
	/* Keep two descriptors for STOP and slack; take at most half of
	 * what is available so the guest never starves for a hint. */
	room = vq_num_free(vq) > 2 ? vq_num_free(vq) - 2 : 0;
	while (vb->hint_nr < VBAL_HINT_MAX && vb->hint_nr < room &&
	       pa_available(vb->cfg.zone) / 2 >= (1u << VBAL_HINT_ORDER)) {
		int64_t pfn =
			pa_alloc(vb->cfg.zone, VBAL_HINT_ORDER, PA_BALLOONED);
		struct vq_buf piece;

		if (pfn < 0)
			break;
		piece = (struct vq_buf){
			(void *)(uintptr_t)((uint64_t)pfn << PA_PAGE_SHIFT),
			PA_PAGE_SIZE << VBAL_HINT_ORDER};
		if (vq_add_ex(vq, &piece, 0, 1, &vb->hint_pfn[vb->hint_nr],
			      VQ_ADD_DIRECT) != VQ_OK) {
			pa_free(vb->cfg.zone, (uint64_t)pfn, VBAL_HINT_ORDER,
				PA_BALLOONED);
			break;
		}
		vb->hint_pfn[vb->hint_nr++] = (uint64_t)pfn;
		vb->st.hint_blocks++;
	}
	/* D29: nothing more to give; close the round. */
	if (add_out_id(vb, vb->hint_stop_buf, VBAL_CMD_ID_STOP)) {
		vb->hint_stopped = true;
		vb->st.hint_stops++;
	}
	vq_disable_cb(vq); /* still polled only (see vbal.c) */
	vq_kick(vq);
}

void vbal_hint_service(struct vbal *vb)
{
	uint32_t id = vb->hint_cmd_id;

	if (vb->qidx[VBAL_Q_HINT] < 0 || !vb->up)
		return;
	if (id == VBAL_CMD_ID_DONE) {
		/* D33: the host no longer needs the pages. */
		if (vb->hint_nr || vb->hint_round_id) {
			vbal_hint_release(vb);
			vb->hint_round_id = 0;
			vb->st.hint_done++;
		}
		return;
	}
	if (id == VBAL_CMD_ID_STOP)
		return; /* D28: stop supplying; we already closed the round */
	/* D26: each id is answered once. */
	if (id != vb->hint_round_id)
		open_round(vb, id);
}

void vbal_report_acked(struct vbal *vb)
{
	for (unsigned i = 0; i < vb->report_nr; i++)
		pa_free(vb->cfg.zone, vb->report_pfn[i], VBAL_REPORT_ORDER,
			PA_BALLOONED);
	if (vb->report_nr) {
		vb->st.report_bufs++;
		vb->st.report_blocks += vb->report_nr;
	}
	vb->report_nr = 0;
}

int vbal_report_free(struct vbal *vb, unsigned blocks)
{
	struct virtqueue *vq;
	struct vq_buf piece[VBAL_REPORT_MAX];
	bool poison;
	unsigned n = 0;
	uint64_t deadline;

	if (!vb->up)
		return VBAL_E_DOWN;
	if (vb->qidx[VBAL_Q_REPORT] < 0 || vb->report_nr)
		return VBAL_E_ARG;
	vq = &vb->vq[VBAL_Q_REPORT];
	poison = virtio_has(vb->d, VBAL_F_PAGE_POISON);
	if (blocks > VBAL_REPORT_MAX)
		blocks = VBAL_REPORT_MAX;
	/* Without indirect descriptors a buffer needs one slot per block. */
	if (!virtio_has(vb->d, VIRTIO_F_INDIRECT_DESC) &&
	    blocks > vq_num_free(vq))
		blocks = vq_num_free(vq);
	while (n < blocks) {
		int64_t pfn =
			pa_alloc(vb->cfg.zone, VBAL_REPORT_ORDER, PA_BALLOONED);
		uint8_t *p;

		if (pfn < 0)
			break;
		p = (uint8_t *)(uintptr_t)((uint64_t)pfn << PA_PAGE_SHIFT);
		if (poison) {
			uint32_t *w = (uint32_t *)p;

			for (uint64_t i = 0;
			     i < (PA_PAGE_SIZE << VBAL_REPORT_ORDER) / 4; i++)
				w[i] = vb->cfg.poison_val;
			vb->st.poisoned_pages += 1u << VBAL_REPORT_ORDER;
		}
		vb->report_pfn[n] = (uint64_t)pfn;
		piece[n] =
			(struct vq_buf){p, PA_PAGE_SIZE << VBAL_REPORT_ORDER};
		n++;
	}
	vb->report_nr = n;
	if (!n)
		return 0;
	/* Device-writable, as Linux offers them: the host may discard. */
	if (vq_add(vq, piece, 0, n, vb->report_pfn) != VQ_OK) {
		for (unsigned i = 0; i < n; i++)
			pa_free(vb->cfg.zone, vb->report_pfn[i],
				VBAL_REPORT_ORDER, PA_BALLOONED);
		vb->report_nr = 0;
		return VBAL_E_ARG;
	}
	vq_kick(vq);
	/* D39: not a byte of them is used before the acknowledgement. */
	deadline = vbal_now(vb) + vb->cfg.ack_timeout_ns;
	while (vb->up && vb->report_nr && vbal_now(vb) <= deadline) {
		if (!vbal_wait_used(vb, VBAL_Q_REPORT) && !vq_is_broken(vq))
			break;
		vbal_reap(vb, VBAL_Q_REPORT);
	}
	if (!vb->up)
		return VBAL_E_DEVICE;
	if (vb->report_nr)
		return VBAL_E_TIMEOUT; /* still the device's: keep them */
	return (int)n;
}
