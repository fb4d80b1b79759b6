/*
 * smaps.c - the guest-RAM mapping in QEMU's smaps (see smaps.h).
 *
 * What QEMU 7.2 really maps (measured with -display none -S -nodefaults
 * on this host, for -m 64M, 128M, 256M, 3G and 4G on pc, q35 and
 * microvm): guest RAM is one anonymous private VMA ("rw-p", no name) of
 * exactly the -m size, 2 MiB aligned, followed by a one-page PROT_NONE
 * guard ("---p") that keeps it from merging with what comes next. pc and
 * q35 split RAM around the PCI hole only in the guest-physical map (by
 * aliasing one RAM block), so even -m 4G is one host VMA. Nothing else
 * near that size is writable: the TCG code buffer is 1 GiB - 4 KiB
 * ("rwxp") and glibc's thread arenas are 132 KiB + 65404 KiB.
 *
 * qemu_ram_mmap reserves size + alignment and trims the excess, so no
 * extra space is left in the VMA today; a build with a different
 * allocator might keep some, so a single VMA up to SMAPS_SLACK larger is
 * still accepted. madvise/mprotect on part of the RAM (another QEMU, a
 * host tool) could split it into adjacent VMAs; a run of up to SMAPS_SPAN
 * touching VMAs adding up to the RAM size is taken as a fallback. The
 * best candidate is the one with the fewest VMAs, then an exact size,
 * then the smallest, then the first.
 */
#include "host/runner/smaps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/runner/linebuf.h"

void smaps_scan_init(struct smaps_scan *s, uint64_t ram_bytes)
{
	memset(s, 0, sizeof(*s));
	s->ram_bytes = ram_bytes;
}

static bool smaps_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

static unsigned smaps_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return (unsigned)(ch - '0');
	return (unsigned)((ch | 0x20) - 'a' + 10);
}

/* A hex number of 1..16 digits at *p; advances *p. */
static bool smaps_take_hex(const char **p, const char *end, uint64_t *v)
{
	int n = 0;

	*v = 0;
	for (; *p < end && smaps_hex(**p); (*p)++, n++) {
		if (n == 16)
			return false;
		*v = *v << 4 | smaps_hexval(**p);
	}
	return n > 0;
}

static bool smaps_take_char(const char **p, const char *end, char ch)
{
	if (*p >= end || **p != ch)
		return false;
	(*p)++;
	return true;
}

/*
 * "start-end perms offset dev:dev inode [name]". Only start, end, perms
 * and the name matter, but the rest must be there so that a field line
 * cut short is not taken for a header.
 */
static bool smaps_header(const char *p, const char *end, struct smaps_vma *v)
{
	uint64_t x;
	const char *perms;

	memset(v, 0, sizeof(*v));
	if (!smaps_take_hex(&p, end, &v->start) ||
	    !smaps_take_char(&p, end, '-') ||
	    !smaps_take_hex(&p, end, &v->end) ||
	    !smaps_take_char(&p, end, ' ') || end - p < 5)
		return false;
	perms = p;
	if ((perms[0] != 'r' && perms[0] != '-') ||
	    (perms[1] != 'w' && perms[1] != '-') ||
	    (perms[2] != 'x' && perms[2] != '-') ||
	    (perms[3] != 'p' && perms[3] != 's'))
		return false;
	p += 4;
	if (!smaps_take_char(&p, end, ' ') || !smaps_take_hex(&p, end, &x) ||
	    !smaps_take_char(&p, end, ' ') || !smaps_take_hex(&p, end, &x) ||
	    !smaps_take_char(&p, end, ':') || !smaps_take_hex(&p, end, &x) ||
	    !smaps_take_char(&p, end, ' '))
		return false;
	if (p >= end || *p < '0' || *p > '9')
		return false;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p < end && *p != ' ')
		return false;
	while (p < end && *p == ' ')
		p++;
	if (v->end <= v->start)
		return false;
	/* [heap], [stack], [vdso]...: never guest RAM */
	v->usable =
		perms[0] == 'r' && perms[1] == 'w' && (p == end || *p != '[');
	return true;
}

/* The length of the "Key" of a "Key:" field line, or 0 if it is not one. */
static size_t smaps_key(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end &&
	       ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z') ||
		(p[n] >= '0' && p[n] <= '9') || p[n] == '_'))
		n++;
	return n && p + n < end && p[n] == ':' ? n : 0;
}

/* "   1234 kB" and nothing else, in bytes. */
static bool smaps_kb(const char *p, const char *end, uint64_t *bytes)
{
	uint64_t kb = 0;
	int n = 0;

	while (p < end && *p == ' ')
		p++;
	for (; p < end && *p >= '0' && *p <= '9'; p++, n++) {
		if (kb > (UINT64_MAX / 1024 - 9) / 10)
			return false;
		kb = kb * 10 + (uint64_t)(*p - '0');
	}
	if (!n || end - p < 3 || memcmp(p, " kB", 3))
		return false;
	for (p += 3; p < end; p++)
		if (*p != ' ')
			return false;
	*bytes = kb * 1024;
	return true;
}

/* Keeps cand if it beats the best so far (see the ranking above). */
static void smaps_consider(struct smaps_scan *s, const struct smaps_ram *cand)
{
	const struct smaps_ram *b = &s->best;
	bool exact = cand->size == s->ram_bytes;

	if (!s->ram_bytes || cand->size < s->ram_bytes ||
	    cand->size > s->ram_bytes + SMAPS_SLACK)
		return;
	if (s->found) {
		if (cand->vmas != b->vmas) {
			if (cand->vmas > b->vmas)
				return;
		} else if (exact != (b->size == s->ram_bytes)) {
			if (!exact)
				return;
		} else if (cand->size >= b->size) {
			return;
		}
	}
	s->best = *cand;
	s->found = true;
}

/* The current VMA is complete: remember it, then try every run of
 * adjacent VMAs that ends with it. */
static void smaps_finish(struct smaps_scan *s)
{
	struct smaps_vma *v = &s->cur;
	struct smaps_ram cand = {0};

	if (!s->in_vma)
		return;
	s->in_vma = false;
	if (v->broken || !v->have_rss || !v->have_anon ||
	    (v->size_field && v->size_field != v->end - v->start))
		v->usable = false;
	memmove(&s->last[1], &s->last[0], sizeof(s->last) - sizeof(s->last[0]));
	s->last[0] = *v;
	if (s->nlast < SMAPS_SPAN)
		s->nlast++;
	for (unsigned k = 0; k < s->nlast; k++) {
		const struct smaps_vma *w = &s->last[k];

		if (!w->usable || (k && w->end != s->last[k - 1].start))
			break;
		cand.start = w->start;
		cand.size += w->end - w->start;
		cand.rss += w->rss;
		cand.anon += w->anon;
		cand.vmas = k + 1;
		if (cand.size > s->ram_bytes + SMAPS_SLACK)
			break;
		smaps_consider(s, &cand);
	}
}

/*
 * A line we cannot read may have been the header of a new VMA, so the
 * fields that follow cannot be trusted to belong to the current one: it
 * ends here with what it had, and fields are ignored until the next good
 * header. taint: the line was one of the VMA's own numbers, garbled or
 * repeated, so nothing about that VMA can be trusted.
 */
static void smaps_bad_line(struct smaps_scan *s, bool taint)
{
	s->malformed++;
	if (taint && s->in_vma)
		s->cur.broken = true;
	smaps_finish(s);
}

static void smaps_field(struct smaps_scan *s, const char *key, size_t klen,
			const char *p, const char *end)
{
	struct smaps_vma *v = &s->cur;
	uint64_t *dst = NULL;
	bool *have = NULL;
	uint64_t bytes;

	if (!s->in_vma) {
		s->malformed++; /* a field before any header */
		return;
	}
	if (klen == 4 && !memcmp(key, "Size", 4)) {
		dst = &v->size_field;
	} else if (klen == 3 && !memcmp(key, "Rss", 3)) {
		dst = &v->rss;
		have = &v->have_rss;
	} else if (klen == 9 && !memcmp(key, "Anonymous", 9)) {
		dst = &v->anon;
		have = &v->have_anon;
	} else {
		return; /* VmFlags and the like: not numbers, not needed */
	}
	if (!smaps_kb(p, end, &bytes) || (have && *have) || (!have && *dst)) {
		smaps_bad_line(s, true); /* garbled or repeated */
		return;
	}
	*dst = bytes;
	if (have)
		*have = true;
}

void smaps_scan_line(struct smaps_scan *s, const char *line, size_t len)
{
	const char *end = line + len;
	struct smaps_vma v;
	size_t klen;

	s->lines++;
	if (!len)
		return;
	if (len > SMAPS_MAX_LINE) {
		smaps_bad_line(s, false);
		return;
	}
	klen = smaps_key(line, end);
	if (klen) {
		smaps_field(s, line, klen, line + klen + 1, end);
	} else if (smaps_header(line, end, &v)) {
		smaps_finish(s);
		s->cur = v;
		s->in_vma = true;
	} else {
		smaps_bad_line(s, false);
	}
}

int smaps_scan_end(struct smaps_scan *s, struct smaps_ram *out)
{
	smaps_finish(s);
	if (!s->found)
		return SMAPS_NO_MATCH;
	*out = s->best;
	return SMAPS_OK;
}

int smaps_parse(const char *text, size_t len, uint64_t ram_bytes,
		struct smaps_ram *out)
{
	struct smaps_scan s;
	const char *p = text, *end = text + len;

	smaps_scan_init(&s, ram_bytes);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		smaps_scan_line(&s, p, n); /* a last line without '\n' too */
		p += n + (nl ? 1 : 0);
	}
	return smaps_scan_end(&s, out);
}

static int smaps_on_line(void *ctx, char *line, size_t len, bool cut)
{
	struct smaps_scan *s = ctx;

	if (cut)
		smaps_bad_line(s, false);
	else
		smaps_scan_line(s, line, len);
	return 0;
}

int smaps_read(int pid, uint64_t ram_bytes, struct smaps_ram *out)
{
	char path[64], buf[65536];
	struct smaps_scan s;
	struct lbuf lb;
	size_t total = 0;
	int fd, rc = SMAPS_OK;

	if (pid <= 0)
		return SMAPS_ERR_READ;
	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return SMAPS_ERR_READ;
	if (lbuf_init(&lb, SMAPS_MAX_LINE)) {
		close(fd);
		return SMAPS_ERR_READ;
	}
	smaps_scan_init(&s, ram_bytes);
	while (total < SMAPS_MAX_READ) {
		size_t want = SMAPS_MAX_READ - total;
		ssize_t n =
			read(fd, buf, want < sizeof(buf) ? want : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = SMAPS_ERR_READ;
		if (n <= 0)
			break;
		total += (size_t)n;
		lbuf_feed(&lb, buf, (size_t)n, smaps_on_line, &s);
	}
	/* at the cap the pending line is a fragment: leave it out */
	if (total < SMAPS_MAX_READ)
		lbuf_flush(&lb, smaps_on_line, &s);
	lbuf_free(&lb);
	close(fd);
	if (rc)
		return rc;
	return smaps_scan_end(&s, out);
}
