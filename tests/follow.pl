#!/usr/bin/perl
# follow.pl - drive a pinprick guest booted with run=follow through QMP,
# as a person at the monitor would, and check its serial log answers.
#
#	follow.pl QMP-SOCKET SERIAL-LOG RAM-BYTES MIB...
#
# For each MIB: QMP "balloon" to RAM - MIB MiB (the size the guest should
# have), then wait for the guest's "# follow: target N pages ... balloon N
# pages" line. Finally "quit". Every wait is bounded; exit 0 when every
# line came, 1 otherwise, with the reason on stderr.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use PinQmp qw(qmp_connect qmp_reply qmp);
use PinLog qw(log_wait);

my ($sock_path, $log, $ram, @mibs) = @ARGV;
die "usage: follow.pl QMP-SOCKET SERIAL-LOG RAM-BYTES MIB...\n" unless @mibs;

log_wait($log, qr/following the host's target/, 20) or die "no run=follow banner in $log\n";
my $q = qmp_connect($sock_path);
my $ok = 1;
for my $mib (@mibs) {
	my $pages = $mib * 256;
	qmp($q, '{"execute":"balloon","arguments":{"value":' . ($ram - $mib * 1048576) . '}}');
	if (log_wait($log, qr/follow: target $pages pages \(\d+ MiB\), balloon $pages pages/, 20)) {
		print "follow: $mib MiB ok\n";
	} else {
		print STDERR "follow: no line for a $mib MiB balloon\n";
		$ok = 0;
		last;
	}
}
print $q '{"execute":"quit"}' . "\n";
qmp_reply($q);
exit($ok ? 0 : 1);
