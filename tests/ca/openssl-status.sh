#!/bin/sh
# ca/status checked from outside, by Debian's openssl command line: the CRL of status-files (a throwaway CA) verifies
# with `openssl crl -CAfile ca.pem` and lists 4567 (Key Compromise) and 33 (Certificate Hold), with AKI, CRL number
# and the critical IDP; it does not verify with another key. OCSP requests made by `openssl ocsp -reqout` and
# answered by ca_ocsp_answer(): two certificates (SHA-1 CertIDs, no nonce) read back as revoked (keyCompromise, the
# revocation time) and good, signed by the delegated signer and verified with the CA as the only trust anchor; SHA-256
# CertIDs, a serial never issued (unknown) and a nonce (echoed: no warning, no nonce error), signed by the CA itself;
# a response with one byte of its signature changed is refused. The requests are also the fuzz harness's seed kind.
# Usage: openssl-status.sh PATH_TO_STATUS_FILES
set -u
files=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/openssl-status.XXXXXX")
trap 'rm -rf "$dir"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

expect_rc() { # WANT COMMAND...: stdout and stderr in $dir/out
	want=$1
	shift
	"$@" > "$dir/out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $(cat "$dir/out")"
}

expect_in() { # TEXT: in $dir/out
	grep -q -- "$1" "$dir/out" || fail "no '$1' in: $(cat "$dir/out")"
}

expect_not_in() { # TEXT: not in $dir/out
	! grep -q -- "$1" "$dir/out" || fail "'$1' in: $(cat "$dir/out")"
}

cd "$dir" || exit 1
expect_rc 0 "$files" init .
expect_rc 0 "$files" crl .

# The CRL.
expect_rc 0 openssl crl -in crl.pem -CAfile ca.pem -noout -text
expect_in "verify OK"
expect_in "Version 2"
expect_in "Issuer: CN = simpki test CA"
expect_in "X509v3 Authority Key Identifier"
expect_in "X509v3 CRL Number"
expect_in "X509v3 Issuing Distribution Point: critical"
expect_in "URI:http://ca.example/crl/test.crl"
grep -A4 "Serial Number: 4567" out > entry
grep -q "Key Compromise" entry || fail "4567 is not Key Compromise: $(cat out)"
grep -q "Revocation Date: Nov 14 22:13:20 2023 GMT" entry || fail "4567's date: $(cat out)"
grep -A4 "Serial Number: 33" out | grep -q "Certificate Hold" || fail "33 is not Certificate Hold: $(cat out)"
expect_rc 1 openssl crl -in crl.pem -CAfile signer.pem -noout

# OCSP, delegated signer, SHA-1 CertIDs, no nonce.
expect_rc 0 openssl ocsp -issuer ca.pem -cert leaf-revoked.pem -cert leaf-good.pem -no_nonce -reqout req1.der
expect_rc 0 "$files" ocsp . req1.der resp1.der
expect_rc 0 openssl ocsp -respin resp1.der -issuer ca.pem -cert leaf-revoked.pem -cert leaf-good.pem -CAfile ca.pem \
	-no_nonce
expect_in "Response verify OK"
expect_in "leaf-revoked.pem: revoked"
expect_in "Reason: keyCompromise"
expect_in "Revocation Time: Nov 14 22:13:20 2023 GMT"
expect_in "leaf-good.pem: good"

# OCSP, signed by the CA, SHA-256 CertIDs, a serial never issued, a nonce (checked against the request's).
expect_rc 0 openssl ocsp -issuer ca.pem -sha256 -cert leaf-good.pem -serial 0x7777 -reqout req2.der
expect_rc 0 "$files" ocsp . req2.der resp2.der ca
expect_rc 0 openssl ocsp -reqin req2.der -respin resp2.der -issuer ca.pem -CAfile ca.pem -resp_text
expect_in "Response verify OK"
expect_in "Hash Algorithm: sha256"
expect_in "Cert Status: good"
expect_in "Cert Status: unknown"
expect_in "OCSP Nonce"
expect_not_in "WARNING: no nonce"
expect_not_in "Nonce Verify error"
expect_rc 0 openssl ocsp -respin resp2.der -issuer ca.pem -CAfile ca.pem -sha256 -cert leaf-good.pem -serial 0x7777 \
	-no_nonce
expect_in "leaf-good.pem: good"
expect_in "0x7777: unknown"

# The check can fail: the last byte of the signature changed.
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 1; open(sys.argv[2], "wb").write(b)' \
	resp1.der bad.der
openssl ocsp -respin bad.der -issuer ca.pem -cert leaf-good.pem -CAfile ca.pem -no_nonce > out 2>&1
expect_not_in "Response verify OK"
expect_in "Response Verify Failure"

[ "$failures" = 0 ] || exit 1
echo "openssl-status: all checks passed"
