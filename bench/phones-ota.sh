#!/bin/sh
# Secured-packet round trips per second through the real core network, against the same packets handed straight
# to the SIMs, in the same run (run by tests/network/in-netns.sh). PHONES phones attach to osmo-msc; test-esme
# submits ROUNDS packets to each (an RFM read of EF.ICCID, PoR by SMS-SUBMIT), all at once, and waits for every
# PoR (deliver_sm). Then ota-direct gives the same packets' SMS-DELIVER TPDUs to copies of the same cards.
# Output: "name: value" lines; phones_network_ratio = network round trips per second / direct ones (the share of
# the network: osmo-msc's SMSC queue, paging, SMS over the A interface, SMPP).
# Usage: phones-ota.sh BUILD_DIR PHONES ROUNDS
set -u
build=$1
phones=$2
rounds=$3
. "$(dirname "$0")/../tests/network/phones-lib.sh"

"$net" start "$dir/net" > /dev/null || { echo "osmo-net start failed" >&2; exit 1; }
cards "$phones" || exit 1
cp -r "$dir/cards" "$dir/direct-cards"
: > "$dir/in"
: > "$dir/direct-in"
r=1
while [ $r -le "$rounds" ]; do
	i=0
	while [ $i -lt "$phones" ]; do
		n=$(printf %03d $i)
		packet 2$n $r --apdu 00A4000C022FE2 --apdu 00B000000A >> "$dir/in"
		"$ota" encode $KEYS --tar B00010 --cntr $r --apdu 00A4000C022FE2 --apdu 00B000000A --tpdu |
			sed "s|^|$dir/direct-cards/$n |" >> "$dir/direct-in"
		i=$((i + 1))
	done
	r=$((r + 1))
done
total=$((phones * rounds))
start_phones phone --cards "$dir/cards" || exit 1
"$esme" --expect $total --timeout 300 --input "$dir/in" > "$dir/esme.out" 2> "$dir/esme.err" ||
	{ echo "test-esme failed: $(cat "$dir/esme.err")" >&2; exit 1; }
stop_phones
net_s=$(sed -n 's/.*; \([0-9.]*\) s from the first submit.*/\1/p' "$dir/esme.err")
"$direct" "$dir/direct-in" > "$dir/direct.out" || { echo "ota-direct failed" >&2; exit 1; }
direct_s=$(sed -n 's/^ota_direct_s: //p' "$dir/direct.out")
awk -v n=$total -v a="$net_s" -v b="$direct_s" -v p=$phones 'BEGIN {
	printf "phones: %d\npackets: %d\n", p, n
	printf "phones_network_roundtrips_per_s: %.1f\n", n / a
	printf "phones_direct_roundtrips_per_s: %.1f\n", n / b
	printf "phones_network_ratio: %.4f\n", (n / a) / (n / b) }'
[ $failures -eq 0 ]
