#!/bin/sh
# simpki-phone as a person meets it before any network is involved: --help names every option; usage errors
# (no phones, a bad --stp, --periodic, --smsc or --baud, an unknown option) exit 2; a missing card, a card without IMSI,
# two SIMs with one IMSI exit 1 naming the directory; a bad scenario file exits 2 naming its line; a shim named in
# SIMPKI_SCTP_SHIM that does not exist exits 1 naming it (on a kernel without SCTP).
# Usage: simpki-phone.sh SIMPKI_PHONE SIMPKI_CARD
set -u
phone=$1
card=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-phone-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

expect() { # RC TEXT ARGS...: the exit status, and TEXT in stdout or stderr
	want=$1
	text=$2
	shift 2
	"$phone" "$@" > "$dir/out" 2>&1
	rc=$?
	[ $rc = "$want" ] || fail "simpki-phone $* exited $rc, expected $want: $(cat "$dir/out")"
	grep -q -- "$text" "$dir/out" || fail "simpki-phone $*: no '$text' in: $(cat "$dir/out")"
}

expect 0 "Usage: simpki-phone" --help
for opt in --card --cards --stp --pc --msc-pc --scenario --interactive --gsmtap --periodic --smsc --ready-file \
	--real-timing --baud --debug --help "Exit codes"; do
	grep -q -- "$opt" "$dir/out" || fail "--help does not explain $opt"
done
expect 2 "no phones" 
expect 2 "Usage" --no-such-option
expect 2 "HOST:PORT" --stp 127.0.0.1 --card "$dir"
expect 2 "HOST:PORT" --stp 127.0.0.1:99999 --card "$dir"
expect 2 "seconds" --periodic x --card "$dir"
expect 2 "digits" --smsc 12a --card "$dir"
expect 2 "1200..1000000" --baud 1199 --card "$dir"
expect 2 "1200..1000000" --baud 9600x --real-timing --card "$dir"
expect 2 "unexpected argument" --card "$dir" extra
expect 1 "no card here" --card "$dir/none"
"$card" create --state "$dir/noimsi" --iccid 8984010000000000005 > /dev/null || fail "simpki-card create"
expect 1 "has no IMSI" --card "$dir/noimsi"
"$card" create --state "$dir/a" --iccid 8984010000000000013 --imsi 001010000000001 > /dev/null
"$card" create --state "$dir/b" --iccid 8984010000000000021 --imsi 001010000000001 > /dev/null
expect 1 "same IMSI 001010000000001" --card "$dir/a" --card "$dir/b"
printf 'default answer maybe\n' > "$dir/scenario"
expect 2 "scenario line 1" --scenario "$dir/scenario" --card "$dir/a"
expect 2 "--scenario $dir/none" --scenario "$dir/none" --card "$dir/a"
expect 2 "" --cards "$dir/none"
# On a kernel without SCTP simpki-phone runs itself under the shim (found next to it in the build tree); a shim
# named in SIMPKI_SCTP_SHIM that is not there is an error naming it, not a silent start without SCTP.
if ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2> /dev/null; then
	export SIMPKI_SCTP_SHIM="$dir/no-shim.so"
	expect 1 "SIMPKI_SCTP_SHIM=$dir/no-shim.so is not a readable file" --card "$dir/a"
	unset SIMPKI_SCTP_SHIM
	env -u LD_PRELOAD "$phone" --help > "$dir/out" 2>&1 || fail "simpki-phone --help without LD_PRELOAD: $(cat "$dir/out")"
fi
[ $failures -eq 0 ] || exit 1
echo "simpki-phone.sh: all checks passed"
