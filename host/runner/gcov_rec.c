/*
 * gcov_rec.c - receiving the guest's coverage dump from COM1 (see
 * gcov_rec.h): the per-dump state machine (begin, file, data, end), the
 * first fault's reason, the end-of-run verdict and writing a complete
 * dump. How one field of a record is read is in gcov_rec_fields.c.
 *
 * Every check happens as the line arrives, so a reason can name the
 * serial line at fault, and a corrupt dump stops costing memory at once.
 */
#include "host/runner/gcov_rec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/runner/gcov_rec_fields.h"
#include "host/runner/util.h"

/* ---- state --------------------------------------------------------------- */

static void gcovr_drop(struct gcovr *g)
{
	if (g->files)
		for (unsigned i = 0; i < g->nfiles; i++)
			free(g->files[i].data);
	free(g->files);
	g->files = NULL;
}

/* The first fault wins: it is the cause, later ones are its echoes. */
static void gcovr_corrupt(struct gcovr *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void gcovr_corrupt(struct gcovr *g, const char *fmt, ...)
{
	va_list ap;

	if (g->state == GCOVR_CORRUPT)
		return;
	va_start(ap, fmt);
	vsnprintf(g->reason, sizeof(g->reason), fmt, ap);
	va_end(ap);
	g->state = GCOVR_CORRUPT;
	gcovr_drop(g);
}

int gcovr_init(struct gcovr *g, const char *root)
{
	memset(g, 0, sizeof(*g));
	g->state = GCOVR_NO_DUMP;
	if (root[0] != '/' || !util_strlcpy(g->root, root, sizeof(g->root)) ||
	    !gcovr_normalise(g->root)) {
		snprintf(g->reason, sizeof(g->reason),
			 "the coverage root must be an absolute directory "
			 "path of at most %d bytes",
			 GCOVR_ROOT_MAX - 1);
		g->state = GCOVR_CORRUPT;
		return -1;
	}
	g->root_len = strlen(g->root);
	if (g->root_len == 1) /* "/": every path is under it */
		g->root[--g->root_len] = '\0';
	return 0;
}

void gcovr_free(struct gcovr *g)
{
	gcovr_drop(g);
}

/* ---- records ------------------------------------------------------------- */

static void gcovr_begin(struct gcovr *g, const struct gcovr_field *f, int nf)
{
	uint64_t n;

	if (g->state == GCOVR_RECEIVING) {
		gcovr_corrupt(g,
			      "a begin line inside the dump (serial line %lu)",
			      g->line_no);
		return;
	}
	if (g->state == GCOVR_COMPLETE) {
		gcovr_corrupt(g, "a second dump in one run (serial line %lu)",
			      g->line_no);
		return;
	}
	if (nf != 2 || !gcovr_keyed(&f[1], "objects", GCOVR_MAX_FILES, &n) ||
	    n == 0) {
		gcovr_corrupt(g,
			      "bad begin line: want objects=1..%d (serial "
			      "line %lu)",
			      GCOVR_MAX_FILES, g->line_no);
		return;
	}
	g->files = calloc((size_t)n, sizeof(*g->files));
	if (!g->files) {
		gcovr_corrupt(g, "out of memory for %llu files",
			      (unsigned long long)n);
		return;
	}
	g->nfiles = (unsigned)n;
	g->state = GCOVR_RECEIVING;
}

/* The previous file, if any, must be whole before another line moves on. */
static bool gcovr_prev_whole(struct gcovr *g, const char *what)
{
	const struct gcovr_file *p;

	if (!g->cur)
		return true;
	p = &g->files[g->cur - 1];
	if (p->got == p->len)
		return true;
	gcovr_corrupt(g,
		      "file %u (%s): %u of %u bytes, then %s (serial line %lu)",
		      g->cur - 1, p->path, p->got, p->len, what, g->line_no);
	return false;
}

static void gcovr_file(struct gcovr *g, const struct gcovr_field *f, int nf)
{
	struct gcovr_file *file;
	uint64_t idx, len;
	unsigned char crc[4];
	const char *why;
	char q[80];

	if (nf != 5 || !gcovr_dec(f[1].p, f[1].n, UINT32_MAX, &idx) ||
	    !gcovr_dec(f[2].p, f[2].n, UINT32_MAX, &len) || f[3].n != 8 ||
	    !gcovr_unhex(f[3].p, 8, crc)) {
		gcovr_corrupt(g,
			      "bad file line: want 'file INDEX LENGTH CRC "
			      "PATH' (serial line %lu)",
			      g->line_no);
		return;
	}
	if (idx != g->cur) {
		gcovr_corrupt(g,
			      "file line for file %llu, expected file %u "
			      "(serial line %lu)",
			      (unsigned long long)idx, g->cur, g->line_no);
		return;
	}
	if (g->cur == g->nfiles) {
		gcovr_corrupt(g,
			      "more files than the %u of the begin line "
			      "(serial line %lu)",
			      g->nfiles, g->line_no);
		return;
	}
	if (!gcovr_prev_whole(g, "the next file"))
		return;
	file = &g->files[g->cur];
	if (len < GCOVR_MIN_LEN || len > GCOVR_MAX_LEN) {
		gcovr_corrupt(g,
			      "file %u: length %llu not in %d..%u (serial "
			      "line %lu)",
			      g->cur, (unsigned long long)len, GCOVR_MIN_LEN,
			      GCOVR_MAX_LEN, g->line_no);
		return;
	}
	if (g->total + len > GCOVR_MAX_TOTAL) {
		gcovr_corrupt(g,
			      "file %u: the dump exceeds %u MiB (serial line "
			      "%lu)",
			      g->cur, GCOVR_MAX_TOTAL >> 20, g->line_no);
		return;
	}
	if (!gcovr_path_ok(g, &f[4], file->path, &why)) {
		gcovr_corrupt(g, "file %u (%s): %s (serial line %lu)", g->cur,
			      gcovr_quote(f[4].p, f[4].n, q, sizeof(q)), why,
			      g->line_no);
		return;
	}
	for (unsigned i = 0; i < g->cur; i++)
		if (!strcmp(g->files[i].path, file->path)) {
			gcovr_corrupt(g,
				      "file %u (%s): the same path as file %u "
				      "(serial line %lu)",
				      g->cur, file->path, i, g->line_no);
			return;
		}
	file->data = malloc((size_t)len);
	if (!file->data) {
		gcovr_corrupt(g, "file %u: out of memory", g->cur);
		return;
	}
	file->len = (uint32_t)len;
	file->crc = (uint32_t)crc[0] << 24 | (uint32_t)crc[1] << 16 |
		    (uint32_t)crc[2] << 8 | crc[3];
	g->total += len;
	g->cur++;
}

/* A file's last byte arrived: its CRC, then whether it is a .gcda. */
static void gcovr_file_done(struct gcovr *g, struct gcovr_file *file)
{
	struct gcovr_gcda d;
	char why[200];

	if (file->crc_run != file->crc) {
		gcovr_corrupt(g,
			      "file %u (%s): CRC %08x, expected %08x (serial "
			      "line %lu)",
			      g->cur - 1, file->path, file->crc_run, file->crc,
			      g->line_no);
		return;
	}
	if (gcovr_parse_gcda(file->data, file->len, &d, why, sizeof(why))) {
		gcovr_corrupt(g,
			      "file %u (%s): not a GCC 12 .gcda: %s (serial "
			      "line %lu)",
			      g->cur - 1, file->path, why, g->line_no);
		return;
	}
	gcovr_gcda_free(&d);
}

static void gcovr_data(struct gcovr *g, const struct gcovr_field *f, int nf)
{
	unsigned char bytes[GCOVR_CHUNK_MAX];
	struct gcovr_file *file;
	uint64_t idx, off;
	size_t n;

	if (nf != 4 || !gcovr_dec(f[1].p, f[1].n, UINT32_MAX, &idx) ||
	    !gcovr_dec(f[2].p, f[2].n, UINT32_MAX, &off) || f[3].n < 2 ||
	    f[3].n > 2 * GCOVR_CHUNK_MAX ||
	    !gcovr_unhex(f[3].p, f[3].n, bytes)) {
		gcovr_corrupt(g,
			      "bad data line: want 'data INDEX OFFSET HEX' "
			      "with 2..%d lowercase hex digits (serial line "
			      "%lu)",
			      2 * GCOVR_CHUNK_MAX, g->line_no);
		return;
	}
	if (!g->cur) {
		gcovr_corrupt(g,
			      "a data line before any file line (serial "
			      "line %lu)",
			      g->line_no);
		return;
	}
	if (idx != g->cur - 1) {
		gcovr_corrupt(g,
			      "data line for file %llu, expected file %u "
			      "(serial line %lu)",
			      (unsigned long long)idx, g->cur - 1, g->line_no);
		return;
	}
	file = &g->files[idx];
	n = f[3].n / 2;
	if (off != file->got) {
		gcovr_corrupt(g,
			      "file %llu (%s): data at offset %llu, expected "
			      "%u (%s) (serial line %lu)",
			      (unsigned long long)idx, file->path,
			      (unsigned long long)off, file->got,
			      off > file->got ? "a gap" : "an overlap",
			      g->line_no);
		return;
	}
	if (off + n > file->len) {
		gcovr_corrupt(g,
			      "file %llu (%s): data up to byte %llu, past its "
			      "length %u (serial line %lu)",
			      (unsigned long long)idx, file->path,
			      (unsigned long long)(off + n), file->len,
			      g->line_no);
		return;
	}
	memcpy(file->data + off, bytes, n);
	file->crc_run = gcovr_crc32(file->crc_run, bytes, n);
	file->got += (uint32_t)n;
	if (file->got == file->len)
		gcovr_file_done(g, file);
}

static void gcovr_end(struct gcovr *g, const struct gcovr_field *f, int nf)
{
	uint64_t n, bytes;

	if (nf != 3 || !gcovr_keyed(&f[1], "objects", UINT32_MAX, &n) ||
	    !gcovr_keyed(&f[2], "bytes", UINT32_MAX, &bytes)) {
		gcovr_corrupt(g,
			      "bad end line: want 'end objects=N bytes=TOTAL' "
			      "(serial line %lu)",
			      g->line_no);
		return;
	}
	if (!gcovr_prev_whole(g, "the end line"))
		return;
	if (g->cur != g->nfiles) {
		gcovr_corrupt(g,
			      "end line after %u of %u files (serial line %lu)",
			      g->cur, g->nfiles, g->line_no);
		return;
	}
	if (n != g->nfiles || bytes != g->total) {
		gcovr_corrupt(g,
			      "end line says objects=%llu bytes=%llu, the dump "
			      "had objects=%u bytes=%llu (serial line %lu)",
			      (unsigned long long)n, (unsigned long long)bytes,
			      g->nfiles, (unsigned long long)g->total,
			      g->line_no);
		return;
	}
	g->state = GCOVR_COMPLETE;
}

void gcovr_line(struct gcovr *g, const char *line, size_t len)
{
	struct gcovr_field f[GCOVR_MAX_FIELDS];
	size_t plen = strlen(GCOVR_PREFIX);
	char q[80];
	int nf;

	g->line_no++;
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (len < plen || memcmp(line, GCOVR_PREFIX, plen) ||
	    g->state == GCOVR_CORRUPT)
		return;
	line += plen;
	len -= plen;
	if (!gcovr_split(line, len, f, &nf)) {
		gcovr_corrupt(g, "not a gcov record: '%s' (serial line %lu)",
			      gcovr_quote(line, len, q, sizeof(q)), g->line_no);
		return;
	}
	if (gcovr_is(&f[0], "begin")) {
		gcovr_begin(g, f, nf);
		return;
	}
	if (g->state == GCOVR_NO_DUMP) {
		gcovr_corrupt(g, "'%s' before any begin line (serial line %lu)",
			      gcovr_quote(line, len, q, sizeof(q)), g->line_no);
		return;
	}
	if (g->state == GCOVR_COMPLETE) {
		gcovr_corrupt(g, "'%s' after the end line (serial line %lu)",
			      gcovr_quote(line, len, q, sizeof(q)), g->line_no);
		return;
	}
	if (gcovr_is(&f[0], "file"))
		gcovr_file(g, f, nf);
	else if (gcovr_is(&f[0], "data"))
		gcovr_data(g, f, nf);
	else if (gcovr_is(&f[0], "end"))
		gcovr_end(g, f, nf);
	else
		gcovr_corrupt(g, "not a gcov record: '%s' (serial line %lu)",
			      gcovr_quote(line, len, q, sizeof(q)), g->line_no);
}

int gcovr_finish(struct gcovr *g)
{
	const struct gcovr_file *p;

	switch (g->state) {
	case GCOVR_NO_DUMP:
		return 0;
	case GCOVR_COMPLETE:
		return (int)g->nfiles;
	case GCOVR_CORRUPT:
		return -1;
	case GCOVR_RECEIVING:
		break;
	}
	if (!g->cur) {
		gcovr_corrupt(g, "cut short: no file after the begin line");
		return -1;
	}
	p = &g->files[g->cur - 1];
	if (p->got < p->len)
		gcovr_corrupt(g,
			      "cut short: file %u (%s) of %u stops at byte %u "
			      "of %u",
			      g->cur - 1, p->path, g->nfiles, p->got, p->len);
	else
		gcovr_corrupt(g, "cut short: no end line after %u of %u files",
			      g->cur, g->nfiles);
	return -1;
}

int gcovr_write(struct gcovr *g)
{
	char err[GCOVR_REASON_MAX];

	g->written = g->merged = g->replaced = g->failed = 0;
	if (g->state != GCOVR_COMPLETE) {
		if (g->state != GCOVR_CORRUPT)
			snprintf(g->reason, sizeof(g->reason),
				 "no complete dump to write");
		return -1;
	}
	for (unsigned i = 0; i < g->nfiles; i++) {
		const struct gcovr_file *file = &g->files[i];
		bool merged = false, replaced = false;

		if (gcovr_store(file->path, file->data, file->len, &merged,
				&replaced, g->note, g->note_ctx, err,
				sizeof(err))) {
			if (!g->failed++)
				util_strlcpy(g->reason, err, sizeof(g->reason));
			continue;
		}
		g->written++;
		g->merged += merged;
		g->replaced += replaced;
	}
	return g->failed ? -1 : 0;
}
