#!/bin/sh
# simpki-otad's requests instead of paper (request/request.h; run by in-netns.sh: its ports are private; no SMSC, no
# CA: holder notifications fail and are logged, never fatal):
# - holders in two wards of Hà Nội (10101003 Ba Đình, 10107008 Bạch Mai) and one in Hải Phòng;
# - a clerk files a revoke (keyCompromise) for a list of two holders of both wards (its unit: the province, 01, the
#   lowest unit containing both), a suspend for every holder of a ward (its unit: the ward), a renew, a release, a
#   pin-reset, a new-certificate; bad bodies are 400 (no documents, a holder twice, a reason for suspend, pin-reset
#   without the identity number, an unknown member, a bad hash), an unknown holder 404, a ward without holders 422;
# - list and filters (unit subtree, state, kind, limit and cursor), GET one with holders and documents;
# - four eyes: the clerk may not approve their own request (403 own_request); another may not withdraw it (403);
# - a rejection with its reason; a decided request is not decided again (409);
# - an approval executes at once: no holder here has a card or a certificate, so each executor (the lifecycle
#   engine, the PIN reset, the enrolment) refuses to start and the request ends failed, saying why (a request
#   executed to the end through the network: otad-reorg.sh);
# - stats per unit and state, open ones by age (ages made by moving filed_at back in the database while stopped);
# - after a restart every state, decision and reason is as it was; a request left approved (never started) fails
#   at the start, saying so; the VTY shows them.
# Roles: the role matrix (otad_perm.c) is not merged in this tree: the clerk and the RA are operator tokens. Where
# the matrix will refuse (a counter deciding, a unit RA of another province filing or deciding), "ROLE CHECK" marks
# the place for those checks.
# - simpki-admin's request commands: file (a list from a file), list, show, stats, approve refused to the filer
#   (exit 4), reject with a reason, withdraw.
# Usage: otad-requests.sh SIMPKI_OTAD SOURCE_ROOT SIMPKI_ADMIN
set -u
export SIMPKI_API_TOKEN=admin-token-for-the-test-0123456789
otad=$1
src=$2
admin=$3
# Flip to "yes" once the lifecycle engine (lifecycle/lifecycle.c) and the PIN reset are merged: an approved request
# must then reach executing and end done (given holders with certificates and a CA, which this test then needs).
command -v python3 > /dev/null || { echo "otad-requests.sh: python3 missing" >&2; exit 1; }
command -v sqlite3 > /dev/null || { echo "otad-requests.sh: sqlite3 missing" >&2; exit 1; }
. "$(dirname "$0")/otad-lib.sh"
otad_test_init requests

# check PYTHON_EXPR... over the answer of METHOD PATH as r (JSON), status as s
check() { # PATH TOKEN EXPR
	api GET "$1" - "$2" > "$dir/ans.txt"
	python3 - "$dir/ans.txt" "$3" <<'PY' || fail "GET $1: $3: $(cat "$dir/ans.txt")"
import json, sys
s, body = open(sys.argv[1], encoding="utf-8").read().split(" ", 1)
r = json.loads(body)
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# file BODY TOKEN: file a request, print its id
file() {
	body "$1"
	api POST /v1/requests "$dir/b.json" "$2" | sed -n 's/^201 {"id":\([0-9]*\),.*/\1/p'
}

mkdir -p "$dir/conf"
sed 's/^ database .*/ database otad.db/' "$src/ota-server/simpki-otad.cfg.example" > "$dir/conf/simpki-otad.cfg"
start

# the clerk and the RA act for the whole tree (central-ra: their requests span two provinces); a counter and a unit
# RA scoped to Hà Nội (01) show the scopes
clerk=$(token_of clerk-hanoi central-ra)
ra=$(token_of ra-hanoi central-ra)
counter=$(token_of counter-hanoi counter 01)
ura=$(token_of ura-haiphong unit-ra 04)
[ -n "$clerk" ] && [ -n "$ra" ] && [ -n "$counter" ] && [ -n "$ura" ] || fail "no clerk, ra, counter or unit-ra token"

{
	echo "id,name,id_number,unit,email"
	echo "H-1,Nguyễn Văn An,0791000001,10101003,"
	echo "H-2,Trần Thị Bình,0791000002,10101003,"
	echo "H-3,Lê Văn Cường,0791000003,10101003,"
	echo "H-4,Phạm Thị Dung,0791000004,10107008,"
	echo "H-5,Hoàng Văn Em,0791000005,10107008,"
	echo "H-9,Vũ Thị Hải,0791000009,10325050,"
} > "$dir/holders.csv"
expect 200 '"holders":6' POST /v1/holders/import "$dir/holders.csv"

doc='"documents": [{"name": "Quyết định 275/QĐ", "sha256": "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"}]'

# ---- filing ----
rA=$(file "{\"kind\": \"revoke\", \"holders\": [\"H-1\", \"H-4\"], \"reason\": \"keyCompromise\", $doc, \"note\": \"Mất SIM\"}" "$clerk")
rB=$(file "{\"kind\": \"suspend\", \"unit\": \"10101003\", $doc}" "$clerk")
rC=$(file "{\"kind\": \"renew\", \"holders\": [\"H-2\", \"H-3\"], $doc}" "$clerk")
rD=$(file "{\"kind\": \"release\", \"holders\": [\"H-5\"], $doc}" "$clerk")
rE=$(file '{"kind": "pin-reset", "holders": ["H-2"], "id_number": "0791000002"}' "$clerk")
rF=$(file "{\"kind\": \"new-certificate\", \"holders\": [\"H-3\"], $doc}" "$clerk")
rG=$(file "{\"kind\": \"modify\", \"holders\": [\"H-4\", \"H-5\"], $doc}" "$clerk")
rH=$(file "{\"kind\": \"rekey\", \"holders\": [\"H-9\"], $doc}" "$ra")
for r in "$rA" "$rB" "$rC" "$rD" "$rE" "$rF" "$rG" "$rH"; do
	[ -n "$r" ] || { fail "a request was not filed"; cat "$dir/otad.log" >&2; exit 1; }
done
check "/v1/requests/$rA" "$clerk" 'r["state"] == "filed" and r["unit"] == "01" and r["holder_count"] == 2 and r["kind"] == "revoke" and r["params"]["reason"] == "keyCompromise" and r["params"]["note"] == "Mất SIM" and r["documents"][0]["name"] == "Quyết định 275/QĐ" and r["documents"][0]["sha256"] == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" and [h["id"] for h in r["holders"]] == ["H-1", "H-4"] and r["filed_by"] == "clerk-hanoi" and r["decided_by"] is None'
check "/v1/requests/$rB" "$clerk" 'r["unit"] == "10101003" and r["holder_count"] == 3 and r["params"]["select"] == "unit"'
check "/v1/requests/$rC" "$clerk" 'r["unit"] == "10101003"'
check "/v1/requests/$rE" "$clerk" '"id_number" not in r["params"] and r["params"]["mode"] == "one-time-pin"'
check "/v1/requests/$rH" "$clerk" 'r["unit"] == "04" or r["unit"] == "10325050"'

body '{"kind": "revoke", "holders": ["H-1"]}'
expect 400 'documents' POST /v1/requests "$dir/b.json" "$clerk"
body "{\"kind\": \"revoke\", \"holders\": [\"H-1\", \"H-1\"], $doc}"
expect 400 'named twice' POST /v1/requests "$dir/b.json" "$clerk"
body "{\"kind\": \"suspend\", \"holders\": [\"H-1\"], \"reason\": \"keyCompromise\", $doc}"
expect 400 'only for revoke' POST /v1/requests "$dir/b.json" "$clerk"
body '{"kind": "pin-reset", "holders": ["H-1"]}'
expect 400 'id_number' POST /v1/requests "$dir/b.json" "$clerk"
body "{\"kind\": \"revoke\", \"holders\": [\"H-1\"], \"colour\": 1, $doc}"
expect 400 'unknown member' POST /v1/requests "$dir/b.json" "$clerk"
body '{"kind": "revoke", "holders": ["H-1"], "documents": [{"name": "x", "sha256": "12"}]}'
expect 400 'sha256' POST /v1/requests "$dir/b.json" "$clerk"
body "{\"kind\": \"revoke\", \"holders\": [\"H-77\"], $doc}"
expect 404 '"code":"holder_not_found"' POST /v1/requests "$dir/b.json" "$clerk"
body "{\"kind\": \"revoke\", \"unit\": \"10106040\", $doc}"
expect 422 '"code":"request_empty"' POST /v1/requests "$dir/b.json" "$clerk"
body "{\"kind\": \"revoke\", \"unit\": \"99999999\", $doc}"
expect 422 '"code":"unit_not_found"' POST /v1/requests "$dir/b.json" "$clerk"
# a counter of Hà Nội files for its own holders, not for one in Hải Phòng
body "{\"kind\": \"suspend\", \"holders\": [\"H-9\"], $doc}"
expect 403 'forbidden' POST /v1/requests "$dir/b.json" "$counter"

# ---- seeing ----
check /v1/requests "$clerk" "[x['id'] for x in r['items']] == sorted([$rA, $rB, $rC, $rD, $rE, $rF, $rG, $rH], reverse=True) and r['next_cursor'] is None"
check "/v1/requests?unit=10101003" "$clerk" "sorted(x['id'] for x in r['items']) == sorted([$rB, $rC, $rE, $rF])"
check "/v1/requests?unit=01" "$clerk" "sorted(x['id'] for x in r['items']) == sorted([$rA, $rB, $rC, $rD, $rE, $rF, $rG])"
check "/v1/requests?kind=revoke" "$clerk" "[x['id'] for x in r['items']] == [$rA]"
check "/v1/requests?state=filed&limit=2" "$clerk" "len(r['items']) == 2 and r['next_cursor'] == str(r['items'][1]['id'])"
check "/v1/requests?state=filed&limit=2&cursor=$rG" "$clerk" "[x['id'] for x in r['items']] == [$rF, $rE]"
expect 400 'state' GET '/v1/requests?state=open' - "$clerk"
expect 400 'unknown parameter' GET '/v1/requests?colour=red' - "$clerk"
expect 404 '"code":"request_not_found"' GET /v1/requests/999999 - "$clerk"
expect 400 '"code":"invalid_id"' GET /v1/requests/x1 - "$clerk"
expect 405 '"code":"method_not_allowed"' DELETE "/v1/requests/$rA" - "$clerk"

# ---- deciding ----
expect 403 '"code":"own_request"' POST "/v1/requests/$rA/approve" - "$clerk"
expect 403 '"code":"not_request_filer"' POST "/v1/requests/$rD/withdraw" - "$ra"
body '{}'
expect 400 'reason' POST "/v1/requests/$rC/reject" "$dir/b.json" "$ra"
body '{"reason": "Thiếu chữ ký của thủ trưởng đơn vị"}'
expect 200 '"state":"rejected"' POST "/v1/requests/$rC/reject" "$dir/b.json" "$ra"
check "/v1/requests/$rC" "$clerk" 'r["reason"] == "Thiếu chữ ký của thủ trưởng đơn vị" and r["decided_by"] == "ra-hanoi" and r["decided"]'
expect 409 '"code":"request_decided"' POST "/v1/requests/$rC/approve" - "$ra"
expect 200 '"state":"withdrawn"' POST "/v1/requests/$rD/withdraw" - "$clerk"
expect 409 '"code":"request_decided"' POST "/v1/requests/$rD/withdraw" - "$clerk"
# a counter may not decide; a unit RA of Hải Phòng may not decide a request of Hà Nội
expect 403 'forbidden' POST "/v1/requests/$rA/approve" - "$counter"
expect 403 'forbidden' POST "/v1/requests/$rA/approve" - "$ura"

api POST "/v1/requests/$rA/approve" - "$ra" > "$dir/approve.txt"
grep -q '^200 ' "$dir/approve.txt" || fail "approve: $(cat "$dir/approve.txt")"
# no holder here has a certificate or a card: the executors cannot start; the request fails saying why (a
# request executed to the end: tests/ota/otad-reorg.sh)
check "/v1/requests/$rA" "$clerk" 'r["state"] == "failed" and "no certificate in force" in r["reason"] and r["decided_by"] == "ra-hanoi"'
expect 200 '"state":"failed"' POST "/v1/requests/$rE/approve" - "$ra"
check "/v1/requests/$rE" "$clerk" 'r["state"] == "failed" and r["reason"] and r["holders"][0]["result"]'
expect 200 '"state":"failed"' POST "/v1/requests/$rF/approve" - "$ra"
check "/v1/requests/$rF" "$clerk" 'r["state"] == "failed" and "no active card" in r["reason"]'
grep -q "holders not notified" "$dir/otad.log" || fail "no logged notification failure: $(tail -n 5 "$dir/otad.log")"
expect 409 '"code":"request_decided"' POST "/v1/requests/$rA/approve" - "$ra"

# ---- stats and ages ----
# open now: rB, rG (filed), rH (filed); move rB back 3 days and rG back 10 days
stop
sqlite3 "$dir/conf/otad.db" "UPDATE requests SET filed_at = filed_at - 3 * 86400000 WHERE id = $rB;
	UPDATE requests SET filed_at = filed_at - 10 * 86400000 WHERE id = $rG;
	UPDATE requests SET state = 'approved' WHERE id = $rH;" || fail "sqlite3"
start
grep -q "1 requests approved before the stop failed" "$dir/otad.log" || fail "the interrupted approval: $(tail -n 5 "$dir/otad.log")"
check "/v1/requests/$rH" "$clerk" 'r["state"] == "failed" and "daemon stopped" in r["reason"]'
check "/v1/requests/stats?unit=01" "$clerk" "[u['unit'] for u in r['units']] == ['01', '10101003', '10107008'] and r['units'][0]['counts']['failed'] == 1 and r['units'][1]['counts'] == dict(filed=1, approved=0, executing=0, done=0, failed=2, rejected=1, withdrawn=0) and r['units'][1]['open'] == dict(under_1d=0, **{'1d_to_7d': 1}, over_7d=0) and r['units'][2]['counts']['withdrawn'] == 1 and r['units'][2]['open']['over_7d'] == 1 and r['total']['oldest_open']['id'] == $rG and r['units'][1]['name'] == 'Phường Ba Đình'"
check "/v1/requests/stats" "$clerk" "sorted(u['unit'] for u in r['units']) == ['01', '04'] and r['total']['counts']['filed'] == 2 and r['total']['counts']['rejected'] == 1 and r['total']['open'] == dict(under_1d=0, **{'1d_to_7d': 1}, over_7d=1)"
expect 422 '"code":"unit_not_found"' GET '/v1/requests/stats?unit=99999999' - "$clerk"

# ---- after the restart: every state, decision and reason as it was ----
check "/v1/requests/$rC" "$clerk" 'r["state"] == "rejected" and r["reason"] == "Thiếu chữ ký của thủ trưởng đơn vị"'
check "/v1/requests/$rD" "$clerk" 'r["state"] == "withdrawn" and r["decided_by"] == "clerk-hanoi"'
check "/v1/requests/$rA" "$clerk" 'r["decided_by"] == "ra-hanoi" and r["state"] in ("failed", "done")'
n=$(sqlite3 "$dir/conf/otad.db" "SELECT COUNT(*) FROM requests WHERE state IN ('rejected', 'withdrawn', 'failed')")
[ "$n" -ge 6 ] || fail "the database holds $n ended requests"

# ---- simpki-admin ----
adm() { # TOKEN ARGS...: run simpki-admin with that token, its output in $dir/adm.txt, its exit code in $adm_rc
	tk=$1
	shift
	SIMPKI_API_TOKEN=$tk "$admin" "$@" > "$dir/adm.txt" 2>&1
	adm_rc=$?
}
printf '# the ward of Bạch Mai\nH-4\nH-5\n' > "$dir/list.txt"
adm "$clerk" request file --kind renew --holders "$dir/list.txt" --document "QĐ 12=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" --note "Gia hạn"
[ $adm_rc -eq 0 ] && grep -q "filed (unit 10107008, 2 holders)" "$dir/adm.txt" || fail "admin request file: $adm_rc $(cat "$dir/adm.txt")"
rI=$(sed -n 's/^request \([0-9]*\) filed.*/\1/p' "$dir/adm.txt")
adm "$clerk" request approve "$rI"
[ $adm_rc -eq 4 ] && grep -q "four eyes" "$dir/adm.txt" || fail "admin request approve by the filer: $adm_rc $(cat "$dir/adm.txt")"
adm "$ra" request reject "$rI" --reason "Thiếu quyết định"
[ $adm_rc -eq 0 ] && grep -q "reason: Thiếu quyết định" "$dir/adm.txt" || fail "admin request reject: $adm_rc $(cat "$dir/adm.txt")"
adm "$ra" request reject "$rI" --reason "again"
[ $adm_rc -eq 6 ] || fail "admin request reject twice: $adm_rc $(cat "$dir/adm.txt")"
adm "$clerk" request show "$rI"
grep -q "holder H-5" "$dir/adm.txt" && grep -q "document QĐ 12 sha256 9f86" "$dir/adm.txt" || fail "admin request show: $(cat "$dir/adm.txt")"
adm "$clerk" request list --unit 10107008 --state rejected
grep -q "^$rI *renew *rejected *10107008 *2 *clerk-hanoi" "$dir/adm.txt" || fail "admin request list: $(cat "$dir/adm.txt")"
adm "$clerk" request stats --unit 01
grep -q "^10107008 *Phường Bạch Mai" "$dir/adm.txt" && grep -q "^total" "$dir/adm.txt" || fail "admin request stats: $(cat "$dir/adm.txt")"
adm "$clerk" request show 999999
[ $adm_rc -eq 5 ] || fail "admin request show 999999: $adm_rc"

# ---- the VTY ----
vty "show requests unit 10101003 state filed" > "$dir/vty.txt"
grep -q "request $rB suspend filed unit 10101003: 3 holders, filed by clerk-hanoi" "$dir/vty.txt" || fail "show requests: $(cat "$dir/vty.txt")"
grep -q "request $rC" "$dir/vty.txt" && fail "show requests state filed shows a rejected one"
vty "show request $rC" > "$dir/vty.txt"
grep -q "rejected unit 10101003.*decided by ra-hanoi: Thiếu chữ ký" "$dir/vty.txt" || fail "show request: $(cat "$dir/vty.txt")"
grep -q "holder H-3" "$dir/vty.txt" || fail "show request: no holder: $(cat "$dir/vty.txt")"
vty "show request $rE" > "$dir/vty.txt"
grep -q '"mode":"one-time-pin"' "$dir/vty.txt" || fail "show request (pin-reset): $(cat "$dir/vty.txt")"
grep -q "0791000002" "$dir/vty.txt" && fail "show request shows the holder's identity number"

# ---- a counter of Hà Nội files for its own holder; it may read it, a unit RA of Hải Phòng may not
rJ=$(file "{\"kind\": \"suspend\", \"holders\": [\"H-1\"], $doc}" "$counter")
[ -n "$rJ" ] || fail "the counter's request was not filed"
check "/v1/requests/$rJ" "$counter" 'r["filed_role"] == "counter" and r["unit"] == "10101003"'
expect 403 'forbidden' GET "/v1/requests/$rJ" - "$ura"

stop
[ $failures -eq 0 ] || { echo "--- otad.log" >&2; tail -n 30 "$dir/otad.log" >&2; exit 1; }
echo "otad-requests: ok"
