/*
 * test_vmw_detect.c - host unit tests for VMware detection (vmw_backdoor.c).
 *
 * The general backdoor answered by fakes: one that behaves like QEMU 7.2's
 * vmport (§14 of the reference: GETRAMSIZE in bytes with the 0x1177
 * marker, only CL decoded, unknown commands all ones with registers left
 * alone), one like VMware (megabytes, 16-bit commands), an empty port,
 * and a host answering nonsense. Every answer must be classified right.
 */
#include "drivers/vmware/vmw_detect.h"
#include "tests/unit/ut.h"

#define MIB (1ull << 20)

struct fake {
	int kind; /* 0 QEMU, 1 VMware, 2 empty port, 3 garbage */
	uint64_t ram_bytes;
	uint64_t tsc_hz; /* 0: "unknown" */
	uint32_t vcpu;
	unsigned calls;
	uint64_t junk;
};

static void fake_call(void *ctx, struct vmw_regs *r)
{
	struct fake *f = ctx;
	unsigned cmd = f->kind == 0 ? (unsigned)(r->rcx & 0xff)
				    : (unsigned)(r->rcx & 0xffff);

	f->calls++;
	if (f->kind == 3) {
		f->junk = f->junk * 6364136223846793005ull +
			  1442695040888963407ull;
		r->rax = f->junk >> 7;
		r->rbx = f->junk >> 3;
		r->rcx = f->junk;
		return;
	}
	if (f->kind == 2 || (uint32_t)r->rax != VMW_BDOOR_MAGIC ||
	    (uint16_t)r->rdx != VMW_BDOOR_PORT) {
		r->rax = 0xffffffffu;
		return;
	}
	switch (cmd) {
	case VMW_BDOOR_GETVERSION:
		r->rax = 6;
		r->rbx = VMW_BDOOR_MAGIC;
		r->rcx = f->kind ? VMW_VMX_TYPE_WORKSTATION : VMW_VMX_TYPE_ESX;
		return;
	case VMW_BDOOR_GETRAMSIZE:
		if (f->kind == 0) {
			r->rbx = VMW_QEMU_RAMSIZE_EBX;
			r->rax = (uint32_t)f->ram_bytes;
		} else {
			r->rax = f->ram_bytes / MIB;
		}
		return;
	case VMW_BDOOR_GETHZ:
		if (!f->tsc_hz) {
			r->rbx = 0xffffffffu;
			return;
		}
		r->rax = (uint32_t)f->tsc_hz;
		r->rbx = f->tsc_hz >> 32;
		r->rcx = 1000000000u;
		return;
	case VMW_BDOOR_GET_VCPU_INFO:
		r->rax = f->vcpu;
		return;
	default:
		r->rax = 0xffffffffu;
	}
}

static void test_cpuid_signature(void)
{
	struct vmw_detect d = {0};
	uint32_t w[3];

	memcpy(w, "VMwareVMware", 12);
	vmw_detect_cpuid(&d, 0x40000010, w[0], w[1], w[2]);
	UT_CHECK(d.hv_vmware);
	UT_CHECK_STR(d.hv_sig, "VMwareVMware");
	UT_CHECK_EQ(d.hv_max_leaf, 0x40000010);
	memcpy(w, "KVMKVMKVM\0\0\0", 12);
	vmw_detect_cpuid(&d, 0x40000001, w[0], w[1], w[2]);
	UT_CHECK(!d.hv_vmware);
	UT_CHECK_STR(d.hv_sig, "KVMKVMKVM...");
	memcpy(w, "TCGTCGTCGTCG", 12);
	vmw_detect_cpuid(&d, 0, w[0], w[1], w[2]);
	UT_CHECK(!d.hv_vmware);
}

static void test_qemu_vmport(void)
{
	struct fake f = {.kind = 0, .ram_bytes = 128 * MIB, .vcpu = 1u << 3};
	struct vmw_detect d = {0};

	/* The guest's map leaves out 384 KiB below 1 MiB. */
	UT_CHECK(vmw_detect_all(&d, fake_call, &f, 128 * MIB - 384 * 1024));
	UT_CHECK_EQ(d.version, 6);
	UT_CHECK_STR(vmw_vmx_type_name(d.vmx_type), "ESX");
	UT_CHECK_EQ(d.ram_unit, VMW_RAM_BYTES32);
	UT_CHECK(d.ram_qemu_marker);
	UT_CHECK(d.hz_supported && !d.hz_plausible); /* TCG: unknown */
	UT_CHECK(d.vcpu_supported && d.legacy_x2apic);
	UT_CHECK_EQ(d.garbage, 0);
	UT_CHECK_EQ(f.calls, 4);

	/* 4 GiB: QEMU's answer truncates to 0, still read as bytes. */
	f.ram_bytes = 4096 * MIB;
	memset(&d, 0, sizeof(d));
	vmw_detect_all(&d, fake_call, &f, 4096 * MIB - 384 * 1024);
	UT_CHECK_EQ(d.ram_eax, 0);
	UT_CHECK_EQ(d.ram_unit, VMW_RAM_BYTES32);
	UT_CHECK_EQ(d.garbage, 0);
}

static void test_vmware(void)
{
	struct fake f = {.kind = 1,
			 .ram_bytes = 2048 * MIB,
			 .tsc_hz = 2400000000ull,
			 .vcpu = (1u << 3) | 1u};
	struct vmw_detect d = {0};

	UT_CHECK(vmw_detect_all(&d, fake_call, &f, 2048 * MIB - MIB));
	UT_CHECK_STR(vmw_vmx_type_name(d.vmx_type), "Workstation");
	UT_CHECK_EQ(d.ram_unit, VMW_RAM_MB);
	UT_CHECK_STR(vmw_ram_unit_name(d.ram_unit), "MB (VMware)");
	UT_CHECK(d.hz_plausible);
	UT_CHECK_EQ(d.tsc_hz, 2400000000ull);
	UT_CHECK_EQ(d.apic_hz, 1000000000u);
	UT_CHECK(d.legacy_x2apic);
	UT_CHECK_EQ(d.garbage, 0);
	/* Nothing known about RAM: the (absent) marker decides. */
	memset(&d, 0, sizeof(d));
	vmw_detect_ramsize(&d, fake_call, &f, 0);
	UT_CHECK_EQ(d.ram_unit, VMW_RAM_MB);
}

static void test_empty_port(void)
{
	struct fake f = {.kind = 2};
	struct vmw_detect d = {0};

	UT_CHECK(!vmw_detect_all(&d, fake_call, &f, 128 * MIB));
	UT_CHECK_EQ(f.calls, 1); /* nothing more is asked */
	UT_CHECK_EQ(d.ver_eax, 0xffffffffu);
	UT_CHECK_EQ(d.garbage, 0);
	vmw_detect_ramsize(&d, fake_call, &f, 128 * MIB);
	UT_CHECK_EQ(d.ram_unit, VMW_RAM_UNSUPPORTED);
	vmw_detect_hz(&d, fake_call, &f);
	UT_CHECK(!d.hz_supported);
	vmw_detect_vcpu_info(&d, fake_call, &f);
	UT_CHECK(!d.vcpu_supported);
}

static void test_garbage(void)
{
	struct fake f = {.kind = 3, .junk = 99};
	struct vmw_detect d = {0};

	UT_CHECK(!vmw_detect_version(&d, fake_call, &f));
	UT_CHECK_EQ(d.garbage, 1);
	/* A real GETVERSION, then nonsense: each answer judged alone. */
	f.kind = 1;
	f.ram_bytes = 64 * MIB;
	f.tsc_hz = 5;	      /* 5 Hz */
	f.vcpu = 0x80000008u; /* reserved bit 31 */
	memset(&d, 0, sizeof(d));
	UT_CHECK(vmw_detect_all(&d, fake_call, &f, 8192 * MIB));
	UT_CHECK_EQ(d.ram_unit, VMW_RAM_GARBAGE);
	UT_CHECK(d.hz_supported && !d.hz_plausible);
	UT_CHECK(!d.vcpu_supported && !d.legacy_x2apic);
	UT_CHECK_EQ(d.garbage, 3);
}

static void test_unsupported_rule(void)
{
	struct vmw_regs in = {1, 2, 3, 4, 5, 6}, out = in;

	out.rax = 0xffffffffu;
	UT_CHECK(vmw_bdoor_unsupported(&in, &out));
	out.rdi = 7; /* anything else moved: an answer, not a refusal */
	UT_CHECK(!vmw_bdoor_unsupported(&in, &out));
	out = in;
	UT_CHECK(!vmw_bdoor_unsupported(&in, &out));
}

static void test_cmd_fills_registers(void)
{
	struct fake f = {.kind = 2};
	struct vmw_regs r = {.rbx = 0xdeadbeef, .rsi = 5}, sent;

	vmw_bdoor_cmd(fake_call, &f, 0xff, &r, &sent);
	UT_CHECK_EQ(sent.rax, VMW_BDOOR_MAGIC);
	UT_CHECK_EQ(sent.rcx, 0xff);
	UT_CHECK_EQ(sent.rdx, VMW_BDOOR_PORT);
	UT_CHECK_EQ(sent.rbx, 0xdeadbeef);
	UT_CHECK(vmw_bdoor_unsupported(&sent, &r));
}

UT_MAIN(UT_TEST(test_cpuid_signature), UT_TEST(test_qemu_vmport),
	UT_TEST(test_vmware), UT_TEST(test_empty_port), UT_TEST(test_garbage),
	UT_TEST(test_unsupported_rule), UT_TEST(test_cmd_fills_registers))
