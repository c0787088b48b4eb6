#!/bin/sh
# The RA's OCSP client (ota-server/ra/ra_ocsp.h, through ra-ocsp-try) against simpki-ca's responder (run by
# in-netns.sh): a certificate enrolled over CMP is good, the same asked again within the cache time is answered from
# the cache (one exchange for three questions); after a CMP rr it is revoked (no cache); a certificate another CA
# issued is refused before anything is asked; a responder that is down gives an error, not a status.
# Usage: ra-ocsp.sh SIMPKI_CA RA_OCSP_TRY
set -u
ca=$1
try=$2
. "$(dirname "$0")/ca-lib.sh"
ca_test_init ra-ocsp
RA="-cert $cadir/ra.pem -key $cadir/ra.key"
URL=http://127.0.0.1:8491/ocsp

"$ca" init --dir "$cadir" --subject "/CN=OCSP Test CA/O=simpki" > "$dir/out" 2>&1 || fail "init: $(cat "$dir/out")"
start_ca "$cadir/simpki-ca.cfg" || exit 1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/u.key" \
	-subj "/CN=Holder/serialNumber=VN-1" -out "$dir/u.csr" 2> /dev/null
cmpc "$dir/out" $RA -cmd p10cr -csr "$dir/u.csr" -certout "$dir/u.pem" || fail "p10cr: $(cat "$dir/out")"

"$try" $URL "$cadir/ca.pem" 30 "$dir/u.pem" "$dir/u.pem" "$dir/u.pem" > "$dir/good" 2>&1 || fail "ra-ocsp-try: $(cat "$dir/good")"
[ "$(grep -c '^good good$' "$dir/good")" = 3 ] || fail "good three times: $(cat "$dir/good")"
expect_in "$dir/good" "asked=1 cached=2"

cmpc "$dir/out" $RA -cmd rr -oldcert "$dir/u.pem" -revreason 1 || fail "rr: $(cat "$dir/out")"
"$try" $URL "$cadir/ca.pem" 0 "$dir/u.pem" > "$dir/revoked" 2>&1 || fail "ra-ocsp-try: $(cat "$dir/revoked")"
expect_in "$dir/revoked" "revoked revoked (reason 1)"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/o.key" -subj "/CN=Other" \
	-days 1 -out "$dir/other.pem" 2> /dev/null
"$try" $URL "$cadir/ca.pem" 0 "$dir/other.pem" > "$dir/other" 2>&1 && fail "another CA's certificate was asked about"
expect_in "$dir/other" "refused"

stop_ca
"$try" $URL "$cadir/ca.pem" 0 "$dir/u.pem" > "$dir/down" 2>&1 || fail "ra-ocsp-try: $(cat "$dir/down")"
expect_in "$dir/down" "error no answer from the OCSP responder"

[ $failures -eq 0 ] || exit 1
echo "ra-ocsp: OK"
