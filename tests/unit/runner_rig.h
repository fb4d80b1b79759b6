/*
 * runner_rig.h - helpers shared by the runner's unit tests that were one
 * file (test_runner.c and the test_runner_*.c split from it): feeding
 * TAP text to a fresh parser, looking up its findings, scratch
 * directories under /tmp, parsing a profile from a string, and the
 * verdict for a given wait status and TAP text. Kept in one place so
 * that every piece checks the runner the same way.
 *
 * Each test file uses part of it, hence the unused-function pragma.
 */
#ifndef PINPRICK_RUNNER_RIG_H
#define PINPRICK_RUNNER_RIG_H

#pragma GCC diagnostic ignored "-Wunused-function"

#include "tests/unit/ut.h"

#include <limits.h>
#include <stdbool.h>
#include <unistd.h>

#include "host/runner/profile.h"
#include "host/runner/tap_parse.h"
#include "host/runner/util.h"
#include "host/runner/verdict.h"

/* ---- helpers ------------------------------------------------------------ */

static struct tapp tap;

/* Feeds text to a fresh parser, line by line, and finishes it. */
static const struct tapp *tap_run(const char *text)
{
	tapp_init(&tap);
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		tapp_line(&tap, text, len);
		text += len + (nl ? 1 : 0);
	}
	tapp_finish(&tap);
	return &tap;
}

static bool has_finding(const struct tapp *t, const char *what)
{
	for (unsigned i = 0; i < t->nfindings; i++)
		if (strstr(t->findings[i], what))
			return true;
	return false;
}

static void dump_findings(const struct tapp *t)
{
	for (unsigned i = 0; i < t->nfindings; i++)
		printf("    # finding: %s\n", t->findings[i]);
}

#define CHECK_COUNTS(t, p, f, s, td)                                           \
	do {                                                                   \
		UT_CHECK_EQ((t)->passed, p);                                   \
		UT_CHECK_EQ((t)->failed, f);                                   \
		UT_CHECK_EQ((t)->skipped, s);                                  \
		UT_CHECK_EQ((t)->todo, td);                                    \
	} while (0)

static char tmp_root[64];

/* A fresh directory under /tmp for one test. */
static const char *tmp_dir(void)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/ut-runner.XXXXXX");
	return mkdtemp(tmp_root);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	UT_CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	if (strncmp(dir, "/tmp/ut-runner.", 15))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	UT_CHECK_EQ(system(cmd), 0);
}

/* ---- profiles ----------------------------------------------------------- */

static int prof_text(const char *text, struct prof *p, char *err)
{
	err[0] = '\0';
	return prof_parse(text, strlen(text), "t.conf", p, err, PROF_ERR_SIZE);
}

/* ---- verdicts ----------------------------------------------------------- */

#define EXITED(c) ((c) << 8)

static int decide(int wstatus, int exit_line, const char *text,
		  struct verd_out *v)
{
	struct verd_in in = {.reaped = true,
			     .wstatus = wstatus,
			     .exit_line = exit_line,
			     .tap = tap_run(text)};

	verd_decide(&in, v);
	return v->exit;
}

#endif
