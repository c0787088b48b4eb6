#!/bin/sh
# The demonstration's second part: the service counter, with the SIM in a card reader (pcscd with the vpcd
# virtual reader, the card served by simpki-card). Run by tests/pcsc/with-reader.sh; the first argument is
# simpki-tool. Secrets come from the environment here; at a real counter they are typed without echo.
set -eu
tool=$1
cd "$WORK"
export SIMPKI_PUK=0123456789abcdef SIMPKI_NEW_PIN=123456 SIMPKI_PIN=123456
step=0
say() {
	step=$((step + 1))
	printf '\n-- counter %d. %s\n' "$step" "$*"
}
show() { # print the command, run it, indent its output
	printf '   $ %s\n' "$*" | sed "s|$tool|simpki-tool|"
	"$@" 2>&1 | sed 's/^/     /'
}

say "The card is in the reader"
show "$tool" readers
show "$tool" info

say "Enrol it: PUK and PIN, and the PKCS#15 structure OpenSC also reads"
show "$tool" init

say "Generate the official's signing key on the card (EC P-256, id 2)"
show "$tool" keygen --alg p256 --id 2

say "A certificate request, signed by the card, for the registration authority"
show "$tool" csr --id 2 --subject "/CN=Nguyễn Văn An/O=UBND tỉnh Hà Tĩnh/C=VN" -o request.pem
openssl req -in request.pem -verify -noout -subject -nameopt utf8,sep_comma_plus 2>&1 | sed 's/^/     /'

say "The CA issues the certificate (a test CA here), and it is loaded on the card"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
	-subj "/CN=simpki demo CA" 2> /dev/null
openssl x509 -req -in request.pem -CA ca.pem -CAkey ca.key -CAcreateserial -days 1825 -out cert.pem 2> /dev/null
show "$tool" cert load --id 2 cert.pem
show "$tool" info

say "A test signature: CMS, verified by OpenSSL against the CA"
printf 'QUYẾT ĐỊNH 275/QĐ-UBND\n' > decision.txt
show "$tool" sign --id 2 --cms decision.txt -o decision.p7s
printf '   $ openssl cms -verify ...\n'
openssl cms -verify -binary -inform DER -in decision.p7s -content decision.txt -CAfile ca.pem -purpose any \
	-out /dev/null 2>&1 | sed 's/^/     /'

say "The official forgot the PIN: three wrong tries block it"
for i in 1 2 3; do
	SIMPKI_PIN=000000 show "$tool" pin verify || true
done

say "Reset at the counter with the PUK, and a new PIN (654321)"
SIMPKI_NEW_PIN=654321 show "$tool" pin unblock
SIMPKI_PIN=654321 show "$tool" pin verify

say "OpenSC, a tool nobody here wrote, uses the same card"
printf '   $ pkcs15-tool --list-keys\n'
pkcs15-tool --list-keys 2>&1 | grep -E "Private|ID|Usage" | sed 's/^/     /'
