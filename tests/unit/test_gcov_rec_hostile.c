/*
 * test_gcov_rec_hostile.c - unit tests for the coverage dump receiver
 * (host/runner/gcov_rec.c) under a guest that sends too little, garbage
 * or too much: a run with no dump at all, a dump cut after every line,
 * a few thousand seeded random mutations (only the good files, or
 * nothing, may ever land under the root), and the 64 MiB bound on what
 * one dump may hold.
 */
#define _GNU_SOURCE /* nftw's FTW_PHYS and FTW_DEPTH */
#include "tests/unit/gcov_rig.h"

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

UT_MAIN(UT_TEST(test_no_dump), UT_TEST(test_truncation),
	UT_TEST(test_mutations), UT_TEST(test_memory_bound))
