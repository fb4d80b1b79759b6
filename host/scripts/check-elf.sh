#!/usr/bin/env bash
# check-elf.sh - refuse a kernel ELF that a PVH loader would not boot.
# QEMU finds the entry in a PT_NOTE whose p_align must be 4 (it pads the
# note name by p_align), and the note must be the Xen PHYS32_ENTRY one.
set -euo pipefail
elf=$1
# Outputs are captured first: `| grep -q` under pipefail can SIGPIPE readelf.
hdr=$(readelf -h "$elf")
notes=$(readelf -nW "$elf")
grep -q 'ELF64' <<<"$hdr" || { echo "$elf: not ELF64" >&2; exit 1; }
readelf -lW "$elf" | awk '$1 == "NOTE" { found = 1; if ($NF != "0x4") bad = 1 }
	END { exit !(found && !bad) }' || { echo "$elf: no PT_NOTE with p_align 4" >&2; exit 1; }
grep -q 'Xen.*0x00000004.*Unknown note type: (0x00000012)\|Xen.*NT_VERSION\|Xen.*0x00000012' <<<"$notes" ||
	grep -q '^  Xen' <<<"$notes" || { echo "$elf: no Xen ELF note" >&2; exit 1; }
