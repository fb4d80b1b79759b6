/*
 * prof_lookup.c - finds profile files by name and lists them. Names are
 * looked up next to the current directory first (a checkout), then next to
 * the runner binary (build/../host/profiles), so the runner works from the
 * top of the tree and from elsewhere.
 */
#include "host/runner/profile.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/runner/util.h"

#define PROF_SUBDIR   "host/profiles"
#define PROF_LIST_MAX 256

static bool prof_is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

static bool prof_is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static bool prof_name_ok(const char *name)
{
	if (!*name || *name == '.' || strlen(name) > 63)
		return false;
	for (; *name; name++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			    "YZ"
			    "0123456789_-.",
			    *name))
			return false;
	return true;
}

int prof_find(const char *arg, const char *bin_dir, char *path,
	      size_t path_size, char *err, size_t err_size)
{
	size_t len = strlen(arg);
	int n;

	if (strchr(arg, '/') || (len > 5 && !strcmp(arg + len - 5, ".conf"))) {
		if (!prof_is_file(arg)) {
			snprintf(err, err_size, "%s: no such profile file",
				 arg);
			return -1;
		}
		if (!util_strlcpy(path, arg, path_size)) {
			snprintf(err, err_size, "%s: path too long", arg);
			return -1;
		}
		return 0;
	}
	if (!prof_name_ok(arg)) {
		snprintf(err, err_size,
			 "bad profile name '%.64s' (letters, digits, '_', '-', "
			 "'.')",
			 arg);
		return -1;
	}
	n = snprintf(path, path_size, PROF_SUBDIR "/%s.conf", arg);
	if (n > 0 && (size_t)n < path_size && prof_is_file(path))
		return 0;
	if (bin_dir) {
		n = snprintf(path, path_size, "%s/../" PROF_SUBDIR "/%s.conf",
			     bin_dir, arg);
		if (n > 0 && (size_t)n < path_size && prof_is_file(path))
			return 0;
	}
	snprintf(err, err_size,
		 "no profile '%s' (looked for " PROF_SUBDIR
		 "/%s.conf%s%s%s; try --list-profiles)",
		 arg, arg, bin_dir ? " and " : "", bin_dir ? bin_dir : "",
		 bin_dir ? "/../" PROF_SUBDIR "/..." : "");
	return -1;
}

const char *prof_dir(const char *bin_dir, char *buf, size_t size)
{
	int n;

	if (prof_is_dir(PROF_SUBDIR) && util_strlcpy(buf, PROF_SUBDIR, size))
		return buf;
	if (!bin_dir)
		return NULL;
	n = snprintf(buf, size, "%s/../" PROF_SUBDIR, bin_dir);
	if (n > 0 && (size_t)n < size && prof_is_dir(buf))
		return buf;
	return NULL;
}

static int prof_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int prof_list(const char *dir)
{
	char *names[PROF_LIST_MAX];
	size_t count = 0;
	struct dirent *de;
	int broken = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d)) && count < PROF_LIST_MAX) {
		size_t len = strlen(de->d_name);

		if (len <= 5 || strcmp(de->d_name + len - 5, ".conf") ||
		    de->d_name[0] == '.')
			continue;
		names[count] = strdup(de->d_name);
		if (names[count])
			count++;
	}
	closedir(d);
	qsort(names, count, sizeof(names[0]), prof_cmp);
	for (size_t i = 0; i < count; i++) {
		char path[PATH_MAX], err[PROF_ERR_SIZE];
		struct prof *p = malloc(sizeof(*p));

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!p || prof_load(path, p, err, sizeof(err))) {
			fprintf(stderr, "pinprick-run: %s\n",
				p ? err : "out of memory");
			broken++;
		} else {
			printf("%-16s %s\n", p->name,
			       p->description[0] ? p->description : "-");
		}
		free(p);
		free(names[i]);
	}
	fflush(stdout);
	return broken;
}
