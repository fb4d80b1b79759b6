/*
 * trap.h - CPU exceptions and interrupts: dispatch, crash reports, and
 * catching an expected fault.
 *
 * An unexpected exception is a crash: TAP "Bail out!" with vector, error
 * code, RIP, CR2 and registers, then exit with the crash code. A test that
 * wants to provoke a fault arms a struct trap_catch first:
 *
 *	struct trap_catch c = { .vectors = TRAP_BIT(TRAP_PF) };
 *	if (trap_try(&c) == 0) {
 *		*(volatile char *)0 = 1;	// faults...
 *		trap_end(&c);			// ...or not
 *	} else {
 *		// c.vector, c.error, c.fault_rip, c.cr2 say what happened
 *	}
 */
#ifndef PINPRICK_TRAP_H
#define PINPRICK_TRAP_H

#include <stdbool.h>
#include <stdint.h>

enum {
	TRAP_DE = 0,
	TRAP_DB = 1,
	TRAP_NMI = 2,
	TRAP_BP = 3,
	TRAP_UD = 6,
	TRAP_DF = 8,
	TRAP_GP = 13,
	TRAP_PF = 14,
	TRAP_MC = 18,
	TRAP_NR_EXCEPTIONS = 32,
};

#define TRAP_BIT(v) (1u << (v))

/* Interrupt vectors we own. */
#define VEC_WATCHDOG 0xEE
#define VEC_SPURIOUS 0xFF

/* Page-fault error code bits. */
#define PF_PRESENT 0x01
#define PF_WRITE 0x02
#define PF_USER 0x04
#define PF_RSVD 0x08
#define PF_FETCH 0x10

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

struct trap_catch {
	/* Saved by trap_try; offsets are used by kernel/isr.asm. */
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
	struct trap_catch *prev;
	/* What to catch. */
	uint32_t vectors; /* TRAP_BIT() of exceptions */
	bool watchdog;	  /* the per-test budget watchdog */
	/* What was caught. */
	int vector;
	uint64_t error, fault_rip, cr2;
};

/* Returns 0 when armed, 1 when a caught fault brought us back here. */
int trap_try(struct trap_catch *c) __attribute__((returns_twice));
/* Disarm c (and anything armed inside it that is still armed). */
void trap_end(struct trap_catch *c);

void trap_init(void);
const char *trap_name(unsigned vector);

/* Counters for interrupts nobody expected (not fatal). */
extern uint64_t trap_spurious, trap_unexpected_irqs;

/* Watchdog interrupt handler hook (kernel/apic.c acknowledges it). */
void apic_eoi(void);

#endif
