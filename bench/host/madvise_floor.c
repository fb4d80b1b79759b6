/*
 * madvise_floor.c - the host's own floor for ballooning.
 *
 * When a guest balloons a 4 KiB page, QEMU gives it back to the host with
 * madvise(MADV_DONTNEED) on that one page. However fast the guest driver
 * and the device are, a balloon under QEMU on this host cannot give
 * memory back faster than that call, so it is the floor the inflate
 * figures of make bench should be read against. This measures it on
 * anonymous memory that has been dirtied first (discarding a page never
 * touched costs nothing, and a ballooned guest page has been used): one
 * call per 4 KiB page, and one call for the whole range as the best case.
 *
 *   floor.madvise_4k.<size>           MiB/s, one call per 4 KiB page
 *   floor.madvise_4k.<size>.per_page  ns per call
 *   floor.madvise_whole.<size>        MiB/s, one call for the range
 *
 * Sizes 256m and 1g (1g not with --quick; skipped, runs=0, if the host
 * lacks the memory). The range is MADV_NOHUGEPAGE, so the figures are
 * those of plain 4 KiB pages whatever the host's THP mode. --thp asks for
 * transparent huge pages instead, as QEMU does for guest RAM, and puts
 * ".thp" after the size in the names: discarding 4 KiB of a huge page
 * splits it first. The note gives the host's THP mode and how much of the
 * range huge pages backed once dirtied.
 */
#include <errno.h>
#include <sys/mman.h>

#include "bench/host/bench.h"

#define MF_PAGE	  4096ul
#define MF_HUGE	  (2ul << 20)
#define MF_RUNS	  5
#define MF_QRUNS  3
#define MF_NOTE	  160
#define MF_MARGIN (256ul << 20) /* left to the rest of the host */

static const char *prog = "madvise_floor";

/* MemAvailable from /proc/meminfo, in bytes; 0 if unreadable. */
static uint64_t mf_mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kib = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return (uint64_t)kib << 10;
}

/* The bracketed word of /sys/kernel/mm/transparent_hugepage/enabled. */
static void mf_thp_mode(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128] = "";
	char *l, *r;

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		l = strchr(line, '[');
		r = l ? strchr(l, ']') : NULL;
		if (r) {
			*r = '\0';
			snprintf(buf, len, "%s", l + 1);
		}
	}
	fclose(f);
}

/* AnonHugePages of the mapping that starts at p, in KiB (-1: unknown). */
static long long mf_huge_kib(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256], start[32];
	long long kib = -1;
	bool in = false;

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)p);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, start, strlen(start)))
			in = true;
		else if (in &&
			 sscanf(line, "AnonHugePages: %lld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

/* One write per 4 KiB page: each page is backed, and dirty, again. */
static void mf_dirty(volatile char *p, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += MF_PAGE)
		*(p + off) = (char)(off >> 12 | 1);
}

static uint64_t mf_discard_4k(char *p, size_t size)
{
	uint64_t t0 = bench_now_ns();
	size_t off;

	for (off = 0; off < size; off += MF_PAGE)
		if (madvise(p + off, MF_PAGE, MADV_DONTNEED))
			bench_die(prog, "madvise 4k: %s", strerror(errno));
	return bench_now_ns() - t0;
}

static uint64_t mf_discard_whole(char *p, size_t size)
{
	uint64_t t0 = bench_now_ns();

	if (madvise(p, size, MADV_DONTNEED))
		bench_die(prog, "madvise whole: %s", strerror(errno));
	return bench_now_ns() - t0;
}

static void mf_names(char (*n)[64], const char *tag, bool thp)
{
	const char *sfx = thp ? ".thp" : "";

	snprintf(n[0], sizeof(n[0]), "floor.madvise_4k.%s%s", tag, sfx);
	snprintf(n[1], sizeof(n[1]), "floor.madvise_4k.%s%s.per_page", tag,
		 sfx);
	snprintf(n[2], sizeof(n[2]), "floor.madvise_whole.%s%s", tag, sfx);
}

static void mf_skip(char (*n)[64], const char *why)
{
	bench_skip(n[0], "MiB/s", why);
	bench_skip(n[1], "ns/op", why);
	bench_skip(n[2], "MiB/s", why);
}

static void mf_size(size_t size, const char *tag, unsigned runs, bool thp)
{
	double mib = (double)size / (1 << 20), pages = (double)size / MF_PAGE;
	double *v4k = calloc(runs, sizeof(double));
	double *vpp = calloc(runs, sizeof(double));
	double *vwh = calloc(runs, sizeof(double));
	uint64_t avail = mf_mem_available();
	char names[3][64], why[MF_NOTE], mode[32];
	long long huge = -1;
	unsigned i;
	char *map, *p;

	if (!v4k || !vpp || !vwh)
		bench_die(prog, "out of memory for %u runs", runs);
	mf_names(names, tag, thp);
	if (avail && avail < size + MF_MARGIN) {
		snprintf(why, sizeof(why),
			 "skipped: %llu MiB available, %zu MiB needed",
			 (unsigned long long)(avail >> 20),
			 (size + MF_MARGIN) >> 20);
		mf_skip(names, why);
		goto out;
	}
	/* One huge page more than needed, to start the range on a 2 MiB line.
	 */
	map = mmap(NULL, size + MF_HUGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		snprintf(why, sizeof(why), "skipped: mmap %zu MiB: %s",
			 size >> 20, strerror(errno));
		mf_skip(names, why);
		goto out;
	}
	p = (char *)(((uintptr_t)map + MF_HUGE - 1) &
		     ~(uintptr_t)(MF_HUGE - 1));
	if (madvise(p, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) && thp)
		bench_die(prog, "MADV_HUGEPAGE: %s", strerror(errno));

	for (i = 0; i < runs; i++) {
		uint64_t ns;

		mf_dirty(p, size);
		/* How the runs' memory is backed: once, outside the timing. */
		if (i == 0)
			huge = mf_huge_kib(p);
		ns = mf_discard_4k(p, size);
		v4k[i] = mib / ((double)ns / 1e9);
		vpp[i] = (double)ns / pages;
		mf_dirty(p, size);
		vwh[i] = mib / ((double)mf_discard_whole(p, size) / 1e9);
	}
	mf_thp_mode(mode, sizeof(mode));
	if (huge < 0)
		snprintf(why, sizeof(why), "thp=%s, huge pages unknown", mode);
	else
		snprintf(why, sizeof(why),
			 "thp=%s, %lld MiB of %zu in huge pages", mode,
			 huge >> 10, size >> 20);
	bench_report(names[0], "MiB/s", v4k, runs, why);
	bench_report(names[1], "ns/op", vpp, runs, why);
	bench_report(names[2], "MiB/s", vwh, runs, why);
	munmap(map, size + MF_HUGE);
out:
	free(v4k);
	free(vpp);
	free(vwh);
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	bool thp = false;
	int rc = bench_parse(argc, argv, &o, MF_RUNS, MF_QRUNS, "--thp", &thp);

	if (rc)
		return rc;
	mf_size(256ul << 20, "256m", o.runs, thp);
	if (!o.quick)
		mf_size(1ul << 30, "1g", o.runs, thp);
	return 0;
}
