#!/bin/sh
# simpki-card as a user meets it: help texts, exit codes, clear errors, one output line per APDU, state kept in
# the card image between runs, an existing card never overwritten without --force, real-SIM timing on request.
# Usage: simpki-card.sh PATH_TO_SIMPKI_CARD
set -u
tool=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
failures=0
ICCID=89445012345678901238
AID=F276A288BCFBA69D34F31001

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
	grep -q -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(cat "$1")"
}

# help
expect_rc 0 "$tool" --help
for word in create apdu info ota-key serve "Exit codes" "3  no card"; do expect_in "$dir/out" "$word"; done
expect_rc 2 "$tool"
expect_rc 2 "$tool" frobnicate
expect_in "$dir/err" "unknown command: frobnicate"
for cmd in ota-key create apdu info; do
	expect_rc 0 "$tool" $cmd --help
	expect_in "$dir/out" "--state DIR"
done
expect_in "$dir/out" "never a secret"

# create
card="$dir/card"
expect_rc 2 "$tool" create --iccid $ICCID
expect_in "$dir/err" "state DIR is required"
expect_rc 2 "$tool" create --state "$card" --iccid 8944501234567890123
expect_in "$dir/err" "check digit is wrong: 8944501234567890124 would be valid"
expect_rc 2 "$tool" create --state "$card" --iccid 12345
expect_in "$dir/err" "18 to 20 digits"
expect_rc 2 "$tool" create --state "$card" --iccid $ICCID --imsi 12ab
expect_in "$dir/err" "IMSI"
printf 'applet pki aid F276A288BCFBA69D34F31001 ram 4 nvm 4096\n' > "$dir/tiny.manifest"
expect_rc 2 "$tool" create --state "$card" --iccid $ICCID --manifest "$dir/tiny.manifest"
expect_in "$dir/err" "needs .* bytes of RAM; the manifest gives it 4"
printf 'applet nosuch aid F276A288BCFBA69D34F31001 ram 16 nvm 4096\n' > "$dir/bad.manifest"
expect_rc 2 "$tool" create --state "$card" --iccid $ICCID --manifest "$dir/bad.manifest"
expect_in "$dir/err" "not linked"
printf 'atr 3B\n' > "$dir/bad.manifest"
expect_rc 2 "$tool" create --state "$card" --iccid $ICCID --manifest "$dir/bad.manifest"
expect_in "$dir/err" "manifest line 1"
expect_rc 1 "$tool" create --state "$card" --iccid $ICCID --manifest "$dir/missing.manifest"
[ -e "$card/card.img" ] && fail "a failed create left a card image"
expect_rc 0 "$tool" create --state "$card" --iccid $ICCID --imsi 452040000000001 --msisdn +84912345678
expect_in "$dir/out" "created card $ICCID"
[ "$(stat -c %a "$card/card.img")" = 600 ] || fail "card image mode is $(stat -c %a "$card/card.img"), not 600"
expect_rc 4 "$tool" create --state "$card" --iccid 8944501234567890009
expect_in "$dir/err" "use --force"
expect_rc 0 "$tool" create --state "$dir/a/b/c" --iccid $ICCID
[ -f "$dir/a/b/c/card.img" ] || fail "create --state a/b/c did not create the missing parents"

# apdu: one line per APDU, error lines for bad input, exit 5 when any line was bad
cat > "$dir/script" <<EOS
# personalise
00A404000C$AID
00 24 01 02 10 30313233343536373839616263646566   # PUK, with spaces
0024010106313233343536

not hex at all
002000011039393939393900000000000000000000
00A4
00A404000C$AID   # a second SELECT
EOS
expect_rc 5 "$tool" apdu --state "$card" "$dir/script"
[ "$(wc -l < "$dir/out")" = 7 ] || fail "apdu printed $(wc -l < "$dir/out") lines for 7 APDU lines: $(cat "$dir/out")"
[ "$(sed -n 1p "$dir/out")" = "000606 9000" ] || fail "SELECT answered $(sed -n 1p "$dir/out")"
[ "$(sed -n 4p "$dir/out")" = "error: line 6: not hex" ] || fail "bad line gave $(sed -n 4p "$dir/out")"
[ "$(sed -n 5p "$dir/out")" = "63C2" ] || fail "wrong PIN gave $(sed -n 5p "$dir/out")"
[ "$(sed -n 6p "$dir/out")" = "6700" ] || fail "truncated APDU gave $(sed -n 6p "$dir/out")"
# state survives between runs; standard input works
printf '00A404000C%s\n00200001\n' $AID | "$tool" apdu --state "$card" - > "$dir/out" || fail "apdu from stdin"
[ "$(sed -n 2p "$dir/out")" = "63C2" ] || fail "the PIN try counter did not persist: $(cat "$dir/out")"
expect_rc 3 "$tool" apdu --state "$dir/nowhere" "$dir/script"
expect_in "$dir/err" "no card in"
expect_rc 2 "$tool" apdu --state "$card"
expect_rc 1 "$tool" apdu --state "$card" "$dir/no-such-file"

# info
expect_rc 0 "$tool" info --state "$card"
for text in "ICCID: $ICCID" "IMSI: 452040000000001" "MSISDN: 84912345678" "ATR: 3B80800101" "applet pki: AID $AID" \
	"life cycle: operational" "PIN: set, 2 tries left" "PUK: set, 5 tries left" "file 3F00: DF"; do
	expect_in "$dir/out" "$text"
done
grep -q "file 5015" "$dir/out" && fail "info shows a file that was never created"
grep -qi "3132333435" "$dir/out" && fail "info shows the PIN"

# a corrupted image is refused, not trusted
cp -r "$card" "$dir/broken"
printf 'garbage' | dd of="$dir/broken/card.img" bs=1 seek=0 conv=notrunc 2> /dev/null
expect_rc 3 "$tool" info --state "$dir/broken"
expect_in "$dir/err" "not a valid card image"

# the SCP81 admin agent: its TAR and the PSK's version and id, never the PSK
expect_rc 0 "$tool" info --state "$card"
expect_in "$dir/out" "OTA TAR 000000: admin, SCP81 push"
expect_rc 0 "$tool" create --state "$dir/psk" --iccid $ICCID --scp81-psk 00112233445566778899AABBCCDDEEFF
expect_rc 0 "$tool" info --state "$dir/psk"
expect_in "$dir/out" "SCP81 PSK key: KVN 64 (0x40), KID 1, 16 bytes"
grep -qi "00112233445566778899AABBCCDDEEFF" "$dir/out" && fail "info shows the PSK"
expect_rc 2 "$tool" create --state "$dir/psk2" --iccid $ICCID --scp81-psk 0011
expect_in "$dir/err" "scp81-psk wants one PSK"

# --force replaces the card
expect_rc 0 "$tool" create --state "$card" --iccid 8944501234567890009 --force
expect_rc 0 "$tool" info --state "$card"
expect_in "$dir/out" "life cycle: creation"

# real-SIM timing: a P-256 key generation takes about 0.9 s instead of microseconds
printf '00A404000C%s\n0024010106313233343536\n002000011031323334353600000000000000000000\n00224100068001EC840101\n' $AID > "$dir/gen"
printf '00460000CF8120FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF8220FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC83205AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B8441046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F58520FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC6325518702000100\n' >> "$dir/gen"
start=$(date +%s%N)
"$tool" apdu --state "$card" --real-timing "$dir/gen" > "$dir/out" || fail "real-timing run"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -ge 800 ] || fail "--real-timing EC key generation took only $elapsed_ms ms"
expect_in "$dir/out" "6117"
# ota-key: a key set replaced (counter kept) or added; bad specifications are usage errors naming the field
K32=$(printf 'AB%.0s' $(seq 32))
expect_rc 0 "$tool" ota-key --state "$card" 3:aes:$K32:$K32
expect_in "$dir/out" "OTA key set 3: AES, KIc 32 bytes, KID 32 bytes"
expect_rc 2 "$tool" ota-key --state "$card" 3:des:$K32:$K32
expect_in "$dir/err" "3des or aes"
expect_rc 2 "$tool" ota-key --state "$card" 3:3des:$K32:$K32
expect_in "$dir/err" "16 or 24"
expect_rc 2 "$tool" ota-key --state "$card" 0:aes:$K32:$K32
expect_in "$dir/err" "1..15"
expect_rc 2 "$tool" ota-key --state "$card" 3:aes:$K32
expect_rc 2 "$tool" ota-key 3:aes:$K32:$K32
expect_in "$dir/err" "--state DIR is required"
expect_rc 3 "$tool" ota-key --state "$dir/nocard" 3:aes:$K32:$K32
for v in 4 5 6; do "$tool" ota-key --state "$card" $v:aes:$K32:$K32 > /dev/null; done
expect_rc 1 "$tool" ota-key --state "$card" 7:aes:$K32:$K32
expect_in "$dir/err" "4 OTA key sets already"

# the model's transport: rate and protocol, and their usage errors
expect_rc 0 "$tool" apdu --state "$card" --real-timing --baud 115200 --protocol T=0 "$dir/gen"
expect_rc 2 "$tool" apdu --state "$card" --real-timing --baud 300 "$dir/gen"
expect_in "$dir/err" "1200..1000000"
expect_rc 2 "$tool" apdu --state "$card" --protocol T=2 "$dir/gen"
expect_in "$dir/err" "T=0 or T=1"

# power loss: cut the PIN change at its 6th NVM write; the run stops, and the card comes back with one PIN valid
cut="$dir/cut"
expect_rc 0 "$tool" create --state "$cut" --iccid $ICCID
printf '00A404000C%s\n0024010106313233343536\n' $AID | "$tool" apdu --state "$cut" - > /dev/null
printf '00A404000C%s\n0024000120%s%s\n' $AID 31323334353600000000000000000000 36353433323100000000000000000000 \
	> "$dir/change"
expect_rc 1 "$tool" apdu --state "$cut" --power-loss-at 6 "$dir/change"
expect_in "$dir/err" "power lost at NVM write 6 (line 2 got no answer)"
[ "$(wc -l < "$dir/out")" = 1 ] || fail "a cut APDU printed an answer: $(cat "$dir/out")"
printf '00A404000C%s\n002000011031323334353600000000000000000000\n' $AID | "$tool" apdu --state "$cut" - > "$dir/old"
printf '00A404000C%s\n002000011036353433323100000000000000000000\n' $AID | "$tool" apdu --state "$cut" - > "$dir/new"
[ "$(sed -n 2p "$dir/old")$(sed -n 2p "$dir/new")" != "90009000" ] || fail "both PINs verify after the cut"
grep -q '^9000$' "$dir/old" "$dir/new" || fail "neither PIN verifies after the cut"
expect_rc 2 "$tool" apdu --state "$cut" --power-loss-at 0 "$dir/change"

[ "$failures" = 0 ] && echo "simpki-card: all checks passed"
exit $((failures > 0))
