/*
 * fake_gdb_stub.c - the fake gdbstub of fake_gdb_stub.h. It frames its
 * packets with its own few lines of code (not gdb_rsp.c's), acks like
 * QEMU (never waits for the client's acks, resends on '-'), encodes 'g'
 * answers with run-length encoding like gdbserver, and enforces QEMU's
 * limits: 'm' of at most 2 KiB, 'p'/'P' only after target.xml was read.
 */
#include "tests/unit/fake_gdb_stub.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fake_io {
	char in[65536];
	size_t len;
	char last[20000]; /* the last answer, framed, for a '-' */
	size_t last_len;
};

static void fake_write(struct fake_stub *f, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(f->fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Frames data, run-length encoding runs when rle is set. */
static void fake_reply(struct fake_stub *f, struct fake_io *io,
		       const char *data, bool rle, bool corrupt)
{
	size_t n = strlen(data), o = 0;
	unsigned sum = 0;

	io->last[o++] = '$';
	for (size_t i = 0; i < n;) {
		size_t run = 1;

		while (rle && i + run < n && data[i + run] == data[i] &&
		       run < 98)
			run++;
		if (run >= 4) {
			size_t extra = run - 1;

			if (extra == 6 || extra == 7) /* would be '#', '$' */
				extra = 5;
			io->last[o++] = data[i];
			io->last[o++] = '*';
			io->last[o++] = (char)(extra + 29);
			i += extra + 1;
		} else {
			io->last[o++] = data[i++];
		}
	}
	for (size_t i = 1; i < o; i++)
		sum += (unsigned char)io->last[i];
	o += (size_t)snprintf(io->last + o, sizeof(io->last) - o, "#%02x",
			      (sum + (corrupt ? 1 : 0)) & 0xff);
	io->last_len = o;
	fake_write(f, io->last, o);
	if (corrupt) { /* keep the good one for the retransmission */
		io->last[o - 2] = "0123456789abcdef"[(sum >> 4) & 15];
		io->last[o - 1] = "0123456789abcdef"[sum & 15];
	}
}

static void fake_hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static bool fake_unhex(uint8_t *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

/* The guest "runs" to the next scripted call, or the script ends. */
static const char *fake_continue(struct fake_stub *f)
{
	const struct fake_call *k;

	if (f->nafter < FAKE_AFTER)
		memcpy(f->after[f->nafter++], f->regs, FAKE_GPR);
	if (f->hold) {
		f->running = true;
		return NULL;
	}
	if (f->next >= f->nscript)
		return "W00";
	k = &f->script[f->next++];
	{
		const uint64_t v[6] = {k->r.rax, k->r.rbx, k->r.rcx,
				       k->r.rdx, k->r.rsi, k->r.rdi};

		for (int i = 0; i < 6; i++)
			for (int b = 0; b < 8; b++)
				f->regs[8 * i + b] = (uint8_t)(v[i] >> (8 * b));
	}
	for (int b = 0; b < 8; b++)
		f->regs[128 + b] =
			(uint8_t)((k->rip ? k->rip : f->bp) >> (8 * b));
	return "T05thread:01;";
}

/* One packet from the client; the answer goes into ans. */
static void fake_handle(struct fake_stub *f, char *p, char *ans)
{
	unsigned long long a = 0, n = 0;
	unsigned reg = 0;
	char *colon;

	ans[0] = '\0';
	if (!strncmp(p, "qSupported", 10)) {
		strcpy(ans, "PacketSize=1000;qXfer:features:read+");
	} else if (!strcmp(p, "?")) {
		strcpy(ans, "T05thread:01;");
	} else if (!strncmp(p, "qXfer:features:read:target.xml:", 31)) {
		f->xml_read = true;
		sprintf(ans,
			"l<?xml version=\"1.0\"?><target><architecture>%s"
			"</architecture></target>",
			f->arch ? f->arch : "i386:x86-64");
	} else if (!strcmp(p, "g")) {
		f->g++;
		fake_hex(ans, f->regs, FAKE_REGS);
	} else if (p[0] == 'G') {
		size_t len = strlen(p + 1) / 2;

		f->G++;
		if (len > FAKE_REGS || (f->reject_short_g && len < FAKE_REGS) ||
		    !fake_unhex(f->regs, p + 1, len))
			strcpy(ans, "E01");
		else
			strcpy(ans, "OK");
	} else if (sscanf(p, "p%x", &reg) == 1 && p[0] == 'p') {
		f->p++;
		if (f->xml_read && reg <= 16)
			fake_hex(ans, f->regs + 8 * reg, 8);
		else if (f->xml_read)
			strcpy(ans, "E01");
	} else if (sscanf(p, "P%x=", &reg) == 1 && p[0] == 'P') {
		f->P++;
		if (f->xml_read && reg <= 16 &&
		    fake_unhex(f->regs + 8 * reg, strchr(p, '=') + 1, 8))
			strcpy(ans, "OK");
		else if (f->xml_read)
			strcpy(ans, "E01");
	} else if (p[0] == 'm' && sscanf(p, "m%llx,%llx", &a, &n) == 2) {
		f->m++;
		if (n > 0x800)
			strcpy(ans, "E22");
		else if (a > FAKE_MEM || n > FAKE_MEM - a)
			strcpy(ans, "E14");
		else
			fake_hex(ans, f->mem + a, n);
	} else if (p[0] == 'M' && sscanf(p, "M%llx,%llx:", &a, &n) == 2 &&
		   (colon = strchr(p, ':'))) {
		f->M++;
		if (a > FAKE_MEM || n > FAKE_MEM - a ||
		    strlen(colon + 1) != 2 * n ||
		    !fake_unhex(f->mem + a, colon + 1, n))
			strcpy(ans, "E14");
		else
			strcpy(ans, "OK");
	} else if ((p[0] == 'Z' || p[0] == 'z') &&
		   (p[1] == '0' || p[1] == '1') &&
		   sscanf(p + 2, ",%llx,", &a) == 1) {
		if (p[0] == 'Z')
			f->bp = a;
		strcpy(ans, "OK");
	} else if (!strcmp(p, "c")) {
		const char *s;

		f->c++;
		s = fake_continue(f);
		if (s)
			strcpy(ans, s);
		else
			ans[0] = '\1'; /* nothing to send now */
	}
}

/* Takes whole packets and control bytes from io->in; false to stop. */
static bool fake_consume(struct fake_stub *f, struct fake_io *io)
{
	static char ans[20000];
	size_t i = 0;

	while (i < io->len) {
		char *hash, ch = io->in[i];
		unsigned sum = 0, cs;

		if (ch == '+' || (ch != '$' && ch != '-' && ch != 3)) {
			i++;
			continue;
		}
		if (ch == '-') {
			f->naks_seen++;
			fake_write(f, io->last, io->last_len);
			i++;
			continue;
		}
		if (ch == 3) {
			i++;
			if (f->running) {
				f->running = false;
				fake_reply(f, io, "T02thread:01;", false,
					   false);
			}
			continue;
		}
		hash = memchr(io->in + i, '#', io->len - i);
		if (!hash || (size_t)(hash - io->in) + 3 > io->len)
			break;
		*hash = '\0';
		for (char *s = io->in + i + 1; *s; s++)
			sum += (unsigned char)*s;
		if (sscanf(hash + 1, "%2x", &cs) != 1 || cs != (sum & 0xff)) {
			f->bad_seen++;
			fake_write(f, "-", 1);
		} else if (f->nak_first_G && io->in[i + 1] == 'G') {
			f->nak_first_G = false;
			fake_write(f, "-", 1);
		} else {
			bool g = io->in[i + 1] == 'g';
			bool corrupt = g && f->corrupt_first_g;

			fake_write(f, "+", 1);
			fake_handle(f, io->in + i + 1, ans);
			if (corrupt)
				f->corrupt_first_g = false;
			if (ans[0] != '\1')
				fake_reply(f, io, ans, g, corrupt);
			if (!strcmp(ans, "W00"))
				return false;
		}
		i = (size_t)(hash - io->in) + 3;
	}
	memmove(io->in, io->in + i, io->len - i);
	io->len -= i;
	return true;
}

static void *fake_main(void *arg)
{
	struct fake_stub *f = arg;
	struct fake_io *io = calloc(1, sizeof(*io));

	while (io) {
		struct pollfd p = {.fd = f->fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			break;
		n = read(f->fd, io->in + io->len, sizeof(io->in) - io->len);
		if (n <= 0)
			break;
		io->len += (size_t)n;
		if (!fake_consume(f, io))
			break;
	}
	free(io);
	close(f->fd);
	return NULL;
}

void fake_stub_start(struct fake_stub *f, int fd)
{
	f->fd = fd;
	for (int i = FAKE_GPR; i < FAKE_REGS; i++)
		f->regs[i] = (uint8_t)i; /* control registers etc. */
	f->regs[128] = 0xf0;		 /* RIP 0xfff0, as after reset */
	f->regs[129] = 0xff;
	pthread_create(&f->thread, NULL, fake_main, f);
}

void fake_stub_join(struct fake_stub *f)
{
	pthread_join(f->thread, NULL);
}
