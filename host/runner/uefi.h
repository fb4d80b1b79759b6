/*
 * uefi.h - what a boot = uefi run needs on disk before QEMU starts.
 *
 * OVMF boots whatever \EFI\BOOT\BOOTX64.EFI it finds on a FAT disk. The
 * runner makes that disk a directory in the run's private tmpdir, served
 * by QEMU's vvfat driver: our EFI application and a pinprick.cfg holding
 * the command line (the UEFI loader reads it; there is no -append). Each
 * run also gets its own copy of the OVMF variable store, so runs never
 * share or corrupt firmware state.
 */
#ifndef PINPRICK_RUNNER_UEFI_H
#define PINPRICK_RUNNER_UEFI_H

#include <stddef.h>

#include "host/runner/profile.h"

#define UEFI_MAX_COPY (64u << 20) /* bytes: EFI app, variable store */

struct uefi_files {
	char esp_dir[4096]; /* tmpdir/esp */
	char efi[4096];	    /* tmpdir/esp/EFI/BOOT/BOOTX64.EFI */
	char cfg[4096];	    /* tmpdir/esp/EFI/BOOT/pinprick.cfg */
	char vars[4096];    /* tmpdir/OVMF_VARS.fd */
	int made;	    /* how far uefi_prepare got, for uefi_remove */
};

/*
 * Makes the ESP tree (unless boot_image is set: then only the variable
 * store) with a copy of efi_app and cmdline in pinprick.cfg. 0, or -1
 * with err naming the file.
 */
int uefi_prepare(const struct prof *p, const char *efi_app, const char *cmdline,
		 const char *boot_image, const char *tmpdir,
		 struct uefi_files *f, char *err, size_t err_size);

/* Removes what uefi_prepare made (and anything vvfat added). */
void uefi_remove(struct uefi_files *f);

#endif
