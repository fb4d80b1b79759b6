/*
 * gcov.c - coverage of the guest kernel itself, without libgcov.
 *
 * `make coverage` builds kernel/, drivers/ and tests/guest/ a second time
 * with -fprofile-arcs -ftest-coverage. GCC then gives every object a
 * struct gcov_info (its counters, its functions, the absolute path of
 * its .gcda file) and a constructor in .init_array that passes it to
 * __gcov_init. A hosted program would link libgcov, which writes .gcda
 * files at exit; we have no files. So: gcov_init_all() runs the
 * constructors early in kernel_main (on PVH and UEFI alike), and at exit
 * gcov_dump() serialises each object's counters in the .gcda format
 * itself and streams the bytes over COM1 in framed, checksummed TAP
 * comment lines that the runner (host/runner/gcov_rec.c) verifies and
 * turns back into .gcda files for lcov:
 *
 *	# gcov: begin objects=N
 *	# gcov: file I LEN CRC32 /abs/path/foo.gcda
 *	# gcov: data I OFFSET <up to 64 bytes in hex>
 *	# gcov: end objects=N bytes=TOTAL
 *
 * A damaged or cut-short dump is then detected by CRC, offsets or the
 * missing end line and thrown away, never merged into wrong numbers.
 * Each object is walked twice (length and CRC, then the bytes), so no
 * instrumented code may run in between: interrupts are off, and the
 * dump writes COM1 with its own few lines below instead of kprintf,
 * whose counters (printf.c, serial.c, ...) would move while they are
 * being sent. This file itself is built without instrumentation.
 * The layouts are GCC 12's (docs/coverage.md; reference
 * boot-and-coverage.md section 4). In the normal build nothing calls
 * __gcov_init, the list stays empty and gcov_dump prints nothing.
 */
#include "kernel/gcov.h"

#include <stddef.h>
#include <stdint.h>

#include "kernel/x86.h"

#define GCOV_COUNTERS	    8	       /* counter kinds in GCC 10..13 */
#define GCOV_VERSION	    0x4232322a /* "B22*": GCC 12.2 */
#define GCOV_DATA_MAGIC	    0x67636461u
#define GCOV_TAG_FUNCTION   0x01000000u
#define GCOV_TAG_COUNTER(k) (0x01a10000u + ((uint32_t)(k) << 17))
#define GCOV_LINE_BYTES	    64
#define GCOV_MAX_FUNCTIONS  100000 /* per object: a sanity bound */
#define GCOV_MAX_COUNTERS   (1u << 22)

struct gcov_ctr_info {
	uint32_t num;
	int64_t *values;
};

struct gcov_info;

struct gcov_fn_info {
	const struct gcov_info *key;
	uint32_t ident;
	uint32_t lineno_checksum;
	uint32_t cfg_checksum;
	struct gcov_ctr_info ctrs[];
};

typedef void (*gcov_merge_fn)(int64_t *, uint32_t);

struct gcov_info {
	uint32_t version;
	struct gcov_info *next;
	uint32_t stamp;
	uint32_t checksum; /* new in GCC 12 */
	const char *filename;
	gcov_merge_fn merge[GCOV_COUNTERS];
	uint32_t n_functions;
	const struct gcov_fn_info *const *functions;
};

/* GCC's calls into "libgcov": these three are all -fprofile-arcs needs. */
void __gcov_init(struct gcov_info *info);
void __gcov_merge_add(int64_t *counters, uint32_t n);
void __gcov_exit(void);

static struct gcov_info *gcov_list;
static unsigned gcov_objects, gcov_bad_version;

void __gcov_init(struct gcov_info *info)
{
	if (info->version != GCOV_VERSION) {
		gcov_bad_version++; /* another GCC: its layout may differ */
		return;
	}
	info->next = gcov_list;
	gcov_list = info;
	gcov_objects++;
}

/* Merging happens on the host (gcov_rec.c); exit is gcov_dump's job. */
void __gcov_merge_add(int64_t *counters, uint32_t n)
{
	(void)counters;
	(void)n;
}

void __gcov_exit(void)
{
}

typedef void (*ctor_fn)(void);
extern ctor_fn __init_array_start[], __init_array_end[];

void gcov_init_all(void)
{
	for (ctor_fn *f = __init_array_start; f < __init_array_end; f++)
		(*f)();
}

bool gcov_enabled(void)
{
	return gcov_objects > 0;
}

/* ---- output: COM1 directly, nothing instrumented --------------------------
 */

#define COM1	     0x3f8
#define COM1_LSR     (COM1 + 5)
#define GCOV_TX_SPIN 1000000 /* a UART that never drains: give up the byte */

static void gcov_putc(char c)
{
	for (int spin = 0; spin < GCOV_TX_SPIN; spin++)
		if (inb(COM1_LSR) & 0x20)
			break;
	outb(COM1, (uint8_t)c);
}

static void gcov_puts(const char *s)
{
	while (*s)
		gcov_putc(*s++);
}

static void gcov_putu(uint32_t v)
{
	char buf[11];
	int n = 0;

	do
		buf[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 10);
	while (n)
		gcov_putc(buf[--n]);
}

static const char gcov_hex[] = "0123456789abcdef";

static void gcov_putx32(uint32_t v)
{
	for (int i = 28; i >= 0; i -= 4)
		gcov_putc(gcov_hex[(v >> i) & 15]);
}

/* ---- the byte stream: counted and checksummed, then sent ---------------- */

struct gcov_out {
	bool send; /* false: only count and checksum */
	unsigned index;
	uint32_t len, crc;
	uint8_t line[GCOV_LINE_BYTES];
	unsigned fill;
	uint32_t line_off;
};

static uint32_t gcov_crc32(uint32_t crc, uint8_t b)
{
	crc ^= b;
	for (int i = 0; i < 8; i++)
		crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	return crc;
}

static void gcov_flush(struct gcov_out *o)
{
	if (!o->fill)
		return;
	gcov_puts("# gcov: data ");
	gcov_putu(o->index);
	gcov_putc(' ');
	gcov_putu(o->line_off);
	gcov_putc(' ');
	for (unsigned i = 0; i < o->fill; i++) {
		gcov_putc(gcov_hex[o->line[i] >> 4]);
		gcov_putc(gcov_hex[o->line[i] & 15]);
	}
	gcov_puts("\n");
	o->line_off += o->fill;
	o->fill = 0;
}

static void gcov_put32(struct gcov_out *o, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8) {
		uint8_t b = (uint8_t)v;

		o->crc = gcov_crc32(o->crc, b);
		o->len++;
		if (!o->send)
			continue;
		o->line[o->fill++] = b;
		if (o->fill == GCOV_LINE_BYTES)
			gcov_flush(o);
	}
}

/* One object's .gcda, as libgcov would write it (GCC 12: byte lengths). */
static void gcov_emit(struct gcov_out *o, const struct gcov_info *info)
{
	gcov_put32(o, GCOV_DATA_MAGIC);
	gcov_put32(o, info->version);
	gcov_put32(o, info->stamp);
	gcov_put32(o, info->checksum);
	for (uint32_t f = 0; f < info->n_functions; f++) {
		const struct gcov_fn_info *fn = info->functions[f];
		const struct gcov_ctr_info *ci;

		gcov_put32(o, GCOV_TAG_FUNCTION);
		if (!fn || fn->key != info) { /* a COMDAT copy kept elsewhere */
			gcov_put32(o, 0);
			continue;
		}
		gcov_put32(o, 12);
		gcov_put32(o, fn->ident);
		gcov_put32(o, fn->lineno_checksum);
		gcov_put32(o, fn->cfg_checksum);
		ci = fn->ctrs;
		for (unsigned k = 0; k < GCOV_COUNTERS; k++) {
			if (!info->merge[k])
				continue;
			gcov_put32(o, GCOV_TAG_COUNTER(k));
			gcov_put32(o, ci->num * 8);
			for (uint32_t i = 0; i < ci->num; i++) {
				uint64_t v = (uint64_t)ci->values[i];

				gcov_put32(o, (uint32_t)v);
				gcov_put32(o, (uint32_t)(v >> 32));
			}
			ci++;
		}
	}
}

/* The structure GCC built must be sane before we walk it. */
static bool gcov_info_ok(const struct gcov_info *info)
{
	const char *p = info->filename;
	size_t n = 0;

	if (!p || info->n_functions > GCOV_MAX_FUNCTIONS ||
	    (info->n_functions && !info->functions))
		return false;
	while (p[n] > ' ' && p[n] < 0x7f && n < 256)
		n++;
	if (p[n] != '\0' || n < 6 || p[0] != '/')
		return false;
	for (uint32_t f = 0; f < info->n_functions; f++) {
		const struct gcov_fn_info *fn = info->functions[f];
		const struct gcov_ctr_info *ci;

		if (!fn || fn->key != info)
			continue;
		ci = fn->ctrs;
		for (unsigned k = 0; k < GCOV_COUNTERS; k++) {
			if (!info->merge[k])
				continue;
			if (ci->num > GCOV_MAX_COUNTERS ||
			    (ci->num && !ci->values))
				return false;
			ci++;
		}
	}
	return true;
}

void gcov_dump(void)
{
	uint32_t total = 0;
	unsigned n = 0, index = 0;

	if (!gcov_objects && !gcov_bad_version)
		return;
	/* Counters must not move between the checksum pass and the send. */
	irq_disable();
	if (gcov_bad_version) {
		gcov_puts("# gcov-note: objects from another GCC left out: ");
		gcov_putu(gcov_bad_version);
		gcov_puts("\n");
	}
	for (const struct gcov_info *i = gcov_list; i; i = i->next)
		n += gcov_info_ok(i);
	gcov_puts("# gcov: begin objects=");
	gcov_putu(n);
	gcov_puts("\n");
	for (const struct gcov_info *i = gcov_list; i; i = i->next) {
		struct gcov_out o = {.send = false, .crc = 0xffffffffu};

		if (!gcov_info_ok(i)) {
			gcov_puts("# gcov-note: a malformed gcov_info left "
				  "out\n");
			continue;
		}
		gcov_emit(&o, i);
		gcov_puts("# gcov: file ");
		gcov_putu(index);
		gcov_putc(' ');
		gcov_putu(o.len);
		gcov_putc(' ');
		gcov_putx32(o.crc ^ 0xffffffffu);
		gcov_putc(' ');
		gcov_puts(i->filename);
		gcov_puts("\n");
		o = (struct gcov_out){.send = true, .index = index};
		gcov_emit(&o, i);
		gcov_flush(&o);
		total += o.len;
		index++;
	}
	gcov_puts("# gcov: end objects=");
	gcov_putu(n);
	gcov_puts(" bytes=");
	gcov_putu(total);
	gcov_puts("\n");
}
