#!/bin/sh
# Simulated phones on the real Osmocom core network (run by in-netns.sh, so every port is private):
#   attach  one phone attaches and detaches; then 50 at once, with periodic location updating every 3 s
#   ota     a test ESME (not the OTA server) submits secured packets through osmo-msc's SMSC: an RFM read of
#           EF.ICCID reaches the SIM, its PoR comes back as deliver_sm byte for byte as the SIM sent it and
#           carries the ICCID; a wrong checksum gets the PoR the SIM owes (status 01); a packet of 3
#           concatenated SMS arrives whole; tshark reads the GSMTAP copy as GSM SIM APDUs
#   off     a phone switched off (IMSI detach) gets its packet when it attaches again
#   timing  two phones with --real-timing: phone A's SIM generates an RSA-2048 key pair over the air (the PKI
#           applet, issuer's authority) while phone B's answers an RFM read submitted at the same moment: B's PoR
#           comes back within 3 s, A's ~9 s (the model's key generation) after it; without --real-timing A's PoR
#           comes as fast as B's, 8 s or more sooner
#   bulk    1,000 SIMs made by simpki-card create-many and known to osmo-hlr through osmo-net add-subscribers
#           (rows written into its database while it runs; both timed); a file with a bad line and one with a
#           known subscriber are refused with nothing written; 50 of the SIMs attach
# Usage: phones.sh MODE BUILD_DIR
set -u
mode=$1
build=$2
. "$(dirname "$0")/phones-lib.sh"
"$net" start "$dir/net" > /dev/null || { echo "FAIL: osmo-net start" >&2; exit 1; }

case $mode in
attach)
	cards 50 || exit 1
	start_phones phone1 --card "$dir/cards/000" || exit 1
	expect_in "$dir/phone1.log" "001010000000000 attached (IMSI attach), TMSI 0x"
	stop_phones
	expect_in "$dir/phone1.log" "001010000000000 switched off (IMSI detach)"
	expect_in "$dir/phone1.out" "location updates: 1 accepted, 0 rejected, 0 failed; 1 IMSI detaches"

	start_phones phone50 --cards "$dir/cards" --periodic 3 || exit 1
	[ "$(grep -c 'attached (IMSI attach)' "$dir/phone50.log")" = 50 ] || fail "not 50 attaches"
	t=0
	while [ "$(grep -c 'attached (periodic update)' "$dir/phone50.log")" -lt 50 ] && [ $t -lt 100 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	stop_phones
	[ "$(grep -c 'attached (periodic update)' "$dir/phone50.log")" -ge 50 ] || fail "not 50 periodic updates"
	expect_in "$dir/phone50.out" "50 phones"
	expect_in "$dir/phone50.out" "0 rejected, 0 failed; 50 IMSI detaches"
	;;
ota)
	cards 1 || exit 1
	iccid=$("$card" info --state "$dir/cards/000" | awk '$1 == "ICCID:" { print $2 }')
	if command -v tshark > /dev/null; then
		# tshark dissects live, a line per packet (frame number, then the SIM APDU's INS if it is one). "Capturing
		# on" can come before the capture really runs, so probe datagrams go out until one of them is seen.
		tshark -l -i lo -f "udp port 4729" -T fields -e frame.number -e gsm_sim.apdu.ins > "$dir/ins.live" \
			2> "$dir/tshark.log" &
		tshark_pid=$!
		t=0
		until [ -s "$dir/ins.live" ]; do
			python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"probe", ("127.0.0.1", 4729))'
			[ $t -lt 100 ] || { fail "tshark captures nothing: $(cat "$dir/tshark.log")"; break; }
			sleep 0.2
			t=$((t + 1))
		done
	else
		fail "tshark is not installed"
	fi
	start_phones phone --card "$dir/cards/000" --gsmtap 127.0.0.1 || exit 1

	# 1. RFM: SELECT EF.ICCID, READ BINARY 10 bytes; the PoR by SMS-SUBMIT, checksummed and ciphered
	packet 2000 1 --apdu 00A4000C022FE2 --apdu 00B000000A > "$dir/in1"
	"$esme" --expect 1 --timeout 30 --input "$dir/in1" > "$dir/esme1.out" || fail "ESME 1: $(cat "$dir/esme1.out")"
	sm=$(por_of "$dir/esme1.out")
	expect_in "$dir/esme1.out" "^deliver_sm 2000 4242 41 7f f6 "
	sent=$(sed -n 's/.*the SIM asks to send an SMS: //p' "$dir/phone.log" | head -n 1)
	case $sent in
	4100048124247ff6??"$sm") ;; # SMS-SUBMIT to 4242, PID 7F, DCS F6, UDL: then the very bytes delivered
	*) fail "deliver_sm '$sm' is not the user data of the SIM's SMS-SUBMIT '$sent'" ;;
	esac
	"$ota" decode $KEYS "$sm" > "$dir/por1" || fail "PoR 1 does not verify: $(cat "$dir/por1")"
	expect_in "$dir/por1" "status: 00"
	expect_in "$dir/por1" "commands executed: 2"
	expect_in "$dir/por1" "last data: $(iccid_ef "$iccid")"

	# 2. a wrong checksum key: the SIM refuses the packet and answers PoR status 01
	"$ota" encode $KEYS --kid-key 00112233445566778899AABBCCDDEEFF --tar B00010 --cntr 2 \
		--apdu 00A4000C022FE2 --apdu 00B000000A | sed 's/^/2000 /' > "$dir/in2"
	"$esme" --expect 1 --timeout 30 --input "$dir/in2" > "$dir/esme2.out" || fail "ESME 2: $(cat "$dir/esme2.out")"
	"$ota" decode $KEYS $(por_of "$dir/esme2.out") > "$dir/por2"
	expect_in "$dir/por2" "status: 01"
	expect_in "$dir/por2" "checksum: NOT verified" # the SIM could not trust the packet: no checksum on its PoR

	# 3. 3 concatenated SMS: 40 SELECTs and a READ BINARY
	set --
	i=0
	while [ $i -lt 40 ]; do
		set -- "$@" --apdu 00A4000C022FE2
		i=$((i + 1))
	done
	packet 2000 3 "$@" --apdu 00B000000A --ref 9 > "$dir/in3"
	[ "$(wc -l < "$dir/in3")" = 3 ] || fail "the packet is not 3 SMS: $(cat "$dir/in3")"
	"$esme" --expect 1 --timeout 30 --input "$dir/in3" > "$dir/esme3.out" || fail "ESME 3: $(cat "$dir/esme3.out")"
	"$ota" decode $KEYS $(por_of "$dir/esme3.out") > "$dir/por3" || fail "PoR 3 does not verify"
	expect_in "$dir/por3" "status: 00"
	expect_in "$dir/por3" "commands executed: 41"
	expect_in "$dir/por3" "last data: $(iccid_ef "$iccid")"
	stop_phones
	expect_in "$dir/phone.out" "MT SMS: 5 to the SIM, 0 ordinary, 0 refused"
	expect_in "$dir/phone.out" "MO SMS: 3 sent, 0 failed"

	# 4. the GSMTAP copy, as tshark reads it: TERMINAL PROFILE, ENVELOPE, FETCH, TERMINAL RESPONSE
	if [ -n "$tshark_pid" ]; then
		sleep 0.5
		kill -INT $tshark_pid
		wait $tshark_pid
		tshark_pid=""
		cut -s -f2 "$dir/ins.live" | grep . > "$dir/ins"
		for ins in 0x10 0xc2 0x12 0x14; do
			grep -qx "$ins" "$dir/ins" || fail "tshark shows no SIM APDU with INS $ins: $(sort "$dir/ins" | uniq -c)"
		done
	fi
	;;
off)
	cards 2 || exit 1
	printf 'default delay 0\nphone 001010000000001 off 4 6\n' > "$dir/scenario"
	start_phones phone --cards "$dir/cards" --scenario "$dir/scenario" || exit 1
	wait_for "$dir/phone.log" "001010000000001 switched off (IMSI detach)" 20 || exit 1
	packet 2001 1 --apdu 00A4000C022FE2 --apdu 00B000000A > "$dir/in"
	"$esme" --expect 1 --timeout 40 --input "$dir/in" > "$dir/esme.out" || fail "ESME: $(cat "$dir/esme.out")"
	"$ota" decode $KEYS $(por_of "$dir/esme.out") > "$dir/por" || fail "the PoR does not verify"
	expect_in "$dir/por" "status: 00"
	# the order of events: off, on again, attached, then the packet
	grep '001010000000001' "$dir/phone.log" | grep -E 'switched off|on again|attached|SMS-PP' | sed 's/.*000001 //' \
		> "$dir/order"
	printf 'attached (IMSI attach), TMSI\nswitched off (IMSI detach)\nthe user switches the phone on again\nattached (IMSI attach), TMSI\nSMS-PP download\n' > "$dir/want"
	awk 'NR == FNR { want[FNR] = $0; n = FNR; next } index($0, want[FNR]) != 1 { bad = 1 } END { exit bad || FNR != n }' \
		"$dir/want" "$dir/order" || fail "events out of order: $(cat "$dir/order")"
	stop_phones
	;;
timing)
	cards 2 || exit 1
	# keygen CNTR: the PKI applet's MSE (RSA-2048, key 0) and GENERATE with extended Le, for phone A (MSISDN 2000)
	keygen() {
		"$ota" encode $KEYS --tar 504B49 --cntr "$1" --expanded --apdu 00224100068001F3840100 \
			--apdu 00464200000000 | sed 's/^/2000 /'
	}
	# race NAME N: submit $dir/NAME.in, N deliver_sm expected; each line of its output starts with the seconds
	# since the submit (NAME-esme.out)
	race() {
		t0=$(date +%s.%N)
		{ "$esme" --expect "$2" --timeout 30 --input "$dir/$1.in"; echo "exit $?"; } 2> "$dir/$1-esme.err" |
			while IFS= read -r line; do
				echo "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }') $line"
			done > "$dir/$1-esme.out"
		grep -q '^[0-9.]* exit 0$' "$dir/$1-esme.out" || fail "ESME $1: $(cat "$dir/$1-esme.out" "$dir/$1-esme.err")"
	}
	# at MSISDN FILE: when the last deliver_sm from MSISDN came; parts MSISDN FILE: its user data parts
	at() { awk -v m="$1" '$2 == "deliver_sm" && $3 == m { t = $1 } END { print t }' "$2"; }
	parts() { awk -v m="$1" '$2 == "deliver_sm" && $3 == m { print $8 }' "$2"; }
	iccid_b=$("$card" info --state "$dir/cards/001" | awk '$1 == "ICCID:" { print $2 }')
	check_pors() { # NAME: A's PoR carries an RSA-2048 public key (7F49 82 0109 81 82 0100 modulus...), B's the ICCID
		"$ota" decode $KEYS $(parts 2000 "$dir/$1-esme.out") > "$dir/$1.porA" || fail "$1: A's PoR does not verify"
		expect_in "$dir/$1.porA" "status: 00"
		expect_in "$dir/$1.porA" "commands executed: 2"
		expect_in "$dir/$1.porA" "last data: 7f4982010981820100"
		"$ota" decode $KEYS $(parts 2001 "$dir/$1-esme.out") > "$dir/$1.porB" || fail "$1: B's PoR does not verify"
		expect_in "$dir/$1.porB" "last data: $(iccid_ef "$iccid_b")"
	}

	# 1. --real-timing: both packets submitted at once
	start_phones real --cards "$dir/cards" --real-timing || exit 1
	keygen 1 > "$dir/real.in"
	nA=$(wc -l < "$dir/real.in")
	packet 2001 1 --apdu 00A4000C022FE2 --apdu 00B000000A >> "$dir/real.in"
	# A's PoR: the public key (~270 bytes) in 3 concatenated SMS
	race real $((nA + 1 + 2))
	a=$(at 2000 "$dir/real-esme.out")
	a_real=$a
	b=$(at 2001 "$dir/real-esme.out")
	echo "real timing: B's PoR after $b s, A's after $a s ($(parts 2000 "$dir/real-esme.out" | wc -l) SMS)"
	awk -v b="$b" 'BEGIN { exit !(b != "" && b < 3) }' || fail "B's PoR after $b s, not within 3 s"
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a != "" && a - b >= 8 && a < 20) }' ||
		fail "A's PoR after $a s: not ~9 s after B's ($b s)"
	grep -q '001010000000000 SMS-PP download ([0-9]* bytes) to the SIM: RP-ACK; the SIM works 9\.[0-9]* s (real' \
		"$dir/real.log" || fail "A's SIM was not busy ~9 s: $(grep 'SMS-PP' "$dir/real.log")"
	check_pors real
	stop_phones

	# 2. the same without --real-timing: A's PoR comes as fast as the network carries it
	start_phones fast --cards "$dir/cards" || exit 1
	keygen 2 > "$dir/fast.in"
	packet 2001 2 --apdu 00A4000C022FE2 --apdu 00B000000A >> "$dir/fast.in"
	race fast $((nA + 1 + 2))
	a=$(at 2000 "$dir/fast-esme.out")
	b=$(at 2001 "$dir/fast-esme.out")
	echo "without real timing: B's PoR after $b s, A's after $a s"
	awk -v a="$a" -v r="$a_real" 'BEGIN { exit !(a != "" && a < 5 && r - a >= 8) }' ||
		fail "A's PoR after $a s without real timing, $a_real s with it"
	check_pors fast
	stop_phones
	;;
bulk)
	t0=$(date +%s.%N)
	cards 1000 || exit 1
	t1=$(date +%s.%N)
	echo "cards 1000 (create-many, add-subscribers): $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s; $(cat "$dir/create-many.out"); $(cat "$dir/add-subscribers.out")"
	expect_in "$dir/add-subscribers.out" "added 1000 subscribers"
	[ -f "$dir/cards/999/card.img" ] && [ ! -e "$dir/cards/1000" ] || fail "not the cards 000..999: $(ls "$dir/cards" | tail -n 3)"
	rows() { sqlite3 "$dir/net/hlr.db" "SELECT count(*) FROM subscriber"; }
	[ "$(rows)" = 1000 ] || fail "hlr.db holds $(rows) subscribers, not 1000"
	# 1,000 more in a file of their own, timed; then files refused whole
	awk 'BEGIN { print "imsi,msisdn"; for (i = 0; i < 1000; i++) printf "00101%010d,3%06d\n", 500000 + i, i }' > "$dir/more.csv"
	"$net" add-subscribers "$dir/net" "$dir/more.csv" > "$dir/more.out" 2>&1 || fail "add-subscribers: $(cat "$dir/more.out")"
	echo "add-subscribers of 1,000 more: $(cat "$dir/more.out")"
	[ "$(rows)" = 2000 ] || fail "hlr.db holds $(rows) subscribers, not 2000"
	printf 'imsi,msisdn\n001019999999001,4001\n00101999999900x,4002\n001019999999003,4001\n' > "$dir/bad.csv"
	"$net" add-subscribers "$dir/net" "$dir/bad.csv" > "$dir/bad.out" 2>&1 && fail "a bad file was taken"
	expect_in "$dir/bad.out" "line 3: IMSI must be 6 to 15 digits"
	expect_in "$dir/bad.out" "line 4: MSISDN 4001 is on line 2 already"
	expect_in "$dir/bad.out" "nothing added"
	printf 'imsi,msisdn\n001019999999001,4001\n001010000000007,4002\n' | "$net" add-subscribers "$dir/net" - > "$dir/known.out" 2>&1 &&
		fail "a known subscriber was taken"
	expect_in "$dir/known.out" "line 3: IMSI 001010000000007 is a subscriber already"
	[ "$(rows)" = 2000 ] || fail "a refused file wrote: hlr.db holds $(rows) subscribers"
	# osmo-hlr was running all along: it finds the new rows at the phones' location updates
	set --
	i=0
	while [ $i -lt 50 ]; do
		set -- "$@" --card "$dir/cards/$(printf %03d $((i * 20)))"
		i=$((i + 1))
	done
	start_phones phone "$@" || exit 1
	[ "$(grep -c 'attached (IMSI attach)' "$dir/phone.log")" = 50 ] || fail "not 50 attaches"
	expect_in "$dir/phone.log" "001010000000980 attached (IMSI attach)"
	stop_phones
	expect_in "$dir/phone.out" "location updates: 50 accepted, 0 rejected, 0 failed"
	;;
*)
	echo "phones.sh: unknown mode $mode" >&2
	exit 2
	;;
esac
[ $failures -eq 0 ] || exit 1
echo "phones.sh $mode: all checks passed"
