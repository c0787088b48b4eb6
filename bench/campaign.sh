#!/bin/sh
# A provisioning campaign (personalise, a P-256 signing key and its certificate per SIM) through the real core
# network, against the same campaign with the SIMs reached directly, in the same run (run by
# tests/network/in-netns.sh: the fixed ports are private).
#
#   network  osmo-net (osmo-stp, osmo-hlr, osmo-msc), N SIMs with a transport PIN and PUK on N simulated phones
#            (simpki-phone), simpki-ca, simpki-otad (its RA, a campaign node, the SMSC bind to osmo-msc)
#   direct   the same otad configuration and a copy of the same CA and SIMs (copied before either run), the SMSC
#            being bench/direct-smsc: each submit_sm goes straight to the SIM, each SMS the SIM sends comes back
#            as a deliver_sm (no queue, no paging, no radio side)
#
# Each run: a new otad database, the vendor file imported (VTY), N holders imported (API, CSV) and linked to the
# cards, then POST /v1/campaigns over the import ({"select": {"import": ID}}); timed from that POST to the
# campaign's state "done". Every card must end active (else the bench fails). CPU seconds (utime + stime) and peak
# RSS (VmHWM, reset at the POST) of simpki-otad and simpki-ca over the campaign, and the CPU of what carries the
# SMS (simpki-phone and osmo-msc; direct-smsc). Output "name: value" lines; campaign_network_ratio = the network's
# cards per minute / the direct ones (the network's share).
# Usage: campaign.sh BUILD_DIR SOURCE_DIR SIMS CONCURRENCY
set -u
build=$1
src=$2
n=$3
concurrency=$4
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
ca=$build/ota-server/ca/simpki-ca
dsmsc=$build/bench/direct-smsc
for prog in openssl curl; do
	command -v $prog > /dev/null || { echo "campaign.sh: $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
otad_pid=""
ca_pid=""
dsmsc_pid=""
trap 'for p in $otad_pid $ca_pid $dsmsc_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
export SIMPKI_API_TOKEN=bench-token-0123456789abcdef
export SIMPKI_CA_PASSPHRASE=campaign-bench-passphrase-0123
export SIMPKI_TRANSPORT_PIN=3141 SIMPKI_PUK=2718281828459045

"$net" start "$dir/net" > /dev/null || { echo "campaign.sh: osmo-net start failed" >&2; exit 1; }
cards "$n" --transport-pin "$SIMPKI_TRANSPORT_PIN" --puk "$SIMPKI_PUK" || exit 1
cp -r "$dir/cards" "$dir/direct-cards"
"$ca" init --dir "$dir/ca" --subject "/CN=simpki Bench CA/O=simpki/C=VN" > "$dir/ca-init.out" 2>&1 ||
	{ echo "campaign.sh: simpki-ca init: $(cat "$dir/ca-init.out")" >&2; exit 1; }
cp -r "$dir/ca" "$dir/direct-ca"
{
	echo "id,name,id_number,unit,email"
	i=0
	while [ $i -lt "$n" ]; do
		printf 'H-%05d,Holder %d,0791%08d,10101003,\n' $i $i $i
		i=$((i + 1))
	done
} > "$dir/holders.csv"
# the SMSC bind: a window of 200 submit_sm awaiting their answer (osmo-msc answers a stored one at once), no rate
# limit (CAMPAIGN_WINDOW to try others: the bind keeps room in its write queue for answers, bench/README.md); the
# API without a rate limit (the links below)
window=${CAMPAIGN_WINDOW:-200}

# start_ca CA_DIR
start_ca() {
	mkdir -p "$1/run"
	(cd "$1/run" && exec "$ca" -c "$1/simpki-ca.cfg") > "$1/ca.log" 2>&1 &
	ca_pid=$!
	sc_t=0
	until python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8490), timeout=1)' 2> /dev/null; do
		[ $sc_t -lt 100 ] || { fail "simpki-ca does not listen: $(tail -n 5 "$1/ca.log")"; return 1; }
		sleep 0.1
		sc_t=$((sc_t + 1))
	done
}

# stop PID: SIGTERM and wait
stop() {
	kill -TERM "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}

# run MODE CA_DIR: otad and the CA started afresh, the cards, holders and links in, the campaign timed
run() {
	mode=$1
	cadir=$2
	od=$dir/otad-$mode
	mkdir -p "$od"
	sed "s/api rate 100$/api rate 0/; s/window 50$/window $window/
/^ api body-limit import/a\\
 ca\\
  cmp-url http://127.0.0.1:8490/pkix/\\
  ra-cert $cadir/ra.pem\\
  ra-key $cadir/ra.key\\
  trust-anchor $cadir/ca.pem\\
  retry min-seconds 1 max-seconds 4\\
  timeout 30\\
  subject-organisation simpki\\
 campaign\\
  backoff min-seconds 5 max-seconds 30\\
  retries 8" "$src/ota-server/simpki-otad.cfg.example" > "$od/simpki-otad.cfg"
	start_ca "$cadir" || return 1
	start_otad "$od/simpki-otad.cfg" "$od/otad.log" || return 1
	vty_import "$dir/cards.csv" > "$od/import.out"
	import_id=$(sed -n 's/.*import \([0-9]*\) (.*/\1/p' "$od/import.out" | head -n 1)
	grep -q "imported $n cards" "$od/import.out" && [ -n "$import_id" ] ||
		{ fail "$mode: import: $(cat "$od/import.out")"; return 1; }
	api POST /v1/holders/import "$dir/holders.csv" > "$od/holders.out"
	grep -q "\"holders\": *$n" "$od/holders.out" || { fail "$mode: holders import: $(cat "$od/holders.out")"; return 1; }
	# every card's holder: N PUTs through the API, one client (timed, outside the campaign)
	python3 - "$dir/cards.csv" > "$od/links.out" <<'PY' || { fail "$mode: holder links: $(cat "$od/links.out")"; return 1; }
import json, os, sys, time, http.client
cards = [l.split(",")[0] for l in open(sys.argv[1]).read().split("\n")[1:] if l]
t0 = time.monotonic()
c = http.client.HTTPConnection("127.0.0.1", 8480, timeout=30)
for i, iccid in enumerate(cards):
    body = json.dumps({"holder": "H-%05d" % i})
    for attempt in range(2):
        try:
            c.request("PUT", "/v1/cards/%s/holder" % iccid, body,
                      {"Authorization": "Bearer " + os.environ["SIMPKI_API_TOKEN"], "Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            break
        except (http.client.HTTPException, OSError):
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", 8480, timeout=30)
    if r.status != 200:
        sys.exit("card %s: %d" % (iccid, r.status))
print("holder_links_s: %.2f" % (time.monotonic() - t0))
PY
	# the bind must be up before the clock starts
	b_t=0
	until vty "show smpp" | grep -q BOUND; do
		[ $b_t -lt 100 ] || { fail "$mode: the SMSC bind is not up: $(vty "show smpp")"; return 1; }
		sleep 0.1
		b_t=$((b_t + 1))
	done
	if [ "$mode" = network ]; then
		carriers="phone=$phone_pid msc=$(cat "$dir/net/osmo-msc.pid")"
	else
		carriers="direct_smsc=$dsmsc_pid"
	fi
	python3 - "$mode" "$n" "$concurrency" "$import_id" "$od/timeline" otad=$otad_pid ca=$ca_pid $carriers \
		> "$od/campaign.out" <<'PY' || { fail "$mode: $(cat "$od/campaign.out")"; return 1; }
import json, os, sys, time, urllib.request, urllib.error
mode, n, conc, import_id, timeline = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
pids = dict(a.split("=") for a in sys.argv[6:])
tck = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tck
def hwm(pid):
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmHWM:"):
            return int(l.split()[1])
def api(method, path, body=None):
    req = urllib.request.Request("http://127.0.0.1:8480" + path, data=body, method=method)
    req.add_header("Authorization", "Bearer " + os.environ["SIMPKI_API_TOKEN"])
    try:
        r = urllib.request.urlopen(req, timeout=30)
        return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
body = json.dumps({"name": "bench " + mode, "select": {"import": import_id},
                   "keys": [{"id": 2, "alg": "p256", "profile": "signing"}], "personalise": True,
                   "concurrency": conc}).encode()
for p in ("otad", "ca"):
    open("/proc/%s/clear_refs" % pids[p], "w").write("5") # VmHWM from now on
cpu0 = {k: cpu(v) for k, v in pids.items()}
t0 = time.monotonic()
st, j = api("POST", "/v1/campaigns", body)
if st != 201:
    sys.exit("POST /v1/campaigns: %s %s" % (st, j))
cid = j["id"]
tl = open(timeline, "w")
last = -1
while True:
    st, j = api("GET", "/v1/campaigns/%d" % cid)
    t = time.monotonic() - t0
    if st == 200 and j["state"] == "done":
        break
    if st == 200 and int(t) != last:
        last = int(t)
        tl.write("%.1f %s\n" % (t, json.dumps(j["counts"], sort_keys=True)))
        tl.flush()
    if t > 1800:
        sys.exit("not done in 1800 s: %s" % j)
    time.sleep(0.2)
t = time.monotonic() - t0
cpu1 = {k: cpu(v) for k, v in pids.items()}
tl.write("%.1f %s done\n" % (t, json.dumps(j["counts"], sort_keys=True)))
c = j["counts"]
print("campaign_%s_s: %.1f" % (mode, t))
print("campaign_%s_cards_per_min: %.1f" % (mode, n * 60 / t))
for k in ("otad", "ca"):
    print("campaign_%s_%s_cpu_s: %.1f" % (mode, k, cpu1[k] - cpu0[k]))
    print("campaign_%s_%s_rss_kb: %d" % (mode, k, hwm(pids[k])))
for k in pids:
    if k not in ("otad", "ca"):
        print("campaign_%s_%s_cpu_s: %.1f" % (mode, k, cpu1[k] - cpu0[k]))
if c["active"] != n:
    sys.exit("campaign_%s: %d of %d cards active: %s" % (mode, c["active"], n, c))
PY
	stop $otad_pid
	otad_pid=""
	stop $ca_pid
	ca_pid=""
}

# ---- through the network
start_phones phone --cards "$dir/cards" || exit 1
run network "$dir/ca" || exit 1
stop_phones
"$net" stop "$dir/net" > /dev/null 2>&1

# ---- the same, the SIMs reached directly (osmo-msc's port is free now)
rm -f "$dir/direct-ready"
"$dsmsc" --cards "$dir/direct-cards" --ready-file "$dir/direct-ready" > "$dir/direct-smsc.out" 2> "$dir/direct-smsc.log" &
dsmsc_pid=$!
d_t=0
until [ -f "$dir/direct-ready" ]; do
	kill -0 $dsmsc_pid 2> /dev/null || { fail "direct-smsc exited: $(tail -n 5 "$dir/direct-smsc.log")"; exit 1; }
	[ $d_t -lt 300 ] || { fail "direct-smsc not ready in 30 s"; exit 1; }
	sleep 0.1
	d_t=$((d_t + 1))
done
run direct "$dir/direct-ca" || exit 1
stop $dsmsc_pid
dsmsc_pid=""

cat "$dir/otad-network/links.out" "$dir/otad-network/campaign.out" "$dir/otad-direct/campaign.out"
awk '/^campaign_network_cards_per_min:/ { a = $2 } /^campaign_direct_cards_per_min:/ { b = $2 }
	END { printf "campaign_sims: %d\ncampaign_concurrency: %d\ncampaign_network_ratio: %.4f\n", n, c, a / b }' \
	n="$n" c="$concurrency" "$dir/otad-network/campaign.out" "$dir/otad-direct/campaign.out"
sed 's/^/direct-smsc: /' "$dir/direct-smsc.out" >&2
[ $failures -eq 0 ]
