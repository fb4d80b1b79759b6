# PinQmp.pm - the little QMP client the Perl helpers share
# (tests/follow.pl, tests/vbal_storm.pl, bench/vbal_bench.pl): connect to QEMU's QMP socket,
# send one command, read its answer. Line-based, every wait bounded.
package PinQmp;
use strict;
use warnings;
use IO::Socket::UNIX;
use IO::Select;
use Exporter qw(import);
our @EXPORT_OK = qw(qmp_connect qmp_reply qmp);

# One QMP reply (skipping events), within 5 s; undef if none came.
sub qmp_reply {
	my ($q) = @_;
	my $sel = IO::Select->new($q);
	my $buf = '';
	while ($sel->can_read(5)) {
		my $n = sysread($q, my $chunk, 4096);
		return undef unless $n;
		$buf .= $chunk;
		while ($buf =~ s/^([^\n]*)\n//) {
			my $line = $1;
			return $line if $line =~ /"return"|"error"|"QMP"/;
		}
		return undef if length($buf) > 65536;
	}
	return undef;
}

# Sends cmd (a JSON line); dies on no answer or an error; returns it.
sub qmp {
	my ($q, $cmd) = @_;
	print $q "$cmd\n";
	my $r = qmp_reply($q);
	die "QMP: no answer to $cmd\n" unless defined $r;
	die "QMP: $cmd: $r\n" if $r =~ /"error"/;
	return $r;
}

# Connects (QEMU may still be creating the socket: up to 5 s), reads the
# greeting and leaves capabilities negotiation done.
sub qmp_connect {
	my ($path) = @_;
	my $q;
	for (1 .. 50) {
		last if $q = IO::Socket::UNIX->new(Peer => $path);
		select(undef, undef, undef, 0.1);
	}
	die "cannot connect to $path\n" unless $q;
	$q->autoflush(1);
	defined qmp_reply($q) or die "no QMP greeting\n";
	qmp($q, '{"execute":"qmp_capabilities"}');
	return $q;
}

1;
