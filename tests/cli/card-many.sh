#!/bin/sh
# simpki-card for provisioning campaigns: create-many (200 cards from a card vendor's file, in DIR/NNN where
# simpki-phone --cards finds them, timed; bad lines named and nothing made; an existing card kept; a failure while
# writing leaves nothing), the factory's transport PIN and PUK (create and create-many, options, environment and
# CSV columns: VERIFY answers 9000, the applet is operational), the key-generation counter of `info` (0, 1, 2 after
# two GENERATEs) and a SIM whose NVM budget is too small for a key pair (GENERATE answers 6A84).
# Usage: card-many.sh PATH_TO_SIMPKI_CARD
set -u
tool=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-card-many.XXXXXX")
trap 'rm -rf "$dir"' EXIT
failures=0
AID=F276A288BCFBA69D34F31001
KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect_rc WANT COMMAND...: run, keep stdout in $dir/out and stderr in $dir/err
expect_rc() {
	want=$1
	shift
	"$@" > "$dir/out" 2> "$dir/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want; stderr: $(cat "$dir/err")"
}

expect_in() { # FILE TEXT
	grep -q -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(head -c 2000 "$1")"
}

# vendor N FIRST: a card vendor's file of N cards numbered from FIRST (ICCIDs with their Luhn digit)
vendor() {
	echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid"
	awk -v n="$1" -v first="$2" -v kic=$KIC -v kid=$KID '
	function luhn(s,  i, d, t, len) {
		t = 0
		len = length(s)
		for (i = len; i >= 1; i--) {
			d = substr(s, i, 1) + 0
			if ((len - i) % 2 == 0) { d *= 2; if (d > 9) d -= 9 }
			t += d
		}
		return s (10 - t % 10) % 10
	}
	BEGIN {
		for (i = first; i < first + n; i++)
			printf "%s,00101%010d,2%03d,1,aes,%s,aes,%s\n", luhn(sprintf("898401%012d", i)), i, i, kic, kid
	}'
}

# field CARD NAME: a line of `info` after "NAME: "
field() {
	"$tool" info --state "$1" | sed -n "s/^$2: //p"
}

# help and usage errors
expect_rc 0 "$tool" create-many --help
for word in "--dir DIR" "--from FILE" "transport_pin,puk" "DIR/000"; do expect_in "$dir/out" "$word"; done
expect_rc 0 "$tool" --help
expect_in "$dir/out" "create-many"
expect_rc 2 "$tool" create-many --from x
expect_in "$dir/err" "--dir DIR is required"
expect_rc 2 "$tool" create-many --dir "$dir/x"
expect_in "$dir/err" "--from FILE is required"
expect_rc 1 "$tool" create-many --dir "$dir/x" --from "$dir/missing.csv"
expect_rc 2 "$tool" create-many --dir "$dir/x" --from - --puk 0123456789abcdef
expect_in "$dir/err" "a PUK needs a transport PIN"

# 200 cards
vendor 200 0 > "$dir/200.csv"
t0=$(date +%s.%N)
expect_rc 0 "$tool" create-many --dir "$dir/cards" --from "$dir/200.csv"
t1=$(date +%s.%N)
echo "create-many of 200 cards: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
expect_in "$dir/out" "created 200 cards in $dir/cards/000 .. $dir/cards/199"
[ "$(ls "$dir/cards" | wc -l)" = 200 ] || fail "not 200 card directories: $(ls "$dir/cards" | wc -l)"
[ "$(field "$dir/cards/000" IMSI)" = 001010000000000 ] || fail "card 000: IMSI $(field "$dir/cards/000" IMSI)"
[ "$(field "$dir/cards/199" MSISDN)" = 2199 ] || fail "card 199: MSISDN $(field "$dir/cards/199" MSISDN)"
[ "$(field "$dir/cards/199" ICCID)" = "$(sed -n 201p "$dir/200.csv" | cut -d, -f1)" ] || fail "card 199: wrong ICCID"
"$tool" info --state "$dir/cards/042" > "$dir/info"
expect_in "$dir/info" "OTA key set 1: AES, KIc 16 bytes, KID 16 bytes, counter 0"
expect_in "$dir/info" "life cycle: creation"
[ "$(stat -c %a "$dir/cards/042/card.img")" = 600 ] || fail "card image mode is not 600"
# the cards exist: nothing is replaced without --force, and nothing made
vendor 2 500 > "$dir/2.csv"
expect_rc 4 "$tool" create-many --dir "$dir/cards" --from "$dir/2.csv"
expect_in "$dir/err" "$dir/cards/000 already holds a card; use --force"
[ "$(field "$dir/cards/001" IMSI)" = 001010000000001 ] || fail "an existing card was replaced"
expect_rc 0 "$tool" create-many --dir "$dir/cards" --from "$dir/2.csv" --force
[ "$(field "$dir/cards/001" IMSI)" = 001010000000501 ] || fail "--force did not replace card 001"

# bad lines: every one named, no card made
{
	vendor 3 0
	vendor 1 1 | sed 1d                                                   # line 5: card 1 again
	echo "8984010000000000014,001010000000009,2009,1,aes,$KIC,aes,$KID"   # line 6: Luhn digit
	echo "8984010000000000104,00101x0,2010,1,aes,$KIC,aes,$KID"           # line 7: IMSI
	echo "8984010000000000112,001010000000011,2011,1,aes,00,aes,$KID"     # line 8: key length
	echo "8984010000000000120,001010000000012,2012,1,aes,$KIC,3des,$KID"  # line 9: two algorithms
	echo "8984010000000000138,001010000000013"                            # line 10: fields
} > "$dir/bad.csv"
expect_rc 5 "$tool" create-many --dir "$dir/bad" --from "$dir/bad.csv"
expect_in "$dir/err" "line 5: ICCID 8984010000000000013 is on line 3 already"
expect_in "$dir/err" "line 5: IMSI 001010000000001 is on line 3 already"
expect_in "$dir/err" "line 6: ICCID check digit is wrong"
expect_in "$dir/err" "line 7: IMSI must be 6 to 15 digits"
expect_in "$dir/err" "line 8: key set: aes keys are 16, 24 or 32 bytes"
expect_in "$dir/err" "line 9: kic_algo and kid_algo differ"
expect_in "$dir/err" "line 10: 2 fields, the header has 8"
expect_in "$dir/err" "no card made"
grep -q "$KIC\|$KID" "$dir/err" && fail "an error message quotes a key"
[ -e "$dir/bad" ] && fail "a refused file made something: $(ls -R "$dir/bad")"
printf 'iccid,msisdn\n8984010000000000005,2000\n' | "$tool" create-many --dir "$dir/bad" --from - > "$dir/out" 2> "$dir/err" &&
	fail "a file without an imsi column was taken"
expect_in "$dir/err" "line 1: the header must name the columns iccid, imsi and msisdn"
# a failure while writing (the third card's place is a file): the two made before it are removed
mkdir -p "$dir/half"
: > "$dir/half/002"
vendor 3 0 > "$dir/3.csv"
expect_rc 1 "$tool" create-many --dir "$dir/half" --from "$dir/3.csv"
expect_in "$dir/err" "the 2 made before it were removed"
[ "$(ls "$dir/half")" = 002 ] || fail "a failed create-many left: $(ls "$dir/half")"

# the factory's transport PIN and PUK
verify() { # CARD PIN: the SW of VERIFY
	printf '00A4040C0C%s\n0020000110%s\n' $AID "$(printf '%-16s' "$2" | tr ' ' '\0' | od -An -tx1 | tr -d ' \n')" |
		"$tool" apdu --state "$1" - | tail -n 1
}
expect_rc 0 "$tool" create --state "$dir/t1" --iccid 8984010000000000005 --transport-pin 1234 --puk 0123456789abcdef
[ "$(verify "$dir/t1" 1234)" = 9000 ] || fail "VERIFY with the transport PIN: $(verify "$dir/t1" 1234)"
[ "$(verify "$dir/t1" 9999)" = 63C2 ] || fail "VERIFY with a wrong PIN is not 63C2"
"$tool" info --state "$dir/t1" > "$dir/info"
expect_in "$dir/info" "life cycle: operational"
expect_in "$dir/info" "PUK: set, 5 tries left"
grep -q "file 5015\|file 4401" "$dir/info" && fail "a transport-PIN card has PKCS#15 files: $(cat "$dir/info")"
SIMPKI_TRANSPORT_PIN=246810 SIMPKI_PUK=abcdefgh "$tool" create --state "$dir/t2" --iccid 8984010000000000005 > /dev/null ||
	fail "create with the PIN and PUK in the environment"
[ "$(verify "$dir/t2" 246810)" = 9000 ] || fail "VERIFY with SIMPKI_TRANSPORT_PIN's PIN"
SIMPKI_PUK=abcdefgh "$tool" create --state "$dir/t3" --iccid 8984010000000000005 > /dev/null ||
	fail "SIMPKI_PUK alone (no transport PIN) is not ignored"
"$tool" info --state "$dir/t3" | grep -q "life cycle: creation" || fail "SIMPKI_PUK alone personalised the card"
expect_rc 2 "$tool" create --state "$dir/t4" --iccid 8984010000000000005 --transport-pin 12
expect_in "$dir/err" "transport PIN must be 4 to 16 characters"
expect_rc 2 "$tool" create --state "$dir/t4" --iccid 8984010000000000005 --transport-pin 1234 --puk 1234567
expect_in "$dir/err" "PUK must be 8 to 16 characters"
# create-many: the options for all, the file's columns for some
{
	echo "iccid,imsi,msisdn,transport_pin,puk"
	echo "8984010000000000005,001010000000000,2000,,"
	echo "8984010000000000013,001010000000001,2001,5555,0123456789abcdef"
} > "$dir/pins.csv"
expect_rc 0 "$tool" create-many --dir "$dir/tp" --from "$dir/pins.csv" --transport-pin 7777
[ "$(verify "$dir/tp/000" 7777)" = 9000 ] || fail "create-many --transport-pin: VERIFY is not 9000"
[ "$(verify "$dir/tp/001" 5555)" = 9000 ] || fail "create-many transport_pin column: VERIFY is not 9000"
"$tool" info --state "$dir/tp/000" | grep -q "PUK: not set" || fail "card 000 has a PUK"
"$tool" info --state "$dir/tp/001" | grep -q "PUK: set, 5 tries left" || fail "card 001 has no PUK"

# the key-generation counter: 0, then 1 and 2 after two P-256 GENERATEs
# the domain parameters of P-256 as OpenSC sends them (docs/applet.md, GENERATE)
EC=00460000CF8120FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF8220FFFFFFFF00000001000000000000\
000000000000FFFFFFFFFFFFFFFFFFFFFFFC83205AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B844104\
6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315E\
CECBB6406837BF51F58520FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC6325518702000100
[ "$(field "$dir/t1" "key generations")" = 0 ] || fail "a new card counts $(field "$dir/t1" "key generations") key generations"
for n in 1 2; do
	printf '00A4040C0C%s\n002000010431323334\n00224100068001EC840100\n%s\n' $AID "$EC" | "$tool" apdu --state "$dir/t1" - > "$dir/gen"
	tail -n 1 "$dir/gen" | grep -q "6117$" || fail "GENERATE $n: $(tail -n 1 "$dir/gen" | cut -c 1-20)"
	[ "$(field "$dir/t1" "key generations")" = $n ] || fail "after GENERATE $n the card counts $(field "$dir/t1" "key generations")"
done

# a SIM whose NVM is too full for a key pair: the PKI applet's budget 700 bytes, 600 of them taken by its root
# object, the MF, PIN and PUK; a P-256 key needs 128
printf 'applet pki aid %s ram 1024 nvm 700 tar 504B49\nrfm tar B00010\n' $AID > "$dir/full.manifest"
expect_rc 0 "$tool" create --state "$dir/full" --iccid 8984010000000000005 --transport-pin 1234 --puk 0123456789abcdef \
	--manifest "$dir/full.manifest"
"$tool" info --state "$dir/full" | grep -q "NVM 600 of 700 bytes used" || fail "the full card: $("$tool" info --state "$dir/full" | grep 'applet pki')"
printf '00A4040C0C%s\n002000010431323334\n00224100068001EC840100\n%s\n00224100068001F3840101\n0046420000\n' $AID "$EC" |
	"$tool" apdu --state "$dir/full" - > "$dir/gen"
[ "$(sed -n 4p "$dir/gen")" = 6A84 ] || fail "P-256 GENERATE on a full card: $(sed -n 4p "$dir/gen" | cut -c 1-20)"
[ "$(sed -n 6p "$dir/gen")" = 6A84 ] || fail "RSA GENERATE on a full card: $(sed -n 6p "$dir/gen" | cut -c 1-20)"
[ "$(field "$dir/full" "key generations")" = 0 ] || fail "a refused GENERATE was counted"

# the psk column: the admin agent's SCP81 key 64/1 (an empty field: none; a bad one named, nothing made)
printf 'iccid,imsi,msisdn,psk\n8984010000000000013,001010000000013,2013,00112233445566778899AABBCCDDEEFF\n' > "$dir/psk.csv"
printf '8984010000000000021,001010000000021,2021,\n' >> "$dir/psk.csv"
expect_rc 0 "$tool" create-many --dir "$dir/psk" --from "$dir/psk.csv"
"$tool" info --state "$dir/psk/000" | grep -q "SCP81 PSK key: KVN 64 (0x40), KID 1, 16 bytes" || fail "the psk column gave no key"
"$tool" info --state "$dir/psk/001" | grep -q "SCP81 PSK key" && fail "an empty psk gave a key"
printf '8984010000000000039,001010000000039,2039,0011\n' >> "$dir/psk.csv"
expect_rc 5 "$tool" create-many --dir "$dir/psk2" --from "$dir/psk.csv"
expect_in "$dir/err" "line 4: psk: a PSK is 16 or 32 bytes of hex"
[ -e "$dir/psk2/000" ] && fail "a bad psk line left cards"

[ $failures -eq 0 ] || exit 1
echo "card-many: all checks passed"
