/*
 * vmw_detect.h - is this VMware, or something speaking its backdoor?
 *
 * Detection the way Linux does it (§7, §13 of the reference): the CPUID
 * hypervisor leaf's signature, then the general backdoor's GETVERSION.
 * Then the few informational commands QEMU's vmport also answers (§14),
 * each one judged rather than believed: all-ones means "not supported",
 * an implausible value is reported as garbage. The logic runs over a
 * vmw_call_fn seam, so host unit tests drive it with fake backdoors.
 */
#ifndef PINPRICK_VMW_DETECT_H
#define PINPRICK_VMW_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/vmware/vmw_backdoor.h"

#define VMW_CPUID_HV_LEAF	 0x40000000u
#define VMW_VMX_TYPE_ESX	 2
#define VMW_VMX_TYPE_WORKSTATION 4
#define VMW_QEMU_RAMSIZE_EBX	 0x1177u /* QEMU marker, GETRAMSIZE (§14) */
#define VMW_VCPU_LEGACY_X2APIC	 (1u << 3)
#define VMW_VCPU_RESERVED	 (1u << 31)

/* How a GETRAMSIZE answer reads against the RAM the guest can see. */
enum vmw_ram_unit {
	VMW_RAM_UNSUPPORTED = 0, /* EAX all ones, registers left alone */
	VMW_RAM_MB,		 /* VMware's GETMEMSIZE: megabytes */
	VMW_RAM_BYTES32,	 /* QEMU's quirk: bytes, truncated to 32 bits */
	VMW_RAM_GARBAGE,	 /* neither fits */
};

struct vmw_detect {
	/* CPUID 0x40000000: max leaf in EAX, signature in EBX, ECX, EDX. */
	uint32_t hv_max_leaf;
	char hv_sig[13];
	bool hv_vmware; /* "VMwareVMware" */

	/* GETVERSION (10). */
	bool bdoor;	   /* EBX came back as the magic */
	uint32_t version;  /* EAX */
	uint32_t vmx_type; /* ECX: 2 ESX, 4 Workstation, 0 unset */
	uint32_t ver_eax, ver_ebx;

	/* GETHZ (45): TSC Hz in EBX:EAX, APIC bus Hz in ECX. */
	bool hz_supported, hz_plausible;
	uint64_t tsc_hz;
	uint32_t apic_hz;

	/* GETRAMSIZE (20). */
	enum vmw_ram_unit ram_unit;
	uint32_t ram_eax, ram_ebx;
	bool ram_qemu_marker; /* EBX = 0x1177 */

	/* GET_VCPU_INFO (68). */
	bool vcpu_supported;
	uint32_t vcpu_info;
	bool legacy_x2apic;

	unsigned garbage; /* answers neither valid nor "unsupported" */
};

/* Fill the CPUID part from the four registers of leaf 0x40000000. */
void vmw_detect_cpuid(struct vmw_detect *d, uint32_t eax, uint32_t ebx,
		      uint32_t ecx, uint32_t edx);

/*
 * One general-backdoor command: magic, port and command are filled into r
 * (RBX, RSI, RDI are the caller's), a copy of what went out is left in
 * sent (may be NULL), then the call is made.
 */
void vmw_bdoor_cmd(vmw_call_fn call, void *ctx, uint32_t cmd,
		   struct vmw_regs *r, struct vmw_regs *sent);

/* EAX all ones and every other register as it went in (§14). */
bool vmw_bdoor_unsupported(const struct vmw_regs *in,
			   const struct vmw_regs *out);

bool vmw_detect_version(struct vmw_detect *d, vmw_call_fn call, void *ctx);
void vmw_detect_hz(struct vmw_detect *d, vmw_call_fn call, void *ctx);
/* ram_bytes: RAM as the guest's memory map counts it (0: unknown). */
void vmw_detect_ramsize(struct vmw_detect *d, vmw_call_fn call, void *ctx,
			uint64_t ram_bytes);
void vmw_detect_vcpu_info(struct vmw_detect *d, vmw_call_fn call, void *ctx);

/* GETVERSION, and the rest only if it answered. Returns d->bdoor. */
bool vmw_detect_all(struct vmw_detect *d, vmw_call_fn call, void *ctx,
		    uint64_t ram_bytes);

const char *vmw_ram_unit_name(enum vmw_ram_unit u);
const char *vmw_vmx_type_name(uint32_t type);

/*
 * The kernel's seams (vmw_bdoor_hw.c): one `inl` each, on port 0x5670
 * at the symbol vmw_balloon_bdoor, on port 0x5658 at vmw_bdoor_in.
 * ctx is unused. Not available in host builds.
 */
void vmw_balloon_call_hw(void *ctx, struct vmw_regs *r);
void vmw_bdoor_call_hw(void *ctx, struct vmw_regs *r);
void vmw_cpuid_hv(struct vmw_detect *d);

#endif
