#!/bin/sh
# Provisioning campaigns through the real osmo-msc with simulated phones (run by in-netns.sh: its ports are private).
# SIMs as a vendor ships them: the PKI applet with a transport PIN and PUK, no PKCS#15 structure. simpki-ca and
# simpki-otad (its RA) as in otad-enrol; a holder in the organisation tree for each card.
#
#   main      a campaign of 20 SIMs, personalise, a P-256 signing key each, concurrency 8:
#             two phones are off at the start (they get their keys when they attach); one SIM's NVM is too small
#             (it ends failed with the reason while the others finish); simpki-otad is killed with SIGKILL twice
#             (once with cards in keygen, once with cards loading) and started again; the CA is stopped while
#             cards wait for it and started again (they wait with back-off and finish).
#             Then: 19 active, 1 failed; each certificate verifies with the CA, OCSP good, its key is the SIM's
#             (the SIM builds a request with it under the transport PIN); each SIM generated exactly one key
#             (its card OS counts them) and the CA issued exactly one certificate per key.
#   keys      3 SIMs chosen by their holders' ward, two keys each (P-256 signing, RSA-2048 authentication): six
#             certificates, two keys generated on each SIM; the same campaign again skips them all, and fails a SIM
#             whose certificate was revoked since (a renewal, not a provisioning step); at a PC/SC
#             reader OpenSC reads both certificates from a SIM, simpki-tool signs with the transport PIN and the
#             signature verifies with the certificate.
#   control   10 SIMs (the vendor file's import), concurrency 2: pause (nothing moves), resume, cancel (every card ends active or cancelled,
#             with the step it stopped at; pause, resume and cancel of an ended campaign answer 409); a second
#             campaign over two cards that are active already skips them.
#   timing    2 SIMs that take as long as real ones (simpki-phone --real-timing), an RSA-2048 key each with the keygen
#             step's time-out (4 s) shorter than the SIM's ~9 s: the outcome unknown is resolved by reading the
#             SIM's PrKDF; each SIM generated one key, the CA issued one certificate each.
# Usage: otad-campaign.sh BUILD_DIR SOURCE_DIR main|control|keys|timing
set -u
build=$1
src=$2
mode=$3
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
ca=$build/ota-server/ca/simpki-ca
tool=$build/pcsc-tools/simpki-tool
pcscd_pid=""
serve_pid=""
for prog in openssl curl; do
	command -v $prog > /dev/null || { echo "otad-campaign: $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
otad_pid=""
ca_pid=""
trap 'for p in $otad_pid $ca_pid $serve_pid $pcscd_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
export SIMPKI_API_TOKEN=admin-token-for-the-campaign-test-0123456789
export SIMPKI_CA_PASSPHRASE=campaign-test-passphrase-0123
export SIMPKI_TRANSPORT_PIN=3141 SIMPKI_PUK=2718281828459045

case $mode in
main) n=20 ;;
control) n=10 ;;
timing) n=2 ;;
*) n=3 ;;
esac
# timing: the SIMs take as long as real ones (simpki-phone --real-timing: an RSA-2048 key ~9 s), and the keygen
# step's time-out is shorter than that
keygen_timeout=120
phone_timing=""
if [ "$mode" = timing ]; then
	keygen_timeout=4
	phone_timing=--real-timing
fi
"$net" start "$dir/net" > /dev/null || { echo "FAIL: osmo-net start" >&2; exit 1; }
cards $n --transport-pin "$SIMPKI_TRANSPORT_PIN" --puk "$SIMPKI_PUK" || exit 1
last=$(printf %03d $((n - 1)))
if [ "$mode" = main ]; then
	# the last SIM's applet has room for its PIN and PUK only (docs/card.md, "A SIM too full for a key")
	printf 'applet pki aid F276A288BCFBA69D34F31001 ram 1024 nvm 700 tar 504B49\nrfm tar B00010\n' > "$dir/small.manifest"
	"$card" create --force --state "$dir/cards/$last" --iccid "$(luhn 898401000000000$last)" \
		--imsi 0010100000000$((n - 1)) --msisdn 2$last --ota-key "1:aes:$KIC:$KID" --manifest "$dir/small.manifest" \
		--transport-pin "$SIMPKI_TRANSPORT_PIN" --puk "$SIMPKI_PUK" > "$dir/small.out" 2>&1 ||
		{ fail "the small SIM: $(cat "$dir/small.out")"; exit 1; }
fi

# ---- the CA, and simpki-otad as its RA; short waits for a test
"$ca" init --dir "$dir/ca" --subject "/CN=simpki Test CA/O=Ban Cơ yếu Chính phủ/C=VN" > "$dir/ca-init.out" 2>&1 ||
	fail "simpki-ca init: $(cat "$dir/ca-init.out")"
start_ca() {
	mkdir -p "$dir/ca-run"
	(cd "$dir/ca-run" && exec "$ca" -c "$dir/ca/simpki-ca.cfg") >> "$dir/ca.log" 2>&1 &
	ca_pid=$!
	sc_t=0
	until python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8490), timeout=1)' 2> /dev/null; do
		[ $sc_t -lt 100 ] || { fail "simpki-ca does not listen: $(tail -n 5 "$dir/ca.log")"; return 1; }
		sleep 0.1
		sc_t=$((sc_t + 1))
	done
}
start_ca || exit 1
mkdir -p "$dir/otad"
sed "/^ api body-limit import/a\\
 ca\\
  cmp-url http://127.0.0.1:8490/pkix/\\
  ra-cert $dir/ca/ra.pem\\
  ra-key $dir/ca/ra.key\\
  trust-anchor $dir/ca/ca.pem\\
  retry min-seconds 1 max-seconds 2\\
  timeout 3\\
  subject-organisation Ban Cơ yếu Chính phủ
/^  enrolment retries/a\\
  backoff min-seconds 2 max-seconds 6\\
  retries 20\\
  timeout check 30\\
  timeout keygen-rsa2048 $keygen_timeout\\
  enrolment retries 20 backoff min-seconds 2 max-seconds 4" "$src/ota-server/simpki-otad.cfg.example" > "$dir/otad/simpki-otad.cfg"
grep -q "^  enrolment retries 20" "$dir/otad/simpki-otad.cfg" || { fail "the test's campaign settings are not in the configuration"; exit 1; }
start_otad "$dir/otad/simpki-otad.cfg" || exit 1

# phones: in the main run, two are off for the first 25 s
: > "$dir/scenario"
if [ "$mode" = main ]; then
	printf 'phone 001010000000003 off 0 25\nphone 001010000000004 off 0 25\n' > "$dir/scenario"
fi
start_phones phone --cards "$dir/cards" --scenario "$dir/scenario" $phone_timing || exit 1
vty "import cards $dir/cards.csv" > "$dir/import.out"
grep -q "imported $n cards" "$dir/import.out" || fail "import: $(cat "$dir/import.out")"

# holders (Vietnamese names) in a ward, one per card
holders_for_cards $n "Nguyễn Thị Số"

# campaign_json ID: the campaign's JSON in $dir/camp-ID.json
campaign_json() {
	api GET "/v1/campaigns/$1" | sed 's/^200 //' > "$dir/camp-$1.json"
}
# wait_campaign ID PYTHON_CONDITION SECONDS: until the condition holds on the campaign's JSON j (c: its counts)
wait_campaign() {
	wc_t=0
	while :; do
		campaign_json "$1"
		python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); c = j["counts"]; sys.exit(0 if eval(sys.argv[2]) else 1)' \
			"$dir/camp-$1.json" "$2" 2> /dev/null && return 0
		[ $wc_t -lt $(($3 * 5)) ] || { fail "campaign $1: no '$2' after $3 s: $(cat "$dir/camp-$1.json")"; return 1; }
		sleep 0.2
		wc_t=$((wc_t + 1))
	done
}
# restart_otad: SIGKILL, then start it again on the same database
restart_otad() {
	kill -KILL $otad_pid
	wait $otad_pid 2> /dev/null
	echo "---- SIGKILL, started again" >> "$dir/otad.log"
	start_otad "$dir/otad/simpki-otad.cfg"
}
p256_signing='[{"id": 2, "alg": "p256", "profile": "signing"}]'
start_campaign() { # NAME CONCURRENCY SELECT [KEYS]: the new campaign's id (SELECT: the "select" member's value)
	sc_keys=${4:-$p256_signing}
	printf '{"name": "%s", "select": %s, "keys": %s, "personalise": true, "concurrency": %s}' "$1" "$3" \
		"$sc_keys" "$2" > "$dir/campaign.json"
	api POST /v1/campaigns "$dir/campaign.json" > "$dir/campaign.out"
	sed -n 's/^201 {"id": *\([0-9]*\).*/\1/p' "$dir/campaign.out"
}

if [ "$mode" = main ]; then
	c=$(start_campaign "Đợt 1: Sở Khoa học" 8 "{\"iccids\": [$iccids]}")
	[ -n "$c" ] || { fail "campaign not started: $(cat "$dir/campaign.out")"; exit 1; }
	# killed while cards generate keys
	wait_campaign $c 'c["keygen"] > 0' 120 && restart_otad
	# the CA away while cards wait for it
	if wait_campaign $c 'c["cmp"] > 0 or c["load"] > 0' 120; then
		kill $ca_pid
		wait $ca_pid 2> /dev/null
		ca_pid=""
		wait_campaign $c 'c["cmp"] >= 2' 120
		# the RA tries for a while (retry min-seconds 1 max-seconds 2, timeout 3), then the enrolment waits
		wait_for "$dir/otad.log" "the CA could not be reached" 90
		start_ca
	fi
	# killed while cards load their certificates
	wait_campaign $c 'c["load"] > 0 or c["verify"] > 0' 120 && restart_otad
	wait_campaign $c 'j["state"] == "done"' 300
	python3 - "$dir/camp-$c.json" > "$dir/counts.out" <<'PY' || fail "campaign counts: $(cat "$dir/counts.out")"
import json, sys
j = json.load(open(sys.argv[1]))
c = j["counts"]
print(c)
sys.exit(0 if c["active"] == 19 and c["failed"] == 1 and j["done"] == 20 and j["eta_seconds"] == 0 else 1)
PY
	api GET "/v1/campaigns/$c/cards?state=failed" > "$dir/failed.json"
	grep -q "$(luhn 898401000000000$last)" "$dir/failed.json" && grep -q "6A84" "$dir/failed.json" ||
		fail "the full SIM's failure: $(cat "$dir/failed.json")"
	grep -q '"step": *"personalise"' "$dir/failed.json" || fail "the full SIM's step: $(cat "$dir/failed.json")"
	vty "show campaign $c" > "$dir/vty-campaign.out"
	grep -q "campaign $c 'Đợt 1: Sở Khoa học' done: 20 of 20 cards done, active 19, failed 1" "$dir/vty-campaign.out" ||
		fail "show campaign: $(cat "$dir/vty-campaign.out")"

	# every certificate: the CA's, OCSP good
	i=0
	while [ $i -lt $((n - 1)) ]; do
		k=$(printf %03d $i)
		iccid=$(luhn 898401000000000$k)
		api GET "/v1/cards/$iccid/certificates" | sed 's/^200 //' > "$dir/certs-$k.json"
		python3 -c 'import json, sys; it = json.load(open(sys.argv[1]))["items"]; assert len(it) == 1, it; sys.stdout.write(it[0]["pem"])' \
			"$dir/certs-$k.json" > "$dir/cert-$k.pem" 2> "$dir/certs-$k.err" ||
			{ fail "card $k's certificates: $(cat "$dir/certs-$k.json")"; i=$((i + 1)); continue; }
		openssl verify -CAfile "$dir/ca/ca.pem" "$dir/cert-$k.pem" > /dev/null 2>&1 || fail "card $k's certificate does not verify"
		openssl ocsp -issuer "$dir/ca/ca.pem" -cert "$dir/cert-$k.pem" -url http://127.0.0.1:8491/ocsp \
			-CAfile "$dir/ca/ca.pem" > "$dir/ocsp-$k.txt" 2>&1
		grep -q ": good" "$dir/ocsp-$k.txt" || fail "OCSP for card $k: $(cat "$dir/ocsp-$k.txt")"
		i=$((i + 1))
	done
	# the CA issued exactly one certificate per key, one per card
	# (the certificates without an ICCID are the RA's and the OCSP signer's, from simpki-ca init)
	sqlite3 "$dir/ca/ca.db" "SELECT COUNT(*), COUNT(DISTINCT pubkey_sha256), COUNT(DISTINCT iccid) FROM certs WHERE iccid IS NOT NULL" \
		> "$dir/ca-count.out" 2>&1
	grep -qx "19|19|19" "$dir/ca-count.out" || fail "the CA's store: $(cat "$dir/ca-count.out") (certificates, keys, cards)"
	stop_phones

	# on the SIMs: one key generated each; the key is the certificate's
	subject=3010310e300c06035504030c05636865636b # CN=check
	i=0
	while [ $i -lt $((n - 1)) ]; do
		k=$(printf %03d $i)
		"$card" info --state "$dir/cards/$k" > "$dir/info-$k.out" 2>&1
		grep -q "key generations: 1$" "$dir/info-$k.out" || fail "SIM $k: $(grep "key generations" "$dir/info-$k.out")"
		printf '00A4040C0CF276A288BCFBA69D34F31001\n0020000104%s\n004C0000000012%s0000\n' \
			"$(printf %s "$SIMPKI_TRANSPORT_PIN" | od -An -tx1 | tr -d ' \n')" "$subject" |
			"$card" apdu --state "$dir/cards/$k" - > "$dir/apdu-$k.out" 2>&1
		tail -n 1 "$dir/apdu-$k.out" | python3 -c 'import sys, binascii; p = sys.stdin.read().split(); assert p[-1] == "9000" and len(p) == 2, p; sys.stdout.buffer.write(binascii.unhexlify(p[0]))' \
			> "$dir/req-$k.der" 2> /dev/null &&
			openssl req -inform DER -in "$dir/req-$k.der" -noout -pubkey > "$dir/sim-pub-$k.pem" 2> /dev/null &&
			openssl x509 -in "$dir/cert-$k.pem" -noout -pubkey > "$dir/cert-pub-$k.pem" &&
			cmp -s "$dir/sim-pub-$k.pem" "$dir/cert-pub-$k.pem" ||
			fail "SIM $k's key is not its certificate's: $(tail -n 2 "$dir/apdu-$k.out")"
		i=$((i + 1))
	done
	"$card" info --state "$dir/cards/$last" | grep -q "key generations: 0$" || fail "the full SIM generated a key"
elif [ "$mode" = control ]; then
	c=$(start_campaign "control" 2 '{"import": 1}')
	[ -n "$c" ] || { fail "campaign not started: $(cat "$dir/campaign.out")"; exit 1; }
	api POST "/v1/campaigns/$c/pause" > "$dir/pause.out"
	grep -q '^200 .*"state": *"paused"' "$dir/pause.out" || fail "pause: $(cat "$dir/pause.out")"
	# the cards in a step finish it and stop; then nothing moves (two looks 4 s apart agree; a loaded machine may
	# take a while to get there)
	tries=0
	while :; do
		campaign_json $c
		cp "$dir/camp-$c.json" "$dir/paused-1.json"
		sleep 4
		campaign_json $c
		python3 - "$dir/paused-1.json" "$dir/camp-$c.json" <<'PY' && break
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
sys.exit(0 if a["counts"] == b["counts"] and b["state"] == "paused" and b["counts"]["waiting"] >= 8 and b["done"] == 0 else 1)
PY
		tries=$((tries + 1))
		[ $tries -lt 10 ] || { fail "cards moved while paused: $(cat "$dir/paused-1.json") then $(cat "$dir/camp-$c.json")"; break; }
	done
	api POST "/v1/campaigns/$c/resume" | grep -q '^200 .*"state": *"running"' || fail "resume"
	wait_campaign $c 'c["active"] >= 4' 180
	api POST "/v1/campaigns/$c/cancel" > "$dir/cancel.out"
	grep -q '^200 .*"state": *"cancelled"' "$dir/cancel.out" || fail "cancel: $(cat "$dir/cancel.out")"
	# every card ends: active (its enrolment was under way) or cancelled; none stays in a step
	wait_campaign $c 'c["active"] + c["cancelled"] == 10 and j["ended"] is not None' 180
	api GET "/v1/campaigns/$c/cards?state=cancelled" > "$dir/cancelled.json"
	python3 - "$dir/cancelled.json" <<'PY' || fail "cancelled cards: $(cat "$dir/cancelled.json")"
import json, sys
it = json.loads(open(sys.argv[1]).read().split(" ", 1)[1])["items"]
# the cards never started say so; the others name the step they stopped before
sys.exit(0 if it and all(c["state"] == "cancelled" for c in it) and any(c["step"] == "waiting" for c in it) and
         all(c["step"] in ("waiting", "check", "personalise", "keygen", "enrol") for c in it) else 1)
PY
	for act in pause resume cancel; do
		api POST "/v1/campaigns/$c/$act" | grep -q '^409 .*campaign_over' || fail "$act of a cancelled campaign"
	done
	api GET "/v1/campaigns/99" | grep -q '^404 .*campaign_not_found' || fail "an unknown campaign"
	printf '{"name": "x", "select": {"iccids": ["8984010000000000999"]}}' > "$dir/bad.json"
	api POST /v1/campaigns "$dir/bad.json" | grep -q '^404 .*card_not_found' || fail "a campaign of an unknown card"
	printf '{"name": "x", "select": {"unit": "10101003"}, "keys": [{"id": 2, "alg": "ed25519", "profile": "signing"}]}' > "$dir/bad.json"
	api POST /v1/campaigns "$dir/bad.json" | grep -q '^400 .*keys\[0\]' || fail "a campaign with a bad key"
	# the cards active already are skipped by a second campaign
	active=$(api GET "/v1/campaigns/$c/cards?state=active&limit=2" | sed 's/^200 //' |
		python3 -c 'import json, sys; print(", ".join("\"%s\"" % x["iccid"] for x in json.load(sys.stdin)["items"]))')
	c2=$(start_campaign "again" 2 "{\"iccids\": [$active]}")
	[ -n "$c2" ] && wait_campaign $c2 'j["state"] == "done" and c["skipped"] == 2' 120
	vty "show campaign $c" | grep -q "campaign $c 'control' cancelled" || fail "show campaign"
elif [ "$mode" = timing ]; then
	# the keygen job times out (4 s) while the SIM still generates its RSA-2048 key (~9 s): its outcome is unknown,
	# and the check that follows finds the key in the PrKDF: it is enrolled, never generated again
	c=$(start_campaign "real timing" 2 "{\"iccids\": [$iccids]}" '[{"id": 3, "alg": "rsa2048", "profile": "authentication"}]')
	[ -n "$c" ] || { fail "campaign not started: $(cat "$dir/campaign.out")"; exit 1; }
	wait_campaign $c 'j["state"] == "done"' 300 &&
		[ "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["counts"]["active"])' "$dir/camp-$c.json")" = 2 ] ||
		fail "campaign $c: $(cat "$dir/camp-$c.json")"
	grep -q "the keygen job's outcome is unknown: reading what the SIM has" "$dir/otad.log" ||
		fail "no keygen timed out: the SIMs were not slow enough for the test"
	sqlite3 "$dir/ca/ca.db" "SELECT COUNT(*), COUNT(DISTINCT pubkey_sha256) FROM certs WHERE iccid IS NOT NULL" > "$dir/ca-count.out"
	grep -qx "2|2" "$dir/ca-count.out" || fail "the CA's store: $(cat "$dir/ca-count.out")"
	stop_phones
	for k in 000 001; do
		"$card" info --state "$dir/cards/$k" | grep -q "key generations: 1$" || fail "SIM $k generated its key more than once"
	done
else
	# two keys a SIM, P-256 for signing and RSA-2048 for authentication, the SIMs chosen by their holders' ward
	keys='[{"id": 2, "alg": "p256", "profile": "signing"}, {"id": 3, "alg": "rsa2048", "profile": "authentication"}]'
	c=$(start_campaign "hai khóa" 3 '{"unit": "10101003"}' "$keys")
	[ -n "$c" ] || { fail "campaign not started: $(cat "$dir/campaign.out")"; exit 1; }
	wait_campaign $c 'j["state"] == "done"' 300 && [ "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["counts"]["active"])' "$dir/camp-$c.json")" = 3 ] ||
		fail "campaign $c: $(cat "$dir/camp-$c.json")"
	i=0
	while [ $i -lt $n ]; do
		k=$(printf %03d $i)
		iccid=$(luhn 898401000000000$k)
		api GET "/v1/cards/$iccid/certificates" | sed 's/^200 //' > "$dir/certs-$k.json"
		python3 - "$dir/certs-$k.json" "$dir/cert-$k" <<'PY' || fail "card $k's certificates: $(cat "$dir/certs-$k.json")"
import json, sys
it = json.load(open(sys.argv[1]))["items"]
assert sorted((c["key_id"], c["profile"], c["status"]) for c in it) == [("2", "signing", "loaded"), ("3", "authentication", "loaded")], it
for c in it:
    open("%s-%s.pem" % (sys.argv[2], c["key_id"]), "w").write(c["pem"])
PY
		openssl x509 -in "$dir/cert-$k-2.pem" -noout -text 2> /dev/null | grep -q "ASN1 OID: prime256v1" ||
			fail "card $k's key 2 is not P-256"
		openssl x509 -in "$dir/cert-$k-3.pem" -noout -text 2> /dev/null | grep -q "Public-Key: (2048 bit)" ||
			fail "card $k's key 3 is not RSA-2048"
		for key in 2 3; do
			openssl verify -CAfile "$dir/ca/ca.pem" "$dir/cert-$k-$key.pem" > /dev/null 2>&1 ||
				fail "card $k's certificate for key $key does not verify"
		done
		i=$((i + 1))
	done
	sqlite3 "$dir/ca/ca.db" "SELECT COUNT(*), COUNT(DISTINCT pubkey_sha256) FROM certs WHERE iccid IS NOT NULL" > "$dir/ca-count.out"
	grep -qx "6|6" "$dir/ca-count.out" || fail "the CA's store: $(cat "$dir/ca-count.out")"
	# the same campaign again: every SIM holds both certificates already
	c2=$(start_campaign "again" 3 '{"unit": "10101003"}' "$keys")
	[ -n "$c2" ] && wait_campaign $c2 'j["state"] == "done" and c["skipped"] == 3' 120
	# a SIM whose certificate for key 2 is revoked: a campaign does not renew it, it says so
	iccid2=$(luhn 898401000000000002)
	cid=$(python3 -c 'import json, sys; print([c["id"] for c in json.load(open(sys.argv[1]))["items"] if c["key_id"] == "2"][0])' "$dir/certs-002.json")
	vty "card $iccid2 certificate $cid revoke 5" > "$dir/revoke.out"
	t=0
	until api GET "/v1/cards/$iccid2/certificates" | grep -q '"status": *"revoked"'; do
		[ $t -lt 100 ] || { fail "certificate $cid not revoked: $(cat "$dir/revoke.out")"; break; }
		sleep 0.1
		t=$((t + 1))
	done
	c3=$(start_campaign "revoked" 1 "{\"iccids\": [\"$iccid2\"]}")
	if [ -n "$c3" ] && wait_campaign $c3 'j["state"] == "done" and c["failed"] == 1' 120; then
		api GET "/v1/campaigns/$c3/cards" | grep -q "expired or revoked: renew it" ||
			fail "the revoked certificate's card: $(api GET "/v1/campaigns/$c3/cards")"
	fi
	stop_phones
	i=0
	while [ $i -lt $n ]; do
		"$card" info --state "$dir/cards/$(printf %03d $i)" | grep -q "key generations: 2$" || fail "SIM $i did not generate exactly two keys"
		i=$((i + 1))
	done
	# at a counter: a SIM provisioned over the air is an ordinary PKCS#15 token for OpenSC and simpki-tool, and its
	# holder signs with the transport PIN
	if command -v pcscd > /dev/null && command -v pkcs15-tool > /dev/null && [ -x "$tool" ]; then
		mkdir -p /run/pcscd
		mount -t tmpfs -o mode=0755 tmpfs /run/pcscd || fail "cannot mount /run/pcscd"
		export OPENSC_CONF="$dir/opensc.conf"
		printf 'app default {\n\tframework pkcs15 { use_file_caching = no; }\n}\n' > "$OPENSC_CONF"
		pcscd --foreground > "$dir/pcscd.log" 2>&1 &
		pcscd_pid=$!
		"$card" serve --state "$dir/cards/000" 2>> "$dir/serve.log" &
		serve_pid=$!
		if sh "$src/tests/pcsc/wait-card.sh" 20; then
			for key in 2 3; do
				pkcs15-tool --read-certificate 0$key -o "$dir/opensc-$key.pem" > "$dir/opensc-$key.out" 2>&1 ||
					fail "pkcs15-tool --read-certificate 0$key: $(cat "$dir/opensc-$key.out")"
				cmp -s "$dir/opensc-$key.pem" "$dir/cert-000-$key.pem" ||
					[ "$(openssl x509 -in "$dir/opensc-$key.pem" -outform DER 2> /dev/null | od -An -tx1)" = \
						"$(openssl x509 -in "$dir/cert-000-$key.pem" -outform DER | od -An -tx1)" ] ||
					fail "OpenSC reads another certificate for key $key"
			done
			"$tool" info > "$dir/tool-info.out" 2>&1 || fail "simpki-tool info: $(cat "$dir/tool-info.out")"
			printf 'Quyết định 275/QĐ-UBND\n' > "$dir/doc.txt"
			SIMPKI_PIN=$SIMPKI_TRANSPORT_PIN "$tool" sign --id 2 "$dir/doc.txt" -o "$dir/doc.sig" > "$dir/sign.out" 2>&1 ||
				fail "simpki-tool sign with the transport PIN: $(cat "$dir/sign.out")"
			openssl x509 -in "$dir/cert-000-2.pem" -noout -pubkey > "$dir/pub-2.pem"
			openssl dgst -sha256 -verify "$dir/pub-2.pem" -signature "$dir/doc.sig" "$dir/doc.txt" > /dev/null 2>&1 ||
				fail "the SIM's signature does not verify with its certificate"
		else
			fail "SIM 000 not in the reader"
		fi
		kill $serve_pid $pcscd_pid 2> /dev/null
		wait $serve_pid $pcscd_pid 2> /dev/null
	else
		fail "pcscd, OpenSC or simpki-tool missing (tools/install-deps.sh)"
	fi
fi
[ $failures -eq 0 ] || { tail -n 40 "$dir/otad.log" >&2; tail -n 10 "$dir/ca.log" >&2; }
exit $((failures != 0))
