#!/bin/sh
# The service counter's workflow with simpki-tool on a new card in a real pcscd: enrol (PUK, PIN, PKCS#15), generate
# a P-256 and an RSA-2048 key, a certificate request with a Vietnamese subject that the card signs (openssl req
# -verify), a certificate from a test CA, load it, export it, sign raw and as CMS (openssl verifies both), three
# wrong PINs, blocked, unblock with the PUK, sign again. Messages and exit codes are checked as a user meets them.
# Run by with-reader.sh with SIMPKI_TOOL set (the tool's path is the first argument).
set -u
. "$(dirname "$0")/lib.sh"
tool=$1
cd "$WORK" || exit 1
export SIMPKI_PUK=0123456789abcdef SIMPKI_NEW_PIN=123456 SIMPKI_PIN=123456

expect 0 "$tool" readers
says out "Virtual PCD 00 00	card present"
expect 0 "$tool" info
says out "Life cycle:   new (no PUK, no PIN)"
expect 7 "$tool" keygen --alg p256 --id 2
says err "not enrolled yet"

expect 7 "$tool" pin verify
says err "not enrolled"

# an enrolment interrupted after the PUK and PIN were set (done here with raw APDUs): init finishes it
opensc-tool --reader 0 -s 00A404000CF276A288BCFBA69D34F31001 -s 002401021030313233343536373839616263646566 \
	-s 0024010106313233343536 > /dev/null 2>&1
expect 7 "$tool" keygen --alg p256 --id 2
expect 0 "$tool" init --reader "Virtual PCD 00 00"
says out "finishing it"
says out "enrolled"
expect 7 "$tool" init
says err "enrolled already"
expect 0 "$tool" info
says out "PIN:          3 tries left"
says out "PUK:          5 tries left"

# keys
expect 0 "$tool" keygen --alg p256 --id 2
expect 0 "$tool" keygen --alg rsa2048 --id 1 --label "Khóa RSA"
expect 8 "$tool" keygen --alg p256 --id 2
expect 2 "$tool" keygen --alg dsa --id 3
expect 0 "$tool" info --json
python3 -c "
import json, sys
d = json.load(open('$WORK/out'))
keys = sorted((k['id'], k['algorithm']) for k in d['keys'])
assert keys == [('01', 'rsa2048'), ('02', 'p256')], keys
assert d['pin_tries_left'] == 3 and d['puk_tries_left'] == 5 and d['enrolled'], d
assert any(k['label'] == 'Khóa RSA' for k in d['keys']), d['keys']
" || fail "info --json: $(cat out)"

# the card holds 16 keys; a 17th is refused before anything is generated, and nothing is left behind
for i in 3 4 5 6 7 8 9 a b c d e f 10; do
	"$tool" keygen --alg p256 --id $i --label "Khóa số $i của Sở Nội vụ" > /dev/null 2>&1 || fail "key $i"
done
expect 1 "$tool" keygen --alg p256 --id 11
says err "the card is full"
expect 0 "$tool" info --reader "Virtual PCD 00 00" --json
python3 -c "import json; d = json.load(open('$WORK/out')); assert len(d['keys']) == 16, len(d['keys'])" ||
	fail "16 keys expected: $(cat out)"
expect 2 "$tool" keygen --alg p256 --id 12 --label "một nhãn dài hơn ba mươi hai ký tự thì không được"

# certificate request signed by the card, certificate from a test CA
subject="/CN=Nguyễn Văn An/O=Ủy ban nhân dân tỉnh Hà Tĩnh/C=VN"
expect 0 "$tool" csr --id 2 --subject "$subject" -o req.pem
openssl req -in req.pem -verify -noout > /dev/null 2>&1 || fail "openssl req -verify rejects the card's CSR"
openssl req -in req.pem -noout -subject -nameopt utf8,sep_comma_plus 2> /dev/null | grep -q "CN=Nguyễn Văn An" ||
	fail "CSR subject: $(openssl req -in req.pem -noout -subject -nameopt utf8 2>&1)"
# every signature is random: a CSR signature ending in zero bits once went wrong half of the time
for i in 1 2 3 4 5 6 7 8; do
	"$tool" csr --id 2 --subject "/CN=Lần $i" -o "req$i.pem" > /dev/null 2>&1 &&
		openssl req -in "req$i.pem" -verify -noout > /dev/null 2>&1 || fail "CSR $i does not verify"
done
expect 2 "$tool" csr --id 2 --subject "CN=no slash"
expect 8 "$tool" csr --id 20 --subject /CN=x
# the card builds the request itself (the default for a simpki card; --on-card insists), for P-256 and RSA-2048; the
# host-built one (--on-host, as for an IsoApplet card) carries the same key and subject
for id in 2 1; do
	expect 0 "$tool" csr --id $id --subject "$subject" --on-card -o "card$id.pem"
	openssl req -in "card$id.pem" -verify -noout > /dev/null 2>&1 || fail "openssl req -verify rejects key $id's on-card CSR"
	expect 0 "$tool" csr --id $id --subject "$subject" --on-host -o "host$id.pem"
	openssl req -in "host$id.pem" -verify -noout > /dev/null 2>&1 || fail "openssl req -verify rejects key $id's host CSR"
	for f in card host; do
		openssl req -in "$f$id.pem" -noout -pubkey > "$f$id.pub" 2> /dev/null
		openssl req -in "$f$id.pem" -noout -subject -nameopt utf8,sep_comma_plus > "$f$id.subj" 2> /dev/null
	done
	cmp -s "card$id.pub" "host$id.pub" || fail "key $id: the on-card CSR's public key differs from the card's"
	cmp -s "card$id.subj" "host$id.subj" || fail "key $id: the on-card CSR's subject differs: $(cat "card$id.subj")"
done
grep -q "CN=Nguyễn Văn An" card1.subj || fail "on-card CSR subject: $(cat card1.subj)"
openssl req -in card1.pem -noout -text 2> /dev/null | grep -q "sha256WithRSAEncryption" || fail "RSA CSR algorithm"
openssl req -in card2.pem -noout -text 2> /dev/null | grep -q "ecdsa-with-SHA256" || fail "EC CSR algorithm"
expect 2 "$tool" csr --id 2 --subject /CN=x --on-card --on-host
# a subject over 1,024 bytes in DER is for the host build only
long=$(python3 -c "print(''.join('/OU=%s' % ('x' * 60) for _ in range(16)))")
expect 2 "$tool" csr --id 2 --subject "$long" --on-card
says err "at most 1024"
expect 0 "$tool" csr --id 2 --subject "$long" --on-host -o long.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
	-subj "/CN=simpki test CA" 2> /dev/null
openssl x509 -req -in req.pem -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -out cert.pem 2> /dev/null ||
	fail "the test CA cannot issue from the CSR"
openssl x509 -in cert.pem -outform DER -out cert.der

# load (DER), export (PEM), a certificate for another key is refused
expect 0 "$tool" cert load --id 2 cert.der
expect 0 "$tool" cert export --id 2 -o back.pem
cmp -s back.pem cert.pem || fail "the exported certificate differs from the loaded one"
expect 2 "$tool" cert load --id 1 cert.pem
says err "not for key 01"
# a renewed certificate replaces the old one (same key, new serial and validity); the label stays
openssl x509 -req -in req.pem -CA ca.pem -CAkey ca.key -CAcreateserial -days 730 -out renewed.pem 2> /dev/null
expect 0 "$tool" cert load --id 2 renewed.pem --label "Chứng thư số của An"
expect 0 "$tool" cert export --id 2 -o back2.pem
cmp -s back2.pem renewed.pem || fail "the renewed certificate did not replace the old one"
run pkcs15-tool --list-certificates
says out "Nguyễn Văn An"
expect 0 "$tool" cert load --id 2 cert.pem
expect 0 "$tool" cert export --id 2 -o back.pem
cmp -s back.pem cert.pem || fail "loading the first certificate again did not replace the renewed one"
expect 0 "$tool" info --json
python3 -c "import json; d = json.load(open('$WORK/out')); assert d['certificates'][0]['id'] == '02'" ||
	fail "info --json with a certificate: $(cat out)"
expect 0 "$tool" info
says out "CN=Nguyễn Văn An"
says out "issued by CN=simpki test CA"

# sign: raw and CMS
printf 'QUYẾT ĐỊNH 275/QĐ-UBND\n' > decision.txt
openssl x509 -in cert.pem -pubkey -noout > ec.pub
expect 0 "$tool" sign --id 2 decision.txt -o decision.sig
openssl dgst -sha256 -verify ec.pub -signature decision.sig decision.txt > /dev/null || fail "raw ECDSA signature"
expect 0 "$tool" sign --id 2 --cms decision.txt -o decision.p7s
openssl cms -verify -binary -inform DER -in decision.p7s -content decision.txt -CAfile ca.pem -purpose any \
	-out /dev/null 2> cms.err || fail "openssl cms -verify: $(cat cms.err)"
expect 8 "$tool" sign --id 1 --cms decision.txt -o rsa.p7s
says err "no certificate"
expect 0 "$tool" sign --id 1 decision.txt -o rsa.sig
[ "$(wc -c < rsa.sig)" = 256 ] || fail "RSA signature of $(wc -c < rsa.sig) bytes"

# wrong PINs, blocked, unblocked
SIMPKI_PIN=999999 expect 5 "$tool" pin verify
says err "wrong PIN: 2 tries left"
SIMPKI_PIN=999999 expect 5 "$tool" pin verify
says err "1 try left before the PIN is blocked"
SIMPKI_PIN=999999 expect 6 "$tool" pin verify
says err "PIN blocked: unblock it with the PUK (simpki-tool pin unblock); 5 PUK tries left"
expect 6 "$tool" sign --id 2 decision.txt -o x.sig
SIMPKI_PUK=123 expect 2 "$tool" pin unblock
says err "a PUK has 8 to 16 characters"
SIMPKI_PIN=12 expect 2 "$tool" pin verify
SIMPKI_PUK=fedcba9876543210 expect 5 "$tool" pin unblock
says err "wrong PUK: 4 tries left"
SIMPKI_NEW_PIN=246810 expect 0 "$tool" pin unblock
SIMPKI_PIN=246810 expect 0 "$tool" sign --id 2 --cms decision.txt -o again.p7s
openssl cms -verify -binary -inform DER -in again.p7s -content decision.txt -CAfile ca.pem -purpose any \
	-out /dev/null 2> /dev/null || fail "CMS signature after unblock"
SIMPKI_PIN=246810 SIMPKI_NEW_PIN=135790 expect 0 "$tool" pin change
SIMPKI_PIN=135790 expect 0 "$tool" pin verify

# secrets never appear
grep -rq "246810\|135790\|0123456789abcdef" out err && fail "a secret was printed"

# no PIN in the environment and no terminal: a clear error, not a hang
env -u SIMPKI_PIN "$tool" pin verify < /dev/null > out 2> err
[ $? = 2 ] || fail "pin verify without a PIN did not exit 2"
says err "set SIMPKI_PIN"
expect 4 "$tool" --reader "Virtual PCD 00 01" info
expect 3 "$tool" --reader "No Such Reader" info

finish counter
