/*
 * fuzz_check.h - how a fuzz target says one of its invariants broke.
 *
 * libFuzzer treats abort() as a crash and saves the input, so a broken
 * invariant is reported exactly like a sanitizer error: the file, line
 * and condition on stderr (fuzz/run.sh shows them), then abort().
 */
#ifndef PINPRICK_FUZZ_CHECK_H
#define PINPRICK_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

__attribute__((noreturn)) static inline void
fuzz_fail(const char *file, int line, const char *cond)
{
	fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, cond);
	abort();
}

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(__FILE__, __LINE__, #cond);                  \
	} while (0)

#endif
