/*
 * ctl.h - the host side of the guest's control channel on COM2. The guest
 * sends "PP? <id> <verb> [args...]" lines; each gets exactly one answer,
 * "PP! <id> ok [payload]" or "PP! <id> err <reason>". Verbs live in a
 * table so later work (balloon-target, host-rss, ...) only adds rows.
 */
#ifndef PINPRICK_RUNNER_CTL_H
#define PINPRICK_RUNNER_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_MAX_LINE	512 /* longer requests are cut and refused */
#define CTL_MAX_ARGS	8
#define CTL_MAX_VERB	32
#define CTL_RATE_LIMIT	200 /* requests per second */
#define CTL_ANSWER_SIZE (CTL_MAX_LINE + 64)
#define CTL_NOTE_SIZE	200
#define CTL_VERSION	"pinprick-run 0.1"

struct ctl_req {
	unsigned long id;
	char verb[CTL_MAX_VERB];
	int argc;
	char *argv[CTL_MAX_ARGS]; /* point into the request's buffer */
	char buf[CTL_MAX_LINE + 1];
};

struct vmwb;
struct qmp;

struct ctl {
	void *user;		  /* for verbs that need the session */
	struct vmwb *vmw;	  /* the VMware balloon model, or NULL */
	struct qmp *const *qmp;	  /* the QMP connection once it is up */
	uint64_t window_start_ms; /* rate limiting: fixed 1 s windows */
	unsigned window_count;
	unsigned long requests, errors;
	char guest_version[64]; /* from hello */
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

#endif
