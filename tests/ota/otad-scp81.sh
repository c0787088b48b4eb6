#!/bin/sh
# simpki-otad's SCP81 RAS from outside, with openssl s_client as the card (run by in-netns.sh: its ports are private).
# The job engine is not wired to the RAS yet, so the daemon's callbacks know no card: only the hidden test-only
# 'test-psk IDENTITY HEX' line of the 'scp81' node gives one identity a PSK (and the daemon logs it loudly).
# - TLS 1.2 PSK-AES128-CBC-SHA256 with an identity nobody knows: the handshake fails with an alert; the same over
#   TLS 1.3; without -psk (a certificate cipher suite) it fails too (the RAS has no certificate);
# - the test identity: the handshake succeeds (TLS 1.2 with -maxfraglen 512, echoed, and neither encrypt-then-MAC nor
#   a ticket; TLS 1.3), the first POST is answered 204 (no script waiting) and the session closed; with a wrong PSK
#   the handshake fails;
# - a GET is answered 405; the daemon is still up; 'show scp81' counts the handshakes failed by cause, the 204s and
#   405s; 'show running-config' has the node's lines and never the test key.
# Usage: otad-scp81.sh SIMPKI_OTAD SOURCE_ROOT
set -u
otad=$1
src=$2
command -v python3 > /dev/null || { echo "otad-scp81.sh: python3 missing" >&2; exit 1; }
command -v openssl > /dev/null || { echo "otad-scp81.sh: openssl missing" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad-scp81.XXXXXX")
pid=""
failures=0
cleanup() {
	[ -z "$pid" ] || kill -KILL "$pid" 2> /dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

. "$(dirname "$0")/otad-lib.sh"

PORT=8443
ID=card-test-0001
PSK=000102030405060708090a0b0c0d0e0f
WRONG=0f0e0d0c0b0a09080706050403020100

mkdir -p "$dir/conf"
{
	cat "$src/ota-server/simpki-otad.cfg.example"
	echo "scp81"
	echo " listen 127.0.0.1 $PORT"
	echo " timeout handshake 5"
	echo " timeout post 5"
	echo " test-psk $ID $PSK"
} > "$dir/conf/simpki-otad.cfg"
start_otad "$dir/conf/simpki-otad.cfg" "$dir/otad.log" || exit 1
pid=$otad_pid
t=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), timeout=1)" 2> /dev/null; do
	[ $t -lt 50 ] || { fail "the RAS does not listen on $PORT"; break; }
	sleep 0.1
	t=$((t + 1))
done
grep -q "TEST-ONLY 'test-psk'" "$dir/otad.log" || fail "no loud warning about the test-psk line"

# card OPENSSL_ARGS...: s_client to the RAS with the request in $dir/req (may be empty); its output in $dir/out,
# its exit status returned
card() {
	timeout 20 openssl s_client -connect 127.0.0.1:$PORT -ign_eof "$@" < "$dir/req" > "$dir/out" 2>&1
}
post() { # the first POST of a session into $dir/req
	printf 'POST /simpki/ras HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-From: //se-id/iccid/8984010000000000005\r\n\r\n' > "$dir/req"
}

# identities nobody knows, a certificate cipher suite
: > "$dir/req"
card -psk $PSK -psk_identity nobody -tls1_2 -cipher PSK-AES128-CBC-SHA256 && fail "an unknown identity connected"
grep -qi "alert" "$dir/out" || fail "an unknown identity: no alert: $(tail -n 5 "$dir/out")"
card -psk $PSK -psk_identity nobody -tls1_3 && fail "an unknown identity connected over TLS 1.3"
card -tls1_2 && fail "a certificate cipher suite connected"
grep -qi "alert" "$dir/out" || fail "a certificate cipher suite: no alert: $(tail -n 5 "$dir/out")"
card -tls1_3 && fail "TLS 1.3 without a PSK connected"
kill -0 $pid 2> /dev/null || fail "simpki-otad died"

# the test identity: 204 for the first POST
post
card -psk $PSK -psk_identity $ID -tls1_2 -cipher PSK-AES128-CBC-SHA256 -maxfraglen 512 -quiet ||
	fail "the test identity over TLS 1.2: $(tail -n 5 "$dir/out")"
grep -q "^HTTP/1.1 204" "$dir/out" || fail "no 204 over TLS 1.2: $(cat "$dir/out")"
grep -qi "^X-Admin-Protocol: globalplatform-remote-admin/1.0" "$dir/out" || fail "204 without X-Admin-Protocol"
post
card -psk $PSK -psk_identity $ID -tls1_2 -cipher PSK-AES128-CBC-SHA256 -maxfraglen 512 -tlsextdebug
grep -q 'TLS server extension "max fragment length"' "$dir/out" || fail "max fragment length 512 not echoed"
grep -q 'TLS server extension "encrypt-then-mac"' "$dir/out" && fail "encrypt-then-mac echoed"
grep -q 'TLS server extension "session ticket"' "$dir/out" && fail "a session ticket offered"
card -psk $PSK -psk_identity $ID -tls1_3 -quiet || fail "the test identity over TLS 1.3: $(tail -n 5 "$dir/out")"
grep -q "^HTTP/1.1 204" "$dir/out" || fail "no 204 over TLS 1.3: $(cat "$dir/out")"
card -psk $WRONG -psk_identity $ID -tls1_2 -cipher PSK-AES128-CBC-SHA256 -quiet && fail "a wrong PSK connected"
grep -q "HTTP/1.1" "$dir/out" && fail "a wrong PSK got an answer"
card -psk $WRONG -psk_identity $ID -tls1_3 -quiet && fail "a wrong PSK connected over TLS 1.3"
printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\r\n' > "$dir/req"
card -psk $PSK -psk_identity $ID -tls1_2 -cipher PSK-AES128-CBC-SHA256 -quiet || true
grep -q "^HTTP/1.1 405" "$dir/out" || fail "GET not answered 405: $(cat "$dir/out")"

kill -0 $pid 2> /dev/null || fail "simpki-otad died"
vty "show scp81" > "$dir/show.txt"
for l in "handshakes failed: unknown identity *2" "handshakes failed: other *[4-9]" "sessions ended 204 *3" \
	"requests refused 405 *1"; do
	grep -q "$l" "$dir/show.txt" || fail "show scp81 lacks '$l': $(cat "$dir/show.txt")"
done
vty "show running-config" > "$dir/running.txt"
for l in "^scp81" " listen 127.0.0.1 $PORT" " tls-version any" " cipher null refused" " timeout post 5"; do
	grep -q "$l" "$dir/running.txt" || fail "show running-config lacks '$l'"
done
grep -q "$PSK" "$dir/running.txt" && fail "show running-config shows the test PSK"
grep -q "$PSK" "$dir/otad.log" && fail "the log shows the test PSK"
kill -TERM $pid
wait $pid || fail "simpki-otad did not stop cleanly"
pid=""

if [ $failures -ne 0 ]; then
	echo "--- otad.log (tail)" >&2
	tail -n 40 "$dir/otad.log" >&2
	exit 1
fi
echo "otad-scp81: OK"
