# The kernel command line parser (kernel/cmdline.c) on arbitrary bytes.
FUZZ_TARGETS += cmdline
FUZZ_SRC_cmdline := kernel/cmdline.c kernel/printf.c kernel/string.c
