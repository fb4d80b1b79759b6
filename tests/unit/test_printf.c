/*
 * test_printf.c - kvsnprintf against the C library's snprintf.
 *
 * For every format we support, the kernel formatter must produce exactly
 * what glibc produces; truncation must count like C and always terminate.
 */
#include <stdarg.h>
#include <stdint.h>

#include "kernel/printf.h"
#include "tests/unit/ut.h"

#define SAME(fmt, ...)                                                      \
	do {                                                                \
		char a_[128], b_[128];                                      \
		int na_ = ksnprintf(a_, sizeof(a_), fmt, __VA_ARGS__);      \
		int nb_ = snprintf(b_, sizeof(b_), fmt, __VA_ARGS__);       \
		UT_CHECK_STR(a_, b_);                                       \
		UT_CHECK_EQ(na_, nb_);                                      \
	} while (0)

static void test_integers(void)
{
	SAME("%d %i %d", 0, -1, 2147483647);
	SAME("%d", (int)-2147483647 - 1);
	SAME("%u %x %X %o", 4000000000u, 0xdeadbeefu, 0xabcu, 8u);
	SAME("%ld %lu %lx", -5L, 5UL, 0xffffffffffUL);
	SAME("%lld %llu %llx", (long long)INT64_MIN, (unsigned long long)UINT64_MAX,
	     0x123456789abcdefULL);
	SAME("%zu %zx", (size_t)12345, (size_t)0xfff);
	/* int arguments narrowed by hh/h: what C's promotion rules mean */
	// cppcheck-suppress [invalidPrintfArgType_sint, invalidPrintfArgType_uint]
	SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
	SAME("%jd %td", (intmax_t)-7, (ptrdiff_t)9);
}

static void test_flags_width_precision(void)
{
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	SAME("[%#x] [%#X] [%#o] [%#x]", 255u, 255u, 8u, 0u);
	SAME("[%8.3d] [%.0d] [%.5x] [%-8.3u]", 7, 0, 0xau, 5u);
	SAME("[%016llx] [%#018llx]", 0x1234ULL, 0x1234ULL);
	SAME("[%*d] [%-*d] [%.*d]", 6, 1, 6, 2, 4, 3);
	SAME("[%*d]", -6, 1);
	SAME("[%05d]", -42);
}

static void test_strings_chars(void)
{
	SAME("[%s] [%10s] [%-10s] [%.2s]", "abc", "abc", "abc", "abc");
	SAME("[%c] [%3c] [%-3c]", 'x', 'y', 'z');
	SAME("%s%%%s", "a", "b");
	SAME("[%.*s]", 3, "abcdef");
}

static void test_pointer(void)
{
	char a[64], b[64];
	void *p = (void *)(uintptr_t)0xffff8000dead0000ull;

	ksnprintf(a, sizeof(a), "%p", p);
	snprintf(b, sizeof(b), "%p", p);
	UT_CHECK_STR(a, b);
}

static void test_truncation(void)
{
	char buf[8];
	int n = ksnprintf(buf, sizeof(buf), "%s-%d", "hello", 12345);

	UT_CHECK_EQ(n, 11);
	UT_CHECK_STR(buf, "hello-1");
	n = ksnprintf(buf, 1, "abc");
	UT_CHECK_EQ(n, 3);
	UT_CHECK_EQ(buf[0], '\0');
	n = ksnprintf(NULL, 0, "%d", 1234);
	UT_CHECK_EQ(n, 4);
}

/* These formats are wrong on purpose: the compiler is right to object. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"
static void test_odd_formats(void)
{
	char buf[32];

	/* Unknown conversions are printed visibly, a lone % ends output. */
	ksnprintf(buf, sizeof(buf), "a%qb");
	UT_CHECK_STR(buf, "a%qb");
	ksnprintf(buf, sizeof(buf), "end%");
	UT_CHECK_STR(buf, "end");
	ksnprintf(buf, sizeof(buf), "%s", (char *)NULL);
	UT_CHECK_STR(buf, "(null)");
	ksnprintf(buf, sizeof(buf), "[%-05d]", -42); /* '-' beats '0' */
	UT_CHECK_STR(buf, "[-42  ]");
}
#pragma GCC diagnostic pop

UT_MAIN(UT_TEST(test_integers), UT_TEST(test_flags_width_precision),
	UT_TEST(test_strings_chars), UT_TEST(test_pointer),
	UT_TEST(test_truncation), UT_TEST(test_odd_formats))
