/*
 * scen.h - scripted balloon scenarios: the language and its interpreter.
 *
 * A scenario is a small text file (tests/scenarios/NAME.scn, built into
 * the image) that drives one balloon through inflate, deflate, pinning,
 * workload and pressure steps and states what must hold on the way. The
 * grammar is in docs/scenarios.md; in short, one statement per line:
 *
 *	target 50%			set the host's target
 *	await target 50% within 5s	wait for the driver to see a target
 *	wait size 50% within 20s	drive the balloon until it is that big
 *	wait settled within 20s		... until it stops (reached or short)
 *	pin 60%  unpin all		pinned memory (mlock, a locked heap)
 *	touch 20M  release all		checksummed workload memory
 *	pressure 16M			a workload that needs memory back
 *	sleep 2s			keep the balloon serviced, do nothing
 *	expect size >= 40%  expect alive  expect reserve  expect intact
 *	expect shortfall  expect target 50%  expect rss-drop 30M
 *	repeat 3 { ... }		a block, nested up to SCEN_MAX_DEPTH
 *	churn seed=7 steps=500		seeded random workload/target steps
 *	budget 90s			the scenario's time limit (first only)
 *
 * Amounts are pages (4096 B), MiB ("64M"), percent of RAM ("50%") or
 * "all". The parser checks everything before anything runs, so a bad
 * script is reported (file:line:col) and never half run. The interpreter
 * (scen_run.c) reaches the balloon, the host and the report through
 * struct scen_env, so host unit tests run it against a model.
 */
#ifndef PINPRICK_SCEN_H
#define PINPRICK_SCEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/balloon.h"
#include "kernel/page_alloc.h"
#include "kernel/workload.h"

#define SCEN_MAX_TEXT  65536 /* bytes of script */
#define SCEN_MAX_LINE  256   /* characters per line */
#define SCEN_MAX_OPS   256   /* statements, block ends included */
#define SCEN_MAX_DEPTH 4     /* nested repeat blocks */
#define SCEN_MAX_COUNT 10000 /* repeat count */
#define SCEN_MAX_STEPS 1000000
#define SCEN_MAX_MS    3600000 /* an hour: longer waits are typos */
#define SCEN_ABOUT     96

enum scen_kind {
	SO_TARGET,
	SO_AWAIT_TARGET,
	SO_WAIT_SIZE,
	SO_WAIT_SETTLED,
	SO_PIN,
	SO_UNPIN,
	SO_TOUCH,
	SO_RELEASE,
	SO_PRESSURE,
	SO_SLEEP,
	SO_EXPECT,
	SO_REPEAT,
	SO_END, /* closes a repeat block */
	SO_CHURN,
	SO_NKINDS
};

enum scen_unit { SU_PAGES, SU_MIB, SU_PERCENT, SU_ALL };

enum scen_what {
	SE_SIZE,
	SE_TARGET,
	SE_ALIVE,
	SE_RESERVE,
	SE_INTACT,
	SE_SHORTFALL,
	SE_RSS_DROP
};

enum scen_cmp { SC_EQ, SC_GE, SC_LE };

struct scen_amount {
	uint8_t unit; /* enum scen_unit */
	uint64_t value;
};

struct scen_op {
	uint8_t kind; /* enum scen_kind */
	uint8_t what; /* SO_EXPECT: enum scen_what */
	uint8_t cmp;  /* SO_EXPECT size/target: enum scen_cmp */
	uint16_t line, col;
	struct scen_amount amount;
	uint64_t ms;	/* within / sleep */
	uint32_t count; /* repeat */
	uint32_t jump;	/* repeat: its end; end: its repeat */
	uint64_t seed, steps;
};

struct scen_prog {
	struct scen_op ops[SCEN_MAX_OPS];
	unsigned n;
	uint64_t budget_ms;	/* 0: not given */
	char about[SCEN_ABOUT]; /* the first comment line */
};

struct scen_error {
	unsigned line, col;
	char msg[96];
};

/* Parse text; 0 or -1 with e filled. Never reads past len. */
int scen_parse(const char *text, size_t len, struct scen_prog *p,
	       struct scen_error *e);
/* One statement back as text, for check names ("pin 60%"). */
void scen_op_text(const struct scen_op *op, char *buf, size_t len);
const char *scen_kind_name(unsigned kind);
const char *scen_what_name(unsigned what); /* "size", "rss-drop", ... */
/* Does the program use a statement of this kind (or expect what)? */
bool scen_uses(const struct scen_prog *p, unsigned kind, int what);

/* ---- running ------------------------------------------------------ */

struct scen_env {
	/* The balloon under test and how to drive it. */
	struct balloon *b;
	const char *proto;  /* "virtio", "vmware" */
	const char *clause; /* the protocol's target/size clause */
	uint64_t slack;	    /* pages a size may miss its target by */
	void *ctx;
	/* Ask the host for a new target; false + why if it would not. */
	bool (*set_target)(void *ctx, uint64_t pages, char *why, size_t len);
	/* Service the device and move the balloon one bounded step. */
	void (*step)(void *ctx);
	/* Take up to n pages back for the guest (pressure); pages freed. */
	int64_t (*reclaim)(void *ctx, uint64_t n);
	/* The driver's own tracking against the allocator; 0 or -1 + why. */
	int (*check)(void *ctx, char *why, size_t len);
	/* QEMU's resident guest RAM in bytes, or false. */
	bool (*host_rss)(void *ctx, uint64_t *bytes);
	/* NULL when the host frees ballooned memory; else why it does not. */
	const char *no_reclaim_why;

	/* The machine. */
	struct pa_zone *zone;
	uint64_t ram_pages; /* what 100% means */
	uint8_t *(*map)(uint64_t pfn);
	uint64_t (*now_ns)(void);
	void (*delay_ns)(uint64_t ns);

	/* The report. */
	bool (*report)(void *rctx, bool ok, const char *clause,
		       const char *desc);
	void (*diag)(void *rctx, const char *key, const char *val);
	void (*info)(void *rctx, const char *line);
	void (*skip)(void *rctx, const char *why, const char *desc);
	void *rctx;

	/* Tracking for workload and pinned pages (kernel-allocated). */
	uint64_t *wl_pfns, *pin_pfns;
	uint64_t track_len;
	uint64_t sample_ms; /* 0: no "# sample" lines */
};

struct scen_result {
	unsigned checks, failed;
	uint64_t elapsed_ms;
};

/* One run in progress; the caller owns it so cleanup survives a stop. */
struct scen_state {
	const struct scen_prog *p;
	const char *name;
	const struct scen_env *env;
	struct scen_result *res;
	struct wl wl, pin;
	uint64_t wl_before, pin_before; /* allocator counts at the start */
	uint64_t rss_base;
	bool rss_base_ok;
	uint32_t left[SCEN_MAX_OPS]; /* iterations left per repeat */
	uint64_t t0, last_sample;
	unsigned pc;
};

/* Set up s (takes nothing yet). */
void scen_start(struct scen_state *s, const struct scen_prog *p,
		const char *name, const struct scen_env *env,
		struct scen_result *res);
/* The statements; each reports a check (a watchdog may stop this). */
void scen_exec(struct scen_state *s);
/*
 * Always after scen_exec, stopped or not: the accounting check (every
 * page in one state, the sums and the trackers agree), a last integrity
 * check, then everything given back and the balloon emptied (checked).
 */
void scen_finish(struct scen_state *s);
/* Pages an amount means (SU_ALL: all_pages). */
uint64_t scen_pages(const struct scen_env *env, const struct scen_amount *a,
		    uint64_t all_pages);
/* One "# sample" line now. */
void scen_sample(struct scen_state *s);

#endif
