/*
 * cmdline.h - the kernel command line: what to run and how.
 *
 *	suite=a,b	suites to run (default: all)        scenario=x,y
 *	seed=N		seed for every random choice        verbose
 *	budget=MS	default per-test time budget       tap=13|14
 *	reserve=N[K|M|G]  reserve floor (pages, or a size)  exit=auto|debugexit|acpi|halt
 *	virtio_mmio.device=SIZE@BASE:IRQ  (QEMU microvm appends these)
 *	run=tests|follow  follow: be a plain balloon guest (no tests)
 *	boot=pvh|uefi	the boot path the platform suite must find
 *	efi.stale_key	UEFI loader: make the first ExitBootServices key stale
 *	follow_dirty	run=follow: write every free page once first (make bench)
 *	vbal.batch=N	run=follow: PFNs a virtio-balloon buffer, 1..1024
 *	vbal.bufs=N	run=follow: buffers in flight per queue, 1..16
 *
 * Parsing never stops at a bad option: each unknown or malformed one is
 * kept, with its text, and reported as a failed check; the rest still
 * takes effect.
 */
#ifndef PINPRICK_CMDLINE_H
#define PINPRICK_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/boot_info.h"
#include "kernel/exit.h"

#define CMD_MAX_NAMES 16
#define CMD_MAX_ERRORS 8
#define CMD_ERROR_LEN 160
#define CMD_MAX_MMIO 32
#define CMD_BUF 2048

enum run_mode { RUN_TESTS, RUN_FOLLOW };

struct cmdline_opts {
	const char *suites[CMD_MAX_NAMES];
	unsigned nr_suites; /* 0 = all */
	const char *scenarios[CMD_MAX_NAMES];
	unsigned nr_scenarios;
	uint64_t seed;
	bool seed_set;
	bool verbose;
	unsigned tap_version;
	uint64_t budget_ms;
	uint64_t reserve_pages;
	bool reserve_set;
	enum exit_method exit;
	enum run_mode run;
	enum boot_path expect_boot; /* BOOT_UNKNOWN: any */
	bool efi_stale_key;	    /* the loader's retry path was forced */
	bool follow_dirty;	    /* run=follow: dirty free memory first */
	unsigned vbal_batch, vbal_bufs; /* run=follow tuning; 0: defaults */
	const char *virtio_mmio[CMD_MAX_MMIO];
	unsigned nr_virtio_mmio;

	char errors[CMD_MAX_ERRORS][CMD_ERROR_LEN];
	unsigned nr_errors;
	unsigned errors_dropped;
	unsigned nr_options; /* well-formed options seen */

	char buf[CMD_BUF]; /* token storage the pointers above point into */
};

#define CMD_DEFAULT_SEED 1
#define CMD_DEFAULT_BUDGET_MS 20000

/* Parse s into o (which it resets to defaults first). Returns nr_errors. */
unsigned cmdline_parse(const char *s, struct cmdline_opts *o);

/*
 * Is name selected by suite=? With no suite= (or suite=all) every suite
 * runs except the explicit-only ones, which run only when named.
 */
bool cmdline_wants_suite(const struct cmdline_opts *o, const char *name,
			 bool explicit_only);

#endif
