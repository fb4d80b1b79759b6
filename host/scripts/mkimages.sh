#!/usr/bin/env bash
# mkimages.sh OUTDIR EFI_APP CFG_FILE - UEFI boot media for pinprick.
#
# Under QEMU the runner hands build/pinprick.elf straight to QEMU (PVH).
# A VMware VM, or any UEFI machine, cannot do that: its firmware looks
# for \EFI\BOOT\BOOTX64.EFI on a FAT file system. This script puts the
# UEFI loader (EFI_APP) there, with its command line file (CFG_FILE) as
# \EFI\BOOT\pinprick.cfg beside it, on every kind of medium we need:
#
#   OUTDIR/pinprick-esp.img   8 MiB FAT, no partition table ("superfloppy"):
#                             QEMU -drive, and the boot image inside the ISO
#   OUTDIR/pinprick.iso       El Torito CD for UEFI (the ESP as efiboot.img)
#   OUTDIR/pinprick-disk.img  raw disk: GPT with one EFI system partition,
#                             which is what VMware's firmware expects
#   OUTDIR/pinprick.vmdk      that disk for VMware (docs/running-on-vmware.md)
#
# Everything is built as an ordinary user on ordinary files: mtools writes
# the FAT (at an offset for the partition), sfdisk the GPT; no loop device,
# no mount, no root. The images are made in a scratch directory and renamed
# into OUTDIR at the end, so a failure never leaves half an image there.
set -euo pipefail

prog=mkimages
die() {
	echo "$prog: $*" >&2
	exit 1
}

[[ $# -eq 3 ]] || die "usage: mkimages.sh OUTDIR EFI_APP CFG_FILE"
out=$1
app=$2
cfg=$3

# sfdisk lives in /usr/sbin, which is not on every user's PATH.
PATH=$PATH:/usr/sbin:/sbin

# tool -> Debian package; all checked before anything is written.
for item in mformat:mtools mmd:mtools mcopy:mtools xorriso:xorriso \
	sfdisk:fdisk qemu-img:qemu-utils truncate:coreutils; do
	command -v "${item%%:*}" >/dev/null 2>&1 ||
		die "needs ${item%%:*}: install the Debian package ${item##*:} (apt-get install ${item##*:})"
done

[[ -f $app ]] || die "$app: no such EFI application"
[[ $(head -c 2 "$app") == MZ ]] || die "$app: not a PE/EFI application (no MZ header)"
[[ -f $cfg ]] || die "$cfg: no such configuration file"

# Sizes. The ESP: 8 MiB, which mformat makes FAT12, is plenty for the
# loader (it carries the kernel; a few hundred KiB). The disk: GPT needs
# 34 sectors at the start and 33 at the end; the partition starts at
# 1 MiB (LBA 2048, the usual alignment) and is 32 MiB, which mformat
# makes FAT16 (FAT32 needs at least 65525 clusters, about 33 MiB even
# with 512-byte clusters). 34 MiB leaves 1 MiB for the backup GPT.
esp_mib=8
disk_mib=34
part_start=2048   # sectors of 512 bytes
part_sectors=65536 # 32 MiB
esp_type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B # GPT type: EFI system partition

mkdir -p "$out"
# Scratch space inside OUTDIR, so that the final mv is a rename.
work=$(mktemp -d "$out/.mkimages.XXXXXX")
trap 'rm -rf "$work"' EXIT

# mtools checks a FAT's geometry against the "drive"; ours is a file.
export MTOOLS_SKIP_CHECK=1

# run WHAT CMD...: run quietly; on failure show the tool's output and say
# which step failed.
run() {
	local what=$1
	shift
	if ! "$@" >"$work/log" 2>&1; then
		cat "$work/log" >&2
		die "$what failed: $*"
	fi
}

# fill_fat IMAGE_SPEC: the two files, in mtools' image syntax (a file name,
# optionally with @@OFFSET).
fill_fat() {
	run "making EFI/BOOT" mmd -i "$1" ::/EFI ::/EFI/BOOT
	run "copying $app into the ${esp_mib} MiB ESP" mcopy -i "$1" "$app" ::/EFI/BOOT/BOOTX64.EFI
	run "copying $cfg" mcopy -i "$1" "$cfg" ::/EFI/BOOT/pinprick.cfg
}

# 1. The ESP as a superfloppy: a FAT file system from the first byte.
esp=$work/pinprick-esp.img
run "creating $esp" truncate -s ${esp_mib}M "$esp"
run "formatting the ESP" mformat -i "$esp" -v PINPRICK ::
fill_fat "$esp"

# 2. The ISO. UEFI boots a CD through its El Torito catalogue: an entry
# for platform EFI (-e) names a FAT image (no emulation) that the firmware
# opens as a small disk. pinprick.cfg is also in the ISO 9660 tree, for
# people to read; the loader reads the one inside efiboot.img.
# -isohybrid-gpt-basdat also lists that image in a GPT, so the ISO
# written to a USB stick boots on UEFI too.
tree=$work/iso
mkdir -p "$tree/EFI/BOOT"
cp "$esp" "$tree/efiboot.img"
cp "$cfg" "$tree/EFI/BOOT/pinprick.cfg"
run "making the ISO" xorriso -as mkisofs -R -J -V PINPRICK \
	-e efiboot.img -no-emul-boot -isohybrid-gpt-basdat \
	-o "$work/pinprick.iso" "$tree"

# 3. The partitioned disk: GPT (with its protective MBR) by sfdisk, which
# works on a plain file; then the FAT written at the partition's offset.
# -T bounds it to the partition (mtools would otherwise take the rest of
# the file, backup GPT included); -H records the sectors before it.
disk=$work/pinprick-disk.img
run "creating $disk" truncate -s ${disk_mib}M "$disk"
printf 'label: gpt\nstart=%d, size=%d, type=%s, name="EFI system partition"\n' \
	$part_start $part_sectors $esp_type >"$work/gpt.sfdisk"
run "partitioning the disk" sfdisk --quiet --no-reread --no-tell-kernel \
	"$disk" <"$work/gpt.sfdisk"
part="$disk@@$((part_start * 512))"
run "formatting the EFI system partition" \
	mformat -i "$part" -T $part_sectors -H $part_start -v PINPRICK ::
fill_fat "$part"

# 4. The VMDK. monolithicSparse (one file, only used grains stored) is
# what VMware Workstation runs as it is; ESXi runs no hosted disk format
# and imports it first with vmkfstools -i (docs/running-on-vmware.md).
# The adapter type is only a hint, used for BIOS-era CHS geometry, which a
# GPT disk booted by UEFI never uses.
run "converting to VMDK" qemu-img convert -f raw -O vmdk \
	-o subformat=monolithicSparse,adapter_type=lsilogic \
	"$disk" "$work/pinprick.vmdk"

# All made: rename them into place, then say what we made.
for f in pinprick-esp.img pinprick.iso pinprick-disk.img pinprick.vmdk; do
	mv -f "$work/$f" "$out/$f"
done
for f in pinprick-esp.img pinprick.iso pinprick-disk.img pinprick.vmdk; do
	bytes=$(stat -c %s "$out/$f")
	printf '  IMAGE   %s (%d KiB)\n' "$out/$f" $(((bytes + 1023) / 1024))
done
