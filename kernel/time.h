/*
 * time.h - nanosecond time from the TSC.
 *
 * The TSC frequency is measured against the 8254 PIT (1.193182 MHz, a
 * fixed crystal every PC-compatible VMM emulates); CPUID leaves 0x15/0x16
 * are read where present and compared with it.
 */
#ifndef PINPRICK_TIME_H
#define PINPRICK_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define NSEC_PER_SEC 1000000000ull
#define NSEC_PER_MSEC 1000000ull
#define PIT_HZ 1193182ull

enum tsc_source { TSC_SRC_NONE, TSC_SRC_PIT, TSC_SRC_CPUID15, TSC_SRC_CPUID16 };

struct time_info {
	uint64_t tsc_hz;
	enum tsc_source source;
	uint64_t cpuid15_hz;  /* 0 if CPUID 0x15 gives no frequency */
	uint64_t cpuid16_hz;  /* 0 if CPUID 0x16 gives no base MHz */
	bool invariant;	      /* CPUID 0x80000007 EDX bit 8 */
	bool pit_present;
	unsigned cal_windows; /* PIT windows calibration needed (3 when quiet) */
};

extern struct time_info time_info;

/* Calibrate; returns false (with a default frequency) if nothing works. */
bool time_init(void);
uint64_t time_ns(void); /* since time_init */
uint64_t tsc_to_ns(uint64_t ticks);
void delay_ns(uint64_t ns);

/* Count PIT ticks for about 'ns' measured by the TSC (independent check). */
uint64_t pit_ticks_during(uint64_t ns, uint64_t *tsc_elapsed);

const char *tsc_source_name(enum tsc_source s);

#endif
