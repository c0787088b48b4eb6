#!/bin/sh
# OpenSC (Debian 12's, unchanged) drives the simulated card through pcscd: it recognises the IsoApplet card,
# personalises it with its isoApplet profile, generates RSA-2048 and P-256 keys, stores a certificate made by a
# test CA for the card's key, signs with SHA256-RSA-PKCS and ECDSA-SHA1 (checked with OpenSSL and the public keys
# read from the card), deciphers, changes the PIN, gets blocked after three wrong PINs and is unblocked with the
# PUK. pcsc_scan sees the card. Run by with-reader.sh.
set -u
. "$(dirname "$0")/lib.sh"
step() { printf '== %s\n' "$*"; }
cd "$WORK" || exit 1

step "pcsc_scan sees the card"
pcsc_scan -n -t 2 > scan.txt 2>&1
grep -q "3B 80 80 01 01" scan.txt || fail "pcsc_scan: $(cat scan.txt)"

step "opensc-tool names it an IsoApplet card"
run opensc-tool -n
grep -q "IsoApplet" out || fail "opensc-tool -n said: $(cat out)"

step "pkcs15-init --create-pkcs15 (PUK, then PIN)"
run pkcs15-init --create-pkcs15 --so-pin 123456 --so-puk 0123456789abcdef

step "key generation: RSA-2048 (id 01) and P-256 (id 03)"
run pkcs15-init --generate-key rsa/2048 --id 01 --key-usage decrypt,sign --auth-id FF --pin 123456
run pkcs15-init --generate-key ec/secp256r1 --id 03 --key-usage sign --auth-id FF --pin 123456
run pkcs15-tool --read-public-key 01 --output rsa.pem
run pkcs15-tool --read-public-key 03 --output ec.pem
openssl pkey -pubin -in rsa.pem -noout -text 2> /dev/null | grep -q "Public-Key: (2048 bit)" || fail "RSA public key"
openssl pkey -pubin -in ec.pem -noout -text 2> /dev/null | grep -q "prime256v1" || fail "EC public key"

step "a certificate from a test CA for the card's RSA key, stored and read back"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
	-subj "/CN=simpki test CA" 2> /dev/null || fail "test CA"
openssl req -new -key ca.key -subj "/CN=Nguyễn Văn An/O=Ủy ban nhân dân tỉnh Hà Tĩnh" -utf8 -out tmp.csr 2> /dev/null &&
	openssl x509 -req -in tmp.csr -force_pubkey rsa.pem -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
		-out cert.pem 2> /dev/null || fail "issuing the certificate"
run pkcs15-init --store-certificate cert.pem --id 01 --auth-id FF --pin 123456
run pkcs15-tool --read-certificate 01 --output back.pem
cmp -s back.pem cert.pem || [ "$(openssl x509 -in back.pem -outform DER | sha256sum)" = \
	"$(openssl x509 -in cert.pem -outform DER | sha256sum)" ] || fail "the certificate read back differs"
openssl verify -CAfile ca.pem back.pem > /dev/null 2>&1 || fail "the stored certificate does not verify"

step "pkcs11-tool signs; OpenSSL verifies with the card's public keys"
head -c 300 /dev/urandom > data.bin
run pkcs11-tool --login --pin 123456 --sign --mechanism SHA256-RSA-PKCS --id 01 --input-file data.bin \
	--output-file rsa.sig
openssl dgst -sha256 -verify rsa.pem -signature rsa.sig data.bin > /dev/null || fail "RSA signature"
run pkcs11-tool --login --pin 123456 --sign --mechanism ECDSA-SHA1 --id 03 --input-file data.bin \
	--output-file ec.sig --signature-format openssl
openssl dgst -sha1 -verify ec.pem -signature ec.sig data.bin > /dev/null || fail "ECDSA signature"

step "decipher with the RSA key"
printf 'Sinh trắc học' > plain.txt
openssl pkeyutl -encrypt -pubin -inkey rsa.pem -in plain.txt -out cipher.bin || fail "encrypt"
run pkcs11-tool --login --pin 123456 --decrypt --mechanism RSA-PKCS --id 01 --input-file cipher.bin \
	--output-file decrypted.txt
cmp -s plain.txt decrypted.txt || fail "decipher gave $(od -An -tx1 decrypted.txt | head -2)"

step "PIN change"
run pkcs15-tool --change-pin --pin 123456 --new-pin 654321
run pkcs11-tool --login --pin 654321 --list-objects
pkcs11-tool --login --pin 123456 --list-objects > out 2>&1 && fail "the old PIN still works"

step "three wrong PINs block it; then even the right PIN is refused"
for i in 1 2 3; do
	pkcs11-tool --login --pin 000000 --list-objects > out 2>&1 && fail "a wrong PIN was accepted"
done
pkcs11-tool --login --pin 654321 --list-objects > out 2>&1 && fail "a blocked PIN was accepted"

step "unblock with the PUK, new PIN 123456; signing works again"
run pkcs15-tool --unblock-pin --puk 0123456789abcdef --new-pin 123456
run pkcs11-tool --login --pin 123456 --sign --mechanism ECDSA-SHA1 --id 03 --input-file data.bin \
	--output-file ec2.sig --signature-format openssl
openssl dgst -sha1 -verify ec.pem -signature ec2.sig data.bin > /dev/null || fail "ECDSA signature after unblock"

step "PKCS#11 unblock (C_SetPIN with the PUK in a session not logged in)"
for i in 1 2 3; do pkcs11-tool --login --pin 000000 --list-objects > /dev/null 2>&1; done
run pkcs11-tool --unlock-pin --puk 0123456789abcdef --new-pin 246810
run pkcs11-tool --login --pin 246810 --list-objects

finish opensc
