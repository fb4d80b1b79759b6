/*
 * tap_line.h - classifies one TAP line (indentation already removed) into
 * a token: version, plan, test point, Bail out!, comment, YAML marker or
 * "other". Pure and stateless, so the grammar is easy to test on its own;
 * tap_parse.c adds the state (levels, plans, counting).
 */
#ifndef PINPRICK_RUNNER_TAP_LINE_H
#define PINPRICK_RUNNER_TAP_LINE_H

#include <stdbool.h>
#include <stddef.h>

enum tapl_kind {
	TAPL_OTHER,	 /* not TAP: chatter, garbage */
	TAPL_BLANK,	 /* nothing but blanks */
	TAPL_VERSION,	 /* TAP version N */
	TAPL_PLAN,	 /* 1..N [# SKIP reason] */
	TAPL_TEST,	 /* ok / not ok ... */
	TAPL_BAIL,	 /* Bail out! reason */
	TAPL_COMMENT,	 /* # anything */
	TAPL_SUBTEST,	 /* # Subtest: name */
	TAPL_PRAGMA,	 /* pragma +strict */
	TAPL_YAML_START, /* --- */
	TAPL_YAML_END,	 /* ... */
};

enum tapl_directive { TAPL_DIR_NONE, TAPL_DIR_SKIP, TAPL_DIR_TODO };

struct tapl_tok {
	enum tapl_kind kind; /* what the line is */
	bool ok;	     /* test point: "ok" rather than "not ok" */
	bool has_num;	     /* test point carried a number */
	bool bad_num;	     /* number too big, or plan not from 1 */
	unsigned long num;   /* test number, plan count or version */
	enum tapl_directive directive; /* test point or plan */
	const char *text;	       /* description, Bail out reason, name */
	size_t text_len;
	const char *reason; /* after SKIP or TODO */
	size_t reason_len;
};

/* Lexes the NUL-terminated line s; pointers in t point into s. */
void tapl_lex(const char *s, struct tapl_tok *t);

#endif
