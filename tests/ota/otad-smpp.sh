#!/bin/sh
# simpki-otad's SMPP binds where a real SMSC cannot be made to misbehave (run by in-netns.sh; fake SMSCs,
# tests/ota/fake-smsc.py):
#   a submit_sm that is never answered frees its window slot after 'response-timeout' and is sent again (logged,
#   counted as smpp:resp_timeouts); the bind is not wedged: later submits go through and nothing stays in flight;
#   'show smpp' says "unlimited" for a bind without a rate limit;
#   a forward-mode submit (esm_class 0x42) never answered frees its window slot but is not sent again, and its job,
#   which must not run twice, ends unknown at its deadline;
#   a job whose SMS waits in the bind's queue (the window is full) is cancelled and never reaches the SMSC; a job
#   whose SMS went out cannot be cancelled (409);
#   two binds share the load: 20 jobs' submits go to both, not only to the first.
# Usage: otad-smpp.sh SIMPKI_OTAD SOURCE_DIR
set -u
otad=$1
src=$2
command -v python3 > /dev/null || { echo "otad-smpp.sh: python3 missing: skipped" >&2; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad-smpp.XXXXXX")
otad_pid=""
smsc_pids=""
export SIMPKI_API_TOKEN=admin-token-for-the-test-0123456789
failures=0
trap '[ -z "$otad_pid" ] || kill -KILL $otad_pid 2> /dev/null; for p in $smsc_pids; do kill $p 2> /dev/null; done; rm -rf "$dir"' EXIT
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
. "$src/tests/ota/otad-lib.sh"

# config FILE [SECOND_PORT]: the example configuration, the first bind with a 2 s response time-out, and a second
# bind to 127.0.0.1:SECOND_PORT
config() {
	mkdir -p "$dir/conf"
	sed 's/job timeout 60/job timeout 30/; s/^  response-timeout 10$/  response-timeout 2/' \
		"$src/ota-server/simpki-otad.cfg.example" > "$1"
	if [ -n "${2:-}" ]; then
		printf ' smsc second\n  remote-ip 127.0.0.1\n  remote-port %s\n  system-id simpki\n  password simpki\n  window 50\n' "$2" >> "$1"
	fi
}

# cards N: N cards in $dir/cards.csv
cards() {
	printf 'iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid\n' > "$dir/cards.csv"
	python3 - "$1" >> "$dir/cards.csv" <<'PY'
import sys
def luhn(d):
    s = 0
    for i, c in enumerate(reversed(d)):
        n = int(c) * (2 if i % 2 == 0 else 1)
        s += n - 9 if n > 9 else n
    return d + str((10 - s % 10) % 10)
for i in range(int(sys.argv[1])):
    print("%s,00101000000%04d,3%03d,1,aes,8C4A1F0B3E2D5A697788A9BACBDCEDFE,aes,1E2D3C4B5A69788796A5B4C3D2E1F00F"
          % (luhn("89840100000000%04d" % i), i, i))
PY
}

# wait_line FILE TEXT SECONDS
wait_line() {
	wl_t=0
	until grep -q -- "$2" "$1" 2> /dev/null; do
		[ $wl_t -lt $(($3 * 10)) ] || { fail "no '$2' in $(basename "$1") after $3 s: $(cat "$1" 2> /dev/null)"; return 1; }
		sleep 0.1
		wl_t=$((wl_t + 1))
	done
}

# ---- a submit_sm never answered ----
python3 "$src/tests/ota/fake-smsc.py" --no-throttle --silent 1 --serve 20 "$dir/smsc.out" &
smsc_pids=$!
sleep 0.5
config "$dir/conf/simpki-otad.cfg"
cards 2
start_otad "$dir/conf/simpki-otad.cfg" || exit 1
iccid1=$(sed -n 2p "$dir/cards.csv" | cut -d, -f1)
iccid2=$(sed -n 3p "$dir/cards.csv" | cut -d, -f1)
vty "import cards $dir/cards.csv" "job create $iccid1 b00010 00A4000C022FE2" > /dev/null
wait_line "$dir/smsc.out" "submit_sm 1 not answered" 10
vty "show smpp" > "$dir/smpp1.out"
grep -q "1 in flight (window 50, rate unlimited)" "$dir/smpp1.out" || fail "show smpp while it waits: $(cat "$dir/smpp1.out")"
# after 2 s the slot is free and the submit goes again (after its back-off)
wait_line "$dir/smsc.out" "submit_sm 2 answered 0x00" 10
grep -q "no answer to submit_sm .* in 2 s: its window slot is free again" "$dir/otad.log" || fail "the time-out is not logged"
ctrl rate_ctr.abs.otad.0.smpp:resp_timeouts > "$dir/ctrl.out"
grep -q "resp_timeouts 1$" "$dir/ctrl.out" || fail "the time-out is not counted: $(cat "$dir/ctrl.out")"
# the bind is not wedged: another job's submit goes through at once
vty "job create $iccid2 b00010 00A4000C022FE2" > /dev/null
wait_line "$dir/smsc.out" "submit_sm 3 answered 0x00" 5
vty "show smpp" > "$dir/smpp2.out"
grep -q ": BOUND, 0 queued, 0 in flight" "$dir/smpp2.out" || fail "show smpp afterwards: $(cat "$dir/smpp2.out")"
vty "show job 1" | grep -q "state delivered" || fail "job 1: $(vty "show job 1" | grep '^job')"
kill -TERM $otad_pid
wait $otad_pid || fail "simpki-otad did not stop cleanly (exit $?)"
otad_pid=""
for p in $smsc_pids; do kill $p 2> /dev/null; wait $p 2> /dev/null; done

# ---- a forward submit never answered: unknown, never sent again ----
python3 "$src/tests/ota/fake-smsc.py" --no-throttle --silent 1 --serve 15 "$dir/smsc.out" &
smsc_pids=$!
sleep 0.5
rm -rf "$dir/conf" "$dir/otad.log"
config "$dir/conf/simpki-otad.cfg"
sed -i 's/job timeout 30/job timeout 5/; s/job delivery-mode store/job delivery-mode forward/' "$dir/conf/simpki-otad.cfg"
cards 1
start_otad "$dir/conf/simpki-otad.cfg" || exit 1
iccid1=$(sed -n 2p "$dir/cards.csv" | cut -d, -f1)
# UPDATE BINARY: a write, sent at most once
vty "import cards $dir/cards.csv" "job create $iccid1 b00010 00D6000001FF" > /dev/null
wait_line "$dir/smsc.out" "submit_sm 1 not answered, esm_class 0x42" 10
wait_line "$dir/otad.log" "forward submit_sm .* no answer in 2 s (the SMSC may be paging): its window slot is free" 10
vty "show smpp" > "$dir/smpp3.out"
grep -q ": BOUND, 0 queued, 0 in flight" "$dir/smpp3.out" || fail "show smpp after the response time-out: $(cat "$dir/smpp3.out")"
wait_line "$dir/otad.log" "ota-job(1-$iccid1).*{submitted}: unknown: outcome unknown: no PoR in 5 s and no answer from the SMSC" 10
vty "show job 1" > "$dir/job1.out"
grep -q "state unknown .*tries 1 .*(at most once) mode forward" "$dir/job1.out" || fail "job 1: $(grep '^job' "$dir/job1.out")"
sleep 3 # the resp timer and any back-off would have sent it again by now
[ "$(grep -c '^submit_sm' "$dir/smsc.out")" = 1 ] || fail "the forward submit was sent again: $(cat "$dir/smsc.out")"
kill -TERM $otad_pid
wait $otad_pid || fail "simpki-otad did not stop cleanly (exit $?)"
otad_pid=""
for p in $smsc_pids; do kill $p 2> /dev/null; wait $p 2> /dev/null; done

# ---- a job cancelled while its SMS waits in the bind's queue never reaches the SMSC ----
python3 "$src/tests/ota/fake-smsc.py" --no-throttle --silent 1 --serve 15 "$dir/smsc.out" &
smsc_pids=$!
sleep 0.5
rm -rf "$dir/conf" "$dir/otad.log"
config "$dir/conf/simpki-otad.cfg"
sed -i 's/^  window 50$/  window 1/; s/^  response-timeout 2$/  response-timeout 4/' "$dir/conf/simpki-otad.cfg"
cards 2
start_otad "$dir/conf/simpki-otad.cfg" || exit 1
iccid1=$(sed -n 2p "$dir/cards.csv" | cut -d, -f1)
iccid2=$(sed -n 3p "$dir/cards.csv" | cut -d, -f1)
msisdn2=$(sed -n 3p "$dir/cards.csv" | cut -d, -f3)
vty "import cards $dir/cards.csv" "job create $iccid1 b00010 00A4000C022FE2" > /dev/null
wait_line "$dir/smsc.out" "submit_sm 1 not answered" 10
# job 1 holds the only window slot: job 2's SMS waits in the bind's queue
printf '{"iccid": "%s", "tar": "b00010", "apdus": ["00D6000001FF"]}' "$iccid2" > "$dir/job2.json"
out=$(curl -s -w ' %{http_code}' -H "Authorization: Bearer $SIMPKI_API_TOKEN" --data-binary @"$dir/job2.json" \
	http://127.0.0.1:8480/v1/jobs)
case $out in *'{"id":2} 201') ;; *) fail "POST /v1/jobs: $out" ;; esac
out=$(curl -s -w ' %{http_code}' -X DELETE -H "Authorization: Bearer $SIMPKI_API_TOKEN" http://127.0.0.1:8480/v1/jobs/2)
case $out in *'"state":"cancelled"'*' 200') ;; *) fail "DELETE /v1/jobs/2: $out" ;; esac
out=$(curl -s -w ' %{http_code}' -X DELETE -H "Authorization: Bearer $SIMPKI_API_TOKEN" http://127.0.0.1:8480/v1/jobs/1)
case $out in *'"code":"job_not_cancellable"'*' 409') ;; *) fail "DELETE /v1/jobs/1 (its SMS is out): $out" ;; esac
out=$(curl -s -w ' %{http_code}' -X DELETE -H "Authorization: Bearer $SIMPKI_API_TOKEN" http://127.0.0.1:8480/v1/jobs/2)
case $out in *'"code":"job_not_cancellable"'*'is cancelled: it is over'*' 409') ;; *) fail "DELETE /v1/jobs/2 again: $out" ;; esac
# job 1's slot frees after 4 s and it goes again; job 2 never goes
wait_line "$dir/smsc.out" "submit_sm 2 answered" 15
sleep 1
grep -q "to $msisdn2\$" "$dir/smsc.out" && fail "a cancelled job reached the SMSC: $(cat "$dir/smsc.out")"
vty "show jobs state cancelled" | grep -q "^ *2 $iccid2 .* cancelled" || fail "show jobs state cancelled: $(vty "show jobs state cancelled")"
kill -TERM $otad_pid
wait $otad_pid || fail "simpki-otad did not stop cleanly (exit $?)"
otad_pid=""
for p in $smsc_pids; do kill $p 2> /dev/null; wait $p 2> /dev/null; done

# ---- two binds share the load ----
python3 "$src/tests/ota/fake-smsc.py" --no-throttle --serve 30 "$dir/a.out" &
smsc_pids=$!
python3 "$src/tests/ota/fake-smsc.py" --no-throttle --serve 30 --port 2776 "$dir/b.out" &
smsc_pids="$smsc_pids $!"
sleep 0.5
rm -rf "$dir/conf"
config "$dir/conf/simpki-otad.cfg" 2776
cards 20
start_otad "$dir/conf/simpki-otad.cfg" || exit 1
wait_line "$dir/a.out" bound 10
wait_line "$dir/b.out" bound 10
set -- "import cards $dir/cards.csv"
for iccid in $(sed 1d "$dir/cards.csv" | cut -d, -f1); do
	set -- "$@" "job create $iccid b00010 00A4000C022FE2"
done
vty "$@" > /dev/null
t=0
until [ "$(cat "$dir/a.out" "$dir/b.out" | grep -c 'answered 0x00')" -ge 20 ] || [ $t -gt 100 ]; do
	sleep 0.1
	t=$((t + 1))
done
na=$(grep -c 'answered 0x00' "$dir/a.out")
nb=$(grep -c 'answered 0x00' "$dir/b.out")
[ $((na + nb)) = 20 ] || fail "$na + $nb submits, not 20"
[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || fail "the binds did not share the load: $na and $nb submits"
kill -TERM $otad_pid
wait $otad_pid || fail "simpki-otad did not stop cleanly (exit $?)"
otad_pid=""
[ $failures -eq 0 ] || { tail -n 20 "$dir/otad.log" >&2; exit 1; }
echo "otad-smpp.sh: all checks passed ($na and $nb submits on the two binds)"
