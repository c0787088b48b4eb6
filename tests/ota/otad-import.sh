#!/bin/sh
# simpki-otad keeps answering during a large import (run by in-netns.sh): 200,000 cards imported through the VTY
# while 'show card' is asked over and over; the import ends done, every card is visible after and none before,
# and no answer took longer than 1 s (an import in one transaction froze the daemon for seconds). The same file
# again is refused whole: every line names the card already in the database (kind database), the cards stay as
# they were and the staged rows are gone.
# Usage: otad-import.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
n=200000
otad=$build/ota-server/simpki-otad
command -v python3 > /dev/null || { echo "otad-import.sh: python3 missing: skipped" >&2; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad-import.XXXXXX")
otad_pid=""
failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
expect_in() { # FILE TEXT
	grep -q -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(head -c 1500 "$1")"
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
cat "$dir/import.out" | head -n 5
expect_in "$dir/import.out" "^state: done"
expect_in "$dir/import.out" "imported $n cards, $n key sets"
ms=$(awk '/^max_answer_ms:/ { print $2 }' "$dir/import.out")
[ "${ms:-99999}" -lt 1000 ] || fail "the VTY took $ms ms to answer during the import"
[ "$(awk '/^answers:/ { print $2 }' "$dir/import.out")" -gt 10 ] || fail "too few answers during the import"
vty "show cards" "show card 8984000000000000007" > "$dir/vty.out"
expect_in "$dir/vty.out" "^$n cards"
expect_in "$dir/vty.out" "ICCID 8984000000000000007 IMSI 001010000000000"
vty_import "$dir/cards.csv" again > "$dir/again.out"
expect_in "$dir/again.out" "refused, nothing imported: $n lines rejected"
expect_in "$dir/again.out" "line 2: ICCID 8984000000000000007 is already in the database (database)"
[ "$(grep -c '^line ' "$dir/again.out")" = 1000 ] || fail "not the first 1000 rejected lines kept"
vty "show cards" > "$dir/vty.out"
expect_in "$dir/vty.out" "^$n cards"
kill -TERM $otad_pid
wait $otad_pid
otad_pid=""
python3 - "$dir/otad/otad.db" <<'PY' > "$dir/db.out" 2>&1 || fail "staged rows left: $(cat "$dir/db.out")"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
b = db.execute("SELECT count(*) FROM batches").fetchone()[0]
c = db.execute("SELECT count(*) FROM cards").fetchone()[0]
sys.exit(0 if b == 1 and c == int(200000) else 1)
PY
[ $failures -eq 0 ] || exit 1
echo "otad-import.sh: all checks passed"
