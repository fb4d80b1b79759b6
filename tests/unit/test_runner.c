/*
 * test_runner.c - unit tests for the host runner (host/runner/ minus
 * main.c): profiles, options, the TAP parser, exit-status mapping, the
 * control channel, the QEMU command line, the QMP client against a fake
 * server, and whole sessions with a shell script standing in for QEMU.
 */
#include "tests/unit/ut.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/runner/ctl.h"
#include "host/runner/gcov_rec.h"
#include "host/runner/linebuf.h"
#include "host/runner/opts.h"
#include "host/runner/profile.h"
#include "host/runner/qemu.h"
#include "host/runner/qmp.h"
#include "host/runner/session.h"
#include "host/runner/tap_line.h"
#include "host/runner/tap_parse.h"
#include "host/runner/uefi.h"
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

static void test_prof_good(void)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"description = A test machine, with commas\n"
		"  machine=q35  \r\n"
		"memory = 2G\n"
		"smp = 4\n"
		"cpu = max,+x2apic\n"
		"append = suite=all  tap=14\n"
		"qemu_args = -device  virtio-balloon-pci\t-s\n"
		"timeout = 120\n"
		"\t# indented comment\n"
		"com2 = no"; /* no final newline */
	struct prof p;
	char err[PROF_ERR_SIZE];

	UT_CHECK_EQ(prof_text(text, &p, err), 0);
	UT_CHECK_STR(err, "");
	UT_CHECK_STR(p.description, "A test machine, with commas");
	UT_CHECK_STR(p.machine, "q35");
	UT_CHECK_STR(p.memory, "2G");
	UT_CHECK_EQ(p.smp, 4);
	UT_CHECK_STR(p.cpu, "max,+x2apic");
	UT_CHECK_STR(p.append, "suite=all  tap=14");
	UT_CHECK_STR(p.qemu_args, "-device  virtio-balloon-pci\t-s");
	UT_CHECK_EQ(p.timeout, 120);
	UT_CHECK(!p.com2);
}

static void test_prof_defaults(void)
{
	struct prof p;
	char err[PROF_ERR_SIZE];

	UT_CHECK_EQ(prof_text("machine = pc\nmemory = 97M\n", &p, err), 0);
	UT_CHECK_EQ(p.smp, 1);
	UT_CHECK_EQ(p.timeout, 60);
	UT_CHECK(p.com2);
	UT_CHECK_STR(p.cpu, "");
	UT_CHECK_STR(p.append, "");
	UT_CHECK_STR(p.description, "");
	UT_CHECK_EQ(
		prof_text("machine = pc-i440fx-7.2\nmemory = 1.5G\nappend =\n",
			  &p, err),
		0);
}

static void test_prof_errors(void)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"machine = pc\nmemory = 128M\ncolour = red\n",
		 "t.conf:3: unknown key 'colour'"},
		{"machine = pc\nmemory 128M\n",
		 "t.conf:2: missing '=' (want key = value)"},
		{"machine = pc\nmemory = 128M\nsmp = two\n",
		 "t.conf:3: bad number 'two' for 'smp' (want 1..64)"},
		{"machine = pc\nmemory = 128M\nsmp = 0\n",
		 "t.conf:3: bad number '0' for 'smp'"},
		{"machine = pc\nmemory = 128M\nsmp = 65\n",
		 "t.conf:3: bad number '65' for 'smp'"},
		{"machine = pc\nmemory = 128M\nsmp = -1\n",
		 "t.conf:3: bad number '-1'"},
		{"machine = pc\nmemory = 128M\ntimeout = 0\n",
		 "t.conf:3: bad number '0' for 'timeout' (want 1..86400)"},
		{"machine = pc\nmemory = 128M\ntimeout = "
		 "99999999999999999999999\n",
		 "t.conf:3: bad number"},
		{"machine = pc\n\n# c\nmachine = q35\nmemory = 1G\n",
		 "t.conf:4: duplicate key 'machine' (first set on line 1)"},
		{"machine = pc\nmemory = 128X\n",
		 "t.conf:2: bad memory size '128X'"},
		{"machine = pc\nmemory = lots\n",
		 "t.conf:2: bad memory size 'lots'"},
		{"machine = pc\nmemory = 0M\n",
		 "t.conf:2: bad memory size '0M'"},
		{"machine = pc\nmemory = 128MB\n", "t.conf:2: bad memory size"},
		{"machine = pc\nmemory = 2T\n", "t.conf:2: bad memory size"},
		{"machine = pc\nmemory =\n",
		 "t.conf:2: empty value for 'memory'"},
		{"machine = pc\nmemory = 1M\ncom2 = maybe\n",
		 "t.conf:3: 'com2' must be yes or no, not 'maybe'"},
		{"machine = sparc\nmemory = 1M\n",
		 "t.conf:1: unknown machine 'sparc' (want pc, q35 or microvm)"},
		{"memory = 128M\n", "t.conf: missing required key 'machine'"},
		{"machine = microvm\n",
		 "t.conf: missing required key 'memory'"},
		{"= pc\n", "t.conf:1: missing key before '='"},
		{"machine = pc\nmemory = 1M\ncpu = max -foo\n",
		 "t.conf:3: bad value 'max -foo' for 'cpu'"},
		{"machine = pc\nmemory = 1M\nappend = a\x01"
		 "b\n",
		 "t.conf:3: control character in value of 'append'"},
		{"machine = pc\nmemory = 128M # small\n",
		 "t.conf:2: bad memory size '128M # small'"},
		{"machine = pc\nmemory = 1M\nboot = bios\n",
		 "t.conf:3: 'boot' must be pvh or uefi, not 'bios'"},
		{"machine = microvm\nmemory = 1M\nboot = uefi\n",
		 "t.conf: boot = uefi needs machine pc or q35"},
		{"machine = pc\nmemory = 1M\novmf_code = /x.fd\n",
		 "t.conf:3: 'ovmf_code' needs 'boot = uefi'"},
		{"machine = pc\nmemory = 1M\nboot = uefi\n"
		 "ovmf_vars = /a,b.fd\n",
		 "t.conf:4: 'ovmf_vars' must be a path without ','"},
	};
	struct prof p;
	char err[PROF_ERR_SIZE];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = prof_text(cases[i].text, &p, err);

		UT_CHECK_EQ(rc, -1);
		if (strncmp(err, cases[i].err, strlen(cases[i].err))) {
			printf("    # case %zu: got '%s'\n", i, err);
			UT_CHECK(!"error message");
		}
	}
}

static void test_prof_limits(void)
{
	char *big = malloc(PROF_MAX_FILE + 100);
	char line[PROF_MAX_LINE + 100];
	char text[PROF_MAX_LINE + 200];
	char args[600] = "machine = pc\nmemory = 1M\nqemu_args =";
	struct prof p;
	char err[PROF_ERR_SIZE];

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	snprintf(text, sizeof(text), "machine = pc\nappend = %s\n", line);
	UT_CHECK_EQ(prof_text(text, &p, err), -1);
	UT_CHECK_STR(err, "t.conf:2: line too long (max 1024 bytes)");

	memset(big, '#', PROF_MAX_FILE + 99);
	big[PROF_MAX_FILE + 99] = '\0';
	UT_CHECK_EQ(prof_text(big, &p, err), -1);
	UT_CHECK(strstr(err, "too large") != NULL);
	free(big);

	UT_CHECK_EQ(prof_parse("machine = pc\nmem\0ory = 1M\n", 25, "t.conf",
			       &p, err, sizeof(err)),
		    -1);
	UT_CHECK_STR(err, "t.conf:2: NUL byte");

	for (int i = 0; i < 65; i++)
		util_appendf(args, sizeof(args), " -x");
	UT_CHECK_EQ(prof_text(args, &p, err), -1);
	UT_CHECK(strstr(err, "t.conf:3: too many words") != NULL);
}

static void test_prof_memory_syntax(void)
{
	static const char *const good[] = {"128M", "2G",   "97M",
					   "1.5G", "512m", "1048576K",
					   "64",   "1T",   "1024k"};
	static const char *const bad[] = {"1.G", "M",	 ".5G", "0.5M", "2T",
					  "1e3", "12 M", "-1G", "512KB"};
	struct prof p;
	char err[PROF_ERR_SIZE], text[128];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(text, sizeof(text), "machine = pc\nmemory = %s\n",
			 good[i]);
		if (prof_text(text, &p, err)) {
			printf("    # '%s' refused: %s\n", good[i], err);
			UT_CHECK(!"good memory size");
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "machine = pc\nmemory = %s\n",
			 bad[i]);
		if (!prof_text(text, &p, err)) {
			printf("    # '%s' accepted\n", bad[i]);
			UT_CHECK(!"bad memory size");
		}
	}
}

/* The repository's own profiles parse, and say what the issue asks for. */
static void test_prof_shipped(void)
{
	static const struct {
		const char *name, *machine, *memory;
		unsigned smp;
		bool com2;
	} want[] = {
		{"pc", "pc", "128M", 1, true},
		{"q35", "q35", "256M", 2, true},
		{"microvm", "microvm", "64M", 1, false},
	};
	struct prof p;
	char err[PROF_ERR_SIZE], path[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		snprintf(path, sizeof(path), "host/profiles/%s.conf",
			 want[i].name);
		if (access(path, R_OK)) {
			printf("    # %s not found (not run from the top of "
			       "the tree?)\n",
			       path);
			UT_CHECK(!"shipped profile");
			continue;
		}
		UT_CHECK_EQ(prof_load(path, &p, err, sizeof(err)), 0);
		UT_CHECK_STR(p.name, want[i].name);
		UT_CHECK_STR(p.machine, want[i].machine);
		UT_CHECK_STR(p.memory, want[i].memory);
		UT_CHECK_EQ(p.smp, want[i].smp);
		UT_CHECK_EQ(p.com2, want[i].com2);
		UT_CHECK(p.description[0] != '\0');
	}
}

static void test_prof_lookup(void)
{
	const char *root = tmp_dir();
	char cwd[PATH_MAX], path[PATH_MAX], bin[PATH_MAX], err[PROF_ERR_SIZE];
	char dirbuf[PATH_MAX];
	struct prof p;
	int saved, saved_err, null_fd, rc_broken, rc_good, rc_none;

	UT_CHECK(root != NULL);
	if (!root || !getcwd(cwd, sizeof(cwd)))
		return;
	UT_CHECK_EQ(chdir(root), 0);
	/* root/host/profiles: the "checkout"; root/inst: the binary's tree */
	UT_CHECK_EQ(util_mkdir_p("host/profiles"), 0);
	UT_CHECK_EQ(util_mkdir_p("inst/build"), 0);
	UT_CHECK_EQ(util_mkdir_p("inst/host/profiles"), 0);
	write_file("host/profiles/here.conf",
		   "description = in cwd\nmachine = pc\nmemory = 128M\n");
	write_file("inst/host/profiles/there.conf",
		   "description = next to the binary\nmachine = q35\nmemory = "
		   "1G\n");
	write_file("inst/host/profiles/here.conf",
		   "machine = pc\nmemory = 1M\n");
	write_file("odd.conf", "machine = microvm\nmemory = 64M\n");
	write_file("host/profiles/broken.conf", "machine = pc\nmemory\n");
	snprintf(bin, sizeof(bin), "%s/inst/build", root);

	UT_CHECK_EQ(
		prof_find("here", bin, path, sizeof(path), err, sizeof(err)),
		0);
	UT_CHECK_STR(path, "host/profiles/here.conf");
	UT_CHECK_EQ(
		prof_find("there", bin, path, sizeof(path), err, sizeof(err)),
		0);
	UT_CHECK(strstr(path, "inst/build/../host/profiles/there.conf") !=
		 NULL);
	UT_CHECK_EQ(prof_load(path, &p, err, sizeof(err)), 0);
	UT_CHECK_STR(p.name, "there");
	UT_CHECK_STR(p.description, "next to the binary");
	UT_CHECK_EQ(
		prof_find("there", NULL, path, sizeof(path), err, sizeof(err)),
		-1);
	UT_CHECK(strstr(err, "no profile 'there'") != NULL);

	/* a path: used as is, ".conf" alone makes it a path */
	UT_CHECK_EQ(prof_find("odd.conf", bin, path, sizeof(path), err,
			      sizeof(err)),
		    0);
	UT_CHECK_STR(path, "odd.conf");
	UT_CHECK_EQ(prof_load(path, &p, err, sizeof(err)), 0);
	UT_CHECK_STR(p.name, "odd");
	UT_CHECK_EQ(prof_find("./host/profiles/here.conf", NULL, path,
			      sizeof(path), err, sizeof(err)),
		    0);
	UT_CHECK_EQ(prof_find("missing.conf", bin, path, sizeof(path), err,
			      sizeof(err)),
		    -1);
	UT_CHECK_STR(err, "missing.conf: no such profile file");
	UT_CHECK_EQ(prof_find("a b", bin, path, sizeof(path), err, sizeof(err)),
		    -1);
	UT_CHECK(strstr(err, "bad profile name") != NULL);
	UT_CHECK_EQ(prof_find("..", bin, path, sizeof(path), err, sizeof(err)),
		    -1);

	UT_CHECK_EQ(
		prof_load("host/profiles/broken.conf", &p, err, sizeof(err)),
		-1);
	UT_CHECK_STR(
		err,
		"host/profiles/broken.conf:2: missing '=' (want key = value)");
	UT_CHECK_EQ(prof_load("nope.conf", &p, err, sizeof(err)), -1);
	UT_CHECK_STR(err, "nope.conf: cannot open: No such file or directory");
	UT_CHECK_EQ(prof_load("host", &p, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "host: cannot read") != NULL);

	/* listing: cwd wins; one broken file; quiet while listing */
	UT_CHECK_STR(prof_dir(bin, dirbuf, sizeof(dirbuf)), "host/profiles");
	fflush(stdout);
	fflush(stderr);
	saved = dup(1);
	saved_err = dup(2);
	null_fd = open("/dev/null", O_WRONLY);
	dup2(null_fd, 1);
	dup2(null_fd, 2);
	close(null_fd);
	rc_broken = prof_list("host/profiles");
	rc_good = prof_list("inst/host/profiles");
	rc_none = prof_list("no/such/dir");
	fflush(stdout);
	fflush(stderr);
	dup2(saved, 1);
	dup2(saved_err, 2);
	close(saved);
	close(saved_err);
	UT_CHECK_EQ(rc_broken, 1);
	UT_CHECK_EQ(rc_good, 0);
	UT_CHECK_EQ(rc_none, -1);
	UT_CHECK_EQ(chdir("inst/build"), 0);
	UT_CHECK(strstr(prof_dir(bin, dirbuf, sizeof(dirbuf)) ?: "",
			"/inst/build/../host/profiles") != NULL);
	UT_CHECK(prof_dir(NULL, dirbuf, sizeof(dirbuf)) == NULL);
	UT_CHECK_EQ(
		prof_find("there", bin, path, sizeof(path), err, sizeof(err)),
		0);

	UT_CHECK_EQ(chdir(cwd), 0);
	rm_rf(root);
}

/* ---- options ------------------------------------------------------------ */

static int opts_of(struct opts *o, char *err, ...)
{
	char *argv[32] = {"pinprick-run"};
	int argc = 1;
	va_list ap;

	va_start(ap, err);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	err[0] = '\0';
	return opt_parse(argc, argv, o, err, 256);
}

static void test_opts(void)
{
	struct opts o;
	char err[256];

	UT_CHECK_EQ(opts_of(&o, err, (char *)NULL), 0);
	UT_CHECK_STR(o.profile, "pc");
	UT_CHECK_STR(o.qemu, "qemu-system-x86_64");
	UT_CHECK_STR(o.kernel, "build/pinprick.elf");
	UT_CHECK_EQ(o.timeout, 0);
	UT_CHECK(!o.log && !o.append && !o.results && !o.quiet && !o.verbose);

	UT_CHECK_EQ(opts_of(&o, err, "--profile", "q35", "--qemu=/x/qemu",
			    "--kernel", "k.elf", "--timeout=7", "--log",
			    "l.log", "--append", "a=1 b=2", "--results=r.txt",
			    "--quiet", "--verbose", "--list-profiles", "-h",
			    (char *)NULL),
		    0);
	UT_CHECK_STR(o.profile, "q35");
	UT_CHECK_STR(o.qemu, "/x/qemu");
	UT_CHECK_STR(o.kernel, "k.elf");
	UT_CHECK_EQ(o.timeout, 7);
	UT_CHECK_STR(o.log, "l.log");
	UT_CHECK_STR(o.append, "a=1 b=2");
	UT_CHECK_STR(o.results, "r.txt");
	UT_CHECK(o.quiet && o.verbose && o.list_profiles && o.help);
	/* "--append=--x": a value may start with dashes */
	UT_CHECK_EQ(opts_of(&o, err, "--append", "--x", (char *)NULL), 0);
	UT_CHECK_STR(o.append, "--x");
	/* --gcov DIR: made absolute, links resolved */
	UT_CHECK_STR(o.gcov, "");
	UT_CHECK_EQ(opts_of(&o, err, "--gcov", "/tmp/../", (char *)NULL), 0);
	UT_CHECK_STR(o.gcov, "/");
	{
		char cwd[PATH_MAX];

		UT_CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
		UT_CHECK_EQ(opts_of(&o, err, "--gcov=.", (char *)NULL), 0);
		UT_CHECK_STR(o.gcov, cwd);
	}
}

static void test_opts_errors(void)
{
	struct opts o;
	char err[256];

	UT_CHECK_EQ(opts_of(&o, err, "--bogus", (char *)NULL), -1);
	UT_CHECK_STR(err, "unknown option '--bogus' (try --help)");
	UT_CHECK_EQ(opts_of(&o, err, "--prof", "pc", (char *)NULL), -1);
	UT_CHECK_STR(err, "unknown option '--prof' (try --help)");
	UT_CHECK_EQ(opts_of(&o, err, "--profile", (char *)NULL), -1);
	UT_CHECK_STR(err, "--profile needs a value");
	UT_CHECK_EQ(opts_of(&o, err, "--timeout", "abc", (char *)NULL), -1);
	UT_CHECK_STR(err,
		     "--timeout: bad number of seconds 'abc' (want 1..86400)");
	UT_CHECK_EQ(opts_of(&o, err, "--timeout=0", (char *)NULL), -1);
	UT_CHECK_EQ(opts_of(&o, err, "--timeout", "86401", (char *)NULL), -1);
	UT_CHECK_EQ(opts_of(&o, err, "--timeout", "1.5", (char *)NULL), -1);
	UT_CHECK_EQ(opts_of(&o, err, "--quiet=yes", (char *)NULL), -1);
	UT_CHECK_STR(err, "--quiet takes no value");
	UT_CHECK_EQ(opts_of(&o, err, "pc", (char *)NULL), -1);
	UT_CHECK(strstr(err, "unexpected argument 'pc'") != NULL);
	UT_CHECK_EQ(opts_of(&o, err, "-v", (char *)NULL), -1);
	UT_CHECK_EQ(opts_of(&o, err, "--", (char *)NULL), -1);
	UT_CHECK_EQ(opts_of(&o, err, "--kernel=", (char *)NULL), -1);
	UT_CHECK_STR(err, "--kernel needs a non-empty value");
	UT_CHECK_EQ(
		opts_of(&o, err, "--gcov", "/nonexistent/kcov", (char *)NULL),
		-1);
	UT_CHECK_STR(err,
		     "--gcov /nonexistent/kcov: No such file or directory");
	UT_CHECK_EQ(opts_of(&o, err, "--gcov", "/dev/null", (char *)NULL), -1);
	UT_CHECK_STR(err, "--gcov /dev/null: not a directory");
	UT_CHECK_EQ(opts_of(&o, err, "--gcov=", (char *)NULL), -1);
	UT_CHECK_STR(err, "--gcov needs a non-empty value");
}

/* ---- TAP: the line grammar ---------------------------------------------- */

static void test_tapl_lex(void)
{
	struct tapl_tok t;

	tapl_lex("ok 1 - fine", &t);
	UT_CHECK_EQ(t.kind, TAPL_TEST);
	UT_CHECK(t.ok && t.has_num);
	UT_CHECK_EQ(t.num, 1);
	UT_CHECK_EQ(t.text_len, 4);
	UT_CHECK(!strncmp(t.text, "fine", 4));

	tapl_lex("not ok 23 broken thing # TODO: later ", &t);
	UT_CHECK_EQ(t.kind, TAPL_TEST);
	UT_CHECK(!t.ok);
	UT_CHECK_EQ(t.num, 23);
	UT_CHECK_EQ(t.directive, TAPL_DIR_TODO);
	UT_CHECK_EQ(t.text_len, strlen("broken thing"));
	UT_CHECK_EQ(t.reason_len, 5);

	tapl_lex("ok", &t);
	UT_CHECK(t.kind == TAPL_TEST && !t.has_num && t.text_len == 0);
	tapl_lex("ok - no number # skipped: not here", &t);
	UT_CHECK(t.kind == TAPL_TEST && !t.has_num);
	UT_CHECK_EQ(t.directive, TAPL_DIR_SKIP);
	tapl_lex("ok 2 # sKiP", &t);
	UT_CHECK_EQ(t.directive, TAPL_DIR_SKIP);
	tapl_lex("ok 3 - issue \\# 5 # todos are fine", &t);
	UT_CHECK_EQ(t.directive, TAPL_DIR_NONE);
	tapl_lex("ok 3 - see #12 # TODO x", &t);
	UT_CHECK_EQ(t.directive, TAPL_DIR_TODO);
	UT_CHECK(!strncmp(t.text, "see #12", t.text_len));
	tapl_lex("ok 4 - a # comment, not a directive", &t);
	UT_CHECK_EQ(t.directive, TAPL_DIR_NONE);
	tapl_lex("ok 12345678901 - huge", &t);
	UT_CHECK(t.kind == TAPL_TEST && t.bad_num);

	tapl_lex("okay", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);
	tapl_lex("ok1", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);
	tapl_lex("not okay", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);

	tapl_lex("1..5", &t);
	UT_CHECK(t.kind == TAPL_PLAN && t.num == 5 && !t.bad_num);
	tapl_lex("1..0 # SKIP no hardware", &t);
	UT_CHECK(t.kind == TAPL_PLAN && t.num == 0 &&
		 t.directive == TAPL_DIR_SKIP);
	tapl_lex("2..5", &t);
	UT_CHECK(t.kind == TAPL_PLAN && t.bad_num);
	tapl_lex("1..3 apples", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);
	tapl_lex("1..", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);
	tapl_lex("12 monkeys", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);

	tapl_lex("TAP version 14", &t);
	UT_CHECK(t.kind == TAPL_VERSION && t.num == 14);
	tapl_lex("TAP version 14 extra", &t);
	UT_CHECK_EQ(t.kind, TAPL_OTHER);
	tapl_lex("Bail out! disk on fire", &t);
	UT_CHECK(t.kind == TAPL_BAIL &&
		 !strncmp(t.text, "disk on fire", t.text_len));
	tapl_lex("BAIL OUT!", &t);
	UT_CHECK_EQ(t.kind, TAPL_BAIL);
	tapl_lex("# Subtest: mm", &t);
	UT_CHECK(t.kind == TAPL_SUBTEST && t.text_len == 2);
	tapl_lex("# Subtest", &t);
	UT_CHECK(t.kind == TAPL_SUBTEST && t.text_len == 0);
	tapl_lex("# Subtests are fun", &t);
	UT_CHECK_EQ(t.kind, TAPL_COMMENT);
	tapl_lex("#", &t);
	UT_CHECK_EQ(t.kind, TAPL_COMMENT);
	tapl_lex("pragma +strict", &t);
	UT_CHECK_EQ(t.kind, TAPL_PRAGMA);
	tapl_lex("---", &t);
	UT_CHECK_EQ(t.kind, TAPL_YAML_START);
	tapl_lex("...  ", &t);
	UT_CHECK_EQ(t.kind, TAPL_YAML_END);
	tapl_lex("   ", &t);
	UT_CHECK_EQ(t.kind, TAPL_BLANK);
	tapl_lex("", &t);
	UT_CHECK_EQ(t.kind, TAPL_BLANK);
}

/* ---- TAP: the parser ---------------------------------------------------- */

static void test_tap_simple(void)
{
	const struct tapp *t = tap_run("booting...\n"
				       "TAP version 14\n"
				       "1..3\n"
				       "ok 1 - one\n"
				       "# a comment\n"
				       "ok 2 - two\n"
				       "ok 3\n"
				       "# pinprick: exit 0\n");

	CHECK_COUNTS(t, 3, 0, 0, 0);
	UT_CHECK(tapp_all_ok(t));
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_EQ(t->ignored, 1);
	UT_CHECK_EQ(t->version, 14);
	dump_findings(t);

	t = tap_run("TAP version 13\r\nok 1\r\nok 2\r\n1..2\r\n");
	CHECK_COUNTS(t, 2, 0, 0, 0);
	UT_CHECK(tapp_all_ok(t));
	dump_findings(t);

	t = tap_run("TAP version 14\n1..0 # SKIP nothing to do here\n");
	CHECK_COUNTS(t, 0, 0, 0, 0);
	UT_CHECK(tapp_all_ok(t));
}

static void test_tap_fail_skip_todo(void)
{
	const struct tapp *t = tap_run("TAP version 14\n"
				       "1..7\n"
				       "ok 1 - a\n"
				       "not ok 2 - b broke\n"
				       "ok 3 - c # SKIP no disk\n"
				       "not ok 4 - d # TODO not written\n"
				       "ok 5 - e # todo passes unexpectedly\n"
				       "ok 6 - f # skipped: why not\n"
				       "not ok 7 - g\n");

	CHECK_COUNTS(t, 1, 2, 2, 2);
	UT_CHECK(!tapp_all_ok(t));
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_EQ(t->nfailures, 2);
	UT_CHECK_STR(t->failures[0], "#2 b broke");
	UT_CHECK_STR(t->failures[1], "#7 g");
	dump_findings(t);
}

static void test_tap_subtests(void)
{
	/* TAP 14 layout: "# Subtest" at the parent's indentation */
	const struct tapp *t = tap_run("TAP version 14\n"
				       "1..3\n"
				       "ok 1 - plain\n"
				       "# Subtest: mm\n"
				       "    1..2\n"
				       "    ok 1 - alloc\n"
				       "    # Subtest: deep\n"
				       "        ok 1 - x\n"
				       "        not ok 2 - y\n"
				       "        1..2\n"
				       "    not ok 2 - deep\n"
				       "not ok 2 - mm\n"
				       "    # Subtest: time\n"
				       "    ok 1 - tsc # SKIP none\n"
				       "    1..1\n"
				       "ok 3 - time\n");

	CHECK_COUNTS(t, 3, 1, 1, 0);
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_EQ(t->nfailures, 1);
	UT_CHECK_STR(t->failures[0], "mm / deep / #2 y");
	dump_findings(t);
}

static void test_tap_summary_rules(void)
{
	/* a failing summary with no failing leaf is itself a failed check */
	const struct tapp *t = tap_run("TAP version 14\n"
				       "1..2\n"
				       "# Subtest: a\n"
				       "    1..1\n"
				       "    ok 1\n"
				       "not ok 1 - a\n"
				       "# Subtest: b\n"
				       "    1..1\n"
				       "    ok 1\n"
				       "not ok 2 - b # TODO known\n");

	CHECK_COUNTS(t, 2, 1, 0, 1);
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_STR(t->failures[0], "#1 a");

	/* an "ok" summary over a failed leaf is inconsistent */
	t = tap_run(
		"TAP version 14\n1..1\n    1..1\n    not ok 1 - x\nok 1 - s\n");
	CHECK_COUNTS(t, 0, 1, 0, 0);
	UT_CHECK(has_finding(t, "line 5: subtest '(unnamed)' summarised ok but "
				"1 check(s) in it failed"));
}

static void test_tap_yaml(void)
{
	const struct tapp *t = tap_run("TAP version 14\n"
				       "1..3\n"
				       "not ok 1 - first\n"
				       "  ---\n"
				       "  message: 'not ok 9 - inside yaml'\n"
				       "  data:\n"
				       "    - ok 1\n"
				       "\n"
				       "  ...\n"
				       "# Subtest: s\n"
				       "    1..1\n"
				       "    ok 1 - x\n"
				       "      ---\n"
				       "      Bail out! in yaml\n"
				       "      ...\n"
				       "ok 2 - s\n"
				       "ok 3\n");

	CHECK_COUNTS(t, 2, 1, 0, 0);
	UT_CHECK(!t->bailed);
	UT_CHECK_EQ(t->nfindings, 0);
	dump_findings(t);

	/* not closed: noticed when the indentation drops */
	t = tap_run("TAP version 14\n1..2\nok 1\n  ---\n  a: b\nok 2\n");
	CHECK_COUNTS(t, 2, 0, 0, 0);
	UT_CHECK(has_finding(t, "line 6: YAML block from line 4 not closed"));
	t = tap_run("TAP version 14\n1..1\nok 1\n  ---\n  a: b\n");
	UT_CHECK(has_finding(t, "end: YAML block from line 4 not closed"));
	/* "---" not right after a test point is just chatter */
	t = tap_run("TAP version 14\n1..1\n# c\n  ---\nok 1\n");
	CHECK_COUNTS(t, 1, 0, 0, 0);
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_EQ(t->ignored, 1);
}

static void test_tap_bail(void)
{
	const struct tapp *t = tap_run("TAP version 14\n1..3\nok 1\n"
				       "Bail out! page fault at 0xdead\n"
				       "ok 2\nok 3\n");

	UT_CHECK(t->bailed);
	UT_CHECK_STR(t->bail_reason, "page fault at 0xdead");
	CHECK_COUNTS(t, 1, 0, 0, 0);
	UT_CHECK_EQ(t->nfindings, 0); /* no plan complaint after a bail out */
	UT_CHECK(!tapp_all_ok(t));

	t = tap_run("TAP version 14\n1..1\n# Subtest: x\n    ok 1\n"
		    "    Bail out! nested\n");
	UT_CHECK(t->bailed);
	UT_CHECK_STR(t->bail_reason, "nested");
}

static void test_tap_plans(void)
{
	const struct tapp *t = tap_run("TAP version 14\n1..3\nok 1\nok 2\n");

	UT_CHECK(has_finding(t, "end: planned 3 test(s) but ran 2"));
	UT_CHECK(!tapp_all_ok(t));

	t = tap_run("TAP version 14\nok 1\nok 2\n");
	UT_CHECK(has_finding(t, "end: no plan (1..N) at the top level"));

	t = tap_run("TAP version 14\n1..2\nok 1\nok 2\nok 3\n");
	UT_CHECK(has_finding(t, "planned 2 test(s) but ran 3"));

	t = tap_run("TAP version 14\nok 1\n1..2\nok 2\n");
	UT_CHECK(has_finding(t, "line 4: test point after the plan (line 3)"));

	t = tap_run("TAP version 14\n1..1\n1..1\nok 1\n");
	UT_CHECK(has_finding(t, "line 3: second plan (first on line 2)"));

	t = tap_run("TAP version 14\n2..3\nok 1\n");
	UT_CHECK(has_finding(t, "line 2: bad plan"));

	t = tap_run("TAP version 14\n1..1\n# Subtest: s\n    ok 1\nok 1 - s\n");
	UT_CHECK(has_finding(t, "line 5: subtest 's' has no plan"));

	t = tap_run("TAP version 14\n1..1\n# Subtest: s\n    1..2\n    ok "
		    "1\nok 1 - s\n");
	UT_CHECK(has_finding(
		t, "line 6: subtest 's' planned 2 test(s) but ran 1"));

	t = tap_run("Linux version 6.1\nsome chatter\n");
	UT_CHECK(has_finding(t, "end: no TAP output at all"));
	UT_CHECK_EQ(t->ignored, 2);
}

static void test_tap_numbers_and_version(void)
{
	const struct tapp *t =
		tap_run("TAP version 14\n1..4\nok 1\nok 3\nok\nok 2\n");

	UT_CHECK(has_finding(
		t, "line 4: test number 3 out of sequence (expected 2)"));
	UT_CHECK(has_finding(
		t, "line 6: test number 2 out of sequence (expected 4)"));
	UT_CHECK_EQ(t->nfindings, 2);
	CHECK_COUNTS(t, 4, 0, 0, 0);

	t = tap_run("1..1\nok 1\n");
	UT_CHECK(has_finding(
		t, "line 1: no 'TAP version' line before the first test"));
	t = tap_run("1..1\nTAP version 14\nok 1\n");
	UT_CHECK(has_finding(
		t, "line 2: 'TAP version' is not the first TAP line"));
	t = tap_run("TAP version 12\n1..1\nok 1\n");
	UT_CHECK(has_finding(t, "unsupported TAP version 12"));
	t = tap_run("TAP version 14\nTAP version 14\n1..1\nok 1\n");
	UT_CHECK(has_finding(t, "second 'TAP version' line"));

	/* a TAP 14 subtest may carry its own version line */
	t = tap_run("TAP version 14\n1..1\n# Subtest: s\n    TAP version 14\n"
		    "    1..1\n    ok 1\nok 1 - s\n");
	CHECK_COUNTS(t, 1, 0, 0, 0);
	UT_CHECK_EQ(t->nfindings, 0);
	dump_findings(t);
}

static void test_tap_structure_errors(void)
{
	const struct tapp *t;

	/* a subtest closed by a plan rather than its summary */
	t = tap_run("TAP version 14\n    1..1\n    ok 1\n1..0\n");
	UT_CHECK(has_finding(
		t, "subtest '(unnamed)' (line 2) has no summary test point"));
	/* output ends inside a subtest */
	t = tap_run(
		"TAP version 14\n1..1\n# Subtest: open\n    1..2\n    ok 1\n");
	UT_CHECK(has_finding(
		t, "end: output stopped inside subtest 'open' (line 4)"));
	UT_CHECK(has_finding(t, "planned 1 test(s) but ran 0"));
	/* a failing leaf in an unfinished subtest still counts */
	t = tap_run("TAP version 14\n1..1\n    1..2\n    not ok 1\n");
	CHECK_COUNTS(t, 0, 1, 0, 0);
	/* two levels closed at once: the inner one has no summary */
	t = tap_run("TAP version 14\n1..1\n    1..1\n        1..1\n        ok "
		    "1\nok 1\n");
	UT_CHECK(has_finding(t, "has no summary test point"));
}

static void test_tap_garbage(void)
{
	static const char junk[] = "\x01\x02\xff\xfe garbage \x1b[31m red";
	const struct tapp *t;
	char line[64];

	tapp_init(&tap);
	tapp_line(&tap, "TAP version 14", 14);
	tapp_line(&tap, "1..2", 4);
	tapp_line(&tap, junk, sizeof(junk) - 1);
	tapp_line(&tap, "ok 1 - fine", 11);
	tapp_line(&tap, "okay then", 9);
	tapp_line(&tap, "\tok 5 - tab-indented", 20);
	tapp_line(&tap, "  ok 5 - two spaces", 19);
	tapp_line(&tap, "            ok 5 - three levels too deep", 40);
	tapp_line(&tap, "1..3 apples", 11);
	tapp_line(&tap, "ok 2", 4);
	memcpy(line, "ok\0 3 nul", 9);
	tapp_line(&tap, line, 9); /* NUL ends the line */
	tapp_line(&tap, "", 0);
	tapp_line(&tap, "\r", 1);
	tapp_finish(&tap);
	t = &tap;
	UT_CHECK_EQ(t->ignored, 6);
	/* the NUL line is "ok" with no number: a third test point */
	CHECK_COUNTS(t, 3, 0, 0, 0);
	UT_CHECK(has_finding(t, "planned 2 test(s) but ran 3"));
	/* after the end, everything is ignored */
	tapp_line(&tap, "not ok 4", 8);
	UT_CHECK_EQ(t->failed, 0);
}

static void test_tap_long_lines(void)
{
	size_t n = 3 * TAPP_MAX_LINE;
	char *big = malloc(n + 1);
	const struct tapp *t;

	memset(big, 'x', n);
	memcpy(big, "ok 2 - ", 7);
	big[n] = '\0';
	tapp_init(&tap);
	tapp_line(&tap, "TAP version 14", 14);
	tapp_line(&tap, "1..3", 4);
	tapp_line(&tap, "ok 1", 4);
	tapp_line(&tap, big, n);
	memcpy(big, "# Subtest: ", 11); /* an over-long name is cut */
	tapp_line(&tap, big, n);
	tapp_line(&tap, "    1..1", 8);
	memcpy(big, "    not ok 1 - ", 15);
	tapp_line(&tap, big, n);
	tapp_line(&tap, "not ok 3", 8);
	tapp_finish(&tap);
	t = &tap;
	CHECK_COUNTS(t, 2, 1, 0, 0);
	UT_CHECK_EQ(t->nfindings, 0);
	UT_CHECK_EQ(strlen(t->failures[0]), TAPP_FAILURE_LEN - 1);
	UT_CHECK_EQ(strlen(t->lv[1].name), 63);
	free(big);
	dump_findings(t);
}

static void test_tap_bounds(void)
{
	char line[64];
	const struct tapp *t;

	/* nesting: 10 levels deep; levels 9 and 10 are ignored */
	tapp_init(&tap);
	tapp_line(&tap, "TAP version 14", 14);
	for (int d = 1; d <= 10; d++) {
		snprintf(line, sizeof(line), "%*sok 1", 4 * d, "");
		tapp_line(&tap, line, strlen(line));
	}
	tapp_finish(&tap);
	t = &tap;
	UT_CHECK(has_finding(t, "subtests nested deeper than 8 levels"));
	UT_CHECK_EQ(t->passed, 8);
	UT_CHECK_EQ(t->ignored, 2);

	/* findings and failures are capped, the counts are not */
	tapp_init(&tap);
	tapp_line(&tap, "TAP version 14", 14);
	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "not ok %d - f%d", 2 * i + 2, i);
		tapp_line(&tap, line, strlen(line));
	}
	tapp_finish(&tap);
	UT_CHECK_EQ(t->failed, 1000);
	UT_CHECK_EQ(t->nfindings, TAPP_MAX_FINDINGS);
	UT_CHECK_EQ(tapp_problems(t), 1001); /* 1000 out of order + no plan */
	UT_CHECK_EQ(t->nfailures, TAPP_MAX_FAILURES);
	UT_CHECK_EQ(t->failures_dropped, 1000 - TAPP_MAX_FAILURES);
}

/* ---- line splitting ----------------------------------------------------- */

static char lines_seen[8][32];
static bool lines_cut[8];
static int nlines;

static int collect(void *ctx, char *line, size_t len, bool cut)
{
	(void)ctx;
	if (nlines < 8) {
		snprintf(lines_seen[nlines], sizeof(lines_seen[0]), "%.*s",
			 (int)len, line);
		lines_cut[nlines] = cut;
	}
	nlines++;
	return 0;
}

static void test_linebuf(void)
{
	struct lbuf lb;

	UT_CHECK_EQ(lbuf_init(&lb, 8), 0);
	nlines = 0;
	lbuf_feed(&lb, "ab", 2, collect, NULL);
	lbuf_feed(&lb, "c\nde", 4, collect, NULL);
	lbuf_feed(&lb, "\n12345678\n123456789abc", 22, collect, NULL);
	lbuf_feed(&lb, "def\nxy", 6, collect, NULL);
	UT_CHECK_EQ(nlines, 4);
	UT_CHECK_STR(lines_seen[0], "abc");
	UT_CHECK_STR(lines_seen[1], "de");
	UT_CHECK_STR(lines_seen[2], "12345678");
	UT_CHECK(!lines_cut[2]);
	UT_CHECK_STR(lines_seen[3], "12345678");
	UT_CHECK(lines_cut[3]);
	lbuf_flush(&lb, collect, NULL); /* the pending "xy" */
	UT_CHECK_EQ(nlines, 5);
	UT_CHECK_STR(lines_seen[4], "xy");
	UT_CHECK(!lines_cut[4]);
	lbuf_flush(&lb, collect, NULL);
	UT_CHECK_EQ(nlines, 5);
	/* exactly full, then the newline in the next chunk */
	nlines = 0;
	lbuf_feed(&lb, "ABCDEFGH", 8, collect, NULL);
	lbuf_feed(&lb, "\n", 1, collect, NULL);
	UT_CHECK_EQ(nlines, 1);
	UT_CHECK(!lines_cut[0]);
	lbuf_free(&lb);
}

static void test_linebuf_partial(void)
{
	struct lbuf lb;

	UT_CHECK_EQ(lbuf_init(&lb, 4), 0);
	nlines = 0;
	memset(lines_seen, 0, sizeof(lines_seen));
	lbuf_feed(&lb, "xy", 2, collect, NULL);
	UT_CHECK_EQ(nlines, 0);
	lbuf_flush(&lb, collect, NULL);
	UT_CHECK_EQ(nlines, 1);
	UT_CHECK_STR(lines_seen[0], "xy");
	lbuf_feed(&lb, "toolong", 7, collect, NULL);
	lbuf_feed(&lb, "er\nok\n", 6, collect, NULL);
	UT_CHECK_EQ(nlines, 3);
	UT_CHECK_STR(lines_seen[1], "tool");
	UT_CHECK(lines_cut[1]);
	UT_CHECK_STR(lines_seen[2], "ok");
	lbuf_free(&lb);
}

/* ---- exit-status mapping ------------------------------------------------ */

#define EXITED(c) ((c) << 8)
#define GOOD	  "TAP version 14\n1..2\nok 1\nok 2\n"
#define FAILED	  "TAP version 14\n1..2\nok 1\nnot ok 2\n"
#define SHORT	  "TAP version 14\n1..3\nok 1\n"
#define BAILED	  "TAP version 14\n1..2\nok 1\nBail out! oops\n"

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

static bool has_note(const struct verd_out *v, const char *what)
{
	for (int i = 0; i < v->nnotes; i++)
		if (strstr(v->notes[i], what))
			return true;
	return false;
}

static void test_verdict_table(void)
{
	static const struct {
		int wstatus, exit_line;
		const char *tap;
		int want;
		const char *note;
	} cases[] = {
		{EXITED(33), -1, GOOD, 0, NULL},
		{EXITED(33), 0, GOOD, 0, NULL},
		{EXITED(33), -1, FAILED, 1,
		 "says pass, but the TAP shows 1 failed"},
		{EXITED(33), -1, SHORT, 1, "TAP is incomplete or invalid"},
		{EXITED(33), -1, "", 1, "TAP is incomplete"},
		{EXITED(35), -1, FAILED, 1, NULL},
		{EXITED(35), -1, GOOD, 1,
		 "says a check failed, but the TAP shows none"},
		{EXITED(37), -1, BAILED, 2, "bailed out: oops"},
		{EXITED(37), -1, GOOD, 2, "reported a crash"},
		{EXITED(33), -1, BAILED, 2, "bailed out"},
		{EXITED(0), 0, GOOD, 0, NULL},
		{EXITED(0), 1, FAILED, 1, NULL},
		{EXITED(0), 0, FAILED, 1, "TAP shows 1 failed"},
		{EXITED(0), 2, SHORT, 2, NULL},
		{EXITED(0), 7, GOOD, 2, "unknown '# pinprick: exit 7'"},
		{EXITED(0), -1, GOOD, 2, "without a '# pinprick: exit N' line"},
		{EXITED(1), -1, GOOD, 5, "QEMU failed"},
		{EXITED(3), -1, GOOD, 2, "unknown value 0x1"},
		{EXITED(2), -1, GOOD, 5, "unexpected status 2"},
		{EXITED(33), 1, GOOD, 1, "printed '# pinprick: exit 1'"},
		{EXITED(33), 2, GOOD, 2, "printed '# pinprick: exit 2'"},
		{SIGKILL, -1, GOOD, 5, "killed by signal 9"},
	};
	struct verd_out v;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int got = decide(cases[i].wstatus, cases[i].exit_line,
				 cases[i].tap, &v);

		if (got != cases[i].want ||
		    (cases[i].note && !has_note(&v, cases[i].note)) ||
		    (!cases[i].note && cases[i].want == 0 && v.nnotes)) {
			printf("    # case %zu: exit %d (want %d), %d note(s): "
			       "%s\n",
			       i, got, cases[i].want, v.nnotes,
			       v.nnotes ? v.notes[0] : "");
			UT_CHECK(!"verdict");
		}
	}
}

static void test_verdict_run_states(void)
{
	struct verd_in in = {.reaped = true,
			     .wstatus = EXITED(33),
			     .exit_line = -1,
			     .tap = tap_run(GOOD)};
	struct verd_out v;

	in.timed_out = true;
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 3);
	UT_CHECK_STR(v.status, "timeout");
	in.interrupted = true;
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 130);
	UT_CHECK_STR(v.status, "error");
	in = (struct verd_in){
		.start_failed = true, .tap = &tap, .exit_line = -1};
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 5);
	in = (struct verd_in){.log_overflow = true,
			      .reaped = true,
			      .tap = &tap,
			      .exit_line = -1};
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 5);
	UT_CHECK(has_note(&v, "log cap"));
	in = (struct verd_in){.reaped = false, .tap = &tap, .exit_line = -1};
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 5);
	in = (struct verd_in){.reaped = true,
			      .wstatus = 0,
			      .exit_line = -1,
			      .shutdown_reason = "guest-reset",
			      .tap = &tap};
	verd_decide(&in, &v);
	UT_CHECK_EQ(v.exit, 2);
	UT_CHECK(has_note(&v, "QMP SHUTDOWN reason: guest-reset"));

	UT_CHECK_STR(verd_status_name(0), "pass");
	UT_CHECK_STR(verd_status_name(1), "fail");
	UT_CHECK_STR(verd_status_name(2), "crash");
	UT_CHECK_STR(verd_status_name(3), "timeout");
	UT_CHECK_STR(verd_status_name(4), "error");
	UT_CHECK_STR(verd_status_name(5), "error");
}

static void test_verdict_text(void)
{
	const char *dir = tmp_dir();
	char path[PATH_MAX], buf[256], line[256];
	FILE *f;
	int n = -1;

	UT_CHECK(verd_exit_line("# pinprick: exit 0", &n) && n == 0);
	UT_CHECK(verd_exit_line("# pinprick: exit 2\r", &n) && n == 2);
	UT_CHECK(verd_exit_line("# pinprick: exit 42", &n) && n == 42);
	UT_CHECK(!verd_exit_line("# pinprick: exit 123", &n));
	UT_CHECK(!verd_exit_line("# pinprick: exit", &n));
	UT_CHECK(!verd_exit_line("# pinprick: exit x", &n));
	UT_CHECK(!verd_exit_line("    # pinprick: exit 0", &n));
	UT_CHECK(!verd_exit_line("# pinprick: exit 0 now", &n));

	tap_run("TAP version 14\n1..4\nok 1\nnot ok 2\nok 3 # SKIP\nok 4 # "
		"TODO\n");
	verd_summary(line, sizeof(line), "q35", &tap, 1);
	UT_CHECK_STR(line, "pinprick-run: q35: 1 passed, 1 failed, 1 skipped, "
			   "1 todo (fail)");

	UT_CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/results", dir);
	UT_CHECK_EQ(verd_write_results(path, &tap, 1), 0);
	f = fopen(path, "r");
	UT_CHECK(f && fgets(buf, sizeof(buf), f));
	if (f)
		fclose(f);
	UT_CHECK_STR(buf,
		     "passed=1 failed=1 skipped=1 todo=1 status=fail exit=1\n");
	snprintf(path, sizeof(path), "%s/no/such/dir/results", dir);
	UT_CHECK_EQ(verd_write_results(path, &tap, 0), -1);
	rm_rf(dir);
}

/* ---- control channel ---------------------------------------------------- */

static void test_ctl_parse(void)
{
	static const char *const bad[] = {
		"",
		"PP?",
		"PP? ",
		"PP?1 hello",
		"PP? x hello",
		"PP? 1",
		"PP? 1 ",
		"PP? 1 Hello",
		"PP? 1 hel_lo",
		"PP? -1 hello",
		"PP? 1234567890 hello",
		"PP! 1 ok",
		"pp? 1 hello",
		"PP? 1hello",
		"PP? 1 hello a\x01",
		"PP? 1 hello 1 2 3 4 5 6 7 8 9",
		"PP? 1 abcdefghijklmnopqrstuvwxyzabcdefg",
		" PP? 1 hello",
	};
	struct ctl_req r;

	UT_CHECK_EQ(ctl_parse("PP? 12 hello pinprick-guest", 27, &r), 0);
	UT_CHECK_EQ(r.id, 12);
	UT_CHECK_STR(r.verb, "hello");
	UT_CHECK_EQ(r.argc, 1);
	UT_CHECK_STR(r.argv[0], "pinprick-guest");

	UT_CHECK_EQ(ctl_parse("PP? 0 balloon-target  64M\tnow \r", 31, &r), 0);
	UT_CHECK_STR(r.verb, "balloon-target");
	UT_CHECK_EQ(r.argc, 2);
	UT_CHECK_STR(r.argv[0], "64M");
	UT_CHECK_STR(r.argv[1], "now");
	UT_CHECK_EQ(ctl_parse("PP? 999999999 x", 15, &r), 0);
	UT_CHECK_EQ(r.id, 999999999);
	UT_CHECK_EQ(ctl_parse("PP? 7 hello\0zz", 14, &r), -1); /* NUL */

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (ctl_parse(bad[i], strlen(bad[i]), &r) != -1) {
			printf("    # accepted '%s'\n", bad[i]);
			UT_CHECK(!"malformed request");
		}
	}
}

static const char *ctl_answer(struct ctl *c, const char *line, bool cut,
			      uint64_t now, char *note)
{
	static char answer[CTL_ANSWER_SIZE];
	size_t n = ctl_handle(c, line, strlen(line), cut, now, answer,
			      sizeof(answer), note, CTL_NOTE_SIZE);

	if (n)
		UT_CHECK_EQ(n, strlen(answer));
	return n ? answer : "";
}

static void test_ctl_answers(void)
{
	struct ctl c;
	char note[CTL_NOTE_SIZE];
	size_t count;
	const struct ctl_verb *verbs = ctl_verbs(&count);

	UT_CHECK(count >= 1);
	UT_CHECK_STR(verbs[0].name, "hello");
	ctl_init(&c, NULL);
	UT_CHECK_STR(
		ctl_answer(&c, "PP? 1 hello pinprick-guest", false, 5000, note),
		"PP! 1 ok pinprick-run 0.1\n");
	UT_CHECK_STR(note, "");
	UT_CHECK_STR(c.guest_version, "pinprick-guest");
	UT_CHECK_STR(ctl_answer(&c, "PP? 2 hello\r", false, 5000, note),
		     "PP! 2 ok pinprick-run 0.1\n");
	UT_CHECK_STR(ctl_answer(&c, "PP? 3 hello a b", false, 5000, note),
		     "PP! 3 err bad-args\n");
	UT_CHECK_STR(ctl_answer(&c, "PP? 4 frobnicate", false, 5000, note),
		     "PP! 4 err unknown-verb\n");
	UT_CHECK_STR(note, "");
	UT_CHECK_STR(ctl_answer(&c, "garbage\x1b[0m", false, 5000, note),
		     "PP! 0 err malformed\n");
	UT_CHECK_STR(note, "control: malformed request 'garbage?[0m'");
	UT_CHECK_STR(ctl_answer(&c, "PP? 5 Hello", false, 5000, note),
		     "PP! 0 err malformed\n");
	UT_CHECK_STR(ctl_answer(&c, "PP? 6 hello xxxxxxxxxxxxxxxx", true, 5000,
				note),
		     "PP! 6 err line-too-long\n");
	UT_CHECK(strstr(note, "longer than 512") != NULL);
	UT_CHECK_STR(ctl_answer(&c, "xxxxxxxx", true, 5000, note),
		     "PP! 0 err line-too-long\n");
	UT_CHECK_STR(ctl_answer(&c, "", false, 5000, note), "");
	UT_CHECK_STR(ctl_answer(&c, "\r", false, 5000, note), "");
	UT_CHECK_EQ(c.requests, 8);
	UT_CHECK_EQ(c.errors, 6);
}

/*
 * OVMF writes its console to every serial port, COM2 included: before the
 * guest's first well-formed request such lines are neither answered (the
 * answer would be keystrokes to the firmware) nor noted, up to a bound,
 * after which a guest that only floods is treated as speaking.
 */
static void test_ctl_preboot_noise(void)
{
	struct ctl c;
	char note[CTL_NOTE_SIZE];

	ctl_init(&c, NULL);
	UT_CHECK_STR(ctl_answer(&c, "\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001",
				false, 5000, note),
		     "");
	UT_CHECK_STR(note, "");
	UT_CHECK_STR(ctl_answer(&c, "xxxxxxxx", true, 5000, note), "");
	UT_CHECK_EQ(c.preboot_lines, 2);
	UT_CHECK_EQ(c.requests, 0);
	UT_CHECK_STR(ctl_answer(&c, "PP? 1 hello g", false, 5000, note),
		     "PP! 1 ok pinprick-run 0.1\n");
	/* once the guest has spoken, garbage is an error again */
	UT_CHECK_STR(ctl_answer(&c, "garbage", false, 5000, note),
		     "PP! 0 err malformed\n");
	UT_CHECK(strstr(note, "malformed request") != NULL);

	ctl_init(&c, NULL);
	for (int i = 0; i < CTL_PREBOOT_MAX; i++)
		UT_CHECK_STR(ctl_answer(&c, "noise", false, 5000, note), "");
	UT_CHECK_STR(ctl_answer(&c, "noise", false, 5000, note),
		     "PP! 0 err malformed\n");
	UT_CHECK_EQ(c.preboot_lines, CTL_PREBOOT_MAX);
}

static void test_ctl_rate_limit(void)
{
	struct ctl c;
	char note[CTL_NOTE_SIZE], line[64];
	int ok = 0, limited = 0, notes = 0;

	ctl_init(&c, NULL);
	for (int i = 1; i <= 250; i++) {
		const char *a;

		snprintf(line, sizeof(line), "PP? %d hello", i);
		a = ctl_answer(&c, line, false, 10000 + (uint64_t)i, note);
		ok += strstr(a, " ok ") != NULL;
		limited += strstr(a, "err rate-limited") != NULL;
		notes += note[0] != '\0';
	}
	UT_CHECK_EQ(ok, CTL_RATE_LIMIT);
	UT_CHECK_EQ(limited, 50);
	UT_CHECK_EQ(notes, 1);
	UT_CHECK_STR(ctl_answer(&c, "PP? 251 hello", false, 10999, note),
		     "PP! 251 err rate-limited\n");
	/* a new second, a new allowance */
	UT_CHECK_STR(ctl_answer(&c, "PP? 252 hello", false, 11001, note),
		     "PP! 252 ok pinprick-run 0.1\n");
}

/* ---- QEMU command line and process --------------------------------------- */

static struct prof sample_prof(const char *text)
{
	struct prof p;
	char err[PROF_ERR_SIZE];

	UT_CHECK_EQ(prof_text(text, &p, err), 0);
	return p;
}

static void join_argv(const struct qemu_cmd *c, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int i = 0; i < c->argc; i++)
		util_appendf(buf, size, "%s%s", i ? "|" : "", c->argv[i]);
}

/*
 * boot = uefi: no -kernel/-append (the command line goes to pinprick.cfg),
 * OVMF code read-only and the run's own variable store as pflash, and the
 * boot disk: the ESP directory through vvfat, or an image by its type,
 * opened so that the firmware cannot write to it.
 */
static void test_qemu_build_uefi(void)
{
	struct prof p = sample_prof("machine = q35\nmemory = 256M\nboot = uefi\n"
				    "append = scenario=all\n");
	struct qemu_paths paths = {.qemu = "qemu-system-x86_64",
				   .kernel = "build/pinprick.elf",
				   .append = "verbose",
				   .qmp_sock = "/tmp/d/qmp.sock",
				   .esp_dir = "/tmp/d/esp",
				   .vars = "/tmp/d/OVMF_VARS.fd"};
	struct qemu_cmd c;
	char err[256], buf[4096], line[512];

	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK_STR(
		buf,
		"qemu-system-x86_64|-M|q35|-accel|tcg|-m|256M|-smp|1|"
		"-display|none|-nodefaults|-no-reboot|"
		"-drive|if=pflash,format=raw,readonly=on,file="
		"/usr/share/OVMF/OVMF_CODE_4M.fd|"
		"-drive|if=pflash,format=raw,file=/tmp/d/OVMF_VARS.fd|"
		"-drive|if=ide,format=raw,file=fat:rw:/tmp/d/esp|"
		"-device|isa-debug-exit,iobase=0xf4,iosize=0x04|-serial|stdio|"
		"-qmp|unix:/tmp/d/qmp.sock,server=on,wait=off");
	qemu_cmd_free(&c);
	UT_CHECK_EQ(qemu_cmdline(&p, "verbose", line, sizeof(line), err,
				 sizeof(err)),
		    0);
	UT_CHECK_STR(line, "boot=uefi scenario=all verbose");

	paths.boot_image = "build/pinprick.iso";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, "|-drive|if=ide,media=cdrom,readonly=on,format=raw,"
			     "file=build/pinprick.iso|") != NULL);
	qemu_cmd_free(&c);
	paths.boot_image = "build/pinprick.vmdk";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, "|if=ide,format=vmdk,snapshot=on,"
			     "file=build/pinprick.vmdk|") != NULL);
	qemu_cmd_free(&c);
	paths.boot_image = "build/pinprick-esp.img";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, "|if=ide,format=raw,snapshot=on,"
			     "file=build/pinprick-esp.img|") != NULL);
	qemu_cmd_free(&c);

	/* a ',' would smuggle options into -drive */
	paths.boot_image = "x.img,file.driver=ssh";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "contains ','") != NULL);
	qemu_cmd_free(&c);
	paths.boot_image = NULL;
	paths.vars = NULL;
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), -1);
	qemu_cmd_free(&c);
}

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* The run's ESP tree and variable store; all gone after uefi_remove. */
static void test_uefi_prepare(void)
{
	char dir[] = "/tmp/pinprick-ut-uefi.XXXXXX", src[PATH_MAX],
	     vars[PATH_MAX], err[512], buf[256];
	struct prof p = sample_prof("machine = q35\nmemory = 256M\nboot = uefi\n");
	struct uefi_files f;

	UT_CHECK(mkdtemp(dir) != NULL);
	snprintf(src, sizeof(src), "%s/app.efi", dir);
	snprintf(vars, sizeof(vars), "%s/vars.fd", dir);
	write_file(src, "MZ fake app");
	write_file(vars, "vars template");
	util_strlcpy(p.ovmf_vars, vars, sizeof(p.ovmf_vars));

	UT_CHECK_EQ(uefi_prepare(&p, src, "boot=uefi suite=platform", NULL,
				 dir, &f, err, sizeof(err)),
		    0);
	read_file(f.efi, buf, sizeof(buf));
	UT_CHECK_STR(buf, "MZ fake app");
	read_file(f.vars, buf, sizeof(buf));
	UT_CHECK_STR(buf, "vars template");
	read_file(f.cfg, buf, sizeof(buf));
	UT_CHECK(strstr(buf, "\nboot=uefi suite=platform\n") != NULL);
	UT_CHECK(buf[0] == '#');
	write_file(f.cfg, "changed by the guest"); /* vvfat may write */
	uefi_remove(&f);
	UT_CHECK(access(f.efi, F_OK) != 0 && access(f.vars, F_OK) != 0);
	UT_CHECK(access(f.esp_dir, F_OK) != 0);

	/* a missing EFI application is named, and nothing is left behind */
	UT_CHECK_EQ(uefi_prepare(&p, "/nonexistent/x.efi", "a", NULL, dir, &f,
				 err, sizeof(err)),
		    -1);
	UT_CHECK(strstr(err, "/nonexistent/x.efi") != NULL);
	uefi_remove(&f);
	/* --boot-image: only the variable store */
	UT_CHECK_EQ(uefi_prepare(&p, src, "a", "x.iso", dir, &f, err,
				 sizeof(err)),
		    0);
	UT_CHECK(f.esp_dir[0] == '\0' && access(f.vars, F_OK) == 0);
	uefi_remove(&f);
	util_strlcpy(p.ovmf_vars, "/nonexistent/VARS.fd", sizeof(p.ovmf_vars));
	UT_CHECK_EQ(uefi_prepare(&p, src, "a", NULL, dir, &f, err, sizeof(err)),
		    -1);
	UT_CHECK(strstr(err, "/nonexistent/VARS.fd") != NULL);
	uefi_remove(&f);
	unlink(src);
	unlink(vars);
	UT_CHECK_EQ(rmdir(dir), 0);
}

static void test_qemu_build(void)
{
	struct prof p = sample_prof(
		"machine = pc\nmemory = 128M\nappend = suite=all\n");
	struct qemu_paths paths = {.qemu = "qemu-system-x86_64",
				   .kernel = "build/pinprick.elf",
				   .append = "tap=13",
				   .com2_sock = "/tmp/d/com2.sock",
				   .qmp_sock = "/tmp/d/qmp.sock"};
	struct qemu_cmd c;
	char err[256], buf[4096];

	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK_STR(
		buf,
		"qemu-system-x86_64|-M|pc|-accel|tcg|-m|128M|-smp|1|"
		"-display|none|-nodefaults|-no-reboot|-kernel|build/"
		"pinprick.elf|"
		"-append|boot=pvh suite=all tap=13|"
		"-device|isa-debug-exit,iobase=0xf4,iosize=0x04|-serial|stdio|"
		"-serial|unix:/tmp/d/com2.sock,server=on,wait=off|"
		"-qmp|unix:/tmp/d/qmp.sock,server=on,wait=off");
	UT_CHECK(c.argv[c.argc] == NULL);
	qemu_cmd_format(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, " -append 'boot=pvh suite=all tap=13' ") != NULL);
	qemu_cmd_free(&c);

	p = sample_prof(
		"machine = microvm\nmemory = 64M\nsmp = 2\ncpu = max\n"
		"com2 = no\nqemu_args = -device virtio-balloon-device  -s\n");
	paths.com2_sock = NULL;
	paths.append = NULL;
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK_STR(
		buf,
		"qemu-system-x86_64|-M|microvm|-accel|tcg|-m|64M|-smp|2|"
		"-cpu|max|-display|none|-nodefaults|-no-reboot|"
		"-kernel|build/pinprick.elf|-append|boot=pvh|"
		"-device|isa-debug-exit,iobase=0xf4,iosize=0x04|-serial|stdio|"
		"-qmp|unix:/tmp/d/qmp.sock,server=on,wait=off|"
		"-device|virtio-balloon-device|-s");
	qemu_cmd_format(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, " -append boot=pvh ") != NULL);
	qemu_cmd_free(&c);

	paths.append = "it's";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	qemu_cmd_format(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, " -append 'boot=pvh it'\\''s' ") != NULL);
	qemu_cmd_free(&c);

	paths.qmp_sock = "/tmp/with,comma/qmp.sock";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "contains ','") != NULL);
	qemu_cmd_free(&c);
	memset(buf, 'a', 200);
	buf[0] = '/';
	buf[200] = '\0';
	paths.qmp_sock = buf;
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "too long") != NULL);
	qemu_cmd_free(&c);
}

static void test_qemu_spawn(void)
{
	struct qemu_cmd c = {
		.argc = 3,
		.argv = {"sh", "-c",
			 "printf 'to com1\\n'; echo to-stderr >&2; "
			 "read x; echo \"stdin=[$x]\"; exit 7",
			 NULL}};
	struct qemu_cmd bad = {.argc = 1, .argv = {"/nonexistent/qemu", NULL}};
	struct qemu_proc p;
	char err[256], buf[256];
	ssize_t n;
	size_t got = 0;

	UT_CHECK_EQ(qemu_spawn(&c, &p, err, sizeof(err)), 0);
	UT_CHECK(qemu_reap(&p, true));
	UT_CHECK(WIFEXITED(p.wstatus) && WEXITSTATUS(p.wstatus) == 7);
	while ((n = read(p.out_fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	UT_CHECK_STR(buf, "to com1\nstdin=[]\n");
	n = read(p.err_fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	UT_CHECK_STR(buf, "to-stderr\n");
	qemu_kill(&p, SIGKILL); /* reaped: must not signal anything */
	qemu_close(&p);

	UT_CHECK_EQ(qemu_spawn(&bad, &p, err, sizeof(err)), -1);
	UT_CHECK_STR(
		err,
		"cannot run '/nonexistent/qemu': No such file or directory");
	UT_CHECK_EQ(p.out_fd, -1);
}

/* ---- QMP client against a fake server --------------------------------- */

/* One '\n'-terminated line from fd, in the fake server; -1 at EOF. */
static int srv_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char ch;

	while (read(fd, &ch, 1) == 1) {
		if (ch == '\n') {
			buf[n] = '\0';
			return 0;
		}
		if (n + 1 < size)
			buf[n++] = ch;
	}
	return -1;
}

static long srv_id(const char *line)
{
	const char *p = strstr(line, "\"id\":");

	return p ? strtol(p + 5, NULL, 10) : -1;
}

static void srv_send(int fd, const char *text)
{
	if (util_write_all(fd, text, strlen(text)))
		_exit(2);
}

static void srv_sendf(int fd, const char *fmt, long id)
{
	char buf[512];

	snprintf(buf, sizeof(buf), fmt, id);
	srv_send(fd, buf);
}

#define GREETING                                                               \
	"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, "                 \
	"\"capabilities\": []}}\r\n"

enum { SRV_FULL, SRV_BAD_GREETING, SRV_SILENT, SRV_HANGUP, SRV_CAPS_ERROR };

/* The fake QEMU: a script of answers, one per expected command. */
static void fake_qmp(int fd, int scenario)
{
	char line[4096];
	long id, slow_id = -1;
	char *big;

	switch (scenario) {
	case SRV_BAD_GREETING:
		srv_send(fd, "hello, I am not QEMU\r\n");
		break;
	case SRV_HANGUP:
		_exit(0);
	case SRV_CAPS_ERROR:
		srv_send(fd, GREETING);
		if (!srv_line(fd, line, sizeof(line)))
			srv_sendf(fd,
				  "{\"error\": {\"class\": \"GenericError\", "
				  "\"desc\": \"no\"}, \"id\": %ld}\r\n",
				  srv_id(line));
		break;
	case SRV_FULL:
		srv_send(fd, GREETING);
		while (!srv_line(fd, line, sizeof(line))) {
			id = srv_id(line);
			if (strstr(line, "qmp_capabilities")) {
				srv_sendf(fd,
					  "{\"return\": {}, \"id\": %ld}\r\n",
					  id);
			} else if (strstr(line, "query-status")) {
				srv_send(fd, "{\"timestamp\": {\"seconds\": 1, "
					     "\"microseconds\": 2}, \"event\": "
					     "\"STOP\"}\r\n");
				srv_sendf(
					fd,
					"{\"return\": {\"status\": \"paused\", "
					"\"running\": false}, \"id\": %ld}\r\n",
					id);
			} else if (strstr(line, "bogus")) {
				srv_sendf(fd,
					  "{\"id\": %ld, \"error\": "
					  "{\"class\": \"CommandNotFound\", "
					  "\"desc\": \"The command bogus has "
					  "not been found\"}}\r\n",
					  id);
			} else if (strstr(line, "malformed")) {
				srv_send(fd, "{\"return\": {not json\r\n");
			} else if (strstr(line, "\"slow\"")) {
				if (!strstr(line, "\"arguments\":{\"a\":1}"))
					_exit(3);
				slow_id = id; /* answered late, below */
			} else if (strstr(line, "after")) {
				srv_sendf(fd,
					  "{\"return\": {\"late\": true}, "
					  "\"id\": %ld}\r\n",
					  slow_id);
				srv_sendf(fd,
					  "{\"return\": {\"fine\": true}, "
					  "\"id\": %ld}\r\n",
					  id);
			} else if (strstr(line, "flood")) {
				for (int i = 0; i < 100; i++)
					srv_sendf(fd,
						  "{\"event\": \"E%ld\"}\r\n",
						  i);
				srv_sendf(fd,
					  "{\"return\": {}, \"id\": %ld}\r\n",
					  id);
			} else if (strstr(line, "big")) {
				big = malloc(QMP_MAX_MSG + 100);
				memset(big, 'x', QMP_MAX_MSG + 99);
				big[QMP_MAX_MSG + 99] = '\0';
				srv_send(fd, "{\"return\": \"");
				srv_send(fd, big);
				srv_sendf(fd, "\", \"id\": %ld}\r\n", id);
				free(big);
			} else if (strstr(line, "quit")) {
				srv_sendf(fd,
					  "{\"return\": {}, \"id\": %ld}\r\n",
					  id);
				srv_send(
					fd,
					"{\"event\": \"SHUTDOWN\", \"data\": "
					"{\"reason\": \"host-qmp-quit\"}}\r\n");
				_exit(0);
			}
		}
		_exit(0);
	}
	/* SRV_SILENT and the rest: wait for the client to hang up */
	while (!srv_line(fd, line, sizeof(line)))
		;
	_exit(0);
}

static pid_t fake_start(int scenario, int *client_fd)
{
	int sv[2];
	pid_t pid;

	UT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		fake_qmp(sv[1], scenario);
	}
	close(sv[1]);
	*client_fd = sv[0];
	return pid;
}

static void fake_end(pid_t pid)
{
	int st = -1;

	UT_CHECK_EQ(waitpid(pid, &st, 0), pid);
	UT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_qmp_session(void)
{
	struct qmp *q;
	struct qmp_error err = {"", ""};
	json_t *r = NULL, *ev;
	uint64_t t0;
	int fd, events = 0;
	pid_t pid = fake_start(SRV_FULL, &fd);

	UT_CHECK_EQ(qmp_open(&q, fd, 2000, &err), QMP_OK);
	if (!q)
		return;
	UT_CHECK_EQ(qmp_execute(q, "query-status", NULL, 2000, &r), QMP_OK);
	UT_CHECK_STR(json_string_value(json_object_get(r, "status")) ?: "",
		     "paused");
	UT_CHECK(json_is_false(json_object_get(r, "running")));
	json_decref(r);
	ev = qmp_pop_event(q);
	UT_CHECK_STR(json_string_value(json_object_get(ev, "event")) ?: "",
		     "STOP");
	json_decref(ev);
	UT_CHECK(qmp_pop_event(q) == NULL);

	UT_CHECK_EQ(qmp_execute(q, "bogus", NULL, 2000, &r), QMP_ERR_REMOTE);
	UT_CHECK(r == NULL);
	UT_CHECK_STR(qmp_last_error(q)->cls, "CommandNotFound");
	UT_CHECK_STR(qmp_last_error(q)->desc,
		     "The command bogus has not been found");

	UT_CHECK_EQ(qmp_execute(q, "malformed", NULL, 2000, &r), QMP_ERR_PROTO);
	UT_CHECK(strstr(qmp_last_error(q)->desc, "malformed message") != NULL);

	t0 = util_now_ms();
	UT_CHECK_EQ(qmp_execute(q, "slow", "{\"a\": 1}", 200, &r),
		    QMP_ERR_TIMEOUT);
	UT_CHECK(util_now_ms() - t0 >= 195 && util_now_ms() - t0 < 1500);
	/* the late answer to "slow" must not be taken for this one's */
	UT_CHECK_EQ(qmp_execute(q, "after", NULL, 2000, &r), QMP_OK);
	UT_CHECK(json_is_true(json_object_get(r, "fine")));
	UT_CHECK(json_object_get(r, "late") == NULL);
	json_decref(r);

	UT_CHECK_EQ(qmp_execute(q, "flood", NULL, 2000, NULL), QMP_OK);
	while ((ev = qmp_pop_event(q))) {
		if (!events)
			UT_CHECK_STR(
				json_string_value(json_object_get(ev, "event"))
					?: "",
				"E36");
		events++;
		json_decref(ev);
	}
	UT_CHECK_EQ(events, QMP_MAX_EVENTS);
	UT_CHECK_EQ(qmp_events_dropped(q), 100 - QMP_MAX_EVENTS);

	UT_CHECK_EQ(qmp_execute(q, "x", "[1]", 2000, &r), QMP_ERR_PROTO);
	UT_CHECK_EQ(qmp_execute(q, "x", "{bad", 2000, &r), QMP_ERR_PROTO);
	UT_CHECK_EQ(qmp_execute(q, "big", NULL, 5000, &r), QMP_ERR_PROTO);
	UT_CHECK(strstr(qmp_last_error(q)->desc, "longer than") != NULL);

	/* quit: answered, then an event, then the socket closes */
	UT_CHECK_EQ(qmp_execute(q, "quit", NULL, 2000, NULL), QMP_OK);
	fake_end(pid);
	UT_CHECK_EQ(qmp_pump(q), QMP_ERR_IO);
	ev = qmp_pop_event(q);
	UT_CHECK_STR(json_string_value(json_object_get(ev, "event")) ?: "",
		     "SHUTDOWN");
	json_decref(ev);
	UT_CHECK_EQ(qmp_execute(q, "query-status", NULL, 2000, &r), QMP_ERR_IO);
	qmp_close(q);
}

static void test_qmp_bad_servers(void)
{
	struct qmp *q = (struct qmp *)1;
	struct qmp_error err;
	uint64_t t0;
	int fd;
	pid_t pid;

	pid = fake_start(SRV_BAD_GREETING, &fd);
	UT_CHECK_EQ(qmp_open(&q, fd, 2000, &err), QMP_ERR_PROTO);
	UT_CHECK(q == NULL);
	UT_CHECK(strstr(err.desc, "malformed") != NULL);
	fake_end(pid);

	pid = fake_start(SRV_SILENT, &fd);
	t0 = util_now_ms();
	UT_CHECK_EQ(qmp_open(&q, fd, 150, &err), QMP_ERR_TIMEOUT);
	UT_CHECK(util_now_ms() - t0 >= 145);
	fake_end(pid);

	pid = fake_start(SRV_HANGUP, &fd);
	UT_CHECK_EQ(qmp_open(&q, fd, 2000, &err), QMP_ERR_IO);
	fake_end(pid);

	pid = fake_start(SRV_CAPS_ERROR, &fd);
	UT_CHECK_EQ(qmp_open(&q, fd, 2000, &err), QMP_ERR_REMOTE);
	UT_CHECK_STR(err.cls, "GenericError");
	fake_end(pid);

	UT_CHECK_EQ(qmp_connect(&q, "/nonexistent/qmp.sock", 100, &err),
		    QMP_ERR_IO);
	UT_CHECK(strstr(err.desc, "No such file") != NULL);
}

/* ---- whole sessions, with a shell script as "QEMU" ----------------------- */

static int session(const char *script, unsigned timeout, uint64_t log_max,
		   struct sess_out *out, struct verd_out *v, char *log_path)
{
	struct qemu_cmd cmd = {.argc = 3,
			       .argv = {"sh", "-c", (char *)script, NULL}};
	struct sess_cfg cfg = {.log_path = log_path,
			       .log_max = log_max,
			       .timeout_s = timeout,
			       .quiet = true,
			       .qmp_sock = "/nonexistent/qmp.sock"};
	int rc;

	tapp_init(&tap);
	rc = sess_run(&cfg, &cmd, &tap, out);
	verd_decide(&out->vin, v);
	return rc;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_size;
}

/* Does the file end with text? (the runner's trailer notes in the log) */
static bool file_ends_with(const char *path, const char *text)
{
	char buf[512];
	size_t len = strlen(text);
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = len < sizeof(buf) && !fseek(f, -(long)len, SEEK_END) &&
	     fread(buf, 1, len, f) == len && !memcmp(buf, text, len);
	fclose(f);
	return ok;
}

static void test_session_end_to_end(void)
{
	static struct sess_out out;
	struct verd_out v;
	const char *dir = tmp_dir();
	char log[PATH_MAX];
	uint64_t t0;
	sigset_t old;

	UT_CHECK(dir != NULL);
	if (!dir)
		return;
	sigprocmask(SIG_BLOCK, NULL, &old);
	snprintf(log, sizeof(log), "%s/logs/deeper/run.log", dir);

	/* pass: debug-exit 0x10, the log holds the bytes as sent */
	UT_CHECK_EQ(session("printf 'TAP version 14\\r\\n1..1\\nok 1 - a\\n"
			    "# pinprick: exit 0\\n'; exit 33",
			    10, 1 << 20, &out, &v, log),
		    0);
	UT_CHECK_EQ(v.exit, 0);
	UT_CHECK_EQ(out.vin.exit_line, 0);
	UT_CHECK_EQ(tap.passed, 1);
	UT_CHECK_EQ(file_size(log), 49);

	/* the last line needs no newline */
	session("printf 'TAP version 14\\n1..1\\nnot ok 1'; exit 35", 10,
		1 << 20, &out, &v, log);
	UT_CHECK_EQ(v.exit, 1);
	UT_CHECK_EQ(tap.failed, 1);

	/* QEMU refuses to start: stderr is kept */
	session("echo 'qemu-system-x86_64: -M nope: unsupported machine' >&2; "
		"exit 1",
		10, 1 << 20, &out, &v, log);
	UT_CHECK_EQ(v.exit, 5);
	UT_CHECK(strstr(out.qemu_stderr, "unsupported machine\n") != NULL);

	/* a hung guest: stopped at the deadline (no QMP here: SIGTERM) */
	t0 = util_now_ms();
	session("printf 'TAP version 14\\n1..1\\n'; exec sleep 30", 1, 1 << 20,
		&out, &v, log);
	UT_CHECK_EQ(v.exit, 3);
	UT_CHECK(out.vin.timed_out);
	UT_CHECK(util_now_ms() - t0 < 4000);
	/* the log is kept, and says why it ends there */
	UT_CHECK(file_ends_with(log, "1..1\n# pinprick-run: timeout after 1 s; "
				     "QEMU stopped; the log holds all the "
				     "guest sent until then\n"));

	/* a flood: the log is capped, QEMU stopped, the run is an error */
	t0 = util_now_ms();
	session("while :; do echo yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy; done",
		20, 100000, &out, &v, log);
	UT_CHECK_EQ(v.exit, 5);
	UT_CHECK(out.vin.log_overflow);
	/* the cap, then the runner's note on a line of its own */
	UT_CHECK(file_size(log) > 100000 && file_size(log) < 100000 + 200);
	UT_CHECK(file_ends_with(log, "\n# pinprick-run: log cap of 100000 "
				     "bytes reached; QEMU stopped\n"));
	UT_CHECK(util_now_ms() - t0 < 10000);

	/* an over-long line is cut for TAP but logged whole */
	session("printf 'TAP version 14\\n1..1\\n'; head -c 10000 /dev/zero | "
		"tr '\\0' x;"
		"printf '\\nok 1\\n'; exit 33",
		10, 1 << 20, &out, &v, log);
	UT_CHECK_EQ(v.exit, 0);
	{
		const char *note = "# pinprick-run: 1 guest line(s) longer than "
				   "4096 bytes were cut; the longest had "
				   "10000 bytes\n";

		UT_CHECK_EQ(file_size(log), 20 + 10000 + 6 + strlen(note));
		UT_CHECK(file_ends_with(log, note));
	}

	/* --gcov: the dump sees every COM1 line, numbered as in the log */
	{
		struct qemu_cmd cmd = {
			.argc = 3,
			.argv = {"sh", "-c",
				 "printf 'TAP version 14\\r\\n"
				 "# gcov: begin objects=1\\r\\n"
				 "# gcov: data 0 0 00\\n'; exit 33",
				 NULL}};
		static struct gcovr g;
		struct sess_cfg cfg = {.log_path = log,
				       .log_max = 1000,
				       .timeout_s = 5,
				       .quiet = true,
				       .gcov = &g,
				       .qmp_sock = "/nonexistent/q"};

		UT_CHECK_EQ(gcovr_init(&g, dir), 0);
		tapp_init(&tap);
		UT_CHECK_EQ(sess_run(&cfg, &cmd, &tap, &out), 0);
		UT_CHECK_EQ(gcovr_finish(&g), -1);
		UT_CHECK_STR(g.reason, "a data line before any file line "
				       "(serial line 3)");
		gcovr_free(&g);
	}

	/* the binary does not exist */
	{
		struct qemu_cmd cmd = {.argc = 1,
				       .argv = {"/nonexistent/qemu", NULL}};
		struct sess_cfg cfg = {.log_path = log,
				       .log_max = 1000,
				       .timeout_s = 5,
				       .quiet = true,
				       .qmp_sock = "/nonexistent/q"};

		tapp_init(&tap);
		UT_CHECK_EQ(sess_run(&cfg, &cmd, &tap, &out), -1);
		UT_CHECK(strstr(out.error, "cannot run '/nonexistent/qemu'") !=
			 NULL);
		verd_decide(&out.vin, &v);
		UT_CHECK_EQ(v.exit, 5);
	}
	/* the log cannot be created */
	tapp_init(&tap);
	UT_CHECK_EQ(session("exit 33", 5, 1000, &out, &v, "/proc/nope/x.log"),
		    -1);
	UT_CHECK(strstr(out.error, "cannot create log") != NULL);

	sigprocmask(SIG_SETMASK, &old, NULL);
	rm_rf(dir);
}

UT_MAIN(UT_TEST(test_prof_good), UT_TEST(test_prof_defaults),
	UT_TEST(test_prof_errors), UT_TEST(test_prof_limits),
	UT_TEST(test_prof_memory_syntax), UT_TEST(test_prof_shipped),
	UT_TEST(test_prof_lookup), UT_TEST(test_opts),
	UT_TEST(test_opts_errors), UT_TEST(test_tapl_lex),
	UT_TEST(test_tap_simple), UT_TEST(test_tap_fail_skip_todo),
	UT_TEST(test_tap_subtests), UT_TEST(test_tap_summary_rules),
	UT_TEST(test_tap_yaml), UT_TEST(test_tap_bail), UT_TEST(test_tap_plans),
	UT_TEST(test_tap_numbers_and_version),
	UT_TEST(test_tap_structure_errors), UT_TEST(test_tap_garbage),
	UT_TEST(test_tap_long_lines), UT_TEST(test_tap_bounds),
	UT_TEST(test_linebuf), UT_TEST(test_linebuf_partial),
	UT_TEST(test_verdict_table), UT_TEST(test_verdict_run_states),
	UT_TEST(test_verdict_text), UT_TEST(test_ctl_parse),
	UT_TEST(test_ctl_answers), UT_TEST(test_ctl_rate_limit),
	UT_TEST(test_qemu_build),
	UT_TEST(test_qemu_build_uefi), UT_TEST(test_uefi_prepare),
	UT_TEST(test_ctl_preboot_noise), UT_TEST(test_qemu_spawn),
	UT_TEST(test_qmp_session), UT_TEST(test_qmp_bad_servers),
	UT_TEST(test_session_end_to_end))
