#!/bin/sh
# simpki-card serve against a real pcscd: it answers APDUs through PC/SC, comes back by itself when pcscd
# restarts, stops cleanly on SIGTERM with everything saved (and the card image free for other tools), and can be
# served again. Run by with-reader.sh.
set -u
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
SELECT=00A404000CF276A288BCFBA69D34F31001
# send APDUs in one PC/SC session; print the status words, one per line ("9000")
send() {
	args=
	for a in "$@"; do args="$args -s $a"; done
	opensc-tool --reader 0 $args > "$WORK/send.out" 2>&1
	sed -n 's/^Received (SW1=0x\(..\), SW2=0x\(..\)).*/\1\2/p' "$WORK/send.out" | tr a-f A-F
}

sws=$(send $SELECT 002401021030313233343536373839616263646566 0024010106313233343536 | tr '\n' ' ')
[ "$sws" = "9000 9000 9000 " ] || fail "personalisation through PC/SC answered: $sws"

# pcscd goes away and comes back: the card reconnects by itself
kill "$(cat "$WORK/pcscd.pid")"
sleep 0.5
pcscd --foreground > "$WORK/pcscd2.log" 2>&1 &
echo $! > "$WORK/pcscd.pid"
"$here/wait-card.sh" 10 || fail "the card did not come back after pcscd restarted"
grep -q "reconnecting" "$WORK/serve.log" || fail "serve did not log the lost connection"
sws=$(send $SELECT 002000011031323334353600000000000000000000 | tr '\n' ' ')
[ "$sws" = "9000 9000 " ] || fail "after the pcscd restart the PIN does not verify: $sws"

# a second process cannot take the card while it is served
"$SIMPKI_CARD" info --state "$CARD_DIR" > /dev/null 2> "$WORK/busy.err"
[ $? = 6 ] || fail "info on a served card did not exit 6: $(cat "$WORK/busy.err")"

# SIGTERM: a clean, quick stop with everything saved
pid=$(cat "$WORK/serve.pid")
kill -TERM "$pid"
n=0
while kill -0 "$pid" 2> /dev/null && [ $n -lt 30 ]; do
	sleep 0.1
	n=$((n + 1))
done
kill -0 "$pid" 2> /dev/null && fail "serve still runs 3 s after SIGTERM"
rm -f "$WORK/serve.pid"
grep -q "stopped; the card in .* is saved" "$WORK/serve.log" || fail "serve did not say it stopped: $(cat "$WORK/serve.log")"
"$SIMPKI_CARD" info --state "$CARD_DIR" > "$WORK/info" || fail "info after serve stopped"
grep -q "PIN: set, 3 tries left" "$WORK/info" || fail "the PIN is not on the card: $(cat "$WORK/info")"

# and served again
"$SIMPKI_CARD" serve --state "$CARD_DIR" 2>> "$WORK/serve.log" &
echo $! > "$WORK/serve.pid"
"$here/wait-card.sh" 10 || fail "the card did not come back after serve restarted"
sws=$(send $SELECT 002000011031323334353600000000000000000000 | tr '\n' ' ')
[ "$sws" = "9000 9000 " ] || fail "after serve restarted the PIN does not verify: $sws $(cat "$WORK/send.out")"

finish serve
