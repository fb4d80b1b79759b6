/*
 * vmw_model_rig.h - the VMware host model alone, for its unit tests.
 *
 * A model over 32 MiB of guest RAM whose only readable page is the batch
 * page (a static buffer, with read and write failures on demand), and
 * small helpers to make one call and look for a finding. Used by
 * test_vmw_model.c (commands, targets, faults) and test_vmw_model_batch.c
 * (the batch page and 2 MiB rules).
 */
#ifndef PINPRICK_VMW_MODEL_RIG_H
#define PINPRICK_VMW_MODEL_RIG_H

#include "host/vmw/vmw_model.h"
#include "tests/unit/ut.h"

#define ALL_CAPS                                                               \
	(VMW_CAP_BASIC | VMW_CAP_BATCHED | VMW_CAP_BATCHED_2M |                \
	 VMW_CAP_SIGNALLED_WAKEUP | VMW_CAP_64_BIT_TARGET)
#define BATCH_PFN  0x10ull
#define RAM_FRAMES 8192ull /* 32 MiB */

/* Guest memory: only the batch page exists; failures on demand. */
static uint64_t page[512] __attribute__((unused));
static int fail_read __attribute__((unused));
static int fail_write __attribute__((unused));

static inline int mem_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	if (fail_read || gpa != BATCH_PFN << 12 || len > sizeof(page))
		return -1;
	memcpy(buf, page, len);
	return 0;
}

static inline int mem_write(void *ctx, uint64_t gpa, const void *buf,
			    size_t len)
{
	if (fail_write || gpa != BATCH_PFN << 12 || len > sizeof(page))
		return -1;
	memcpy(page, buf, len);
	return 0;
}

static const struct vmw_mem_ops mem
	__attribute__((unused)) = {mem_read, mem_write, NULL};

static inline struct vmw_model *model(uint32_t caps, const struct vmw_faults *f)
{
	struct vmw_model_config c = {.ram_frames = RAM_FRAMES,
				     .host_caps = caps,
				     .max_percent = 65,
				     .maxmemctl_mb = -1};

	if (f)
		c.faults = *f;
	fail_read = fail_write = 0;
	memset(page, 0, sizeof(page));
	return vmw_model_new(&c, &mem);
}

static inline struct vmw_regs call(struct vmw_model *m, unsigned cmd,
				   uint64_t rbx, uint64_t rsi)
{
	struct vmw_regs r = {VMW_BALLOON_MAGIC, rbx, cmd,
			     VMW_BALLOON_PORT,	rsi, 0x1234};

	vmw_model_call(m, &r);
	return r;
}

static inline uint32_t st(struct vmw_model *m, unsigned cmd, uint64_t rbx,
			  uint64_t rsi)
{
	return (uint32_t)call(m, cmd, rbx, rsi).rax;
}

/* Does any finding contain s? */
static inline int found(const struct vmw_model *m, const char *s)
{
	for (unsigned i = 0; i < vmw_model_nr_findings(m); i++)
		if (strstr(vmw_model_finding(m, i), s))
			return 1;
	return 0;
}

#endif
