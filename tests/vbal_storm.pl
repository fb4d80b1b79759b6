#!/usr/bin/perl
# vbal_storm.pl - virtio-balloon targets changing faster than the guest
# can follow, then a check that nothing was lost on the way.
#
#	vbal_storm.pl KERNEL LOG SEED [CHANGES [SECONDS]]
#
# Boots pinprick with run=follow on a pc with virtio-balloon (QEMU
# directly, QMP on a socket next to LOG), then sends CHANGES (default 500)
# seeded random "balloon" commands spread over SECONDS (default 3): each
# asks for a guest size between 0 and all of RAM, so some balloons are
# above what the guest can give. The guest follows the latest target and
# may skip the ones before it. Then the host settles on a final target,
# waits until query-balloon's "actual" shows it, and then asks for the
# whole RAM back (balloon 0). Checked from the guest's serial log:
#  - no "Bail out!" (the guest did not give up or crash);
#  - every "# follow: pages" line is consistent (every managed page has
#    one owner; the driver's balloon is the allocator's ballooned count);
#  - the guest reached the final target ("balloon N pages" = N), and its
#    progress lines came in order;
#  - after deflating to 0, free pages equal the free pages before the
#    storm: no page leaked.
# Prints "# storm: ..." figures and exits 0 if all holds, 1 otherwise.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use PinQmp qw(qmp_connect qmp_reply qmp);
use PinLog qw(log_text log_wait);
use Time::HiRes qw(time sleep);

my ($kernel, $log, $seed, $changes, $secs) = @ARGV;
die "usage: vbal_storm.pl KERNEL LOG SEED [CHANGES [SECONDS]]\n"
	unless defined $seed && $seed =~ /^\d+$/;
$changes //= 500;
$secs //= 3;
my $ram_mib = 128;
my $ram = $ram_mib << 20;
my $sock = "$log.qmp";
unlink $log, $sock;

my $qpid = fork() // die "fork: $!\n";
if (!$qpid) {
	open STDIN, '<', '/dev/null';
	open STDOUT, '>', '/dev/null';
	open STDERR, '>', "$log.qemu-stderr";
	exec('timeout', '120', 'qemu-system-x86_64', '-M', 'pc', '-m',
		"${ram_mib}M", '-accel', 'tcg', '-display', 'none', '-nodefaults',
		'-no-reboot', '-serial', "file:$log",
		'-qmp', "unix:$sock,server=on,wait=off",
		'-device', 'virtio-balloon-pci',
		'-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
		'-kernel', $kernel, '-append', 'run=follow') or exit 127;
}

my @why;
sub fail { push @why, $_[0]; }

sub actual {
	my ($q) = @_;
	my $r = qmp($q, '{"execute":"query-balloon"}');
	return $r =~ /"actual":\s*(\d+)/ ? $1 : -1;
}

# The guest's size in bytes for a balloon of $pages 4 KiB pages.
sub size_for { return $ram - $_[0] * 4096; }

# xorshift32, so the same seed sends the same storm everywhere.
my $x = ($seed * 2654435761 + 1) & 0xffffffff || 1;
sub rnd {
	$x ^= ($x << 13) & 0xffffffff;
	$x ^= $x >> 17;
	$x ^= ($x << 5) & 0xffffffff;
	return $x;
}

my $t0 = time;
my $q;
eval {
	log_wait($log, qr/following the host's target/, 30)
		or die "no run=follow banner in $log\n";
	$q = qmp_connect($sock);
	my $gap = $secs / $changes;
	my $start = time;
	for my $i (1 .. $changes) {
		# A balloon of 0 .. all RAM but one page (far above what the
		# guest can give: it stops at its reserve and says so).
		my $pages = rnd() % ($ram / 4096);
		# Half way, hold a target above what the guest can give long
		# enough for it to be followed: it must stop at its reserve
		# and report the shortfall.
		my $hold = $i == int($changes / 2);
		$pages = $ram / 4096 - 1 if $hold;
		qmp($q, '{"execute":"balloon","arguments":{"value":'
			. size_for($pages) . '}}');
		if ($hold) {
			sleep 0.6;
			$start += 0.6;
		}
		my $due = $start + $i * $gap;
		sleep($due - time) if $due > time;
	}
	my $storm_s = time - $start;
	# Settle on a final target the guest can reach (1 .. 48 MiB).
	my $final = (1 + rnd() % 48) * 256;
	qmp($q, '{"execute":"balloon","arguments":{"value":'
		. size_for($final) . '}}');
	my $ok = 0;
	for (1 .. 600) {
		if (actual($q) == size_for($final)) { $ok = 1; last; }
		sleep 0.05;
	}
	fail("query-balloon never showed the final target of $final pages")
		unless $ok;
	log_wait($log, qr/balloon $final pages \(/, 10)
		or fail("no follow line with balloon $final pages");
	qmp($q, '{"execute":"balloon","arguments":{"value":' . $ram . '}}');
	$ok = 0;
	for (1 .. 600) {
		if (actual($q) == $ram) { $ok = 1; last; }
		sleep 0.05;
	}
	fail("query-balloon never came back to all RAM") unless $ok;
	log_wait($log, qr/target 0 pages \(0 MiB\), balloon 0 pages/, 10)
		or fail("no follow line with an empty balloon");
	printf "# storm: seed %d, %d targets in %.2f s, final %d pages\n",
		$seed, $changes, $storm_s, $final;
	print $q '{"execute":"quit"}' . "\n";
	qmp_reply($q);
	1;
} or fail($@ =~ s/\n$//r);
kill 'TERM', $qpid if kill 0, $qpid;
waitpid($qpid, 0);

# The serial log, read once the guest is gone.
my $text = log_text($log);
fail('the guest wrote "Bail out!"') if $text =~ /Bail out!/;
my @pages = $text =~ /^# follow: pages free (\d+) kernel (\d+) .* ballooned (\d+) \(driver (\d+), its list (\d+)\), sum (\d+) of (\d+) managed: (\w+)$/mg;
my (@free, $bad);
while (my @p = splice(@pages, 0, 8)) {
	# free, kernel, ballooned, list pages, managed
	push @free, [$p[0], $p[1], $p[2], $p[4], $p[6]];
	$bad++ if $p[7] ne 'consistent' || $p[2] != $p[3] || $p[5] != $p[6];
}
fail("$bad inconsistent accounting line(s)") if $bad;
fail('fewer than 3 accounting lines') if @free < 3;
my @moves = $text =~ /^# follow: target (\d+) pages .*?, balloon (\d+) pages/mg;
my $steps = @moves / 2;
# Each line reports a catch-up to the latest target: its balloon is that
# target, or short of it by the reserve (then the line says "short by").
my @short = $text =~ /^# follow: target (\d+) pages .*?, balloon (\d+) pages.*short by/mg;
my $unmet = 0;
for (my $i = 0; $i < @moves; $i += 2) {
	$unmet++ if $moves[$i] != $moves[$i + 1];
}
fail("$unmet step(s) left the balloon off its target without saying so")
	if $unmet > @short / 2;
fail('the target above RAM was never reported short') unless @short;
if (@free >= 2) {
	my ($first, $last) = ($free[0], $free[-1]);
	# The only pages allowed to move: the driver's PFN-list pages, kept
	# as kernel pages (a spare, an empty top chunk). Anything else that
	# left the free list after deflating to 0 is a leak.
	my $list = $last->[3] - $first->[3];
	my $leak = $first->[0] - $last->[0] - $list;
	fail("balloon not empty at the end ($last->[2] pages)") if $last->[2];
	fail("free pages before $first->[0], after deflating $last->[0], "
		. "the driver's list grew by $list: $leak page(s) leaked")
		if $leak;
	fail("kernel pages before $first->[1], after $last->[1], list grew "
		. "by $list") if $last->[1] - $first->[1] != $list;
	# Pages checked: every managed page is reconciled at the end.
	printf "# storm: %d follow steps, %d short of target; free pages before %d, after %d (list +%d); %d pages checked\n",
		$steps, @short / 2, $first->[0], $last->[0], $list, $last->[4];
}
printf "# storm: %.1f s wall\n", time - $t0;
if (@why) {
	print "# storm: FAILED: $_\n" for @why;
	exit 1;
}
exit 0;
