/*
 * series.h - the balloon's timeline: samples from the guest and from the
 * runner, and the scenario markers, for --csv and the --html plot.
 *
 * The guest prints, on COM1,
 *	# sample t=MS proto=P target=N balloon=N free=N workload=N pinned=N
 *	# scenario NAME (PROTO): start      (and ": passed|FAILED in N ms")
 * and every sample period the runner reads QEMU's resident guest RAM and,
 * when QEMU has a virtio-balloon, its size as QEMU sees it (query-balloon).
 * Every point is stamped with the runner's own clock (ms since QEMU
 * started) when it arrives, so both sources share one time axis; the
 * guest's own t is kept beside it. Storage is capped: past SER_MAX_POINTS
 * points (or SER_MAX_MARKS markers) the rest are counted, not kept.
 */
#ifndef PINPRICK_RUNNER_SERIES_H
#define PINPRICK_RUNNER_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SER_MAX_POINTS 200000
#define SER_MAX_MARKS  2000
#define SER_NONE       UINT64_MAX /* a value not sampled */

enum ser_source { SER_GUEST, SER_RUNNER };

struct ser_point {
	uint8_t source; /* enum ser_source */
	char proto[8];	/* guest: "virtio", "vmware" */
	uint64_t t_ms, guest_t_ms;
	uint64_t target, balloon, free; /* pages; runner: balloon from QMP */
	uint64_t rss_kib;
};

struct ser_mark {
	uint64_t t_ms;
	bool start;
	bool failed;   /* an end marker that said FAILED */
	char text[96]; /* "cycle (virtio)" */
};

struct series {
	struct ser_point *p;
	size_t n, cap;
	struct ser_mark *m;
	size_t nm, capm;
	unsigned long dropped;
};

/*
 * One COM1 line (any indent). Returns 1 if it was a sample or marker
 * (kept or counted), 0 if not one, -1 if it looked like one but was
 * malformed (ignored).
 */
int ser_guest_line(struct series *s, const char *line, uint64_t t_ms);
/*
 * A runner sample: QEMU's resident guest RAM and the virtio balloon as
 * QEMU counts it (pages), either SER_NONE if not known. Nothing is kept
 * when neither is.
 */
void ser_runner(struct series *s, uint64_t t_ms, uint64_t rss_kib,
		uint64_t balloon_pages);
void ser_free(struct series *s);

/* CSV (RFC 4180), header first. 0, or -1 if f could not be written. */
int ser_write_csv(const struct series *s, FILE *f);
/* An inline SVG plot of the series (or a note when there is nothing). */
void ser_write_svg(const struct series *s, FILE *f);

#endif
