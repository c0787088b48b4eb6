#!/bin/sh
# simpki-otad against the real Osmocom core network with simulated phones (run by in-netns.sh):
#   hundred      100 cards imported, one RFM read of EF.ICCID each: all 100 PoRs verified, matched to their job,
#                each carrying its own card's ICCID; no counter used twice
#   kill         simpki-otad killed with SIGKILL while 30 jobs run, and started again: every job ends exactly
#                once (one final event each), no counter of a card used twice
#   wrong-cc     the server has a wrong key for one card: the SIM's PoR (status 01, no checksum) is logged and
#                counted and ends nothing, the job times out; the other card's job is not disturbed
#   msc-restart  osmo-msc (MSC and SMSC) stopped and started again while 20 jobs run: nothing lost, every job
#                ends with its PoR; the SMPP link was made again
# Usage: otad-network.sh MODE BUILD_DIR SOURCE_DIR
set -u
mode=$1
build=$2
src=$3
. "$src/tests/network/phones-lib.sh"
. "$src/tests/ota/otad-lib.sh"
otad_pid=""
trap 'cleanup; [ -z "$otad_pid" ] || kill -KILL $otad_pid 2> /dev/null' EXIT

# config TIMEOUT RETRIES: simpki-otad's configuration in $dir/otad (the example, with these job settings)
config() {
	mkdir -p "$dir/otad"
	sed "s/job timeout 60/job timeout $1/; s/job retries 2/job retries $2/" \
		"$src/ota-server/simpki-otad.cfg.example" > "$dir/otad/simpki-otad.cfg"
}

# jobs_for_all: one RFM read of EF.ICCID for every card of cards.csv
jobs_for_all() {
	set --
	for iccid in $(sed 1d "$dir/cards.csv" | cut -d, -f1); do
		set -- "$@" "job create $iccid b00010 00A4000C022FE2 00B000000A"
	done
	vty "$@" > "$dir/create.out"
	[ "$(grep -c '^job [0-9]' "$dir/create.out")" = "$(($(wc -l < "$dir/cards.csv") - 1))" ] ||
		fail "not every job was created: $(grep '%' "$dir/create.out" | head -n 3)"
}

# wait_final N SECONDS: until N jobs are in a final state
wait_final() {
	wf_t=0
	while :; do
		vty "show jobs" > "$dir/jobs.out"
		done_n=$(awk '$1 ~ /^(por-ok|por-error|timed-out|failed)$/ { n += $2 } END { print n + 0 }' "$dir/jobs.out")
		[ "$done_n" -ge "$1" ] && return 0
		[ $wf_t -lt $(($2 * 2)) ] || { fail "only $done_n of $1 jobs ended after $2 s: $(tr '\n' ' ' < "$dir/jobs.out")"; return 1; }
		sleep 0.5
		wf_t=$((wf_t + 1))
	done
}

db() {
	sqlite3 "$dir/otad/otad.db" "$1"
}

# every job has exactly one final event; no (card, counter) was sent twice
check_exactly_once() {
	bad=$(db "SELECT job, count(*) FROM job_events WHERE state IN ('por-ok', 'por-error', 'timed-out', 'failed')
		GROUP BY job HAVING count(*) != 1")
	[ -z "$bad" ] || fail "jobs with more than one end: $bad"
	n_jobs=$(db "SELECT count(*) FROM jobs")
	n_final=$(db "SELECT count(DISTINCT job) FROM job_events WHERE state IN ('por-ok', 'por-error', 'timed-out', 'failed')")
	[ "$n_jobs" = "$n_final" ] || fail "$n_final of $n_jobs jobs ended"
	db "SELECT j.iccid, e.detail FROM job_events e JOIN jobs j ON j.id = e.job WHERE e.detail LIKE 'try %: counter %'" |
		sed 's/|try [0-9]*: counter \([0-9]*\) .*/ \1/' | sort | uniq -d > "$dir/reused"
	[ ! -s "$dir/reused" ] || fail "counters used twice: $(head -n 5 "$dir/reused")"
}

"$net" start "$dir/net" > /dev/null || { echo "FAIL: osmo-net start" >&2; exit 1; }
case $mode in
hundred)
	cards 100 || exit 1
	config 30 2
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	start_phones phone --cards "$dir/cards" || exit 1
	vty "import cards $dir/cards.csv" > "$dir/import.out"
	grep -q "imported 100 cards" "$dir/import.out" || fail "import: $(cat "$dir/import.out")"
	jobs_for_all
	wait_final 100 90
	grep -q "^por-ok 100" "$dir/jobs.out" || fail "not 100 PoRs OK: $(tr '\n' ' ' < "$dir/jobs.out")"
	set --
	i=1
	while [ $i -le 100 ]; do
		set -- "$@" "show job $i"
		i=$((i + 1))
	done
	vty "$@" > "$dir/show.out"
	tr -d '\r' < "$dir/show.out" | grep '^job [0-9]' | while read -r _ id _ iccid _ _ _ state _ _ _ _ _ _ _ _ _ _ _ _ _ _ data _; do
		[ "$state" = por-ok ] && [ "$data" = "$(iccid_ef "$iccid")" ] || echo "job $id ($iccid): $state, $data"
	done > "$dir/wrong"
	[ ! -s "$dir/wrong" ] || fail "PoRs not matching their card: $(head -n 3 "$dir/wrong")"
	ctrl rate_ctr.abs.otad.0.ota:por_ok > "$dir/ctrl.out"
	grep -q "por_ok 100" "$dir/ctrl.out" || fail "CTRL: $(cat "$dir/ctrl.out")"
	check_exactly_once
	;;
kill)
	cards 30 || exit 1
	config 10 3
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	start_phones phone --cards "$dir/cards" || exit 1
	vty "import cards $dir/cards.csv" > /dev/null
	jobs_for_all
	kill -KILL $otad_pid
	wait $otad_pid 2> /dev/null
	otad_pid=""
	sleep 2
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	grep -q "jobs resumed" "$dir/otad.log" || echo "note: no job was still running at the restart" >&2
	wait_final 30 120
	check_exactly_once
	grep -q "^por-ok 30" "$dir/jobs.out" || fail "not 30 PoRs OK after the restart: $(tr '\n' ' ' < "$dir/jobs.out")"
	;;
wrong-cc)
	# the server holds a wrong KID for card 000: the SIM refuses its packet (PoR status 01, no checksum), which
	# ends nothing but is counted; the job times out. Card 001's job is not disturbed.
	cards 2 || exit 1
	config 5 0
	sed -i '2s/,aes,[0-9A-F]*$/,aes,00112233445566778899AABBCCDDEEFF/' "$dir/cards.csv"
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	start_phones phone --cards "$dir/cards" || exit 1
	vty "import cards $dir/cards.csv" > /dev/null
	jobs_for_all
	wait_final 2 60
	vty "show job 1" "show job 2" > "$dir/show.out"
	grep -q "^job 1 .* state timed-out" "$dir/show.out" || fail "job 1: $(grep '^job 1' "$dir/show.out")"
	grep -q "^job 2 .* state por-ok" "$dir/show.out" || fail "job 2: $(grep '^job 2' "$dir/show.out")"
	ctrl rate_ctr.abs.otad.0.ota:por_unverified > "$dir/ctrl.out"
	grep -q "por_unverified 1" "$dir/ctrl.out" || fail "the unverified PoR is not counted: $(cat "$dir/ctrl.out")"
	grep -q "checksum does not verify" "$dir/otad.log" || fail "the unverified PoR is not logged"
	check_exactly_once
	;;
msc-restart)
	cards 20 || exit 1
	config 15 3
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	start_phones phone --cards "$dir/cards" --periodic 3 || exit 1
	vty "import cards $dir/cards.csv" > /dev/null
	jobs_for_all
	"$net" restart-msc "$dir/net" > /dev/null || fail "osmo-net restart-msc"
	wait_final 20 150
	check_exactly_once
	grep -q "^por-ok 20" "$dir/jobs.out" || fail "not 20 PoRs OK after the MSC restart: $(tr '\n' ' ' < "$dir/jobs.out")"
	ctrl rate_ctr.abs.otad.0.smpp:reconnects > "$dir/ctrl.out"
	grep -q "reconnects [1-9]" "$dir/ctrl.out" || fail "no SMPP reconnect counted: $(cat "$dir/ctrl.out")"
	;;
*)
	echo "otad-network.sh: unknown mode $mode" >&2
	exit 2
	;;
esac
stop_phones
kill -TERM $otad_pid
wait $otad_pid || fail "simpki-otad did not stop cleanly"
otad_pid=""
[ $failures -eq 0 ] || { tail -n 30 "$dir/otad.log" >&2; exit 1; }
echo "otad-network.sh $mode: all checks passed"
