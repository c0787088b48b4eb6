#!/bin/sh
# A change of subject (RFC 3647 §4.8, same key) over the holders of two provinces that merge, in one run (run by
# tests/network/in-netns.sh: the fixed ports are private):
#
#   server  HOLDERS holders, cards and certificates seeded in simpki-ca's records and simpki-otad's database by
#           bench/lifecycle-seed (not timed), OpenSSL alone signing as many certificates for the same keys with the
#           CA key (the baseline, same run); then simpki-ca and simpki-otad (its RA, lifecycle test-skip-ota: the
#           load and the read-back taken as done, no network): the merge filed (POST /v1/units/changes), the modify
#           operation over it (POST /v1/lifecycle) timed to state done: the CA's issuance over CMP (kur, same
#           key), the database and the operation's bookkeeping, the old certificates' revocation (rr).
#   ota     SIMS SIMs on simulated phones through osmo-msc, given a P-256 signing key and certificate by a
#           provisioning campaign (not timed), their holders in the same two provinces; then the same merge and
#           modify, timed: the new certificate loaded over the air and read back before the old is revoked.
#
# After each: simpki-otad and simpki-ca stopped, lifecycle-seed --check: every holder has exactly two certificates
# in simpki-ca's records, one public key: the old one revoked, a new one good whose ST is the new province; and
# simpki-otad's card rows agree (old revoked, new loaded). Output "name: value" lines: holders per minute of each
# part, CPU seconds and peak RSS (VmHWM, reset at the lifecycle POST) of simpki-otad and simpki-ca (and, over the
# air, of simpki-phone and osmo-msc); lifecycle_server_ratio = the server side's holders per minute / OpenSSL's
# certificates per minute (the share of the time that is signing).
# Usage: lifecycle.sh BUILD_DIR SOURCE_DIR HOLDERS SIMS [CONCURRENCY]   (HOLDERS 0: no server part; SIMS 0: no
# over-the-air part)
# Environment: LIFECYCLE_PROVINCES (default 21,22), LIFECYCLE_SERVER_CONCURRENCY (default 200; for 3,000 holders
# here 32, 100, 200 and 500 gave 4,852, 6,190, 5,943 and 5,339 per minute, while other work shared the machine),
# LIFECYCLE_TIMEOUT_S (the longest wait for an operation, default 3600: then the rate so far, and a failure).
set -u
build=$1
src=$2
n=$3
sims=$4
concurrency=${5:-250}
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
ca=$build/ota-server/ca/simpki-ca
seed=$build/bench/lifecycle-seed
for prog in openssl curl; do
	command -v $prog > /dev/null || { echo "lifecycle.sh: $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
otad_pid=""
ca_pid=""
trap 'for p in $otad_pid $ca_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
export SIMPKI_API_TOKEN=bench-token-0123456789abcdef
export SIMPKI_CA_PASSPHRASE=lifecycle-bench-passphrase-0123
export SIMPKI_TRANSPORT_PIN=3141 SIMPKI_PUK=2718281828459045
provinces=${LIFECYCLE_PROVINCES:-21,22}
server_concurrency=${LIFECYCLE_SERVER_CONCURRENCY:-200}
into_code=90
into_name="Duyên hải Trung Trung Bộ"

# start_ca CA_DIR
start_ca() {
	mkdir -p "$1/run"
	(cd "$1/run" && exec "$ca" -c "$1/simpki-ca.cfg") > "$1/ca.log" 2>&1 &
	ca_pid=$!
	sc_t=0
	until python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8490), timeout=1)' 2> /dev/null; do
		[ $sc_t -lt 300 ] || { fail "simpki-ca does not listen: $(tail -n 5 "$1/ca.log")"; return 1; }
		sleep 0.1
		sc_t=$((sc_t + 1))
	done
}

# stop PID: SIGTERM and wait
stop() {
	kill -TERM "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}

# otad_cfg CA_DIR LIFECYCLE_LINES [network]: the example configuration, the API without a rate limit, simpki-ca as
# the CA, the organisation in subjects as lifecycle-seed's; the SMSC bind only with "network"
otad_cfg() {
	{
		sed -n '1,/^ api body-limit import/p' "$src/ota-server/simpki-otad.cfg.example" |
			sed 's/^ api rate 100$/ api rate 0/'
		printf ' ca\n  cmp-url http://127.0.0.1:8490/pkix/\n  ocsp-url http://127.0.0.1:8491/ocsp\n'
		printf '  ra-cert %s\n  ra-key %s\n  trust-anchor %s\n' "$1/ra.pem" "$1/ra.key" "$1/ca.pem"
		printf '  retry min-seconds 1 max-seconds 4\n  timeout 30\n  subject-organisation simpki\n'
		printf ' campaign\n  backoff min-seconds 5 max-seconds 30\n  retries 8\n'
		printf "%b" "$2"
		if [ "${3:-}" = network ]; then
			sed -n '/^ smsc osmo-msc/,$p' "$src/ota-server/simpki-otad.cfg.example" |
				sed "s/window 50$/window ${CAMPAIGN_WINDOW:-200}/"
		fi
	}
}

# ---- the server side: seeded, then the change of subject without the network
server() {
	sd=$dir/server
	mkdir -p "$sd/otad"
	"$ca" init --dir "$sd/ca" --subject "/CN=simpki Bench CA/O=simpki/C=VN" > "$sd/ca-init.out" 2>&1 ||
		{ fail "simpki-ca init: $(cat "$sd/ca-init.out")"; exit 1; }
	"$seed" --ca-dir "$sd/ca" --otad-db "$sd/otad/otad.db" --master-key "$sd/otad/otad.key" --units-dir "$src/data" \
		--holders "$n" --provinces "$provinces" --baseline > "$sd/seed.out" 2> "$sd/seed.err" ||
		{ fail "lifecycle-seed: $(cat "$sd/seed.err")"; exit 1; }
	otad_cfg "$sd/ca" " lifecycle\n  test-skip-ota\n" > "$sd/otad/simpki-otad.cfg"
	start_ca "$sd/ca" || exit 1
	start_otad "$sd/otad/simpki-otad.cfg" "$sd/otad/otad.log" || exit 1
	LIFECYCLE_TIMEOUT_S=${LIFECYCLE_TIMEOUT_S:-3600} python3 "$src/bench/lifecycle-bench.py" server "$n" \
		"$server_concurrency" "$provinces" "$into_code" "$into_name" "$sd/timeline" otad=$otad_pid ca=$ca_pid \
		> "$sd/lifecycle.out" || {
		fail "server: the operation did not end well"
		tail -n 20 "$sd/otad/otad.log" >&2
		cat "$sd/seed.out" "$sd/lifecycle.out"
		exit 1
	}
	stop $otad_pid
	otad_pid=""
	stop $ca_pid
	ca_pid=""
	"$seed" --ca-dir "$sd/ca" --otad-db "$sd/otad/otad.db" --master-key "$sd/otad/otad.key" --units-dir "$src/data" \
		--holders "$n" --provinces "$provinces" --check "$into_name" > "$sd/check.out" 2> "$sd/check.err" ||
		fail "server: check: $(cat "$sd/check.err")"
	sed 's/^check_/lifecycle_server_check_/' "$sd/check.out" > "$sd/check.lines"
	cat "$sd/seed.out" "$sd/lifecycle.out" "$sd/check.lines"
	awk '/^lifecycle_server_holders_per_min:/ { a = $2 } /^direct_sign_per_min:/ { b = $2 }
		END { if (b > 0) printf "lifecycle_server_ratio: %.4f\n", a / b }' "$sd/lifecycle.out" "$sd/seed.out"
}
[ "$n" -eq 0 ] || server || exit 1
[ "$sims" -gt 0 ] || exit $((failures != 0))

# ---- over the air: SIMs provisioned by a campaign through osmo-msc, then the same change of subject
od=$dir/ota
mkdir -p "$od/otad"
"$net" start "$dir/net" > /dev/null || { fail "osmo-net start"; exit 1; }
cards "$sims" --transport-pin "$SIMPKI_TRANSPORT_PIN" --puk "$SIMPKI_PUK" || exit 1
"$ca" init --dir "$od/ca" --subject "/CN=simpki Bench CA/O=simpki/C=VN" > "$od/ca-init.out" 2>&1 ||
	{ fail "simpki-ca init: $(cat "$od/ca-init.out")"; exit 1; }
otad_cfg "$od/ca" "" network > "$od/otad/simpki-otad.cfg"
start_ca "$od/ca" || exit 1
start_otad "$od/otad/simpki-otad.cfg" "$od/otad/otad.log" || exit 1
start_phones phone --cards "$dir/cards" || exit 1
vty_import "$dir/cards.csv" > "$od/import.out"
import_id=$(sed -n 's/.*import \([0-9]*\) (.*/\1/p' "$od/import.out" | head -n 1)
grep -q "imported $sims cards" "$od/import.out" && [ -n "$import_id" ] || { fail "import: $(cat "$od/import.out")"; exit 1; }
# the holders, H-000000 on (lifecycle-seed's ids and names), in the wards of the provinces in turn, one card each
python3 - "$src/data/wards.json" "$provinces" "$sims" > "$od/holders.csv" <<'PY'
import json, sys
provinces = sys.argv[2].split(",")
wards = [w["code"] for w in json.load(open(sys.argv[1])) if w["province_code"] in provinces]
family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
given = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hương", "Khánh", "Linh", "Long", "Mai"]
print("id,name,id_number,unit,email")
for i in range(int(sys.argv[3])):
    print("H-%06d,%s Thị %s,0%02d%09d,%s," % (i, family[i % len(family)], given[i % len(given)], 79 + i % 13, i,
                                             wards[i % len(wards)]))
PY
api POST /v1/holders/import "$od/holders.csv" > "$od/holders.out"
grep -q "\"holders\": *$sims" "$od/holders.out" || { fail "holders import: $(cat "$od/holders.out")"; exit 1; }
python3 - "$dir/cards.csv" > "$od/links.out" <<'PY' || { fail "holder links: $(cat "$od/links.out")"; exit 1; }
import json, os, sys, http.client
cards = [l.split(",")[0] for l in open(sys.argv[1]).read().split("\n")[1:] if l]
c = http.client.HTTPConnection("127.0.0.1", 8480, timeout=30)
for i, iccid in enumerate(cards):
    c.request("PUT", "/v1/cards/%s/holder" % iccid, json.dumps({"holder": "H-%06d" % i}),
              {"Authorization": "Bearer " + os.environ["SIMPKI_API_TOKEN"], "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("card %s: %d" % (iccid, r.status))
PY
b_t=0
until vty "show smpp" | grep -q BOUND; do
	[ $b_t -lt 100 ] || { fail "the SMSC bind is not up: $(vty "show smpp")"; exit 1; }
	sleep 0.1
	b_t=$((b_t + 1))
done
# provisioning (not the benchmark): a P-256 signing key and its certificate on every SIM
printf '{"name": "keys", "select": {"import": %s}, "keys": [{"id": 2, "alg": "p256", "profile": "signing"}], "personalise": true, "concurrency": %s}' \
	"$import_id" "$concurrency" > "$od/campaign.json"
cs_t0=$(date +%s)
api POST /v1/campaigns "$od/campaign.json" > "$od/campaign.out"
cid=$(sed -n 's/^201 {"id": *\([0-9]*\).*/\1/p' "$od/campaign.out")
[ -n "$cid" ] || { fail "campaign not started: $(cat "$od/campaign.out")"; exit 1; }
c_t=0
until api GET "/v1/campaigns/$cid" | grep -q '"state": *"done"'; do
	[ $c_t -lt 6000 ] || { fail "campaign not done: $(api GET "/v1/campaigns/$cid")"; exit 1; }
	sleep 0.5
	c_t=$((c_t + 1))
done
api GET "/v1/campaigns/$cid" | grep -q "\"active\": *$sims" || { fail "campaign: $(api GET "/v1/campaigns/$cid")"; exit 1; }
echo "lifecycle_ota_provisioning_s: $(($(date +%s) - cs_t0))"
python3 "$src/bench/lifecycle-bench.py" ota "$sims" "$concurrency" "$provinces" "$into_code" "$into_name" \
	"$od/timeline" otad=$otad_pid ca=$ca_pid phone=$phone_pid msc="$(cat "$dir/net/osmo-msc.pid")" \
	> "$od/lifecycle.out" || {
	fail "ota: the operation did not end well"
	tail -n 20 "$od/otad/otad.log" >&2
	cat "$od/lifecycle.out"
	exit 1
}
stop $otad_pid
otad_pid=""
stop $ca_pid
ca_pid=""
stop_phones
"$seed" --ca-dir "$od/ca" --otad-db "$od/otad/otad.db" --master-key "$od/otad/otad.key" --units-dir "$src/data" \
	--holders "$sims" --provinces "$provinces" --iccid-prefix 898401 --check "$into_name" > "$od/check.out" \
	2> "$od/check.err" || fail "ota: check: $(cat "$od/check.err")"
cat "$od/lifecycle.out"
sed 's/^check_/lifecycle_ota_check_/' "$od/check.out"
[ $failures -eq 0 ]
