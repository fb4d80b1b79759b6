# The VMware balloon driver against a host whose answers are the input.
FUZZ_TARGETS += vmw_balloon
FUZZ_SRC_vmw_balloon := drivers/vmware/vmw_balloon.c \
	drivers/vmware/vmw_balloon_ops.c kernel/page_alloc.c kernel/printf.c \
	kernel/string.c
