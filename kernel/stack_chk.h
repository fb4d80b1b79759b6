/*
 * stack_chk.h - the kernel's half of gcc's stack protector.
 *
 * The kernel is built with -fstack-protector-strong and
 * -mstack-protector-guard=global: every function with a local array or
 * an address-taken local keeps a copy of __stack_chk_guard just below its
 * return address and calls __stack_chk_fail if the copy changed by the
 * time it returns. kernel/stack_chk.c provides both symbols.
 */
#ifndef PINPRICK_STACK_CHK_H
#define PINPRICK_STACK_CHK_H

#include <stdint.h>

enum stack_chk_source { STACK_CHK_UNSET = 0, STACK_CHK_RDRAND, STACK_CHK_TSC };

extern uint64_t __stack_chk_guard;
extern enum stack_chk_source stack_chk_source;

/* Called once by the boot entry assembly before any other C code. */
void stack_chk_init(void);

/* Called by protected functions whose canary was overwritten. */
void __stack_chk_fail(void) __attribute__((noreturn));

const char *stack_chk_source_name(enum stack_chk_source s);

#endif
