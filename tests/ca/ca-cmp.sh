#!/bin/sh
# simpki-ca as simpki-otad's RA and Debian's openssl cmp meet it (run by in-netns.sh: its ports are private):
# 'simpki-ca init' and the daemon started from its configuration as it is; a PKCS#10 enrolled (p10cr) with the RA's
# certificate, verified against the CA, with the signing profile's extensions, a UTF-8 subject and the holder id as
# permanentIdentifier; ir (signature POPO and raVerified), cr, kur (same holder, new key), genm (caCerts); refused
# with a CMP rejection and its failInfo: an unprotected request (badMessageCheck), one signed by a certificate the
# CA does not trust or protected by a MAC (notAuthorized), one addressed to another CA (wrongAuthority), a subject
# attribute outside the allowed ones (badCertTemplate), a PKCS#10 whose signature does not match its key (badPOP);
# rr with a reason, then the CRL lists the certificate with it and openssl verify -crl_check refuses it; the VTY's
# revoke, crl publish, show certificates/certificate/cmp/ca; CTRL; counters; the HTTP bounds (413, 415, 405, 404,
# 400) and GET /ca.crt, /crl/ca.crl; the records kept across a restart; repeated transactions through the RA's own
# client (ra-cmp-try: the same p10cr and transactionID twice is one certificate, sent twice, counted in cmp:repeated;
# another key with that transactionID refused with badRequest and transactionIdInUse; a new transactionID a new
# certificate); a revoked RA refused; SIGTERM exits 0.
# Usage: ca-cmp.sh SIMPKI_CA RA_CMP_TRY
set -u
ca=$1
try=$2
. "$(dirname "$0")/ca-lib.sh"
ca_test_init ca
RA="-cert $cadir/ra.pem -key $cadir/ra.key"

# ---- init and start
"$ca" init --dir "$cadir" --subject "/CN=simpki Test CA/O=Ban Cơ yếu Chính phủ/C=VN" > "$dir/out" 2>&1 ||
	fail "init exited $?: $(cat "$dir/out")"
for f in ca.pem ca.key ra.pem ra.key ocsp.pem ocsp.key ca.db simpki-ca.cfg; do
	[ -s "$cadir/$f" ] || fail "init made no $f"
done
for f in ca.key ra.key ocsp.key simpki-ca.cfg; do
	[ "$(stat -c %a "$cadir/$f")" = 600 ] || fail "$f is mode $(stat -c %a "$cadir/$f"), not 600"
done
expect_in "$cadir/ca.key" "BEGIN ENCRYPTED PRIVATE KEY"
openssl asn1parse -in "$cadir/ca.key" > "$dir/keyasn1" 2>&1
expect_in "$dir/keyasn1" "aes-256-cbc"
openssl pkey -in "$cadir/ca.key" -passin env:SIMPKI_CA_PASSPHRASE -noout 2> /dev/null ||
	fail "ca.key does not open with the passphrase"
openssl x509 -in "$cadir/ra.pem" -noout -text > "$dir/ra.txt"
expect_in "$dir/ra.txt" "CMC Registration Authority"
openssl x509 -in "$cadir/ocsp.pem" -noout -text > "$dir/ocsp.txt"
expect_in "$dir/ocsp.txt" "OCSP Signing"
expect_in "$dir/ocsp.txt" "OCSP No Check"
openssl verify -CAfile "$cadir/ca.pem" "$cadir/ra.pem" "$cadir/ocsp.pem" > /dev/null ||
	fail "ra.pem or ocsp.pem do not verify"
"$ca" init --dir "$cadir" --subject "/CN=Again" > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "a second init in the same directory does not exit 1"
expect_in "$dir/out" "refusing to overwrite"
start_ca "$cadir/simpki-ca.cfg" || exit 1

# ---- p10cr: the RA sends the holder's PKCS#10
openssl req -utf8 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/user.key" \
	-subj "/CN=Nguyễn Văn An/serialNumber=VN-0123456789/O=UBND tỉnh Lào Cai/C=VN" -out "$dir/user.csr" 2> /dev/null
cmpc "$dir/out" $RA -cmd p10cr -csr "$dir/user.csr" -certout "$dir/user.pem" || fail "p10cr: $(cat "$dir/out")"
openssl verify -CAfile "$cadir/ca.pem" "$dir/user.pem" > /dev/null 2>&1 || fail "the p10cr certificate does not verify"
openssl x509 -in "$dir/user.pem" -noout -text > "$dir/user.txt"
for t in "Digital Signature, Non Repudiation" "CA:FALSE" "OCSP - URI:http://127.0.0.1:8491/ocsp" \
	"CA Issuers - URI:http://127.0.0.1:8491/ca.crt" "URI:http://127.0.0.1:8491/crl/ca.crl" "Permanent Identifier" \
	"X509v3 Subject Key Identifier" "X509v3 Authority Key Identifier"; do
	expect_in "$dir/user.txt" "$t"
done
grep -A1 "X509v3 Key Usage" "$dir/user.txt" | grep -q critical || fail "keyUsage is not critical"
grep -q "X509v3 Basic Constraints: critical" "$dir/user.txt" || fail "basicConstraints is not critical"
openssl x509 -in "$dir/user.pem" -noout -subject -nameopt utf8,sep_comma_plus_space > "$dir/subject"
expect_in "$dir/subject" "CN=Nguyễn Văn An, serialNumber=VN-0123456789, O=UBND tỉnh Lào Cai, C=VN"
openssl asn1parse -in "$dir/user.pem" > "$dir/user.asn1"
expect_in "$dir/user.asn1" "UTF8STRING        :Nguy"
san=$(grep -A1 "X509v3 Subject Alternative Name" "$dir/user.asn1" | tail -n 1 | sed 's/^ *\([0-9]*\):.*/\1/')
openssl asn1parse -in "$dir/user.pem" -strparse "$san" > "$dir/san.asn1" 2>&1
expect_in "$dir/san.asn1" "Permanent Identifier"
expect_in "$dir/san.asn1" "UTF8STRING        :VN-0123456789"
serial=$(openssl x509 -in "$dir/user.pem" -noout -serial | sed 's/serial=//' | tr A-F a-f)
[ ${#serial} -eq 32 ] || fail "the serial $serial is not 16 bytes"

# ---- ir with a new key (signature POPO), ir with raVerified, cr
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ir.key" 2> /dev/null
cmpc "$dir/out" $RA -cmd ir -newkey "$dir/ir.key" -subject "/CN=Trần Thị Bình/serialNumber=VN-0000000002" \
	-certout "$dir/ir.pem" || fail "ir: $(cat "$dir/out")"
openssl verify -CAfile "$cadir/ca.pem" "$dir/ir.pem" > /dev/null 2>&1 || fail "the ir certificate does not verify"
cmpc "$dir/out" $RA -cmd ir -newkey "$dir/ir.key" -popo 0 -subject "/CN=RA Verified/serialNumber=VN-3" \
	-certout "$dir/rav.pem" || fail "ir with raVerified: $(cat "$dir/out")"
cmpc "$dir/out" $RA -cmd cr -newkey "$dir/ir.key" -subject "/CN=Le Van C/serialNumber=VN-4" -certout "$dir/cr.pem" ||
	fail "cr: $(cat "$dir/out")"

# ---- kur: a new key for the ir certificate; same subject and holder
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/kur.key" 2> /dev/null
cmpc "$dir/out" $RA -cmd kur -oldcert "$dir/ir.pem" -newkey "$dir/kur.key" -certout "$dir/kur.pem" ||
	fail "kur: $(cat "$dir/out")"
openssl verify -CAfile "$cadir/ca.pem" "$dir/kur.pem" > /dev/null 2>&1 || fail "the kur certificate does not verify"
[ "$(openssl x509 -in "$dir/kur.pem" -noout -subject)" = "$(openssl x509 -in "$dir/ir.pem" -noout -subject)" ] ||
	fail "kur changed the subject"
[ "$(openssl x509 -in "$dir/kur.pem" -noout -pubkey)" = "$(openssl pkey -in "$dir/kur.key" -pubout)" ] ||
	fail "kur's certificate is not for the new key"

# ---- genm: the CA certificates
cmpc "$dir/out" $RA -cmd genm || fail "genm: $(cat "$dir/out")"
expect_in "$dir/out" "id-it-caCerts"

# ---- refusals: a CMP rejection, openssl cmp exits non-zero and names it
refused() { # FAILINFO WHAT ARGS...
	want=$1
	what=$2
	shift 2
	if cmpc "$dir/out" "$@" -certout "$dir/refused.pem"; then
		fail "$what was not refused"
	fi
	expect_in "$dir/out" "rejection"
	expect_in "$dir/out" "$want"
	[ ! -s "$dir/refused.pem" ] || fail "$what: a certificate came back"
}
refused badMessageCheck "an unprotected request" -ref anyone -unprotected_requests -cmd p10cr -csr "$dir/user.csr"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/evil.key" \
	-subj "/CN=simpki-otad RA/O=Ban Cơ yếu Chính phủ" -out "$dir/evil.pem" -utf8 2> /dev/null
refused notAuthorized "a request signed by an untrusted certificate" -cert "$dir/evil.pem" -key "$dir/evil.key" \
	-cmd p10cr -csr "$dir/user.csr"
refused notAuthorized "an end-entity certificate of this CA as RA" -cert "$dir/ir.pem" -key "$dir/ir.key" \
	-cmd p10cr -csr "$dir/user.csr"
refused notAuthorized "a MAC-protected (PBM) request" -ref anyone -secret pass:sesame -cmd p10cr -csr "$dir/user.csr"
refused wrongAuthority "a request to another CA" $RA -recipient "/CN=Another CA" -cmd p10cr -csr "$dir/user.csr"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/x.key" \
	-subj "/CN=Mail/serialNumber=VN-9/emailAddress=a@example.org" -out "$dir/mail.csr" 2> /dev/null
refused badCertTemplate "a subject with emailAddress" $RA -cmd p10cr -csr "$dir/mail.csr"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/x.key" -subj "/CN=No Holder" \
	-out "$dir/noholder.csr" 2> /dev/null
refused badCertTemplate "a request without a holder id" $RA -cmd p10cr -csr "$dir/noholder.csr"
# A PKCS#10 whose signature does not match its key: the signature's last bytes flipped.
python3 - "$dir/user.csr" "$dir/badsig.csr" <<'PY'
import base64, sys
pem = open(sys.argv[1]).read()
der = bytearray(base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----"))))
der[-3] ^= 0x5a  # inside the signature BIT STRING, the last element of CertificationRequest
out = base64.encodebytes(bytes(der)).decode()
open(sys.argv[2], "w").write("-----BEGIN CERTIFICATE REQUEST-----\n" + out + "-----END CERTIFICATE REQUEST-----\n")
PY
openssl req -in "$dir/badsig.csr" -verify -noout 2>&1 | grep -q "verify OK" && fail "the corrupted CSR still verifies"
refused badPOP "a PKCS#10 whose signature does not match its key" $RA -cmd p10cr -csr "$dir/badsig.csr"

# ---- rr from the RA, then the CRL
cmpc "$dir/out" $RA -cmd rr -oldcert "$dir/user.pem" -revreason 1 || fail "rr: $(cat "$dir/out")"
openssl crl -inform DER -in "$cadir/crl/ca.crl" -noout -text > "$dir/crl.txt" 2>&1
grep -qi "Serial Number: $serial" "$dir/crl.txt" || fail "the CRL does not list $serial: $(cat "$dir/crl.txt")"
expect_in "$dir/crl.txt" "Key Compromise"
openssl crl -inform DER -in "$cadir/crl/ca.crl" -out "$dir/crl.pem"
openssl crl -in "$dir/crl.pem" -CAfile "$cadir/ca.pem" -noout 2>&1 | grep -q "verify OK" ||
	fail "the CRL's signature does not verify"
openssl verify -crl_check -CRLfile "$dir/crl.pem" -CAfile "$cadir/ca.pem" "$dir/user.pem" > "$dir/out" 2>&1 &&
	fail "openssl verify -crl_check accepts a revoked certificate"
expect_in "$dir/out" "certificate revoked"
openssl verify -crl_check -CRLfile "$dir/crl.pem" -CAfile "$cadir/ca.pem" "$dir/kur.pem" > /dev/null 2>&1 ||
	fail "openssl verify -crl_check refuses a good certificate"
refused certRevoked "a second rr of the same certificate" $RA -cmd rr -oldcert "$dir/user.pem" -revreason 1

# ---- the VTY
kur_serial=$(openssl x509 -in "$dir/kur.pem" -noout -serial | sed 's/serial=//' | tr A-F a-f)
vty "show certificates holder VN-0123456789" "show certificate $serial" "revoke $kur_serial reason superseded" \
	"revoke $kur_serial reason superseded" "revoke 0123 reason superseded" "crl publish" "show cmp" "show ca" \
	"show certificates public-key 00" "show certificates" "show rate-counters" > "$dir/vty.out"
expect_in "$dir/vty.out" "$serial revoked signing"
expect_in "$dir/vty.out" "status: revoked at .*, reason keyCompromise"
expect_in "$dir/vty.out" "requested by: /CN=simpki-otad RA"
expect_in "$dir/vty.out" "BEGIN CERTIFICATE"
expect_in "$dir/vty.out" "revoked $kur_serial (superseded)"
expect_in "$dir/vty.out" "certificate $kur_serial is revoked already"
expect_in "$dir/vty.out" "no certificate 0123"
expect_in "$dir/vty.out" "CRL published"
expect_in "$dir/vty.out" "trusted RA: /CN=simpki-otad RA"
expect_in "$dir/vty.out" "profile signing (default)"
expect_in "$dir/vty.out" "0 certificates"
expect_in "$dir/vty.out" "cert:issued: *5"
expect_in "$dir/vty.out" "cert:revoked: *2"
expect_in "$dir/vty.out" "crl:published"
openssl crl -inform DER -in "$cadir/crl/ca.crl" -noout -text > "$dir/crl.txt" 2>&1
grep -qi "Serial Number: $kur_serial" "$dir/crl.txt" || fail "the CRL does not list $kur_serial revoked in the VTY"
expect_in "$dir/crl.txt" "Superseded"
ctrl certificates > "$dir/ctrl.out"
expect_in "$dir/ctrl.out" "GET_REPLY 1 certificates 7,2"

# ---- the HTTP servers
out=$(http GET /ca.crt)
der_len=$(openssl x509 -in "$cadir/ca.pem" -outform DER | wc -c)
[ "$out" = "200 application/pkix-cert $der_len" ] || fail "GET /ca.crt: $out"
openssl x509 -inform DER -in "$dir/http.body" -noout 2> /dev/null || fail "GET /ca.crt is not a DER certificate"
out=$(http GET /crl/ca.crl)
case $out in "200 application/pkix-crl "*) ;; *) fail "GET /crl/ca.crl: $out" ;; esac
command cmp -s "$dir/http.body" "$cadir/crl/ca.crl" ||
	fail "GET /crl/ca.crl is not the published CRL"
head -c 70000 /dev/zero > "$dir/big"
out=$(http POST /pkix/ "$dir/big" application/pkixcmp 8490)
case $out in "413 "* | "closed "*) ;; *) fail "a 70000-byte CMP body: $out" ;; esac
printf 'not DER' > "$dir/junk"
out=$(http POST /pkix/ "$dir/junk" application/pkixcmp 8490)
case $out in "400 "*) ;; *) fail "a CMP body that is not DER: $out" ;; esac
out=$(http POST /pkix/ "$dir/junk" text/plain 8490)
case $out in "415 "*) ;; *) fail "a CMP body of another type: $out" ;; esac
out=$(http GET /pkix/ - - 8490)
case $out in "405 "*" allow=POST") ;; *) fail "GET on the CMP path: $out" ;; esac
out=$(http POST /ca.crt "$dir/junk" application/octet-stream)
case $out in "405 "*" allow=GET") ;; *) fail "POST /ca.crt: $out" ;; esac
out=$(http POST /other/ "$dir/junk" application/pkixcmp 8490)
case $out in "404 "*) ;; *) fail "another CMP path: $out" ;; esac
head -c 5000 /dev/zero > "$dir/big"
out=$(http POST /ocsp "$dir/big" application/ocsp-request)
case $out in "413 "* | "closed "*) ;; *) fail "a 5000-byte OCSP body: $out" ;; esac
out=$(http GET /nothing)
case $out in "404 "*) ;; *) fail "GET /nothing: $out" ;; esac
# still serving
cmpc "$dir/out" $RA -cmd genm || fail "genm after the HTTP abuse: $(cat "$dir/out")"

# ---- a restart keeps the records; SIGTERM exits 0
stop_ca
start_ca "$cadir/simpki-ca.cfg" || exit 1
vty "show certificate $serial" > "$dir/vty.out"
expect_in "$dir/vty.out" "status: revoked"
# ---- repeated transactions: simpki-otad asks again with the transactionID of a request it sent before a crash
# racmp TXID CSR OUT: ra-cmp-try's p10cr with that transactionID, the certificate into OUT; prints its line
racmp() {
	"$try" -t 5 -x "$1" -o "$3" http://127.0.0.1:8490/pkix/ "$cadir/ra.pem" "$cadir/ra.key" "$cadir/ca.pem" \
		p10cr "$2" - - 2> "$dir/try.err" || fail "ra-cmp-try: $(cat "$dir/try.err")"
}
tid=5e1f0c0a2b3c4d5e6f708192a3b4c5d6
for k in rep other; do
	openssl req -utf8 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$k.key" \
		-subj "/CN=Lê Văn Lặp/serialNumber=VN-REPEAT" -outform DER -out "$dir/$k.csr.der" 2> /dev/null
done
count0=$(ctrl certificates | sed -n 's/^GET_REPLY 1 certificates \([0-9]*\),.*/\1/p')
out=$(racmp $tid "$dir/rep.csr.der" "$dir/rep1.der")
case $out in "done attempts=1 pki_status=0 "*) ;; *) fail "p10cr with a transactionID: $out" ;; esac
out=$(racmp $tid "$dir/rep.csr.der" "$dir/rep2.der")
case $out in "done attempts=1 pki_status=0 "*) ;; *) fail "the same p10cr and transactionID again: $out" ;; esac
command cmp -s "$dir/rep1.der" "$dir/rep2.der" || fail "the repeated transaction got another certificate"
out=$(racmp $tid "$dir/other.csr.der" "$dir/rep3.der")
# failInfo badRequest (bit 2) and transactionIdInUse (bit 21)
case $out in "rejected attempts=1 pki_status=2 fail_info=0x200004 "*) ;; *) fail "another key, same transactionID: $out" ;; esac
out=$(racmp 5e1f0c0a2b3c4d5e6f708192a3b4c5d7 "$dir/rep.csr.der" "$dir/rep4.der")
case $out in "done attempts=1 pki_status=0 "*) ;; *) fail "a new transactionID: $out" ;; esac
command cmp -s "$dir/rep1.der" "$dir/rep4.der" && fail "a new transactionID got the same certificate"
count1=$(ctrl certificates | sed -n 's/^GET_REPLY 1 certificates \([0-9]*\),.*/\1/p')
[ "$count1" = $((count0 + 2)) ] || fail "$count0 certificates before, $count1 after (expected 2 more)"
rep_serial=$(openssl x509 -inform DER -in "$dir/rep1.der" -noout -serial | sed 's/serial=//' | tr A-F a-f)
vty "show certificate $rep_serial" "show rate-counters" > "$dir/vty.out"
expect_in "$dir/vty.out" "transaction: $tid"
expect_in "$dir/vty.out" "cmp:repeated: *1"
expect_in "$dir/ca.log" "repeated transaction $tid: certificate $rep_serial sent again"
expect_in "$dir/ca.log" "transaction $tid is in use"

# the RA's own certificate revoked: its requests are refused from then on, though ra-trust still names it
ra_serial=$(openssl x509 -in "$cadir/ra.pem" -noout -serial | sed 's/serial=//' | tr A-F a-f)
vty "revoke $ra_serial reason keyCompromise" > "$dir/vty.out"
expect_in "$dir/vty.out" "revoked $ra_serial"
refused notAuthorized "a request from a revoked RA" $RA -cmd p10cr -csr "$dir/user.csr"
expect_in "$dir/out" "the RA's certificate is revoked"
stop_ca
grep -qi "$SIMPKI_CA_PASSPHRASE" "$dir/ca.log" && fail "the passphrase is in the log"
[ $failures -eq 0 ] || exit 1
echo "ca-cmp.sh: all checks passed"
