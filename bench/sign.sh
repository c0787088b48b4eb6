#!/bin/sh
# Mobile signatures per second end to end (run by tests/network/in-netns.sh: its ports are private): PHONES simulated
# phones on the real osmo-msc whose users approve at once (no think time), ROUNDS signatures each through simpki-otad's
# relying-party API, against the same number of OTA round trips without signing (forward-mode jobs, an RFM read each)
# in the same run (bench/sign-bench.py prints the results). The SIMs get their P-256 keys and certificates from a
# campaign first (tests/ota/sign-lib.sh), not timed.
# Usage: sign.sh BUILD_DIR SOURCE_DIR PHONES ROUNDS
set -u
build=$1
src=$2
phones=$3
rounds=$4
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
. "$src/tests/ota/sign-lib.sh"
trap 'for p in $otad_pid $ca_pid; do kill -KILL $p 2> /dev/null; done; cleanup' EXIT
sign_setup "$phones" || exit 1
printf 'default answer approve pin %s delay 0\n' "$SIMPKI_TRANSPORT_PIN" > "$dir/scenario"
start_phones sign --cards "$dir/cards" --scenario "$dir/scenario" --screen-log "$dir/screens" || exit 1
python3 "$src/bench/sign-bench.py" "$phones" "$rounds" "$SIMPKI_API_TOKEN" "$dir/rp-token" "$dir/screens" \
	"$dir/otad/otad.db" || { tail -n 20 "$dir/otad.log"; exit 1; }
stop_phones
[ $failures -eq 0 ]
