/*
 * gcov.h - coverage counters of the guest kernel, streamed out at exit.
 *
 * Only the coverage build (make coverage: -fprofile-arcs) has objects to
 * report; in the normal build both calls do nothing. See kernel/gcov.c
 * and docs/coverage.md.
 */
#ifndef PINPRICK_GCOV_H
#define PINPRICK_GCOV_H

#include <stdbool.h>

/* Runs the constructors GCC emitted (each registers one object). */
void gcov_init_all(void);

/* True in a coverage build once the constructors have run. */
bool gcov_enabled(void);

/* Streams every object's .gcda over the console ("# gcov: " lines). */
void gcov_dump(void);

#endif
