#!/bin/sh
# simpki-otad's own overhead (run by tests/network/in-netns.sh): jobs per second from the API call to the verified
# PoR, PHONES simulated phones on the real osmo-msc, ROUNDS jobs per card (an RFM read of EF.ICCID each), against
# the same packets submitted by a bare SMPP client (tests/support/test-esme, packets from simpki-ota, PoRs only
# counted) in the same run. Output "name: value" lines; otad_jobs_ratio = otad's rate / the bare client's.
# Usage: otad-jobs.sh BUILD_DIR SOURCE_DIR PHONES ROUNDS
set -u
build=$1
src=$2
phones=$3
rounds=$4
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
otad_pid=""
trap 'cleanup; [ -z "$otad_pid" ] || kill -KILL $otad_pid 2> /dev/null' EXIT
export SIMPKI_API_TOKEN=bench-token-0123456789abcdef

"$net" start "$dir/net" > /dev/null || exit 1
cards "$phones" || exit 1
mkdir -p "$dir/otad"
sed 's/api rate 100$/api rate 0/; s/window 50/window 200/; s/job timeout 60/job timeout 120/' \
	"$src/ota-server/simpki-otad.cfg.example" > "$dir/otad/simpki-otad.cfg"
start_otad "$dir/otad/simpki-otad.cfg" || exit 1
start_phones phone --cards "$dir/cards" || exit 1
vty "import cards $dir/cards.csv" > /dev/null
total=$((phones * rounds))

# otad: every job through the API, then wait until CTRL counts every PoR
otad_s=$(python3 - "$dir/cards.csv" "$rounds" "$total" <<'PY'
import json, os, socket, struct, sys, time, urllib.request
cards = [l.split(",")[0] for l in open(sys.argv[1]).read().split("\n")[1:] if l]
rounds, total = int(sys.argv[2]), int(sys.argv[3])
def ctrl(var):
    s = socket.create_connection(("127.0.0.1", 4271))
    msg = ("GET 1 " + var).encode()
    s.sendall(struct.pack(">HBB", len(msg) + 1, 0xee, 0) + msg)
    n = struct.unpack(">H", s.recv(3)[:2])[0]
    d = b""
    while len(d) < n:
        d += s.recv(n - len(d))
    return int(d[1:].decode().split()[-1])
t0 = time.monotonic()
for r in range(rounds):
    for iccid in cards:
        body = json.dumps({"iccid": iccid, "tar": "b00010", "apdus": ["00A4000C022FE2", "00B000000A"]}).encode()
        req = urllib.request.Request("http://127.0.0.1:8480/v1/jobs", data=body, method="POST")
        req.add_header("Authorization", "Bearer " + os.environ["SIMPKI_API_TOKEN"])
        urllib.request.urlopen(req, timeout=30).read()
while ctrl("rate_ctr.abs.otad.0.ota:por_ok") < total:
    if time.monotonic() - t0 > 600:
        sys.exit("otad: not every PoR within 600 s")
    time.sleep(0.05)
print("%.3f" % (time.monotonic() - t0))
PY
) || { echo "otad-jobs.sh: the otad run failed" >&2; exit 1; }
kill -TERM $otad_pid
wait $otad_pid
otad_pid=""

# the bare client: the same packets with the counters after otad's
: > "$dir/in"
r=1
while [ $r -le "$rounds" ]; do
	i=0
	while [ $i -lt "$phones" ]; do
		n=$(printf %03d $i)
		"$ota" encode $KEYS --tar B00010 --cntr $((rounds + r)) --apdu 00A4000C022FE2 --apdu 00B000000A |
			sed "s/^/2$n /" >> "$dir/in"
		i=$((i + 1))
	done
	r=$((r + 1))
done
"$esme" --expect $total --timeout 600 --input "$dir/in" > "$dir/esme.out" 2> "$dir/esme.err" ||
	{ echo "otad-jobs.sh: test-esme failed: $(cat "$dir/esme.err")" >&2; exit 1; }
bare_s=$(sed -n 's/.*; \([0-9.]*\) s from the first submit.*/\1/p' "$dir/esme.err")
stop_phones
awk -v n=$total -v a="$otad_s" -v b="$bare_s" -v p=$phones 'BEGIN {
	printf "phones: %d\njobs: %d\n", p, n
	printf "otad_jobs_per_s: %.1f\n", n / a
	printf "bare_smpp_roundtrips_per_s: %.1f\n", n / b
	printf "otad_jobs_ratio: %.4f\n", (n / a) / (n / b) }'
