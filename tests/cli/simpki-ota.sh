#!/bin/sh
# simpki-ota as an operator meets it, and with the simulated card: help texts and exit codes; the reference vectors
# of ../shared/reference/ota-vectors.md (section A, 3DES and AES) encoded byte for byte, as user data and as the
# SMS-DELIVER TPDU, and their commands and PoRs decoded (--json fields); a wrong key; a packet of several SMS
# encoded and decoded again; then packets from simpki-ota sent to a card made with simpki-card create --ota-key
# (one SMS, and three concatenated), their PoRs decoded by simpki-ota.
# Usage: simpki-ota.sh PATH_TO_SIMPKI_OTA PATH_TO_SIMPKI_CARD
set -u
ota=$1
card=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-ota.XXXXXX")
trap 'rm -rf "$dir"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

expect_rc() { # WANT COMMAND...: stdout in $dir/out, stderr in $dir/err
	want=$1
	shift
	"$@" > "$dir/out" 2> "$dir/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want; stderr: $(cat "$dir/err")"
}

expect_in() { # FILE TEXT
	grep -q -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(cat "$1")"
}

expect_out() { # TEXT: stdout is exactly TEXT
	[ "$(cat "$dir/out")" = "$1" ] || fail "output is '$(cat "$dir/out")', expected '$1'"
}

# help and usage errors
expect_rc 0 "$ota" --help
for word in encode decode "Exit codes"; do expect_in "$dir/out" "$word"; done
expect_rc 2 "$ota"
expect_rc 2 "$ota" frobnicate
expect_in "$dir/err" "unknown command: frobnicate"
expect_rc 0 "$ota" encode --help
expect_in "$dir/out" "--kic-key HEX"
expect_rc 0 "$ota" decode --help
expect_in "$dir/out" "--json"
expect_rc 2 "$ota" encode --spi 0619
expect_in "$dir/err" "are required"
expect_rc 2 "$ota" encode --spi 06
expect_in "$dir/err" "--spi wants 2 bytes of hex"
expect_rc 2 "$ota" decode --kic-key 00 --kid-key 00 027000
expect_in "$dir/err" "kic-key wants 8 to 32 bytes"

# section A, 3DES-SJA5-CIPHERED-CC
K3C=300102030405060708090a0b0c0d0e0f
K3D=301102030405060708090a0b0c0d0e0f
A3=02700000201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f
P3=027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b
expect_rc 0 "$ota" encode --spi 0619 --kic 35 --kid 35 --kic-key $K3C --kid-key $K3D --tar b00011 --cntr 0 \
	--apdu 00a40004023f00
expect_out $A3
expect_rc 0 "$ota" decode --json --kic-key $K3C --kid-key $K3D $A3
expect_out '{"kind": "command", "spi": "0619", "kic": "35", "kid": "35", "tar": "b00011", "cntr": 0, "pcntr": 3, "cc_ok": true, "apdus": ["00a40004023f00"]}'
expect_rc 0 "$ota" decode --json --spi 0619 --kic 35 --kid 35 --kic-key $K3C --kid-key $K3D $P3
expect_out '{"kind": "response", "spi": "0619", "kic": "35", "kid": "35", "tar": "b00011", "cntr": 0, "pcntr": 6, "cc_ok": true, "status": 0, "response": {"commands": 1, "last_sw": "6132", "last_data": ""}}'
expect_rc 0 "$ota" decode --spi 0619 --kic 35 --kid 35 --kic-key $K3C --kid-key $K3D $P3
expect_in "$dir/out" "status: 00 (PoR OK)"
expect_in "$dir/out" "last SW: 6132"
# the unciphered-PoR vector of section D
expect_rc 0 "$ota" decode --json --spi 0609 --kic 35 --kid 35 --kic-key $K3C --kid-key $K3D \
	027100001612b0001100000000000000b5bcd6353a421fae016132
expect_in "$dir/out" '"cc_ok": true, "status": 0'
# a wrong KID: decoded, not verified (exit 1); a wrong KIc: not a packet these keys read (exit 3)
expect_rc 1 "$ota" decode --json --kic-key $K3C --kid-key $K3C $A3
expect_in "$dir/out" '"cc_ok": false'
expect_rc 1 "$ota" decode --json --spi 0619 --kic 35 --kid 35 --kic-key $K3C --kid-key $K3C $P3
# the same command packet with another IE before IE 70 in its UDH
expect_rc 0 "$ota" decode --json --kic-key $K3C --kid-key $K3D "05240100$(echo $A3 | cut -c 3-)"
expect_in "$dir/out" '"cc_ok": true, "apdus": \["00a40004023f00"\]'
expect_rc 3 "$ota" decode --kic-key $K3C --kid-key $K3D 0270
expect_rc 3 "$ota" decode --spi 0619 --kic 35 --kid 35 --kic-key $K3C --kid-key $K3D 027100001c12b00011
expect_rc 2 "$ota" decode --kic-key $K3C --kid-key $K3D $P3
expect_in "$dir/err" "needs its command's --spi, --kic and --kid"

# section A, AES128-SJA5-CIPHERED-CC, as user data and as the TPDU (with the right TP-UDL)
KAC=200102030405060708090a0b0c0d0e0f
KAD=201102030405060708090a0b0c0d0e0f
expect_rc 0 "$ota" encode --spi 0619 --kic 22 --kid 22 --kic-key $KAC --kid-key $KAD --tar b00011 --cntr 0 \
	--apdu 00a40004023f00
expect_out 02700000281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058
expect_rc 0 "$ota" encode --spi 0619 --kic 22 --kid 22 --kic-key $KAC --kid-key $KAD --tar b00011 --cntr 0 \
	--apdu 00a40004023f00 --tpdu --oa 12345678 --scts 22705200000000
expect_out 400881214365877ff6227052000000002d02700000281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058
expect_rc 0 "$ota" decode --json --tpdu --kic-key $KAC --kid-key $KAD "$(cat "$dir/out")"
expect_in "$dir/out" '"cc_ok": true, "apdus": \["00a40004023f00"\]'
expect_rc 0 "$ota" decode --json --spi 0619 --kic 22 --kid 22 --kic-key $KAC --kid-key $KAD \
	027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f
expect_in "$dir/out" '"pcntr": 14, "cc_ok": true, "status": 0'

# a script of 40 READ BINARY commands needs two SMS; the parts decode in any order
KC=000102030405060708090A0B0C0D0E0F
KD=101112131415161718191A1B1C1D1E1F
args=""
i=0
while [ $i -lt 40 ]; do args="$args --apdu 00B000000A"; i=$((i + 1)); done
# shellcheck disable=SC2086
expect_rc 0 "$ota" encode --spi 1619 --kic 12 --kid 12 --kic-key $KC --kid-key $KD --tar B00010 --cntr 3 \
	--apdu 00A4000C022FE2 $args --ref 7
[ "$(wc -l < "$dir/out")" = 2 ] || fail "a 230-byte script should take 2 SMS: $(cat "$dir/out")"
expect_in "$dir/out" "^0700030702017000"
expect_in "$dir/out" "^050003070202"
p1=$(sed -n 1p "$dir/out")
p2=$(sed -n 2p "$dir/out")
expect_rc 0 "$ota" decode --json --kic-key $KC --kid-key $KD "$p2" "$p1"
expect_in "$dir/out" '"cntr": 3, "pcntr": [0-9]*, "cc_ok": true, "apdus": \["00a4000c022fe2", "00b000000a"'
expect_rc 3 "$ota" decode --kic-key $KC --kid-key $KD "$p2"

# ---- with the simulated card ----
sim="$dir/card"
expect_rc 0 "$card" create --state "$sim" --iccid 8988211000000430010 --imsi 001010000000001 \
	--ota-key 1:aes:$KC:$KD
expect_rc 0 "$card" info --state "$sim"
expect_in "$dir/out" "OTA key set 1: AES, KIc 16 bytes, KID 16 bytes, counter 0"
expect_in "$dir/out" "OTA TAR B00010: rfm, compact scripts"
grep -qi "$KC\|$KD" "$dir/out" && fail "info shows a key"

# ber_len N: a BER-TLV length field in hex
ber_len() {
	if [ "$1" -gt 127 ]; then printf '81%02X' "$1"; else printf '%02X' "$1"; fi
}

# envelope TPDU...: the ENVELOPE (SMS-PP download) APDU for each TPDU: D1 { 82 02 83 81, 8B TPDU }
envelope() {
	for t in "$@"; do
		tl=$((${#t} / 2))
		tlv="8B$(ber_len $tl)$t"
		body=$((4 + ${#tlv} / 2))
		d1="D1$(ber_len $body)82028381$tlv"
		printf '80C20000%02X%s\n' $((${#d1} / 2)) "$d1"
	done
}

expect_rc 0 "$ota" encode --spi 1619 --kic 12 --kid 12 --kic-key $KC --kid-key $KD --tar B00010 --cntr 1 \
	--apdu 00A4000C022FE2 --apdu 00B000000A --tpdu
envelope "$(cat "$dir/out")" > "$dir/apdus"
expect_rc 0 "$card" apdu --state "$sim" "$dir/apdus"
por=$(cut -d' ' -f1 "$dir/out")
expect_in "$dir/out" " 9000$"
expect_rc 0 "$ota" decode --json --spi 1619 --kic 12 --kid 12 --kic-key $KC --kid-key $KD "$por"
expect_in "$dir/out" '"cntr": 1, "pcntr": [0-9]*, "cc_ok": true, "status": 0, "response": {"commands": 2, "last_sw": "9000", "last_data": "98881201000040031'
# the same packet again is a replay: PoR status 02, counter still 1
expect_rc 0 "$card" apdu --state "$sim" "$dir/apdus"
por=$(cut -d' ' -f1 "$dir/out")
expect_rc 0 "$ota" decode --json --spi 1619 --kic 12 --kid 12 --kic-key $KC --kid-key $KD "$por"
expect_in "$dir/out" '"status": 2'
expect_rc 0 "$card" info --state "$sim"
expect_in "$dir/out" "counter 1$"

# three SMS in one packet, the last part answering with the PoR
args=""
i=0
while [ $i -lt 60 ]; do args="$args --apdu 00B000000A"; i=$((i + 1)); done
# shellcheck disable=SC2086
expect_rc 0 "$ota" encode --spi 1619 --kic 12 --kid 12 --kic-key $KC --kid-key $KD --tar B00010 --cntr 2 \
	--apdu 00A4000C022FE2 $args --tpdu --ref 200
[ "$(wc -l < "$dir/out")" = 3 ] || fail "a 305-byte script should take 3 SMS"
# shellcheck disable=SC2046
envelope $(cat "$dir/out") > "$dir/apdus"
expect_rc 0 "$card" apdu --state "$sim" "$dir/apdus"
[ "$(sed -n 1p "$dir/out")" = 9000 ] && [ "$(sed -n 2p "$dir/out")" = 9000 ] ||
	fail "intermediate parts should answer 9000: $(cat "$dir/out")"
por=$(sed -n 3p "$dir/out" | cut -d' ' -f1)
expect_rc 0 "$ota" decode --json --spi 1619 --kic 12 --kid 12 --kic-key $KC --kid-key $KD "$por"
expect_in "$dir/out" '"status": 0, "response": {"commands": 61, "last_sw": "9000", "last_data": "98881201000040031'

# IMSI changed by RFM shows in info
expect_rc 0 "$ota" encode --spi 1619 --kic 12 --kid 12 --kic-key $KC --kid-key $KD --tar B00010 --cntr 9 \
	--apdu 00A4080C047F206F07 --apdu 00D6000009082982608200002080 --tpdu
envelope "$(cat "$dir/out")" > "$dir/apdus"
expect_rc 0 "$card" apdu --state "$sim" "$dir/apdus"
expect_rc 0 "$card" info --state "$sim"
expect_in "$dir/out" "IMSI: 228062800000208"

# the issuer rotates key set 1 (simpki-card ota-key): the new keys work, the counter carries on, the old keys fail
K2C=5B813C27E9046DA2911FC87336BE0A59D46218AF7C35E09B462DF188136AC577
K2D=3E9721D86B40FA158C532EB90764CD1A9538E24F710CAB56D9238E61BC054AF7
expect_rc 0 "$card" ota-key --state "$sim" 1:aes:$K2C:$K2D
expect_in "$dir/out" "OTA key set 1: AES, KIc 32 bytes, KID 32 bytes"
expect_rc 0 "$card" info --state "$sim"
expect_in "$dir/out" "OTA key set 1: AES, KIc 32 bytes, KID 32 bytes, counter 9$"
python3 -c "import sys; d = open(sys.argv[1], 'rb').read(); sys.exit(bytes.fromhex(sys.argv[2]) in d)" \
	"$sim/card.img" "$KC" || fail "the old KIc is still in the card image"
expect_rc 0 "$ota" encode --spi 1619 --kic 12 --kid 12 --kic-key $K2C --kid-key $K2D --tar B00010 --cntr 10 \
	--apdu 00A4000C022FE2 --apdu 00B000000A --tpdu
envelope "$(cat "$dir/out")" > "$dir/apdus"
expect_rc 0 "$card" apdu --state "$sim" "$dir/apdus"
por=$(cut -d' ' -f1 "$dir/out")
expect_rc 0 "$ota" decode --json --spi 1619 --kic 12 --kid 12 --kic-key $K2C --kid-key $K2D "$por"
expect_in "$dir/out" '"cntr": 10, "pcntr": [0-9]*, "cc_ok": true, "status": 0'
expect_rc 0 "$ota" encode --spi 1619 --kic 12 --kid 12 --kic-key $KC --kid-key $KD --tar B00010 --cntr 11 \
	--apdu 00A4000C022FE2 --tpdu
envelope "$(cat "$dir/out")" > "$dir/apdus"
expect_rc 0 "$card" apdu --state "$sim" "$dir/apdus"
por=$(cut -d' ' -f1 "$dir/out")
# an unsecured PoR with status 01 (checksum failed): decode exits 1, since nothing in it is verified
expect_rc 1 "$ota" decode --json --spi 1619 --kic 12 --kid 12 --kic-key $KC --kid-key $KD "$por"
expect_in "$dir/out" '"cc_ok": false, "status": 1'

[ "$failures" = 0 ] || {
	echo "$failures failure(s)" >&2
	exit 1
}
echo "simpki-ota: all checks passed"
