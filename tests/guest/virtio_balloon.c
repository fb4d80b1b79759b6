/*
 * virtio_balloon.c - the virtio-balloon conformance suite, part one: the
 * driver's side of §5.5 as the device sees it.
 *
 * Bring-up and queue numbering, inflating to several host targets and
 * back, following the target by interrupt and by polling, statistics seen
 * by the host, deflate-on-OOM with and without the feature, every
 * feature switched off in turn. Each check names its clause (§ numbers of
 * virtio 1.2, requirement IDs of shared/reference/virtio-balloon.md) or
 * the de-facto behaviour it probes. Part two (vbal_probes.c) holds the
 * probes of what the device really does with the pages.
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

#define FOLLOW_NS (20 * NSEC_PER_SEC)

static void report_features(void)
{
	struct virtio_dev *d = vbt_dev;

	for (unsigned bit = 0; bit < 64; bit++) {
		bool off = d->offered >> bit & 1, acc = d->accepted >> bit & 1;

		if (off || acc)
			tf_info("feature %2u %-15s offered %s, accepted %s",
				bit, vbal_feature_name(bit), off ? "yes" : "no",
				acc ? "yes" : "no");
	}
}

static void test_bring_up(void)
{
	struct virtio_dev *d;
	uint32_t poison = 0xffffffff;
	bool mismatch = false;

	if (!vbt_present("virtio-balloon bring-up") ||
	    !vbt_up(0, vbt_default_mode()))
		return;
	d = vbt_dev;
	tf_info("%s: %s, %s, %s", d->where, d->ops->name,
		d->legacy ? "legacy interface" : "VERSION_1",
		virtio_irq_mode_name(vbt.cfg.irq_mode));
	report_features();
	tf_check_u64(d->accepted & VBAL_FEATURES_BALLOON,
		     d->offered & VBAL_FEATURES_BALLOON, "§5.5.3.1 D1",
		     "every balloon feature offered is negotiated");
	tf_check(!(d->accepted & ~d->offered), "virtio 1.2 §2.2.1",
		 "nothing unoffered is accepted");
	for (int q = 0; q < VBAL_NR_QUEUES; q++) {
		if (vbt.qidx[q] < 0)
			continue;
		tf_diag("index", "%d", vbt.qidx[q]);
		tf_check_range(vbt.qsize[q], 1, VQ_MAX_SIZE, "§5.5.2",
			       "%s exists at index %d (size %u)",
			       vbal_queue_name((enum vbal_queue)q), vbt.qidx[q],
			       vbt.qsize[q]);
		if (vbt.spec_qidx[q] != vbt.qidx[q]) {
			mismatch = true;
			tf_todo(false,
				"devices number queues compacted over offered "
				"features",
				"§5.5.2",
				"%s is at index %d; the specification's list "
				"puts it at %d",
				vbal_queue_name((enum vbal_queue)q),
				vbt.qidx[q], vbt.spec_qidx[q]);
		}
	}
	if (!mismatch)
		tf_info("queue numbering agrees with §5.5.2's list here");
	if (virtio_has(d, VBAL_F_STATS_VQ)) {
		tf_check(vbt.stats_with_device &&
				 vq_in_flight(&vbt.vq[VBAL_Q_STATS]) == 1,
			 "§5.5.5, §5.5.6.3.1 D16 D17",
			 "one filled stats buffer is with the device");
	}
	if (virtio_has(d, VBAL_F_PAGE_POISON)) {
		virtio_config_read(d, VBAL_CFG_POISON_VAL, &poison, 4);
		tf_check_u64(poison, vbt.cfg.poison_val, "§5.5.6.6.1 D35",
			     "poison_val written before DRIVER_OK reads back");
	}
	tf_check(d->ops->get_status(d) & VIRTIO_STATUS_DRIVER_OK,
		 "virtio 1.2 §3.1.1", "DRIVER_OK is set");
	tf_check_u64(vbt.actual, 0, "§5.5.6.1 D14", "actual starts at 0");
	vbt_down();
	tf_check_u64(d->ops->get_status(d), 0, "virtio 1.2 §2.4",
		     "teardown resets the device");
	vbt_check_accounting("after teardown");
}

/*
 * QEMU announces every change of actual as a BALLOON_CHANGE event with the
 * guest's size, at most one a second (later ones are coalesced): the last
 * one must end at the final size, RAM.
 */
static void events_settle(void)
{
	char reply[CTL_LINE_MAX];
	uint64_t count = 0, n, last = 0,
		 deadline = time_ns() + 5 * NSEC_PER_SEC;

	/* 5 s: five throttle periods, for a host busy with other work. */
	while (time_ns() < deadline) {
		n = 0;
		if (!vbt_ask("balloon-events", NULL, reply, sizeof(reply)))
			break;
		if (vbt_kv(reply, "count", &n))
			count += n;
		if (n && vbt_kv(reply, "last", &last) && last == vbt_ram())
			break;
		delay_ns(100 * NSEC_PER_MSEC);
	}
	tf_diag("events", "%llu", (unsigned long long)count);
	tf_diag("last", "%llu", (unsigned long long)last);
	tf_check(count >= 1 && last == vbt_ram(),
		 "QMP BALLOON_CHANGE (de facto)",
		 "the host's BALLOON_CHANGE events end at the guest's size");
}

/* Inflate to each target and back; the host sees what the guest has. */
static void test_targets(void)
{
	static const uint32_t mib[] = {8, 32, 4, 0};
	uint64_t guest;

	if (!vbt_present("inflate and deflate to host targets") ||
	    !vbt_up(0, vbt_default_mode()))
		return;
	if (!vbt_host("inflate and deflate to host targets")) {
		vbt_down();
		return;
	}
	vbt_ask("balloon-events", NULL, NULL, 0); /* start counting now */
	for (unsigned i = 0; i < sizeof(mib) / sizeof(mib[0]); i++) {
		uint64_t want = (uint64_t)mib[i] << 8, actual = ~0ull;
		bool got;
		uint64_t t0 = time_ns();

		tf_check(vbt_set_target(want), "QMP balloon",
			 "host asks for %u MiB", mib[i]);
		got = vbt_follow(want, FOLLOW_NS);
		tf_diag("num_pages", "%u", vbt.num_pages);
		tf_diag("size", "%llu", (unsigned long long)vbt.b.size);
		tf_check(
			got && vbt.b.size == want, "§5.5.6.1 D4 D5",
			"balloon reaches %u MiB (%llu pages) in %llu ms",
			mib[i], (unsigned long long)want,
			(unsigned long long)((time_ns() - t0) / NSEC_PER_MSEC));
		virtio_config_read(vbt_dev, VBAL_CFG_ACTUAL, &actual, 4);
		tf_check_u64(actual & 0xffffffff, want, "§5.5.6.1 D14, L4",
			     "actual reads back %llu",
			     (unsigned long long)want);
		tf_check(vbt_query(&guest), "QMP query-balloon",
			 "host answers query-balloon");
		tf_check_u64(guest, vbt_ram() - want * PA_PAGE_SIZE,
			     "QMP query-balloon (de facto)",
			     "host's guest size is RAM - %u MiB", mib[i]);
		tf_check_u64(mm_zone.count[PA_BALLOONED], want,
			     "pinprick accounting",
			     "allocator holds %llu ballooned pages",
			     (unsigned long long)want);
	}
	events_settle();
	tf_diag("acks", "%llu", (unsigned long long)vbt.st.inflate_bufs);
	tf_check_u64(vbt.st.used_len_nonzero, 0, "§5.5.6.2.1 L3 (QEMU: 0)",
		     "inflate/deflate used lengths are 0");
	vbt_check_accounting("after the targets");
	vbt_down();
}

/* The target change reaches the driver by interrupt, or by polling. */
static void follow_in_mode(enum virtio_irq_mode mode)
{
	const char *mn = virtio_irq_mode_name(mode);
	uint64_t irqs, deadline;

	if (!vbt_up(0, mode))
		return;
	if (!vbt_host("following the target")) {
		vbt_down();
		return;
	}
	irqs = vbt.st.config_irqs;
	vbt_set_target(512);
	deadline = time_ns() + 5 * NSEC_PER_SEC;
	while (!vbal_service(&vbt) && time_ns() < deadline)
		cpu_relax();
	if (mode == VIRTIO_IRQ_POLL)
		tf_check_u64(vbt.st.config_irqs, irqs, "pinprick polling",
			     "polling: no interrupt was needed");
	else
		tf_check(vbt.st.config_irqs > irqs, "virtio 1.2 §4.1.5.4",
			 "%s: the change arrived as an interrupt", mn);
	tf_check_u64(vbt.num_pages, 512, "§5.5.6.1, §2.5.2",
		     "%s: driver sees num_pages 512", mn);
	tf_check(vbt_follow(512, FOLLOW_NS) && vbt.b.size == 512, "§5.5.6.1 D4",
		 "%s: and follows it", mn);
	vbt_set_target(0);
	tf_check(vbt_follow(0, FOLLOW_NS) && vbt.b.size == 0, "§5.5.6.1 D5",
		 "%s: and back to 0", mn);
	vbt_down();
}

static void test_follow(void)
{
	if (!vbt_present("following the target"))
		return;
	if (vbt_default_mode() == VIRTIO_IRQ_INTX)
		follow_in_mode(VIRTIO_IRQ_INTX);
	else
		tf_skip("no routable interrupt line for the balloon",
			"follow by line interrupt");
	if (vbt_dev->msix_capable && !vbt_dev->legacy)
		follow_in_mode(VIRTIO_IRQ_MSIX);
	else
		tf_skip(vbt_dev->msix_capable ? "legacy interface"
					      : "the device has no MSI-X "
						"(QEMU 7.2's balloon)",
			"follow by MSI-X");
	follow_in_mode(VIRTIO_IRQ_POLL);
}

/* Statistics the host polls, checked against the allocator. */
static void test_stats(void)
{
	char s1[CTL_LINE_MAX], s2[CTL_LINE_MAX];
	uint64_t req0, v, upd1 = 0, upd2 = 0, deadline;
	static const char *const keys[] = {
		"swap-in",	"swap-out",	    "free-memory",
		"total-memory", "available-memory", "disk-caches",
	};
	static const unsigned idx[] = {0, 1, 2, 3, 4, 5};
	bool same = true;

	if (!vbt_present("memory statistics") || !vbt_up(0, vbt_default_mode()))
		return;
	if (!virtio_has(vbt_dev, VBAL_F_STATS_VQ)) {
		tf_skip("STATS_VQ not offered", "memory statistics");
		vbt_down();
		return;
	}
	if (!vbt_host("memory statistics")) {
		vbt_down();
		return;
	}
	req0 = vbt.st.stats_requests;
	tf_check(vbt_ask("stats-interval", "1", NULL, 0), "QEMU qom-set",
		 "host sets guest-stats-polling-interval 1");
	deadline = time_ns() + 5 * NSEC_PER_SEC;
	while (vbt.st.stats_requests < req0 + 2 && time_ns() < deadline)
		vbal_service(&vbt);
	tf_diag("requests", "%llu",
		(unsigned long long)(vbt.st.stats_requests - req0));
	tf_check(vbt.st.stats_requests >= req0 + 2, "§5.5.6.3",
		 "device asks for statistics at the interval");
	tf_check_u64(vbt.st.stats_sent, vbt.st.stats_requests, "§5.5.6.3.1 D18",
		     "every request is answered with a fresh buffer");
	tf_check(vq_in_flight(&vbt.vq[VBAL_Q_STATS]) == 1, "§5.5.6.3.1 D16",
		 "never more than one stats buffer");
	if (!vbt_ask("guest-stats", NULL, s1, sizeof(s1))) {
		tf_check(false, "QEMU qom-get", "host reads guest-stats");
		goto out;
	}
	tf_info("host: %s", s1);
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		bool has = vbt_kv(s1, keys[i], &v);

		tf_diag("host", "%llu", (unsigned long long)v);
		tf_diag("sent", "%llu",
			(unsigned long long)vbt.stats[idx[i]].val);
		tf_check(has && v == vbt.stats[idx[i]].val,
			 "§5.5.6.3 (QEMU guest-stats)",
			 "host's %s is what the guest sent", keys[i]);
	}
	tf_check_u64(vbt.stats[3].val, mm_zone.managed * PA_PAGE_SIZE,
		     "pinprick accounting", "total-memory is the managed size");
	vbt_kv(s1, "last-update", &upd1);
	delay_ns(1100 * NSEC_PER_MSEC);
	deadline = time_ns() + 3 * NSEC_PER_SEC;
	do {
		vbal_service(&vbt);
		if (vbt_ask("guest-stats", NULL, s2, sizeof(s2)))
			vbt_kv(s2, "last-update", &upd2);
	} while (upd2 <= upd1 && time_ns() < deadline);
	tf_diag("first", "%llu", (unsigned long long)upd1);
	tf_diag("second", "%llu", (unsigned long long)upd2);
	tf_check(upd2 > upd1, "§5.5.6.3", "host's last-update advances");
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		same &= vbt_kv(s2, keys[i], &v);
	same &= !vbt_kv(s2, "major-faults", &v) &&
		!vbt_kv(s2, "htlb-pgalloc", &v);
	tf_check(same, "§5.5.6.3.1 D23",
		 "the same subset every time (unsent tags stay unset)");
out:
	vbt_ask("stats-interval", "0", NULL, 0);
	vbt_down();
}

/* Deflate-on-OOM: with the feature the guest takes pages back, telling
 * the host; without it the balloon is never touched (D7). */
static void oom_case(bool feature)
{
	const char *fn = feature ? "with DEFLATE_ON_OOM" : "without it";
	uint64_t before, host_before = 0, host_after = 0, wl, wl_pages;
	int64_t got, extra;

	if (!vbt_up(feature ? 0 : 1ull << VBAL_F_DEFLATE_ON_OOM,
		    vbt_default_mode()))
		return;
	if (feature && !virtio_has(vbt_dev, VBAL_F_DEFLATE_ON_OOM)) {
		tf_skip("DEFLATE_ON_OOM not offered (QEMU deflate-on-oom=off)",
			"deflate on OOM %s", fn);
		vbt_down();
		return;
	}
	/* D6 lets the driver inflate on its own; no host needed. */
	got = vbt.b.ops->inflate(&vbt.b, 2048);
	tf_check_u64((uint64_t)got, 2048, "§5.5.6.1 D6", "%s: 8 MiB inflated",
		     fn);
	before = vbt.b.size;
	if (ctl_connected())
		vbt_query(&host_before);
	/* The workload takes everything above the reserve and wants more. */
	wl = vbt_workload_take_all(&wl_pages);
	extra = pa_alloc(&mm_zone, 0, PA_WORKLOAD);
	tf_diag("workload_pages", "%llu", (unsigned long long)wl_pages);
	tf_check(extra == PA_ERR_RESERVE, "pinprick reserve floor",
		 "%s: the workload is out of memory", fn);
	got = vbal_oom(&vbt, 256);
	extra = pa_alloc(&mm_zone, 0, PA_WORKLOAD);
	if (feature) {
		tf_check_u64((uint64_t)got, 256, "§5.5.6.1 D8 D9",
			     "%s: 256 pages deflated for the workload", fn);
		tf_check(extra > 0, "§5.5.6.1 D8",
			 "%s: and the workload's next page comes from them",
			 fn);
		tf_check_u64(vbt.actual, before - 256, "§5.5.6.1 D14",
			     "%s: and actual tells the host", fn);
		if (ctl_connected() && vbt_query(&host_after))
			tf_check_u64(host_after - host_before,
				     256 * PA_PAGE_SIZE, "QMP query-balloon",
				     "%s: the host sees 1 MiB come back", fn);
	} else {
		tf_check_u64((uint64_t)got, 0, "§5.5.6.1 D7",
			     "%s: the balloon is not touched", fn);
		tf_check(extra == PA_ERR_RESERVE, "§5.5.6.1 D7",
			 "%s: the workload stays out of memory", fn);
		tf_check_u64(vbt.b.size, before, "§5.5.6.1 D7",
			     "%s: balloon size unchanged", fn);
		tf_check_u64(mm_zone.count[PA_BALLOONED], before, "§5.5.6.1 D7",
			     "%s: allocator unchanged", fn);
	}
	if (extra > 0)
		pa_free(&mm_zone, (uint64_t)extra, 0, PA_WORKLOAD);
	vbt_workload_release(wl);
	vbt_check_accounting(fn);
	vbt_down();
}

static void test_oom(void)
{
	if (!vbt_present("deflate on OOM"))
		return;
	oom_case(true);
	oom_case(false);
}

/* Every feature off in turn: the device must work without it. */
static void test_features_off(void)
{
	uint64_t offered;

	if (!vbt_present("features switched off") ||
	    !vbt_up(0, VIRTIO_IRQ_POLL))
		return;
	offered = vbt_dev->offered;
	vbt_down();
	for (unsigned bit = 0; bit < 40; bit++) {
		uint64_t m = 1ull << bit;
		int64_t got;

		if (!(offered & m) || bit == VIRTIO_F_VERSION_1 ||
		    (!(m & VBAL_FEATURES_BALLOON) && !(m & VBAL_FEATURES_RING)))
			continue;
		if (!vbt_up(m, VIRTIO_IRQ_POLL))
			continue;
		got = vbt.b.ops->inflate(&vbt.b, 300);
		tf_check(!virtio_has(vbt_dev, bit) && got == 300 &&
				 vbt.b.ops->deflate(&vbt.b, 300) == 300,
			 "§5.5.3, §5.5.6", "without %s: 300 pages in and out",
			 vbal_feature_name(bit));
		vbt_down();
	}
	vbt_check_accounting("after the feature matrix");
}

static const struct tf_case vbal_cases[] = {
	{"bring-up", test_bring_up, 0},
	{"targets", test_targets, 60000},
	{"follow", test_follow, 60000},
	{"stats", test_stats, 20000},
	{"deflate-on-oom", test_oom, 0},
	{"features off", test_features_off, 30000},
};

const struct tf_suite suite_virtio_balloon =
	TF_SUITE("virtio-balloon", "the driver side of §5.5 against the device",
		 vbal_cases);
