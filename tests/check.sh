#!/usr/bin/env bash
# check.sh - run every pinprick test and end with one summary line:
#
#	N passed, N failed, N skipped
#
# 1. host unit tests (given as arguments, built with ASan + UBSan);
# 2. every profile in host/profiles under QEMU, through the runner, each
#    serial log then fed to `prove` as it is;
# 3. the red paths: suites that fail, crash or hang on purpose must be
#    reported as such, and bad runner input must be refused;
# 4. hand-run QEMU boots without the runner (the way a user tries it),
#    over machine types, odd memory sizes and CPU counts;
# 5. the UEFI path beyond its profiles: each medium `make images` builds
#    boots as it is, and a loader given bad input says so and goes on;
# 6. coverage (tests/coverage.sh): every profile again with the coverage
#    kernel, merged with the unit tests, and the floors enforced;
# 7. a quick `make bench` runs and writes its figures (no figure is judged);
# 8. every libFuzzer target: its regression inputs, then a brief fuzz;
# 9. the quick fault matrix (tests/faults.sh): a hostile balloon host.
# Every guest check counts, as does every unit test and every meta check.
set -u
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0
failures=()
logs=build/logs
runner=build/pinprick-run
kernel=build/pinprick.elf
mkdir -p "$logs"
# Sections 2 and 3 use the runner built with ASan + UBSan when there is
# one (make check builds it): a sanitizer report from any of those runs
# is a failure (san_scan). Leaks count; UBSan stops at its first report.
if [[ -x build/pinprick-run-san ]]; then
	runner=build/pinprick-run-san
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
san_runs=0 san_reports=0

note() { printf '%s\n' "$*"; }
pass() { passed=$((passed + 1)); note "ok: $*"; }
fail() { failed=$((failed + 1)); failures+=("$*"); note "FAILED: $*"; }

unit_only=0
if [[ ${1-} == --unit-only ]]; then
	unit_only=1
	shift
fi

# ---- 1. host unit tests -----------------------------------------------
for t in "$@"; do
	name=$(basename "$t")
	out=$("$t" 2>&1)
	rc=$?
	line=$(grep -E '^# ut: [0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -1)
	if [[ -z $line ]]; then
		note "$out" | tail -20
		fail "unit $name: no summary line (crashed? exit $rc)"
		continue
	fi
	p=$(sed -E 's/^# ut: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	passed=$((passed + p))
	failed=$((failed + f))
	if [[ $f -ne 0 || $rc -ne 0 ]]; then
		grep -E '^not ok|# check failed|ERROR|runtime error' <<<"$out" | head -30
		[[ $f -eq 0 ]] && fail "unit $name: exit $rc with no failed test"
		failures+=("unit $name: $f failed")
	fi
	note "unit $name: $p passed, $f failed"
done

summary() {
	echo
	if ((${#failures[@]})); then
		note "failures:"
		printf '  %s\n' "${failures[@]}"
	fi
	echo "$passed passed, $failed failed, $skipped skipped"
	[[ $failed -eq 0 ]]
	exit
}
((unit_only)) && summary

# ---- static analysis ------------------------------------------------------
if command -v cppcheck >/dev/null; then
	if out=$(make -s lint 2>&1); then
		pass "cppcheck finds nothing in $(git ls-files '*.c' | wc -l) C files"
	else
		note "$out" | head -20
		fail "cppcheck reports problems (make lint)"
	fi
fi

# prove from Debian 12 (Test::Harness 3.44) predates TAP 14 (3.48 added
# it) and refuses only the version line; tell that apart from real errors.
probe=$(mktemp)
printf 'TAP version 14\n1..1\nok 1\n' >"$probe"
if prove -e cat "$probe" >/dev/null 2>&1; then prove_knows_14=1; else prove_knows_14=0; fi
rm -f "$probe"
((prove_knows_14)) || note "note: this prove predates TAP 14; its one 'version 14' parse error is tolerated (see README)"

prove_log() { # log label
	local out
	out=$(prove -e cat "$1" 2>&1)
	if grep -q '^Result: PASS' <<<"$out"; then
		pass "prove accepts the $2 log"
	elif ((!prove_knows_14)) &&
		! grep -q 'Failed:\s*[1-9]\|Bad plan\|No plan' <<<"$out" &&
		[[ $(grep -c 'Parse errors:\|^\s\+[A-Z].*' <<<"$out") -ge 1 ]] &&
		! grep -v "TAP specified version 14 but we don't know about versions later than 13" <<<"$out" |
			grep -q 'Parse errors\|^\s\s\s\s*[A-Z]'; then
		pass "prove accepts the $2 log (apart from the TAP 14 version line)"
	else
		note "$out" | tail -15
		fail "prove rejects the $2 log ($1)"
	fi
}

# A sanitizer report in a runner's output (stdout and stderr, both kept
# in the file) fails the run it came from, whatever its exit code was.
san_re='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:'
san_scan() { # output-file label
	san_runs=$((san_runs + 1))
	if grep -qE "$san_re" "$1"; then
		san_reports=$((san_reports + 1))
		grep -E -A12 "$san_re" "$1" | head -40
		fail "$2: the sanitized runner reported an error ($1)"
	fi
}

results() { # file key
	sed -nE "s/.*\\b$2=([^ ]+).*/\\1/p" "$1"
}

# ---- 2. every profile through the runner ----------------------------------
for conf in host/profiles/*.conf; do
	prof=$(basename "$conf" .conf)
	note "== profile $prof"
	res=$logs/$prof.results
	rm -f "$res"
	"$runner" --profile "$prof" --kernel "$kernel" --log "$logs/$prof.log" \
		--results "$res" --junit "$logs/$prof.junit.xml" \
		--csv "$logs/$prof.csv" --html "$logs/$prof.html" >"$logs/$prof.out" 2>&1
	rc=$?
	san_scan "$logs/$prof.out" "profile $prof"
	grep -E '^# suite|^not ok|^ +not ok|^Bail out|^pinprick-run' "$logs/$prof.out"
	if [[ ! -s $res ]]; then
		tail -20 "$logs/$prof.out"
		fail "profile $prof: the runner wrote no results (exit $rc)"
		continue
	fi
	p=$(results "$res" passed) f=$(results "$res" failed)
	s=$(results "$res" skipped) t=$(results "$res" todo)
	passed=$((passed + p + t))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [[ $rc -ne 0 ]]; then
		fail "profile $prof: runner exit $rc ($(results "$res" status))"
	fi
	prove_log "$logs/$prof.log" "$prof"
	# JUnit lists every check: passed + failed + skipped + todo.
	jt=$(sed -nE 's/^<testsuites [^>]*tests="([0-9]+)".*/\1/p' "$logs/$prof.junit.xml" 2>/dev/null)
	if [[ $jt == $((p + f + s + t)) ]] && tail -1 "$logs/$prof.junit.xml" | grep -q '^</testsuites>$'; then
		pass "profile $prof: JUnit lists all $jt checks"
	else
		fail "profile $prof: JUnit lists ${jt:-no} checks, TAP has $((p + f + s + t))"
	fi
	# The HTML report has one row per check and ends where it should.
	ht=$(grep -c '^<tr class=' "$logs/$prof.html" 2>/dev/null)
	if [[ $ht == $((p + f + s + t)) ]] && tail -1 "$logs/$prof.html" | grep -q '</html>'; then
		pass "profile $prof: the HTML report lists all $ht checks"
	else
		fail "profile $prof: the HTML report lists ${ht:-no} checks, TAP has $((p + f + s + t))"
	fi
done

# The timeline of the scenarios: guest and runner samples, markers, a plot.
csv=$logs/pc-full.csv
if [[ $(grep -c '^guest:virtio,' "$csv") -gt 10 && $(grep -c '^guest:vmware,' "$csv") -gt 10 &&
	$(grep -c '^runner,' "$csv") -gt 10 && $(grep -c '^mark:churn (vmware) start,' "$csv") == 1 ]] &&
	grep -q '<polyline' "$logs/pc-full.html"; then
	pass "pc-full: the CSV has guest samples of both protocols, runner samples and markers; the HTML plots them"
else
	fail "pc-full: the timeline is incomplete ($csv, $logs/pc-full.html)"
fi

# ---- 3. red paths: failures must be seen ------------------------------------
expect_run() { # label expected-exit runner-args...
	local label=$1 want=$2 rc
	shift 2
	"$runner" --kernel "$kernel" --quiet "$@" >"$logs/expect.out" 2>&1
	rc=$?
	san_scan "$logs/expect.out" "$label"
	if [[ $rc -eq $want ]]; then
		pass "$label (runner exit $rc)"
	else
		tail -15 "$logs/expect.out"
		fail "$label: runner exit $rc, expected $want"
	fi
}

expect_run "a failing check is reported as a failure" 1 \
	--profile microvm --append "suite=selftest-fail" --log "$logs/selftest-fail.log" \
	--junit "$logs/selftest-fail.junit.xml"
if grep -q '<testsuites [^>]*failures="[1-9]' "$logs/selftest-fail.junit.xml" &&
	grep -q '<failure message=' "$logs/selftest-fail.junit.xml"; then
	pass "the JUnit report carries the failures with their diagnostics"
else
	fail "no <failure> in $logs/selftest-fail.junit.xml"
fi
if grep -q '^    not ok 3 - budget overrun: exceeded its time budget' "$logs/selftest-fail.log" &&
	grep -q '^    ok 4 - ' "$logs/selftest-fail.log"; then
	pass "a budget overrun is stopped by the watchdog and the run goes on"
else
	fail "budget overrun not reported as expected (see $logs/selftest-fail.log)"
fi
expect_run "an unexpected fault is reported as a crash" 2 \
	--profile microvm --append "suite=selftest-crash" --log "$logs/selftest-crash.log"
if grep -q '^Bail out! unexpected CPU exception #PF' "$logs/selftest-crash.log" &&
	grep -q '^# pinprick: exit 2' "$logs/selftest-crash.log"; then
	pass "the crash report names the exception and exits with the crash code"
else
	fail "crash report incomplete (see $logs/selftest-crash.log)"
fi
if prove -e cat "$logs/selftest-crash.log" 2>&1 | grep -q '^Bailout called.*unexpected CPU exception'; then
	pass "prove reads the crash log's Bail out! line"
else
	fail "prove did not see the Bail out! in $logs/selftest-crash.log"
fi
# The kernel's stack protector (kernel/stack_chk.c): a deliberate write
# past a local array must stop the run as a crash, naming the cause.
expect_run "a smashed stack canary is reported as a crash" 2 \
	--profile microvm --append "suite=selftest-stack" --log "$logs/selftest-stack.log"
if grep -q '^Bail out! stack smashing detected' "$logs/selftest-stack.log" &&
	grep -q '^# pinprick: exit 2' "$logs/selftest-stack.log" &&
	! grep -q '^ *not ok' "$logs/selftest-stack.log"; then
	pass "the stack protector's Bail out! names the stack smash and exits with the crash code"
else
	fail "stack smash not reported as expected (see $logs/selftest-stack.log)"
fi
expect_run "a hung guest is timed out by the runner" 3 \
	--profile microvm --append "suite=selftest-hang" --timeout 4 --log "$logs/selftest-hang.log"
# A hostile guest (issue 10, docs/robustness.md): a 1 MiB line and raw
# bytes on COM1, garbage, an over-long request and a 600-request flood on
# COM2. Its own checks pass only if the runner refused as documented and
# answered again after the flood; the runner's peak memory stays bounded.
expect_run "a hostile guest (1 MiB line, COM2 garbage and flood) passes its checks" 0 \
	--profile pc --append "suite=selftest-hostile" --verbose \
	--log "$logs/selftest-hostile.log" --junit "$logs/selftest-hostile.junit.xml"
hostile_rss=$(sed -n 's/^# pinprick-run: runner peak RSS \([0-9]*\) KiB$/\1/p' "$logs/expect.out")
if grep -q '^# pinprick-run: line cut at 4096 bytes' "$logs/expect.out" &&
	grep -q '^# pinprick-run: 1 guest line(s) longer than 4096 bytes were cut; the longest had 1048522 bytes$' "$logs/selftest-hostile.log" &&
	grep -q '^    ok 1 - a 1048523-byte line went out whole' "$logs/selftest-hostile.log" &&
	grep -q '^    ok 2 - a line of raw bytes' "$logs/selftest-hostile.log"; then
	pass "the runner cuts a 1 MiB line, says so in its output and the log, and counts the checks after it"
else
	fail "cut line not reported or checks after it lost (see $logs/selftest-hostile.log)"
fi
if grep -q "^    ok [0-9]* - a garbage line is answered 'PP! 0 err malformed'" "$logs/selftest-hostile.log" &&
	grep -q "^    ok [0-9]* - a [0-9]*-byte request is refused 'err line-too-long'" "$logs/selftest-hostile.log" &&
	grep -q '^    ok [0-9]* - the flood is rate-limited: [1-9][0-9]* refused' "$logs/selftest-hostile.log" &&
	grep -q '^    ok [0-9]* - the runner answers a normal request after the flood' "$logs/selftest-hostile.log"; then
	pass "the guest sees malformed, line-too-long and rate-limited refusals, then a normal answer"
else
	fail "control-channel refusals not seen by the guest (see $logs/selftest-hostile.log)"
fi
if [[ -n $hostile_rss && $hostile_rss -lt 65536 ]]; then
	pass "the runner's peak RSS under the hostile guest is ${hostile_rss} KiB (bound 64 MiB)"
else
	fail "runner peak RSS '${hostile_rss:-not printed}' KiB under the hostile guest (bound 65536)"
fi
expect_run "a guest that goes silent with interrupts off is timed out" 3 \
	--profile microvm --append "suite=selftest-silent" --timeout 4 \
	--log "$logs/selftest-silent.log" --junit "$logs/selftest-silent.junit.xml"
if grep -q '^    ok 1 - COM1 has dropped no byte of this report so far' "$logs/selftest-silent.log" &&
	tail -1 "$logs/selftest-silent.log" | grep -q '^# pinprick-run: timeout after 4 s' &&
	grep -q '<error message="the run ended with status timeout"' "$logs/selftest-silent.junit.xml"; then
	pass "the silent guest's log is kept with the timeout note, and JUnit marks the run an error"
else
	fail "silent guest: log or JUnit incomplete (see $logs/selftest-silent.log)"
fi
expect_run "an unknown kernel option is a failed check" 1 \
	--profile microvm --append "no-such-option=1" --log "$logs/badopt.log"
expect_run "a scenario that does not parse is reported with file:line:col, not run" 1 \
	--profile pc-full --append "suite=none scenario=selftest-syntax" --log "$logs/scen-syntax.log"
if [[ $(grep -c '^    not ok 1 - tests/scenarios/selftest-syntax.scn:5:22: time needs a unit' "$logs/scen-syntax.log") == 2 ]] &&
	! grep -q '^    ok .*target' "$logs/scen-syntax.log"; then
	pass "the syntax error names tests/scenarios/selftest-syntax.scn:5:22 on both protocols and nothing ran"
else
	fail "syntax error not reported as expected (see $logs/scen-syntax.log)"
fi
expect_run "a host that discards pages the guest owns is caught by the checksums" 1 \
	--profile tests/profiles/vmware-discard.conf --log "$logs/vmware-discard.log"
if grep -q '^    not ok .*churn seed=1 steps=2000: every owned page intact' "$logs/vmware-discard.log" &&
	grep -q '^    not ok .*: expect intact' "$logs/vmware-discard.log" &&
	grep -q '^      got: "0"' "$logs/vmware-discard.log" &&
	! grep '^    not ok' "$logs/vmware-discard.log" | grep -vq 'intact'; then
	pass "only the integrity checks fail, naming the zeroed page"
else
	fail "discarded pages not caught as expected (see $logs/vmware-discard.log)"
fi
expect_run "an unknown scenario name is a failed check" 1 \
	--profile microvm --append "suite=none scenario=no-such-scenario" --log "$logs/scen-unknown.log"
expect_run "an unknown runner option is refused" 4 --no-such-flag
expect_run "an unknown profile is refused" 4 --profile no-such-profile
badprof=$(mktemp --suffix=.conf)
printf 'machine = pc\nmemory = lots\n' >"$badprof"
expect_run "a malformed profile is refused" 4 --profile "$badprof"
rm -f "$badprof"

# Without isa-debug-exit (VMware, other VMMs) the guest powers off via ACPI.
for m in pc q35 microvm; do
	expect_run "exit=acpi powers $m off with the result in the log" 0 \
		--profile "$m" --append "exit=acpi suite=allocator" --log "$logs/acpi-$m.log"
	if grep -q 'halted' "$logs/acpi-$m.log"; then
		fail "ACPI power-off did not stop $m (see $logs/acpi-$m.log)"
	fi
done

# TAP 13 for older harnesses: then prove accepts the raw log without excuse.
expect_run "tap=13 run passes" 0 --profile microvm --append "tap=13" --log "$logs/tap13.log"
if prove -e cat "$logs/tap13.log" 2>&1 | grep -q '^Result: PASS'; then
	pass "prove accepts a tap=13 log with no parse error"
else
	fail "prove rejects the tap=13 log ($logs/tap13.log)"
fi

if [[ $runner == *-san ]]; then
	note "note: $san_runs runs of the sanitized runner ($runner), $san_reports with a sanitizer report"
else
	note "note: build/pinprick-run-san is missing (make check builds it); profiles and red paths ran without sanitizers"
fi

# ---- 4. hand-run QEMU, no runner (as a user would boot it) ------------------
qemu_plain() { # label machine memory smp
	local log=$logs/plain-$2-$3-$4.log rc
	timeout 60 qemu-system-x86_64 -M "$2" -m "$3" -smp "$4" -accel tcg \
		-display none -nodefaults -no-reboot -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$kernel" </dev/null >"$log" 2>&1
	rc=$?
	local nok
	nok=$(grep -E '^ *not ok' "$log" | grep -vc ' # TODO ')
	local n
	n=$(grep -cE '^ +ok ' "$log")
	if [[ $rc -eq 33 && $nok -eq 0 && $n -gt 20 ]] && grep -q '^# pinprick: exit 0' "$log"; then
		pass "$1: QEMU -M $2 -m $3 -smp $4: $n checks ok, exit 33"
	else
		grep -E 'not ok|Bail' "$log" | grep -v ' # TODO ' | head
		fail "$1: QEMU -M $2 -m $3 -smp $4: exit $rc, $nok not ok ($log)"
	fi
}
qemu_plain "plain boot" pc 32M 1
qemu_plain "plain boot" pc 97M 2
qemu_plain "plain boot" q35 2G 2
qemu_plain "plain boot" q35 5G 1
qemu_plain "plain boot" microvm 48M 1
qemu_plain "plain boot" microvm 3500M 2

# run=follow: the guest as a plain balloon guest, driven by hand over QMP.
follow_boot() { # machine device
	local log=$logs/follow-$1.log sock=$logs/follow-$1.qmp out
	rm -f "$log" "$sock"
	timeout 60 qemu-system-x86_64 -M "$1" -m 128M -accel tcg -display none \
		-nodefaults -no-reboot -serial "file:$log" \
		-qmp "unix:$sock,server=on,wait=off" -device "$2" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$kernel" -append run=follow </dev/null >/dev/null 2>&1 &
	local qpid=$!
	if out=$(perl tests/follow.pl "$sock" "$log" 134217728 32 4 0 2>&1); then
		pass "run=follow on $1 follows QMP balloon to 32, 4 and 0 MiB"
	else
		note "$out"
		fail "run=follow on $1 ($log): $out"
	fi
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	rm -f "$sock"
}
follow_boot pc virtio-balloon-pci
follow_boot microvm virtio-balloon-device

# ---- 5. UEFI: boot media and the loader's own checks ------------------------
for prof in q35-uefi pc-uefi-vmware; do
	if grep -q '^# boot: UEFI loader pinprick.efi on EDK II' "$logs/$prof.log" &&
		grep -q '^    ok [0-9]* - booted through UEFI, as boot=uefi expects' "$logs/$prof.log"; then
		pass "$prof: the boot path is named in a # line and checked"
	else
		fail "$prof: no UEFI boot line or boot path check ($logs/$prof.log)"
	fi
done
expect_run "a PVH boot told to expect UEFI fails the boot path check" 1 \
	--profile microvm --append "suite=platform boot=uefi" --log "$logs/boot-mismatch.log"
if grep -q '^    not ok [0-9]* - booted through PVH, as boot=uefi expects' "$logs/boot-mismatch.log"; then
	pass "the mismatch names both paths"
else
	fail "boot path mismatch not reported ($logs/boot-mismatch.log)"
fi

# The ExitBootServices retry, on real firmware: the loader makes the first
# map key stale on purpose (a boot-services call in between).
expect_run "efi.stale_key: a stale ExitBootServices key is retried" 0 \
	--profile q35-uefi --append "suite=platform efi.stale_key" --log "$logs/uefi-stale-key.log"
if grep -q '^# boot: UEFI loader .* ExitBootServices on attempt 2,' "$logs/uefi-stale-key.log" &&
	grep -q '^    ok [0-9]* - a stale map key (efi.stale_key) was refused and the retry succeeded' "$logs/uefi-stale-key.log"; then
	pass "OVMF refused the stale key and the second attempt succeeded"
else
	fail "stale-key retry not seen ($logs/uefi-stale-key.log)"
fi

# The media as an operator gets them, with their own pinprick.cfg.
for img in pinprick.iso pinprick.vmdk; do
	expect_run "build/$img boots under OVMF and passes" 0 \
		--profile q35-uefi --boot-image "build/$img" --log "$logs/image-$img.log"
	if grep -q 'command line from pinprick.cfg' "$logs/image-$img.log" &&
		grep -q '^# pinprick: exit 0' "$logs/image-$img.log"; then
		pass "build/$img: the loader read the image's pinprick.cfg"
	else
		fail "build/$img: no pinprick.cfg read or no clean exit ($logs/image-$img.log)"
	fi
done
expect_run "--append with --boot-image is refused (it could not reach the guest)" 4 \
	--profile q35-uefi --boot-image build/pinprick.iso --append verbose

# A pinprick.cfg that is not text: rejected whole, reported, the run goes on.
esp=$(mktemp -d)
mkdir -p "$esp/EFI/BOOT"
cp build/pinprick.efi "$esp/EFI/BOOT/BOOTX64.EFI"
printf 'suite=platform\n\303\251t\351\n' >"$esp/EFI/BOOT/pinprick.cfg"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$esp/vars.fd"
log=$logs/uefi-badcfg.log
timeout 120 qemu-system-x86_64 -M q35 -m 256M -accel tcg -display none -nodefaults \
	-no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
	-drive "if=pflash,format=raw,file=$esp/vars.fd" \
	-drive "if=ide,format=raw,file=fat:rw:$esp" </dev/null >"$log" 2>&1
rc=$?
rm -rf "$esp"
nok=$(grep -E '^ *not ok' "$log" | grep -v ' # TODO ' | grep -vc 'platform$')
if [[ $rc -eq 35 && $nok -eq 1 ]] &&
	grep -q '^    not ok [0-9]* - the loader worked around no problem' "$log" &&
	grep -q '^# boot: the loader reported 1 problem(s), first: pinprick.cfg has bytes that are not printable ASCII' "$log" &&
	grep -q '^# pinprick: exit 1' "$log"; then
	pass "a pinprick.cfg with non-ASCII bytes is refused, reported as one failed check, and every suite still runs"
else
	grep -E 'not ok|Bail|# boot' "$log" | head
	fail "bad pinprick.cfg not handled as expected: exit $rc, $nok unexpected not ok ($log)"
fi

# ---- 6. coverage of the guest and the unit tests, with floors ---------------
names=()
for t in "$@"; do names+=("$(basename "$t")"); done
note "== coverage (tests/coverage.sh)"
out=$(tests/coverage.sh build --check "${names[@]}" 2>&1)
grep -E '^ok: coverage:|^FAILED|^coverage: drivers/ from' <<<"$out"
line=$(grep -E '^coverage: [0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -1)
if [[ -z $line ]]; then
	tail -20 <<<"$out"
	fail "coverage: tests/coverage.sh gave no summary"
else
	p=$(sed -E 's/^coverage: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")
	passed=$((passed + p))
	failed=$((failed + f))
	while read -r l; do failures+=("${l#FAILED: }"); done < <(grep '^FAILED: ' <<<"$out")
fi

# ---- 7. benchmarks: a quick run works; the numbers are not judged ----------
note "== quick benchmarks (bench/run.sh --quick)"
if out=$(bench/run.sh build --quick 2>&1); then
	missing=
	for f in boot.pvh.pc.wall boot.pvh.microvm.guest boot.uefi.q35.wall floor.madvise_4k.256m \
		alloc.host.order0 vmw.inproc.lock_4k virtio.inflate.256m.e2e virtio.deflate.256m.guest virtio.deflate.256m.wait \
		alloc.guest.order9 vmw.gdbstub.roundtrip vmw.gdbstub.lock_4k vmw.gdbstub.unlock_2m; do
		grep -q "\"name\" : \"$f\"" build/bench.json || missing="$missing $f"
	done
	if [[ -z $missing ]]; then
		pass "a quick make bench runs: $(grep -c '^BENCH ' build/bench.lines) figures in build/bench.json"
	else
		fail "quick bench: build/bench.json lacks:$missing"
	fi
else
	tail -15 <<<"$out"
	fail "quick bench (bench/run.sh --quick) failed"
fi

# The bench/host programs built with ASan + UBSan (make check builds them),
# run once in their quick mode: no figure is kept, only a clean exit.
for b in build/hsan/bench/madvise_floor build/hsan/bench/alloc_bench build/hsan/bench/vmw_bench; do
	[[ -x $b ]] || continue
	out=$(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$b" --quick 2>&1)
	rc=$?
	if [[ $rc -eq 0 ]] && ! grep -qE "$san_re" <<<"$out"; then
		pass "$(basename "$b") --quick runs clean under ASan + UBSan"
	else
		grep -E -A12 "$san_re" <<<"$out" | head -40
		fail "$(basename "$b") under ASan + UBSan: exit $rc or a sanitizer report"
	fi
done

# Scripts that report item by item: "ok: ..." or "FAILED: ..." each, then
# "# NAME: P passed, F failed" (and maybe "# NAME totals: ..."). Every
# item counts; a missing summary or a bad exit status fails as well.
count_items() { # name label-prefix command...
	local name=$1 prefix=$2 out rc l
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	while IFS= read -r l; do
		case $l in
		"ok: "*) pass "$prefix${l#ok: }" ;;
		"FAILED: "*) fail "$prefix${l#FAILED: }" ;;
		esac
	done <<<"$out"
	grep "^# $name totals:" <<<"$out"
	if ! grep -qE "^# $name: [0-9]+ passed, 0 failed\$" <<<"$out" || [[ $rc -ne 0 ]]; then
		grep -vE '^(ok|FAILED): ' <<<"$out" | tail -20
		fail "$*: exit $rc, summary: $(grep "^# $name:" <<<"$out" | head -1 || echo none)"
	fi
}

# ---- 8. fuzzing: regressions and seeds replayed, each target fuzzed briefly --
# (make fuzz runs them for longer; docs/fuzzing.md.) The crash file of a
# failed target is named on its line.
note "fuzz: every target, 4 s each (fuzz/run.sh)"
count_items fuzz "" fuzz/run.sh build 4

# ---- 9. the fault matrix: a hostile balloon host, the guest survives -------
# tests/faults.sh --quick (make faults runs the full matrix); one count per
# run, and the totals line (faults injected, pages checked) shown.
note "faults: the quick fault matrix (tests/faults.sh --quick)"
count_items faults "fault matrix: " tests/faults.sh build --quick

summary
