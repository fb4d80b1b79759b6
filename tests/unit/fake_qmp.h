/*
 * fake_qmp.h - a scripted stand-in for QEMU's QMP side, for the unit
 * tests of verbs that talk to QEMU. It runs in a child process on one end
 * of a socketpair, greets and negotiates like QEMU 7.2, then expects the
 * client's commands in the scripted order and answers each with canned
 * text (which may carry events, or integers jansson cannot hold, exactly
 * as QEMU prints them). A command off the script ends the fake, so the
 * test sees the connection close and fake_qmp_end reports the failure.
 */
#ifndef PINPRICK_FAKE_QMP_H
#define PINPRICK_FAKE_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "host/runner/qmp.h"

struct fake_step {
	const char *expect;  /* the command line must contain this */
	const char *expect2; /* and this, unless NULL */
	/* sent in answer: whole lines ending in "\r\n"; one "%ld" is
	 * replaced by the command's id (put events before the answer) */
	const char *reply;
	bool repeat; /* also answers any further commands that match */
};

#define FAKE_STEP(e, e2, r)                                                    \
	{                                                                      \
		.expect = (e), .expect2 = (e2), .reply = (r)                   \
	}
#define FAKE_REPEAT(e, e2, r)                                                  \
	{                                                                      \
		.expect = (e), .expect2 = (e2), .reply = (r), .repeat = true   \
	}

/* Starts the fake and connects *q to it. Its pid, or -1 (*q is NULL). */
pid_t fake_qmp_start(const struct fake_step *steps, size_t n, struct qmp **q);

/* Closes q and reaps the fake: true if every step ran and none other. */
bool fake_qmp_end(pid_t pid, struct qmp *q);

#endif
