/*
 * test_gcov_rec.c - unit tests for the coverage dump's good path
 * (host/runner/gcov_rec.c, gcov_gcda.c): CRC-32 against known values,
 * good dumps written byte for byte, merging into an existing .gcda like
 * libgcov (saturation, all-zero records, the summary), stale and
 * malformed files replaced, and the .gcda parser: a good file, then its
 * refusals one by one.
 * What a dump that is refused must do is in test_gcov_rec_corrupt.c and
 * test_gcov_rec_hostile.c; shared helpers in gcov_rig.h.
 */
#define _GNU_SOURCE /* nftw's FTW_PHYS and FTW_DEPTH */
#include "tests/unit/gcov_rig.h"

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

UT_MAIN(UT_TEST(test_crc32), UT_TEST(test_roundtrip), UT_TEST(test_merge),
	UT_TEST(test_merge_details), UT_TEST(test_stale_and_malformed),
	UT_TEST(test_parse_gcda))
