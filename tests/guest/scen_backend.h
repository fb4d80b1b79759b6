/*
 * scen_backend.h - the two balloons a scenario can run on, seen through
 * the interpreter's struct scen_env (kernel/scen.h): virtio-balloon
 * (scen_virtio.c) and the VMware backdoor balloon (scen_vmware.c).
 */
#ifndef PINPRICK_SCEN_BACKEND_H
#define PINPRICK_SCEN_BACKEND_H

#include <stdbool.h>

#include "kernel/scen.h"

struct scen_backend {
	const char *proto; /* "virtio", "vmware": part of the suite name */
	/*
	 * Bring the driver up and fill the balloon part of env. False after
	 * reporting why: a skip when the machine lacks what p needs (the
	 * device, the runner, DEFLATE_ON_OOM for "pressure"), a failed
	 * check when something that is there does not work.
	 */
	bool (*up)(struct scen_env *env, const struct scen_prog *p);
	void (*down)(void);
};

extern const struct scen_backend scen_virtio, scen_vmware;

/* Does p need the runner (targets, host RSS)? */
bool scen_needs_host(const struct scen_prog *p);
/* host-rss over the control channel, for either backend. */
bool scen_host_rss(void *ctx, uint64_t *bytes);

#endif
