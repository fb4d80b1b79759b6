/*
 * cpu.c - the kernel's own GDT, TSS and IDT.
 *
 * The boot GDT is enough to reach 64-bit mode, but interrupts need a TSS:
 * a double fault (typically a stack overflow into the guard page) must run
 * on a known-good stack, which only the TSS's interrupt stack table gives.
 */
#include <stdint.h>

#include "kernel/cpu.h"
#include "kernel/string.h"
#include "kernel/trap.h"

struct tss {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t rsvd;
} __attribute__((packed));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define IST_STACK_SIZE (16 * 1024)
#define IST_DOUBLE_FAULT 1
#define IST_NMI_MC 2

static uint64_t gdt[5] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint8_t ist_stacks[2][IST_STACK_SIZE] __attribute__((aligned(16)));

extern const uint64_t isr_stub_table[256];

static void gdt_init(void)
{
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;
	struct desc_ptr p = { sizeof(gdt) - 1, (uintptr_t)gdt };

	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFull; /* KERNEL_CS: 64-bit code */
	gdt[2] = 0x00CF92000000FFFFull; /* KERNEL_DS */
	/* 64-bit TSS descriptor: 16 bytes, type 9 (available). */
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;

	memset(&tss, 0, sizeof(tss));
	tss.ist[IST_DOUBLE_FAULT - 1] =
		(uintptr_t)ist_stacks[0] + IST_STACK_SIZE;
	tss.ist[IST_NMI_MC - 1] = (uintptr_t)ist_stacks[1] + IST_STACK_SIZE;
	tss.iomap_base = sizeof(tss); /* no I/O bitmap */

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(p), "i"(KERNEL_CS), "r"(KERNEL_DS), "r"(TSS_SEL)
			 : "rax", "memory");
}

static void idt_set(unsigned vec, uint64_t handler, unsigned ist)
{
	struct idt_gate *g = &idt[vec];

	g->off_lo = handler & 0xffff;
	g->sel = KERNEL_CS;
	g->ist = ist;
	g->type_attr = 0x8E; /* present, DPL 0, 64-bit interrupt gate */
	g->off_mid = (handler >> 16) & 0xffff;
	g->off_hi = handler >> 32;
	g->rsvd = 0;
}

void cpu_init(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uintptr_t)idt };

	gdt_init();
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, isr_stub_table[v], 0);
	idt_set(TRAP_DF, isr_stub_table[TRAP_DF], IST_DOUBLE_FAULT);
	idt_set(TRAP_NMI, isr_stub_table[TRAP_NMI], IST_NMI_MC);
	idt_set(TRAP_MC, isr_stub_table[TRAP_MC], IST_NMI_MC);
	__asm__ volatile("lidt %0" : : "m"(p));
}
