/*
 * fuzz_gcov_rec.c - the runner's receiver of the guest's coverage dump.
 *
 * What it attacks: host/runner/gcov_rec.c and gcov_rec_fields.c (the
 * "# gcov:" record stream on COM1: begin, file, data, end; indices,
 * offsets, lengths, CRC-32, paths) and gcov_gcda.c (parsing, merging
 * and writing GCC 12 .gcda files). The coverage root is a directory of
 * a per-process temporary tree, emptied before every input; next to it
 * lies a decoy directory that nothing may ever touch.
 *
 * Input: byte 0 is a mode, the rest is COM1 text, one line per '\n'
 * ("$ROOT" opening a file line's path stands for the root). In
 * mode bit 0 = 0 the harness first rewrites the CRC field of every
 * "# gcov: file" line to the CRC-32 of the data its index will receive,
 * so that the fuzzer, which cannot compute CRCs, gets past them and into
 * the .gcda parser and writer; with bit 0 = 1 the text goes in as it is.
 * Bit 1 feeds the stream twice (a second dump in one run is an error;
 * after a write the second dump merges into the files of the first).
 *
 * Invariants, each an abort():
 *  - no "# gcov: " line at all: gcovr_finish says "no dump" (0) and
 *    gcovr_write writes nothing; with one, never "no dump";
 *  - a dump is either fully verified or discarded: when gcovr_finish
 *    counts N files, each has every byte, its CRC right, a normalised
 *    path strictly under the root, a .gcda that gcovr_parse_gcda accepts,
 *    and gcovr_write then puts every one of them at its path; when it
 *    says corrupt, there is a reason and gcovr_write writes nothing;
 *  - nothing is ever created outside the root (the decoy stays empty),
 *    and no PATH.tmp file is left behind.
 */
#define _GNU_SOURCE /* nftw's FTW_PHYS and FTW_DEPTH */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/runner/gcov_rec.h"
#include "host/runner/gcov_rec_fields.h"

#include "fuzz/fuzz_check.h"

#define MAX_IDX	  64 /* files whose CRC the harness fixes up */
#define PFX_LEN	  (sizeof(GCOVR_PREFIX "file ") - 1)
#define ROOT_MARK "$ROOT" /* in a file line's path: the root, whatever it is   \
			   */

static char top[64], root[96], decoy[96];
static struct gcovr G;
static unsigned long entries; /* counted by the tree walk */
static bool tmp_left;

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *f)
{
	if (f->level > 0)
		remove(path);
	return 0;
}

static int count_one(const char *path, const struct stat *st, int flag,
		     struct FTW *f)
{
	size_t n = strlen(path);

	if (f->level > 0)
		entries++;
	/* The writer's PATH.tmp; a guest may name a directory "x.tmp". */
	if (flag == FTW_F && n > 9 && !strcmp(path + n - 9, ".gcda.tmp"))
		tmp_left = true;
	return 0;
}

static unsigned long tree_entries(const char *dir)
{
	entries = 0;
	tmp_left = false;
	CHECK(nftw(dir, count_one, 16, FTW_PHYS) == 0);
	return entries;
}

/* At exit (end of a fuzzing run) the tree goes; after a crash it stays. */
static void cleanup(void)
{
	nftw(top, rm_one, 16, FTW_PHYS | FTW_DEPTH);
	rmdir(top);
}

static void setup_once(void)
{
	if (top[0])
		return;
	snprintf(top, sizeof(top), "/tmp/fuzz_gcov_rec.XXXXXX");
	CHECK(mkdtemp(top) != NULL);
	snprintf(root, sizeof(root), "%s/root", top);
	snprintf(decoy, sizeof(decoy), "%s/decoy", top);
	CHECK(mkdir(root, 0700) == 0 && mkdir(decoy, 0700) == 0);
	atexit(cleanup);
}

/* Field k (0-based, blank-separated) after the prefix: start and length. */
static bool field(const char *s, size_t len, unsigned k, size_t *at,
		  size_t *flen)
{
	size_t i = strlen(GCOVR_PREFIX);

	for (;;) {
		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			return false;
		*at = i;
		while (i < len && s[i] != ' ')
			i++;
		*flen = i - *at;
		if (!k--)
			return true;
	}
}

static unsigned long index_of(const char *s, size_t len)
{
	size_t at, n;

	if (!field(s, len, 1, &at, &n))
		return MAX_IDX;
	return strtoul(s + at, NULL, 10);
}

/* The CRC of the data lines of each index, in the order they come. */
static void fix_crcs(char *text, size_t len)
{
	uint32_t crc[MAX_IDX] = {0};
	unsigned char b[256];
	size_t pos, end, at, n, i;

	for (pos = 0; pos < len; pos = end + 1) {
		unsigned long idx;
		size_t nb = 0;

		for (end = pos; end < len && text[end] != '\n'; end++)
			;
		if (strncmp(text + pos, GCOVR_PREFIX "data ", PFX_LEN) ||
		    end - pos < PFX_LEN)
			continue;
		idx = index_of(text + pos, end - pos);
		if (idx >= MAX_IDX || !field(text + pos, end - pos, 3, &at, &n))
			continue;
		/* the receiver's own decoder, a byte at a time: the CRC
		 * covers the bytes up to the first pair it would refuse */
		for (i = 0; i + 1 < n && nb < sizeof(b); i += 2, nb++)
			if (!gcovr_unhex(text + pos + at + i, 2, b + nb))
				break;
		crc[idx] = gcovr_crc32(crc[idx], b, nb);
	}
	for (pos = 0; pos < len; pos = end + 1) {
		unsigned long idx;
		char hex[9];

		for (end = pos; end < len && text[end] != '\n'; end++)
			;
		if (end - pos < PFX_LEN ||
		    strncmp(text + pos, GCOVR_PREFIX "file ", PFX_LEN))
			continue;
		idx = index_of(text + pos, end - pos);
		if (idx >= MAX_IDX ||
		    !field(text + pos, end - pos, 3, &at, &n) || n != 8)
			continue;
		snprintf(hex, sizeof(hex), "%08x", (unsigned)crc[idx]);
		memcpy(text + pos + at, hex, 8);
	}
}

/*
 * A copy of the input with ROOT_MARK at the start of a file line's path
 * replaced by the root: seeds name paths under a root whose name is only
 * known at run time (mkdtemp).
 */
static char *with_root(const char *in, size_t len, size_t *out_len)
{
	size_t rl = strlen(root), ml = strlen(ROOT_MARK), pos, end, at, n;
	size_t o = 0, marks = 0;
	char *out;

	for (pos = 0; pos + ml <= len; pos++)
		marks += !memcmp(in + pos, ROOT_MARK, ml);
	out = malloc(len + marks * rl + 1);
	CHECK(out != NULL);
	for (pos = 0; pos < len; pos = end + 1) {
		bool sub = false;

		for (end = pos; end < len && in[end] != '\n'; end++)
			;
		if (end - pos >= PFX_LEN &&
		    !strncmp(in + pos, GCOVR_PREFIX "file ", PFX_LEN) &&
		    field(in + pos, end - pos, 4, &at, &n) && n >= ml &&
		    !memcmp(in + pos + at, ROOT_MARK, ml))
			sub = true;
		if (sub) {
			memcpy(out + o, in + pos, at);
			o += at;
			memcpy(out + o, root, rl);
			o += rl;
			memcpy(out + o, in + pos + at + ml,
			       end - pos - at - ml);
			o += end - pos - at - ml;
		} else {
			memcpy(out + o, in + pos, end - pos);
			o += end - pos;
		}
		if (end < len)
			out[o++] = '\n';
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

static void feed(char *text, size_t len)
{
	size_t pos, end;

	for (pos = 0; pos < len; pos = end + 1) {
		for (end = pos; end < len && text[end] != '\n'; end++)
			;
		gcovr_line(&G, text + pos, end - pos);
	}
}

/* A complete dump: every file whole, right, under the root, parseable. */
static void check_complete(int nfiles)
{
	struct gcovr_gcda d;
	char err[256];
	int i;

	CHECK(G.state == GCOVR_COMPLETE && nfiles == (int)G.nfiles);
	for (i = 0; i < nfiles; i++) {
		const struct gcovr_file *f = &G.files[i];

		CHECK(f->got == f->len && f->len >= GCOVR_MIN_LEN);
		CHECK(gcovr_crc32(0, f->data, f->len) == f->crc);
		CHECK(!strncmp(f->path, root, strlen(root)) &&
		      f->path[strlen(root)] == '/' &&
		      f->path[strlen(root) + 1] != '\0');
		CHECK(!strstr(f->path, "/../") && !strstr(f->path, "/./") &&
		      !strstr(f->path, "//"));
		CHECK(gcovr_parse_gcda(f->data, f->len, &d, err, sizeof(err)) ==
		      0);
		gcovr_gcda_free(&d);
	}
}

static void check_written(void)
{
	struct stat st;
	unsigned i;

	for (i = 0; i < G.nfiles; i++)
		CHECK(stat(G.files[i].path, &st) == 0 && S_ISREG(st.st_mode));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	bool ours = false;
	size_t len, pos;
	unsigned rounds, r;
	int rc;

	if (size < 1)
		return 0;
	setup_once();
	nftw(root, rm_one, 16, FTW_PHYS | FTW_DEPTH);
	CHECK(tree_entries(root) == 0);
	text = with_root((const char *)data + 1, size - 1, &len);
	if (!(data[0] & 1))
		fix_crcs(text, len);
	for (pos = 0; pos < len; pos++)
		if ((pos == 0 || text[pos - 1] == '\n') &&
		    len - pos >= strlen(GCOVR_PREFIX) &&
		    !strncmp(text + pos, GCOVR_PREFIX, strlen(GCOVR_PREFIX)))
			ours = true;

	rounds = data[0] & 2 ? 2 : 1;
	for (r = 0; r < rounds; r++) {
		unsigned long before = tree_entries(root);

		CHECK(gcovr_init(&G, root) == 0);
		feed(text, len);
		rc = gcovr_finish(&G);
		CHECK(rc >= -1 && rc <= GCOVR_MAX_FILES);
		CHECK(ours == (rc != 0));
		if (rc > 0) {
			check_complete(rc);
			rc = gcovr_write(&G);
			CHECK(rc == 0 || (G.failed && G.reason[0]));
			if (rc == 0)
				check_written();
		} else {
			CHECK(rc == 0 || (G.state == GCOVR_CORRUPT ||
					  G.state == GCOVR_RECEIVING));
			CHECK(rc == 0 || G.reason[0]);
			CHECK(gcovr_write(&G) == -1 || rc == 0);
			CHECK(tree_entries(root) == before);
		}
		CHECK(tree_entries(decoy) == 0);
		tree_entries(root);
		CHECK(!tmp_left);
		CHECK(tree_entries(top) == 2 + tree_entries(root));
		gcovr_free(&G);
	}
	free(text);
	return 0;
}
