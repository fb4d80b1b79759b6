/*
 * ctl_migrate.c - migrate-start and migrate-status: a migration to
 * nowhere, because QEMU runs virtio-balloon free page hinting only while
 * it migrates, and the resume that must follow it.
 *
 * Measured on QEMU 7.2 (TCG, pc, 128 MiB, idle guest): "migrate" to
 * "exec:cat > /dev/null" (run through /bin/sh) answers at once and
 * completes in about 20 ms, mostly zero pages. On completion QEMU stops
 * the source for good: query-status says "postmigrate". A "cont" then
 * answers {} and QEMU sends RESUME and runs again, and a later migration
 * works too. The paused guest cannot ask for that, so the runner sends
 * "cont" itself. A migration that fails (the command exits early: status
 * "failed", with "error-desc") or is cancelled leaves a guest that was
 * running still running; QEMU restarts it itself, so "cont" is sent only
 * when the run state really is "postmigrate".
 *
 * QEMU sets status "completed" (and sends the MIGRATION event) a moment
 * before it takes its lock to switch the run state from "finish-migrate"
 * to "postmigrate"; a "cont" in between would run the guest while QEMU
 * then marks it stopped, so the runner waits for "postmigrate".
 *
 * MIGRATION events are sent only with the "events" capability, which
 * migrate-start turns on so the end of the migration wakes the runner;
 * without it ctl_tick polls query-migrate.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host/runner/ctl_verbs.h"
#include "host/runner/qmp.h"
#include "host/runner/util.h"

#define CTL_MIG_URI	   "exec:cat > /dev/null"
#define CTL_MIG_POLL_MS	   500	 /* query-migrate while running */
#define CTL_MIG_SETTLE_MS  300	 /* waiting inline for "postmigrate" */
#define CTL_MIG_GIVE_UP_MS 10000 /* then leave it to the user */

static bool ctl_mig_over(const char *status)
{
	return !strcmp(status, "completed") || !strcmp(status, "failed") ||
	       !strcmp(status, "cancelled");
}

static void ctl_mig_set_status(struct ctl *c, const char *status)
{
	util_sanitize(c->mig.status, sizeof(c->mig.status), status,
		      strlen(status));
	if (c->mig.state == CTL_MIG_RUNNING && ctl_mig_over(c->mig.status)) {
		c->mig.state = CTL_MIG_RESUMING;
		c->mig.give_up_ms = 0; /* set by the next ctl_tick */
	}
}

void ctl_mig_event(struct ctl *c, json_t *data)
{
	const char *status = json_string_value(json_object_get(data, "status"));

	if (status && c->mig.state == CTL_MIG_RUNNING)
		ctl_mig_set_status(c, status);
}

/* migrate-start: begins the migration and answers at once. */
const char *ctl_migrate_start(struct ctl *c, const struct ctl_req *r,
			      char *payload, size_t size)
{
	struct qmp *q = ctl_qmp(c);
	const char *reason;
	json_t *args;

	if (!q)
		return "no-qmp";
	if (!c->mig.events) {
		args = json_pack("{s:[{s:s, s:b}]}", "capabilities",
				 "capability", "events", "state", 1);
		/* without events the runner polls: not a reason to fail */
		if (args && !ctl_qmp_call(q, "migrate-set-capabilities", args,
					  NULL, payload, size))
			c->mig.events = true;
		payload[0] = '\0';
	}
	args = json_pack("{s:s}", "uri", CTL_MIG_URI);
	if (!args)
		return "no-memory";
	reason = ctl_qmp_call(q, "migrate", args, NULL, payload, size);
	if (reason)
		return reason; /* e.g. one is already in progress */
	c->mig.state = CTL_MIG_RUNNING;
	c->mig.next_poll_ms = 0;
	util_strlcpy(c->mig.status, "setup", sizeof(c->mig.status));
	snprintf(payload, size, "status=setup");
	return NULL;
}

/* query-migrate's status: "none" before any migration (QEMU answers {}). */
static const char *ctl_mig_query(struct ctl *c, struct qmp *q, char *status,
				 size_t status_size, char *payload, size_t size)
{
	json_t *reply = NULL;
	const char *reason, *st;

	reason = ctl_qmp_call(q, "query-migrate", NULL, &reply, payload, size);
	if (reason)
		return reason;
	st = json_string_value(json_object_get(reply, "status"));
	util_sanitize(status, status_size, st ? st : "none",
		      strlen(st ? st : "none"));
	if (st)
		ctl_mig_set_status(c, status);
	json_decref(reply);
	return NULL;
}

/* migrate-status: "status=S resumed=N" (N: times the runner sent cont). */
const char *ctl_migrate_status(struct ctl *c, const struct ctl_req *r,
			       char *payload, size_t size)
{
	struct qmp *q = ctl_qmp(c);
	const char *reason;
	char status[24];

	if (!q)
		return "no-qmp";
	reason = ctl_mig_query(c, q, status, sizeof(status), payload, size);
	if (reason)
		return reason;
	snprintf(payload, size, "status=%s resumed=%lu", status,
		 c->mig.resumed);
	return NULL;
}

static void ctl_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

	nanosleep(&ts, NULL);
}

/* query-status's status into st; false if QEMU did not say. */
static bool ctl_run_state(struct qmp *q, char *st, size_t size)
{
	json_t *reply = NULL;
	const char *s;
	char ignored[160];

	if (ctl_qmp_call(q, "query-status", NULL, &reply, ignored,
			 sizeof(ignored)))
		return false;
	s = json_string_value(json_object_get(reply, "status"));
	util_strlcpy(st, s ? s : "?", size);
	json_decref(reply);
	return s != NULL;
}

/* Tells the user why a migration did not complete, if QEMU says. */
static void ctl_mig_why(struct qmp *q, const char *status)
{
	json_t *reply = NULL;
	const char *desc;
	char text[200], ignored[160];

	if (ctl_qmp_call(q, "query-migrate", NULL, &reply, ignored,
			 sizeof(ignored)))
		return;
	desc = json_string_value(json_object_get(reply, "error-desc"));
	util_sanitize(text, sizeof(text), desc ? desc : "no reason given",
		      strlen(desc ? desc : "no reason given"));
	util_note("migration %s: %s", status, text);
	json_decref(reply);
}

/* After the migration ended: "cont" if QEMU left the guest stopped. */
static void ctl_mig_resume(struct ctl *c, struct qmp *q, uint64_t now)
{
	uint64_t settle = util_now_ms() + CTL_MIG_SETTLE_MS;
	char st[32] = "", err[160];

	if (!c->mig.give_up_ms) {
		c->mig.give_up_ms = now + CTL_MIG_GIVE_UP_MS;
		if (strcmp(c->mig.status, "completed"))
			ctl_mig_why(q, c->mig.status);
	}
	for (;;) {
		if (!ctl_run_state(q, st, sizeof(st)))
			break;
		if (!strcmp(st, "postmigrate")) {
			if (ctl_qmp_call(q, "cont", NULL, NULL, err,
					 sizeof(err)))
				util_note("migration %s, but cont failed: %s",
					  c->mig.status, err);
			else
				c->mig.resumed++;
			c->mig.state = CTL_MIG_DONE;
			return;
		}
		if (strcmp(st, "finish-migrate") || util_now_ms() >= settle)
			break;
		ctl_sleep_ms(10);
	}
	if (!strcmp(st, "finish-migrate") || !st[0]) {
		if (now < c->mig.give_up_ms)
			return; /* again at the next tick */
		util_note("migration %s, but QEMU stays in '%s'; guest not "
			  "resumed",
			  c->mig.status, st[0] ? st : "?");
	}
	/* running again (QEMU restarts it after a failure), or something
	 * else stopped it: not ours to resume */
	c->mig.state = CTL_MIG_DONE;
}

void ctl_tick(struct ctl *c, uint64_t now_ms)
{
	struct qmp *q = ctl_qmp(c);
	char status[24], ignored[160];

	if (!q)
		return;
	if (c->mig.state == CTL_MIG_RUNNING && now_ms >= c->mig.next_poll_ms) {
		c->mig.next_poll_ms = now_ms + CTL_MIG_POLL_MS;
		ctl_mig_query(c, q, status, sizeof(status), ignored,
			      sizeof(ignored));
	}
	if (c->mig.state == CTL_MIG_RESUMING)
		ctl_mig_resume(c, q, now_ms);
}
