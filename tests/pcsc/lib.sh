# Shared by the PC/SC test scripts (sourced): failure counting and checks of commands as a user meets them.
# A script ends with `finish NAME`, which reports and exits 0 only if no check failed.
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect CODE CMD...: run; stdout in $WORK/out, stderr in $WORK/err; the exit code must be CODE
expect() {
	want=$1
	shift
	"$@" > "$WORK/out" 2> "$WORK/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $(cat "$WORK/err")"
}

# run CMD...: must succeed; its output (both streams) in $WORK/out
run() {
	"$@" > "$WORK/out" 2>&1 || fail "$* ($(tail -n 3 "$WORK/out"))"
}

# says FILE TEXT: FILE must contain TEXT
says() {
	grep -q -- "$2" "$1" || fail "expected '$2' in: $(cat "$1")"
}

finish() {
	[ "$failures" = 0 ] && echo "$1: all checks passed"
	exit $((failures > 0))
}
