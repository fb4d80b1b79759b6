/*
 * test_gdb_rsp.c - unit tests for the gdbstub path of the VMware balloon
 * model: RSP framing, checksums, run-length decoding and stop replies
 * (gdb_rsp*.c), ELF symbol lookup on hand-made and corrupted images
 * (elf_sym.c), the profile keys and control verbs, and the bridge
 * (vmw_bridge*.c) against a fake gdbstub in a thread over a socketpair.
 */
#include "tests/unit/ut.h"

#include <elf.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/runner/ctl.h"
#include "host/runner/elf_sym.h"
#include "host/runner/gdb_rsp.h"
#include "host/runner/profile.h"
#include "host/runner/qemu.h"
#include "host/runner/util.h"
#include "host/runner/vmw_bridge.h"
#include "tests/unit/fake_gdb_stub.h"

/* ---- framing, scanning, hex, stop replies ------------------------------- */

static enum rsp_tok scan(const char *s, size_t *used, char *out, size_t size)
{
	size_t len;

	return rsp_scan(s, strlen(s), used, out, size, &len);
}

/* "$data#cs" with the right checksum of the raw (encoded) data. */
static const char *pkt(const char *raw)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "$%s#%02x", raw,
		 rsp_checksum(raw, strlen(raw)));
	return buf;
}

static void test_frame_and_scan(void)
{
	char out[128], framed[64];
	const char data[] = "a#b$c}d*e";
	size_t used, n;

	UT_CHECK_EQ(rsp_checksum("OK", 2), 0x9a);
	UT_CHECK_EQ(rsp_frame(framed, sizeof(framed), "OK", 2), 6);
	UT_CHECK_STR(framed, "$OK#9a");
	n = rsp_frame(framed, sizeof(framed), data, sizeof(data) - 1);
	UT_CHECK(n > 0 && !strchr(framed + 1, '$'));
	UT_CHECK_EQ(scan(framed, &used, out, sizeof(out)), RSP_TOK_PACKET);
	UT_CHECK_EQ(used, n);
	UT_CHECK_STR(out, data);		       /* escapes undone */
	UT_CHECK_EQ(rsp_frame(framed, 6, "OK", 2), 0); /* no room for NUL */
	UT_CHECK_EQ(rsp_frame(framed, 7, "OK", 2), 6);

	UT_CHECK_EQ(scan("+", &used, out, sizeof(out)), RSP_TOK_ACK);
	UT_CHECK_EQ(scan("xyz-", &used, out, sizeof(out)), RSP_TOK_NAK);
	UT_CHECK_EQ(used, 4);
	UT_CHECK_EQ(scan("junk", &used, out, sizeof(out)), RSP_TOK_NONE);
	UT_CHECK_EQ(used, 4); /* junk is dropped */
	UT_CHECK_EQ(scan("$OK#9", &used, out, sizeof(out)), RSP_TOK_NONE);
	UT_CHECK_EQ(used, 0); /* kept until the rest arrives */
	UT_CHECK_EQ(scan("$OK#9A", &used, out, sizeof(out)), RSP_TOK_PACKET);
	UT_CHECK_EQ(scan("$OK#00", &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(used, 6);
	UT_CHECK_EQ(scan("$OK#zz", &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(scan("$ab$OK#9a", &used, out, sizeof(out)), RSP_TOK_NONE);
	UT_CHECK_EQ(used, 3); /* a restart: the first '$' was noise */
	UT_CHECK_EQ(scan("%Stop:T05#00", &used, out, sizeof(out)),
		    RSP_TOK_NOTIFY);

	/* run-length encoding: "0* " is 0 and 3 more */
	UT_CHECK_EQ(scan(pkt("0* 1"), &used, out, sizeof(out)), RSP_TOK_PACKET);
	UT_CHECK_STR(out, "00001");
	UT_CHECK_EQ(scan(pkt("x*~"), &used, out, 98), RSP_TOK_BAD);
	UT_CHECK_EQ(scan(pkt("x*~"), &used, out, 99), RSP_TOK_PACKET);
	UT_CHECK_EQ(strlen(out), 98); /* '~' = 126: 97 more */
	UT_CHECK_EQ(scan(pkt("*  "), &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(scan(pkt("a*\x1f"), &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(scan(pkt("a*"), &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(scan(pkt("a}"), &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(scan(pkt("abcd"), &used, out, 4), RSP_TOK_BAD);
}

static void test_hex(void)
{
	uint8_t b[8] = {0x01, 0xab, 0, 0xff}, d[8];
	char h[17];

	rsp_hex_encode(h, b, 4);
	UT_CHECK_STR(h, "01ab00ff");
	UT_CHECK_EQ(rsp_hex_decode(d, sizeof(d), "01AB00ff", 8), 4);
	UT_CHECK(!memcmp(b, d, 4));
	UT_CHECK_EQ(rsp_hex_decode(d, sizeof(d), "xx01", 4), 2);
	UT_CHECK_EQ(d[0], 0);
	UT_CHECK_EQ(rsp_hex_decode(d, sizeof(d), "012", 3), -1);
	UT_CHECK_EQ(rsp_hex_decode(d, sizeof(d), "0g", 2), -1);
	UT_CHECK_EQ(rsp_hex_decode(d, 1, "0102", 4), -1);
	UT_CHECK_EQ(rsp_hex_byte("7f"), 0x7f);
	UT_CHECK_EQ(rsp_hex_byte("7"), -1);
	rsp_put_le64(d, 0x1122334455667788ull);
	UT_CHECK_EQ(d[0], 0x88);
	UT_CHECK(rsp_le64(d) == 0x1122334455667788ull);
	UT_CHECK_EQ(rsp_reply_rc("", 0), RSP_ERR_UNSUPPORTED);
	UT_CHECK_EQ(rsp_reply_rc("E14", 3), RSP_ERR_STUB);
	UT_CHECK_EQ(rsp_reply_rc("OK", 2), RSP_OK);
	UT_CHECK_EQ(rsp_reply_rc("Exyz", 4), RSP_OK);
}

static int stop(const char *s, struct rsp_stop *st)
{
	return rsp_parse_stop(s, strlen(s), st);
}

static void test_stop_replies(void)
{
	struct rsp_stop st;
	char big[80];

	UT_CHECK_EQ(stop("S05", &st), 0);
	UT_CHECK(st.kind == 'S' && st.code == 5);
	UT_CHECK_EQ(stop("T05thread:p01.01;swbreak:;", &st), 0);
	UT_CHECK(st.kind == 'T' && st.code == 5);
	UT_CHECK_STR(st.thread, "p01.01");
	UT_CHECK_STR(st.reason, "swbreak");
	UT_CHECK_EQ(stop("T0206:0000000000000000;07:10;thread:01;", &st), 0);
	UT_CHECK(st.code == 2 && !strcmp(st.thread, "01") && !st.reason[0]);
	UT_CHECK_EQ(stop("T05", &st), 0);
	UT_CHECK_EQ(stop("W00", &st), 0);
	UT_CHECK(st.kind == 'W' && st.code == 0);
	UT_CHECK_EQ(stop("W01;process:42", &st), 0);
	UT_CHECK_EQ(stop("X09", &st), 0);
	UT_CHECK(st.kind == 'X' && st.code == 9);
	UT_CHECK_EQ(stop("O48690a", &st), 1); /* console output */
	UT_CHECK_EQ(stop("OK", &st), -1);
	UT_CHECK_EQ(stop("T5", &st), -1);
	UT_CHECK_EQ(stop("Q05", &st), -1);
	UT_CHECK_EQ(stop("S05x", &st), -1);
	UT_CHECK_EQ(stop("W00x", &st), -1);
	UT_CHECK_EQ(stop("T05thread", &st), -1);
	UT_CHECK_EQ(stop("T05;a:b", &st), -1);
	snprintf(big, sizeof(big), "T05thread:%060d;", 1);
	UT_CHECK_EQ(stop(big, &st), -1);
}

/* ---- the packet layer against a scripted peer --------------------------- */

static int pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
}

static void put(int fd, const char *s)
{
	UT_CHECK_EQ(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void test_rsp_io(void)
{
	static struct rsp r;
	char got[64] = "";
	int sv[2];

	UT_CHECK_EQ(pair(sv), 0);
	rsp_init(&r, sv[0]);
	/* a NAK, then an ack and the answer: retransmitted once */
	put(sv[1], "-+$OK#9a");
	UT_CHECK_EQ(rsp_cmd(&r, "Hg0", util_now_ms() + 500), RSP_OK);
	UT_CHECK_STR(r.pkt, "OK");
	UT_CHECK_EQ(r.retransmits, 1);
	UT_CHECK(read(sv[1], got, sizeof(got) - 1) > 0);
	UT_CHECK(strstr(got, "$Hg0#") && strstr(strstr(got, "#") + 1, "$Hg0#"));
	UT_CHECK(strchr(got, '+') != NULL); /* the answer was acked */
	/* a corrupt answer is refused ('-'), the retransmission taken */
	put(sv[1], "+$OK#00$OK#9a");
	UT_CHECK_EQ(rsp_cmd(&r, "?", util_now_ms() + 500), RSP_OK);
	UT_CHECK_EQ(r.bad_packets, 1);
	/* NAKed forever: bounded */
	put(sv[1], "----------");
	UT_CHECK_EQ(rsp_send(&r, "g", 1, util_now_ms() + 500), RSP_ERR_PROTO);
	/* silence: the deadline */
	UT_CHECK_EQ(rsp_recv(&r, util_now_ms() + 50), RSP_ERR_TIMEOUT);
	UT_CHECK_EQ(rsp_poll(&r), 0);
	/* a packet that never ends cannot overflow the buffer */
	{
		static char flood[RSP_IN_MAX + 64];

		memset(flood, 'a', sizeof(flood) - 1);
		flood[0] = '$';
		put(sv[1], flood);
		UT_CHECK_EQ(rsp_recv(&r, util_now_ms() + 500), RSP_ERR_PROTO);
	}
	close(sv[1]);
	rsp_init(&r, sv[0]);
	UT_CHECK_EQ(rsp_recv(&r, util_now_ms() + 500), RSP_ERR_IO);
	close(sv[0]);

	/* after QStartNoAckMode: no acks either way, no second chances */
	UT_CHECK_EQ(pair(sv), 0);
	rsp_init(&r, sv[0]);
	r.noack = true;
	put(sv[1], "$OK#9a");
	UT_CHECK_EQ(rsp_cmd(&r, "Hg0", util_now_ms() + 500), RSP_OK);
	memset(got, 0, sizeof(got));
	UT_CHECK(read(sv[1], got, sizeof(got) - 1) > 0);
	UT_CHECK_STR(got, "$Hg0#df");
	put(sv[1], "$OK#00");
	UT_CHECK_EQ(rsp_cmd(&r, "?", util_now_ms() + 500), RSP_ERR_PROTO);
	close(sv[0]);
	close(sv[1]);
}

/* ---- ELF symbol lookup --------------------------------------------------- */

#define SYM "vmw_balloon_bdoor"

struct img {
	Elf64_Ehdr eh;
	Elf64_Shdr sh[3]; /* null, .symtab, .strtab */
	Elf64_Sym sym[5];
	char str[64];
};

static void img_build(struct img *m)
{
	static const char strtab[] = "\0" SYM "\0other\0undef";

	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_ident[EI_VERSION] = EV_CURRENT;
	m->eh.e_shoff = offsetof(struct img, sh);
	m->eh.e_shentsize = sizeof(Elf64_Shdr);
	m->eh.e_shnum = 3;
	m->sh[1] = (Elf64_Shdr){.sh_type = SHT_SYMTAB,
				.sh_offset = offsetof(struct img, sym),
				.sh_size = sizeof(m->sym),
				.sh_link = 2,
				.sh_entsize = sizeof(Elf64_Sym)};
	m->sh[2] = (Elf64_Shdr){.sh_type = SHT_STRTAB,
				.sh_offset = offsetof(struct img, str),
				.sh_size = sizeof(strtab)};
	memcpy(m->str, strtab, sizeof(strtab));
	/* a local and a global SYM: the global wins */
	m->sym[1] =
		(Elf64_Sym){.st_name = 1, .st_shndx = 1, .st_value = 0x1000};
	m->sym[2] = (Elf64_Sym){.st_name = 1,
				.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				.st_shndx = 1,
				.st_value = 0x10707b};
	m->sym[3] = (Elf64_Sym){.st_name = 19, .st_shndx = 1, .st_value = 0x30};
	m->sym[4] = (Elf64_Sym){.st_name = 25, .st_shndx = SHN_UNDEF};
}

static int look(const struct img *m, size_t len, const char *name, uint64_t *a,
		char *err)
{
	return elfs_lookup(m, len, name, a, err, 128);
}

static void test_elf(void)
{
	static struct img m;
	char err[128], path[] = "/tmp/pp-elf-XXXXXX";
	uint64_t a = 0;
	int fd;

	img_build(&m);
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), 0);
	UT_CHECK(a == 0x10707b);
	UT_CHECK_EQ(look(&m, sizeof(m), "other", &a, err), 0);
	UT_CHECK(a == 0x30);
	UT_CHECK_EQ(look(&m, sizeof(m), "undef", &a, err), -1);
	UT_CHECK_EQ(look(&m, sizeof(m), "vmw_balloon", &a, err), -1);
	UT_CHECK_STR(err, "no symbol 'vmw_balloon'");
	/* truncated anywhere: an error, never a read past the end */
	for (size_t len = 0; len < m.sh[2].sh_offset + m.sh[2].sh_size; len++)
		UT_CHECK_EQ(look(&m, len, SYM, &a, err), -1);
	UT_CHECK_EQ(look(&m, 10, SYM, &a, err), -1);
	UT_CHECK_STR(err, "not an ELF file");
	/* the name at the end of a strtab without its NUL */
	m.sh[2].sh_size = 1 + strlen(SYM);
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	img_build(&m);
	m.sh[1].sh_link = 7;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	UT_CHECK(strstr(err, "corrupt symbol table") != NULL);
	img_build(&m);
	m.sh[1].sh_offset = ~0ull - 8;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	img_build(&m);
	m.eh.e_shoff = ~0ull - 100;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	img_build(&m);
	m.eh.e_shentsize = 40;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	img_build(&m);
	m.eh.e_ident[EI_CLASS] = ELFCLASS32;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	img_build(&m);
	m.sh[1].sh_type = SHT_PROGBITS;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	UT_CHECK_STR(err, "no symbol table (stripped?)");
	img_build(&m);
	m.sym[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	UT_CHECK(strstr(err, "defined twice") != NULL);
	/* extended section numbering */
	img_build(&m);
	m.eh.e_shnum = 0;
	m.sh[0].sh_size = 3;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), 0);
	/* random damage: whatever it says, it must not crash (ASan) */
	srand(7);
	for (int i = 0; i < 20000; i++) {
		img_build(&m);
		for (int k = 0; k < 1 + i % 4; k++)
			((uint8_t *)&m)[rand() % (int)sizeof(m)] =
				(uint8_t)rand();
		look(&m, sizeof(m) - (size_t)(i % 3) * 7, SYM, &a, err);
	}
	/* from a file */
	img_build(&m);
	fd = mkstemp(path);
	UT_CHECK(fd >= 0 && write(fd, &m, sizeof(m)) == (ssize_t)sizeof(m));
	close(fd);
	UT_CHECK_EQ(elfs_lookup_file(path, SYM, &a, err, sizeof(err)), 0);
	UT_CHECK(a == 0x10707b);
	unlink(path);
	UT_CHECK_EQ(elfs_lookup_file(path, SYM, &a, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "No such file") != NULL);
	UT_CHECK_EQ(elfs_lookup_file("/tmp", SYM, &a, err, sizeof(err)), -1);
}

/* ---- the bridge against the fake stub ----------------------------------- */

#define BP    0x1000ull
#define MAGIC VMW_BALLOON_MAGIC
#define PORT  VMW_BALLOON_PORT

static const struct fake_call script[] = {
	{{MAGIC, 0x3e, VMW_CMD_START, PORT, 0, 0x1234}, 0},
	{{MAGIC, 64, VMW_CMD_GET_TARGET, PORT, 0, 0x1234}, 0},
	{{MAGIC, 2, VMW_CMD_BATCHED_LOCK, PORT, 2, 0x1234}, 0},
	{{MAGIC, 2, VMW_CMD_BATCHED_LOCK, PORT, 2, 0x1234}, 0}, /* twice */
	{{1, 2, 3, 4, 5, 6}, BP + 0x10},			/* elsewhere */
	{{MAGIC, 12, VMW_CMD_LOCK, PORT, 1, 0x1234}, 0},
	{{0x1234, 0, VMW_CMD_START, PORT, 0, 0}, 0}, /* bad magic */
};

static const struct vmw_model_config model_cfg = {
	.ram_frames = 64,
	.host_caps = VMWB_DEFAULT_CAPS,
	.max_percent = 100,
	.maxmemctl_mb = -1,
};

static struct fake_stub stub;
static struct vmwb bridge;

static int mem_rd(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	if (gpa > FAKE_MEM || len > FAKE_MEM - gpa)
		return -1;
	memcpy(buf, (uint8_t *)ctx + gpa, len);
	return 0;
}

static int mem_wr(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	if (gpa > FAKE_MEM || len > FAKE_MEM - gpa)
		return -1;
	memcpy((uint8_t *)ctx + gpa, buf, len);
	return 0;
}

/* A fresh stub with the script, the `inl` at BP and a batch page. */
static void stub_init(bool reject_short_g, bool noise)
{
	memset(&stub, 0, sizeof(stub));
	stub.script = script;
	stub.nscript = ARRAY_SIZE(script);
	stub.reject_short_g = reject_short_g;
	stub.corrupt_first_g = noise;
	stub.nak_first_G = noise;
	stub.mem[BP] = VMWB_INSN;
	rsp_put_le64(stub.mem + 0x2000, 10ull << 12);
	rsp_put_le64(stub.mem + 0x2008, 11ull << 12);
}

static int start_bridge(void)
{
	char err[256];
	int sv[2];

	UT_CHECK_EQ(pair(sv), 0);
	UT_CHECK_EQ(vmwb_init(&bridge, BP, &model_cfg, false, err, sizeof(err)),
		    0);
	vmw_model_set_target(bridge.model, 40);
	fake_stub_start(&stub, sv[1]);
	return vmwb_attach(&bridge, sv[0]);
}

/* Attaches, then services the stub until it says the guest exited. */
static int run_bridge(void)
{
	uint64_t end;

	if (start_bridge())
		return -1;
	end = util_now_ms() + 5000;
	while (bridge.state == VMWB_RUNNING && util_now_ms() < end) {
		struct pollfd p = {.fd = vmwb_fd(&bridge), .events = POLLIN};

		poll(&p, 1, 100);
		if (vmwb_service(&bridge))
			return -1;
	}
	return bridge.state == VMWB_DONE ? 0 : -1;
}

/* The bridge must be invisible: the same calls on a model in process
 * give the registers and the memory the stub ends up with. */
static void check_transparent(void)
{
	static uint8_t mem[FAKE_MEM];
	struct vmw_mem_ops ops = {mem_rd, mem_wr, mem};
	struct vmw_model *ref;

	memcpy(mem, stub.mem, sizeof(mem));
	ref = vmw_model_new(&model_cfg, &ops);
	vmw_model_set_target(ref, 40);
	UT_CHECK_EQ(run_bridge(), 0);
	if (bridge.state == VMWB_FAILED)
		printf("    # bridge: %s\n", bridge.err);
	fake_stub_join(&stub);
	UT_CHECK_EQ(stub.nafter, ARRAY_SIZE(script) + 1);
	for (unsigned i = 0; i < ARRAY_SIZE(script) && i + 1 < stub.nafter;
	     i++) {
		const uint8_t *g = stub.after[i + 1];
		struct vmw_regs r = script[i].r;
		uint64_t want[6];

		if (!script[i].rip) /* a call: as the model answers it */
			vmw_model_call(ref, &r);
		want[0] = r.rax, want[1] = r.rbx, want[2] = r.rcx;
		want[3] = r.rdx, want[4] = r.rsi, want[5] = r.rdi;
		for (int k = 0; k < 6; k++)
			UT_CHECK(rsp_le64(g + 8 * k) == want[k]);
		UT_CHECK(rsp_le64(g + 128) ==
			 (script[i].rip ? script[i].rip : BP + 1));
	}
	UT_CHECK(!memcmp(mem, stub.mem, sizeof(mem)));
	UT_CHECK(rsp_le64(stub.after[1]) == VMW_SUCCESS_WITH_CAPABILITIES);
	UT_CHECK(rsp_le64(stub.after[1] + 16) == 0x2e);	  /* granted caps */
	UT_CHECK(rsp_le64(stub.after[2] + 8) == 40);	  /* the target */
	UT_CHECK(rsp_le64(stub.after[2] + 40) == 0x1234); /* RDI kept */
	UT_CHECK_EQ(stub.mem[0x2000] & 31, VMW_ERROR_PPN_LOCKED);
	UT_CHECK(rsp_le64(stub.after[7]) == 0xffffffffull);
	UT_CHECK_EQ(bridge.calls, 6);
	UT_CHECK_EQ(bridge.strays, 1);
	UT_CHECK_EQ(bridge.mem_reads, 2);
	UT_CHECK_EQ(bridge.mem_writes, 1); /* only call 4 changed entries */
	UT_CHECK_EQ(vmw_model_locked_frames(bridge.model), 3);
	UT_CHECK_EQ(vmw_model_nr_findings(bridge.model),
		    vmw_model_nr_findings(ref));
	for (int i = FAKE_GPR; i < FAKE_REGS; i++) /* nothing else written */
		UT_CHECK_EQ(stub.regs[i], (uint8_t)i);
	vmw_model_free(ref);
}

static void test_bridge_g(void)
{
	stub_init(false, false);
	check_transparent();
	UT_CHECK(bridge.short_g);
	UT_CHECK_EQ(stub.P, 0);
	UT_CHECK_EQ(stub.G, 1 + 6); /* the probe, then one per call */
	UT_CHECK_EQ(stub.g, 2 + 7); /* the probe twice, then one per stop */
	UT_CHECK_EQ(bridge.rsp->bad_packets, 0);
	vmwb_free(&bridge);
}

static void test_bridge_p_and_noise(void)
{
	stub_init(true, true);
	check_transparent();
	UT_CHECK(!bridge.short_g); /* whole 'G' only: 'P' per register */
	UT_CHECK(stub.P >= 12);
	UT_CHECK_EQ(stub.naks_seen, 1); /* the corrupt 'g' answer */
	UT_CHECK_EQ(bridge.rsp->bad_packets, 1);
	UT_CHECK_EQ(bridge.rsp->retransmits, 1); /* the refused 'G' */
	vmwb_free(&bridge);
}

static void test_bridge_refuses(void)
{
	stub_init(false, false);
	stub.arch = "aarch64";
	UT_CHECK_EQ(run_bridge(), -1);
	UT_CHECK(strstr(bridge.err, "not x86_64") != NULL);
	vmwb_free(&bridge);
	fake_stub_join(&stub);

	stub_init(false, false);
	stub.mem[BP] = 0x90; /* the label moved off the instruction */
	UT_CHECK_EQ(run_bridge(), -1);
	UT_CHECK(strstr(bridge.err, "not on an `inl") != NULL);
	vmwb_free(&bridge);
	fake_stub_join(&stub);
}

static void test_bridge_interrupt(void)
{
	stub_init(false, false);
	stub.hold = true; /* the guest never reaches the breakpoint */
	UT_CHECK_EQ(start_bridge(), 0);
	UT_CHECK_EQ(vmwb_service(&bridge), 0);
	UT_CHECK_EQ(bridge.state, VMWB_RUNNING);
	vmwb_interrupt(&bridge);
	UT_CHECK_EQ(bridge.state, VMWB_STOPPED);
	UT_CHECK_EQ(vmwb_fd(&bridge), -1);
	vmwb_free(&bridge);
	fake_stub_join(&stub);
}

/* ---- control verbs, profile keys, QEMU's command line -------------------- */

static const char *ask(struct ctl *c, const char *line)
{
	static char ans[CTL_ANSWER_SIZE];
	char note[CTL_NOTE_SIZE];
	size_t n = ctl_handle(c, line, strlen(line), false, 0, ans, sizeof(ans),
			      note, sizeof(note));

	ans[n ? n - 1 : 0] = '\0';
	return ans;
}

static void test_ctl_verbs(void)
{
	struct vmw_regs r = {MAGIC, 0x3e, VMW_CMD_START, PORT, 0, 0};
	struct ctl c;
	char err[160];

	ctl_init(&c, NULL);
	UT_CHECK_STR(ask(&c, "PP? 1 vmw-state"), "PP! 1 err no-vmware-model");
	UT_CHECK_STR(ask(&c, "PP? 2 vmw-target 5"),
		     "PP! 2 err no-vmware-model");
	UT_CHECK_EQ(vmwb_init(&bridge, BP, &model_cfg, false, err, sizeof(err)),
		    0);
	c.vmw = &bridge;
	UT_CHECK_STR(ask(&c, "PP? 3 vmw-target 40"), "PP! 3 ok 40");
	UT_CHECK_STR(ask(&c, "PP? 4 vmw-target 1000"), "PP! 4 ok 64");
	UT_CHECK_STR(ask(&c, "PP? 5 vmw-target -1"), "PP! 5 err bad-args");
	UT_CHECK_STR(ask(&c, "PP? 6 vmw-target"), "PP! 6 err bad-args");
	vmw_model_call(bridge.model, &r);
	r = (struct vmw_regs){MAGIC, 99, VMW_CMD_UNLOCK, PORT, 1, 0};
	vmw_model_call(bridge.model, &r); /* never locked: a finding */
	UT_CHECK_STR(ask(&c, "PP? 7 vmw-state"),
		     "PP! 7 ok target=64 locked=0 max=64 findings=1 faults=0 "
		     "calls=0 caps=0x2e started=1");
	UT_CHECK(!strncmp(ask(&c, "PP? 8 vmw-finding 0"), "PP! 8 ok UNLOCK",
			  15));
	UT_CHECK_STR(ask(&c, "PP? 9 vmw-finding 1"),
		     "PP! 9 err no-such-finding");
	UT_CHECK_STR(ask(&c, "PP? 10 vmw-faults bogus=1"),
		     "PP! 10 err bad-faults");
	UT_CHECK_STR(ask(&c, "PP? 11 vmw-faults seed=3,busy_percent=100"),
		     "PP! 11 ok");
	r = (struct vmw_regs){MAGIC, 64, VMW_CMD_GET_TARGET, PORT, 0, 0};
	vmw_model_call(bridge.model, &r);
	UT_CHECK_EQ(r.rax, VMW_ERROR_BUSY);
	UT_CHECK_STR(ask(&c, "PP? 12 vmw-faults none"), "PP! 12 ok");
	r = (struct vmw_regs){MAGIC, 64, VMW_CMD_GET_TARGET, PORT, 0, 0};
	vmw_model_call(bridge.model, &r);
	UT_CHECK_EQ(r.rax, VMW_OK);
	vmwb_free(&bridge);
}

static void test_faults_syntax(void)
{
	struct vmw_faults f;
	char err[200];

	UT_CHECK_EQ(vmwb_parse_faults("seed=0x10,reset_every=97,busy_percent="
				      "5,pinned_every=13,notneeded_percent=3,"
				      "flapping_target=yes,target_above_ram=0",
				      &f, err, sizeof(err)),
		    0);
	UT_CHECK(f.seed == 16 && f.reset_every == 97 && f.busy_percent == 5);
	UT_CHECK(f.pinned_every == 13 && f.notneeded_percent == 3);
	UT_CHECK(f.flapping_target && !f.target_above_ram);
	UT_CHECK_EQ(vmwb_parse_faults("busy_percent=010", &f, err, 200), 0);
	UT_CHECK_EQ(f.busy_percent, 10); /* never octal */
	UT_CHECK_EQ(vmwb_parse_faults("none", &f, err, 200), 0);
	UT_CHECK(!f.seed && !f.busy_percent);
	UT_CHECK_EQ(vmwb_parse_faults("busy_percent=101", &f, err, 200), -1);
	UT_CHECK_STR(err, "bad value '101' for fault 'busy_percent'");
	UT_CHECK_EQ(vmwb_parse_faults("colour=red", &f, err, 200), -1);
	UT_CHECK(!strncmp(err, "unknown fault 'colour' (known: seed,", 36));
	UT_CHECK_EQ(vmwb_parse_faults("seed", &f, err, 200), -1);
	UT_CHECK_EQ(vmwb_parse_faults("seed=1,seed=2", &f, err, 200), -1);
	UT_CHECK_EQ(vmwb_parse_faults("seed=1,", &f, err, 200), -1);
	UT_CHECK_EQ(vmwb_parse_faults("seed=-1", &f, err, 200), -1);
	UT_CHECK_EQ(vmwb_parse_faults("reset_every=4294967296", &f, err, 200),
		    -1);
	UT_CHECK_EQ(vmwb_parse_faults("flapping_target=2", &f, err, 200), -1);
}

static int prof(const char *text, struct prof *p, char *err)
{
	return prof_parse(text, strlen(text), "t.conf", p, err, PROF_ERR_SIZE);
}

static void test_profile_keys(void)
{
	static struct prof p;
	char err[PROF_ERR_SIZE];
	uint64_t frames, end;

	UT_CHECK_EQ(prof("machine = pc\nmemory = 128M\n", &p, err), 0);
	UT_CHECK(!p.vmware && p.vmware_max_percent == 65 &&
		 p.vmware_maxmemctl_mb == -1 && p.vmware_caps == 0x2e);
	UT_CHECK_EQ(prof("machine = pc\nmemory = 128M\nvmware = model\n"
			 "vmware_faults = seed=7,reset_every=97\n"
			 "vmware_max_percent = 50\nvmware_maxmemctl_mb = 16\n"
			 "vmware_caps = 0x06\n",
			 &p, err),
		    0);
	UT_CHECK(p.vmware && p.vmw_faults.seed == 7 &&
		 p.vmw_faults.reset_every == 97);
	UT_CHECK(p.vmware_max_percent == 50 && p.vmware_maxmemctl_mb == 16 &&
		 p.vmware_caps == 6);
	UT_CHECK(prof_memory_bytes(p.memory) == 128ull << 20);
	UT_CHECK_EQ(prof("machine = pc\nmemory = 1M\nvmware = model\n"
			 "vmware_faults = seed=7,colour=red\n",
			 &p, err),
		    -1);
	UT_CHECK(!strncmp(err, "t.conf:4: unknown fault 'colour'", 32));
	UT_CHECK_EQ(
		prof("machine = pc\nmemory = 1M\nvmware_caps = 2\n", &p, err),
		-1);
	UT_CHECK_STR(err, "t.conf:3: 'vmware_caps' needs 'vmware = model'");
	UT_CHECK_EQ(prof("machine = pc\nmemory = 1M\nvmware = yes\n", &p, err),
		    -1);
	UT_CHECK_EQ(prof("machine = pc\nmemory = 1M\nvmware = model\n"
			 "vmware_caps = 0x40\n",
			 &p, err),
		    -1);
	UT_CHECK_EQ(prof("machine = pc\nmemory = 1M\nvmware = model\n"
			 "vmware_maxmemctl_mb = -2\n",
			 &p, err),
		    -1);
	UT_CHECK_EQ(prof("machine = pc\nmemory = 1M\nvmware = model\n"
			 "vmware_max_percent = 101\n",
			 &p, err),
		    -1);
	vmwb_ram_layout(128ull << 20, &frames, &end);
	UT_CHECK(frames == 32768 && end == 32768);
	vmwb_ram_layout(4ull << 30, &frames, &end);
	UT_CHECK(frames == 1ull << 20 && end == (6ull << 30) >> 12);
}

static void test_qemu_gdb_args(void)
{
	static struct prof p;
	struct qemu_paths paths = {.qemu = "qemu-system-x86_64",
				   .kernel = "k.elf",
				   .qmp_sock = "/tmp/d/qmp.sock",
				   .gdb_sock = "/tmp/d/gdb.sock"};
	struct qemu_cmd c;
	char err[256], buf[4096];

	UT_CHECK_EQ(prof("machine = pc\nmemory = 128M\nvmware = model\n"
			 "qemu_args = -machine vmport=on\n",
			 &p, err),
		    0);
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	qemu_cmd_format(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, " -qmp unix:/tmp/d/qmp.sock,server=on,wait=off "
			     "-gdb unix:/tmp/d/gdb.sock,server=on,wait=off -S "
			     "-machine vmport=on") != NULL);
	qemu_cmd_free(&c);
	paths.gdb_sock = "/tmp/a,b/gdb.sock";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), -1);
	qemu_cmd_free(&c);
}

UT_MAIN(UT_TEST(test_frame_and_scan), UT_TEST(test_hex),
	UT_TEST(test_stop_replies), UT_TEST(test_rsp_io), UT_TEST(test_elf),
	UT_TEST(test_bridge_g), UT_TEST(test_bridge_p_and_noise),
	UT_TEST(test_bridge_refuses), UT_TEST(test_bridge_interrupt),
	UT_TEST(test_ctl_verbs), UT_TEST(test_faults_syntax),
	UT_TEST(test_profile_keys), UT_TEST(test_qemu_gdb_args))
