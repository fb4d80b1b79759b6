/*
 * vmw_backdoor.c - VMware detection over the general backdoor (port 0x5658).
 *
 * Linux trusts the balloon only on a machine that says it is VMware
 * (§7): the CPUID hypervisor signature, or a GETVERSION that answers the
 * magic. pinprick asks the same questions but reports every answer, since
 * the point is to test whoever answers: QEMU's vmport (§14) speaks part
 * of the backdoor with its own quirks. Each answer is sorted into valid,
 * "unsupported" (EAX all ones, the rest untouched) or garbage.
 */
#include "drivers/vmware/vmw_detect.h"
#include "kernel/string.h"

#define ALL_ONES 0xffffffffu
#define MIB	 (1ull << 20)

void vmw_detect_cpuid(struct vmw_detect *d, uint32_t eax, uint32_t ebx,
		      uint32_t ecx, uint32_t edx)
{
	const uint32_t words[3] = {ebx, ecx, edx};
	unsigned i;

	d->hv_max_leaf = eax;
	memcpy(d->hv_sig, words, 12);
	/* The signature is reported verbatim: keep it printable. */
	for (i = 0; i < 12; i++)
		if (d->hv_sig[i] < 0x20 || d->hv_sig[i] > 0x7e)
			d->hv_sig[i] = '.';
	d->hv_sig[12] = '\0';
	d->hv_vmware = memcmp(words, "VMwareVMware", 12) == 0;
}

void vmw_bdoor_cmd(vmw_call_fn call, void *ctx, uint32_t cmd,
		   struct vmw_regs *r, struct vmw_regs *sent)
{
	/* §13: magic EAX, command ECX (QEMU reads only CL), port DX. */
	r->rax = VMW_BDOOR_MAGIC;
	r->rcx = cmd;
	r->rdx = VMW_BDOOR_PORT;
	if (sent)
		*sent = *r;
	call(ctx, r);
}

bool vmw_bdoor_unsupported(const struct vmw_regs *in,
			   const struct vmw_regs *out)
{
	/* §14: x-signal-unsupported-cmd; an empty port looks the same. */
	return (uint32_t)out->rax == ALL_ONES && out->rbx == in->rbx &&
	       out->rcx == in->rcx && out->rdx == in->rdx &&
	       out->rsi == in->rsi && out->rdi == in->rdi;
}

bool vmw_detect_version(struct vmw_detect *d, vmw_call_fn call, void *ctx)
{
	struct vmw_regs r = {0}, sent;

	/* §13: preset EBX to anything but the magic: an echo is no proof. */
	r.rbx = ~VMW_BDOOR_MAGIC;
	vmw_bdoor_cmd(call, ctx, VMW_BDOOR_GETVERSION, &r, &sent);
	d->ver_eax = (uint32_t)r.rax;
	d->ver_ebx = (uint32_t)r.rbx;
	d->bdoor = d->ver_ebx == VMW_BDOOR_MAGIC && d->ver_eax != ALL_ONES;
	if (d->bdoor) {
		d->version = d->ver_eax;
		d->vmx_type = (uint32_t)r.rcx;
	} else if (!vmw_bdoor_unsupported(&sent, &r)) {
		d->garbage++; /* something answered, but not the backdoor */
	}
	return d->bdoor;
}

void vmw_detect_hz(struct vmw_detect *d, vmw_call_fn call, void *ctx)
{
	struct vmw_regs r = {0}, sent;

	vmw_bdoor_cmd(call, ctx, VMW_BDOOR_GETHZ, &r, &sent);
	d->hz_supported = !vmw_bdoor_unsupported(&sent, &r);
	d->hz_plausible = false;
	if (!d->hz_supported)
		return;
	/* §14: EBX all ones = "frequency unknown", a legitimate answer. */
	if ((uint32_t)r.rbx == ALL_ONES)
		return;
	d->tsc_hz = (r.rbx & ALL_ONES) << 32 | (uint32_t)r.rax;
	d->apic_hz = (uint32_t)r.rcx;
	/* 1 MHz .. 100 GHz TSC, 1 MHz .. 4 GHz bus: anything else is noise. */
	d->hz_plausible = d->tsc_hz >= 1000000ull &&
			  d->tsc_hz <= 100000000000ull &&
			  d->apic_hz >= 1000000u && d->apic_hz <= 4000000000u;
	if (!d->hz_plausible)
		d->garbage++;
}

static uint64_t diff_u64(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

void vmw_detect_ramsize(struct vmw_detect *d, vmw_call_fn call, void *ctx,
			uint64_t ram_bytes)
{
	struct vmw_regs r = {0}, sent;
	uint64_t ram_mb = ram_bytes / MIB;
	uint32_t bytes_off;
	bool mb_ok, bytes_ok;

	vmw_bdoor_cmd(call, ctx, VMW_BDOOR_GETRAMSIZE, &r, &sent);
	if (vmw_bdoor_unsupported(&sent, &r)) {
		d->ram_unit = VMW_RAM_UNSUPPORTED;
		return;
	}
	d->ram_eax = (uint32_t)r.rax;
	d->ram_ebx = (uint32_t)r.rbx;
	d->ram_qemu_marker = d->ram_ebx == VMW_QEMU_RAMSIZE_EBX;
	if (!ram_bytes) {
		/* Nothing to compare with: the marker is all we have. */
		d->ram_unit = d->ram_qemu_marker ? VMW_RAM_BYTES32 : VMW_RAM_MB;
		return;
	}
	/*
	 * The memory map leaves out the VGA hole and firmware, so allow some
	 * slack: 16 MiB for bytes (compared modulo 2^32, since QEMU truncates)
	 * and 1/64 (at least 16) for megabytes. Near a multiple of 4 GiB any
	 * small number is "close" in bytes, so without QEMU's marker a bytes
	 * reading also needs a value no megabyte count would have.
	 */
	bytes_off = d->ram_eax - (uint32_t)ram_bytes;
	bytes_ok = bytes_off <= 16 * MIB || (uint32_t)-bytes_off <= 16 * MIB;
	mb_ok = diff_u64(d->ram_eax, ram_mb) <=
		(ram_mb / 64 > 16 ? ram_mb / 64 : 16);
	if (bytes_ok &&
	    (d->ram_qemu_marker || (!mb_ok && d->ram_eax >= 16 * MIB)))
		d->ram_unit = VMW_RAM_BYTES32;
	else if (mb_ok)
		d->ram_unit = VMW_RAM_MB;
	else {
		d->ram_unit = VMW_RAM_GARBAGE;
		d->garbage++;
	}
}

void vmw_detect_vcpu_info(struct vmw_detect *d, vmw_call_fn call, void *ctx)
{
	struct vmw_regs r = {0}, sent;

	vmw_bdoor_cmd(call, ctx, VMW_BDOOR_GET_VCPU_INFO, &r, &sent);
	d->vcpu_info = (uint32_t)r.rax;
	d->vcpu_supported = false;
	d->legacy_x2apic = false;
	if (vmw_bdoor_unsupported(&sent, &r))
		return;
	/* Bit 31 is reserved: set, the word means nothing (Linux's rule). */
	if (d->vcpu_info & VMW_VCPU_RESERVED) {
		d->garbage++;
		return;
	}
	d->vcpu_supported = true;
	d->legacy_x2apic = (d->vcpu_info & VMW_VCPU_LEGACY_X2APIC) != 0;
}

bool vmw_detect_all(struct vmw_detect *d, vmw_call_fn call, void *ctx,
		    uint64_t ram_bytes)
{
	if (!vmw_detect_version(d, call, ctx))
		return false;
	vmw_detect_hz(d, call, ctx);
	vmw_detect_ramsize(d, call, ctx, ram_bytes);
	vmw_detect_vcpu_info(d, call, ctx);
	return true;
}

const char *vmw_ram_unit_name(enum vmw_ram_unit u)
{
	switch (u) {
	case VMW_RAM_UNSUPPORTED:
		return "unsupported";
	case VMW_RAM_MB:
		return "MB (VMware)";
	case VMW_RAM_BYTES32:
		return "bytes mod 2^32 (QEMU)";
	case VMW_RAM_GARBAGE:
		return "garbage";
	}
	return "?";
}

const char *vmw_vmx_type_name(uint32_t type)
{
	switch (type) {
	case 0:
		return "unset";
	case VMW_VMX_TYPE_ESX:
		return "ESX";
	case VMW_VMX_TYPE_WORKSTATION:
		return "Workstation";
	case VMW_BDOOR_GETVERSION:
		return "not reported (ECX unchanged)";
	default:
		return "other";
	}
}
