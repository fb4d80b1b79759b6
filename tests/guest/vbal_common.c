/*
 * vbal_common.c - helpers the virtio-balloon suites share (see the
 * header). The host side is the runner, reached through kernel/ctl.c; a
 * check that needs it skips, naming the reason, when no runner answers.
 */
#include "tests/guest/vbal_common.h"
#include "drivers/virtio/vbal_irq.h"
#include "kernel/ctl.h"
#include "kernel/ioapic.h"
#include "kernel/mm.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/tf.h"
#include "kernel/time.h"
#include "kernel/x86.h"

struct vbal vbt;
struct virtio_dev *vbt_dev;
uint32_t vbt_poison_val;
static uint64_t ram_bytes;

bool vbt_present(const char *what)
{
	vbt_dev = NULL;
	for (unsigned i = 0; i < virtio_nr_devices; i++)
		if (virtio_devices[i]->device_id == VIRTIO_ID_BALLOON) {
			vbt_dev = virtio_devices[i];
			return true;
		}
	tf_skip("no virtio-balloon on this machine", "%s", what);
	return false;
}

enum virtio_irq_mode vbt_default_mode(void)
{
	if (vbt_dev && vbt_dev->gsi >= 0 &&
	    ioapic_has_gsi((unsigned)vbt_dev->gsi))
		return VIRTIO_IRQ_INTX;
	return VIRTIO_IRQ_POLL;
}

bool vbt_up(uint64_t features_off, enum virtio_irq_mode mode)
{
	struct vbal_cfg cfg = {
		.dev = vbt_dev,
		.zone = &mm_zone,
		.features_off = features_off,
		.poison_val = vbt_poison_val, /* 0: as Linux, init_on_free */
		.irq_mode = mode,
		.queue_vector = mode == VIRTIO_IRQ_MSIX
					? VIRTIO_MSIX_QUEUE_ENTRY
					: VIRTIO_NO_VECTOR,
	};
	int rc;

	if (mode != VIRTIO_IRQ_POLL &&
	    vbal_irq_attach(&vbt, vbt_dev, mode) < 0) {
		tf_check(false, "virtio 1.2 §4.1.5",
			 "%s: %s interrupt attached", vbt_dev->where,
			 virtio_irq_mode_name(mode));
		return false;
	}
	rc = vbal_init(&vbt, &cfg);
	if (rc < 0) {
		tf_diag("error", "%s",
			vbt.error ? vbt.error : vbal_err_name(rc));
		tf_check(false, "virtio 1.2 §3.1.1, §5.5.5",
			 "%s: balloon driver comes up", vbt_dev->where);
		vbal_irq_detach(vbt_dev);
		return false;
	}
	return true;
}

void vbt_down(void)
{
	vbal_teardown(&vbt);
	vbal_irq_detach(vbt_dev);
}

bool vbt_ask(const char *verb, const char *args, char *reply, unsigned len)
{
	return ctl_request(verb, args, reply, len, VBT_CTL_WAIT) == CTL_OK;
}

bool vbt_kv(const char *s, const char *key, uint64_t *v)
{
	size_t kl = strlen(key), n;

	for (const char *p = s; *p; p++) {
		if ((p != s && p[-1] != ' ') || strncmp(p, key, kl) ||
		    p[kl] != '=')
			continue;
		p += kl + 1;
		for (n = 0; p[n] >= '0' && p[n] <= '9'; n++)
			;
		return n && str_to_u64(p, n, v);
	}
	return false;
}

bool vbt_query(uint64_t *guest_bytes)
{
	char reply[CTL_LINE_MAX];

	return vbt_ask("query-balloon", NULL, reply, sizeof(reply)) &&
	       vbt_kv(reply, "actual", guest_bytes);
}

bool vbt_host(const char *what)
{
	if (!ctl_connect(2 * NSEC_PER_SEC)) {
		tf_skip(ctl_unavailable_reason(), "%s", what);
		return false;
	}
	if (!ram_bytes) {
		/* Before any inflation QEMU's "actual" is the RAM size. */
		uint64_t g;

		if (vbt_query(&g))
			ram_bytes = g + (uint64_t)vbt.actual * PA_PAGE_SIZE;
	}
	if (!ram_bytes) {
		tf_skip("the runner has no QMP balloon", "%s", what);
		return false;
	}
	return true;
}

uint64_t vbt_ram(void)
{
	return ram_bytes;
}

bool vbt_set_target(uint64_t pages)
{
	char args[32];
	uint64_t bytes = pages * PA_PAGE_SIZE;

	/* QMP balloon takes the size the guest should have. */
	ksnprintf(args, sizeof(args), "%llu",
		  (unsigned long long)(bytes < ram_bytes ? ram_bytes - bytes
							 : 1));
	return vbt_ask("balloon", args, NULL, 0);
}

bool vbt_rss(uint64_t *rss)
{
	char reply[CTL_LINE_MAX];

	return vbt_ask("host-rss", NULL, reply, sizeof(reply)) &&
	       vbt_kv(reply, "rss", rss);
}

bool vbt_follow(uint64_t want, uint64_t timeout_ns)
{
	uint64_t deadline = time_ns() + timeout_ns;

	while (time_ns() < deadline) {
		int64_t moved;

		vbal_service(&vbt);
		if (!vbt.up)
			return false;
		if (vbt.num_pages != want) {
			cpu_relax();
			continue;
		}
		moved = balloon_step(&vbt.b, 1u << 14);
		if (vbt.b.size == want)
			return true;
		if (moved <= 0 && vbt.b.shortfall.active)
			return true; /* stopped at the reserve floor */
	}
	return false;
}

void vbt_check_accounting(const char *when)
{
	char why[128] = "";
	char pa_why[128] = "";
	int rc = vbal_check(&vbt, true, why, sizeof(why));

	tf_diag("why", "%s", why);
	tf_check(rc == 0, "pinprick accounting",
		 "%s: every ballooned page is accounted for", when);
	tf_diag("why", "%s", pa_why);
	tf_check(pa_check(&mm_zone, pa_why, sizeof(pa_why)) == PA_OK,
		 "pinprick accounting", "%s: allocator consistent", when);
}

void vbt_dirty_free_memory(uint8_t pattern)
{
	uint64_t n, head = vbt_workload_take_all(&n);

	/* Every page above the reserve is written once (after its first
	 * word, which holds the chain), then given back. */
	for (uint64_t p = head; p;
	     p = *(uint64_t *)(uintptr_t)(p << PA_PAGE_SHIFT))
		memset((uint8_t *)(uintptr_t)(p << PA_PAGE_SHIFT) + 8, pattern,
		       PA_PAGE_SIZE - 8);
	vbt_workload_release(head);
}

/* Pages chained through their first word: no array to size. */
uint64_t vbt_workload_take_all(uint64_t *pages)
{
	int64_t pfn;
	uint64_t head = 0;

	*pages = 0;
	while ((pfn = pa_alloc(&mm_zone, 0, PA_WORKLOAD)) > 0) {
		*(uint64_t *)(uintptr_t)((uint64_t)pfn << 12) = head;
		head = (uint64_t)pfn;
		(*pages)++;
	}
	return head;
}

void vbt_workload_release(uint64_t head)
{
	while (head) {
		uint64_t next = *(uint64_t *)(uintptr_t)(head << 12);

		pa_free(&mm_zone, head, 0, PA_WORKLOAD);
		head = next;
	}
}
