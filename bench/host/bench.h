/*
 * bench.h - what the host benchmarks (bench/host/) share: the clock,
 * the command line and the one output format make bench parses.
 *
 * Each figure is measured in N runs; a run repeats its operation many
 * times and yields one per-operation figure. The program prints one line
 * per figure on stdout, nothing else:
 *
 *   BENCH name=a.b unit=ns/op median=12.345 min=12.001 max=13.002 runs=5
 *
 * A figure that could not be measured (no memory for it, say) is printed
 * with runs=0, zeros and a note saying why, so that a reader of the output
 * sees every name and knows which ones are missing. Figures are reported,
 * never judged: there is no pass/fail here. Anything that goes wrong with
 * the code under measurement is a bug, reported on stderr with exit 1.
 *
 * Header only (static inline): each benchmark is one standalone program.
 */
#ifndef PINPRICK_BENCH_H
#define PINPRICK_BENCH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_RUNS 1000

struct bench_opts {
	bool quick;    /* --quick: small and fast, for make check */
	unsigned runs; /* --runs N, or the program's default */
};

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Something the benchmark relies on broke: that is a bug, not a figure. */
static inline void __attribute__((noreturn, format(printf, 2, 3)))
bench_die(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static inline void bench_usage(const char *prog, const char *extra)
{
	fprintf(stderr, "usage: %s [--quick] [--runs N]%s%s%s\n", prog,
		extra ? " [" : "", extra ? extra : "", extra ? "]" : "");
}

/*
 * --quick and --runs N for every program; a program with one flag of its
 * own passes its name as extra_flag and gets it in *extra (else NULL).
 * Returns 0, or 2 after printing the usage (the exit status to use).
 */
static inline int bench_parse(int argc, char **argv, struct bench_opts *o,
			      unsigned runs, unsigned quick_runs,
			      const char *extra_flag, bool *extra)
{
	bool runs_given = false;
	int i;

	o->quick = false;
	o->runs = runs;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			o->quick = true;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			char *end;
			unsigned long n = strtoul(argv[++i], &end, 10);

			if (*end || end == argv[i] || n < 1 ||
			    n > BENCH_MAX_RUNS) {
				fprintf(stderr, "%s: --runs wants 1..%d\n",
					argv[0], BENCH_MAX_RUNS);
				return 2;
			}
			o->runs = (unsigned)n;
			runs_given = true;
		} else if (extra_flag && !strcmp(argv[i], extra_flag)) {
			*extra = true;
		} else {
			bench_usage(argv[0], extra_flag);
			return 2;
		}
	}
	/* --runs wins over --quick's default, in either order. */
	if (o->quick && !runs_given)
		o->runs = quick_runs;
	return 0;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * One BENCH line for the n per-run figures in v (reordered). The median
 * of an even count is the mean of the middle two. A double quote in the
 * note would end it early for the parser: it becomes a single quote.
 */
static inline void bench_report(const char *name, const char *unit, double *v,
				unsigned n, const char *note)
{
	double med = 0, lo = 0, hi = 0;

	if (n) {
		qsort(v, n, sizeof(*v), bench_cmp_double);
		med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
		lo = v[0];
		hi = v[n - 1];
	}
	printf("BENCH name=%s unit=%s median=%.3f min=%.3f max=%.3f runs=%u",
	       name, unit, med, lo, hi, n);
	if (note && *note) {
		fputs(" note=\"", stdout);
		for (; *note; note++)
			putchar(*note == '"' ? '\'' : *note);
		putchar('"');
	}
	putchar('\n');
	/* make bench may be reading a pipe: each figure as soon as it exists.
	 */
	fflush(stdout);
}

/* The runs=0 line of a figure that was skipped, and why. */
static inline void bench_skip(const char *name, const char *unit,
			      const char *why)
{
	bench_report(name, unit, NULL, 0, why);
}

#endif
