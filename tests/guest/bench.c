/*
 * bench.c - figures only the guest can measure, for make bench.
 *
 * An explicit-only suite (suite=bench): it never runs in a normal run,
 * and its checks only say that the measurement itself worked (every
 * allocation succeeded, the balloon reached its target and came back);
 * the figures go out as "# BENCH name=... median=..." lines that
 * bench/run.sh collects, the same format as the host benchmarks:
 *
 *   alloc.guest.order{0,9}   page allocator alloc+free pairs, ns each
 *   vmw.gdbstub.roundtrip    one backdoor call through QEMU's gdbstub
 *                            and the runner's model (GET_TARGET), us
 *   vmw.gdbstub.{lock,unlock}_{4k,2m}
 *                            the VMware balloon moving 64 MiB, MiB/s;
 *                            4k or 2m by what the host granted
 *                            (bench/profiles/ has one of each)
 *
 * Times come from time_ns (the calibrated TSC). Each figure is the
 * median of BENCH_RUNS runs with its min and max.
 */
#include "drivers/vmware/vmw_detect.h"
#include "kernel/console.h"
#include "kernel/ctl.h"
#include "kernel/mm.h"
#include "kernel/printf.h"
#include "kernel/tf.h"
#include "kernel/time.h"
#include "tests/guest/vmw_common.h"

#define BENCH_RUNS   5
#define VMW_MIB	     64
#define VMW_STEP     2048		 /* frames per tick, as scenarios */
#define VMW_LIMIT_NS (30 * NSEC_PER_SEC) /* per movement */

/* Prints one figure; v[] are thousandths of the unit, sorted here. */
static void bench_report(const char *name, const char *unit, uint64_t *v,
			 unsigned n, const char *note)
{
	uint64_t med;

	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	kprintf("# BENCH name=%s unit=%s median=%llu.%03llu min=%llu.%03llu "
		"max=%llu.%03llu runs=%u note=\"%s\"\n",
		name, unit, (unsigned long long)(med / 1000),
		(unsigned long long)(med % 1000),
		(unsigned long long)(v[0] / 1000),
		(unsigned long long)(v[0] % 1000),
		(unsigned long long)(v[n - 1] / 1000),
		(unsigned long long)(v[n - 1] % 1000), n, note);
}

static void bench_alloc_order(unsigned order, unsigned pairs)
{
	uint64_t v[BENCH_RUNS];
	unsigned failed = 0;
	char name[32];

	for (unsigned r = 0; r < BENCH_RUNS; r++) {
		uint64_t t0 = time_ns();

		for (unsigned i = 0; i < pairs; i++) {
			int64_t pfn = mm_alloc_kernel_pages(order);

			if (pfn < 0) {
				failed++;
				continue;
			}
			pa_free(&mm_zone, (uint64_t)pfn, order, PA_KERNEL);
		}
		v[r] = (time_ns() - t0) * 1000 / pairs;
	}
	tf_check_u64(failed, 0, "pinprick: bench",
		     "order-%u alloc+free pairs all succeeded (%u x %u)", order,
		     BENCH_RUNS, pairs);
	ksnprintf(name, sizeof(name), "alloc.guest.order%u", order);
	bench_report(name, "ns/op", v, BENCH_RUNS,
		     "alloc+free pair in the guest (TSC)");
}

static void bench_alloc(void)
{
	bench_alloc_order(0, 20000);
	bench_alloc_order(9, 2000);
}

/* ---- the VMware balloon through the gdbstub ------------------------------ */

static struct vmw_balloon vb;
static struct vmt_mem vm = {-1, -1, 0};

static bool vmw_target(uint64_t pages)
{
	char args[24], why[64];

	ksnprintf(args, sizeof(args), "%llu", (unsigned long long)pages);
	return ctl_request("vmw-target", args, why, sizeof(why),
			   5 * NSEC_PER_SEC) == CTL_OK;
}

/* Ticks until the balloon holds want pages; ns taken, 0 if it did not. */
static uint64_t vmw_move_to(uint64_t want)
{
	uint64_t t0 = time_ns();

	while (vb.b.size != want) {
		vmw_balloon_tick(&vb, VMW_STEP);
		if (time_ns() - t0 > VMW_LIMIT_NS)
			return 0;
	}
	return time_ns() - t0;
}

static void bench_vmw_moves(void)
{
	uint64_t lock[BENCH_RUNS], unlock[BENCH_RUNS], pages = VMW_MIB << 8;
	const char *size = vb.use_2m ? "2m" : "4k";
	bool ok = true;
	char name[40];

	for (unsigned r = 0; r < BENCH_RUNS && ok; r++) {
		uint64_t up, down;

		ok = vmw_target(pages) && (up = vmw_move_to(pages)) != 0 &&
		     vmw_target(0) && (down = vmw_move_to(0)) != 0;
		if (ok) {
			lock[r] = (uint64_t)VMW_MIB * 1000 * NSEC_PER_SEC / up;
			unlock[r] =
				(uint64_t)VMW_MIB * 1000 * NSEC_PER_SEC / down;
		}
	}
	tf_check(ok, "VMware ref §8, §10",
		 "the balloon reached %u MiB and 0 "
		 "again, %u times (%s pages)",
		 VMW_MIB, BENCH_RUNS, size);
	if (!ok)
		return;
	ksnprintf(name, sizeof(name), "vmw.gdbstub.lock_%s", size);
	bench_report(name, "MiB/s", lock, BENCH_RUNS,
		     "64 MiB through the gdbstub and the runner's model");
	ksnprintf(name, sizeof(name), "vmw.gdbstub.unlock_%s", size);
	bench_report(name, "MiB/s", unlock, BENCH_RUNS,
		     "64 MiB through the gdbstub and the runner's model");
}

static void bench_vmw(void)
{
	uint64_t rt[BENCH_RUNS];
	int rc;

	if (!vmt_up(&vb, &vm)) {
		tf_check(false, NULL,
			 "VMware balloon driver: allocate its pages");
		vmt_down(&vb, &vm);
		return;
	}
	rc = vmw_balloon_start(&vb);
	if (rc || !ctl_connect(2 * NSEC_PER_SEC)) {
		vmt_down(&vb, &vm);
		tf_skip(rc ? "no VMware balloon host (vmware = model)"
			   : ctl_unavailable_reason(),
			"VMware balloon figures");
		return;
	}
	/* Each tick with nothing to move is one GET_TARGET: one stop. */
	for (unsigned r = 0; r < BENCH_RUNS; r++) {
		uint64_t t0 = time_ns();

		for (unsigned i = 0; i < 200; i++)
			vmw_balloon_tick(&vb, 0);
		rt[r] = (time_ns() - t0) / 200; /* ns = thousandths of us */
	}
	bench_report("vmw.gdbstub.roundtrip", "us", rt, BENCH_RUNS,
		     "GET_TARGET: inl, gdbstub stop, model, registers back");
	bench_vmw_moves();
	vmw_target(0);
	vmt_down(&vb, &vm);
}

static const struct tf_case bench_cases[] = {
	{"allocator", bench_alloc, 0},
	{"vmware through the gdbstub", bench_vmw, 0},
};

const struct tf_suite suite_bench = TF_SUITE_EXPLICIT(
	"bench", "figures for make bench (bench/run.sh)", bench_cases);
