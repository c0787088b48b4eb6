#!/bin/sh
# The certificate lifecycle between the RA's CMP client (ota-server/ra/ra_cmp.h, driven by ra-cmp-try) and the real
# simpki-ca daemon (run by in-netns.sh: its ports are private), as 'simpki-ca init' configures it (both profiles
# 'same-key modification renewal'):
# - same-key kur, modification: a new UTF-8 subject for the same public key, notAfter the old one's, the holder id
#   kept; asked again with its transactionID: the same certificate;
# - same-key kur, renewal: the old subject, the same key, a later notAfter; without 'same-key renewal' in the
#   profile (the configuration edited, the CA restarted): rejected badRequest;
# - rr certificateHold: OCSP (openssl ocsp) revoked with reason certificateHold, the CRL lists it so; kur of it
#   rejected certRevoked; rr removeFromCRL: OCSP good again at once, the new CRL no longer lists it; removeFromCRL
#   again rejected badRequest; the VTY's 'revoke SERIAL reason certificateHold', 'show certificate' (on hold),
#   'show certificates' (hold), 'release SERIAL';
# - rr keyCompromise, then kur of another certificate of that key and a p10cr for it (openssl cmp) rejected
#   badCertTemplate with "key compromised", logged, counted in cmp:compromised-key;
# - 200 kur through the client's RA_CMP_WORKERS parallel exchanges, all issued (the time printed).
# Usage: ra-kur.sh SIMPKI_CA RA_CMP_TRY
set -u
ca=$1
try=$2
. "$(dirname "$0")/ca-lib.sh"
ca_test_init ra-kur
RA="-cert $cadir/ra.pem -key $cadir/ra.key"

"$ca" init --dir "$cadir" --subject "/CN=simpki Test CA/O=Ban Cơ yếu Chính phủ/C=VN" > "$dir/out" 2>&1 ||
	fail "init exited $?: $(cat "$dir/out")"
expect_in "$cadir/simpki-ca.cfg" " same-key modification renewal"
start_ca "$cadir/simpki-ca.cfg" || exit 1

# try ARGS...: ra-cmp-try against the CA; prints its line
try() {
	"$try" -t 5 "$@" 2> "$dir/try.err" || fail "ra-cmp-try $*: $(cat "$dir/try.err")"
}
URL="http://127.0.0.1:8490/pkix/ $cadir/ra.pem $cadir/ra.key $cadir/ca.pem"
serial_of() { openssl x509 -inform DER -in "$1" -noout -serial | sed 's/serial=//' | tr A-F a-f; }
enddate() { openssl x509 -inform DER -in "$1" -noout -enddate | sed 's/notAfter=//'; }
pubkey() { openssl x509 -inform DER -in "$1" -noout -pubkey; }
ocsp() { # OUT CERT.der
	openssl x509 -inform DER -in "$2" -out "$dir/ocsp-cert.pem"
	openssl ocsp -issuer "$cadir/ca.pem" -cert "$dir/ocsp-cert.pem" -url http://127.0.0.1:8491/ocsp \
		-CAfile "$cadir/ca.pem" > "$1" 2>&1
}
crl_text() { curl -s http://127.0.0.1:8491/crl/ca.crl | openssl crl -inform DER -noout -text > "$dir/crl.txt"; }
# crl_lists SERIAL yes|no: wait (at most 2 s: a CRL may follow a revocation a moment later, docs/ca.md) until the
# published CRL lists SERIAL, or no longer does; the CRL's text in $dir/crl.txt
crl_lists() {
	cl_t=0
	while :; do
		crl_text
		if grep -qi "Serial Number: $1" "$dir/crl.txt"; then cl_has=yes; else cl_has=no; fi
		[ $cl_has = "$2" ] && return 0
		[ $cl_t -lt 20 ] || return 1
		sleep 0.1
		cl_t=$((cl_t + 1))
	done
}

# a holder's first certificate (the SIM's key, here a software one), the ICCID with it
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/h.key" 2> /dev/null
cmpc "$dir/out" $RA -cmd ir -newkey "$dir/h.key" -subject "/CN=Nguyễn Thị Hoa/serialNumber=VN-1001/O=UBND xã Tân Lập" \
	-certout "$dir/h.pem" || fail "ir: $(cat "$dir/out")"
openssl x509 -in "$dir/h.pem" -outform DER -out "$dir/h.der"

# ---- modification: a new subject, the same key, the validity's end kept
tid=0a0b0c0d0e0f10111213141516171819
out=$(try -x $tid -o "$dir/m.der" $URL kur "$dir/h.der" "/CN=Nguyễn Thị Hoa/serialNumber=VN-1001/O=UBND phường Hà Đông" - modification)
case $out in "done attempts=1 pki_status=0 "*) ;; *) fail "kur modification: $out" ;; esac
[ "$(pubkey "$dir/m.der")" = "$(pubkey "$dir/h.der")" ] || fail "modification: another public key"
openssl x509 -inform DER -in "$dir/m.der" -noout -subject -nameopt utf8,sep_comma_plus > "$dir/subj.txt"
expect_in "$dir/subj.txt" "O=UBND phường Hà Đông"
[ "$(enddate "$dir/m.der")" = "$(enddate "$dir/h.der")" ] || fail "modification moved notAfter: $(enddate "$dir/m.der")"
openssl x509 -inform DER -in "$dir/m.der" -out "$dir/m.pem"
openssl verify -CAfile "$cadir/ca.pem" "$dir/m.pem" > /dev/null 2>&1 || fail "the modified certificate does not verify"
out=$(try -x $tid -o "$dir/m2.der" $URL kur "$dir/h.der" "/CN=Nguyễn Thị Hoa/serialNumber=VN-1001/O=UBND phường Hà Đông" - modification)
case $out in "done attempts=1 pki_status=0 "*) ;; *) fail "kur modification again: $out" ;; esac
command cmp -s "$dir/m.der" "$dir/m2.der" || fail "the repeated transaction got another certificate"
vty "show certificate $(serial_of "$dir/m.der")" > "$dir/vty.out"
expect_in "$dir/vty.out" "holder: VN-1001"

# the client refuses what it cannot send: another purpose, a profile name of 65 characters
for args in "- - rekey" "- $(printf '%065d' 0) renewal"; do
	# shellcheck disable=SC2086
	out=$("$try" -t 5 $URL kur "$dir/h.der" $args 2> /dev/null)
	case $out in "refused -22"*) ;; *) fail "kur $args: $out" ;; esac
done

# ---- renewal: the old subject, the same key, a later end (a second later at least: validity is in seconds)
sleep 1
out=$(try -o "$dir/r.der" $URL kur "$dir/m.der" - - renewal)
case $out in "done attempts=1 pki_status=0 "*) ;; *) fail "kur renewal: $out" ;; esac
[ "$(pubkey "$dir/r.der")" = "$(pubkey "$dir/h.der")" ] || fail "renewal: another public key"
openssl x509 -inform DER -in "$dir/r.der" -noout -subject -nameopt utf8,sep_comma_plus > "$dir/subj.txt"
expect_in "$dir/subj.txt" "O=UBND phường Hà Đông"
[ "$(date -d "$(enddate "$dir/r.der")" +%s)" -gt "$(date -d "$(enddate "$dir/m.der")" +%s)" ] ||
	fail "renewal did not extend the validity: $(enddate "$dir/r.der")"

# ---- hold and release
r_serial=$(serial_of "$dir/r.der")
out=$(try $URL revoke "$dir/r.der" 6)
case $out in "done "*) ;; *) fail "rr certificateHold: $out" ;; esac
ocsp "$dir/ocsp.out" "$dir/r.der"
expect_in "$dir/ocsp.out" "ocsp-cert.pem: revoked"
expect_in "$dir/ocsp.out" "Reason: certificateHold"
crl_lists $r_serial yes || fail "the CRL does not list the held certificate"
grep -i -A 4 "Serial Number: $r_serial" "$dir/crl.txt" | grep -q "Certificate Hold" || fail "the CRL's reason is not certificateHold"
out=$(try $URL kur "$dir/r.der" - - renewal)
# certRevoked: bit 10
case $out in "rejected attempts=1 pki_status=2 fail_info=0x400 "*) ;; *) fail "kur of a held certificate: $out" ;; esac
vty "show certificate $r_serial" "show certificates holder VN-1001" > "$dir/vty.out"
expect_in "$dir/vty.out" "status: on hold since"
expect_in "$dir/vty.out" "$r_serial hold"
out=$(try $URL revoke "$dir/r.der" 8)
case $out in "done "*) ;; *) fail "rr removeFromCRL: $out" ;; esac
ocsp "$dir/ocsp.out" "$dir/r.der"
expect_in "$dir/ocsp.out" "ocsp-cert.pem: good"
crl_lists $r_serial no || fail "the CRL after the release still lists $r_serial"
out=$(try $URL revoke "$dir/r.der" 8)
# badRequest: bit 2
case $out in "rejected attempts=1 pki_status=2 fail_info=0x4 "*) ;; *) fail "removeFromCRL of a good certificate: $out" ;; esac
# the same through the VTY
vty "revoke $r_serial reason certificateHold" "release $r_serial" "release $r_serial" "show rate-counters" > "$dir/vty.out"
expect_in "$dir/vty.out" "$r_serial on hold (certificateHold)"
expect_in "$dir/vty.out" "released $r_serial: good again"
expect_in "$dir/vty.out" "certificate $r_serial is not on hold"
expect_in "$dir/vty.out" "cert:released: *2"
ocsp "$dir/ocsp.out" "$dir/r.der"
expect_in "$dir/ocsp.out" "ocsp-cert.pem: good"

# ---- 200 kur through the parallel exchanges
out=$(try -n 200 $URL kur "$dir/r.der" - - renewal)
case $out in "count=200 done=200 rejected=0 other=0 "*) echo "ra-kur.sh: $out" ;; *) fail "200 kur: $out" ;; esac

# ---- keyCompromise: the key is never certified again
out=$(try $URL revoke "$dir/h.der" 1)
case $out in "done "*) ;; *) fail "rr keyCompromise: $out" ;; esac
out=$(try $URL kur "$dir/r.der" - - renewal)
# badCertTemplate: bit 19
case $out in "rejected attempts=1 pki_status=2 fail_info=0x80000 "*"key compromised"*) ;; *) fail "kur of a compromised key: $out" ;; esac
openssl req -new -key "$dir/h.key" -subj "/CN=Nguyễn Thị Hoa/serialNumber=VN-1001" -out "$dir/h.csr" 2> /dev/null
cmpc "$dir/out" $RA -cmd p10cr -csr "$dir/h.csr" -certout "$dir/x.pem" && fail "p10cr for a compromised key was answered"
expect_in "$dir/out" "key compromised"
vty "show rate-counters" > "$dir/vty.out"
expect_in "$dir/vty.out" "cmp:compromised-key: *2"
expect_in "$dir/ca.log" "revoked for keyCompromise"

# ---- a profile without same-key renewal
stop_ca
sed 's/ same-key modification renewal/ same-key modification/' "$cadir/simpki-ca.cfg" > "$cadir/mod-only.cfg"
start_ca "$cadir/mod-only.cfg" || exit 1
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/g.key" 2> /dev/null
cmpc "$dir/out" $RA -cmd ir -newkey "$dir/g.key" -subject "/CN=Trần Văn Giang/serialNumber=VN-1002" \
	-certout "$dir/g.pem" || fail "ir: $(cat "$dir/out")"
openssl x509 -in "$dir/g.pem" -outform DER -out "$dir/g.der"
out=$(try $URL kur "$dir/g.der" - - renewal)
case $out in "rejected attempts=1 pki_status=2 fail_info=0x4 "*"does not allow"*) ;; *) fail "renewal not allowed: $out" ;; esac
out=$(try $URL kur "$dir/g.der" "/CN=Trần Văn Giang/serialNumber=VN-1002/O=Bộ Khoa học và Công nghệ" - modification)
case $out in "done attempts=1 "*) ;; *) fail "modification allowed: $out" ;; esac
stop_ca
[ $failures -eq 0 ] || exit 1
echo "ra-kur.sh: all checks passed"
