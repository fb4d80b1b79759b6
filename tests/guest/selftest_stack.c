/*
 * selftest_stack.c - the stack protector's red path: suite=selftest-stack.
 *
 * A protector that never fires proves nothing. This suite, run only when
 * named, first checks the guard the boot entry set (kernel/stack_chk.c)
 * and that a protected function writing inside its buffer returns
 * normally, then writes past a local array on purpose. The expected
 * outcome is a "Bail out! stack smashing detected" line and the crash exit
 * code (2); tests/check.sh runs it and expects exactly that.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/stack_chk.h"
#include "kernel/tf.h"

#define SMASH_BUF 16
/* Past the buffer far enough to cover the canary slot gcc puts directly
 * above the locals; the check runs before the frame is torn down, so the
 * saved registers above it are never used. */
#define SMASH_LEN (SMASH_BUF + 16)

/*
 * Fills len bytes at p. noinline and the empty asm hide p's origin and
 * len's value from the optimiser: otherwise gcc may warn about the
 * overflow at compile time or drop the write to a dead local.
 */
static void __attribute__((noinline)) fill(void *p, size_t len)
{
	volatile uint8_t *b;

	__asm__ volatile("" : "+r"(p), "+r"(len));
	b = p;
	for (size_t i = 0; i < len; i++)
		b[i] = 0x41;
}

/* A local array makes this function protected under -strong. */
static int __attribute__((noinline)) write_local(size_t len)
{
	uint8_t buf[SMASH_BUF];

	fill(buf, len);
	return buf[0];
}

static void guard_is_set(void)
{
	uint64_t g = __stack_chk_guard;

	tf_diag("source", "%s", stack_chk_source_name(stack_chk_source));
	tf_check(stack_chk_source != STACK_CHK_UNSET,
		 "pinprick: stack protector",
		 "the boot entry set the guard before any C code ran");
	tf_check(g >> 8 != 0 && (g & 0xff) == 0, "pinprick: stack protector",
		 "the guard is non-zero with a zero low byte");
	tf_info("stack protector guard from %s",
		stack_chk_source_name(stack_chk_source));
}

static void in_bounds(void)
{
	tf_check(write_local(SMASH_BUF) == 0x41, "pinprick: stack protector",
		 "a protected function that stays inside its array returns");
}

static void smash(void)
{
	write_local(SMASH_LEN);
	/* Reaching here means the protector did not fire. */
	tf_check(false, "pinprick: stack protector",
		 "writing past a local array stopped the run");
}

static const struct tf_case stack_cases[] = {
	{"guard is set", guard_is_set, 0},
	{"no false alarm", in_bounds, 0},
	{"canary overwritten", smash, 0},
};

const struct tf_suite suite_selftest_stack = TF_SUITE_EXPLICIT(
	"selftest-stack", "deliberate stack smash (expect Bail out!)",
	stack_cases);
