/*
 * scen_virtio.c - scenarios on virtio-balloon (virtio 1.2 §5.5).
 *
 * The host's target is QEMU's: "target N" becomes the QMP balloon
 * command through the runner (the size the guest should be left with).
 * A step services the device (config changes, used buffers) and moves
 * the balloon at most STEP_PAGES toward num_pages. Pressure takes pages
 * back with deflate-on-OOM, which the spec allows only when
 * VIRTIO_BALLOON_F_DEFLATE_ON_OOM was negotiated (§5.5.6.1).
 */
#include "kernel/ctl.h"
#include "kernel/printf.h"
#include "kernel/tf.h"
#include "tests/guest/scen_backend.h"
#include "tests/guest/vbal_common.h"

#define STEP_PAGES 4096

static bool set_target(void *ctx, uint64_t pages, char *why, size_t len)
{
	if (!ctl_connected() || !vbt_ram()) {
		ksnprintf(why, len, "no runner with a QMP balloon");
		return false;
	}
	if (!vbt_set_target(pages)) {
		ksnprintf(why, len, "the runner refused \"balloon\"");
		return false;
	}
	return true;
}

static void step(void *ctx)
{
	vbal_service(&vbt);
	if (vbt.up)
		balloon_step(&vbt.b, STEP_PAGES);
}

static int64_t reclaim(void *ctx, uint64_t n)
{
	return vbal_oom(&vbt, n);
}

static int check(void *ctx, char *why, size_t len)
{
	if (!vbt.up) {
		ksnprintf(why, len, "the driver is down: %s",
			  vbt.error ? vbt.error : "device failed");
		return -1;
	}
	return vbal_check(&vbt, true, why, len);
}

static bool up(struct scen_env *env, const struct scen_prog *p)
{
	if (!vbt_present("scenario on virtio-balloon"))
		return false;
	if (scen_needs_host(p) && !vbt_host("scenario on virtio-balloon"))
		return false;
	if (!vbt_up(0, vbt_default_mode()))
		return false;
	if (scen_uses(p, SO_PRESSURE, -1) &&
	    !virtio_has(vbt_dev, VBAL_F_DEFLATE_ON_OOM)) {
		vbt_down();
		tf_skip("the device does not offer DEFLATE_ON_OOM, so the "
			"guest may not take balloon pages back (virtio 1.2 "
			"§5.5.6.1); QEMU: deflate-on-oom=on",
			"scenario with pressure on virtio-balloon");
		return false;
	}
	env->b = &vbt.b;
	env->proto = "virtio";
	env->clause = "virtio 1.2 §5.5.6 (num_pages, actual)";
	env->slack = 0;
	env->set_target = set_target;
	env->step = step;
	env->reclaim = reclaim;
	env->check = check;
	env->host_rss = scen_host_rss;
	return true;
}

static void down(void)
{
	vbt_down();
}

const struct scen_backend scen_virtio = {"virtio", up, down};
