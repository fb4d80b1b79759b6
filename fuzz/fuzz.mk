# fuzz/fuzz.mk - libFuzzer targets (issue 10), included by the Makefile.
#
# Each target is fuzz/fuzz_<name>.c plus the project sources listed in
# fuzz/targets/<name>.mk (FUZZ_SRC_<name>, optional FUZZ_LIBS_<name>).
# They are built with clang, because libFuzzer is part of clang's runtime
# (Debian: libclang-rt-14-dev), with ASan and UBSan so that a memory error
# or undefined behaviour stops the run as a crash with its input saved.
#
#   make fuzz-build              build every target into $(BUILD)/fuzz/
#   make fuzz [FUZZ_SECONDS=60]  replay regressions and seeds, then fuzz
#                                each target for FUZZ_SECONDS (fuzz/run.sh)
#
# FUZZ_BINS lists the binaries so make check can depend on them. See
# docs/fuzzing.md.

FUZZ_CC	     ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS :=

-include $(wildcard fuzz/targets/*.mk)

FUZZ_CFLAGS := -std=gnu11 -g -O1 -I. -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter

FUZZ_BINS := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build

.SECONDEXPANSION:
$(BUILD)/fuzz/%: fuzz/fuzz_%.c $$(FUZZ_SRC_$$*) fuzz/targets/%.mk
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC_$*) $(FUZZ_LIBS_$*)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
