#!/bin/sh
# Run one test against a simulated card in a real pcscd, isolated so that tests can run in parallel: a network
# namespace of its own (a private loopback, so vpcd's ports 35963/35964 never clash) and a mount namespace of its
# own (a private /run/pcscd, pcscd's fixed socket directory). Starts pcscd and `simpki-card serve` on a new card,
# waits until the card is in the reader, runs the test, then stops both by their PIDs.
#
# Usage: with-reader.sh SIMPKI_CARD TEST_SCRIPT [ARGS...]
# The test script runs with sh and these variables: SIMPKI_CARD (the card tool), CARD_DIR (the card's state),
# WORK (scratch directory, also HOME), OPENSC_CONF (a private OpenSC configuration), READER (the reader's name).
# The PIDs of pcscd and the card are in $WORK/pcscd.pid and $WORK/serve.pid; a test that restarts either writes the
# new PID there, and whatever PID is there at the end is stopped.
# SIMPKI_SERVE_ARGS, if set, adds options to `simpki-card serve` (for example --real-timing).
# Exit status: the test's; 77 (skipped) when namespaces cannot be made (not root).
set -u
card_tool=$1
test_script=$2
shift 2

for prog in pcscd opensc-tool pcsc_scan unshare ip; do
	command -v "$prog" > /dev/null || { echo "with-reader: $prog is not installed (tools/install-deps.sh): skipped" >&2; exit 77; }
done
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || { echo "with-reader: vsmartcard-vpcd is not installed: skipped" >&2; exit 77; }

if [ "${SIMPKI_IN_NAMESPACE:-}" != 1 ]; then
	if ! unshare -n -m true 2> /dev/null; then
		echo "with-reader: cannot create namespaces (run as root): skipped" >&2
		exit 77
	fi
	exec unshare -n -m env SIMPKI_IN_NAMESPACE=1 sh "$0" "$card_tool" "$test_script" "$@"
fi

mkdir -p /run/pcscd
mount -t tmpfs -o mode=0755 tmpfs /run/pcscd || exit 1
ip link set lo up || exit 1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/simpki-pcsc.XXXXXX")
export WORK HOME="$WORK" SIMPKI_CARD="$card_tool" CARD_DIR="$WORK/card" READER="Virtual PCD 00 00"
export OPENSC_CONF="$WORK/opensc.conf"
cat > "$OPENSC_CONF" <<EOC
app default {
	framework pkcs15 { use_file_caching = no; }
	pkcs11 { user_pin_unblock_style = set_pin_in_unlogged_session; }
}
EOC
stop_pid() { # stop the process whose PID is in file $1, and wait until it is gone
	[ -s "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2> /dev/null
	n=0
	while kill -0 "$pid" 2> /dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -9 "$pid" 2> /dev/null
	rm -f "$1"
}
stop() {
	stop_pid "$WORK/serve.pid"
	stop_pid "$WORK/pcscd.pid"
}
trap 'stop; rm -rf "$WORK"' EXIT
trap 'exit 1' HUP INT PIPE TERM

"$card_tool" create --state "$CARD_DIR" --iccid 8984012345678901234 --imsi 452040000000001 > /dev/null || exit 1
pcscd --foreground > "$WORK/pcscd.log" 2>&1 &
echo $! > "$WORK/pcscd.pid"
"$card_tool" serve --state "$CARD_DIR" ${SIMPKI_SERVE_ARGS:-} 2> "$WORK/serve.log" &
echo $! > "$WORK/serve.pid"
"$(dirname "$0")/wait-card.sh" || exit 1

sh "$test_script" "$@"
rc=$?
if [ $rc != 0 ]; then
	echo "--- serve log" >&2
	tail -n 20 "$WORK/serve.log" >&2
fi
exit $rc
