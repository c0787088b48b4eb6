#!/bin/sh
# A certificate for a key a SIM holds, end to end, through the real osmo-msc with simulated phones (run by
# in-netns.sh: its ports, pcscd's socket directory and /etc/hosts are private):
#   at the counter   two SIMs enrolled with simpki-tool through pcscd and vpcd (PUK, PIN, PKCS#15): a P-256 key
#                    with id 02 on one, an RSA-2048 key with id 02 on the other
#   the CA           'simpki-ca init' and the daemon as its configuration says; simpki-otad's 'ca' node with the RA
#                    certificate init made
#   over the air     a holder with a Vietnamese name in a ward of the organisation tree, linked to each card;
#                    POST /v1/cards/{iccid}/certificates {"key_id": 2, "profile": "signing"}: the SIM's PKCS#15
#                    objects read, the SIM builds and signs its own request, CMP to the CA, the certificate loaded
#                    in concatenated SMS and read back equal; GET /v1/enrolments/{id} says done, and
#                    GET /v1/cards/{iccid}/certificates lists it loaded
#   checks           openssl verify with the CA; the subject's CN is the holder's name intact, serialNumber the
#                    identity number, OU the ward, ST the province; the holder id is the permanentIdentifier; the
#                    CA's OCSP says good; a second request for the same key fails: the SIM refuses to sign a
#                    request for a key whose certificate it holds (6985)
#   back at the PC   the SIM in the reader again: simpki-tool and OpenSC (pkcs15-tool) read the same certificate,
#                    and the public key the card's key gives (a request the card builds, under the PIN) is the
#                    certificate's
# Usage: otad-enrol.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
tool=$build/pcsc-tools/simpki-tool
ca=$build/ota-server/ca/simpki-ca
for prog in pcscd pkcs15-tool opensc-tool openssl curl; do
	command -v $prog > /dev/null || { echo "otad-enrol: $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
otad_pid=""
ca_pid=""
pcscd_pid=""
serve_pid=""
trap 'for p in $serve_pid $otad_pid $ca_pid $pcscd_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
export SIMPKI_API_TOKEN=admin-token-for-the-enrol-test-0123456789
export SIMPKI_CA_PASSPHRASE=enrol-test-passphrase-0123
export SIMPKI_PUK=0123456789abcdef SIMPKI_NEW_PIN=123456 SIMPKI_PIN=123456
export OPENSC_CONF="$dir/opensc.conf"
printf 'app default {\n\tframework pkcs15 { use_file_caching = no; }\n}\n' > "$OPENSC_CONF"

# pcscd with a private socket directory (this mount namespace's own)
mkdir -p /run/pcscd
mount -t tmpfs -o mode=0755 tmpfs /run/pcscd || { fail "cannot mount /run/pcscd"; exit 1; }
pcscd --foreground > "$dir/pcscd.log" 2>&1 &
pcscd_pid=$!

# serve N: card N in the reader; unserve: out again
serve() {
	"$card" serve --state "$dir/cards/$1" 2>> "$dir/serve.log" &
	serve_pid=$!
	sh "$src/tests/pcsc/wait-card.sh" 20 || { fail "card $1 not in the reader"; return 1; }
}
unserve() {
	kill $serve_pid
	wait $serve_pid 2> /dev/null
	serve_pid=""
}

"$net" start "$dir/net" > /dev/null || { echo "FAIL: osmo-net start" >&2; exit 1; }
cards 2 || exit 1
iccid0=$(luhn 898401000000000000)
iccid1=$(luhn 898401000000000001)

# ---- at the counter: enrol, a key with id 02 on each
for n in 000 001; do
	alg=p256
	[ $n = 001 ] && alg=rsa2048
	serve $n || exit 1
	"$tool" init > "$dir/init-$n.out" 2>&1 || fail "simpki-tool init on card $n: $(cat "$dir/init-$n.out")"
	"$tool" keygen --alg $alg --id 2 --label "Khóa ký" > "$dir/keygen-$n.out" 2>&1 ||
		fail "simpki-tool keygen on card $n: $(cat "$dir/keygen-$n.out")"
	unserve
done

# ---- the CA, and simpki-otad as its RA
"$ca" init --dir "$dir/ca" --subject "/CN=simpki Test CA/O=Ban Cơ yếu Chính phủ/C=VN" > "$dir/ca-init.out" 2>&1 ||
	fail "simpki-ca init: $(cat "$dir/ca-init.out")"
mkdir -p "$dir/ca-run"
(cd "$dir/ca-run" && exec "$ca" -c "$dir/ca/simpki-ca.cfg") > "$dir/ca.log" 2>&1 &
ca_pid=$!
mkdir -p "$dir/otad"
sed "/^ api body-limit import/a\\
 ca\\
  cmp-url http://127.0.0.1:8490/pkix/\\
  ra-cert $dir/ca/ra.pem\\
  ra-key $dir/ca/ra.key\\
  trust-anchor $dir/ca/ca.pem\\
  subject-organisation Ban Cơ yếu Chính phủ" "$src/ota-server/simpki-otad.cfg.example" > "$dir/otad/simpki-otad.cfg"
start_otad "$dir/otad/simpki-otad.cfg" || exit 1
start_phones phone --cards "$dir/cards" || exit 1
vty "import cards $dir/cards.csv" > "$dir/import.out"
grep -q "imported 2 cards" "$dir/import.out" || fail "import: $(cat "$dir/import.out")"

# ---- over the air: a holder for each card, then a certificate for key 02
printf '{"id": "H-0001", "name": "Nguyễn Thị Minh Khai", "id_number": "079123456789", "unit": "10101003"}' > "$dir/h1.json"
printf '{"id": "H-0002", "name": "Trần Văn Ấn", "id_number": "001098765432", "unit": "01"}' > "$dir/h2.json"
printf '{"holder": "H-0001"}' > "$dir/link1.json"
printf '{"holder": "H-0002"}' > "$dir/link2.json"
printf '{"key_id": 2, "profile": "signing"}' > "$dir/enrol.json"
api POST /v1/holders "$dir/h1.json" | grep -q "^201 " || fail "holder H-0001 not made"
api POST /v1/holders "$dir/h2.json" | grep -q "^201 " || fail "holder H-0002 not made"
out=$(api POST "/v1/cards/$iccid0/certificates" "$dir/enrol.json")
case $out in "409 "*card_has_no_holder*) ;; *) fail "a card without a holder: $out" ;; esac
api PUT "/v1/cards/$iccid0/holder" "$dir/link1.json" | grep -q "^200 " || fail "card 0's holder"
api PUT "/v1/cards/$iccid1/holder" "$dir/link2.json" | grep -q "^200 " || fail "card 1's holder"
out=$(api POST "/v1/cards/$iccid0/certificates" "$dir/enrol.json" "read-only-token-that-does-not-exist-0123")
case $out in "401 "*) ;; *) fail "an unknown token: $out" ;; esac
e0=$(api POST "/v1/cards/$iccid0/certificates" "$dir/enrol.json" | sed -n 's/^202 .*"id": *\([0-9]*\).*/\1/p')
e1=$(api POST "/v1/cards/$iccid1/certificates" "$dir/enrol.json" | sed -n 's/^202 .*"id": *\([0-9]*\).*/\1/p')
[ -n "$e0" ] && [ -n "$e1" ] || fail "the enrolments were not accepted"
out=$(api POST "/v1/cards/$iccid0/certificates" "$dir/enrol.json")
case $out in "409 "*enrolment_running*) ;; *) fail "a second enrolment of the same key while one runs: $out" ;; esac

# wait_enrol ID SECONDS: until enrolment ID is over; its JSON in $dir/enrol-ID.json
wait_enrol() {
	we_t=0
	while :; do
		api GET "/v1/enrolments/$1" | sed 's/^200 //' > "$dir/enrol-$1.json"
		grep -q '"state": *"\(done\|failed\)"' "$dir/enrol-$1.json" && return 0
		[ $we_t -lt $(($2 * 2)) ] || { fail "enrolment $1 not over after $2 s: $(cat "$dir/enrol-$1.json")"; return 1; }
		sleep 0.5
		we_t=$((we_t + 1))
	done
}
for e in $e0 $e1; do
	wait_enrol $e 180 || continue
	grep -q '"state": *"done"' "$dir/enrol-$e.json" || fail "enrolment $e: $(cat "$dir/enrol-$e.json")"
	python3 -c 'import json, sys; sys.stdout.write(json.load(open(sys.argv[1]))["pem"])' "$dir/enrol-$e.json" \
		> "$dir/cert-$e.pem"
done

# ---- what the CA issued
i=0
for e in $e0 $e1; do
	c=$dir/cert-$e.pem
	openssl verify -CAfile "$dir/ca/ca.pem" "$c" > /dev/null 2>&1 || fail "certificate of enrolment $e does not verify"
	openssl x509 -in "$c" -noout -subject -nameopt utf8,sep_comma_plus,sname > "$dir/subject-$e.txt"
	openssl x509 -in "$c" -noout -text > "$dir/text-$e.txt"
	if [ $i = 0 ]; then
		for t in "CN=Nguyễn Thị Minh Khai" "serialNumber=079123456789" "OU=Phường Ba Đình" "ST=Hà Nội" \
			"O=Ban Cơ yếu Chính phủ" "C=VN"; do
			grep -q "$t" "$dir/subject-$e.txt" || fail "card 0's subject lacks $t: $(cat "$dir/subject-$e.txt")"
		done
		grep -q "ASN1 OID: prime256v1" "$dir/text-$e.txt" || fail "card 0's certificate is not for a P-256 key"
	else
		grep -q "CN=Trần Văn Ấn" "$dir/subject-$e.txt" || fail "card 1's subject: $(cat "$dir/subject-$e.txt")"
		grep -q "Public-Key: (2048 bit)" "$dir/text-$e.txt" || fail "card 1's certificate is not for an RSA-2048 key"
	fi
	grep -q "Digital Signature, Non Repudiation" "$dir/text-$e.txt" || fail "not the signing profile's key usage"
	openssl x509 -in "$c" -outform DER -out "$dir/cert-$e.der"
	grep -q "othername: Permanent Identifier" "$dir/text-$e.txt" && grep -aq "H-000$((i + 1))" "$dir/cert-$e.der" ||
		fail "certificate $e lacks the holder id H-000$((i + 1)) as permanentIdentifier"
	openssl ocsp -issuer "$dir/ca/ca.pem" -cert "$c" -url http://127.0.0.1:8491/ocsp -CAfile "$dir/ca/ca.pem" \
		> "$dir/ocsp-$e.txt" 2>&1
	grep -q ": good" "$dir/ocsp-$e.txt" || fail "OCSP for certificate $e: $(cat "$dir/ocsp-$e.txt")"
	i=$((i + 1))
done
api GET "/v1/cards/$iccid0/certificates" > "$dir/certs0.json"
grep -q '"status": *"loaded"' "$dir/certs0.json" || fail "card 0's certificates: $(cat "$dir/certs0.json")"

# ---- the SIM never signs a request for a key whose certificate it holds
e2=$(api POST "/v1/cards/$iccid0/certificates" "$dir/enrol.json" | sed -n 's/^202 .*"id": *\([0-9]*\).*/\1/p')
if [ -n "$e2" ] && wait_enrol "$e2" 120; then
	grep -q '"state": *"failed"' "$dir/enrol-$e2.json" && grep -q "6985" "$dir/enrol-$e2.json" ||
		fail "a second request for a certified key: $(cat "$dir/enrol-$e2.json")"
fi
vty "show card $iccid0 enrolments" > "$dir/vty-enrol.out"
grep -q "enrolment $e0 card $iccid0 key 02 profile signing holder H-0001 state done" "$dir/vty-enrol.out" ||
	fail "show card enrolments: $(cat "$dir/vty-enrol.out")"
stop_phones

# ---- back at the PC: simpki-tool and OpenSC read the certificate the SIM holds; the card's key is the certificate's
i=0
for e in $e0 $e1; do
	serve 00$i || exit 1
	"$tool" cert export --id 2 -o "$dir/export-$e.pem" > /dev/null 2>&1 || fail "simpki-tool cert export on card $i"
	openssl x509 -in "$dir/export-$e.pem" -outform DER -out "$dir/export-$e.der" 2> /dev/null
	cmp -s "$dir/export-$e.der" "$dir/cert-$e.der" || fail "simpki-tool reads another certificate from card $i"
	pkcs15-tool --read-certificate 02 -o "$dir/opensc-$e.pem" > "$dir/opensc-$e.out" 2>&1 ||
		fail "pkcs15-tool --read-certificate 02 on card $i: $(cat "$dir/opensc-$e.out")"
	openssl x509 -in "$dir/opensc-$e.pem" -outform DER -out "$dir/opensc-$e.der" 2> /dev/null
	cmp -s "$dir/opensc-$e.der" "$dir/cert-$e.der" || fail "OpenSC reads another certificate from card $i"
	"$tool" csr --on-card --id 2 --subject "/CN=check" -o "$dir/check-$e.csr" > /dev/null 2>&1 ||
		fail "simpki-tool csr --on-card on card $i"
	openssl req -in "$dir/check-$e.csr" -noout -pubkey > "$dir/card-pub-$e.pem" 2> /dev/null
	openssl x509 -in "$dir/cert-$e.pem" -noout -pubkey > "$dir/cert-pub-$e.pem"
	cmp -s "$dir/card-pub-$e.pem" "$dir/cert-pub-$e.pem" || fail "card $i's key is not the certificate's"
	unserve
	i=$((i + 1))
done
[ $failures -eq 0 ] || { tail -n 30 "$dir/otad.log" >&2; tail -n 10 "$dir/ca.log" >&2; }
exit $((failures != 0))
