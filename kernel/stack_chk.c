/*
 * stack_chk.c - the guard value and the failure report of the stack
 * protector (-fstack-protector-strong, see stack_chk.h).
 *
 * Why: a test that writes past a local buffer would otherwise corrupt a
 * return address and crash somewhere unrelated, or not at all. With the
 * protector the damaged function itself stops the run with a "Bail out!"
 * line naming where it happened, before it returns through the damage.
 *
 * When the guard is set: every protected function reads __stack_chk_guard
 * twice, on entry and before it returns, and the two reads must agree. A
 * protected function that is running while the guard changes would fail
 * its check. So the boot entry assembly (boot/pvh.asm, boot/uefi_entry.asm)
 * calls stack_chk_init as the very first C function, on the fresh boot
 * stack, before pvh_main/uefi_main; nothing protected is live then.
 * stack_chk_init itself is built without the protector (it changes the
 * value it would be checking against).
 */
#include <stdint.h>

#include "kernel/console.h"
#include "kernel/exit.h"
#include "kernel/stack_chk.h"
#include "kernel/x86.h"

#define CPUID1_ECX_RDRAND (1u << 30)
#define RDRAND_TRIES	  16

/* Not const and not in .rodata: it is written once at boot. A low byte of
 * zero (as glibc does) stops a runaway string copy at the canary, and a
 * leaked canary printed as a string reveals nothing. */
uint64_t __stack_chk_guard;
enum stack_chk_source stack_chk_source;
static int in_stack_chk_fail;

/* splitmix64's finaliser: spreads the few changing bits of a TSC reading
 * over all 64 bits. */
static uint64_t __attribute__((no_stack_protector)) mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* RDRAND may report a transient underflow (CF = 0): retry a few times. */
static int __attribute__((no_stack_protector)) rdrand64(uint64_t *v)
{
	for (int i = 0; i < RDRAND_TRIES; i++) {
		uint64_t r;
		uint8_t ok;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(r), "=qm"(ok));
		if (ok) {
			*v = r;
			return 1;
		}
	}
	return 0;
}

void __attribute__((no_stack_protector)) stack_chk_init(void)
{
	uint64_t g, r;

	/* Two TSC readings with a serialising CPUID between them: the time
	 * since reset and the jitter of the CPUID exit, neither fixed. */
	g = mix64(rdtsc());
	if ((cpuid(1, 0).ecx & CPUID1_ECX_RDRAND) && rdrand64(&r)) {
		g ^= r;
		stack_chk_source = STACK_CHK_RDRAND;
	} else {
		stack_chk_source = STACK_CHK_TSC;
	}
	g = mix64(g ^ rdtsc());
	g &= ~0xffull;
	if (!(g >> 8))
		g = 0x5a17ed00ull << 32; /* never an all-zero canary */
	__stack_chk_guard = g;
}

const char *stack_chk_source_name(enum stack_chk_source s)
{
	return s == STACK_CHK_RDRAND ? "RDRAND and the TSC"
	       : s == STACK_CHK_TSC  ? "the TSC (no RDRAND)"
				     : "unset";
}

/*
 * Interrupts go off first: the budget watchdog would otherwise resume the
 * test at its trap_try point and the run would go on past the damage. The
 * report uses kprintf and pp_exit, which are themselves protected; that is
 * safe because the guard variable is intact (only a stack copy was hit)
 * and our own frame lies below the damaged one. Should something still
 * fail again while reporting, the second call exits at once.
 */
void __attribute__((noreturn, no_stack_protector)) __stack_chk_fail(void)
{
	void *ret = __builtin_return_address(0);

	irq_disable();
	if (in_stack_chk_fail++) {
		outl(DEBUG_EXIT_PORT, DEBUG_EXIT_BASE + (uint32_t)EXIT_CRASH);
		halt_forever();
	}
	kprintf("\nBail out! stack smashing detected: the stack protector "
		"canary of the function returning at %p was overwritten\n",
		ret);
	kprintf("# that function wrote past one of its local arrays; "
		"addr2line -f -e pinprick.elf %p names it\n",
		ret);
	pp_exit(EXIT_CRASH);
}
