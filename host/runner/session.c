/*
 * session.c - the runner's main loop (see session.h). Nothing the guest
 * does can block it: all descriptors are non-blocking, every wait is a
 * poll() bounded by the deadline, and stopping QEMU escalates from QMP
 * "quit" to SIGTERM to SIGKILL, SESS_KILL_MS apart.
 */
#include "host/runner/session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "host/runner/chan.h"
#include "host/runner/linebuf.h"
#include "host/runner/smaps.h"
#include "host/runner/util.h"

enum sess_stop { SESS_RUNNING, SESS_QUIT_SENT, SESS_TERM_SENT, SESS_KILL_SENT };

struct sess {
	const struct sess_cfg *cfg;
	struct sess_out *out;
	struct tapp *tap;
	struct qemu_proc qp;
	struct chan chan;
	int sig_fd;
	int log_fd;
	uint64_t log_bytes;
	bool log_mid_line; /* the log does not end in '\n' */
	unsigned long cut_notes;
	struct lbuf com1, qerr;
	bool com1_eof, err_eof;
	uint64_t deadline;
	enum sess_stop stop;
	uint64_t stop_next; /* when to escalate */
	uint64_t reaped_at;
	uint64_t t0, next_sample; /* for the series' clock and sampling */
	bool qbal_off;		  /* query-balloon not asked any more */
	unsigned qbal_slow;	  /* query-balloon answers that came late */
};

bool sess_progress_line(const char *line, uint64_t t_ms, char *out,
			size_t size)
{
	while (*line == ' ')
		line++;
	if (strncmp(line, "# suite ", 8))
		return false;
	snprintf(out, size, "[%6.1f s] %s", (double)t_ms / 1000, line + 2);
	return true;
}

/*
 * Samples and markers for the series; the coverage dump, which checks
 * each of its lines as it arrives; progress lines. Those go to stderr,
 * so that they show in a terminal while stdout (the guest's TAP) goes to
 * a file; stdout is flushed first to keep the two in order on a terminal.
 */
static void sess_observe(struct sess *s, const char *text)
{
	uint64_t t = util_now_ms() - s->t0;
	char line[256];

	if (s->cfg->series)
		ser_guest_line(s->cfg->series, text, t);
	if (s->cfg->gcov)
		gcovr_line(s->cfg->gcov, text, strlen(text));
	if ((s->cfg->progress || s->cfg->quiet) &&
	    sess_progress_line(text, t, line, sizeof(line))) {
		fflush(stdout);
		fprintf(stderr, "pinprick-run: %s\n", line);
		fflush(stderr);
	}
}

/*
 * The virtio balloon as QEMU counts it, or SER_NONE. The runner's QMP
 * commands are synchronous (a control verb's command is answered or has
 * timed out before its handler returns), so no other command can be in
 * flight here and answers cannot interleave. SESS_QBAL_MS bounds the
 * wait; a QEMU without a balloon device is not asked again, nor one that
 * was late SESS_QBAL_SLOW times (the guest's balloon calls through the
 * VMware bridge wait while the loop does).
 */
static uint64_t sess_qemu_balloon(struct sess *s)
{
	struct qmp *q = s->chan.qmp;
	uint64_t pages = SER_NONE;
	int rc;

	if (!q || s->qbal_off || s->stop != SESS_RUNNING)
		return SER_NONE;
	rc = chan_qmp_balloon(q, s->cfg->ram_bytes, SESS_QBAL_MS, &pages);
	if (rc == QMP_ERR_TIMEOUT && ++s->qbal_slow < SESS_QBAL_SLOW)
		return SER_NONE;
	if (rc) {
		s->qbal_off = true;
		if (s->cfg->verbose || rc == QMP_ERR_TIMEOUT)
			util_note("timeline: no QEMU balloon size from here "
				  "on (query-balloon: %s)",
				  qmp_last_error(q)->desc);
		return SER_NONE;
	}
	return pages;
}

/* The runner's own sample: QEMU's resident guest RAM, QEMU's balloon. */
static void sess_sample(struct sess *s, uint64_t now)
{
	struct smaps_ram m;
	uint64_t rss = SER_NONE, bal;

	if (!s->cfg->series || now < s->next_sample || s->qp.reaped)
		return;
	s->next_sample = now + s->cfg->sample_ms;
	if (smaps_read((int)s->qp.pid, s->cfg->ram_bytes, &m) == 0)
		rss = m.rss >> 10;
	bal = sess_qemu_balloon(s);
	ser_runner(s->cfg->series, now - s->t0, rss, bal);
}

static int sess_com1_line(void *ctx, char *line, size_t len, bool cut)
{
	struct sess *s = ctx;
	char text[SESS_LINE_MAX + 1];
	int n;

	if (len && line[len - 1] == '\r')
		len--;
	len = util_sanitize(text, sizeof(text), line, len);
	if (!s->cfg->quiet) {
		fwrite(text, 1, len, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	if (cut && s->cut_notes++ < SESS_CUT_NOTES)
		util_note("line cut at %d bytes%s", SESS_LINE_MAX,
			  s->cut_notes == SESS_CUT_NOTES
				  ? " (more cut lines are only counted)"
				  : "");
	if (verd_exit_line(text, &n))
		s->out->vin.exit_line = n;
	sess_observe(s, text);
	tapp_line(s->tap, text, len);
	return 0;
}

static int sess_err_line(void *ctx, char *line, size_t len, bool cut)
{
	char text[512];

	util_sanitize(text, sizeof(text), line, len);
	util_note("qemu: %s%s", text, cut ? " [cut]" : "");
	return 0;
}

/* Begins (or, at stop_next, escalates) stopping QEMU. */
static void sess_stop(struct sess *s, bool polite)
{
	if (s->qp.reaped)
		return;
	switch (s->stop) {
	case SESS_RUNNING:
		/* hold the guest, never in the middle of a balloon call */
		if (s->cfg->vmw)
			vmwb_interrupt(s->cfg->vmw);
		if (polite) {
			chan_log_status(&s->chan);
			if (chan_quit(&s->chan)) {
				s->stop = SESS_QUIT_SENT;
				break;
			}
		}
		/* fall through */
	case SESS_QUIT_SENT:
		qemu_kill(&s->qp, SIGTERM);
		s->stop = SESS_TERM_SENT;
		break;
	case SESS_TERM_SENT:
	case SESS_KILL_SENT:
		if (s->stop == SESS_TERM_SENT)
			util_note("QEMU ignores SIGTERM; sending SIGKILL");
		qemu_kill(&s->qp, SIGKILL);
		s->stop = SESS_KILL_SENT;
		break;
	}
	s->stop_next = util_now_ms() + SESS_KILL_MS;
}

static void sess_read_com1(struct sess *s)
{
	char buf[65536];
	int rounds = 16; /* at most 1 MiB, then back to the loop */
	ssize_t n;

	while ((n = read(s->qp.out_fd, buf, sizeof(buf))) != 0) {
		size_t len, room;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				s->com1_eof = true;
			return;
		}
		len = (size_t)n;
		if (s->out->vin.log_overflow)
			continue; /* drain, so QEMU can exit */
		room = s->cfg->log_max - s->log_bytes;
		if (len > room)
			len = room;
		if (s->log_fd >= 0 && util_write_all(s->log_fd, buf, len)) {
			util_note("cannot write the log: %s", strerror(errno));
			close(s->log_fd);
			s->log_fd = -1;
		}
		s->log_bytes += len;
		if (len)
			s->log_mid_line = buf[len - 1] != '\n';
		lbuf_feed(&s->com1, buf, len, sess_com1_line, s);
		if ((size_t)n > len) {
			util_note("serial output reached the %llu byte log "
				  "cap; stopping QEMU",
				  (unsigned long long)s->cfg->log_max);
			s->out->vin.log_overflow = true;
			sess_stop(s, true);
		}
		if (!--rounds)
			return;
	}
	s->com1_eof = true;
}

static void sess_read_err(struct sess *s)
{
	char buf[4096];
	int rounds = 16;
	ssize_t n;

	while ((n = read(s->qp.err_fd, buf, sizeof(buf))) != 0) {
		size_t keep, have = strlen(s->out->qemu_stderr);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				s->err_eof = true;
			return;
		}
		keep = SESS_STDERR_MAX - have;
		if ((size_t)n > keep)
			s->out->stderr_cut = true;
		else
			keep = (size_t)n;
		util_sanitize(s->out->qemu_stderr + have, keep + 1, buf, keep);
		/* util_sanitize maps '\n' to '?'; keep lines readable */
		for (size_t i = 0; i < keep; i++)
			if (buf[i] == '\n')
				s->out->qemu_stderr[have + i] = '\n';
		if (s->cfg->verbose)
			lbuf_feed(&s->qerr, buf, (size_t)n, sess_err_line, s);
		if (!--rounds)
			return;
	}
	s->err_eof = true;
}

static void sess_signals(struct sess *s, uint64_t now)
{
	struct signalfd_siginfo si;

	while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue; /* reaped below */
		if (!s->out->vin.interrupted)
			util_note("interrupted by signal %u; killing QEMU",
				  si.ssi_signo);
		s->out->vin.interrupted = true;
		qemu_kill(&s->qp, SIGKILL);
		s->stop = SESS_KILL_SENT;
		s->stop_next = now + SESS_KILL_MS;
	}
}

/* The VMware model over the gdbstub: connect, then answer breakpoints. A
 * bridge that fails leaves the guest stopped, so QEMU is stopped too. */
static void sess_vmw(struct sess *s, const struct pollfd *fd, uint64_t now)
{
	struct vmwb *b = s->cfg->vmw;
	int rc = 0;

	if (!b || s->qp.reaped)
		return;
	if (vmwb_pending(b))
		rc = vmwb_connect(b, now);
	else if (fd && fd->fd == vmwb_fd(b) && fd->revents)
		rc = vmwb_service(b);
	if (!rc)
		return;
	util_note("vmware model: %s", b->err);
	s->out->vin.start_failed = true; /* exit 5, as for a QEMU failure */
	sess_stop(s, true);
}

static int sess_timeout(const struct sess *s, uint64_t now)
{
	uint64_t until = s->qp.reaped		   ? s->reaped_at + 1000
			 : s->stop != SESS_RUNNING ? s->stop_next
						   : s->deadline;
	uint64_t ms = until > now ? until - now : 0;

	if (s->cfg->series && s->next_sample > now &&
	    s->next_sample - now < ms)
		ms = s->next_sample - now;

	if (chan_busy(&s->chan))
		return 0; /* control requests wait from the last pass */
	if ((chan_pending(&s->chan) ||
	     (s->cfg->vmw && vmwb_pending(s->cfg->vmw))) &&
	    !s->qp.reaped && ms > CHAN_RETRY_MS)
		ms = CHAN_RETRY_MS;
	return (int)(ms > 1000 ? 1000 : ms);
}

static void sess_loop(struct sess *s)
{
	for (;;) {
		struct pollfd fds[6];
		uint64_t now = util_now_ms();
		int n = 0, nchan, gdb = -1;

		if (!s->qp.reaped && qemu_reap(&s->qp, false))
			s->reaped_at = now;
		if (s->qp.reaped) /* the pid may be reused: no more host-rss */
			s->chan.ctl.qemu_pid = 0;
		if (s->qp.reaped &&
		    ((s->com1_eof && s->err_eof) || now >= s->reaped_at + 1000))
			break;
		if (!s->qp.reaped && chan_pending(&s->chan))
			chan_connect(&s->chan, now);
		if (s->cfg->vmw && vmwb_pending(s->cfg->vmw))
			sess_vmw(s, NULL, now);
		sess_sample(s, now);
		if (s->stop == SESS_RUNNING && now >= s->deadline) {
			s->out->vin.timed_out = true;
			util_note("timeout after %u s", s->cfg->timeout_s);
			sess_stop(s, true);
		} else if (s->stop != SESS_RUNNING && now >= s->stop_next) {
			if (s->stop == SESS_KILL_SENT && !s->qp.reaped) {
				/* SIGKILL cannot fail: wait for it */
				qemu_reap(&s->qp, true);
				s->reaped_at = now;
				continue;
			}
			sess_stop(s, false);
		}

		fds[n++] = (struct pollfd){.fd = s->sig_fd, .events = POLLIN};
		if (!s->com1_eof)
			fds[n++] = (struct pollfd){.fd = s->qp.out_fd,
						   .events = POLLIN};
		if (!s->err_eof)
			fds[n++] = (struct pollfd){.fd = s->qp.err_fd,
						   .events = POLLIN};
		if (s->cfg->vmw && vmwb_fd(s->cfg->vmw) >= 0) {
			gdb = n;
			fds[n++] = (struct pollfd){.fd = vmwb_fd(s->cfg->vmw),
						   .events = POLLIN};
		}
		nchan = chan_pollfds(&s->chan, fds + n);
		if (poll(fds, (nfds_t)(n + nchan), sess_timeout(s, now)) < 0 &&
		    errno != EINTR) {
			util_note("poll: %s", strerror(errno));
			break;
		}
		now = util_now_ms();
		for (int i = 0; i < n; i++) {
			if (!fds[i].revents)
				continue;
			if (fds[i].fd == s->sig_fd)
				sess_signals(s, now);
			else if (fds[i].fd == s->qp.out_fd)
				sess_read_com1(s);
			else if (fds[i].fd == s->qp.err_fd)
				sess_read_err(s);
			else if (i == gdb)
				sess_vmw(s, &fds[i], now);
		}
		chan_service(&s->chan, fds + n, nchan, now);
	}
}

static int sess_setup(struct sess *s, const struct qemu_cmd *cmd)
{
	struct sess_out *o = s->out;
	sigset_t set;

	if (util_mkdir_parent(s->cfg->log_path) ||
	    (s->log_fd = open(s->cfg->log_path,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
		    0) {
		snprintf(o->error, sizeof(o->error), "cannot create log %s: %s",
			 s->cfg->log_path, strerror(errno));
		return -1;
	}
	if (lbuf_init(&s->com1, SESS_LINE_MAX) || lbuf_init(&s->qerr, 400) ||
	    chan_init(&s->chan, s->cfg->com2_sock, s->cfg->qmp_sock,
		      s->cfg->verbose, util_now_ms())) {
		snprintf(o->error, sizeof(o->error), "out of memory");
		return -1;
	}
	s->chan.ctl.vmw = s->cfg->vmw;
	s->chan.ctl.ram_bytes = s->cfg->ram_bytes;
	/* blocked before fork, so no SIGCHLD or ^C can slip past the signalfd
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_fd < 0) {
		snprintf(o->error, sizeof(o->error), "signalfd: %s",
			 strerror(errno));
		return -1;
	}
	if (qemu_spawn(cmd, &s->qp, o->error, sizeof(o->error)))
		return -1;
	s->chan.ctl.qemu_pid = (int)s->qp.pid; /* for host-rss */
	return 0;
}

/*
 * A note of the runner's at the end of the raw log, as a TAP comment, so
 * that the log alone says why it ends where it does. On a new line if
 * the guest's last one was unfinished; a few hundred bytes past the cap.
 */
static void sess_log_note(struct sess *s, const char *fmt, ...)
{
	char line[320];
	va_list ap;
	int n = snprintf(line, sizeof(line), "%s# pinprick-run: ",
			 s->log_mid_line ? "\n" : "");

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	if (s->log_fd >= 0 && util_write_all(s->log_fd, line, strlen(line)))
		util_note("cannot write the log: %s", strerror(errno));
	s->log_mid_line = false;
}

/* What the runner did to this run, in the log (and on stdout if new). */
static void sess_log_trailer(struct sess *s)
{
	const struct lbuf *lb = &s->com1;

	if (lb->cut_lines) {
		util_note("%lu guest line(s) longer than %d bytes were cut; "
			  "the longest had %llu bytes",
			  lb->cut_lines, SESS_LINE_MAX, lb->longest_cut);
		sess_log_note(s,
			      "%lu guest line(s) longer than %d bytes were "
			      "cut; the longest had %llu bytes",
			      lb->cut_lines, SESS_LINE_MAX, lb->longest_cut);
	}
	if (s->out->vin.log_overflow)
		sess_log_note(s, "log cap of %llu bytes reached; QEMU stopped",
			      (unsigned long long)s->cfg->log_max);
	if (s->out->vin.timed_out)
		sess_log_note(s,
			      "timeout after %u s; QEMU stopped; the log "
			      "holds all the guest sent until then",
			      s->cfg->timeout_s);
	if (s->out->vin.interrupted)
		sess_log_note(s, "interrupted by a signal; QEMU killed");
}

int sess_run(const struct sess_cfg *cfg, const struct qemu_cmd *cmd,
	     struct tapp *tap, struct sess_out *out)
{
	struct sess s = {
		.cfg = cfg, .out = out, .tap = tap, .sig_fd = -1, .log_fd = -1};
	int rc;

	memset(out, 0, sizeof(*out));
	out->vin.exit_line = -1;
	out->vin.tap = tap;
	s.qp.out_fd = s.qp.err_fd = -1;
	s.chan.com2_fd = -1;
	rc = sess_setup(&s, cmd);
	if (rc) {
		out->vin.start_failed = true;
	} else {
		if (cfg->vmw)
			vmwb_start(cfg->vmw, cfg->gdb_sock, util_now_ms());
		s.deadline = util_now_ms() + (uint64_t)cfg->timeout_s * 1000;
		s.t0 = s.next_sample = util_now_ms();
		sess_loop(&s);
		lbuf_flush(&s.com1, sess_com1_line, &s);
		sess_log_trailer(&s);
		out->vin.reaped = s.qp.reaped;
		out->vin.wstatus = s.qp.wstatus;
	}
	tapp_finish(tap);
	util_strlcpy(out->shutdown_reason, s.chan.shutdown_reason,
		     sizeof(out->shutdown_reason));
	if (out->shutdown_reason[0])
		out->vin.shutdown_reason = out->shutdown_reason;
	qemu_close(&s.qp);
	chan_close(&s.chan);
	if (cfg->vmw)
		vmwb_close(cfg->vmw);
	lbuf_free(&s.com1);
	lbuf_free(&s.qerr);
	if (s.log_fd >= 0)
		close(s.log_fd);
	if (s.sig_fd >= 0)
		close(s.sig_fd);
	return rc;
}
