#!/usr/bin/env bash
# run.sh - make bench: every benchmark, a table, and BUILD/bench.json.
#
#	bench/run.sh BUILD [--quick]
#
# Each figure is the median of several runs with its spread (min..max);
# nothing here passes or fails on a number. --quick (what make check runs)
# uses fewer runs and the smaller sizes only, to show the benchmarks work.
# Parts: the host programs in BUILD/bench/ (the host's madvise floor, the
# allocator at -O2, the VMware driver against the model in process), boot
# times under QEMU (bench/boot_time.pl), the virtio balloon end to end
# (bench/vbal_bench.pl), and what only the guest can time (suite=bench,
# tests/guest/bench.c: its allocator, the VMware path through the
# gdbstub). docs/performance.md explains the figures.
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1
quick=0
[[ ${2-} == --quick ]] && quick=1
runs=5
((quick)) && runs=2
lines=$build/bench.lines
json=$build/bench.json
: >"$lines"
failed=0
kernel=$build/pinprick.elf
qemu=(qemu-system-x86_64 -accel tcg -display none -nodefaults -no-reboot
	-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04)

progress() { echo "bench: $*" >&2; }
collect() { # label command...
	local out
	progress "$1"
	if out=$("${@:2}" 2>&1); then
		grep '^BENCH ' <<<"$out" >>"$lines"
	else
		grep '^BENCH ' <<<"$out" >>"$lines"
		echo "bench: $1 failed:" >&2
		grep -v '^BENCH ' <<<"$out" | tail -5 >&2
		failed=$((failed + 1))
	fi
}

# ---- host programs ----------------------------------------------------------
for b in "$build"/bench/*; do
	[[ -x $b ]] || continue
	if ((quick)); then
		collect "host $(basename "$b")" "$b" --quick
	else
		collect "host $(basename "$b")" "$b" --runs "$runs"
	fi
done

# ---- boot time: QEMU start to the TAP plan, and the guest's own view -------
for m in pc q35 microvm; do
	mem=128M
	[[ $m == microvm ]] && mem=64M
	collect "boot PVH $m" bench/boot_time.pl "boot.pvh.$m" "$runs" 30 -- \
		"${qemu[@]}" -M "$m" -m "$mem" -kernel "$kernel" -append suite=none
done
esp=$(mktemp -d)
mkdir -p "$esp/EFI/BOOT"
cp "$build/pinprick.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
echo "suite=none" >"$esp/EFI/BOOT/pinprick.cfg"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$esp/vars.fd"
collect "boot UEFI q35" bench/boot_time.pl boot.uefi.q35 "$runs" 60 -- \
	"${qemu[@]}" -M q35 -m 256M \
	-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
	-drive "if=pflash,format=raw,file=$esp/vars.fd" \
	-drive "if=ide,format=raw,file=fat:rw:$esp"
rm -rf "$esp"

# ---- virtio balloon end to end ------------------------------------------------
if [[ -x bench/vbal_bench.pl ]]; then
	sizes=(256)
	((quick)) || sizes=(256 1024)
	for mib in "${sizes[@]}"; do
		collect "virtio inflate/deflate $mib MiB" bench/vbal_bench.pl "$kernel" "$mib" "$runs"
	done
	# The tuning sweep (docs/performance.md): what PAGE_POISON costs a
	# deflate, and PFNs a buffer x buffers in flight, at 256 MiB.
	if ((!quick)); then
		VBAL_BENCH_TAG=nopoison \
		VBAL_BENCH_DEVICE=virtio-balloon-pci,id=balloon0,page-poison=off \
			collect "virtio 256 MiB, page-poison=off" \
			bench/vbal_bench.pl "$kernel" 256 3
		for batch in 32 256 1024; do
			for bufs in 1 16; do
				VBAL_BENCH_TAG=b${batch}x$bufs collect \
					"virtio 256 MiB, $batch PFNs a buffer, $bufs in flight" \
					bench/vbal_bench.pl "$kernel" 256 3 \
					"vbal.batch=$batch vbal.bufs=$bufs"
			done
		done
	fi
fi

# ---- inside the guest: the allocator, the VMware path through the gdbstub --
guest_bench() { # profile figure-pattern
	local log=$build/logs/bench-$(basename "$1" .conf).log
	mkdir -p "$build/logs"
	"$build/pinprick-run" --profile "$1" --kernel "$kernel" --quiet \
		--append suite=bench --log "$log" >/dev/null 2>&1 || return 1
	sed -n 's/^# \(BENCH .*\)$/\1/p' "$log" | grep -E "name=($2)"
}
collect "guest: allocator, VMware 4 KiB pages" guest_bench bench/profiles/vmware-4k.conf 'alloc|vmw'
collect "guest: VMware 2 MiB pages" guest_bench bench/profiles/vmware-2m.conf 'vmw\.gdbstub\.(un)?lock_2m'
# ---- the table and the JSON ---------------------------------------------------
perl -MJSON::PP -e '
	my $out = shift @ARGV;
	my (@rows, %floor);
	while (<>) {
		next unless /^BENCH /;
		my %f;
		$f{$1} = defined $2 ? $2 : $3 while /(\w+)=(?:"([^"]*)"|(\S+))/g;
		push @rows, \%f;
	}
	# The end-to-end virtio rates as a ratio to the host floor.
	for my $r (@rows) {
		$floor{$1} = $r->{median} if $r->{name} =~ /^floor\.madvise_4k\.(\w+)$/ && $r->{unit} eq "MiB/s";
	}
	for my $r (@rows) {
		next unless $r->{name} =~ /^virtio\.(inflate|deflate)\.(\w+)(?:\.[\w-]+)?\.e2e$/ && $floor{$2};
		$r->{ratio_to_floor} = sprintf("%.3f", $r->{median} / $floor{$2});
	}
	printf "%-36s %12s %-7s %25s %4s %s\n", "figure", "median", "unit", "spread (min..max)", "runs", "";
	for my $r (@rows) {
		printf "%-36s %12s %-7s %25s %4s %s\n", $r->{name}, $r->{median}, $r->{unit},
			"$r->{min}..$r->{max}", $r->{runs},
			($r->{ratio_to_floor} ? "x$r->{ratio_to_floor} of the host floor" : "");
	}
	open(my $j, ">", $out) or die "$out: $!\n";
	print $j JSON::PP->new->pretty->canonical->encode({ figures => \@rows });
' "$json" <"$lines" || failed=$((failed + 1))
echo "bench: $(grep -c '^BENCH ' "$lines") figures; JSON in $json"
[[ $failed -eq 0 ]]
