#!/bin/sh
# The mobile-network part of the demonstration (called by demo/demo.sh inside tests/network/in-netns.sh, so the
# network's fixed ports are private): Osmocom's core network (osmo-stp, osmo-hlr, osmo-msc with its SMSC), an
# official's phone with its SIM (simpki-phone), and an operator's SMPP client that reads the SIM's ICCID over the
# air: paging, SMS-PP download to the SIM, the PoR back as an SMS from the SIM.
# Usage: demo/network.sh BUILD_DIR WORK_DIR STEP   (prints its steps numbered from STEP + 1, leaves WORK_DIR/step)
set -eu
build=$1
work=$2
step=$3
net=$build/simulator/osmo-net
KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F
KEYS="--spi 1639 --kic 12 --kid 12 --kic-key $KIC --kid-key $KID"
phone_pid=""

say() {
	step=$((step + 1))
	printf '\n== %d. %s\n' "$step" "$*"
}

stop_all() {
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
"$build/simulator/simpki-card" create --state "$work/phone-sim" --iccid 8984010000000000005 \
	--imsi 001010000000001 --msisdn 84900000001 --ota-key "1:aes:$KIC:$KID" > /dev/null
"$net" add-subscriber "$work/net" 001010000000001 84900000001 > /dev/null
LD_PRELOAD=$build/simulator/libsimpki-sctp-shim.so "$build/simulator/simpki-phone" --card "$work/phone-sim" \
	--ready-file "$work/ready" > "$work/phone.out" 2> "$work/phone.log" &
phone_pid=$!
t=0
while [ ! -f "$work/ready" ] && [ $t -lt 300 ]; do
	sleep 0.1
	t=$((t + 1))
done
[ -f "$work/ready" ] || { echo "   the phone did not attach: $(tail -n 3 "$work/phone.log")"; exit 1; }
phone_log

say "The operator's SMPP client submits a secured packet to 84900000001: RFM, read EF.ICCID"
"$build/ota-server/simpki-ota" encode $KEYS --tar B00010 --cntr 1 --apdu 00A4000C022FE2 --apdu 00B000000A |
	sed 's/^/84900000001 /' > "$work/submit"
sed 's/^/   submit_sm to /' "$work/submit"
n=$(phone_log | wc -l)
"$build/tests/test-esme" --expect 1 --timeout 30 --input "$work/submit" > "$work/esme.out" 2> /dev/null
phone_log | tail -n +$((n + 1))
awk '$1 == "deliver_sm" { printf "   deliver_sm from %s: %s\n", $2, $7 }' "$work/esme.out"

say "The operator checks the PoR: checksum, status, and the ICCID read from the SIM"
"$build/ota-server/simpki-ota" decode $KEYS $(awk '$1 == "deliver_sm" { print $7 }' "$work/esme.out") |
	grep -E '^(checksum|status|commands executed|last SW|last data)' | sed 's/^/   PoR /'

say "The phone is switched off (IMSI detach); simpki-phone's summary"
kill "$phone_pid"
wait "$phone_pid" || true
phone_pid=""
sed 's/^/   /' "$work/phone.out"
