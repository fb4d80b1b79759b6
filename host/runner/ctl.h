/*
 * ctl.h - the host side of the guest's control channel on COM2. The guest
 * sends "PP? <id> <verb> [args...]" lines; each gets exactly one answer,
 * "PP! <id> ok [payload]" or "PP! <id> err <reason> [detail]". Verbs live
 * in a table so later work only adds rows; docs/control-protocol.md
 * describes every verb.
 */
#ifndef PINPRICK_RUNNER_CTL_H
#define PINPRICK_RUNNER_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_MAX_LINE	512 /* longer requests are cut and refused */
#define CTL_MAX_ARGS	8
#define CTL_MAX_VERB	32
#define CTL_RATE_LIMIT	200 /* requests per second */
#define CTL_ANSWER_SIZE (CTL_MAX_LINE + 64)
#define CTL_NOTE_SIZE	200
#define CTL_NOTES_MAX	20 /* notes on bad requests shown per run */
#define CTL_VERSION	"pinprick-run 0.1"
/*
 * The guest reads at most CTL_MAX_LINE - 1 characters before the '\n' and
 * drops a longer answer whole, so answers are kept to that; a verb that
 * stays within CTL_PAYLOAD_MAX never has its payload cut.
 */
#define CTL_PAYLOAD_MAX 470

struct ctl_req {
	unsigned long id;
	char verb[CTL_MAX_VERB];
	int argc;
	char *argv[CTL_MAX_ARGS]; /* point into the request's buffer */
	char buf[CTL_MAX_LINE + 1];
};

struct vmwb;
struct qmp;

/* BALLOON_CHANGE events, for balloon-events. */
struct ctl_bal_events {
	unsigned long count; /* since the last balloon-events request */
	unsigned long total;
	long long last; /* "actual" of the newest counted one */
};

enum ctl_mig_state {
	CTL_MIG_IDLE,	  /* the runner has not started a migration */
	CTL_MIG_RUNNING,  /* started by migrate-start, not finished */
	CTL_MIG_RESUMING, /* finished: the guest may need a "cont" */
	CTL_MIG_DONE,
};

/* A migration started by migrate-start (ctl_migrate.c). */
struct ctl_mig {
	enum ctl_mig_state state;
	bool events; /* QEMU was asked for MIGRATION events */
	char status[24];
	uint64_t next_poll_ms;
	uint64_t give_up_ms; /* stop waiting for "postmigrate" */
	unsigned long resumed;
};

#define CTL_PREBOOT_MAX 256

struct ctl {
	void *user;		  /* for verbs that need the session */
	struct vmwb *vmw;	  /* the VMware balloon model, or NULL */
	struct qmp *const *qmp;	  /* the QMP connection once it is up */
	uint64_t window_start_ms; /* rate limiting: fixed 1 s windows */
	unsigned window_count;
	unsigned long requests, errors;
	unsigned long notes; /* notes on bad requests, shown or not */
	/*
	 * Lines before the guest's first well-formed request: firmware that
	 * writes its console to every serial port (OVMF does) is not a
	 * guest speaking the protocol. They get no answer (an answer would
	 * be keystrokes to the firmware) and no note, up to CTL_PREBOOT_MAX.
	 */
	bool spoken;
	unsigned long preboot_lines;
	char guest_version[64]; /* from hello */

	/* host-rss: QEMU's pid (0: unknown or reaped) and its -m size */
	int qemu_pid;
	uint64_t ram_bytes;
	/*
	 * Hands the QMP events already read to ctl_qmp_event (and whoever
	 * else wants them), so that balloon-events counts everything QEMU
	 * sent before the request. NULL: nothing to do.
	 */
	void (*sync_events)(struct ctl *c);
	char balloon_path[128]; /* QOM path of the balloon, once found */
	struct ctl_bal_events bev;
	struct ctl_mig mig;
};

/* A verb handler fills payload (may stay empty); returns NULL or an error
 * reason. */
typedef const char *(*ctl_verb_fn)(struct ctl *c, const struct ctl_req *r,
				   char *payload, size_t size);

struct ctl_verb {
	const char *name;
	int min_args, max_args;
	ctl_verb_fn fn;
};

void ctl_init(struct ctl *c, void *user);

/*
 * Parses one request line (no '\n'; a trailing '\r' is allowed). 0, or -1
 * if it is not a well-formed request. r->id is set whenever the id could
 * be read, even for a malformed line (else 0).
 */
int ctl_parse(const char *line, size_t len, struct ctl_req *r);

/*
 * Handles one received line and writes the answer (with '\n') to answer.
 * cut: the line was longer than CTL_MAX_LINE. now_ms: monotonic time for
 * the rate limit. Sets note (else "") to a message for the user when the
 * line was malformed. Returns the answer's length; 0 means no answer
 * (blank line).
 */
size_t ctl_handle(struct ctl *c, const char *line, size_t len, bool cut,
		  uint64_t now_ms, char *answer, size_t answer_size, char *note,
		  size_t note_size);

/* The verb table, for documentation and tests. */
const struct ctl_verb *ctl_verbs(size_t *count);

/* A QMP event (data may be NULL), for the verbs that watch events. */
void ctl_qmp_event(struct ctl *c, const char *name, json_t *data);

/*
 * Called each time the runner services its channels: finishes what a
 * verb started in the background (resuming the guest after the migration
 * that migrate-start began). Bounded by a few QMP round trips.
 */
void ctl_tick(struct ctl *c, uint64_t now_ms);

#endif
