/*
 * cpu.h - descriptor tables and CPU feature facts.
 */
#ifndef PINPRICK_CPU_H
#define PINPRICK_CPU_H

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define TSS_SEL 0x18

/* Load our GDT (with a TSS for the double-fault stack) and the IDT. */
void cpu_init(void);

#endif
