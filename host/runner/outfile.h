/*
 * outfile.h - the report files (--junit, --csv, --html): checked before
 * QEMU starts, so that a path that cannot be written fails at once and
 * not after a run of minutes, and written through PATH.tmp renamed into
 * place, so that a reader never sees half a report and a failed write
 * leaves the previous report, not a broken one.
 */
#ifndef PINPRICK_RUNNER_OUTFILE_H
#define PINPRICK_RUNNER_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OUTF_PATH_MAX 4096

struct outf {
	const char *path;
	char tmp[OUTF_PATH_MAX + 8]; /* path + ".tmp" */
	FILE *f;
};

/*
 * Can path be written later? Its directory must exist and be writable,
 * and path must not be a directory. 0, or -1 with a one-line message in
 * err naming opt ("--html") and why.
 */
int outf_check(const char *opt, const char *path, char *err, size_t err_size);

/* Opens PATH.tmp for writing: o->f. 0, or -1 (errno says why). */
int outf_open(struct outf *o, const char *path);

/*
 * Closes o->f and, if ok and everything reached the file, renames
 * PATH.tmp to PATH; otherwise removes PATH.tmp. 0, or -1 with errno set
 * (EIO when the writer failed or a write error was all there was).
 */
int outf_commit(struct outf *o, bool ok);

#endif
