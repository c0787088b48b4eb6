#!/bin/sh
# The over-the-air part of the demonstration (called by demo/demo.sh): an operator provisions a SIM by secured SMS
# (ETSI TS 102 225 / TS 31.115), the way a handset hands SMS-PP downloads to the SIM: simpki-ota builds each
# packet as SMS-DELIVER TPDUs, they go to the card in ENVELOPE commands, the card answers with a proof of receipt
# (PoR) in the ENVELOPE response or as proactive SEND SHORT MESSAGEs (FETCH, TERMINAL RESPONSE), and simpki-ota
# checks and decodes the PoR. The network between them (osmo-msc, a handset) is a later part of the story.
# Usage: demo/ota.sh BUILD_DIR WORK_DIR STEP   (prints its steps numbered from STEP + 1)
set -eu

build=$1
work=$2
step=$3
card_tool=$build/simulator/cardos/simpki-card
ota=$build/ota-server/simpki-ota
card="$work/ota-card"
KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F
AID=F276A288BCFBA69D34F31001
PIN_PADDED=31323334353600000000000000000000
cntr=0

say() {
	step=$((step + 1))
	printf '\n== %d. %s\n' "$step" "$*"
}

# ber_len N: a BER-TLV length field in hex
ber_len() {
	if [ "$1" -gt 127 ]; then printf '81%02X' "$1"; else printf '%02X' "$1"; fi
}

# The ENVELOPE (SMS-PP download) a handset sends for each SMS-DELIVER TPDU: D1 { 82 02 83 81, 8B TPDU }.
envelopes() {
	while read -r t; do
		tl=$((${#t} / 2))
		tlv="8B$(ber_len $tl)$t"
		d1="D1$(ber_len $((4 + ${#tlv} / 2)))82028381$tlv"
		printf '80C20000%02X%s\n' $((${#d1} / 2)) "$d1"
	done
}

# ota TAR [--expanded] --apdu HEX ...: send one secured packet (AES key set 1: CC, ciphering, counter higher; PoR
# with CC, ciphered) and decode its PoR. The PoR comes in the ENVELOPE response, or, when it is longer than 256
# bytes, as SEND SHORT MESSAGEs the handset fetches and acknowledges (up to 4 here).
ota() {
	tar=$1
	shift
	cntr=$((cntr + 1))
	"$ota" encode --spi 1619 --kic 12 --kid 12 --kic-key $KIC --kid-key $KID --tar "$tar" --cntr $cntr --tpdu \
		"$@" > "$work/tpdus"
	n=$(wc -l < "$work/tpdus")
	envelopes < "$work/tpdus" > "$work/ota.apdu"
	for i in 1 2 3 4; do
		printf '8012000000\n801400000C8103%02X130082028281830100\n' "$i" >> "$work/ota.apdu"
	done
	"$card_tool" apdu --state "$card" "$work/ota.apdu" > "$work/ota.out"
	echo "   operator -> SIM: $n SMS, $(($(wc -c < "$work/tpdus") / 2)) bytes of TPDU; the ENVELOPE answers $(sed -n "${n}p" "$work/ota.out" | awk '{ print $NF }')"
	por=$(sed -n "${n}p" "$work/ota.out" | awk 'NF == 2 { print $1 }')
	if [ -n "$por" ]; then
		set -- "$por"
		tpdu=""
	else
		# the fetched SEND SHORT MESSAGE commands (answers to FETCH that carry data)
		set -- $(sed -n "$((n + 1)),\$p" "$work/ota.out" | awk 'NF == 2 && $1 ~ /^D0/ { print $1 }')
		echo "   SIM -> operator: $# SMS-SUBMIT (SEND SHORT MESSAGE, fetched by the handset)"
		tpdu=--tpdu
	fi
	"$ota" decode $tpdu --spi 1619 --kic 12 --kid 12 --kic-key $KIC --kid-key $KID "$@" > "$work/por.txt"
	grep -E '^(checksum|status|commands executed|last SW)' "$work/por.txt" | sed 's/^/   PoR /'
}

# The last R-APDU's data in the last PoR.
last_data() {
	sed -n 's/^last data: //p' "$work/por.txt"
}

say "An operator's SIM: the card issuer loaded an AES OTA key set (key version 1) at manufacture"
"$card_tool" create --state "$card" --iccid 8984012345678901242 --imsi 452040000000002 --msisdn 84912345679 \
	--ota-key "1:aes:$KIC:$KID" > /dev/null
"$card_tool" info --state "$card" | grep -E '^(ICCID|IMSI|OTA)' | sed 's/^/   /'
printf '%s\n' 00A404000C$AID 00E00000176F1581021388820138830250158608FF00000000000090 \
	002401021030313233343536373839616263646566 0024010106313233343536 > "$work/factory.apdu"
"$card_tool" apdu --state "$card" "$work/factory.apdu" > /dev/null
echo "   (the PKI applet was personalised at the factory: PKCS#15 DF 5015, PUK, PIN 123456)"

say "Over the air, remote file management (TAR B00010): the operator reads EF.ICCID and EF.IMSI"
ota B00010 --apdu 00A4000C022FE2 --apdu 00B000000A
echo "   EF.ICCID: $(last_data) = $(last_data | sed 's/\(.\)\(.\)/\2\1/g; s/f//g')"
ota B00010 --apdu 00A4080C047F206F07 --apdu 00B0000009
echo "   EF.IMSI: $(last_data) = $(last_data | sed 's/\(.\)\(.\)/\2\1/g; s/^...//; s/f//g')"

say "Over the air, to the PKI applet (TAR 504B49): generate a P-256 key pair on the SIM, without the holder's PIN"
ota 504B49 --expanded --apdu 00224100068001EC840101 \
	--apdu 004600000000CF8120FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF8220FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC83205AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B8441046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F58520FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551870200010000
q=$(last_data | tr a-f A-F | sed 's/.*8641\(04[0-9A-F]\{128\}\)87020001$/\1/')
printf '3059301306072A8648CE3D020106082A8648CE3D030107034200%s' "$q" | basenc --base16 -d > "$work/ota-pub.der"
openssl pkey -pubin -inform DER -in "$work/ota-pub.der" -out "$work/ota-pub.pem"
echo "   public key from the PoR: $(printf '%s' "$q" | cut -c 1-40)..."

say "The CA certifies the key; the certificate goes to the SIM over the air, in concatenated SMS"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" \
	-subj "/CN=Demo Government CA" -days 30 2> /dev/null
openssl x509 -new -subj "/CN=Nguyen Van B/O=UBND Tinh/serialNumber=84912345679" -force_pubkey "$work/ota-pub.pem" \
	-CA "$work/ca.pem" -CAkey "$work/ca.key" -days 365 -outform DER -out "$work/ota-cert.der"
size=$(wc -c < "$work/ota-cert.der")
hex=$(basenc --base16 -w0 < "$work/ota-cert.der")
set -- --apdu 00A4000C025015 \
	--apdu "$(printf '00E00000176F158102%04X820101830234018608FF90FFFFFF909000' "$size")" --apdu 00A4000C023401
off=0
while [ $off -lt "$size" ]; do
	k=$((size - off < 200 ? size - off : 200))
	set -- "$@" --apdu "$(printf '00D6%04X%02X' $off $k)$(printf '%s' "$hex" | cut -c $((2 * off + 1))-$((2 * off + 2 * k)))"
	off=$((off + k))
done
echo "   certificate: $size bytes, $(openssl x509 -inform DER -in "$work/ota-cert.der" -noout -subject)"
ota 504B49 --expanded "$@"

say "The official signs with the new key (the PIN is needed, as for every signature); OpenSSL verifies"
printf 'Quyết định 88/QĐ-UBND\n' > "$work/ota-doc.txt"
hash=$(openssl dgst -sha256 -r "$work/ota-doc.txt" | cut -c 1-64 | tr a-f A-F)
printf '%s\n' 00A404000C$AID 0020000110$PIN_PADDED 002241B60A80012281025015840101 002A9E9A20${hash}00 \
	00A4000C023401 00B0000000 "$(printf '00B00100%02X' $((size - 256)))" > "$work/sign.apdu"
"$card_tool" apdu --state "$card" "$work/sign.apdu" > "$work/sign.out"
sed -n 4p "$work/sign.out" | awk '{ print $1 }' | basenc --base16 -d > "$work/ota-doc.sig"
sed -n '6,7p' "$work/sign.out" | awk '{ printf "%s", $1 }' | basenc --base16 -d > "$work/cert-read.der"
cmp -s "$work/cert-read.der" "$work/ota-cert.der" || { echo "   the certificate on the SIM differs" >&2; exit 1; }
openssl x509 -inform DER -in "$work/cert-read.der" -pubkey -noout > "$work/cert-pub.pem"
printf '   with the public key of the certificate read back from the SIM: '
openssl dgst -sha256 -verify "$work/cert-pub.pem" -signature "$work/ota-doc.sig" "$work/ota-doc.txt"
echo "   over the air, the same signature without the PIN is refused:"
ota 504B49 --expanded --apdu 002241B60A80012281025015840101 --apdu "002A9E9A20${hash}00"

say "The official blocks the PIN with three wrong tries; the operator unblocks it over the air (no PUK needed)"
printf '%s\n' 00A404000C$AID 002000011039393939393900000000000000000000 002000011039393939393900000000000000000000 \
	002000011039393939393900000000000000000000 > "$work/block.apdu"
"$card_tool" apdu --state "$card" "$work/block.apdu" | tail -1 | sed 's/^/   third wrong PIN: /'
ota 504B49 --expanded --apdu 002C0301
printf '%s\n' 00A404000C$AID 0020000110$PIN_PADDED > "$work/verify.apdu"
"$card_tool" apdu --state "$card" "$work/verify.apdu" | tail -1 | sed 's/^/   the right PIN again: /'

say "A replayed packet is refused (PoR status 02, counter too low); the SIM's OTA state"
cntr=$((cntr - 1))
ota 504B49 --expanded --apdu 002C0301
"$card_tool" info --state "$card" | grep -E '^(OTA key|  key|  PIN)' | sed 's/^/   /'
echo "$step" > "$work/step"
