#!/bin/sh
# Same-key kur per second through the RA's CMP client (ra_cmp_kur_same_key_async(), RA_CMP_WORKERS exchanges at once,
# driven by ra-cmp-try -n) to simpki-ca over HTTP on the loopback: the lifecycle's bulk change of subject and renewal
# path without the SIMs. Run by tests/network/in-netns.sh (the CA's fixed ports are private): a CA made by
# 'simpki-ca init', one holder certificate, then COUNT renewals of its key, each a new transaction (kur, certConf).
# Prints ra-cmp-try's line (count, done, seconds, per_second), then the CA's CPU seconds (user+system) and its peak
# resident memory.
# Usage: ca-kur.sh SIMPKI_CA RA_CMP_TRY COUNT
set -u
ca=$1
try=$2
count=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-ca-kur.XXXXXX")
cadir=$dir/ca
ca_pid=""
trap '[ -z "$ca_pid" ] || kill -KILL $ca_pid 2> /dev/null; rm -rf "$dir"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
. "$(dirname "$0")/../tests/ca/ca-lib.sh"
"$ca" init --dir "$cadir" --subject "/CN=simpki Bench CA/C=VN" > "$dir/init.out" 2>&1 || fail "init: $(cat "$dir/init.out")"
# the bench measures issuing, not logging every certificate to the terminal
sed -i 's/ logging level set-all notice/ logging level set-all error/' "$cadir/simpki-ca.cfg"
start_ca "$cadir/simpki-ca.cfg" || exit 1
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/h.key" 2> /dev/null
cmpc "$dir/out" -cert "$cadir/ra.pem" -key "$cadir/ra.key" -cmd ir -newkey "$dir/h.key" \
	-subject "/CN=Bench Holder/serialNumber=VN-BENCH" -certout "$dir/h.pem" || fail "ir: $(cat "$dir/out")"
openssl x509 -in "$dir/h.pem" -outform DER -out "$dir/h.der"
cpu0=$(awk '{print $14 + $15}' "/proc/$ca_pid/stat")
/usr/bin/time -o "$dir/time.out" -f "ra_cpu_seconds: %U user %S system, ra_max_rss_kib: %M" \
	"$try" -t 10 -n "$count" http://127.0.0.1:8490/pkix/ "$cadir/ra.pem" "$cadir/ra.key" "$cadir/ca.pem" \
	kur "$dir/h.der" - - renewal > "$dir/try.out"
rc=$?
cat "$dir/try.out" "$dir/time.out"
grep -q "^count=$count done=$count " "$dir/try.out" || { echo "FAIL: not every kur was issued" >&2; rc=1; }
cpu1=$(awk '{print $14 + $15}' "/proc/$ca_pid/stat")
echo "ca_cpu_seconds: $(echo "($cpu1 - $cpu0) / $(getconf CLK_TCK)" | bc -l | cut -c1-6)"
echo "ca_max_rss_kib: $(sed -n 's/^VmHWM:[ \t]*\([0-9]*\) kB/\1/p' "/proc/$ca_pid/status")"
echo "ca_db_bytes: $(du -b "$cadir/ca.db" "$cadir/ca.db-wal" 2> /dev/null | awk '{s += $1} END {print s}')"
stop_ca
exit $rc
