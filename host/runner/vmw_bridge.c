/*
 * vmw_bridge.c - the balloon model behind QEMU's gdbstub (see vmw_bridge.h
 * and docs/runner.md). One call costs one 'g', the model (for a batch, one
 * read of the entries and one write of those that changed, in PacketSize
 * chunks), one 'G' (or a 'P' per changed register) and one 'c'. Nothing
 * from the stub or the guest is trusted: RIP must be the breakpoint.
 */
#include "host/runner/vmw_bridge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "host/runner/elf_sym.h"
#include "host/runner/util.h"

static int vmwb_fail(struct vmwb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int vmwb_fail(struct vmwb *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
	b->state = VMWB_FAILED;
	return -1;
}

static uint64_t vmwb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int vmwb_find_bdoor(const char *kernel, uint64_t *addr, char *err,
		    size_t err_size)
{
	return elfs_lookup_file(kernel, VMWB_SYMBOL, addr, err, err_size);
}

/* ---- guest memory for the model ----------------------------------------- */

static int vmwb_mem_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	struct vmwb *b = ctx;
	int rc = rsp_read_mem(b->rsp, gpa, buf, len, b->call_deadline);

	b->mem_reads++;
	if (rc) {
		/* Exx: not mapped, the model's problem; else the link's */
		b->io_failed |= rc != RSP_ERR_STUB && rc != RSP_ERR_UNSUPPORTED;
		return -1;
	}
	b->cache_len = len <= sizeof(b->cache) ? len : 0;
	b->cache_addr = gpa;
	memcpy(b->cache, buf, b->cache_len);
	return 0;
}

/* The guest is stopped: only bytes that differ from the last read need
 * to go back, and usually none do (statuses are 0 on success). */
static int vmwb_mem_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	struct vmwb *b = ctx;
	const uint8_t *p = buf;
	size_t lo = 0, hi = len;
	int rc;

	if (gpa >= b->cache_addr && gpa - b->cache_addr <= b->cache_len &&
	    len <= b->cache_len - (gpa - b->cache_addr)) {
		const uint8_t *c = b->cache + (gpa - b->cache_addr);

		while (lo < len && p[lo] == c[lo])
			lo++;
		while (hi > lo && p[hi - 1] == c[hi - 1])
			hi--;
		if (lo == hi)
			return 0;
		memcpy(b->cache + (gpa - b->cache_addr) + lo, p + lo, hi - lo);
	}
	b->mem_writes++;
	rc = rsp_write_mem(b->rsp, gpa + lo, p + lo, hi - lo, b->call_deadline);
	if (rc) {
		b->io_failed |= rc != RSP_ERR_STUB && rc != RSP_ERR_UNSUPPORTED;
		b->cache_len = 0;
		return -1;
	}
	return 0;
}

/* ---- life cycle --------------------------------------------------------- */

int vmwb_init(struct vmwb *b, uint64_t bp, const struct vmw_model_config *cfg,
	      bool verbose, char *err, size_t err_size)
{
	struct vmw_mem_ops mem = {vmwb_mem_read, vmwb_mem_write, b};

	memset(b, 0, sizeof(*b));
	b->bp = bp;
	b->verbose = verbose;
	b->rsp = malloc(sizeof(*b->rsp));
	if (b->rsp)
		rsp_init(b->rsp, -1);
	b->model = b->rsp ? vmw_model_new(cfg, &mem) : NULL;
	if (!b->model) {
		snprintf(err, err_size,
			 "cannot create the VMware balloon "
			 "model (out of memory, or RAM too large)");
		vmwb_free(b);
		return -1;
	}
	return 0;
}

void vmwb_free(struct vmwb *b)
{
	vmwb_close(b);
	vmw_model_free(b->model);
	free(b->rsp);
	b->model = NULL;
	b->rsp = NULL;
}

void vmwb_start(struct vmwb *b, const char *sock_path, uint64_t now)
{
	b->sock_path = sock_path;
	b->connect_start = now;
	b->state = VMWB_CONNECTING;
}

bool vmwb_pending(const struct vmwb *b)
{
	return b->state == VMWB_CONNECTING;
}

int vmwb_connect(struct vmwb *b, uint64_t now)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, e;

	if (b->state != VMWB_CONNECTING)
		return 0;
	if (!util_strlcpy(sa.sun_path, b->sock_path, sizeof(sa.sun_path)))
		return vmwb_fail(b, "gdb socket path too long");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return vmwb_attach(b, fd);
	e = errno;
	if (fd >= 0)
		close(fd);
	if (now - b->connect_start >= VMWB_CONNECT_MS)
		return vmwb_fail(b,
				 "cannot connect to QEMU's gdbstub at %s: %s",
				 b->sock_path, strerror(e));
	return 0;
}

static int vmwb_rsp_fail(struct vmwb *b, const char *what)
{
	return vmwb_fail(b, "%s: %s", what, b->rsp->err);
}

/* The breakpoint must sit on the balloon's one `inl %dx, %eax`. */
static int vmwb_check_insn(struct vmwb *b, uint64_t deadline)
{
	uint8_t insn = 0;

	if (rsp_read_mem(b->rsp, b->bp, &insn, 1, deadline))
		return vmwb_rsp_fail(b, "reading the breakpoint's instruction");
	if (insn != VMWB_INSN)
		return vmwb_fail(b,
				 "%s (%#llx) is not on an `inl %%dx, %%eax` "
				 "(found %#x)%s",
				 VMWB_SYMBOL, (unsigned long long)b->bp, insn,
				 b->late_load ? " when the guest got there"
					      : "");
	b->insn_checked = true;
	return 0;
}

/* Whole 'G' packets also rewrite control registers; QEMU takes a prefix.
 * Written back unchanged, then read again to be sure nothing else moved. */
static void vmwb_probe_short_g(struct vmwb *b, uint64_t deadline)
{
	uint8_t again[VMWB_REGS_MAX];
	size_t len;

	b->short_g = false;
	if (rsp_write_regs(b->rsp, b->regs, VMWB_GPR_BYTES, deadline))
		return;
	if (!rsp_read_regs(b->rsp, again, sizeof(again), &len, deadline) &&
	    len == b->regs_len && !memcmp(again, b->regs, len))
		b->short_g = true;
	else /* put back whatever a sloppy stub zeroed */
		rsp_write_regs(b->rsp, b->regs, b->regs_len, deadline);
}

int vmwb_attach(struct vmwb *b, int fd)
{
	uint64_t deadline = util_now_ms() + VMWB_ATTACH_MS;
	uint8_t rip[16];
	struct rsp_stop st;
	char xml[1024];
	size_t len;

	rsp_init(b->rsp, fd);
	b->state = VMWB_RUNNING;
	if (rsp_handshake(b->rsp, &st, deadline))
		return vmwb_rsp_fail(b, "gdbstub handshake");
	if (st.kind == 'W' || st.kind == 'X')
		return vmwb_fail(b, "the gdbstub has no running guest");
	/* QEMU answers 'p'/'P' only after this; it names the layout too */
	if (rsp_read_features(b->rsp, "target.xml", xml, sizeof(xml), deadline))
		return vmwb_rsp_fail(b, "reading the target description");
	if (!strstr(xml, "i386:x86-64"))
		return vmwb_fail(b,
				 "the gdbstub's target is not x86_64: "
				 "'%.80s'",
				 xml);
	if (rsp_read_regs(b->rsp, b->regs, sizeof(b->regs), &b->regs_len,
			  deadline))
		return vmwb_rsp_fail(b, "reading registers");
	if (b->regs_len < VMWB_GPR_BYTES ||
	    rsp_read_reg(b->rsp, VMWB_REG_RIP, rip, sizeof(rip), &len,
			 deadline) ||
	    len != 8 || memcmp(rip, b->regs + VMWB_REG_RIP * 8, 8))
		return vmwb_fail(b,
				 "the gdbstub's registers are not QEMU's "
				 "x86_64 layout (%zu bytes)",
				 b->regs_len);
	vmwb_probe_short_g(b, deadline);
	if (!b->late_load && vmwb_check_insn(b, deadline))
		return -1;
	if (rsp_breakpoint(b->rsp, true, 0, b->bp, 1, deadline) &&
	    rsp_breakpoint(b->rsp, true, 1, b->bp, 1, deadline))
		return vmwb_rsp_fail(b, "setting the breakpoint");
	if (rsp_continue(b->rsp, deadline))
		return vmwb_rsp_fail(b, "continuing");
	if (b->verbose)
		util_note("vmware model attached: breakpoint at %s %#llx, "
			  "PacketSize %zu, %s register writes",
			  VMWB_SYMBOL, (unsigned long long)b->bp,
			  b->rsp->packet_size, b->short_g ? "'G'" : "'P'");
	/* a stop may have come in with the ack: poll() would not see it */
	return vmwb_service(b);
}

int vmwb_fd(const struct vmwb *b)
{
	return b->state == VMWB_RUNNING || b->state == VMWB_INTERRUPTING
		       ? b->rsp->fd
		       : -1;
}

/* ---- one call ----------------------------------------------------------- */

static int vmwb_write_back(struct vmwb *b, const struct vmw_regs *in,
			   const struct vmw_regs *out)
{
	const uint64_t before[6] = {in->rax, in->rbx, in->rcx,
				    in->rdx, in->rsi, in->rdi};
	const uint64_t after[6] = {out->rax, out->rbx, out->rcx,
				   out->rdx, out->rsi, out->rdi};

	for (unsigned i = 0; i < 6; i++)
		rsp_put_le64(b->regs + 8 * i, after[i]);
	rsp_put_le64(b->regs + VMWB_REG_RIP * 8, b->bp + 1);
	if (b->short_g)
		return rsp_write_regs(b->rsp, b->regs, VMWB_GPR_BYTES,
				      b->call_deadline);
	for (unsigned i = 0; i < 6; i++)
		if (before[i] != after[i] &&
		    rsp_write_reg(b->rsp, i, b->regs + 8 * i, 8,
				  b->call_deadline))
			return -1;
	return rsp_write_reg(b->rsp, VMWB_REG_RIP, b->regs + VMWB_REG_RIP * 8,
			     8, b->call_deadline);
}

static int vmwb_call(struct vmwb *b)
{
	uint64_t t0 = vmwb_now_ns(), rip, dt;
	struct vmw_regs in, out;
	const uint8_t *g = b->regs;

	b->call_deadline = util_now_ms() + VMWB_CALL_MS;
	if (rsp_read_regs(b->rsp, b->regs, sizeof(b->regs), &b->regs_len,
			  b->call_deadline))
		return vmwb_rsp_fail(b, "reading registers");
	if (b->regs_len < VMWB_GPR_BYTES)
		return vmwb_fail(b, "register block of %zu bytes", b->regs_len);
	rip = rsp_le64(g + VMWB_REG_RIP * 8);
	if (rip != b->bp) {
		if (++b->strays > VMWB_STRAYS_MAX)
			return vmwb_fail(b, "%d stops away from the breakpoint",
					 VMWB_STRAYS_MAX);
		if (b->strays <= 3)
			util_note("vmware bridge: stop at RIP %#llx, not %s; "
				  "continuing",
				  (unsigned long long)rip, VMWB_SYMBOL);
		return rsp_continue(b->rsp, b->call_deadline)
			       ? vmwb_rsp_fail(b, "continuing")
			       : 0;
	}
	if (!b->insn_checked && vmwb_check_insn(b, b->call_deadline))
		return -1;
	in = (struct vmw_regs){rsp_le64(g),	 rsp_le64(g + 8),
			       rsp_le64(g + 16), rsp_le64(g + 24),
			       rsp_le64(g + 32), rsp_le64(g + 40)};
	out = in;
	b->cache_len = 0;
	b->io_failed = false;
	vmw_model_call(b->model, &out);
	if (b->io_failed)
		return vmwb_rsp_fail(b, "guest memory");
	/* Not 'G' and 'c' in one write: a late ack for the 'G' then hits
	 * QEMU while the guest runs, and calls get slower, not faster. */
	if (vmwb_write_back(b, &in, &out))
		return vmwb_rsp_fail(b, "writing registers");
	if (rsp_continue(b->rsp, b->call_deadline))
		return vmwb_rsp_fail(b, "continuing");
	b->calls++;
	dt = vmwb_now_ns() - t0;
	b->bridge_ns += dt;
	if (dt > b->max_ns)
		b->max_ns = dt;
	return 0;
}

/* One packet from the stub while the guest runs. */
static int vmwb_on_packet(struct vmwb *b)
{
	struct rsp_stop st;
	int k = rsp_parse_stop(b->rsp->pkt, b->rsp->pkt_len, &st);

	if (k == 1)
		return 0; /* console output */
	if (k < 0)
		return vmwb_fail(b, "unexpected packet '%.40s' from the stub",
				 b->rsp->pkt);
	if (st.kind == 'W' || st.kind == 'X') {
		b->state = VMWB_DONE;
		return 0;
	}
	if (b->state == VMWB_INTERRUPTING) {
		b->state = VMWB_STOPPED;
		return 0;
	}
	if (st.code != 5) { /* not SIGTRAP: someone else stopped QEMU */
		b->strays++;
		util_note("vmware bridge: guest stopped with signal %u; "
			  "continuing",
			  st.code);
		return rsp_continue(b->rsp, util_now_ms() + VMWB_CALL_MS)
			       ? vmwb_rsp_fail(b, "continuing")
			       : 0;
	}
	return vmwb_call(b);
}

int vmwb_service(struct vmwb *b)
{
	while (b->state == VMWB_RUNNING || b->state == VMWB_INTERRUPTING) {
		int rc = rsp_poll(b->rsp);

		if (rc == 0)
			return 0;
		if (rc == RSP_ERR_IO) { /* QEMU exited */
			if (b->verbose)
				util_note("vmware bridge: %s", b->rsp->err);
			vmwb_close(b);
			b->state = VMWB_DONE;
			return 0;
		}
		if (rc < 0)
			return vmwb_rsp_fail(b, "gdbstub");
		if (vmwb_on_packet(b))
			return -1;
	}
	return 0;
}

void vmwb_interrupt(struct vmwb *b)
{
	uint64_t deadline = util_now_ms() + VMWB_STOP_MS;

	if (b->state != VMWB_RUNNING || rsp_interrupt(b->rsp, deadline))
		return;
	b->state = VMWB_INTERRUPTING;
	while (b->state == VMWB_INTERRUPTING) {
		if (rsp_recv(b->rsp, deadline)) {
			if (b->verbose)
				util_note("vmware bridge: no stop after "
					  "Ctrl-C: %s",
					  b->rsp->err);
			return;
		}
		if (vmwb_on_packet(b))
			return;
	}
}

void vmwb_close(struct vmwb *b)
{
	if (b->rsp && b->rsp->fd >= 0) {
		close(b->rsp->fd);
		b->rsp->fd = -1;
	}
}
