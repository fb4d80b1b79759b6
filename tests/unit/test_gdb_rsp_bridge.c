/*
 * test_gdb_rsp_bridge.c - unit tests for the VMware balloon bridge
 * (vmw_bridge*.c) and the control verbs that steer it.
 *
 * The bridge stops the guest at its backdoor `inl`, reads the registers
 * through the gdbstub, runs the call on the host model and writes the
 * answer back. It must be invisible: these tests run it against a fake
 * gdbstub in a thread over a socketpair and check the stub ends with the
 * same registers and memory as the same calls made on a model in
 * process, with G or P register writes, noise on the line, a target that
 * is not x86_64 or a breakpoint not on an `inl` (refused), and a guest
 * that never reaches the breakpoint (interrupted). Also the vmw-* control
 * verbs and the syntax of the fault list they and the profiles accept.
 */
#include "tests/unit/ut.h"

#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "host/runner/ctl.h"
#include "host/runner/util.h"
#include "host/runner/vmw_bridge.h"
#include "tests/unit/fake_gdb_stub.h"

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

	UT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
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

UT_MAIN(UT_TEST(test_bridge_g), UT_TEST(test_bridge_p_and_noise),
	UT_TEST(test_bridge_refuses), UT_TEST(test_bridge_interrupt),
	UT_TEST(test_ctl_verbs), UT_TEST(test_faults_syntax))
