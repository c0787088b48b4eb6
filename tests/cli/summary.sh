#!/bin/sh
# tests/summary.py as CI uses it: passes and failures counted; a skipped test is listed by name with its reason,
# and counts as failed with --strict or with CI set, so CI cannot pass with tests quietly skipped; a missing log
# counts as a failure. Usage: summary.sh SUMMARY_PY
set -u
summary=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-summary.XXXXXX")
trap 'rm -rf "$dir"' EXIT
failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
cat > "$dir/log.json" <<'EOJ'
{"name": "simpki:card / a", "result": "OK", "stdout": "", "stderr": ""}
{"name": "simpki:pcsc / serve", "result": "SKIP", "stdout": "", "stderr": "with-reader: vsmartcard-vpcd is not installed: skipped\n"}
{"name": "simpki:card / b", "result": "FAIL", "stdout": "", "stderr": ""}
EOJ
run() { # WANT_RC ARGS...
	want=$1
	shift
	"$@" > "$dir/out" 2>&1
	rc=$?
	[ $rc = "$want" ] || fail "$* exited $rc, expected $want: $(cat "$dir/out")"
}
env -u CI python3 "$summary" "$dir/log.json" > "$dir/out" 2>&1
[ "$(tail -n 1 "$dir/out")" = "1 passed, 1 failed" ] || fail "without --strict: $(cat "$dir/out")"
grep -q "simpki:pcsc / serve: with-reader: vsmartcard-vpcd is not installed: skipped" "$dir/out" ||
	fail "the skipped test is not named with its reason: $(cat "$dir/out")"
run 1 python3 "$summary" --strict "$dir/log.json"
[ "$(tail -n 1 "$dir/out")" = "1 passed, 2 failed" ] || fail "--strict: $(cat "$dir/out")"
grep -q "1 skipped (counted as failed)" "$dir/out" || fail "--strict does not say the skip counts: $(cat "$dir/out")"
CI=1 python3 "$summary" "$dir/log.json" > "$dir/out" 2>&1
[ "$(tail -n 1 "$dir/out")" = "1 passed, 2 failed" ] || fail "CI=1: $(cat "$dir/out")"
head -n 1 "$dir/log.json" > "$dir/ok.json"
run 0 python3 "$summary" --strict "$dir/ok.json"
[ "$(tail -n 1 "$dir/out")" = "1 passed, 0 failed" ] || fail "all passed: $(cat "$dir/out")"
run 1 python3 "$summary" "$dir/ok.json" "$dir/missing.json"
[ "$(tail -n 1 "$dir/out")" = "1 passed, 1 failed" ] || fail "a missing log: $(cat "$dir/out")"
[ $failures -eq 0 ] || exit 1
echo "summary.sh: all checks passed"
