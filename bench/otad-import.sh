#!/bin/sh
# simpki-otad with N imported cards (run by tests/network/in-netns.sh): the time of the import through the VTY
# (from 'import cards' to 'show import N' saying done), the longest the daemon took to answer a VTY 'show card'
# asked over and over during the import (max_answer_ms), the daemon's peak memory (VmHWM) and the database's size
# afterwards. Output "name: value" lines.
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
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
trap '[ -z "$otad_pid" ] || kill -KILL $otad_pid 2> /dev/null; rm -rf "$dir"' EXIT
. "$src/tests/ota/otad-lib.sh"
python3 - "$n" > "$dir/cards.csv" <<'PY'
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
out = ["iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid"]
for i in range(n):
    out.append("%s,00101%010d,84%09d,1,aes,%032X,aes,%032X" % (luhn("8984%014d" % i), i, i, i * 7919, i * 104729))
print("\n".join(out))
PY
mkdir -p "$dir/otad"
grep -v "^ smsc\|^  " "$src/ota-server/simpki-otad.cfg.example" > "$dir/otad/simpki-otad.cfg"
start_otad "$dir/otad/simpki-otad.cfg" || exit 1
vty_import_watch "$dir/cards.csv" > "$dir/import.out"
grep -q "imported $n cards" "$dir/import.out" || fail "import: $(tail -n 5 "$dir/import.out")"
secs=$(awk '/^import_s:/ { print $2 }' "$dir/import.out")
grep "^max_answer_ms:\|^answers:" "$dir/import.out"
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$otad_pid/status")
kill -TERM $otad_pid
wait $otad_pid
otad_pid=""
size=$(du -k "$dir/otad/otad.db" | cut -f1)
awk -v n=$n -v t="${secs:-0}" -v m="$hwm" -v s="$size" 'BEGIN {
	if (t <= 0) t = 0.1
	printf "cards: %d\nimport_s: %.1f\ncards_per_s: %.0f\notad_peak_memory_kib: %d\ndatabase_kib: %d\n", n, t, n / t, m, s
	printf "database_bytes_per_card: %.0f\n", s * 1024 / n }'
[ $failures -eq 0 ]
