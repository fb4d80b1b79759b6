/*
 * test_runner_smaps.c - unit tests for host/runner/smaps.c, the search for
 * QEMU's guest-RAM mapping behind the host-rss verb, on fixture text laid
 * out as Linux writes /proc/<pid>/smaps: the layout QEMU 7.2 really has,
 * RAM split over touching VMAs, the allowance for over-reserving, junk and
 * garbled numbers, and the text cut at every byte. (The reading of a live
 * smaps file is tested through host-rss in test_runner_ctl.c.)
 */
#include "tests/unit/ut.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/runner/smaps.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIB	      (1024ull * 1024)
#define RAM	      (128 * MIB)

/* ---- smaps fixtures ------------------------------------------------------ */

static char fx[32768];
static size_t fx_len;

static void fx_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fx_add(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(fx + fx_len, sizeof(fx) - fx_len, fmt, ap);
	va_end(ap);
	UT_CHECK(n > 0 && (size_t)n < sizeof(fx) - fx_len);
	fx_len += (size_t)n;
}

/* One VMA laid out as Linux 6.x writes it (fields shortened). */
static void fx_vma(uint64_t start, uint64_t end, const char *perms,
		   const char *name, unsigned rss_kb, unsigned anon_kb)
{
	fx_add("%llx-%llx %s 00000000 00:00 0 %s%s\n",
	       (unsigned long long)start, (unsigned long long)end, perms,
	       name[0] ? "                 " : "", name);
	fx_add("Size:           %8llu kB\nKernelPageSize:        4 kB\n",
	       (unsigned long long)((end - start) >> 10));
	fx_add("Rss:            %8u kB\nPss:            %8u kB\n", rss_kb,
	       rss_kb);
	fx_add("Anonymous:      %8u kB\nAnonHugePages:         0 kB\n",
	       anon_kb);
	fx_add("THPeligible:           1\nVmFlags: rd wr mr mw me ac \n");
}

/* What QEMU 7.2 maps for -m 128M (measured; see smaps.c). */
static void fx_qemu(void)
{
	fx_len = 0;
	fx_add("55c1c68eb000-55c1c6cf2000 r--p 00000000 fe:00 10977327   "
	       "                /usr/bin/qemu-system-x86_64\nSize: 4124 kB\n"
	       "Rss: 4000 kB\nAnonymous: 0 kB\n");
	fx_vma(0x55c1f74cc000, 0x55c1ff4cc000, "rw-p", "[heap]", 900, 900);
	fx_vma(0x7f5e84000000, 0x7f5e84021000, "rw-p", "", 8, 8);
	fx_vma(0x7f5e84021000, 0x7f5e88000000, "---p", "", 0, 0);
	fx_vma(0x7f5e8be00000, 0x7f5e93e00000, "rw-p", "", 20480, 20476);
	fx_vma(0x7f5e93e00000, 0x7f5e93e01000, "---p", "", 0, 0);
	fx_vma(0x7f5e94000000, 0x7f5ed3fff000, "rwxp", "", 2048, 2048);
	fx_vma(0x7ffc2542e000, 0x7ffc2544f000, "rw-p", "[stack]", 20, 20);
}

static void test_smaps_qemu_layout(void)
{
	struct smaps_ram m;

	/* the [heap] is 128 MiB too, and comes first: never RAM */
	fx_qemu();
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_OK);
	UT_CHECK_EQ(m.start, 0x7f5e8be00000);
	UT_CHECK_EQ(m.size, RAM);
	UT_CHECK_EQ(m.rss, 20480ull * 1024);
	UT_CHECK_EQ(m.anon, 20476ull * 1024);
	UT_CHECK_EQ(m.vmas, 1);
	/* nothing of 64 MiB, nor of 0 */
	UT_CHECK_EQ(smaps_parse(fx, fx_len, 64 * MIB, &m), SMAPS_NO_MATCH);
	UT_CHECK_EQ(smaps_parse(fx, fx_len, 0, &m), SMAPS_NO_MATCH);
	UT_CHECK_EQ(smaps_parse("", 0, RAM, &m), SMAPS_NO_MATCH);
}

static void test_smaps_split_and_slack(void)
{
	struct smaps_ram m;

	/* RAM in two touching VMAs (a 4 KiB one touching them too) */
	fx_len = 0;
	fx_vma(0x7f0000000000 - 4096, 0x7f0000000000, "rw-p", "", 4, 4);
	fx_vma(0x7f0000000000, 0x7f0003000000, "rw-p", "", 1024, 1024);
	fx_vma(0x7f0003000000, 0x7f0008000000, "rw-p", "", 2048, 2000);
	fx_vma(0x7f0008000000, 0x7f0008001000, "---p", "", 0, 0);
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_OK);
	UT_CHECK_EQ(m.vmas, 2);
	UT_CHECK_EQ(m.start, 0x7f0000000000);
	UT_CHECK_EQ(m.size, RAM);
	UT_CHECK_EQ(m.rss, 3072ull * 1024);
	UT_CHECK_EQ(m.anon, 3024ull * 1024);
	/* a gap between them: not one mapping */
	fx_len = 0;
	fx_vma(0x7f0000000000, 0x7f0003000000, "rw-p", "", 1024, 1024);
	fx_vma(0x7f0003001000, 0x7f0008001000, "rw-p", "", 2048, 2000);
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_NO_MATCH);
	/* one VMA beats a split pair, wherever it is */
	fx_len = 0;
	fx_vma(0x7f0000000000, 0x7f0003000000, "rw-p", "", 1, 1);
	fx_vma(0x7f0003000000, 0x7f0008000000, "rw-p", "", 1, 1);
	fx_vma(0x7f1000000000, 0x7f1008000000, "rw-p", "", 7, 7);
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_OK);
	UT_CHECK_EQ(m.vmas, 1);
	UT_CHECK_EQ(m.rss, 7 * 1024);
	/* over-reserved by up to 2 MiB + 4 KiB: accepted, exact preferred */
	fx_len = 0;
	fx_vma(0x7f0000000000, 0x7f0008201000, "rw-p", "", 3, 3);
	fx_vma(0x7f1000000000, 0x7f1008202000, "rw-p", "", 4, 4);
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_OK);
	UT_CHECK_EQ(m.size, RAM + 2 * MIB + 4096);
	fx_vma(0x7f2000000000, 0x7f2008000000, "rw-p", "", 5, 5);
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_OK);
	UT_CHECK_EQ(m.size, RAM);
	UT_CHECK_EQ(m.rss, 5 * 1024);
	/* read-only or named specially: not RAM; a shared memfd is */
	fx_len = 0;
	fx_vma(0x7f0000000000, 0x7f0008000000, "r--p", "", 5, 5);
	fx_vma(0x7f1000000000, 0x7f1008000000, "rw-p", "[anon:x]", 5, 5);
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_NO_MATCH);
	fx_vma(0x7f2000000000, 0x7f2008000000, "rw-s",
	       "/memfd:pc.ram (deleted)", 6, 0);
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_OK);
	UT_CHECK_EQ(m.rss, 6 * 1024);
}

static void test_smaps_malformed(void)
{
	static const char *const bad_ram[] = {
		"Rss:            12x kB\n",    /* garbled number */
		"Rss:            12\n",	       /* no unit */
		"Anonymous:          3 kB\n",  /* a second Anonymous */
		"Size:                4 kB\n", /* not the header's size */
	};
	const char ram_hdr[] =
		"7f5e8be00000-7f5e93e00000 rw-p 00000000 00:00 0\n";
	struct smaps_ram m;
	char line[SMAPS_MAX_LINE + 100];

	/* junk before the first header and between VMAs is skipped */
	fx_len = 0;
	fx_add("hello\nRss: 5 kB\n\n\x01\x02\n");
	fx_vma(0x7f5e8be00000, 0x7f5e93e00000, "rw-p", "", 64, 60);
	fx_add("7f00-zz rw-p 00000000 00:00 0\nAnonymous: 1 kB\n%s",
	       "Rss: 1 kB\nnonsense with: colons\n");
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_OK);
	UT_CHECK_EQ(m.rss, 64 * 1024);
	UT_CHECK_EQ(m.anon, 60 * 1024);
	/* fields after a garbled header do not land in the VMA before it */
	fx_len = 0;
	fx_add("%sRss: 64 kB\n7f00-zz rw-p 00000000 00:00 0\nAnonymous: "
	       "60 kB\n",
	       ram_hdr);
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_NO_MATCH);
	/* a VMA with a garbled, missing or repeated number of its own */
	for (size_t i = 0; i < ARRAY_SIZE(bad_ram); i++) {
		fx_len = 0;
		fx_add("%sRss: 64 kB\nAnonymous: 60 kB\n%s", ram_hdr,
		       bad_ram[i]);
		if (smaps_parse(fx, fx_len, RAM, &m) != SMAPS_NO_MATCH) {
			printf("    # accepted with '%s'\n", bad_ram[i]);
			UT_CHECK(!"tainted VMA used");
		}
	}
	/* header lookalikes: end before start, bad perms, 17 hex digits */
	fx_len = 0;
	fx_add("7f5e93e00000-7f5e8be00000 rw-p 00000000 00:00 0\nRss: 1 kB\n"
	       "Anonymous: 1 kB\n");
	fx_add("7f5e8be00000-7f5e93e00000 rwzp 00000000 00:00 0\nRss: 1 kB\n"
	       "Anonymous: 1 kB\n");
	fx_add("00007f5e8be00000-000007f5e93e00000 rw-p 00000000 00:00 0\n"
	       "Rss: 1 kB\nAnonymous: 1 kB\n");
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_NO_MATCH);
	/* an over-long line is malformed; a NUL inside the text is harmless */
	memset(line, 'x', sizeof(line));
	fx_len = 0;
	fx_vma(0x7f5e8be00000, 0x7f5e93e00000, "rw-p", "", 64, 60);
	memcpy(fx + fx_len, line, sizeof(line));
	fx_len += sizeof(line);
	fx[fx_len++] = '\0';
	UT_CHECK_EQ(smaps_parse(fx, fx_len, RAM, &m), SMAPS_OK);
	UT_CHECK_EQ(m.rss, 64 * 1024);
}

/* Cut anywhere, the text gives no match or exactly the right one: a
 * number is never taken half-read. */
static void test_smaps_truncated(void)
{
	struct smaps_ram m;
	size_t matches = 0, bad = 0;

	fx_qemu();
	for (size_t len = 0; len <= fx_len; len++) {
		int rc = smaps_parse(fx, len, RAM, &m);

		if (rc == SMAPS_NO_MATCH)
			continue;
		matches++;
		if (rc != SMAPS_OK || m.start != 0x7f5e8be00000 ||
		    m.rss != 20480ull * 1024 || m.anon != 20476ull * 1024)
			bad++;
	}
	UT_CHECK_EQ(bad, 0);
	UT_CHECK(matches > 0);
	/* cut just after the RAM VMA's "Anonymous: ... kB" */
	UT_CHECK_EQ(smaps_parse(fx, (size_t)(strstr(fx, "20476 kB") + 8 - fx),
				RAM, &m),
		    SMAPS_OK);
}

UT_MAIN(UT_TEST(test_smaps_qemu_layout), UT_TEST(test_smaps_split_and_slack),
	UT_TEST(test_smaps_malformed), UT_TEST(test_smaps_truncated))
