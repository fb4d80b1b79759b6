/*
 * vmw_bridge.h - the VMware balloon host model attached to stock QEMU
 * through its gdbstub. QEMU has nothing at port 0x5670, so the runner puts
 * a breakpoint on the kernel's one balloon `inl` (vmw_balloon_bdoor), and
 * at each stop runs host/vmw's model on the registers, writes the answer
 * back, steps RIP over the 1-byte instruction and lets the guest go on.
 */
#ifndef PINPRICK_RUNNER_VMW_BRIDGE_H
#define PINPRICK_RUNNER_VMW_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/runner/gdb_rsp.h"
#include "host/vmw/vmw_model.h"

#define VMWB_SYMBOL	  "vmw_balloon_bdoor"
#define VMWB_INSN	  0xed /* inl %dx, %eax */
#define VMWB_CONNECT_MS	  3000 /* QEMU's -gdb socket may take this long */
#define VMWB_ATTACH_MS	  3000
#define VMWB_CALL_MS	  2000 /* all the round trips of one call */
#define VMWB_STOP_MS	  500  /* waiting for an interrupt to stop */
#define VMWB_STRAYS_MAX	  100  /* stops elsewhere before giving up */
#define VMWB_REGS_MAX	  4096 /* bytes of a 'g' answer */
#define VMWB_DEFAULT_CAPS 0x2e /* BASIC|BATCHED|BATCHED_2M|64_BIT_TARGET */
#define VMWB_DEFAULT_PCT  65   /* ESX Mem.CtlMaxPercent */
#define VMWB_FAULTS_SYNTAX                                                     \
	"seed, reset_every, reset_percent, reset_on, busy_percent, "           \
	"pinned_every, notneeded_percent, "                                    \
	"flapping_target, target_above_ram, above_ram_nonzero, "               \
	"discard_every"

/* QEMU's x86_64 'g' layout: rax rbx rcx rdx rsi rdi rbp rsp r8..r15 rip. */
#define VMWB_REG_RIP   16
#define VMWB_GPR_BYTES ((VMWB_REG_RIP + 1) * 8)

enum vmwb_state {
	VMWB_IDLE,	   /* not started */
	VMWB_CONNECTING,   /* waiting for QEMU's socket */
	VMWB_RUNNING,	   /* breakpoint set, guest running */
	VMWB_INTERRUPTING, /* Ctrl-C sent, waiting for the stop */
	VMWB_STOPPED,	   /* guest held for shutdown */
	VMWB_DONE,	   /* QEMU went away */
	VMWB_FAILED,	   /* see err */
};

struct vmwb {
	enum vmwb_state state;
	const char *sock_path;
	uint64_t connect_start;
	uint64_t bp; /* address of vmw_balloon_bdoor */
	struct vmw_model *model;
	bool verbose;
	/*
	 * The kernel is not in memory when QEMU starts (UEFI: our loader
	 * copies it there later), so the inl under the breakpoint is checked
	 * at the first stop there instead of at attach. QEMU's TCG
	 * breakpoints are kept by address, not written into guest memory,
	 * so the copy does not erase them.
	 */
	bool late_load;
	bool insn_checked;
	bool short_g;		     /* the stub takes 'G' of rax..rip only */
	bool io_failed;		     /* a memory op lost the stub mid-call */
	uint64_t call_deadline;	     /* of the call in progress */
	struct rsp *rsp;	     /* heap: it holds large buffers */
	uint8_t regs[VMWB_REGS_MAX]; /* the last 'g' */
	size_t regs_len;
	uint64_t cache_addr; /* the last 'm', so 'M' sends only changes */
	size_t cache_len;
	uint8_t cache[VMW_BATCH_MAX * 8];
	uint64_t calls, strays, mem_reads, mem_writes;
	uint64_t bridge_ns, max_ns; /* from stop reply to 'c' */
	char err[256];
};

/* The address of VMWB_SYMBOL in the kernel ELF. 0, or -1 with err. */
int vmwb_find_bdoor(const char *kernel, uint64_t *addr, char *err,
		    size_t err_size);

/*
 * "key=value,..." (keys: VMWB_FAULTS_SYNTAX; "none" for no faults) into
 * f, which is cleared first. 0, or -1 with err.
 */
/* The spec string for f (as vmwb_parse_faults reads it); "none" if off. */
void vmwb_format_faults(const struct vmw_faults *f, char *buf, size_t size);
int vmwb_parse_faults(const char *spec, struct vmw_faults *f, char *err,
		      size_t err_size);

/* Guest RAM frames and the first PFN past RAM, holes included. */
void vmwb_ram_layout(uint64_t ram_bytes, uint64_t *ram_frames,
		     uint64_t *pfn_end);

/* Creates the model; nothing is connected yet. 0, or -1 with err. */
int vmwb_init(struct vmwb *b, uint64_t bp, const struct vmw_model_config *cfg,
	      bool verbose, char *err, size_t err_size);
void vmwb_free(struct vmwb *b);

/* Starts connecting to QEMU's -gdb socket at sock_path. */
void vmwb_start(struct vmwb *b, const char *sock_path, uint64_t now);
bool vmwb_pending(const struct vmwb *b);

/*
 * Tries to connect; once connected, attaches. 0 (connected or still
 * trying), or -1 with b->err.
 */
int vmwb_connect(struct vmwb *b, uint64_t now);

/*
 * Over a connected socket: handshake, check the register layout and the
 * instruction, set the breakpoint, continue. 0, or -1 with b->err.
 */
int vmwb_attach(struct vmwb *b, int fd);

/* The descriptor to poll for input, or -1. */
int vmwb_fd(const struct vmwb *b);

/*
 * Handles what the stub sent: each breakpoint stop is answered by the
 * model and the guest continued. 0, or -1 with b->err (the guest is then
 * left stopped).
 */
int vmwb_service(struct vmwb *b);

/* Stops a running guest (Ctrl-C) before QEMU is told to quit; bounded. */
void vmwb_interrupt(struct vmwb *b);

/* Closes the connection (the model and its counts stay). */
void vmwb_close(struct vmwb *b);

/* Replaces the fault injection at run time (same syntax as above). */
int vmwb_set_faults(struct vmwb *b, const char *spec, char *err,
		    size_t err_size);

/* "target=N locked=N max=N findings=N faults=N calls=N caps=0xNN
 * started=0|1", for the vmw-state control verb. */
void vmwb_state_line(const struct vmwb *b, char *buf, size_t size);

/*
 * "# pinprick-run: vmware model: ..." notes at the end of a run: calls,
 * bridge time, findings, faults injected and the frames still locked.
 */
void vmwb_report(const struct vmwb *b);

#endif
