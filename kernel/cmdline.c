/*
 * cmdline.c - parse "key=value key2 flag" into struct cmdline_opts.
 *
 * Tokens are split on spaces and tabs and copied into o->buf, so the
 * result does not point into the loader's memory. Values are checked
 * strictly (whole token, no overflow); errors quote the offending text.
 */
#include "kernel/cmdline.h"
#include "kernel/printf.h"
#include "kernel/string.h"

struct opt {
	const char *key;
	bool needs_value;
	bool (*set)(struct cmdline_opts *o, char *val);
	const char *what; /* expected form, for the error message */
};

static bool split_list(char *val, const char **out, unsigned *n)
{
	char *p = val;

	*n = 0;
	if (!*val)
		return false;
	for (;;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (!*p || *n == CMD_MAX_NAMES)
			return false;
		out[(*n)++] = p;
		if (!comma)
			return true;
		p = comma + 1;
	}
}

static bool set_suite(struct cmdline_opts *o, char *v)
{
	return split_list(v, o->suites, &o->nr_suites);
}

static bool set_scenario(struct cmdline_opts *o, char *v)
{
	return split_list(v, o->scenarios, &o->nr_scenarios);
}

static bool set_seed(struct cmdline_opts *o, char *v)
{
	/* A malformed seed= must not undo an earlier good one. */
	if (!str_to_u64(v, strlen(v), &o->seed))
		return false;
	o->seed_set = true;
	return true;
}

static bool set_verbose(struct cmdline_opts *o, char *v)
{
	o->verbose = true;
	return true;
}

/* Read by the UEFI loader (boot/efi/efi_main.c); the kernel checks it. */
static bool set_stale_key(struct cmdline_opts *o, char *v)
{
	o->efi_stale_key = true;
	return true;
}

static bool set_follow_dirty(struct cmdline_opts *o, char *v)
{
	o->follow_dirty = true;
	return true;
}

/* Ranges as drivers/virtio/vbal.c clamps them (one page of PFNs, VBAL_MAX_BUFS). */
static bool set_small(unsigned *out, const char *v, uint64_t max)
{
	uint64_t x;

	if (!str_to_u64(v, strlen(v), &x) || x == 0 || x > max)
		return false;
	*out = (unsigned)x;
	return true;
}

static bool set_vbal_batch(struct cmdline_opts *o, char *v)
{
	return set_small(&o->vbal_batch, v, 1024);
}

static bool set_vbal_bufs(struct cmdline_opts *o, char *v)
{
	return set_small(&o->vbal_bufs, v, 16);
}

static bool set_budget(struct cmdline_opts *o, char *v)
{
	uint64_t ms;

	if (!str_to_u64(v, strlen(v), &ms) || ms == 0 || ms > 3600000)
		return false;
	o->budget_ms = ms;
	return true;
}

static bool set_tap(struct cmdline_opts *o, char *v)
{
	if (!strcmp(v, "13"))
		o->tap_version = 13;
	else if (!strcmp(v, "14"))
		o->tap_version = 14;
	else
		return false;
	return true;
}

static bool set_reserve(struct cmdline_opts *o, char *v)
{
	size_t n = strlen(v);
	uint64_t mult = 0, x; /* 0: a page count */

	if (n && (v[n - 1] == 'K' || v[n - 1] == 'k'))
		mult = 1ull << 10;
	else if (n && (v[n - 1] == 'M' || v[n - 1] == 'm'))
		mult = 1ull << 20;
	else if (n && (v[n - 1] == 'G' || v[n - 1] == 'g'))
		mult = 1ull << 30;
	if (mult)
		n--;
	if (!str_to_u64(v, n, &x))
		return false;
	if (mult) {
		if (x > (UINT64_MAX >> 30))
			return false;
		x = x * mult / 4096;
	}
	o->reserve_pages = x;
	o->reserve_set = true;
	return true;
}

static bool set_exit(struct cmdline_opts *o, char *v)
{
	static const char *const names[] = { "auto", "debugexit", "acpi",
					     "halt" };

	for (unsigned i = 0; i < 4; i++) {
		if (!strcmp(v, names[i])) {
			o->exit = (enum exit_method)i;
			return true;
		}
	}
	return false;
}

static bool set_run(struct cmdline_opts *o, char *v)
{
	if (!strcmp(v, "tests"))
		o->run = RUN_TESTS;
	else if (!strcmp(v, "follow"))
		o->run = RUN_FOLLOW;
	else
		return false;
	return true;
}

static bool set_boot(struct cmdline_opts *o, char *v)
{
	if (!strcmp(v, "pvh"))
		o->expect_boot = BOOT_PVH;
	else if (!strcmp(v, "uefi"))
		o->expect_boot = BOOT_UEFI;
	else
		return false;
	return true;
}

static bool set_virtio_mmio(struct cmdline_opts *o, char *v)
{
	if (!*v || !strchr(v, '@') || o->nr_virtio_mmio == CMD_MAX_MMIO)
		return false;
	o->virtio_mmio[o->nr_virtio_mmio++] = v;
	return true;
}

static const struct opt options[] = {
	{ "suite", true, set_suite, "a comma-separated list of suite names" },
	{ "scenario", true, set_scenario, "a comma-separated list of names" },
	{ "seed", true, set_seed, "a number (decimal or 0x hex)" },
	{ "verbose", false, set_verbose, "no value" },
	{ "budget", true, set_budget, "milliseconds, 1 to 3600000" },
	{ "tap", true, set_tap, "13 or 14" },
	{ "reserve", true, set_reserve, "pages, or a size with K, M or G" },
	{ "exit", true, set_exit, "auto, debugexit, acpi or halt" },
	{ "virtio_mmio.device", true, set_virtio_mmio, "SIZE@BASE:IRQ" },
	{ "run", true, set_run, "tests or follow" },
	{ "boot", true, set_boot, "pvh or uefi" },
	{ "efi.stale_key", false, set_stale_key, "no value" },
	{ "follow_dirty", false, set_follow_dirty, "no value" },
	{ "vbal.batch", true, set_vbal_batch, "PFNs a buffer, 1 to 1024" },
	{ "vbal.bufs", true, set_vbal_bufs, "buffers in flight, 1 to 16" },
};

static void add_error(struct cmdline_opts *o, const char *fmt, const char *a,
		      const char *b)
{
	if (o->nr_errors == CMD_MAX_ERRORS) {
		o->errors_dropped++;
		return;
	}
	ksnprintf(o->errors[o->nr_errors++], CMD_ERROR_LEN, fmt, a, b);
}

static void parse_token(struct cmdline_opts *o, char *tok)
{
	char *eq = strchr(tok, '=');
	char *val = eq ? eq + 1 : NULL;
	char orig[CMD_ERROR_LEN / 2];

	strlcpy(orig, tok, sizeof(orig));
	if (eq)
		*eq = '\0';
	for (unsigned i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct opt *op = &options[i];

		if (strcmp(tok, op->key))
			continue;
		if (op->needs_value != (val != NULL) ||
		    !op->set(o, val ? val : tok)) {
			add_error(o, "malformed option \"%s\": expected %s",
				  orig, op->what);
			return;
		}
		o->nr_options++;
		return;
	}
	add_error(o, "unknown option \"%s\"%s", orig, "");
}

unsigned cmdline_parse(const char *s, struct cmdline_opts *o)
{
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	o->seed = CMD_DEFAULT_SEED;
	o->tap_version = 14;
	o->budget_ms = CMD_DEFAULT_BUDGET_MS;
	o->exit = EXIT_AUTO;
	if (!s)
		return 0;
	strlcpy(o->buf, s, sizeof(o->buf));
	if (strlen(s) >= sizeof(o->buf))
		add_error(o, "command line longer than %s bytes: cut%s", "2047",
			  "");

	while (o->buf[n]) {
		char *tok;

		while (o->buf[n] == ' ' || o->buf[n] == '\t')
			n++;
		if (!o->buf[n])
			break;
		tok = &o->buf[n];
		while (o->buf[n] && o->buf[n] != ' ' && o->buf[n] != '\t')
			n++;
		if (o->buf[n])
			o->buf[n++] = '\0';
		parse_token(o, tok);
	}
	return o->nr_errors;
}

bool cmdline_wants_suite(const struct cmdline_opts *o, const char *name,
			 bool explicit_only)
{
	if (o->nr_suites == 0)
		return !explicit_only;
	for (unsigned i = 0; i < o->nr_suites; i++)
		if (!strcmp(o->suites[i], name) ||
		    (!explicit_only && !strcmp(o->suites[i], "all")))
			return true;
	return false;
}
