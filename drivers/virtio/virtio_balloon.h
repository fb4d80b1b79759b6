/*
 * virtio_balloon.h - the virtio traditional memory balloon (device ID 5).
 *
 * The host writes a target, num_pages, into the device configuration; the
 * driver gives it that many 4 KiB pages by posting their page frame
 * numbers on the inflate queue, takes them back through the deflate queue,
 * and writes how many it holds into `actual`. Optional queues carry memory
 * statistics, free page hints (for migration) and free page reports.
 *
 * Protocol logic only: the driver reaches the device through struct
 * virtio_dev (any of the four transports) and memory through the page
 * allocator, so the same code runs in the kernel and in host unit tests
 * against a device model. Requirement IDs (D1..D42, V.., L..) and section
 * numbers (§5.5.x, virtio 1.2) are those of
 * shared/reference/virtio-balloon.md; docs/virtio-balloon.md walks through
 * the protocol with this code.
 */
#ifndef PINPRICK_VIRTIO_BALLOON_H
#define PINPRICK_VIRTIO_BALLOON_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio.h"
#include "kernel/balloon.h"
#include "kernel/page_alloc.h"

/* Feature bits (§5.5.3). */
#define VBAL_F_MUST_TELL_HOST 0
#define VBAL_F_STATS_VQ	      1
#define VBAL_F_DEFLATE_ON_OOM 2
#define VBAL_F_FREE_PAGE_HINT 3
#define VBAL_F_PAGE_POISON    4
#define VBAL_F_PAGE_REPORTING 5
#define VBAL_FEATURES_BALLOON 0x3full

/* Every ring feature pinprick drives (the transport takes VERSION_1). */
#define VBAL_FEATURES_RING                                                     \
	(VQ_FEAT(VIRTIO_F_INDIRECT_DESC) | VQ_FEAT(VIRTIO_F_EVENT_IDX) |       \
	 VQ_FEAT(VIRTIO_F_RING_PACKED))

/* Configuration layout (§5.5.4); little-endian on every interface (L2). */
#define VBAL_CFG_NUM_PAGES   0
#define VBAL_CFG_ACTUAL	     4
#define VBAL_CFG_HINT_CMD_ID 8
#define VBAL_CFG_POISON_VAL  12

/* Free page hint command ids (§5.5.6.5): 0 and 1 are reserved. */
#define VBAL_CMD_ID_STOP 0
#define VBAL_CMD_ID_DONE 1

/* Statistics tags (§5.5.6.3). */
#define VBAL_S_SWAP_IN	0
#define VBAL_S_SWAP_OUT 1
#define VBAL_S_MAJFLT	2
#define VBAL_S_MINFLT	3
#define VBAL_S_MEMFREE	4
#define VBAL_S_MEMTOT	5
#define VBAL_S_AVAIL	6
#define VBAL_S_CACHES	7
#define VBAL_S_NR	10

/*
 * The statistics pinprick sends, always the same six (D23). Six entries
 * are 60 bytes: a multiple of the 10-byte entry and also of the 6 bytes
 * the normative text still asks for (D20, spec issue #45).
 */
#define VBAL_NR_STATS 6

struct vbal_stat {
	uint16_t tag;
	uint64_t val;
} __attribute__((packed));
_Static_assert(sizeof(struct vbal_stat) == 10, "a stats entry is 10 bytes");

/* The queues a balloon can have, in the specification's order (§5.5.2). */
enum vbal_queue {
	VBAL_Q_INFLATE,
	VBAL_Q_DEFLATE,
	VBAL_Q_STATS,
	VBAL_Q_HINT,
	VBAL_Q_REPORT,
	VBAL_NR_QUEUES
};

/*
 * PFNs per inflate/deflate buffer. Linux sends 256, and Firecracker and
 * Cloud Hypervisor ignore (but acknowledge!) a buffer with more, so larger
 * buffers would be unsafe; speed comes from many buffers per notification.
 */
#define VBAL_BATCH_PFNS	  256
#define VBAL_MAX_BUFS	  16	       /* inflate/deflate buffers in flight */
#define VBAL_HINT_ORDER	  10	       /* 4 MiB hint blocks, as Linux */
#define VBAL_HINT_MAX	  64	       /* blocks in one hint round */
#define VBAL_REPORT_ORDER 9	       /* 2 MiB report blocks (D41) */
#define VBAL_REPORT_MAX	  16	       /* blocks in one report buffer */
#define VBAL_PFN_LIMIT	  (1ull << 32) /* a PFN must fit in a le32 */

/* Negative results of the driver's calls. */
enum vbal_err {
	VBAL_E_SETUP = -1,   /* the device could not be brought up */
	VBAL_E_TIMEOUT = -2, /* the device did not acknowledge in time */
	VBAL_E_DEVICE = -3,  /* the device broke a rule; it has been reset */
	VBAL_E_DOWN = -4,    /* the driver is not running */
	VBAL_E_NOMEM = -5,   /* no memory for the driver's own buffers */
	VBAL_E_ARG = -6,
};

struct vbal_cfg {
	struct virtio_dev *dev;
	struct pa_zone *zone;  /* balloon pages come from here */
	uint64_t features_off; /* bits a test switches off */
	uint32_t poison_val;   /* written when PAGE_POISON is negotiated */
	unsigned batch_pfns;   /* 0: VBAL_BATCH_PFNS */
	unsigned max_bufs;     /* 0: VBAL_MAX_BUFS */
	unsigned queue_max;    /* largest ring to set up; 0: 256 */
	enum virtio_irq_mode irq_mode; /* POLL: config is re-read each time */
	uint16_t queue_vector;	 /* MSI-X table entry, or VIRTIO_NO_VECTOR */
	uint64_t ack_timeout_ns; /* 0: two seconds */
	/* Called while waiting for the device; NULL: just spin. */
	void (*idle)(void *ctx);
	void *idle_ctx;
	/* Time source; NULL: time_ns() (kernel/time.h). */
	uint64_t (*now_ns)(void);
};

/* What the driver saw and did, for reports and tests. */
struct vbal_counters {
	uint64_t inflate_bufs, deflate_bufs; /* buffers acknowledged */
	uint64_t ack_timeouts;		     /* waits that ran out */
	uint64_t wait_ns; /* in kicks and waits for inflate/deflate acks */
	uint64_t used_len_nonzero;	     /* inflate/deflate acks, len > 0 */
	uint64_t config_reads, target_changes;
	uint64_t interrupts, config_irqs;
	uint64_t alloc_stops; /* inflation stopped by the reserve */
	uint64_t stats_requests, stats_sent; /* device returned / we re-added */
	uint64_t hint_rounds, hint_blocks, hint_stops, hint_done;
	uint64_t hint_ids_ignored; /* ids we saw but did not answer */
	uint64_t report_bufs, report_blocks;
	uint64_t oom_calls, oom_pages; /* deflate-on-OOM */
	uint64_t poisoned_pages;
	uint64_t device_errors; /* rings the device broke */
	uint64_t track_pages;	/* kernel pages holding the PFN list */
};

/* The list of acknowledged balloon PFNs: a stack of 4 KiB chunks. */
struct vbal_track {
	uint64_t top_pfn; /* the chunk being filled; 0: none */
	uint64_t count;	  /* PFNs held */
	uint64_t chunks;
	uint64_t spare_pfn; /* empty chunks kept for the next pushes */
	uint64_t spares;
};

struct vbal_buf {
	uint32_t *pfns; /* batch_pfns entries, physically contiguous */
	unsigned n;
	int queue; /* VBAL_Q_INFLATE/DEFLATE while in flight, else -1 */
};

struct vbal {
	struct balloon b; /* b.priv points back here */
	struct vbal_cfg cfg;
	struct virtio_dev *d;
	bool up;
	const char *error; /* why the driver stopped, for reports */

	/* Queue numbering: what the device uses, and the spec's fixed list. */
	int qidx[VBAL_NR_QUEUES];      /* -1: not set up */
	int spec_qidx[VBAL_NR_QUEUES]; /* §5.5.2 taken literally */
	uint16_t qsize[VBAL_NR_QUEUES];
	struct virtqueue vq[VBAL_NR_QUEUES];

	uint32_t num_pages; /* last target read */
	uint32_t actual;    /* last value written */
	volatile bool config_pending;

	/* Driver memory: PFN arrays, stats, hint ids (one kernel block). */
	int64_t mem_pfn;
	unsigned mem_order;
	struct vbal_buf bufs[VBAL_MAX_BUFS];
	unsigned nbufs, batch;
	struct vbal_track track;
	uint64_t inflight_pages; /* PFNs on inflate/deflate queues now */
	bool probe_done;	 /* vbal_probe_request's buffer came back */
	uint32_t probe_len;

	/* Statistics (§5.5.6.3). */
	struct vbal_stat *stats; /* VBAL_NR_STATS entries */
	bool stats_with_device;	 /* the one buffer is on the queue (D16) */

	/* Free page hinting (§5.5.6.5). */
	uint32_t *hint_id_buf;	 /* the id we opened the round with */
	uint32_t *hint_stop_buf; /* STOP */
	uint32_t hint_cmd_id;	 /* last read from the device */
	uint32_t hint_round_id;	 /* the id we answered; 0: no round */
	uint64_t hint_pfn[VBAL_HINT_MAX];
	unsigned hint_nr;
	bool hint_stopped; /* our STOP has been queued */

	/* Free page reporting (§5.5.6.7). */
	uint64_t report_pfn[VBAL_REPORT_MAX];
	unsigned report_nr;

	struct vbal_counters st;
};

/*
 * Negotiate, find and set up the queues, write poison_val, prime the stats
 * buffer, DRIVER_OK, notify the stats queue (§5.5.5). For MSI-X the caller
 * has already programmed the table (virtio_pci_msix_on). 0 or VBAL_E_*.
 */
int vbal_init(struct vbal *vb, const struct vbal_cfg *cfg);

/* Deflate everything (telling the host), reset the device, free memory. */
void vbal_teardown(struct vbal *vb);

/* From the interrupt handler: isr = the ISR bits (INTx) or what the
 * MSI-X vector stands for. Only records; vbal_service does the work. */
void vbal_interrupt(struct vbal *vb, uint8_t isr);

/*
 * Reap every queue, answer statistics requests, follow hint command ids,
 * and re-read the target when told to (or always when polling). Returns
 * true if num_pages changed.
 */
bool vbal_service(struct vbal *vb);

/* Pages the balloon should move now: + inflate, - deflate. */
int64_t vbal_change(const struct vbal *vb);

/*
 * Deflate-on-OOM: the guest needs pages. With DEFLATE_ON_OOM negotiated,
 * deflate up to pages (telling the host) and return how many were freed;
 * without it the balloon is untouched (D7) and 0 is returned.
 */
int64_t vbal_oom(struct vbal *vb, uint64_t pages);

/*
 * Free page reporting: take up to blocks free 2 MiB blocks (never below
 * the reserve), fill them with poison_val if PAGE_POISON is negotiated
 * (D38), report them, wait for the acknowledgement (D39), free them.
 * Returns blocks reported or VBAL_E_*.
 */
int vbal_report_free(struct vbal *vb, unsigned blocks);

/* Free page hinting round state, for tests. */
bool vbal_hinting(const struct vbal *vb);

/*
 * Send one inflate request with exactly these PFNs, split over nr_desc
 * descriptors (1 or 2) or through an indirect table, and wait for the
 * acknowledgement. For the discriminating probes: the caller owns the
 * pages and their states. 0 or VBAL_E_*.
 */
int vbal_probe_request(struct vbal *vb, enum vbal_queue q, const uint32_t *pfns,
		       unsigned n, unsigned nr_desc, bool indirect,
		       uint32_t *used_len);

/* Write `actual` now (one 32-bit access, L4). */
void vbal_write_actual(struct vbal *vb, uint32_t pages);

/* The PFN tracking list (vbal_track.c). */
int vbal_track_push(struct vbal *vb, uint32_t pfn);
/*
 * Make room for n more pushes with chunks taken while the allocator is
 * still above its reserve, so the list never eats into the floor the
 * balloon stops at. -1 when that is not possible.
 */
int vbal_track_reserve(struct vbal *vb, uint64_t n);
bool vbal_track_pop(struct vbal *vb, uint32_t *pfn);
void vbal_track_free(struct vbal *vb);
/* Calls fn for every tracked PFN; stops early if fn returns false. */
void vbal_track_each(const struct vbal *vb, bool (*fn)(void *, uint32_t),
		     void *ctx);

/*
 * Cross-check with the allocator: every tracked PFN is PA_BALLOONED, none
 * twice, the count is b.size; with exclusive, no other page is
 * PA_BALLOONED. 0 or -1 with why.
 */
int vbal_check(const struct vbal *vb, bool exclusive, char *why,
	       unsigned why_len);

const char *vbal_err_name(int err);
const char *vbal_queue_name(enum vbal_queue q);
const char *vbal_feature_name(unsigned bit);

/* Internal, shared by the vbal_*.c files. */
uint64_t vbal_now(const struct vbal *vb);
bool vbal_wait_used(struct vbal *vb, enum vbal_queue q);
void vbal_reap(struct vbal *vb, enum vbal_queue q);
void vbal_stats_fill(struct vbal *vb);
int vbal_stats_start(struct vbal *vb);
void vbal_stats_service(struct vbal *vb);
void vbal_hint_service(struct vbal *vb);
void vbal_hint_release(struct vbal *vb);
void vbal_report_acked(struct vbal *vb);
void vbal_device_broke(struct vbal *vb, enum vbal_queue q);
extern const struct balloon_ops vbal_ops;

#endif
