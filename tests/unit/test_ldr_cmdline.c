/*
 * test_ldr_cmdline.c - the kernel command line on the UEFI path
 * (boot/efi/ldr_cmdline.c): pinprick.cfg text (comments, CRLF, blanks,
 * binary bytes refused whole, truncation at word boundaries only) and
 * UCS-2 LoadOptions (NUL, odd lengths, non-ASCII code units, the UEFI
 * Shell's image name first, lines longer than boot_info holds). Shared
 * helpers: ldr_rig.h.
 */
#include "tests/unit/ldr_rig.h"

/* ---- the command line --------------------------------------------------- */

/* Runs ldr_cfg_append on an out buffer of exactly out_size bytes. */
static int cfg(char *out, size_t out_size, const char *text, size_t len,
	       bool *trunc, const char **why)
{
	char *o = malloc(out_size);
	char *c = malloc(len);
	int r;

	memcpy(o, out, out_size);
	if (len)
		memcpy(c, text, len);
	*why = NULL;
	r = ldr_cfg_append(o, out_size, c, len, trunc, why);
	memcpy(out, o, out_size);
	free(o);
	free(c);
	return r;
}

/* got is full cut after a whole word (or empty): never half a word. */
static bool word_prefix(const char *got, const char *full)
{
	size_t n = strlen(got);

	if (n == 0) /* nothing kept is a prefix of anything */
		return true;
	return strncmp(got, full, n) == 0 && (full[n] == ' ' || !full[n]) &&
	       got[n - 1] != ' ';
}

/* The length of full's next word after the prefix got. */
static size_t next_word(const char *got, const char *full)
{
	const char *w = full + strlen(got);
	size_t n = 0;

	while (*w == ' ')
		w++;
	while (w[n] && w[n] != ' ')
		n++;
	return n;
}

static void test_cfg_basic(void)
{
	static const char text[] = "# pinprick.cfg: options for the kernel\n"
				   "   # an indented comment, suite=wrong\n"
				   "\t# and one after a tab\n"
				   "\n"
				   "   \t  \r\n"
				   "suite=platform,allocator   verbose\r\n"
				   "\tseed=0x10  \t\r\n"
				   "  exit=halt budget=500 \n"
				   "#\n"
				   "tap=13";
	char out[BI_CMDLINE_MAX] = "";
	bool trunc = false;
	const char *why;

	UT_CHECK_EQ(cfg(out, sizeof(out), text, strlen(text), &trunc, &why), 0);
	UT_CHECK_STR(out, "suite=platform,allocator verbose seed=0x10 "
			  "exit=halt budget=500 tap=13");
	UT_CHECK(!trunc);

	/* Appended after what is there, with one space. */
	strcpy(out, "boot=uefi");
	UT_CHECK_EQ(cfg(out, sizeof(out), "  suite=x\n", 10, &trunc, &why), 0);
	UT_CHECK_STR(out, "boot=uefi suite=x");
	/* A '#' inside a line is part of an option, not a comment. */
	out[0] = '\0';
	UT_CHECK_EQ(cfg(out, sizeof(out), "a#b c #d\n", 9, &trunc, &why), 0);
	UT_CHECK_STR(out, "a#b c #d");
	/* CR alone separates words too; no final newline is fine. */
	out[0] = '\0';
	UT_CHECK_EQ(cfg(out, sizeof(out), "a\rb\r\rc", 6, &trunc, &why), 0);
	UT_CHECK_STR(out, "a b c");
	/* Nothing to add: empty, blank or only comments. */
	strcpy(out, "keep");
	UT_CHECK_EQ(cfg(out, sizeof(out), "", 0, &trunc, &why), 0);
	UT_CHECK_EQ(cfg(out, sizeof(out), NULL, 0, &trunc, &why), 0);
	UT_CHECK_EQ(cfg(out, sizeof(out), "\n\r\n \t\n", 6, &trunc, &why), 0);
	UT_CHECK_EQ(cfg(out, sizeof(out), "# x\n  #y", 8, &trunc, &why), 0);
	UT_CHECK_STR(out, "keep");
	UT_CHECK(!trunc);
	/* len is the length: bytes beyond it are not the file. */
	out[0] = '\0';
	UT_CHECK_EQ(cfg(out, sizeof(out), "ab cd", 4, &trunc, &why), 0);
	UT_CHECK_STR(out, "ab c");
}

/* One bad byte anywhere (even in a comment) and the file is refused. */
static void test_cfg_binary(void)
{
	static const unsigned char bad[] = {0xc3, 0x00, 0x1b, 0x7f,
					    0x80, 0xff, 0x0b, 0x0c};
	static const char text[] = "# c\nsuite=platform verbose\n";
	const size_t len = sizeof(text) - 1;

	for (size_t b = 0; b < sizeof(bad); b++)
		for (size_t at = 0; at <= len; at++) {
			char in[sizeof(text) + 1], out[64], before[64];
			bool trunc = false;
			const char *why;
			bool ok;

			memcpy(in, text, at);
			in[at] = (char)bad[b];
			memcpy(in + at + 1, text + at, len - at);
			memset(out, 0x77, sizeof(out));
			strcpy(out, "boot=uefi");
			memcpy(before, out, sizeof(out));
			ok = cfg(out, sizeof(out), in, len + 1, &trunc, &why) ==
				     -1 &&
			     why && !trunc &&
			     memcmp(out, before, sizeof(out)) == 0;
			if (!ok) {
				char detail[64];

				snprintf(detail, sizeof(detail),
					 "byte %#x at %zu accepted or out "
					 "changed",
					 bad[b], at);
				fail_at(__LINE__, "binary pinprick.cfg",
					detail);
			}
		}
}

/*
 * An out buffer too small: every size from 1 byte up. The result must be
 * a NUL-terminated prefix of the full line ending at a word boundary,
 * with *truncated set exactly when something was left out, and no room
 * for the next word - a shorter option from a later line must not slip
 * in after one that did not fit.
 */
static void check_truncation(const char *start, const char *text,
			     const char *full, int line)
{
	size_t flen = strlen(full);

	for (size_t size = strlen(start) + 1; size <= flen + 3; size++) {
		char *out = calloc(1, size);
		bool trunc = false, ok;
		const char *why;
		size_t n;

		strcpy(out, start);
		ok = cfg(out, size, text, strlen(text), &trunc, &why) == 0;
		n = strnlen(out, size);
		ok &= n < size;
		if (ok) {
			ok &= word_prefix(out, full);
			ok &= trunc == (strcmp(out, full) != 0);
			if (trunc)
				ok &= n + (n ? 1 : 0) + next_word(out, full) +
					      1 >
				      size;
		}
		if (!ok) {
			char detail[200];

			snprintf(detail, sizeof(detail),
				 "out_size %zu gave \"%.*s\" truncated=%d",
				 size, (int)n, out, trunc);
			fail_at(line, "truncated pinprick.cfg", detail);
		}
		free(out);
	}
}

static void test_cfg_truncation(void)
{
	static const char text[] = "# opts\n"
				   "alpha beta gamma\n"
				   "x\n"
				   "  yy zz\r\n"
				   "longerword q\n";

	check_truncation("", text, "alpha beta gamma x yy zz longerword q",
			 __LINE__);
	check_truncation("boot=uefi", text,
			 "boot=uefi alpha beta gamma x yy zz longerword q",
			 __LINE__);
	/* A whole LDR_CFG_MAX file into boot_info's line. */
	{
		char *big = malloc(LDR_CFG_MAX), out[BI_CMDLINE_MAX] = "";
		bool trunc = false;
		const char *why;

		for (size_t i = 0; i < LDR_CFG_MAX; i++)
			big[i] = i % 8 == 7 ? (i % 64 == 63 ? '\n' : ' ')
					    : (char)('a' + i % 8);
		UT_CHECK_EQ(
			cfg(out, sizeof(out), big, LDR_CFG_MAX, &trunc, &why),
			0);
		UT_CHECK(trunc);
		UT_CHECK(strlen(out) < sizeof(out));
		UT_CHECK(strlen(out) >= sizeof(out) - 9);
		UT_CHECK_EQ(strlen(out) % 8, 7); /* whole "abcdefg" words */
		free(big);
	}
}

/* ASCII to UCS-2 little endian; with the NUL terminator if nul. */
static size_t ucs2(uint8_t *dst, const char *s, bool nul)
{
	size_t n = 0;

	do {
		if (!*s && !nul)
			break;
		dst[n++] = (uint8_t)*s;
		dst[n++] = 0;
	} while (*s++);
	return n;
}

/* Runs ldr_loadopt_append with opts and out at their exact sizes. */
static int loadopt(char *out, size_t out_size, const uint8_t *opts,
		   size_t bytes, bool *trunc, const char **why)
{
	char *o = malloc(out_size);
	uint8_t *p = malloc(bytes);
	int r;

	memcpy(o, out, out_size);
	if (bytes)
		memcpy(p, opts, bytes);
	*why = NULL;
	r = ldr_loadopt_append(o, out_size, p, bytes, trunc, why);
	memcpy(out, o, out_size);
	free(o);
	free(p);
	return r;
}

/* Appends the ASCII string s as LoadOptions (optionally NUL-ended). */
static int loadopt_str(char *out, size_t out_size, const char *s, bool nul,
		       bool *trunc, const char **why)
{
	uint8_t buf[512];
	size_t n = ucs2(buf, s, nul);

	return loadopt(out, out_size, buf, n, trunc, why);
}

static void test_loadopt_basic(void)
{
	char out[BI_CMDLINE_MAX] = "";
	uint8_t buf[128];
	bool trunc = false;
	const char *why;
	size_t n;

	UT_CHECK_EQ(loadopt_str(out, sizeof(out), "suite=platform verbose",
				false, &trunc, &why),
		    0);
	UT_CHECK_STR(out, "suite=platform verbose");
	/* After pinprick.cfg's options, as efi_main appends them. */
	strcpy(out, "suite=a seed=1");
	UT_CHECK_EQ(loadopt_str(out, sizeof(out), "  suite=b\t ", true, &trunc,
				&why),
		    0);
	UT_CHECK_STR(out, "suite=a seed=1 suite=b");
	UT_CHECK(!trunc);
	/* Up to the NUL; what follows it is not ours, even non-ASCII. */
	n = ucs2(buf, "a b", true);
	wr_le(buf + n, 0x00e9, 2);
	wr_le(buf + n + 2, 'c', 2);
	out[0] = '\0';
	UT_CHECK_EQ(loadopt(out, sizeof(out), buf, n + 4, &trunc, &why), 0);
	UT_CHECK_STR(out, "a b");
	/* Only a NUL, or nothing at all: nothing appended. */
	strcpy(out, "keep");
	UT_CHECK_EQ(loadopt_str(out, sizeof(out), "", true, &trunc, &why), 0);
	UT_CHECK_EQ(loadopt(out, sizeof(out), buf, 0, &trunc, &why), 0);
	UT_CHECK_EQ(ldr_loadopt_append(out, sizeof(out), NULL, 0, &trunc, &why),
		    0);
	UT_CHECK_STR(out, "keep");
	UT_CHECK(!trunc);
	/* The buffer need not be 2-byte aligned. */
	{
		uint8_t odd[64];

		n = ucs2(odd + 1, "x=1", false);
		out[0] = '\0';
		UT_CHECK_EQ(ldr_loadopt_append(out, sizeof(out), odd + 1, n,
					       &trunc, &why),
			    0);
		UT_CHECK_STR(out, "x=1");
	}
}

static void test_loadopt_bad(void)
{
	static const uint16_t bad[] = {0x00e9, 0xd800, 0xdfff, 0x0141,
				       0x2000, 0x007f, 0x001b, 0xfeff};
	char out[64], before[64];
	uint8_t buf[64];
	bool trunc = false;
	const char *why;
	size_t n;

	memset(out, 0x77, sizeof(out));
	strcpy(out, "boot=uefi");
	memcpy(before, out, sizeof(out));
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
		for (size_t at = 0; at < 6; at++) {
			n = ucs2(buf, "ab cd", true);
			wr_le(buf + 2 * at, bad[b], 2);
			if (at == 5) /* the unit replaces the NUL */
				n += ucs2(buf + n, "e", true);
			UT_CHECK_EQ(
				loadopt(out, sizeof(out), buf, n, &trunc, &why),
				-1);
			UT_CHECK(why != NULL);
			UT_CHECK(memcmp(out, before, sizeof(out)) == 0);
		}
	/* An odd byte count is not UCS-2. */
	n = ucs2(buf, "ab", true);
	for (size_t len = 1; len < n; len += 2) {
		UT_CHECK_EQ(loadopt(out, sizeof(out), buf, len, &trunc, &why),
			    -1);
		UT_CHECK(why != NULL);
	}
	UT_CHECK_EQ(ldr_loadopt_append(out, sizeof(out), NULL, 4, &trunc, &why),
		    -1);
	UT_CHECK(memcmp(out, before, sizeof(out)) == 0);
	UT_CHECK(!trunc);
}

/* The UEFI Shell puts the image's own path first; boot entries do not. */
static void test_loadopt_shell(void)
{
	static const struct {
		const char *in, *want;
	} c[] = {
		{"\\EFI\\BOOT\\BOOTX64.EFI suite=x", "suite=x"},
		{"fs0:\\efi\\boot\\bootx64.efi suite=x", "suite=x"},
		{"  pinprick.Efi\t suite=x  verbose", "suite=x verbose"},
		{"BOOTX64.EFI", ""},
		{"a.efi b.efi", "b.efi"}, /* only the first word */
		{"x.efi=1 y", "x.efi=1 y"},
		{"suite=a.efi y", "suite=a.efi y"},
		{"x.ef y", "x.ef y"},
		{"x.efix y", "x.efix y"},
		{".efi y", ".efi y"}, /* no name before the extension */
		{"suite=x", "suite=x"},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char out[BI_CMDLINE_MAX] = "";
		bool trunc = false;
		const char *why;

		UT_CHECK_EQ(loadopt_str(out, sizeof(out), c[i].in, true, &trunc,
					&why),
			    0);
		UT_CHECK_STR(out, c[i].want);
	}
}

/* More code units than boot_info's line holds. */
static void test_loadopt_long(void)
{
	enum { UNITS = 3 * BI_CMDLINE_MAX };
	uint8_t *buf = malloc(2 * UNITS);
	char *full = malloc(UNITS + 1), *out = malloc(BI_CMDLINE_MAX);
	bool trunc = false;
	const char *why;
	size_t n;

	/* "o0000 o0001 ...": words of 5, so a half word would show. */
	for (size_t i = 0; i < UNITS; i++)
		full[i] = i % 6 == 5   ? ' '
			  : i % 6 == 0 ? 'o'
				       : (char)('0' + (i / 6 /
						       (i % 6 == 1   ? 1000
							: i % 6 == 2 ? 100
							: i % 6 == 3 ? 10
								     : 1)) %
							      10);
	full[UNITS] = '\0';
	n = ucs2(buf, full, false);
	out[0] = '\0';
	UT_CHECK_EQ(loadopt(out, BI_CMDLINE_MAX, buf, n, &trunc, &why), 0);
	UT_CHECK(trunc);
	UT_CHECK(strnlen(out, BI_CMDLINE_MAX) < BI_CMDLINE_MAX);
	UT_CHECK(word_prefix(out, full));
	UT_CHECK(strlen(out) >= BI_CMDLINE_MAX - 7);

	/* One word of exactly BI_CMDLINE_MAX - 1 characters fits... */
	memset(full, 'w', BI_CMDLINE_MAX - 1);
	full[BI_CMDLINE_MAX - 1] = '\0';
	n = ucs2(buf, full, true);
	out[0] = '\0';
	trunc = false;
	UT_CHECK_EQ(loadopt(out, BI_CMDLINE_MAX, buf, n, &trunc, &why), 0);
	UT_CHECK(!trunc);
	UT_CHECK_EQ(strlen(out), BI_CMDLINE_MAX - 1);
	/* ...one more does not, and nothing of it is kept. */
	memset(full, 'w', BI_CMDLINE_MAX);
	full[BI_CMDLINE_MAX] = '\0';
	n = ucs2(buf, full, true);
	out[0] = '\0';
	UT_CHECK_EQ(loadopt(out, BI_CMDLINE_MAX, buf, n, &trunc, &why), 0);
	UT_CHECK(trunc);
	UT_CHECK_STR(out, "");

	/* A complete word right at the limit, then a blank: it is kept. */
	memset(full, 'w', BI_CMDLINE_MAX - 1);
	strcpy(full + BI_CMDLINE_MAX - 1, " z");
	n = ucs2(buf, full, true);
	out[0] = '\0';
	trunc = false;
	UT_CHECK_EQ(loadopt(out, BI_CMDLINE_MAX, buf, n, &trunc, &why), 0);
	UT_CHECK(trunc);
	UT_CHECK_EQ(strlen(out), BI_CMDLINE_MAX - 1);

	/* Small out buffers, every size: whole words, flagged. */
	for (size_t size = 1; size < 40; size++) {
		static const char s[] = "BOOTX64.EFI alpha beta gamma x yy";
		static const char want[] = "alpha beta gamma x yy";
		char *o = calloc(1, size);
		bool t = false, ok;

		n = ucs2(buf, s, true);
		ok = loadopt(o, size, buf, n, &t, &why) == 0;
		ok &= strnlen(o, size) < size && word_prefix(o, want) &&
		      t == (strcmp(o, want) != 0);
		if (!ok)
			fail_at(__LINE__, "small out for LoadOptions", o);
		free(o);
	}
	free(buf);
	free(full);
	free(out);
}

UT_MAIN(UT_TEST(test_cfg_basic), UT_TEST(test_cfg_binary),
	UT_TEST(test_cfg_truncation), UT_TEST(test_loadopt_basic),
	UT_TEST(test_loadopt_bad), UT_TEST(test_loadopt_shell),
	UT_TEST(test_loadopt_long))
