#!/bin/sh
# simpki-tool and OpenSC share cards: a card enrolled by simpki-tool (keys, certificate) is listed and used by
# OpenSC's pkcs15-tool and pkcs11-tool, and a card enrolled by OpenSC's pkcs15-init is listed and used by
# simpki-tool. Signatures are checked with OpenSSL. Run by with-reader.sh; the first argument is simpki-tool.
set -u
. "$(dirname "$0")/lib.sh"
tool=$1
here=$(cd "$(dirname "$0")" && pwd)
cd "$WORK" || exit 1
export SIMPKI_PUK=0123456789abcdef SIMPKI_NEW_PIN=123456 SIMPKI_PIN=123456
printf 'Công văn 1234/UBND-VP\n' > doc.txt
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
	-subj "/CN=simpki test CA" 2> /dev/null

echo "== enrolled by simpki-tool, used by OpenSC"
run "$tool" init
run "$tool" keygen --alg p256 --id 2
run "$tool" keygen --alg rsa2048 --id 5
run "$tool" csr --id 2 --subject "/CN=Trần Thị Bình/O=Sở Nội vụ" -o req.pem
openssl x509 -req -in req.pem -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out cert.pem 2> x509.err ||
	fail "the test CA cannot issue from the CSR: $(cat x509.err)"
run "$tool" cert load --id 2 cert.pem
run pkcs15-tool --dump
grep -q "ID *: 02" out || fail "pkcs15-tool does not list key 02: $(cat out)"
grep -q "ID *: 05" out || fail "pkcs15-tool does not list key 05"
grep -q "X.509 Certificate" out || fail "pkcs15-tool does not list the certificate"
run pkcs15-tool --read-certificate 02 --output opensc-cert.pem
[ "$(openssl x509 -in opensc-cert.pem -outform DER | sha256sum)" = "$(openssl x509 -in cert.pem -outform DER | sha256sum)" ] ||
	fail "OpenSC reads another certificate"
run pkcs15-tool --read-public-key 05 --output rsa5.pem
run pkcs11-tool --login --pin 123456 --sign --mechanism ECDSA-SHA1 --id 02 --input-file doc.txt --output-file a.sig \
	--signature-format openssl
openssl dgst -sha1 -verify "$(openssl x509 -in cert.pem -pubkey -noout > ec2.pem && echo ec2.pem)" -signature a.sig doc.txt \
	> /dev/null || fail "OpenSC's ECDSA signature with simpki-tool's key"
run pkcs11-tool --login --pin 123456 --sign --mechanism SHA256-RSA-PKCS --id 05 --input-file doc.txt --output-file b.sig
openssl dgst -sha256 -verify rsa5.pem -signature b.sig doc.txt > /dev/null || fail "OpenSC's RSA signature"
run pkcs15-tool --change-pin --pin 123456 --new-pin 654321
SIMPKI_PIN=654321 run "$tool" pin verify

echo "== enrolled by OpenSC, used by simpki-tool"
kill "$(cat "$WORK/serve.pid")"
while kill -0 "$(cat "$WORK/serve.pid")" 2> /dev/null; do sleep 0.1; done
"$SIMPKI_CARD" create --state "$WORK/card2" --iccid 8984012345678901242 > /dev/null || fail "second card"
"$SIMPKI_CARD" serve --state "$WORK/card2" 2>> "$WORK/serve.log" &
echo $! > "$WORK/serve.pid"
"$here/wait-card.sh" || fail "second card not in the reader"
run pkcs15-init --create-pkcs15 --so-pin 123456 --so-puk 0123456789abcdef
# OpenSC's fresh structure has no key directories yet: simpki-tool adds them with its first key
run "$tool" info --json
python3 -c "import json; d = json.load(open('$WORK/out')); assert d['enrolled'] and d['keys'] == [], d" ||
	fail "a card enrolled by pkcs15-init: $(cat out)"
expect 7 "$tool" init
run "$tool" keygen --alg p256 --id 4
run pkcs15-init --generate-key ec/secp256r1 --id 03 --key-usage sign --auth-id FF --pin 123456
run pkcs15-init --generate-key rsa/2048 --id 01 --key-usage decrypt,sign --auth-id FF --pin 123456
run pkcs15-tool --read-public-key 03 --output ec3.pem
run pkcs15-tool --read-public-key 01 --output rsa1.pem
# a certificate for a key OpenSSL cannot use: a request carrying the subject (signed by the CA's key), then
# -force_pubkey puts the card's public key in the certificate
openssl req -new -key ca.key -subj "/CN=Lê Văn Cường" -utf8 -out tmp.csr 2> /dev/null &&
	openssl x509 -req -in tmp.csr -force_pubkey rsa1.pem -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
		-out cert1.pem 2> x509.err || fail "issuing for OpenSC's key: $(cat x509.err)"
run pkcs15-init --store-certificate cert1.pem --id 01 --auth-id FF --pin 123456
run "$tool" info --json
python3 -c "
import json
d = json.load(open('$WORK/out'))
ids = sorted((k['id'], k['algorithm']) for k in d['keys'])
assert ids == [('01', 'rsa2048'), ('03', 'p256'), ('04', 'p256')], ids
assert [c['id'] for c in d['certificates']] == ['01'], d['certificates']
assert 'Lê Văn Cường' in d['certificates'][0]['subject'], d['certificates'][0]
" || fail "simpki-tool info on OpenSC's card: $(cat out)"
run "$tool" sign --id 3 doc.txt -o c.sig
openssl dgst -sha256 -verify ec3.pem -signature c.sig doc.txt > /dev/null || fail "simpki-tool's signature with OpenSC's key"
run "$tool" sign --id 1 --cms doc.txt -o d.p7s
openssl cms -verify -binary -inform DER -in d.p7s -content doc.txt -CAfile ca.pem -purpose any -out /dev/null \
	2> /dev/null || fail "CMS with OpenSC's RSA key and certificate"
run "$tool" cert export --id 1 -o back1.pem
cmp -s back1.pem cert1.pem || fail "simpki-tool exports another certificate than OpenSC stored"
run pkcs15-tool --dump
grep -q "ID *: 04" out || fail "OpenSC does not see the key simpki-tool added to its card"
grep -q "ID *: 03" out || fail "OpenSC lost its own key 03"

finish interop
