# Shell functions for the simpki-admin tests (tests/cli/simpki-admin*.sh), sourced after the caller set $admin (the
# program) and $dir (its work directory) and failures=0:
#   fail TEXT            count a failure and say it
#   run WANT ARG...      simpki-admin ARG..., stdout in $dir/out, stderr in $dir/err (both appended to
#                        $dir/all-output); its exit code must be WANT
#   out_has PATTERN, err_has PATTERN, out_json WHAT, out_json_is PYTHON   what stdout or stderr must hold
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

run() {
	want=$1
	shift
	"$admin" "$@" > "$dir/out" 2> "$dir/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "simpki-admin $* exited $rc, expected $want; out: $(head -c 600 "$dir/out"); err: $(cat "$dir/err")"
	cat "$dir/out" "$dir/err" >> "$dir/all-output"
}
out_has() {
	grep -q -- "$1" "$dir/out" || fail "stdout lacks '$1': $(head -c 800 "$dir/out")"
}
err_has() {
	grep -q -- "$1" "$dir/err" || fail "stderr lacks '$1': $(cat "$dir/err")"
}
out_json() {
	python3 -m json.tool "$dir/out" > /dev/null 2>&1 || fail "$1 --json: not JSON: $(head -c 300 "$dir/out")"
}
out_json_is() { # PYTHON_EXPRESSION on j, stdout's JSON: must be true
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$dir/out" "$1" 2> /dev/null || fail "--json: not JSON, or not $1: $(head -c 400 "$dir/out")"
}
