#!/bin/sh
# simpki-otad's holders, units and certificates as an operator meets them (run by in-netns.sh: its ports are
# private; no SMSC answers, none is needed):
# - the organisation tree's units are loaded at the first start (34 provinces, 3,321 wards: 'show units'), not
#   again at the next start, and again when a file changed ('units-dir' given explicitly, a copy of data/);
# - POST /v1/holders: a Vietnamese name round-trips intact (GET, the VTY); a taken id is 409 holder_exists, an
#   unknown unit 422 unit_not_found, bad UTF-8, a name of 129 characters, a bad id number or email, an unknown
#   member are 400 invalid_request; a bad id in the path is 400 invalid_holder_id, an unknown one 404;
# - roles: read-only reads holders and certificates but may not write (403); operator writes;
# - POST /v1/holders/import: good lines stored, bad ones rejected each with its line, kind and reason (format,
#   file, database); a file without the header refused at line 1;
# - PUT /v1/cards/{iccid}/holder links a card (GET /v1/cards shows it; 'show card' too), null unlinks, an unknown
#   holder or card is 404;
# - PATCH /v1/holders/{id} {"unit": CODE} moves a holder (read-only may not: 403); a bad body 400, an unknown holder
#   404, an unknown unit 422, a unit ended by a merge 409 unit_ended (naming its successor);
# - GET /v1/cards/{iccid}/certificates lists a certificate recorded through the VTY with its serial, key, profile,
#   status, end of validity and PEM (the same as the file's); status changes show; a revoked one stays revoked.
# Usage: otad-holders.sh SIMPKI_OTAD SOURCE_ROOT
set -u
export SIMPKI_API_TOKEN=admin-token-for-the-test-0123456789
otad=$1
src=$2
command -v python3 > /dev/null || { echo "otad-holders.sh: python3 missing" >&2; exit 1; }
command -v openssl > /dev/null || { echo "otad-holders.sh: openssl missing" >&2; exit 1; }
. "$(dirname "$0")/otad-lib.sh"
otad_test_init holders

mkdir -p "$dir/conf" "$dir/units"
cp "$src/data/provinces.json" "$src/data/wards.json" "$dir/units/"
sed 's/^ database .*/ database otad.db\n units-dir ..\/units/' "$src/ota-server/simpki-otad.cfg.example" > "$dir/conf/simpki-otad.cfg"

# ---- units: loaded once, again when changed ----
start
vty "show units" > "$dir/units.txt"
grep -q "units: 34 provinces, 3321 wards" "$dir/units.txt" || fail "show units: $(cat "$dir/units.txt")"
grep -q "3355 units of the organisation tree loaded" "$dir/otad.log" || fail "no load in the log: $(tail -n 5 "$dir/otad.log")"
vty "show unit 10101003" | grep -q "unit 10101003: Phường Ba Đình (ward of 01)" || fail "show unit 10101003: $(vty "show unit 10101003")"
stop
: > "$dir/otad.log"
start
grep -q "units of the organisation tree loaded" "$dir/otad.log" && fail "the units were loaded again though unchanged"
stop
sed -i 's/"name": "Hà Nội"/"name": "Thủ đô Hà Nội"/' "$dir/units/provinces.json"
: > "$dir/otad.log"
start
grep -q "3355 units of the organisation tree loaded" "$dir/otad.log" || fail "a changed file was not loaded again"
vty "show unit 01" | grep -q "Thủ đô Hà Nội" || fail "the changed name is not there: $(vty "show unit 01")"
vty "show units" | grep -q "units: 34 provinces, 3321 wards" || fail "units after the reload: $(vty "show units")"

# ---- tokens of each role ----
ro=$(token_of auditor read-only)
op=$(token_of ra-hanoi operator)
[ -n "$ro" ] && [ -n "$op" ] || fail "no read-only or operator token"

# ---- holders through the API ----
body '{"id": "H-0001", "name": "Nguyễn Thị Minh Khai", "id_number": "079123456789", "unit": "10101003", "email": "khai@example.vn"}'
expect 201 '"id":"H-0001"' POST /v1/holders "$dir/b.json" "$op"
api GET /v1/holders/H-0001 - "$ro" > "$dir/h.txt"
python3 - "$dir/h.txt" <<'PY' || fail "the holder did not round-trip: $(cat "$dir/h.txt")"
import json, sys
status, body = open(sys.argv[1], encoding="utf-8").read().split(" ", 1)
h = json.loads(body)
assert status == "200", status
assert h["name"] == "Nguyễn Thị Minh Khai", h["name"]
assert (h["id_number"], h["unit"], h["email"]) == ("079123456789", "10101003", "khai@example.vn"), h
PY
vty "show holder H-0001" | grep -q "holder H-0001: Nguyễn Thị Minh Khai, id number 079123456789, unit 10101003 (Phường Ba Đình), khai@example.vn" ||
	fail "show holder: $(vty "show holder H-0001")"
expect 409 '"code":"holder_exists"' POST /v1/holders "$dir/b.json" "$op"
expect 403 '"code":"forbidden"' POST /v1/holders "$dir/b.json" "$ro"
body '{"id": "H-0002", "name": "Trần Văn Bảy", "id_number": "0791", "unit": "99999999"}'
expect 422 '"code":"unit_not_found"' POST /v1/holders "$dir/b.json" "$op"
printf '{"id": "H-0003", "name": "Tr\377n", "id_number": "1", "unit": "01"}' > "$dir/b.json"
expect 400 '"code":"invalid_request"' POST /v1/holders "$dir/b.json" "$op"
body "{\"id\": \"H-0003\", \"name\": \"$(python3 -c 'print("ễ" * 129)')\", \"id_number\": \"1\", \"unit\": \"01\"}"
expect 400 'name: 1 to 128 characters' POST /v1/holders "$dir/b.json" "$op"
body "{\"id\": \"H-0003\", \"name\": \"$(python3 -c 'print("ễ" * 128)')\", \"id_number\": \"1\", \"unit\": \"01\"}"
expect 201 '"id":"H-0003"' POST /v1/holders "$dir/b.json" "$op"
body '{"id": "H-0004", "name": "A", "id_number": "12-34", "unit": "01"}'
expect 400 'id_number' POST /v1/holders "$dir/b.json" "$op"
body '{"id": "H-0004", "name": "A", "id_number": "1234", "unit": "01", "email": "a@b"}'
expect 400 'email' POST /v1/holders "$dir/b.json" "$op"
body '{"id": "H-0004", "name": "A", "id_number": "1234", "unit": "01", "phone": "1"}'
expect 400 "unknown member 'phone'" POST /v1/holders "$dir/b.json" "$op"
body '{"id": "H 0004", "name": "A", "id_number": "1234", "unit": "01"}'
expect 400 '"code":"invalid_request"' POST /v1/holders "$dir/b.json" "$op"
expect 404 '"code":"holder_not_found"' GET /v1/holders/H-9999 - "$ro"
expect 400 '"code":"invalid_holder_id"' GET '/v1/holders/H*1' - "$ro"
expect 405 '"code":"method_not_allowed"' DELETE /v1/holders/H-0001 - "$op"

# ---- holders from CSV ----
{
	echo "id,name,id_number,unit,email"
	echo "H-0101,\"Lê Thị Hồng Gấm\",0791000101,10101003,gam@example.vn"
	echo "H-0102,Phạm Văn Đồng,0791000102,01,"
	printf 'H-0103,Tr\377n,0791000103,01,\n'
	echo "H-0104,Võ Văn Kiệt,0791000104,99999999,"
	echo "H-0101,Lê Thị Hồng Gấm,0791000101,10101003,"
	echo "H-0001,Nguyễn Thị Minh Khai,079123456789,10101003,"
	echo "H-0105,Hoàng Văn Thụ,0791000105"
	echo "H-0106,\"Nguyễn, Văn Cừ\",0791000106,01,cu@example.vn"
} > "$dir/holders.csv"
api POST /v1/holders/import "$dir/holders.csv" "$op" > "$dir/import.txt"
python3 - "$dir/import.txt" <<'PY' || fail "the holder import: $(cat "$dir/import.txt")"
import json, sys
status, body = open(sys.argv[1], encoding="utf-8").read().split(" ", 1)
r = json.loads(body)
assert status == "200", status
assert (r["lines"], r["holders"], r["rejected_lines"]) == (9, 3, 5), r
got = {(x["line"], x["kind"]) for x in r["rejected"]}
assert got == {(4, "format"), (5, "database"), (6, "file"), (7, "database"), (8, "format")}, got
reasons = {x["line"]: x["reason"] for x in r["rejected"]}
assert "UTF-8" in reasons[4] and "unit 99999999" in reasons[5] and "H-0001" in reasons[7], reasons
PY
api GET /v1/holders/H-0106 - "$ro" | grep -q '"name":"Nguyễn, Văn Cừ"' || fail "a quoted name with a comma: $(api GET /v1/holders/H-0106 - "$ro")"
printf 'name,id\nA,B\n' > "$dir/bad.csv"
expect 200 '"rejected_lines":1,"rejected":[{"line":1,"kind":"format","reason":"the header must be id,name,id_number,unit,email"}]' POST /v1/holders/import "$dir/bad.csv" "$op"
expect 403 '"code":"forbidden"' POST /v1/holders/import "$dir/holders.csv" "$ro"
expect 200 '"id":"H-0102"' GET '/v1/holders?unit=01' - "$ro"
api GET '/v1/holders?unit=01&limit=2' - "$ro" | grep -q '"next_cursor":"H-0003"' || fail "holders of province 01, a page of 2: $(api GET '/v1/holders?unit=01&limit=2' - "$ro")"
vty "show holders unit 01" > "$dir/hu.txt"
for h in H-0001 H-0003 H-0101 H-0102 H-0106; do
	grep -q "^$h " "$dir/hu.txt" || fail "show holders unit 01 lacks $h: $(cat "$dir/hu.txt")"
done
vty "show holders unit 10101003" | grep -q "^H-0102 " && fail "show holders unit 10101003 shows a holder of the province itself"
vty "show holders" | grep -q "^5 holders" || fail "show holders: $(vty "show holders")"

# ---- a card and its holder ----
C1=8984010000000000005
KEY=8C4A1F0B3E2D5A697788A9BACBDCEDFE
{
	echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid"
	echo "$C1,001010000000001,2001,1,aes,$KEY,aes,$KEY"
} > "$dir/conf/cards.csv"
vty_import "$dir/conf/cards.csv" > "$dir/cimport.txt"
grep -q "done" "$dir/cimport.txt" || fail "the card import: $(cat "$dir/cimport.txt")"
body '{"holder": "H-0001"}'
expect 200 '"holder":"H-0001"' PUT /v1/cards/$C1/holder "$dir/b.json" "$op"
expect 403 '"code":"forbidden"' PUT /v1/cards/$C1/holder "$dir/b.json" "$ro"
expect 200 '"holder":"H-0001"' GET /v1/cards/$C1 - "$ro"
vty "show card $C1" | grep -q "holder H-0001" || fail "show card: $(vty "show card $C1")"
expect 404 '"code":"card_not_found"' PUT /v1/cards/8984010000000000013/holder "$dir/b.json" "$op"
body '{"holder": "H-9999"}'
expect 404 '"code":"holder_not_found"' PUT /v1/cards/$C1/holder "$dir/b.json" "$op"
body '{"holder": 7}'
expect 400 '"code":"invalid_request"' PUT /v1/cards/$C1/holder "$dir/b.json" "$op"
body '{"holder": null}'
expect 200 '"holder":null' PUT /v1/cards/$C1/holder "$dir/b.json" "$op"
body '{"holder": "H-0001"}'
expect 200 '"holder":"H-0001"' PUT /v1/cards/$C1/holder "$dir/b.json" "$op"

# ---- certificates of the card ----
expect 200 '{"items":[]}' GET /v1/cards/$C1/certificates - "$ro"
expect 404 '"code":"card_not_found"' GET /v1/cards/8984010000000000013/certificates - "$ro"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/k.pem" -subj "/CN=Nguyen Thi Minh Khai/serialNumber=H-0001" \
	-days 30 -set_serial 0x0a1b2c3d4e5f -out "$dir/conf/cert.pem" 2> /dev/null || fail "openssl req"
vty "card $C1 certificate add 2 sim-signing cert.pem" > "$dir/add.txt"
grep -q "certificate 1: serial a1b2c3d4e5f" "$dir/add.txt" || fail "certificate add: $(cat "$dir/add.txt")"
api GET /v1/cards/$C1/certificates - "$ro" > "$dir/certs.txt"
python3 - "$dir/certs.txt" "$dir/conf/cert.pem" <<'PY' || fail "the certificates: $(cat "$dir/certs.txt")"
import json, subprocess, sys
status, body = open(sys.argv[1]).read().split(" ", 1)
items = json.loads(body)["items"]
assert status == "200" and len(items) == 1, (status, items)
c = items[0]
assert (c["serial"], c["key_id"], c["profile"], c["status"]) == ("a1b2c3d4e5f", "2", "sim-signing", "issued"), c
assert c["pem"] == open(sys.argv[2]).read(), c["pem"]
end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in", sys.argv[2]],
                     capture_output=True, text=True).stdout.strip().split("=", 1)[1]
assert c["not_after"] == end.replace(" ", "T"), (c["not_after"], end)
PY
vty "card $C1 certificate 1 loaded" > /dev/null
expect 200 '"status":"loaded"' GET /v1/cards/$C1/certificates - "$ro"
vty "card $C1 certificate 1 revoked" > /dev/null
expect 200 '"status":"revoked"' GET /v1/cards/$C1/certificates - "$ro"
vty "card $C1 certificate 1 loaded" | grep -q "it stays revoked" || fail "a revoked certificate was loaded again"
vty "show card $C1 certificates" | grep -q "certificate 1: key 2, serial a1b2c3d4e5f, profile sim-signing, revoked" ||
	fail "show card certificates: $(vty "show card $C1 certificates")"

# ---- a holder moves: PATCH /v1/holders/{id} {"unit": CODE} ----
body '{"unit": "01"}'
expect 200 '"unit":"01"' PATCH /v1/holders/H-0001 "$dir/b.json" "$op"
expect 200 '"unit":"01"' GET /v1/holders/H-0001 - "$ro"
expect 403 '"code":"forbidden"' PATCH /v1/holders/H-0001 "$dir/b.json" "$ro"
expect 404 '"code":"holder_not_found"' PATCH /v1/holders/H-9999 "$dir/b.json" "$op"
body '{"unit": "10101003", "name": "x"}'
expect 400 '"code":"invalid_request"' PATCH /v1/holders/H-0001 "$dir/b.json" "$op"
body '{"unit": 10101003}'
expect 400 'the body must be {\"unit\": CODE}' PATCH /v1/holders/H-0001 "$dir/b.json" "$op"
body '{"unit": "99999999"}'
expect 422 '"code":"unit_not_found"' PATCH /v1/holders/H-0001 "$dir/b.json" "$op"
# a unit that ended through a merge takes nobody: 409, naming what it went into
body '{"kind": "merge", "units": ["31", "32"], "into": {"code": "31"}}'
expect 201 '"state":"applied"' POST /v1/units/changes "$dir/b.json"
body '{"unit": "32"}'
expect 409 '"code":"unit_ended","message":"unit 32 ended through a unit change: it went into 31' PATCH /v1/holders/H-0001 "$dir/b.json" "$op"
expect 200 '"unit":"01"' GET /v1/holders/H-0001 - "$ro"
body '{"unit": "10101003"}'
expect 200 '"unit":"10101003"' PATCH /v1/holders/H-0001 "$dir/b.json" "$op"

stop
[ $failures -eq 0 ] || { tail -n 20 "$dir/otad.log" >&2; exit 1; }
echo "otad-holders: all passed"
