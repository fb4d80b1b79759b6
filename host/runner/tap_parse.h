/*
 * tap_parse.h - a streaming TAP 13/14 checker for the guest's COM1 output.
 * It is fed one line at a time, counts the checks (leaf test points) by
 * outcome and records every protocol problem as a finding. Memory is fixed:
 * nesting, findings and remembered failures are all capped.
 */
#ifndef PINPRICK_RUNNER_TAP_PARSE_H
#define PINPRICK_RUNNER_TAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define TAPP_MAX_LINE	  4096 /* longer lines are looked at cut */
#define TAPP_MAX_DEPTH	  8    /* levels of subtests below the top */
#define TAPP_MAX_FINDINGS 32
#define TAPP_FINDING_LEN  160
#define TAPP_MAX_FAILURES 16
#define TAPP_FAILURE_LEN  128

struct tapp_level {
	char name[64]; /* from "# Subtest: name" */
	unsigned open_line;
	bool has_plan;
	bool plan_late; /* the plan came after test points */
	unsigned long planned;
	unsigned plan_line;
	unsigned long count;  /* test points at this level */
	unsigned long failed; /* failed checks in this subtree */
};

struct tapp {
	struct tapp_level lv[TAPP_MAX_DEPTH + 1]; /* [0]: top level */
	int depth;		  /* index of the innermost open level */
	struct tapp_level closed; /* the subtest that just ended ... */
	bool just_closed;	  /* ... and awaits its summary line */
	char pending_name[64];	  /* "# Subtest:" seen, not yet opened */
	int pending_level;	  /* -1: none */

	unsigned long passed, failed, skipped, todo;
	unsigned long ignored; /* non-TAP lines */
	unsigned long comments;
	unsigned lines;

	int version;   /* 0: no version line */
	bool tap_seen; /* any plan, test point or version */
	bool version_missing_noted;
	bool deep_noted;
	bool bailed;
	char bail_reason[128];
	bool in_yaml;
	unsigned yaml_indent, yaml_line;
	int last_test_indent; /* -1 unless the last line was a test point */
	bool finished;

	char findings[TAPP_MAX_FINDINGS][TAPP_FINDING_LEN];
	unsigned nfindings;
	unsigned long findings_dropped;
	char failures[TAPP_MAX_FAILURES][TAPP_FAILURE_LEN]; /* failed checks */
	unsigned nfailures;
	unsigned long failures_dropped;
};

void tapp_init(struct tapp *t);

/* One line of output, without its '\n'; need not be TAP. */
void tapp_line(struct tapp *t, const char *line, size_t len);

/* End of output: checks plans and open subtests. Idempotent. */
void tapp_finish(struct tapp *t);

/* Findings beyond the cap are counted in findings_dropped. */
unsigned long tapp_problems(const struct tapp *t);

/* Every check passed (skip and todo allowed), the TAP is complete and valid. */
bool tapp_all_ok(const struct tapp *t);

#endif
