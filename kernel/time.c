/*
 * time.c - TSC calibration against the PIT, and time in nanoseconds.
 *
 * PIT channel 0 is put in rate-generator mode counting down from 65536 and
 * read with the latch command; we add up how far it counted while the TSC
 * ran. Only ports 0x40-0x43 are used (no speaker port 0x61), which every
 * QEMU machine type we boot on has.
 *
 * Windows until three agree: the 16-bit PIT count wraps every 55 ms, so
 * a vCPU that the host deschedules for longer inside a window loses a
 * whole wrap and that window's frequency comes out high (seen here on a
 * loaded host: 3.1 GHz for a 2.6 GHz TSC, two windows of three). On a
 * quiet host the first three windows agree and calibration takes 30 ms;
 * on a busy one it takes more windows, at most CAL_MAX_WINDOWS.
 */
#include "kernel/time.h"
#include "kernel/x86.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43
/* Three windows of 10 ms: 25 ms each made calibration 3/4 of the boot
 * (docs/performance.md); 10 ms is still 11932 PIT ticks per window. */
#define CAL_WINDOW_NS (10 * NSEC_PER_MSEC)
#define CAL_MAX_WINDOWS 12
#define CAL_AGREE_PER_MILLE 5 /* three windows within 0.5 % */

struct time_info time_info;
static uint64_t tsc_base;
static uint64_t ns_mult; /* ns = ticks * ns_mult >> 32 */

const char *tsc_source_name(enum tsc_source s)
{
	switch (s) {
	case TSC_SRC_PIT:
		return "PIT";
	case TSC_SRC_CPUID15:
		return "CPUID.15h";
	case TSC_SRC_CPUID16:
		return "CPUID.16h";
	default:
		return "none (assumed 1 GHz)";
	}
}

static uint16_t pit_read(void)
{
	uint8_t lo, hi;

	outb(PIT_CMD, 0x00); /* latch channel 0 */
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (uint16_t)(lo | (hi << 8));
}

static void pit_start(void)
{
	outb(PIT_CMD, 0x34); /* channel 0, lo/hi, mode 2, binary */
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0); /* reload 0 = 65536 */
}

/* Ticks of the PIT while the TSC advances by tsc_ticks (busy loop). */
static uint64_t pit_count_for_tsc(uint64_t tsc_ticks, uint64_t *tsc_elapsed)
{
	uint16_t prev = pit_read(), cur;
	uint64_t pit = 0, start = rdtsc(), now;

	do {
		cur = pit_read();
		pit += (uint16_t)(prev - cur); /* counts down, wraps */
		prev = cur;
		now = rdtsc();
	} while (now - start < tsc_ticks);
	*tsc_elapsed = now - start;
	return pit;
}

/* TSC ticks while the PIT counts pit_ticks; 0 if the PIT does not move. */
static uint64_t tsc_for_pit(uint64_t pit_ticks)
{
	uint16_t prev = pit_read(), cur;
	uint64_t pit = 0, start = rdtsc(), limit = 0;

	while (pit < pit_ticks) {
		cur = pit_read();
		pit += (uint16_t)(prev - cur);
		prev = cur;
		if (++limit > 50000000)
			return 0;
	}
	return rdtsc() - start;
}

static bool pit_moves(void)
{
	uint16_t a = pit_read();

	for (int i = 0; i < 100000; i++)
		if (pit_read() != a)
			return true;
	return false;
}

static void read_cpuid_freqs(void)
{
	uint32_t max = cpuid(0, 0).eax;
	struct cpuid_regs r;

	if (max >= 0x15) {
		r = cpuid(0x15, 0); /* TSC/crystal ratio EBX/EAX, crystal ECX */
		if (r.eax && r.ebx && r.ecx)
			time_info.cpuid15_hz = (uint64_t)r.ecx * r.ebx / r.eax;
	}
	if (max >= 0x16) {
		r = cpuid(0x16, 0); /* base frequency in MHz */
		if (r.eax & 0xffff)
			time_info.cpuid16_hz = (uint64_t)(r.eax & 0xffff) * 1000000;
	}
	if (cpuid(0x80000000, 0).eax >= 0x80000007)
		time_info.invariant = (cpuid(0x80000007, 0).edx >> 8) & 1;
}

static void set_hz(uint64_t hz)
{
	time_info.tsc_hz = hz;
	ns_mult = (NSEC_PER_SEC << 32) / hz;
}

/* Insert v into the sorted m[0..n-1]. */
static void sorted_insert(uint64_t *m, unsigned n, uint64_t v)
{
	while (n && m[n - 1] > v) {
		m[n] = m[n - 1];
		n--;
	}
	m[n] = v;
}

/* TSC Hz from PIT windows (see the top of the file); 0 if the PIT stalls. */
static uint64_t calibrate_pit(void)
{
	uint64_t m[CAL_MAX_WINDOWS] = {0};
	uint64_t pit_ticks = PIT_HZ * CAL_WINDOW_NS / NSEC_PER_SEC;
	unsigned n;

	for (n = 0; n < CAL_MAX_WINDOWS; n++) {
		uint64_t hz = tsc_for_pit(pit_ticks) * PIT_HZ / pit_ticks;

		if (!hz)
			return 0;
		sorted_insert(m, n, hz);
		time_info.cal_windows = n + 1;
		/* Any three neighbours (in sorted order) that agree. */
		for (unsigned i = 0; n >= 2 && i + 2 <= n; i++)
			if ((m[i + 2] - m[i]) * 1000 <=
			    m[i + 1] * CAL_AGREE_PER_MILLE)
				return m[i + 1];
	}
	return m[CAL_MAX_WINDOWS / 2]; /* no agreement: the median */
}

bool time_init(void)
{
	uint64_t hz;

	read_cpuid_freqs();
	tsc_base = rdtsc();
	pit_start();
	time_info.pit_present = pit_moves();
	if (time_info.pit_present) {
		hz = calibrate_pit();
		if (hz) {
			set_hz(hz);
			time_info.source = TSC_SRC_PIT;
			return true;
		}
	}
	if (time_info.cpuid15_hz) {
		set_hz(time_info.cpuid15_hz);
		time_info.source = TSC_SRC_CPUID15;
		return true;
	}
	if (time_info.cpuid16_hz) {
		set_hz(time_info.cpuid16_hz);
		time_info.source = TSC_SRC_CPUID16;
		return true;
	}
	set_hz(1000000000ull);
	time_info.source = TSC_SRC_NONE;
	return false;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * ns_mult) >> 32);
}

uint64_t time_ns(void)
{
	return tsc_to_ns(rdtsc() - tsc_base);
}

void delay_ns(uint64_t ns)
{
	uint64_t end = time_ns() + ns;

	while (time_ns() < end)
		cpu_relax();
}

uint64_t pit_ticks_during(uint64_t ns, uint64_t *tsc_elapsed)
{
	/* No 128-bit division in a libgcc-free kernel: scale in two steps. */
	uint64_t ticks = ns / 1000 * (time_info.tsc_hz / 1000) / 1000;

	return pit_count_for_tsc(ticks, tsc_elapsed);
}
