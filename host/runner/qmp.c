/*
 * qmp.c - the QMP client (see qmp.h). Messages are line-framed JSON read
 * through a bounded line buffer; each command carries an "id" so a late
 * answer to a command that already timed out is recognised and dropped.
 */
#include "host/runner/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/runner/linebuf.h"
#include "host/runner/util.h"

struct qmp {
	int fd;
	struct lbuf lb;
	bool greeted;
	bool closed;
	bool proto_error; /* a bad message arrived since the last check */
	unsigned long next_id;
	unsigned long want_id; /* id of the command awaiting its answer */
	json_t *answer;	       /* that answer, once here */
	json_t *events[QMP_MAX_EVENTS];
	unsigned ev_head, ev_count;
	unsigned long ev_dropped;
	struct qmp_error err;
};

static int qmp_fail(struct qmp *q, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int qmp_fail(struct qmp *q, int rc, const char *fmt, ...)
{
	va_list ap;

	q->err.cls[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(q->err.desc, sizeof(q->err.desc), fmt, ap);
	va_end(ap);
	return rc;
}

static void qmp_queue_event(struct qmp *q, json_t *msg)
{
	if (q->ev_count == QMP_MAX_EVENTS) {
		json_decref(q->events[q->ev_head]);
		q->ev_head = (q->ev_head + 1) % QMP_MAX_EVENTS;
		q->ev_count--;
		q->ev_dropped++;
	}
	q->events[(q->ev_head + q->ev_count++) % QMP_MAX_EVENTS] =
		json_incref(msg);
}

/* A plain non-negative integer token of n digits: its value, if above
 * INT64_MAX and at most UINT64_MAX. */
static bool qmp_big_uint(const char *tok, size_t n, uint64_t *v)
{
	if (n < 19 || n > 20)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(tok[i] - '0');

		if (*v > (UINT64_MAX - d) / 10)
			return false; /* beyond uint64: leave it to fail */
		*v = *v * 10 + d;
	}
	return *v > INT64_MAX;
}

/* What may stand next to the digits of a number that is not a plain
 * integer: a sign, a decimal point, an exponent. */
static bool qmp_number_char(char ch)
{
	return ch == '-' || ch == '+' || ch == '.' || ch == 'e' || ch == 'E';
}

char *qmp_fold_uint64(const char *text, size_t len, size_t *out_len)
{
	/* a token of >= 19 digits grows by at most its '-' */
	size_t cap = len + len / 19 + 2, i = 0, o = 0, folded = 0;
	char *out = malloc(cap);
	bool in_str = false;

	if (!out)
		return NULL;
	while (i < len) {
		size_t j = i + 1;
		uint64_t v;

		if (in_str) {
			if (text[i] == '\\' && j < len)
				j++; /* the escaped character, whatever it is */
			else if (text[i] == '"')
				in_str = false;
		} else if (text[i] == '"') {
			in_str = true;
		} else if (text[i] >= '0' && text[i] <= '9') {
			/* a whole run of digits; folded only if it is a
			 * plain integer: no sign, fraction or exponent */
			char prev = i ? text[i - 1] : ' ';

			for (j = i; j < len && text[j] >= '0' && text[j] <= '9';
			     j++)
				;
			if (!qmp_number_char(prev) &&
			    (j == len || !qmp_number_char(text[j])) &&
			    qmp_big_uint(text + i, j - i, &v)) {
				o += (size_t)snprintf(out + o, cap - o, "%lld",
						      (long long)(int64_t)v);
				folded++;
				i = j;
				continue;
			}
		}
		memcpy(out + o, text + i, j - i);
		o += j - i;
		i = j;
	}
	if (!folded) {
		free(out);
		return NULL;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* One line from QEMU: an event, the greeting or an answer. */
static int qmp_on_line(void *ctx, char *line, size_t len, bool cut)
{
	struct qmp *q = ctx;
	json_error_t jerr;
	json_t *msg, *id;
	char *folded;
	size_t folded_len;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (!len)
		return 0;
	if (cut) {
		q->proto_error = true;
		qmp_fail(q, 0, "message longer than %d bytes", QMP_MAX_MSG);
		return 0;
	}
	msg = json_loadb(line, len, 0, &jerr);
	if (!msg && (folded = qmp_fold_uint64(line, len, &folded_len))) {
		msg = json_loadb(folded, folded_len, 0, &jerr);
		free(folded);
	}
	if (!msg || !json_is_object(msg)) {
		q->proto_error = true;
		qmp_fail(q, 0, "malformed message: %s",
			 msg ? "not a JSON object" : jerr.text);
		json_decref(msg);
		return 0;
	}
	if (json_object_get(msg, "event")) {
		qmp_queue_event(q, msg);
	} else if (json_object_get(msg, "QMP")) {
		q->greeted = true;
	} else if (json_object_get(msg, "return") ||
		   json_object_get(msg, "error")) {
		id = json_object_get(msg, "id");
		if (q->want_id && !q->answer && json_is_integer(id) &&
		    (unsigned long)json_integer_value(id) == q->want_id)
			q->answer = json_incref(msg);
		/* else: the late answer to a command that timed out */
	} else {
		q->proto_error = true;
		qmp_fail(q, 0,
			 "unexpected message (no event, return or error)");
	}
	json_decref(msg);
	return 0;
}

int qmp_pump(struct qmp *q)
{
	char buf[16384];

	while (!q->closed) {
		ssize_t n = read(q->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return QMP_OK;
		if (n <= 0) {
			q->closed = true;
			break;
		}
		lbuf_feed(&q->lb, buf, (size_t)n, qmp_on_line, q);
	}
	return qmp_fail(q, QMP_ERR_IO, "QMP connection closed");
}

/* Reads until done(q) or the deadline; QMP_OK, or an error. */
static int qmp_wait(struct qmp *q, uint64_t deadline,
		    bool (*done)(struct qmp *))
{
	for (;;) {
		struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
		uint64_t now = util_now_ms();
		int rc;

		rc = qmp_pump(q);
		if (done(q))
			return QMP_OK;
		if (q->proto_error) {
			q->proto_error = false;
			return QMP_ERR_PROTO;
		}
		if (rc)
			return rc;
		if (now >= deadline)
			return qmp_fail(q, QMP_ERR_TIMEOUT,
					"no answer from QEMU in time");
		if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			return qmp_fail(q, QMP_ERR_IO, "poll: %s",
					strerror(errno));
	}
}

static int qmp_send(struct qmp *q, const char *text, uint64_t deadline)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		struct pollfd pfd = {.fd = q->fd, .events = POLLOUT};
		ssize_t n = send(q->fd, text + off, len - off, MSG_NOSIGNAL);
		uint64_t now;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return qmp_fail(q, QMP_ERR_IO, "write: %s",
					strerror(errno));
		now = util_now_ms();
		if (now >= deadline)
			return qmp_fail(q, QMP_ERR_TIMEOUT,
					"QEMU does not read commands");
		poll(&pfd, 1, (int)(deadline - now));
	}
	return QMP_OK;
}

static bool qmp_answered(struct qmp *q)
{
	return q->answer != NULL;
}

static bool qmp_greeted(struct qmp *q)
{
	return q->greeted;
}

static int qmp_take_answer(struct qmp *q, json_t **reply)
{
	json_t *msg = q->answer, *e = json_object_get(msg, "error");
	int rc = QMP_OK;

	q->answer = NULL;
	q->want_id = 0;
	if (e) {
		const char *cls =
			json_string_value(json_object_get(e, "class"));
		const char *desc =
			json_string_value(json_object_get(e, "desc"));

		util_strlcpy(q->err.cls, cls ? cls : "", sizeof(q->err.cls));
		util_strlcpy(q->err.desc, desc ? desc : "(no description)",
			     sizeof(q->err.desc));
		rc = QMP_ERR_REMOTE;
	} else if (reply) {
		*reply = json_incref(json_object_get(msg, "return"));
	}
	json_decref(msg);
	return rc;
}

int qmp_execute(struct qmp *q, const char *cmd, const char *args_json,
		int timeout_ms, json_t **reply)
{
	uint64_t deadline =
		util_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	json_t *req, *args = NULL;
	json_error_t jerr;
	char *text;
	int rc;

	if (reply)
		*reply = NULL;
	if (q->closed)
		return qmp_fail(q, QMP_ERR_IO, "QMP connection closed");
	if (args_json) {
		args = json_loads(args_json, 0, &jerr);
		if (!json_is_object(args)) {
			json_decref(args);
			return qmp_fail(q, QMP_ERR_PROTO,
					"arguments are not a JSON object");
		}
	}
	q->want_id = ++q->next_id;
	q->proto_error = false;
	json_decref(q->answer);
	q->answer = NULL;
	req = json_pack("{s:s, s:I}", "execute", cmd, "id",
			(json_int_t)q->want_id);
	if (req && args)
		json_object_set_new(req, "arguments", args);
	else
		json_decref(args);
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!text)
		return qmp_fail(q, QMP_ERR_PROTO, "cannot encode the command");
	rc = qmp_send(q, text, deadline);
	if (!rc)
		rc = qmp_send(q, "\n", deadline);
	free(text);
	if (!rc)
		rc = qmp_wait(q, deadline, qmp_answered);
	if (rc) {
		q->want_id = 0;
		return rc;
	}
	return qmp_take_answer(q, reply);
}

int qmp_open(struct qmp **out, int fd, int timeout_ms, struct qmp_error *err)
{
	struct qmp *q = calloc(1, sizeof(*q));
	int rc;

	*out = NULL;
	if (!q || lbuf_init(&q->lb, QMP_MAX_MSG)) {
		free(q);
		close(fd);
		if (err)
			snprintf(err->desc, sizeof(err->desc), "out of memory");
		return QMP_ERR_IO;
	}
	q->fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	rc = qmp_wait(q, util_now_ms() + (uint64_t)timeout_ms, qmp_greeted);
	if (!rc)
		rc = qmp_execute(q, "qmp_capabilities", NULL, timeout_ms, NULL);
	if (rc) {
		if (err)
			*err = q->err;
		qmp_close(q);
		return rc;
	}
	*out = q;
	return QMP_OK;
}

int qmp_connect(struct qmp **out, const char *path, int timeout_ms,
		struct qmp_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	*out = NULL;
	if (!util_strlcpy(sa.sun_path, path, sizeof(sa.sun_path))) {
		if (err)
			snprintf(err->desc, sizeof(err->desc),
				 "socket path too long");
		return QMP_ERR_IO;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (err)
			snprintf(err->desc, sizeof(err->desc), "connect %s: %s",
				 path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return QMP_ERR_IO;
	}
	return qmp_open(out, fd, timeout_ms, err);
}

const struct qmp_error *qmp_last_error(const struct qmp *q)
{
	return &q->err;
}

int qmp_fd(const struct qmp *q)
{
	return q->fd;
}

json_t *qmp_pop_event(struct qmp *q)
{
	json_t *e;

	if (!q->ev_count)
		return NULL;
	e = q->events[q->ev_head];
	q->ev_head = (q->ev_head + 1) % QMP_MAX_EVENTS;
	q->ev_count--;
	return e;
}

unsigned long qmp_events_dropped(const struct qmp *q)
{
	return q->ev_dropped;
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	while (q->ev_count)
		json_decref(qmp_pop_event(q));
	json_decref(q->answer);
	lbuf_free(&q->lb);
	close(q->fd);
	free(q);
}
