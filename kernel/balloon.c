/*
 * balloon.c - the protocol-independent step every balloon driver shares.
 *
 * Scenarios move a balloon toward its host's target in bounded steps so
 * that a long inflation can report progress and a workload can run in
 * between. The step itself knows nothing of virtio or the backdoor.
 */
#include "kernel/balloon.h"

int64_t balloon_step(struct balloon *b, uint64_t max_pages)
{
	int rc = b->ops->get_target(b);
	uint64_t n;

	if (rc < 0)
		return rc;
	if (b->target > b->size) {
		n = b->target - b->size;
		return b->ops->inflate(b, n < max_pages ? n : max_pages);
	}
	if (b->target < b->size) {
		n = b->size - b->target;
		return b->ops->deflate(b, n < max_pages ? n : max_pages);
	}
	return 0;
}
