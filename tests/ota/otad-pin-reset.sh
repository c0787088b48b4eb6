#!/bin/sh
# Remote PIN reset by a counter, end to end through the real osmo-msc with simulated phones (run by in-netns.sh: its
# ports are private). Two SIMs get a P-256 signing key and certificate from a provisioning campaign (sign-lib.sh);
# then:
#   - holder H-0000's user types a wrong PIN three times in a signing session: PIN_BLOCKED, the PIN is blocked;
#   - a counter (a token of role counter) asks POST /v1/holders/H-0000/pin-reset with a wrong identity number:
#     403 id_number_mismatch with a clear message, and no job is made (nothing is sent);
#   - with the right one: 202; GET /v1/pin-resets/ID ends done with SW 9000; the phone gets a text SMS (UCS2,
#     concatenated) from the SMSC with the one-time PIN, read from the phone's log;
#   - a signing session with the one-time PIN then succeeds (OK);
#   - the job's stored script is zeros (sqlite3), the daemon's log (at debug level from the reset on) never holds the
#     one-time PIN, and the API's answer about the reset does not either;
#   - unblock mode on holder H-0001 (whose PIN is not blocked): done, a notice without a PIN;
#   - 'show pin-resets' on the VTY and simpki-admin pin-reset show list them.
# Usage: otad-pin-reset.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
try="python3 $src/tests/ota/sign-try.py"
for prog in openssl curl; do
	command -v $prog > /dev/null || { echo "otad-pin-reset: $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
. "$src/tests/ota/sign-lib.sh"
trap 'for p in $otad_pid $ca_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
sign_setup 2 || exit 1
iccid0=$(luhn 898401000000000000)

# sign_one PHONE_LOG_NAME OUT: one signing request for phone 2000, its result in OUT (sign-try.py's JSON)
sign_one() {
	printf '[{"phoneNumber": "2000", "displayText": "Ký văn bản", "language": "VIE"}]' > "$dir/req.json"
	$try http://127.0.0.1:8481 "$dir/rp-token" "$dir/req.json" "$2"
}
result_of() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0].get("final", {}).get("result"))' "$1"
}

# ---- block the PIN: three wrong PINs
printf 'default answer approve pin 0000 delay 0.2\n' > "$dir/scenario-wrong"
start_phones phones1 --cards "$dir/cards" --scenario "$dir/scenario-wrong" || exit 1
sign_one phones1 "$dir/blocked.json"
[ "$(result_of "$dir/blocked.json")" = PIN_BLOCKED ] || fail "three wrong PINs: $(cat "$dir/blocked.json")"

# ---- a counter's token, scoped to Hà Nội (01: the holders' ward 10101003 is in it), and one of Hải Phòng (04)
printf '{"name": "quay-01", "role": "counter", "scope": "01"}' > "$dir/token.json"
api POST /v1/tokens "$dir/token.json" > "$dir/token.out"
counter=$(sed -n 's/.*"token": *"\([0-9a-f]*\)".*/\1/p' "$dir/token.out")
[ -n "$counter" ] || { fail "counter token: $(cat "$dir/token.out")"; exit 1; }
printf '{"name": "quay-04", "role": "counter", "scope": "04"}' > "$dir/token.json"
api POST /v1/tokens "$dir/token.json" > "$dir/token.out"
counter04=$(sed -n 's/.*"token": *"\([0-9a-f]*\)".*/\1/p' "$dir/token.out")
[ -n "$counter04" ] || { fail "counter token of 04: $(cat "$dir/token.out")"; exit 1; }
jobs_before=$(api GET "/v1/jobs?iccid=$iccid0&limit=1000" | grep -o '"id":' | wc -l)

# ---- a wrong identity number: refused, nothing sent
printf '{"id_number": "079123400001", "mode": "one-time-pin"}' > "$dir/wrong.json"
api POST /v1/holders/H-0000/pin-reset "$dir/wrong.json" "$counter" > "$dir/wrong.out"
grep -q '^403 .*"id_number_mismatch"' "$dir/wrong.out" && grep -q "does not match" "$dir/wrong.out" ||
	fail "a wrong identity number: $(cat "$dir/wrong.out")"
jobs_after=$(api GET "/v1/jobs?iccid=$iccid0&limit=1000" | grep -o '"id":' | wc -l)
[ "$jobs_before" = "$jobs_after" ] || fail "a refused reset made a job ($jobs_before -> $jobs_after)"
printf '{"id_number": "1"}' > "$dir/nobody.json"
api POST /v1/holders/H-9999/pin-reset "$dir/nobody.json" | grep -q '^404 .*holder_not_found' ||
	fail "an unknown holder is not a 404"
# a scoped counter learns nothing of a holder that does not exist
api POST /v1/holders/H-9999/pin-reset "$dir/nobody.json" "$counter" | grep -q '^403 ' ||
	fail "an unknown holder is not a 403 to a scoped counter"
# ---- a counter of another province: refused with the right identity number, nothing sent
printf '{"id_number": "079123400000"}' > "$dir/outside.json"
api POST /v1/holders/H-0000/pin-reset "$dir/outside.json" "$counter04" > "$dir/outside.out"
grep -q '^403 .*outside your scope (04)' "$dir/outside.out" || fail "a counter of 04: $(cat "$dir/outside.out")"
jobs_after=$(api GET "/v1/jobs?iccid=$iccid0&limit=1000" | grep -o '"id":' | wc -l)
[ "$jobs_before" = "$jobs_after" ] || fail "a reset outside the scope made a job ($jobs_before -> $jobs_after)"

# ---- the reset, over the air, with the daemon logging everything (debug) from here on; the holder's identity
# number as the counter typed it (spaces)
vty "configure terminal" "log stderr" "logging level set-all debug" "end" > "$dir/debug.out"
printf '{"id_number": "0791234 00000"}' > "$dir/right.json"
api POST /v1/holders/H-0000/pin-reset "$dir/right.json" "$counter" > "$dir/reset.out"
rid=$(sed -n 's/^202 {"id": *\([0-9]*\).*/\1/p' "$dir/reset.out")
[ -n "$rid" ] || { fail "the reset was not accepted: $(cat "$dir/reset.out")"; exit 1; }
t=0
until api GET "/v1/pin-resets/$rid" "-" "$counter" | grep -q '"state": *"\(done\|failed\)"'; do
	[ $t -lt 600 ] || { fail "reset $rid not over in 60 s: $(api GET "/v1/pin-resets/$rid")"; break; }
	sleep 0.1
	t=$((t + 1))
done
api GET "/v1/pin-resets/$rid" "-" "$counter" > "$dir/reset-get.out"
grep -q '"state": *"done"' "$dir/reset-get.out" && grep -q '"sw": *"9000"' "$dir/reset-get.out" &&
	grep -q '"by": *"quay-01"' "$dir/reset-get.out" || fail "reset $rid: $(cat "$dir/reset-get.out")"
# the phone shows the holder's SMS with the one-time PIN
wait_for "$dir/phones1.log" "SMS from 4242: .*One-time PIN: [0-9]\{6\}\." 60
otp=$(sed -n 's/.*SMS from 4242: .*One-time PIN: \([0-9]\{6\}\)\..*/\1/p' "$dir/phones1.log" | head -n 1)
[ -n "$otp" ] || { fail "no one-time PIN on the phone: $(grep "SMS from" "$dir/phones1.log")"; exit 1; }
grep "SMS from 4242" "$dir/phones1.log" | grep -q "Mã PIN dùng một lần: $otp" ||
	fail "the Vietnamese text on the phone: $(grep "SMS from" "$dir/phones1.log")"
stop_phones

# ---- the one-time PIN signs
printf 'default answer approve pin %s delay 0.2\n' "$otp" > "$dir/scenario-otp"
start_phones phones2 --cards "$dir/cards" --scenario "$dir/scenario-otp" || exit 1
sign_one phones2 "$dir/signed.json"
[ "$(result_of "$dir/signed.json")" = OK ] || fail "signing with the one-time PIN: $(cat "$dir/signed.json")"

# ---- unblock mode for H-0001: a notice without a PIN
printf '{"id_number": "079123400001", "mode": "unblock"}' > "$dir/unblock.json"
api POST /v1/holders/H-0001/pin-reset "$dir/unblock.json" "$counter" > "$dir/unblock.out"
uid=$(sed -n 's/^202 {"id": *\([0-9]*\).*/\1/p' "$dir/unblock.out")
[ -n "$uid" ] || fail "unblock: $(cat "$dir/unblock.out")"
wait_for "$dir/phones2.log" "SMS from 4242: .*unblocked" 60
api GET "/v1/pin-resets/$uid" | grep -q '"state": *"done"' || fail "unblock: $(api GET "/v1/pin-resets/$uid")"
stop_phones

# ---- the PIN does not linger
job=$(sed -n 's/.*"job": *\([0-9]*\).*/\1/p' "$dir/reset-get.out")
script=$(sqlite3 "$dir/otad/otad.db" "SELECT hex(script) FROM jobs WHERE id = $job" 2> "$dir/sqlite.err")
[ -n "$script" ] && [ -z "$(printf %s "$script" | tr -d 0)" ] ||
	fail "job $job's stored script is not zeros: '$script' $(cat "$dir/sqlite.err")"
grep -q "DJOB DEBUG" "$dir/otad.log" || fail "the daemon did not log at debug level: $(cat "$dir/debug.out")"
! grep -qw "$otp" "$dir/otad.log" || fail "the daemon's log holds the one-time PIN: $(grep -w "$otp" "$dir/otad.log" | head -n 3)"
! grep -qw "$otp" "$dir/reset-get.out" || fail "the API's answer holds the one-time PIN"
grep -q "notice (secret, [0-9]* SMS) to holder H-0000" "$dir/otad.log" || fail "the secret notice is not in the log"

# ---- the records
vty "show pin-resets" > "$dir/show.out"
grep -q "H-0000 .*one-time-pin *done" "$dir/show.out" && grep -q "H-0001 .*unblock *done" "$dir/show.out" ||
	fail "show pin-resets: $(cat "$dir/show.out")"
SIMPKI_API_TOKEN=$counter "$build/ota-server/admin/simpki-admin" pin-reset show "$rid" > "$dir/admin.out" 2>&1 &&
	grep -q "PIN reset $rid: done" "$dir/admin.out" || fail "simpki-admin pin-reset show: $(cat "$dir/admin.out")"
SIMPKI_API_TOKEN=$counter "$build/ota-server/admin/simpki-admin" pin-reset H-0000 --id-number 1 > "$dir/admin2.out" 2>&1
[ $? -eq 4 ] || fail "simpki-admin pin-reset with a wrong identity number: not exit 4: $(cat "$dir/admin2.out")"

[ $failures -eq 0 ] || { echo "otad-pin-reset: $failures failure(s)"; tail -n 30 "$dir/otad.log"; exit 1; }
echo "otad-pin-reset: ok"
