#!/usr/bin/env bash
# check-efi.sh - refuse a loader whose constructors objcopy would drop.
# The EFI application is built from an ELF shared object; objcopy keeps a
# fixed list of sections. Any .init_array/.fini_array (or their
# relocations) left as sections of their own would vanish from the PE
# while code still expects them (boot/efi/efi.lds explains).
set -euo pipefail
so=$1
orphans=$(readelf -SW "$so" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\.(rela?\.)?(init|fini)_array/) print $i }')
if [[ -n $orphans ]]; then
	echo "$so: sections objcopy would drop: $orphans (see boot/efi/efi.lds)" >&2
	exit 1
fi
# (no `| grep -q` under pipefail: grep quitting early would SIGPIPE readelf)
syms=$(readelf -sW "$so")
grep -q ' __init_array_start$' <<<"$syms" || { echo "$so: no __init_array_start" >&2; exit 1; }
