/*
 * vbal_follow.c - run=follow: pinprick as a plain virtio-balloon guest.
 *
 * No tests: the guest brings the balloon up and follows the host's target
 * until it is shut down, printing one "#" line per change, so a person at
 * the QEMU monitor ("balloon 96") or another harness can watch what the
 * balloon does. Between changes the CPU halts until the next interrupt
 * (or, without a routable line, polls every 10 ms).
 */
#include "drivers/virtio/vbal_irq.h"
#include "kernel/mm.h"
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/time.h"
#include "kernel/x86.h"

#define STEP_PAGES (1u << 14) /* 64 MiB between progress checks */

static struct vbal follow_vb;

/*
 * Exact accounting after each change, in pages: every managed page has
 * one owner, and the driver's balloon is the allocator's ballooned count.
 * "its list" is the kernel pages holding the balloon's PFN list, which
 * the driver keeps a spare of (vbal_track.c), so kernel pages move too.
 * A harness (tests/vbal_storm.pl) compares these before and after a storm
 * of targets to prove that no page leaked.
 */
static void print_pages(const struct vbal *vb)
{
	const uint64_t *c = mm_zone.count;
	uint64_t sum = pa_owned_total(&mm_zone);

	kprintf("# follow: pages free %llu kernel %llu workload %llu pinned "
		"%llu ballooned %llu (driver %llu, its list %llu), sum %llu "
		"of %llu managed: %s\n",
		(unsigned long long)c[PA_FREE],
		(unsigned long long)c[PA_KERNEL],
		(unsigned long long)c[PA_WORKLOAD],
		(unsigned long long)c[PA_PINNED],
		(unsigned long long)c[PA_BALLOONED],
		(unsigned long long)vb->b.size,
		(unsigned long long)vb->st.track_pages, (unsigned long long)sum,
		(unsigned long long)mm_zone.managed,
		sum == mm_zone.managed && c[PA_BALLOONED] == vb->b.size
			? "consistent"
			: "MISMATCH");
}

static void print_state(const struct vbal *vb, uint64_t ns, uint64_t wait_ns,
			uint64_t moved)
{
	uint64_t ms = ns / NSEC_PER_MSEC;

	const struct balloon_shortfall *s = &vb->b.shortfall;

	kprintf("# follow: target %u pages (%u MiB), balloon %llu pages "
		"(%llu MiB), free %llu MiB, %llu ms",
		vb->num_pages, vb->num_pages >> 8,
		(unsigned long long)vb->b.size,
		(unsigned long long)(vb->b.size >> 8),
		(unsigned long long)(mm_zone.count[PA_FREE] >> 8),
		(unsigned long long)ms);
	if (moved)
		kprintf(" (%llu ns per page moved, %llu of them waiting for "
			"the device)",
			(unsigned long long)(ns / moved),
			(unsigned long long)(wait_ns / moved));
	if (s->active)
		kprintf("; short by %llu pages (reserve %llu, pinned %llu)",
			(unsigned long long)(s->target - s->achieved),
			(unsigned long long)s->reserve,
			(unsigned long long)s->pinned);
	kprintf("\n");
	print_pages(vb);
}

/* Move until the target is met or the balloon cannot move further. */
static void catch_up(struct vbal *vb)
{
	uint64_t t0 = time_ns(), w0 = vb->st.wait_ns, moved_total = 0;
	int64_t moved;

	do {
		moved = balloon_step(&vb->b, STEP_PAGES);
		moved_total += (uint64_t)(moved < 0 ? -moved : moved);
	} while (moved > 0 && vb->up && vbal_change(vb) != 0);
	print_state(vb, time_ns() - t0, vb->st.wait_ns - w0, moved_total);
}

static void wait_for_news(struct vbal *vb)
{
	if (vb->cfg.irq_mode == VIRTIO_IRQ_POLL) {
		delay_ns(10 * NSEC_PER_MSEC);
		return;
	}
	/* sti's one-instruction shadow covers hlt: an interrupt that lands
	 * after the check still wakes us. */
	irq_disable();
	if (!vb->config_pending)
		__asm__ volatile("sti; hlt" ::: "memory");
	irq_enable();
}

int vbal_follow_run(bool dirty, unsigned batch, unsigned bufs)
{
	struct vbal *vb = &follow_vb;
	struct virtio_dev *d = NULL;
	struct vbal_cfg cfg = {.zone = &mm_zone,
			       .queue_vector = VIRTIO_NO_VECTOR,
			       .batch_pfns = batch,
			       .max_bufs = bufs};
	int64_t last = -1;

	for (unsigned i = 0; i < virtio_nr_devices && !d; i++)
		if (virtio_devices[i]->device_id == VIRTIO_ID_BALLOON)
			d = virtio_devices[i];
	if (!d) {
		kprintf("1..0 # SKIP run=follow: no virtio-balloon\n");
		return 0;
	}
	cfg.dev = d;
	cfg.irq_mode = vbal_irq_attach(vb, d, VIRTIO_IRQ_INTX) == 0
			       ? VIRTIO_IRQ_INTX
			       : VIRTIO_IRQ_POLL;
	if (vbal_init(vb, &cfg) < 0) {
		kprintf("Bail out! run=follow: %s: %s\n", d->where,
			vb->error ? vb->error : "set-up failed");
		return -1;
	}
	if (dirty)
		kprintf("# follow: follow_dirty: wrote every free page once "
			"(%llu pages)\n",
			(unsigned long long)mm_dirty_free_pages());
	irq_enable();
	kprintf("# follow: virtio-balloon at %s (%s), %s, features %#llx, "
		"%u PFNs a buffer, %u buffers; following the host's target "
		"until shut down\n",
		d->where, d->ops->name, virtio_irq_mode_name(cfg.irq_mode),
		(unsigned long long)d->accepted, vb->batch, vb->nbufs);
	print_pages(vb); /* the baseline a harness compares the end with */
	for (;;) {
		vbal_service(vb);
		if (!vb->up)
			break;
		if (vbal_change(vb) != 0 && (int64_t)vb->num_pages != last) {
			last = vb->num_pages;
			catch_up(vb);
			/* make bench: each inflate takes memory the host backs */
			if (dirty && vb->b.size == 0)
				kprintf("# follow: follow_dirty: wrote every free "
					"page once (%llu pages)\n",
					(unsigned long long)
						mm_dirty_free_pages());
		}
		wait_for_news(vb);
	}
	kprintf("Bail out! run=follow: the device failed: %s\n",
		vb->error ? vb->error : "?");
	return -1;
}
