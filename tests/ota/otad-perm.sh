#!/bin/sh
# simpki-otad's roles and scopes through the API (docs/otad.md, "Roles and scopes"; run by in-netns.sh: its ports
# are private; no SMSC answers, none is needed):
# - tokens: a unit-ra or counter token without a scope is 400, with an unknown unit 422 unit_not_found; GET
#   /v1/tokens and the VTY's 'show api tokens' show each token's scope; the VTY makes a scoped token too;
# - a token of each role (read-only with and without a scope, operator, central-ra, unit-ra and counter scoped to
#   province 01, auditor) on representative routes, inside and outside its scope (holders in a ward of 01, in 01
#   itself and in a ward of 29; a card of each, one without a holder): 200/201 or 403 as the matrix says, and the
#   403's message (the token, its role, the action, "outside your scope (01)" or "not allowed for role R");
# - a scoped token's holder list is its subtree; a list filtered by a unit outside it is 403;
# - PUT /v1/cards/{iccid}/holder needs both the card's holder now and the new one inside; so does a holder's move,
#   PATCH /v1/holders/{id} {"unit": CODE} (the unit it is in and the one it moves to);
# - a read-only token without a scope still reads everything it read before.
# Usage: otad-perm.sh SIMPKI_OTAD SOURCE_ROOT
set -u
export SIMPKI_API_TOKEN=admin-token-for-the-test-0123456789
otad=$1
src=$2
command -v python3 > /dev/null || { echo "otad-perm.sh: python3 missing" >&2; exit 1; }
. "$(dirname "$0")/otad-lib.sh"
otad_test_init perm
checks=0

body() { # FILE TEXT
	printf '%s' "$2" > "$dir/$1"
}

mkdir -p "$dir/conf"
sed "s|^ database .*| database otad.db\n units-dir $src/data|" "$src/ota-server/simpki-otad.cfg.example" > "$dir/conf/simpki-otad.cfg"
start_otad "$dir/conf/simpki-otad.cfg" "$dir/otad.log" || exit 1
pid=$otad_pid

# ---- the world: holders in a ward of 01, in 01, in a ward of 29; a card of each, and one without a holder ----
body h1.json '{"id": "HN1", "name": "Nguyễn Văn An", "id_number": "0011", "unit": "10101003"}'
body h2.json '{"id": "HN2", "name": "Trần Thị Bình", "id_number": "0012", "unit": "01"}'
body h3.json '{"id": "HCM1", "name": "Lê Văn Cường", "id_number": "0791", "unit": "71713027"}'
for f in h1 h2 h3; do
	expect 201 '"id":"' POST /v1/holders "$dir/$f.json"
done
C1=8984010000000000005 # HN1's (ward of 01)
C2=8984010000000000013 # HCM1's (ward of 29)
C3=8984010000000000021 # nobody's
KEY=8C4A1F0B3E2D5A697788A9BACBDCEDFE
{
	echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid"
	echo "$C1,001010000000001,2001,1,aes,$KEY,aes,$KEY"
	echo "$C2,001010000000002,2002,1,aes,$KEY,aes,$KEY"
	echo "$C3,001010000000003,2003,1,aes,$KEY,aes,$KEY"
} > "$dir/conf/cards.csv"
vty_import "$dir/conf/cards.csv" | grep -q done || fail "the card import"
body link.json '{"holder": "HN1"}'
expect 200 '"holder":"HN1"' PUT /v1/cards/$C1/holder "$dir/link.json"
body link.json '{"holder": "HCM1"}'
expect 200 '"holder":"HCM1"' PUT /v1/cards/$C2/holder "$dir/link.json"

# ---- tokens with roles and scopes ----
ro=$(token_of ro read-only)
ro01=$(token_of ro01 read-only 01)
op=$(token_of op operator)
cra=$(token_of cra central-ra)
ura=$(token_of ura unit-ra 01)
ctr=$(token_of ctr counter 01)
aud=$(token_of aud auditor)
for t in ro ro01 op cra ura ctr aud; do
	eval "[ -n \"\$$t\" ]" || fail "no token $t"
done
body tk.json '{"name": "x", "role": "unit-ra"}'
expect 400 'scope: a unit-ra token needs one' POST /v1/tokens "$dir/tk.json"
body tk.json '{"name": "x", "role": "counter", "scope": "99999"}'
expect 422 '"code":"unit_not_found"' POST /v1/tokens "$dir/tk.json"
body tk.json '{"name": "x", "role": "counter", "scope": "01x"}'
expect 400 'scope: a unit' POST /v1/tokens "$dir/tk.json"
api GET /v1/tokens > "$dir/tokens.txt"
python3 - "$dir/tokens.txt" <<'PY' || fail "GET /v1/tokens: $(cat "$dir/tokens.txt")"
import json, sys
status, body = open(sys.argv[1]).read().split(" ", 1)
t = {x["name"]: (x["role"], x["scope"]) for x in json.loads(body)["tokens"]}
assert status == "200", status
assert t["ura"] == ("unit-ra", "01") and t["ctr"] == ("counter", "01") and t["ro01"] == ("read-only", "01"), t
assert t["op"] == ("operator", None) and t["aud"] == ("auditor", None) and t["cra"] == ("central-ra", None), t
assert "x" not in t, t
PY
vty "api token create vra unit-ra scope 10101003" | grep -q "^token vra [0-9a-f]\{64\}" || fail "VTY: a scoped token"
vty "api token create vctr counter" > "$dir/v.txt" # no scope: the VTY's grammar takes it, the daemon refuses
grep -q "needs a scope" "$dir/v.txt" || fail "VTY: a counter token without a scope: $(cat "$dir/v.txt")"
vty "api token create vx unit-ra scope 99999" | grep -q "not a unit" || fail "VTY: a token scoped to no unit"
vty "show api tokens" > "$dir/v.txt"
grep -q "^vra  *unit-ra  *10101003 " "$dir/v.txt" || fail "show api tokens: $(cat "$dir/v.txt")"
grep -q "^op  *operator  *- " "$dir/v.txt" || fail "show api tokens (no scope): $(cat "$dir/v.txt")"

# ---- each role on representative routes: TOKEN STATUS METHOD PATH [BODY] ----
body new01.json '{"id": "HN3", "name": "Phạm Văn Dũng", "id_number": "0013", "unit": "10107008"}'
body new29.json '{"id": "HCM2", "name": "Võ Thị Em", "id_number": "0792", "unit": "29"}'
body suspend.json '{"state": "suspended"}'
body active.json '{"state": "active"}'
body toHN2.json '{"holder": "HN2"}'
body toHCM1.json '{"holder": "HCM1"}'
body toHN1.json '{"holder": "HN1"}'
body unlink.json '{"holder": null}'
body to10101003.json '{"unit": "10101003"}'
body to01.json '{"unit": "01"}'
body to29.json '{"unit": "29"}'
body to71713027.json '{"unit": "71713027"}'
body enrol.json '{"key_id": 2, "profile": "signing"}'
while read -r who status method path file; do
	[ -n "$who" ] || continue
	case $who in "#"*) continue ;; esac
	eval "t=\$$who"
	[ "$file" = "" ] && file=-
	[ "$file" = - ] || file="$dir/$file"
	expect "$status" '' "$method" "$path" "$file" "$t"
done <<EOF
# holder.read
ro 200 GET /v1/holders/HN1
ro 200 GET /v1/holders/HCM1
ro01 200 GET /v1/holders/HN1
ro01 403 GET /v1/holders/HCM1
op 200 GET /v1/holders/HCM1
cra 200 GET /v1/holders/HCM1
ura 200 GET /v1/holders/HN1
ura 200 GET /v1/holders/HN2
ura 403 GET /v1/holders/HCM1
ctr 200 GET /v1/holders/HN1
ctr 403 GET /v1/holders/HCM1
aud 200 GET /v1/holders/HCM1
ura 403 GET /v1/holders?unit=29
ura 200 GET /v1/holders?unit=10101003
ura 403 GET /v1/holders?unit=0100000000000000001
ro 400 GET /v1/holders?unit=0100000000000000001
ctr 200 GET /v1/holders
# holder.write
ro 403 POST /v1/holders new01.json
ctr 403 POST /v1/holders new01.json
aud 403 POST /v1/holders new01.json
ura 403 POST /v1/holders new29.json
ura 201 POST /v1/holders new01.json
cra 201 POST /v1/holders new29.json
ura 403 POST /v1/holders/import new01.json
ura 403 PUT /v1/cards/$C2/holder toHN1.json
ura 403 PUT /v1/cards/$C1/holder toHCM1.json
ura 200 PUT /v1/cards/$C3/holder toHN2.json
ura 200 PUT /v1/cards/$C3/holder toHN1.json
ctr 403 PUT /v1/cards/$C3/holder toHN2.json
cra 200 PUT /v1/cards/$C3/holder toHCM1.json
ura 403 PUT /v1/cards/$C3/holder toHN1.json
op 200 PUT /v1/cards/$C3/holder toHN2.json
op 200 PUT /v1/cards/$C3/holder unlink.json
# a holder moves (PATCH /v1/holders/{id}): its unit now and the new one, both inside
ura 200 PATCH /v1/holders/HN2 to10101003.json
ura 200 PATCH /v1/holders/HN2 to01.json
ura 403 PATCH /v1/holders/HN2 to29.json
ura 403 PATCH /v1/holders/HCM1 to01.json
ctr 403 PATCH /v1/holders/HN2 to10101003.json
ro 403 PATCH /v1/holders/HN2 to10101003.json
cra 200 PATCH /v1/holders/HCM2 to71713027.json
op 200 PATCH /v1/holders/HCM2 to29.json
# card.read: the card's holder's unit
ro 200 GET /v1/cards/$C2
ro01 200 GET /v1/cards/$C1
ro01 403 GET /v1/cards/$C2
ura 200 GET /v1/cards/$C1
ura 403 GET /v1/cards/$C2
ura 403 GET /v1/cards
ctr 403 GET /v1/cards/$C1
cra 200 GET /v1/cards/$C2
aud 200 GET /v1/cards/$C2
ro 200 GET /v1/cards
ro01 403 GET /v1/cards
ro 200 GET /v1/jobs
ro01 403 GET /v1/jobs
cra 200 GET /v1/jobs
# a card's certificates: holder.read
ctr 200 GET /v1/cards/$C1/certificates
ctr 403 GET /v1/cards/$C2/certificates
ura 200 GET /v1/cards/$C1/certificates
# card.write
op 200 PATCH /v1/cards/$C1 suspend.json
op 200 PATCH /v1/cards/$C1 active.json
ura 403 PATCH /v1/cards/$C1 suspend.json
cra 403 PATCH /v1/cards/$C2 suspend.json
aud 403 PATCH /v1/cards/$C2 suspend.json
# cert.enrol: permitted gets as far as the missing CA (409); refused is 403
ura 409 POST /v1/cards/$C1/certificates enrol.json
ura 403 POST /v1/cards/$C2/certificates enrol.json
ctr 403 POST /v1/cards/$C1/certificates enrol.json
cra 409 POST /v1/cards/$C2/certificates enrol.json
op 409 POST /v1/cards/$C2/certificates enrol.json
# campaigns: not tied to a unit
ro 200 GET /v1/campaigns
ro01 403 GET /v1/campaigns
op 200 GET /v1/campaigns
aud 200 GET /v1/campaigns
cra 403 GET /v1/campaigns
ura 403 GET /v1/campaigns
# tokens and the database: admin only
op 403 GET /v1/tokens
cra 403 GET /v1/tokens
aud 403 GET /v1/tokens
ura 403 POST /v1/tokens new01.json
op 403 GET /v1/database
aud 403 GET /v1/database
EOF

# ---- the 403's words ----
expect 403 "token 'ura' (unit-ra): holder.read on holder HCM1: unit 71713027 is outside your scope (01)" GET /v1/holders/HCM1 - "$ura"
expect 403 "token 'ctr' (counter): holder.write on /v1/holders: not allowed for role counter" POST /v1/holders "$dir/new01.json" "$ctr"
expect 403 "token 'ura' (unit-ra): card.read on card $C3: not tied to a unit: outside your scope (01)" GET /v1/cards/$C3 - "$ura"
expect 403 "token 'ura' (unit-ra): holder.read on /v1/holders: unit 29 is outside your scope (01)" GET '/v1/holders?unit=29' - "$ura"
expect 403 "token 'ura' (unit-ra): holder.write on card $C2: unit 71713027 is outside your scope (01)" PUT /v1/cards/$C2/holder "$dir/toHN1.json" "$ura"
expect 403 "token 'ura' (unit-ra): holder.write on holder HN2: unit 29 is outside your scope (01)" PATCH /v1/holders/HN2 "$dir/to29.json" "$ura"
expect 403 "token 'ura' (unit-ra): holder.write on holder HCM1: unit 71713027 is outside your scope (01)" PATCH /v1/holders/HCM1 "$dir/to01.json" "$ura"
expect 200 '"unit":"29"' GET /v1/holders/HCM2
expect 200 '"unit":"01"' GET /v1/holders/HN2
expect 403 "token 'aud' (auditor): token.manage on /v1/tokens: not allowed for role auditor" GET /v1/tokens - "$aud"

# ---- a scoped token's list is its subtree ----
api GET /v1/holders - "$ura" > "$dir/list.txt"
python3 - "$dir/list.txt" <<'PY' || fail "unit-ra's holders: $(cat "$dir/list.txt")"
import json, sys
status, body = open(sys.argv[1]).read().split(" ", 1)
ids = sorted(h["id"] for h in json.loads(body)["holders"])
assert status == "200" and ids == ["HN1", "HN2", "HN3"], (status, ids)
PY
api GET /v1/holders - "$ro" > "$dir/list.txt"
python3 - "$dir/list.txt" <<'PY' || fail "read-only's holders: $(cat "$dir/list.txt")"
import json, sys
status, body = open(sys.argv[1]).read().split(" ", 1)
ids = sorted(h["id"] for h in json.loads(body)["holders"])
assert status == "200" and ids == ["HCM1", "HCM2", "HN1", "HN2", "HN3"], (status, ids)
PY

# ---- read-only without a scope reads what it read before ----
for p in /v1/cards /v1/cards/$C1 /v1/cards/$C3 /v1/jobs /v1/holders /v1/holders/HCM2 /v1/cards/$C2/certificates \
	/v1/campaigns /v1/imports/1; do
	expect 200 '' GET "$p" - "$ro"
done
expect 403 '"code":"forbidden"' POST /v1/holders "$dir/new01.json" "$ro"

kill -TERM $pid
wait $pid
pid=""
[ $failures -eq 0 ] || { tail -n 20 "$dir/otad.log" >&2; exit 1; }
echo "otad-perm: all $checks checks passed"
