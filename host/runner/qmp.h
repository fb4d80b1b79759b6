/*
 * qmp.h - a small QEMU Machine Protocol client over a unix socket. The
 * runner uses it to ask QEMU to quit on timeout and to query its status;
 * QEMU is trusted more than the guest, but its replies are still read with
 * size limits and deadlines so a wedged QEMU cannot hang the runner.
 */
#ifndef PINPRICK_RUNNER_QMP_H
#define PINPRICK_RUNNER_QMP_H

#include <jansson.h>
#include <stddef.h>

#define QMP_MAX_MSG    (1024 * 1024) /* bytes in one JSON message */
#define QMP_MAX_EVENTS 64	     /* queued events; older ones dropped */

enum {
	QMP_OK = 0,
	QMP_ERR_REMOTE = -1, /* QEMU answered with an error */
	QMP_ERR_TIMEOUT = -2,
	QMP_ERR_IO = -3,    /* cannot connect, read or write; closed */
	QMP_ERR_PROTO = -4, /* malformed or unexpected message */
};

struct qmp_error {
	char cls[64];	/* QEMU's error class, or "" */
	char desc[256]; /* what went wrong */
};

struct qmp;

/*
 * Takes over a connected socket: reads the greeting and negotiates
 * capabilities within timeout_ms. On failure fd is closed, *out is NULL
 * and err (if not NULL) says why. Returns QMP_OK or an error.
 */
int qmp_open(struct qmp **out, int fd, int timeout_ms, struct qmp_error *err);

/* Connects to a unix socket path, then qmp_open. */
int qmp_connect(struct qmp **out, const char *path, int timeout_ms,
		struct qmp_error *err);

/*
 * Runs a command; args_json is a JSON object text or NULL. On QMP_OK,
 * *reply (if reply is not NULL) holds the "return" value, which the caller
 * json_decref()s. On QMP_ERR_REMOTE, qmp_last_error() has QEMU's class
 * and description; on other errors, a description. Events that arrive
 * meanwhile are queued.
 */
int qmp_execute(struct qmp *q, const char *cmd, const char *args_json,
		int timeout_ms, json_t **reply);

const struct qmp_error *qmp_last_error(const struct qmp *q);

/* For poll(): the socket. */
int qmp_fd(const struct qmp *q);

/* Reads whatever is available without blocking. QMP_OK or QMP_ERR_IO (closed).
 */
int qmp_pump(struct qmp *q);

/* The oldest queued event (caller json_decref()s), or NULL. */
json_t *qmp_pop_event(struct qmp *q);

/* How many events were dropped because the queue was full. */
unsigned long qmp_events_dropped(const struct qmp *q);

void qmp_close(struct qmp *q);

/*
 * QEMU prints uint64 values above INT64_MAX (an unset balloon statistic
 * is 18446744073709551615), which jansson refuses, losing the whole
 * message. This copies text (len bytes), rewriting each such integer
 * outside strings as the int64 with the same 64 bits (-1 for that one).
 * Returns the copy (terminated; its length in *out_len) to free(), or
 * NULL if there was nothing to rewrite (or no memory). A reader of a
 * uint64 field casts json_integer_value() back to uint64_t.
 */
char *qmp_fold_uint64(const char *text, size_t len, size_t *out_len);

#endif
