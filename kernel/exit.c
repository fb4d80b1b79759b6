/*
 * exit.c - stop the guest and tell the host how it went.
 *
 * The result is always printed first as "# pinprick: exit N", so a serial
 * log alone is enough (VMware, hand-run QEMU). Then isa-debug-exit, then
 * ACPI S5, then halt: each later one runs only if the earlier did not stop
 * the machine. See exit.h for the codes.
 */
#include "kernel/acpi.h"
#include "kernel/gcov.h"
#include "kernel/apic.h"
#include "kernel/console.h"
#include "kernel/exit.h"
#include "kernel/x86.h"

enum exit_method exit_method = EXIT_AUTO;

void pp_exit(enum exit_code code)
{
	irq_disable();
	apic_watchdog_disarm();
	gcov_dump(); /* coverage build only: before the line that ends a run */
	kprintf("# pinprick: exit %d\n", (int)code);
	if (exit_method == EXIT_AUTO || exit_method == EXIT_DEBUGEXIT)
		outl(DEBUG_EXIT_PORT, DEBUG_EXIT_BASE + (uint32_t)code);
	if (exit_method == EXIT_AUTO || exit_method == EXIT_ACPI) {
		acpi_poweroff();
		/* A VMM acts on S5 asynchronously: give it time before saying
		 * it did not work. A plain spin: time may not be calibrated. */
		for (volatile uint32_t i = 0; i < 50000000; i++)
			cpu_relax();
	}
	kprintf("# pinprick: halted (no exit device answered)\n");
	halt_forever();
}
