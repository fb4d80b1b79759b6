/*
 * profile.c - parses and checks profile files (see profile.h). Each key has
 * a row in a table saying where it goes and how its value is checked, so a
 * new key is one line; every error says file:line and what is wrong.
 */
#include "host/runner/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/runner/util.h"
#include "host/runner/vmw_bridge.h"

enum prof_type {
	PROF_STR,
	PROF_MACHINE,
	PROF_MEMORY,
	PROF_UINT,
	PROF_BOOL,
	PROF_WORD,
	PROF_ARGS,
	PROF_VMWARE, /* "model" or "none" */
	PROF_FAULTS, /* vmwb_parse_faults syntax */
	PROF_MB,     /* -1, or MiB */
	PROF_HEX,    /* a number, 0x... allowed */
	PROF_BOOT,   /* "pvh" or "uefi" */
	PROF_PATH    /* a file QEMU opens: no blanks, no ',' */
};

struct prof_key {
	const char *name;
	enum prof_type type;
	size_t offset;		/* into struct prof */
	size_t size;		/* of a string field */
	unsigned long min, max; /* of a number */
	bool required;
};

/* clang-format off */
#define PROF_S(n, t, r) \
	{ #n, t, offsetof(struct prof, n), sizeof(((struct prof *)0)->n), 0, 0, r }
#define PROF_U(n, lo, hi) \
	{ #n, PROF_UINT, offsetof(struct prof, n), 0, lo, hi, false }
/* clang-format on */

static const struct prof_key prof_keys[] = {
	PROF_S(description, PROF_STR, false),
	PROF_S(machine, PROF_MACHINE, true),
	PROF_S(memory, PROF_MEMORY, true),
	PROF_U(smp, 1, 64),
	PROF_S(cpu, PROF_WORD, false),
	PROF_S(append, PROF_STR, false),
	PROF_S(qemu_args, PROF_ARGS, false),
	PROF_U(timeout, 1, 86400),
	{"com2", PROF_BOOL, offsetof(struct prof, com2), 0, 0, 0, false},
	{"vmware", PROF_VMWARE, offsetof(struct prof, vmware), 0, 0, 0, false},
	{"boot", PROF_BOOT, offsetof(struct prof, boot), 0, 0, 0, false},
	PROF_S(ovmf_code, PROF_PATH, false),
	PROF_S(ovmf_vars, PROF_PATH, false),
	PROF_S(vmware_faults, PROF_FAULTS, false),
	PROF_U(vmware_max_percent, 0, 100),
	{"vmware_maxmemctl_mb", PROF_MB,
	 offsetof(struct prof, vmware_maxmemctl_mb), 0, 0, 1ul << 24, false},
	{"vmware_caps", PROF_HEX, offsetof(struct prof, vmware_caps), 0, 0,
	 0x3f, false},
};

static const char *const prof_machines[] = {"pc", "q35", "microvm"};

static int prof_fail(char *err, size_t err_size, const char *file,
		     unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int prof_fail(char *err, size_t err_size, const char *file,
		     unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = line ? snprintf(err, err_size, "%s:%u: ", file, line)
		 : snprintf(err, err_size, "%s: ", file);
	if (n >= 0 && (size_t)n < err_size) {
		va_start(ap, fmt);
		vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* QEMU -m syntax: a number, maybe with a fraction, maybe a unit (MiB default).
 */
static bool prof_memory_parse(const char *v, uint64_t *bytes)
{
	const char *units = "BKMGT";
	double value = 0, scale = 1;
	const char *p = v;
	int shift = 20;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9' && value < 1e15; p++)
		value = value * 10 + (*p - '0');
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++)
			value += (*p - '0') * (scale /= 10);
	}
	if (*p) {
		char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
		const char *u = strchr(units, c);

		if (!u || p[1])
			return false;
		shift = (int)(u - units) * 10;
	}
	value *= (double)(1ull << shift);
	*bytes = (uint64_t)value;
	return value >= (double)(1ull << 20) && value <= (double)(1ull << 40);
}

uint64_t prof_memory_bytes(const char *memory)
{
	uint64_t bytes = 0;

	return prof_memory_parse(memory, &bytes) ? bytes : 0;
}

static bool prof_machine_ok(const char *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(prof_machines); i++)
		if (!strcmp(v, prof_machines[i]))
			return true;
	/* versioned types such as pc-i440fx-7.2 or pc-q35-7.2 */
	return !strncmp(v, "pc-", 3) && v[3];
}

static bool prof_word_ok(const char *v)
{
	for (; *v; v++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			    "YZ"
			    "0123456789_.,+=-",
			    *v))
			return false;
	return true;
}

static bool prof_printable(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 && *v != '\t')
			return false;
	return true;
}

static int prof_set(struct prof *p, const struct prof_key *k, const char *v,
		    const char *file, unsigned line, char *err, size_t err_size)
{
	char *field = (char *)p + k->offset;
	char why[PROF_ERR_SIZE], *end;
	unsigned long n;
	size_t args = 0;
	uint64_t bytes;

	switch (k->type) {
	case PROF_UINT:
		if (!util_parse_uint(v, k->min, k->max, &n))
			return prof_fail(
				err, err_size, file, line,
				"bad number '%s' for '%s' (want %lu..%lu)", v,
				k->name, k->min, k->max);
		*(unsigned *)(void *)field = (unsigned)n;
		return 0;
	case PROF_BOOL:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return prof_fail(err, err_size, file, line,
					 "'%s' must be yes or no, not '%s'",
					 k->name, v);
		*(bool *)(void *)field = !strcmp(v, "yes");
		return 0;
	case PROF_MACHINE:
		if (!prof_machine_ok(v))
			return prof_fail(err, err_size, file, line,
					 "unknown machine '%s' (want pc, q35 "
					 "or microvm)",
					 v);
		break;
	case PROF_VMWARE:
		if (strcmp(v, "model") && strcmp(v, "none"))
			return prof_fail(err, err_size, file, line,
					 "'vmware' must be model or none, not "
					 "'%s'",
					 v);
		*(bool *)(void *)field = !strcmp(v, "model");
		return 0;
	case PROF_FAULTS:
		if (vmwb_parse_faults(v, &p->vmw_faults, why, sizeof(why)))
			return prof_fail(err, err_size, file, line, "%s", why);
		break;
	case PROF_MB:
		if (strcmp(v, "-1") && !util_parse_uint(v, k->min, k->max, &n))
			return prof_fail(err, err_size, file, line,
					 "bad number '%s' for '%s' (want -1 "
					 "or 0..%lu)",
					 v, k->name, k->max);
		*(long long *)(void *)field =
			strcmp(v, "-1") ? (long long)n : -1;
		return 0;
	case PROF_HEX:
		errno = 0;
		n = *v >= '0' && *v <= '9' ? strtoul(v, &end, 0) : ULONG_MAX;
		if (n == ULONG_MAX || errno || *end || n > k->max)
			return prof_fail(err, err_size, file, line,
					 "bad number '%s' for '%s' (want "
					 "0..%#lx)",
					 v, k->name, k->max);
		*(unsigned *)(void *)field = (unsigned)n;
		return 0;
	case PROF_MEMORY:
		if (!prof_memory_parse(v, &bytes))
			return prof_fail(err, err_size, file, line,
					 "bad memory size '%s' (want e.g. 128M "
					 "or 2G, 1M..1T)",
					 v);
		break;
	case PROF_WORD:
		if (!prof_word_ok(v))
			return prof_fail(
				err, err_size, file, line,
				"bad value '%s' for '%s' (no blanks or quotes)",
				v, k->name);
		break;
	case PROF_ARGS:
		for (const char *s = v; *s; s++)
			if ((s == v || s[-1] == ' ' || s[-1] == '\t') &&
			    *s != ' ' && *s != '\t')
				args++;
		if (args > 64)
			return prof_fail(
				err, err_size, file, line,
				"too many words in qemu_args (max 64)");
		break;
	case PROF_BOOT:
		if (strcmp(v, "pvh") && strcmp(v, "uefi"))
			return prof_fail(err, err_size, file, line,
					 "'boot' must be pvh or uefi, not '%s'",
					 v);
		p->boot = strcmp(v, "uefi") ? PROF_BOOT_PVH : PROF_BOOT_UEFI;
		return 0;
	case PROF_PATH:
		if (strpbrk(v, ", \t"))
			return prof_fail(err, err_size, file, line,
					 "'%s' must be a path without ',' or "
					 "blanks (QEMU -drive syntax)",
					 k->name);
		break;
	case PROF_STR:
		break;
	}
	if (!prof_printable(v))
		return prof_fail(err, err_size, file, line,
				 "control character in value of '%s'", k->name);
	if (!util_strlcpy(field, v, k->size))
		return prof_fail(err, err_size, file, line,
				 "value of '%s' too long (max %zu bytes)",
				 k->name, k->size - 1);
	return 0;
}

static char *prof_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s &&
	       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int prof_line(struct prof *p, char *text, const char *file,
		     unsigned line, unsigned *seen, char *err, size_t err_size)
{
	char *s = prof_trim(text);
	char *eq, *key, *val;

	if (!*s || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return prof_fail(err, err_size, file, line,
				 "missing '=' (want key = value)");
	*eq = '\0';
	key = prof_trim(s);
	val = prof_trim(eq + 1);
	if (!*key)
		return prof_fail(err, err_size, file, line,
				 "missing key before '='");
	for (size_t i = 0; i < ARRAY_SIZE(prof_keys); i++) {
		const struct prof_key *k = &prof_keys[i];

		if (strcmp(key, k->name))
			continue;
		if (seen[i])
			return prof_fail(
				err, err_size, file, line,
				"duplicate key '%s' (first set on line %u)",
				key, seen[i]);
		seen[i] = line;
		if (!*val && k->type != PROF_STR && k->type != PROF_ARGS)
			return prof_fail(err, err_size, file, line,
					 "empty value for '%s'", key);
		return prof_set(p, k, val, file, line, err, err_size);
	}
	return prof_fail(err, err_size, file, line,
			 "unknown key '%.64s' (known: description, machine, "
			 "memory, smp, cpu, append, qemu_args, timeout, com2, "
			 "vmware, boot, ovmf_code, ovmf_vars, vmware_faults, "
			 "vmware_max_percent, vmware_maxmemctl_mb, "
			 "vmware_caps)",
			 key);
}

int prof_parse(const char *text, size_t len, const char *file, struct prof *p,
	       char *err, size_t err_size)
{
	unsigned seen[ARRAY_SIZE(prof_keys)] = {0};
	char buf[PROF_MAX_LINE + 2];
	unsigned line = 0;
	size_t pos = 0;

	memset(p, 0, sizeof(*p));
	p->smp = 1;
	p->timeout = 60;
	p->com2 = true;
	p->vmware_max_percent = VMWB_DEFAULT_PCT;
	p->vmware_maxmemctl_mb = -1;
	p->vmware_caps = VMWB_DEFAULT_CAPS;
	util_strlcpy(p->ovmf_code, PROF_OVMF_CODE, sizeof(p->ovmf_code));
	util_strlcpy(p->ovmf_vars, PROF_OVMF_VARS, sizeof(p->ovmf_vars));
	if (len > PROF_MAX_FILE)
		return prof_fail(err, err_size, file, 0,
				 "too large (max %d bytes)", PROF_MAX_FILE);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		line++;
		if (n > PROF_MAX_LINE)
			return prof_fail(err, err_size, file, line,
					 "line too long (max %d bytes)",
					 PROF_MAX_LINE);
		if (memchr(text + pos, '\0', n))
			return prof_fail(err, err_size, file, line, "NUL byte");
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		if (prof_line(p, buf, file, line, seen, err, err_size))
			return -1;
		pos += n + (nl ? 1 : 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(prof_keys); i++)
		if (prof_keys[i].required && !seen[i])
			return prof_fail(err, err_size, file, 0,
					 "missing required key '%s'",
					 prof_keys[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(prof_keys); i++)
		if (seen[i] && !p->vmware &&
		    !strncmp(prof_keys[i].name, "vmware_", 7))
			return prof_fail(err, err_size, file, seen[i],
					 "'%s' needs 'vmware = model'",
					 prof_keys[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(prof_keys); i++)
		if (seen[i] && p->boot != PROF_BOOT_UEFI &&
		    !strncmp(prof_keys[i].name, "ovmf_", 5))
			return prof_fail(err, err_size, file, seen[i],
					 "'%s' needs 'boot = uefi'",
					 prof_keys[i].name);
	if (p->boot == PROF_BOOT_UEFI && !strncmp(p->machine, "microvm", 7))
		return prof_fail(err, err_size, file, 0,
				 "boot = uefi needs machine pc or q35 (OVMF "
				 "does not run on microvm)");
	util_strlcpy(p->path, file, sizeof(p->path));
	return 0;
}

int prof_load(const char *path, struct prof *p, char *err, size_t err_size)
{
	char *text = malloc(PROF_MAX_FILE + 1);
	const char *base = strrchr(path, '/');
	size_t len = 0, blen;
	int fd, rc;

	if (!text)
		return prof_fail(err, err_size, path, 0, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(text);
		return prof_fail(err, err_size, path, 0, "cannot open: %s",
				 strerror(errno));
	}
	while (len <= PROF_MAX_FILE) {
		ssize_t n = read(fd, text + len, PROF_MAX_FILE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno;
			close(fd);
			free(text);
			return prof_fail(err, err_size, path, 0,
					 "cannot read: %s", strerror(rc));
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	rc = prof_parse(text, len, path, p, err, err_size);
	free(text);
	if (rc)
		return rc;
	base = base ? base + 1 : path;
	blen = strlen(base);
	if (blen > 5 && !strcmp(base + blen - 5, ".conf"))
		blen -= 5;
	if (blen >= sizeof(p->name))
		blen = sizeof(p->name) - 1;
	memcpy(p->name, base, blen);
	p->name[blen] = '\0';
	return 0;
}
