/*
 * qemu.h - building QEMU's command line from a profile and running QEMU
 * as a child: stdin from /dev/null, stdout (= the guest's COM1) and stderr
 * into pipes, no shell in between, and never outliving the runner.
 */
#ifndef PINPRICK_RUNNER_QEMU_H
#define PINPRICK_RUNNER_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "host/runner/profile.h"

#define QEMU_MAX_ARGS 128

struct qemu_cmd {
	char *argv[QEMU_MAX_ARGS + 1]; /* NULL-terminated, heap strings */
	int argc;
};

struct qemu_proc {
	pid_t pid;   /* 0 once reaped */
	int out_fd;  /* QEMU's stdout: COM1 */
	int err_fd;  /* QEMU's stderr */
	int wstatus; /* valid once reaped */
	bool reaped;
};

struct qemu_paths {
	const char *qemu; /* binary, looked up in PATH */
	const char *kernel;
	const char *append;    /* added to the profile's, or NULL */
	const char *com2_sock; /* NULL: no COM2 */
	const char *qmp_sock;
	const char *gdb_sock; /* NULL: no gdbstub; else -gdb on it and -S */

	/* boot = uefi (uefi.c prepares these in the run's directory) */
	const char *esp_dir;	/* EFI/BOOT/{BOOTX64.EFI,pinprick.cfg}: vvfat */
	const char *vars;	/* this run's copy of the OVMF variable store */
	const char *boot_image; /* --boot-image: boot this disk or ISO instead */
};

/*
 * The kernel command line for a run: "boot=pvh" or "boot=uefi" (so the
 * platform suite checks the path taken; a later boot= still wins), the
 * profile's append, then extra. 0, or -1 with err if it does not fit.
 */
int qemu_cmdline(const struct prof *p, const char *extra, char *buf,
		 size_t size, char *err, size_t err_size);

/* 0, or -1 with err. Free with qemu_cmd_free even after a failure. */
int qemu_build(struct qemu_cmd *c, const struct prof *p,
	       const struct qemu_paths *paths, char *err, size_t err_size);
void qemu_cmd_free(struct qemu_cmd *c);

/* The command line as one shell-quoted string (for --verbose). */
void qemu_cmd_format(const struct qemu_cmd *c, char *buf, size_t size);

/*
 * Starts QEMU. Returns 0, or -1 with err (e.g. the binary cannot be
 * executed), in which case nothing is left running.
 */
int qemu_spawn(const struct qemu_cmd *c, struct qemu_proc *p, char *err,
	       size_t err_size);

/* Sends sig to QEMU unless it has been reaped. */
void qemu_kill(struct qemu_proc *p, int sig);

/* waitpid; returns true once QEMU has been reaped (status in p). */
bool qemu_reap(struct qemu_proc *p, bool block);

/* Closes the pipes. */
void qemu_close(struct qemu_proc *p);

#endif
