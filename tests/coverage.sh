#!/usr/bin/env bash
# coverage.sh - line coverage of the host unit tests, as an lcov HTML report.
#
# Each unit test was built with --coverage in build/cov/; run them, collect
# with lcov, write build/coverage/html, and enforce the floors the issues
# set (the page allocator at least 90% of its lines).
set -euo pipefail
build=$1
shift
cov=$build/cov
out=$build/coverage
mkdir -p "$out"
find "$cov" -name '*.gcda' -delete
for t in "$@"; do
	(cd "$cov" && "./$t" >/dev/null) || { echo "coverage: $t failed" >&2; exit 1; }
done
lcov --quiet --capture --directory "$cov" --output-file "$out/unit.info" \
	--rc lcov_branch_coverage=0 2>/dev/null
lcov --quiet --extract "$out/unit.info" "$PWD/kernel/*" "$PWD/host/*" \
	--output-file "$out/unit.info" 2>/dev/null
genhtml --quiet --title "pinprick host unit tests" --output-directory "$out/html" \
	"$out/unit.info" 2>/dev/null
lcov --list "$out/unit.info" 2>/dev/null | sed -n '1,60p'

floor() { # file-pattern min-percent
	local pct
	pct=$(lcov --list "$out/unit.info" 2>/dev/null |
		awk -F'|' -v f="$1" '$1 ~ f { split($2, a, " "); gsub("%", "", a[1]); print a[1]; exit }')
	if [[ -z $pct ]]; then
		echo "coverage: no data for $1" >&2
		return 1
	fi
	if awk -v p="$pct" -v m="$2" 'BEGIN { exit !(p + 0 >= m + 0) }'; then
		echo "coverage: $1 ${pct}% (floor $2%)"
	else
		echo "coverage: $1 ${pct}% is below the floor of $2%" >&2
		return 1
	fi
}
floor 'page_alloc.c' 90
echo "coverage: report in $out/html/index.html"
