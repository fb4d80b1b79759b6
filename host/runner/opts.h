/*
 * opts.h - the runner's command line. Parsing is a pure function of argv
 * so that every wrong option can be unit-tested to give a clear message
 * (and, in main, exit status 4).
 */
#ifndef PINPRICK_RUNNER_OPTS_H
#define PINPRICK_RUNNER_OPTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OPT_DEFAULT_PROFILE "pc"
#define OPT_DEFAULT_QEMU    "qemu-system-x86_64"
#define OPT_DEFAULT_KERNEL  "build/pinprick.elf"
#define OPT_DEFAULT_EFI     "build/pinprick.efi"
#define OPT_DEFAULT_SAMPLE  100 /* ms */

struct opts {
	const char *profile; /* name or path */
	const char *qemu;
	const char *kernel;
	const char *efi;	/* boot = uefi: the EFI application */
	const char *boot_image; /* boot = uefi: boot this image instead */
	unsigned timeout;    /* seconds; 0 = the profile's */
	const char *log;     /* NULL = build/logs/<profile>.log */
	const char *append;  /* added to the profile's command line */
	const char *results; /* NULL = none */
	const char *junit;   /* NULL = none */
	const char *csv;     /* NULL = none: the balloon time series */
	const char *html;    /* NULL = none: the self-contained report */
	unsigned sample_ms;  /* runner's RSS samples; 0 = OPT_DEFAULT_SAMPLE */
	char gcov[PATH_MAX]; /* --gcov DIR through realpath(); "" = none */
	bool progress;	     /* one line per suite/scenario on stderr */
	bool quiet;
	bool verbose;
	bool list_profiles;
	bool help;
};

/*
 * 0, or -1 with a one-line message in err. Strings point into argv;
 * --gcov is resolved here, so its directory must exist when parsing.
 */
int opt_parse(int argc, char **argv, struct opts *o, char *err,
	      size_t err_size);

/* The --help text. */
void opt_usage(FILE *f);

#endif
