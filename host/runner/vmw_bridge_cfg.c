/*
 * vmw_bridge_cfg.c - the VMware balloon model's settings and state as the
 * runner shows them (see vmw_bridge.h): the fault list syntax shared by
 * the profile key vmware_faults and the control verb vmw-faults, guest RAM
 * for the model, the vmw-state line and the end-of-run report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/runner/util.h"
#include "host/runner/vmw_bridge.h"

enum vmwb_ftype {
	VMWB_F_U64,
	VMWB_F_U32,
	VMWB_F_PCT,
	VMWB_F_BOOL,
	VMWB_F_CMDS, /* a set of commands: NAME+NAME, all, or a mask */
};

static const struct {
	const char *name;
	enum vmwb_ftype type;
	size_t off;
} vmwb_fkeys[] = {
	{"seed", VMWB_F_U64, offsetof(struct vmw_faults, seed)},
	{"reset_every", VMWB_F_U32, offsetof(struct vmw_faults, reset_every)},
	{"reset_percent", VMWB_F_PCT,
	 offsetof(struct vmw_faults, reset_percent)},
	{"reset_on", VMWB_F_CMDS, offsetof(struct vmw_faults, reset_on)},
	{"busy_percent", VMWB_F_PCT, offsetof(struct vmw_faults, busy_percent)},
	{"pinned_every", VMWB_F_U32, offsetof(struct vmw_faults, pinned_every)},
	{"notneeded_percent", VMWB_F_PCT,
	 offsetof(struct vmw_faults, notneeded_percent)},
	{"flapping_target", VMWB_F_BOOL,
	 offsetof(struct vmw_faults, flapping_target)},
	{"target_above_ram", VMWB_F_BOOL,
	 offsetof(struct vmw_faults, target_above_ram)},
	{"above_ram_nonzero", VMWB_F_BOOL,
	 offsetof(struct vmw_faults, above_ram_nonzero)},
	{"discard_every", VMWB_F_U32,
	 offsetof(struct vmw_faults, discard_every)},
};

/* A whole decimal, or hex with 0x (never octal); -1 if anything else. */
static int vmwb_number(const char *v, unsigned long long *n)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	*n = strtoull(v, &end,
		      v[0] == '0' && (v[1] == 'x' || v[1] == 'X') ? 16 : 10);
	return errno || *end ? -1 : 0;
}

/*
 * reset_on: "GET_TARGET+BATCHED_LOCK" (names as vmw_model_cmd_name gives
 * them, any case), "all", or a number taken as the mask of 1 << cmd.
 * START is refused: it is the guest's way out of a RESET, never faulted.
 */
static int vmwb_parse_cmds(const char *v, uint32_t *mask)
{
	char word[32];

	*mask = 0;
	if (!strcasecmp(v, "all")) {
		*mask = VMW_RESET_ON_MASK;
		return 0;
	}
	if (*v >= '0' && *v <= '9') {
		unsigned long long n;

		if (vmwb_number(v, &n) || !n ||
		    (n & ~(unsigned long long)VMW_RESET_ON_MASK))
			return -1;
		*mask = (uint32_t)n;
		return 0;
	}
	while (*v) {
		size_t len = strcspn(v, "+");
		unsigned cmd;

		if (!len || len >= sizeof(word))
			return -1;
		memcpy(word, v, len);
		word[len] = '\0';
		for (cmd = 0; cmd < VMW_CMD_NR; cmd++)
			if ((VMW_RESET_ON_MASK & (1u << cmd)) &&
			    !strcasecmp(word, vmw_model_cmd_name(cmd)))
				break;
		if (cmd == VMW_CMD_NR)
			return -1;
		*mask |= 1u << cmd;
		v += len;
		if (*v == '+' && !*++v)
			return -1; /* a trailing '+' */
	}
	return 0;
}

/* The reset_on mask as names joined by '+' (what the parser reads). */
static size_t vmwb_format_cmds(uint32_t mask, char *buf, size_t size)
{
	size_t n = 0;

	if (mask == VMW_RESET_ON_MASK)
		return (size_t)snprintf(buf, size, "all");
	buf[0] = '\0';
	for (unsigned cmd = 0; cmd < VMW_CMD_NR && n < size; cmd++)
		if (mask & (1u << cmd))
			n += (size_t)snprintf(buf + n, size - n, "%s%s",
					      n ? "+" : "",
					      vmw_model_cmd_name(cmd));
	return n;
}

static int vmwb_fset(struct vmw_faults *f, size_t k, const char *v)
{
	char *field = (char *)f + vmwb_fkeys[k].off;
	unsigned long long n;

	if (vmwb_fkeys[k].type == VMWB_F_BOOL) {
		bool on = !strcmp(v, "1") || !strcmp(v, "yes") ||
			  !strcmp(v, "on");

		if (!on && strcmp(v, "0") && strcmp(v, "no") &&
		    strcmp(v, "off"))
			return -1;
		*(bool *)(void *)field = on;
		return 0;
	}
	if (vmwb_fkeys[k].type == VMWB_F_CMDS)
		return vmwb_parse_cmds(v, (uint32_t *)(void *)field);
	if (vmwb_number(v, &n) ||
	    (vmwb_fkeys[k].type == VMWB_F_U32 && n > UINT32_MAX) ||
	    (vmwb_fkeys[k].type == VMWB_F_PCT && n > 100))
		return -1;
	if (vmwb_fkeys[k].type == VMWB_F_U64)
		*(uint64_t *)(void *)field = n;
	else
		*(uint32_t *)(void *)field = (uint32_t)n;
	return 0;
}

void vmwb_format_faults(const struct vmw_faults *f, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < ARRAY_SIZE(vmwb_fkeys); k++) {
		const char *field = (const char *)f + vmwb_fkeys[k].off;
		unsigned long long v;

		switch (vmwb_fkeys[k].type) {
		case VMWB_F_U64:
			v = *(const uint64_t *)(const void *)field;
			break;
		case VMWB_F_BOOL:
			v = *(const bool *)(const void *)field;
			break;
		default:
			v = *(const uint32_t *)(const void *)field;
		}
		if (!v || n >= size)
			continue;
		if (vmwb_fkeys[k].type == VMWB_F_CMDS) {
			char names[160];

			vmwb_format_cmds((uint32_t)v, names, sizeof(names));
			n += (size_t)snprintf(buf + n, size - n, "%s%s=%s",
					      n ? "," : "", vmwb_fkeys[k].name,
					      names);
			continue;
		}
		n += (size_t)snprintf(buf + n, size - n, "%s%s=%llu",
				      n ? "," : "", vmwb_fkeys[k].name, v);
	}
	if (!buf[0])
		snprintf(buf, size, "none");
}

int vmwb_parse_faults(const char *spec, struct vmw_faults *f, char *err,
		      size_t err_size)
{
	bool seen[ARRAY_SIZE(vmwb_fkeys)] = {false};
	char buf[512];

	memset(f, 0, sizeof(*f));
	if (!strcmp(spec, "none"))
		return 0;
	if (!util_strlcpy(buf, spec, sizeof(buf))) {
		snprintf(err, err_size, "fault list too long");
		return -1;
	}
	if (!*spec || *spec == ',' || strstr(spec, ",,") ||
	    spec[strlen(spec) - 1] == ',') {
		snprintf(err, err_size, "empty item in fault list '%.40s'",
			 spec);
		return -1;
	}
	for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		size_t k;

		if (!eq || eq == kv || !eq[1]) {
			snprintf(err, err_size,
				 "bad fault '%.40s' (want key=value)", kv);
			return -1;
		}
		*eq = '\0';
		for (k = 0; k < ARRAY_SIZE(vmwb_fkeys); k++)
			if (!strcmp(kv, vmwb_fkeys[k].name))
				break;
		if (k == ARRAY_SIZE(vmwb_fkeys)) {
			snprintf(err, err_size,
				 "unknown fault '%.40s' (known: %s)", kv,
				 VMWB_FAULTS_SYNTAX);
			return -1;
		}
		if (seen[k] || vmwb_fset(f, k, eq + 1)) {
			snprintf(err, err_size,
				 "%s value '%.40s' for fault '%s'",
				 seen[k] ? "second" : "bad", eq + 1, kv);
			return -1;
		}
		seen[k] = true;
	}
	return 0;
}

/*
 * RAM above 2 GiB may be split around a PCI hole below 4 GiB (q35 keeps
 * 2 GiB low, pc 3 GiB), so PFNs up to 4 GiB + (RAM - 2 GiB) may be RAM.
 * QEMU rounds -m up to 8 KiB.
 */
void vmwb_ram_layout(uint64_t ram_bytes, uint64_t *ram_frames,
		     uint64_t *pfn_end)
{
	uint64_t ram = (ram_bytes + 8191) & ~8191ull;

	*ram_frames = ram >> 12;
	*pfn_end = ram > (2ull << 30) ? (ram + (2ull << 30)) >> 12 : ram >> 12;
}

int vmwb_set_faults(struct vmwb *b, const char *spec, char *err,
		    size_t err_size)
{
	struct vmw_faults f;

	if (vmwb_parse_faults(spec, &f, err, err_size))
		return -1;
	vmw_model_set_faults(b->model, &f);
	return 0;
}

void vmwb_state_line(const struct vmwb *b, char *buf, size_t size)
{
	const struct vmw_model *m = b->model;

	snprintf(buf, size,
		 "target=%llu locked=%llu max=%llu findings=%u faults=%llu "
		 "calls=%llu caps=0x%02x started=%d",
		 (unsigned long long)vmw_model_target(m),
		 (unsigned long long)vmw_model_locked_frames(m),
		 (unsigned long long)vmw_model_max_frames(m),
		 vmw_model_nr_findings(m),
		 (unsigned long long)vmw_model_faults_injected(m),
		 (unsigned long long)b->calls, vmw_model_granted_caps(m),
		 vmw_model_started(m) ? 1 : 0);
}

void vmwb_report(const struct vmwb *b)
{
	unsigned n = vmw_model_nr_findings(b->model);
	uint64_t ms = b->bridge_ns / 1000000;
	char text[VMW_FINDING_LEN + 1];

	util_note("vmware model: %llu calls, %llu ms in the bridge, %llu "
		  "calls/s; %u findings",
		  (unsigned long long)b->calls, (unsigned long long)ms,
		  b->bridge_ns ? (unsigned long long)(b->calls * 1000000000ull /
						      b->bridge_ns)
			       : 0ull,
		  n);
	/* What a fault run must reconcile: the host's side of the balloon. */
	util_note("vmware model state: faults=%llu locked=%llu target=%llu "
		  "started=%d",
		  (unsigned long long)vmw_model_faults_injected(b->model),
		  (unsigned long long)vmw_model_locked_frames(b->model),
		  (unsigned long long)vmw_model_target(b->model),
		  vmw_model_started(b->model) ? 1 : 0);
	for (unsigned i = 0; i < n; i++) {
		util_sanitize(text, sizeof(text),
			      vmw_model_finding(b->model, i),
			      strlen(vmw_model_finding(b->model, i)));
		util_note("vmware finding: %s", text);
	}
	if (b->strays)
		util_note("vmware bridge: %llu stops away from the breakpoint",
			  (unsigned long long)b->strays);
}
