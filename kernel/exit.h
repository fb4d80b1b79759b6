/*
 * exit.h - leaving the guest with a status the host can read.
 *
 * isa-debug-exit (port 0xf4) turns a written value v into QEMU's exit
 * status (v << 1) | 1:
 *
 *	result		v	QEMU status	"# pinprick: exit N"
 *	all passed	0x10	33		0
 *	some failed	0x11	35		1
 *	crash		0x12	37		2
 *
 * Where there is no such device (VMware, other VMMs) the final
 * "# pinprick: exit N" line carries the result, then ACPI power-off is
 * tried, then the CPU halts.
 */
#ifndef PINPRICK_EXIT_H
#define PINPRICK_EXIT_H

enum exit_code { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_CRASH = 2 };

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_BASE 0x10

enum exit_method { EXIT_AUTO = 0, EXIT_DEBUGEXIT, EXIT_ACPI, EXIT_HALT };
extern enum exit_method exit_method;

void pp_exit(enum exit_code code) __attribute__((noreturn));

#endif
