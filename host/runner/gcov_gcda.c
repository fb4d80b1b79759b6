/*
 * gcov_gcda.c - the .gcda side of the coverage dump (see gcov_rec.h):
 * parsing a GCC 12 .gcda, adding two of the same compilation together the
 * way libgcov does at a program's exit, and storing the result through
 * PATH.tmp and a rename, so that a reader (gcov, lcov) never sees half a
 * file and a failed write leaves the old counts.
 *
 * Only -fprofile-arcs is expected from the guest, i.e. counter kind 0
 * (arcs), merged by addition. The other kinds GCC 12 knows are handled
 * as libgcov does where that is addition (interval, pow2, average) or a
 * bitwise or (ior); topn, indirect_call and time_profiler keep values
 * that addition would destroy, so a file with those is replaced, never
 * merged, and a note says so.
 */
#include "host/runner/gcov_rec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/runner/util.h"

/* Kinds merged by __gcov_merge_add: arcs, interval, pow2, average. */
#define GCOVR_KINDS_ADD (1u << 0 | 1u << 1 | 1u << 2 | 1u << 5)
#define GCOVR_KIND_IOR	6 /* __gcov_merge_ior */

static uint32_t gcovr_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* A counter: two words, the low one first. */
static uint64_t gcovr_get64(const unsigned char *p)
{
	return (uint64_t)gcovr_get32(p) | (uint64_t)gcovr_get32(p + 4) << 32;
}

static void gcovr_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void gcovr_put64(unsigned char *p, uint64_t v)
{
	gcovr_put32(p, (uint32_t)v);
	gcovr_put32(p + 4, (uint32_t)(v >> 32));
}

static bool gcovr_counter_tag(uint32_t tag, unsigned *kind)
{
	uint32_t d = tag - GCOVR_TAG_COUNTER;

	if (tag < GCOVR_TAG_COUNTER || d & 0x1ffff ||
	    (d >> 17) >= GCOVR_COUNTER_KINDS)
		return false;
	*kind = d >> 17;
	return true;
}

/*
 * Is the version word that of GCC 12 or later? Its four characters are
 * 'A' + major / 10, '0' + major % 10, '0' + minor, then '*' or 'e'.
 */
static bool gcovr_version_ok(uint32_t v, char *err, size_t err_size)
{
	char c[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
	unsigned major;

	if (c[0] < 'A' || c[0] > 'Z' || c[1] < '0' || c[1] > '9' ||
	    c[2] < '0' || c[2] > '9') {
		snprintf(err, err_size, "version word %08x is not GCC's", v);
		return false;
	}
	major = (unsigned)(c[0] - 'A') * 10 + (unsigned)(c[1] - '0');
	if (major < 12) {
		snprintf(err, err_size,
			 "version %.3s is GCC %u, whose record lengths count "
			 "words, not bytes",
			 c, major);
		return false;
	}
	return true;
}

/* Bytes per value of a record: u64 counters, u32 words otherwise. */
static size_t gcovr_unit(const struct gcovr_rec *r)
{
	if (r->tag == GCOVR_TAG_FUNCTION || r->tag == GCOVR_TAG_SUMMARY)
		return 4;
	return 8;
}

/* One record's header at pos; false with err set if it is not valid. */
static bool gcovr_rec_head(const unsigned char *buf, size_t len, size_t pos,
			   bool in_fn, struct gcovr_rec *r, uint32_t *length,
			   char *err, size_t err_size)
{
	memset(r, 0, sizeof(*r));
	r->tag = gcovr_get32(buf + pos);
	*length = gcovr_get32(buf + pos + 4);
	r->off = pos + 8;
	if (r->tag == GCOVR_TAG_FUNCTION || r->tag == GCOVR_TAG_SUMMARY) {
		bool fn = r->tag == GCOVR_TAG_FUNCTION;

		if (fn ? *length != 0 && *length != GCOVR_FUNCTION_LEN
		       : *length != GCOVR_SUMMARY_LEN) {
			snprintf(err, err_size,
				 "%s record at byte %zu has length %u",
				 fn ? "function" : "summary", pos, *length);
			return false;
		}
		r->n = *length / 4;
	} else if (gcovr_counter_tag(r->tag, &r->kind)) {
		if (!in_fn) {
			snprintf(err, err_size,
				 "counters at byte %zu belong to no function",
				 pos);
			return false;
		}
		/* GCC 12 writes an all-zero record as -(n * 8), no values */
		r->zeros = *length & 0x80000000u;
		if (r->zeros)
			*length = 0u - *length;
		if (*length % 8) {
			snprintf(err, err_size,
				 "counter record at byte %zu has length %s%u, "
				 "not a multiple of 8",
				 pos, r->zeros ? "-" : "", *length);
			return false;
		}
		r->n = *length / 8;
		if (r->zeros)
			*length = 0;
	} else {
		snprintf(err, err_size, "unknown record tag %08x at byte %zu",
			 r->tag, pos);
		return false;
	}
	if (*length > len - r->off) {
		snprintf(err, err_size,
			 "record at byte %zu runs past the end of the file",
			 pos);
		return false;
	}
	return true;
}

/* Checks buf and counts its records; stores them too if recs is given. */
static int gcovr_walk(const unsigned char *buf, size_t len,
		      struct gcovr_rec *recs, size_t *nrecs, bool *end_mark,
		      char *err, size_t err_size)
{
	uint64_t expanded = GCOVR_HEADER_LEN;
	size_t pos = GCOVR_HEADER_LEN, n = 0;
	bool in_fn = false;

	if (len < GCOVR_HEADER_LEN) {
		snprintf(err, err_size, "%zu bytes, less than a header", len);
		return -1;
	}
	if (gcovr_get32(buf) != GCOVR_MAGIC) {
		snprintf(err, err_size, "magic %08x, not gcda",
			 gcovr_get32(buf));
		return -1;
	}
	if (!gcovr_version_ok(gcovr_get32(buf + 4), err, err_size))
		return -1;
	while (pos < len) {
		struct gcovr_rec r;
		uint32_t length;

		/* libgcov ends with a zero word (Linux's dumper does not) */
		if (len - pos == 4 && !gcovr_get32(buf + pos)) {
			if (end_mark)
				*end_mark = true;
			break;
		}
		if (len - pos < 8) {
			snprintf(err, err_size,
				 "%zu stray bytes at the end (byte %zu)",
				 len - pos, pos);
			return -1;
		}
		if (!gcovr_rec_head(buf, len, pos, in_fn, &r, &length, err,
				    err_size))
			return -1;
		if (r.tag == GCOVR_TAG_FUNCTION)
			in_fn = r.n != 0;
		/* what merging may write: all-zero records spelled out */
		expanded += 8 + (uint64_t)r.n * gcovr_unit(&r);
		if (expanded > GCOVR_MAX_LEN) {
			snprintf(err, err_size,
				 "record at byte %zu claims more than %u MiB "
				 "of counters",
				 pos, GCOVR_MAX_LEN >> 20);
			return -1;
		}
		if (recs)
			recs[n] = r;
		n++;
		pos = r.off + length;
	}
	*nrecs = n;
	return 0;
}

int gcovr_parse_gcda(const unsigned char *buf, size_t len, struct gcovr_gcda *d,
		     char *err, size_t err_size)
{
	size_t n;

	memset(d, 0, sizeof(*d));
	if (gcovr_walk(buf, len, NULL, &n, NULL, err, err_size))
		return -1;
	d->recs = calloc(n ? n : 1, sizeof(*d->recs));
	if (!d->recs) {
		snprintf(err, err_size, "out of memory for %zu records", n);
		return -1;
	}
	gcovr_walk(buf, len, d->recs, &n, &d->end_mark, err, err_size);
	d->nrecs = n;
	d->version = gcovr_get32(buf + 4);
	d->stamp = gcovr_get32(buf + 8);
	d->checksum = gcovr_get32(buf + 12);
	return 0;
}

void gcovr_gcda_free(struct gcovr_gcda *d)
{
	free(d->recs);
	memset(d, 0, sizeof(*d));
}

/* ---- merging ------------------------------------------------------------- */

static uint64_t gcovr_value(const unsigned char *buf, const struct gcovr_rec *r,
			    uint32_t i)
{
	return r->zeros ? 0 : gcovr_get64(buf + r->off + (size_t)i * 8);
}

/* Same compilation: same header words, same records, same functions. */
static bool gcovr_same_layout(const unsigned char *old_buf,
			      const struct gcovr_gcda *old,
			      const unsigned char *new_buf,
			      const struct gcovr_gcda *nw)
{
	if (old->version != nw->version || old->stamp != nw->stamp ||
	    old->checksum != nw->checksum || old->nrecs != nw->nrecs)
		return false;
	for (size_t i = 0; i < nw->nrecs; i++) {
		const struct gcovr_rec *a = &old->recs[i], *b = &nw->recs[i];

		if (a->tag != b->tag || a->n != b->n)
			return false;
		if (b->tag == GCOVR_TAG_FUNCTION &&
		    memcmp(old_buf + a->off, new_buf + b->off,
			   (size_t)b->n * 4))
			return false;
	}
	return true;
}

/* Writes one merged counter record at p; returns the bytes written. */
static size_t gcovr_merge_counters(unsigned char *p,
				   const unsigned char *old_buf,
				   const struct gcovr_rec *a,
				   const unsigned char *new_buf,
				   const struct gcovr_rec *b)
{
	bool all_zero = true;

	for (uint32_t i = 0; i < b->n; i++) {
		uint64_t x = gcovr_value(old_buf, a, i);
		uint64_t y = gcovr_value(new_buf, b, i);
		uint64_t v;

		if (b->kind == GCOVR_KIND_IOR)
			v = x | y;
		else
			v = x > UINT64_MAX - y ? UINT64_MAX : x + y;
		all_zero = all_zero && !v;
		gcovr_put64(p + 8 + (size_t)i * 8, v);
	}
	gcovr_put32(p, b->tag);
	/* as libgcov writes an all-zero record: a negative length alone */
	gcovr_put32(p + 4, all_zero ? 0u - b->n * 8 : b->n * 8);
	return all_zero ? 8 : 8 + (size_t)b->n * 8;
}

enum gcovr_merge_rc
gcovr_merge(const unsigned char *old_buf, const struct gcovr_gcda *old,
	    const unsigned char *new_buf, const struct gcovr_gcda *nw,
	    unsigned char **out, size_t *out_len, unsigned *kind)
{
	size_t size = GCOVR_HEADER_LEN;
	unsigned char *buf, *p;

	*out = NULL;
	*out_len = 0;
	if (!gcovr_same_layout(old_buf, old, new_buf, nw))
		return GCOVR_STALE;
	for (size_t i = 0; i < nw->nrecs; i++) {
		const struct gcovr_rec *b = &nw->recs[i];

		if (gcovr_unit(b) == 8 && !(GCOVR_KINDS_ADD & 1u << b->kind) &&
		    b->kind != GCOVR_KIND_IOR) {
			*kind = b->kind;
			return GCOVR_NOT_ADDABLE;
		}
		size += 8 + (size_t)b->n * gcovr_unit(b);
	}
	size += nw->end_mark ? 4 : 0;
	buf = malloc(size);
	if (!buf)
		return GCOVR_MERGE_NOMEM;
	memcpy(buf, new_buf, GCOVR_HEADER_LEN);
	p = buf + GCOVR_HEADER_LEN;
	for (size_t i = 0; i < nw->nrecs; i++) {
		const struct gcovr_rec *a = &old->recs[i], *b = &nw->recs[i];

		if (b->tag == GCOVR_TAG_FUNCTION) {
			gcovr_put32(p, b->tag);
			gcovr_put32(p + 4, b->n * 4);
			memcpy(p + 8, new_buf + b->off, (size_t)b->n * 4);
			p += 8 + (size_t)b->n * 4;
		} else if (b->tag == GCOVR_TAG_SUMMARY) {
			/* runs and sum_max: libgcov adds both */
			gcovr_put32(p, b->tag);
			gcovr_put32(p + 4, GCOVR_SUMMARY_LEN);
			for (size_t w = 0; w < 8; w += 4) {
				uint32_t x = gcovr_get32(old_buf + a->off + w);
				uint32_t y = gcovr_get32(new_buf + b->off + w);

				y = x > UINT32_MAX - y ? UINT32_MAX : x + y;
				gcovr_put32(p + 8 + w, y);
			}
			p += 8 + GCOVR_SUMMARY_LEN;
		} else {
			p += gcovr_merge_counters(p, old_buf, a, new_buf, b);
		}
	}
	if (nw->end_mark) {
		gcovr_put32(p, 0);
		p += 4;
	}
	*out = buf;
	*out_len = (size_t)(p - buf);
	return GCOVR_MERGED;
}

/* ---- storing ------------------------------------------------------------- */

/*
 * The existing file: 0 with *buf (malloc'd), 1 if there is none, 2 if it
 * is larger than any .gcda we write, -1 with errno on an error.
 */
static int gcovr_read_old(const char *path, unsigned char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd, e;

	*buf = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	if (st.st_size > (off_t)GCOVR_MAX_LEN) {
		close(fd);
		return 2;
	}
	/* one byte more than stat said, to see a file that grew meanwhile */
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	while (got <= (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)st.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				break;
			e = errno;
			close(fd);
			free(*buf);
			*buf = NULL;
			errno = e;
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	if (got > (size_t)st.st_size) {
		free(*buf);
		*buf = NULL;
		return 2;
	}
	return 0;
}

static int gcovr_put_file(const char *path, const unsigned char *buf,
			  size_t len, char *err, size_t err_size)
{
	char tmp[GCOVR_ROOT_MAX + 8];
	int fd, e = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, err_size, "%.300s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, err_size, "cannot create %.300s: %s", tmp,
			 strerror(errno));
		return -1;
	}
	if (util_write_all(fd, buf, len))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	if (!e && rename(tmp, path))
		e = errno;
	if (!e)
		return 0;
	unlink(tmp);
	snprintf(err, err_size, "cannot write %.300s: %s", path, strerror(e));
	return -1;
}

static void gcovr_notef(gcovr_note_fn note, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void gcovr_notef(gcovr_note_fn note, void *ctx, const char *fmt, ...)
{
	char msg[GCOVR_REASON_MAX];
	va_list ap;

	if (!note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	note(ctx, msg);
}

/*
 * Merges buf into the parsed old file if they are of one compilation:
 * 0 with *out set (merged) or left NULL (replace: the note is made here),
 * -1 on an error.
 */
static int gcovr_merge_old(const char *path, const unsigned char *old_buf,
			   size_t old_len, const unsigned char *buf, size_t len,
			   unsigned char **out, size_t *out_len,
			   gcovr_note_fn note, void *ctx, char *err,
			   size_t err_size)
{
	struct gcovr_gcda od, nd;
	enum gcovr_merge_rc rc;
	char why[200];
	unsigned kind = 0;

	if (gcovr_parse_gcda(old_buf, old_len, &od, why, sizeof(why))) {
		gcovr_notef(note, ctx,
			    "%s: existing .gcda malformed (%s); "
			    "replaced",
			    path, why);
		return 0;
	}
	if (gcovr_parse_gcda(buf, len, &nd, why, sizeof(why))) {
		gcovr_gcda_free(&od);
		snprintf(err, err_size, "%.300s: %s", path, why);
		return -1;
	}
	rc = gcovr_merge(old_buf, &od, buf, &nd, out, out_len, &kind);
	gcovr_gcda_free(&od);
	gcovr_gcda_free(&nd);
	switch (rc) {
	case GCOVR_MERGED:
		return 0;
	case GCOVR_STALE:
		gcovr_notef(note, ctx,
			    "%s: stale .gcda replaced (kernel rebuilt)", path);
		return 0;
	case GCOVR_NOT_ADDABLE:
		gcovr_notef(note, ctx,
			    "%s: counters of kind %u cannot be merged by "
			    "addition; replaced",
			    path, kind);
		return 0;
	case GCOVR_MERGE_NOMEM:
		break;
	}
	snprintf(err, err_size, "%.300s: out of memory for merging", path);
	return -1;
}

int gcovr_store(const char *path, const unsigned char *buf, size_t len,
		bool *merged, bool *replaced, gcovr_note_fn note,
		void *note_ctx, char *err, size_t err_size)
{
	unsigned char *old = NULL, *out = NULL;
	size_t old_len = 0, out_len = 0;
	int rc;

	*merged = *replaced = false;
	if (util_mkdir_parent(path)) {
		snprintf(err, err_size,
			 "cannot create the directory of %.300s: "
			 "%s",
			 path, strerror(errno));
		return -1;
	}
	rc = gcovr_read_old(path, &old, &old_len);
	if (rc < 0) {
		snprintf(err, err_size, "cannot read %.300s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (rc == 2) {
		gcovr_notef(note, note_ctx,
			    "%s: existing file larger than %u MiB, not a "
			    ".gcda; replaced",
			    path, GCOVR_MAX_LEN >> 20);
		*replaced = true;
	}
	if (rc == 0) {
		if (gcovr_merge_old(path, old, old_len, buf, len, &out,
				    &out_len, note, note_ctx, err, err_size)) {
			free(old);
			return -1;
		}
		*merged = out != NULL;
		*replaced = out == NULL;
	}
	rc = out ? gcovr_put_file(path, out, out_len, err, err_size)
		 : gcovr_put_file(path, buf, len, err, err_size);
	free(old);
	free(out);
	if (rc)
		*merged = *replaced = false;
	return rc;
}
