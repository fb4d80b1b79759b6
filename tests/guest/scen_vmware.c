/*
 * scen_vmware.c - scenarios on the VMware backdoor balloon.
 *
 * The host's target is the runner's VMware model ("vmw-target", in
 * frames) or a real VMware host's. A step is one driver tick: START if a
 * reset is pending, GET_TARGET, then at most STEP_FRAMES locked or
 * unlocked (ref §8). The driver may stop up to 511 frames off a target
 * when it uses 2 MiB pages (ref §6), so sizes compare with that slack.
 * Pressure deflates at will, as Linux's shrinker does (ref §10).
 */
#include "kernel/ctl.h"
#include "kernel/printf.h"
#include "kernel/tf.h"
#include "kernel/time.h"
#include "tests/guest/scen_backend.h"
#include "tests/guest/vmw_common.h"

#define STEP_FRAMES 2048
#define CTL_WAIT    (5 * NSEC_PER_SEC)

static struct vmw_balloon vb;
static struct vmt_mem vm = {-1, -1, 0};

static bool set_target(void *ctx, uint64_t pages, char *why, size_t len)
{
	char args[24];
	int rc;

	ksnprintf(args, sizeof(args), "%llu", (unsigned long long)pages);
	rc = ctl_request("vmw-target", args, why, len, CTL_WAIT);
	if (rc != CTL_OK && rc != CTL_ERR)
		ksnprintf(why, len, "%s", ctl_status_name(rc));
	return rc == CTL_OK;
}

static void step(void *ctx)
{
	vmw_balloon_tick(&vb, STEP_FRAMES);
}

static int64_t reclaim(void *ctx, uint64_t n)
{
	/* The driver frees whole 2 MiB pages, never part of one: round up
	 * so that a request smaller than one still frees something. */
	return vb.b.ops->deflate(&vb.b, (n + 511) & ~511ull);
}

static int check(void *ctx, char *why, size_t len)
{
	return vmw_balloon_check(&vb, true, why, len);
}

static bool up(struct scen_env *env, const struct scen_prog *p)
{
	int rc;

	if (!vmt_up(&vb, &vm)) {
		tf_check(false, NULL,
			 "VMware balloon driver: allocate its pages");
		vmt_down(&vb, &vm);
		return false;
	}
	rc = vmw_balloon_start(&vb);
	if (rc == VMW_E_NODEV) {
		vmt_down(&vb, &vm);
		tf_skip("no VMware balloon host: START unanswered (QEMU needs "
			"the runner's model, vmware = model)",
			"scenario on the VMware balloon");
		return false;
	}
	/*
	 * A RESET (GUEST_ID may get one) or BUSY at START is the host's to
	 * send at any time: the driver keeps its START pending and the first
	 * step sends it again (tests/faults.sh hits this with reset_on).
	 */
	if (rc && rc != VMW_E_RESET && rc != VMW_E_BUSY) {
		vmt_down(&vb, &vm);
		tf_diag("error", "%s", vmw_balloon_err_name(rc));
		tf_check(false, "VMware ref §7", "VMware balloon: START");
		return false;
	}
	if (scen_needs_host(p) && !ctl_connect(2 * NSEC_PER_SEC)) {
		vmt_down(&vb, &vm);
		tf_skip(ctl_unavailable_reason(),
			"scenario on the VMware balloon");
		return false;
	}
	env->b = &vb.b;
	env->proto = "vmware";
	env->clause = "VMware ref §8 (target semantics)";
	env->slack = 511;
	env->set_target = set_target;
	env->step = step;
	env->reclaim = reclaim;
	env->check = check;
	env->host_rss = scen_host_rss;
	/* Under QEMU the host is the runner's model, which frees nothing;
	 * on VMware there is no runner to read a resident set from. */
	env->no_reclaim_why = "the VMware balloon host is the runner's model, "
			      "which does not free QEMU's memory";
	return true;
}

static void down(void)
{
	vmt_down(&vb, &vm);
}

const struct scen_backend scen_vmware = {"vmware", up, down};
