/*
 * vmw_common.c - set up and take down a VMware balloon driver on the
 * real backdoor (see vmw_common.h). The tracking array holds one entry
 * per managed page, so it can never be what stops an inflation.
 */
#include "tests/guest/vmw_common.h"
#include "drivers/vmware/vmw_detect.h"
#include "kernel/mm.h"
#include "kernel/string.h"
#include "kernel/time.h"

bool vmt_up(struct vmw_balloon *vb, struct vmt_mem *m)
{
	struct vmw_balloon_cfg c = {0};
	uint64_t need = mm_zone.managed * sizeof(uint64_t) >> 12;

	m->torder = 0;
	while (m->torder < PA_MAX_ORDER && (1ull << m->torder) < need)
		m->torder++;
	m->bpfn = mm_alloc_kernel_pages(0);
	m->tpfn = mm_alloc_kernel_pages(m->torder);
	if (m->bpfn < 0 || m->tpfn < 0)
		return false;
	c.call = vmw_balloon_call_hw;
	c.zone = &mm_zone;
	c.batch_pfn = (uint64_t)m->bpfn;
	c.batch = (uint64_t *)((uintptr_t)m->bpfn << 12);
	c.ram_frames = mm_ram_bytes >> 12;
	c.track = (uint64_t *)((uintptr_t)m->tpfn << 12);
	c.track_len = (4096ull << m->torder) / sizeof(uint64_t);
	c.delay_ns = delay_ns;
	return vmw_balloon_init(vb, &c) == 0;
}

void vmt_down(struct vmw_balloon *vb, struct vmt_mem *m)
{
	if (vb->b.ops)
		vb->b.ops->reset(&vb->b);
	if (m->bpfn >= 0)
		pa_free(&mm_zone, (uint64_t)m->bpfn, 0, PA_KERNEL);
	if (m->tpfn >= 0)
		pa_free(&mm_zone, (uint64_t)m->tpfn, m->torder, PA_KERNEL);
	m->bpfn = m->tpfn = -1;
}
