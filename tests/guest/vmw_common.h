/*
 * vmw_common.h - a VMware balloon driver instance for guest tests and
 * scenarios: its batch page and tracking array come from mm_zone as
 * kernel pages, and go back there when it is taken down.
 */
#ifndef PINPRICK_VMW_COMMON_H
#define PINPRICK_VMW_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/vmware/vmw_balloon.h"

struct vmt_mem {
	int64_t bpfn, tpfn; /* batch page, tracking array (-1: none) */
	unsigned torder;
};

/* Allocate and vmw_balloon_init (nothing is sent yet). */
bool vmt_up(struct vmw_balloon *vb, struct vmt_mem *m);
/* Reset the balloon (every page back) and free the driver's pages. */
void vmt_down(struct vmw_balloon *vb, struct vmt_mem *m);

#endif
