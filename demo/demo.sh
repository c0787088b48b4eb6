#!/bin/sh
# The simpki demonstration, step by step: a SIM is made, personalised, generates key pairs that never leave it,
# signs a document, and OpenSSL verifies the signatures with the public keys the card gave out. Then an operator
# provisions a SIM over the air with secured SMS (demo/ota.sh: remote file management, a key pair generated and a
# certificate written without the holder's PIN, a PIN unblocked, a replay refused), and does it again with its OTA
# server through a real mobile network to a SIM in a simulated phone (demo/network.sh: simpki-otad, osmo-msc, its
# SMSC, SMPP; needs root), and runs a provisioning campaign there: its CA (simpki-ca) and simpki-otad as the RA,
# five officials' SIMs as the vendor ships them, simpki-admin imports the vendor's file and the officials, starts the
# campaign and watches the SIMs get P-256 signing keys and certificates over the air; OpenSSL checks one (chain,
# OCSP), an official signs a decision on the phone for a portal (simpki-sign: the verification code on both sides,
# the PIN typed on the phone, a CMS signature openssl cms -verify accepts) (demo/campaign.sh; needs root). Then a
# reorganisation there (demo/lifecycle.sh): the officials' two provinces merge, the central RA files the unit change
# and a 'modify' operation re-issues their certificates over the air for the same keys (OpenSSL: the new province in
# the subject, the same public key, the old certificate revoked affiliationChanged); an official blocks her PIN on
# the phone, a counter of the new province resets it over the air and her phone gets a one-time PIN by SMS, with
# which she signs; an auditor verifies the hash-chained audit trail; the SIM says it generated one key. Then the
# service counter: a new SIM in a (virtual) card reader is enrolled with simpki-tool, gets a key and a certificate,
# signs, has its blocked PIN reset with the PUK, and is used by OpenSC too (demo/counter.sh; needs root for its
# pcscd).
# Usage: demo/demo.sh [BUILD_DIR]   (default: build). Work files go to a temporary directory, removed at the end
# unless SIMPKI_DEMO_KEEP=1.
set -eu

build=${1:-build}
card_tool=$build/simulator/cardos/simpki-card
[ -x "$card_tool" ] || { echo "demo: $card_tool not found; build first: meson setup $build && ninja -C $build" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/simpki-demo.XXXXXX")
[ "${SIMPKI_DEMO_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
card="$work/card"
step=0

say() {
	step=$((step + 1))
	printf '\n== %d. %s\n' "$step" "$*"
}

# Send APDUs (one per argument) in one power-on session; print them with their answers; keep the answers.
apdus() {
	printf '%s\n' "$@" > "$work/in.apdu"
	"$card_tool" apdu --state "$card" "$work/in.apdu" > "$work/out.txt"
	paste -d '\n' "$work/in.apdu" "$work/out.txt" | awk 'NR % 2 { c = $0; next }
		{ printf "   > %s\n   < %s\n", (length(c) > 70 ? substr(c, 1, 66) " ..." : c), (length($0) > 70 ? substr($0, 1, 66) " ..." : $0) }'
}

# The data of answer N (1-based) of the last apdus call.
answer() {
	sed -n "${1}p" "$work/out.txt" | awk '{ print (NF == 2 ? $1 : "") }'
}

# Hex to binary (upper-case hex, as simpki-card prints it).
unhex() {
	basenc --base16 -d
}

AID=F276A288BCFBA69D34F31001
PIN_PADDED=31323334353600000000000000000000   # "123456" padded to 16 bytes, as OpenSC sends it
P256=8120FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF8220FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC83205AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B8441046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F58520FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC63255187020001

say "A new SIM: ICCID 8984012345678901234, IMSI 452040000000001, MSISDN 84912345678"
"$card_tool" create --state "$card" --iccid 8984012345678901234 --imsi 452040000000001 --msisdn 84912345678 | sed 's/^/   /'

say "Personalise it: select the PKI applet, set the PUK, then the PIN (123456)"
apdus 00A404000C$AID \
	002401021030313233343536373839616263646566 \
	0024010106313233343536

say "Generate an EC P-256 key pair on the card (key reference 01); the public key comes back, the private key stays"
apdus 00A404000C$AID 0020000110$PIN_PADDED 00224100068001EC840101 00460000CF${P256}00 00C0000017
ec_template=$(answer 4)$(answer 5)
q=$(printf '%s' "$ec_template" | sed 's/.*8641\(04[0-9A-F]\{128\}\)87020001$/\1/')
printf '3059301306072A8648CE3D020106082A8648CE3D030107034200%s' "$q" | unhex > "$work/ec-pub.der"
openssl pkey -pubin -inform DER -in "$work/ec-pub.der" -out "$work/ec-pub.pem"
sed 's/^/   /' "$work/ec-pub.pem"

say "Generate an RSA-2048 key pair on the card (key reference 00)"
apdus 00A404000C$AID 0020000110$PIN_PADDED 00224100068001F3840100 0046420000 00C000000E
rsa_template=$(answer 4)$(answer 5)
modulus=$(printf '%s' "$rsa_template" | cut -c 19-530)
printf 'asn1=SEQUENCE:pub\n[pub]\nn=INTEGER:0x%s\ne=INTEGER:0x010001\n' "$modulus" > "$work/rsa.cnf"
openssl asn1parse -genconf "$work/rsa.cnf" -out "$work/rsa-pub.der" > /dev/null
openssl rsa -RSAPublicKey_in -inform DER -in "$work/rsa-pub.der" -pubout -out "$work/rsa-pub.pem" 2> /dev/null
echo "   modulus: $(printf '%s' "$modulus" | cut -c 1-48)... (2048 bits), exponent 65537"

say "The document to sign"
printf 'QUYẾT ĐỊNH 275/QĐ-UBND: phê duyệt kế hoạch chuyển đổi số năm 2026.\n' > "$work/decision.txt"
sed 's/^/   /' "$work/decision.txt"
hash=$(openssl dgst -sha256 -r "$work/decision.txt" | cut -c 1-64 | tr a-f A-F)
echo "   SHA-256: $hash"

say "The card signs the hash with the P-256 key (algorithm 22: ECDSA over a SHA-256 hash from the host), after the PIN"
apdus 00A404000C$AID 0020000110$PIN_PADDED 002241B60A80012281025015840101 002A9E9A20${hash}00
answer 4 | unhex > "$work/decision.ec.sig"

say "The card signs with the RSA key (PKCS#1 v1.5 over the SHA-256 DigestInfo)"
apdus 00A404000C$AID 0020000110$PIN_PADDED 002241B60A80011181025015840100 \
	002A9E9A333031300D060960864801650304020105000420${hash}00
answer 4 | unhex > "$work/decision.rsa.sig"

say "OpenSSL verifies both signatures with the public keys the card gave out"
printf '   P-256: '
openssl dgst -sha256 -verify "$work/ec-pub.pem" -signature "$work/decision.ec.sig" "$work/decision.txt"
printf '   RSA-2048: '
openssl dgst -sha256 -verify "$work/rsa-pub.pem" -signature "$work/decision.rsa.sig" "$work/decision.txt"

say "A changed document does not verify"
printf 'QUYẾT ĐỊNH 276/QĐ-UBND\n' > "$work/other.txt"
if openssl dgst -sha256 -verify "$work/ec-pub.pem" -signature "$work/decision.ec.sig" "$work/other.txt" > /dev/null; then
	echo "   unexpected: the signature verified" >&2
	exit 1
fi
echo "   Verification Failure (as it should)"

say "Three wrong PINs block the key; the PUK unblocks it with a new PIN (654321)"
apdus 00A404000C$AID 002000011039393939393900000000000000000000 002000011039393939393900000000000000000000 \
	002000011039393939393900000000000000000000 0020000110$PIN_PADDED \
	002C0001163031323334353637383961626364656636353433323100 002000011036353433323100000000000000000000

say "What is on the card now"
"$card_tool" info --state "$card" | sed 's/^/   /'

sh "$(dirname "$0")/ota.sh" "$build" "$work" "$step"
step=$(cat "$work/step")

if [ ! -x "$build/simulator/phone/simpki-phone" ] || [ ! -x "$build/ota-server/simpki-otad" ] ||
	! command -v osmo-msc > /dev/null; then
	say "Through a mobile network"
	echo "   skipped: simpki-phone, simpki-otad or osmo-msc missing (tools/install-deps.sh)"
elif ! unshare -n true 2> /dev/null; then
	say "Through a mobile network"
	echo "   skipped: run as root to start a private mobile network for the demonstration"
else
	sh "$(dirname "$0")/../tests/network/in-netns.sh" sh "$(dirname "$0")/network.sh" "$build" "$work" "$step"
	step=$(cat "$work/step")
	sh "$(dirname "$0")/../tests/network/in-netns.sh" sh "$(dirname "$0")/campaign.sh" "$build" "$work" "$step"
	step=$(cat "$work/step")
fi

say "At the service counter: a new SIM in a card reader (pcscd with vsmartcard's virtual reader)"
tool=$build/pcsc-tools/simpki-tool
if [ ! -x "$tool" ]; then
	echo "   skipped: simpki-tool was not built (libpcsclite missing)"
elif ! unshare -n -m true 2> /dev/null; then
	echo "   skipped: run as root to start a private pcscd for the demonstration"
else
	sh "$(dirname "$0")/../tests/pcsc/with-reader.sh" "$(realpath "$card_tool")" "$(dirname "$0")/counter.sh" \
		"$(realpath "$tool")" "$(realpath "$build/ota-server/ca/simpki-ca")"
fi
printf '\nDemonstration complete.\n'
