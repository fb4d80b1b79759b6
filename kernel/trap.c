/*
 * trap.c - what happens when the CPU raises an exception or interrupt.
 *
 * Three outcomes: a fault some test armed a struct trap_catch for is
 * turned into a second return from trap_try(); the budget watchdog aborts
 * the running test the same way; anything else is a crash, reported as
 * TAP "Bail out!" with enough state to debug it, and the guest exits.
 */
#include <stdint.h>

#include "kernel/console.h"
#include "kernel/exit.h"
#include "kernel/irq.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

struct trap_catch *trap_catch_top;
uint64_t trap_spurious, trap_unexpected_irqs;
static int in_crash;

extern char boot_stack_guard[], boot_stack_top[];
void trap_resume(struct trap_catch *c);
void trap_dispatch(struct trap_frame *f);

static const char *const names[TRAP_NR_EXCEPTIONS] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault",
	"coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25",
	"reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved 31",
};

const char *trap_name(unsigned vector)
{
	if (vector < TRAP_NR_EXCEPTIONS)
		return names[vector];
	if (vector == VEC_WATCHDOG)
		return "watchdog";
	if (vector == VEC_SPURIOUS)
		return "spurious";
	return "interrupt";
}

void trap_end(struct trap_catch *c)
{
	/* Pop c and anything still armed above it. */
	struct trap_catch *t = trap_catch_top;

	while (t && t != c)
		t = t->prev;
	if (t)
		trap_catch_top = c->prev;
}

static struct trap_catch *find_catch(unsigned vector)
{
	for (struct trap_catch *c = trap_catch_top; c; c = c->prev) {
		if (vector == VEC_WATCHDOG ? c->watchdog
					   : (vector < 32 &&
					      (c->vectors & TRAP_BIT(vector))))
			return c;
	}
	return NULL;
}

static void resume_at_catch(struct trap_frame *f, struct trap_catch *c)
{
	c->vector = (int)f->vector;
	c->error = f->error;
	c->fault_rip = f->rip;
	c->cr2 = f->vector == TRAP_PF ? read_cr2() : 0;
	trap_catch_top = c->prev;
	f->rip = (uintptr_t)trap_resume;
	f->rdi = (uintptr_t)c;
}

static void print_pf_detail(const struct trap_frame *f, uint64_t cr2)
{
	uint64_t guard = (uintptr_t)boot_stack_guard;

	kprintf("# page fault: %s access, page %s%s%s\n",
		f->error & PF_FETCH  ? "instruction fetch"
		: f->error & PF_WRITE ? "write"
				      : "read",
		f->error & PF_PRESENT ? "present (protection violation)"
				      : "not present",
		f->error & PF_RSVD ? ", reserved bit set" : "",
		f->error & PF_USER ? ", user mode" : "");
	if (cr2 >= guard && cr2 < guard + 4096)
		kprintf("# CR2 is in the stack guard page: stack overflow\n");
	else if (cr2 < 4096)
		kprintf("# CR2 is in page 0: NULL pointer dereference\n");
}

static void backtrace(uint64_t rbp)
{
	uint64_t lo = (uintptr_t)boot_stack_guard + 4096;
	uint64_t hi = (uintptr_t)boot_stack_top;

	kprintf("# backtrace:");
	for (int i = 0; i < 16; i++) {
		uint64_t *fp = (uint64_t *)(uintptr_t)rbp;

		if (rbp < lo || rbp + 16 > hi || (rbp & 7))
			break;
		kprintf(" %#llx", (unsigned long long)fp[1]);
		rbp = fp[0];
	}
	kprintf("\n");
}

static void __attribute__((noreturn)) crash(struct trap_frame *f)
{
	uint64_t cr2 = read_cr2();

	if (in_crash++) {
		kprintf("Bail out! nested %s while reporting a crash\n",
			trap_name((unsigned)f->vector));
		pp_exit(EXIT_CRASH);
	}
	kprintf("\nBail out! unexpected CPU exception %s (vector %llu) at "
		"RIP %#llx\n",
		trap_name((unsigned)f->vector), (unsigned long long)f->vector,
		(unsigned long long)f->rip);
	kprintf("# error code %#llx, CR2 %#llx, RFLAGS %#llx, CS %#llx\n",
		(unsigned long long)f->error, (unsigned long long)cr2,
		(unsigned long long)f->rflags, (unsigned long long)f->cs);
	if (f->vector == TRAP_PF)
		print_pf_detail(f, cr2);
	if (f->vector == TRAP_DF)
		kprintf("# a double fault usually means a fault while "
			"delivering a fault: most often a stack overflow\n");
	kprintf("# RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n",
		(unsigned long long)f->rax, (unsigned long long)f->rbx,
		(unsigned long long)f->rcx, (unsigned long long)f->rdx);
	kprintf("# RSI %016llx RDI %016llx RBP %016llx RSP %016llx\n",
		(unsigned long long)f->rsi, (unsigned long long)f->rdi,
		(unsigned long long)f->rbp, (unsigned long long)f->rsp);
	kprintf("# R8  %016llx R9  %016llx R10 %016llx R11 %016llx\n",
		(unsigned long long)f->r8, (unsigned long long)f->r9,
		(unsigned long long)f->r10, (unsigned long long)f->r11);
	kprintf("# R12 %016llx R13 %016llx R14 %016llx R15 %016llx\n",
		(unsigned long long)f->r12, (unsigned long long)f->r13,
		(unsigned long long)f->r14, (unsigned long long)f->r15);
	kprintf("# CR0 %#llx CR3 %#llx CR4 %#llx\n",
		(unsigned long long)read_cr0(), (unsigned long long)read_cr3(),
		(unsigned long long)read_cr4());
	backtrace(f->rbp);
	pp_exit(EXIT_CRASH);
}

void trap_dispatch(struct trap_frame *f)
{
	unsigned v = (unsigned)f->vector;
	struct trap_catch *c;

	if (v == VEC_SPURIOUS) {
		trap_spurious++;
		return;
	}
	if (v == VEC_WATCHDOG) {
		apic_eoi();
		c = find_catch(v);
		if (c)
			resume_at_catch(f, c);
		return; /* late watchdog after the test ended: ignore */
	}
	if (v >= TRAP_NR_EXCEPTIONS) {
		if (!irq_dispatch(v))
			trap_unexpected_irqs++;
		apic_eoi();
		return;
	}
	c = in_crash ? NULL : find_catch(v);
	if (c && v != TRAP_DF && v != TRAP_MC) {
		resume_at_catch(f, c);
		return;
	}
	crash(f);
}
