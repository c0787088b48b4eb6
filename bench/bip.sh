#!/bin/sh
# Certificates over BIP (SCP81) against concatenated SMS, side by side in one run (run by tests/network/in-netns.sh:
# its ports are private): 2 x CARDS SIMs with SCP81 PSKs on simulated phones through the real osmo-msc, simpki-ca and
# simpki-otad (its RA and RAS). simpki-otad knows the PSKs of half of them: two provisioning campaigns start at once,
# one over the cards without a PSK in the server (every job by SMS: the baseline) and one over those with (the large
# jobs, a key's public key read, its request, the certificate's load and read-back, by BIP; "auto"). Each gives every
# SIM a P-256 key and its certificate. bench/bip-bench.py reports per campaign: certificate loads per minute (cards
# done per minute), bytes per second (scripts and responses of its jobs), jobs and how they went; and bip / sms.
# Usage: bip.sh BUILD_DIR SOURCE_DIR CARDS
set -u
build=$1
src=$2
half=$3
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
. "$src/tests/ota/sign-lib.sh"
trap 'for p in $otad_pid $ca_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
export CARDS_PSK=1
SETUP_CFG_TAIL="scp81\n listen 127.0.0.1 8443\n"
pki_setup $((2 * half)) || exit 1
start_phones bench --cards "$dir/cards" || exit 1
# the server's copy of the vendor file: no PSK for the first half (their jobs can only go by SMS)
awk -F, -v half="$half" 'BEGIN { OFS = "," } NR > 1 && NR <= half + 1 { $10 = "" } { print }' "$dir/cards.csv" \
	> "$dir/cards-server.csv"
vty "import cards $dir/cards-server.csv" > "$dir/import.out"
grep -q "imported $((2 * half)) cards" "$dir/import.out" || { fail "import: $(cat "$dir/import.out")"; exit 1; }
holders_for_cards $((2 * half)) "Lê Thị Hoa"
python3 "$src/bench/bip-bench.py" "$half" "$SIMPKI_API_TOKEN" || { tail -n 20 "$dir/otad.log"; exit 1; }
stop_phones
[ $failures -eq 0 ]
