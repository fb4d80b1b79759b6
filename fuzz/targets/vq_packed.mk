# fuzz/targets/vq_packed.mk - sources of the vq_packed fuzz target (fuzz/fuzz_vq_packed.c).
FUZZ_SRC_vq_packed := fuzz/vq_harness.c fuzz/vq_oracle.c fuzz/vq_device.c \
	drivers/virtio/virtqueue.c \
	drivers/virtio/vq_split.c drivers/virtio/vq_packed.c kernel/printf.c \
	kernel/string.c
FUZZ_MAXLEN_vq_packed := 2048
FUZZ_TARGETS += vq_packed
