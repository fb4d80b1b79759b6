/*
 * chan.h - the runner's two socket channels to a running QEMU: the guest's
 * control port (COM2, answered by ctl.c) and QMP. QEMU creates both
 * sockets as a server, so they are connected (with retries for a few
 * seconds) once QEMU is up; either may be missing without failing a run.
 */
#ifndef PINPRICK_RUNNER_CHAN_H
#define PINPRICK_RUNNER_CHAN_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/runner/ctl.h"
#include "host/runner/linebuf.h"
#include "host/runner/qmp.h"

#define CHAN_CONNECT_MS 3000 /* keep trying to connect this long */
#define CHAN_RETRY_MS	20
#define CHAN_QMP_MS	2000  /* QMP handshake and commands */
#define CHAN_OUT_MAX	16384 /* unsent control answers */
#define CHAN_IN_CHUNK	4096  /* COM2 bytes read at a time */
/*
 * Time for control requests in one pass of the runner's loop. A request
 * that needs a QEMU which does not answer can wait CTL_QMP_MS; past this
 * budget the rest waits for the next pass, so the loop still reads COM1
 * and keeps its deadline.
 */
#define CHAN_SERVICE_MS 200

struct chan {
	const char *com2_path; /* NULL: no COM2 */
	const char *qmp_path;
	bool verbose;
	uint64_t start_ms;

	int com2_fd;	/* -1: not connected */
	bool com2_done; /* closed, or gave up connecting */
	struct lbuf com2_in;
	char pend[CHAN_IN_CHUNK]; /* read, not yet handled (budget spent) */
	size_t pend_len;
	unsigned service_ms; /* CHAN_SERVICE_MS; tests may lower it */
	char out[CHAN_OUT_MAX];
	size_t out_len;
	unsigned long out_dropped;
	struct ctl ctl;
	uint64_t now; /* of the current chan_service */

	struct qmp *qmp;
	bool qmp_done;
	char shutdown_reason[64]; /* from the QMP SHUTDOWN event */
};

/* 0, or -1 if out of memory. */
int chan_init(struct chan *c, const char *com2_path, const char *qmp_path,
	      bool verbose, uint64_t now);

/* Tries the connections still pending; call often until none is. */
void chan_connect(struct chan *c, uint64_t now);
bool chan_pending(const struct chan *c);

/* Adds this channel's descriptors to fds (room for 2); returns how many. */
int chan_pollfds(const struct chan *c, struct pollfd *fds);

/* True if requests already read wait for the next pass: poll no longer. */
bool chan_busy(const struct chan *c);

/* Services the descriptors chan_pollfds added (after poll). */
void chan_service(struct chan *c, const struct pollfd *fds, int n,
		  uint64_t now);

/* Logs QEMU's run state (query-status) as a note. */
void chan_log_status(struct chan *c);

/*
 * The virtio balloon's size in pages as QEMU counts it: query-balloon's
 * "actual" is the guest size, RAM minus the balloon. QMP_OK with *pages;
 * QMP_ERR_REMOTE when QEMU has no balloon device; QMP_ERR_PROTO for an
 * answer without a usable "actual"; other errors as qmp_execute.
 */
int chan_qmp_balloon(struct qmp *q, uint64_t ram_bytes, int timeout_ms,
		     uint64_t *pages);

/* Asks QEMU to quit over QMP; false if that was not possible. */
bool chan_quit(struct chan *c);

void chan_close(struct chan *c);

#endif
