#!/bin/sh
# simpki-sign against a stand-in for the relying-party API (tests/cli/rp-fake-api.py: the SIM's signature made by
# the openssl command line with keys issued by a test CA made here): help and usage errors (exit 1); an EC P-256
# and an RSA-2048 signature of a document (and of one of 5 MB), each accepted by 'openssl cms -verify -binary
# -inform DER -content FILE -CAfile ca.pem' and refused once a byte of the document changed; --json; the
# verification code on stderr; the outcomes and their exit codes: not a client 2, user cancelled 3, --timeout 4
# (the session cancelled), PIN blocked 5, a code that differs 7, a signature that does not verify 7 (nothing
# written, an older output left as it was), the API unreachable 8, busy 10, a wrong token 11, Ctrl-C 130 (the
# session cancelled); the token never printed.
# Usage: simpki-sign.sh SIMPKI_SIGN SOURCE_ROOT
set -u
sign=$1
src=$2
command -v python3 > /dev/null || { echo "simpki-sign.sh: python3 missing" >&2; exit 1; }
command -v openssl > /dev/null || { echo "simpki-sign.sh: openssl missing" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-sign.XXXXXX")
api_pid=""
failures=0
cleanup() {
	[ -z "$api_pid" ] || kill "$api_pid" 2> /dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
TOKEN=rp-token-for-the-sign-test-0123456789
unset SIMPKI_RP_URL SIMPKI_RP_TOKEN

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
run() { # WANT ARG...: simpki-sign ARG..., stdout in $dir/out, stderr in $dir/err
	want=$1
	shift
	"$sign" "$@" > "$dir/out" 2> "$dir/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "simpki-sign $* exited $rc, expected $want; out: $(cat "$dir/out"); err: $(cat "$dir/err")"
	cat "$dir/out" "$dir/err" >> "$dir/all-output"
}
out_has() {
	grep -q -- "$1" "$dir/out" || fail "stdout lacks '$1': $(cat "$dir/out")"
}
err_has() {
	grep -q -- "$1" "$dir/err" || fail "stderr lacks '$1': $(cat "$dir/err")"
}
verifies() { # P7S DOC: openssl cms -verify must accept it
	openssl cms -verify -binary -inform DER -in "$1" -content "$2" -CAfile "$dir/ca.pem" -out /dev/null \
		2> "$dir/openssl.err" || fail "openssl cms -verify refused $1: $(cat "$dir/openssl.err")"
}
refused() {
	if openssl cms -verify -binary -inform DER -in "$1" -content "$2" -CAfile "$dir/ca.pem" -out /dev/null \
		2> /dev/null; then
		fail "openssl cms -verify accepted $1 over a changed $2"
	fi
}

# ---- help and usage errors ----
run 0 --help
for w in "--phone NUMBER" "Exit codes" "  130  interrupted" SIMPKI_RP_TOKEN "--ca-chain PEM"; do
	out_has "$w"
done
run 0 --version
out_has "^simpki-sign [0-9]"
run 1
err_has "FILE is missing"
run 1 --phone 12a3 doc
err_has "1 to 15 digits"
run 1 --phone 84900000001 "$dir/no-such-file"
err_has "no-such-file"
echo "a document" > "$dir/doc.txt"
run 1 --phone 84900000001 "$dir/doc.txt"
err_has "no token"
SIMPKI_RP_TOKEN="a b" run 1 --phone 84900000001 "$dir/doc.txt"
err_has "is not one"
SIMPKI_RP_TOKEN=$TOKEN run 1 --url http://10.1.2.3:8481 --phone 84900000001 "$dir/doc.txt"
err_has "would carry the token in clear"
SIMPKI_RP_TOKEN=$TOKEN run 8 --url http://127.0.0.1:9 --json --phone 84900000001 "$dir/doc.txt"
err_has "cannot reach the API at http://127.0.0.1:9"
out_has '"result":"API_UNREACHABLE"'

# ---- a CA, an EC and an RSA signer (openssl command line) ----
(
	cd "$dir" || exit 1
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' > leaf.ext
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
		-subj /CN=simpki-sign-test-CA -days 30 -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.csr \
			-subj /CN=ec-signer &&
		openssl req -new -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj /CN=rsa-signer &&
		openssl x509 -req -in ec.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 30 -extfile leaf.ext -out ec.crt &&
		openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -set_serial 3 -days 30 -extfile leaf.ext -out rsa.crt
) > "$dir/ca.log" 2>&1 || { cat "$dir/ca.log" >&2; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/other.key" \
	-out "$dir/other-ca.pem" -subj /CN=other-CA -days 30 > /dev/null 2>&1 || exit 1

python3 "$src/tests/cli/rp-fake-api.py" "$dir" &
api_pid=$!
i=0
while [ ! -f "$dir/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -f "$dir/port" ] || { echo "simpki-sign.sh: the stand-in API did not start" >&2; exit 1; }
export SIMPKI_RP_URL="http://127.0.0.1:$(cat "$dir/port")"
export SIMPKI_RP_TOKEN=$TOKEN

# ---- signed: EC, verified against the CA chain; --json ----
head -c 100000 /dev/urandom > "$dir/doc.bin"
run 0 --phone 84900000001 --text "Ký quyết định 12" --ca-chain "$dir/ca.pem" --json "$dir/doc.bin"
err_has "^Verification code: [0-9]\{4\} — check that the phone shows the same code"
err_has "Signed: $dir/doc.bin.p7s (verified against the CA chain)"
code=$(sed -n 's/^Verification code: \([0-9]*\).*/\1/p' "$dir/err")
python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if j["result"] == "OK" and j["verificationCode"] == sys.argv[2] and j["output"] == sys.argv[3] and j["sessionID"] else 1)' \
	"$dir/out" "$code" "$dir/doc.bin.p7s" || fail "--json: $(cat "$dir/out")"
grep -q "TEXT Ký quyết định 12" "$dir/requests.log" || fail "displayText not sent as UTF-8"
verifies "$dir/doc.bin.p7s" "$dir/doc.bin"
cp "$dir/doc.bin" "$dir/doc-changed.bin"
printf 'X' | dd of="$dir/doc-changed.bin" bs=1 seek=5000 conv=notrunc 2> /dev/null
cmp -s "$dir/doc.bin" "$dir/doc-changed.bin" && printf 'Y' | dd of="$dir/doc-changed.bin" bs=1 seek=5000 conv=notrunc 2> /dev/null
refused "$dir/doc.bin.p7s" "$dir/doc-changed.bin"
if openssl cms -verify -binary -inform DER -in "$dir/doc.bin.p7s" -content "$dir/doc.bin" \
	-CAfile "$dir/other-ca.pem" -out /dev/null 2> /dev/null; then
	fail "openssl cms -verify accepted the signature against another CA"
fi

# ---- RSA, --out, --token-file, a document of 5 MB, the user's spinner lines off a terminal ----
head -c 5000000 /dev/urandom > "$dir/big.bin"
echo "$TOKEN" > "$dir/token"
SIMPKI_RP_TOKEN= run 0 --phone 84900000002 --token-file "$dir/token" --language ENG --out "$dir/big.p7s" "$dir/big.bin"
err_has "waiting for the user to confirm on the phone"
verifies "$dir/big.p7s" "$dir/big.bin"
openssl cms -cmsout -inform DER -in "$dir/big.p7s" -print -noout 2> /dev/null | grep -q "rsaEncryption" ||
	fail "the RSA signature is not rsaEncryption"

# ---- the outcomes ----
echo old > "$dir/doc.txt.p7s"
run 3 --json --phone 84900000003 "$dir/doc.txt"
err_has "the user cancelled on the phone"
out_has '"result":"USER_CANCELLED"'
out_has '"output":null'
run 2 --phone 84900000099 "$dir/doc.txt"
err_has "not a client"
run 10 --phone 84900000004 "$dir/doc.txt"
err_has "a signature is already pending"
run 7 --phone 84900000005 "$dir/doc.txt"
err_has "verification code"
grep -q "^DELETE /v1/signature/session/" "$dir/requests.log" || fail "a code that differs: the session was not cancelled"
run 7 --phone 84900000007 "$dir/doc.txt"
err_has "does not verify"
run 8 --phone 84900000010 "$dir/doc.txt"
err_has "keyAlgorithm"
run 5 --phone 84900000008 "$dir/doc.txt"
err_has "PIN is blocked"
[ "$(cat "$dir/doc.txt.p7s")" = old ] || fail "a failed signature touched the older output"
ls "$dir"/doc.txt.p7s.* > /dev/null 2>&1 && fail "a temporary file was left"
SIMPKI_RP_TOKEN=wrong-token-0123 run 11 --json --phone 84900000001 "$dir/doc.txt"
out_has "\"result\":\"UNAUTHORIZED\""
err_has "the token was refused"
: > "$dir/requests.log"
run 4 --timeout 2 --phone 84900000006 "$dir/doc.txt"
err_has "no answer from the phone in 2 s"
grep -q "^DELETE /v1/signature/session/" "$dir/requests.log" || fail "--timeout: the session was not cancelled"

# ---- Ctrl-C while waiting ----
: > "$dir/requests.log"
"$sign" --phone 84900000006 "$dir/doc.txt" > "$dir/out" 2> "$dir/err" &
pid=$!
i=0
while ! grep -q "^GET /v1/signature/session/" "$dir/requests.log" && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "Ctrl-C: exit $rc, expected 130: $(cat "$dir/err")"
err_has "interrupted: the session .* was cancelled"
grep -q "^DELETE /v1/signature/session/" "$dir/requests.log" || fail "Ctrl-C: the session was not cancelled"
cat "$dir/out" "$dir/err" >> "$dir/all-output"

grep -q "$TOKEN" "$dir/all-output" && fail "the token was printed"
if [ $failures -ne 0 ]; then
	echo "simpki-sign.sh: $failures failure(s)" >&2
	exit 1
fi
echo "simpki-sign.sh: all passed"
