# fuzz/targets/vq_split.mk - sources of the vq_split fuzz target (fuzz/fuzz_vq_split.c).
FUZZ_SRC_vq_split := fuzz/vq_harness.c fuzz/vq_oracle.c fuzz/vq_device.c \
	drivers/virtio/virtqueue.c \
	drivers/virtio/vq_split.c drivers/virtio/vq_packed.c kernel/printf.c \
	kernel/string.c
FUZZ_MAXLEN_vq_split := 2048
FUZZ_TARGETS += vq_split
