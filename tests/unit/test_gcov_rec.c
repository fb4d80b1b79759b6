/*
 * test_gcov_rec.c - unit tests for the runner's coverage-dump receiver
 * (host/runner/gcov_rec.c, gcov_gcda.c): good dumps written byte for byte,
 * merging into an existing .gcda like libgcov, stale and malformed files
 * replaced, every kind of corruption refused with its reason and nothing
 * written, dumps cut at every line, a few thousand random mutations, and
 * paths that try to leave the coverage root.
 *
 * The dumps are made here by a small encoder of the wire format, and the
 * .gcda files by a builder of GCC 12's layout, both written from the
 * format's description, not from the guest's code, so that the two sides
 * do not share a misreading.
 */
#define _GNU_SOURCE /* nftw's FTW_PHYS and FTW_DEPTH */
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

/* ---- tests --------------------------------------------------------------- */

static void test_crc32(void)
{
	const char *v = "123456789";

	UT_CHECK_EQ(gcovr_crc32(0, v, 9), 0xcbf43926u);
	UT_CHECK_EQ(gcovr_crc32(gcovr_crc32(0, v, 4), v + 4, 5), 0xcbf43926u);
	UT_CHECK_EQ(gcovr_crc32(0, "", 0), 0);
	UT_CHECK_EQ(gcovr_crc32(0, "a", 1), 0xe8b7be43u);
}

static void test_roundtrip(void)
{
	struct dump d;
	struct gcovr g;
	char *snap;

	UT_CHECK(new_root());
	make_good(0x11111111, 1);
	UT_CHECK_EQ(good[0].len, 128);
	UT_CHECK_EQ(good[1].len, 60);
	UT_CHECK_EQ(good[2].len, 276);
	dump_make(&d, good, 3, 64);
	UT_CHECK_EQ(d.n, 13);
	/* the guest's other lines around and inside the dump are not ours */
	dump_insert(&d, 0, "ok 41 - before");
	dump_insert(&d, 4, "# pinprick: a note in between");
	dump_insert(&d, 5, "    # gcov: indented, so a subtest's comment");
	dump_add(&d, "# pinprick: exit 0");
	UT_CHECK_EQ(receive(&g, &d), 3);
	UT_CHECK_EQ(g.state, GCOVR_COMPLETE);
	UT_CHECK_EQ(gcovr_write(&g), 0);
	UT_CHECK_EQ(g.written, 3);
	UT_CHECK_EQ(g.merged, 0);
	UT_CHECK_EQ(g.replaced, 0);
	for (int i = 0; i < 3; i++)
		UT_CHECK(same_file(good[i].path, good[i].buf, good[i].len));
	/* nothing else: no PATH.tmp left over */
	snap = snapshot();
	UT_CHECK(strstr(snap, ".tmp") == NULL);
	UT_CHECK_EQ(count_files(snap), 3);
	free(snap);
	gcovr_free(&g);
	dump_free(&d);

	/* any contiguous chunking does; a second time merges */
	dump_make(&d, good, 3, 0);
	UT_CHECK(d.n > 13);
	UT_CHECK_EQ(receive(&g, &d), 3);
	UT_CHECK_EQ(gcovr_write(&g), 0);
	UT_CHECK_EQ(g.merged, 3);
	gcovr_free(&g);
	dump_free(&d);

	/* root given with a trailing slash and a dot */
	clear_root();
	{
		char r2[128];

		snprintf(r2, sizeof(r2), "%s/./", root);
		dump_make(&d, good, 3, 7);
		UT_CHECK_EQ(gcovr_init(&g, r2), 0);
		feed(&g, &d, d.n);
		UT_CHECK_EQ(gcovr_finish(&g), 3);
		UT_CHECK_EQ(gcovr_write(&g), 0);
		UT_CHECK(same_file(good[2].path, good[2].buf, good[2].len));
		gcovr_free(&g);
		dump_free(&d);
	}
	rm_root();
}

/* Counter i of function f of a parsed file: walks the records. */
static uint64_t counter(const unsigned char *buf, size_t len, unsigned f,
			unsigned i)
{
	struct gcovr_gcda d;
	char err[200];
	uint64_t v = ~0ull;
	int fn = -1;

	if (gcovr_parse_gcda(buf, len, &d, err, sizeof(err)))
		return v;
	for (size_t r = 0; r < d.nrecs; r++) {
		if (d.recs[r].tag == GCOVR_TAG_FUNCTION)
			fn++;
		else if (d.recs[r].tag == GCOVR_TAG_COUNTER && fn == (int)f)
			v = d.recs[r].zeros
				    ? 0
				    : get64(buf + d.recs[r].off + 8 * i);
	}
	gcovr_gcda_free(&d);
	return v;
}

static void test_merge(void)
{
	static unsigned char got[8192];
	struct tfile sum[3];
	struct dump d;
	struct gcovr g;
	size_t n;

	UT_CHECK(new_root());
	make_good(0x22222222, 1);
	dump_make(&d, good, 3, 64);
	UT_CHECK_EQ(receive(&g, &d), 3);
	UT_CHECK_EQ(gcovr_write(&g), 0);
	gcovr_free(&g);
	dump_free(&d);

	/* the second run counted twice as much: the files hold 3x */
	make_good(0x22222222, 3);
	memcpy(sum, good, sizeof(sum));
	make_good(0x22222222, 2);
	dump_make(&d, good, 3, 64);
	notes[0] = '\0';
	UT_CHECK_EQ(receive(&g, &d), 3);
	UT_CHECK_EQ(gcovr_write(&g), 0);
	UT_CHECK_EQ(g.written, 3);
	UT_CHECK_EQ(g.merged, 3);
	UT_CHECK_EQ(g.replaced, 0);
	UT_CHECK_STR(notes, "");
	for (int i = 0; i < 3; i++)
		UT_CHECK(same_file(sum[i].path, sum[i].buf, sum[i].len));
	n = read_file(sum[2].path, got, sizeof(got));
	UT_CHECK_EQ(counter(got, n, 4, 4), 3 * 405);
	gcovr_free(&g);
	dump_free(&d);
	rm_root();
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

/* Saturation, all-zero records (negative length), the summary, ior. */
static void test_merge_details(void)
{
	unsigned char a[256], b[256], got[512], *p;
	char path[128], err[256];
	bool merged, replaced;
	size_t alen, blen, n;

	UT_CHECK(new_root());
	snprintf(path, sizeof(path), "%s/s.gcda", root);

	/* header, summary, a function with 2 arcs, a function with zeros,
	 * a function with ior counters, libgcov's final zero word */
	p = a;
	p = put32(put32(put32(put32(p, GCOVR_MAGIC), VERSION_12), 7), 0);
	p = put32(put32(put32(put32(p, GCOVR_TAG_SUMMARY), 8), 1), 40);
	p = put32(put32(p, GCOVR_TAG_FUNCTION), 12);
	p = put32(put32(put32(p, 1), 2), 3);
	p = put32(put32(p, GCOVR_TAG_COUNTER), 16);
	p = put64(put64(p, UINT64_MAX - 1), 5);
	p = put32(put32(p, GCOVR_TAG_FUNCTION), 12);
	p = put32(put32(put32(p, 4), 5), 6);
	p = put32(put32(p, GCOVR_TAG_COUNTER), (uint32_t)-24);
	p = put32(put32(p, GCOVR_TAG_COUNTER + (6u << 17)), 8);
	p = put64(p, 0x0f);
	p = put32(p, 0);
	alen = (size_t)(p - a);
	memcpy(b, a, alen);
	blen = alen;
	/* b: summary 1/30; arcs 5, 7; the zeros now 0, 9, 0; ior 0xf0 */
	put32(b + 28, 30);
	put64(put64(b + 60, 5), 7);
	p = b + 96;
	p = put32(put32(p, GCOVR_TAG_COUNTER), 24);
	p = put64(put64(put64(p, 0), 9), 0);
	p = put32(put32(p, GCOVR_TAG_COUNTER + (6u << 17)), 8);
	p = put64(p, 0xf0);
	p = put32(p, 0);
	blen = (size_t)(p - b);

	UT_CHECK_EQ(store(path, a, alen, &merged, &replaced, err), 0);
	UT_CHECK(!merged && !replaced);
	UT_CHECK(same_file(path, a, alen));
	UT_CHECK_EQ(store(path, b, blen, &merged, &replaced, err), 0);
	UT_CHECK(merged && !replaced);
	UT_CHECK_STR(notes, "");
	n = read_file(path, got, sizeof(got));
	UT_CHECK_EQ(n, blen);
	UT_CHECK_EQ(got[24], 2);		 /* runs 1 + 1 */
	UT_CHECK_EQ(got[28], 70);		 /* sum_max 40 + 30 */
	UT_CHECK(get64(got + 60) == UINT64_MAX); /* saturated */
	UT_CHECK_EQ(get64(got + 68), 12);
	UT_CHECK_EQ(counter(got, n, 1, 1), 9);
	UT_CHECK_EQ(get64(got + n - 12), 0xff);	 /* ior */
	UT_CHECK_EQ(got[n - 4] | got[n - 1], 0); /* the end word stays */

	/* zeros merged with zeros stay a bare negative length */
	UT_CHECK_EQ(unlink(path), 0);
	UT_CHECK_EQ(store(path, a, alen, &merged, &replaced, err), 0);
	UT_CHECK_EQ(store(path, a, alen, &merged, &replaced, err), 0);
	UT_CHECK(merged);
	{
		struct gcovr_gcda gd;
		char why[200];

		n = read_file(path, got, sizeof(got));
		UT_CHECK_EQ(n, alen);
		UT_CHECK_EQ(gcovr_parse_gcda(got, n, &gd, why, sizeof(why)), 0);
		UT_CHECK_EQ(gd.nrecs, 6);
		UT_CHECK(gd.nrecs == 6 && gd.recs[4].zeros &&
			 gd.recs[4].n == 3);
		UT_CHECK(gd.end_mark);
		gcovr_gcda_free(&gd);
	}
	rm_root();
}

static void test_stale_and_malformed(void)
{
	unsigned char a[1024], b[1024], t[1024];
	static const unsigned three[] = {3}, four[] = {4}, topn[] = {2};
	char path[128], err[256], want[512];
	bool merged, replaced;
	size_t alen, blen, tlen;

	UT_CHECK(new_root());
	snprintf(path, sizeof(path), "%s/deep/er/s.gcda", root);
	alen = gcda(a, 1, 1, three, 1);

	/* another stamp: the kernel was rebuilt */
	blen = gcda(b, 2, 1, three, 5);
	UT_CHECK_EQ(store(path, a, alen, &merged, &replaced, err), 0);
	UT_CHECK_EQ(store(path, b, blen, &merged, &replaced, err), 0);
	UT_CHECK(!merged && replaced);
	snprintf(want, sizeof(want),
		 "%s: stale .gcda replaced (kernel rebuilt)\n", path);
	UT_CHECK_STR(notes, want);
	UT_CHECK(same_file(path, b, blen));

	/* the same stamp but another shape: not merged either */
	blen = gcda(b, 2, 1, four, 5);
	UT_CHECK_EQ(store(path, b, blen, &merged, &replaced, err), 0);
	UT_CHECK(!merged && replaced);
	UT_CHECK_STR(notes, want);
	UT_CHECK(same_file(path, b, blen));

	/* a function checksum differs */
	memcpy(t, b, blen);
	t[28] ^= 1;
	UT_CHECK_EQ(store(path, t, blen, &merged, &replaced, err), 0);
	UT_CHECK(!merged && replaced);
	UT_CHECK(same_file(path, t, blen));

	/* the checksum word of the header differs */
	memcpy(t, b, blen);
	t[12] ^= 1;
	UT_CHECK_EQ(store(path, t, blen, &merged, &replaced, err), 0);
	UT_CHECK(!merged && replaced);

	/* a malformed existing file */
	{
		FILE *f = fopen(path, "w");

		fputs("not a gcda at all", f);
		fclose(f);
	}
	UT_CHECK_EQ(store(path, b, blen, &merged, &replaced, err), 0);
	UT_CHECK(!merged && replaced);
	snprintf(want, sizeof(want),
		 "%s: existing .gcda malformed (magic 20746f6e, not gcda); "
		 "replaced\n",
		 path);
	UT_CHECK_STR(notes, want);
	UT_CHECK(same_file(path, b, blen));

	/* topn counters (kind 3) are not added up: replaced */
	tlen = gcda(t, 2, 1, topn, 1);
	put32(t + 36, GCOVR_TAG_COUNTER + (3u << 17));
	UT_CHECK_EQ(store(path, t, tlen, &merged, &replaced, err), 0);
	UT_CHECK_EQ(store(path, t, tlen, &merged, &replaced, err), 0);
	UT_CHECK(!merged && replaced);
	snprintf(want, sizeof(want),
		 "%s: counters of kind 3 cannot be merged by addition; "
		 "replaced\n",
		 path);
	UT_CHECK_STR(notes, want);
	UT_CHECK(same_file(path, t, tlen));

	/* a directory in the way is a write failure, not a replacement */
	snprintf(path, sizeof(path), "%s/dir.gcda", root);
	UT_CHECK_EQ(mkdir(path, 0755), 0);
	UT_CHECK_EQ(store(path, b, blen, &merged, &replaced, err), -1);
	snprintf(want, sizeof(want), "cannot read %s: Is a directory", path);
	UT_CHECK_STR(err, want);
	UT_CHECK(!merged && !replaced);
	rm_root();
}

/* The good dump, altered, must be refused with exactly this reason. */
static void expect_corrupt(const struct dump *d, const char *want)
{
	struct gcovr g;
	char *before = snapshot(), *after;

	notes[0] = '\0';
	UT_CHECK_EQ(receive(&g, d), -1);
	UT_CHECK_EQ(g.state, GCOVR_CORRUPT);
	UT_CHECK_STR(g.reason, want);
	UT_CHECK_EQ(gcovr_write(&g), -1);
	UT_CHECK_STR(g.reason, want);
	UT_CHECK_EQ(g.written, 0);
	UT_CHECK(g.files == NULL); /* nothing kept */
	after = snapshot();
	UT_CHECK_STR(after, before);
	free(before);
	free(after);
	gcovr_free(&g);
}

static void corrupt_line(const struct dump *good_dump, int i, const char *text,
			 const char *want)
{
	struct dump d;

	dump_copy(&d, good_dump);
	if (text)
		dump_set(&d, i, text);
	else
		dump_del(&d, i);
	expect_corrupt(&d, want);
	dump_free(&d);
}

/*
 * Every fault of the list in gcov_rec.h. Lines of the good dump:
 * 1 begin, 2 file 0, 3-4 its data, 5 file 1, 6 data, 7 file 2, 8-12 data,
 * 13 end.
 */
static void test_corruption(void)
{
	char want[1024], text[1024];
	const char *p0, *p1;
	struct dump d, e;
	struct gcovr g;
	bool merged, replaced;
	char err[256];

	UT_CHECK(new_root());
	make_good(0x33333333, 1);
	p0 = good[0].path;
	p1 = good[1].path;
	/* an existing file that a wrongly accepted dump would change */
	UT_CHECK_EQ(
		store(p0, good[0].buf, good[0].len, &merged, &replaced, err),
		0);
	dump_make(&d, good, 3, 64);
	UT_CHECK_EQ(d.n, 13);

	corrupt_line(&d, 5, "# gcov: bogus",
		     "not a gcov record: 'bogus' (serial line 6)");
	corrupt_line(&d, 5, "# gcov: data  1 0 00",
		     "not a gcov record: 'data  1 0 00' (serial line 6)");
	corrupt_line(&d, 12, "# gcov: end objects=3 bytes=464 ",
		     "not a gcov record: 'end objects=3 bytes=464 ' (serial "
		     "line 13)");
	corrupt_line(&d, 5,
		     "# gcov: ", "not a gcov record: '' (serial line 6)");

	/* wrong indexes */
	snprintf(text, sizeof(text), "# gcov: file 2 60 %08x %s",
		 gcovr_crc32(0, good[1].buf, 60), p1);
	corrupt_line(&d, 4, text,
		     "file line for file 2, expected file 1 (serial line 5)");
	corrupt_line(&d, 2, "# gcov: data 1 0 00",
		     "data line for file 1, expected file 0 (serial line 3)");

	/* a gap (a line lost), an overlap (a line twice) */
	snprintf(want, sizeof(want),
		 "file 2 (%s): data at offset 128, expected 64 (a gap) "
		 "(serial line 9)",
		 good[2].path);
	corrupt_line(&d, 8, NULL, want);
	dump_copy(&e, &d);
	dump_insert(&e, 3, "%s", d.lines[2]);
	snprintf(want, sizeof(want),
		 "file 0 (%s): data at offset 0, expected 64 (an overlap) "
		 "(serial line 4)",
		 p0);
	expect_corrupt(&e, want);
	dump_free(&e);

	/* bad hex: capitals, an odd count, too long, not hex */
	{
		static const char *bad[] = {
			"# gcov: data 1 0 AB",
			"# gcov: data 1 0 abc",
			"# gcov: data 1 0 0g",
			"# gcov: data 1 0 ",
			"# gcov: data 1 0 "
			"000000000000000000000000000000000000000000000000000000"
			"000000000000000000000000000000000000000000000000000000"
			"0000000000000000000000",
		};

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			const char *why =
				i == 3 ? "not a gcov record: 'data 1 0 ' "
					 "(serial line 6)"
				       : "bad data line: want 'data INDEX "
					 "OFFSET HEX' with 2..128 lowercase "
					 "hex digits (serial line 6)";

			corrupt_line(&d, 5, bad[i], why);
		}
	}

	/* a CRC that does not match */
	snprintf(text, sizeof(text), "# gcov: file 1 60 %08x %s",
		 gcovr_crc32(0, good[1].buf, 60) ^ 0x10, p1);
	snprintf(want, sizeof(want),
		 "file 1 (%s): CRC %08x, expected %08x (serial line 6)", p1,
		 gcovr_crc32(0, good[1].buf, 60),
		 gcovr_crc32(0, good[1].buf, 60) ^ 0x10);
	corrupt_line(&d, 4, text, want);
	/* one byte changed in the data */
	dump_copy(&e, &d);
	e.lines[5][strlen(e.lines[5]) - 1] ^= 1;
	{
		unsigned char m[60];

		memcpy(m, good[1].buf, 60);
		m[59] ^= 1;
		snprintf(want, sizeof(want),
			 "file 1 (%s): CRC %08x, expected %08x (serial line "
			 "6)",
			 p1, gcovr_crc32(0, m, 60),
			 gcovr_crc32(0, good[1].buf, 60));
	}
	expect_corrupt(&e, want);
	dump_free(&e);

	/* lengths: an overrun, too short, out of range */
	snprintf(text, sizeof(text), "# gcov: file 1 59 %08x %s",
		 gcovr_crc32(0, good[1].buf, 59), p1);
	snprintf(want, sizeof(want),
		 "file 1 (%s): data up to byte 60, past its length 59 "
		 "(serial line 6)",
		 p1);
	corrupt_line(&d, 4, text, want);
	snprintf(text, sizeof(text), "# gcov: file 1 61 %08x %s",
		 gcovr_crc32(0, good[1].buf, 60), p1);
	snprintf(want, sizeof(want),
		 "file 1 (%s): 60 of 61 bytes, then the next file (serial "
		 "line 7)",
		 p1);
	corrupt_line(&d, 4, text, want);
	snprintf(text, sizeof(text), "# gcov: file 1 11 00000000 %s", p1);
	corrupt_line(&d, 4, text,
		     "file 1: length 11 not in 12..8388608 (serial line 5)");
	snprintf(text, sizeof(text), "# gcov: file 1 8388609 00000000 %s", p1);
	corrupt_line(&d, 4, text,
		     "file 1: length 8388609 not in 12..8388608 (serial line "
		     "5)");
	snprintf(text, sizeof(text), "# gcov: file 1 060 00000000 %s", p1);
	corrupt_line(&d, 4, text,
		     "bad file line: want 'file INDEX LENGTH CRC PATH' (serial "
		     "line 5)");
	snprintf(text, sizeof(text), "# gcov: file 1 60 ABCDEF01 %s", p1);
	corrupt_line(&d, 4, text,
		     "bad file line: want 'file INDEX LENGTH CRC PATH' (serial "
		     "line 5)");

	/* the end: missing, wrong, early */
	snprintf(want, sizeof(want),
		 "cut short: no end line after 3 of 3 files");
	corrupt_line(&d, 12, NULL, want);
	corrupt_line(&d, 12, "# gcov: end objects=3 bytes=465",
		     "end line says objects=3 bytes=465, the dump had "
		     "objects=3 bytes=464 (serial line 13)");
	corrupt_line(&d, 12, "# gcov: end objects=2 bytes=464",
		     "end line says objects=2 bytes=464, the dump had "
		     "objects=3 bytes=464 (serial line 13)");
	corrupt_line(&d, 12, "# gcov: end objects=3",
		     "bad end line: want 'end objects=N bytes=TOTAL' (serial "
		     "line 13)");
	corrupt_line(&d, 6, "# gcov: end objects=3 bytes=188",
		     "end line after 2 of 3 files (serial line 7)");
	snprintf(want, sizeof(want),
		 "file 2 (%s): 64 of 276 bytes, then the end line (serial "
		 "line 9)",
		 good[2].path);
	corrupt_line(&d, 8, "# gcov: end objects=3 bytes=464", want);

	/* begin: inside a dump, twice, bad counts, lines before it */
	corrupt_line(&d, 5, "# gcov: begin objects=3",
		     "a begin line inside the dump (serial line 6)");
	dump_copy(&e, &d);
	for (int i = 0; i < d.n; i++)
		dump_add(&e, "%s", d.lines[i]);
	expect_corrupt(&e, "a second dump in one run (serial line 14)");
	dump_free(&e);
	dump_copy(&e, &d);
	dump_add(&e, "# gcov: data 2 276 00");
	expect_corrupt(&e, "'data 2 276 00' after the end line (serial line "
			   "14)");
	dump_free(&e);
	corrupt_line(&d, 0, "# gcov: begin objects=0",
		     "bad begin line: want objects=1..4096 (serial line 1)");
	corrupt_line(&d, 0, "# gcov: begin objects=4097",
		     "bad begin line: want objects=1..4096 (serial line 1)");
	corrupt_line(&d, 0, "# gcov: begin objects=03",
		     "bad begin line: want objects=1..4096 (serial line 1)");
	corrupt_line(&d, 0, "# gcov: begin objects=2",
		     "more files than the 2 of the begin line (serial line 7)");
	snprintf(want, sizeof(want),
		 "'file 0 128 %08x %s' before any begin line (serial line 1)",
		 gcovr_crc32(0, good[0].buf, 128), p0);
	corrupt_line(&d, 0, NULL, want);
	dump_copy(&e, &d);
	dump_del(&e, 1);
	expect_corrupt(&e, "a data line before any file line (serial line 2)");
	dump_free(&e);

	/* the same path twice */
	snprintf(text, sizeof(text), "# gcov: file 1 60 %08x %s",
		 gcovr_crc32(0, good[1].buf, 60), p0);
	snprintf(want, sizeof(want),
		 "file 1 (%s): the same path as file 0 (serial line 5)", p0);
	corrupt_line(&d, 4, text, want);

	/* bytes that pass the CRC but are no .gcda */
	{
		struct tfile bad[1];

		memcpy(bad, &good[1], sizeof(bad));
		put32(bad[0].buf + 4, 0x4231322a); /* "B12*": GCC 11 */
		dump_make(&e, bad, 1, 64);
		snprintf(want, sizeof(want),
			 "file 0 (%s): not a GCC 12 .gcda: version B12 is GCC "
			 "11, whose record lengths count words, not bytes "
			 "(serial line 3)",
			 p1);
		expect_corrupt(&e, want);
		dump_free(&e);
	}

	/* the existing file was never touched */
	UT_CHECK(same_file(p0, good[0].buf, good[0].len));
	UT_CHECK_EQ(gcovr_init(&g, root), 0);
	UT_CHECK_EQ(gcovr_write(&g), -1); /* nothing to write */
	UT_CHECK_STR(g.reason, "no complete dump to write");
	gcovr_free(&g);
	dump_free(&d);
	rm_root();
}

static void test_paths(void)
{
	static const struct {
		const char *fmt; /* %s is the root */
		const char *why;
	} bad[] = {
		{"%s/../etc/x.gcda", "path is not under the coverage root"},
		{"/etc/x.gcda", "path is not under the coverage root"},
		{"%s.gcda", "path is not under the coverage root"},
		{"%sx/y.gcda", "path is not under the coverage root"},
		{"%s/a/../../x.gcda", "path is not under the coverage root"},
		{"/../../x.gcda", "path is not under the coverage root"},
		{"%s/.gcda/..", "path does not end in .gcda"},
		{"%s/x.gcno", "path does not end in .gcda"},
		{"rel/x.gcda", "path is not absolute"},
		{"%s/a\tb.gcda",
		 "path has a blank or a byte that is not printable ASCII"},
		{"%s/\x80.gcda",
		 "path has a blank or a byte that is not printable ASCII"},
	};
	char path[512], text[700], want[700], q[128];
	struct dump d;
	struct gcovr g;

	UT_CHECK(new_root());
	make_good(1, 1);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		dump_make(&d, good, 1, 64);
		snprintf(path, sizeof(path), bad[i].fmt, root);
		snprintf(text, sizeof(text), "# gcov: file 0 128 %08x %s",
			 gcovr_crc32(0, good[0].buf, 128), path);
		dump_set(&d, 1, text);
		snprintf(q, sizeof(q), "%.60s%s", path,
			 strlen(path) > 60 ? "..." : "");
		for (char *c = q; *c; c++)
			if ((unsigned char)*c < 0x20 ||
			    (unsigned char)*c > 0x7e)
				*c = '?';
		snprintf(want, sizeof(want), "file 0 (%s): %s (serial line 2)",
			 q, bad[i].why);
		expect_corrupt(&d, want);
		dump_free(&d);
	}

	/* a blank splits the line: not a file line any more */
	dump_make(&d, good, 1, 64);
	snprintf(text, sizeof(text), "# gcov: file 0 128 %08x %s/a b.gcda",
		 gcovr_crc32(0, good[0].buf, 128), root);
	dump_set(&d, 1, text);
	expect_corrupt(&d, "bad file line: want 'file INDEX LENGTH CRC PATH' "
			   "(serial line 2)");
	dump_free(&d);

	/* 256 bytes is one too many */
	dump_make(&d, good, 1, 64);
	snprintf(path, sizeof(path), "%s/", root);
	while (strlen(path) < 251)
		strcat(path, "p");
	strcat(path, ".gcda");
	UT_CHECK_EQ(strlen(path), 256);
	snprintf(text, sizeof(text), "# gcov: file 0 128 %08x %s",
		 gcovr_crc32(0, good[0].buf, 128), path);
	dump_set(&d, 1, text);
	snprintf(want, sizeof(want),
		 "file 0 (%.60s...): path longer than 255 bytes (serial line "
		 "2)",
		 path);
	expect_corrupt(&d, want);
	dump_free(&d);

	/* "//", "." and ".." inside the root are resolved, then written */
	snprintf(good[0].path, sizeof(good[0].path), "%s//n/./o/../x.gcda",
		 root);
	dump_make(&d, good, 1, 64);
	UT_CHECK_EQ(receive(&g, &d), 1);
	UT_CHECK_EQ(gcovr_write(&g), 0);
	snprintf(path, sizeof(path), "%s/n/x.gcda", root);
	UT_CHECK(same_file(path, good[0].buf, good[0].len));
	gcovr_free(&g);
	dump_free(&d);

	/* the root must be absolute; "/" takes every absolute path */
	UT_CHECK_EQ(gcovr_init(&g, "tmp"), -1);
	UT_CHECK_EQ(g.state, GCOVR_CORRUPT);
	UT_CHECK_EQ(gcovr_init(&g, "/.."), -1);
	UT_CHECK_EQ(gcovr_init(&g, "/"), 0);
	UT_CHECK_STR(g.root, "");
	make_good(1, 1);
	dump_make(&d, good, 3, 64);
	feed(&g, &d, d.n);
	UT_CHECK_EQ(gcovr_finish(&g), 3);
	gcovr_free(&g);
	dump_free(&d);
	rm_root();
}

#define LINE(g, s) gcovr_line(g, s, strlen(s))

static void test_no_dump(void)
{
	struct gcovr g;

	UT_CHECK(new_root());
	UT_CHECK_EQ(gcovr_init(&g, root), 0);
	UT_CHECK_EQ(gcovr_finish(&g), 0);
	LINE(&g, "TAP version 14\n");
	LINE(&g, "ok 1 - # gcov: not at the start\n");
	LINE(&g, "# gcov\n");
	LINE(&g, "#  gcov: begin objects=1\n");
	LINE(&g, "# gcov:\r\n");
	UT_CHECK_EQ(gcovr_finish(&g), 0);
	UT_CHECK_EQ(g.state, GCOVR_NO_DUMP);
	UT_CHECK_EQ(g.line_no, 5);
	UT_CHECK_EQ(gcovr_write(&g), -1);
	UT_CHECK_EQ(g.written, 0);
	gcovr_free(&g);

	/* a NUL or other control byte in a record is shown as '?' */
	UT_CHECK_EQ(gcovr_init(&g, root), 0);
	gcovr_line(&g, "# gcov: begin\0objects=1\n", 24);
	UT_CHECK_EQ(gcovr_finish(&g), -1);
	UT_CHECK_STR(g.reason, "'begin?objects=1' before any begin line "
			       "(serial line 1)");
	gcovr_free(&g);
	rm_root();
}

/* A dump cut after every line: "no dump" or corrupt, never files. */
static void test_truncation(void)
{
	char *before;
	struct dump d;
	struct gcovr g;

	UT_CHECK(new_root());
	make_good(5, 1);
	dump_make(&d, good, 3, 0);
	before = snapshot();
	for (int k = 0; k <= d.n; k++) {
		UT_CHECK_EQ(gcovr_init(&g, root), 0);
		feed(&g, &d, k);
		if (k == 0)
			UT_CHECK_EQ(gcovr_finish(&g), 0);
		else if (k < d.n)
			UT_CHECK_EQ(gcovr_finish(&g), -1);
		else
			UT_CHECK_EQ(gcovr_finish(&g), 3);
		if (k < d.n) {
			char *after;

			UT_CHECK_EQ(gcovr_write(&g), -1);
			after = snapshot();
			UT_CHECK_STR(after, before);
			free(after);
			UT_CHECK(k == 0 ||
				 !strncmp(g.reason, "cut short: ", 11));
		}
		gcovr_free(&g);
	}
	/* a last line cut inside */
	UT_CHECK_EQ(gcovr_init(&g, root), 0);
	feed(&g, &d, 3);
	gcovr_line(&g, d.lines[3], 30);
	UT_CHECK_EQ(gcovr_finish(&g), -1);
	gcovr_free(&g);
	free(before);
	dump_free(&d);
	rm_root();
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: the same mutations on every run */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* After a mutated dump: is every file under root one of the good ones? */
static int check_one(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	static unsigned char got[8192];
	size_t n;
	bool known = false;

	if (type != FTW_F)
		return 0;
	n = read_file(path, got, sizeof(got));
	for (int i = 0; i < 3; i++)
		known = known ||
			(n == good[i].len && !memcmp(got, good[i].buf, n));
	UT_CHECK(known);
	if (!known)
		printf("    # unexpected file %s\n", path);
	return 0;
}

static void mutate(struct dump *d)
{
	int i = (int)(rng() % (uint64_t)d->n);
	char *l = d->lines[i];
	size_t len = strlen(l);
	unsigned what = (unsigned)(rng() % 8);

	if (!len && (what < 2 || what == 6))
		what = 7; /* nothing to change in an empty line */
	switch (what) {
	case 0: /* a byte: anything but the line end */
	case 1: {
		char c = (char)(1 + rng() % 255);

		l[rng() % len] = c == '\n' ? 'x' : c;
		break;
	}
	case 2: /* a digit or hex digit nudged */
		for (size_t j = len; j-- > 8;)
			if (l[j] >= '0' && l[j] <= '8' && rng() % 4 == 0) {
				l[j]++;
				break;
			}
		break;
	case 3:
		dump_del(d, i);
		break;
	case 4:
		dump_insert(d, i, "%s", l);
		break;
	case 5: {
		int j = (int)(rng() % (uint64_t)d->n);
		char *t = d->lines[i];

		d->lines[i] = d->lines[j];
		d->lines[j] = t;
		break;
	}
	case 6:
		l[rng() % len] = '\0';
		break;
	default:
		dump_insert(d, i, "# gcov: %s %u %u %08x",
			    i % 2 ? "data" : "file", (unsigned)(rng() % 4),
			    (unsigned)(rng() % 300), (unsigned)rng());
		break;
	}
}

static void test_mutations(void)
{
	unsigned complete = 0, corrupt = 0;
	struct dump good_dump, d;
	struct gcovr g;

	UT_CHECK(new_root());
	make_good(9, 1);
	dump_make(&good_dump, good, 3, 0);
	for (int it = 0; it < 4000; it++) {
		int rounds = 1 + (int)(rng() % 3);
		int rc;

		dump_copy(&d, &good_dump);
		for (int r = 0; r < rounds && d.n > 0; r++)
			mutate(&d);
		UT_CHECK_EQ(gcovr_init(&g, root), 0);
		feed(&g, &d, d.n);
		rc = gcovr_finish(&g);
		if (rc > 0) {
			complete++;
			gcovr_write(&g);
			nftw(root, check_one, 16, FTW_PHYS);
			clear_root();
		} else {
			corrupt += rc < 0;
			UT_CHECK_EQ(gcovr_write(&g), -1);
		}
		gcovr_free(&g);
		dump_free(&d);
	}
	/* most mutations break the dump; a few are harmless */
	UT_CHECK(corrupt > 3500);
	printf("    # %u of 4000 mutated dumps still whole, %u corrupt\n",
	       complete, corrupt);
	dump_free(&good_dump);
	rm_root();
}

static void test_parse_gcda(void)
{
	static const unsigned two[] = {2};
	unsigned char b[256], *p;
	struct gcovr_gcda d;
	char err[200];
	size_t len;

	memset(b, 0xee, sizeof(b));
	len = gcda(b, 3, 1, two, 1);

	UT_CHECK_EQ(gcovr_parse_gcda(b, len, &d, err, sizeof(err)), 0);
	UT_CHECK_EQ(d.version, VERSION_12);
	UT_CHECK_EQ(d.stamp, 3);
	UT_CHECK_EQ(d.checksum, CHECKSUM);
	UT_CHECK_EQ(d.nrecs, 2);
	UT_CHECK(!d.end_mark);
	gcovr_gcda_free(&d);

#define BAD(n, why)                                                            \
	do {                                                                   \
		UT_CHECK_EQ(gcovr_parse_gcda(b, n, &d, err, sizeof(err)), -1); \
		UT_CHECK_STR(err, why);                                        \
		UT_CHECK(d.recs == NULL);                                      \
	} while (0)

	BAD(12, "12 bytes, less than a header");
	BAD(len - 1, "record at byte 36 runs past the end of the file");
	BAD(len + 4, "4 stray bytes at the end (byte 60)");
	memset(b + len, 0, 4);
	UT_CHECK_EQ(gcovr_parse_gcda(b, len + 4, &d, err, sizeof(err)), 0);
	UT_CHECK(d.end_mark);
	gcovr_gcda_free(&d);
	BAD(len + 3, "3 stray bytes at the end (byte 60)");

	put32(b + 36, GCOVR_TAG_COUNTER + (8u << 17));
	BAD(len, "unknown record tag 01b10000 at byte 36");
	put32(b + 36, GCOVR_TAG_COUNTER + (7u << 17) + 4);
	BAD(len, "unknown record tag 01af0004 at byte 36");
	put32(b + 36, GCOVR_TAG_COUNTER);
	put32(b + 40, 12);
	BAD(len,
	    "counter record at byte 36 has length 12, not a multiple of 8");
	put32(b + 40, (uint32_t)-12);
	BAD(len, "counter record at byte 36 has length -12, not a multiple of "
		 "8");
	/* -(8 MiB) of zeros would grow past any .gcda when merged */
	put32(b + 40, 0u - (8u << 20));
	BAD(44, "record at byte 36 claims more than 8 MiB of counters");
	put32(b + 40, (uint32_t)-16);
	UT_CHECK_EQ(gcovr_parse_gcda(b, 44, &d, err, sizeof(err)), 0);
	UT_CHECK(d.nrecs == 2 && d.recs[1].zeros && d.recs[1].n == 2);
	gcovr_gcda_free(&d);
	put32(b + 40, 16);

	put32(b + 20, 8);
	BAD(len, "function record at byte 16 has length 8");
	put32(b + 20, 12);
	put32(b + 16, GCOVR_TAG_SUMMARY);
	BAD(len, "summary record at byte 16 has length 12");
	/* a function copy without counters (length 0), then counters */
	p = put32(put32(b + 16, GCOVR_TAG_FUNCTION), 0);
	put32(put32(p, GCOVR_TAG_COUNTER), 0);
	BAD(32, "counters at byte 24 belong to no function");
	put32(put32(p, GCOVR_TAG_FUNCTION), 0); /* two such copies are fine */
	UT_CHECK_EQ(gcovr_parse_gcda(b, 32, &d, err, sizeof(err)), 0);
	UT_CHECK_EQ(d.nrecs, 2);
	gcovr_gcda_free(&d);

	gcda(b, 3, 1, two, 1);
	put32(b + 4, 0x4232322a - 0x01000000); /* "A22*" */
	BAD(len, "version A22 is GCC 2, whose record lengths count words, "
		 "not bytes");
	put32(b + 4, 0x12345678);
	BAD(len, "version word 12345678 is not GCC's");
	put32(b, 0x6f6e6367);
	BAD(len, "magic 6f6e6367, not gcda");
#undef BAD
}

/*
 * The 64 MiB bound: eight files of nearly 8 MiB fill it; a ninth file
 * line is refused before anything is allocated for it.
 */
static void test_memory_bound(void)
{
	const size_t len = 44 + 8 * 1048570; /* 8388604 */
	unsigned char *b = calloc(len, 1);
	char line[256], path[128];
	struct gcovr g;
	uint32_t crc;

	UT_CHECK(b && new_root());
	if (!b)
		return;
	put32(b, GCOVR_MAGIC);
	put32(b + 4, VERSION_12);
	put32(b + 16, GCOVR_TAG_FUNCTION);
	put32(b + 20, 12);
	put32(b + 36, GCOVR_TAG_COUNTER);
	put32(b + 40, 8 * 1048570);
	crc = gcovr_crc32(0, b, len);
	UT_CHECK_EQ(gcovr_init(&g, root), 0);
	gcovr_line(&g, "# gcov: begin objects=9", 23);
	for (unsigned f = 0; f < 8; f++) {
		snprintf(path, sizeof(path), "%s/m%u.gcda", root, f);
		snprintf(line, sizeof(line), "# gcov: file %u %zu %08x %s", f,
			 len, crc, path);
		gcovr_line(&g, line, strlen(line));
		for (size_t off = 0; off < len; off += 64) {
			size_t c = len - off < 64 ? len - off : 64;
			int n = snprintf(line, sizeof(line),
					 "# gcov: data %u %zu ", f, off);

			for (size_t j = 0; j < c; j++) {
				line[n++] = "0123456789abcdef"[b[off + j] >> 4];
				line[n++] = "0123456789abcdef"[b[off + j] & 15];
			}
			gcovr_line(&g, line, (size_t)n);
		}
	}
	UT_CHECK_EQ(g.state, GCOVR_RECEIVING);
	UT_CHECK_EQ(g.total, 8 * len);
	snprintf(line, sizeof(line), "# gcov: file 8 60 00000000 %s/n.gcda",
		 root);
	gcovr_line(&g, line, strlen(line));
	UT_CHECK_EQ(g.state, GCOVR_CORRUPT);
	UT_CHECK(strstr(g.reason, "file 8: the dump exceeds 64 MiB") != NULL);
	UT_CHECK(g.files == NULL);
	gcovr_free(&g);
	free(b);
	rm_root();
}

UT_MAIN(UT_TEST(test_crc32), UT_TEST(test_roundtrip), UT_TEST(test_merge),
	UT_TEST(test_merge_details), UT_TEST(test_stale_and_malformed),
	UT_TEST(test_corruption), UT_TEST(test_paths), UT_TEST(test_no_dump),
	UT_TEST(test_truncation), UT_TEST(test_mutations),
	UT_TEST(test_parse_gcda), UT_TEST(test_memory_bound))
