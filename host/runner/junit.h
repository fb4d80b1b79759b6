/*
 * junit.h - write the guest's TAP log as JUnit XML (junit.c).
 */
#ifndef PINPRICK_RUNNER_JUNIT_H
#define PINPRICK_RUNNER_JUNIT_H

#include <stdio.h>

#define JUNIT_LINE	4096   /* longer log lines are cut */
#define JUNIT_NAME	256    /* a check's name or message */
#define JUNIT_TEXT	4096   /* a failure's YAML diagnostics */
#define JUNIT_MAX_CASES 200000 /* checks listed; the rest are counted */

/*
 * Reads TAP from in, writes JUnit XML to out. status is the runner's
 * verdict ("pass", "fail", "crash", "timeout", "error"); anything but pass
 * or fail adds an <error> case. 0, or -1 if out could not be written.
 */
int junit_convert(FILE *in, FILE *out, const char *profile, const char *status);

/* The same between files, through OUT.tmp renamed into place (outfile.h).
 * 0, or -1 (errno says why). */
int junit_write(const char *log_path, const char *out_path, const char *profile,
		const char *status);

#endif
