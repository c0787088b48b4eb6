#!/bin/sh
# The RA's CMP client (ota-server/ra/ra_cmp.h) against openssl cmp's mock server on 127.0.0.1 (run by in-netns.sh:
# the ports are private), driven by ra-cmp-try:
# - a p10cr with a certificate profile and a holder id is answered with the mock's certificate (the same DER),
#   its chain, in one exchange; the request that reached the server carries id-it-certProfile with the profile
#   (seen through a recording HTTP relay) and is signed by the RA;
# - the holder id and the ICCID travel in the header's generalInfo utf8Pairs; a holder id that cannot (a '%') is
#   refused before anything is sent;
# - rr for that certificate (reason keyCompromise) is done; rr for another certificate is rejected by the CA;
# - genm id-it-caCerts is answered;
# - a server that polls (-poll_count 2 -check_after 1) still issues;
# - a server that answers errors (-send_error) is a rejection with its failInfo, asked once, never again;
# - no server: retried after 1, 2 and 4 s (retry min-seconds 1 max-seconds 4), then unreachable after 4 tries;
# - a p10cr with the caller's transactionID carries it, in the first exchange, in the retry after an HTTP error
#   (a relay that answers 503 once) and in the certConf;
# - a server signed under another trust anchor is an error, asked once.
# Then simpki-otad with a 'ca' node for the good mock: 'show ca'; 'card ICCID certificate request' for a card whose
# holder is H-0001 records the issued certificate (the API lists it, the same PEM), the holder id and the card sent
# in utf8Pairs; 'certificate ID revoke 1' marks it revoked once the CA said so;
# with the CA gone a request ends unreachable in the log and nothing is recorded; an RA key that is not the RA
# certificate's stops the daemon at start with a message.
# Usage: ra-cmp.sh RA_CMP_TRY SIMPKI_OTAD SOURCE_ROOT
set -u
try=$1
otad=$2
src=$3
export SIMPKI_API_TOKEN=admin-token-for-the-test-0123456789
command -v openssl > /dev/null || { echo "ra-cmp.sh: openssl missing" >&2; exit 1; }
command -v python3 > /dev/null || { echo "ra-cmp.sh: python3 missing" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-ra-cmp.XXXXXX")
pids=""
otad_pid=""
failures=0
cleanup() {
	for p in $pids $otad_pid; do kill -KILL "$p" 2> /dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
cd "$dir" || exit 1

# keys and certificates: a root, an issuing CA under it (the CA chain the RA is configured with), the CMP
# server's and the RA's certificates under the root, a holder's request (the SIM's part, here a software key) and
# the certificate the mock answers with, by the issuing CA; another root nobody trusts
ossl() { openssl "$@" 2>> openssl.log || { echo "ra-cmp.sh: openssl $1 failed: $(tail -n 3 openssl.log)" >&2; exit 1; }; }
ec() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
ext() { printf 'basicConstraints=%s\nkeyUsage=%s\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' "$1" "$2" > "$3"; }
for r in root other; do
	ec $r.key
	ossl req -new -x509 -key $r.key -subj "/CN=simpki test $r CA" -days 30 -out $r.pem \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
done
ext critical,CA:FALSE digitalSignature leaf.ext
issue() { # NAME SUBJECT ROOT
	ec "$1.key"
	ossl req -new -key "$1.key" -subj "$2" -out "$1.csr"
	ossl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 30 -extfile leaf.ext -out "$1.pem"
}
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > ca.ext
ec sub.key
ossl req -new -key sub.key -subj "/CN=simpki test issuing CA" -out sub.csr
ossl x509 -req -in sub.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 -extfile ca.ext -out sub.pem
issue srv "/CN=simpki test CMP server" root
issue ra "/CN=simpki test RA" root
issue osrv "/CN=simpki test CMP server of another CA" other
issue stranger "/CN=someone else" root
issue holder "/CN=Nguyen Thi Minh Khai/serialNumber=H-0001" sub
ossl req -in holder.csr -outform DER -out holder.csr.der
ossl x509 -in holder.pem -outform DER -out holder.der
ossl x509 -in stranger.pem -outform DER -out stranger.der

# mock NAME PORT OPTION...: openssl cmp's mock server on 127.0.0.1:PORT, answering with the holder's certificate
mock() {
	name=$1
	port=$2
	shift 2
	openssl cmp -port "$port" -srv_cert "$srv_cert" -srv_key "$srv_key" -srv_trusted root.pem \
		-rsp_cert holder.pem -rsp_capubs root.pem "$@" > "mock-$name.log" 2>&1 &
	pids="$pids $!"
	t=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)" 2> /dev/null; do
		[ $t -lt 50 ] || { fail "mock $name: no listener on $port: $(tail -n 3 "mock-$name.log")"; return 1; }
		sleep 0.1
		t=$((t + 1))
	done
}
srv_cert=srv.pem srv_key=srv.key
mock good 8490
good_pid=${pids##* }
mock polling 8491 -poll_count 2 -check_after 1
mock refusing 8492 -send_error
srv_cert=osrv.pem srv_key=osrv.key
mock other 8493

# relay.py PORT NAME FAILS: records each request body as NAME-N.der, answers the first FAILS with HTTP 503, passes
# the others to the good mock; on 8494 one that never fails, on 8495 one that fails once
cat > relay.py <<'PY'
import http.server, sys, urllib.request
port, name, fails = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
n = 0
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global n
        body = self.rfile.read(int(self.headers["Content-Length"]))
        n += 1
        open("%s-%d.der" % (name, n), "wb").write(body)
        if n <= fails:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        req = urllib.request.Request("http://127.0.0.1:8490" + self.path, data=body,
                                     headers={"Content-Type": "application/pkixcmp"})
        rsp = urllib.request.urlopen(req, timeout=10).read()
        self.send_response(200)
        self.send_header("Content-Type", "application/pkixcmp")
        self.send_header("Content-Length", str(len(rsp)))
        self.end_headers()
        self.wfile.write(rsp)
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 relay.py 8494 relay 0 > relay.log 2>&1 &
pids="$pids $!"
python3 relay.py 8495 flaky 1 > flaky.log 2>&1 &
pids="$pids $!"
sleep 0.5

# run WANT_PREFIX PORT OPTIONS REQUEST...: ra-cmp-try's line must start with WANT_PREFIX
run() {
	want=$1
	port=$2
	opts=$3
	shift 3
	# shellcheck disable=SC2086 # OPTIONS are words
	out=$("$try" -t 2 -c sub.pem $opts "http://127.0.0.1:$port/pkix/" ra.pem ra.key root.pem "$@" 2> try.err)
	echo "$port $*: $out" >> results.log
	case $out in
	"$want"*) ;;
	*) fail "port $port, $*: '$out' ($(cat try.err)), expected '$want...'" ;;
	esac
}

# issued, with the profile in the header
run "done attempts=1 pki_status=0 " 8494 "-o issued.der" p10cr holder.csr.der sim-signing H-0001
cmp -s issued.der holder.der || fail "the issued certificate is not the mock's"
case $out in *" chain=1 "*) ;; *) fail "not the issuing CA's certificate as the chain: $out" ;; esac
openssl asn1parse -inform DER -in relay-1.der > p10cr.txt 2>&1
grep -q "1.3.6.1.5.5.7.4.21" p10cr.txt || fail "the p10cr has no id-it-certProfile: $(head -c 600 p10cr.txt)"
grep -q "UTF8STRING *:sim-signing" p10cr.txt || fail "the p10cr's certProfile does not name sim-signing"
grep -q "ecdsa-with-SHA256" p10cr.txt || fail "the p10cr is not signed (ecdsa-with-SHA256)"
# the holder id goes in utf8Pairs; one that cannot be written there is refused here
grep -q "UTF8STRING *:holder?H-0001%" p10cr.txt || fail "the p10cr has no utf8Pairs holder: $(head -c 600 p10cr.txt)"
out=$("$try" "http://127.0.0.1:8490/pkix/" ra.pem ra.key root.pem p10cr holder.csr.der sim-signing "H%1" 2> /dev/null)
[ "$out" = "refused -22" ] || fail "a holder id with a '%' was not refused here: '$out'"
out=$("$try" "http://127.0.0.1:8490/pkix/" ra.pem ra.key root.pem p10cr holder.csr.der "bad profile" - 2> /dev/null)
[ "$out" = "refused -22" ] || fail "a profile with a space was not refused: '$out'"
# revocation: of what the CA issued, and of something it did not
run "done attempts=1" 8490 "" revoke holder.der 1
run "rejected attempts=1 pki_status=2" 8490 "" revoke stranger.der 0
# the CA's certificates
run "done attempts=1" 8490 "" cacerts
# polling, then issued
run "done attempts=1 pki_status=0" 8491 "" p10cr holder.csr.der sim-signing -
# refused: a rejection with its failInfo, never asked again (even with retries configured)
run "rejected attempts=1 pki_status=2" 8492 "-r 1 4" p10cr holder.csr.der sim-signing -
case $out in *"fail_info=0x0 "*) fail "a refusal without failInfo: $out" ;; esac
# nobody listens: 1 + 3 retries (after 1, 2, 4 s), then unreachable
t0=$(date +%s)
run "unreachable attempts=4 pki_status=-1" 8499 "-r 1 4" p10cr holder.csr.der sim-signing -
t1=$(date +%s)
[ $((t1 - t0)) -ge 7 ] || fail "the retries took $((t1 - t0)) s, expected 1 + 2 + 4 and the tries"
run "unreachable attempts=1" 8499 "" p10cr holder.csr.der sim-signing -
# the caller's transactionID: in the request, the same in the retry after the CA's HTTP error, and in its certConf
tid=0123456789abcdef0123456789abcdef
run "done attempts=2 pki_status=0 " 8495 "-r 1 1 -x $tid" p10cr holder.csr.der sim-signing -
for f in flaky-1.der flaky-2.der flaky-3.der; do
	openssl asn1parse -inform DER -in $f > $f.txt 2>&1
	grep -qi "OCTET STRING *\[HEX DUMP\]:$tid" $f.txt || fail "$f has not the transactionID $tid: $(head -c 600 $f.txt)"
done
[ -e flaky-4.der ] && fail "more than the p10cr, its retry and the certConf"
# a CA whose responses do not chain to the trust anchor: an error at once
run "error attempts=1" 8493 "-r 1 4" p10cr holder.csr.der sim-signing -

# ---- the RA in simpki-otad ----
dir=$PWD
. "$src/tests/ota/otad-lib.sh"
mkdir conf
cat > conf/simpki-otad.cfg <<CFG
enable password simpki-otad-example
line vty
 bind 127.0.0.1
ctrl
 bind 127.0.0.1
otad
 database otad.db
 master-key otad.key create
 ca
  cmp-url http://127.0.0.1:8490/pkix/
  ra-cert ../ra.pem
  ra-key ../ra.key
  ca-chain ../sub.pem
  trust-anchor ../root.pem
  retry min-seconds 1 max-seconds 1
  timeout 2
audit
 key-create
CFG
printf 'iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n8984010000000000005,001010000000001,2001,1,aes,%s,aes,%s\n' \
	8C4A1F0B3E2D5A697788A9BACBDCEDFE 8C4A1F0B3E2D5A697788A9BACBDCEDFE > cards.csv
start_otad "$dir/conf/simpki-otad.cfg" "$dir/otad.log" || exit 1
vty "show ca" | grep -q "CA at http://127.0.0.1:8490/pkix/: 0 requests" || fail "show ca: $(vty "show ca")"
vty "write terminal" | grep -q "  trust-anchor ../root.pem" || fail "the running configuration lacks the ca node"
vty_import "$dir/cards.csv" > /dev/null
printf '{"id": "H-0001", "name": "Nguyễn Thị Minh Khai", "id_number": "079123456789", "unit": "10101003"}' > h.json
python3 - <<'PY' || fail "cannot make holder H-0001 and link the card"
import os, urllib.request
def call(method, path, body):
    req = urllib.request.Request("http://127.0.0.1:8480" + path, data=body, method=method)
    req.add_header("Authorization", "Bearer " + os.environ["SIMPKI_API_TOKEN"])
    return urllib.request.urlopen(req, timeout=10).status
assert call("POST", "/v1/holders", open("h.json", "rb").read()) == 201
assert call("PUT", "/v1/cards/8984010000000000005/holder", b'{"holder": "H-0001"}') == 200
PY
vty "card 8984010000000000005 certificate request 1 sim-signing ../holder.csr" | grep -q "sent to the CA" || fail "the request was not sent"
t=0
until vty "show card 8984010000000000005 certificates" | grep -q "certificate 1: key 1, serial .*, profile sim-signing, issued"; do
	[ $t -lt 50 ] || { fail "no certificate recorded: $(tail -n 3 otad.log)"; break; }
	sleep 0.1
	t=$((t + 1))
done
python3 - <<'PY' || fail "the API does not list the issued certificate"
import json, os, urllib.request
req = urllib.request.Request("http://127.0.0.1:8480/v1/cards/8984010000000000005/certificates")
req.add_header("Authorization", "Bearer " + os.environ["SIMPKI_API_TOKEN"])
items = json.load(urllib.request.urlopen(req, timeout=10))["items"]
assert len(items) == 1 and items[0]["pem"] == open("holder.pem").read(), items
PY
vty "card 8984010000000000005 certificate 1 revoke 1" | grep -q "sent to the CA" || fail "the revocation was not sent"
t=0
until vty "show card 8984010000000000005 certificates" | grep -q "certificate 1: .*, revoked"; do
	[ $t -lt 50 ] || { fail "not revoked: $(tail -n 3 otad.log)"; break; }
	sleep 0.1
	t=$((t + 1))
done
kill -KILL "$good_pid"
vty "card 8984010000000000005 certificate request 1 sim-signing ../holder.csr" > /dev/null
t=0
until grep -q "CA: card 8984010000000000005 key 1 profile sim-signing: unreachable after 2 tries" otad.log; do
	[ $t -lt 150 ] || { fail "no unreachable in the log: $(tail -n 3 otad.log)"; break; }
	sleep 0.1
	t=$((t + 1))
done
vty "show card 8984010000000000005 certificates" | grep -q "^1 certificates" || fail "something was recorded without a CA"
kill -TERM "$otad_pid"
wait "$otad_pid"
otad_pid=""
sed -i 's#ra-key ../ra.key#ra-key ../srv.key#' conf/simpki-otad.cfg
"$otad" -c conf/simpki-otad.cfg > bad.log 2>&1
rc=$?
[ $rc -eq 1 ] || fail "started with a wrong RA key: exit $rc"
grep -q "the CA ('ca' node): .*srv.key is not the key of .*ra.pem" bad.log || fail "no clear message: $(tail -n 2 bad.log)"

[ $failures -eq 0 ] || { cat results.log >&2; exit 1; }
cat results.log
grep "CA: " otad.log
echo "ra-cmp: all passed"
