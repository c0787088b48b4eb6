#!/bin/sh
# Certificates per second through CMP to simpki-ca against OpenSSL signing them directly, same run (bench/ca-cmp.c).
# Run by tests/network/in-netns.sh (the CA's fixed ports are private): a CA made by 'simpki-ca init', the daemon
# started from its configuration, stopped by its PID.
# Usage: ca-cmp.sh SIMPKI_CA CA_CMP SECONDS
set -u
ca=$1
bench=$2
seconds=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-ca-bench.XXXXXX")
ca_pid=""
trap '[ -z "$ca_pid" ] || kill -KILL $ca_pid 2> /dev/null; rm -rf "$dir"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
. "$(dirname "$0")/../tests/ca/ca-lib.sh"
"$ca" init --dir "$dir/ca" --subject "/CN=simpki Bench CA/C=VN" > "$dir/init.out" 2>&1 || fail "init: $(cat "$dir/init.out")"
start_ca "$dir/ca/simpki-ca.cfg" || exit 1
"$bench" --url http://127.0.0.1:8490/pkix/ --ra-cert "$dir/ca/ra.pem" --ra-key "$dir/ca/ra.key" \
	--ca-cert "$dir/ca/ca.pem" --ca-key "$dir/ca/ca.key" --seconds "$seconds"
bench_rc=$?
stop_ca
exit $bench_rc
