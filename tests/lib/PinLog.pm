# PinLog.pm - reading a guest's serial log while QEMU is still writing it,
# for the Perl helpers (tests/follow.pl, tests/vbal_storm.pl): the whole
# text so far, and a bounded wait for a line matching a pattern.
package PinLog;
use strict;
use warnings;
use Time::HiRes qw(sleep);
use Exporter qw(import);
our @EXPORT_OK = qw(log_text log_wait);

# Everything in the log so far ('' if it does not exist yet).
sub log_text {
	my ($path) = @_;
	open my $f, '<', $path or return '';
	local $/;
	my $t = <$f>;
	return $t // '';
}

# 1 once the log matches re, polled every 50 ms; 0 after secs seconds.
sub log_wait {
	my ($path, $re, $secs) = @_;
	for (1 .. $secs * 20) {
		return 1 if log_text($path) =~ $re;
		sleep 0.05;
	}
	return 0;
}

1;
