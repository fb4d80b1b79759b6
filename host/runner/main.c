/*
 * main.c - pinprick-run: boots the pinprick kernel under QEMU with a
 * profile and turns its TAP into an exit status. This file only wires the
 * pieces together (options, profile, QEMU command line, session, verdict,
 * report, coverage dump); each piece lives, and is unit-tested, in its
 * own file.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "host/runner/gcov_rec.h"
#include "host/runner/junit.h"
#include "host/runner/opts.h"
#include "host/runner/outfile.h"
#include "host/runner/profile.h"
#include "host/runner/qemu.h"
#include "host/runner/report_html.h"
#include "host/runner/series.h"
#include "host/runner/session.h"
#include "host/runner/tap_parse.h"
#include "host/runner/uefi.h"
#include "host/runner/util.h"
#include "host/runner/verdict.h"
#include "host/runner/vmw_bridge.h"

struct run {
	struct opts o;
	struct prof prof;
	struct tapp tap;
	struct sess_out out;
	struct qemu_cmd cmd;
	char bin_dir[PATH_MAX];
	char tmpdir[PATH_MAX];
	char com2_sock[PATH_MAX + 32], qmp_sock[PATH_MAX + 32];
	char gdb_sock[PATH_MAX + 32];
	char log_path[PATH_MAX];
	struct vmwb vmw; /* with vmware = model */
	struct series series; /* with --csv or --html */
	struct uefi_files uefi; /* with boot = uefi */
	struct gcovr gcov;	/* with --gcov */
	unsigned gcov_notes;	/* printed of gcov's per-file notes */
	bool vmw_on;
};

#define MAIN_GCOV_NOTES 8 /* per-file gcov notes shown, then a count */

/*
 * boot = uefi: the ESP directory with our loader and a pinprick.cfg that
 * carries the command line, and this run's OVMF variable store. With
 * --boot-image the image's own pinprick.cfg applies, so an --append
 * that cannot reach the guest is refused rather than dropped.
 */
static int main_uefi(struct run *r, char *err, size_t err_size)
{
	char cmdline[2 * PROF_MAX_LINE + 16];

	if (r->o.boot_image) {
		if (r->o.append) {
			snprintf(err, err_size,
				 "--append cannot reach a guest booted from "
				 "--boot-image %s (edit its pinprick.cfg)",
				 r->o.boot_image);
			return -1;
		}
		if (access(r->o.boot_image, R_OK)) {
			snprintf(err, err_size,
				 "boot image %s: %s (make images builds it)",
				 r->o.boot_image, strerror(errno));
			return -1;
		}
	} else if (access(r->o.efi, R_OK)) {
		snprintf(err, err_size,
			 "EFI loader %s: %s (build it with make, or pass "
			 "--efi)",
			 r->o.efi, strerror(errno));
		return -1;
	}
	if (qemu_cmdline(&r->prof, r->o.append, cmdline, sizeof(cmdline), err,
			 err_size))
		return -1;
	return uefi_prepare(&r->prof, r->o.efi, cmdline, r->o.boot_image,
			    r->tmpdir, &r->uefi, err, err_size);
}

/* vmware = model: the breakpoint's address and the model, before QEMU. */
static int main_vmware(struct run *r, char *err, size_t err_size)
{
	struct vmw_model_config mc = {
		.host_caps = r->prof.vmware_caps,
		.max_percent = r->prof.vmware_max_percent,
		.maxmemctl_mb = r->prof.vmware_maxmemctl_mb,
		.faults = r->prof.vmw_faults,
	};
	char why[PROF_ERR_SIZE];
	uint64_t bp;

	if (vmwb_find_bdoor(r->o.kernel, &bp, why, sizeof(why))) {
		snprintf(err, err_size,
			 "profile %s has vmware = model, but the kernel has no "
			 "balloon breakpoint: %.300s",
			 r->prof.name, why);
		return -1;
	}
	vmwb_ram_layout(prof_memory_bytes(r->prof.memory), &mc.ram_frames,
			&mc.pfn_end);
	if (vmwb_init(&r->vmw, bp, &mc, r->o.verbose, err, err_size))
		return -1;
	r->vmw.late_load = r->prof.boot == PROF_BOOT_UEFI;
	r->vmw_on = true;
	return 0;
}

/* The directory holding this binary, for finding profiles next to it. */
static const char *main_bin_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return buf;
}

static int main_usage_error(const struct run *r, const char *msg)
{
	fprintf(stderr, "pinprick-run: %s\n", msg);
	if (r->o.results)
		verd_write_results(r->o.results, &r->tap, VERD_USAGE);
	return VERD_USAGE;
}

/* A report path that cannot be written fails now, not after the run. */
static int main_check_reports(const struct run *r, char *err, size_t size)
{
	const struct {
		const char *opt, *path;
	} out[] = {
		{"--junit", r->o.junit},
		{"--csv", r->o.csv},
		{"--html", r->o.html},
	};

	for (size_t i = 0; i < ARRAY_SIZE(out); i++)
		if (out[i].path &&
		    outf_check(out[i].opt, out[i].path, err, size))
			return -1;
	return 0;
}

static int main_prepare(struct run *r)
{
	const char *tmp = getenv("TMPDIR");
	struct qemu_paths paths;
	char err[PROF_ERR_SIZE], path[PATH_MAX];

	if (prof_find(r->o.profile, r->bin_dir[0] ? r->bin_dir : NULL, path,
		      sizeof(path), err, sizeof(err)) ||
	    prof_load(path, &r->prof, err, sizeof(err)))
		return main_usage_error(r, err);
	if (access(r->o.kernel, R_OK)) {
		snprintf(err, sizeof(err),
			 "kernel %s: %s (build it with make, or pass --kernel)",
			 r->o.kernel, strerror(errno));
		return main_usage_error(r, err);
	}
	if (main_check_reports(r, err, sizeof(err)))
		return main_usage_error(r, err);
	if (r->o.gcov[0] && gcovr_init(&r->gcov, r->o.gcov))
		return main_usage_error(r, r->gcov.reason);
	if (r->prof.vmware && main_vmware(r, err, sizeof(err)))
		return main_usage_error(r, err);
	if (!r->o.timeout)
		r->o.timeout = r->prof.timeout;
	if (r->o.log)
		util_strlcpy(r->log_path, r->o.log, sizeof(r->log_path));
	else
		snprintf(r->log_path, sizeof(r->log_path), "build/logs/%s.log",
			 r->prof.name);

	snprintf(r->tmpdir, sizeof(r->tmpdir), "%s/pinprick-run.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(r->tmpdir)) {
		fprintf(stderr, "pinprick-run: mkdtemp %s: %s\n", r->tmpdir,
			strerror(errno));
		r->tmpdir[0] = '\0';
		return VERD_QEMU;
	}
	snprintf(r->com2_sock, sizeof(r->com2_sock), "%s/com2.sock", r->tmpdir);
	snprintf(r->qmp_sock, sizeof(r->qmp_sock), "%s/qmp.sock", r->tmpdir);
	snprintf(r->gdb_sock, sizeof(r->gdb_sock), "%s/gdb.sock", r->tmpdir);
	if (r->prof.boot == PROF_BOOT_UEFI && main_uefi(r, err, sizeof(err)))
		return main_usage_error(r, err);
	if (r->prof.boot != PROF_BOOT_UEFI && r->o.boot_image)
		return main_usage_error(
			r, "--boot-image needs a profile with boot = uefi");
	paths = (struct qemu_paths){
		.qemu = r->o.qemu,
		.kernel = r->o.kernel,
		.append = r->o.append,
		.com2_sock = r->prof.com2 ? r->com2_sock : NULL,
		.qmp_sock = r->qmp_sock,
		.gdb_sock = r->vmw_on ? r->gdb_sock : NULL,
		.esp_dir = r->uefi.esp_dir[0] ? r->uefi.esp_dir : NULL,
		.vars = r->uefi.vars[0] ? r->uefi.vars : NULL,
		.boot_image = r->o.boot_image,
	};
	if (qemu_build(&r->cmd, &r->prof, &paths, err, sizeof(err)))
		return main_usage_error(r, err);
	return 0;
}

/* A passing run that lost something of the runner's own: exit 5. */
static void main_demote(struct verd_out *v, const char *why)
{
	if (v->exit != VERD_PASS)
		return;
	v->exit = VERD_QEMU;
	v->status = verd_status_name(v->exit);
	if (v->nnotes < VERD_MAX_NOTES)
		snprintf(v->notes[v->nnotes++], VERD_NOTE_LEN, "%s", why);
}

static void main_report(struct run *r, const struct verd_out *v)
{
	char line[512];

	if (v->exit <= VERD_CRASH) {
		for (unsigned i = 0; i < r->tap.nfindings; i++)
			util_note("tap: %s", r->tap.findings[i]);
		if (r->tap.findings_dropped)
			util_note("tap: ... and %lu more problem(s)",
				  r->tap.findings_dropped);
	}
	for (unsigned i = 0; i < r->tap.nfailures; i++)
		util_note("failed: %s", r->tap.failures[i]);
	if (r->tap.failures_dropped)
		util_note("failed: ... and %lu more", r->tap.failures_dropped);
	if (v->exit == VERD_QEMU && r->out.qemu_stderr[0]) {
		fflush(stdout);
		fprintf(stderr, "pinprick-run: QEMU's messages:\n%s%s%s",
			r->out.qemu_stderr,
			r->out.qemu_stderr[strlen(r->out.qemu_stderr) - 1] ==
					'\n'
				? ""
				: "\n",
			r->out.stderr_cut ? "[... cut]\n" : "");
		fflush(stderr);
	}
	for (int i = 0; i < v->nnotes; i++)
		util_note("%s", v->notes[i]);
	if (v->exit != VERD_PASS)
		util_note("raw serial log: %s", r->log_path);
	verd_summary(line, sizeof(line), r->prof.name, &r->tap, v->exit);
	puts(line);
	fflush(stdout);
}

static void main_cleanup(struct run *r)
{
	gcovr_free(&r->gcov);
	qemu_cmd_free(&r->cmd);
	if (r->vmw_on)
		vmwb_free(&r->vmw);
	if (!r->tmpdir[0])
		return;
	unlink(r->com2_sock);
	unlink(r->qmp_sock);
	unlink(r->gdb_sock);
	uefi_remove(&r->uefi);
	if (rmdir(r->tmpdir))
		fprintf(stderr, "pinprick-run: cannot remove %s: %s\n",
			r->tmpdir, strerror(errno));
}

static bool main_write_failed(const char *path)
{
	fprintf(stderr, "pinprick-run: cannot write %s: %s\n", path,
		strerror(errno));
	return true;
}

/* gcov's remarks on single files ("stale .gcda replaced"), the first few. */
static void main_gcov_note(void *ctx, const char *msg)
{
	struct run *r = ctx;

	if (r->gcov_notes++ < MAIN_GCOV_NOTES)
		util_note("gcov: %s", msg);
}

/*
 * --gcov: the guest's coverage dump, verified, then written or merged
 * under the directory. True if it was lost: no dump, a corrupt one, or
 * files that could not be written (each says why in a note).
 */
static bool main_gcov(struct run *r)
{
	struct gcovr *g = &r->gcov;
	int n = gcovr_finish(g);

	if (n == 0) {
		util_note("gcov: the guest sent no coverage dump");
		return true;
	}
	if (n < 0) {
		util_note("gcov dump corrupt: %s", g->reason);
		return true;
	}
	g->note = main_gcov_note;
	g->note_ctx = r;
	n = gcovr_write(g) ? -1 : n;
	if (r->gcov_notes > MAIN_GCOV_NOTES)
		util_note("gcov: ... and %u more such notes",
			  r->gcov_notes - MAIN_GCOV_NOTES);
	if (n < 0) {
		util_note("gcov: %u of %u files not written under %s; the "
			  "first: %s",
			  g->failed, g->nfiles, r->o.gcov, g->reason);
		return true;
	}
	util_note("gcov: %d files (%u merged) written under %s", n, g->merged,
		  r->o.gcov);
	return false;
}

/*
 * --junit, --csv and --html, written even after a crash or timeout (with
 * what arrived). True if one could not be written.
 */
static bool main_reports(struct run *r, int exit_code)
{
	struct html_run h = {
		.profile = r->prof.name,
		.description = r->prof.description,
		.status = verd_status_name(exit_code),
		.passed = r->tap.passed,
		.failed = r->tap.failed,
		.skipped = r->tap.skipped,
		.todo = r->tap.todo,
		.series = &r->series,
	};
	bool bad = false;
	struct outf o;

	if (r->series.dropped)
		fprintf(stderr,
			"pinprick-run: %lu samples beyond the cap not kept\n",
			r->series.dropped);
	if (r->o.junit && junit_write(r->log_path, r->o.junit, r->prof.name,
				      verd_status_name(exit_code)))
		bad = main_write_failed(r->o.junit);
	if (r->o.csv && (outf_open(&o, r->o.csv) ||
			 outf_commit(&o, ser_write_csv(&r->series, o.f) == 0)))
		bad = main_write_failed(r->o.csv);
	if (r->o.html && html_write(r->log_path, r->o.html, &h))
		bad = main_write_failed(r->o.html);
	ser_free(&r->series);
	return bad;
}

/* The runner's own peak memory (after the reports, its largest step),
 * so that tests can hold it to a bound whatever the guest sent. */
static void main_peak_rss(void)
{
	struct rusage ru;

	if (!getrusage(RUSAGE_SELF, &ru))
		util_note("runner peak RSS %ld KiB", ru.ru_maxrss);
}

static int main_run(struct run *r)
{
	const char *env_max = getenv("PINPRICK_RUN_LOG_MAX");
	struct sess_cfg cfg = {
		.log_path = r->log_path,
		.log_max = SESS_LOG_MAX,
		.timeout_s = r->o.timeout,
		.qmp_sock = r->qmp_sock,
		.com2_sock = r->prof.com2 ? r->com2_sock : NULL,
		.gdb_sock = r->gdb_sock,
		.vmw = r->vmw_on ? &r->vmw : NULL,
		.ram_bytes = prof_memory_bytes(r->prof.memory),
		.series = r->o.csv || r->o.html ? &r->series : NULL,
		.gcov = r->o.gcov[0] ? &r->gcov : NULL,
		.sample_ms = r->o.sample_ms ? r->o.sample_ms : OPT_DEFAULT_SAMPLE,
		.progress = r->o.progress,
		.quiet = r->o.quiet,
		.verbose = r->o.verbose,
	};
	struct verd_out v;
	unsigned long max;
	char cmdline[8192];

	if (env_max && util_parse_uint(env_max, 1, SESS_LOG_MAX, &max))
		cfg.log_max = max;
	if (r->o.verbose) {
		qemu_cmd_format(&r->cmd, cmdline, sizeof(cmdline));
		util_note("profile %s (%s), timeout %u s, log %s", r->prof.name,
			  r->prof.path, r->o.timeout, r->log_path);
		util_note("+ %s", cmdline);
	}
	if (sess_run(&cfg, &r->cmd, &r->tap, &r->out))
		fprintf(stderr, "pinprick-run: %s\n", r->out.error);
	verd_decide(&r->out.vin, &v);
	if (r->vmw_on)
		vmwb_report(&r->vmw);
	/* coverage of a failed run is still coverage, but a lost dump is
	 * not a pass: exit 5 (before the reports, so they say so too) */
	if (r->o.gcov[0] && main_gcov(r))
		main_demote(&v, "every check passed, but the coverage dump "
				"was lost (the gcov line above says why)");
	/* a passing run whose report is missing must not look like a pass
	 * to CI: exit 5, like the other failures of the runner's own */
	if (main_reports(r, v.exit))
		main_demote(&v, "every check passed, but a report could not "
				"be written (why is on stderr)");
	if (r->o.verbose)
		main_peak_rss();
	main_report(r, &v);
	if (r->o.results && verd_write_results(r->o.results, &r->tap, v.exit))
		fprintf(stderr, "pinprick-run: cannot write %s: %s\n",
			r->o.results, strerror(errno));
	return v.exit;
}

int main(int argc, char **argv)
{
	static struct run r;
	char err[512], dir[PATH_MAX];
	int rc;

	signal(SIGPIPE, SIG_IGN);
	tapp_init(&r.tap);
	if (!main_bin_dir(r.bin_dir, sizeof(r.bin_dir)))
		r.bin_dir[0] = '\0';
	if (opt_parse(argc, argv, &r.o, err, sizeof(err)))
		return main_usage_error(&r, err);
	if (r.o.help) {
		opt_usage(stdout);
		return 0;
	}
	if (r.o.list_profiles) {
		const char *d = prof_dir(r.bin_dir[0] ? r.bin_dir : NULL, dir,
					 sizeof(dir));

		if (!d)
			return main_usage_error(
				&r, "no host/profiles directory found");
		rc = prof_list(d);
		return rc ? VERD_USAGE : 0;
	}
	rc = main_prepare(&r);
	if (!rc)
		rc = main_run(&r);
	main_cleanup(&r);
	return rc;
}
