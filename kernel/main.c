/*
 * main.c - kernel_main: bring the machine up, run the tests, exit.
 *
 * Order matters: the console first (so everything after can report), the
 * command line (it picks the TAP version of the very first line), the IDT
 * (so a fault is a readable crash report, not a silent triple fault), then
 * memory, paging, time and the local APIC that the test budgets rely on.
 */
#include "drivers/virtio/vbal_irq.h"
#include "drivers/virtio/virtio.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/boot_info.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/exit.h"
#include "kernel/gcov.h"
#include "kernel/mm.h"
#include "kernel/ioapic.h"
#include "kernel/paging.h"
#include "kernel/pci.h"
#include "kernel/serial.h"
#include "kernel/tf.h"
#include "kernel/time.h"
#include "kernel/trap.h"

#define PINPRICK_VERSION "0.1.0"

struct boot_info boot_info;
static struct cmdline_opts opts;

const char *boot_path_name(enum boot_path p)
{
	return p == BOOT_PVH ? "PVH" : p == BOOT_UEFI ? "UEFI" : "unknown";
}

const char *mmap_type_name(uint32_t type)
{
	static const char *const names[] = { "?", "RAM", "reserved",
					     "ACPI", "ACPI NVS", "unusable",
					     "disabled", "persistent" };

	return type < 8 ? names[type] : "unknown";
}

static void __attribute__((noreturn)) bail(const char *what, const char *why)
{
	kprintf("Bail out! %s: %s\n", what, why);
	pp_exit(EXIT_CRASH);
}

/* The balloon's one inl (drivers/vmware/vmw_bdoor_hw.c): a debugger or
 * the runner's VMware model puts its breakpoint here. */
extern char vmw_balloon_bdoor[];

static void print_boot_facts(const struct boot_info *bi)
{
	struct pa_stats st;

	pa_get_stats(&mm_zone, &st);
	kprintf("# pinprick %s: %s boot, %llu MiB RAM, command line \"%s\"\n",
		PINPRICK_VERSION, boot_path_name(bi->path),
		(unsigned long long)(mm_ram_bytes >> 20), bi->cmdline);
	kprintf("# pages: %llu managed, %llu free, %llu kernel, reserve "
		"floor %llu; metadata %llu pages at pfn %#llx\n",
		(unsigned long long)st.managed,
		(unsigned long long)st.count[PA_FREE],
		(unsigned long long)st.count[PA_KERNEL],
		(unsigned long long)st.reserve,
		(unsigned long long)mm_meta_pages,
		(unsigned long long)mm_meta_pfn);
	for (uint32_t i = 0; i < bi->nr_mmap; i++)
		kprintf("# memory map %2u: %#014llx-%#014llx %s\n", i,
			(unsigned long long)bi->mmap[i].addr,
			(unsigned long long)(bi->mmap[i].addr + bi->mmap[i].size),
			mmap_type_name(bi->mmap[i].type));
	if (bi->path == BOOT_UEFI)
		kprintf("# boot: UEFI loader pinprick.efi on %s (UEFI %u.%u), "
			"ExitBootServices on attempt %u, %u UEFI descriptors "
			"-> %u map entries, command line from%s%s%s\n",
			bi->firmware, bi->loader_version >> 16,
			(bi->loader_version & 0xffff) / 10, bi->exit_attempts,
			bi->efi_descs, bi->nr_mmap,
			bi->cmdline_sources & BI_CMDLINE_CFG ? " pinprick.cfg" : "",
			bi->cmdline_sources & BI_CMDLINE_LOADOPT ? " LoadOptions"
								 : "",
			bi->cmdline_sources ? "" : " nowhere (empty)");
	else
		kprintf("# boot: PVH (hvm_start_info version %u)\n",
			bi->loader_version);
	if (bi->loader_warnings)
		kprintf("# boot: the loader reported %u problem(s), first: %s\n",
			bi->loader_warnings, bi->loader_note);
	if (bi->mmap_empty)
		kprintf("# the loader's memory map had %u empty entries "
			"(ignored)\n", bi->mmap_empty);
	for (unsigned i = 0; i < virtio_nr_devices; i++)
		kprintf("# virtio %s at %s (%s)\n",
			virtio_device_name(virtio_devices[i]->device_id),
			virtio_devices[i]->where, virtio_devices[i]->ops->name);
	kprintf("# vmware balloon backdoor: inl at %p (vmw_balloon_bdoor)\n",
		(void *)vmw_balloon_bdoor);
	kprintf("# TSC %llu kHz (source %s), local APIC %s, COM2 %s\n",
		(unsigned long long)(time_info.tsc_hz / 1000),
		tsc_source_name(time_info.source),
		apic_info.present ? "on" : "absent",
		com2.present ? "present" : "absent");
}

void kernel_main(struct boot_info *bi)
{
	char err[160];

	gcov_init_all(); /* coverage build: register every object first */
	cmdline_parse(bi->cmdline, &opts);
	exit_method = opts.exit;
	tf_begin(&opts);
	cpu_init();

	if (mm_init(bi, err, sizeof(err)) < 0)
		bail("memory", err);
	if (opts.reserve_set &&
	    pa_set_reserve(&mm_zone, opts.reserve_pages) != PA_OK)
		kprintf("# reserve=%llu pages is more than is free: keeping "
			"%llu\n",
			(unsigned long long)opts.reserve_pages,
			(unsigned long long)mm_zone.reserve);
	if (paging_init(bi) < 0)
		bail("paging", "out of memory for page tables");
	time_init();
	apic_init();
	acpi_init(bi->rsdp);
	ioapic_init();
	pci_init();
	virtio_probe_all(opts.virtio_mmio, opts.nr_virtio_mmio);
	print_boot_facts(bi);

	if (opts.run == RUN_FOLLOW) {
		for (unsigned i = 0; i < opts.nr_errors; i++)
			kprintf("# command line: %s\n", opts.errors[i]);
		pp_exit(vbal_follow_run(opts.follow_dirty, opts.vbal_batch,
				       opts.vbal_bufs) == 0
				? EXIT_PASS
				: EXIT_FAIL);
	}
	pp_exit((enum exit_code)tf_main(&opts));
}
