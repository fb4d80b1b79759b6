/*
 * vmw_model.h - a reference model of the HOST side of the VMware balloon.
 *
 * Only VMware's closed products implement this side of the protocol; this
 * is a public, executable statement of what a host must do, written from
 * the guest drivers' behaviour (../shared/reference/vmware-balloon.md).
 * It is pure C with no I/O: the runner drives it from QEMU's gdbstub, and
 * host unit tests drive it in process against the guest driver.
 *
 * Guest memory is reached through callbacks (the batch page lives in the
 * guest), so the model never assumes where guest RAM is.
 */
#ifndef PINPRICK_VMW_MODEL_H
#define PINPRICK_VMW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/vmware/vmw_backdoor.h"
#include "drivers/vmware/vmw_proto.h"


/* Guest-memory access for the batch page; return 0 or -1. */
struct vmw_mem_ops {
	int (*read)(void *ctx, uint64_t gpa, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t gpa, const void *buf, size_t len);
	void *ctx;
};

/* Fault injection, reproducible from the seed. */
struct vmw_faults {
	uint64_t seed;
	uint32_t reset_every;	   /* RESET on every Nth call (0: never) */
	uint32_t reset_percent;	   /* or at random, % of calls */
	/*
	 * Bit (1u << cmd) for each command RESET may hit (0: any). With a
	 * mask, reset_every counts only calls of those commands, and with
	 * neither reset_every nor reset_percent every such call is RESET.
	 */
	uint32_t reset_on;
	uint32_t busy_percent;	   /* BUSY on % of calls */
	uint32_t pinned_every;	   /* PINNED for every Nth frame locked */
	uint32_t notneeded_percent; /* NOTNEEDED for % of frames */
	bool flapping_target;	   /* target changes on every GET_TARGET */
	bool target_above_ram;	   /* target larger than guest RAM */
	/*
	 * Like target_above_ram, but only while the host wants a balloon at
	 * all: any non-zero wish is answered with the target above RAM, and
	 * a wish of 0 stays 0, so a run can still end with an empty balloon
	 * (tests/faults.sh, row target-above-ram).
	 */
	bool above_ram_nonzero;
	/*
	 * A broken host: every Nth 4 KiB frame unlocked is remembered, and
	 * once the guest has written to it again the host zeroes it, as if
	 * it still thought the frame was ballooned. Guests catch this only
	 * by checking contents (docs/scenarios.md: churn, intact). 0: never.
	 */
	uint32_t discard_every;
};

#define VMW_MAX_FINDINGS 64
#define VMW_FINDING_LEN 160

struct vmw_model_config {
	uint64_t ram_frames;	  /* guest RAM in 4 KiB frames */
	uint64_t pfn_end;	  /* first PFN past RAM incl. holes; 0: ram_frames */
	uint32_t host_caps;	  /* what this host supports */
	uint32_t max_percent;	  /* Mem.CtlMaxPercent, default 65 */
	int64_t maxmemctl_mb;	  /* sched.mem.maxmemctl, -1 = no cap */
	struct vmw_faults faults;
};

struct vmw_model; /* opaque; see vmw_model.c */

struct vmw_model *vmw_model_new(const struct vmw_model_config *cfg,
				const struct vmw_mem_ops *mem);
void vmw_model_free(struct vmw_model *m);

/* Handle one balloon call: r in, r out (EAX status, RBX/RCX results). */
void vmw_model_call(struct vmw_model *m, struct vmw_regs *r);

/* Replace the fault injection; the PRNG restarts from f->seed. */
void vmw_model_set_faults(struct vmw_model *m, const struct vmw_faults *f);
void vmw_model_get_faults(const struct vmw_model *m, struct vmw_faults *f);

/* The host's wish, in 4 KiB frames (clamped to the maximum). */
void vmw_model_set_target(struct vmw_model *m, uint64_t frames);
uint64_t vmw_model_target(const struct vmw_model *m);
uint64_t vmw_model_max_frames(const struct vmw_model *m);

/* State, for checks. */
uint64_t vmw_model_locked_frames(const struct vmw_model *m); /* 4K units */
bool vmw_model_is_locked(const struct vmw_model *m, uint64_t pfn);
uint32_t vmw_model_granted_caps(const struct vmw_model *m);
bool vmw_model_started(const struct vmw_model *m);
uint64_t vmw_model_calls(const struct vmw_model *m, enum vmw_cmd cmd);
uint64_t vmw_model_faults_injected(const struct vmw_model *m);

/* "GET_TARGET", "BATCHED_2M_LOCK", ...: the protocol's name of cmd. */
const char *vmw_model_cmd_name(unsigned cmd);

/* Commands a RESET can be injected into (reset_on): not START, not 5. */
#define VMW_RESET_ON_MASK (((1u << VMW_CMD_NR) - 1) & ~0x21u)

/*
 * Findings: guest behaviour the protocol does not allow (unlocking a frame
 * never locked, locking one twice, a PFN outside RAM, reserved bits set,
 * commands after RESET before START, ...). Each is a short sentence.
 */
unsigned vmw_model_nr_findings(const struct vmw_model *m);
const char *vmw_model_finding(const struct vmw_model *m, unsigned i);

#endif
