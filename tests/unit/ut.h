/*
 * ut.h - a tiny host unit-test harness that speaks TAP.
 *
 * Each test is a function; UT_CHECK records a failed assertion with its
 * file and line and lets the test go on. A test is "ok" when none of its
 * checks failed. The binary exits non-zero if any test failed, and its
 * last line is "# ut: N passed, N failed" for tests/check.sh to add up.
 *
 *	static void test_foo(void) { UT_CHECK(1 + 1 == 2); }
 *	UT_MAIN(UT_TEST(test_foo))
 */
#ifndef PINPRICK_UT_H
#define PINPRICK_UT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ut_test {
	const char *name;
	void (*fn)(void);
};

extern int ut_failed_checks;

#define UT_TEST(f) { #f, f }

#define UT_CHECK(cond)                                                     \
	do {                                                               \
		if (!(cond)) {                                             \
			ut_failed_checks++;                                \
			printf("    # check failed: %s (%s:%d)\n", #cond,  \
			       __FILE__, __LINE__);                        \
		}                                                          \
	} while (0)

#define UT_CHECK_EQ(a, b)                                                  \
	do {                                                               \
		long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);  \
		if (ut_a_ != ut_b_) {                                      \
			ut_failed_checks++;                                \
			printf("    # check failed: %s == %s: got %lld, "  \
			       "expected %lld (%s:%d)\n",                  \
			       #a, #b, ut_a_, ut_b_, __FILE__, __LINE__);  \
		}                                                          \
	} while (0)

#define UT_CHECK_STR(a, b)                                                 \
	do {                                                               \
		const char *ut_a_ = (a), *ut_b_ = (b);                     \
		if (strcmp(ut_a_, ut_b_) != 0) {                           \
			ut_failed_checks++;                                \
			printf("    # check failed: %s == %s:\n"           \
			       "    #   got      \"%s\"\n"                 \
			       "    #   expected \"%s\" (%s:%d)\n",        \
			       #a, #b, ut_a_, ut_b_, __FILE__, __LINE__);  \
		}                                                          \
	} while (0)

int ut_main(const struct ut_test *tests, int n, int argc, char **argv);

#define UT_MAIN(...)                                                       \
	int ut_failed_checks;                                              \
	int main(int argc, char **argv)                                    \
	{                                                                  \
		static const struct ut_test ut_tests_[] = { __VA_ARGS__ }; \
		return ut_main(ut_tests_,                                  \
			       (int)(sizeof(ut_tests_) / sizeof(ut_tests_[0])), \
			       argc, argv);                                \
	}

/* Runs every test (or those whose name contains argv[1]) and prints TAP. */
static inline int ut_run_all(const struct ut_test *tests, int n,
			     const char *filter)
{
	int passed = 0, failed = 0, num = 0;

	printf("TAP version 14\n");
	for (int i = 0; i < n; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		num++;
		ut_failed_checks = 0;
		tests[i].fn();
		fflush(stdout);
		if (ut_failed_checks) {
			printf("not ok %d - %s\n", num, tests[i].name);
			failed++;
		} else {
			printf("ok %d - %s\n", num, tests[i].name);
			passed++;
		}
	}
	printf("1..%d\n# ut: %d passed, %d failed\n", num, passed, failed);
	return failed ? 1 : 0;
}

int ut_main(const struct ut_test *tests, int n, int argc, char **argv)
{
	return ut_run_all(tests, n, argc > 1 ? argv[1] : NULL);
}

#endif
