/*
 * vmw_balloon.h - the guest side of the VMware balloon ("vmmemctl").
 *
 * Protocol logic only: the driver reaches the host through a vmw_call_fn
 * seam and memory through the page allocator, so the same code runs in the
 * kernel (seam = one `inl`, vmw_bdoor_hw.c) and in host unit tests (seam =
 * the reference model in host/vmw). Section numbers (§n) refer to
 * shared/reference/vmware-balloon.md; docs/vmware-balloon.md explains it.
 */
#ifndef PINPRICK_VMW_BALLOON_H
#define PINPRICK_VMW_BALLOON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/vmware/vmw_backdoor.h"
#include "drivers/vmware/vmw_proto.h"
#include "kernel/balloon.h"
#include "kernel/page_alloc.h"

/*
 * What pinprick asks for in START (§3): everything but SIGNALLED_WAKEUP,
 * which needs a VMCI doorbell that pinprick does not have (it polls).
 */
#define VMW_BALLOON_CAPS                                                       \
	(VMW_CAP_BASIC | VMW_CAP_BATCHED | VMW_CAP_BATCHED_2M |                \
	 VMW_CAP_64_BIT_TARGET)
#define VMW_GUEST_LINUX	 1  /* GUEST_ID (§2): pinprick acts like Linux */
#define VMW_MAX_REFUSED	 16 /* refusals that end a round (§9, Linux) */
#define VMW_REFUSED_CAP	 (VMW_BATCH_MAX + VMW_MAX_REFUSED)
#define VMW_BUSY_RETRIES 8 /* default tries after BUSY before giving up */
#define VMW_2M_ORDER	 9

/* Negative results of the ops (kernel/balloon.h says "negative error"). */
enum vmw_balloon_err {
	VMW_E_NODEV = -1,    /* START not answered 0 / 0x03000000: no host */
	VMW_E_RESET = -2,    /* the host asked for a reset; it has been done */
	VMW_E_BUSY = -3,     /* still BUSY after every retry */
	VMW_E_UNUSABLE = -4, /* host granted neither BASIC nor BATCHED */
	VMW_E_LIMIT = -5,    /* limit >= 2^32 frames without 64_BIT_TARGET */
	VMW_E_HOST = -6,     /* GET_TARGET failed with another status */
	VMW_E_ARG = -7,	     /* vmw_balloon_init: incomplete configuration */
};

struct vmw_balloon_cfg {
	vmw_call_fn call; /* the seam to the host */
	void *call_ctx;
	struct pa_zone *zone; /* every balloon page comes from here */
	uint64_t batch_pfn;   /* the batch page, as the host addresses it */
	uint64_t *batch;      /* the same page, as the driver addresses it */
	uint64_t ram_frames;  /* GET_TARGET's limit (§8) */
	uint64_t *track;      /* storage for the PFNs in the balloon */
	uint64_t track_len;   /* its entries; one per balloon page */
	void (*delay_ns)(uint64_t ns); /* BUSY back-off; NULL: no wait */
	uint32_t busy_retries;	       /* 0: VMW_BUSY_RETRIES */
};

/* Detail behind struct balloon_counters, for diagnostics and tests. */
struct vmw_balloon_stats {
	uint64_t calls[VMW_CMD_NR]; /* per command, every attempt */
	uint64_t fails[VMW_CMD_NR]; /* per command, non-zero final status */
	uint64_t busy_retries;	    /* BUSY answers retried */
	uint64_t busy_giveups;	    /* calls abandoned still BUSY */
	uint64_t bad_status;	    /* call status outside §4 */
	uint64_t bad_rax_high;	    /* RAX bits 63..32 set after the call */
	uint64_t bad_entry_status;  /* entry status not legal for the command */
	uint64_t entry_changed;	    /* host changed bits 63..5 of an entry */
	uint64_t bad_target;	    /* target >= 2^32 without 64_BIT_TARGET */
	uint64_t target_above_ram;  /* targets adopted that exceed the limit */
	uint64_t bad_caps;	    /* grants we never asked for, 2M alone */
	uint64_t no_backend;	    /* START with an impossible answer */
	uint64_t limit_skipped;	    /* GET_TARGET not sent (§8 32-bit rule) */
	uint64_t alloc_stops;	    /* inflation stopped by the allocator */
	uint64_t track_full;	    /* inflation stopped: no room to track */
	uint64_t fallback_4k;	    /* 2 MiB rounds that dropped to 4 KiB */
	uint64_t refused_held_max;  /* most refused pages held in one round */
	uint64_t local_free_errors; /* pa_free refused a balloon page (bug) */
};

struct vmw_balloon {
	struct balloon b; /* b.priv points back here */
	struct vmw_balloon_cfg cfg;
	uint32_t caps;	    /* granted and sane; valid when started */
	bool legacy;	    /* START answered 0: BASIC only (§3) */
	bool reset_pending; /* START (again) before anything else (§7) */
	bool use_2m;	    /* BATCHED_2M and BATCHED both granted (§6) */
	unsigned batch_cap; /* pages per call: 512 batched, 1 basic, 0 none */

	/* Balloon pages: 4 KiB PFNs grow up from track[0], 2 MiB down. */
	uint64_t n4k, n2m;

	/* The call in flight: our own copy, never re-read from the host. */
	uint64_t pend[VMW_BATCH_MAX];
	unsigned npend, pend_order;

	/* Refused pages, held until the end of the inflation round (§9). */
	uint64_t refused[VMW_REFUSED_CAP];
	uint8_t refused_order[VMW_REFUSED_CAP];
	unsigned nrefused;

	struct vmw_balloon_stats st;
};

/* Set up vb (nothing is sent yet: the first op STARTs). */
int vmw_balloon_init(struct vmw_balloon *vb, const struct vmw_balloon_cfg *cfg);

/*
 * The §7 sequence if a reset is pending: drop every page without UNLOCK,
 * START, GUEST_ID. Returns 0 or a vmw_balloon_err.
 */
int vmw_balloon_start(struct vmw_balloon *vb);

/* Frames to move now, Linux style: + inflate, - deflate, 2 MiB slack. */
int64_t vmw_balloon_change(const struct vmw_balloon *vb);

/* One poll: START if needed, GET_TARGET, then move at most max frames. */
int64_t vmw_balloon_tick(struct vmw_balloon *vb, uint64_t max_frames);

/* Pages (not frames) of one size in the balloon, and the i-th of them. */
uint64_t vmw_balloon_nr_pages(const struct vmw_balloon *vb, unsigned order);
uint64_t vmw_balloon_page(const struct vmw_balloon *vb, unsigned order,
			  uint64_t i);

/*
 * Cross-check with the allocator: every tracked page is a PA_BALLOONED
 * block of its order, none twice, sizes add up; with exclusive, no other
 * PA_BALLOONED page exists. Sorts the tracking arrays. 0 or -1 + why.
 */
int vmw_balloon_check(struct vmw_balloon *vb, bool exclusive, char *why,
		      size_t why_len);

const char *vmw_balloon_err_name(int err);
const char *vmw_status_name(uint32_t status);

#endif
