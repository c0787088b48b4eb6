#!/bin/sh
# simpki-otad with N imported cards (run by tests/network/in-netns.sh): the time of the import through the VTY
# (from 'import cards' to 'show import N' saying done), the longest the daemon took to answer a VTY 'show card'
# asked over and over during the import (max_answer_ms), the daemon's peak memory (VmHWM) and the database's size
# afterwards (2 N cards by then: per card is over both); then N more cards through the API (POST /v1/cards/import, streamed), from the first byte sent to the
# import done (api_import_s), while GET /v1/cards/ICCID is asked over and over (api_max_answer_ms). Output
# "name: value" lines.
# Usage: otad-import.sh BUILD_DIR SOURCE_DIR N
set -u
build=$1
src=$2
n=$3
otad=$build/ota-server/simpki-otad
command -v python3 > /dev/null || exit 77
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad-import.XXXXXX")
otad_pid=""
failures=0
export SIMPKI_API_TOKEN=bench-token-0123456789abcdef
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
trap '[ -z "$otad_pid" ] || kill -KILL $otad_pid 2> /dev/null; rm -rf "$dir"' EXIT
. "$src/tests/ota/otad-lib.sh"
python3 - "$n" "$dir/cards.csv" "$dir/more.csv" <<'PY'
import sys
def luhn(s):
    t = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        t += d
    return s + str((10 - t % 10) % 10)
n = int(sys.argv[1])
for path, iccid, imsi, msisdn in ((sys.argv[2], "8984", "00101", "84"), (sys.argv[3], "8985", "00102", "85")):
    with open(path, "w") as f:
        f.write("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n")
        for i in range(n):
            f.write("%s,%s%010d,%s%09d,1,aes,%032X,aes,%032X\n"
                    % (luhn(iccid + "%014d" % i), imsi, i, msisdn, i, i * 7919, i * 104729))
PY
mkdir -p "$dir/otad"
grep -v "^ smsc\|^  " "$src/ota-server/simpki-otad.cfg.example" > "$dir/otad/simpki-otad.cfg"
start_otad "$dir/otad/simpki-otad.cfg" || exit 1
vty_import_watch "$dir/cards.csv" > "$dir/import.out"
grep -q "imported $n cards" "$dir/import.out" || fail "import: $(tail -n 5 "$dir/import.out")"
secs=$(awk '/^import_s:/ { print $2 }' "$dir/import.out")
grep "^max_answer_ms:\|^answers:" "$dir/import.out"
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$otad_pid/status")
python3 - "$dir/more.csv" > "$dir/api.out" <<'PY'
import http.client, json, os, sys, threading, time, urllib.request
tok = os.environ["SIMPKI_API_TOKEN"]
up = {}
def upload():
    c = http.client.HTTPConnection("127.0.0.1", 8480, timeout=600)
    with open(sys.argv[1], "rb") as f:
        c.request("POST", "/v1/cards/import?name=bench", body=f,
                  headers={"Authorization": "Bearer " + tok, "Content-Length": str(os.path.getsize(sys.argv[1]))})
        r = c.getresponse()
        up["status"], up["body"] = r.status, json.loads(r.read())
    up["at"] = time.time()
t = threading.Thread(target=upload)
t0 = time.time()
t.start()
worst, answers = 0.0, 0
while t.is_alive():
    a = time.time()
    req = urllib.request.Request("http://127.0.0.1:8480/v1/cards/8984000000000000007")
    req.add_header("Authorization", "Bearer " + tok)
    urllib.request.urlopen(req, timeout=60).read()
    worst = max(worst, time.time() - a)
    answers += 1
    time.sleep(0.005)
t.join()
print("api_import_state: %s\napi_import_s: %.1f\napi_max_answer_ms: %.0f\napi_answers: %d"
      % (up.get("body", {}).get("state"), up.get("at", t0) - t0, worst * 1000, answers))
PY
grep -q "^api_import_state: done" "$dir/api.out" || fail "the API import: $(cat "$dir/api.out")"
grep "^api_" "$dir/api.out"
kill -TERM $otad_pid
wait $otad_pid
otad_pid=""
size=$(du -k "$dir/otad/otad.db" | cut -f1)
awk -v n=$n -v t="${secs:-0}" -v m="$hwm" -v s="$size" 'BEGIN {
	if (t <= 0) t = 0.1
	printf "cards: %d\nimport_s: %.1f\ncards_per_s: %.0f\notad_peak_memory_kib: %d\ndatabase_kib: %d\n", n, t, n / t, m, s
	printf "database_bytes_per_card: %.0f\n", s * 1024 / (2 * n) }'
[ $failures -eq 0 ]
