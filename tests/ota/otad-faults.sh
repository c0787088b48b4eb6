#!/bin/sh
# simpki-otad and the faults a real SMSC does not produce (run by in-netns.sh; a fake SMSC, tests/ota/fake-smsc.py,
# on the SMPP port): a submit_sm answered ESME_RTHROTTLED (sent again after its back-off, counted); a deliver_sm
# whose fields run past its end, one whose user data is no secured packet, a PoR from a known card for a TAR no job
# waits for, an SMS without user data header; then a PDU whose length field is out of bounds (the link is dropped
# and made again). Each is logged and counted; simpki-otad answers what it can, keeps running, its VTY works.
# Usage: otad-faults.sh SIMPKI_OTAD SOURCE_DIR
set -u
otad=$1
src=$2
command -v python3 > /dev/null || { echo "otad-faults.sh: python3 missing: skipped" >&2; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad-faults.XXXXXX")
otad_pid=""
smsc_pid=""
failures=0
trap '[ -z "$otad_pid" ] || kill -KILL $otad_pid 2> /dev/null; [ -z "$smsc_pid" ] || kill $smsc_pid 2> /dev/null; rm -rf "$dir"' EXIT
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
. "$src/tests/ota/otad-lib.sh"

# deliver FROM ESM UD_HEX [CUT]: a deliver_sm PDU in hex (its body cut to CUT bytes, the length field agreeing)
deliver() {
	python3 - "$@" <<'PY'
import struct, sys
src, esm, ud = sys.argv[1], int(sys.argv[2], 16), bytes.fromhex(sys.argv[3])
body = b"\0" + bytes([1, 1]) + src.encode() + b"\0" + bytes([0, 1]) + b"4242\0" + bytes([esm, 0x7f, 0]) + b"\0\0" \
    + bytes([0, 0, 0xf6, 0, len(ud)]) + ud
if len(sys.argv) > 4:
    body = body[:int(sys.argv[4])]
print((struct.pack(">IIII", 16 + len(body), 5, 0, 1) + body).hex())
PY
}

mkdir -p "$dir/conf"
sed 's/job timeout 60/job timeout 5/' "$src/ota-server/simpki-otad.cfg.example" > "$dir/conf/simpki-otad.cfg"
KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F
printf 'iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n8984010000000000005,001010000000001,2001,1,aes,%s,aes,%s\n' \
	$KIC $KID > "$dir/cards.csv"

truncated=$(deliver 2001 40 027100 6)
not_packet=$(deliver 2001 40 0500030a0201aabbcc)
unknown_tar=$(deliver 2001 40 02710000120000010000000000010000000000000000)
no_udh=$(deliver 2001 00 48656c6c6f)
bad_length=000000050000000500000000

python3 "$src/tests/ota/fake-smsc.py" "$dir/smsc.out" "$truncated" "$not_packet" "$unknown_tar" "$no_udh" &
smsc_pid=$!
sleep 0.5
start_otad "$dir/conf/simpki-otad.cfg" || exit 1
vty "import cards $dir/cards.csv" "job create 8984010000000000005 b00010 00A4000C022FE2 00B000000A" > "$dir/vty.out"
t=0
until grep -q done "$dir/smsc.out" 2> /dev/null || [ $t -gt 150 ]; do
	sleep 0.1
	t=$((t + 1))
done
grep -q "deliver_sm_resp 0 status 1$" "$dir/smsc.out" || fail "the truncated deliver_sm was not refused: $(cat "$dir/smsc.out")"
grep -q "deliver_sm_resp 1 status 0" "$dir/smsc.out" || fail "no answer to the SMS that is no packet"
grep -q "deliver_sm_resp 2 status 0" "$dir/smsc.out" || fail "no answer to the PoR for an unknown TAR"
grep -q "deliver_sm_resp 3 status 0" "$dir/smsc.out" || fail "no answer to the SMS without UDH"
kill -0 $otad_pid 2> /dev/null || fail "simpki-otad died"
vty "show jobs" "show smpp" > "$dir/vty2.out" || fail "the VTY does not answer"
grep -q "^submitted\|^delivered" "$dir/vty2.out" || fail "show jobs: $(cat "$dir/vty2.out")"
for c in smpp:deliver_bad ota:por_unmatched; do
	ctrl "rate_ctr.abs.otad.0.$c" > "$dir/ctrl.out"
	grep -q " [1-9][0-9]*$" "$dir/ctrl.out" || fail "$c not counted: $(cat "$dir/ctrl.out")"
done
grep -q "malformed deliver_sm" "$dir/otad.log" || fail "the malformed deliver_sm is not logged"
grep -q "a PoR from 2001 for no job" "$dir/otad.log" || fail "the unknown TAR is not logged"
grep -q "submit_sm 1 answered 0x58" "$dir/smsc.out" || fail "the job's submit never came: $(cat "$dir/smsc.out")"
grep -q "submit_sm 2 answered 0x00" "$dir/smsc.out" || fail "the throttled submit did not come again"
ctrl rate_ctr.abs.otad.0.ota:retries > "$dir/ctrl.out"
grep -q " [1-9][0-9]*$" "$dir/ctrl.out" || fail "the retry is not counted: $(cat "$dir/ctrl.out")"
vty "show job 1" > "$dir/job.out"
grep -q "state delivered" "$dir/job.out" || fail "the job after the throttling: $(grep '^job' "$dir/job.out")"

# a PDU with an impossible length breaks the stream: the link is dropped, logged, and made again
wait $smsc_pid
python3 "$src/tests/ota/fake-smsc.py" "$dir/smsc2.out" "$bad_length" &
smsc_pid=$!
t=0
until grep -q done "$dir/smsc2.out" 2> /dev/null || [ $t -gt 300 ]; do
	sleep 0.1
	t=$((t + 1))
done
grep -q "a PDU length outside" "$dir/otad.log" || fail "the bad PDU length is not logged"
kill -0 $otad_pid 2> /dev/null || fail "simpki-otad died"
kill -TERM $otad_pid
wait $otad_pid || fail "simpki-otad did not stop cleanly"
otad_pid=""
[ $failures -eq 0 ] || { tail -n 20 "$dir/otad.log" >&2; exit 1; }
echo "otad-faults.sh: all checks passed"
