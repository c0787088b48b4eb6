#!/bin/sh
# simpki-ca's OCSP responder end to end with Debian's openssl ocsp (run by in-netns.sh; registered only once the
# real builders of ota-server/ca/status/ are built, not the stand-in): a certificate enrolled over CMP is good,
# signed by the delegated OCSP signer, with the nonce echoed; after a CMP rr it is revoked with its reason
# (keyCompromise) at once (the cache forgets it); a serial the CA never issued is unknown; the same request by GET
# /ocsp/<base64> (RFC 5019) gets the same answer; garbage gets malformedRequest; 'ocsp-signer ca' signs with the
# CA's key.
# Usage: ca-ocsp.sh SIMPKI_CA
set -u
ca=$1
. "$(dirname "$0")/ca-lib.sh"
ca_test_init ca-ocsp
RA="-cert $cadir/ra.pem -key $cadir/ra.key"

"$ca" init --dir "$cadir" --subject "/CN=OCSP Test CA/O=simpki" > "$dir/out" 2>&1 || fail "init: $(cat "$dir/out")"
start_ca "$cadir/simpki-ca.cfg" || exit 1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/u.key" \
	-subj "/CN=Holder/serialNumber=VN-1" -out "$dir/u.csr" 2> /dev/null
cmpc "$dir/out" $RA -cmd p10cr -csr "$dir/u.csr" -certout "$dir/u.pem" || fail "p10cr: $(cat "$dir/out")"

ocsp() { # OUT ARGS...: openssl ocsp against the responder, trusting the CA
	o=$1
	shift
	openssl ocsp -issuer "$cadir/ca.pem" -url http://127.0.0.1:8491/ocsp -CAfile "$cadir/ca.pem" "$@" > "$o" 2>&1
}
ocsp "$dir/good" -cert "$dir/u.pem" -resp_text || fail "openssl ocsp: $(cat "$dir/good")"
expect_in "$dir/good" "Response verify OK"
expect_in "$dir/good" "u.pem: good"
expect_in "$dir/good" "OCSP Nonce"
expect_in "$dir/good" "Responder Id: "
expect_in "$dir/good" "simpki-ca OCSP responder"

# never issued
ocsp "$dir/unknown" -serial 0x4142434445464748494a4b4c4d4e4f50
expect_in "$dir/unknown" ": unknown"

# GET, without a nonce (RFC 5019)
openssl ocsp -issuer "$cadir/ca.pem" -cert "$dir/u.pem" -no_nonce -reqout "$dir/req.der" > /dev/null 2>&1
b64=$(openssl base64 -A -in "$dir/req.der" | sed 's|/|%2F|g; s|+|%2B|g; s|=|%3D|g')
out=$(http GET "/ocsp/$b64")
case $out in "200 application/ocsp-response "*) ;; *) fail "GET /ocsp/...: $out" ;; esac
openssl ocsp -respin "$dir/http.body" -issuer "$cadir/ca.pem" -cert "$dir/u.pem" -CAfile "$cadir/ca.pem" \
	> "$dir/get" 2>&1
expect_in "$dir/get" "u.pem: good"

# revoked by the RA: at once, with its reason
cmpc "$dir/out" $RA -cmd rr -oldcert "$dir/u.pem" -revreason 1 || fail "rr: $(cat "$dir/out")"
ocsp "$dir/revoked" -cert "$dir/u.pem"
expect_in "$dir/revoked" "u.pem: revoked"
expect_in "$dir/revoked" "Reason: keyCompromise"
out=$(http GET "/ocsp/$b64")
openssl ocsp -respin "$dir/http.body" -issuer "$cadir/ca.pem" -cert "$dir/u.pem" -CAfile "$cadir/ca.pem" \
	> "$dir/get" 2>&1
expect_in "$dir/get" "u.pem: revoked"

# garbage
printf 'garbage' > "$dir/junk"
out=$(http POST /ocsp "$dir/junk" application/ocsp-request)
case $out in "200 application/ocsp-response "*) ;; *) fail "POST /ocsp garbage: $out" ;; esac
openssl ocsp -respin "$dir/http.body" -resp_text -noverify > "$dir/junk.txt" 2>&1
expect_in "$dir/junk.txt" "malformedrequest"
vty "show rate-counters" > "$dir/vty.out"
expect_in "$dir/vty.out" "ocsp:requests"

# the CA signs instead
stop_ca
sed 's/ocsp-signer delegated/ocsp-signer ca/' "$cadir/simpki-ca.cfg" > "$cadir/ca-signs.cfg"
start_ca "$cadir/ca-signs.cfg" || exit 1
ocsp "$dir/casigned" -cert "$dir/u.pem" -resp_text
expect_in "$dir/casigned" "Response verify OK"
expect_in "$dir/casigned" "u.pem: revoked"
expect_not_in "$dir/casigned" "simpki-ca OCSP responder"
stop_ca
[ $failures -eq 0 ] || exit 1
echo "ca-ocsp.sh: all checks passed"
