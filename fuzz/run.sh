#!/bin/bash
# fuzz/run.sh - run the libFuzzer targets: regressions, seeds, then fuzzing.
#
#   fuzz/run.sh BUILD SECONDS [name...]     (default: every fuzz/targets/*.mk)
#
# For each target $BUILD/fuzz/<name>:
#   1. replay every input in fuzz/regress/<name>/ (inputs that once crashed
#      it: this is the regression test) and fuzz/corpus/<name>/ (seeds);
#   2. fuzz for SECONDS on a scratch copy of the seeds in
#      $BUILD/fuzz/work/<name> (the committed corpus is never written),
#      crashes saved under $BUILD/fuzz/crash/<name>/.
# One "ok: fuzz ..." or "FAILED: fuzz ..." line per target, then
# "# fuzz: P passed, F failed"; exit status 1 if any failed. Two targets
# run at a time (the machines have two cores); everything is bounded by
# libFuzzer's -timeout and an outer timeout(1).
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD SECONDS [name...]" >&2
	exit 2
fi
build=$1
secs=$2
shift 2
case $secs in
'' | *[!0-9]*)
	echo "$0: SECONDS must be a whole number" >&2
	exit 2
	;;
esac
cd "$(dirname "$0")/.." || exit 2

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for mk in fuzz/targets/*.mk; do
		[ -e "$mk" ] && names+=("$(basename "$mk" .mk)")
	done
fi

jobs_max=${FUZZ_JOBS:-2}
resdir=$build/fuzz/results
mkdir -p "$resdir"

# Inputs in a directory, without READMEs; one per line.
inputs() {
	[ -d "$1" ] || return 0
	find "$1" -maxdepth 1 -type f ! -name 'README*' | sort
}

# The first lines of a sanitizer or libFuzzer report in a log.
report_head() {
	# The target's own message is the line just before libFuzzer's.
	grep -B1 -m1 -E '==[0-9]+== ?ERROR: ' "$1" | head -n 1 |
		grep -vE '^(#|INFO:|MS:|==)' | sed 's/^/#   /'
	grep -E 'ERROR: |runtime error|SUMMARY:|deadly signal|Timeout|out-of-memory|ABORT|abort' "$1" |
		head -n 4 | sed 's/^/#   /'
}

# Run one target; writes its one-line verdict (plus report lines) to
# $resdir/<name>.txt and returns 0 on success.
run_one() {
	local name=$1 bin=$build/fuzz/$1 res=$resdir/$1.txt
	local work=$build/fuzz/work/$1 crash=$build/fuzz/crash/$1
	local log=$build/fuzz/work/$1.log maxlen=4096 nreg=0 f
	local -a reg seeds

	if [ ! -x "$bin" ]; then
		echo "FAILED: fuzz $name: $bin not built (make fuzz-build)" >"$res"
		return 1
	fi
	f=$(sed -n "s/^FUZZ_MAXLEN_$name[[:space:]]*:*=[[:space:]]*\([0-9]*\).*/\1/p" \
		"fuzz/targets/$name.mk" 2>/dev/null | head -n 1)
	[ -n "$f" ] && maxlen=$f
	mapfile -t reg < <(inputs "fuzz/regress/$name")
	mapfile -t seeds < <(inputs "fuzz/corpus/$name")
	nreg=${#reg[@]}
	rm -rf "$work" "$crash"
	mkdir -p "$work" "$crash"

	# 1. Replay: the binary runs each file given as an argument once.
	if [ $((nreg + ${#seeds[@]})) -gt 0 ]; then
		if ! timeout 120 "$bin" -timeout=5 -rss_limit_mb=2048 \
			"${reg[@]}" "${seeds[@]}" >"$log" 2>&1; then
			{
				echo "FAILED: fuzz $name: replaying fuzz/regress/$name or fuzz/corpus/$name fails (log $log)"
				grep -E '^Running: ' "$log" | tail -n 1 | sed 's/^/#   last input: /'
				report_head "$log"
			} >"$res"
			return 1
		fi
	fi

	# 2. Fuzz on a scratch copy of the seeds.
	[ ${#seeds[@]} -gt 0 ] && cp "${seeds[@]}" "$work/"
	local start end rc
	start=$(date +%s)
	timeout $((secs + 60)) "$bin" -max_total_time="$secs" -timeout=5 \
		-rss_limit_mb=2048 -max_len="$maxlen" -print_final_stats=1 \
		-artifact_prefix="$crash/" "$work" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	local execs units crashfile
	execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -n 1)
	units=$(find "$work" -maxdepth 1 -type f | wc -l)
	crashfile=$(find "$crash" -maxdepth 1 -type f | head -n 1)
	if [ $rc -ne 0 ] || [ -n "$crashfile" ]; then
		{
			echo "FAILED: fuzz $name: exit $rc after $((end - start)) s; input ${crashfile:-(none saved)}; log $log"
			report_head "$log"
			echo "#   reproduce: $bin ${crashfile:-<input>}"
		} >"$res"
		return 1
	fi
	echo "ok: fuzz $name: ${execs:-0} execs in $((end - start)) s, $units corpus units, $nreg regression inputs replayed" >"$res"
	return 0
}

running=0
for name in "${names[@]}"; do
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$name" &
	running=$((running + 1))
done
wait

pass=0
fail=0
for name in "${names[@]}"; do
	res=$resdir/$name.txt
	if [ -s "$res" ] && head -n 1 "$res" | grep -q '^ok: '; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		[ -s "$res" ] || echo "FAILED: fuzz $name: no result" >"$res"
	fi
	cat "$res"
done
echo "# fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
