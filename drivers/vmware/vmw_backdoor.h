/*
 * vmw_backdoor.h - the VMware backdoor calls, as plain register sets.
 *
 * Both the general backdoor (port 0x5658, magic "VMXh") and the balloon
 * (port 0x5670, magic "Elmo") are a single `inl %dx, %eax` with arguments
 * in general registers. The drivers fill a struct vmw_regs and hand it to
 * a seam: in the kernel it executes the instruction (vmw_bdoor_hw.c), in
 * host unit tests it calls the reference model in process.
 */
#ifndef PINPRICK_VMW_BACKDOOR_H
#define PINPRICK_VMW_BACKDOOR_H

#include <stdint.h>

/* Register image of one call: in before, out after. */
struct vmw_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi;
};

#define VMW_BDOOR_MAGIC 0x564D5868u /* "VMXh" */
#define VMW_BDOOR_PORT 0x5658
#define VMW_BALLOON_MAGIC 0x456c6d6fu /* "Elmo" */
#define VMW_BALLOON_PORT 0x5670

/* General backdoor commands (ECX). */
#define VMW_BDOOR_GETMHZ 1
#define VMW_BDOOR_GETVERSION 10
#define VMW_BDOOR_GETRAMSIZE 20
#define VMW_BDOOR_GETHZ 45
#define VMW_BDOOR_GET_VCPU_INFO 68

/* The seam: perform one call on r (in place). */
typedef void (*vmw_call_fn)(void *ctx, struct vmw_regs *r);

#endif
