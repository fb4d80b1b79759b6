/*
 * vmw_bench.c - the VMware balloon path in process: driver + host model.
 *
 * The real guest driver (drivers/vmware/vmw_balloon*.c) wired to the host
 * reference model (host/vmw/vmw_model*.c) through its call seam, as in
 * tests/unit/vmw_rig.h: a page-allocator zone of metadata only, a batch
 * page that is a host buffer, each "backdoor call" a function call. There
 * is no VM exit and no real hypervisor here, so these figures are the
 * cost of the protocol logic on both sides (allocator, batch page, the
 * model's locked set): the ceiling a real guest cannot beat, to be read
 * next to the guest's own inflate/deflate figures.
 *
 * A run inflates the balloon from 0 to N MiB (BATCHED_LOCK, 512 pages a
 * call) and deflates it back to 0, again and again until it has taken
 * long enough to time; lock and unlock are timed apart.
 *
 *   vmw.inproc.lock_4k, .unlock_4k     MiB/s, 4 KiB pages (no 2 MiB cap)
 *   vmw.inproc.lock_2m, .unlock_2m     MiB/s, 2 MiB pages (BATCHED_2M)
 *   ... and each with ".pages"        pages per second (ops/s)
 *
 * N is 1024 MiB, 64 MiB with --quick. Every run ends with the same checks
 * as the unit tests (no model finding, no driver error, every page back
 * in the allocator): a figure from a broken balloon is worth nothing.
 */
#include "bench/host/bench.h"
#include "drivers/vmware/vmw_balloon.h"
#include "host/vmw/vmw_model.h"
#include "kernel/page_alloc.h"

#define VB_BASE	    256ull  /* the zone starts at 1 MiB, like the kernel's */
#define VB_SPARE    1024ull /* pages beyond N: batch page, reserve, slack */
#define VB_RESERVE  64ull
#define VB_MIB	    1024u
#define VB_QMIB	    64u
#define VB_MIN_NS   200000000ull /* lock + unlock time a run adds up to */
#define VB_QMIN_NS  20000000ull
#define VB_RUNS	    5
#define VB_QRUNS    3
#define VB_MAX_TICK 16 /* one tick should do it; more means it is stuck */
#define VB_CAPS_4K  (VMW_CAP_BASIC | VMW_CAP_BATCHED | VMW_CAP_64_BIT_TARGET)
#define VB_CAPS_2M  (VB_CAPS_4K | VMW_CAP_BATCHED_2M)

static const char *prog = "vmw_bench";

struct vb_rig {
	struct pa_zone zone;
	uint64_t npages;
	uint64_t batch_pfn;
	uint64_t batch[VMW_BATCH_MAX]; /* the batch page, host and guest */
	uint64_t *track;
	struct vmw_model *m;
	struct vmw_balloon vb;
};

/* The model reads and writes guest memory: only the batch page exists. */
static int vb_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	struct vb_rig *r = ctx;

	if (gpa != r->batch_pfn << PA_PAGE_SHIFT || len > sizeof(r->batch))
		return -1;
	memcpy(buf, r->batch, len);
	return 0;
}

static int vb_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	struct vb_rig *r = ctx;

	if (gpa != r->batch_pfn << PA_PAGE_SHIFT || len > sizeof(r->batch))
		return -1;
	memcpy(r->batch, buf, len);
	return 0;
}

/* The driver's seam: straight into the model. */
static void vb_call(void *ctx, struct vmw_regs *regs)
{
	struct vb_rig *r = ctx;

	vmw_model_call(r->m, regs);
}

static void vb_setup(struct vb_rig *r, uint64_t npages, uint32_t caps)
{
	struct vmw_model_config mc = {.max_percent = 100, .maxmemctl_mb = -1};
	struct vmw_mem_ops mem = {vb_read, vb_write, r};
	struct vmw_balloon_cfg bc = {0};
	struct pa_page *meta = malloc(pa_meta_bytes(npages));
	int64_t pfn;

	memset(r, 0, sizeof(*r));
	r->npages = npages;
	r->track = calloc(npages, sizeof(*r->track));
	if (!meta || !r->track)
		bench_die(prog, "out of memory for %llu pages",
			  (unsigned long long)npages);
	if (pa_init(&r->zone, VB_BASE, npages, meta) != PA_OK ||
	    pa_add_free_range(&r->zone, VB_BASE, VB_BASE + npages) != PA_OK)
		bench_die(prog, "zone setup failed");
	pfn = pa_alloc(&r->zone, 0, PA_KERNEL);
	if (pfn < 0 || pa_set_reserve(&r->zone, VB_RESERVE) != PA_OK)
		bench_die(prog, "batch page or reserve: %s",
			  pa_err_name(pfn < 0 ? (int)pfn : r->zone.last_error));
	r->batch_pfn = (uint64_t)pfn;
	mc.ram_frames = VB_BASE + npages;
	mc.host_caps = caps;
	r->m = vmw_model_new(&mc, &mem);
	if (!r->m)
		bench_die(prog, "vmw_model_new failed");
	bc.call = vb_call;
	bc.call_ctx = r;
	bc.zone = &r->zone;
	bc.batch_pfn = r->batch_pfn;
	bc.batch = r->batch;
	bc.ram_frames = VB_BASE + npages;
	bc.track = r->track;
	bc.track_len = npages;
	if (vmw_balloon_init(&r->vb, &bc))
		bench_die(prog, "vmw_balloon_init failed");
}

static void vb_teardown(struct vb_rig *r)
{
	vmw_model_free(r->m);
	free(r->zone.pages);
	free(r->track);
}

/* The host asks for frames; poll until the balloon is there. ns taken. */
static uint64_t vb_move(struct vb_rig *r, uint64_t frames)
{
	uint64_t t0, t1;
	unsigned ticks = 0;

	vmw_model_set_target(r->m, frames);
	t0 = bench_now_ns();
	while (r->vb.b.size != frames) {
		int64_t moved = vmw_balloon_tick(&r->vb, UINT64_MAX);

		if (moved < 0 || ++ticks > VB_MAX_TICK)
			bench_die(prog,
				  "balloon stuck at %llu of %llu frames: %s",
				  (unsigned long long)r->vb.b.size,
				  (unsigned long long)frames,
				  moved < 0 ? vmw_balloon_err_name((int)moved)
					    : "no progress");
	}
	t1 = bench_now_ns();
	return t1 - t0;
}

/* The unit tests' invariant, in short: one owner per page, no findings. */
static void vb_verify(struct vb_rig *r, uint64_t frames, const char *what)
{
	char why[160] = "";

	if (vmw_model_nr_findings(r->m))
		bench_die(prog, "%s: model finding: %s", what,
			  vmw_model_finding(r->m, 0));
	if (r->vb.b.counters.errors)
		bench_die(prog, "%s: %llu driver errors", what,
			  (unsigned long long)r->vb.b.counters.errors);
	if (vmw_model_locked_frames(r->m) != frames ||
	    r->zone.count[PA_BALLOONED] != frames)
		bench_die(
			prog, "%s: host holds %llu, allocator %llu, want %llu",
			what, (unsigned long long)vmw_model_locked_frames(r->m),
			(unsigned long long)r->zone.count[PA_BALLOONED],
			(unsigned long long)frames);
	if (vmw_balloon_check(&r->vb, true, why, sizeof(why)))
		bench_die(prog, "%s: vmw_balloon_check: %s", what, why);
	if (pa_check(&r->zone, why, sizeof(why)) != PA_OK)
		bench_die(prog, "%s: pa_check: %s", what, why);
}

struct vb_fig {
	double *lock, *unlock, *lock_pg, *unlock_pg;
};

static void vb_size(const char *tag, uint32_t caps, unsigned order,
		    unsigned mib, unsigned runs, uint64_t min_ns)
{
	uint64_t frames = (uint64_t)mib << (20 - PA_PAGE_SHIFT);
	double pages = (double)(frames >> order);
	struct vb_fig f;
	struct vb_rig r;
	uint64_t locks;
	char name[64], note[160];
	unsigned i;

	f.lock = calloc(runs, sizeof(double));
	f.unlock = calloc(runs, sizeof(double));
	f.lock_pg = calloc(runs, sizeof(double));
	f.unlock_pg = calloc(runs, sizeof(double));
	if (!f.lock || !f.unlock || !f.lock_pg || !f.unlock_pg)
		bench_die(prog, "out of memory for %u runs", runs);
	vb_setup(&r, frames + VB_SPARE, caps);

	/* Unmeasured: START, one full balloon checked page by page, empty. */
	vb_move(&r, frames);
	if (r.vb.use_2m != (order != 0))
		bench_die(prog, "%s: driver chose the wrong page size", tag);
	vb_verify(&r, frames, "warm-up");
	vb_move(&r, 0);
	locks = r.vb.st.calls[order ? VMW_CMD_BATCHED_2M_LOCK
				    : VMW_CMD_BATCHED_LOCK];

	for (i = 0; i < runs; i++) {
		uint64_t lock_ns = 0, unlock_ns = 0, cycles = 0;

		do {
			lock_ns += vb_move(&r, frames);
			unlock_ns += vb_move(&r, 0);
			cycles++;
		} while (lock_ns + unlock_ns < min_ns);
		vb_verify(&r, 0, tag);
		f.lock[i] = (double)(mib * cycles) / ((double)lock_ns / 1e9);
		f.unlock[i] =
			(double)(mib * cycles) / ((double)unlock_ns / 1e9);
		f.lock_pg[i] = pages * (double)cycles / ((double)lock_ns / 1e9);
		f.unlock_pg[i] =
			pages * (double)cycles / ((double)unlock_ns / 1e9);
	}
	snprintf(note, sizeof(note),
		 "0 to %u MiB and back, %.0f pages per call", mib,
		 pages / (double)(locks ? locks : 1));
	snprintf(name, sizeof(name), "vmw.inproc.lock_%s", tag);
	bench_report(name, "MiB/s", f.lock, runs, note);
	snprintf(name, sizeof(name), "vmw.inproc.lock_%s.pages", tag);
	bench_report(name, "ops/s", f.lock_pg, runs, note);
	snprintf(name, sizeof(name), "vmw.inproc.unlock_%s", tag);
	bench_report(name, "MiB/s", f.unlock, runs, note);
	snprintf(name, sizeof(name), "vmw.inproc.unlock_%s.pages", tag);
	bench_report(name, "ops/s", f.unlock_pg, runs, note);
	vb_teardown(&r);
	free(f.lock);
	free(f.unlock);
	free(f.lock_pg);
	free(f.unlock_pg);
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	int rc = bench_parse(argc, argv, &o, VB_RUNS, VB_QRUNS, NULL, NULL);
	unsigned mib;
	uint64_t min_ns;

	if (rc)
		return rc;
	mib = o.quick ? VB_QMIB : VB_MIB;
	min_ns = o.quick ? VB_QMIN_NS : VB_MIN_NS;
	vb_size("4k", VB_CAPS_4K, 0, mib, o.runs, min_ns);
	vb_size("2m", VB_CAPS_2M, VMW_2M_ORDER, mib, o.runs, min_ns);
	return 0;
}
