/*
 * report_html.h - the run as one self-contained HTML page (report_html.c).
 */
#ifndef PINPRICK_RUNNER_REPORT_HTML_H
#define PINPRICK_RUNNER_REPORT_HTML_H

#include <stdio.h>

#include "host/runner/series.h"

#define HTML_LOG_MAX (4u << 20) /* bytes of raw log shown */

struct html_run {
	const char *profile, *description;
	const char *status; /* the verdict: pass, fail, crash, timeout... */
	unsigned long passed, failed, skipped, todo;
	const struct series *series; /* may be NULL */
};

/* log: the raw COM1 log (read twice: checks, then the text). 0 or -1. */
int html_convert(FILE *log, FILE *out, const struct html_run *run);
/* The same between files, through OUT.tmp and rename. 0 or -1 (errno). */
int html_write(const char *log_path, const char *out_path,
	       const struct html_run *run);

#endif
