/*
 * apic.c - local APIC bring-up and its one-shot timer.
 *
 * xAPIC mode (MMIO at the base in IA32_APIC_BASE, usually 0xFEE00000,
 * mapped uncached). The timer is calibrated against the TSC, which was
 * itself calibrated against the PIT, and is used as a watchdog: armed for
 * a test's budget, it fires only if the test overruns.
 */
#include "kernel/apic.h"
#include "kernel/paging.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

#define APIC_ID 0x20
#define APIC_VERSION 0x30
#define APIC_EOI 0xB0
#define APIC_SVR 0xF0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3E0
#define APIC_LVT_MASKED (1u << 16)
#define APIC_BASE_ENABLE (1ull << 11)
#define TIMER_DIV_64 0x9 /* divide configuration encoding for /64 */

struct apic_info apic_info;

static volatile uint32_t *reg(uint32_t off)
{
	return (volatile uint32_t *)(uintptr_t)(apic_info.base + off);
}

static void pic_disable(void)
{
	/* Remap the 8259s to 0x20-0x2F (away from exceptions), mask all. */
	outb(0x20, 0x11);
	outb(0xA0, 0x11);
	outb(0x21, 0x20);
	outb(0xA1, 0x28);
	outb(0x21, 0x04);
	outb(0xA1, 0x02);
	outb(0x21, 0x01);
	outb(0xA1, 0x01);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
}

void apic_eoi(void)
{
	if (apic_info.present)
		*reg(APIC_EOI) = 0;
}

void apic_watchdog_disarm(void)
{
	if (!apic_info.present)
		return;
	*reg(APIC_LVT_TIMER) = APIC_LVT_MASKED | VEC_WATCHDOG;
	*reg(APIC_TIMER_INIT) = 0;
}

void apic_watchdog_arm(uint64_t ns)
{
	uint64_t count;

	if (!apic_info.present || !apic_info.timer_hz)
		return;
	if (!ns) {
		apic_watchdog_disarm();
		return;
	}
	count = ns / 1000 * (apic_info.timer_hz / 1000) / 1000;
	if (count == 0)
		count = 1;
	if (count > 0xffffffffull)
		count = 0xffffffffull;
	*reg(APIC_TIMER_DIV) = TIMER_DIV_64;
	*reg(APIC_LVT_TIMER) = VEC_WATCHDOG; /* one-shot, unmasked */
	*reg(APIC_TIMER_INIT) = (uint32_t)count;
}

bool apic_init(void)
{
	uint64_t msr, t0, start_ns;
	uint32_t left;

	pic_disable();
	if (!(cpuid(1, 0).edx & (1u << 9)))
		return false;
	msr = rdmsr(MSR_APIC_BASE);
	apic_info.base = msr & 0xFFFFFF000ull;
	wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE);
	if (paging_map(apic_info.base, 4096, MAP_MMIO) < 0)
		return false;
	apic_info.present = true;
	apic_info.id = *reg(APIC_ID) >> 24;
	apic_info.version = *reg(APIC_VERSION) & 0xff;
	*reg(APIC_SVR) = 0x100 | VEC_SPURIOUS; /* software enable */

	/* Calibrate: let the masked timer count down for 10 ms of TSC. */
	*reg(APIC_TIMER_DIV) = TIMER_DIV_64;
	*reg(APIC_LVT_TIMER) = APIC_LVT_MASKED | VEC_WATCHDOG;
	*reg(APIC_TIMER_INIT) = 0xffffffff;
	start_ns = time_ns();
	t0 = time_ns();
	while (time_ns() - t0 < 10 * NSEC_PER_MSEC)
		cpu_relax();
	left = *reg(APIC_TIMER_CUR);
	t0 = time_ns() - start_ns;
	*reg(APIC_TIMER_INIT) = 0;
	if (t0)
		apic_info.timer_hz = (uint64_t)(0xffffffffu - left) *
				     NSEC_PER_SEC / t0;
	return true;
}
