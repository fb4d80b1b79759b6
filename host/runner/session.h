/*
 * session.h - one run of QEMU from start to reaping: the poll() loop over
 * COM1, QEMU's stderr, the COM2 and QMP sockets and signals, with a
 * monotonic deadline, the raw log and the TAP parser fed as lines arrive.
 */
#ifndef PINPRICK_RUNNER_SESSION_H
#define PINPRICK_RUNNER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/runner/gcov_rec.h"
#include "host/runner/qemu.h"
#include "host/runner/series.h"
#include "host/runner/tap_parse.h"
#include "host/runner/verdict.h"
#include "host/runner/vmw_bridge.h"

#define SESS_LINE_MAX	4096	      /* COM1 line cut */
#define SESS_LOG_MAX	(64ull << 20) /* raw log cap */
#define SESS_STDERR_MAX 16384	      /* QEMU stderr kept */
#define SESS_KILL_MS	2000	      /* between quit, TERM, KILL */
#define SESS_QBAL_MS	200	      /* query-balloon for the timeline */
#define SESS_QBAL_SLOW	3	      /* late answers before giving up */
#define SESS_CUT_NOTES	8	      /* cut COM1 lines noted one by one */

struct sess_cfg {
	const char *log_path;
	uint64_t log_max;
	unsigned timeout_s;
	const char *com2_sock; /* NULL: no COM2 */
	const char *qmp_sock;
	const char *gdb_sock; /* with vmw: QEMU's -gdb socket */
	struct vmwb *vmw;     /* the VMware balloon model, or NULL */
	uint64_t ram_bytes;   /* guest RAM (-m), for the host-rss verb */
	struct series *series; /* samples for --csv/--html, or NULL */
	struct gcovr *gcov;    /* --gcov: sees every COM1 line, or NULL */
	unsigned sample_ms;    /* the runner's RSS sampling period */
	bool progress;	       /* "# suite" lines as progress on stderr */
	bool quiet, verbose;
};

struct sess_out {
	struct verd_in vin; /* for verd_decide; vin.tap is set */
	char qemu_stderr[SESS_STDERR_MAX + 1];
	bool stderr_cut;
	char shutdown_reason[64];
	char error[256]; /* why QEMU did not start */
};

/*
 * A guest line as a progress line ("[  3.1 s] suite NAME: passed in N
 * ms"), if it is the start or end of a suite. False if not one.
 */
bool sess_progress_line(const char *line, uint64_t t_ms, char *out,
			size_t size);

/*
 * Runs QEMU with cmd and feeds tap (initialised by the caller; finished
 * here). Fills out; returns 0, or -1 when QEMU or the log could not be
 * started (out->error says why; out->vin.start_failed is set).
 */
int sess_run(const struct sess_cfg *cfg, const struct qemu_cmd *cmd,
	     struct tapp *tap, struct sess_out *out);

#endif
