#!/bin/sh
# SCP81 over BIP end to end (run by in-netns.sh: its ports are private): SIMs with SCP81 PSKs, simulated phones on the
# real osmo-msc, simpki-otad with its RAS on 127.0.0.1:8443. A provisioning campaign (its jobs go by "auto") gives 50
# SIMs a P-256 key and certificate: the push of each large job goes by SMS through osmo-msc, then the SIM's admin
# agent opens a BIP channel through its phone (a real TCP connection from the phone process), a TLS-PSK session to
# the RAS, takes the script (the certificate load among them) and posts its response.
#   - every SIM ends with exactly one certificate, its load and read-back went over SCP81 (jobs via bip, por-ok);
#   - phone 1 has no BIP (OPEN CHANNEL refused), and SIM 8's PSK in the server is not the SIM's (every TLS handshake
#     fails): the jobs of both fall back to SMS once the push's wait is over, and end OK;
#   - phones 2..7 drop their first channel at their 1st..6th SEND DATA: their sessions break at every point of the
#     exchange (handshake, first POST, the response POST...) and resume; every script still ran once (one
#     certificate per SIM, each job por-ok once), and the RAS counted the broken sessions;
#   - openssl s_client as an outside check: the RAS speaks TLS-PSK (a card's identity and PSK: 204), a wrong PSK is
#     refused, a malformed request from a card with the right key is answered 400 and the daemon goes on serving.
# Usage: otad-bip.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
for prog in openssl curl; do
	command -v $prog > /dev/null || { echo "otad-bip: $prog is not installed (tools/install-deps.sh)" >&2; exit 1; }
done
. "$src/tests/ota/sign-lib.sh"
trap 'for p in $otad_pid $ca_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
n=${SIMPKI_BIP_PHONES:-50}
PORT=8443

imsi_of() { printf '00101%010d' "$1"; }
iccid_of() { luhn 898401000000000$(printf %03d "$1"); }
psk_of() { printf '5053%028d' "$1"; }

{
	echo "phone $(imsi_of 1) bip off"
	k=2
	while [ $k -le 7 ]; do
		echo "phone $(imsi_of $k) bip drop-send $((k - 1))"
		k=$((k + 1))
	done
} > "$dir/scenario"
export CARDS_PSK=1
# the server's copy of the vendor file gives SIM 8 another PSK than the SIM has
setup_csv_hook() {
	awk -F, -v OFS=, -v iccid="$(iccid_of 8)" '$1 "" == iccid "" { $10 = "0f0e0d0c0b0a09080706050403020100" } { print }' \
		"$1" > "$1.new" && mv "$1.new" "$1"
}
SETUP_OTAD_LINES=" bip wait 6\n"
SETUP_CFG_TAIL="scp81\n listen 127.0.0.1 $PORT\n timeout post 10\n"
SETUP_PHONE_ARGS="--scenario $dir/scenario"
sign_setup "$n" || exit 1

# ---- every SIM: one certificate; its jobs' bearers
api GET "/v1/jobs?limit=1000" | sed 's/^200 //' > "$dir/jobs.json"
k=0
while [ $k -lt "$n" ]; do
	api GET "/v1/cards/$(iccid_of $k)/certificates" | sed 's/^200 //' > "$dir/certs-$k.json"
	k=$((k + 1))
done
python3 - "$dir" "$n" <<'PY' || fail "jobs and certificates: see above"
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
def luhn(s):
    t = 0
    for i, c in enumerate(reversed(s)):
        x = int(c)
        if i % 2 == 0:
            x *= 2
            if x > 9:
                x -= 9
        t += x
    return s + str((10 - t % 10) % 10)
jobs = json.load(open(d + "/jobs.json"))["jobs"]
bad = 0
for k in range(n):
    iccid = luhn("898401000000000%03d" % k)
    mine = [j for j in jobs if j["iccid"] == iccid]
    certs = json.load(open("%s/certs-%d.json" % (d, k)))["items"]
    if len(certs) != 1:
        print("card %d: %d certificates" % (k, len(certs)))
        bad += 1
    not_ok = [j for j in mine if j["state"] != "por-ok"]
    if not_ok:
        print("card %d: jobs not por-ok: %s" % (k, [(j["id"], j["state"], j.get("error")) for j in not_ok]))
        bad += 1
    via_bip = [j for j in mine if j["via"] == "bip"]
    if any(j["bearer"] != "auto" for j in mine):
        print("card %d: a campaign job not auto" % k)
        bad += 1
    if k in (1, 8):
        if via_bip:
            print("card %d (no BIP, or a wrong PSK): jobs went by bip: %s" % (k, [j["id"] for j in via_bip]))
            bad += 1
    elif len(via_bip) < 2:
        # the certificate's load and its read-back at least
        print("card %d: only %d jobs by bip: %s" % (k, len(via_bip), [(j["id"], j["via"]) for j in mine]))
        bad += 1
print("jobs: %d, by bip: %d" % (len(jobs), len([j for j in jobs if j["via"] == "bip"])))
sys.exit(1 if bad else 0)
PY
grep -q "link dropped\|BIP: link drop" "$dir/provision.log" || fail "no phone dropped its link: $(grep -i bip "$dir/provision.log" | tail -n 5)"
# a link that broke after the SIM ran a script (the response POST never left) resumes with that response
grep -q "a resumed session of the card brought the response" "$dir/otad.log" ||
	fail "no session resumed with a response: $(grep -c 'link gone' "$dir/otad.log") links gone"
vty "show scp81" > "$dir/show-scp81.txt"
grep -q "sessions ended abnormally *[1-9]" "$dir/show-scp81.txt" ||
	fail "show scp81 counts no broken session: $(cat "$dir/show-scp81.txt")"
vty "show rate-counters" > "$dir/ctrs.txt"
grep -q "bip:fallbacks.*: *[1-9]" "$dir/ctrs.txt" || fail "bip:fallbacks not counted: $(grep bip: "$dir/ctrs.txt")"
grep -q "handshake failed.*'$(iccid_of 8)'" "$dir/otad.log" || fail "SIM 8's wrong PSK: no failed handshake logged"

# ---- openssl s_client as a card: the RAS speaks TLS-PSK
card() {
	timeout 20 openssl s_client -connect 127.0.0.1:$PORT -ign_eof -tls1_2 -cipher PSK-AES128-CBC-SHA256 \
		-psk_identity "$(iccid_of 0)" "$@" < "$dir/req" > "$dir/out" 2>&1
}
printf 'POST /simpki/ras HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-From: %s\r\n\r\n' \
	"$(iccid_of 0)" > "$dir/req"
card -psk "$(psk_of 0)" -quiet || fail "card 0's PSK: $(tail -n 5 "$dir/out")"
grep -q "^HTTP/1.1 204" "$dir/out" || fail "card 0's first POST, nothing waiting: not 204: $(cat "$dir/out")"
card -psk "$(psk_of 3)" -quiet && fail "card 3's PSK connected as card 0"
grep -q "HTTP/1.1" "$dir/out" && fail "a wrong PSK got an answer"
printf 'POST /simpki/ras HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nContent-Length: 99999999\r\n\r\n' > "$dir/req"
card -psk "$(psk_of 0)" -quiet || true
grep -q "^HTTP/1.1 413" "$dir/out" || fail "a huge body not answered 413: $(cat "$dir/out")"
printf 'POST /simpki/ras HTTP/1.1\nHost: x\n\n' > "$dir/req"
card -psk "$(psk_of 0)" -quiet || true
grep -q "^HTTP/1.1 400" "$dir/out" || fail "bare LF lines not answered 400: $(cat "$dir/out")"
kill -0 "$otad_pid" 2> /dev/null || fail "simpki-otad died"
printf 'POST /simpki/ras HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-From: %s\r\n\r\n' \
	"$(iccid_of 0)" > "$dir/req"
card -psk "$(psk_of 0)" -quiet && grep -q "^HTTP/1.1 204" "$dir/out" || fail "the RAS does not serve after bad requests"
grep -q "$(psk_of 0)" "$dir/otad.log" && fail "the log shows a PSK"

# ---- a job asked to go by bip, after the campaign: an RFM read of EF.ICCID over SCP81
printf '{"iccid": "%s", "tar": "b00010", "apdus": ["00a4000c022fe2", "00b000000a"], "bearer": "bip"}' "$(iccid_of 0)" > "$dir/job.json"
start_phones rfm --cards "$dir/cards" || exit 1
api POST /v1/jobs "$dir/job.json" > "$dir/job.out"
id=$(sed -n 's/^201 {"id": *\([0-9]*\).*/\1/p' "$dir/job.out")
[ -n "$id" ] || fail "job not made: $(cat "$dir/job.out")"
t=0
until api GET "/v1/jobs/$id" | grep -q '"state": *"por-\(ok\|error\)"'; do
	[ $t -lt 300 ] || { fail "job $id not over: $(api GET "/v1/jobs/$id")"; break; }
	sleep 0.1
	t=$((t + 1))
done
api GET "/v1/jobs/$id" > "$dir/job-final.json"
grep -q '"state": *"por-ok"' "$dir/job-final.json" || fail "the bip job: $(cat "$dir/job-final.json")"
grep -q '"via": *"bip"' "$dir/job-final.json" || fail "the bip job did not go by bip: $(cat "$dir/job-final.json")"
grep -q "\"last_data\": *\"$(iccid_ef "$(iccid_of 0)")\"" "$dir/job-final.json" ||
	fail "EF.ICCID not read over SCP81: $(cat "$dir/job-final.json")"
stop_phones
kill -TERM "$otad_pid"
wait "$otad_pid" || fail "simpki-otad did not stop cleanly"
otad_pid=""
[ $failures -eq 0 ] || { echo "otad-bip: $failures failure(s)"; tail -n 40 "$dir/otad.log"; exit 1; }
echo "otad-bip: ok"
