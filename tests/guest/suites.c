/*
 * suites.c - every guest suite, in the order a run executes them.
 */
#include "kernel/tf.h"

extern const struct tf_suite suite_platform, suite_allocator;

const struct tf_suite *const tf_suites[] = {
	&suite_platform,
	&suite_allocator,
};
const unsigned tf_nr_suites = sizeof(tf_suites) / sizeof(tf_suites[0]);
