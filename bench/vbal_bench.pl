#!/usr/bin/perl
# vbal_bench.pl - the virtio balloon end to end, as make bench reports it.
#
#	vbal_bench.pl KERNEL MIB RUNS [KERNEL-OPTIONS]
#
# (VBAL_BENCH_DEVICE in the environment replaces the -device argument, to
# compare device settings such as page-poison=off; VBAL_BENCH_TAG is then
# added to the figures' names.)
#
# Boots pinprick as a plain balloon guest (run=follow follow_dirty: every
# free page written once, and again after each full deflate, so the
# balloon always takes memory the host really backs) on a 1.5 GiB PC with
# virtio-balloon-pci, then RUNS times: QMP "balloon" to RAM - MIB, and
# query-balloon every 2 ms until "actual" reaches it (inflate); the same
# back to RAM (deflate). Figures: end-to-end MiB/s (QMP request until
# actual reaches the target) and the guest's own cost per page from its
# "# follow:" lines ("N ns per page moved"). Every wait is bounded.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../tests/lib";
use PinQmp qw(qmp_connect qmp);
use File::Temp qw(tempdir);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC sleep);

my ($kernel, $mib, $runs, $extra) = @ARGV;
die "usage: vbal_bench.pl KERNEL MIB RUNS [KERNEL-OPTIONS]\n" unless defined $runs && $mib =~ /^\d+$/;
$extra //= '';	# e.g. "vbal.batch=64 vbal.bufs=4" (docs/performance.md)
my $ram_mib = 1536;
my $ram = $ram_mib << 20;
my $dir = tempdir(CLEANUP => 1);
my ($log, $sock) = ("$dir/serial.log", "$dir/qmp.sock");
my $name = $mib % 1024 ? "${mib}m" : ($mib / 1024) . "g";
# VBAL_BENCH_TAG names a variant: virtio.inflate.256m.TAG.e2e, ...
$name .= ".$ENV{VBAL_BENCH_TAG}" if ($ENV{VBAL_BENCH_TAG} // '') =~ /^[\w-]+$/;

my $pid = fork() // die "fork: $!\n";
if (!$pid) {
	open(STDIN, '<', '/dev/null');
	open(STDOUT, '>', '/dev/null');
	exec('qemu-system-x86_64', '-M', 'pc', '-m', "${ram_mib}M", '-accel', 'tcg',
		'-display', 'none', '-nodefaults', '-no-reboot', '-serial', "file:$log",
		'-qmp', "unix:$sock,server=on,wait=off",
		'-device', $ENV{VBAL_BENCH_DEVICE} // 'virtio-balloon-pci,id=balloon0',
		'-kernel', $kernel, '-append', "run=follow follow_dirty $extra") or exit 127;
}
END { kill 'KILL', $pid if $pid; }

my $log_pos = 0;
# The next serial line matching re (lines already read are not seen again).
sub next_log_line {
	my ($re, $secs) = @_;
	my $end = clock_gettime(CLOCK_MONOTONIC) + $secs;
	while (clock_gettime(CLOCK_MONOTONIC) < $end) {
		if (open my $f, '<', $log) {
			seek($f, $log_pos, 0);
			while (my $l = <$f>) {
				last unless $l =~ /\n$/;	# a line still being written
				$log_pos += length $l;
				return $l if $l =~ $re;
			}
		}
		sleep(0.01);
	}
	die "no serial line matching $re within $secs s ($log)\n";
}

next_log_line(qr/^# follow: virtio-balloon at/, 120);
my $q = qmp_connect($sock);

# Time from the balloon request until query-balloon's actual is want.
sub move_to {
	my ($want) = @_;
	my $t0 = clock_gettime(CLOCK_MONOTONIC);
	qmp($q, qq({"execute":"balloon","arguments":{"value":$want}}));
	while (1) {
		my $r = qmp($q, '{"execute":"query-balloon"}');
		my ($actual) = $r =~ /"actual":\s*(\d+)/;
		return clock_gettime(CLOCK_MONOTONIC) - $t0 if defined $actual && $actual == $want;
		die "balloon did not reach $want in 120 s (actual $actual)\n"
			if clock_gettime(CLOCK_MONOTONIC) - $t0 > 120;
		sleep(0.002);
	}
}

my (%e2e, %guest, %wait);
for my $i (1 .. $runs) {
	for my $dir_name ('inflate', 'deflate') {
		my $want = $dir_name eq 'inflate' ? $ram - ($mib << 20) : $ram;
		my $t = move_to($want);
		push @{$e2e{$dir_name}}, $mib / $t;
		my $l = next_log_line(qr/^# follow: target .* \(\d+ ns per page moved/, 60);
		if ($l =~ /\((\d+) ns per page moved, (\d+) of them waiting for the device\)/) {
			push @{$guest{$dir_name}}, $1;
			push @{$wait{$dir_name}}, $2;
		}
	}
	# the guest writes its free memory again before the next inflate
	next_log_line(qr/^# follow: follow_dirty: wrote every free page/, 120) if $i < $runs;
}

sub stats {
	my @v = sort { $a <=> $b } @_;
	my $m = @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
	return sprintf('median=%.1f min=%.1f max=%.1f runs=%d', $m, $v[0], $v[-1], scalar @v);
}
for my $d ('inflate', 'deflate') {
	print "BENCH name=virtio.$d.$name.e2e unit=MiB/s ", stats(@{$e2e{$d}}),
		" note=\"QMP balloon until query-balloon actual reaches the target, dirtied memory\"\n";
	print "BENCH name=virtio.$d.$name.guest unit=ns/page ", stats(@{$guest{$d}}),
		" note=\"guest driver time per 4 KiB page (follow line)\"\n" if @{$guest{$d} // []};
	print "BENCH name=virtio.$d.$name.wait unit=ns/page ", stats(@{$wait{$d}}),
		" note=\"of the guest time, waiting for the device to acknowledge\"\n" if @{$wait{$d} // []};
}
qmp($q, '{"execute":"quit"}');
