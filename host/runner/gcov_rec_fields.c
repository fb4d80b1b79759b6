/*
 * gcov_rec_fields.c - the field level of the coverage dump's grammar
 * (see gcov_rec_fields.h): splitting a record into fields, decimals,
 * "key=DECIMAL", lowercase hex, guest text quoted for a reason, .gcda
 * paths resolved and kept under the coverage root, and the CRC-32 that
 * each file line announces.
 *
 * The grammar is exact (single blanks, lowercase hex, decimal without
 * leading zeros): the guest's printer is ours, so anything looser is a
 * sign of damage on the wire, not a dialect to accept. The record
 * order and the per-dump state are gcov_rec.c's business.
 */
#include "host/runner/gcov_rec_fields.h"

#include <string.h>

#include "host/runner/util.h"

/* ---- CRC-32 (IEEE 802.3, reflected 0xEDB88320, as zlib) ------------------ */

static uint32_t gcovr_crc_table[256];
static bool gcovr_crc_ready;

static void gcovr_crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		gcovr_crc_table[i] = c;
	}
	gcovr_crc_ready = true;
}

uint32_t gcovr_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!gcovr_crc_ready)
		gcovr_crc_init();
	/* zlib's convention: the running value is kept post-inverted, so
	 * that crc32(crc32(0, a), b) == crc32(0, a || b) */
	crc = ~crc;
	while (len--)
		crc = gcovr_crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/*
 * Lexically resolves an absolute path in place: "//" and "." vanish, ".."
 * removes the component before it. Leaves no trailing '/' except for "/"
 * itself. False if ".." would climb above "/".
 */
bool gcovr_normalise(char *path)
{
	char *out = path, *in = path;

	while (*in) {
		char *end;
		size_t n;

		while (*in == '/')
			in++;
		for (end = in; *end && *end != '/'; end++)
			;
		n = (size_t)(end - in);
		if (n == 0 || (n == 1 && in[0] == '.')) {
			in = end;
			continue;
		}
		if (n == 2 && in[0] == '.' && in[1] == '.') {
			if (out == path)
				return false;
			while (out > path && *--out != '/')
				;
			in = end;
			continue;
		}
		*out++ = '/';
		memmove(out, in, n);
		out += n;
		in = end;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
	return true;
}

/* ---- the grammar --------------------------------------------------------- */

/* Splits at single blanks; false for an empty field (two blanks in a row,
 * a blank at either end) or too many fields. */
bool gcovr_split(const char *s, size_t len, struct gcovr_field *f, int *nf)
{
	size_t start = 0;

	*nf = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ' ')
			continue;
		if (i == start || *nf == GCOVR_MAX_FIELDS)
			return false;
		f[(*nf)++] = (struct gcovr_field){s + start, i - start};
		start = i + 1;
	}
	return true;
}

bool gcovr_is(const struct gcovr_field *f, const char *word)
{
	return f->n == strlen(word) && !memcmp(f->p, word, f->n);
}

/* A decimal without sign or leading zeros, at most max. */
bool gcovr_dec(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10 || (n > 1 && p[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* "key=DECIMAL" */
bool gcovr_keyed(const struct gcovr_field *f, const char *key, uint64_t max,
		 uint64_t *out)
{
	size_t k = strlen(key);

	return f->n > k + 1 && !memcmp(f->p, key, k) && f->p[k] == '=' &&
	       gcovr_dec(f->p + k + 1, f->n - k - 1, max, out);
}

static int gcovr_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Lowercase hex, an even number of digits, into out (n / 2 bytes). */
bool gcovr_unhex(const char *p, size_t n, unsigned char *out)
{
	if (n % 2)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		int hi = gcovr_hexval(p[i]), lo = gcovr_hexval(p[i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* Guest text for a reason: at most 60 bytes, all but printable ASCII
 * as '?', so that the reason stays one readable line. */
const char *gcovr_quote(const char *p, size_t n, char *buf, size_t size)
{
	size_t cut = n > 60 ? 60 : n, i;

	for (i = 0; i < cut && i + 4 < size; i++)
		buf[i] = p[i] >= ' ' && p[i] <= '~' ? p[i] : '?';
	buf[i] = '\0';
	if (i < n)
		util_appendf(buf, size, "...");
	return buf;
}

/*
 * A path as the guest sent it: printable, absolute, ".gcda", not too long,
 * and under the root once resolved. Stores the resolved path in out;
 * false with why in err.
 */
bool gcovr_path_ok(const struct gcovr *g, const struct gcovr_field *f,
		   char *out, const char **err)
{
	size_t n = f->n;

	if (n > GCOVR_PATH_MAX) {
		*err = "path longer than 255 bytes";
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (f->p[i] <= ' ' || f->p[i] > '~') {
			*err = "path has a blank or a byte that is not "
			       "printable ASCII";
			return false;
		}
	if (f->p[0] != '/') {
		*err = "path is not absolute";
		return false;
	}
	if (n < 6 || memcmp(f->p + n - 5, ".gcda", 5)) {
		*err = "path does not end in .gcda";
		return false;
	}
	memcpy(out, f->p, n);
	out[n] = '\0';
	if (!gcovr_normalise(out) || strncmp(out, g->root, g->root_len) ||
	    out[g->root_len] != '/' || !out[g->root_len + 1]) {
		*err = "path is not under the coverage root";
		return false;
	}
	return true;
}
