/*
 * linebuf.c - bounded line splitting for untrusted byte streams (see
 * linebuf.h). Memory use is fixed at init: a line longer than the limit is
 * delivered cut, with its flag set, and the remainder up to '\n' skipped.
 */
#include "host/runner/linebuf.h"

#include <stdlib.h>
#include <string.h>

int lbuf_init(struct lbuf *lb, size_t max)
{
	lb->buf = malloc(max + 1);
	lb->max = max;
	lb->len = 0;
	lb->skipping = false;
	lb->cur_cut = false;
	lb->cur_bytes = 0;
	lb->cut_lines = 0;
	lb->longest_cut = 0;
	return lb->buf ? 0 : -1;
}

void lbuf_free(struct lbuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
	lb->len = 0;
}

/* The current line has ended: count it if it was cut. */
static void lbuf_line_done(struct lbuf *lb)
{
	if (lb->cur_cut) {
		lb->cut_lines++;
		if (lb->cur_bytes > lb->longest_cut)
			lb->longest_cut = lb->cur_bytes;
	}
	lb->cur_cut = false;
	lb->cur_bytes = 0;
}

static int lbuf_emit(struct lbuf *lb, bool cut, lbuf_line_fn fn, void *ctx)
{
	size_t len = lb->len;

	lb->buf[len] = '\0';
	lb->len = 0;
	return fn(ctx, lb->buf, len, cut);
}

int lbuf_feed(struct lbuf *lb, const char *data, size_t n, lbuf_line_fn fn,
	      void *ctx)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t chunk = nl ? (size_t)(nl - data) : n;
		size_t room = lb->max - lb->len;
		int rc = 0;

		lb->cur_bytes += chunk;
		if (lb->skipping) {
			if (nl)
				lb->skipping = false;
		} else if (chunk > room) {
			memcpy(lb->buf + lb->len, data, room);
			lb->len += room;
			lb->skipping = !nl;
			lb->cur_cut = true;
			rc = lbuf_emit(lb, true, fn, ctx);
		} else {
			memcpy(lb->buf + lb->len, data, chunk);
			lb->len += chunk;
			if (nl)
				rc = lbuf_emit(lb, false, fn, ctx);
		}
		if (nl) {
			lbuf_line_done(lb);
			chunk++;
		}
		data += chunk;
		n -= chunk;
		if (rc)
			return rc;
	}
	return 0;
}

int lbuf_flush(struct lbuf *lb, lbuf_line_fn fn, void *ctx)
{
	lb->skipping = false;
	lbuf_line_done(lb);
	if (!lb->len)
		return 0;
	return lbuf_emit(lb, false, fn, ctx);
}
