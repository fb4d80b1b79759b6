/*
 * verdict.c - the exit-status table (see verdict.h and docs/runner.md).
 * The guest's own verdict (debug-exit code or "# pinprick: exit N") must
 * agree with the TAP it printed; when they disagree the run fails with a
 * note saying why, so a guest can never pass by claiming to.
 */
#include "host/runner/verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static void verd_note(struct verd_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void verd_note(struct verd_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->nnotes >= VERD_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(o->notes[o->nnotes++], VERD_NOTE_LEN, fmt, ap);
	va_end(ap);
}

const char *verd_status_name(int exit)
{
	switch (exit) {
	case VERD_PASS:
		return "pass";
	case VERD_FAIL:
		return "fail";
	case VERD_CRASH:
		return "crash";
	case VERD_TIMEOUT:
		return "timeout";
	default:
		return "error";
	}
}

bool verd_exit_line(const char *line, int *n)
{
	static const char prefix[] = "# pinprick: exit ";
	const char *s = line + sizeof(prefix) - 1;
	int v = 0, digits = 0;

	if (strncmp(line, prefix, sizeof(prefix) - 1))
		return false;
	for (; *s >= '0' && *s <= '9' && digits < 3; s++, digits++)
		v = v * 10 + (*s - '0');
	while (*s == ' ' || *s == '\r')
		s++;
	if (!digits || digits > 2 || *s)
		return false;
	*n = v;
	return true;
}

/*
 * The guest's verdict from QEMU's exit code: 0 pass, 1 fail, 2 crash
 * (reported by the guest), 3 crash (seen by the runner, already noted),
 * -1 QEMU itself failed.
 */
static int verd_guest(const struct verd_in *in, struct verd_out *o)
{
	int code = WEXITSTATUS(in->wstatus);
	int g = -1;

	if (code == (VERD_DEBUG_EXIT_PASS << 1 | 1))
		g = 0;
	else if (code == (VERD_DEBUG_EXIT_FAIL << 1 | 1))
		g = 1;
	else if (code == (VERD_DEBUG_EXIT_CRASH << 1 | 1))
		g = 2;

	if (code == 0) {
		if (in->exit_line > 2) {
			verd_note(o,
				  "guest printed an unknown '# pinprick: exit "
				  "%d'",
				  in->exit_line);
			return 3;
		}
		if (in->exit_line >= 0)
			return in->exit_line;
		verd_note(o,
			  "QEMU exited 0 without a '# pinprick: exit N' line: "
			  "the guest reset (triple fault?) or powered off "
			  "early%s%s%s",
			  in->shutdown_reason ? " (QMP SHUTDOWN reason: " : "",
			  in->shutdown_reason ? in->shutdown_reason : "",
			  in->shutdown_reason ? ")" : "");
		return 3;
	}
	if (g < 0 && code == 1) {
		verd_note(o, "QEMU failed (exit status 1; its messages are "
			     "shown on stderr)");
		return -1;
	}
	if (g < 0 && (code & 1)) {
		verd_note(o, "guest wrote unknown value 0x%x to isa-debug-exit",
			  code >> 1);
		return 3;
	}
	if (g < 0) {
		verd_note(o, "QEMU exited with unexpected status %d", code);
		return -1;
	}
	if (in->exit_line >= 0 && in->exit_line != g) {
		verd_note(o,
			  "guest printed '# pinprick: exit %d' but wrote exit "
			  "code %d to isa-debug-exit",
			  in->exit_line, g);
		return g == 2 || in->exit_line >= 2 ? 2 : 1;
	}
	return g;
}

static int verd_tap(const struct verd_in *in, int g, struct verd_out *o)
{
	const struct tapp *t = in->tap;

	if (t->bailed) {
		verd_note(o, "guest bailed out: %s", t->bail_reason);
		return VERD_CRASH;
	}
	if (g >= 2) {
		if (g == 2)
			verd_note(o, "guest reported a crash");
		return VERD_CRASH;
	}
	if (g == 1) {
		if (tapp_all_ok(t))
			verd_note(o, "guest exit code says a check failed, but "
				     "the TAP shows none");
		return VERD_FAIL;
	}
	if (t->failed) {
		verd_note(o,
			  "guest exit code says pass, but the TAP shows %lu "
			  "failed check(s)",
			  t->failed);
		return VERD_FAIL;
	}
	if (tapp_problems(t)) {
		verd_note(o,
			  "guest exit code says pass, but the TAP is "
			  "incomplete or invalid (%lu problem(s))",
			  tapp_problems(t));
		return VERD_FAIL;
	}
	return VERD_PASS;
}

void verd_decide(const struct verd_in *in, struct verd_out *o)
{
	int g;

	memset(o, 0, sizeof(*o));
	if (in->interrupted) {
		o->exit = VERD_INTERRUPTED; /* the session said so already */
	} else if (in->start_failed) {
		o->exit = VERD_QEMU;
	} else if (in->log_overflow) {
		verd_note(o, "the guest's serial output exceeded the log cap; "
			     "QEMU was stopped");
		o->exit = VERD_QEMU;
	} else if (in->timed_out) {
		o->exit = VERD_TIMEOUT;
	} else if (!in->reaped) {
		verd_note(o, "QEMU's exit status is unknown");
		o->exit = VERD_QEMU;
	} else if (WIFSIGNALED(in->wstatus)) {
		verd_note(o, "QEMU was killed by signal %d",
			  WTERMSIG(in->wstatus));
		o->exit = VERD_QEMU;
	} else {
		g = verd_guest(in, o);
		o->exit = g < 0 ? VERD_QEMU : verd_tap(in, g, o);
	}
	o->status = verd_status_name(o->exit);
}

void verd_summary(char *buf, size_t size, const char *profile,
		  const struct tapp *t, int exit)
{
	snprintf(buf, size,
		 "pinprick-run: %s: %lu passed, %lu failed, %lu skipped, %lu "
		 "todo (%s)",
		 profile, t->passed, t->failed, t->skipped, t->todo,
		 verd_status_name(exit));
}

int verd_write_results(const char *path, const struct tapp *t, int exit)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	fprintf(f,
		"passed=%lu failed=%lu skipped=%lu todo=%lu status=%s "
		"exit=%d\n",
		t->passed, t->failed, t->skipped, t->todo,
		verd_status_name(exit), exit);
	rc = ferror(f);
	if (fclose(f) || rc)
		return -1;
	return 0;
}
