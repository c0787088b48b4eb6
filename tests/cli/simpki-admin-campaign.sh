#!/bin/sh
# simpki-admin's campaign commands against a real simpki-otad (the example configuration; run by in-netns.sh: its
# ports are private). No SMSC and no phone answer, so a campaign's cards stay in their first steps (waiting, check,
# backoff) until it is cancelled:
# - cards imported; 'campaign start' over a file of ICCIDs prints the id; show, list (text and --json);
# - 'campaign watch' on a terminal (tmux, a fixed-size pane): the progress bar, the counts, the rate, redrawn in
#   place (one display in the pane after many looks, not a scroll of lines), then the summary and exit 8 once the
#   campaign is cancelled;
# - pause (and again: no change), resume, cancel (exit 0, cancelled), cancel and pause again (exit 6,
#   campaign_over); campaign failed (none), campaign cards (every card, --state, --json);
# - 'campaign watch' without a terminal: one line per change; on a cancelled campaign exit 8; SIGTERM while a
#   running one is watched: exit 1, the campaign goes on;
# - start --import ID with two keys (--json shows them), --iccids - from standard input; no such import (exit 5),
#   a card of the list unknown (404 card_not_found: exit 5), no such campaign (exit 5).
# Needs the campaigns API (POST /v1/campaigns ...; docs/admin.md); tmux.
# Usage: simpki-admin-campaign.sh SIMPKI_ADMIN SIMPKI_OTAD SOURCE_ROOT
set -u
admin=$1
otad=$2
src=$3
export SIMPKI_API_TOKEN=admin-token-for-the-campaign-test-0123456789
unset SIMPKI_API_URL
command -v python3 > /dev/null || { echo "simpki-admin-campaign.sh: python3 missing" >&2; exit 1; }
command -v tmux > /dev/null || { echo "simpki-admin-campaign.sh: tmux missing (tools/install-deps.sh)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-admin-campaign.XXXXXX")
otad_pid=""
tmux_sock="simpki-admin-test-$$"
failures=0
cleanup() {
	tmux -L "$tmux_sock" kill-server 2> /dev/null
	[ -z "$otad_pid" ] || kill -KILL "$otad_pid" 2> /dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
. "$src/tests/cli/admin-lib.sh"

. "$src/tests/ota/otad-lib.sh"

pane() { # the tmux pane's text into $dir/pane
	tmux -L "$tmux_sock" capture-pane -p -t watch > "$dir/pane"
}
wait_file() { # FILE SECONDS
	wf_t=0
	while [ ! -s "$1" ] && [ $wf_t -lt $(($2 * 10)) ]; do
		sleep 0.1
		wf_t=$((wf_t + 1))
	done
}

# a campaign needs the RA's 'ca' node: a CA made by simpki-ca init, never asked (no card gets that far)
mkdir -p "$dir/conf"
SIMPKI_CA_PASSPHRASE=admin-campaign-test-passphrase "$(dirname "$otad")/ca/simpki-ca" init --dir "$dir/ca" \
	--subject "/CN=simpki-admin Test CA" > "$dir/ca-init.out" 2>&1 || { fail "simpki-ca init: $(cat "$dir/ca-init.out")"; exit 1; }
sed "/^ api body-limit import/a\\
 ca\\
  cmp-url http://127.0.0.1:8490/pkix/\\
  ra-cert $dir/ca/ra.pem\\
  ra-key $dir/ca/ra.key\\
  trust-anchor $dir/ca/ca.pem" "$src/ota-server/simpki-otad.cfg.example" > "$dir/conf/simpki-otad.cfg"
start_otad "$dir/conf/simpki-otad.cfg" "$dir/otad.log" || exit 1

KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F
python3 - "$dir" "$KIC" "$KID" <<'PY'
import sys
d, kic, kid = sys.argv[1:]
def luhn(body):
    s = 0
    for i, ch in enumerate(reversed(body)):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        s += v - 9 if v > 9 else v
    return body + str((10 - s % 10) % 10)
iccids = [luhn("898401000000000%03d" % i) for i in range(1, 5)]
with open(d + "/cards.csv", "w") as f:
    f.write("iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n")
    for i, c in enumerate(iccids):
        f.write("%s,00101000000010%d,300%d,1,aes,%s,aes,%s\n" % (c, i, i, kic, kid))
open(d + "/iccids.txt", "w").write("# wave 1\n" + "\n".join(iccids) + "\n")
open(d + "/unknown.txt", "w").write(luhn("898401999999999999") + "\n")
PY
run 0 cards import --name wave-cards "$dir/cards.csv"
out_has "done: 4 cards"
import_id=$(sed -n 's/^import \([0-9]*\) .*/\1/p' "$dir/out")

# ---- start, show, list ----
run 0 campaign start --name "wave 1" --iccids "$dir/iccids.txt" --concurrency 2
id=$(cat "$dir/out")
case $id in '' | *[!0-9]*) fail "campaign start printed '$id', not an id"; id=1 ;; esac
run 0 campaign show "$id"
out_has "^campaign $id \"wave 1\" [a-z]*  \[[#.]*\] *[0-9]*%  [0-9]/4 cards"
out_has "in progress: "
out_has "concurrency 2"
run 0 --json campaign show "$id"
out_json_is "j['id'] == $id and j['cards'] == 4 and j['state'] == 'running' and j['keys'][0]['alg'] == 'p256'"
run 0 campaign list
out_has "^$id  *wave 1  *running  *4 "
run 0 campaign list --json
out_json_is "any(c['id'] == $id for c in j['items'])"

# ---- the live display on a terminal ----
tmux -L "$tmux_sock" new-session -d -s watch -x 110 -y 15 \
	"'$admin' campaign watch --interval 0.2 $id; echo \$? > '$dir/watch.rc'; sleep 600" ||
	fail "tmux would not start"
sleep 2 # about 10 looks
pane
[ "$(grep -c "^campaign $id \"wave 1\"" "$dir/pane")" = 1 ] || fail "not one display in the pane: $(cat "$dir/pane")"
grep -q "^campaign $id \"wave 1\" running  \[[#.]\{30\}\]   0%  0/4 cards" "$dir/pane" || fail "no bar: $(cat "$dir/pane")"
grep -q "^  in progress: [a-z]* [1-4]" "$dir/pane" || fail "no counts: $(cat "$dir/pane")"
grep -q "cards/min" "$dir/pane" || fail "no rate: $(cat "$dir/pane")"

# ---- pause, resume, cancel ----
run 0 campaign pause "$id"
out_has "^campaign $id paused: "
run 0 campaign pause "$id"
out_has "^campaign $id paused: "
sleep 0.6
pane
grep -q "^campaign $id \"wave 1\" paused " "$dir/pane" || fail "the display does not say paused: $(cat "$dir/pane")"
[ "$(grep -c "^campaign $id \"wave 1\"" "$dir/pane")" = 1 ] || fail "not one display after the redraws: $(cat "$dir/pane")"
run 0 campaign resume "$id"
out_has "^campaign $id running: "
run 0 campaign cancel "$id"
out_has "^campaign $id cancelled: "
wait_file "$dir/watch.rc" 10
[ "$(cat "$dir/watch.rc" 2> /dev/null)" = 8 ] || fail "campaign watch on the terminal exited '$(cat "$dir/watch.rc" 2> /dev/null)', expected 8"
pane
grep -q "^campaign $id cancelled: 0/4 done\|^campaign $id cancelled: [0-9]/4 done" "$dir/pane" ||
	fail "no summary in the pane: $(cat "$dir/pane")"
[ "$(grep -c "^campaign $id \"wave 1\"" "$dir/pane")" = 1 ] || fail "not one display at the end: $(cat "$dir/pane")"
run 6 campaign cancel "$id"
err_has "campaign_over"
run 6 campaign pause "$id"
run 0 --json campaign show "$id"
out_json_is "j['state'] == 'cancelled' and j['ended'] is not None"

# ---- the cards ----
run 0 campaign failed "$id"
out_has "^ICCID  *STEP  *TRIES  *REASON"
[ "$(wc -l < "$dir/out")" = 1 ] || fail "campaign failed lists cards that did not fail: $(cat "$dir/out")"
run 0 campaign cards "$id"
out_has "^ICCID  *STATE  *STEP  *KEY  *TRIES  *SERIAL  *ERROR"
[ "$(grep -c '^89840100000000000' "$dir/out")" = 4 ] || fail "campaign cards: not 4 cards: $(cat "$dir/out")"
run 0 --json campaign cards "$id"
out_json_is "len(j['items']) == 4 and j['next'] is None"
run 0 campaign cards --state failed "$id"
[ "$(wc -l < "$dir/out")" = 1 ] || fail "campaign cards --state failed: $(cat "$dir/out")"

# ---- watch without a terminal ----
run 8 campaign watch "$id"
[ "$(wc -l < "$dir/out")" = 1 ] || fail "watch of a cancelled campaign: not one line: $(cat "$dir/out")"
out_has "^campaign $id cancelled: "
run 8 --json campaign watch "$id"
out_json_is "j['state'] == 'cancelled'"

# ---- other ways to choose cards ----
run 0 --json campaign start --name "wave 2" --import "$import_id" --key 2:p256:signing --key 3:rsa2048:authentication
out_json_is "j['cards'] == 4 and len(j['keys']) == 2 and j['keys'][1] == {'id': 3, 'alg': 'rsa2048', 'profile': 'authentication'}"
id2=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$dir/out" 2> /dev/null)
"$admin" campaign watch --interval 0.2 "$id2" > "$dir/w2.out" 2> "$dir/w2.err" &
wpid=$!
sleep 1.5
kill -TERM $wpid
wait $wpid
rc=$?
[ $rc = 1 ] || fail "watch stopped by SIGTERM exited $rc, expected 1"
grep -q "stopped watching; campaign $id2 goes on" "$dir/w2.err" || fail "watch stopped: $(cat "$dir/w2.err")"
grep -q "^campaign $id2 running: 0/4 done (none yet), in progress: " "$dir/w2.out" || fail "watch lines: $(cat "$dir/w2.out")"
[ "$(grep -c . "$dir/w2.out")" -le 3 ] || fail "watch printed lines without a change: $(cat "$dir/w2.out")"
run 0 campaign show "$id2"
out_has " running "
run 0 campaign cancel "$id2"
"$admin" campaign start --name "wave 3" --iccids - < "$dir/iccids.txt" > "$dir/out" 2> "$dir/err" ||
	fail "campaign start --iccids - exited $?: $(cat "$dir/err")"
grep -q '^[0-9][0-9]*$' "$dir/out" || fail "campaign start --iccids -: $(cat "$dir/out")"
run 0 campaign cancel "$(cat "$dir/out")"
run 5 campaign start --name nothing --import 999
err_has "import_not_found"
run 5 campaign start --name nothing --iccids "$dir/unknown.txt"
err_has "card_not_found"
run 2 campaign start --name nothing --iccids "$dir/cards.csv"
err_has "line 1: not an ICCID"
run 5 campaign show 999
err_has "campaign_not_found"
run 5 campaign cancel 999
run 5 campaign failed 999

kill -TERM $otad_pid
wait $otad_pid || fail "simpki-otad did not stop cleanly"
otad_pid=""
[ $failures -eq 0 ] || { echo "$failures failures" >&2; exit 1; }
echo "simpki-admin-campaign: all passed"
