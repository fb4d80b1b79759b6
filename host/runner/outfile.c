/*
 * outfile.c - checking and writing the report files (see outfile.h).
 *
 * The check is only a forecast: the directory may vanish or the disk fill
 * up during the run, so outf_commit still reports every failure. It is
 * done all the same because the usual mistake, a directory that does not
 * exist, is then reported in a second and not after the whole run.
 */
#include "host/runner/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int outf_check(const char *opt, const char *path, char *err, size_t err_size)
{
	char dir[OUTF_PATH_MAX];
	const char *slash;
	struct stat st;

	if (strlen(path) >= sizeof(dir)) {
		snprintf(err, err_size, "%s: path too long", opt);
		return -1;
	}
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		snprintf(err, err_size, "%s %.300s: is a directory", opt, path);
		return -1;
	}
	slash = strrchr(path, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	/* the file is made by creating PATH.tmp and renaming it: both need
	 * only the directory to be writable */
	if (access(dir, W_OK | X_OK)) {
		snprintf(err, err_size,
			 "%s %.300s: cannot write in directory %.300s: %s", opt,
			 path, dir, strerror(errno));
		return -1;
	}
	return 0;
}

int outf_open(struct outf *o, const char *path)
{
	o->path = path;
	o->f = NULL;
	if (snprintf(o->tmp, sizeof(o->tmp), "%s.tmp", path) >=
	    (int)sizeof(o->tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	o->f = fopen(o->tmp, "w");
	return o->f ? 0 : -1;
}

int outf_commit(struct outf *o, bool ok)
{
	bool bad = !ok || ferror(o->f);
	int err = 0;

	/* fclose's own failure (a flush that hit a full disk) says most */
	if (fclose(o->f))
		err = errno;
	else if (bad)
		err = EIO;
	o->f = NULL;
	if (!err && rename(o->tmp, o->path))
		err = errno;
	if (!err)
		return 0;
	remove(o->tmp);
	errno = err;
	return -1;
}
