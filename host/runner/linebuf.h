/*
 * linebuf.h - splits a byte stream into lines with a hard length limit.
 * Guest serial ports, QEMU's stderr and the QMP socket all arrive in
 * arbitrary chunks; this turns them into whole lines without ever holding
 * more than max bytes, cutting (and flagging) lines that are too long.
 */
#ifndef PINPRICK_RUNNER_LINEBUF_H
#define PINPRICK_RUNNER_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Called once per line, without its '\n' (a trailing '\r' is kept; the
 * consumer decides). line[len] is '\0'. cut is true when the line was
 * longer than the limit: line holds its first max bytes and the rest up to
 * the next '\n' is dropped. Returning non-zero stops lbuf_feed early.
 */
typedef int (*lbuf_line_fn)(void *ctx, char *line, size_t len, bool cut);

struct lbuf {
	char *buf; /* max + 1 bytes */
	size_t max;
	size_t len;
	bool skipping; /* inside the dropped tail of a cut line */
	/* how much was cut, so that the runner can say so */
	bool cur_cut;		/* the current line was delivered cut */
	unsigned long long cur_bytes;	/* bytes of the current line so far */
	unsigned long cut_lines;	/* lines delivered cut, ended */
	unsigned long long longest_cut; /* the longest of them, in bytes */
};

/* 0, or -1 if the buffer cannot be allocated. */
int lbuf_init(struct lbuf *lb, size_t max);
void lbuf_free(struct lbuf *lb);

/* Feeds n bytes; returns the first non-zero callback result, else 0. */
int lbuf_feed(struct lbuf *lb, const char *data, size_t n, lbuf_line_fn fn,
	      void *ctx);

/* At end of stream: passes a pending partial line, if any, to fn. */
int lbuf_flush(struct lbuf *lb, lbuf_line_fn fn, void *ctx);

#endif
