/*
 * suites.c - every guest suite, in the order a run executes them.
 *
 * The selftest suites and bench run only when named on the command line.
 */
#include "kernel/tf.h"

extern const struct tf_suite suite_platform, suite_allocator, suite_vmware,
	suite_virtio_transport, suite_virtio_balloon, suite_virtio_balloon_probes;
extern const struct tf_suite suite_selftest_fail, suite_selftest_crash,
	suite_selftest_hang, suite_selftest_stack, suite_bench;
extern const struct tf_suite suite_selftest_hostile, suite_selftest_silent;

const struct tf_suite *const tf_suites[] = {
	&suite_platform,
	&suite_allocator,
	&suite_vmware,
	&suite_virtio_transport,
	&suite_virtio_balloon,
	&suite_virtio_balloon_probes,
	&suite_selftest_fail,
	&suite_selftest_crash,
	&suite_selftest_hang,
	&suite_selftest_stack,
	&suite_selftest_hostile, &suite_selftest_silent,
	&suite_bench,
};
const unsigned tf_nr_suites = sizeof(tf_suites) / sizeof(tf_suites[0]);
