# fuzz/targets/vbal_config.mk - sources of the vbal_config fuzz target
# (fuzz/fuzz_vbal_config.c): the balloon driver, the virtqueues, the page
# allocator and the unit tests' virtio-balloon device model.
FUZZ_SRC_vbal_config := drivers/virtio/vbal.c drivers/virtio/vbal_pages.c \
	drivers/virtio/vbal_track.c drivers/virtio/vbal_stats.c \
	drivers/virtio/vbal_hint.c drivers/virtio/virtio.c kernel/balloon.c \
	drivers/virtio/virtqueue.c drivers/virtio/vq_split.c \
	drivers/virtio/vq_packed.c tests/unit/vq_device_model.c \
	kernel/printf.c kernel/string.c kernel/page_alloc.c \
	tests/unit/vbal_model.c tests/unit/vbal_model_queues.c \
	tests/unit/vbal_host_stubs.c
FUZZ_MAXLEN_vbal_config := 512
FUZZ_TARGETS += vbal_config
