#!/usr/bin/perl
# boot_time.pl - how long a pinprick boot takes, as make bench reports it.
#
#	boot_time.pl NAME RUNS TIMEOUT_S -- QEMU-COMMAND...
#
# Starts the command RUNS times (the guest runs with suite=none, so it
# exits right after its TAP plan) and times, with the host's monotonic
# clock, QEMU's start to the first plan line "1..N" on the guest's
# serial port (QEMU's stdout). The guest's own view comes from its
# "# timing:" line: TSC ticks from the kernel's first instruction (and
# from the UEFI loader's) to the plan. Prints BENCH lines (median, min,
# max over the runs) for bench/run.sh. A run that never shows a plan
# within TIMEOUT_S is killed and reported; no figure is made up.
use strict;
use warnings;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use IO::Select;

my ($name, $runs, $timeout, $dash, @cmd) = @ARGV;
die "usage: boot_time.pl NAME RUNS TIMEOUT_S -- CMD...\n"
	unless defined $dash && $dash eq '--' && @cmd && $runs =~ /^\d+$/;

my (@wall, @guest, @loader);
for my $i (1 .. $runs) {
	my $t0 = clock_gettime(CLOCK_MONOTONIC);
	my $pid = open(my $out, '-|') // die "fork: $!\n";
	if (!$pid) {
		open(STDIN, '<', '/dev/null');
		open(STDERR, '>', '/dev/null');
		exec(@cmd) or exit 127;
	}
	my $sel = IO::Select->new($out);
	my ($buf, $plan_at, $line) = ('', undef, '');
	while (1) {
		my $left = $t0 + $timeout - clock_gettime(CLOCK_MONOTONIC);
		last if $left <= 0 || !$sel->can_read($left);
		my $n = sysread($out, my $chunk, 65536);
		last if !$n;
		$buf .= $chunk;
		while ($buf =~ s/^([^\n]*)\n//) {
			$line = $1;
			$line =~ s/\r$//;
			$plan_at //= clock_gettime(CLOCK_MONOTONIC) if $line =~ /^1\.\.\d+$/;
			if ($line =~ /^# timing: kernel entry to plan (\d+) us/) {
				push @guest, $1 / 1000;
				push @loader, $1 / 1000 if $line =~ /UEFI loader start to plan (\d+) us/;
			}
		}
		$buf = '' if length($buf) > (1 << 20);	# no newline for 1 MiB: drop
	}
	kill 'KILL', $pid;
	close($out);
	if (!defined $plan_at) {
		print "BENCH name=$name.wall unit=ms median=0 min=0 max=0 runs=0 note=\"run $i: no plan within ${timeout} s\"\n";
		exit 1;
	}
	push @wall, ($plan_at - $t0) * 1000;
}

sub stats {
	my @v = sort { $a <=> $b } @_;
	my $m = @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
	return sprintf('median=%.2f min=%.2f max=%.2f runs=%d', $m, $v[0], $v[-1], scalar @v);
}
print "BENCH name=$name.wall unit=ms ", stats(@wall), " note=\"QEMU start to the TAP plan line\"\n";
print "BENCH name=$name.guest unit=ms ", stats(@guest), " note=\"kernel entry to plan (guest TSC)\"\n" if @guest;
print "BENCH name=$name.loader unit=ms ", stats(@loader), " note=\"UEFI loader start to plan (guest TSC)\"\n" if @loader;
