/*
 * smaps.h - finding the guest-RAM mapping in QEMU's /proc/<pid>/smaps and
 * reading how much of it is resident, for the control verb host-rss. A
 * balloon that works makes this number fall when the guest gives pages
 * back, which nothing inside the guest can observe.
 *
 * The parser is fed lines (or a whole buffer) so that it can be tested on
 * fixture text; it holds only a few VMAs at a time whatever the input, and
 * the reader never takes more than SMAPS_MAX_READ bytes from the kernel.
 */
#ifndef PINPRICK_RUNNER_SMAPS_H
#define PINPRICK_RUNNER_SMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMAPS_MAX_READ (4u << 20) /* bytes of smaps read at most */
#define SMAPS_MAX_LINE 8192	  /* longer lines are malformed */
#define SMAPS_SPAN     4	  /* RAM may span this many adjacent VMAs */
/* a single VMA may exceed the RAM size by this much (see smaps.c) */
#define SMAPS_SLACK ((2ull << 20) + 4096)

/* The guest-RAM mapping found: one VMA, or a few adjacent ones. */
struct smaps_ram {
	uint64_t start; /* address of the first VMA */
	uint64_t size;	/* bytes mapped */
	uint64_t rss;	/* bytes resident */
	uint64_t anon;	/* bytes of anonymous memory */
	unsigned vmas;	/* how many VMAs (1 normally) */
};

/* One VMA as far as it has been read. */
struct smaps_vma {
	uint64_t start, end;
	uint64_t size_field; /* "Size:", 0 if not seen */
	uint64_t rss, anon;
	bool have_rss, have_anon;
	bool usable; /* readable and writable, not [heap] or the like */
	bool broken; /* one of its numbers was garbled: not trusted */
};

struct smaps_scan {
	uint64_t ram_bytes;
	struct smaps_vma cur; /* the VMA whose lines are arriving */
	bool in_vma;
	struct smaps_vma last[SMAPS_SPAN]; /* finished, newest at [0] */
	unsigned nlast;
	bool found;
	struct smaps_ram best;
	unsigned long lines, malformed;
};

enum {
	SMAPS_OK = 0,
	SMAPS_NO_MATCH = -1, /* no mapping of the RAM's size */
	SMAPS_ERR_READ = -2, /* the file cannot be opened or read */
};

void smaps_scan_init(struct smaps_scan *s, uint64_t ram_bytes);

/* One line, without its '\n'; need not be terminated. */
void smaps_scan_line(struct smaps_scan *s, const char *line, size_t len);

/* Ends the input; SMAPS_OK with *out, or SMAPS_NO_MATCH. */
int smaps_scan_end(struct smaps_scan *s, struct smaps_ram *out);

/* The whole of smaps text in one buffer (need not be terminated). */
int smaps_parse(const char *text, size_t len, uint64_t ram_bytes,
		struct smaps_ram *out);

/* Reads /proc/<pid>/smaps (at most SMAPS_MAX_READ bytes) and parses it. */
int smaps_read(int pid, uint64_t ram_bytes, struct smaps_ram *out);

#endif
