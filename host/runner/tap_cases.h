/*
 * tap_cases.h - the guest's TAP log as a list of checks, for the reports
 * that show one row per check (JUnit XML, the HTML report).
 *
 * Each "# Subtest: NAME" names the suite of the checks inside it; each
 * test point becomes a case with its kind, its description and, if it
 * printed one, its YAML block (whose "clause:" is kept apart). Top-level
 * checks that are not subtest summaries belong to suite "pinprick"; a
 * Bail out! is an error case. The log is not trusted: lines are cut at
 * TCASE_LINE, YAML at TCASE_TEXT, and the number of cases is capped.
 */
#ifndef PINPRICK_RUNNER_TAP_CASES_H
#define PINPRICK_RUNNER_TAP_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TCASE_LINE 4096	  /* longer log lines are cut */
#define TCASE_NAME 256	  /* a check's name or message */
#define TCASE_TEXT 4096	  /* a check's YAML diagnostics */
/*
 * Checks listed; the rest are counted. A case is about 860 bytes, so this
 * holds the list under 20 MiB however many "ok" lines a guest prints (a
 * full pc-full run has under 500).
 */
#define TCASE_MAX	 20000
#define TCASE_TEXT_TOTAL (4u << 20) /* YAML kept over all cases */

enum tcase_kind { TC_PASS, TC_FAIL, TC_SKIP, TC_TODO, TC_ERROR };

struct tcase {
	char suite[64];
	char name[TCASE_NAME];
	enum tcase_kind kind;
	bool ok; /* the point said "ok" (a TODO may say either) */
	char message[TCASE_NAME]; /* failure: the name; SKIP/TODO: why */
	char clause[TCASE_NAME];  /* from the YAML block, or "" */
	char *text;		  /* the YAML block, or NULL */
	size_t text_len;
};

struct tcases {
	struct tcase *c;
	size_t n, cap;
	unsigned long dropped;
	size_t text_total; /* YAML bytes kept, at most TCASE_TEXT_TOTAL */
	/* parser state */
	char suite[64];
	struct tcase *yaml_owner;
	bool in_yaml;
};

/* Feed one line (no newline). */
void tcases_line(struct tcases *s, const char *line);
/* Read a whole log; lines longer than TCASE_LINE are cut. */
void tcases_read(struct tcases *s, FILE *in);
/* An error case (a run that did not end well). NULL if none fits. */
struct tcase *tcases_add(struct tcases *s, const char *suite);
void tcases_free(struct tcases *s);

/*
 * Text safe in XML 1.0 and HTML: & < > " ' escaped, control characters
 * (but \n and \t) and broken UTF-8 replaced by '?'.
 */
void tcases_put_text(FILE *f, const char *s);

#endif
