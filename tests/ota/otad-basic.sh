#!/bin/sh
# simpki-otad as an operator meets it (run by in-netns.sh: its VTY and CTRL ports are private): --help and usage
# errors; the example configuration runs as it is from another directory (relative paths), creating the master
# key (mode 0600) and the database; the VTY imports a vendor file and shows the cards; a file with bad lines is
# refused whole with every line named; 'enable' asks for the configured password, and a wrong one gets nothing (no
# token made); CTRL reads the rate counters; no OTA key in clear in the database; SIGTERM
# stops it with exit 0; a missing master key without 'create', a key file others may read, and a bad
# configuration stop it at start with exit 1 and a message.
# Usage: otad-basic.sh SIMPKI_OTAD EXAMPLE_CFG
set -u
otad=$1
example=$2
command -v python3 > /dev/null || { echo "otad-basic.sh: python3 missing: skipped" >&2; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad.XXXXXX")
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

# start CFG: simpki-otad from $dir/elsewhere (relative paths resolve against CFG's directory); its PID in $pid
start() {
	start_otad "$1" "$dir/otad.log" || return 1
	pid=$otad_pid
}

"$otad" --help > "$dir/help" || fail "--help exited $?"
expect_in "$dir/help" "Usage: simpki-otad"
expect_in "$dir/help" "config-file"
"$otad" --bogus > /dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown option does not exit 2"

mkdir -p "$dir/conf" "$dir/elsewhere"
cp "$example" "$dir/conf/simpki-otad.cfg"
start "$dir/conf/simpki-otad.cfg" || exit 1
[ -f "$dir/conf/otad.key" ] || fail "no master key created next to the configuration"
[ "$(stat -c %a "$dir/conf/otad.key")" = 600 ] || fail "the master key file is not mode 600"
[ -f "$dir/conf/otad.db" ] || fail "no database next to the configuration"
KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F
{
	echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid"
	echo "8984010000000000005,001010000000001,2001,1,aes,$KIC,aes,$KID"
	echo "8984010000000000013,001010000000002,2002,1,aes,$KIC,aes,$KID"
} > "$dir/good.csv"
{
	echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid"
	echo "8984010000000000021,001010000000003,2003,1,aes,$KIC,aes,$KID"
	echo "8984010000000000022,001010000000004,2004,1,aes,$KIC,aes,$KID"
	echo "8984010000000000039,001010000000001,2009,1,aes,$KIC,aes,$KID"
} > "$dir/bad.csv"
{
	vty_import "$dir/good.csv"
	vty "show cards" "show card 8984010000000000013"
	vty_import "$dir/bad.csv"
	vty "show cards" "show card 8984010000000000021" "show imports"
} > "$dir/vty.out"
expect_in "$dir/vty.out" "imported 2 cards, 2 key sets"
expect_in "$dir/vty.out" "ICCID 8984010000000000013 IMSI 001010000000002 MSISDN 2002 state active"
expect_in "$dir/vty.out" "refused, nothing imported: 2 lines rejected"
expect_in "$dir/vty.out" "line 3: iccid: ICCID check digit is wrong.* (format)"
expect_in "$dir/vty.out" "line 4: IMSI 001010000000001 already belongs to ICCID 8984010000000000005 in the database (database)"
expect_in "$dir/vty.out" "import 2 (vty, $dir/bad.csv): refused, 4 lines"
expect_in "$dir/vty.out" "import 1 (vty, $dir/good.csv): done, 3 lines, 2 cards"
expect_in "$dir/vty.out" "% no such card"
[ "$(grep -c '^2 cards' "$dir/vty.out")" = 2 ] || fail "not 2 cards before and after the refused file"
ctrl rate_ctr.abs.otad.0.cards:imported > "$dir/ctrl.out"
expect_in "$dir/ctrl.out" "GET_REPLY 1 rate_ctr.abs.otad.0.cards:imported 2"
ctrl rate_ctr.abs.otad.0.cards:imports_refused > "$dir/ctrl.out"
expect_in "$dir/ctrl.out" "imports_refused 1"
for f in "$dir/conf/otad.db" "$dir/conf/otad.db-wal"; do
	[ -f "$f" ] || continue
	for k in $KIC $KID; do
		if python3 -c 'import sys; sys.exit(0 if bytes.fromhex(sys.argv[2]) in open(sys.argv[1], "rb").read() or sys.argv[2].encode() in open(sys.argv[1], "rb").read() else 1)' "$f" "$k"; then
			fail "$(basename "$f") holds an OTA key in clear"
		fi
	done
done
# the VTY is no back door: 'enable' asks for the configured password; a wrong one gets nothing
python3 > "$dir/enable.out" <<'PY'
import socket, time
s = socket.create_connection(("127.0.0.1", 4270), timeout=10)
def say(line):
    if line is not None:
        s.sendall(line.encode() + b"\r\n")
    time.sleep(0.3)
    print(s.recv(65536).decode(errors="replace"))
say(None)
for line in ("enable", "wrong-password", "", "", "api token create sneaky admin", "show cards"):
    say(line)
PY
expect_in "$dir/enable.out" "Password:"
expect_in "$dir/enable.out" "^2 cards"
grep -q "token sneaky" "$dir/enable.out" && fail "a token was made without the enable password"
grep -q "simpki-otad#" "$dir/enable.out" && fail "enable without its password: $(cat "$dir/enable.out")"
kill -TERM $pid
wait $pid
rc=$?
pid=""
[ $rc -eq 0 ] || fail "simpki-otad exited $rc after SIGTERM"
expect_in "$dir/otad.log" "Terminated: stopping"

# it starts again on the same files, and knows the cards
start "$dir/conf/simpki-otad.cfg" || exit 1
vty "show cards" > "$dir/vty2.out"
expect_in "$dir/vty2.out" "^2 cards"
kill -TERM $pid
wait $pid
pid=""

# refusals at start
sed 's/ create$//; s/otad.key/missing.key/' "$example" > "$dir/conf/nokey.cfg"
(cd "$dir/elsewhere" && "$otad" -c "$dir/conf/nokey.cfg") > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "a missing master key does not exit 1"
expect_in "$dir/out" "missing.key: No such file or directory"
chmod 644 "$dir/conf/otad.key"
(cd "$dir/elsewhere" && "$otad" -c "$dir/conf/simpki-otad.cfg") > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "a master key others may read does not exit 1"
expect_in "$dir/out" "chmod 600"
chmod 600 "$dir/conf/otad.key"
printf 'otad\n frobnicate 1\n' > "$dir/conf/bad.cfg"
(cd "$dir/elsewhere" && "$otad" -c "$dir/conf/bad.cfg") > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "a bad configuration does not exit 1"
(cd "$dir/elsewhere" && "$otad" -c "$dir/conf/none.cfg") > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "a missing configuration does not exit 1"
expect_in "$dir/out" "cannot read the configuration file"
[ $failures -eq 0 ] || exit 1
echo "otad-basic.sh: all checks passed"
