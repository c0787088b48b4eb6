#!/bin/sh
# The mobile-network part of the demonstration (called by demo/demo.sh inside tests/network/in-netns.sh, so the
# network's fixed ports are private): Osmocom's core network (osmo-stp, osmo-hlr, osmo-msc with its SMSC), an
# official's phone with its SIM (simpki-phone), and the operator's OTA server (simpki-otad) that imports the SIM
# vendor's file and reads the SIM's ICCID over the air through its API: paging, SMS-PP download to the SIM, the
# PoR back as an SMS from the SIM, verified and matched to its job.
# Usage: demo/network.sh BUILD_DIR WORK_DIR STEP   (prints its steps numbered from STEP + 1, leaves WORK_DIR/step)
set -eu
build=$1
work=$2
step=$3
net=$build/simulator/net/osmo-net
KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F
phone_pid=""
otad_pid=""

say() {
	step=$((step + 1))
	printf '\n== %d. %s\n' "$step" "$*"
}

stop_all() {
	[ -z "$otad_pid" ] || kill "$otad_pid" 2> /dev/null || true
	[ -z "$phone_pid" ] || kill "$phone_pid" 2> /dev/null || true
	[ -z "$phone_pid" ] || wait "$phone_pid" 2> /dev/null || true
	"$net" stop "$work/net" > /dev/null 2>&1 || true
	echo "$step" > "$work/step"
}
trap stop_all EXIT

# the phone's log, without time stamps and log levels
phone_log() {
	sed 's/^.* DPHONE NOTICE /   phone: /' "$work/phone.log" | grep -v "^[A-Z]"
}

say "A mobile network: Osmocom's osmo-stp, osmo-hlr and osmo-msc with its SMSC (Debian's packages)"
"$net" start "$work/net" | sed 's/^/   /'

say "An official's SIM (IMSI 001010000000001, MSISDN 84900000001) in a simulated phone; the network attaches it"
"$build/simulator/cardos/simpki-card" create --state "$work/phone-sim" --iccid 8984010000000000005 \
	--imsi 001010000000001 --msisdn 84900000001 --ota-key "1:aes:$KIC:$KID" > /dev/null
"$net" add-subscriber "$work/net" 001010000000001 84900000001 > /dev/null
"$build/simulator/phone/simpki-phone" --card "$work/phone-sim" \
	--ready-file "$work/ready" > "$work/phone.out" 2> "$work/phone.log" &
phone_pid=$!
t=0
while [ ! -f "$work/ready" ] && [ $t -lt 300 ]; do
	sleep 0.1
	t=$((t + 1))
done
[ -f "$work/ready" ] || { echo "   the phone did not attach: $(tail -n 3 "$work/phone.log")"; exit 1; }
phone_log

say "The operator's OTA server, simpki-otad, binds to the SMSC over SMPP and opens its API"
mkdir -p "$work/otad"
sed 's/job timeout 60/job timeout 20/' "$(dirname "$0")/../ota-server/simpki-otad.cfg.example" > "$work/otad/simpki-otad.cfg"
export SIMPKI_API_TOKEN=demo-token-0123456789abcdef
"$build/ota-server/simpki-otad" -c "$work/otad/simpki-otad.cfg" > "$work/otad.log" 2>&1 &
otad_pid=$!
t=0
until grep -q "bound to" "$work/otad.log" || [ $t -gt 100 ]; do
	sleep 0.1
	t=$((t + 1))
done
grep -E "operator API|bound to" "$work/otad.log" | sed 's/^.*NOTICE /   otad: /'

# api METHOD PATH [BODY [AS_SHOWN]]: the operator's HTTP call, shown (the body, or AS_SHOWN) and answered
api() {
	echo "   > $1 $2${3:+ ${4:-$3}}"
	python3 - "$@" <<'PY'
import os, sys, urllib.request, urllib.error
req = urllib.request.Request("http://127.0.0.1:8480" + sys.argv[2], method=sys.argv[1],
                             data=sys.argv[3].encode() if len(sys.argv) > 3 else None)
req.add_header("Authorization", "Bearer " + os.environ["SIMPKI_API_TOKEN"])
try:
    r = urllib.request.urlopen(req, timeout=30)
    print("   < %d %s" % (r.status, r.read().decode()))
except urllib.error.HTTPError as e:
    print("   < %d %s" % (e.code, e.read().decode()))
PY
}

say "It imports the SIM vendor's file: identities and the OTA keys, sealed under its master key"
printf 'iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n8984010000000000005,001010000000001,84900000001,1,aes,%s,aes,%s\n' \
	$KIC $KID > "$work/vendor.csv"
api POST /v1/cards/import "$(cat "$work/vendor.csv")" "(the vendor's CSV: ICCID, IMSI, MSISDN, AES KIc and KID)"

say "An OTA job through the API: remote file management (TAR B00010), read EF.ICCID"
n=$(phone_log | wc -l)
api POST /v1/jobs '{"iccid": "8984010000000000005", "tar": "b00010", "apdus": ["00A4000C022FE2", "00B000000A"]}'
t=0
until api GET /v1/jobs/1 | grep -q '"state":"por-ok"' || [ $t -gt 60 ]; do
	sleep 0.5
	t=$((t + 1))
done
phone_log | tail -n +$((n + 1))

say "The job's proof of receipt, verified by simpki-otad: status 00, and the SIM's ICCID (BCD, swapped nibbles)"
api GET /v1/jobs/1
kill "$otad_pid"
wait "$otad_pid" || true
otad_pid=""

say "The phone is switched off (IMSI detach); simpki-phone's summary"
kill "$phone_pid"
wait "$phone_pid" || true
phone_pid=""
sed 's/^/   /' "$work/phone.out"
