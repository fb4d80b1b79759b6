/*
 * alloc_bench.c - what the page allocator costs, measured on the host.
 *
 * Every balloon page goes through kernel/page_alloc.c twice (allocated to
 * inflate, freed to deflate), so its cost is part of every inflate and
 * deflate figure the guest reports. Here the same source, built at -O2
 * without sanitizers, runs over metadata only (as in tests/unit/pa_rig.h:
 * pa_init + pa_add_free_range over a malloc'd pa_page array), so the
 * figure is the allocator's alone, without a guest or a hypervisor.
 *
 *   alloc.host.order0             ns per order-0 alloc + free pair
 *   alloc.host.order9             ns per order-9 (2 MiB) alloc + free pair
 *   alloc.host.order0.fill_drain  ns per page: allocate order 0 until the
 *                                 zone is empty, then free every page
 *
 * The zone starts on a 4 MiB boundary and is whole 4 MiB blocks, so each
 * pair starts from a fully merged zone: it splits one top block down to
 * its order and merges it back. That is the pair's worst case and the one
 * a balloon meets after a full deflate; fill_drain is the balloon's own
 * pattern (many pages in a row, then all of them back).
 */
#include "bench/host/bench.h"
#include "kernel/page_alloc.h"

#define AB_BASE	    1024ull   /* PFN of 4 MiB: whole top blocks */
#define AB_PAGES    262144ull /* 1 GiB */
#define AB_QPAGES   16384ull  /* 64 MiB */
#define AB_PAIRS    1000000u  /* alloc + free pairs per run */
#define AB_QPAIRS   100000u
#define AB_FILL_NS  100000000ull /* fill_drain cycles: >= 100 ms a run */
#define AB_QFILL_NS 10000000ull
#define AB_RUNS	    7
#define AB_QRUNS    3
#define AB_STATE    PA_BALLOONED

static const char *prog = "alloc_bench";

struct ab_zone {
	struct pa_zone z;
	uint64_t npages;
	int64_t *held; /* fill_drain's pages, in allocation order */
};

static void ab_setup(struct ab_zone *a, uint64_t npages)
{
	struct pa_page *meta = malloc(pa_meta_bytes(npages));

	a->npages = npages;
	a->held = malloc(npages * sizeof(*a->held));
	if (!meta || !a->held)
		bench_die(prog, "out of memory for %llu pages",
			  (unsigned long long)npages);
	if (pa_init(&a->z, AB_BASE, npages, meta) != PA_OK ||
	    pa_add_free_range(&a->z, AB_BASE, AB_BASE + npages) != PA_OK)
		bench_die(prog, "zone setup failed");
}

/* After every run: nothing leaked, nothing misused, lists well formed. */
static void ab_verify(struct ab_zone *a, const char *what)
{
	char why[96];

	if (a->z.count[PA_FREE] != a->npages || a->z.errors)
		bench_die(prog, "%s: %llu of %llu pages free, %llu errors",
			  what, (unsigned long long)a->z.count[PA_FREE],
			  (unsigned long long)a->npages,
			  (unsigned long long)a->z.errors);
	if (pa_check(&a->z, why, sizeof(why)) != PA_OK)
		bench_die(prog, "%s: pa_check: %s", what, why);
}

/* ns per alloc + free pair of the given order. */
static double ab_pairs(struct ab_zone *a, unsigned order, unsigned n)
{
	uint64_t t0 = bench_now_ns(), t1;
	unsigned i;

	for (i = 0; i < n; i++) {
		int64_t pfn = pa_alloc(&a->z, order, AB_STATE);

		if (pfn < 0 || pa_free(&a->z, (uint64_t)pfn, order, AB_STATE))
			bench_die(prog, "order %u pair %u: %s", order, i,
				  pa_err_name(pfn < 0 ? (int)pfn
						      : a->z.last_error));
	}
	t1 = bench_now_ns();
	ab_verify(a, "pairs");
	return (double)(t1 - t0) / n;
}

/* ns per page: fill the zone with order 0 and drain it, for >= min_ns. */
static double ab_fill_drain(struct ab_zone *a, uint64_t min_ns)
{
	uint64_t ns = 0, pages = 0;

	do {
		uint64_t t0 = bench_now_ns(), n = 0, i;
		int64_t pfn;

		while ((pfn = pa_alloc(&a->z, 0, AB_STATE)) >= 0)
			a->held[n++] = pfn;
		if (pfn != PA_ERR_NOMEM || n != a->npages)
			bench_die(prog, "fill: %s after %llu pages",
				  pa_err_name((int)pfn), (unsigned long long)n);
		for (i = 0; i < n; i++)
			if (pa_free(&a->z, (uint64_t)a->held[i], 0, AB_STATE))
				bench_die(prog, "drain: %s",
					  pa_err_name(a->z.last_error));
		ns += bench_now_ns() - t0;
		pages += n;
	} while (ns < min_ns);
	ab_verify(a, "fill_drain");
	return (double)ns / (double)pages;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct ab_zone a;
	double *v0, *v9, *vf;
	char note[160];
	unsigned pairs, i;
	int rc = bench_parse(argc, argv, &o, AB_RUNS, AB_QRUNS, NULL, NULL);

	if (rc)
		return rc;
	ab_setup(&a, o.quick ? AB_QPAGES : AB_PAGES);
	pairs = o.quick ? AB_QPAIRS : AB_PAIRS;
	v0 = calloc(o.runs, sizeof(double));
	v9 = calloc(o.runs, sizeof(double));
	vf = calloc(o.runs, sizeof(double));
	if (!v0 || !v9 || !vf)
		bench_die(prog, "out of memory for %u runs", o.runs);
	/* A first, unmeasured pass warms the caches and the metadata's TLB. */
	ab_fill_drain(&a, 0);
	for (i = 0; i < o.runs; i++) {
		v0[i] = ab_pairs(&a, 0, pairs);
		v9[i] = ab_pairs(&a, 9, pairs / 16);
		vf[i] = ab_fill_drain(&a, o.quick ? AB_QFILL_NS : AB_FILL_NS);
	}
	snprintf(note, sizeof(note),
		 "op = alloc+free, fully merged %llu MiB zone: split from "
		 "order %d and merged back",
		 (unsigned long long)(a.npages >> 8), PA_MAX_ORDER);
	bench_report("alloc.host.order0", "ns/op", v0, o.runs, note);
	bench_report("alloc.host.order9", "ns/op", v9, o.runs, note);
	snprintf(note, sizeof(note),
		 "op = one page allocated and freed; fill %llu MiB, then "
		 "free in allocation order",
		 (unsigned long long)(a.npages >> 8));
	bench_report("alloc.host.order0.fill_drain", "ns/op", vf, o.runs, note);
	free(v0);
	free(v9);
	free(vf);
	free(a.z.pages);
	free(a.held);
	return 0;
}
