/*
 * balloon.h - the one interface every balloon driver sits behind.
 *
 * Scenarios and suites drive virtio-balloon and the VMware balloon through
 * this, so the same script runs on both. Sizes are in 4 KiB pages, the unit
 * both protocols count in. Balloon pages are always taken from the page
 * allocator in state PA_BALLOONED, so the allocator's reserve floor, not
 * the driver, decides how far a balloon may grow: a driver never balloons
 * a kernel, pinned or workload page, and when the target asks for more than
 * can be given it stops and records the shortfall.
 */
#ifndef PINPRICK_BALLOON_H
#define PINPRICK_BALLOON_H

#include <stdbool.h>
#include <stdint.h>

struct balloon;

/* Why the balloon is smaller than its target, as last measured. */
struct balloon_shortfall {
	uint64_t target;   /* pages the host asked for */
	uint64_t achieved; /* pages in the balloon */
	uint64_t pinned;   /* pages pinned by workloads at that moment */
	uint64_t reserve;  /* the allocator's reserve floor */
	uint64_t refused;  /* pages the host refused */
	bool active;	   /* true while target > achieved for these reasons */
};

struct balloon_counters {
	uint64_t inflated, deflated; /* pages, cumulative */
	uint64_t host_calls;	     /* protocol round trips */
	uint64_t refused;	     /* pages the host would not take */
	uint64_t resets;	     /* VMware RESET or virtio device reset */
	uint64_t errors;	     /* protocol errors seen (bad status...) */
};

struct balloon_ops {
	/* Ask the host for its current target; updates b->target. */
	int (*get_target)(struct balloon *b);
	/* Add up to n pages; returns pages added (>= 0) or a negative error. */
	int64_t (*inflate)(struct balloon *b, uint64_t n);
	/* Give back up to n pages; returns pages released or negative. */
	int64_t (*deflate)(struct balloon *b, uint64_t n);
	/* Release everything (teardown, or deflate-on-OOM everything). */
	int (*reset)(struct balloon *b);
};

struct balloon {
	const char *name; /* "virtio-balloon", "vmware" */
	const struct balloon_ops *ops;
	uint64_t target;  /* pages, as last read from the host */
	uint64_t size;	  /* pages in the balloon now */
	struct balloon_shortfall shortfall;
	struct balloon_counters counters;
	void *priv;
};

/*
 * Move the balloon one step toward its target: read the target, then
 * inflate or deflate at most max_pages. Returns pages moved (>= 0) or a
 * negative error. Keeps b->shortfall current.
 */
int64_t balloon_step(struct balloon *b, uint64_t max_pages);

#endif
