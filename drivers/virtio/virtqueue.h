/*
 * virtqueue.h - the one virtqueue API for every virtio driver in pinprick.
 *
 * A virtqueue is a ring of buffer descriptors shared between the driver
 * (us) and a device (the hypervisor). The driver offers buffers, the device
 * hands them back "used". Two ring layouts exist (virtio 1.2):
 *
 *   split  (§2.7)  descriptor table + available ring + used ring;
 *                  legacy devices (no VERSION_1) need the legacy layout
 *                  with the used ring on the next 4096 boundary;
 *   packed (§2.8)  one descriptor ring both sides write, plus two small
 *                  event-suppression structures (RING_PACKED).
 *
 * Both sit behind the same calls: vq_add, vq_kick, vq_get_used,
 * vq_enable_cb / vq_disable_cb, vq_detach_unused. See docs/virtqueues.md.
 *
 * Seams: the queue touches no hardware. The caller gives it the ring
 * memory (sizes from vq_ring_bytes), a virt_to_phys translation (identity
 * in the kernel) and a notify callback (the transport writes the queue
 * index to its notify register). vq_get_addrs tells the transport what to
 * program into the device.
 *
 * Trust: nothing the device writes is believed. Every used id, length and
 * index is checked before use; a bad one is counted in vq->errors, kept as
 * vq_last_error / vq_last_error_msg, the queue becomes broken (vq_is_broken)
 * and the bad entry is never followed. The driver then sets FAILED or
 * resets the device and reclaims its buffers with vq_detach_unused.
 *
 * Concurrency: none. One CPU; a driver calls vq_get_used either by polling
 * or from its interrupt handler, never both at once.
 *
 * The same code is built into the kernel and into host unit tests.
 */
#ifndef PINPRICK_VIRTQUEUE_H
#define PINPRICK_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtqueue.h assumes a little-endian CPU (rings are little-endian)"
#endif

/* ---- device-independent feature bits (§6), as bit numbers --------------- */

#ifndef VIRTIO_F_INDIRECT_DESC
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32
#define VIRTIO_F_RING_PACKED   34
#endif
#define VQ_FEAT(bit) (1ull << (bit))

#define VQ_MAX_SIZE 32768 /* largest queue size the spec allows */

/* ---- split ring wire format (§2.7), little-endian ------------------------ */

struct vring_desc {
	uint64_t addr;	/* guest-physical address of the buffer */
	uint32_t len;	/* bytes */
	uint16_t flags; /* VRING_DESC_F_* */
	uint16_t next;	/* next descriptor of the chain if F_NEXT */
};
#define VRING_DESC_F_NEXT     1
#define VRING_DESC_F_WRITE    2 /* device writes (else device reads) */
#define VRING_DESC_F_INDIRECT 4 /* buffer is a table of descriptors */

struct vring_avail {	 /* the "driver area"; written by the driver only */
	uint16_t flags;	 /* VRING_AVAIL_F_NO_INTERRUPT */
	uint16_t idx;	 /* free-running count of entries published */
	uint16_t ring[]; /* [size] heads, then le16 used_event */
};
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_used_elem {
	uint32_t id;  /* head descriptor of the completed chain */
	uint32_t len; /* bytes the device wrote */
};

struct vring_used {	/* the "device area"; written by the device only */
	uint16_t flags; /* VRING_USED_F_NO_NOTIFY */
	uint16_t idx;	/* free-running count of entries published */
	struct vring_used_elem ring[]; /* [size], then le16 avail_event */
};
#define VRING_USED_F_NO_NOTIFY 1

/* ---- packed ring wire format (§2.8) -------------------------------------- */

struct vring_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id; /* buffer id, chosen by the driver */
	uint16_t flags;
};
#define VRING_PACKED_DESC_F_AVAIL (1u << 7)
#define VRING_PACKED_DESC_F_USED  (1u << 15)

struct vring_packed_event { /* driver and device event suppression */
	uint16_t off_wrap;  /* bits 0-14 descriptor offset, bit 15 wrap */
	uint16_t flags;	    /* VRING_PACKED_EVENT_FLAG_* */
};
#define VRING_PACKED_EVENT_FLAG_ENABLE	0
#define VRING_PACKED_EVENT_FLAG_DISABLE 1
#define VRING_PACKED_EVENT_FLAG_DESC	2 /* only with EVENT_IDX */
#define VRING_PACKED_EVENT_WRAP_SHIFT	15

_Static_assert(sizeof(struct vring_desc) == 16, "vring_desc");
_Static_assert(sizeof(struct vring_used_elem) == 8, "vring_used_elem");
_Static_assert(sizeof(struct vring_packed_desc) == 16, "vring_packed_desc");
_Static_assert(sizeof(struct vring_packed_event) == 4, "packed event");

/*
 * EVENT_IDX (§2.7.10): having moved an index from old to new_idx, notify
 * the other side iff it asked to hear about entry event_idx and that entry
 * is among the ones just published, i.e. event_idx is in [old, new_idx).
 * All arithmetic is mod 2^16, so it keeps working when the indices wrap.
 */
static inline bool vring_need_event(uint16_t event_idx, uint16_t new_idx,
				    uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/* ---- barriers and single-access helpers for shared ring memory ---------- */

/*
 * x86 is TSO: stores are not reordered with stores, nor loads with loads,
 * so publishing (wmb) and consuming (rmb) only need the compiler to keep
 * program order. The EVENT_IDX check stores an index then loads the other
 * side's event index; that store->load order needs a real fence.
 */
static inline void virt_wmb(void)
{
	__asm__ volatile("" ::: "memory");
}

static inline void virt_rmb(void)
{
	__asm__ volatile("" ::: "memory");
}

static inline void virt_mb(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("mfence" ::: "memory");
#else
	__sync_synchronize();
#endif
}

/* Exactly one access each: no re-reads of device-written fields. */
static inline uint16_t vq_rd16(const void *p)
{
	return *(const volatile uint16_t *)p;
}

static inline uint32_t vq_rd32(const void *p)
{
	return *(const volatile uint32_t *)p;
}

static inline void vq_wr16(void *p, uint16_t v)
{
	*(volatile uint16_t *)p = v;
}

static inline void vq_wr32(void *p, uint32_t v)
{
	*(volatile uint32_t *)p = v;
}

static inline void vq_wr64(void *p, uint64_t v)
{
	*(volatile uint64_t *)p = v;
}

/* ---- driver API ---------------------------------------------------------- */

/* Return codes of the calls below (negative, errno-like values). */
#define VQ_OK	  0
#define VQ_EIO	  (-5)	/* queue is broken: the device misbehaved */
#define VQ_EINVAL (-22) /* bad argument or setup */
#define VQ_ENOSPC (-28) /* not enough free descriptors right now */

/* What the device did wrong (vq_last_error). */
enum vq_error {
	VQ_ERR_NONE = 0,
	VQ_ERR_USED_ID_RANGE, /* used id >= queue size */
	VQ_ERR_USED_ID_IDLE,  /* used id is not a buffer in flight */
	VQ_ERR_USED_LEN,      /* used len > device-writable bytes */
	VQ_ERR_USED_IDX,      /* more used entries than buffers in flight */
	VQ_ERR_PACKED_WRAP,   /* packed: used with the wrong wrap counter */
	VQ_ERR_PACKED_FLAGS,  /* packed: AVAIL/USED bits inconsistent */
	VQ_ERR_COUNT
};

enum vq_layout { VQ_LAYOUT_SPLIT_LEGACY, VQ_LAYOUT_SPLIT, VQ_LAYOUT_PACKED };

/* One piece of a buffer: must be physically contiguous. */
struct vq_buf {
	void *addr;
	uint32_t len;
};

struct virtqueue;

struct vq_setup {
	unsigned size;	   /* entries; split: power of 2; both: <= 32768 */
	uint16_t index;	   /* queue index, for the transport */
	uint64_t features; /* negotiated bits: VQ_FEAT(VIRTIO_F_...) */
	void *ring;	   /* vq_ring_bytes(); legacy 4096-, else 16-aligned */
	void *state;	   /* vq_state_bytes(size); driver-private */
	void *indirect;	   /* NULL, or vq_indirect_bytes(size, max), 16-al. */
	unsigned indirect_max; /* descriptors per indirect table */
	/* Guest-physical address of p; NULL = identity. */
	uint64_t (*virt_to_phys)(void *ctx, const void *p);
	void *mem_ctx;
	/* Tell the device the queue has new buffers (write the notify reg). */
	void (*notify)(void *ctx, struct virtqueue *vq);
	void *notify_ctx;
	/* Optional: called once per device error detected, with a message. */
	void (*on_error)(void *ctx, struct virtqueue *vq, int err,
			 const char *msg);
	void *on_error_ctx;
};

/* Where the rings are, for the transport to program into the device. */
struct vq_addrs {
	uint64_t desc, driver, device; /* guest-physical addresses */
	size_t desc_bytes, driver_bytes, device_bytes;
	unsigned size;
	enum vq_layout layout; /* legacy: program desc >> 12 as the PFN */
};

/* Flags for vq_add_ex. */
#define VQ_ADD_DIRECT	1u /* never use an indirect table */
#define VQ_ADD_INDIRECT 2u /* always use one (fails if not negotiated) */

/* Sizes of the three memory blocks a queue needs (0 = invalid size). */
size_t vq_split_bytes(unsigned size, bool legacy);
size_t vq_packed_bytes(unsigned size);
size_t vq_ring_bytes(uint64_t features, unsigned size);
size_t vq_state_bytes(unsigned size);
size_t vq_indirect_bytes(unsigned size, unsigned indirect_max);

/*
 * Set up a queue over zeroed rings. vq_init picks the layout from the
 * features: RING_PACKED -> packed (needs VERSION_1), VERSION_1 -> split,
 * else legacy split. VQ_OK or VQ_EINVAL.
 */
int vq_init(struct virtqueue *vq, const struct vq_setup *s);
int vq_init_split(struct virtqueue *vq, const struct vq_setup *s);
int vq_init_packed(struct virtqueue *vq, const struct vq_setup *s);

void vq_get_addrs(const struct virtqueue *vq, struct vq_addrs *a);

/*
 * Offer one buffer: n_out device-readable pieces, then n_in device-writable
 * ones. token (not NULL) comes back from vq_get_used. Uses an indirect table
 * when negotiated, given memory, n > 1 and it fits (or as flags say).
 * VQ_OK, VQ_ENOSPC (try after reaping), VQ_EINVAL or VQ_EIO.
 */
int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n_out,
	   unsigned n_in, void *token);
int vq_add_ex(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n_out,
	      unsigned n_in, void *token, unsigned flags);

/* Notify the device if it wants it; true if the notify callback ran. */
bool vq_kick(struct virtqueue *vq);

/*
 * Next used buffer: its token, and in *len the bytes the device wrote
 * (validated <= the writable part). NULL if none, or if the queue is (or
 * just became) broken.
 */
void *vq_get_used(struct virtqueue *vq, uint32_t *len);

/* True if a used buffer is waiting (false when broken). */
bool vq_more_used(const struct virtqueue *vq);

/* Ask the device not to interrupt for used buffers (a hint). */
void vq_disable_cb(struct virtqueue *vq);

/*
 * Ask for an interrupt on the next used buffer. Returns false if buffers
 * were already used meanwhile (reap them, then try again), true otherwise.
 */
bool vq_enable_cb(struct virtqueue *vq);

/*
 * After the device is reset (or never started): take back one buffer still
 * in flight and return its token, NULL when none is left. Works on a broken
 * queue. Re-initialise the queue before using it again.
 */
void *vq_detach_unused(struct virtqueue *vq);

unsigned vq_num_free(const struct virtqueue *vq);  /* free descriptors */
unsigned vq_in_flight(const struct virtqueue *vq); /* buffers outstanding */
bool vq_is_broken(const struct virtqueue *vq);
int vq_last_error(const struct virtqueue *vq);		   /* enum vq_error */
const char *vq_last_error_msg(const struct virtqueue *vq); /* "" if none */
const char *vq_error_name(int err);

/* Identity translation, for the kernel's identity map. */
uint64_t vq_identity_phys(void *ctx, const void *p);

/* ---- the structure (fields are private unless marked) ------------------- */

/* Per descriptor (split) or per buffer id (packed), driver-private. */
struct vq_slot {
	void *token;	 /* caller's cookie while in flight */
	uint32_t in_len; /* device-writable bytes of the buffer */
	uint16_t num;	 /* descriptors in the ring; 0 = not in flight */
	uint16_t next;	 /* free list link (split: also the chain link) */
	uint16_t last;	 /* split: last descriptor of the chain */
	uint16_t rsvd;
};

struct vq_ops {
	int (*add)(struct virtqueue *vq, const struct vq_buf *bufs,
		   unsigned n_out, unsigned n_in, void *token, bool indirect,
		   uint32_t in_len);
	bool (*kick_prepare)(struct virtqueue *vq);
	void *(*get_used)(struct virtqueue *vq, uint32_t *len);
	bool (*more_used)(const struct virtqueue *vq);
	void (*disable_cb)(struct virtqueue *vq);
	void (*enable_cb)(struct virtqueue *vq);
	void *(*detach_unused)(struct virtqueue *vq);
};

struct virtqueue {
	/* Public, read-only. */
	uint64_t errors;   /* device errors detected */
	uint64_t kicks;	   /* vq_kick calls with something added */
	uint64_t notifies; /* of those, how many notified the device */
	/*
	 * Public, set by the driver after init: a used length above the
	 * writable bytes is clamped and counted in len_clamped instead of
	 * breaking the queue. For devices whose lengths mean nothing (the
	 * balloon, virtio 1.2 §5.5.6.2.1: old devices report the whole
	 * descriptor length and drivers should ignore it).
	 */
	bool lax_used_len;
	uint64_t len_clamped;

	/* Private. */
	const struct vq_ops *ops;
	enum vq_layout layout;
	uint16_t size;
	uint16_t index;
	uint16_t indirect_max;
	bool event_idx;
	bool has_indirect;
	bool broken;
	bool cb_enabled;
	bool avail_wrap;    /* packed */
	bool used_wrap;	    /* packed */
	uint16_t num_free;  /* free descriptors */
	uint16_t in_flight; /* buffers the device holds */
	uint16_t avail_idx; /* split: shadow avail->idx; packed: position */
	uint16_t last_used; /* split: free-running; packed: position */
	uint16_t free_head; /* split: descriptor; packed: buffer id */
	uint32_t num_added; /* since the last kick */
	struct vq_slot *slot;
	void *indirect; /* indirect_max descriptors per slot */
	union {
		struct {
			struct vring_desc *desc;
			struct vring_avail *avail;
			struct vring_used *used;
		} split;
		struct {
			struct vring_packed_desc *desc;
			struct vring_packed_event *driver;
			struct vring_packed_event *device;
		} packed;
	} r;
	struct vq_addrs addrs;
	uint64_t (*virt_to_phys)(void *ctx, const void *p);
	void *mem_ctx;
	void (*notify)(void *ctx, struct virtqueue *vq);
	void *notify_ctx;
	void (*on_error)(void *ctx, struct virtqueue *vq, int err,
			 const char *msg);
	void *on_error_ctx;
	int last_error;
	char last_msg[96];
};

/* ---- internal: shared by virtqueue.c, vq_split.c, vq_packed.c ----------- */

extern const struct vq_ops vq_split_ops;
extern const struct vq_ops vq_packed_ops;

/* Record a device error, mark the queue broken; fmt as ksnprintf. */
void vq_device_error(struct virtqueue *vq, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline uint64_t vq_phys(const struct virtqueue *vq, const void *p)
{
	return vq->virt_to_phys(vq->mem_ctx, p);
}

#endif
