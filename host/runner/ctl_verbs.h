/*
 * ctl_verbs.h - what the files implementing control verbs share: the
 * handlers the table in ctl.c points at, the QMP helper that turns a
 * failed command into "err qmp-error <QEMU's words>", and the pure
 * formatting functions the unit tests call directly. Not for other users
 * of ctl.h.
 */
#ifndef PINPRICK_RUNNER_CTL_VERBS_H
#define PINPRICK_RUNNER_CTL_VERBS_H

#include <jansson.h>
#include <stddef.h>

#include "host/runner/ctl.h"

#define CTL_QMP_MS 2000 /* every QMP command a verb sends */

/* The QMP connection, or NULL when there is none (yet, or any more). */
struct qmp *ctl_qmp(struct ctl *c);

/*
 * Runs cmd with args (a JSON object, consumed; may be NULL). NULL on
 * success, with *reply (if reply is not NULL) to json_decref(); else the
 * reason "qmp-error" with QEMU's description, sanitized, in payload.
 */
const char *ctl_qmp_call(struct qmp *q, const char *cmd, json_t *args,
			 json_t **reply, char *payload, size_t size);

/*
 * Appends " payload" (if not empty) and '\n' to the answer's first len
 * bytes (answer_size at least 2), keeping the line within what
 * the guest reads (CTL_MAX_LINE - 1 characters before the '\n') and
 * answer_size. A payload too long is cut at a blank, so that no
 * "key=value" field is left with half a number in it. Returns the
 * answer's length, '\n' included.
 */
size_t ctl_finish_answer(char *answer, size_t len, size_t answer_size,
			 const char *payload);

/* ctl_vbal.c: the virtio-balloon verbs */
const char *ctl_host_rss(struct ctl *c, const struct ctl_req *r, char *payload,
			 size_t size);
const char *ctl_stats_interval(struct ctl *c, const struct ctl_req *r,
			       char *payload, size_t size);
const char *ctl_guest_stats(struct ctl *c, const struct ctl_req *r,
			    char *payload, size_t size);
const char *ctl_balloon_events(struct ctl *c, const struct ctl_req *r,
			       char *payload, size_t size);

/*
 * The guest-stats payload from qom-get's value ({"last-update": N,
 * "stats": {"stat-swap-in": v, ...}}): "last-update=N swap-in=v ...",
 * "-" for a statistic that is unset (-1, as QEMU's uint64 all-ones comes
 * out of qmp_fold_uint64), missing or not an integer. Whole fields only:
 * one that does not fit in size is left out with everything after it.
 * 0, or -1 if reply is not an object or something was left out.
 */
int ctl_format_guest_stats(const json_t *reply, char *buf, size_t size);

/* ctl_migrate.c: a migration, to make QEMU run free page hinting */
const char *ctl_migrate_start(struct ctl *c, const struct ctl_req *r,
			      char *payload, size_t size);
const char *ctl_migrate_status(struct ctl *c, const struct ctl_req *r,
			       char *payload, size_t size);
void ctl_mig_event(struct ctl *c, json_t *data);

#endif
