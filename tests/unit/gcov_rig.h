/*
 * gcov_rig.h - helpers shared by the coverage-dump receiver's unit tests
 * (test_gcov_rec.c, test_gcov_rec_corrupt.c, test_gcov_rec_hostile.c):
 * a builder of GCC 12 .gcda files, an encoder of the "# gcov:" wire
 * format with line-level edits, a scratch coverage root under /tmp with
 * snapshots of what lies in it, and receiving a dump start to finish.
 *
 * The dumps and .gcda files are made from the format's description, not
 * from the guest's code, so that the two sides do not share a
 * misreading. Include it first, after defining _GNU_SOURCE (nftw's
 * FTW_PHYS and FTW_DEPTH). Each test file uses part of it, hence the
 * unused-function pragma.
 */
#ifndef PINPRICK_GCOV_RIG_H
#define PINPRICK_GCOV_RIG_H

#pragma GCC diagnostic ignored "-Wunused-function"

#include "tests/unit/ut.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/runner/gcov_rec.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VERSION_12    0x4232322au /* "B22*" */
#define CHECKSUM      0xc0ffee00u

static char root[64];

/* ---- .gcda files --------------------------------------------------------- */

struct tfile {
	char path[400];
	unsigned char buf[4096];
	size_t len;
};

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
	return p + 4;
}

static unsigned char *put64(unsigned char *p, uint64_t v)
{
	return put32(put32(p, (uint32_t)v), (uint32_t)(v >> 32));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * A GCC 12 .gcda: nfun functions, function f with ncnt[f] arc counters
 * of value mul * (100 * f + i + 1).
 */
static size_t gcda(unsigned char *b, uint32_t stamp, unsigned nfun,
		   const unsigned *ncnt, uint64_t mul)
{
	unsigned char *p = b;

	p = put32(p, GCOVR_MAGIC);
	p = put32(p, VERSION_12);
	p = put32(p, stamp);
	p = put32(p, CHECKSUM);
	for (unsigned f = 0; f < nfun; f++) {
		p = put32(p, GCOVR_TAG_FUNCTION);
		p = put32(p, 12);
		p = put32(p, 0x100 + f);
		p = put32(p, 0x200 + f);
		p = put32(p, 0x300 + f);
		p = put32(p, GCOVR_TAG_COUNTER);
		p = put32(p, ncnt[f] * 8);
		for (unsigned i = 0; i < ncnt[f]; i++)
			p = put64(p, mul * (100 * f + i + 1));
	}
	return (size_t)(p - b);
}

static const unsigned cnt_a[] = {3, 4};		 /* 128 bytes: 2 lines */
static const unsigned cnt_b[] = {2};		 /* 60 bytes */
static const unsigned cnt_c[] = {1, 2, 3, 4, 5}; /* 276 bytes: 5 lines */

static struct tfile good[3];

/* The three files of the good dump, with counters times mul. */
static void make_good(uint32_t stamp, uint64_t mul)
{
	snprintf(good[0].path, sizeof(good[0].path), "%s/a/x.gcda", root);
	snprintf(good[1].path, sizeof(good[1].path), "%s/b/c/y.gcda", root);
	snprintf(good[2].path, sizeof(good[2].path), "%s/z.gcda", root);
	good[0].len = gcda(good[0].buf, stamp, 2, cnt_a, mul);
	good[1].len = gcda(good[1].buf, stamp, 1, cnt_b, mul);
	good[2].len = gcda(good[2].buf, stamp, 5, cnt_c, mul);
}

/* ---- dumps as lines ------------------------------------------------------ */

struct dump {
	char **lines;
	int n, cap;
};

static void dump_insert(struct dump *d, int at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void dump_insert(struct dump *d, int at, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 32;
		d->lines = realloc(d->lines, (size_t)d->cap * sizeof(char *));
	}
	memmove(d->lines + at + 1, d->lines + at,
		(size_t)(d->n - at) * sizeof(char *));
	d->lines[at] = strdup(buf);
	d->n++;
}

#define dump_add(d, ...) dump_insert(d, (d)->n, __VA_ARGS__)

static void dump_set(struct dump *d, int i, const char *text)
{
	free(d->lines[i]);
	d->lines[i] = strdup(text);
}

static void dump_del(struct dump *d, int i)
{
	free(d->lines[i]);
	memmove(d->lines + i, d->lines + i + 1,
		(size_t)(d->n - i - 1) * sizeof(char *));
	d->n--;
}

static void dump_free(struct dump *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	memset(d, 0, sizeof(*d));
}

static void dump_copy(struct dump *to, const struct dump *from)
{
	memset(to, 0, sizeof(*to));
	for (int i = 0; i < from->n; i++)
		dump_add(to, "%s", from->lines[i]);
}

/*
 * The wire format: chunk bytes per data line, or, with chunk 0, lines of
 * 1..64 bytes in a fixed pattern (any contiguous chunking is valid).
 */
static void dump_make(struct dump *d, const struct tfile *f, unsigned n,
		      unsigned chunk)
{
	size_t total = 0;
	unsigned k = 0;

	memset(d, 0, sizeof(*d));
	dump_add(d, "# gcov: begin objects=%u", n);
	for (unsigned i = 0; i < n; i++) {
		dump_add(d, "# gcov: file %u %zu %08x %s", i, f[i].len,
			 gcovr_crc32(0, f[i].buf, f[i].len), f[i].path);
		for (size_t off = 0; off < f[i].len;) {
			size_t c = chunk ? chunk : 1 + (k++ * 37) % 64;
			char hex[2 * GCOVR_CHUNK_MAX + 1];

			if (c > f[i].len - off)
				c = f[i].len - off;
			for (size_t j = 0; j < c; j++)
				sprintf(hex + 2 * j, "%02x", f[i].buf[off + j]);
			dump_add(d, "# gcov: data %u %zu %s", i, off, hex);
			off += c;
		}
		total += f[i].len;
	}
	dump_add(d, "# gcov: end objects=%u bytes=%zu", n, total);
}

/* Feeds lines [0, upto), ending them in "\n" and "\r\n" by turns. */
static void feed(struct gcovr *g, const struct dump *d, int upto)
{
	char buf[1024];

	for (int i = 0; i < upto; i++) {
		int n = snprintf(buf, sizeof(buf), "%s%s", d->lines[i],
				 i % 2 ? "\r\n" : "\n");

		gcovr_line(g, buf, (size_t)n);
	}
}

/* ---- the file system ----------------------------------------------------- */

static char snap_buf[1 << 16];

static int snap_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	uint32_t crc = 0;

	if (type == FTW_F) {
		FILE *f = fopen(path, "rb");
		unsigned char b[4096];
		size_t n;

		while (f && (n = fread(b, 1, sizeof(b), f)) > 0)
			crc = gcovr_crc32(crc, b, n);
		if (f)
			fclose(f);
	}
	snprintf(snap_buf + strlen(snap_buf),
		 sizeof(snap_buf) - strlen(snap_buf), "%c %s %lld %08x\n",
		 type == FTW_F ? 'f' : 'd', path, (long long)st->st_size, crc);
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int count_files(const char *snap)
{
	int n = 0;

	for (const char *l = snap; *l; l = strchr(l, '\n') + 1)
		n += l[0] == 'f';
	return n;
}

/* Every entry under root with its size and CRC, sorted: a malloc'd string. */
static char *snapshot(void)
{
	char *lines[512] = {NULL}, *out, *save = NULL;
	size_t n = 0, len;

	snap_buf[0] = '\0';
	nftw(root, snap_one, 16, FTW_PHYS);
	for (char *l = strtok_r(snap_buf, "\n", &save); l && n < 512;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	qsort(lines, n, sizeof(lines[0]), cmp_line);
	len = sizeof(snap_buf) + n;
	out = malloc(len);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	return out;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	if (ftw->level > 0)
		remove(path);
	return 0;
}

/* Empties root, keeping it. */
static void clear_root(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void rm_root(void)
{
	clear_root();
	rmdir(root);
}

static bool new_root(void)
{
	snprintf(root, sizeof(root), "/tmp/ut-gcov.XXXXXX");
	return mkdtemp(root) != NULL;
}

static size_t read_file(const char *path, unsigned char *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return (size_t)-1;
	n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

static bool same_file(const char *path, const unsigned char *buf, size_t len)
{
	static unsigned char got[1 << 16];

	return read_file(path, got, sizeof(got)) == len &&
	       !memcmp(got, buf, len);
}

static char notes[4096];

static void note(void *ctx, const char *msg)
{
	(void)ctx;
	snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%s\n",
		 msg);
}

/* Init, feed the whole dump, finish: what gcovr_finish says. */
static int receive(struct gcovr *g, const struct dump *d)
{
	UT_CHECK_EQ(gcovr_init(g, root), 0);
	g->note = note;
	feed(g, d, d->n);
	return gcovr_finish(g);
}

/* Stores buf at path through gcovr_store; the notes it made. */
static int store(const char *path, const unsigned char *buf, size_t len,
		 bool *merged, bool *replaced, char *err)
{
	notes[0] = '\0';
	err[0] = '\0';
	return gcovr_store(path, buf, len, merged, replaced, note, NULL, err,
			   256);
}

#endif
