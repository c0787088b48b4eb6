#!/bin/sh
# simpki-otad's operator API (HTTP/JSON) with simulated phones on the real core network (run by in-netns.sh):
# without a network first (503 for a job while the SMSC is unreachable), then with it: 401 without or with a wrong
# token; a vendor file imported, one with bad lines refused with every line named (400), the same file again (409);
# a card read (200, 404); a job made (201), read until its PoR (por-ok with the ICCID read from the SIM); bad JSON,
# bad APDUs, unknown members (400); a wrong method (405), an unknown path (404); a token made by the administrator
# works, a token cannot make tokens (403); more requests than 'api rate' allows get 429. The fleet API: roles
# (each role's allowed and refused calls), tokens listed and revoked, jobs and cards paged and filtered, card states
# (a job to a suspended card is refused), stable error codes, 405 with Allow, 400 for a malformed ICCID; abuse: a
# 300 MB body without a token is refused before it is read (the daemon's peak memory grows by less than 10 MB), a
# body beyond the limit gets 413 at once, and an anonymous flood never makes the administrator's requests 429.
# Usage: otad-api.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
otad_pid=""
trap 'cleanup; [ -z "$otad_pid" ] || kill -KILL $otad_pid 2> /dev/null' EXIT
export SIMPKI_API_TOKEN=admin-token-for-the-test-0123456789

expect() { # WANT_STATUS TEXT METHOD PATH [BODY] [TOKEN]
	want=$1
	text=$2
	shift 2
	out=$(api "$@")
	case $out in
	"$want "*"$text"*) ;;
	*) fail "$* answered '$out', expected $want with '$text'" ;;
	esac
}

# import_file FILE [TOKEN]: POST a vendor file (202 with the import's id), then GET /v1/imports/ID until it is over;
# prints "STATUS-OF-THE-POST FINAL-JSON"
import_file() {
	if_out=$(api POST /v1/cards/import "$1" "${2:-$SIMPKI_API_TOKEN}")
	if_id=$(echo "$if_out" | sed -n 's/^202 {"id":\([0-9]*\),.*/\1/p')
	if [ -z "$if_id" ]; then
		echo "$if_out"
		return
	fi
	if_t=0
	while [ $if_t -lt 100 ]; do
		if_st=$(api GET "/v1/imports/$if_id")
		case $if_st in *'"state":"done"'* | *'"state":"refused"'* | *'"state":"aborted"'*) break ;; esac
		sleep 0.1
		if_t=$((if_t + 1))
	done
	echo "202 ${if_st#200 }"
}

# expect_import WANT TEXT FILE: the import of FILE ends with TEXT in its state
expect_import() {
	ei_out=$(import_file "$3")
	case $ei_out in
	"$1 "*"$2"*) ;;
	*) fail "import of $(basename "$3") answered '$ei_out', expected $1 with '$2'" ;;
	esac
}

# wait_por_ok ID: GET the job until it is por-ok (30 s at most); prints the last answer
wait_por_ok() {
	wp_t=0
	while [ -n "$1" ] && [ $wp_t -lt 60 ]; do
		wp_out=$(api GET "/v1/jobs/$1")
		case $wp_out in *'"state":"por-ok"'*) break ;; esac
		sleep 0.5
		wp_t=$((wp_t + 1))
	done
	echo "${wp_out:-no job}"
}

mkdir -p "$dir/otad"
sed "s/job timeout 60/job timeout 30/; s/api rate 100$/api rate 50/" "$src/ota-server/simpki-otad.cfg.example" \
	> "$dir/otad/simpki-otad.cfg"

# no network yet: the SMSC is unreachable
start_otad "$dir/otad/simpki-otad.cfg" || exit 1
printf 'iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n8984010000000000005,001010000000000,2000,1,aes,%s,aes,%s\n' \
	$KIC $KID > "$dir/one.csv"
expect_import 202 '"state":"done","source":"api","name":"api","lines":2,"cards":1,"keysets":1' "$dir/one.csv"
printf '{"iccid": "8984010000000000005", "tar": "b00010", "apdus": ["00A4000C022FE2", "00B000000A"]}' > "$dir/job.json"
expect 503 'SMSC is unreachable' POST /v1/jobs "$dir/job.json"
kill -TERM $otad_pid
wait $otad_pid
otad_pid=""
rm -f "$dir/otad/otad.db"*

"$net" start "$dir/net" > /dev/null || { echo "FAIL: osmo-net start" >&2; exit 1; }
cards 3 || exit 1
start_otad "$dir/otad/simpki-otad.cfg" || exit 1
start_phones phone --cards "$dir/cards" || exit 1
t=0
until vty "show smpp" | grep -q BOUND; do
	[ $t -lt 50 ] || { fail "no SMPP bind"; break; }
	sleep 0.1
	t=$((t + 1))
done

expect 401 'bearer token' GET /v1/cards/8984010000000000005 - none
expect 401 'bearer token' GET /v1/cards/8984010000000000005 - wrong-token-0123456789
{
	head -n 2 "$dir/cards.csv"
	echo "8984010000000000004,001010000000009,2009,1,aes,$KIC,aes,$KID"
	echo "8984010000000000013,001010000000001,2001,1,aes,8C4A,aes,$KID"
} > "$dir/bad.csv"
expect_import 202 '"rejected":[{"line":3,"reason":"iccid: ICCID check digit is wrong' "$dir/bad.csv"
expect_import 202 '{"line":4,"reason":"kic: 2 bytes' "$dir/bad.csv"
expect_import 202 '"state":"refused"' "$dir/bad.csv"
expect_import 202 '"state":"done","source":"api","name":"api","lines":4,"cards":3,"keysets":3,"rejected_lines":0' "$dir/cards.csv"
expect_import 202 '"kind":"database"' "$dir/cards.csv"
expect 404 '"code":"import_not_found"' GET /v1/imports/999
# RFC 4180 quoting, and a space before a field named with its column
{
	head -n 1 "$dir/cards.csv"
	printf '"8984010000000000104","001010000000105",2105,1,aes,%s,aes,%s\n' $KIC $KID
	printf '8984010000000000039,001010000000006,2006, 1,aes,%s,aes,%s\n' $KIC $KID
} > "$dir/quoted.csv"
expect_import 202 '"reason":"kvn: a space before the value (column' "$dir/quoted.csv"
out=$(import_file "$dir/quoted.csv")
case $out in *'"line":2'*) fail "a quoted line was rejected: $out" ;; esac
expect 200 '"imsi":"001010000000001","msisdn":"2001"' GET /v1/cards/8984010000000000013
expect 404 'no card with ICCID 8984010000000000039' GET /v1/cards/8984010000000000039
expect 400 '"code":"invalid_iccid"' GET /v1/cards/12
expect 405 '"code":"method_not_allowed"' DELETE /v1/jobs
curl -s -D "$dir/h405" -o /dev/null -X DELETE -H "Authorization: Bearer $SIMPKI_API_TOKEN" http://127.0.0.1:8480/v1/jobs
grep -qi '^Allow: GET, POST' "$dir/h405" || fail "405 without 'Allow: GET, POST': $(cat "$dir/h405")"
expect 404 'no such resource' GET /v2/jobs/1

out=$(api POST /v1/jobs "$dir/job.json")
case $out in
"201 {\"id\":"*) id=$(echo "$out" | sed 's/.*"id":\([0-9]*\).*/\1/') ;;
*) fail "POST /v1/jobs: $out"; id=1 ;;
esac
out=$(wait_por_ok "$id")
case $out in
*'"idempotent":true,"tries":1,'*'"por":{"status":0,"status_name":"PoR OK","authenticated":true,"response":{"commands":2,"last_sw":"9000","last_data":"984810000000000000f5"}}'*) ;;
*) fail "job $id's PoR: $out" ;;
esac
expect 404 'no job 999' GET /v1/jobs/999

# a packet of 3 concatenated SMS (40 SELECTs and a READ BINARY): sent whole, its PoR verified
python3 -c 'import json; print(json.dumps({"iccid": "8984010000000000013", "tar": "b00010",
	"apdus": ["00A4000C022FE2"] * 40 + ["00B000000A"]}))' > "$dir/long.json"
out=$(api POST /v1/jobs "$dir/long.json")
id=$(echo "$out" | sed -n 's/^201 {"id":\([0-9]*\)}$/\1/p')
[ -n "$id" ] || fail "POST of the long job: $out"
out=$(wait_por_ok "$id")
case $out in
*'"commands":41,"last_sw":"9000","last_data":"984810000000000010f3"'*) ;;
*) fail "the long job's PoR: $out" ;;
esac
grep -q "try 1: counter [0-9]* in 3 SMS" "$dir/otad.log" || grep -q "in 3 SMS" "$dir/otad/otad.db" ||
	sqlite3 "$dir/otad/otad.db" "SELECT detail FROM job_events WHERE job = $id" 2> /dev/null | grep -q "in 3 SMS" ||
	fail "the long job was not 3 SMS"

printf '{"iccid": "8984010000000000005", "tar": "b00010", "apdus": ["00A4000C022F"]}' > "$dir/j1.json"
expect 400 'apdus[0]: a compact command' POST /v1/jobs "$dir/j1.json"
printf '{"iccid": "8984010000000000005", "tar": "b000", "apdus": ["00B000000A"]}' > "$dir/j2.json"
expect 400 'tar: 3 bytes' POST /v1/jobs "$dir/j2.json"
printf '{"iccid": "8984010000000000005", "tar": "b00010", "apdus": ["00B000000A"], "idempotent": 1}' > "$dir/j3.json"
expect 400 'idempotent: true or false' POST /v1/jobs "$dir/j3.json"
printf '{"iccid": "8984010000000000005", "tar": "b00010", "apdus": ["00B000000A"], "x": 1}' > "$dir/j3.json"
expect 400 "unknown member 'x'" POST /v1/jobs "$dir/j3.json"
printf '{"iccid": ' > "$dir/j4.json"
expect 400 'not JSON' POST /v1/jobs "$dir/j4.json"
printf '{"iccid": "8984010000000000039", "tar": "b00010", "apdus": ["00B000000A"]}' > "$dir/j5.json"
expect 404 'no card with ICCID 8984010000000000039' POST /v1/jobs "$dir/j5.json"

printf '{"name": "ra-hanoi"}' > "$dir/t.json"
out=$(api POST /v1/tokens "$dir/t.json")
case $out in
"201 "*'"token":"'*) token=$(echo "$out" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/') ;;
*) fail "POST /v1/tokens: $out"; token=none ;;
esac
expect 200 '"iccid":"8984010000000000005"' GET /v1/cards/8984010000000000005 - "$token"
expect 403 '"code":"forbidden"' POST /v1/tokens "$dir/t.json" "$token"
expect 409 'exists' POST /v1/tokens "$dir/t.json"
grep -q "$token" "$dir/otad.log" && fail "a token reached the log"
grep -q "$SIMPKI_API_TOKEN" "$dir/otad.log" && fail "the administrator's token reached the log"

# ---- roles: read-only reads; operator also writes; admin also manages tokens ----
token_of() { # NAME ROLE: make a token, print it
	printf '{"name": "%s", "role": "%s"}' "$1" "$2" > "$dir/tk.json"
	api POST /v1/tokens "$dir/tk.json" | sed -n 's/^201 .*"token":"\([0-9a-f]*\)".*/\1/p'
}
ro=$(token_of auditor read-only)
op=$(token_of ra-danang operator)
[ -n "$ro" ] && [ -n "$op" ] || fail "no read-only or operator token"
expect 200 '"iccid":"8984010000000000005"' GET /v1/cards/8984010000000000005 - "$ro"
expect 200 '"jobs":[' GET /v1/jobs - "$ro"
expect 403 '"code":"forbidden"' POST /v1/jobs "$dir/job.json" "$ro"
expect 403 '"code":"forbidden"' POST /v1/cards/import "$dir/cards.csv" "$ro"
printf '{"state": "suspended"}' > "$dir/suspend.json"
expect 403 '"code":"forbidden"' PATCH /v1/cards/8984010000000000013 "$dir/suspend.json" "$ro"
expect 403 '"code":"forbidden"' GET /v1/tokens - "$op"
expect 403 '"code":"forbidden"' DELETE /v1/tokens/auditor - "$op"
expect 201 '"id":' POST /v1/jobs "$dir/job.json" "$op"
expect 200 '"name":"auditor","role":"read-only"' GET /v1/tokens
expect 200 '"name":"ra-danang","role":"operator"' GET /v1/tokens
api GET /v1/tokens | grep -q "$ro" && fail "GET /v1/tokens shows a token"
expect 200 '"revoked":true' DELETE /v1/tokens/auditor
expect 401 '"code":"unauthorized"' GET /v1/cards/8984010000000000005 - "$ro"
expect 404 '"code":"token_not_found"' DELETE /v1/tokens/auditor
api GET /v1/tokens | grep -q '"auditor"' && fail "a revoked token is still listed"
# a revoked name may be given again
[ -n "$(token_of auditor read-only)" ] || fail "the name of a revoked token cannot be reused"
vty "show api tokens all" > "$dir/tokens.out"
grep -q "auditor .*read-only .*revoked" "$dir/tokens.out" || fail "show api tokens all: $(cat "$dir/tokens.out")"

# ---- pages and filters ----
out=$(api GET "/v1/jobs?limit=1")
cursor=$(echo "$out" | sed -n 's/.*"next_cursor":"\([0-9]*\)".*/\1/p')
n1=$(echo "$out" | grep -o '"id":' | wc -l)
[ "$n1" = 1 ] && [ -n "$cursor" ] || fail "GET /v1/jobs?limit=1: $out"
out2=$(api GET "/v1/jobs?limit=1&cursor=$cursor")
id2=$(echo "$out2" | sed -n 's/.*"jobs":\[{"id":\([0-9]*\).*/\1/p')
[ -n "$id2" ] && [ "$id2" -lt "$cursor" ] || fail "the next page does not go on from $cursor: $out2"
expect 200 '"state":"por-ok"' GET "/v1/jobs?state=por-ok&iccid=8984010000000000013"
api GET "/v1/jobs?iccid=8984010000000000013" | grep -q '"iccid":"8984010000000000005"' &&
	fail "GET /v1/jobs?iccid= shows another card's job"
expect 200 '{"jobs":[],"next_cursor":null}' GET "/v1/jobs?state=cancelled"
expect 400 '"code":"invalid_request","message":"limit: 1 to 1000"' GET "/v1/jobs?limit=5000"
expect 400 "unknown parameter 'colour'" GET "/v1/jobs?colour=red"
expect 400 'since: Unix seconds' GET "/v1/jobs?since=yesterday"
expect 200 '"jobs":[]' GET "/v1/jobs?since=2099-01-01T00:00:00Z"
out=$(api GET "/v1/cards?limit=2")
case $out in
*'"iccid":"8984010000000000005"'*'"iccid":"8984010000000000013"'*'"next_cursor":"8984010000000000013"'*) ;;
*) fail "GET /v1/cards?limit=2: $out" ;;
esac
expect 200 '"next_cursor":null' GET "/v1/cards?limit=2&cursor=8984010000000000013"

# ---- card states ----
expect 200 '"state":"suspended"' PATCH /v1/cards/8984010000000000013 "$dir/suspend.json" "$op"
expect 200 '"iccid":"8984010000000000013"' GET "/v1/cards?state=suspended"
printf '{"iccid": "8984010000000000013", "tar": "b00010", "apdus": ["00B000000A"]}' > "$dir/j13.json"
expect 409 '"code":"card_not_active"' POST /v1/jobs "$dir/j13.json"
printf '{"state": "retired"}' > "$dir/retire.json"
printf '{"state": "active"}' > "$dir/active.json"
expect 200 '"state":"retired"' PATCH /v1/cards/8984010000000000013 "$dir/retire.json"
expect 409 '"code":"card_retired"' PATCH /v1/cards/8984010000000000013 "$dir/active.json"
printf '{"state": "gone"}' > "$dir/gone.json"
expect 400 '"code":"invalid_request"' PATCH /v1/cards/8984010000000000005 "$dir/gone.json"
expect 404 '"code":"card_not_found"' PATCH /v1/cards/8984010000000000039 "$dir/active.json"
vty "show cards state retired" > "$dir/cards.out"
grep -q "8984010000000000013 .* retired" "$dir/cards.out" || fail "show cards state retired: $(cat "$dir/cards.out")"

# ---- a body is judged before it is read ----
hwm() { awk '/VmHWM/ { print $2 }' "/proc/$otad_pid/status"; }
hwm0=$(hwm)
python3 - > "$dir/big.out" 2>&1 <<'PY'
import socket
for chunked in (False, True):
    s = socket.create_connection(("127.0.0.1", 8480), timeout=30)
    head = "POST /v1/cards/import HTTP/1.1\r\nHost: x\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else "Content-Length: %d\r\n\r\n" % (300 << 20)
    s.sendall(head.encode())
    block = b"8984010000000000005,001010000000000,2000,1,aes,00,aes,00\n" * 1000
    sent = 0
    try:
        while sent < (300 << 20):
            data = (b"%x\r\n" % len(block)) + block + b"\r\n" if chunked else block
            s.sendall(data)
            sent += len(block)
    except OSError:
        pass
    s.settimeout(10)
    try:
        print(s.recv(200).decode(errors="replace").split("\r\n")[0], "after", sent >> 20, "MiB")
    except OSError as e:
        print("no answer:", e)
PY
hwm1=$(hwm)
grep -c "^HTTP/1.1 401" "$dir/big.out" | grep -q 2 || fail "a 300 MB body without a token: $(cat "$dir/big.out")"
[ $((hwm1 - hwm0)) -lt 10240 ] || fail "the daemon's peak memory grew by $((hwm1 - hwm0)) KiB for 300 MB unauthenticated"
python3 - > "$dir/big413.out" 2>&1 <<'PY'
import os, socket
s = socket.create_connection(("127.0.0.1", 8480), timeout=30)
s.sendall(("POST /v1/cards/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Length: %d\r\n\r\n" % (os.environ["SIMPKI_API_TOKEN"], 600 << 20)).encode())
print(s.recv(400).decode(errors="replace"))
PY
grep -q '^HTTP/1.1 413' "$dir/big413.out" && grep -q '"code":"body_too_large"' "$dir/big413.out" ||
	fail "a 600 MB import: $(cat "$dir/big413.out")"

# ---- an anonymous flood does not starve the administrator ----
python3 - > "$dir/flood" <<'PY'
import os, threading, time, urllib.request, urllib.error
stop = time.time() + 3
anon = []
def flood():
    while time.time() < stop:
        try:
            urllib.request.urlopen("http://127.0.0.1:8480/v1/jobs/1", timeout=10)
        except urllib.error.HTTPError as e:
            anon.append(e.code)
        except OSError:
            pass
threads = [threading.Thread(target=flood) for _ in range(4)]
for t in threads:
    t.start()
admin = []
while time.time() < stop:
    req = urllib.request.Request("http://127.0.0.1:8480/v1/jobs/1")
    req.add_header("Authorization", "Bearer " + os.environ["SIMPKI_API_TOKEN"])
    try:
        admin.append(urllib.request.urlopen(req, timeout=10).status)
    except urllib.error.HTTPError as e:
        admin.append(e.code)
    time.sleep(0.05)
for t in threads:
    t.join()
print("anonymous", len(anon), "429:", anon.count(429), "admin", len(admin), "non-200:", [c for c in admin if c != 200])
PY
grep -q "429: [1-9]" "$dir/flood" || fail "the anonymous flood was not limited: $(cat "$dir/flood")"
grep -q "non-200: \[\]" "$dir/flood" || fail "the administrator was refused during an anonymous flood: $(cat "$dir/flood")"

# ---- a million cards imported while jobs run: SMPP jobs keep completing, the API keeps answering ----
python3 - "$dir/million.csv" <<'PY'
import sys
def luhn(s):
    t = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        t += d
    return s + str((10 - t % 10) % 10)
with open(sys.argv[1], "w") as f:
    f.write("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n")
    for i in range(1000000):
        f.write("%s,00102%010d,85%09d,1,aes,%032X,aes,%032X\n" % (luhn("8985%014d" % i), i, i, i * 7919, i * 104729))
PY
python3 - "$dir/million.csv" > "$dir/million.out" <<'PY'
import http.client, json, os, sys, threading, time, urllib.request
tok = os.environ["SIMPKI_API_TOKEN"]
up = {}
def upload():
    c = http.client.HTTPConnection("127.0.0.1", 8480, timeout=300)
    with open(sys.argv[1], "rb") as f:
        c.request("POST", "/v1/cards/import?name=million", body=f,
                  headers={"Authorization": "Bearer " + tok, "Content-Length": str(os.path.getsize(sys.argv[1]))})
        r = c.getresponse()
        up["status"], up["body"] = r.status, r.read().decode()
    up["at"] = time.time()
def call(method, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:8480" + path, data=body, method=method)
    req.add_header("Authorization", "Bearer " + tok)
    t = time.time()
    try:
        r = urllib.request.urlopen(req, timeout=60)
        out = (r.status, json.loads(r.read()))
    except urllib.error.HTTPError as e:
        out = (e.code, json.loads(e.read()))
    return out, time.time() - t
t = threading.Thread(target=upload)
t0 = time.time()
t.start()
worst, jobs_done, jobs_during = 0.0, 0, 0
job = json.dumps({"iccid": "8984010000000000005", "tar": "b00010", "apdus": ["00A4000C022FE2", "00B000000A"]}).encode()
while t.is_alive() or jobs_done == 0:
    (st, j), dt = call("POST", "/v1/jobs", job)
    worst = max(worst, dt)
    if st != 201:
        print("job refused:", st, j)
        time.sleep(0.5)
        continue
    for _ in range(200):
        (st, r), dt = call("GET", "/v1/jobs/%d" % j["id"])
        worst = max(worst, dt)
        if r.get("state") == "por-ok":
            jobs_done += 1
            jobs_during += t.is_alive()
            break
        time.sleep(0.05)
    if time.time() - t0 > 240:
        break
t.join()
imp = json.loads(up["body"]) if up.get("status") == 202 else {}
for _ in range(600):
    if imp.get("state") in ("done", "refused", "aborted"):
        break
    time.sleep(0.1)
    (st, imp), dt = call("GET", "/v1/imports/%d" % imp.get("id", 0))
print("upload:", up.get("status"), "import state:", imp.get("state"), "cards:", imp.get("cards"))
print("import_s: %.1f" % (up.get("at", time.time()) - t0))
print("jobs por-ok during the upload:", jobs_during, "of", jobs_done)
print("longest API answer ms: %d" % (worst * 1000))
PY
grep -q "upload: 202 import state: done cards: 1000000" "$dir/million.out" || fail "the million-card import: $(cat "$dir/million.out")"
grep -q "jobs por-ok during the upload: [1-9]" "$dir/million.out" || fail "no job completed during the import: $(cat "$dir/million.out")"
awk '/longest API answer ms/ { exit !($5 < 2000) }' "$dir/million.out" || fail "the API stalled during the import: $(cat "$dir/million.out")"
cat "$dir/million.out"
rm -f "$dir/million.csv"

# 'api rate 50': a burst of 300 requests (well under a second here) meets 429
python3 - > "$dir/burst" <<'PY'
import os, urllib.request, urllib.error
codes = []
for i in range(300):
    req = urllib.request.Request("http://127.0.0.1:8480/v1/jobs/1")
    req.add_header("Authorization", "Bearer " + os.environ["SIMPKI_API_TOKEN"])
    try:
        codes.append(urllib.request.urlopen(req, timeout=10).status)
    except urllib.error.HTTPError as e:
        codes.append(e.code)
print(" ".join(map(str, codes)))
PY
grep -q 429 "$dir/burst" || fail "no 429 in a burst of 300 requests: $(cat "$dir/burst")"

stop_phones
kill -TERM $otad_pid
wait $otad_pid || fail "simpki-otad did not stop cleanly"
otad_pid=""
[ $failures -eq 0 ] || { tail -n 20 "$dir/otad.log" >&2; exit 1; }
echo "otad-api.sh: all checks passed"
