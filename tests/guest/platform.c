/*
 * platform.c - is the machine what the kernel thinks it is?
 *
 * The memory map against an independent oracle (QEMU's CMOS memory size),
 * page attributes both by walking the tables and by provoking the faults
 * they promise, recovery from deliberate exceptions, the TSC against the
 * PIT, and the per-test watchdog actually stopping a runaway test.
 */
#include "kernel/apic.h"
#include "kernel/boot_info.h"
#include "kernel/ctl.h"
#include "kernel/mm.h"
#include "kernel/paging.h"
#include "kernel/serial.h"
#include "kernel/string.h"
#include "kernel/tf.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

extern char __text_start[], __rodata_start[], __data_start[];
extern char __kernel_start[], __kernel_end[], boot_stack_guard[];

/* What only the UEFI path has: the loader's own account of the boot. */
static void test_uefi_loader(void)
{
	tf_diag("firmware", "%s", boot_info.firmware);
	tf_diag("uefi_revision", "%#x", boot_info.loader_version);
	tf_diag("exit_boot_services_attempts", "%u", boot_info.exit_attempts);
	tf_check(boot_info.loader_version >= 0x20000,
		 "UEFI 2.x EFI_SYSTEM_TABLE.Hdr.Revision",
		 "firmware implements UEFI 2.x (revision %#x)",
		 boot_info.loader_version);
	if (tf_opts->efi_stale_key)
		tf_check_u64(boot_info.exit_attempts, 2,
			     "UEFI 2.x ExitBootServices(): EFI_INVALID_PARAMETER",
			     "a stale map key (efi.stale_key) was refused and "
			     "the retry succeeded (attempt)");
	else
		tf_check(boot_info.exit_attempts >= 1 &&
				 boot_info.exit_attempts <= 8,
			 "UEFI 2.x ExitBootServices()",
			 "ExitBootServices succeeded (attempt %u of at most 8)",
			 boot_info.exit_attempts);
	tf_check(boot_info.efi_descs > 0 &&
			 boot_info.nr_mmap <= boot_info.efi_descs,
		 "UEFI 2.x GetMemoryMap()",
		 "the final UEFI memory map (%u descriptors) became %u entries",
		 boot_info.efi_descs, boot_info.nr_mmap);
	tf_check(boot_info.rsdp != 0, "UEFI 2.x EFI_ACPI_TABLE_GUID",
		 "RSDP found in the UEFI configuration table (%#llx)",
		 (unsigned long long)boot_info.rsdp);
	if (boot_info.loader_warnings)
		tf_diag("loader_note", "%s", boot_info.loader_note);
	tf_check_u64(boot_info.loader_warnings, 0, "pinprick: UEFI loader",
		     "the loader worked around no problem "
		     "(pinprick.cfg, LoadOptions, ACPI, constructors)");
}

static void test_boot_info(void)
{
	enum boot_path want = tf_opts->expect_boot;

	tf_diag("boot_path", "%s", boot_path_name(boot_info.path));
	tf_check(boot_info.path == BOOT_PVH || boot_info.path == BOOT_UEFI,
		 "pinprick: boot_info", "boot path is known (%s)",
		 boot_path_name(boot_info.path));
	if (want != BOOT_UNKNOWN)
		tf_check(boot_info.path == want, "pinprick: boot=",
			 "booted through %s, as boot=%s expects",
			 boot_path_name(boot_info.path),
			 want == BOOT_PVH ? "pvh" : "uefi");
	else
		tf_skip("no boot= on the command line",
			"booted through the expected path");
	if (boot_info.path == BOOT_PVH)
		tf_check(boot_info.loader_version >= 1,
			 "PVH hvm_start_info version >= 1",
			 "PVH start_info version %u carries a memory map",
			 boot_info.loader_version);
	if (boot_info.path == BOOT_UEFI)
		test_uefi_loader();
	tf_check(!boot_info.cmdline_truncated, "pinprick: boot_info",
		 "command line fits (%u bytes)",
		 (unsigned)BI_CMDLINE_MAX - 1);
}

static void test_memory_map(void)
{
	bool sorted = true, sane_sizes = true, has_kernel = false;
	uint64_t kstart = (uintptr_t)__kernel_start;
	uint64_t kend = (uintptr_t)__kernel_end;
	uint64_t ram_pages = 0;

	for (uint32_t i = 0; i < boot_info.nr_mmap; i++) {
		const struct mmap_entry *m = &boot_info.mmap[i];

		if (m->size == 0 || m->addr + m->size < m->addr) {
			sane_sizes = false;
			tf_diag("bad_entry", "%u", i);
		}
		if (i && m->addr < boot_info.mmap[i - 1].addr) {
			sorted = false;
			tf_diag("unsorted_entry", "%u", i);
		}
		if (m->type == MMAP_RAM && m->addr <= kstart &&
		    m->addr + m->size >= kend)
			has_kernel = true;
	}
	for (uint32_t i = 0; i < mm_nr_ranges; i++)
		ram_pages += mm_ranges[i].end_pfn - mm_ranges[i].start_pfn;

	tf_check(boot_info.nr_mmap > 0 && boot_info.mmap_dropped == 0,
		 "E820 / hvm_memmap_table_entry",
		 "memory map has %u entries, none dropped", boot_info.nr_mmap);
	tf_check(sane_sizes, "E820", "no empty or wrapping entries");
	tf_check(sorted, "E820", "entries sorted by address");
	tf_check_u64(mm_overlaps, 0, "E820", "no overlapping entries");
	tf_check(has_kernel, "pinprick: memory map",
		 "kernel image [%#llx, %#llx) lies in RAM",
		 (unsigned long long)kstart, (unsigned long long)kend);
	tf_check_range(mm_ram_bytes >> 20, 16, 1ull << 24, "pinprick: memory map",
		       "RAM size is plausible (MiB)");
	tf_check_u64(mm_zone.managed, ram_pages, "pinprick: page allocator",
		     "allocator manages exactly the RAM at or above 1 MiB");
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

/* Bytes of map entries of any type inside [lo, hi). */
static uint64_t map_bytes_within(uint64_t lo, uint64_t hi, bool ram_only)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < boot_info.nr_mmap; i++) {
		const struct mmap_entry *m = &boot_info.mmap[i];
		uint64_t a = m->addr > lo ? m->addr : lo;
		uint64_t b = m->addr + m->size < hi ? m->addr + m->size : hi;

		if (b > a && (!ram_only || m->type == MMAP_RAM))
			sum += b - a;
	}
	return sum;
}

/*
 * UEFI firmware keeps part of the guest's RAM for itself after
 * ExitBootServices (runtime services, ACPI tables and NVS, reserved
 * pages), so RAM alone is below CMOS by a firmware-dependent amount.
 * What must still agree: the map describes all of the guest's memory
 * (entries of any type inside QEMU's RAM ranges add up to CMOS, less the
 * legacy 0xA0000-0xFFFFF hole), and the firmware keeps only a little.
 */
static void test_uefi_memory_vs_cmos(uint64_t low, uint64_t high,
				     uint64_t cmos_mib)
{
	uint64_t low_top = (16ull << 20) + (low << 16);
	uint64_t high_top = (4ull << 30) + (high << 16);
	uint64_t all = map_bytes_within(0, low_top, false) +
		       map_bytes_within(4ull << 30, high_top, false);
	uint64_t ram = map_bytes_within(0, low_top, true) +
		       map_bytes_within(4ull << 30, high_top, true);
	uint64_t all_mib = (all + (1 << 19)) >> 20;
	uint64_t kept_kib = (all - ram) >> 10;

	tf_diag("firmware_keeps_kib", "%llu", (unsigned long long)kept_kib);
	tf_check_range(all_mib, cmos_mib > 2 ? cmos_mib - 2 : 0, cmos_mib,
		       "QEMU CMOS 0x34/0x35, 0x5b-0x5d; UEFI GetMemoryMap",
		       "the UEFI memory map covers the RAM CMOS reports (%llu MiB)",
		       (unsigned long long)cmos_mib);
	tf_check_range(kept_kib, 0, (cmos_mib << 10) / 10,
		       "pinprick: UEFI memory map",
		       "firmware keeps at most 10%% of RAM after ExitBootServices (KiB)");
}

static void test_memory_vs_cmos(void)
{
	/* QEMU's pc/q35 CMOS: 0x34/0x35 RAM above 16 MiB below 4 GiB in
	 * 64 KiB units, 0x5b-0x5d RAM above 4 GiB in 64 KiB units. */
	uint64_t low = cmos_read(0x34) | ((uint64_t)cmos_read(0x35) << 8);
	uint64_t high = cmos_read(0x5b) | ((uint64_t)cmos_read(0x5c) << 8) |
			((uint64_t)cmos_read(0x5d) << 16);
	uint64_t cmos_mib, map_mib = 0;

	if (low == 0xffff && high == 0xffffff) {
		tf_skip("no CMOS on this machine", "RAM size agrees with CMOS");
		return;
	}
	cmos_mib = 16 + (low * 64 >> 10) + (high * 64 >> 10);
	if (boot_info.path == BOOT_UEFI) {
		test_uefi_memory_vs_cmos(low, high, cmos_mib);
		return;
	}
	for (uint32_t i = 0; i < boot_info.nr_mmap; i++)
		if (boot_info.mmap[i].type == MMAP_RAM)
			map_mib += boot_info.mmap[i].size;
	map_mib = (map_mib + (1 << 19)) >> 20;
	/* The map's RAM sits slightly under CMOS (BIOS areas). */
	tf_check_range(map_mib, cmos_mib > 2 ? cmos_mib - 2 : 0, cmos_mib,
		       "QEMU CMOS 0x34/0x35, 0x5b-0x5d",
		       "RAM in the memory map agrees with CMOS (%llu MiB)",
		       (unsigned long long)cmos_mib);
}

static bool attrs_of(uint64_t va, uint64_t *e)
{
	unsigned shift;

	return paging_query(va, e, &shift);
}

static void test_paging_attributes(void)
{
	uint64_t e = 0, nx = paging_nx ? PG_NX : 0;
	uint64_t text = (uintptr_t)__text_start;
	uint64_t rodata = (uintptr_t)__rodata_start;
	uint64_t data = (uintptr_t)__data_start;
	uint64_t guard = (uintptr_t)boot_stack_guard;
	bool all_ram = true;
	uint64_t bad = 0;

	tf_check(paging_nx, "Intel SDM 4.6 (EFER.NXE)", "NX is enabled");
	tf_check(read_cr0() & CR0_WP, "Intel SDM 4.6 (CR0.WP)",
		 "supervisor writes honour read-only pages (CR0.WP)");
	tf_check(attrs_of(text, &e) && !(e & PG_W) && !(e & PG_NX),
		 "pinprick: W^X", "kernel text is read-only and executable");
	tf_check(attrs_of(rodata, &e) && !(e & PG_W) && (e & PG_NX) == nx,
		 "pinprick: W^X", "rodata is read-only and no-execute");
	tf_check(attrs_of(data, &e) && (e & PG_W) && (e & PG_NX) == nx,
		 "pinprick: W^X", "data is writable and no-execute");
	tf_check(!attrs_of(guard, &e), "pinprick: stack guard",
		 "the page under the stack is not mapped");
	tf_check(!attrs_of(0, &e), "pinprick: NULL page",
		 "page 0 is not mapped");

	for (uint32_t i = 0; i < mm_nr_ranges; i++) {
		uint64_t ends[2] = { mm_ranges[i].start_pfn << 12,
				     (mm_ranges[i].end_pfn - 1) << 12 };

		for (int k = 0; k < 2; k++) {
			/* Kernel text and rodata are read-only on purpose. */
			bool ro = ends[k] >= text && ends[k] < data;

			if (!attrs_of(ends[k], &e) || !(e & PG_W) == !ro ||
			    (!ro && (e & PG_NX) != nx)) {
				all_ram = false;
				bad = ends[k];
			}
		}
	}
	tf_diag("bad_range", "%#llx", (unsigned long long)bad);
	tf_check(all_ram, "pinprick: identity map",
		 "every RAM range is mapped writable at both ends");
	if (mm_ranges[mm_nr_ranges - 1].end_pfn > (4ull << 30) >> 12) {
		uint64_t hi = (mm_ranges[mm_nr_ranges - 1].end_pfn - 1) << 12;

		tf_check(attrs_of(hi, &e) && (e & PG_NX) == nx,
			 "pinprick: identity map",
			 "RAM above 4 GiB is mapped (%#llx)",
			 (unsigned long long)hi);
	} else {
		tf_skip("no RAM above 4 GiB with this much memory",
			"RAM above 4 GiB is mapped");
	}
}

/* Run op under a catch for vector; report what was caught. */
static bool provoke(void (*op)(void), unsigned vector, struct trap_catch *c)
{
	c->vectors = TRAP_BIT(vector);
	c->vector = -1;
	if (trap_try(c) == 0) {
		op();
		trap_end(c);
		return false;
	}
	return c->vector == (int)vector;
}

static void write_text(void)
{
	*(volatile uint8_t *)__text_start = 0x90;
}

static uint8_t exec_buf[16] __attribute__((aligned(16)));

static void exec_data(void)
{
	exec_buf[0] = 0xc3; /* ret */
	((void (*)(void))(uintptr_t)exec_buf)();
}

static void read_null(void)
{
	(void)*(volatile uint64_t *)8;
}

static void read_guard(void)
{
	(void)*(volatile uint64_t *)(uintptr_t)boot_stack_guard;
}

static void read_noncanonical(void)
{
	(void)*(volatile uint64_t *)0x8000000000000000ull;
}

static void undefined_opcode(void)
{
	__asm__ volatile("ud2");
}

static void breakpoint(void)
{
	__asm__ volatile("int3");
}

static void test_faults(void)
{
	struct trap_catch c = { 0 };
	bool ok;

	ok = provoke(write_text, TRAP_PF, &c);
	tf_diag("error", "%#llx", (unsigned long long)c.error);
	tf_check(ok && (c.error & PF_WRITE) && (c.error & PF_PRESENT) &&
			 c.cr2 == (uintptr_t)__text_start,
		 "Intel SDM 4.6 (CR0.WP)",
		 "a write to kernel text faults (#PF, write, present)");

	ok = provoke(exec_data, TRAP_PF, &c);
	tf_diag("error", "%#llx", (unsigned long long)c.error);
	tf_check(ok && (c.error & PF_FETCH) && c.cr2 == (uintptr_t)exec_buf,
		 "Intel SDM 4.6 (XD)",
		 "executing a data page faults (#PF, instruction fetch)");

	ok = provoke(read_null, TRAP_PF, &c);
	tf_diag("cr2", "%#llx", (unsigned long long)c.cr2);
	tf_check(ok && !(c.error & PF_PRESENT) && c.cr2 == 8,
		 "pinprick: NULL page",
		 "a deliberate NULL read faults and is recovered");

	ok = provoke(read_guard, TRAP_PF, &c);
	tf_check(ok && c.cr2 == (uintptr_t)boot_stack_guard,
		 "pinprick: stack guard", "the stack guard page faults");

	ok = provoke(read_noncanonical, TRAP_GP, &c);
	tf_check(ok, "Intel SDM 3.3.7.1",
		 "a non-canonical address raises #GP and is recovered");

	ok = provoke(undefined_opcode, TRAP_UD, &c);
	tf_check(ok, "Intel SDM 6.15 (#UD)", "ud2 raises #UD and is recovered");

	ok = provoke(breakpoint, TRAP_BP, &c);
	tf_check(ok, "Intel SDM 6.15 (#BP)", "int3 raises #BP and is recovered");
}

static void test_timer(void)
{
	uint64_t prev = time_ns(), backwards = 0, tsc_elapsed = 0;
	uint64_t pit = 0, expect = 0, ratio = 0;
	unsigned attempt;

	for (int i = 0; i < 100000; i++) {
		uint64_t now = time_ns();

		if (now < prev)
			backwards++;
		prev = now;
	}
	tf_check_u64(backwards, 0, "pinprick: time",
		     "time_ns never goes backwards (100000 reads)");
	tf_diag("source", "%s", tsc_source_name(time_info.source));
	tf_check(time_info.source == TSC_SRC_PIT, "pinprick: time",
		 "TSC calibrated against the PIT (%llu kHz)",
		 (unsigned long long)(time_info.tsc_hz / 1000));

	if (!time_info.pit_present) {
		tf_skip("no PIT to compare with",
			"calibration within 5%% of the PIT");
		return;
	}
	/*
	 * An independent 100 ms window: PIT ticks vs the TSC's idea of it.
	 * A host that deschedules the vCPU past a PIT wrap (55 ms) spoils
	 * one window without the calibration being wrong, so up to three
	 * windows are tried; a wrong calibration fails all three.
	 */
	for (attempt = 1; attempt <= 3; attempt++) {
		pit = pit_ticks_during(100 * NSEC_PER_MSEC, &tsc_elapsed);
		expect = tsc_to_ns(tsc_elapsed) / 1000 * PIT_HZ / 1000000;
		ratio = expect ? pit * 1000 / expect : 0;
		if (ratio >= 950 && ratio <= 1050)
			break;
	}
	tf_diag("calibration_windows", "%u", time_info.cal_windows);
	tf_diag("attempts", "%u", attempt > 3 ? 3 : attempt);
	tf_diag("pit_ticks", "%llu", (unsigned long long)pit);
	tf_diag("expected_ticks", "%llu", (unsigned long long)expect);
	tf_check_range(ratio, 950, 1050, "pinprick: time",
		       "calibration within 5%% of the PIT (per mille)");

	if (time_info.cpuid15_hz)
		tf_check_range(time_info.cpuid15_hz / 1000,
			       time_info.tsc_hz / 1000 * 95 / 100,
			       time_info.tsc_hz / 1000 * 105 / 100,
			       "Intel SDM CPUID.15h",
			       "CPUID.15h TSC frequency within 5%% (kHz)");
	else
		tf_skip("CPUID.15h gives no frequency on this CPU model",
			"CPUID.15h TSC frequency within 5%%");
	if (time_info.cpuid16_hz)
		tf_info("CPUID.16h base frequency %llu MHz",
			(unsigned long long)(time_info.cpuid16_hz / 1000000));
}

static void test_delay(void)
{
	uint64_t d = 0;
	unsigned attempt;

	/* Returning early is a bug at once; returning late can be the host
	 * descheduling the vCPU, so lateness gets up to three attempts. */
	for (attempt = 1; attempt <= 3; attempt++) {
		uint64_t t0 = time_ns();

		delay_ns(20 * NSEC_PER_MSEC);
		d = time_ns() - t0;
		if (d / 1000 <= 30000 || d / 1000 < 20000)
			break;
	}
	tf_diag("attempts", "%u", attempt > 3 ? 3 : attempt);
	tf_check_range(d / 1000, 20000, 30000, "pinprick: time",
		       "delay_ns(20 ms) takes 20 ms (us)");
}

static void spin_forever(void)
{
	for (;;)
		cpu_relax();
}

static void test_watchdog(void)
{
	uint64_t elapsed = 0;
	int stopped;

	tf_check(apic_info.present && apic_info.timer_hz,
		 "pinprick: test budgets",
		 "local APIC timer calibrated (%llu Hz)",
		 (unsigned long long)apic_info.timer_hz);
	stopped = tf_run_guarded(spin_forever, 50 * NSEC_PER_MSEC, &elapsed);
	tf_check(stopped, "pinprick: test budgets",
		 "a test that never returns is stopped by the watchdog");
	tf_check_range(elapsed / NSEC_PER_MSEC, 50, 1000,
		       "pinprick: test budgets",
		       "it is stopped at its 50 ms budget (ms)");
}

static void test_serial(void)
{
	tf_check(com1.present, "16550 scratch register", "COM1 is present");
	tf_check_u64(com1.tx_timeouts, 0, "pinprick: console",
		     "no COM1 byte lost to a transmit timeout");
	tf_info("COM2 %s", com2.present ? "present: control channel usable"
					 : "absent: host-side checks skip");
}

static void test_control_channel(void)
{
	char reply[CTL_LINE_MAX];
	int rc;

	if (!ctl_connect(2 * NSEC_PER_SEC)) {
		tf_skip(ctl_unavailable_reason(), "the runner answers hello");
		return;
	}
	tf_diag("peer", "%s", ctl_peer);
	tf_check(!strncmp(ctl_peer, "pinprick-run ", 13),
		 "pinprick: control protocol",
		 "the runner answers hello with its name and version");
	rc = ctl_request("no-such-verb", NULL, reply, sizeof(reply),
			 2 * NSEC_PER_SEC);
	tf_diag("status", "%s", ctl_status_name(rc));
	tf_diag("reply", "%s", reply);
	tf_check(rc == CTL_ERR && !strncmp(reply, "unknown-verb", 12),
		 "pinprick: control protocol",
		 "the runner refuses an unknown verb with a reason");
}

static const struct tf_case platform_cases[] = {
	{ "boot info", test_boot_info, 0 },
	{ "memory map", test_memory_map, 0 },
	{ "memory size vs CMOS", test_memory_vs_cmos, 0 },
	{ "paging attributes", test_paging_attributes, 0 },
	{ "deliberate faults", test_faults, 0 },
	{ "timer", test_timer, 0 },
	{ "delay", test_delay, 0 },
	{ "watchdog", test_watchdog, 0 },
	{ "serial ports", test_serial, 0 },
	{ "control channel", test_control_channel, 0 },
};

const struct tf_suite suite_platform =
	TF_SUITE("platform", "memory map, paging, faults, time, watchdog",
		 platform_cases);
