/*
 * qemu.c - QEMU's command line and process (see qemu.h). Each flag is
 * explained in docs/runner.md. The child is put in its own process group
 * (so a terminal ^C reaches only the runner, which then stops QEMU in
 * order) and gets SIGKILL if the runner dies.
 */
#define _GNU_SOURCE /* pipe2 */
#include "host/runner/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/runner/util.h"

static int qemu_add(struct qemu_cmd *c, const char *arg)
{
	if (c->argc >= QEMU_MAX_ARGS)
		return -1;
	c->argv[c->argc] = strdup(arg);
	if (!c->argv[c->argc])
		return -1;
	c->argv[++c->argc] = NULL;
	return 0;
}

static int qemu_addf(struct qemu_cmd *c, const char *fmt, const char *a)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), fmt, a);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return qemu_add(c, buf);
}

/* A chardev path must fit a sockaddr_un and contain no option separators. */
static bool qemu_sock_ok(const char *path)
{
	return strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path) &&
	       !strchr(path, ',');
}

int qemu_cmdline(const struct prof *p, const char *extra, char *buf,
		 size_t size, char *err, size_t err_size)
{
	int n = snprintf(buf, size, "boot=%s%s%s%s%s",
			 p->boot == PROF_BOOT_UEFI ? "uefi" : "pvh",
			 p->append[0] ? " " : "", p->append,
			 extra && extra[0] ? " " : "", extra ? extra : "");

	if (n < 0 || (size_t)n >= size || n > 2 * PROF_MAX_LINE) {
		snprintf(err, err_size, "kernel command line too long");
		return -1;
	}
	return 0;
}

/* A path QEMU gets inside -drive's option list. */
static bool qemu_drive_path_ok(const char *path)
{
	return path && *path && !strchr(path, ',');
}

/*
 * UEFI: OVMF's code (read-only) and this run's variable store as the two
 * pflash chips, and the boot disk: our ESP directory through QEMU's
 * vvfat driver, or an image made by `make images`. The image is opened
 * with snapshot=on so nothing the firmware writes reaches it.
 */
static bool qemu_uefi_paths_ok(const struct prof *p,
			       const struct qemu_paths *paths)
{
	return qemu_drive_path_ok(p->ovmf_code) &&
	       qemu_drive_path_ok(paths->vars) &&
	       qemu_drive_path_ok(paths->boot_image ? paths->boot_image
						    : paths->esp_dir);
}

static int qemu_uefi_args(struct qemu_cmd *c, const struct prof *p,
			  const struct qemu_paths *paths)
{
	const char *img = paths->boot_image;
	size_t len = img ? strlen(img) : 0;
	int bad = 0;

	bad |= qemu_add(c, "-drive") |
	       qemu_addf(c, "if=pflash,format=raw,readonly=on,file=%s",
			 p->ovmf_code);
	bad |= qemu_add(c, "-drive") |
	       qemu_addf(c, "if=pflash,format=raw,file=%s", paths->vars);
	bad |= qemu_add(c, "-drive");
	if (!img)
		bad |= qemu_addf(c, "if=ide,format=raw,file=fat:rw:%s",
				 paths->esp_dir);
	else if (len > 4 && !strcmp(img + len - 4, ".iso"))
		bad |= qemu_addf(c, "if=ide,media=cdrom,readonly=on,format=raw,"
				    "file=%s",
				 img);
	else if (len > 5 && !strcmp(img + len - 5, ".vmdk"))
		bad |= qemu_addf(c, "if=ide,format=vmdk,snapshot=on,file=%s",
				 img);
	else
		bad |= qemu_addf(c, "if=ide,format=raw,snapshot=on,file=%s",
				 img);
	return bad;
}

int qemu_build(struct qemu_cmd *c, const struct prof *p,
	       const struct qemu_paths *paths, char *err, size_t err_size)
{
	char append[2 * PROF_MAX_LINE + 16], smp[16], args[PROF_MAX_LINE];
	int bad = 0;

	memset(c, 0, sizeof(*c));
	if ((paths->com2_sock && !qemu_sock_ok(paths->com2_sock)) ||
	    (paths->gdb_sock && !qemu_sock_ok(paths->gdb_sock)) ||
	    !qemu_sock_ok(paths->qmp_sock)) {
		snprintf(
			err, err_size,
			"socket path too long or contains ',': %s (set TMPDIR)",
			paths->qmp_sock);
		return -1;
	}
	if (qemu_cmdline(p, paths->append, append, sizeof(append), err,
			 err_size))
		return -1;
	if (p->boot == PROF_BOOT_UEFI && !qemu_uefi_paths_ok(p, paths)) {
		snprintf(err, err_size,
			 "UEFI boot: a firmware, variable store or boot media "
			 "path is missing or contains ',' (set TMPDIR)");
		return -1;
	}
	snprintf(smp, sizeof(smp), "%u", p->smp);

	bad |= qemu_add(c, paths->qemu);
	bad |= qemu_add(c, "-M") | qemu_add(c, p->machine);
	bad |= qemu_add(c, "-accel") | qemu_add(c, "tcg");
	bad |= qemu_add(c, "-m") | qemu_add(c, p->memory);
	bad |= qemu_add(c, "-smp") | qemu_add(c, smp);
	if (p->cpu[0])
		bad |= qemu_add(c, "-cpu") | qemu_add(c, p->cpu);
	bad |= qemu_add(c, "-display") | qemu_add(c, "none");
	bad |= qemu_add(c, "-nodefaults") | qemu_add(c, "-no-reboot");
	if (p->boot == PROF_BOOT_UEFI) {
		/* the command line travels in pinprick.cfg (uefi.c) */
		bad |= qemu_uefi_args(c, p, paths);
	} else {
		bad |= qemu_add(c, "-kernel") | qemu_add(c, paths->kernel);
		bad |= qemu_add(c, "-append") | qemu_add(c, append);
	}
	bad |= qemu_add(c, "-device") |
	       qemu_add(c, "isa-debug-exit,iobase=0xf4,iosize=0x04");
	bad |= qemu_add(c, "-serial") | qemu_add(c, "stdio");
	if (paths->com2_sock)
		bad |= qemu_add(c, "-serial") |
		       qemu_addf(c, "unix:%s,server=on,wait=off",
				 paths->com2_sock);
	bad |= qemu_add(c, "-qmp") |
	       qemu_addf(c, "unix:%s,server=on,wait=off", paths->qmp_sock);
	/* the VMware balloon model: the guest waits (-S) for the breakpoint */
	if (paths->gdb_sock)
		bad |= qemu_add(c, "-gdb") |
		       qemu_addf(c, "unix:%s,server=on,wait=off",
				 paths->gdb_sock) |
		       qemu_add(c, "-S");

	util_strlcpy(args, p->qemu_args, sizeof(args));
	for (char *save = NULL, *w = strtok_r(args, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save))
		bad |= qemu_add(c, w);
	if (bad) {
		snprintf(err, err_size,
			 "QEMU command line too long (max %d words)",
			 QEMU_MAX_ARGS);
		return -1;
	}
	return 0;
}

void qemu_cmd_free(struct qemu_cmd *c)
{
	for (int i = 0; i < c->argc; i++)
		free(c->argv[i]);
	c->argc = 0;
	c->argv[0] = NULL;
}

void qemu_cmd_format(const struct qemu_cmd *c, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int i = 0; i < c->argc; i++) {
		const char *a = c->argv[i];
		bool plain = *a != '\0';

		for (const char *s = a; *s; s++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
				    "QRSTUVWXYZ"
				    "0123456789_-.,:=/+@%",
				    *s))
				plain = false;
		util_appendf(buf, size, "%s", i ? " " : "");
		if (plain) {
			util_appendf(buf, size, "%s", a);
			continue;
		}
		util_appendf(buf, size, "'");
		for (const char *s = a; *s; s++)
			util_appendf(buf, size, *s == '\'' ? "'\\''" : "%c",
				     *s);
		util_appendf(buf, size, "'");
	}
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void qemu_child(const struct qemu_cmd *c, int out_w, int err_w,
		       int status_w)
{
	sigset_t none;
	int null_fd, e;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_w, 1) < 0 ||
	    dup2(err_w, 2) < 0)
		goto fail;
	execvp(c->argv[0], c->argv);
fail:
	e = errno;
	if (write(status_w, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int qemu_spawn(const struct qemu_cmd *c, struct qemu_proc *p, char *err,
	       size_t err_size)
{
	int out[2], errp[2], status[2], child_errno = 0;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	p->out_fd = p->err_fd = -1;
	if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) ||
	    pipe2(status, O_CLOEXEC)) {
		snprintf(err, err_size, "pipe: %s", strerror(errno));
		return -1; /* a few descriptors may leak; the runner exits */
	}
	p->pid = fork();
	if (p->pid < 0) {
		snprintf(err, err_size, "fork: %s", strerror(errno));
		return -1;
	}
	if (p->pid == 0)
		qemu_child(c, out[1], errp[1], status[1]);
	close(out[1]);
	close(errp[1]);
	close(status[1]);
	do
		n = read(status[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(status[0]);
	p->out_fd = out[0];
	p->err_fd = errp[0];
	if (n > 0) {
		snprintf(err, err_size, "cannot run '%s': %s", c->argv[0],
			 strerror(child_errno));
		qemu_reap(p, true);
		qemu_close(p);
		return -1;
	}
	fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

void qemu_kill(struct qemu_proc *p, int sig)
{
	if (p->pid > 0 && !p->reaped)
		kill(p->pid, sig);
}

bool qemu_reap(struct qemu_proc *p, bool block)
{
	pid_t r;

	if (p->reaped || p->pid <= 0)
		return p->reaped;
	do
		r = waitpid(p->pid, &p->wstatus, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid) {
		p->reaped = true;
	} else if (r < 0) { /* ECHILD: cannot happen, status unknown */
		p->wstatus = 255 << 8;
		p->reaped = true;
	}
	return p->reaped;
}

void qemu_close(struct qemu_proc *p)
{
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->out_fd = p->err_fd = -1;
}
