#!/bin/sh
# Build and run every test: the normal build (unit, card, tearing, CLI, demo, corpus replays, a short benchmark
# run), then a clang build with AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer that runs all of
# those again plus each libFuzzer harness for a bounded time (SIMPKI_FUZZ_SECONDS, default 30). A sanitizer
# report fails the test. Both builds are configured with every optional feature required (--auto-features=enabled),
# so a missing library is a configure error, never a suite that quietly disappears; a test that skips because
# something is missing counts as failed (tests/summary.py --strict). Ends with the line "N passed, N failed" over
# both test logs.
# Usage: tests/run-all.sh   (from the repository root; build directories: build, build-fuzz)
set -u
cd "$(dirname "$0")/.."
fuzz_seconds=${SIMPKI_FUZZ_SECONDS:-30}
status=0
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1
export ASAN_OPTIONS=abort_on_error=1:print_summary=1

rm -f build/meson-logs/testlog.json build-fuzz/meson-logs/testlog.json
if tools/build.sh build --auto-features=enabled; then
	meson test -C build --print-errorlogs --num-processes 2 || status=1
else
	echo "run-all: the build failed" >&2
	status=1
fi
if CC=clang tools/build.sh build-fuzz --auto-features=enabled -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dfuzz_seconds="$fuzz_seconds"; then
	meson test -C build-fuzz --print-errorlogs --num-processes 2 || status=1
else
	echo "run-all: the fuzzing build failed" >&2
	status=1
fi
python3 tests/summary.py --strict build/meson-logs/testlog.json build-fuzz/meson-logs/testlog.json || status=1
exit $status
