/*
 * tap.h - a TAP 14 writer: the format every pinprick result is reported in.
 *
 *	TAP version 14
 *	1..2
 *	ok 1 - command line
 *	# Subtest: platform
 *	    ok 1 - memory map is sorted # SKIP no CMOS
 *	    not ok 2 - timer within 5%
 *	      ---
 *	      expected: "..."
 *	      got: "..."
 *	      ...
 *	    1..2
 *	not ok 2 - platform
 *
 * Output goes through a write callback, so the same code writes to COM1 in
 * the guest and to a buffer in host unit tests. Descriptions have '#'
 * escaped and line breaks removed; YAML values are always double-quoted.
 */
#ifndef PINPRICK_TAP_H
#define PINPRICK_TAP_H

#include <stdbool.h>
#include <stddef.h>

#define TAP_MAX_DEPTH 4
#define TAP_LINE_MAX 512

enum tap_directive { TAP_NONE, TAP_SKIP, TAP_TODO };

typedef void (*tap_write_fn)(void *ctx, const char *s, size_t n);

struct tap {
	tap_write_fn write;
	void *ctx;
	unsigned version;
	unsigned depth;
	unsigned count[TAP_MAX_DEPTH + 1]; /* test points at each depth */
	bool in_yaml;
};

void tap_init(struct tap *t, tap_write_fn write, void *ctx, unsigned version);
void tap_header(struct tap *t);
void tap_plan(struct tap *t, unsigned n);
/* Open a subtest at the current depth; its points are indented 4 more. */
void tap_subtest(struct tap *t, const char *name);
/* Close it: write its trailing plan; returns how many points it had. */
unsigned tap_subtest_end(struct tap *t);
/* Write one test point; returns its number. */
unsigned tap_point(struct tap *t, bool ok, const char *desc,
		   enum tap_directive dir, const char *reason);
/* YAML diagnostics for the point just written. */
void tap_yaml_begin(struct tap *t);
void tap_yaml_kv(struct tap *t, const char *key, const char *value);
void tap_yaml_end(struct tap *t);
void tap_comment(struct tap *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "Bail out! reason", always at column 0. */
void tap_bail(struct tap *t, const char *reason);

#endif
