/*
 * gcov_rec.h - the guest's coverage dump on COM1, received, verified and
 * turned into .gcda files on the host.
 *
 * A kernel built for coverage ends its run by sending every object's
 * .gcda bytes as TAP comment lines (so that TAP readers skip them):
 *
 *	# gcov: begin objects=N
 *	# gcov: file I LEN CRC PATH
 *	# gcov: data I OFF HEX
 *	# gcov: end objects=N bytes=TOTAL
 *
 * The runner trusts nothing in it. gcovr_line takes every COM1 line and
 * checks each record as it arrives; the first fault (a malformed line, a
 * wrong index, an offset gap or overlap, a CRC mismatch, a path outside
 * the root, a second dump, ...) makes the whole dump corrupt, frees what
 * was buffered and keeps a one-line reason. Only a dump that ended
 * cleanly, with every file's CRC-32 right and every file a well-formed
 * GCC 12 .gcda, is ever written, by gcovr_write. At most GCOVR_MAX_TOTAL
 * bytes are held per dump, whatever the guest claims.
 *
 * Writing merges like libgcov at a program's exit: an existing .gcda of
 * the same compilation (same version, stamp, checksum and records) gets
 * the new counters added; one of another compilation is replaced.
 * (gcov_gcda.c has the .gcda side: parsing, merging, writing.)
 */
#ifndef PINPRICK_RUNNER_GCOV_REC_H
#define PINPRICK_RUNNER_GCOV_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GCOVR_PREFIX	 "# gcov: "
#define GCOVR_MAX_FILES	 4096
#define GCOVR_MIN_LEN	 12
#define GCOVR_MAX_LEN	 (8u << 20)  /* one .gcda */
#define GCOVR_MAX_TOTAL	 (64u << 20) /* all files of one dump */
#define GCOVR_PATH_MAX	 255
#define GCOVR_CHUNK_MAX	 64 /* bytes on one data line */
#define GCOVR_ROOT_MAX	 4096
#define GCOVR_REASON_MAX 512

enum gcovr_state {
	GCOVR_NO_DUMP,	 /* no "# gcov: " line yet: not an error */
	GCOVR_RECEIVING, /* between begin and end */
	GCOVR_COMPLETE,	 /* end seen and every file verified */
	GCOVR_CORRUPT,	 /* reason says why; nothing is kept */
};

struct gcovr_file {
	char path[GCOVR_PATH_MAX + 1]; /* normalised, under the root */
	uint32_t len;		       /* announced */
	uint32_t got;		       /* bytes received so far */
	uint32_t crc;		       /* announced */
	uint32_t crc_run;	       /* over the bytes received so far */
	unsigned char *data;	       /* len bytes */
};

/* Called once per remark made while writing ("PATH: stale ..."). */
typedef void (*gcovr_note_fn)(void *ctx, const char *msg);

struct gcovr {
	char root[GCOVR_ROOT_MAX]; /* normalised, no trailing '/' ("" = /) */
	size_t root_len;
	enum gcovr_state state;
	unsigned long line_no; /* lines seen, for reasons */
	unsigned nfiles;       /* N of the begin line */
	unsigned cur;	       /* file lines seen so far */
	uint64_t total;	       /* sum of the announced lengths */
	struct gcovr_file *files;
	char reason[GCOVR_REASON_MAX];
	/* filled by gcovr_write */
	unsigned written, merged, replaced, failed;
	gcovr_note_fn note; /* NULL: no remarks */
	void *note_ctx;
};

/*
 * Starts with no dump seen. root is the directory every .gcda path must
 * lie under: absolute, at most GCOVR_ROOT_MAX - 1 bytes ("." and ".."
 * are resolved as text; symbolic links are the caller's business: the
 * runner passes realpath()'s answer). 0, or -1 with g->reason set and
 * every later line ignored.
 */
int gcovr_init(struct gcovr *g, const char *root);

/* Frees the buffered files; g may be initialised again. */
void gcovr_free(struct gcovr *g);

/*
 * One COM1 line, with or without its "\n" or "\r\n". Lines that do not
 * start with GCOVR_PREFIX are not ours and are ignored; every other one
 * must fit the dump's grammar, or the dump becomes corrupt.
 */
void gcovr_line(struct gcovr *g, const char *line, size_t len);

/*
 * At the end of the run: the number of verified files (1..4096), 0 when
 * the guest sent no dump at all, or -1 when the dump is corrupt or cut
 * short (g->reason says why, e.g. "file 3 (/b/x.gcda): CRC 1234abcd,
 * expected 89ef0123 (serial line 57)"). May be called more than once.
 */
int gcovr_finish(struct gcovr *g);

/*
 * Writes or merges every file of a complete dump, each through
 * PATH.tmp and a rename, creating missing directories under the root.
 * Counts in g->written (all files), g->merged (added to an existing
 * file), g->replaced (an existing file of another compilation, or a
 * malformed one, replaced: each with a note). Goes on past a file that
 * fails; 0, or -1 with the first failure in g->reason and the count in
 * g->failed. -1 too, writing nothing, if the dump is not complete.
 */
int gcovr_write(struct gcovr *g);

/* CRC-32 as zlib's crc32(): start with crc = 0, feed pieces in order. */
uint32_t gcovr_crc32(uint32_t crc, const void *buf, size_t len);

/* ---- the .gcda format (gcov_gcda.c) -------------------------------------- */

#define GCOVR_MAGIC	    0x67636461u /* "gcda" */
#define GCOVR_TAG_FUNCTION  0x01000000u
#define GCOVR_TAG_COUNTER   0x01a10000u /* + (kind << 17) */
#define GCOVR_TAG_SUMMARY   0xa1000000u /* object summary (libgcov) */
#define GCOVR_COUNTER_KINDS 8		/* GCC 10..13 */
#define GCOVR_HEADER_LEN    16		/* magic version stamp checksum */
#define GCOVR_FUNCTION_LEN  12
#define GCOVR_SUMMARY_LEN   8

struct gcovr_rec {
	uint32_t tag;
	uint32_t n;    /* counters: values; function, summary: u32 words */
	size_t off;    /* payload offset in the buffer (none if zeros) */
	bool zeros;    /* counters sent as a negative length: n zeros */
	unsigned kind; /* counters: 0..7 */
};

struct gcovr_gcda {
	uint32_t version, stamp, checksum;
	size_t nrecs;
	struct gcovr_rec *recs;
	bool end_mark; /* a zero word ends the file, as libgcov writes */
};

/*
 * Parses a GCC >= 12 .gcda (lengths in bytes, 4-word header, little
 * endian) into d, whose recs point into buf by offset. Accepts the
 * records libgcov writes: function (length 12, or 0 for a copy without
 * counters), counters of kinds 0..7 after a function (length n * 8, or
 * -(n * 8) for n zeros, as GCC 12 writes an all-zero record) and the
 * object summary, and libgcov's final zero word. 0, or -1 with a one-line
 * reason in err; d is then empty. Free with gcovr_gcda_free.
 */
int gcovr_parse_gcda(const unsigned char *buf, size_t len, struct gcovr_gcda *d,
		     char *err, size_t err_size);

void gcovr_gcda_free(struct gcovr_gcda *d);

enum gcovr_merge_rc {
	GCOVR_MERGED,
	GCOVR_STALE,	   /* another compilation: replace */
	GCOVR_NOT_ADDABLE, /* counters that addition cannot merge */
	GCOVR_MERGE_NOMEM,
};

/*
 * Adds the counters of two parsed files of the same compilation into a
 * new buffer *out (malloc'd, *out_len bytes) laid out like nw. Counters
 * saturate at UINT64_MAX; the summary's two words at UINT32_MAX.
 * *kind is set to the offending kind for GCOVR_NOT_ADDABLE.
 */
enum gcovr_merge_rc
gcovr_merge(const unsigned char *old_buf, const struct gcovr_gcda *old,
	    const unsigned char *new_buf, const struct gcovr_gcda *nw,
	    unsigned char **out, size_t *out_len, unsigned *kind);

/*
 * Writes or merges one verified .gcda (gcovr_write's work for one file):
 * 0, or -1 with a reason in err. *merged tells whether it was merged,
 * *replaced whether an existing file was replaced (note called).
 */
int gcovr_store(const char *path, const unsigned char *buf, size_t len,
		bool *merged, bool *replaced, gcovr_note_fn note,
		void *note_ctx, char *err, size_t err_size);

#endif
