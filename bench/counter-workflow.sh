#!/bin/sh
# How long the service counter's workflow takes with simpki-tool through pcscd and vpcd, step by step: enrol,
# generate a P-256 key, certificate request, certificate loaded, CMS signature, and the total. Run inside
# tests/pcsc/with-reader.sh (add SIMPKI_SERVE_ARGS=--real-timing for a real SIM's delays).
# Usage: counter-workflow.sh SIMPKI_TOOL    Output: "name: value" lines, seconds.
# SIMPKI_TOOL may be a relative path (taken from the directory the script is started in) or a name on PATH.
set -u
tool=$1
# The steps run in $WORK: make the tool's path absolute first, or a relative one would no longer be found there.
case $tool in
*/*) dir=$(cd "$(dirname "$tool")" 2> /dev/null && pwd) && tool=$dir/$(basename "$tool") ;;
esac
command -v "$tool" > /dev/null || { echo "counter-workflow: $1: no such program" >&2; exit 1; }
cd "$WORK" || exit 1
export SIMPKI_PUK=0123456789abcdef SIMPKI_NEW_PIN=123456 SIMPKI_PIN=123456
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
	-subj "/CN=bench CA" 2> /dev/null
printf 'QUYẾT ĐỊNH 275/QĐ-UBND\n' > doc.txt
now() { date +%s.%N; }
step() { # NAME CMD...
	name=$1
	shift
	t0=$(now)
	"$@" > /dev/null 2>&1 || { echo "counter-workflow: $name failed" >&2; exit 1; }
	t1=$(now)
	awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "counter_%s_s: %.3f\n", n, b - a }'
}
start=$(now)
step init "$tool" init
step keygen_p256 "$tool" keygen --alg p256 --id 2
step csr "$tool" csr --id 2 --subject "/CN=Nguyễn Văn An/O=UBND" -o req.pem
openssl x509 -req -in req.pem -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out cert.pem 2> /dev/null
step cert_load "$tool" cert load --id 2 cert.pem
step sign_cms "$tool" sign --id 2 --cms doc.txt -o doc.p7s
end=$(now)
awk -v a="$start" -v b="$end" 'BEGIN { printf "counter_workflow_total_s: %.3f\n", b - a }'
openssl cms -verify -binary -inform DER -in doc.p7s -content doc.txt -CAfile ca.pem -purpose any -out /dev/null \
	2> /dev/null || { echo "counter-workflow: the signature does not verify" >&2; exit 1; }
