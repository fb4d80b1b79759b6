/*
 * chan.c - connecting and serving the COM2 control socket and the QMP
 * socket (see chan.h). Control answers are queued in a fixed buffer and
 * written when the socket can take them; a guest that never reads its
 * answers loses them (with a note) rather than stalling the runner.
 */
#include "host/runner/chan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/runner/util.h"

static void chan_sync_events(struct ctl *ctl);

int chan_init(struct chan *c, const char *com2_path, const char *qmp_path,
	      bool verbose, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->com2_path = com2_path;
	c->qmp_path = qmp_path;
	c->verbose = verbose;
	c->start_ms = now;
	c->com2_fd = -1;
	c->com2_done = !com2_path;
	c->service_ms = CHAN_SERVICE_MS;
	ctl_init(&c->ctl, c);
	c->ctl.qmp = &c->qmp;
	c->ctl.sync_events = chan_sync_events;
	return lbuf_init(&c->com2_in, CTL_MAX_LINE);
}

static int chan_unix_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (!util_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

bool chan_pending(const struct chan *c)
{
	return (!c->com2_done && c->com2_fd < 0) || (!c->qmp_done && !c->qmp);
}

void chan_connect(struct chan *c, uint64_t now)
{
	bool late = now - c->start_ms >= CHAN_CONNECT_MS;
	struct qmp_error err = {"", ""};

	if (!c->com2_done && c->com2_fd < 0) {
		c->com2_fd = chan_unix_connect(c->com2_path);
		if (c->com2_fd < 0 && late) {
			util_note("control channel (COM2) unavailable: %s",
				  strerror(errno));
			c->com2_done = true;
		} else if (c->com2_fd >= 0 && c->verbose) {
			util_note("control channel (COM2) connected");
		}
	}
	if (!c->qmp_done && !c->qmp) {
		int rc = qmp_connect(&c->qmp, c->qmp_path, CHAN_QMP_MS, &err);

		if (rc && (late || rc != QMP_ERR_IO)) {
			util_note("QMP unavailable: %s", err.desc);
			c->qmp_done = true;
		} else if (!rc && c->verbose) {
			util_note("QMP connected");
		}
	}
}

int chan_pollfds(const struct chan *c, struct pollfd *fds)
{
	int n = 0;

	if (c->com2_fd >= 0)
		fds[n++] = (struct pollfd){
			.fd = c->com2_fd,
			.events = POLLIN | (c->out_len ? POLLOUT : 0)};
	if (c->qmp)
		fds[n++] =
			(struct pollfd){.fd = qmp_fd(c->qmp), .events = POLLIN};
	return n;
}

static void chan_com2_close(struct chan *c)
{
	close(c->com2_fd);
	c->com2_fd = -1;
	c->com2_done = true;
	c->pend_len = 0;
}

static void chan_flush(struct chan *c)
{
	while (c->out_len && c->com2_fd >= 0) {
		ssize_t n = send(c->com2_fd, c->out, c->out_len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			chan_com2_close(c);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
}

static int chan_on_request(void *ctx, char *line, size_t len, bool cut)
{
	struct chan *c = ctx;
	char answer[CTL_ANSWER_SIZE], note[CTL_NOTE_SIZE];
	size_t n = ctl_handle(&c->ctl, line, len, cut, c->now, answer,
			      sizeof(answer), note, sizeof(note));

	if (note[0])
		util_note("%s", note);
	if (!n)
		return 0;
	if (c->out_len + n > sizeof(c->out)) {
		if (!c->out_dropped++)
			util_note("control: guest does not read its answers; "
				  "dropping them");
		return 0;
	}
	memcpy(c->out + c->out_len, answer, n);
	c->out_len += n;
	return 0;
}

bool chan_busy(const struct chan *c)
{
	return c->com2_fd >= 0 && c->pend_len;
}

static bool chan_over_budget(const struct chan *c)
{
	return util_now_ms() - c->now >= c->service_ms;
}

/*
 * Hands data to the line splitter one line at a time. When this pass's
 * time is spent, the rest is kept in pend (data may point into it) and
 * false is returned.
 */
static bool chan_feed(struct chan *c, const char *data, size_t n)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t k = nl ? (size_t)(nl - data) + 1 : n;

		lbuf_feed(&c->com2_in, data, k, chan_on_request, c);
		data += k;
		n -= k;
		if (n && chan_over_budget(c)) {
			memmove(c->pend, data, n);
			c->pend_len = n;
			return false;
		}
	}
	return true;
}

static void chan_com2_read(struct chan *c)
{
	char buf[CHAN_IN_CHUNK];

	if (c->pend_len) {
		size_t n = c->pend_len;

		c->pend_len = 0;
		if (!chan_feed(c, c->pend, n))
			return;
	}
	for (;;) {
		ssize_t n = read(c->com2_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			lbuf_flush(&c->com2_in, chan_on_request, c);
			chan_com2_close(c);
			return;
		}
		/* the rest stays in the socket, and poll says so next pass */
		if (!chan_feed(c, buf, (size_t)n) || chan_over_budget(c))
			return;
	}
}

static void chan_event(struct chan *c, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	json_t *data = json_object_get(ev, "data");
	char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;

	if (!name)
		name = "?";
	ctl_qmp_event(&c->ctl, name, data);
	if (!strcmp(name, "SHUTDOWN")) {
		const char *r =
			json_string_value(json_object_get(data, "reason"));

		util_strlcpy(c->shutdown_reason, r ? r : "?",
			     sizeof(c->shutdown_reason));
	}
	/* with the VMware model, every balloon call is a STOP and a RESUME */
	if (c->ctl.vmw && (!strcmp(name, "STOP") || !strcmp(name, "RESUME")))
		name = NULL;
	if (name && (c->verbose || !strcmp(name, "GUEST_PANICKED")))
		util_note("QMP event %s %.300s", name, text ? text : "");
	free(text);
}

/* Events may have been read while a command waited for its answer, with
 * nothing left on the socket to wake poll(): take them every time. */
static void chan_events(struct chan *c)
{
	json_t *ev;

	while (c->qmp && (ev = qmp_pop_event(c->qmp))) {
		chan_event(c, ev);
		json_decref(ev);
	}
}

/* ctl's sync_events: what QEMU has sent so far, before a verb answers. */
static void chan_sync_events(struct ctl *ctl)
{
	struct chan *c = ctl->user;

	if (!c->qmp)
		return;
	qmp_pump(c->qmp); /* a closed socket is noticed in chan_service */
	chan_events(c);
}

static bool chan_revents(const struct chan *c, const struct pollfd *fds,
			 int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i].fd == c->com2_fd && fds[i].revents)
			return true;
	return false;
}

void chan_service(struct chan *c, const struct pollfd *fds, int n, uint64_t now)
{
	c->now = now;
	for (int i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == c->com2_fd) {
			if (c->pend_len ||
			    (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				chan_com2_read(c);
			if (c->com2_fd >= 0)
				chan_flush(c);
		} else if (c->qmp && fds[i].fd == qmp_fd(c->qmp)) {
			int rc = qmp_pump(c->qmp);

			chan_events(c);
			if (rc) {
				qmp_close(c->qmp);
				c->qmp = NULL;
				c->qmp_done = true;
			}
		}
	}
	/* requests left over from the last pass, with nothing new to read */
	if (chan_busy(c) && !chan_revents(c, fds, n))
		chan_com2_read(c);
	chan_events(c);
	ctl_tick(&c->ctl, now);
	if (c->com2_fd >= 0 && c->out_len)
		chan_flush(c);
}

void chan_log_status(struct chan *c)
{
	const char *st;
	json_t *r = NULL;

	if (!c->qmp)
		return;
	if (qmp_execute(c->qmp, "query-status", NULL, CHAN_QMP_MS, &r)) {
		util_note("QMP query-status failed: %s",
			  qmp_last_error(c->qmp)->desc);
		return;
	}
	st = json_string_value(json_object_get(r, "status"));
	util_note("QEMU status: %s, running: %s", st ? st : "?",
		  json_is_true(json_object_get(r, "running")) ? "yes" : "no");
	json_decref(r);
}

int chan_qmp_balloon(struct qmp *q, uint64_t ram_bytes, int timeout_ms,
		     uint64_t *pages)
{
	json_t *r = NULL, *actual;
	uint64_t a;
	int rc = qmp_execute(q, "query-balloon", NULL, timeout_ms, &r);

	if (rc)
		return rc;
	actual = json_object_get(r, "actual");
	/* a uint64 above INT64_MAX arrives folded (qmp_fold_uint64) */
	a = (uint64_t)json_integer_value(actual);
	if (!json_is_integer(actual) || a > ram_bytes)
		rc = QMP_ERR_PROTO;
	else
		*pages = (ram_bytes - a) >> 12;
	json_decref(r);
	return rc;
}

bool chan_quit(struct chan *c)
{
	int rc;

	if (!c->qmp)
		return false;
	rc = qmp_execute(c->qmp, "quit", NULL, CHAN_QMP_MS, NULL);
	/* QEMU may close the socket before its answer arrives */
	return rc == QMP_OK || rc == QMP_ERR_IO;
}

void chan_close(struct chan *c)
{
	if (c->com2_fd >= 0)
		chan_com2_close(c);
	qmp_close(c->qmp);
	c->qmp = NULL;
	lbuf_free(&c->com2_in);
}
