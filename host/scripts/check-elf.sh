#!/usr/bin/env bash
# check-elf.sh - refuse a kernel ELF that a PVH loader would not boot.
# QEMU finds the entry in a PT_NOTE whose p_align must be 4 (it pads the
# note name by p_align), and the note must be the Xen PHYS32_ENTRY one.
set -euo pipefail
elf=$1
readelf -h "$elf" | grep -q 'ELF64' || { echo "$elf: not ELF64" >&2; exit 1; }
readelf -lW "$elf" | awk '$1 == "NOTE" { found = 1; if ($NF != "0x4") bad = 1 }
	END { exit !(found && !bad) }' || { echo "$elf: no PT_NOTE with p_align 4" >&2; exit 1; }
readelf -nW "$elf" | grep -q 'Xen.*0x00000004.*Unknown note type: (0x00000012)\|Xen.*NT_VERSION\|Xen.*0x00000012' ||
	readelf -nW "$elf" | grep -q '^  Xen' || { echo "$elf: no Xen ELF note" >&2; exit 1; }
