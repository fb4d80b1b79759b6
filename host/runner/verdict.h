/*
 * verdict.h - turns what happened (QEMU's exit status, the guest's
 * "# pinprick: exit N" line, the TAP counts, timeout, signals) into the
 * runner's exit status, plus notes that explain any disagreement. Pure
 * functions, so the whole mapping table is unit-tested.
 */
#ifndef PINPRICK_RUNNER_VERDICT_H
#define PINPRICK_RUNNER_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "host/runner/tap_parse.h"

/* Runner exit statuses. */
enum {
	VERD_PASS = 0,	/* every check passed */
	VERD_FAIL = 1,	/* a check failed, or the TAP is wrong */
	VERD_CRASH = 2, /* Bail out!, crash, reset */
	VERD_TIMEOUT = 3,
	VERD_USAGE = 4, /* bad option or profile */
	VERD_QEMU = 5,	/* QEMU failed or exited unexpectedly */
	VERD_INTERRUPTED = 130,
};

/* What the guest writes to isa-debug-exit; QEMU exits (v << 1) | 1. */
#define VERD_DEBUG_EXIT_PASS  0x10
#define VERD_DEBUG_EXIT_FAIL  0x11
#define VERD_DEBUG_EXIT_CRASH 0x12

#define VERD_MAX_NOTES 6
#define VERD_NOTE_LEN  200

struct verd_in {
	bool start_failed; /* QEMU could not be started */
	bool interrupted;  /* SIGINT or SIGTERM to the runner */
	bool timed_out;
	bool log_overflow;	     /* the guest wrote more than the log cap */
	bool reaped;		     /* wstatus is valid */
	int wstatus;		     /* from waitpid */
	int exit_line;		     /* N of "# pinprick: exit N", -1 if none */
	const char *shutdown_reason; /* QMP SHUTDOWN "reason", or NULL */
	const struct tapp *tap;	     /* finished */
};

struct verd_out {
	int exit;
	const char *status; /* pass, fail, crash, timeout, error */
	char notes[VERD_MAX_NOTES][VERD_NOTE_LEN];
	int nnotes;
};

void verd_decide(const struct verd_in *in, struct verd_out *out);

/* "pass", "fail", "crash", "timeout" or "error" for a runner exit status. */
const char *verd_status_name(int exit);

/* Recognises "# pinprick: exit N" (N 0..99); false for any other line. */
bool verd_exit_line(const char *line, int *n);

/* "pinprick-run: PROFILE: N passed, N failed, N skipped, N todo (STATUS)" */
void verd_summary(char *buf, size_t size, const char *profile,
		  const struct tapp *t, int exit);

/* Writes the --results line; 0 or -1 with errno set. */
int verd_write_results(const char *path, const struct tapp *t, int exit);

#endif
