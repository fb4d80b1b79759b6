/*
 * vmware.c - the VMware backdoor and balloon, checked from inside a guest.
 *
 * DRAFT, not yet in suites.c. First the general backdoor (port 0x5658) as
 * QEMU's vmport (-machine vmport=on) or VMware answers it: detection,
 * GETVERSION, GETRAMSIZE's unit, GETHZ, an unknown command. Then the
 * balloon (port 0x5670): QEMU has nothing there, so unless a host answers
 * START (VMware, or the runner's model over the gdbstub) those checks skip
 * with the reason. With a host: capability masking, the target in RBX,
 * batch entries, START forgetting the balloon, a full inflate and deflate
 * through the real driver, and the host's maximum. §n: the reference.
 */
#include "drivers/vmware/vmw_balloon.h"
#include "drivers/vmware/vmw_detect.h"
#include "kernel/ctl.h"
#include "tests/guest/vmw_common.h"
#include "kernel/mm.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/tf.h"
#include "kernel/time.h"

#define C_DETECT "VMware detection (ref §7, §13)"
#define C_VMPORT "QEMU vmport (ref §14)"
#define C_CAPS	 "balloon START capabilities (ref §3, §16.1)"
#define C_TARGET "balloon target in RBX (ref §8, §16.2)"
#define C_BATCH	 "balloon batch page (ref §5, §16.3)"
#define C_RESET	 "START empties the balloon (ref §7, §16.1, inferred)"
#define C_MAX	 "host maximum, Mem.CtlMaxPercent 65 (ref §11)"
#define CTL_WAIT (5 * NSEC_PER_SEC)

static struct vmw_detect det;
static bool det_done;
static int host; /* 0 not probed, 1 balloon host, -1 none */
static char no_host_why[96];
static uint32_t host_caps; /* granted to VMW_BALLOON_CAPS */
static bool host_legacy;
static struct vmw_balloon vb;

static void detect(void)
{
	if (det_done)
		return;
	memset(&det, 0, sizeof(det));
	vmw_cpuid_hv(&det);
	vmw_detect_all(&det, vmw_bdoor_call_hw, NULL, mm_ram_bytes);
	det_done = true;
}

static bool need_bdoor(const char *what)
{
	detect();
	if (!det.bdoor)
		tf_skip("no VMware backdoor at port 0x5658 (QEMU: -machine "
			"vmport=on)",
			"%s", what);
	return det.bdoor;
}

static void test_detection(void)
{
	detect();
	tf_info("CPUID 0x40000000: \"%s\" (max leaf %#x)", det.hv_sig,
		det.hv_max_leaf);
	tf_info("GETVERSION: EAX %#x EBX %#x -> %s", det.ver_eax, det.ver_ebx,
		det.bdoor ? "backdoor present" : "no backdoor");
	if (det.bdoor)
		tf_info("version %u, VMX type %u (%s)", det.version,
			det.vmx_type, vmw_vmx_type_name(det.vmx_type));
	if (det.vcpu_supported)
		tf_info("GET_VCPU_INFO: %#x", det.vcpu_info);
	tf_diag("garbage_answers", "%u", det.garbage);
	tf_check(det.garbage == 0, C_DETECT,
		 "every backdoor answer is valid or a clean refusal");
	/* Linux needs either; a VMware signature without a backdoor is odd. */
	if (det.hv_vmware)
		tf_check(det.bdoor, C_DETECT,
			 "CPUID says VMware, and GETVERSION answers");
	else
		need_bdoor("GETVERSION detects a backdoor");
}

static void test_getversion(void)
{
	if (!need_bdoor("GETVERSION answers the magic"))
		return;
	tf_check_u64(det.ver_ebx, VMW_BDOOR_MAGIC, C_DETECT,
		     "GETVERSION answers EBX = \"VMXh\"");
	tf_check(det.version != 0xffffffffu, C_DETECT,
		 "GETVERSION gives a version in EAX (%u)", det.version);
}

static void test_ramsize(void)
{
	uint64_t mb = mm_ram_bytes >> 20;

	if (!need_bdoor("GETRAMSIZE"))
		return;
	if (det.ram_unit == VMW_RAM_UNSUPPORTED) {
		tf_skip("GETRAMSIZE not supported here", "GETRAMSIZE unit");
		return;
	}
	tf_diag("eax", "%#x", det.ram_eax);
	tf_diag("ebx", "%#x", det.ram_ebx);
	tf_diag("memory_map_mib", "%llu", (unsigned long long)mb);
	tf_check(det.ram_unit != VMW_RAM_GARBAGE, C_VMPORT,
		 "GETRAMSIZE matches the memory map in some unit (%s)",
		 vmw_ram_unit_name(det.ram_unit));
	tf_todo(det.ram_unit == VMW_RAM_MB,
		"spec deviation: QEMU answers bytes mod 2^32, VMware MB",
		C_VMPORT, "GETRAMSIZE answers megabytes as VMware does");
}

static void test_gethz(void)
{
	if (!need_bdoor("GETHZ"))
		return;
	if (!det.hz_supported) {
		tf_skip("GETHZ not supported here", "GETHZ");
		return;
	}
	if (!det.tsc_hz && !det.hz_plausible) {
		tf_skip("GETHZ says the TSC frequency is unknown (EBX all "
			"ones; TCG has no tsc_khz)",
			"GETHZ vs measured TSC");
		return;
	}
	tf_diag("gethz_tsc", "%llu", (unsigned long long)det.tsc_hz);
	tf_diag("measured_tsc", "%llu", (unsigned long long)time_info.tsc_hz);
	tf_check(det.hz_plausible, C_VMPORT, "GETHZ answers plausible rates");
	tf_check_range(det.tsc_hz, time_info.tsc_hz - time_info.tsc_hz / 50,
		       time_info.tsc_hz + time_info.tsc_hz / 50, C_VMPORT,
		       "GETHZ's TSC rate is within 2%% of the measured one");
}

static void test_unknown_command(void)
{
	struct vmw_regs r = {.rbx = 0xdeadbeef, .rsi = 0x5151, .rdi = 0xd1d1};
	struct vmw_regs sent;
	bool same;

	if (!need_bdoor("unknown command leaves registers alone"))
		return;
	/* 0xff: unknown to QEMU (low 8 bits) and to VMware (16 bits). */
	vmw_bdoor_cmd(vmw_bdoor_call_hw, NULL, 0xff, &r, &sent);
	same = vmw_bdoor_unsupported(&sent, &r);
	tf_diag("eax", "%#llx", (unsigned long long)r.rax);
	tf_diag("ebx", "%#llx", (unsigned long long)r.rbx);
	if (det.ram_qemu_marker)
		tf_check(same, C_VMPORT,
			 "unknown command: EAX all ones, "
			 "other registers unchanged");
	else
		tf_todo(same, "only QEMU's answer is specified", C_VMPORT,
			"unknown command: EAX all ones, registers unchanged");
}

/* ---- the balloon --------------------------------------------------- */

static uint32_t bcall(unsigned cmd, uint64_t rbx, uint64_t rsi,
		      struct vmw_regs *out)
{
	struct vmw_regs r = {VMW_BALLOON_MAGIC, rbx, cmd,
			     VMW_BALLOON_PORT,	rsi, 0};

	vmw_balloon_call_hw(NULL, &r);
	if (out)
		*out = r;
	return (uint32_t)r.rax;
}

static bool start(uint32_t caps, uint32_t *granted)
{
	struct vmw_regs r;
	uint32_t st = bcall(VMW_CMD_START, caps, 0, &r);

	*granted = st == VMW_OK ? VMW_CAP_BASIC : (uint32_t)r.rcx;
	return st == VMW_OK || st == VMW_SUCCESS_WITH_CAPABILITIES;
}

/* Is anybody there? §4, §16.8: all ones, or a failed START, is nobody. */
static bool need_host(const char *what)
{
	if (!host) {
		struct vmw_regs r;
		uint32_t st = bcall(VMW_CMD_START, VMW_BALLOON_CAPS, 0, &r);

		host = st == VMW_OK || st == VMW_SUCCESS_WITH_CAPABILITIES ? 1
									   : -1;
		host_legacy = st == VMW_OK;
		host_caps = host_legacy ? VMW_CAP_BASIC : (uint32_t)r.rcx;
		if (st == 0xffffffffu && r.rbx == VMW_BALLOON_CAPS)
			ksnprintf(
				no_host_why, sizeof(no_host_why),
				"no balloon host: port 0x5670 reads all ones");
		else
			ksnprintf(no_host_why, sizeof(no_host_why),
				  "no balloon host: START answered %#x (%s)",
				  st, vmw_status_name(st));
		tf_info("balloon START: %s, caps %#x",
			host > 0 ? vmw_status_name(st) : no_host_why,
			host_caps);
	}
	if (host < 0)
		tf_skip(no_host_why, "%s", what);
	return host > 0;
}

static bool set_host_target(uint64_t frames, const char *what)
{
	char args[24], reply[CTL_LINE_MAX];
	int rc;

	if (!ctl_connect(2 * NSEC_PER_SEC)) {
		tf_skip(ctl_unavailable_reason(), "%s", what);
		return false;
	}
	ksnprintf(args, sizeof(args), "%llu", (unsigned long long)frames);
	rc = ctl_request("vmw-target", args, reply, sizeof(reply), CTL_WAIT);
	if (rc != CTL_OK) {
		tf_skip(rc == CTL_ERR ? reply : ctl_status_name(rc), "%s",
			what);
		return false;
	}
	return true;
}

/*
 * The probes below check what a host answers to well-formed calls; with
 * fault injection on (pc-vmware-faults) a BUSY or RESET would mask that.
 * Pause injection for them, restore it after. The driver cases keep it.
 */
static char saved_faults[128];

static void faults_pause(void)
{
	char reply[CTL_LINE_MAX];

	saved_faults[0] = '\0';
	/* Connect here: the first probe may come before any other request. */
	if (!ctl_connect(2 * NSEC_PER_SEC) ||
	    ctl_request("vmw-faults", NULL, reply, sizeof(reply), CTL_WAIT) !=
		    CTL_OK ||
	    !strcmp(reply, "none"))
		return;
	strlcpy(saved_faults, reply, sizeof(saved_faults));
	ctl_request("vmw-faults", "none", NULL, 0, CTL_WAIT);
}

static void faults_resume(void)
{
	if (saved_faults[0])
		ctl_request("vmw-faults", saved_faults, NULL, 0, CTL_WAIT);
	saved_faults[0] = '\0';
}

static int64_t state_get(const char *state, const char *key);
static bool host_state(char *reply, size_t len);

static void test_caps_body(void)
{
	uint32_t g = 0;
	bool ok;

	if (!need_host("capability masking"))
		return;
	if (host_legacy) {
		tf_skip("legacy host (START answered 0): no capabilities",
			"capability masking");
		return;
	}
	tf_check(!(host_caps & ~(uint32_t)VMW_BALLOON_CAPS), C_CAPS,
		 "grant %#x is within the request %#x", host_caps,
		 VMW_BALLOON_CAPS);
	tf_check(host_caps & VMW_CAP_BASIC, C_CAPS, "BASIC is granted");
	tf_check(!(host_caps & VMW_CAP_BATCHED_2M) ||
			 (host_caps & VMW_CAP_BATCHED),
		 C_CAPS, "BATCHED_2M never without BATCHED");
	/* A protocol v3 guest sends 3: bit 0 must be masked away (§12). */
	ok = start(0x3, &g);
	tf_check(ok && g == (g & VMW_CAP_BASIC), C_CAPS,
		 "START(0x3) grants at most BASIC (got %#x)", g);
	ok = start(VMW_CAP_BATCHED_2M, &g);
	tf_check(ok && !(g & VMW_CAP_BATCHED_2M), C_CAPS,
		 "2M alone is not granted (got %#x)", g);
	start(VMW_BALLOON_CAPS, &g);
	tf_skip("pinprick has no VMCI doorbell, so it never asks for "
		"SIGNALLED_WAKEUP (cmd 10); GET_TARGET is polled instead",
		"SIGNALLED_WAKEUP doorbell");
}

static void test_caps(void)
{
	faults_pause();
	test_caps_body();
	faults_resume();
}

/* Lock one page with the best command granted; status of the page. */
static uint32_t lock_one(unsigned lock, uint64_t pfn, uint64_t batch_pfn,
			 volatile uint64_t *batch, struct vmw_regs *r)
{
	uint32_t st;

	if (!(host_caps & VMW_CAP_BATCHED))
		return bcall(lock ? VMW_CMD_LOCK : VMW_CMD_UNLOCK, pfn, 1, r);
	batch[0] = pfn << 12;
	for (unsigned i = 1; i < VMW_BATCH_MAX; i++)
		batch[i] = 0x5a5a5a5a5a5a5000ull | i; /* stale, not ours */
	st = bcall(lock ? VMW_CMD_BATCHED_LOCK : VMW_CMD_BATCHED_UNLOCK,
		   batch_pfn, 1, r);
	return st ? st : (uint32_t)(batch[0] & VMW_BATCH_STATUS_MASK);
}

static void test_target_and_entries_body(void)
{
	int64_t bpfn, pfn;
	volatile uint64_t *batch;
	struct vmw_regs r;
	uint64_t t;
	uint32_t g, st;
	bool untouched = true;

	if (!need_host("target in RBX after (un)lock") ||
	    !set_host_target(1024, "target in RBX after (un)lock"))
		return;
	start(VMW_BALLOON_CAPS, &g);
	bcall(VMW_CMD_GET_TARGET, mm_ram_bytes >> 12, 0, &r);
	t = r.rbx;
	bpfn = mm_alloc_kernel_pages(0);
	pfn = pa_alloc_below(&mm_zone, 0, PA_BALLOONED, 1ull << 32);
	if (bpfn < 0 || pfn < 0) {
		tf_check(false, NULL,
			 "allocate a batch page and a balloon page");
		return;
	}
	batch = (volatile uint64_t *)((uintptr_t)bpfn << 12);
	st = lock_one(1, (uint64_t)pfn, (uint64_t)bpfn, batch, &r);
	tf_diag("status", "%s", vmw_status_name(st));
	if (tf_check_u64(st, VMW_OK, C_TARGET, "LOCK of one page succeeds"))
		tf_check_u64(r.rbx, t, C_TARGET, "LOCK returns the target");
	if (host_caps & VMW_CAP_BATCHED) {
		tf_check_u64(batch[0] & ~VMW_BATCH_STATUS_MASK,
			     (uint64_t)pfn << 12, C_BATCH,
			     "the host wrote only bits 4..0 of the entry");
		for (unsigned i = 1; i < VMW_BATCH_MAX; i++)
			untouched &= batch[i] == (0x5a5a5a5a5a5a5000ull | i);
		tf_check(untouched, C_BATCH, "entries past RSI are untouched");
	}
	st = lock_one(0, (uint64_t)pfn, (uint64_t)bpfn, batch, &r);
	if (tf_check_u64(st, VMW_OK, C_TARGET, "UNLOCK of it succeeds"))
		tf_check_u64(r.rbx, t, C_TARGET, "UNLOCK returns the target");
	/* START forgets: lock again, START, then UNLOCK must fail. */
	if (lock_one(1, (uint64_t)pfn, (uint64_t)bpfn, batch, &r) == VMW_OK) {
		start(VMW_BALLOON_CAPS, &g);
		st = lock_one(0, (uint64_t)pfn, (uint64_t)bpfn, batch, &r);
		tf_diag("status", "%s", vmw_status_name(st));
		tf_check(st != VMW_OK, C_RESET,
			 "after START, a page locked before is not unlockable");
	}
	pa_free(&mm_zone, (uint64_t)pfn, 0, PA_BALLOONED);
	pa_free(&mm_zone, (uint64_t)bpfn, 0, PA_KERNEL);
	set_host_target(0, "target back to 0");
}

static void test_target_and_entries(void)
{
	faults_pause();
	test_target_and_entries_body();
	faults_resume();
}

/* Tick once a millisecond until the balloon is still, or 30 s pass. */
static void settle(void)
{
	uint64_t end = time_ns() + 30 * NSEC_PER_SEC;

	while (time_ns() < end) {
		int64_t moved = vmw_balloon_tick(&vb, 8192);

		if (moved == 0 && vmw_balloon_change(&vb) == 0)
			return;
		delay_ns(NSEC_PER_MSEC);
	}
}

static void test_inflate_deflate(void)
{
	struct vmt_mem vm;
	uint64_t want = pa_available(&mm_zone) / 4;
	char why[96] = "";

	if (!need_host("inflate to the host's target and back") ||
	    !set_host_target(want, "inflate to the host's target and back"))
		return;
	if (!vmt_up(&vb, &vm)) {
		tf_check(false, NULL, "set up the driver");
		vmt_down(&vb, &vm);
		return;
	}
	settle();
	tf_diag("target", "%llu", (unsigned long long)vb.b.target);
	tf_diag("size", "%llu", (unsigned long long)vb.b.size);
	tf_check_range(vb.b.size, want, want + 511, C_TARGET,
		       "balloon reaches the host's target (2 MiB: +511)");
	tf_check(vmw_balloon_check(&vb, true, why, sizeof(why)) == 0,
		 "pinprick: page accounting",
		 "every ballooned page is tracked once%s%s", why[0] ? ": " : "",
		 why);
	set_host_target(0, "deflate");
	settle();
	tf_check_u64(vb.b.size, 0, C_TARGET, "target 0 empties the balloon");
	tf_diag("errors", "%llu", (unsigned long long)vb.b.counters.errors);
	tf_diag("resets", "%llu", (unsigned long long)vb.b.counters.resets);
	tf_check_u64(vb.b.counters.errors, 0, "ref §16",
		     "no protocol error from the host");
	vmt_down(&vb, &vm);
}

static void test_host_maximum_body(void)
{
	uint64_t ram = mm_ram_bytes >> 12;
	char state[CTL_LINE_MAX];
	struct vmw_regs r;
	int64_t max;
	uint32_t g;

	if (!need_host("host holds its maximum") ||
	    !set_host_target(ram, "host holds its maximum"))
		return;
	start(VMW_BALLOON_CAPS, &g);
	bcall(VMW_CMD_GET_TARGET, ram, 0, &r);
	max = host_state(state, sizeof(state)) ? state_get(state, "max") : -1;
	tf_diag("asked", "%llu", (unsigned long long)ram);
	tf_diag("target", "%llu", (unsigned long long)r.rbx);
	tf_diag("host", "%s", state);
	/* Mem.CtlMaxPercent: 65 % of the VM's memory, which may count a
	 * little more than our memory map shows (2 % slack). */
	tf_check(max > 0 && (uint64_t)max <= ram * 65 / 100 + ram / 50,
		 C_MAX, "the host's maximum is at most 65%% of RAM (%lld)",
		 (long long)max);
	tf_check_u64(r.rbx, (uint64_t)max, C_MAX,
		     "a target of all RAM is clamped to the host's maximum");
	set_host_target(0, "target back to 0");
}

static void test_host_maximum(void)
{
	faults_pause();
	test_host_maximum_body();
	faults_resume();
}

/* "key=N" out of a vmw-state reply; -1 if absent. */
static int64_t state_get(const char *state, const char *key)
{
	size_t kl = strlen(key);
	uint64_t v;

	for (const char *p = state; *p; p++) {
		size_t n = 0;

		if ((p != state && p[-1] != ' ') || strncmp(p, key, kl) ||
		    p[kl] != '=')
			continue;
		p += kl + 1;
		while (p[n] >= '0' && p[n] <= '9')
			n++;
		return n && str_to_u64(p, n, &v) ? (int64_t)v : -1;
	}
	return -1;
}

static bool host_state(char *reply, size_t len)
{
	return ctl_request("vmw-state", NULL, reply, len, CTL_WAIT) == CTL_OK;
}

/*
 * The driver against whatever the host injects (pc-vmware-faults: RESET,
 * BUSY, PINNED, NOTNEEDED): seeded targets up and down, then empty. The
 * guest must survive, keep exact accounting, and end with nothing locked
 * on the host either.
 */
static void test_churn(void)
{
	char before[CTL_LINE_MAX], after[CTL_LINE_MAX];
	struct vmt_mem vm;
	unsigned bad = 0, rounds = 12;
	uint64_t rng = tf_opts->seed * 0x9E3779B97F4A7C15ull + 7;
	uint64_t span = pa_available(&mm_zone) / 2;
	char why[96] = "";

	if (!need_host("driver churn under the host's faults") ||
	    !set_host_target(0, "driver churn under the host's faults"))
		return;
	if (!host_state(before, sizeof(before)) ||
	    !vmt_up(&vb, &vm)) {
		tf_check(false, NULL, "set up the driver and read host state");
		vmt_down(&vb, &vm);
		return;
	}
	for (unsigned i = 0; i < rounds; i++) {
		uint64_t want;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		want = rng % span;
		set_host_target(want, "churn target");
		settle();
		/* The host may clamp the wish to its maximum: the driver
		 * follows what the host says (b.target). 2 MiB pages may
		 * overshoot by 511; refusals may fall short, and then the
		 * shortfall must say so. */
		if (vb.b.target > want || vb.b.size > vb.b.target + 511 ||
		    (vb.b.size < vb.b.target && !vb.b.shortfall.active))
			bad++;
		if (vmw_balloon_check(&vb, true, why, sizeof(why)) != 0)
			bad++;
	}
	set_host_target(0, "churn: empty");
	settle();
	host_state(after, sizeof(after));
	tf_diag("seed", "%llu", (unsigned long long)tf_opts->seed);
	tf_diag("host_before", "%s", before);
	tf_diag("host_after", "%s", after);
	tf_diag("resets", "%llu", (unsigned long long)vb.b.counters.resets);
	tf_diag("refused", "%llu", (unsigned long long)vb.b.counters.refused);
	tf_diag("check", "%s", why);
	tf_check_u64(bad, 0, C_TARGET,
		     "%u seeded targets: each reached, or its shortfall "
		     "reported, with exact tracking", rounds);
	tf_check_u64(vb.b.size, 0, C_TARGET, "target 0 empties the balloon");
	tf_check_u64(mm_zone.count[PA_BALLOONED], 0, "pinprick: page accounting",
		     "no page is left in the ballooned state");
	tf_check_u64((uint64_t)state_get(after, "locked"), 0, C_RESET,
		     "the host holds no locked frame afterwards");
	if (state_get(after, "faults") > state_get(before, "faults"))
		tf_info("host injected %lld faults; driver saw %llu resets",
			(long long)(state_get(after, "faults") -
				    state_get(before, "faults")),
			(unsigned long long)vb.b.counters.resets);
	vmt_down(&vb, &vm);
}

static void test_faults_seen(void)
{
	char state[CTL_LINE_MAX], spec[CTL_LINE_MAX];

	if (!need_host("injected faults were exercised") ||
	    !ctl_connected() ||
	    ctl_request("vmw-faults", NULL, spec, sizeof(spec), CTL_WAIT) !=
		    CTL_OK) {
		if (host > 0)
			tf_skip("no fault control on this host",
				"injected faults were exercised");
		return;
	}
	if (!strcmp(spec, "none")) {
		tf_skip("this profile injects no faults",
			"injected faults were exercised");
		return;
	}
	host_state(state, sizeof(state));
	tf_diag("faults", "%s", spec);
	tf_diag("host", "%s", state);
	tf_check(state_get(state, "faults") > 0, "pinprick: fault injection",
		 "the host injected faults and the guest went on");
}

static const struct tf_case vmware_cases[] = {
	{"detection", test_detection, 0},
	{"GETVERSION", test_getversion, 0},
	{"GETRAMSIZE", test_ramsize, 0},
	{"GETHZ", test_gethz, 0},
	{"unknown command", test_unknown_command, 0},
	{"capabilities", test_caps, 0},
	{"target and batch entries", test_target_and_entries, 0},
	{"inflate and deflate", test_inflate_deflate, 90000},
	{"host maximum", test_host_maximum, 0},
	{"churn under faults", test_churn, 120000},
	{"faults exercised", test_faults_seen, 0},
};

const struct tf_suite suite_vmware = TF_SUITE(
	"vmware", "VMware backdoor and balloon (vmmemctl)", vmware_cases);
