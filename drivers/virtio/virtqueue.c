/*
 * virtqueue.c - what split and packed queues share: ring sizes, argument
 * checks, the indirect-or-direct decision, kick accounting and the record
 * of device errors. The ring-specific work is in vq_split.c / vq_packed.c,
 * reached through vq->ops.
 */
#include <stdarg.h>

#include "drivers/virtio/virtqueue.h"
#include "kernel/printf.h"
#include "kernel/string.h"

static size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static bool is_pow2(unsigned x)
{
	return x && !(x & (x - 1));
}

size_t vq_split_bytes(unsigned size, bool legacy)
{
	size_t used_off;

	if (!is_pow2(size) || size > VQ_MAX_SIZE)
		return 0;
	/* desc 16·N, avail 6 + 2·N (flags, idx, ring, used_event) */
	used_off = align_up(16 * (size_t)size + 6 + 2 * (size_t)size,
			    legacy ? 4096 : 4);
	/* used 6 + 8·N (flags, idx, ring, avail_event) */
	return used_off + 6 + 8 * (size_t)size;
}

size_t vq_packed_bytes(unsigned size)
{
	if (size == 0 || size > VQ_MAX_SIZE)
		return 0;
	/* descriptor ring, then driver and device event suppression */
	return 16 * (size_t)size + 2 * sizeof(struct vring_packed_event);
}

size_t vq_ring_bytes(uint64_t features, unsigned size)
{
	if (features & VQ_FEAT(VIRTIO_F_RING_PACKED))
		return vq_packed_bytes(size);
	return vq_split_bytes(size, !(features & VQ_FEAT(VIRTIO_F_VERSION_1)));
}

size_t vq_state_bytes(unsigned size)
{
	return size > VQ_MAX_SIZE ? 0 : size * sizeof(struct vq_slot);
}

size_t vq_indirect_bytes(unsigned size, unsigned indirect_max)
{
	if (size > VQ_MAX_SIZE || indirect_max > VQ_MAX_SIZE)
		return 0;
	return (size_t)size * indirect_max * sizeof(struct vring_desc);
}

uint64_t vq_identity_phys(void *ctx, const void *p)
{
	(void)ctx;
	return (uint64_t)(uintptr_t)p;
}

static int setup_common(struct virtqueue *vq, const struct vq_setup *s,
			enum vq_layout layout)
{
	size_t align = layout == VQ_LAYOUT_SPLIT_LEGACY ? 4096 : 16;
	uint64_t (*v2p)(void *, const void *);

	if (!vq || !s || !s->ring || !s->state || !s->notify)
		return VQ_EINVAL;
	if (s->size == 0 || s->size > VQ_MAX_SIZE)
		return VQ_EINVAL;
	if (layout != VQ_LAYOUT_PACKED && !is_pow2(s->size))
		return VQ_EINVAL;
	v2p = s->virt_to_phys ? s->virt_to_phys : vq_identity_phys;
	if (((uintptr_t)s->ring | v2p(s->mem_ctx, s->ring)) & (align - 1))
		return VQ_EINVAL;
	if ((uintptr_t)s->state & (_Alignof(struct vq_slot) - 1))
		return VQ_EINVAL;
	if (s->indirect &&
	    (s->indirect_max == 0 || s->indirect_max > s->size ||
	     (((uintptr_t)s->indirect | v2p(s->mem_ctx, s->indirect)) & 15)))
		return VQ_EINVAL;

	memset(vq, 0, sizeof(*vq));
	vq->layout = layout;
	vq->size = (uint16_t)s->size; /* 32768 fits; only used mod size */
	vq->index = s->index;
	vq->event_idx = !!(s->features & VQ_FEAT(VIRTIO_F_EVENT_IDX));
	vq->has_indirect =
		(s->features & VQ_FEAT(VIRTIO_F_INDIRECT_DESC)) && s->indirect;
	vq->indirect = vq->has_indirect ? s->indirect : NULL;
	vq->indirect_max = vq->has_indirect ? (uint16_t)s->indirect_max : 0;
	vq->cb_enabled = true;
	vq->num_free = (uint16_t)s->size;
	vq->slot = s->state;
	vq->virt_to_phys = v2p;
	vq->mem_ctx = s->mem_ctx;
	vq->notify = s->notify;
	vq->notify_ctx = s->notify_ctx;
	vq->on_error = s->on_error;
	vq->on_error_ctx = s->on_error_ctx;
	memset(s->state, 0, vq_state_bytes(s->size));
	memset(s->ring, 0,
	       layout == VQ_LAYOUT_PACKED
		       ? vq_packed_bytes(s->size)
		       : vq_split_bytes(s->size,
					layout == VQ_LAYOUT_SPLIT_LEGACY));
	vq->addrs.size = s->size;
	vq->addrs.layout = layout;
	return VQ_OK;
}

int vq_init_split(struct virtqueue *vq, const struct vq_setup *s)
{
	bool legacy;
	size_t n, used_off;
	uint8_t *base;
	int rc;

	if (!s || (s->features & VQ_FEAT(VIRTIO_F_RING_PACKED)))
		return VQ_EINVAL;
	legacy = !(s->features & VQ_FEAT(VIRTIO_F_VERSION_1));
	rc = setup_common(vq, s,
			  legacy ? VQ_LAYOUT_SPLIT_LEGACY : VQ_LAYOUT_SPLIT);
	if (rc)
		return rc;
	n = s->size;
	base = s->ring;
	used_off = vq_split_bytes(s->size, legacy) - (6 + 8 * n);
	vq->r.split.desc = (struct vring_desc *)base;
	vq->r.split.avail = (struct vring_avail *)(base + 16 * n);
	vq->r.split.used = (struct vring_used *)(base + used_off);
	vq->addrs.desc = vq_phys(vq, vq->r.split.desc);
	vq->addrs.driver = vq_phys(vq, vq->r.split.avail);
	vq->addrs.device = vq_phys(vq, vq->r.split.used);
	vq->addrs.desc_bytes = 16 * n;
	vq->addrs.driver_bytes = 6 + 2 * n;
	vq->addrs.device_bytes = 6 + 8 * n;
	/* Every descriptor free, linked 0 -> 1 -> ... -> size-1. */
	for (size_t i = 0; i < n; i++)
		vq->slot[i].next = (uint16_t)(i + 1);
	vq->free_head = 0;
	vq->ops = &vq_split_ops;
	return VQ_OK;
}

int vq_init_packed(struct virtqueue *vq, const struct vq_setup *s)
{
	size_t n;
	uint8_t *base;
	int rc;

	if (!s || !(s->features & VQ_FEAT(VIRTIO_F_VERSION_1)))
		return VQ_EINVAL;
	rc = setup_common(vq, s, VQ_LAYOUT_PACKED);
	if (rc)
		return rc;
	n = s->size;
	base = s->ring;
	vq->r.packed.desc = (struct vring_packed_desc *)base;
	vq->r.packed.driver = (struct vring_packed_event *)(base + 16 * n);
	vq->r.packed.device = vq->r.packed.driver + 1;
	vq->addrs.desc = vq_phys(vq, vq->r.packed.desc);
	vq->addrs.driver = vq_phys(vq, vq->r.packed.driver);
	vq->addrs.device = vq_phys(vq, vq->r.packed.device);
	vq->addrs.desc_bytes = 16 * n;
	vq->addrs.driver_bytes = sizeof(struct vring_packed_event);
	vq->addrs.device_bytes = sizeof(struct vring_packed_event);
	/* Both wrap counters start at 1 (§2.8.1). */
	vq->avail_wrap = true;
	vq->used_wrap = true;
	for (size_t i = 0; i < n; i++)
		vq->slot[i].next = (uint16_t)(i + 1);
	vq->free_head = 0;
	vq->ops = &vq_packed_ops;
	return VQ_OK;
}

int vq_init(struct virtqueue *vq, const struct vq_setup *s)
{
	if (s && (s->features & VQ_FEAT(VIRTIO_F_RING_PACKED)))
		return vq_init_packed(vq, s);
	return vq_init_split(vq, s);
}

void vq_get_addrs(const struct virtqueue *vq, struct vq_addrs *a)
{
	*a = vq->addrs;
}

int vq_add_ex(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n_out,
	      unsigned n_in, void *token, unsigned flags)
{
	unsigned n = n_out + n_in;
	uint64_t in_len = 0;
	bool can_ind, ind;

	if (vq->broken)
		return VQ_EIO;
	if (!bufs || !token || n == 0 || n < n_out || n > vq->size ||
	    (flags & ~(VQ_ADD_DIRECT | VQ_ADD_INDIRECT)) ||
	    flags == (VQ_ADD_DIRECT | VQ_ADD_INDIRECT))
		return VQ_EINVAL;
	for (unsigned i = n_out; i < n; i++)
		in_len += bufs[i].len;
	if (in_len > UINT32_MAX)
		return VQ_EINVAL;

	can_ind = vq->has_indirect && n <= vq->indirect_max;
	if (flags & VQ_ADD_INDIRECT) {
		if (!can_ind)
			return VQ_EINVAL;
		ind = true;
	} else {
		ind = can_ind && n > 1 && !(flags & VQ_ADD_DIRECT);
	}
	if (vq->num_free < (ind ? 1 : n))
		return VQ_ENOSPC;
	return vq->ops->add(vq, bufs, n_out, n_in, token, ind,
			    (uint32_t)in_len);
}

int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n_out,
	   unsigned n_in, void *token)
{
	return vq_add_ex(vq, bufs, n_out, n_in, token, 0);
}

bool vq_kick(struct virtqueue *vq)
{
	if (vq->broken || vq->num_added == 0)
		return false;
	vq->kicks++;
	if (!vq->ops->kick_prepare(vq))
		return false;
	vq->notifies++;
	vq->notify(vq->notify_ctx, vq);
	return true;
}

void *vq_get_used(struct virtqueue *vq, uint32_t *len)
{
	uint32_t dummy;

	if (vq->broken)
		return NULL;
	return vq->ops->get_used(vq, len ? len : &dummy);
}

bool vq_more_used(const struct virtqueue *vq)
{
	return !vq->broken && vq->ops->more_used(vq);
}

void vq_disable_cb(struct virtqueue *vq)
{
	if (!vq->cb_enabled)
		return;
	vq->cb_enabled = false;
	vq->ops->disable_cb(vq);
}

bool vq_enable_cb(struct virtqueue *vq)
{
	if (vq->broken)
		return true; /* nothing to reap: do not make callers spin */
	vq->cb_enabled = true;
	vq->ops->enable_cb(vq);
	virt_mb(); /* the event index store before the used index load */
	return !vq->ops->more_used(vq);
}

void *vq_detach_unused(struct virtqueue *vq)
{
	return vq->ops->detach_unused(vq);
}

unsigned vq_num_free(const struct virtqueue *vq)
{
	return vq->num_free;
}

unsigned vq_in_flight(const struct virtqueue *vq)
{
	return vq->in_flight;
}

bool vq_is_broken(const struct virtqueue *vq)
{
	return vq->broken;
}

int vq_last_error(const struct virtqueue *vq)
{
	return vq->last_error;
}

const char *vq_last_error_msg(const struct virtqueue *vq)
{
	return vq->last_msg;
}

const char *vq_error_name(int err)
{
	static const char *const names[VQ_ERR_COUNT] = {
		[VQ_ERR_NONE] = "none",
		[VQ_ERR_USED_ID_RANGE] = "used id out of range",
		[VQ_ERR_USED_ID_IDLE] = "used id not in flight",
		[VQ_ERR_USED_LEN] = "used length too large",
		[VQ_ERR_USED_IDX] = "more used than in flight",
		[VQ_ERR_PACKED_WRAP] = "wrong wrap counter",
		[VQ_ERR_PACKED_FLAGS] = "inconsistent avail/used flags",
	};

	if (err < 0 || err >= VQ_ERR_COUNT)
		return "unknown";
	return names[err];
}

void vq_device_error(struct virtqueue *vq, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(vq->last_msg, sizeof(vq->last_msg), fmt, ap);
	va_end(ap);
	vq->errors++;
	vq->last_error = err;
	vq->broken = true;
	if (vq->on_error)
		vq->on_error(vq->on_error_ctx, vq, err, vq->last_msg);
}
