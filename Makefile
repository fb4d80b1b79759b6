# pinprick - a minimal x86_64 guest kernel that tests hypervisor memory balloons.
#
#   make            build build/pinprick.elf, build/pinprick.efi and build/pinprick-run
#   make images     boot media: ESP image, ISO, GPT disk and VMDK (build/)
#   make bench      benchmarks: a table and build/bench.json (docs/performance.md)
#   make faults     the full fault matrix under QEMU (docs/robustness.md)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (docs/fuzzing.md)
#   make run        boot the default profile under QEMU and print the report
#   make check      every test: host unit tests, then every profile under QEMU
#   make unit       host unit tests only (ASan + UBSan)
#   make coverage   lcov HTML report: host unit tests + the guest on every profile
#   make format     clang-format every C file
#   make lint       cppcheck
#
# Missing Debian packages are installed by host/scripts/ensure-deps.sh.

BUILD     ?= build
PROFILE   ?= pc-full
QEMU      ?= qemu-system-x86_64
V         ?= 0

CC        := gcc
LD        := ld
NASM      := nasm
OBJCOPY   := objcopy

Q := $(if $(filter 1,$(V)),,@)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter

# The stack protector (kernel/stack_chk.c): a canary in every function
# with a local array or an address-taken local. "global" reads the guard
# from __stack_chk_guard rather than %fs:40, which the kernel never sets up.
KSSP := -fstack-protector-strong -mstack-protector-guard=global

# The kernel: freestanding, no libc, no SSE (no FPU state to save in handlers),
# no red zone (interrupts use the same stack), linked at 1 MiB identity.
KCFLAGS := -std=gnu11 -O2 $(WARN) -I. -ffreestanding -fno-builtin -nostdlib \
	-fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -mcmodel=small \
	-fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	-ffunction-sections -fdata-sections --param=min-pagesize=0 -MMD -MP \
	-DPINPRICK_KERNEL $(KSSP)
KLDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --gc-sections \
	--no-warn-rwx-segments
NASMFLAGS := -f elf64 -w+all

# The UEFI loader (boot/efi/): a GNU-EFI application, position independent,
# built as an ELF shared object and converted to PE32+ by objcopy. The
# gnu-efi headers are system headers (-isystem): their old-style
# declarations are not ours to warn about.
EFI_INC  := -isystem /usr/include/efi -isystem /usr/include/efi/x86_64 \
	-isystem /usr/include/efi/protocol
EFI_CFLAGS := -std=gnu11 -O2 $(WARN) -I. $(EFI_INC) -fpic -fshort-wchar \
	-ffreestanding -fno-stack-protector -fno-stack-check -fno-strict-aliasing \
	-mno-red-zone -mno-avx -mgeneral-regs-only -maccumulate-outgoing-args \
	-DGNU_EFI_USE_MS_ABI -MMD -MP
EFI_LDFLAGS := -nostdlib --warn-common --no-undefined --fatal-warnings \
	--build-id=sha1 -shared -Bsymbolic -T boot/efi/efi.lds
EFI_C   := $(wildcard boot/efi/*.c)
EFI_OBJ := $(patsubst %.c,$(BUILD)/efi/%.o,$(EFI_C)) $(BUILD)/efi/kernel_blob.o
EFI_SECTIONS := .text .sdata .data .dynamic .dynsym .rel .rela .rel.* .rela.* .reloc

# Host programs and unit tests.
HCFLAGS := -std=gnu11 -g -O1 $(WARN) -I. -fno-omit-frame-pointer -MMD -MP
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined

KERNEL_C   := $(wildcard boot/*.c) $(wildcard kernel/*.c) $(wildcard drivers/*/*.c) $(wildcard tests/guest/*.c)
KERNEL_ASM := $(wildcard boot/*.asm) $(wildcard kernel/*.asm)
KERNEL_OBJ := $(patsubst %.c,$(BUILD)/k/%.o,$(KERNEL_C)) \
	$(patsubst %.asm,$(BUILD)/k/%.asm.o,$(KERNEL_ASM)) \
	$(BUILD)/k/gen/scen_builtin.o
# The coverage variant (make coverage): the same sources with gcc's arc
# counters in kernel/, drivers/ and tests/guest/, streamed out at exit by
# kernel/gcov.c (which is itself left uninstrumented). Objects, .gcno and
# the runner's rebuilt .gcda files live in $(BUILD)/kcov/.
KCOV_FLAGS := -fprofile-arcs -ftest-coverage -fprofile-update=atomic
KCOV_C     := $(filter-out kernel/gcov.c,$(filter kernel/% drivers/% tests/guest/%,$(KERNEL_C)))
KCOV_OBJ   := $(patsubst %.c,$(BUILD)/kcov/%.o,$(KCOV_C)) \
	$(patsubst %.o,$(BUILD)/k/%.o,$(filter-out $(KCOV_C:.c=.o),$(KERNEL_C:.c=.o))) \
	$(patsubst %.asm,$(BUILD)/k/%.asm.o,$(KERNEL_ASM)) \
	$(BUILD)/k/gen/scen_builtin.o
# Scenarios are built into the image (tests/guest/scen_builtin.h).
SCN_FILES  := $(sort $(wildcard tests/scenarios/*.scn))

RUNNER_C   := $(wildcard host/runner/*.c) $(wildcard host/vmw/vmw_model*.c)
RUNNER_LIB := $(filter-out host/runner/main.c,$(RUNNER_C))

# Host unit tests: tests/unit/test_X.c, plus the sources listed in UNIT_X.
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_test_page_alloc := kernel/page_alloc.c
UNIT_test_page_alloc_split := $(UNIT_test_page_alloc)
UNIT_test_page_alloc_reserve := $(UNIT_test_page_alloc)
UNIT_test_page_alloc_states := $(UNIT_test_page_alloc)
UNIT_test_page_alloc_check := $(UNIT_test_page_alloc)
UNIT_test_page_alloc_random := $(UNIT_test_page_alloc)
UNIT_test_printf     := kernel/printf.c kernel/string.c
UNIT_test_tap        := kernel/tap.c kernel/printf.c kernel/string.c
UNIT_test_cmdline    := kernel/cmdline.c kernel/printf.c kernel/string.c
UNIT_test_runner     := $(RUNNER_LIB)
UNIT_test_virtqueue  := drivers/virtio/virtqueue.c drivers/virtio/vq_split.c \
	drivers/virtio/vq_packed.c tests/unit/vq_device_model.c kernel/printf.c \
	kernel/string.c
UNIT_test_virtqueue_notify := $(UNIT_test_virtqueue)
UNIT_test_virtqueue_random := $(UNIT_test_virtqueue)
UNIT_test_virtqueue_hostile := $(UNIT_test_virtqueue)
VBAL_SRC := drivers/virtio/vbal.c drivers/virtio/vbal_pages.c \
	drivers/virtio/vbal_track.c drivers/virtio/vbal_stats.c \
	drivers/virtio/vbal_hint.c drivers/virtio/virtio.c kernel/balloon.c \
	$(UNIT_test_virtqueue) kernel/page_alloc.c tests/unit/vbal_model.c
VBAL_SRC += tests/unit/vbal_model_queues.c tests/unit/vbal_host_stubs.c
UNIT_test_vbal       := $(VBAL_SRC)
UNIT_test_vbal_hostile := $(VBAL_SRC)
UNIT_test_vbal_setup := $(VBAL_SRC)
UNIT_test_vbal_async := $(VBAL_SRC)
UNIT_test_vmw_model  := host/vmw/vmw_model.c host/vmw/vmw_model_batch.c
UNIT_test_vmw_model_batch := $(UNIT_test_vmw_model)
UNIT_test_vmw_reset_on := $(UNIT_test_vmw_model) host/runner/vmw_bridge_cfg.c host/runner/util.c
UNIT_test_vmw_balloon := drivers/vmware/vmw_balloon.c drivers/vmware/vmw_balloon_ops.c \
	host/vmw/vmw_model.c host/vmw/vmw_model_batch.c \
	kernel/page_alloc.c kernel/printf.c kernel/string.c
UNIT_test_vmw_hostile := $(UNIT_test_vmw_balloon)
UNIT_test_vmw_detect := drivers/vmware/vmw_backdoor.c kernel/string.c
UNIT_LIBS_test_runner := -ljansson
UNIT_test_runner_prof := $(RUNNER_LIB)
UNIT_LIBS_test_runner_prof := -ljansson
UNIT_test_runner_lines := $(RUNNER_LIB)
UNIT_LIBS_test_runner_lines := -ljansson
UNIT_test_runner_tap := $(RUNNER_LIB)
UNIT_LIBS_test_runner_tap := -ljansson
UNIT_test_runner_verdict := $(RUNNER_LIB)
UNIT_LIBS_test_runner_verdict := -ljansson
UNIT_test_runner_ctl_proto := $(RUNNER_LIB)
UNIT_LIBS_test_runner_ctl_proto := -ljansson
UNIT_test_runner_qemu := $(RUNNER_LIB)
UNIT_LIBS_test_runner_qemu := -ljansson
UNIT_test_runner_qmp := $(RUNNER_LIB)
UNIT_LIBS_test_runner_qmp := -ljansson
UNIT_test_junit      := host/runner/junit.c host/runner/tap_cases.c host/runner/outfile.c
UNIT_test_report     := $(RUNNER_LIB) tests/unit/fake_qmp.c
UNIT_LIBS_test_report := -ljansson
UNIT_test_scen_parse := kernel/scen_parse.c kernel/scen_text.c kernel/printf.c kernel/string.c
UNIT_test_scen_run   := kernel/scen_parse.c kernel/scen_text.c kernel/scen_run.c kernel/scen_expect.c \
	kernel/scen_churn.c kernel/workload.c kernel/page_alloc.c kernel/printf.c \
	kernel/string.c kernel/balloon.c
UNIT_test_runner_ctl := $(RUNNER_LIB)
UNIT_LIBS_test_runner_ctl := -ljansson
UNIT_test_runner_ctl_qmp := $(RUNNER_LIB) tests/unit/fake_qmp.c
UNIT_LIBS_test_runner_ctl_qmp := -ljansson
UNIT_test_runner_bounds := $(RUNNER_LIB)
UNIT_LIBS_test_runner_bounds := -ljansson
LDR_SRC := boot/efi/ldr_elf.c boot/efi/ldr_mmap.c boot/efi/ldr_cmdline.c
UNIT_test_ldr_elf     := $(LDR_SRC)
UNIT_test_ldr_synth   := $(LDR_SRC)
UNIT_test_ldr_mmap    := $(LDR_SRC)
UNIT_test_ldr_mmap_merge := $(LDR_SRC)
UNIT_test_ldr_cmdline := $(LDR_SRC)
UNIT_test_runner_smaps := host/runner/smaps.c host/runner/linebuf.c
UNIT_test_gdb_rsp    := $(RUNNER_LIB) tests/unit/fake_gdb_stub.c
UNIT_LIBS_test_gdb_rsp := -ljansson
UNIT_test_gdb_rsp_bridge := $(UNIT_test_gdb_rsp)
UNIT_LIBS_test_gdb_rsp_bridge := $(UNIT_LIBS_test_gdb_rsp)
UNIT_test_gdb_rsp_setup := $(UNIT_test_gdb_rsp)
UNIT_LIBS_test_gdb_rsp_setup := $(UNIT_LIBS_test_gdb_rsp)
UNIT_test_gcov_rec   := host/runner/gcov_rec.c host/runner/gcov_rec_fields.c \
	host/runner/gcov_gcda.c host/runner/util.c
UNIT_test_gcov_rec_corrupt := $(UNIT_test_gcov_rec)
UNIT_test_gcov_rec_hostile := $(UNIT_test_gcov_rec)

.PHONY: all deps run check unit coverage format lint clean help images kernel-cov bench faults
all: deps $(BUILD)/pinprick.elf $(BUILD)/pinprick.efi $(BUILD)/pinprick-run

help:
	@sed -n '3,11p' Makefile

deps:
	$(Q)host/scripts/ensure-deps.sh

# ---- kernel ---------------------------------------------------------------

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/gen/scen_builtin.c: $(SCN_FILES) host/scripts/embed-scenarios.sh
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)host/scripts/embed-scenarios.sh $@ $(SCN_FILES)

$(BUILD)/k/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	$(Q)$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

$(BUILD)/pinprick.elf: $(KERNEL_OBJ) linker.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -T linker.ld -o $@ $(KERNEL_OBJ)
	$(Q)host/scripts/check-elf.sh $@

$(BUILD)/kcov/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-COV  $<"
	$(Q)$(CC) $(KCFLAGS) $(KCOV_FLAGS) -c $< -o $@

$(BUILD)/pinprick-cov.elf: $(KCOV_OBJ) linker.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(KLDFLAGS) -T linker.ld -o $@ $(KCOV_OBJ)
	$(Q)host/scripts/check-elf.sh $@

# ---- UEFI loader -------------------------------------------------------------

$(BUILD)/efi/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  EFICC   $<"
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@

$(BUILD)/efi/kernel_blob.o: boot/efi/kernel_blob.S $(BUILD)/pinprick.elf
	@mkdir -p $(dir $@)
	@echo "  EFIAS   $<"
	$(Q)$(CC) -c -DKERNEL_ELF='"$(BUILD)/pinprick.elf"' $< -o $@

$(BUILD)/efi/pinprick.so: $(EFI_OBJ) boot/efi/efi.lds
	@echo "  EFILD   $@"
	$(Q)$(LD) $(EFI_LDFLAGS) /usr/lib/crt0-efi-x86_64.o $(EFI_OBJ) \
		-L/usr/lib -lefi -lgnuefi $$($(CC) -print-libgcc-file-name) -o $@
	$(Q)host/scripts/check-efi.sh $@

$(BUILD)/pinprick.efi: $(BUILD)/efi/pinprick.so
	@echo "  EFIAPP  $@"
	$(Q)$(OBJCOPY) $(addprefix -j ,$(EFI_SECTIONS)) --target efi-app-x86_64 $< $@

# The same loader carrying the coverage kernel.
$(BUILD)/efi-cov/kernel_blob.o: boot/efi/kernel_blob.S $(BUILD)/pinprick-cov.elf
	@mkdir -p $(dir $@)
	@echo "  EFIAS   $@"
	$(Q)$(CC) -c -DKERNEL_ELF='"$(BUILD)/pinprick-cov.elf"' $< -o $@

$(BUILD)/efi-cov/pinprick.so: $(filter-out %/kernel_blob.o,$(EFI_OBJ)) $(BUILD)/efi-cov/kernel_blob.o boot/efi/efi.lds
	@echo "  EFILD   $@"
	$(Q)$(LD) $(EFI_LDFLAGS) /usr/lib/crt0-efi-x86_64.o $(filter %.o,$^) \
		-L/usr/lib -lefi -lgnuefi $$($(CC) -print-libgcc-file-name) -o $@
	$(Q)host/scripts/check-efi.sh $@

$(BUILD)/pinprick-cov.efi: $(BUILD)/efi-cov/pinprick.so
	@echo "  EFIAPP  $@"
	$(Q)$(OBJCOPY) $(addprefix -j ,$(EFI_SECTIONS)) --target efi-app-x86_64 $< $@

images: all
	$(Q)host/scripts/mkimages.sh $(BUILD) $(BUILD)/pinprick.efi boot/efi/pinprick.cfg

# ---- host runner ----------------------------------------------------------

$(BUILD)/h/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(CC) $(HCFLAGS) -O2 -c $< -o $@

$(BUILD)/pinprick-run: $(patsubst %.c,$(BUILD)/h/%.o,$(RUNNER_C))
	@echo "  HOSTLD  $@"
	$(Q)$(CC) -o $@ $^ -ljansson

# The same runner under ASan + UBSan: make check drives every profile and
# red path through it, so a memory error, a leak or undefined behaviour in
# host code (runner, VMware model) fails the run instead of passing
# unnoticed.
$(BUILD)/hsan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTSAN $<"
	$(Q)$(CC) $(HCFLAGS) $(SANITIZE) -c $< -o $@

$(BUILD)/pinprick-run-san: $(patsubst %.c,$(BUILD)/hsan/%.o,$(RUNNER_C))
	@echo "  HOSTLD  $@"
	$(Q)$(CC) $(SANITIZE) -o $@ $^ -ljansson

# ---- host unit tests --------------------------------------------------------

.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c $$(UNIT_$$*) tests/unit/ut.h
	@mkdir -p $(dir $@)
	@echo "  UNIT    $@"
	$(Q)$(CC) $(HCFLAGS) $(SANITIZE) -o $@ $< $(UNIT_$*) $(UNIT_LIBS_$*)

$(BUILD)/cov/%: tests/unit/%.c $$(UNIT_$$*) tests/unit/ut.h
	@mkdir -p $(dir $@)
	$(Q)cd $(dir $@) && $(CC) $(HCFLAGS) -O0 --coverage -I$(CURDIR) \
		-o $(notdir $@) $(addprefix $(CURDIR)/,$< $(UNIT_$*)) $(UNIT_LIBS_$*)

unit: $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))
	$(Q)tests/check.sh --unit-only $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))

# ---- benchmarks -------------------------------------------------------------

# The host halves of make bench (bench/host/): optimised and without
# sanitizers, since they measure speed. Each prints BENCH lines
# (bench/host/bench.h); BENCH_X lists the sources program X needs.
BENCH_HOST := $(BUILD)/bench/madvise_floor $(BUILD)/bench/alloc_bench \
	$(BUILD)/bench/vmw_bench
BENCH_alloc_bench := kernel/page_alloc.c
BENCH_vmw_bench := drivers/vmware/vmw_balloon.c drivers/vmware/vmw_balloon_ops.c \
	host/vmw/vmw_model.c host/vmw/vmw_model_batch.c \
	kernel/page_alloc.c kernel/printf.c kernel/string.c

$(BUILD)/bench/%: bench/host/%.c $$(BENCH_$$*) bench/host/bench.h
	@mkdir -p $(dir $@)
	@echo "  BENCH   $@"
	$(Q)$(CC) $(HCFLAGS) -O2 -o $@ $< $(BENCH_$*)

# The same programs under ASan + UBSan, which make check runs once with
# --quick: they share the allocator and the VMware code with the guest.
BENCH_SAN := $(patsubst $(BUILD)/bench/%,$(BUILD)/hsan/bench/%,$(BENCH_HOST))
$(BUILD)/hsan/bench/%: bench/host/%.c $$(BENCH_$$*) bench/host/bench.h
	@mkdir -p $(dir $@)
	@echo "  BENCHSAN $@"
	$(Q)$(CC) $(HCFLAGS) $(SANITIZE) -o $@ $< $(BENCH_$*)

# Every figure as a median with its spread; build/bench.json. No pass/fail.
bench: all $(BENCH_HOST)
	$(Q)bench/run.sh $(BUILD)

# Every fault row with 8 seeds and 4 virtio storms; tests/faults.sh
# --quick is the short set. Fails if any run fails.
faults: all
	$(Q)tests/faults.sh $(BUILD)

# ---- running ----------------------------------------------------------------

# The guest runs verbose so that every check's clause reaches the HTML.
run: all
	$(Q)$(BUILD)/pinprick-run --profile $(PROFILE) --qemu $(QEMU) \
		--append verbose --progress --log $(BUILD)/logs/$(PROFILE).log \
		--junit $(BUILD)/report.xml --csv $(BUILD)/report.csv \
		--html $(BUILD)/report.html; \
	rc=$$?; \
	echo "reports: $(BUILD)/report.html (open in a browser), $(BUILD)/report.xml (JUnit), $(BUILD)/report.csv (timeline), $(BUILD)/logs/$(PROFILE).log (raw)"; \
	exit $$rc

check: all images kernel-cov $(BENCH_HOST) $(addprefix $(BUILD)/unit/,$(UNIT_TESTS)) \
		$(BUILD)/pinprick-run-san $(BENCH_SAN) \
		$(addprefix $(BUILD)/cov/,$(UNIT_TESTS))
	$(Q)tests/check.sh $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))

coverage: all kernel-cov $(addprefix $(BUILD)/cov/,$(UNIT_TESTS))
	$(Q)tests/coverage.sh $(BUILD) $(UNIT_TESTS)

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

lint:
	$(Q)cppcheck -j2 --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--inline-suppr --suppress=missingIncludeSystem -I. \
		$$(git ls-files '*.c')

clean:
	rm -rf $(BUILD)

kernel-cov: $(BUILD)/pinprick-cov.elf $(BUILD)/pinprick-cov.efi

# libFuzzer targets (clang): make fuzz, and a brief run in make check.
-include fuzz/fuzz.mk
# make check fuzzes each target briefly (tests/check.sh, section 8).
check: $(FUZZ_BINS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
