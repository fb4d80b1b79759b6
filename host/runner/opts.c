/*
 * opts.c - parses the runner's options (see opts.h). Both "--opt value" and
 * "--opt=value" work; anything unknown, missing or out of range is an
 * error with a message, never a guess.
 */
#include "host/runner/opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/runner/util.h"

enum opt_kind { OPT_STR, OPT_SECONDS, OPT_MS, OPT_FLAG, OPT_DIR };

struct opt_def {
	const char *name;
	enum opt_kind kind;
	size_t offset;
};

#define OPT_STR_(n, f)                                                         \
	{                                                                      \
		n, OPT_STR, offsetof(struct opts, f)                           \
	}
#define OPT_FLAG_(n, f)                                                        \
	{                                                                      \
		n, OPT_FLAG, offsetof(struct opts, f)                          \
	}

static const struct opt_def opt_defs[] = {
	OPT_STR_("profile", profile),
	OPT_STR_("qemu", qemu),
	OPT_STR_("kernel", kernel),
	OPT_STR_("efi", efi),
	OPT_STR_("boot-image", boot_image),
	{"timeout", OPT_SECONDS, offsetof(struct opts, timeout)},
	OPT_STR_("log", log),
	OPT_STR_("append", append),
	OPT_STR_("results", results),
	OPT_STR_("junit", junit),
	OPT_STR_("csv", csv),
	OPT_STR_("html", html),
	{"sample-ms", OPT_MS, offsetof(struct opts, sample_ms)},
	{"gcov", OPT_DIR, offsetof(struct opts, gcov)},
	OPT_FLAG_("progress", progress),
	OPT_FLAG_("quiet", quiet),
	OPT_FLAG_("verbose", verbose),
	OPT_FLAG_("list-profiles", list_profiles),
	OPT_FLAG_("help", help),
};

void opt_usage(FILE *f)
{
	fputs("usage: pinprick-run [options]\n"
	      "Boots the pinprick kernel under QEMU (TCG) with a profile, "
	      "streams its\n"
	      "TAP from COM1 and exits 0 only if every check passed.\n"
	      "\n"
	      "  --profile NAME|PATH  QEMU configuration (default pc): NAME "
	      "is\n"
	      "                       host/profiles/NAME.conf; a PATH with '/' "
	      "or\n"
	      "                       ending in .conf is used as is\n"
	      "  --qemu PATH          QEMU binary (default "
	      "qemu-system-x86_64)\n"
	      "  --kernel PATH        kernel ELF (default build/pinprick.elf)\n"
	      "  --efi PATH           boot = uefi profiles: the EFI loader\n"
	      "                       (default build/pinprick.efi)\n"
	      "  --boot-image PATH    boot = uefi profiles: boot this ESP, "
	      "disk,\n"
	      "                       .iso or .vmdk (make images) as it is; "
	      "its own\n"
	      "                       pinprick.cfg gives the command line\n"
	      "  --timeout S          wall-clock limit in seconds (default: "
	      "profile's)\n"
	      "  --log FILE           raw COM1 log (default "
	      "build/logs/PROFILE.log)\n"
	      "  --append TEXT        added to the kernel command line\n"
	      "  --results FILE       write passed=N failed=N ... status=... "
	      "exit=N\n"
	      "  --junit FILE         write the results as JUnit XML\n"
	      "  --csv FILE           write the balloon time series as CSV\n"
	      "  --html FILE          write a self-contained HTML report "
	      "with a plot\n"
	      "  --sample-ms N        runner's host-RSS sampling period, "
	      "20..60000\n"
	      "                       (default 100; with --csv or --html)\n"
	      "  --gcov DIR           a coverage kernel's .gcda dump: verify, "
	      "then write\n"
	      "                       or merge the files, which must lie "
	      "under DIR\n"
	      "  --progress           one line per suite and scenario on "
	      "stderr\n"
	      "                       (always on with --quiet)\n"
	      "  --quiet              do not echo the guest's output\n"
	      "  --verbose            show the QEMU command line, QMP events, "
	      "stderr\n"
	      "  --list-profiles      list profiles and their descriptions\n"
	      "  --help               this text\n"
	      "\n"
	      "exit status: 0 all passed, 1 a check failed, 2 crash or Bail "
	      "out,\n"
	      "3 timeout, 4 usage or profile error, 5 QEMU failed, 130 "
	      "interrupted\n",
	      f);
}

/* An existing directory, made absolute and free of symbolic links. */
static int opt_dir(const char *name, const char *value, char *dir, char *err,
		   size_t err_size)
{
	struct stat st;

	if (!*value) {
		snprintf(err, err_size, "--%s needs a non-empty value", name);
		return -1;
	}
	if (!realpath(value, dir)) {
		snprintf(err, err_size, "--%s %.200s: %s", name, value,
			 strerror(errno));
		dir[0] = '\0';
		return -1;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, err_size, "--%s %.200s: not a directory", name,
			 value);
		dir[0] = '\0';
		return -1;
	}
	return 0;
}

static int opt_set(struct opts *o, const struct opt_def *d, const char *value,
		   char *err, size_t err_size)
{
	void *field = (char *)o + d->offset;
	unsigned long n;

	if (d->kind == OPT_STR) {
		if (!*value) {
			snprintf(err, err_size, "--%s needs a non-empty value",
				 d->name);
			return -1;
		}
		*(const char **)field = value;
		return 0;
	}
	if (d->kind == OPT_DIR)
		return opt_dir(d->name, value, field, err, err_size);
	if (d->kind == OPT_MS) {
		if (!util_parse_uint(value, 20, 60000, &n)) {
			snprintf(err, err_size,
				 "--%s: bad number of milliseconds '%.32s' "
				 "(want 20..60000)",
				 d->name, value);
			return -1;
		}
		*(unsigned *)field = (unsigned)n;
		return 0;
	}
	if (!util_parse_uint(value, 1, 86400, &n)) {
		snprintf(err, err_size,
			 "--%s: bad number of seconds '%.32s' (want 1..86400)",
			 d->name, value);
		return -1;
	}
	*(unsigned *)field = (unsigned)n;
	return 0;
}

int opt_parse(int argc, char **argv, struct opts *o, char *err, size_t err_size)
{
	memset(o, 0, sizeof(*o));
	o->profile = OPT_DEFAULT_PROFILE;
	o->qemu = OPT_DEFAULT_QEMU;
	o->kernel = OPT_DEFAULT_KERNEL;
	o->efi = OPT_DEFAULT_EFI;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *value = NULL;
		const struct opt_def *d = NULL;
		size_t len;

		if (!strcmp(arg, "-h"))
			arg = "--help";
		if (strncmp(arg, "--", 2) || !arg[2]) {
			snprintf(err, err_size,
				 "unexpected argument '%.64s' (options start "
				 "with --; try --help)",
				 arg);
			return -1;
		}
		name = arg + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		for (size_t j = 0; j < ARRAY_SIZE(opt_defs); j++)
			if (strlen(opt_defs[j].name) == len &&
			    !strncmp(opt_defs[j].name, name, len))
				d = &opt_defs[j];
		if (!d) {
			snprintf(err, err_size,
				 "unknown option '--%.*s' (try --help)",
				 (int)(len > 64 ? 64 : len), name);
			return -1;
		}
		if (d->kind == OPT_FLAG) {
			if (eq) {
				snprintf(err, err_size, "--%s takes no value",
					 d->name);
				return -1;
			}
			*(bool *)((char *)o + d->offset) = true;
			continue;
		}
		if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			snprintf(err, err_size, "--%s needs a value", d->name);
			return -1;
		}
		if (opt_set(o, d, value, err, err_size))
			return -1;
	}
	return 0;
}
