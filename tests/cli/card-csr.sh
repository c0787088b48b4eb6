#!/bin/sh
# BUILD CERTIFICATE REQUEST on a card run by `simpki-card apdu --state`: a P-256 and an RSA-2048 key generated, a
# request for each with a Vietnamese subject (extended Le: the whole answer in one line), checked by Debian's
# `openssl req -verify`, its subject read back, its public key the one GENERATE answered.
# Usage: card-csr.sh PATH_TO_SIMPKI_CARD
set -u
tool=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-csr.XXXXXX")
trap 'rm -rf "$dir"' EXIT
failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
command -v openssl > /dev/null || { echo "card-csr: openssl is not installed" >&2; exit 1; }

P256=8120FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF\
8220FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC\
83205AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B\
8441046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5\
8520FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC63255187020001
# CN=Nguyễn Văn An, O=UBND tỉnh Hà Tĩnh, C=VN (UTF8String, PrintableString)
SUBJECT=30483119301706035504030C104E677579E1BB856E2056C4836E20416E311E301C060355040A0C1555424E442074E1BB896E6820\
48C3A02054C4A96E68310B300906035504061302564E

"$tool" create --state "$dir/card" --iccid 89445012345678901238 > /dev/null || { echo "cannot create a card" >&2; exit 1; }
cat > "$dir/script" <<EOS
00A404000CF276A288BCFBA69D34F31001
002401021030313233343536373839616263646566
0024010106313233343536
002000011031323334353600000000000000000000
00224100068001EC840101
# GENERATE and BUILD CERTIFICATE REQUEST with extended Lc and Le: the answers in one line each
004600000000CF${P256}0000
00224100068001F3840100
0046420000 0000
004C0100 00004A ${SUBJECT} 0000
004C0001 00004A ${SUBJECT} 0000
004C0000 00004A ${SUBJECT} 0000
EOS
"$tool" apdu --state "$dir/card" "$dir/script" > "$dir/out" 2> "$dir/err" || fail "apdu: $(cat "$dir/err")"
[ "$(sed -n 9p "$dir/out")" = 6A86 ] || fail "P1 01 answered $(sed -n 9p "$dir/out")"
# lines 6 (EC key), 8 (RSA key), 10 (EC request), 11 (RSA request): DER files, and the keys as GENERATE gave them
python3 - "$dir" <<'EOP' || fail "the answers are not what was expected"
import sys
d = sys.argv[1]
lines = open(d + '/out').read().split('\n')
def data(n):
    words = lines[n - 1].split()
    assert len(words) == 2 and words[1] == '9000', lines[n - 1][-40:]
    return bytes.fromhex(words[0])
ec_pub, rsa_pub = data(6), data(8)
q = ec_pub[ec_pub.index(bytes.fromhex('8641')) + 2:][:65]
n = rsa_pub[rsa_pub.index(bytes.fromhex('81820100')) + 4:][:256]
for name, der, key in (('ec', data(10), b'\x03\x42\x00' + q), ('rsa', data(11), b'\x02\x82\x01\x01\x00' + n)):
    open('%s/%s.der' % (d, name), 'wb').write(der)
    assert der.count(key) == 1, name + ': the key GENERATE answered is not in the request'
EOP
for k in ec rsa; do
	[ -s "$dir/$k.der" ] || continue
	openssl req -inform DER -in "$dir/$k.der" -verify -noout > "$dir/verify" 2>&1 ||
		fail "openssl req -verify rejects the $k request: $(cat "$dir/verify")"
	openssl req -inform DER -in "$dir/$k.der" -noout -subject -nameopt utf8,sep_comma_plus > "$dir/subj" 2>&1
	grep -q "CN=Nguyễn Văn An,O=UBND tỉnh Hà Tĩnh,C=VN" "$dir/subj" || fail "$k subject: $(cat "$dir/subj")"
	openssl req -inform DER -in "$dir/$k.der" -noout -text > "$dir/text" 2>&1
	want=$([ $k = ec ] && echo ecdsa-with-SHA256 || echo sha256WithRSAEncryption)
	grep -q "Signature Algorithm: $want" "$dir/text" || fail "$k request is not signed with $want"
done
[ "$failures" = 0 ] && echo "card-csr: all checks passed"
exit $((failures > 0))
