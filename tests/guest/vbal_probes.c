/*
 * vbal_probes.c - the virtio-balloon conformance suite, part two: what
 * the device really does with the pages (reference §14, §15).
 *
 * The zero-page probe and the host's resident memory show real reclaim;
 * the discriminating probes (a buffer of 257 PFNs, a two-descriptor
 * chain, an indirect table, a PFN outside RAM, driver writes to config)
 * are each reported as what the device did, because the specification
 * leaves it open; a target above guest memory must stop at the reserve
 * floor; free page reporting and hinting run when offered.
 */
#include "drivers/virtio/virtio_balloon.h"
#include "kernel/ctl.h"
#include "kernel/mm.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/tf.h"
#include "kernel/time.h"
#include "kernel/x86.h"
#include "tests/guest/vbal_common.h"

#define PROBE_PAGES 258
#define PATTERN	    0x5a

static uint32_t probe_pfn[PROBE_PAGES];

static uint8_t *page_at(uint32_t pfn)
{
	return (uint8_t *)(uintptr_t)((uint64_t)pfn << PA_PAGE_SHIFT);
}

/* n pages taken as ballooned and filled with the pattern. */
static bool take_pages(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int64_t pfn = pa_alloc(&mm_zone, 0, PA_BALLOONED);

		if (pfn < 0) {
			while (i--)
				pa_free(&mm_zone, probe_pfn[i], 0,
					PA_BALLOONED);
			return false;
		}
		probe_pfn[i] = (uint32_t)pfn;
		memset(page_at((uint32_t)pfn), PATTERN, PA_PAGE_SIZE);
	}
	return true;
}

static void give_pages(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pa_free(&mm_zone, probe_pfn[i], 0, PA_BALLOONED);
}

static bool all_zero(uint32_t pfn)
{
	const uint64_t *p = (const uint64_t *)page_at(pfn);

	for (unsigned i = 0; i < PA_PAGE_SIZE / 8; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Inflate pfns in one request shaped as asked, then deflate them again;
 * reading them before the deflate acknowledgement would break D7/D12.
 */
static bool round_trip(const uint32_t *pfns, unsigned n, unsigned nr_desc,
		       bool indirect, uint32_t *ilen)
{
	uint32_t dlen;

	if (vbal_probe_request(&vbt, VBAL_Q_INFLATE, pfns, n, nr_desc, indirect,
			       ilen) < 0)
		return false;
	return vbal_probe_request(&vbt, VBAL_Q_DEFLATE, pfns, n, 1, false,
				  &dlen) == 0;
}

static void test_zero_page(void)
{
	uint32_t ilen = ~0u, copy;
	bool zero;

	if (!vbt_present("zero-page probe") || !vbt_up(0, VIRTIO_IRQ_POLL))
		return;
	if (!take_pages(1)) {
		tf_check(false, NULL, "a page for the probe");
		vbt_down();
		return;
	}
	copy = probe_pfn[0];
	tf_check(round_trip(probe_pfn, 1, 1, false, &ilen),
		 "§5.5.6 (ack: informative steps)",
		 "inflate and deflate of one page are acknowledged");
	tf_check_u64(vbt.bufs[0].pfns[0], copy, "virtio 1.2 §2.7.5.1",
		     "the device left the PFN array unchanged");
	tf_info("used length: %u (QEMU writes 0)", ilen);
	zero = all_zero(probe_pfn[0]);
	tf_check_known(zero, "V2/V3 let a device keep the contents",
		       "§5.5.6.2 V2 (reclaim)",
		       "the inflated page reads back zero: the host "
		       "discarded it");
	give_pages(1);
	vbt_down();
}

/* Resident memory of the guest-RAM mapping falls as dirtied pages go. */
static void test_rss(void)
{
	enum { PAGES = 4096 }; /* 16 MiB */
	static uint32_t pfns[PAGES];
	uint64_t before = 0, after = 0;
	bool ok = true;
	unsigned i;

	if (!vbt_present("host RSS drop") || !vbt_up(0, VIRTIO_IRQ_POLL))
		return;
	if (!vbt_host("host RSS drop") || !vbt_rss(&before)) {
		if (ctl_connected())
			tf_skip("the runner cannot read QEMU's smaps",
				"host RSS drop");
		vbt_down();
		return;
	}
	for (i = 0; i < PAGES; i++) {
		int64_t pfn = pa_alloc(&mm_zone, 0, PA_BALLOONED);

		if (pfn < 0)
			break;
		pfns[i] = (uint32_t)pfn;
		memset(page_at(pfns[i]), PATTERN, PA_PAGE_SIZE);
	}
	vbt_rss(&before);
	for (unsigned k = 0; k < i && ok; k += VBAL_BATCH_PFNS)
		ok = vbal_probe_request(
			     &vbt, VBAL_Q_INFLATE, pfns + k,
			     i - k < VBAL_BATCH_PFNS ? i - k : VBAL_BATCH_PFNS,
			     1, false, NULL) == 0;
	vbt_rss(&after);
	tf_diag("before", "%llu", (unsigned long long)before);
	tf_diag("after", "%llu", (unsigned long long)after);
	tf_check(ok && i == PAGES && before > after &&
			 before - after >=
				 (uint64_t)PAGES * PA_PAGE_SIZE * 3 / 4,
		 "reference §15.2 (QEMU MADV_DONTNEED)",
		 "QEMU's resident guest RAM drops by >= 12 of 16 MiB "
		 "inflated (%llu KiB)",
		 (unsigned long long)(before > after ? (before - after) >> 10
						     : 0));
	for (unsigned k = 0; k < i; k += VBAL_BATCH_PFNS)
		vbal_probe_request(&vbt, VBAL_Q_DEFLATE, pfns + k,
				   i - k < VBAL_BATCH_PFNS ? i - k
							   : VBAL_BATCH_PFNS,
				   1, false, NULL);
	for (unsigned k = 0; k < i; k++)
		pa_free(&mm_zone, pfns[k], 0, PA_BALLOONED);
	vbt_down();
}

/* One probe shape: did the device apply the last PFN of the request? */
static void shape_probe(const char *shape, unsigned n, unsigned nr_desc,
			bool indirect, const char *clause)
{
	uint32_t ilen = 0;
	bool acked, first_zero, last_zero;

	if (!take_pages(n)) {
		tf_check(false, NULL, "%s: pages for the probe", shape);
		return;
	}
	acked = round_trip(probe_pfn, n, nr_desc, indirect, &ilen);
	first_zero = all_zero(probe_pfn[0]);
	last_zero = all_zero(probe_pfn[n - 1]);
	tf_check(acked, clause, "%s: acknowledged", shape);
	tf_info("%s: first page %s, last page %s, used length %u", shape,
		first_zero ? "discarded" : "kept",
		last_zero ? "discarded" : "kept", ilen);
	tf_check_known(first_zero && last_zero,
		       "Firecracker/Cloud Hypervisor skip such requests",
		       clause, "%s: every PFN was applied", shape);
	give_pages(n);
}

static void test_shapes(void)
{
	uint32_t before, after, outside, ilen = 0, v;
	uint8_t *a;

	if (!vbt_present("discriminating probes") ||
	    !vbt_up(0, VIRTIO_IRQ_POLL))
		return;
	shape_probe("one descriptor with 257 PFNs", 257, 1, false,
		    "reference §14 probe 1 (Linux sends <= 256)");
	shape_probe("inflate split over a 2-descriptor chain", 2, 2, false,
		    "virtio 1.2 §2.7.4 (any layout), probe 2");
	if (virtio_has(vbt_dev, VIRTIO_F_INDIRECT_DESC))
		shape_probe("inflate through an indirect table", 2, 2, true,
			    "virtio 1.2 §2.7.5.3, probe 3");
	else
		tf_skip("INDIRECT_DESC not negotiated", "indirect probe");

	/* A PFN past the end of RAM: acknowledged, ignored, harmless. */
	outside = (uint32_t)((mm_ram_bytes >> PA_PAGE_SHIFT) + (1u << 18));
	tf_check(round_trip(&outside, 1, 1, false, &ilen),
		 "reference §14 probe 9",
		 "a PFN outside RAM (%#x) is acknowledged", outside);

	/* Driver writes to num_pages: the device's field. */
	virtio_config_read(vbt_dev, VBAL_CFG_NUM_PAGES, &before, 4);
	vbt_dev->ops->config_write(vbt_dev, VBAL_CFG_NUM_PAGES, 4, before + 7);
	virtio_config_read(vbt_dev, VBAL_CFG_NUM_PAGES, &after, 4);
	tf_info("driver write to num_pages: %s (read %u, wrote %u)",
		after == before ? "ignored" : "accepted", after, before + 7);
	tf_check_known(after == before, "Firecracker accepts it",
		       "§5.5.4 (num_pages is the device's), probe 4",
		       "a driver write to num_pages is ignored");
	if (after != before)
		vbt_dev->ops->config_write(vbt_dev, VBAL_CFG_NUM_PAGES, 4,
					   before);

	/* Byte-wise actual: non-conformant (L4), so only observed. */
	v = 0x00010203;
	a = (uint8_t *)&v;
	for (unsigned i = 0; i < 4; i++)
		vbt_dev->ops->config_write(vbt_dev, VBAL_CFG_ACTUAL + i, 1,
					   a[i]);
	virtio_config_read(vbt_dev, VBAL_CFG_ACTUAL, &after, 4);
	tf_info("byte-wise write of actual (breaks L4 on purpose): reads "
		"%#x",
		after);
	vbal_write_actual(&vbt, 0);
	tf_check(vbt.up, NULL, "the driver survived every probe");
	vbt_check_accounting("after the probes");
	vbt_down();
}

/* QMP balloon to 1 MiB: far more than the guest can give. */
static void test_too_big(void)
{
	uint64_t want;
	struct balloon_shortfall *s = &vbt.b.shortfall;

	if (!vbt_present("a target above guest memory") ||
	    !vbt_up(0, vbt_default_mode()))
		return;
	if (!vbt_host("a target above guest memory")) {
		vbt_down();
		return;
	}
	want = (vbt_ram() - (1u << 20)) / PA_PAGE_SIZE;
	tf_check(vbt_ask("balloon", "1048576", NULL, 0), "QMP balloon",
		 "host asks for a 1 MiB guest");
	vbt_follow(want, 60 * NSEC_PER_SEC);
	tf_info("target %llu pages, achieved %llu, pinned %llu, reserve "
		"%llu",
		(unsigned long long)s->target, (unsigned long long)s->achieved,
		(unsigned long long)s->pinned, (unsigned long long)s->reserve);
	tf_check(s->active && s->target == want && s->achieved == vbt.b.size &&
			 vbt.b.size < want,
		 "balloon.h shortfall", "the shortfall is reported");
	tf_diag("free", "%llu", (unsigned long long)mm_zone.count[PA_FREE]);
	tf_diag("kernel", "%llu", (unsigned long long)mm_zone.count[PA_KERNEL]);
	tf_diag("track_pages", "%llu", (unsigned long long)vbt.st.track_pages);
	tf_check_u64(mm_zone.count[PA_FREE] >= mm_zone.reserve, 1,
		     "pinprick reserve floor",
		     "free pages stay >= the reserve");
	tf_check_u64(s->reserve, mm_zone.reserve, "pinprick reserve floor",
		     "the shortfall names the reserve");
	vbt_check_accounting("at the shortfall");
	vbt_set_target(0);
	tf_check(vbt_follow(0, 60 * NSEC_PER_SEC) && vbt.b.size == 0,
		 "§5.5.6.1 D5 D9", "and deflates cleanly afterwards");
	tf_check(!s->active, "balloon.h shortfall", "the shortfall is over");
	vbt_check_accounting("after the deflation");
	vbt_down();
}

/*
 * With PAGE_POISON and a non-zero poison_val the device may turn reported
 * pages into nothing but poison_val (V14); QEMU then keeps them as they
 * are. The blocks were filled with poison_val by the driver (D38).
 */
static void reporting_keeps_poison(void)
{
	const uint32_t poison = 0xaaaaaaaa;
	uint64_t first[VBAL_REPORT_MAX];
	int n;
	bool kept = true;

	vbt_poison_val = poison;
	if (!vbt_up(0, VIRTIO_IRQ_POLL)) {
		vbt_poison_val = 0;
		return;
	}
	n = vbal_report_free(&vbt, 4);
	/* The PFNs stay in report_pfn after the blocks are freed again;
	 * nothing has allocated since, so their contents are the device's. */
	for (int i = 0; i < n && i < VBAL_REPORT_MAX; i++) {
		const uint32_t *w =
			(const uint32_t *)(uintptr_t)(vbt.report_pfn[i]
						      << PA_PAGE_SHIFT);
		unsigned words = (PA_PAGE_SIZE << VBAL_REPORT_ORDER) / 4;

		first[i] = w[0];
		for (unsigned k = 0; k < words; k += 1024)
			kept &= w[k] == poison && w[k + 1023] == poison;
	}
	tf_diag("first_word", "%#llx",
		n > 0 ? (unsigned long long)first[0] : 0);
	tf_check(n == 4 && kept, "§5.5.6.7.2 V14, §5.5.6.6.1 D38",
		 "with poison_val %#x, reported blocks hold only poison_val",
		 poison);
	vbt_down();
	vbt_poison_val = 0;
}

static void test_reporting(void)
{
	uint64_t before = 0, after = 0;
	int n;
	bool have_rss, poison_offered;

	if (!vbt_present("free page reporting") || !vbt_up(0, VIRTIO_IRQ_POLL))
		return;
	if (!virtio_has(vbt_dev, VBAL_F_PAGE_REPORTING)) {
		tf_skip("PAGE_REPORTING not offered (QEMU "
			"free-page-reporting=off)",
			"free page reporting");
		vbt_down();
		return;
	}
	poison_offered = virtio_has(vbt_dev, VBAL_F_PAGE_POISON);
	vbt_dirty_free_memory(PATTERN);
	have_rss = ctl_connect(2 * NSEC_PER_SEC) && vbt_rss(&before);
	n = vbal_report_free(&vbt, 8);
	tf_check(n == 8, "§5.5.6.7 D39 D41",
		 "8 free 2 MiB blocks reported and acknowledged (%d)", n);
	if (have_rss && vbt_rss(&after)) {
		tf_diag("before", "%llu", (unsigned long long)before);
		tf_diag("after", "%llu", (unsigned long long)after);
		tf_check(before > after && before - after >= (12ull << 20),
			 "§5.5.6.7 (QEMU discards with poison_val 0)",
			 "QEMU's resident guest RAM drops by >= 12 of 16 MiB");
	} else {
		tf_skip(ctl_connected() ? "the runner cannot read smaps"
					: ctl_unavailable_reason(),
			"resident memory after reporting");
	}
	tf_check_u64(mm_zone.count[PA_BALLOONED], 0, "§5.5.6.7 D39",
		     "reported blocks are free again after the ack");
	vbt_check_accounting("after reporting");
	vbt_down();
	if (poison_offered)
		reporting_keeps_poison();
}

/*
 * Hinting runs only during a migration, so the runner starts one (to
 * "exec:cat > /dev/null") and resumes the guest when it completes. The
 * driver polls here: with the balloon's line interrupt routed, QEMU 7.2
 * under TCG aborts during the migration (tcg_handle_interrupt: assertion
 * qemu_mutex_iothread_locked, raised from a thread without the big
 * lock); polling keeps the line masked. Reproduce with the
 * pc-virtio-hint profile and vbt_default_mode() below.
 */
static void test_hinting(void)
{
	char reply[CTL_LINE_MAX] = "";
	uint64_t deadline;

	if (!vbt_present("free page hinting") || !vbt_up(0, VIRTIO_IRQ_POLL))
		return;
	if (!virtio_has(vbt_dev, VBAL_F_FREE_PAGE_HINT)) {
		tf_skip("FREE_PAGE_HINT not offered (QEMU free-page-hint=off)",
			"free page hinting");
		vbt_down();
		return;
	}
	if (!vbt_host("free page hinting")) {
		vbt_down();
		return;
	}
	if (!tf_check(vbt_ask("migrate-start", NULL, reply, sizeof(reply)),
		      "QMP migrate",
		      "host starts a migration (hinting runs then)")) {
		vbt_down();
		return;
	}
	deadline = time_ns() + 30 * NSEC_PER_SEC;
	while (time_ns() < deadline && !vbt.st.hint_done) {
		vbal_service(&vbt);
		cpu_relax();
	}
	tf_info("rounds %llu, blocks %llu, last id %#x",
		(unsigned long long)vbt.st.hint_rounds,
		(unsigned long long)vbt.st.hint_blocks, vbt.hint_cmd_id);
	tf_check(vbt.st.hint_rounds >= 1, "§5.5.6.5.1 D25",
		 "a round was opened with the device's command id");
	tf_check(vbt.st.hint_blocks >= 1, "§5.5.6.5.1 D27",
		 "free blocks were hinted");
	tf_check_u64(vbt.st.hint_stops, vbt.st.hint_rounds, "§5.5.6.5.1 D29",
		     "every round closed with STOP");
	tf_check(vbt.st.hint_done >= 1 && vbt.hint_nr == 0,
		 "§5.5.6.5.1 D33, V11", "DONE arrives and the pages come back");
	deadline = time_ns() + 30 * NSEC_PER_SEC;
	/* Poll gently: the runner limits requests per second. */
	while (vbt_ask("migrate-status", NULL, reply, sizeof(reply)) &&
	       strncmp(reply, "status=completed", 16) &&
	       strncmp(reply, "status=failed", 13) && time_ns() < deadline)
		delay_ns(100 * NSEC_PER_MSEC);
	tf_check(!strncmp(reply, "status=completed", 16), "QMP query-migrate",
		 "the migration completed and the guest runs on");
	tf_info("migration: %s", reply);
	vbt_check_accounting("after hinting");
	vbt_down();
}

static const struct tf_case probe_cases[] = {
	{"zero-page probe", test_zero_page, 0},
	{"host RSS", test_rss, 0},
	{"discriminating probes", test_shapes, 0},
	{"target above memory", test_too_big, 120000},
	{"free page reporting", test_reporting, 0},
	{"free page hinting", test_hinting, 90000},
};

const struct tf_suite suite_virtio_balloon_probes = TF_SUITE(
	"virtio-balloon-probes",
	"what the device does with the pages (reclaim, probes)", probe_cases);
