/*
 * ctl.h - the guest side of the control channel to the host runner (COM2).
 *
 * Some checks need the host: set a balloon target, read the VMM's RSS.
 * The guest asks with one line and the runner answers with one line:
 *
 *	guest:  PP? <id> <verb> [args]
 *	runner: PP! <id> ok [payload]      or      PP! <id> err <reason>
 *
 * Without a runner (VMware, a hand-run QEMU) requests time out and the
 * checks that needed them are skipped with that reason, never failed.
 */
#ifndef PINPRICK_CTL_H
#define PINPRICK_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_LINE_MAX 512

enum ctl_status {
	CTL_OK = 0,
	CTL_ERR = -1,	     /* the runner refused: reply holds its reason */
	CTL_TIMEOUT = -2,    /* nobody answered in time */
	CTL_NO_CHANNEL = -3, /* no COM2, or an earlier hello went unanswered */
	CTL_BAD_REPLY = -4,  /* an answer we could not parse */
};

/* Send hello once; true if a runner answered. Cached after the first try. */
bool ctl_connect(uint64_t timeout_ns);
bool ctl_connected(void);
/* One request; reply (may be NULL) gets the payload or error reason. */
int ctl_request(const char *verb, const char *args, char *reply,
		size_t reply_len, uint64_t timeout_ns);
const char *ctl_status_name(int status);
/* What the runner said it is, in its hello answer. */
extern char ctl_peer[64];
/* Why ctl_connect failed, for skip reasons. */
const char *ctl_unavailable_reason(void);

/*
 * Answer lines from COM2, assembled without waiting: ctl_poll_line takes
 * what the UART holds and returns true with rx->line set once a whole
 * line is in. A line longer than any answer is dropped whole. Start with
 * a zeroed struct. (ctl_request uses it; so does suite=selftest-hostile,
 * which must read answers while it floods the runner.)
 */
struct ctl_rx {
	char line[CTL_LINE_MAX];
	size_t n;
	bool overflow;
};
bool ctl_poll_line(struct ctl_rx *rx);

#endif
