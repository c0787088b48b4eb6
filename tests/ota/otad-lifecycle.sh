#!/bin/sh
# Certificate lifecycle operations (docs/lifecycle.md) through the real osmo-msc with simulated phones (run by
# in-netns.sh: its ports are private). A campaign first gives 12 SIMs a P-256 key and a certificate each (simpki-ca
# and simpki-otad as its RA, as in otad-campaign); their holders are in the ward 10101003 of province 01. Then:
#   move      every holder moves (PATCH /v1/holders/{id}) to a ward of province 29: their subjects change
#   modify    every holder of province 29 (select unit), concurrency 4; simpki-otad is killed with SIGKILL while
#             items load or verify and started again; the operation finishes: 12 done; per SIM exactly one new
#             certificate for the same key (the CA's records per public key: 2, the old and the new), the new one
#             loaded, the old one revoked (affiliationChanged) and replaced by it, OCSP revoked for the old and good
#             for the new; each old certificate revoked only after the SIM's read-back (the CA's revocation time
#             and simpki-otad's record are not before the SIM's last job, the verify)
#   modify    the same again: all 12 skipped ("subject unchanged"); the CA issued nothing, no certificate changed
#   scopes    a unit-ra token of 29 reads both operations (GET, items, the list: their unit is the ward of 29 the
#             holders are in), one of 01 is refused (403) and its list is empty
#   renew     one certificate (POST /v1/certificates/{serial}/renew): same key, the old one superseded
#   rekey     one: a new key on the SIM (its card OS counts two generations), a certificate for it, the old one
#             revoked superseded
#   suspend   one, then release: OCSP revoked (certificateHold) and the CRL lists it; then OCSP good, the CRL not
#   revoke    one for keyCompromise: OCSP revoked keyCompromise, simpki-otad records the key; a renewal of it is
#             refused (not in force); the CA revokes another one for keyCompromise itself and a renewal of that
#             certificate fails with the CA's refusal ("key compromised")
# NEEDS the CA part of issue 16 (simpki-ca: same-key kur for modification and renewal, certificateHold and
# removeFromCRL): without it modify and renew fail at the CA.
# Usage: otad-lifecycle.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
. "$src/tests/ota/cert-lib.sh"
ca=$build/ota-server/ca/simpki-ca
for prog in openssl curl sqlite3; do
	command -v $prog > /dev/null || { echo "otad-lifecycle: $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
otad_pid=""
ca_pid=""
trap 'for p in $otad_pid $ca_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
export SIMPKI_API_TOKEN=admin-token-for-the-lifecycle-test-0123456789
export SIMPKI_CA_PASSPHRASE=lifecycle-test-passphrase-0123
export SIMPKI_TRANSPORT_PIN=3141 SIMPKI_PUK=2718281828459045
n=12

"$net" start "$dir/net" > /dev/null || { echo "FAIL: osmo-net start" >&2; exit 1; }
cards $n --transport-pin "$SIMPKI_TRANSPORT_PIN" --puk "$SIMPKI_PUK" || exit 1

# ---- the CA, and simpki-otad as its RA
ca_start || exit 1
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
  enrolment retries 20 backoff min-seconds 2 max-seconds 4\\
 lifecycle\\
  concurrency 4\\
  retries 20\\
  backoff min-seconds 2 max-seconds 4" "$src/ota-server/simpki-otad.cfg.example" > "$dir/otad/simpki-otad.cfg"
grep -q "^ lifecycle" "$dir/otad/simpki-otad.cfg" || { fail "the test's lifecycle settings are not in the configuration"; exit 1; }
start_otad "$dir/otad/simpki-otad.cfg" || exit 1
otad_db=$dir/otad/otad.db
: > "$dir/scenario"
start_phones phone --cards "$dir/cards" --scenario "$dir/scenario" || exit 1
vty "import cards $dir/cards.csv" > "$dir/import.out"
grep -q "imported $n cards" "$dir/import.out" || fail "import: $(cat "$dir/import.out")"
holders_for_cards $n "Trần Văn Số"

# wait_json PATH PYTHON_CONDITION SECONDS: until the condition holds on the JSON j of GET PATH (c: j["counts"])
wait_json() {
	wj_end=$(($(date +%s) + $3))
	while :; do
		api GET "$1" | sed 's/^200 //' > "$dir/wait.json"
		# 0: the condition holds; 2: the operation is over and it does not (no use waiting); 1: not yet
		python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); c = j.get("counts", {}); sys.exit(0 if eval(sys.argv[2]) else 2 if j.get("ended") else 1)' \
			"$dir/wait.json" "$2" 2> /dev/null
		case $? in
		0) return 0 ;;
		2) fail "$1: over without '$2': $(cat "$dir/wait.json")"; return 1 ;;
		esac
		[ "$(date +%s)" -lt $wj_end ] || { fail "$1: no '$2' after $3 s: $(cat "$dir/wait.json")"; return 1; }
		sleep 0.2
	done
}
# lc BODY: POST /v1/lifecycle, the new operation's id
lc() {
	printf '%s' "$1" > "$dir/lc.json"
	api POST /v1/lifecycle "$dir/lc.json" > "$dir/lc.out"
	sed -n 's/^201 {"id": *\([0-9]*\).*/\1/p' "$dir/lc.out"
}
# cert_op SERIAL ACTION [BODY]: POST /v1/certificates/SERIAL/ACTION, the new operation's id
cert_op() {
	printf '%s' "${3:-}" > "$dir/op.json"
	api POST "/v1/certificates/$1/$2" "$dir/op.json" > "$dir/op.out"
	sed -n 's/^201 {"id": *\([0-9]*\).*/\1/p' "$dir/op.out"
}

# ---- a campaign gives every SIM its certificate
iccid_list=$iccids
printf '{"name": "provision", "select": {"iccids": [%s]}, "keys": [{"id": 2, "alg": "p256", "profile": "signing"}], "personalise": true, "concurrency": 12}' \
	"$iccid_list" > "$dir/campaign.json"
c=$(api POST /v1/campaigns "$dir/campaign.json" | sed -n 's/^201 {"id": *\([0-9]*\).*/\1/p')
[ -n "$c" ] || { fail "campaign not started"; exit 1; }
wait_json "/v1/campaigns/$c" 'j["state"] == "done" and c["active"] == 12' 400 || exit 1
i=0
while [ $i -lt $n ]; do
	k=$(printf %03d $i)
	old=$(certs $k)
	[ -n "$old" ] || fail "card $k has no certificate loaded"
	echo "$old" > "$dir/old-serial-$k"
	cp "$dir/cur-$k.pem" "$dir/old-$k.pem"
	i=$((i + 1))
done

# ---- the holders move (PATCH /v1/holders/{id}) from a ward of 01 to a ward of 29: their subjects change (OU, ST)
i=0
while [ $i -lt $n ]; do
	printf '{"unit": "71713027"}' > "$dir/move.json"
	api PATCH "/v1/holders/H-$(printf %04d $i)" "$dir/move.json" | grep -q '^200 .*"unit": *"71713027"' ||
		fail "holder H-$(printf %04d $i) did not move"
	i=$((i + 1))
done

# ---- modify: every holder of province 29, SIGKILL in the middle
m=$(lc '{"kind": "modify", "name": "Chuyển công tác", "select": {"unit": "29"}, "concurrency": 4}')
[ -n "$m" ] || { fail "modify not made: $(cat "$dir/lc.out")"; exit 1; }
grep -q '"items": *12' "$dir/lc.out" || fail "modify's items: $(cat "$dir/lc.out")"
if wait_json "/v1/lifecycle/$m" 'c["load"] + c["verify"] > 0' 180; then
	kill -KILL $otad_pid
	wait $otad_pid 2> /dev/null
	echo "---- SIGKILL, started again" >> "$dir/otad.log"
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
fi
wait_json "/v1/lifecycle/$m" 'j["state"] == "done"' 600
api GET "/v1/lifecycle/$m" | sed 's/^200 //' > "$dir/modify.json"
python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if j["counts"]["done"] == 12 and j["done"] == 12 and j["eta_seconds"] == 0 else 1)' \
	"$dir/modify.json" || fail "modify: $(cat "$dir/modify.json"); $(api GET "/v1/lifecycle/$m/items?state=failed")"
vty "show lifecycle $m" > "$dir/vty-lc.out"
grep -q "lifecycle $m modify 'Chuyển công tác' done by .*: 12 of 12 items over, done 12" "$dir/vty-lc.out" ||
	fail "show lifecycle: $(cat "$dir/vty-lc.out")"
i=0
while [ $i -lt $n ]; do
	new_cert_of $i || { i=$((i + 1)); continue; }
	# the same key; exactly two certificates of it at the CA
	key=$(spki_sha256 "$dir/old-$k.pem")
	[ "$key" = "$(spki_sha256 "$dir/new-$k.pem")" ] || fail "card $k: the new certificate is for another key"
	cnt=$(sqlite3 "$dir/ca/ca.db" "SELECT COUNT(*) FROM certs WHERE pubkey_sha256 = '$key'")
	[ "$cnt" = 2 ] || fail "card $k: the CA holds $cnt certificates of its key (one old, one new expected)"
	python3 - "$dir/certs-$k.json" "$old" <<'PY' || fail "card $k's records: $(cat "$dir/certs-$k.json")"
import json, sys
it = {c["serial"]: c for c in json.load(open(sys.argv[1]))["items"]}
o = it[sys.argv[2]]
sys.exit(0 if len(it) == 2 and o["status"] == "revoked" else 1)
PY
	[ "$(sqlite3 "$otad_db" "SELECT reason || ' ' || replaced_by FROM certificates WHERE serial = '$old'")" = "3 $new" ] ||
		fail "card $k: the old certificate's record: $(sqlite3 "$otad_db" "SELECT status, reason, replaced_by FROM certificates WHERE serial = '$old'")"
	ocsp "$dir/old-$k.pem" > "$dir/ocsp-old-$k.txt"
	grep -q ": revoked" "$dir/ocsp-old-$k.txt" && grep -qi "affiliationChanged\|Affiliation Changed" "$dir/ocsp-old-$k.txt" ||
		fail "OCSP for card $k's old certificate: $(cat "$dir/ocsp-old-$k.txt")"
	ocsp "$dir/new-$k.pem" | grep -q ": good" || fail "OCSP for card $k's new certificate is not good"
	# the order: the old one revoked (at the CA, in our records) not before the SIM's last job (the read-back)
	last_ok=$(sqlite3 "$otad_db" "SELECT MAX(updated_at) FROM jobs WHERE iccid = '$iccid' AND state = 'por-ok'")
	ours=$(sqlite3 "$otad_db" "SELECT revoked_at FROM certificates WHERE serial = '$old'")
	theirs=$(sqlite3 "$dir/ca/ca.db" "SELECT revoked_at FROM certs WHERE ltrim(lower(serial), '0') = ltrim(lower('$old'), '0')")
	[ -n "$last_ok" ] && [ -n "$ours" ] && [ "$ours" -ge "$last_ok" ] && [ -n "$theirs" ] && [ "$theirs" -ge $((last_ok / 1000)) ] ||
		fail "card $k: revoked before the SIM held the new certificate (last SIM job $last_ok ms, ours $ours ms, the CA's $theirs s)"
	i=$((i + 1))
done

# ---- the same modify again: every subject is as the tree is now: 12 skipped ("subject unchanged"), nothing issued
ca_certs=$(sqlite3 "$dir/ca/ca.db" "SELECT COUNT(*) FROM certs")
m2=$(lc '{"kind": "modify", "name": "Chuyển công tác (lần 2)", "select": {"unit": "29"}, "concurrency": 4}')
[ -n "$m2" ] || fail "the second modify not made: $(cat "$dir/lc.out")"
[ -n "$m2" ] && wait_json "/v1/lifecycle/$m2" 'j["state"] == "done" and c["skipped"] == 12 and c["done"] == 0' 120
api GET "/v1/lifecycle/$m2/items?state=skipped" > "$dir/skipped.out"
[ "$(grep -o '"subject unchanged"' "$dir/skipped.out" | wc -l)" = 12 ] ||
	fail "the second modify's items: $(cat "$dir/skipped.out")"
[ "$(sqlite3 "$dir/ca/ca.db" "SELECT COUNT(*) FROM certs")" = "$ca_certs" ] ||
	fail "the second modify: the CA issued or holds $(sqlite3 "$dir/ca/ca.db" "SELECT COUNT(*) FROM certs") certificates, $ca_certs before"
i=0
while [ $i -lt $n ]; do
	k=$(printf %03d $i)
	[ "$(certs $k)" = "$(cat "$dir/new-serial-$k" 2> /dev/null)" ] || fail "card $k: the second modify changed its certificate"
	i=$((i + 1))
done

# ---- scoped tokens read the operations inside their scope (an operation's unit: the lowest containing its holders)
ra29=$(token_of ra29 unit-ra 29)
ra01=$(token_of ra01 unit-ra 01)
[ -n "$ra29" ] && [ -n "$ra01" ] || fail "the scoped tokens"
: > "$dir/empty.json"
for t in ra29 ra01; do
	eval "tv=\$$t"
	for p in "/v1/lifecycle/$m" "/v1/lifecycle/$m/items" /v1/lifecycle; do
		api GET "$p" - "$tv" > "$dir/scoped.out"
		python3 - "$dir/scoped.out" "$t" "$p" "$m" "$m2" <<'PY' || fail "$t: GET $p: $(cat "$dir/scoped.out")"
import json, sys
status, body = open(sys.argv[1]).read().split(" ", 1)
who, path, m, m2 = sys.argv[2:6]
j = json.loads(body)
if path == "/v1/lifecycle":  # the list: only the operations inside the scope
    ids = [o["id"] for o in j["items"]]
    assert status == "200", status
    assert all(o["unit"] == "71713027" for o in j["items"]), j
    assert (int(m) in ids and int(m2) in ids) if who == "ra29" else ids == [], ids
elif who == "ra29":
    assert status == "200", status
    assert path.endswith("/items") or j["unit"] == "71713027", j
else:
    assert status == "403" and "outside your scope (01)" in body, body
PY
	done
done
api POST "/v1/lifecycle/$m/pause" "$dir/empty.json" "$ra01" | grep -q "^403 " || fail "ra01 paused an operation outside its scope"
api GET "/v1/lifecycle/$m" | grep -q '"unit": *"71713027"' || fail "the operation's unit: $(api GET "/v1/lifecycle/$m")"

# ---- renew one (card 000): same key, the old superseded
s0=$(cat "$dir/new-serial-000")
r=$(cert_op "$s0" renew)
[ -n "$r" ] || fail "renew not made: $(cat "$dir/op.out")"
[ -n "$r" ] && wait_json "/v1/lifecycle/$r" 'j["state"] == "done" and c["done"] == 1' 180
s0n=$(certs 000)
[ -n "$s0n" ] && [ "$s0n" != "$s0" ] || fail "renew: no new certificate"
[ "$(spki_sha256 "$dir/cur-000.pem")" = "$(spki_sha256 "$dir/old-000.pem")" ] || fail "renew: another key"
[ "$(sqlite3 "$otad_db" "SELECT reason || ' ' || replaced_by FROM certificates WHERE serial = '$s0'")" = "4 $s0n" ] ||
	fail "renew: the old record: $(sqlite3 "$otad_db" "SELECT status, reason, replaced_by FROM certificates WHERE serial = '$s0'")"

# ---- rekey one (card 001): a new key on the SIM
s1=$(cat "$dir/new-serial-001")
r=$(cert_op "$s1" rekey)
[ -n "$r" ] || fail "rekey not made: $(cat "$dir/op.out")"
[ -n "$r" ] && wait_json "/v1/lifecycle/$r" 'j["state"] == "done" and c["done"] == 1' 300
s1n=$(certs 001)
[ -n "$s1n" ] && [ "$s1n" != "$s1" ] || fail "rekey: no new certificate ($(cat "$dir/certs-001.json"))"
[ "$(spki_sha256 "$dir/cur-001.pem")" != "$(spki_sha256 "$dir/old-001.pem")" ] || fail "rekey: the same key"
openssl verify -CAfile "$dir/ca/ca.pem" "$dir/cur-001.pem" > /dev/null 2>&1 || fail "rekey: the new certificate does not verify"
[ "$(sqlite3 "$otad_db" "SELECT reason || ' ' || replaced_by FROM certificates WHERE serial = '$s1'")" = "4 $s1n" ] ||
	fail "rekey: the old record"

# ---- suspend and release (card 002)
s2=$(cat "$dir/new-serial-002")
r=$(cert_op "$s2" suspend)
[ -n "$r" ] && wait_json "/v1/lifecycle/$r" 'j["state"] == "done" and c["done"] == 1' 120 || fail "suspend: $(cat "$dir/op.out")"
ocsp "$dir/new-002.pem" > "$dir/ocsp-hold.txt"
grep -q ": revoked" "$dir/ocsp-hold.txt" && grep -qi "certificateHold\|Certificate Hold" "$dir/ocsp-hold.txt" ||
	fail "OCSP of a suspended certificate: $(cat "$dir/ocsp-hold.txt")"
[ "$(sqlite3 "$otad_db" "SELECT hold FROM certificates WHERE serial = '$s2'")" = 1 ] || fail "suspend: not recorded"
ca_vty "crl publish" > /dev/null
curl -s http://127.0.0.1:8491/crl/ca.crl -o "$dir/crl1.der"
openssl crl -inform DER -in "$dir/crl1.der" -noout -text > "$dir/crl1.txt" 2>&1
grep -qi "$s2" "$dir/crl1.txt" || fail "the CRL does not list the suspended certificate $s2"
r=$(cert_op "$s2" release)
[ -n "$r" ] && wait_json "/v1/lifecycle/$r" 'j["state"] == "done" and c["done"] == 1' 120 || fail "release: $(cat "$dir/op.out")"
ocsp "$dir/new-002.pem" | grep -q ": good" || fail "OCSP of a released certificate is not good"
[ "$(sqlite3 "$otad_db" "SELECT hold || status FROM certificates WHERE serial = '$s2'")" = 0loaded ] || fail "release: not recorded"
ca_vty "crl publish" > /dev/null
curl -s http://127.0.0.1:8491/crl/ca.crl -o "$dir/crl2.der"
openssl crl -inform DER -in "$dir/crl2.der" -noout -text > "$dir/crl2.txt" 2>&1
grep -qi "$s2" "$dir/crl2.txt" && fail "the CRL still lists the released certificate"

# ---- keyCompromise (card 003 through simpki-otad; card 004 at the CA itself)
s3=$(cat "$dir/new-serial-003")
r=$(cert_op "$s3" revoke '{"reason": "keyCompromise"}')
[ -n "$r" ] && wait_json "/v1/lifecycle/$r" 'j["state"] == "done" and c["done"] == 1' 120 || fail "revoke: $(cat "$dir/op.out")"
ocsp "$dir/new-003.pem" > "$dir/ocsp-kc.txt"
grep -q ": revoked" "$dir/ocsp-kc.txt" && grep -qi "keyCompromise\|Key Compromise" "$dir/ocsp-kc.txt" || fail "OCSP: $(cat "$dir/ocsp-kc.txt")"
[ "$(sqlite3 "$otad_db" "SELECT COUNT(*) FROM compromised_keys WHERE pubkey_sha256 = '$(spki_sha256 "$dir/new-003.pem")'")" = 1 ] ||
	fail "the compromised key is not recorded"
api POST "/v1/certificates/$s3/renew" - > "$dir/renew-kc.out"
grep -q '^404 .*certificate_not_found' "$dir/renew-kc.out" || fail "a renewal of a revoked certificate: $(cat "$dir/renew-kc.out")"
s4=$(cat "$dir/new-serial-004")
ca_vty "revoke $s4 reason keyCompromise" > "$dir/ca-revoke.out"
r=$(cert_op "$s4" renew)
[ -n "$r" ] && wait_json "/v1/lifecycle/$r" 'j["state"] == "done" and c["failed"] == 1' 120 || fail "renew of a key the CA knows compromised: $(cat "$dir/op.out")"
api GET "/v1/lifecycle/$r/items" > "$dir/kc-items.json"
grep -qi "key compromised" "$dir/kc-items.json" || fail "the CA's refusal: $(cat "$dir/kc-items.json")"
[ "$(sqlite3 "$dir/ca/ca.db" "SELECT COUNT(*) FROM certs WHERE pubkey_sha256 = '$(spki_sha256 "$dir/new-004.pem")'")" = 2 ] ||
	fail "the CA issued for a compromised key"

# the audit trail and the list
api GET /v1/lifecycle > "$dir/list.json"
python3 -c 'import json, sys; j = json.loads(open(sys.argv[1]).read().split(" ", 1)[1]); ids = [o["id"] for o in j["items"]]; sys.exit(0 if len(ids) >= 7 and ids == sorted(ids, reverse=True) else 1)' \
	"$dir/list.json" || fail "GET /v1/lifecycle: $(head -c 400 "$dir/list.json")"
# on the SIM (its phone stopped first): the rekeyed SIM generated one key more than the others
stop_phones
"$card" info --state "$dir/cards/001" > "$dir/info-001.out" 2>&1
grep -q "key generations: 2$" "$dir/info-001.out" || fail "rekey: the SIM's key generations: $(grep "key generations" "$dir/info-001.out")"
"$card" info --state "$dir/cards/005" > "$dir/info-005.out" 2>&1
grep -q "key generations: 1$" "$dir/info-005.out" || fail "a modified SIM generated a key: $(grep "key generations" "$dir/info-005.out")"
[ $failures -eq 0 ] || { tail -n 40 "$dir/otad.log" >&2; tail -n 10 "$dir/ca.log" >&2; }
exit $((failures != 0))
