#!/bin/sh
# Runs a libFuzzer target for a while on a copy of its seed corpus: libFuzzer adds the inputs it finds to its first
# corpus directory, and the source tree must stay untouched. Crash, timeout and leak inputs go to ARTIFACT_DIR.
# libFuzzer's own exit status for a finding is 77, which meson would count as a skipped test: it is made 1 here.
# Usage: run-fuzzer.sh FUZZER SECONDS SEED_DIR ARTIFACT_DIR [LIBFUZZER_OPTION...]
set -eu

if [ $# -lt 4 ]; then
	echo "usage: $0 FUZZER SECONDS SEED_DIR ARTIFACT_DIR [LIBFUZZER_OPTION...]" >&2
	exit 2
fi
fuzzer=$1
seconds=$2
seeds=$3
artifacts=$4
shift 4

tmp=$(mktemp -d "${TMPDIR:-/tmp}/simpki-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
cp -R "$seeds"/. "$tmp"/
mkdir -p "$artifacts"

rc=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "$tmp" || rc=$?
[ $rc -ne 77 ] || rc=1
exit $rc
