#!/bin/sh
# simpki-ca's set-up as an operator meets it (run by in-netns.sh): --help everywhere and usage errors (exit 2); the
# passphrase from a file refused unless mode 0600, and one too short; an RSA-3072 CA; a subordinate CA: init
# --parent-request makes a CSR, a parent signs it, install-cert installs it and makes the RA and OCSP certificates,
# and the daemon runs from the configuration as it is with 'passphrase-file' (no environment), issuing a certificate
# that verifies up to the parent; the daemon refuses to start with a wrong passphrase, a ca-key URI with nothing
# there, a key that is not the certificate's, an unknown default profile, or a bad configuration (exit 1 and a
# message); the configuration 'write file' saves starts again; the passphrase never reaches its log.
# Usage: ca-init.sh SIMPKI_CA
set -u
ca=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-ca-init.XXXXXX")
ca_pid=""
failures=0
trap '[ -z "$ca_pid" ] || kill -KILL $ca_pid 2> /dev/null; rm -rf "$dir"' EXIT
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
. "$(dirname "$0")/ca-lib.sh"

# ---- --help and usage
for cmd in "" init install-cert; do
	"$ca" $cmd --help > "$dir/help" 2>&1 || fail "simpki-ca $cmd --help exited $?"
	expect_in "$dir/help" "Usage: simpki-ca"
done
expect_in "$dir/help" "install-cert --dir DIR --cert FILE"
"$ca" init --dir "$dir/x" > "$dir/out" 2>&1
[ $? -eq 2 ] || fail "init without --subject does not exit 2"
"$ca" init --dir "$dir/x" --subject /CN=x --alg dsa > "$dir/out" 2>&1
[ $? -eq 2 ] || fail "init --alg dsa does not exit 2"
"$ca" --frobnicate > "$dir/out" 2>&1
[ $? -eq 2 ] || fail "an unknown option does not exit 2"
"$ca" init --dir "$dir/x" --subject "CN=no slash" > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "a malformed subject does not exit 1"
expect_in "$dir/out" "subject"

# ---- the passphrase
printf 'a-long-enough-passphrase\n' > "$dir/pass"
chmod 644 "$dir/pass"
"$ca" init --dir "$dir/x" --subject "/CN=X" --passphrase-file "$dir/pass" > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "a passphrase file others may read does not exit 1"
expect_in "$dir/out" "chmod 600"
[ ! -e "$dir/x/ca.key" ] || fail "a refused init left a key"
(SIMPKI_CA_PASSPHRASE=short "$ca" init --dir "$dir/x" --subject "/CN=X") > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "a short passphrase does not exit 1"
expect_in "$dir/out" "shorter than"
(unset SIMPKI_CA_PASSPHRASE; "$ca" init --dir "$dir/x" --subject "/CN=X") > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "no passphrase at all does not exit 1"
expect_in "$dir/out" "SIMPKI_CA_PASSPHRASE"
chmod 600 "$dir/pass"

# ---- RSA-3072
"$ca" init --dir "$dir/rsa" --subject "/CN=RSA CA/O=simpki" --alg rsa3072 --days 30 > "$dir/out" 2>&1 ||
	fail "init --alg rsa3072: $(cat "$dir/out")"
openssl x509 -in "$dir/rsa/ca.pem" -noout -text > "$dir/rsa.txt"
expect_in "$dir/rsa.txt" "Public-Key: (3072 bit)"
expect_in "$dir/rsa.txt" "CA:TRUE"

# ---- a subordinate CA under a parent, its passphrase from a file
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/root.key" -subj "/CN=Root" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/root.pem" -days 30 2> /dev/null
(unset SIMPKI_CA_PASSPHRASE; "$ca" init --dir "$dir/sub" --subject "/CN=Sub CA/O=simpki" --parent-request \
	--passphrase-file "$dir/pass") > "$dir/out" 2>&1 || fail "init --parent-request: $(cat "$dir/out")"
[ -s "$dir/sub/ca.csr" ] && [ ! -e "$dir/sub/ca.pem" ] || fail "init --parent-request made no CSR, or a certificate"
expect_in "$dir/sub/simpki-ca.cfg" "passphrase-file $dir/pass"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyCertSign,cRLSign\n' > "$dir/ext"
openssl x509 -req -in "$dir/sub/ca.csr" -CA "$dir/root.pem" -CAkey "$dir/root.key" -CAcreateserial -days 20 \
	-extfile "$dir/ext" -out "$dir/sub.pem" 2> /dev/null || fail "the parent cannot sign the CSR"
(unset SIMPKI_CA_PASSPHRASE; "$ca" install-cert --dir "$dir/sub" --cert "$dir/root.pem" \
	--passphrase-file "$dir/pass") > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "install-cert of another key's certificate does not exit 1"
(unset SIMPKI_CA_PASSPHRASE; "$ca" install-cert --dir "$dir/sub" --cert "$dir/sub.pem" \
	--passphrase-file "$dir/pass") > "$dir/out" 2>&1 || fail "install-cert: $(cat "$dir/out")"
for f in ca.pem ra.pem ra.key ocsp.pem ocsp.key ca.db; do
	[ -s "$dir/sub/$f" ] || fail "install-cert made no $f"
done
cadir=$dir/sub
saved=$SIMPKI_CA_PASSPHRASE
unset SIMPKI_CA_PASSPHRASE
start_ca "$cadir/simpki-ca.cfg" || exit 1
export SIMPKI_CA_PASSPHRASE=$saved
openssl req -utf8 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/u.key" \
	-subj "/CN=Phạm Thị D/serialNumber=VN-5" -out "$dir/u.csr" 2> /dev/null
cat "$cadir/ca.pem" "$dir/root.pem" > "$dir/chain.pem"
openssl cmp -server 127.0.0.1:8490 -path pkix/ -trusted "$dir/root.pem" -untrusted "$cadir/ca.pem" -cmd p10cr \
	-csr "$dir/u.csr" -cert "$cadir/ra.pem" -key "$cadir/ra.key" -certout "$dir/u.pem" > "$dir/out" 2>&1 ||
	fail "p10cr to the subordinate CA: $(cat "$dir/out")"
openssl verify -CAfile "$dir/root.pem" -untrusted "$cadir/ca.pem" "$dir/u.pem" > /dev/null 2>&1 ||
	fail "the subordinate CA's certificate does not verify up to the root"
stop_ca

# ---- the daemon refuses to start
refuse() { # WHAT TEXT CFG
	(cd "$dir" && "$ca" -c "$3") > "$dir/out" 2>&1
	[ $? -eq 1 ] || fail "$1: simpki-ca does not exit 1"
	expect_in "$dir/out" "$2"
}
chmod 644 "$dir/pass"
refuse "a passphrase file others may read" "chmod 600" "$cadir/simpki-ca.cfg"
chmod 600 "$dir/pass"
printf 'wrong-passphrase-but-long\n' > "$dir/pass"
refuse "a wrong passphrase" "no private key could be read" "$cadir/simpki-ca.cfg"
sed 's|ca-key file:ca.key|ca-key file:missing.key|' "$dir/rsa/simpki-ca.cfg" > "$dir/rsa/missing.cfg"
refuse "a ca-key URI with nothing there" "the CA key" "$dir/rsa/missing.cfg"
sed 's|ca-key file:ca.key|ca-key file:ra.key|' "$dir/rsa/simpki-ca.cfg" > "$dir/rsa/other.cfg"
refuse "a key that is not the CA certificate's" "is not the key of" "$dir/rsa/other.cfg"
sed 's|default-profile signing|default-profile nosuch|' "$dir/rsa/simpki-ca.cfg" > "$dir/rsa/profile.cfg"
refuse "an unknown default profile" "default-profile nosuch" "$dir/rsa/profile.cfg"
printf 'ca\n frobnicate 1\n' > "$dir/rsa/bad.cfg"
refuse "a bad configuration" "cannot read the configuration file" "$dir/rsa/bad.cfg"
# the running configuration written back ('write file') starts again as it is; the RSA CA issues
cp "$dir/rsa/simpki-ca.cfg" "$dir/rsa/ok.cfg"
cadir=$dir/rsa
start_ca "$dir/rsa/ok.cfg" || exit 1
vty "write file" > "$dir/vty.out"
# the RSA CA issues (and signs its CMP answers) too
openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/r.key" -subj "/CN=RSA Holder/serialNumber=VN-6" \
	-out "$dir/r.csr" 2> /dev/null
cmpc "$dir/out" -cert "$cadir/ra.pem" -key "$cadir/ra.key" -cmd p10cr -csr "$dir/r.csr" -certout "$dir/r.pem" ||
	fail "p10cr to the RSA CA: $(cat "$dir/out")"
openssl verify -CAfile "$cadir/ca.pem" "$dir/r.pem" > /dev/null 2>&1 || fail "the RSA CA's certificate does not verify"
stop_ca
expect_in "$dir/rsa/ok.cfg" "key-usage digital-signature non-repudiation"
expect_in "$dir/rsa/ok.cfg" "ocsp-signer delegated"
start_ca "$dir/rsa/ok.cfg" || exit 1
stop_ca
grep -q "$saved" "$dir/ca.log" && fail "the passphrase is in the log"
grep -q "a-long-enough-passphrase" "$dir/ca.log" && fail "the passphrase file's passphrase is in the log"
[ $failures -eq 0 ] || exit 1
echo "ca-init.sh: all checks passed"
