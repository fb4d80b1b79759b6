#!/usr/bin/env bash
# ensure-deps.sh - install the Debian packages pinprick needs, once.
#
# Called by the Makefile before anything is built, so that on a fresh
# Debian 12 machine `make run` and `make check` are all the set-up there is.
# It only acts when something is missing, and says what and why.
set -euo pipefail

# command-or-file needed  ->  Debian package that provides it
need=(
	"gcc:gcc"
	"make:make"
	"ld:binutils"
	"nasm:nasm"
	"qemu-system-x86_64:qemu-system-x86"
	"qemu-img:qemu-utils"
	"lcov:lcov"
	"genhtml:lcov"
	"prove:perl"
	"/usr/include/jansson.h:libjansson-dev"
	"/usr/share/OVMF/OVMF_CODE.fd:ovmf"
	"/usr/include/efi/efi.h:gnu-efi"
	"mformat:mtools"
	"xorriso:xorriso"
	"/usr/sbin/sfdisk:fdisk"
	"gdb:gdb"
	"cppcheck:cppcheck"
	"clang-format:clang-format"
	"clang:clang"
	"/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev"
)

missing=()
for item in "${need[@]}"; do
	what=${item%%:*}
	pkg=${item##*:}
	if [[ $what == /* ]]; then
		[[ -e $what ]] && continue
	else
		command -v "$what" >/dev/null 2>&1 && continue
	fi
	echo "pinprick: missing $what (Debian package $pkg)" >&2
	case " ${missing[*]-} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
done

[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ ${PINPRICK_NO_INSTALL-} == 1 ]]; then
	echo "pinprick: PINPRICK_NO_INSTALL=1, not installing: ${missing[*]}" >&2
	exit 1
fi

sudo=
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo=sudo
	else
		echo "pinprick: need root to install: ${missing[*]}" >&2
		echo "pinprick: run: apt-get install ${missing[*]}" >&2
		exit 1
	fi
fi
echo "pinprick: installing ${missing[*]} with apt-get (one time) ..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
echo "pinprick: packages installed" >&2
