#!/bin/sh
# tests/run.sh MODE BUILD_DIR — runs sakimori's tests and ends with one line
# "tests: N passed, N failed, N skipped".
#
#   unit         every cmocka binary in BUILD_DIR/tests
#   integration  every tests/integration/*.sh (exit 0 pass, 77 skip, else fail), with
#                SAKIMORI, TOOLS and a fresh WORK directory in the environment
#   all          unit + integration on BUILD_DIR, then the unit and integration tests again
#                under AddressSanitizer + UndefinedBehaviorSanitizer (build/san), then every
#                libFuzzer target for FUZZ_SECONDS (default 20) each
#
# A test binary or script that runs longer than TEST_TIMEOUT seconds (default 1200) is
# stopped and counted as failed ("timed out"), so that a deadlock fails the run instead of
# hanging it.
set -u
limit=${TEST_TIMEOUT:-1200}
mode=${1:-all}
B=${2:-build}
pass=0 fail=0 skip=0
failed_names=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # $1 = passed, $2 = failed, $3 = name
	pass=$((pass + $1)); fail=$((fail + $2))
	[ "$2" -gt 0 ] && failed_names="$failed_names $3"
}

run_unit() { # $1 = build dir
	for t in "$1"/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.o|*.d) continue ;; esac
		name=$(basename "$t")
		timeout -k 10 "$limit" "$t" >"$log" 2>&1
		rc=$?
		[ "$rc" -eq 124 ] && echo "$name: timed out after $limit s" >>"$log"
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		p=${p:-0} f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed before its summary
		if [ "$f" -gt 0 ]; then
			cat "$log"
		fi
		printf '%-28s %s passed, %s failed  (%s)\n' "$name" "$p" "$f" "$1"
		count "$p" "$f" "$1/$name"
	done
}

run_integration() { # $1 = build dir
	for s in tests/integration/*.sh; do
		[ -f "$s" ] || continue
		name=$(basename "$s" .sh)
		work=$(mktemp -d)
		SAKIMORI="$(pwd)/$1/sakimori" TOOLS="$(pwd)/$1/tools" WORK="$work" \
			timeout -k 10 "$limit" sh "$s" >"$log" 2>&1
		rc=$?
		[ "$rc" -eq 124 ] && echo "$name: timed out after $limit s" >>"$log"
		rm -rf "$work"
		case $rc in
		0) printf '%-28s passed  (%s)\n' "$name" "$1"; count 1 0 "$name" ;;
		77) printf '%-28s skipped (%s): %s\n' "$name" "$1" "$(tail -n 1 "$log")"; skip=$((skip + 1)) ;;
		*) cat "$log"; printf '%-28s FAILED  (%s)\n' "$name" "$1"; count 0 1 "$1/$name" ;;
		esac
	done
}

run_fuzz() {
	secs=${FUZZ_SECONDS:-20}
	for f in build/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		corpus=fuzz/corpus/${name#fuzz_}
		work=$(mktemp -d)
		[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
		if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
			"$work" >"$log" 2>&1; then
			printf '%-28s passed  (%ss, %s)\n' "$name" "$secs" "$(grep -o 'Done [0-9]* runs' "$log" | tail -n 1)"
			count 1 0 "$name"
		else
			tail -n 40 "$log"
			printf '%-28s FAILED\n' "$name"
			count 0 1 "$name"
		fi
		rm -rf "$work"
	done
}

case $mode in
unit) run_unit "$B" ;;
fuzz) run_fuzz ;;
integration) run_integration "$B" ;;
all)
	run_unit "$B"
	run_integration "$B"
	echo "== sanitizers (AddressSanitizer + UndefinedBehaviorSanitizer)"
	if make --no-print-directory -s B=build/san SAN=1 CC=clang tests-bin >"$log" 2>&1; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
		export ASAN_OPTIONS UBSAN_OPTIONS
		run_unit build/san
		run_integration build/san
	else
		cat "$log"; count 0 1 "sanitizer-build"
	fi
	echo "== fuzz targets"
	if make --no-print-directory -s fuzz-bin >"$log" 2>&1; then
		run_fuzz
	else
		cat "$log"; count 0 1 "fuzz-build"
	fi
	;;
*) echo "usage: tests/run.sh unit|integration|all BUILD_DIR" >&2; exit 2 ;;
esac

[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
