# Shell functions for tests and benchmarks with simulated phones on osmo-net, sourced after the caller set $build
# (the build directory). Sets the programs' paths (net, phone, card, ota, otad, esme, direct) and skips the caller
# (exit 77) when the Osmocom daemons, python3, sqlite3, simpki-phone or test-esme are missing. Makes a work
# directory $dir; on exit, stops what it started there (the network, simpki-phone, tshark) and removes it. fail()
# counts failures in $failures.
net=$build/simulator/net/osmo-net
phone=$build/simulator/phone/simpki-phone
card=$build/simulator/cardos/simpki-card
ota=$build/ota-server/simpki-ota
otad=$build/ota-server/simpki-otad
esme=$build/tests/test-esme
direct=$build/bench/ota-direct
for prog in osmo-stp osmo-hlr osmo-msc python3 sqlite3; do
	command -v $prog > /dev/null || { echo "$(basename "$0"): $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
[ -x "$phone" ] && [ -x "$esme" ] || { echo "$(basename "$0"): built without libosmo-sigtran or libsmpp34: skipped" >&2; exit 77; }
KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F
KEYS="--spi 1639 --kic 12 --kid 12 --kic-key $KIC --kid-key $KID"
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-phones.XXXXXX")
failures=0
phone_pid=""
tshark_pid=""

cleanup() {
	[ -z "$phone_pid" ] || kill -KILL "$phone_pid" 2> /dev/null
	[ -z "$tshark_pid" ] || kill -KILL "$tshark_pid" 2> /dev/null
	"$net" stop "$dir/net" > /dev/null 2>&1
	if [ $failures -ne 0 ]; then
		for f in "$dir"/phone*.log; do
			[ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
		done
	fi
	if [ "${SIMPKI_TEST_KEEP:-0}" = 1 ]; then
		echo "kept: $dir" >&2
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# luhn DIGITS: DIGITS with their Luhn check digit
luhn() {
	echo "$1" | awk '{ s = 0; n = length($0); for (i = n; i >= 1; i--) { d = substr($0, i, 1) + 0;
		if ((n - i) % 2 == 0) { d *= 2; if (d > 9) d -= 9 } s += d } print $0 (10 - s % 10) % 10 }'
}

# cards N: N SIMs in $dir/cards/NNN (IMSI 001010000000NNN, MSISDN 2NNN, AES OTA key set 1; past 999 the numbers
# grow a digit: directory NNNN, IMSI 00101 and 10 digits, MSISDN 2 and the number), known to the HLR, and the vendor
# file for simpki-otad in $dir/cards.csv. Further arguments go to create-many (--transport-pin PIN --puk PUK). One simpki-card create-many and one osmo-net add-subscribers: N = 1000 takes
# a few seconds.
cards() {
	cards_n=$1
	shift
	mkdir -p "$dir/cards"
	# CARDS_PSK=1: each card gets an SCP81 PSK of its own (the vendor file's kik and psk columns)
	if [ -n "${CARDS_PSK:-}" ]; then
		echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid,kik,psk" > "$dir/cards.csv"
	else
		echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid" > "$dir/cards.csv"
	fi
	awk -v n="$cards_n" -v kic=$KIC -v kid=$KID -v psk="${CARDS_PSK:-}" '
	function luhn(s,  i, d, t, len) {
		t = 0
		len = length(s)
		for (i = len; i >= 1; i--) {
			d = substr(s, i, 1) + 0
			if ((len - i) % 2 == 0) { d *= 2; if (d > 9) d -= 9 }
			t += d
		}
		return s (10 - t % 10) % 10
	}
	BEGIN {
		for (i = 0; i < n; i++)
			printf "%s,00101%010d,2%03d,1,aes,%s,aes,%s%s\n", luhn(sprintf("898401%012d", i)), i, i, kic, kid,
				psk == "" ? "" : sprintf(",,5053%028d", i)
	}' >> "$dir/cards.csv"
	"$card" create-many --dir "$dir/cards" --from "$dir/cards.csv" "$@" > "$dir/create-many.out" 2>&1 ||
		{ fail "simpki-card create-many: $(tail -n 5 "$dir/create-many.out")"; return 1; }
	"$net" add-subscribers "$dir/net" "$dir/cards.csv" > "$dir/add-subscribers.out" 2>&1 ||
		{ fail "osmo-net add-subscribers: $(tail -n 5 "$dir/add-subscribers.out")"; return 1; }
}

# start_phones LOG ARGS...: simpki-phone in the background; waits until every phone that is on has attached
start_phones() {
	log=$1
	shift
	rm -f "$dir/ready"
	"$phone" --ready-file "$dir/ready" "$@" \
		> "$dir/$log.out" 2> "$dir/$log.log" &
	phone_pid=$!
	t=0
	while [ ! -f "$dir/ready" ]; do
		kill -0 $phone_pid 2> /dev/null || { fail "simpki-phone exited: $(tail -n 5 "$dir/$log.log")"; return 1; }
		[ $t -lt 300 ] || { fail "phones not attached in 30 s"; return 1; }
		sleep 0.1
		t=$((t + 1))
	done
}

# stop_phones: SIGTERM, the phones detach, simpki-phone prints its summary and exits 0
stop_phones() {
	[ -n "$phone_pid" ] || return 0 # stopped already
	kill -TERM $phone_pid
	wait $phone_pid
	rc=$?
	phone_pid=""
	[ $rc -eq 0 ] || fail "simpki-phone exited $rc after SIGTERM"
}

expect_in() { # FILE TEXT
	grep -q -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(head -c 800 "$1")"
}

# wait_for FILE TEXT SECONDS
wait_for() {
	t=0
	until grep -q -- "$2" "$1"; do
		[ $t -lt $(($3 * 10)) ] || { fail "no '$2' in $(basename "$1") after $3 s"; return 1; }
		sleep 0.1
		t=$((t + 1))
	done
}

# iccid_ef ICCID: EF.ICCID's content, BCD with swapped nibbles, F-padded to 10 bytes
iccid_ef() {
	printf '%-20s' "$1" | tr ' ' f | sed 's/\(.\)\(.\)/\2\1/g'
}

# packet MSISDN CNTR [simpki-ota encode args...]: lines "MSISDN UD" for test-esme (one per SMS)
packet() {
	to=$1
	cntr=$2
	shift 2
	"$ota" encode $KEYS --tar B00010 --cntr "$cntr" "$@" | sed "s/^/$to /"
}

# por_of ESME_OUT: the PoR's user data parts
por_of() {
	awk '$1 == "deliver_sm" { print $7 }' "$1"
}

