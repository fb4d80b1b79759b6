# The runner's control channel: COM2 lines through linebuf into ctl_handle.
# ctl.c reaches the rest of the runner (QMP, the VMware bridge), so the
# whole runner library is linked; no QEMU is ever connected.
FUZZ_TARGETS += ctl_req
FUZZ_SRC_ctl_req := $(RUNNER_LIB)
FUZZ_LIBS_ctl_req := -ljansson
