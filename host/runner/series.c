/*
 * series.c - collecting the balloon timeline and writing it as CSV
 * (see series.h). The plot is in series_svg.c.
 */
#include "host/runner/series.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool grow(void **arr, size_t *cap, size_t n, size_t max, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 256;
	if (c > max)
		c = max;
	if (c <= n || !(p = realloc(*arr, c * size)))
		return false;
	*arr = p;
	*cap = c;
	return true;
}

/* "key=N" with N a decimal that fits 64 bits; false otherwise. */
static bool u64_at(const char *v, size_t len, uint64_t *out)
{
	uint64_t x = 0;

	if (!len || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9' ||
		    x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return true;
}

static int sample(struct series *s, const char *p, uint64_t t_ms)
{
	struct ser_point pt = {
		.source = SER_GUEST, .t_ms = t_ms, .rss_kib = SER_NONE};
	unsigned need = 0;

	while (*p) {
		const char *k = p, *eq, *v;
		size_t kl, vl;

		while (*p && *p != ' ')
			p++;
		eq = memchr(k, '=', (size_t)(p - k));
		if (!eq)
			return -1;
		kl = (size_t)(eq - k);
		v = eq + 1;
		vl = (size_t)(p - v);
		if (kl == 5 && !strncmp(k, "proto", 5)) {
			if (!vl || vl >= sizeof(pt.proto))
				return -1;
			for (size_t i = 0; i < vl; i++)
				if ((v[i] < 'a' || v[i] > 'z') &&
				    (v[i] < '0' || v[i] > '9'))
					return -1;
			memcpy(pt.proto, v, vl);
			need |= 1;
		} else if (kl == 1 && *k == 't') {
			need |= u64_at(v, vl, &pt.guest_t_ms) ? 2 : 1u << 8;
		} else if (kl == 6 && !strncmp(k, "target", 6)) {
			need |= u64_at(v, vl, &pt.target) ? 4 : 1u << 8;
		} else if (kl == 7 && !strncmp(k, "balloon", 7)) {
			need |= u64_at(v, vl, &pt.balloon) ? 8 : 1u << 8;
		} else if (kl == 4 && !strncmp(k, "free", 4)) {
			need |= u64_at(v, vl, &pt.free) ? 16 : 1u << 8;
		} /* other keys (workload, pinned, ...) are not plotted */
		while (*p == ' ')
			p++;
	}
	if (need != 31)
		return -1;
	if (!grow((void **)&s->p, &s->cap, s->n, SER_MAX_POINTS,
		  sizeof(*s->p))) {
		s->dropped++;
		return 1;
	}
	s->p[s->n++] = pt;
	return 1;
}

/*
 * "NAME (PROTO): start", or ": passed in N ms" / ": FAILED in N ms" at the
 * end; anything else is not a marker the guest prints, so it is refused
 * rather than drawn.
 */
static int marker(struct series *s, const char *p, uint64_t t_ms)
{
	const char *colon = strstr(p, "): "), *how, *ms;
	struct ser_mark mk = {.t_ms = t_ms};
	uint64_t n_ms;
	size_t n;

	if (!colon || colon == p)
		return -1;
	how = colon + 3;
	if (!strcmp(how, "start")) {
		mk.start = true;
	} else {
		if (!strncmp(how, "FAILED in ", 10))
			mk.failed = true;
		else if (strncmp(how, "passed in ", 10))
			return -1;
		ms = strchr(how + 10, ' ');
		if (!ms || strcmp(ms, " ms") ||
		    !u64_at(how + 10, (size_t)(ms - how - 10), &n_ms))
			return -1;
	}
	n = (size_t)(colon - p) + 1;
	if (n >= sizeof(mk.text))
		n = sizeof(mk.text) - 1;
	memcpy(mk.text, p, n);
	mk.text[n] = '\0';
	if (!grow((void **)&s->m, &s->capm, s->nm, SER_MAX_MARKS,
		  sizeof(*s->m))) {
		s->dropped++;
		return 1;
	}
	s->m[s->nm++] = mk;
	return 1;
}

int ser_guest_line(struct series *s, const char *line, uint64_t t_ms)
{
	while (*line == ' ')
		line++;
	if (!strncmp(line, "# sample ", 9))
		return sample(s, line + 9, t_ms);
	if (!strncmp(line, "# scenario ", 11))
		return marker(s, line + 11, t_ms);
	return 0;
}

void ser_runner(struct series *s, uint64_t t_ms, uint64_t rss_kib,
		uint64_t balloon_pages)
{
	if (rss_kib == SER_NONE && balloon_pages == SER_NONE)
		return;
	if (!grow((void **)&s->p, &s->cap, s->n, SER_MAX_POINTS,
		  sizeof(*s->p))) {
		s->dropped++;
		return;
	}
	s->p[s->n++] = (struct ser_point){.source = SER_RUNNER,
					  .t_ms = t_ms,
					  .guest_t_ms = SER_NONE,
					  .target = SER_NONE,
					  .balloon = balloon_pages,
					  .free = SER_NONE,
					  .rss_kib = rss_kib};
}

void ser_free(struct series *s)
{
	free(s->p);
	free(s->m);
	memset(s, 0, sizeof(*s));
}

/* One CSV field: quoted when it holds a comma, quote or line break. */
static void csv_field(FILE *f, const char *v)
{
	if (!strpbrk(v, ",\"\r\n")) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, uint64_t v)
{
	fputc(',', f);
	if (v != SER_NONE)
		fprintf(f, "%llu", (unsigned long long)v);
}

int ser_write_csv(const struct series *s, FILE *f)
{
	size_t i = 0, k = 0;
	char src[128];

	fputs("source,t_ms,guest_t_ms,target_pages,balloon_pages,"
	      "guest_free_pages,host_rss_kib\r\n",
	      f);
	/* Points and markers merged in time order (each list is ordered). */
	while (i < s->n || k < s->nm) {
		if (k < s->nm && (i == s->n || s->m[k].t_ms <= s->p[i].t_ms)) {
			snprintf(src, sizeof(src), "mark:%s %s", s->m[k].text,
				 s->m[k].start ? "start" : "end");
			csv_field(f, src);
			fprintf(f, ",%llu,,,,,\r\n",
				(unsigned long long)s->m[k].t_ms);
			k++;
			continue;
		}
		if (s->p[i].source == SER_GUEST) {
			snprintf(src, sizeof(src), "guest:%s", s->p[i].proto);
			csv_field(f, src);
		} else {
			fputs("runner", f);
		}
		csv_num(f, s->p[i].t_ms);
		csv_num(f, s->p[i].guest_t_ms);
		csv_num(f, s->p[i].target);
		csv_num(f, s->p[i].balloon);
		csv_num(f, s->p[i].free);
		csv_num(f, s->p[i].rss_kib);
		fputs("\r\n", f);
		i++;
	}
	return ferror(f) ? -1 : 0;
}
