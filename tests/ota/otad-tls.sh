#!/bin/sh
# simpki-otad's operator API over TLS (run by in-netns.sh: the namespace's own addresses and ports). A throwaway CA
# and a server certificate for 10.9.9.1 (an address beyond loopback, on a dummy interface); the API bound there
# with 'api tls certificate' and 'api tls key' (paths relative to the configuration) answers curl over HTTPS with
# the CA (404 JSON for an unknown card, 401 without a token, again after the start wiped the key's copy), and
# fails plain HTTP, curl trusting another CA and a TLS 1.1 handshake; 'show api' says TLS on, 'show running-config' keeps the lines. Refused
# at start with exit 1 and the reason: 10.9.9.1 without TLS (naming the fix), a key file others may read, only
# one of the two files, a key that is not the certificate's. On 127.0.0.1 without TLS it starts, 'show api' says
# TLS off.
# Usage: otad-tls.sh SIMPKI_OTAD EXAMPLE_CFG
set -u
otad=$1
example=$2
for c in python3 curl openssl; do
	command -v $c > /dev/null || { echo "otad-tls.sh: $c missing: skipped" >&2; exit 77; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad-tls.XXXXXX")
otad_pid=""
failures=0
cleanup() {
	[ -z "$otad_pid" ] || kill -KILL "$otad_pid" 2> /dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
expect_in() { # FILE TEXT
	grep -q -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(head -c 1500 "$1")"
}
. "$(dirname "$0")/otad-lib.sh"
export SIMPKI_API_TOKEN=admin-token-for-the-tls-test-0123456789
ADDR=10.9.9.1
URL=https://$ADDR:8480/v1

# an address beyond loopback: a dummy interface, or (no dummy module) the address on lo
if ip link add d0 type dummy 2> /dev/null; then
	ip addr add $ADDR/24 dev d0 && ip link set d0 up || exit 1
else
	ip addr add $ADDR/32 dev lo || exit 1
fi

# a throwaway CA and a server certificate for $ADDR, and a key that is not its
mkdir -p "$dir/conf/tls" "$dir/elsewhere"
t=$dir/conf/tls
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/ca.key" -out "$t/ca.pem" \
		-subj /CN=simpki-test-ca -days 2 &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/server.key" \
			-out "$t/server.csr" -subj /CN=simpki-otad &&
		printf 'subjectAltName=IP:%s\n' $ADDR > "$t/ext" &&
		openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
			-extfile "$t/ext" -out "$t/server.pem" -days 2 &&
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$t/other.key" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/other-ca.key" \
			-out "$t/other-ca.pem" -subj /CN=another-ca -days 2
} > "$dir/openssl.log" 2>&1 || { echo "FAIL: openssl: $(tail -n 5 "$dir/openssl.log")" >&2; exit 1; }
chmod 600 "$t/server.key" "$t/other.key"

# cfg NAME SED_SCRIPT: the example, edited, as $dir/conf/NAME
cfg() {
	sed "$2" "$example" > "$dir/conf/$1"
}
TLS="s|^ api bind 127.0.0.1 8480| api bind $ADDR 8480\n api tls certificate tls/server.pem\n api tls key tls/server.key|"
cfg tls.cfg "$TLS"
cfg plain.cfg "s|^ api bind 127.0.0.1 8480| api bind $ADDR 8480|"
cfg certonly.cfg "s|^ api bind 127.0.0.1 8480| api bind $ADDR 8480\n api tls certificate tls/server.pem|"
cfg otherkey.cfg "$TLS; s|tls/server.key|tls/other.key|"

# refuse CFG TEXT WHAT: simpki-otad must stop at start with exit 1 and TEXT in its output
refuse() {
	(cd "$dir/elsewhere" && "$otad" -c "$dir/conf/$1") > "$dir/out" 2>&1
	[ $? -eq 1 ] || fail "$3 does not exit 1"
	expect_in "$dir/out" "$2"
}
refuse plain.cfg "'api bind $ADDR' is beyond loopback" "plain HTTP on $ADDR"
expect_in "$dir/out" "set 'api tls certificate PATH' and 'api tls key PATH', or bind the API to 127.0.0.1"
refuse certonly.cfg "'api tls certificate' and 'api tls key' go together" "a certificate without a key"
refuse otherkey.cfg "is not the key of the certificate" "a key that is not the certificate's"
chmod 644 "$t/server.key"
refuse tls.cfg "TLS key $t/server.key may be read by others (mode 0644): chmod 600 it" "a key file mode 0644"
chmod 600 "$t/server.key"

# req NAME CURL_ARGS...: curl's exit status, then the HTTP status, in $dir/NAME.rc; the body in $dir/NAME.body
req() {
	n=$1
	shift
	code=$(curl -s -o "$dir/$n.body" -w '%{http_code}' --max-time 10 "$@")
	echo "$? $code" > "$dir/$n.rc"
}
start_otad "$dir/conf/tls.cfg" "$dir/otad.log" || exit 1
expect_in "$dir/otad.log" "operator API on https://$ADDR:8480/v1/ (TLS)"
req card --cacert "$t/ca.pem" -H "Authorization: Bearer $SIMPKI_API_TOKEN" "$URL/cards/8984010000000000005"
[ "$(cat "$dir/card.rc")" = "0 404" ] || fail "GET a card over HTTPS: curl and HTTP status $(cat "$dir/card.rc")"
expect_in "$dir/card.body" '"code":"card_not_found","message":"no card with ICCID 8984010000000000005"'
req anon --cacert "$t/ca.pem" "$URL/cards/8984010000000000005"
[ "$(cat "$dir/anon.rc")" = "0 401" ] || fail "no token over HTTPS: curl and HTTP status $(cat "$dir/anon.rc")"
req plain -H "Authorization: Bearer $SIMPKI_API_TOKEN" "http://$ADDR:8480/v1/cards/8984010000000000005"
case $(cat "$dir/plain.rc") in
"0 "*) fail "plain HTTP to the TLS port answered: $(cat "$dir/plain.rc") $(head -c 300 "$dir/plain.body")" ;;
esac
# a client that trusts another CA (not ours) is refused: the certificate does not verify (curl 60). Not curl's
# default bundle: a minimal Debian has none (curl 77), which would prove nothing.
req noca --cacert "$t/other-ca.pem" -H "Authorization: Bearer $SIMPKI_API_TOKEN" "$URL/cards/8984010000000000005"
[ "$(cat "$dir/noca.rc")" = "60 000" ] || fail "curl with another CA did not fail verification: $(cat "$dir/noca.rc")"
req again --cacert "$t/ca.pem" -H "Authorization: Bearer $SIMPKI_API_TOKEN" "$URL/cards/8984010000000000005"
[ "$(cat "$dir/again.rc")" = "0 404" ] || fail "a second HTTPS connection: $(cat "$dir/again.rc")"
# TLS 1.2 and 1.3 only (the client's own floor lowered, so a refusal is the server's)
for v in tls1_1 tls1_2; do
	echo | openssl s_client -connect $ADDR:8480 -$v -cipher DEFAULT@SECLEVEL=0 -CAfile "$t/ca.pem" \
		> "$dir/s_client.$v" 2>&1
	echo $? > "$dir/s_client.$v.rc"
done
[ "$(cat "$dir/s_client.tls1_1.rc")" != 0 ] || fail "a TLS 1.1 handshake succeeded"
[ "$(cat "$dir/s_client.tls1_2.rc")" = 0 ] || fail "a TLS 1.2 handshake failed: $(tail -n 3 "$dir/s_client.tls1_2")"
vty "show api" "show running-config" > "$dir/vty.out"
expect_in "$dir/vty.out" "operator API on https://$ADDR:8480/v1/, TLS on (certificate tls/server.pem)"
expect_in "$dir/vty.out" "^ api tls certificate tls/server.pem"
expect_in "$dir/vty.out" "^ api tls key tls/server.key"
kill -TERM $otad_pid
wait $otad_pid
rc=$?
otad_pid=""
[ $rc -eq 0 ] || fail "simpki-otad exited $rc after SIGTERM"

# on loopback plain HTTP is allowed
mkdir -p "$dir/conf2"
cp "$example" "$dir/conf2/simpki-otad.cfg"
start_otad "$dir/conf2/simpki-otad.cfg" "$dir/otad2.log" || exit 1
vty "show api" > "$dir/vty2.out"
expect_in "$dir/vty2.out" "operator API on http://127.0.0.1:8480/v1/, TLS off"
kill -TERM $otad_pid
wait $otad_pid
otad_pid=""

[ $failures -eq 0 ] || exit 1
echo "otad-tls.sh: all checks passed"
