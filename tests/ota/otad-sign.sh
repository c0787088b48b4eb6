#!/bin/sh
# simpki-otad's relying-party signature API without the SIM side (run by in-netns.sh: its ports are private; the
# configured SMSC never answers, so a request to a card stays with its SMS link and the session keeps running):
# - 401 without a token or with one no relying party has; 429 beyond a relying party's rate;
# - 400 for bad bodies (not JSON, an unknown member, both or none of phoneNumber and holderId, a hash of the wrong
#   length, GSM-7 asked with a Vietnamese character, a text too long for UCS-2 naming the 115-character limit), a
#   bad session id or timeoutMs; 404 for an unknown path, a session unknown or another relying party's; 405;
# - POST /v1/certificate: 404 NOT_A_CLIENT for a card without a certificate, 200 with the PEM and "EC" once a
#   loaded certificate is recorded;
# - a session for a card without a certificate completes at once as NOT_A_CLIENT (TS 102 204 105); the
#   verification code is Mobile-ID's over the hash;
# - a session for a card with a certificate runs: a long poll with timeoutMs=700 answers RUNNING after 0.7 s, a
#   second request for the same card is 409 PB_SIGNATURE_PROCESS (406), a long poll is woken by DELETE, which
#   ends the session CANCELLED (its job cancelled before it left); every session is in the database ('show
#   signature' after a restart) and 'show signing' counts them per relying party;
# - TLS (a throwaway CA, a server certificate for 127.0.0.1, client certificates; 'tls certificate', 'tls key',
#   'tls client-ca', a relying party with 'client-certificate-sha256' besides its token): curl with its client
#   certificate and no token is authenticated (POST /v1/certificate 404 NOT_A_CLIENT), without a certificate and
#   token 401, without a certificate with the token authenticated; a certificate of the client CA that no relying
#   party has, and one of another CA, are 401 (or the handshake fails); plain HTTP to the TLS port fails;
#   'show running-config' keeps the lines; 'tls client-ca' without 'tls certificate' stops the start.
# Usage: otad-sign.sh SIMPKI_OTAD SOURCE_ROOT
set -u
otad=$1
src=$2
command -v python3 > /dev/null || { echo "otad-sign.sh: python3 missing" >&2; exit 1; }
command -v openssl > /dev/null || { echo "otad-sign.sh: openssl missing" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad-sign.XXXXXX")
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

TOKEN=portal-token-for-the-test-0123456789
TOKEN2=other-token-for-the-test-0123456789
C1=8984010000000000005
C2=8984010000000000013

start() { # [CFG]
	start_otad "${1:-$dir/conf/simpki-otad.cfg}" "$dir/otad.log" || exit 1
	pid=$otad_pid
	t=0
	until python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8481), timeout=1)' 2> /dev/null; do
		[ $t -lt 50 ] || { fail "the relying-party API does not listen"; break; }
		sleep 0.1
		t=$((t + 1))
	done
}
stop() {
	kill -TERM $pid
	wait $pid
	pid=""
}

# sapi METHOD PATH [BODY_FILE|-] [TOKEN|none]: one request to the relying-party API; prints "STATUS BODY"
sapi() {
	api_at http://127.0.0.1:8481 TOKEN "$@"
}
export TOKEN

expect() { # WANT_STATUS TEXT METHOD PATH [BODY] [TOKEN]
	want=$1
	text=$2
	shift 2
	out=$(sapi "$@")
	case $out in
	"$want "*"$text"*) ;;
	*) fail "$* answered '$out', expected $want with '$text'" ;;
	esac
}

body() { # TEXT: the body file $dir/b.json
	printf '%s' "$1" > "$dir/b.json"
}

# a SHA-256 hash in base64, and its Mobile-ID verification code
HASH=$(printf 'the document' | openssl dgst -sha256 -binary | base64)
CODE=$(printf '%s' "$HASH" | python3 -c 'import base64,sys; h=base64.b64decode(sys.stdin.read()); print("%04d" % (((h[0] >> 2) << 7) | (h[-1] & 0x7f)))')

mkdir -p "$dir/conf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/k.pem" -subj "/CN=Nguyen Van A" \
	-days 30 -set_serial 0x0a1b2c -out "$dir/conf/cert.pem" 2> /dev/null || fail "openssl req"
{
	cat "$src/ota-server/simpki-otad.cfg.example"
	echo " ca"
	echo "  trust-anchor cert.pem"
	echo "  ocsp-url http://127.0.0.1:8491/ocsp"
	echo "  ocsp-cache 10"
	echo "signing"
	echo " listen 127.0.0.1 8481"
	echo " timeout 30"
	echo " relying-party portal"
	echo "  display-name Cổng Dịch vụ công"
	echo "  token-sha256 $(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)"
	echo "  rate 20"
	echo " relying-party other"
	echo "  token-sha256 $(printf '%s' "$TOKEN2" | sha256sum | cut -d' ' -f1)"
} > "$dir/conf/simpki-otad.cfg"
printf 'iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n%s,001010000000001,2000,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,aes,1E2D3C4B5A69788796A5B4C3D2E1F00F\n%s,001010000000002,2001,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,aes,1E2D3C4B5A69788796A5B4C3D2E1F00F\n' \
	$C1 $C2 > "$dir/conf/cards.csv"
start
grep -q "CA: OCSP at http://127.0.0.1:8491/ocsp" "$dir/otad.log" || fail "no OCSP client: $(tail -n 5 "$dir/otad.log")"
vty "show running-config" > "$dir/running.txt"
for l in "ocsp-url http://127.0.0.1:8491/ocsp" "ocsp-cache 10" "relying-party portal" "display-name Cổng Dịch vụ công" \
	"listen 127.0.0.1 8481" "tar 534947" "timeout 30"; do
	grep -q "$l" "$dir/running.txt" || fail "show running-config lacks '$l'"
done
vty "import cards $dir/conf/cards.csv" > "$dir/import.txt"
grep -q "imported 2 cards" "$dir/import.txt" || grep -q "2 cards" "$dir/import.txt" ||
	fail "import: $(cat "$dir/import.txt")"

# ---- who may ask -----------------------------------------------------------------------------------------------
body '{"phoneNumber": "2001", "hash": "'"$HASH"'", "hashType": "SHA256", "displayText": "Sign the contract"}'
expect 401 '"error":"UNAUTHORIZED"' POST /v1/signature "$dir/b.json" none
expect 401 '"tsStatus":104' POST /v1/signature "$dir/b.json" wrong-token-0123456789abcdef
expect 404 '"error":"NOT_FOUND"' GET /v1/nothing
expect 405 'allowed POST' GET /v1/signature
expect 400 'not a session id' GET /v1/signature/session/12345

# ---- bad bodies --------------------------------------------------------------------------------------------------
body '{"phoneNumber": "2001",'
expect 400 'not JSON' POST /v1/signature "$dir/b.json"
body '{"phoneNumber": "2001", "hash": "'"$HASH"'", "hashType": "SHA256", "displayText": "x", "colour": 1}'
expect 400 'unknown member: colour' POST /v1/signature "$dir/b.json"
body '{"phoneNumber": "2001", "holderId": "H-1", "hash": "'"$HASH"'", "hashType": "SHA256", "displayText": "x"}'
expect 400 'exactly one of phoneNumber and holderId' POST /v1/signature "$dir/b.json"
body '{"phoneNumber": "2001", "hash": "'"$HASH"'", "hashType": "SHA384", "displayText": "x"}'
expect 400 'hash: the 48 bytes of a SHA384 hash' POST /v1/signature "$dir/b.json"
body '{"phoneNumber": "2001", "hash": "'"$HASH"'", "hashType": "SHA256", "displayText": "Ký hợp đồng", "displayTextFormat": "GSM-7"}'
expect 400 'outside the GSM alphabet' POST /v1/signature "$dir/b.json"
long=$(python3 -c 'print("Hợp đồng " * 12)')
body '{"phoneNumber": "2001", "hash": "'"$HASH"'", "hashType": "SHA256", "displayText": "'"$long"'"}'
expect 400 'at most 115 UCS-2 characters' POST /v1/signature "$dir/b.json"

# ---- NOT_A_CLIENT ----------------------------------------------------------------------------------------------
body '{"phoneNumber": "2001"}'
expect 404 '"result":"NOT_A_CLIENT"' POST /v1/certificate "$dir/b.json"
body '{"phoneNumber": "2999", "hash": "'"$HASH"'", "hashType": "SHA256", "displayText": "Sign the contract"}'
out=$(sapi POST /v1/signature "$dir/b.json")
case $out in "200 "*'"verificationCode":"'"$CODE"'"'*) ;; *) fail "POST for an unknown phone: $out (code $CODE)" ;; esac
S0=$(echo "$out" | sed -n 's/.*"sessionID":"\([0-9a-f-]*\)".*/\1/p')
expect 200 '"result":"NOT_A_CLIENT","tsStatus":105' GET "/v1/signature/session/$S0"
body '{"phoneNumber": "2001", "hash": "'"$HASH"'", "hashType": "SHA256", "displayText": "Ký hợp đồng số 12"}'
out=$(sapi POST /v1/signature "$dir/b.json")
S1=$(echo "$out" | sed -n 's/.*"sessionID":"\([0-9a-f-]*\)".*/\1/p')
[ -n "$S1" ] || fail "POST for a card without a certificate: $out"
expect 200 '"result":"NOT_A_CLIENT"' GET "/v1/signature/session/$S1?timeoutMs=2000"
expect 404 'SESSION_NOT_FOUND' GET "/v1/signature/session/$S1" - "$TOKEN2"

# ---- a card with a certificate -------------------------------------------------------------------------------------
vty "card $C1 certificate add 2 sim-signing $dir/conf/cert.pem" > "$dir/add.txt"
cid=$(sed -n 's/.*certificate \([0-9]*\): serial.*/\1/p' "$dir/add.txt" | head -n 1)
[ -n "$cid" ] || fail "certificate add: $(cat "$dir/add.txt")"
body '{"phoneNumber": "2000"}'
expect 404 'NOT_A_CLIENT' POST /v1/certificate "$dir/b.json" # issued, not loaded yet
vty "card $C1 certificate $cid loaded" > /dev/null
expect 200 '"keyAlgorithm":"EC"' POST /v1/certificate "$dir/b.json"
expect 200 'BEGIN CERTIFICATE' POST /v1/certificate "$dir/b.json"

body '{"phoneNumber": "+2000", "hash": "'"$HASH"'", "hashType": "SHA256", "displayText": "Ký hợp đồng số 12", "language": "VIE"}'
out=$(sapi POST /v1/signature "$dir/b.json")
S2=$(echo "$out" | sed -n 's/.*"sessionID":"\([0-9a-f-]*\)".*/\1/p')
[ -n "$S2" ] || fail "POST for a card with a certificate: $out"
t0=$(date +%s%N)
expect 200 '"state":"RUNNING","tsStatus":504' GET "/v1/signature/session/$S2?timeoutMs=700"
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -ge 650 ] || fail "a long poll of 700 ms answered after $(((t1 - t0) / 1000000)) ms"
expect 200 '"state":"RUNNING"' GET "/v1/signature/session/$S2"
expect 409 '"error":"PB_SIGNATURE_PROCESS"' POST /v1/signature "$dir/b.json"
expect 409 '"tsStatus":406' POST /v1/signature "$dir/b.json"
expect 404 'SESSION_NOT_FOUND' DELETE "/v1/signature/session/$S2" - "$TOKEN2"
expect 200 '"state":"RUNNING"' GET "/v1/signature/session/$S2"
# a long poll woken by the cancel
sapi GET "/v1/signature/session/$S2?timeoutMs=20000" > "$dir/poll.txt" &
poll=$!
sleep 0.5
expect 200 '"result":"CANCELLED"' DELETE "/v1/signature/session/$S2"
t0=$(date +%s)
wait $poll
t1=$(date +%s)
grep -q '"state":"COMPLETE","result":"CANCELLED","tsStatus":208' "$dir/poll.txt" || fail "the woken poll: $(cat "$dir/poll.txt")"
[ $((t1 - t0)) -le 3 ] || fail "the long poll was not woken by the cancel ($((t1 - t0)) s)"
# the card is free again
out=$(sapi POST /v1/signature "$dir/b.json")
S3=$(echo "$out" | sed -n 's/.*"sessionID":"\([0-9a-f-]*\)".*/\1/p')
[ -n "$S3" ] || fail "a new session after the cancel: $out"

# ---- the VTY, the rate -------------------------------------------------------------------------------------------
vty "show signing" > "$dir/show.txt"
grep -q "1 sessions running" "$dir/show.txt" || fail "show signing: $(cat "$dir/show.txt")"
grep -q "portal .*running 1, requests 4, ok 0, other 3" "$dir/show.txt" || fail "show signing: $(cat "$dir/show.txt")"
vty "show signature $S2" > "$dir/sig.txt"
grep -q "complete, CANCELLED" "$dir/sig.txt" || fail "show signature: $(cat "$dir/sig.txt")"
grep -q "code $CODE" "$dir/sig.txt" || fail "show signature: $(cat "$dir/sig.txt")"
python3 - > "$dir/rate.txt" <<PY
import urllib.request, urllib.error
codes = []
for i in range(40):
    req = urllib.request.Request("http://127.0.0.1:8481/v1/signature/session/$S2")
    req.add_header("Authorization", "Bearer $TOKEN")
    try:
        codes.append(urllib.request.urlopen(req, timeout=5).status)
    except urllib.error.HTTPError as e:
        codes.append(e.code)
print(" ".join(map(str, codes)))
PY
grep -q 429 "$dir/rate.txt" || fail "no 429 beyond the rate: $(cat "$dir/rate.txt")"

# ---- a restart: every session is in the database ---------------------------------------------------------------
stop
start
vty "show signature $S2" > "$dir/sig.txt"
grep -q "complete, CANCELLED" "$dir/sig.txt" || fail "show signature after a restart: $(cat "$dir/sig.txt")"
vty "show signature $S3" > "$dir/sig.txt"
grep -q "INTERNAL_ERROR" "$dir/sig.txt" || fail "a session open at the stop: $(cat "$dir/sig.txt")"
sleep 1.1
expect 200 '"result":"CANCELLED"' GET "/v1/signature/session/$S2"
expect 200 '"result":"NOT_A_CLIENT"' GET "/v1/signature/session/$S0"
stop

# ---- TLS and client certificates ----------------------------------------------------------------------------------
td=$dir/conf/tls # (start() counts in t)
mkdir -p "$td"
# mkcert NAME CA: a P-256 key NAME.key and a certificate NAME.pem signed by CA (ca.pem/ca.key), EXT the extensions
mkcert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$td/$1.key" -out "$td/$1.csr" \
		-subj "/CN=$1" &&
		openssl x509 -req -in "$td/$1.csr" -CA "$td/$2.pem" -CAkey "$td/$2.key" -CAcreateserial -days 2 \
			-extfile "$td/$3" -out "$td/$1.pem"
}
{
	printf 'subjectAltName=IP:127.0.0.1\n' > "$td/server.ext" &&
		printf 'extendedKeyUsage=clientAuth\n' > "$td/client.ext" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$td/ca.key" \
			-out "$td/ca.pem" -subj /CN=simpki-test-ca -days 2 &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$td/other-ca.key" \
			-out "$td/other-ca.pem" -subj /CN=another-ca -days 2 &&
		mkcert server ca server.ext && mkcert rp ca client.ext && mkcert stranger ca client.ext &&
		mkcert forged other-ca client.ext
} > "$dir/openssl.log" 2>&1 || fail "openssl: $(tail -n 5 "$dir/openssl.log")"
chmod 600 "$td/server.key"
FP=$(openssl x509 -in "$td/rp.pem" -outform DER | sha256sum | cut -d' ' -f1)
sed -e 's|^ listen 127.0.0.1 8481| listen 127.0.0.1 8481\n tls certificate tls/server.pem\n tls key tls/server.key\n tls client-ca tls/ca.pem|' \
	-e "s|^  rate 20|  client-certificate-sha256 $FP\n  rate 20|" "$dir/conf/simpki-otad.cfg" > "$dir/conf/tls.cfg"
grep -v '^ tls certificate\|^ tls key' "$dir/conf/tls.cfg" > "$dir/conf/tls-ca-only.cfg"
(cd "$dir" && "$otad" -c "$dir/conf/tls-ca-only.cfg") > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "'tls client-ca' without 'tls certificate' does not exit 1"
grep -q "client certificates need TLS" "$dir/out" || fail "tls client-ca without TLS: $(tail -n 3 "$dir/out")"

start "$dir/conf/tls.cfg"
grep -q "relying-party API on https://127.0.0.1:8481/v1/ (TLS, client certificates)" "$dir/otad.log" ||
	fail "no TLS: $(tail -n 5 "$dir/otad.log")"
vty "show running-config" > "$dir/running.txt"
for l in " tls certificate tls/server.pem" " tls key tls/server.key" " tls client-ca tls/ca.pem" \
	"  client-certificate-sha256 $FP"; do
	grep -q "^$l" "$dir/running.txt" || fail "show running-config lacks '$l'"
done
vty "show signing" > "$dir/show.txt"
grep -q "relying-party API: https://127.0.0.1:8481/v1/" "$dir/show.txt" || fail "show signing: $(cat "$dir/show.txt")"
grep -q "portal .*, client certificate" "$dir/show.txt" || fail "show signing: $(cat "$dir/show.txt")"

# tcurl CURL_ARGS...: POST $TPATH (default /v1/certificate) with b.json over TLS; prints "STATUS BODY" (000: no
# HTTP answer, then curl's error)
body '{"phoneNumber": "2001"}'
tcurl() {
	out=$(curl -sS -o "$dir/tbody" -w '%{http_code}' --max-time 10 --cacert "$td/ca.pem" \
		-H 'Content-Type: application/json' --data-binary @"$dir/b.json" "$@" \
		"https://127.0.0.1:8481${TPATH:-/v1/certificate}" 2> "$dir/terr")
	echo "$out $(cat "$dir/tbody" 2> /dev/null)$(cat "$dir/terr")"
	rm -f "$dir/tbody" "$dir/terr"
}
out=$(tcurl --cert "$td/rp.pem" --key "$td/rp.key")
case $out in "404 "*'"result":"NOT_A_CLIENT"'*) ;; *) fail "client certificate, no token: '$out'" ;; esac
out=$(tcurl)
case $out in "401 "*'client certificate or bearer token'*) ;; *) fail "no certificate, no token: '$out'" ;; esac
out=$(tcurl -H "Authorization: Bearer $TOKEN")
case $out in "404 "*'"result":"NOT_A_CLIENT"'*) ;; *) fail "no certificate, the token: '$out'" ;; esac
out=$(tcurl --cert "$td/rp.pem" --key "$td/rp.key" -H "Authorization: Bearer $TOKEN2")
case $out in "404 "*'"result":"NOT_A_CLIENT"'*) ;; *) fail "client certificate and another's token: '$out'" ;; esac
out=$(tcurl --cert "$td/stranger.pem" --key "$td/stranger.key")
case $out in "401 "*) ;; *) fail "a certificate of the client CA no relying party has: '$out'" ;; esac
out=$(tcurl --cert "$td/forged.pem" --key "$td/forged.key")
case $out in "401 "* | "000 "*) ;; *) fail "a certificate of another CA: '$out'" ;; esac
out=$(tcurl --cert "$td/stranger.pem" --key "$td/stranger.key" -H "Authorization: Bearer $TOKEN")
case $out in "404 "*'"result":"NOT_A_CLIENT"'*) ;; *) fail "an unknown certificate with the token: '$out'" ;; esac
# a session by the certificate is the relying party's: its token sees it
body '{"phoneNumber": "2999", "hash": "'"$HASH"'", "hashType": "SHA256", "displayText": "Sign the contract"}'
out=$(TPATH=/v1/signature tcurl --cert "$td/rp.pem" --key "$td/rp.key" | sed 's|^200 ||')
S4=$(echo "$out" | sed -n 's/.*"sessionID":"\([0-9a-f-]*\)".*/\1/p')
[ -n "$S4" ] || fail "POST /v1/signature with the client certificate: $out"
out=$(curl -s --max-time 10 --cacert "$td/ca.pem" -H "Authorization: Bearer $TOKEN" \
	"https://127.0.0.1:8481/v1/signature/session/$S4")
case $out in *'"result":"NOT_A_CLIENT"'*) ;; *) fail "the session by certificate, by token: '$out'" ;; esac
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $TOKEN" \
	http://127.0.0.1:8481/v1/signature/session/$S4)
[ "$code" = 000 ] || fail "plain HTTP to the TLS port answered $code"
stop

if [ $failures -ne 0 ]; then
	echo "--- otad.log (tail)" >&2
	tail -n 40 "$dir/otad.log" >&2
	exit 1
fi
echo "otad-sign: OK"
