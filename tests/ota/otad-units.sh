#!/bin/sh
# simpki-otad's organisation tree as an operator meets it (run by in-netns.sh: its ports are private; no SMSC is
# needed):
# - the tree loads from a copy of data/ (34 provinces, 3,321 wards each under its province, 12 ministries, 9 party
#   offices, 26 departments: 'show units', GET /v1/units paged by kind, GET /v1/units/{code} with its path, names
#   in Vietnamese intact);
# - a merge of two provinces (Hà Nội 01 and Bắc Ninh 02 into a new unit 35) through POST /v1/units/changes: 201,
#   applied, every ward and body of both now under 35 (GET /v1/units/35/children, paged), the holders of both moved
#   (GET /v1/units/35/holders), 01 and 02 ended with successor 35, a ward's history shows its old parent,
#   'show unit-changes' lists it;
# - refusals: a bad body 400 invalid_request, a change that does not fit the tree 409 unit_change_refused, a
#   read-only token 403, a bad code 400 invalid_unit, an unknown one 404 no_such_unit;
# - a future-dated rename is pending, then applied when due (the timer); another falls due while the daemon is down
#   and is applied at the next start;
# - a restart with changed data files (loaded again) does not undo the merge or the renames;
# - simpki-admin units show, children, change (from standard input; a refused one exits 6), changes; holders move
#   (a holder into a unit the merge ended exits 6, naming its successor; into a current one: moved).
# Usage: otad-units.sh SIMPKI_OTAD SOURCE_ROOT SIMPKI_ADMIN
set -u
export SIMPKI_API_TOKEN=admin-token-for-the-test-0123456789
otad=$1
src=$2
admin=$3
command -v python3 > /dev/null || { echo "otad-units.sh: python3 missing" >&2; exit 1; }
. "$(dirname "$0")/otad-lib.sh"
otad_test_init units

# py SCRIPT ARG...: a Python check against the API (helpers: get(path), post(path, obj), every unit of a listing)
py() {
	script=$1
	shift
	python3 - "$@" <<PY || fail "check '$script' failed"
import json, os, sys, time, urllib.request, urllib.error
T = os.environ["SIMPKI_API_TOKEN"]
def call(method, path, obj=None, token=T):
    data = json.dumps(obj, ensure_ascii=False).encode() if obj is not None else None
    req = urllib.request.Request("http://127.0.0.1:8480" + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    try:
        r = urllib.request.urlopen(req, timeout=30)
        return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())
def get(path):
    s, j = call("GET", path)
    assert s == 200, (path, s, j)
    return j
def every(path, key):
    out, cur = [], None
    while True:
        sep = "&" if "?" in path else "?"
        j = get(path + (sep + "limit=1000" + ("&cursor=" + cur if cur else "")))
        out += j[key]
        cur = j["next_cursor"]
        if not cur:
            return out
$(cat "$dir/$script.py")
PY
}

mkdir -p "$dir/conf" "$dir/units"
cp "$src/data/provinces.json" "$src/data/wards.json" "$src/data/central-units.json" "$dir/units/"
sed 's/^ database .*/ database otad.db\n units-dir ..\/units/' "$src/ota-server/simpki-otad.cfg.example" > "$dir/conf/simpki-otad.cfg"

# ---- the tree loads ----
start
vty "show units" | grep -q "units: 34 provinces, 3321 wards, 12 ministries, 9 party offices, 26 departments" ||
	fail "show units: $(vty "show units")"
grep -q "3402 units of the organisation tree loaded" "$dir/otad.log" || fail "no load in the log: $(tail -n 5 "$dir/otad.log")"
cat > "$dir/load.py" <<'EOF'
provinces = {u["code"]: u for u in every("/v1/units?kind=province", "units")}
assert len(provinces) == 34, len(provinces)
wards = every("/v1/units?kind=ward", "units")
assert len(wards) == 3321, len(wards)
assert all(w["parent"] in provinces for w in wards), [w for w in wards if w["parent"] not in provinces][:3]
roots = every("/v1/units", "units")
assert len(roots) == 34 + 12 + 1, len(roots)
assert {"kind": "ministry", "name": "Bộ Công an"}.items() <= next(u for u in roots if u["code"] == "9101").items()
assert len(every("/v1/units?kind=party-office", "units")) == 9
assert len(every("/v1/units?kind=department", "units")) == 26
d = get("/v1/units/9301")
assert d["name"] == "Sở Khoa học và Công nghệ Hà Nội", d
assert d["path"] == [{"code": "01", "name": "Hà Nội", "kind": "province"},
                     {"code": "9301", "name": "Sở Khoa học và Công nghệ Hà Nội", "kind": "department"}], d["path"]
assert (d["parent"], d["valid_to"], d["successor"], d["children"], d["holders"]) == ("01", None, None, 0, 0), d
assert get("/v1/units/9200")["name"] == "Văn phòng Trung ương Đảng"
EOF
py load

# ---- holders in both provinces, then the merge ----
for h in 'H-1 10101003' 'H-2 02' 'H-3 X02' 'H-4 04'; do
	set -- $h
	unit=$2
	[ "$unit" = X02 ] && unit=$(api GET "/v1/units/02/children?limit=1" | sed -n 's/.*"code":"\([0-9]*\)".*/\1/p')
	body "{\"id\": \"$1\", \"name\": \"Nguyễn Văn Bình\", \"id_number\": \"0011\", \"unit\": \"$unit\"}"
	expect 201 "\"id\":\"$1\"" POST /v1/holders "$dir/b.json"
done
cat > "$dir/merge.py" <<'EOF'
kids01 = get("/v1/units/01")["children"]
kids02 = get("/v1/units/02")["children"]
before = {u["code"] for u in every("/v1/units/01/children", "units")} | {u["code"] for u in every("/v1/units/02/children", "units")}
assert len(before) == kids01 + kids02 and kids01 > 100, (len(before), kids01, kids02)
s, c = call("POST", "/v1/units/changes", {"kind": "merge", "units": ["01", "02"],
                                          "into": {"code": "35", "name": "Thành phố Hà Nội – Bắc Ninh"}})
assert s == 201, (s, c)
assert (c["kind"], c["state"], c["by"]) == ("merge", "applied", "admin"), c
assert c["units_affected"] == kids01 + kids02 + 1 and c["holders_affected"] == 3, c
assert c["change"] == {"kind": "merge", "units": ["01", "02"], "into": {"code": "35", "name": "Thành phố Hà Nội – Bắc Ninh"}}, c
after = {u["code"] for u in every("/v1/units/35/children", "units")}
assert after == before, (len(after), len(before))
u = get("/v1/units/35")
assert (u["name"], u["kind"], u["parent"], u["children"], u["holders"]) == ("Thành phố Hà Nội – Bắc Ninh", "province", None, kids01 + kids02, 3), u
assert [h["id"] for h in every("/v1/units/35/holders", "holders")] == ["H-1", "H-2", "H-3"]
for p in ("01", "02"):
    e = get("/v1/units/" + p)
    assert e["valid_to"] and e["successor"] == "35" and e["children"] == 0 and e["holders"] == 0, e
w = get("/v1/units/10101003")
assert w["parent"] == "35" and w["path"][0]["code"] == "35", w
hist = get("/v1/units/10101003/history")["history"]
assert len(hist) == 1 and hist[0]["parent"] == "01" and hist[0]["change"] == c["id"], hist
assert get("/v1/units/changes/%d" % c["id"]) == c
assert get("/v1/units/changes")["changes"][0]["id"] == c["id"]
open(sys.argv[1], "w").write("%d %d\n" % (c["id"], kids01 + kids02))
EOF
py merge "$dir/merge.out"
vty "show unit-changes" | grep -q "merge, applied" || fail "show unit-changes: $(vty "show unit-changes")"
vty "show unit 10101003" | grep -q "10101003 Phường Ba Đình (ward)" || fail "show unit: $(vty "show unit 10101003")"

# ---- refusals ----
body '{"kind": "rename", "unit": "01"}'
expect 400 '"code":"invalid_request"' POST /v1/units/changes "$dir/b.json"
body '{"kind": "rename", "unit": "01", "name": "Hà Nội"}'
expect 409 '"code":"unit_change_refused"' POST /v1/units/changes "$dir/b.json"
body '{"kind": "move", "unit": "35", "parent": "10101003"}'
expect 409 '"code":"unit_change_refused"' POST /v1/units/changes "$dir/b.json"
printf '{"name": "viewer", "role": "read-only"}' > "$dir/tk.json"
ro=$(api POST /v1/tokens "$dir/tk.json" | sed -n 's/^201 .*"token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$ro" ] || fail "no read-only token"
body '{"kind": "rename", "unit": "35", "name": "X"}'
expect 403 '"code":"forbidden"' POST /v1/units/changes "$dir/b.json" "$ro"
expect 200 '"code":"35"' GET /v1/units/35 - "$ro"
expect 400 '"code":"invalid_unit"' GET /v1/units/abc
expect 404 '"code":"no_such_unit"' GET /v1/units/99999
expect 404 '"code":"unit_change_not_found"' GET /v1/units/changes/9999
expect 400 '"code":"invalid_request"' GET "/v1/units?kind=town"

# ---- a future change, applied when due ----
now=$(date +%s)
body "{\"kind\": \"rename\", \"unit\": \"9101\", \"name\": \"Bộ Công an (từ nay)\", \"effective_at\": $((now + 3))}"
expect 201 '"state":"pending"' POST /v1/units/changes "$dir/b.json"
expect 200 '"name":"Bộ Công an"' GET /v1/units/9101
sleep 5
expect 200 '"name":"Bộ Công an (từ nay)"' GET /v1/units/9101
vty "show unit-changes" | grep -q "rename, applied" || fail "the future rename: $(vty "show unit-changes")"

# ---- one due while the daemon is down ----
now=$(date +%s)
body "{\"kind\": \"rename\", \"unit\": \"9102\", \"name\": \"Bộ Quốc phòng (mới)\", \"effective_at\": $((now + 2))}"
expect 201 '"state":"pending"' POST /v1/units/changes "$dir/b.json"
stop
sleep 3
printf '\n' >> "$dir/units/central-units.json" # the files changed: loaded again
: > "$dir/otad.log"
start
grep -q "3402 units of the organisation tree loaded" "$dir/otad.log" || fail "the changed files were not loaded again"
grep -q "1 unit changes applied that fell due while simpki-otad was down" "$dir/otad.log" ||
	fail "no change applied at start: $(tail -n 5 "$dir/otad.log")"
expect 200 '"name":"Bộ Quốc phòng (mới)"' GET /v1/units/9102

# ---- simpki-admin ----
"$admin" units show 35 > "$dir/a.txt" || fail "units show: exit $?"
grep -q "unit 35: Thành phố Hà Nội – Bắc Ninh (province)" "$dir/a.txt" || fail "units show: $(cat "$dir/a.txt")"
grep -q "holders:    3 (its whole subtree)" "$dir/a.txt" || fail "units show, holders: $(cat "$dir/a.txt")"
"$admin" units show 10101003 | grep -q "path:       Thành phố Hà Nội – Bắc Ninh (35) > Phường Ba Đình (10101003)" ||
	fail "units show, path: $("$admin" units show 10101003)"
"$admin" units children --limit 5 35 > "$dir/a.txt" || fail "units children: exit $?"
[ "$(grep -c '(ward)\|ward$\| ward ' "$dir/a.txt")" -ge 5 ] && grep -q "more children than these 5" "$dir/a.txt" ||
	fail "units children: $(cat "$dir/a.txt")"
printf '{"kind": "rename", "unit": "9103", "name": "Bộ Ngoại giao (mới)"}' | "$admin" units change - > "$dir/a.txt" ||
	fail "units change: exit $?"
grep -q "rename.*applied.*admin *1 *0" "$dir/a.txt" || fail "units change: $(cat "$dir/a.txt")"
printf '{"kind": "rename", "unit": "02", "name": "X"}' | "$admin" units change --json - > "$dir/a.txt" 2>&1
[ $? -eq 6 ] || fail "a refused change: exit not 6: $(cat "$dir/a.txt")"
"$admin" units changes | grep -q "merge *applied" || fail "units changes: $("$admin" units changes)"
# a holder moves (PATCH /v1/holders/{id}): not into a unit the merge ended (409: exit 6, naming its successor)
"$admin" holders move H-4 --unit 01 > "$dir/a.txt" 2>&1
[ $? -eq 6 ] && grep -q "went into 35" "$dir/a.txt" || fail "holders move to an ended unit: $(cat "$dir/a.txt")"
"$admin" holders move H-4 --unit 10101003 > "$dir/a.txt" 2>&1 || fail "holders move: exit $?: $(cat "$dir/a.txt")"
grep -q "holder H-4 (Nguyễn Văn Bình) moved to unit 10101003" "$dir/a.txt" || fail "holders move: $(cat "$dir/a.txt")"
expect 200 '"unit":"10101003"' GET /v1/holders/H-4

# ---- the restart undid nothing ----
cat > "$dir/restart.py" <<'EOF'
cid, kids = map(int, open(sys.argv[1]).read().split())
assert get("/v1/units/35")["children"] == kids
assert get("/v1/units/01")["successor"] == "35"
assert get("/v1/units/10101003")["parent"] == "35"
assert get("/v1/units/9101")["name"] == "Bộ Công an (từ nay)"
assert get("/v1/units/changes/%d" % cid)["state"] == "applied"
EOF
py restart "$dir/merge.out"
stop

[ $failures -eq 0 ] || { echo "otad-units.sh: $failures failure(s)" >&2; exit 1; }
echo "otad-units.sh: ok"
