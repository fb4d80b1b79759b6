/*
 * fake_gdb_stub.h - a tiny gdbstub in a thread, standing in for QEMU's in
 * the bridge tests: x86_64 registers in QEMU's 'g' layout, a little guest
 * RAM, a breakpoint, and a script of balloon calls that each 'c' plays
 * (the guest "reaches" the breakpoint with those registers). It records
 * what the runner wrote back, and can misbehave on purpose.
 */
#ifndef PINPRICK_FAKE_GDB_STUB_H
#define PINPRICK_FAKE_GDB_STUB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "drivers/vmware/vmw_backdoor.h"

#define FAKE_REGS  560	    /* bytes in 'g' (QEMU's is 608) */
#define FAKE_GPR   (17 * 8) /* rax..r15, rip */
#define FAKE_MEM   (64 * 4096)
#define FAKE_AFTER 32

struct fake_call {
	struct vmw_regs r;
	uint64_t rip; /* 0: the breakpoint */
};

struct fake_stub {
	/* set before fake_stub_start */
	const char *arch;     /* target.xml architecture */
	bool reject_short_g;  /* "E01" to a 'G' shorter than the block */
	bool corrupt_first_g; /* the first 'g' answer has a bad checksum */
	bool nak_first_G;     /* the first 'G' gets '-' */
	bool hold;	      /* on 'c', run until Ctrl-C */
	const struct fake_call *script;
	unsigned nscript;
	uint8_t mem[FAKE_MEM]; /* guest RAM at address 0 */

	/* state and observations */
	int fd;
	pthread_t thread;
	uint8_t regs[FAKE_REGS];
	uint64_t bp;
	bool xml_read, running;
	unsigned next;
	uint8_t after[FAKE_AFTER][FAKE_GPR]; /* registers at each 'c' */
	unsigned nafter;
	unsigned g, G, p, P, m, M, c, naks_seen, bad_seen;
};

/* Serves fd in a new thread until the script ends, EOF, or 5 s idle. */
void fake_stub_start(struct fake_stub *f, int fd);
void fake_stub_join(struct fake_stub *f);

#endif
