#!/bin/sh
# Issue 16's central test: a merge of two provinces re-issues, through the real osmo-msc to simulated phones, the
# certificate of every holder of both (run by in-netns.sh: its ports are private):
#   - 12 SIMs get a P-256 key and a certificate (sign-lib.sh's sign_setup); their holders alternate between the ward
#     80323062 (Phường An Bình, province 31 Đồng Tháp) and the ward 81321101 (Đặc khu Phú Quốc, 32 An Giang): each
#     certificate's ST is its province's name;
#   - a central RA (a token of role central-ra) files the merge of 31 and 32 into a new province 35 and starts a
#     modify operation over that unit change ({"unit_change": ID}); simpki-otad is killed with SIGKILL when some
#     items are done and some are not, started again on the same database, and the operation ends with 12 done;
#   - per holder: exactly one new certificate per old one (the CA's records: 2 certificates per public key), the
#     same key, ST the new province's name byte for byte (a UTF8String), CN and serialNumber as they were; the card's
#     certificates show the new one loaded; the old one revoked affiliationChanged per OCSP and in the CRL; its
#     revocation (the CA's revoked_at, seconds, and simpki-otad's, ms) not before the end of the SIM's read-back (the
#     newest OTA job of that SIM that ended por-ok between the operation's start and the item's end: the verify);
#   - a request from filing to execution: a counter of the new province files a renew for one holder (a counter of
#     Hà Nội may not), a unit RA of the new province approves it, the request ends done with its operation;
#   - keyCompromise: one holder's new certificate revoked keyCompromise through simpki-otad (OCSP says so, the key is
#     recorded; a renewal or modification is refused: nothing in force); another's revoked keyCompromise at the CA
#     itself: its holder moves to the province (PATCH /v1/holders/{id}), and a modify of it fails with the reason
#     "key compromised"; no third certificate exists for either key;
#   - the audit trail verifies, and holds the unit change, the operation's creation and each item's end.
# Usage: otad-reorg.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
for prog in openssl curl sqlite3; do
	command -v $prog > /dev/null || { echo "otad-reorg: $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
. "$src/tests/ota/sign-lib.sh"
. "$src/tests/ota/cert-lib.sh"
trap 'for p in $otad_pid $ca_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
t_start=$(date +%s)
n=12
NEW_CODE=35
NEW_NAME="Tỉnh Đồng Tháp – An Giang"
export HOLDER_UNITS="80323062 81321101"
SETUP_OTAD_LINES=' lifecycle\n  concurrency 3\n  retries 20\n  backoff min-seconds 2 max-seconds 4\n'
sign_setup $n || exit 1
otad_db=$dir/otad/otad.db

# diag: what helps after a failure
diag() {
	[ -z "${m:-}" ] || { echo "--- lifecycle $m" >&2; api GET "/v1/lifecycle/$m" >&2; api GET "/v1/lifecycle/$m/items?state=failed" >&2; }
	echo "--- otad.log" >&2
	tail -n 40 "$dir/otad.log" >&2
	echo "--- ca.log" >&2
	tail -n 10 "$dir/ca.log" >&2
}
# js FILE EXPR: EXPR (Python) over an answer "STATUS BODY" in FILE: s the status, r the JSON; exit 0 when true
js() {
	python3 - "$1" "$2" <<'PY'
import json, sys
s, body = open(sys.argv[1], encoding="utf-8").read().split(" ", 1)
s = int(s)
try:
    r = json.loads(body)
except ValueError:
    r = None
v = eval(sys.argv[2])
if v is True or v is False:
    sys.exit(0 if v else 1)
print(v)
PY
}
# wait_json PATH PYTHON_CONDITION SECONDS [TOKEN]: until the condition holds on the JSON j of GET PATH (c:
# j["counts"])
wait_json() {
	wj_end=$(($(date +%s) + $3))
	while :; do
		api GET "$1" - ${4:-} | sed 's/^[0-9]* //' > "$dir/wait.json"
		# 0: the condition holds; 2: it is over and it does not (no use waiting); 1: not yet
		python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); c = j.get("counts", {}); sys.exit(0 if eval(sys.argv[2]) else 2 if j.get("ended") or j.get("state") in ("failed", "rejected", "withdrawn") else 1)' \
			"$dir/wait.json" "$2" 2> /dev/null
		case $? in
		0) return 0 ;;
		2) fail "$1: over without '$2': $(cat "$dir/wait.json")"; return 1 ;;
		esac
		[ "$(date +%s)" -lt $wj_end ] || { fail "$1: no '$2' after $3 s: $(cat "$dir/wait.json")"; return 1; }
		sleep 0.2
	done
}
ca_count() { # KEY_SHA256: how many certificates the CA issued for the key
	sqlite3 "$dir/ca/ca.db" "SELECT COUNT(*) FROM certs WHERE pubkey_sha256 = '$1'"
}
# subj PEM ATTR: the subject attribute's value, UTF-8 as it is (no escaping)
subj() {
	openssl x509 -in "$1" -noout -subject -nameopt utf8,sep_multiline,lname,-esc_msb | sed -n "s/^ *$2=//p"
}
token_of() { # NAME ROLE [SCOPE]: a new token of that role
	printf '{"name": "%s", "role": "%s"%s}' "$1" "$2" "${3:+, \"scope\": \"$3\"}" > "$dir/tk.json"
	api POST /v1/tokens "$dir/tk.json" > "$dir/tk.out"
	sed -n 's/^201 .*"token": *"\([0-9a-f]*\)".*/\1/p' "$dir/tk.out"
}

# ---- the certificates as provisioned: ST the holder's province
i=0
while [ $i -lt $n ]; do
	k=$(printf %03d $i)
	old=$(certs $k)
	[ -n "$old" ] || { fail "card $k has no certificate loaded: $(cat "$dir/certs-$k.json")"; exit 1; }
	echo "$old" > "$dir/old-serial-$k"
	cp "$dir/cur-$k.pem" "$dir/old-$k.pem"
	if [ $((i % 2)) -eq 0 ]; then want="Đồng Tháp"; else want="An Giang"; fi
	[ "$(subj "$dir/old-$k.pem" stateOrProvinceName)" = "$want" ] ||
		fail "card $k: ST '$(subj "$dir/old-$k.pem" stateOrProvinceName)', not '$want'"
	subj "$dir/old-$k.pem" commonName > "$dir/cn-$k"
	[ "$(cat "$dir/cn-$k")" = "Trần Văn Ký $i" ] || fail "card $k: CN '$(cat "$dir/cn-$k")'"
	i=$((i + 1))
done
[ $failures -eq 0 ] || { diag; exit 1; }

# ---- the central RA merges 31 and 32 into 35
cra=$(token_of central-ra-1 central-ra)
[ -n "$cra" ] || { fail "no central-ra token: $(cat "$dir/tk.out")"; exit 1; }
printf '{"kind": "merge", "units": ["31", "32"], "into": {"code": "%s", "name": "%s"}}' "$NEW_CODE" "$NEW_NAME" > "$dir/merge.json"
api POST /v1/units/changes "$dir/merge.json" "$cra" > "$dir/merge.out"
js "$dir/merge.out" 's == 201 and r["state"] == "applied" and r["holders_affected"] == 12' ||
	{ fail "the merge: $(cat "$dir/merge.out")"; diag; exit 1; }
uc=$(js "$dir/merge.out" 'r["id"]')
api GET /v1/units/80323062 > "$dir/unit.out"
js "$dir/unit.out" "r['parent'] == '$NEW_CODE' and r['path'][0]['name'] == '$NEW_NAME'" || fail "the ward after the merge: $(cat "$dir/unit.out")"
api GET /v1/units/31 > "$dir/unit31.out"
js "$dir/unit31.out" "r['successor'] == '$NEW_CODE' and r['valid_to']" || fail "province 31 after the merge: $(cat "$dir/unit31.out")"

# ---- the modify operation over the unit change, SIGKILL in the middle
start_phones phone --cards "$dir/cards" || exit 1
printf '{"kind": "modify", "name": "Sáp nhập Đồng Tháp và An Giang", "select": {"unit_change": %s}}' "$uc" > "$dir/lc.json"
api POST /v1/lifecycle "$dir/lc.json" "$cra" > "$dir/lc.out"
m=$(js "$dir/lc.out" 'r["id"] if s == 201 else ""')
[ -n "$m" ] || { fail "modify not made: $(cat "$dir/lc.out")"; diag; exit 1; }
js "$dir/lc.out" 'r["items"] == 12 and r["reason"] == "affiliationChanged" and r["by"] == "central-ra-1"' ||
	fail "the operation as made: $(cat "$dir/lc.out")"
if wait_json "/v1/lifecycle/$m" '1 <= c["done"] < 12' 300; then
	kill -KILL $otad_pid
	wait $otad_pid 2> /dev/null
	echo "killed at: $(cat "$dir/wait.json")"
	echo "---- SIGKILL, started again" >> "$dir/otad.log"
	start_otad "$dir/otad/simpki-otad.cfg" || { diag; exit 1; }
else
	diag
	exit 1
fi
wait_json "/v1/lifecycle/$m" 'j["state"] == "done"' 600 || { diag; exit 1; }
api GET "/v1/lifecycle/$m" > "$dir/modify.out"
js "$dir/modify.out" 'r["counts"]["done"] == 12 and r["done"] == 12' || { fail "modify: $(cat "$dir/modify.out")"; diag; }
api GET "/v1/lifecycle/$m/items?limit=100" > "$dir/items.out"
echo "modify over after $(($(date +%s) - t_start)) s"

# ---- per holder: one new certificate for the same key, the new subject, the old one revoked after the read-back
ca_vty "crl publish" > /dev/null
curl -s http://127.0.0.1:8491/crl/ca.crl -o "$dir/crl.der"
openssl crl -inform DER -in "$dir/crl.der" -noout -text > "$dir/crl.txt" 2>&1 || fail "the CRL: $(cat "$dir/crl.txt")"
op_created=$(sqlite3 "$otad_db" "SELECT created_at FROM lifecycle_ops WHERE id = $m")
i=0
while [ $i -lt $n ]; do
	new_cert_of $i || { i=$((i + 1)); continue; }
	key=$(spki_sha256 "$dir/old-$k.pem")
	[ "$key" = "$(spki_sha256 "$dir/new-$k.pem")" ] || fail "card $k: the new certificate is for another key"
	cnt=$(ca_count "$key")
	[ "$cnt" = 2 ] || fail "card $k: the CA holds $cnt certificates of its key (the old one and one new expected)"
	openssl verify -CAfile "$dir/ca/ca.pem" "$dir/new-$k.pem" > /dev/null 2>&1 || fail "card $k: the new certificate does not verify"
	# the subject: ST the new province's name, byte for byte, a UTF8String; CN and serialNumber as they were
	[ "$(subj "$dir/new-$k.pem" stateOrProvinceName)" = "$NEW_NAME" ] ||
		fail "card $k: the new ST is '$(subj "$dir/new-$k.pem" stateOrProvinceName)'"
	openssl x509 -in "$dir/new-$k.pem" -noout -subject -nameopt utf8,sep_multiline,lname,-esc_msb,show_type > "$dir/subj-$k.txt"
	grep -q "stateOrProvinceName=UTF8STRING:$NEW_NAME\$" "$dir/subj-$k.txt" || fail "card $k: ST not a UTF8String: $(cat "$dir/subj-$k.txt")"
	[ "$(subj "$dir/new-$k.pem" commonName)" = "$(cat "$dir/cn-$k")" ] || fail "card $k: CN changed: $(subj "$dir/new-$k.pem" commonName)"
	[ "$(subj "$dir/new-$k.pem" serialNumber)" = "$(subj "$dir/old-$k.pem" serialNumber)" ] || fail "card $k: serialNumber changed"
	[ "$(subj "$dir/new-$k.pem" organizationalUnitName)" = "$(subj "$dir/old-$k.pem" organizationalUnitName)" ] || fail "card $k: OU changed"
	python3 - "$dir/certs-$k.json" "$old" "$new" <<'PY' || fail "card $k's records: $(cat "$dir/certs-$k.json")"
import json, sys
it = {c["serial"]: c for c in json.load(open(sys.argv[1]))["items"]}
sys.exit(0 if len(it) == 2 and it[sys.argv[2]]["status"] == "revoked" and it[sys.argv[3]]["status"] == "loaded" else 1)
PY
	# the old one revoked affiliationChanged: OCSP, the CRL; the new one good
	ocsp "$dir/old-$k.pem" > "$dir/ocsp-old-$k.txt"
	grep -q ": revoked" "$dir/ocsp-old-$k.txt" && grep -qi "affiliationChanged\|Affiliation Changed" "$dir/ocsp-old-$k.txt" ||
		fail "OCSP for card $k's old certificate: $(cat "$dir/ocsp-old-$k.txt")"
	ocsp "$dir/new-$k.pem" | grep -q ": good" || fail "OCSP for card $k's new certificate is not good"
	python3 - "$dir/crl.txt" "$old" "$new" <<'PY' || fail "the CRL for card $k ($old revoked, $new not)"
import re, sys
txt = open(sys.argv[1]).read()
ent = {}
for blk in re.split(r"\n\s*Serial Number: ", txt)[1:]:
    lines = blk.split("\n")
    ent[lines[0].strip().lower().lstrip("0")] = blk
o = ent.get(sys.argv[2].lower().lstrip("0"))
sys.exit(0 if o and "Affiliation Changed" in o and sys.argv[3].lower().lstrip("0") not in ent else 1)
PY
	# the order: the SIM's read-back (the newest job of this SIM that ended por-ok during the operation, up to the
	# item's end: the verify) ended before the old certificate was revoked, at the CA (seconds) and in our records (ms)
	done_at=$(sqlite3 "$otad_db" "SELECT done_at FROM lifecycle_items WHERE op = $m AND old_serial = '$old' AND state = 'done'")
	last_ok=$(sqlite3 "$otad_db" "SELECT MAX(updated_at) FROM jobs WHERE iccid = '$iccid' AND state = 'por-ok' AND created_at >= $op_created AND updated_at <= ${done_at:-0}")
	ours=$(sqlite3 "$otad_db" "SELECT revoked_at FROM certificates WHERE serial = '$old'")
	theirs=$(sqlite3 "$dir/ca/ca.db" "SELECT revoked_at FROM certs WHERE ltrim(lower(serial), '0') = ltrim(lower('$old'), '0')")
	[ -n "$last_ok" ] && [ -n "$ours" ] && [ "$ours" -ge "$last_ok" ] && [ -n "$theirs" ] && [ "$theirs" -ge $((last_ok / 1000)) ] ||
		fail "card $k: revoked before the SIM held the new certificate (read-back $last_ok ms, ours $ours ms, the CA's $theirs s, item done $done_at)"
	[ "$(sqlite3 "$otad_db" "SELECT reason || ' ' || replaced_by FROM certificates WHERE serial = '$old'")" = "3 $new" ] ||
		fail "card $k: the old certificate's record: $(sqlite3 "$otad_db" "SELECT status, reason, replaced_by FROM certificates WHERE serial = '$old'")"
	echo "card $k: $old -> $new, ST '$(subj "$dir/new-$k.pem" stateOrProvinceName)', CN '$(subj "$dir/new-$k.pem" commonName)'; read back at $last_ok ms, old revoked at $ours ms (simpki-otad), $theirs s (CA)"
	i=$((i + 1))
done
[ $failures -eq 0 ] || diag

# ---- a request from filing to execution: a counter of the new province files, its unit RA approves
counter=$(token_of counter-cuu-long counter "$NEW_CODE")
ura=$(token_of ra-cuu-long unit-ra "$NEW_CODE")
counter01=$(token_of counter-hanoi counter 01)
[ -n "$counter" ] && [ -n "$ura" ] && [ -n "$counter01" ] || { fail "tokens: $(cat "$dir/tk.out")"; diag; exit 1; }
printf '{"kind": "renew", "holders": ["H-0000"], "documents": [{"name": "Đơn đề nghị gia hạn", "sha256": "%s"}], "note": "Gia hạn chứng thư số"}' \
	"$(printf 'don de nghi' | sha256sum | cut -d' ' -f1)" > "$dir/rq.json"
api POST /v1/requests "$dir/rq.json" "$counter01" > "$dir/rq01.out"
js "$dir/rq01.out" 's == 403' || fail "a counter of Hà Nội filed for a holder of province $NEW_CODE: $(cat "$dir/rq01.out")"
api POST /v1/requests "$dir/rq.json" "$counter" > "$dir/rq.out"
rq=$(js "$dir/rq.out" 'r["id"] if s == 201 else ""')
if [ -z "$rq" ]; then
	fail "the counter's request: $(cat "$dir/rq.out")"
else
	api GET "/v1/requests/$rq" - "$ura" > "$dir/rq-get.out"
	js "$dir/rq-get.out" 'r["state"] == "filed" and r["unit"] == "80323062" and r["filed_role"] == "counter"' ||
		fail "the filed request: $(cat "$dir/rq-get.out")"
	api POST "/v1/requests/$rq/approve" - "$counter" > "$dir/rq-self.out"
	js "$dir/rq-self.out" 's == 403' || fail "a counter approved: $(cat "$dir/rq-self.out")"
	api POST "/v1/requests/$rq/approve" - "$ura" > "$dir/rq-approve.out"
	js "$dir/rq-approve.out" 's == 200 and r["state"] in ("executing", "done")' || fail "approve: $(cat "$dir/rq-approve.out")"
	if wait_json "/v1/requests/$rq" 'j["state"] == "done"' 240 "$ura"; then
		api GET "/v1/requests/$rq" - "$ura" > "$dir/rq-done.out"
		rop=$(js "$dir/rq-done.out" 'r["op"] or ""')
		api GET "/v1/lifecycle/$rop" > "$dir/rq-op.out"
		js "$dir/rq-op.out" "r['kind'] == 'renew' and r['request'] == $rq and r['counts']['done'] == 1" || fail "the request's operation: $(cat "$dir/rq-op.out")"
		s0=$(cat "$dir/new-serial-000")
		s0n=$(certs 000)
		[ -n "$s0n" ] && [ "$s0n" != "$s0" ] || fail "the renewal: no new certificate ($(cat "$dir/certs-000.json"))"
		[ "$(spki_sha256 "$dir/cur-000.pem")" = "$(spki_sha256 "$dir/old-000.pem")" ] || fail "the renewal: another key"
		[ "$(subj "$dir/cur-000.pem" stateOrProvinceName)" = "$NEW_NAME" ] || fail "the renewal: ST changed"
		[ "$(sqlite3 "$otad_db" "SELECT reason || ' ' || replaced_by FROM certificates WHERE serial = '$s0'")" = "4 $s0n" ] ||
			fail "the renewal: the old record"
		echo "request $rq (renew H-0000): done, operation $rop, $s0 -> $s0n"
	else
		diag
	fi
fi

# ---- keyCompromise: card 001 through simpki-otad, card 002 at the CA itself
s1=$(cat "$dir/new-serial-001")
key1=$(spki_sha256 "$dir/new-001.pem")
printf '{"reason": "keyCompromise"}' > "$dir/kc.json"
api POST "/v1/certificates/$s1/revoke" "$dir/kc.json" "$cra" > "$dir/kc.out"
r=$(js "$dir/kc.out" 'r["id"] if s == 201 else ""')
[ -n "$r" ] && wait_json "/v1/lifecycle/$r" 'j["state"] == "done" and c["done"] == 1' 120 || fail "revoke keyCompromise: $(cat "$dir/kc.out")"
ocsp "$dir/new-001.pem" > "$dir/ocsp-kc.txt"
grep -q ": revoked" "$dir/ocsp-kc.txt" && grep -qi "keyCompromise\|Key Compromise" "$dir/ocsp-kc.txt" || fail "OCSP: $(cat "$dir/ocsp-kc.txt")"
[ "$(sqlite3 "$otad_db" "SELECT COUNT(*) FROM compromised_keys WHERE pubkey_sha256 = '$key1'")" = 1 ] ||
	fail "the compromised key is not recorded"
api POST "/v1/certificates/$s1/modify" - "$cra" > "$dir/kc-modify.out"
js "$dir/kc-modify.out" 's == 404' || fail "a modification of a certificate revoked keyCompromise: $(cat "$dir/kc-modify.out")"
printf '{"kind": "renew", "select": {"holders": ["H-0001"]}}' > "$dir/kc-renew.json"
api POST /v1/lifecycle "$dir/kc-renew.json" "$cra" > "$dir/kc-renew.out"
js "$dir/kc-renew.out" 's in (404, 422)' || fail "a renewal of the holder whose key is compromised: $(cat "$dir/kc-renew.out")"
[ "$(ca_count "$key1")" = 2 ] || fail "the CA issued a certificate for the compromised key of card 001"
s2=$(cat "$dir/new-serial-002")
key2=$(spki_sha256 "$dir/new-002.pem")
ca_vty "revoke $s2 reason keyCompromise" > "$dir/ca-revoke.out"
# H-0002 moves from its ward to the province itself: its subject changes (a modify over an unchanged one is skipped)
printf '{"unit": "%s"}' "$NEW_CODE" > "$dir/move.json"
api PATCH /v1/holders/H-0002 "$dir/move.json" "$cra" | grep -q "^200 " || fail "H-0002 did not move"
api POST "/v1/certificates/$s2/modify" - "$cra" > "$dir/kc2.out"
r=$(js "$dir/kc2.out" 'r["id"] if s == 201 else ""')
[ -n "$r" ] && wait_json "/v1/lifecycle/$r" 'j["state"] == "done" and c["failed"] == 1' 120 ||
	fail "a modification of a key the CA knows compromised: $(cat "$dir/kc2.out")"
api GET "/v1/lifecycle/$r/items" > "$dir/kc2-items.out"
grep -qi "key compromised" "$dir/kc2-items.out" || fail "the refusal's reason: $(cat "$dir/kc2-items.out")"
echo "keyCompromise: renewal of H-0001 answered $(head -c 160 "$dir/kc-renew.out"); modify of $s2: $(js "$dir/kc2-items.out" 'r["items"][0]["error"]')"
[ "$(ca_count "$key2")" = 2 ] || fail "the CA issued a certificate for the compromised key of card 002"

# ---- the audit trail: it verifies and holds the unit change, the operation and its items
api GET /v1/audit/verify > "$dir/verify.out"
js "$dir/verify.out" 's == 200 and r["ok"] is True and r["problem"] is None' || fail "audit verify: $(cat "$dir/verify.out")"
python3 - "$dir/audit.json" <<'PY'
import json, os, sys, urllib.request
recs, frm = [], 1
while frm:
    req = urllib.request.Request("http://127.0.0.1:8480/v1/audit?from=%d&limit=1000" % frm)
    req.add_header("Authorization", "Bearer " + os.environ["SIMPKI_API_TOKEN"])
    j = json.load(urllib.request.urlopen(req, timeout=30))
    recs += j["records"]
    frm = j["next"]
json.dump(recs, open(sys.argv[1], "w"))
PY
olds=""
i=0
while [ $i -lt $n ]; do
	olds="$olds${olds:+,}'$(cat "$dir/old-serial-$(printf %03d $i)")'"
	i=$((i + 1))
done
python3 - "$dir/audit.json" "$uc" "$m" "[$olds]" <<'PY' || fail "the audit trail"
import json, sys
recs = json.load(open(sys.argv[1]))
uc, m, olds = sys.argv[2], sys.argv[3], eval(sys.argv[4])
ok = True
def want(what, f):
    global ok
    if not any(f(r) for r in recs):
        print("FAIL: no audit record of " + what, file=sys.stderr)
        ok = False
want("the unit change", lambda r: r["action"] == "unit.change" and r["object"] == "unit-change " + uc and r["result"] == "done"
     and r["actor"] == "api/central-ra-1" and r["role"] == "central-ra")
want("the operation", lambda r: r["action"] == "lifecycle.create" and ("operation %s:" % m) in r["detail"])
for o in olds:
    want("the item of " + o, lambda r: r["action"] == "cert.modify" and r["object"] == "cert " + o
         and r["result"].startswith("done: new ") and ("lifecycle %s item" % m) in r["detail"])
seqs = [r["seq"] for r in recs]
if seqs != list(range(1, len(recs) + 1)):
    print("FAIL: the audit records are not numbered 1..N", file=sys.stderr)
    ok = False
if ok:
    print("audit: %d records, the unit change, the operation and its %d items among them" % (len(recs), len(olds)))
sys.exit(0 if ok else 1)
PY

# ---- on the SIMs themselves (their phones stopped): the certificate file the enrolment made holds the certificate in
# force (card 000: the renewal's; the others: the modification's), read with the card's own SELECT and READ BINARY
stop_phones
i=0
while [ $i -lt $n ]; do
	k=$(printf %03d $i)
	iccid=$(luhn 898401000000000$k)
	if [ $i -eq 0 ]; then want=$dir/cur-000.pem; else want=$dir/new-$k.pem; fi
	fid=$(sqlite3 "$otad_db" "SELECT printf('%04X', cert_fid) FROM enrolments WHERE iccid = '$iccid' AND state = 'done' ORDER BY id DESC LIMIT 1")
	openssl x509 -in "$want" -outform DER -out "$dir/want-$k.der"
	len=$(wc -c < "$dir/want-$k.der")
	{
		echo 00A4040C0CF276A288BCFBA69D34F31001
		echo "00A4000C02$fid"
		off=0
		while [ $off -lt "$len" ]; do
			le=$((len - off < 256 ? len - off : 0))
			printf '00B0%04X%02X\n' $off $le
			off=$((off + 256))
		done
	} > "$dir/read-$k.apdu"
	"$card" apdu --state "$dir/cards/$k" "$dir/read-$k.apdu" > "$dir/read-$k.out" 2>&1
	python3 - "$dir/read-$k.out" "$dir/want-$k.der" <<'PY' || fail "SIM $k does not hold its certificate in force (file $fid): $(cut -c 1-40 "$dir/read-$k.out")"
import binascii, sys
lines = open(sys.argv[1]).read().split("\n")
got = b""
for i, l in enumerate(x for x in lines if x.strip()):
    p = l.split()
    assert p[-1] == "9000", l
    if i >= 2:
        got += binascii.unhexlify(p[0])
sys.exit(0 if got == open(sys.argv[2], "rb").read() else 1)
PY
	i=$((i + 1))
done
[ $failures -eq 0 ] && echo "the SIMs hold their new certificates (read from each card's file)"
echo "otad-reorg: $(($(date +%s) - t_start)) s, $failures failures"
[ $failures -eq 0 ] || diag
exit $((failures != 0))
