#!/bin/sh
# simpki-otad's keys and restores as an operator meets them (run by in-netns.sh: its VTY and CTRL ports are
# private; no SMSC answers, so the jobs' packets wait in the bind's queue, each with its counter taken):
# - 'master-key rotate FILE' in the VTY re-seals the key sets under a new key file (made 0600) while the daemon runs
#   and keeps using them; 'write file' saves the configuration naming it; started again with the new key file the
#   key sets open, started with the old one the daemon refuses with a clear message; no master key in the log.
# - 'backup database PATH' writes a consistent copy while the daemon runs, and refuses to overwrite it unless told.
# - a daemon started on the restored copy says so, refuses new jobs and holds the resumed one (its tries do not
#   rise) until the counters are raised (only raising) and confirmed; then the job goes on with a counter above
#   the floor, and new jobs are taken again.
# Usage: otad-keys.sh SIMPKI_OTAD SOURCE_ROOT
set -u
export SIMPKI_API_TOKEN=admin-token-for-the-test-0123456789
otad=$1
src=$2
command -v python3 > /dev/null || { echo "otad-keys.sh: python3 missing: skipped" >&2; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad-keys.XXXXXX")
pid=""
failures=0
cleanup() {
	[ -z "$pid" ] || kill -KILL "$pid" 2> /dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
expect_in() { # FILE TEXT
	grep -q -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(head -c 1500 "$1")"
}

. "$(dirname "$0")/otad-lib.sh"

start() { # CFG
	start_otad "$1" "$dir/otad.log" || exit 1
	pid=$otad_pid
}
stop() {
	kill -TERM $pid
	wait $pid
	pid=""
}
# field JOB WORD: the value after WORD in 'show job JOB'
field() {
	vty "show job $1" | sed -n "s/.* $2 \([0-9a-z-]*\) .*/\1/p" | head -n 1
}

C1=8984010000000000005
C2=8984010000000000013
KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F
mkdir -p "$dir/conf"
# short tries, many of them: the job is still trying when the copy is taken, and when the copy's daemon resumes it
sed 's/^ job timeout .*/ job timeout 3/; s/^ job retries .*/ job retries 10/' \
	"$src/ota-server/simpki-otad.cfg.example" > "$dir/conf/simpki-otad.cfg"
{
	echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid"
	echo "$C1,001010000000001,2001,1,aes,$KIC,aes,$KID"
	echo "$C2,001010000000002,2002,1,aes,$KIC,aes,$KID"
} > "$dir/cards.csv"

# ---- rotation while the daemon runs ----
start "$dir/conf/simpki-otad.cfg"
vty "import cards $dir/cards.csv" "job create $C1 B00010 00B0000001" "show card $C1" > "$dir/vty1.out"
expect_in "$dir/vty1.out" "imported 2 cards"
expect_in "$dir/vty1.out" "^job 1"
expect_in "$dir/vty1.out" "key set 1: counter 1, opens with the master key"
vty "master-key rotate otad.key" "master-key rotate new.key" "show card $C1" "show card $C2" \
	"job create $C2 B00010 00B0000001" "write file" > "$dir/vty2.out"
expect_in "$dir/vty2.out" "otad.key is the current key file"
expect_in "$dir/vty2.out" "master key rotated: 2 key sets re-sealed under $dir/conf/new.key"
expect_in "$dir/vty2.out" "opens nothing in this database any more"
[ "$(grep -c 'opens with the master key' "$dir/vty2.out")" = 2 ] || fail "the key sets do not open after rotation"
expect_in "$dir/vty2.out" "^job 2"
[ "$(stat -c %a "$dir/conf/new.key")" = 600 ] || fail "the new master key file is not mode 600"
expect_in "$dir/conf/simpki-otad.cfg" "^ master-key new.key$"

# ---- online backup ----
vty "backup database $dir/backup.db" "backup database $dir/backup.db" "backup database $dir/backup.db overwrite" \
	"show database" > "$dir/vty3.out"
[ "$(grep -c "^backed up to $dir/backup.db" "$dir/vty3.out")" = 2 ] || fail "not backed up twice: $(cat "$dir/vty3.out")"
expect_in "$dir/vty3.out" "exists (add 'overwrite' to replace it)"
expect_in "$dir/vty3.out" "last backup: .* UTC $dir/backup.db"
expect_in "$dir/vty3.out" "counters: in use"
[ "$(stat -c %a "$dir/backup.db")" = 600 ] || fail "the backup is not mode 600"
[ -e "$dir/backup.db.tmp" ] && fail "the backup's temporary file is left"
backup_c1=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT counter FROM keysets WHERE iccid = ?", (sys.argv[2],)).fetchone()[0])' "$dir/backup.db" $C1)
[ "${backup_c1:-0}" -ge 1 ] || fail "the backup's counter of $C1 is '$backup_c1'"
stop

# ---- the old key file is refused, the new one opens the key sets ----
sed 's/^ master-key new.key$/ master-key otad.key/' "$dir/conf/simpki-otad.cfg" > "$dir/conf/old.cfg"
(cd "$dir" && "$otad" -c "$dir/conf/old.cfg") > "$dir/old.out" 2>&1
[ $? -eq 1 ] || fail "the old master key does not stop the daemon at start with exit 1"
expect_in "$dir/old.out" "the master key does not open this database's key sets"
expect_in "$dir/old.out" "master key file $dir/conf/otad.key"
start "$dir/conf/simpki-otad.cfg"
vty "show card $C1" "show card $C2" > "$dir/vty4.out"
[ "$(grep -c 'opens with the master key' "$dir/vty4.out")" = 2 ] || fail "the key sets do not open after a restart"
stop
for k in otad.key new.key; do
	grep -qi "$(head -c 64 "$dir/conf/$k")" "$dir/otad.log" && fail "the log holds the master key $k"
done

# ---- restore: the copy sends nothing until its counters are raised and confirmed ----
mkdir -p "$dir/restored"
cp "$dir/backup.db" "$dir/restored/otad.db"
cp "$dir/conf/new.key" "$dir/conf/simpki-otad.cfg" "$dir/restored/"
: > "$dir/otad.log"
start "$dir/restored/simpki-otad.cfg"
expect_in "$dir/otad.log" "is a restored copy: no OTA packet is sent"
vty "show database" "job create $C2 B00010 00B0000001" "show card $C1" > "$dir/vty5.out"
expect_in "$dir/vty5.out" "a copy of: .* UTC $dir/conf/otad.db"
expect_in "$dir/vty5.out" "counters: NOT CONFIRMED"
expect_in "$dir/vty5.out" "the database is a restored copy: nothing is sent"
expect_in "$dir/vty5.out" "key set 1: counter $backup_c1,"
t=0
until grep -q "held: the database is a restored copy" "$dir/otad.log"; do
	[ $t -lt 100 ] || { fail "the resumed job is not held: $(tail -n 5 "$dir/otad.log")"; break; }
	sleep 0.1
	t=$((t + 1))
done
tries=$(field 1 tries)
state=$(field 1 state)
sleep 6
[ "$(field 1 tries)" = "$tries" ] || fail "job 1 was sent while held: tries $tries, then $(field 1 tries)"
[ "$(field 1 state)" = "$state" ] || fail "job 1 changed state while held: $state, then $(field 1 state)"
# the same through the API (administrator)
api() { # METHOD PATH [BODY]: prints "BODY STATUS"
	curl -s -w ' %{http_code}' -X "$1" -H "Authorization: Bearer $SIMPKI_API_TOKEN" ${3:+-d "$3"} "http://127.0.0.1:8480$2"
}
out=$(api GET /v1/database)
case $out in *'"counters":"not-confirmed"'*' 200') ;; *) fail "GET /v1/database on a restored copy: $out" ;; esac
out=$(api POST /v1/jobs "{\"iccid\": \"$C2\", \"tar\": \"b00010\", \"apdus\": [\"00B0000001\"]}")
case $out in *'"code":"counters_unconfirmed"'*' 409' | *'"code":"smsc_unavailable"'*' 503') ;; *) fail "POST /v1/jobs on a restored copy: $out" ;; esac
out=$(api POST /v1/database/counter-floor "{\"iccid\": \"$C1\", \"kvn\": 1, \"floor\": 1}")
case $out in *'"code":"counter_not_raised"'*' 409') ;; *) fail "a floor below the counter: $out" ;; esac
out=$(api POST /v1/database/counter-floor "{\"iccid\": \"$C1\", \"kvn\": 9, \"floor\": 100}")
case $out in *'"code":"keyset_not_found"'*' 409') ;; *) fail "a floor for a key set the card lacks: $out" ;; esac
out=$(api POST /v1/database/counter-floor '{"raise_all_by": 0}')
case $out in *'"code":"invalid_request"'*' 400') ;; *) fail "raise_all_by 0: $out" ;; esac
vty "card $C1 keyset 1 counter-floor 1" "card $C1 keyset 9 counter-floor 100" "counter-floor raise-all by 1000" \
	"card $C2 keyset 1 counter-floor 5000" "show card $C2" "counter-floor confirm" "counter-floor confirm" \
	"show database" > "$dir/vty6.out"
expect_in "$dir/vty6.out" "a floor only raises it"
expect_in "$dir/vty6.out" "no such card or key set"
expect_in "$dir/vty6.out" "2 key sets raised by 1000"
expect_in "$dir/vty6.out" "key set 1: counter 5000,"
expect_in "$dir/vty6.out" "counters confirmed: packets are sent again"
expect_in "$dir/vty6.out" "no confirmation needed"
expect_in "$dir/vty6.out" "counters: in use"
t=0
until [ "$(field 1 tries)" != "$tries" ]; do
	[ $t -lt 20 ] || { fail "job 1 is not sent after the confirmation: $(vty 'show job 1')"; break; }
	sleep 0.5
	t=$((t + 1))
done
out=$(api POST /v1/database/counter-floor '{"confirm": true}')
case $out in *'"code":"nothing_to_confirm"'*' 409') ;; *) fail "confirm twice through the API: $out" ;; esac
out=$(api GET /v1/database)
case $out in *'"counters":"in-use"'*' 200') ;; *) fail "GET /v1/database after the confirmation: $out" ;; esac
out=$(api POST /v1/database/counter-floor "{\"iccid\": \"$C2\", \"kvn\": 1, \"floor\": 900000}")
case $out in *'"counter":900000'*' 200') ;; *) fail "a floor through the API: $out" ;; esac
counter=$(field 1 counter)
[ "${counter:-0}" -gt $((backup_c1 + 1000)) ] || fail "job 1's counter $counter is not above the floor $((backup_c1 + 1000))"
vty "job create $C2 B00010 00B0000001" > "$dir/vty7.out"
expect_in "$dir/vty7.out" "^job "
stop

# ---- a database restored by a plain file copy is marked with --restored ----
mkdir -p "$dir/copied"
cp "$dir/restored/otad.db" "$dir/copied/otad.db"
cp "$dir/restored/new.key" "$dir/restored/simpki-otad.cfg" "$dir/copied/"
printf '#!/bin/sh\nexec "%s" --restored "$@"\n' "$otad" > "$dir/otad-restored"
chmod +x "$dir/otad-restored"
otad_plain=$otad
otad=$dir/otad-restored
: > "$dir/otad.log"
start "$dir/copied/simpki-otad.cfg"
otad=$otad_plain
expect_in "$dir/otad.log" "is a restored copy: no OTA packet is sent"
vty "show database" > "$dir/vty8.out"
expect_in "$dir/vty8.out" "counters: NOT CONFIRMED"
stop
[ $failures -eq 0 ] || exit 1
echo "otad-keys.sh: all checks passed"
