/*
 * test_gcov_rec_corrupt.c - unit tests for the coverage dump's refusals
 * (host/runner/gcov_rec.c): the good dump altered one line at a time in
 * every way the grammar and the per-dump state machine forbid, each
 * refused with exactly its reason and nothing written, and paths that
 * try to leave the coverage root. The exact reasons are checked because
 * they are what a student reads when a coverage run goes wrong.
 */
#define _GNU_SOURCE /* nftw's FTW_PHYS and FTW_DEPTH */
#include "tests/unit/gcov_rig.h"

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

UT_MAIN(UT_TEST(test_corruption), UT_TEST(test_paths))
