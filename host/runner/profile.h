/*
 * profile.h - a QEMU configuration read from host/profiles/NAME.conf.
 * One small "key = value" file per machine set-up lets new configurations
 * be added without touching C; errors name the file and line.
 */
#ifndef PINPRICK_RUNNER_PROFILE_H
#define PINPRICK_RUNNER_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/vmw/vmw_model.h"

#define PROF_MAX_FILE (64 * 1024) /* bytes in one profile file */
#define PROF_MAX_LINE 1024	  /* bytes in one profile line */
#define PROF_ERR_SIZE 512

/* How the guest is started: PVH -kernel, or OVMF and our EFI loader. */
enum prof_boot { PROF_BOOT_PVH = 0, PROF_BOOT_UEFI };

#define PROF_OVMF_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define PROF_OVMF_VARS "/usr/share/OVMF/OVMF_VARS_4M.fd"

struct prof {
	char name[64];	 /* "pc", from the file name */
	char path[4096]; /* the file it came from */
	char description[256];
	char machine[64];	       /* -M */
	char memory[32];	       /* -m, QEMU size syntax */
	unsigned smp;		       /* -smp, default 1 */
	char cpu[128];		       /* -cpu, empty = QEMU's default */
	char append[PROF_MAX_LINE];    /* kernel command line */
	char qemu_args[PROF_MAX_LINE]; /* extra arguments, split on blanks */
	unsigned timeout;	       /* seconds, default 60 */
	bool com2; /* give the guest a control port on COM2 */
	enum prof_boot boot;	/* boot = pvh (default) | uefi */
	char ovmf_code[512];	/* firmware code flash, read-only */
	char ovmf_vars[512];	/* variable store template, copied per run */

	/* The VMware balloon model over the gdbstub (vmw_bridge.c). */
	bool vmware;			   /* vmware = model */
	char vmware_faults[PROF_MAX_LINE]; /* as written */
	struct vmw_faults vmw_faults;	   /* parsed */
	unsigned vmware_max_percent;	   /* default 65 */
	long long vmware_maxmemctl_mb;	   /* default -1: no cap */
	unsigned vmware_caps;		   /* default 0x2e */
};

/*
 * Parses profile text (len bytes, need not be terminated). file is used in
 * error messages only. 0 on success, -1 with "file:line: what" in err.
 */
int prof_parse(const char *text, size_t len, const char *file, struct prof *p,
	       char *err, size_t err_size);

/* The bytes of a memory value that prof_parse accepted. */
uint64_t prof_memory_bytes(const char *memory);

/* Reads and parses a file; the profile name is its base name minus .conf. */
int prof_load(const char *path, struct prof *p, char *err, size_t err_size);

/*
 * Finds the file for --profile ARG: an ARG containing '/' or ending in
 * ".conf" is a path used as is; otherwise ARG is a name looked up as
 * host/profiles/ARG.conf under the current directory, then under
 * bin_dir/../host/profiles/ (bin_dir may be NULL). 0, or -1 with err.
 */
int prof_find(const char *arg, const char *bin_dir, char *path,
	      size_t path_size, char *err, size_t err_size);

/* The directory --list-profiles shows: as in prof_find. NULL if none. */
const char *prof_dir(const char *bin_dir, char *buf, size_t size);

/*
 * Prints "name  description" for each *.conf in dir, sorted, on stdout;
 * broken files are reported on stderr. Returns how many were broken, or
 * -1 if dir cannot be read.
 */
int prof_list(const char *dir);

#endif
