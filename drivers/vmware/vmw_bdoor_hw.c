/*
 * vmw_bdoor_hw.c - the kernel's VMware backdoor seams: one `inl` each.
 *
 * Everything else in drivers/vmware is protocol logic that host unit tests
 * run against a model; this file is the only place the instructions are.
 * Both calls load RAX..RDI from a struct vmw_regs, execute `inl %dx, %eax`
 * and store the six registers back, because the backdoor returns results
 * in registers an ordinary `in` never writes (§1, §13 of the reference).
 *
 * The balloon's `inl` sits exactly at the global label vmw_balloon_bdoor.
 * When no VMM answers port 0x5670 (QEMU has nothing there, §14), the host
 * runner attaches the reference model through QEMU's gdbstub: it puts a
 * breakpoint on that address, reads the registers, runs the model, writes
 * the registers, sets RIP to vmw_balloon_bdoor + 1 (the instruction is the
 * one byte 0xED) and continues. So the label must stay on the instruction
 * and the instruction must stay one byte: `inl %dx, %eax`, nothing else.
 * The general backdoor (port 0x5658, QEMU's vmport) has vmw_bdoor_in.
 *
 * Kernel only: the Makefile builds drivers/ into the kernel, and no host
 * unit test lists this file.
 */
#include <stddef.h>

#include "drivers/vmware/vmw_detect.h"
#include "kernel/x86.h"

/* The assembly below hard-codes these offsets. */
_Static_assert(offsetof(struct vmw_regs, rax) == 0, "vmw_regs.rax");
_Static_assert(offsetof(struct vmw_regs, rbx) == 8, "vmw_regs.rbx");
_Static_assert(offsetof(struct vmw_regs, rcx) == 16, "vmw_regs.rcx");
_Static_assert(offsetof(struct vmw_regs, rdx) == 24, "vmw_regs.rdx");
_Static_assert(offsetof(struct vmw_regs, rsi) == 32, "vmw_regs.rsi");
_Static_assert(offsetof(struct vmw_regs, rdi) == 40, "vmw_regs.rdi");
_Static_assert(sizeof(struct vmw_regs) == 48, "vmw_regs size");

/*
 * One seam, written once as a macro so the two cannot differ:
 *	void NAME(void *ctx, struct vmw_regs *r)   (SysV: ctx RDI, r RSI)
 * R8 holds r across the call: the backdoor may change RAX, RBX, RCX, RDX,
 * RSI, RDI and nothing else (§1), and the gdbstub model writes only those.
 * RBX is callee-saved, so it is pushed. The section carries the "R"
 * (retain) flag so --gc-sections keeps the label for the debugger even
 * before any code calls the seam.
 */
/* clang-format off */
#define VMW_SEAM(name, label)                                  \
	".pushsection .text.vmw_" #name ",\"axR\",@progbits\n" \
	".globl " #name "\n"                                   \
	".type " #name ", @function\n"                         \
	".p2align 4\n"                                         \
	#name ":\n"                                            \
	"	pushq	%rbx\n"                                \
	"	movq	%rsi, %r8\n"                           \
	"	movq	0(%r8), %rax\n"                        \
	"	movq	8(%r8), %rbx\n"                        \
	"	movq	16(%r8), %rcx\n"                       \
	"	movq	24(%r8), %rdx\n"                       \
	"	movq	32(%r8), %rsi\n"                       \
	"	movq	40(%r8), %rdi\n"                       \
	".globl " #label "\n"                                  \
	#label ":\n"                                           \
	"	inl	%dx, %eax\n"                           \
	"	movq	%rax, 0(%r8)\n"                        \
	"	movq	%rbx, 8(%r8)\n"                        \
	"	movq	%rcx, 16(%r8)\n"                       \
	"	movq	%rdx, 24(%r8)\n"                       \
	"	movq	%rsi, 32(%r8)\n"                       \
	"	movq	%rdi, 40(%r8)\n"                       \
	"	popq	%rbx\n"                                \
	"	ret\n"                                         \
	".size " #name ", . - " #name "\n"                     \
	".popsection\n"
/* clang-format on */

/* Balloon: port 0x5670, magic "Elmo" (§1). The runner's breakpoint. */
__asm__(VMW_SEAM(vmw_balloon_call_hw, vmw_balloon_bdoor));

/* General backdoor: port 0x5658, magic "VMXh" (§13). */
__asm__(VMW_SEAM(vmw_bdoor_call_hw, vmw_bdoor_in));

/*
 * CPUID.1:ECX bit 31 says a hypervisor is present; only then does leaf
 * 0x40000000 mean anything (on bare metal it echoes some other leaf).
 */
void vmw_cpuid_hv(struct vmw_detect *d)
{
	struct cpuid_regs r = cpuid(1, 0);

	if (!(r.ecx & (1u << 31))) {
		d->hv_max_leaf = 0;
		d->hv_sig[0] = '\0';
		d->hv_vmware = false;
		return;
	}
	r = cpuid(VMW_CPUID_HV_LEAF, 0);
	vmw_detect_cpuid(d, r.eax, r.ebx, r.ecx, r.edx);
}
