#!/bin/sh
# Mobile signatures end to end through the real osmo-msc with simulated phones (run by in-netns.sh: its ports are
# private). SIMs as a vendor ships them get a P-256 signing key and certificate from a provisioning campaign
# (simpki-ca issues, simpki-otad is its RA); then a relying party (tests/ota/sign-try.py) asks simpki-otad's
# relying-party API for signatures and each phone's user answers as the scenario says.
#
#   main   8 SIMs: approve (the signature verifies with the certificate over exactly the hash sent; the Vietnamese
#          text arrives on the phone's screen byte-identical in UTF-8, with the verification code); reject ->
#          USER_CANCELLED; a wrong PIN then the right one -> OK, the tries left shown once; three wrong PINs ->
#          PIN_BLOCKED; no answer -> TIMEOUT; a phone that is off -> PHONE_ABSENT or DELIVERY_ERROR within seconds;
#          two requests at once for one user -> the second 409; a certificate the CA revoked -> REVOKED_CERTIFICATE;
#          simpki-sign makes a detached CMS SignedData that openssl cms -verify accepts, its code the phone's; every
#          transaction recorded (show signature).
#   many   100 users sign at once: all OK.
#   interactive  a person holds the phone (simpki-phone --interactive under tmux) while a portal runs simpki-sign in
#          another window: the phone's screen shows the Vietnamese text in its frame and simpki-sign's code, the
#          person presses Enter and types the PIN (never on the screen), simpki-sign's spinner turns in place and it
#          writes a signature openssl cms -verify accepts.
# Usage: otad-sign-e2e.sh BUILD_DIR SOURCE_DIR main|many|interactive
set -u
build=$1
src=$2
mode=$3
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
try="python3 $src/tests/ota/sign-try.py"
for prog in openssl curl; do
	command -v $prog > /dev/null || { echo "otad-sign-e2e: $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
. "$src/tests/ota/sign-lib.sh"
trap 'for p in $otad_pid $ca_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
case $mode in
main) n=8 ;;
interactive) n=2 ;;
*) n=100 ;;
esac
tmux_sock="simpki-sign-test-$$"
if [ "$mode" = interactive ]; then
	command -v tmux > /dev/null || { echo "otad-sign-e2e: tmux missing (tools/install-deps.sh)" >&2; exit 1; }
	trap 'tmux -L "$tmux_sock" kill-server 2> /dev/null; for p in $otad_pid $ca_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
fi
sign_setup $n || exit 1

# cert K: card K's certificate (PEM) in $dir/cert-K.pem
cert() {
	api GET "/v1/cards/$(luhn 898401000000000$(printf %03d $1))/certificates" | sed 's/^200 //' > "$dir/certs-$1.json"
	python3 -c 'import json, sys; sys.stdout.write(json.load(open(sys.argv[1]))["items"][0]["pem"])' \
		"$dir/certs-$1.json" > "$dir/cert-$1.pem" || fail "card $1's certificate: $(cat "$dir/certs-$1.json")"
}
# check_result OUT INDEX RESULT...: request INDEX of OUT ended with one of the results
check_result() {
	python3 - "$@" <<'PY' || fail "request $2 of $(basename "$1"): $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[int(sys.argv[2])])' "$1" "$2")"
import json, sys
r = json.load(open(sys.argv[1]))[int(sys.argv[2])]
sys.exit(0 if r["status"] == 200 and r.get("final", {}).get("result") in sys.argv[3:] else 1)
PY
}
# verify_sig OUT INDEX CERT: request INDEX's signature verifies with CERT's key over exactly the hash it sent, the
# verification code is the hash's, and the answer carries that certificate
verify_sig() {
	python3 - "$1" "$2" "$dir/sig-$2" <<'PY' || { fail "request $2's signature: not in the answer"; return; }
import base64, json, sys
r = json.load(open(sys.argv[1]))[int(sys.argv[2])]
open(sys.argv[3] + ".der", "wb").write(base64.b64decode(r["final"]["signature"]["value"]))
open(sys.argv[3] + ".hash", "wb").write(bytes.fromhex(r["hash"]))
open(sys.argv[3] + ".pem", "w").write(r["final"]["cert"])
assert r["post"]["verificationCode"] == r["code_local"], (r["post"], r["code_local"])
PY
	openssl x509 -in "$3" -noout -pubkey > "$dir/pub-$2.pem"
	openssl pkeyutl -verify -pubin -inkey "$dir/pub-$2.pem" -in "$dir/sig-$2.hash" -sigfile "$dir/sig-$2.der" \
		> "$dir/verify-$2.out" 2>&1 || fail "request $2's signature does not verify: $(cat "$dir/verify-$2.out")"
	cmp -s "$dir/sig-$2.pem" "$3" || fail "request $2's answer carries another certificate"
}

if [ "$mode" = main ]; then
	# the users: 0 approves, 1 rejects, 2 types a wrong PIN then the right one, 3 three wrong ones, 4 never answers,
	# 5 is off, 6 approves (the CA revoked the certificate), 7 approves after 4 s (asked twice at once)
	cat > "$dir/scenario" <<SC
default answer approve pin $SIMPKI_TRANSPORT_PIN delay 0.3
phone 001010000000001 answer reject
phone 001010000000002 pin 0000,$SIMPKI_TRANSPORT_PIN
phone 001010000000003 pin 0000
phone 001010000000004 answer none timeout 3
phone 001010000000005 off 0 3600
phone 001010000000007 delay 4
SC
	start_phones sign --cards "$dir/cards" --scenario "$dir/scenario" --screen-log "$dir/screens" || exit 1
	cert 6
	serial6=$(openssl x509 -in "$dir/cert-6.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
	printf 'enable\n%s\nrevoke %s reason superseded\n' "$(sed -n 's/^enable password //p' "$dir/ca/simpki-ca.cfg")" "$serial6" |
		python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", 4272), timeout=10)
for line in sys.stdin:
    s.sendall(line.encode()); time.sleep(0.3)
time.sleep(0.5); print(s.recv(65536).decode(errors="replace"))' > "$dir/ca-revoke.out" 2>&1
	openssl ocsp -issuer "$dir/ca/ca.pem" -cert "$dir/cert-6.pem" -url http://127.0.0.1:8491/ocsp -CAfile "$dir/ca/ca.pem" \
		> "$dir/ocsp-6.txt" 2>&1
	grep -q ": revoked" "$dir/ocsp-6.txt" || fail "the CA did not revoke card 6's certificate: $(cat "$dir/ca-revoke.out" "$dir/ocsp-6.txt")"
	text="Ký Quyết định số 275/QĐ-UBND của Ủy ban nhân dân tỉnh Thái Nguyên"
	python3 - "$text" > "$dir/requests.json" <<'PY'
import json, sys
t = sys.argv[1]
r = [{"phoneNumber": "2%03d" % i, "displayText": t if i == 0 else "Giấy phép %d" % i, "language": "VIE"} for i in range(7)]
r.append({"phoneNumber": "2007", "displayText": "Tờ khai thuế", "language": "VIE"})
r.append({"phoneNumber": "2007", "displayText": "Tờ khai thuế lần hai", "language": "VIE", "after": 1.5, "poll": False})
print(json.dumps(r))
PY
	$try http://127.0.0.1:8481 "$dir/rp-token" "$dir/requests.json" "$dir/results.json"
	cert 0
	check_result "$dir/results.json" 0 OK && verify_sig "$dir/results.json" 0 "$dir/cert-0.pem"
	check_result "$dir/results.json" 1 USER_CANCELLED
	cert 2
	check_result "$dir/results.json" 2 OK && verify_sig "$dir/results.json" 2 "$dir/cert-2.pem"
	check_result "$dir/results.json" 3 PIN_BLOCKED
	check_result "$dir/results.json" 4 TIMEOUT
	check_result "$dir/results.json" 5 PHONE_ABSENT DELIVERY_ERROR
	python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))[5]; sys.exit(0 if r.get("seconds", 99) < 15 else 1)' \
		"$dir/results.json" || fail "the phone that is off was not known within 15 s"
	check_result "$dir/results.json" 6 REVOKED_CERTIFICATE
	check_result "$dir/results.json" 7 OK
	python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))[8]; sys.exit(0 if r["status"] == 409 and r["post"]["error"] == "PB_SIGNATURE_PROCESS" else 1)' \
		"$dir/results.json" || fail "a second request for a user with one pending: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[8])' "$dir/results.json")"
	# the screens: the Vietnamese text byte-identical, with the relying party's name and the code
	code0=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["post"]["verificationCode"])' "$dir/results.json")
	grep "^001010000000000	" "$dir/screens" > "$dir/screens-0" || fail "no screen on phone 0: $(head -c 600 "$dir/screens")"
	grep -qF "$text" "$dir/screens-0" || fail "the text on phone 0's screen: $(cat "$dir/screens-0")"
	grep -qF "Cổng Dịch vụ công" "$dir/screens-0" || fail "the relying party's name on phone 0's screen: $(cat "$dir/screens-0")"
	grep -q "$code0" "$dir/screens-0" || fail "the code $code0 on phone 0's screen: $(cat "$dir/screens-0")"
	# the tries left shown once to the user who typed a wrong PIN once
	k=$(grep "^001010000000002	" "$dir/screens" | grep -ci "tries left\|lần thử")
	[ "$k" = 1 ] || fail "the tries left on phone 2's screen $k times: $(grep "^001010000000002	" "$dir/screens")"
	# simpki-sign, the relying party's command line: a detached CMS SignedData over a file, that OpenSSL accepts
	printf 'Quyết định 275/QĐ-UBND\n' > "$dir/decision.txt"
	"$build/ota-server/rp/simpki-sign" --phone 2000 --token-file "$dir/rp-token" --ca-chain "$dir/ca/ca.pem" \
		--text "Ký Quyết định 275" "$dir/decision.txt" > "$dir/simpki-sign.out" 2>&1 || fail "simpki-sign: $(cat "$dir/simpki-sign.out")"
	openssl cms -verify -binary -inform DER -in "$dir/decision.txt.p7s" -content "$dir/decision.txt" \
		-CAfile "$dir/ca/ca.pem" -out /dev/null > "$dir/cms-verify.out" 2>&1 ||
		fail "openssl cms -verify: $(cat "$dir/cms-verify.out")"
	code=$(sed -n 's/.*[Vv]erification code: \([0-9]\{4\}\).*/\1/p' "$dir/simpki-sign.out" | head -n 1)
	[ -n "$code" ] && grep "^001010000000000	display	.*Ký Quyết định 275" "$dir/screens" | grep -q "$code" ||
		fail "simpki-sign's code '$code' is not on the phone: $(grep "^001010000000000	" "$dir/screens")"
	# recorded
	sid0=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["post"]["sessionID"])' "$dir/results.json")
	vty "show signature $sid0" > "$dir/show-sig.out"
	grep -q "OK" "$dir/show-sig.out" && grep -q "portal" "$dir/show-sig.out" || fail "show signature: $(cat "$dir/show-sig.out")"
	stop_phones
elif [ "$mode" = interactive ]; then
	# pane NAME: the tmux window's text in $dir/pane-NAME
	pane() { tmux -L "$tmux_sock" capture-pane -p -t "$1" > "$dir/pane-$1"; }
	# wait_pane NAME TEXT SECONDS
	wait_pane() {
		wp_t=0
		while :; do
			pane "$1"
			grep -q -- "$2" "$dir/pane-$1" && return 0
			[ $wp_t -lt $(($3 * 10)) ] || { fail "no '$2' in window $1 after $3 s: $(cat "$dir/pane-$1")"; return 1; }
			sleep 0.1
			wp_t=$((wp_t + 1))
		done
	}
	rm -f "$dir/ready"
	tmux -L "$tmux_sock" new-session -d -s t -n phone -x 100 -y 45 \
		"$phone --interactive --cards $dir/cards --ready-file $dir/ready 2> $dir/phone-i.log; sleep 600" ||
		{ fail "tmux would not start"; exit 1; }
	t=0
	until [ -f "$dir/ready" ]; do
		[ $t -lt 300 ] || { fail "the phones did not attach: $(tail -n 5 "$dir/phone-i.log")"; exit 1; }
		sleep 0.1
		t=$((t + 1))
	done
	printf 'Quyết định 275/QĐ-UBND\n' > "$dir/decision.txt"
	text="Ký Quyết định 275/QĐ-UBND về việc cấp giấy phép xây dựng"
	printf %s "$text" > "$dir/text"
	tmux -L "$tmux_sock" new-window -t t -n rp \
		"$build/ota-server/rp/simpki-sign --phone 2000 --token-file $dir/rp-token --ca-chain $dir/ca/ca.pem --text \"\$(cat $dir/text)\" $dir/decision.txt; echo EXIT=\$?; sleep 600"
	wait_pane rp "Verification code: [0-9]" 20
	code=$(sed -n 's/.*Verification code: \([0-9]\{4\}\).*/\1/p' "$dir/pane-rp" | head -n 1)
	wait_pane phone "\[Enter\] OK" 20
	# the screen: the frame intact (every line 34 characters wide), the text and the code inside it
	python3 - "$dir/pane-phone" "$text" "$code" > "$dir/screen.out" <<'PY' || fail "the phone's screen: $(cat "$dir/screen.out")"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
box = [l for l in lines if l.startswith("|")]
print("\n".join(lines))
assert box and all(len(l.rstrip()) == 34 and l.rstrip().endswith("|") for l in box), "the frame is broken"
inside = " ".join(l[1:33].strip() for l in box)
assert sys.argv[2] in inside, "the text is not on the screen"
assert "Mã xác nhận: " + sys.argv[3] in inside, "the code is not on the screen"
PY
	# simpki-sign waits with a spinner redrawn in place: one line
	pane rp
	[ "$(grep -ci "waiting" "$dir/pane-rp")" = 1 ] || fail "simpki-sign's spinner is not one line: $(cat "$dir/pane-rp")"
	tmux -L "$tmux_sock" send-keys -t phone Enter
	wait_pane phone "Secret entry" 20
	tmux -L "$tmux_sock" send-keys -t phone "$SIMPKI_TRANSPORT_PIN" Enter
	wait_pane rp "EXIT=" 30
	grep -q "EXIT=0" "$dir/pane-rp" || fail "simpki-sign: $(cat "$dir/pane-rp")"
	pane phone
	! grep -q "$SIMPKI_TRANSPORT_PIN" "$dir/pane-phone" || fail "the PIN is on the phone's screen: $(cat "$dir/pane-phone")"
	openssl cms -verify -binary -inform DER -in "$dir/decision.txt.p7s" -content "$dir/decision.txt" \
		-CAfile "$dir/ca/ca.pem" -out /dev/null > "$dir/cms-verify.out" 2>&1 ||
		fail "openssl cms -verify: $(cat "$dir/cms-verify.out")"
	[ $failures -eq 0 ] || cat "$dir/screen.out"
else
	printf 'default answer approve pin %s delay 0\n' "$SIMPKI_TRANSPORT_PIN" > "$dir/scenario"
	start_phones sign --cards "$dir/cards" --scenario "$dir/scenario" || exit 1
	python3 -c 'import json; print(json.dumps([{"phoneNumber": "2%03d" % i, "displayText": "Văn bản %d" % i} for i in range(100)]))' \
		> "$dir/requests.json"
	$try http://127.0.0.1:8481 "$dir/rp-token" "$dir/requests.json" "$dir/results.json"
	python3 - "$dir/results.json" > "$dir/many.out" <<'PY' || fail "100 users at once: $(cat "$dir/many.out")"
import json, sys
r = json.load(open(sys.argv[1]))
ok = [x for x in r if x.get("final", {}).get("result") == "OK"]
print(len(ok), "OK of", len(r), [x.get("final", x.get("post")) for x in r if x not in ok][:3])
sys.exit(0 if len(ok) == 100 else 1)
PY
	cat "$dir/many.out"
	stop_phones
fi
[ $failures -eq 0 ] || { echo "otad-sign-e2e $mode: $failures failure(s)"; tail -n 30 "$dir/otad.log"; exit 1; }
echo "otad-sign-e2e $mode: ok"
