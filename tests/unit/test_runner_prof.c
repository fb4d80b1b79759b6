/*
 * test_runner_prof.c - unit tests for what the runner is told before a
 * run: profile files (host/runner/profile.c, prof_lookup.c) - good and
 * default values, every refusal with its message, size limits, memory
 * sizes, the shipped profiles, finding a profile by name or path - and
 * the command-line options (opts.c). Both are the runner's input from
 * the user, checked before anything starts.
 */
#include "tests/unit/runner_rig.h"

#include <fcntl.h>
#include <stdarg.h>

#include "host/runner/opts.h"

/* ---- profiles ----------------------------------------------------------- */

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

UT_MAIN(UT_TEST(test_prof_good), UT_TEST(test_prof_defaults),
	UT_TEST(test_prof_errors), UT_TEST(test_prof_limits),
	UT_TEST(test_prof_memory_syntax), UT_TEST(test_prof_shipped),
	UT_TEST(test_prof_lookup), UT_TEST(test_opts),
	UT_TEST(test_opts_errors))
