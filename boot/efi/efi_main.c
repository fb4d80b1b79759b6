/*
 * efi_main.c - pinprick's UEFI loader: the only code that talks to UEFI.
 *
 * BOOTX64.EFI carries the kernel ELF (kernel_blob.S). While boot services
 * run we collect what the kernel needs into a struct boot_info - the
 * command line (pinprick.cfg beside us, then LoadOptions), the ACPI RSDP
 * from the configuration table, the firmware's name - and copy the
 * kernel's segments to the physical addresses it is linked at, pages we
 * claim by address so the firmware cannot be using them. Then the one
 * delicate step (UEFI 2.x, EFI_BOOT_SERVICES.ExitBootServices()): fetch
 * the memory map, exit with its key, and if the key went stale (the
 * firmware may allocate memory at any time, even inside the exit call),
 * fetch the map again and retry, calling nothing else in between. After
 * that there is no ConOut and no allocator: we translate the final map
 * and jump to the kernel's 64-bit entry (boot/uefi_entry.asm), which
 * enters the same kernel_main as PVH.
 *
 * Debian's gnu-efi 3.0.15 crt0 calls efi_main directly, so InitializeLib
 * and the constructors (efi.lds keeps .init_array) are ours to run.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/efi/ldr.h"

#define EXIT_TRIES	8
#define MAP_SLACK_DESCS 16 /* room for what the pool allocation adds */
#define PATH_MAX_CHARS	256

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

extern const UINT8 ldr_kernel_image[], ldr_kernel_image_end[];
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

/* In .data (efi.lds): it must outlive boot services, the kernel copies it. */
static struct boot_info bi;
static unsigned ctors_ran;
/* efi.stale_key: prove the ExitBootServices retry path on real firmware. */
static bool stale_key_test;

/* Proves the constructor array survived linking and objcopy. */
static void __attribute__((constructor)) ldr_ctor_probe(void)
{
	ctors_ran++;
}

static UINT64 rdtsc(void)
{
	UINT32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((UINT64)hi << 32) | lo;
}

static void com1_puts(const char *m)
{
	for (; *m; m++) {
		UINT8 lsr = 0;

		do
			__asm__ volatile("inb %1, %0"
					 : "=a"(lsr)
					 : "Nd"((UINT16)0x3fd));
		while (!(lsr & 0x20));
		__asm__ volatile("outb %0, %1"
				 :
				 : "a"(*m), "Nd"((UINT16)0x3f8));
	}
}

static void run_constructors(void)
{
	for (void (**f)(void) = __init_array_start; f < __init_array_end; f++)
		(*f)();
}

/* A problem we worked around: counted, the first kept for the kernel. */
static void warn(const char *why)
{
	if (bi.loader_warnings++ == 0) {
		size_t i;

		for (i = 0; why[i] && i + 1 < sizeof(bi.loader_note); i++)
			bi.loader_note[i] = why[i];
		bi.loader_note[i] = '\0';
	}
	Print(L"# efi: %a\n", why);
}

/* Before ExitBootServices only: say why, then power off. */
static void __attribute__((noreturn)) fatal(const char *what, const char *why)
{
	Print(L"Bail out! UEFI loader: %a: %a\n", what, why);
	RT->ResetSystem(EfiResetShutdown, EFI_LOAD_ERROR, 0, NULL);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void append_ascii(char *dst, size_t size, const char *s)
{
	size_t n = 0;

	while (dst[n])
		n++;
	while (*s && n + 1 < size)
		dst[n++] = *s++;
	dst[n] = '\0';
}

static void set_firmware_name(EFI_SYSTEM_TABLE *st)
{
	static const char hex[] = "0123456789abcdef";
	char rev[16] = " 0x";
	size_t n = 0;

	for (const CHAR16 *v = st->FirmwareVendor; v && *v; v++) {
		if (n + 1 >= sizeof(bi.firmware) - sizeof(rev))
			break;
		bi.firmware[n++] = *v >= 0x20 && *v < 0x7f ? (char)*v : '?';
	}
	bi.firmware[n] = '\0';
	for (int i = 7, j = 3; i >= 0; i--, j++)
		rev[j] = hex[(st->FirmwareRevision >> (4 * i)) & 0xf];
	rev[11] = '\0';
	append_ascii(bi.firmware, sizeof(bi.firmware), rev);
}

/* "\EFI\BOOT\BOOTX64.EFI" -> "\EFI\BOOT\pinprick.cfg" (file path nodes). */
static void cfg_path(EFI_DEVICE_PATH *dp, CHAR16 *out)
{
	static const CHAR16 name[] = L"pinprick.cfg";
	size_t n = 0, slash = 0;

	for (; dp && !IsDevicePathEnd(dp); dp = NextDevicePathNode(dp)) {
		const FILEPATH_DEVICE_PATH *fp =
			(const FILEPATH_DEVICE_PATH *)dp;
		size_t len = DevicePathNodeLength(dp);

		if (len < 4)
			break; /* malformed: would loop forever */
		if (DevicePathType(dp) != MEDIA_DEVICE_PATH ||
		    DevicePathSubType(dp) != MEDIA_FILEPATH_DP)
			continue;
		for (size_t i = 0; i < (len - 4) / 2 && fp->PathName[i]; i++) {
			if (n + 1 >= PATH_MAX_CHARS)
				break;
			if (fp->PathName[i] == L'\\' && n &&
			    out[n - 1] == L'\\')
				continue;
			out[n++] = fp->PathName[i];
		}
	}
	for (size_t i = 0; i < n; i++)
		if (out[i] == L'\\')
			slash = i + 1;
	if (slash == 0) { /* no file path: the removable-media default */
		static const CHAR16 def[] = L"\\EFI\\BOOT\\";

		for (slash = 0; def[slash]; slash++)
			out[slash] = def[slash];
	}
	for (size_t i = 0; name[i] && slash + i + 1 < PATH_MAX_CHARS;
	     i++, n = slash + i + 1)
		out[slash + i] = name[i];
	out[n] = 0;
}

static void read_cfg(EFI_LOADED_IMAGE *li)
{
	static char buf[LDR_CFG_MAX + 1];
	CHAR16 path[PATH_MAX_CHARS];
	EFI_FILE_HANDLE root, f;
	UINTN size = sizeof(buf);
	const char *why = NULL;
	EFI_STATUS s;
	bool trunc = false;

	cfg_path(li->FilePath, path);
	root = LibOpenRoot(li->DeviceHandle);
	if (!root) {
		Print(L"# efi: no file system on the boot device, no "
		      L"pinprick.cfg\n");
		return;
	}
	s = root->Open(root, &f, path, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(s)) {
		Print(L"# efi: no %s (%r)\n", path, s);
		root->Close(root);
		return;
	}
	s = f->Read(f, &size, buf);
	f->Close(f);
	root->Close(root);
	if (EFI_ERROR(s)) {
		warn("pinprick.cfg could not be read; ignored");
	} else if (size > LDR_CFG_MAX) {
		warn("pinprick.cfg is longer than 8192 bytes; ignored");
	} else if (ldr_cfg_append(bi.cmdline, sizeof(bi.cmdline), buf, size,
				  &trunc, &why)) {
		warn(why);
	} else {
		bi.cmdline_sources |= BI_CMDLINE_CFG;
		Print(L"# efi: read %s (%d bytes)\n", path, (int)size);
	}
	bi.cmdline_truncated |= trunc;
}

static void read_load_options(EFI_LOADED_IMAGE *li)
{
	const char *why = NULL;
	bool trunc = false;

	if (li->LoadOptionsSize == 0)
		return;
	if (ldr_loadopt_append(bi.cmdline, sizeof(bi.cmdline), li->LoadOptions,
			       li->LoadOptionsSize, &trunc, &why)) {
		warn(why);
		return;
	}
	bi.cmdline_sources |= BI_CMDLINE_LOADOPT;
	bi.cmdline_truncated |= trunc;
}

static void find_rsdp(void)
{
	static EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	void *p = NULL;

	if (LibGetSystemConfigurationTable(&acpi20, &p) == EFI_SUCCESS && p)
		bi.rsdp = (UINT64)(UINTN)p;
	else if (LibGetSystemConfigurationTable(&acpi10, &p) == EFI_SUCCESS &&
		 p)
		bi.rsdp = (UINT64)(UINTN)p;
	else
		warn("no ACPI table in the UEFI configuration table");
}

/* Claims the kernel's pages by address and copies its segments there. */
static void place_kernel(const struct ldr_kernel *k)
{
	EFI_PHYSICAL_ADDRESS at = k->lo;
	UINTN pages = (k->hi - k->lo) >> 12;
	EFI_STATUS s;

	/* LoaderCode, not Data: firmware may map data pages no-execute. */
	s = BS->AllocatePages(AllocateAddress, EfiLoaderCode, pages, &at);
	if (EFI_ERROR(s)) {
		Print(L"Bail out! UEFI loader: cannot claim %lx-%lx for the "
		      L"kernel: %r\n",
		      k->lo, k->hi, s);
		fatal("kernel placement", "memory at the kernel's link address "
					  "is in use by the firmware");
	}
	SetMem((void *)(UINTN)k->lo, k->hi - k->lo, 0);
	for (unsigned i = 0; i < k->nr_seg; i++)
		CopyMem((void *)(UINTN)k->seg[i].paddr,
			(void *)(ldr_kernel_image + k->seg[i].offset),
			k->seg[i].filesz);
}

/*
 * GetMemoryMap + ExitBootServices with retry. After the first exit
 * attempt only GetMemoryMap may be called (UEFI 2.x), so the buffer is
 * allocated once, with slack, before trying.
 */
static void exit_boot_services(EFI_HANDLE image, UINT8 **map, UINTN *map_size,
			       UINTN *desc_size)
{
	UINTN size = 0, buf_size, key = 0;
	UINT32 version = 0;
	EFI_STATUS s;

	s = BS->GetMemoryMap(&size, NULL, &key, desc_size, &version);
	if (s != EFI_BUFFER_TOO_SMALL || *desc_size == 0)
		fatal("GetMemoryMap", "did not report the size it needs");
	buf_size = size + MAP_SLACK_DESCS * *desc_size;
	s = BS->AllocatePool(EfiLoaderData, buf_size, (void **)map);
	if (EFI_ERROR(s))
		fatal("AllocatePool", "no memory for the memory map");
	for (bi.exit_attempts = 1; bi.exit_attempts <= EXIT_TRIES;
	     bi.exit_attempts++) {
		size = buf_size;
		s = BS->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)*map, &key,
				     desc_size, &version);
		if (EFI_ERROR(s))
			break;
		if (bi.exit_attempts == 1 && stale_key_test) {
			EFI_PHYSICAL_ADDRESS page = 0;

			/* A boot-services call in between: the key goes stale. */
			BS->AllocatePages(AllocateAnyPages, EfiLoaderData, 1,
					  &page);
		}
		s = BS->ExitBootServices(image, key);
		if (s == EFI_SUCCESS) {
			*map_size = size;
			return;
		}
		if (s != EFI_INVALID_PARAMETER)
			break;
	}
	/* Boot services may be half gone: no Print. COM1 is all we have. */
	com1_puts("Bail out! UEFI loader: ExitBootServices failed\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

typedef void (*entry_fn)(const struct boot_info *, UINT64, UINT64);

/* uefi_start64 never returns; if it did, there is nothing to go back to. */
static void __attribute__((noreturn)) enter_kernel(UINT64 entry)
{
	((entry_fn)(UINTN)entry)(&bi, UEFI_HANDOFF_MAGIC, sizeof(bi));
	for (;;)
		__asm__ volatile("cli; hlt");
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_LOADED_IMAGE *li = NULL;
	struct ldr_kernel k;
	const char *why = NULL;
	UINT8 *map = NULL;
	UINTN map_size = 0, desc_size = 0;

	bi.loader_tsc = rdtsc();
	InitializeLib(image, systab);
	run_constructors();
	bi.path = BOOT_UEFI;
	bi.loader_version = systab->Hdr.Revision;
	set_firmware_name(systab);
	Print(L"# efi: pinprick UEFI loader on %a, UEFI %d.%d\n", bi.firmware,
	      systab->Hdr.Revision >> 16, (systab->Hdr.Revision & 0xffff) / 10);
	if (ctors_ran != 1)
		warn("the loader's constructors did not run exactly once");

	if (EFI_ERROR(BS->HandleProtocol(image, &LoadedImageProtocol,
					 (void **)&li)) ||
	    !li)
		fatal("LoadedImage",
		      "the firmware has no loaded-image protocol");
	read_cfg(li);
	read_load_options(li);
	Print(L"# efi: command line \"%a\"\n", bi.cmdline);
	find_rsdp();

	if (ldr_elf_parse(ldr_kernel_image,
			  (size_t)((UINTN)ldr_kernel_image_end -
				   (UINTN)ldr_kernel_image),
			  &k, &why))
		fatal("embedded kernel", why);
	place_kernel(&k);
	Print(L"# efi: kernel at %lx-%lx, entry %lx; exiting boot services\n",
	      k.lo, k.hi, k.entry64);

	stale_key_test = ldr_has_word(bi.cmdline, "efi.stale_key");
	if (stale_key_test)
		Print(L"# efi: efi.stale_key: the first ExitBootServices gets a "
		      L"stale map key on purpose\n");
	exit_boot_services(image, &map, &map_size, &desc_size);
	if (ldr_mmap_convert(map, map_size, desc_size, &bi, &why))
		bi.loader_warnings++; /* the kernel reports the empty map */
	enter_kernel(k.entry64);
}
