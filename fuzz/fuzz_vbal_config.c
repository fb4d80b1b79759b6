/*
 * fuzz_vbal_config.c - libFuzzer target: the virtio-balloon driver's
 * feature negotiation and configuration handling (drivers/virtio/vbal*.c)
 * against a device whose offer and config space come from the input.
 *
 * The device is the unit tests' model (tests/unit/vbal_model*.c) over the
 * real virtqueues, so the driver runs end to end. The input picks the
 * offered feature bits (balloon and ring), the bits the driver is told to
 * switch off, the config space size (0 = unknown, 1..20 bytes), whether
 * FEATURES_OK is refused and whether the config generation flaps; then a
 * script changes config bytes between reads (num_pages, actual,
 * free_page_hint_cmd_id, poison_val, any byte), services the driver and
 * moves the balloon toward its target.
 *
 * Asserted (abort on violation):
 *   - vbal_init returns 0 or a VBAL_E_* code, and fails when FEATURES_OK
 *     was refused or the config space is too small for the features;
 *   - the driver accepts only features the device offered and it wanted
 *     (never one switched off), and the device saw the same set;
 *   - the balloon never holds more pages than guest memory, the device's
 *     count equals the driver's, vbal_check and pa_check find nothing,
 * inflate/deflate never move more than asked, and the model saw no rule broken
 * (m.errors == 0);
 *   - teardown leaves no page ballooned and the device reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtio_balloon.h"
#include "kernel/mm.h"
#include "tests/unit/vbal_model.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "fuzz_vbal_config: %d: %s (%s)\n",     \
				__LINE__, #c, m.last_error);                   \
			abort();                                               \
		}                                                              \
	} while (0)

#define RING_BITS                                                              \
	(VQ_FEAT(VIRTIO_F_INDIRECT_DESC) | VQ_FEAT(VIRTIO_F_EVENT_IDX) |       \
	 VQ_FEAT(VIRTIO_F_RING_PACKED))

static struct vbm m;
static struct vbal vb;
static const uint8_t *in_p, *in_end;

static uint8_t in8(void)
{
	return in_p < in_end ? *in_p++ : 0;
}

static uint32_t in32(void)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)in8() << (8 * i);
	return v;
}

/* Map the input's bits onto the features the driver might want. */
static uint64_t feature_bits(uint8_t b, uint8_t ring)
{
	uint64_t f = b & VBAL_FEATURES_BALLOON;

	if (ring & 1)
		f |= VQ_FEAT(VIRTIO_F_INDIRECT_DESC);
	if (ring & 2)
		f |= VQ_FEAT(VIRTIO_F_EVENT_IDX);
	if (ring & 4)
		f |= VQ_FEAT(VIRTIO_F_RING_PACKED);
	return f;
}

static void check_running(void)
{
	char why[160] = "";

	CHECK(vb.track.count <= VBM_PAGES);
	CHECK(m.balloon == vb.track.count);
	CHECK(m.errors == 0);
	/* The driver's and the allocator's own consistency checks. */
	CHECK(vbal_check(&vb, true, why, sizeof(why)) == 0);
	CHECK(pa_check(&mm_zone, why, sizeof(why)) == PA_OK);
}

static void run_script(void)
{
	while (in_p < in_end && vb.up) {
		uint8_t op = in8();
		int64_t got, n;

		switch (op % 6) {
		case 0: /* the host changes num_pages */
			vbm_set_target(&m, in32() % (2 * VBM_PAGES));
			break;
		case 1: /* the host changes the hint command id */
			vbm_set_cmd_id(&m, in32());
			break;
		case 2: { /* any config byte, even actual and poison_val */
			unsigned off = in8() % VBM_CFG_BYTES;

			m.cfg[off] = in8();
			break;
		}
		case 3:
			vbal_service(&vb);
			break;
		case 4: /* move toward the target, a bounded step */
			n = vbal_change(&vb);
			if (n > 0) {
				n = n > 4096 ? 4096 : n;
				got = vb.b.ops->inflate(&vb.b, (uint64_t)n);
			} else {
				n = n < -4096 ? 4096 : -n;
				got = vb.b.ops->deflate(&vb.b, (uint64_t)n);
			}
			CHECK(got <= n);
			break;
		case 5:
			m.flapping_generation = !m.flapping_generation;
			break;
		}
		if (vb.up)
			check_running();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool mem_ready;
	struct vbal_cfg c;
	uint64_t offered, off, wanted;
	uint8_t flags, cfg_len;
	int rc;

	if (size < 5)
		return 0;
	if (!mem_ready) {
		vbm_memory_init();
		mem_ready = true;
	}
	in_p = data;
	in_end = data + size;
	offered = feature_bits(in8(), in8());
	off = feature_bits(in8(), 0);
	flags = in8();
	cfg_len = in8() % (VBM_CFG_BYTES + 1);

	vbm_init(&m, offered);
	m.dev.config_len = cfg_len;
	m.refuse_features_ok = flags & 1;
	m.flapping_generation = flags & 2;
	for (unsigned i = 0; i < VBM_CFG_BYTES; i++)
		m.cfg[i] = (flags & 4) ? in8() : m.cfg[i];
	c = vbm_cfg(&m);
	c.features_off = off;
	c.poison_val = in32();

	rc = vbal_init(&vb, &c);
	wanted = (VBAL_FEATURES_BALLOON | VBAL_FEATURES_RING) & ~off;
	CHECK(rc == 0 || rc == VBAL_E_SETUP || rc == VBAL_E_NOMEM);
	/* Accepted bits: offered, wanted, and what the device was told. */
	CHECK(!(vb.d->accepted & ~(m.offered | VQ_FEAT(VIRTIO_F_VERSION_1))));
	CHECK(!(vb.d->accepted & ~wanted & ~VQ_FEAT(VIRTIO_F_VERSION_1)));
	if (rc == 0) {
		unsigned need = virtio_has(vb.d, VBAL_F_PAGE_POISON)	  ? 16
				: virtio_has(vb.d, VBAL_F_FREE_PAGE_HINT) ? 12
									  : 8;

		CHECK(!m.refuse_features_ok);
		CHECK(cfg_len == 0 || cfg_len >= need);
		CHECK(m.driver_features == vb.d->accepted);
		check_running();
		run_script();
	}
	if (vb.mem_pfn > 0)
		vbal_teardown(&vb);
	CHECK(mm_zone.count[PA_BALLOONED] == 0);
	CHECK(m.errors == 0);
	return 0;
}
