/*
 * series_svg.c - the balloon timeline as an inline SVG plot for the HTML
 * report: no script, no external file, renders in any browser offline.
 *
 * x is seconds since QEMU started (the runner's clock, series.h); y is
 * 4 KiB pages. Five lines: the target the guest saw, the balloon's size
 * as the guest counts it, the guest's free pages, and from the runner's
 * samples QEMU's resident guest RAM (KiB / 4) and the virtio balloon as
 * QEMU counts it. The two balloon counts are separate lines because with
 * both balloons in one guest QEMU sees only the virtio one, and one line
 * would zigzag between them. Scenario starts are vertical lines with
 * their names. Long runs are thinned to at most PLOT_MAX points per line.
 */
#include "host/runner/series.h"
#include "host/runner/tap_cases.h"

#define W	 960
#define H	 380
#define L	 80 /* margins */
#define R	 20
#define T	 20
#define B	 70
#define PLOT_MAX 2000

enum { S_TARGET, S_BALLOON, S_FREE, S_RSS, S_QBAL, S_N };

static const char *const s_name[S_N] = {"target (guest)", "balloon (guest)",
					"guest free", "host RSS (pages)",
					"balloon (QEMU)"};
static const char *const s_color[S_N] = {"#d62728", "#1f77b4", "#2ca02c",
					 "#9467bd", "#17becf"};

static uint64_t value(const struct ser_point *p, int k)
{
	switch (k) {
	case S_TARGET:
		return p->target;
	case S_BALLOON:
		return p->source == SER_GUEST ? p->balloon : SER_NONE;
	case S_QBAL:
		return p->source == SER_RUNNER ? p->balloon : SER_NONE;
	case S_FREE:
		return p->free;
	default: /* S_RSS */
		return p->rss_kib == SER_NONE ? SER_NONE : p->rss_kib / 4;
	}
}

static void line(const struct series *s, FILE *f, int k, double t0,
		 double tspan, double ymax)
{
	size_t count = 0, step, seen = 0;

	for (size_t i = 0; i < s->n; i++)
		count += value(&s->p[i], k) != SER_NONE;
	if (!count)
		return;
	step = count / PLOT_MAX + 1;
	fprintf(f,
		"<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s "
		"points=\"",
		s_color[k],
		k == S_TARGET ? " stroke-dasharray=\"6 3\""
		: k == S_QBAL ? " stroke-dasharray=\"2 2\""
			      : "");
	for (size_t i = 0; i < s->n; i++) {
		uint64_t v = value(&s->p[i], k);

		if (v == SER_NONE || seen++ % step)
			continue;
		fprintf(f, "%.1f,%.1f ",
			L + ((double)s->p[i].t_ms - t0) / tspan * (W - L - R),
			H - B - (double)v / ymax * (H - T - B));
	}
	fputs("\"/>\n", f);
}

void ser_write_svg(const struct series *s, FILE *f)
{
	double t0, t1, tspan, ymax = 1;

	if (!s->n) {
		fputs("<p class=\"note\">No samples: the guest printed no "
		      "<code># sample</code> lines (they come from scenarios) "
		      "and the runner took none.</p>\n",
		      f);
		return;
	}
	t0 = (double)s->p[0].t_ms;
	t1 = (double)s->p[s->n - 1].t_ms;
	for (size_t i = 0; i < s->n; i++) {
		if ((double)s->p[i].t_ms < t0)
			t0 = (double)s->p[i].t_ms;
		if ((double)s->p[i].t_ms > t1)
			t1 = (double)s->p[i].t_ms;
		for (int k = 0; k < S_N; k++)
			if (value(&s->p[i], k) != SER_NONE &&
			    (double)value(&s->p[i], k) > ymax)
				ymax = (double)value(&s->p[i], k);
	}
	tspan = t1 > t0 ? t1 - t0 : 1;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"sans-serif\" "
		"font-size=\"11\">\n"
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"#fafafa\" stroke=\"#999\"/>\n",
		W, H, W, H, L, T, W - L - R, H - T - B);
	for (int g = 0; g <= 4; g++) { /* y grid: 0, 1/4 ... max pages */
		double y = H - B - g * (H - T - B) / 4.0;

		fprintf(f,
			"<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
			"text-anchor=\"end\">%.0f</text>\n",
			L, W - R, y, y, L - 4, y + 4, ymax * g / 4);
	}
	for (int g = 0; g <= 5; g++) /* x ticks, seconds */
		fprintf(f,
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
			"%.1f s</text>\n",
			L + g * (W - L - R) / 5.0, H - B + 16,
			(t0 + tspan * g / 5) / 1000);
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since "
		"QEMU started</text>\n"
		"<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" "
		"text-anchor=\"middle\">4 KiB pages</text>\n",
		(W + L) / 2, H - 8, H / 2, H / 2);
	for (size_t i = 0; i < s->nm; i++) {
		double x;

		if (!s->m[i].start)
			continue;
		x = L + ((double)s->m[i].t_ms - t0) / tspan * (W - L - R);
		if (x < L || x > W - R)
			continue;
		fprintf(f,
			"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" "
			"stroke=\"#bbb\" stroke-dasharray=\"2 2\"/>"
			"<text x=\"%.1f\" y=\"%d\" transform=\"rotate(90 %.1f "
			"%d)\" fill=\"#666\">",
			x, x, T, H - B, x + 10, T + 4, x + 10, T + 4);
		tcases_put_text(f, s->m[i].text);
		fputs("</text>\n", f);
	}
	for (int k = 0; k < S_N; k++)
		line(s, f, k, t0, tspan, ymax);
	for (int k = 0; k < S_N; k++)
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"3\" "
			"fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
			L + 10 + k * 160, H - 26, s_color[k], L + 28 + k * 160,
			H - 22, s_name[k]);
	fputs("</svg>\n", f);
}
