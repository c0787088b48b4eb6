#!/bin/sh
# The demonstration's second part: the service counter, with the SIM in a card reader (pcscd with the vpcd
# virtual reader, the card served by simpki-card). Run by tests/pcsc/with-reader.sh (a private network namespace:
# simpki-ca's ports are its own); the arguments are simpki-tool and simpki-ca. Secrets come from the environment
# here; at a real counter they are typed without echo.
set -eu
tool=$1
ca=$2
cd "$WORK"
export SIMPKI_PUK=0123456789abcdef SIMPKI_NEW_PIN=123456 SIMPKI_PIN=123456
export SIMPKI_CA_PASSPHRASE=demo-ca-passphrase-change-me
ca_pid=""
trap '[ -z "$ca_pid" ] || kill $ca_pid 2> /dev/null' EXIT
step=0
say() {
	step=$((step + 1))
	printf '\n-- counter %d. %s\n' "$step" "$*"
}
show() { # print the command, run it, indent its output
	printf '   $ %s\n' "$*" | sed "s|$tool|simpki-tool|; s|$ca|simpki-ca|"
	"$@" 2>&1 | sed 's/^/     /'
}

say "The card is in the reader"
show "$tool" readers
show "$tool" info

say "Enrol it: PUK and PIN, and the PKCS#15 structure OpenSC also reads"
show "$tool" init

say "Generate the official's signing key on the card (EC P-256, id 2)"
show "$tool" keygen --alg p256 --id 2

say "A certificate request, built and signed by the card itself, for the registration authority"
show "$tool" csr --id 2 --subject "/CN=Nguyễn Văn An/serialNumber=VN-042198001234/O=UBND tỉnh Hà Tĩnh/C=VN" \
	-o request.pem
openssl req -in request.pem -verify -noout -subject -nameopt utf8,sep_comma_plus 2>&1 | sed 's/^/     /'

say "The programme's CA, simpki-ca: its key (encrypted), its certificate, the RA's certificate"
show "$ca" init --dir ca --subject "/CN=simpki demo CA/O=Ban Cơ yếu Chính phủ/C=VN"
(cd ca && exec "$ca" -c simpki-ca.cfg) > ca.log 2>&1 &
ca_pid=$!
n=0
until curl -s -f -o /dev/null http://127.0.0.1:8491/ca.crt; do
	n=$((n + 1))
	[ $n -lt 100 ] || { echo "simpki-ca did not start: $(tail -n 3 ca.log)" >&2; exit 1; }
	sleep 0.1
done

say "The RA sends the card's request over CMP (openssl cmp, signed with the RA's key); the CA issues"
printf '   $ openssl cmp -server 127.0.0.1:8490 -path pkix/ -cmd p10cr -csr request.pem -cert ca/ra.pem ...\n'
openssl cmp -server 127.0.0.1:8490 -path pkix/ -trusted ca/ca.pem -cmd p10cr -csr request.pem -cert ca/ra.pem \
	-key ca/ra.key -certout cert.pem 2>&1 | grep -v "CMP info" | sed 's/^/     /'
openssl x509 -in cert.pem -noout -subject -serial -ext keyUsage,crlDistributionPoints -nameopt utf8,sep_comma_plus |
	sed 's/^/     /'
show "$tool" cert load --id 2 cert.pem
show "$tool" info

say "Any relying party checks it: OCSP at the CA says good"
printf '   $ openssl ocsp -issuer ca/ca.pem -cert cert.pem -url http://127.0.0.1:8491/ocsp ...\n'
openssl ocsp -issuer ca/ca.pem -cert cert.pem -url http://127.0.0.1:8491/ocsp -CAfile ca/ca.pem 2>&1 |
	sed 's/^/     /'

say "A test signature: CMS, verified by OpenSSL against the CA"
printf 'QUYẾT ĐỊNH 275/QĐ-UBND\n' > decision.txt
show "$tool" sign --id 2 --cms decision.txt -o decision.p7s
printf '   $ openssl cms -verify ...\n'
openssl cms -verify -binary -inform DER -in decision.p7s -content decision.txt -CAfile ca/ca.pem -purpose any \
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
