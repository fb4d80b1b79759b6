#!/usr/bin/env bash
# coverage.sh - line coverage of pinprick: the host unit tests and the
# guest kernel itself, merged into one lcov HTML report.
#
#	tests/coverage.sh BUILD [--check] UNIT_TEST...
#
# 1. Each unit test was built with --coverage in BUILD/cov/; run them.
# 2. Boot every profile under QEMU with the coverage kernel
#    (BUILD/pinprick-cov.elf, and BUILD/pinprick-cov.efi for the UEFI
#    profiles). At exit the guest streams its counters as "# gcov:" lines;
#    the runner (--gcov) checks them and merges them into BUILD/kcov/*.gcda
#    beside the .gcno files the compiler left there (docs/coverage.md).
# 3. lcov captures both, merges them, writes BUILD/coverage/html, and the
#    floors are enforced: drivers/ at least 86% of lines, the page
#    allocator at least 98% (see floor below).
# With --check the last line is "coverage: N passed, N failed" for
# tests/check.sh to count (one per profile run and one per floor).
set -uo pipefail
build=$1
shift
check=0
if [[ ${1-} == --check ]]; then
	check=1
	shift
fi
cov=$build/cov
kcov=$build/kcov
out=$build/coverage
logs=$build/logs
mkdir -p "$out" "$logs"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }

# ---- 1. host unit tests ---------------------------------------------------
find "$cov" -name '*.gcda' -delete 2>/dev/null
for t in "$@"; do
	if "$cov/$t" >/dev/null 2>&1; then
		:
	else
		bad "unit test $t failed under coverage"
	fi
done
lcov --quiet --capture --directory "$cov" --output-file "$out/unit.info" \
	--rc lcov_branch_coverage=0 2>/dev/null

# ---- 2. the guest, on every profile -----------------------------------------
find "$kcov" -name '*.gcda' -delete 2>/dev/null
for conf in host/profiles/*.conf; do
	prof=$(basename "$conf" .conf)
	log=$logs/cov-$prof.log
	"$build/pinprick-run" --profile "$prof" --quiet --log "$log" \
		--kernel "$build/pinprick-cov.elf" --efi "$build/pinprick-cov.efi" \
		--gcov "$kcov" >"$logs/cov-$prof.out" 2>&1
	rc=$?
	if [[ $rc -eq 0 ]] && grep -q '^# pinprick-run: gcov: [0-9]* files' "$logs/cov-$prof.out"; then
		ok "coverage run $prof: $(grep -o 'gcov: [0-9]* files.*' "$logs/cov-$prof.out" | head -1)"
	else
		tail -5 "$logs/cov-$prof.out" >&2
		bad "coverage run $prof: runner exit $rc ($log)"
	fi
done
# A crashing guest still hands over its counters (pp_exit dumps on every
# way out), and the runner keeps its crash verdict.
"$build/pinprick-run" --profile microvm --quiet --append suite=selftest-crash \
	--kernel "$build/pinprick-cov.elf" --gcov "$kcov" --log "$logs/cov-crash.log" \
	>"$logs/cov-crash.out" 2>&1
rc=$?
if [[ $rc -eq 2 ]] && grep -q '^# pinprick-run: gcov: [0-9]* files' "$logs/cov-crash.out"; then
	ok "coverage: a crashed guest's dump is still received (runner exit 2)"
else
	bad "coverage: crashed guest: runner exit $rc, dump not received ($logs/cov-crash.out)"
fi
lcov --quiet --capture --directory "$kcov" --output-file "$out/guest.info" \
	--rc lcov_branch_coverage=0 2>/dev/null

# ---- 3. one report, and the floors ------------------------------------------
lcov --quiet -a "$out/unit.info" -a "$out/guest.info" -o "$out/all.info" 2>/dev/null
lcov --quiet --extract "$out/all.info" "$PWD/kernel/*" "$PWD/drivers/*" \
	"$PWD/tests/guest/*" "$PWD/host/*" "$PWD/boot/*" \
	--output-file "$out/all.info" 2>/dev/null
genhtml --quiet --title "pinprick: host unit tests + guest kernel on every profile" \
	--output-directory "$out/html" "$out/all.info" 2>/dev/null
lcov --list "$out/all.info" 2>/dev/null | grep -E 'drivers/|page_alloc|Total'

pct_of() { # lcov-file -> line percentage
	lcov --summary "$1" 2>&1 | sed -nE 's/^ *lines\.*: ([0-9.]+)%.*/\1/p'
}
floor() { # label pattern min-percent
	local part=$out/floor.info pct
	lcov --quiet --extract "$out/all.info" "$2" --output-file "$part" 2>/dev/null
	pct=$(pct_of "$part")
	if [[ -z $pct ]]; then
		bad "coverage: no data for $1"
	elif awk -v p="$pct" -v m="$3" 'BEGIN { exit !(p + 0 >= m + 0) }'; then
		ok "coverage: $1 ${pct}% of lines (floor $3%)"
	else
		bad "coverage: $1 ${pct}% of lines is below the floor of $3%"
	fi
	rm -f "$part"
}
# The issue's floors were 85% and 90%; these are raised to just under
# what was measured when they were set (87.7-88.1% and 100%, 2026-11-23).
floor "drivers/ (guest runs + unit tests)" "$PWD/drivers/*" 86
floor "kernel/page_alloc.c" "$PWD/kernel/page_alloc.c" 98
# For the record: how much of drivers/ the guest runs alone reach.
lcov --quiet --extract "$out/guest.info" "$PWD/drivers/*" --output-file "$out/guest-drivers.info" 2>/dev/null
echo "coverage: drivers/ from the guest runs alone: $(pct_of "$out/guest-drivers.info")% of lines"
echo "coverage: report in $out/html/index.html"
((check)) && echo "coverage: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
