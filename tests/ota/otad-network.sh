#!/bin/sh
# simpki-otad against the real Osmocom core network with simulated phones (run by in-netns.sh):
#   hundred      100 cards imported, one RFM read of EF.ICCID each: all 100 PoRs verified, matched to their job,
#                each carrying its own card's ICCID; no counter used twice
#   kill         simpki-otad killed with SIGKILL while 30 jobs run, and started again: every job ends exactly
#                once (one final event each), no counter of a card used twice
#   wrong-key    the server has a wrong key for one card: the SIM's refusal (PoR status 01, no checksum) ends its
#                job within seconds as por-error 01, marked as not authenticated; the other card's job is not
#                disturbed
#   unknown-tar  a job to a TAR the SIM does not have ends as por-error 09
#   off-once     a job that must not run twice (UPDATE BINARY) to a phone that is off ends unknown at its deadline
#                and is never sent again; when the phone attaches, the SMSC delivers the packet, the SIM runs it
#                once, and its late PoR ends the job as por-ok (the card's counter is the job's only counter)
#   retry-once   an idempotent job (a read) to a phone that is off is tried 3 times and times out; when the phone
#                attaches, the SIM answers the tries, and the first PoR ends the job once
#   msc-restart  osmo-msc (MSC and SMSC) stopped and started again while 20 jobs run: nothing lost, every job
#                ends with its PoR; the SMPP link was made again
#   forward      'job delivery-mode forward' (SMPP transaction mode): an attached phone's job gets its PoR at once
#                (also a packet of several SMS, its parts submitted one after another),
#                without the SMS queue's tick; a job that must not run twice (UPDATE BINARY) to a phone that is off
#                ends failed at once with the reason, and when the phone attaches again nothing is delivered: the
#                SIM never saw a packet (its counter is 0)
#   cancel       with the bind at one submit_sm a second, a job whose SMS still waits in the bind's queue is
#                cancelled: it never reaches osmo-msc (its SIM never sees a packet: the SIM's counter stays 0); a job
#                whose SMS went out cannot be cancelled
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

# wait_final N SECONDS: until N jobs are over
wait_final() {
	wf_t=0
	while :; do
		vty "show jobs" > "$dir/jobs.out"
		done_n=$(awk '$1 ~ /^(por-ok|por-error|timed-out|failed|unknown)$/ { n += $2 } END { print n + 0 }' "$dir/jobs.out")
		[ "$done_n" -ge "$1" ] && return 0
		[ $wf_t -lt $(($2 * 2)) ] || { fail "only $done_n of $1 jobs ended after $2 s: $(tr '\n' ' ' < "$dir/jobs.out")"; return 1; }
		sleep 0.5
		wf_t=$((wf_t + 1))
	done
}

db() {
	sqlite3 "$dir/otad/otad.db" "$1"
}

# wait_state ID STATE SECONDS: until job ID is in STATE
wait_state() {
	ws_t=0
	until vty "show job $1" | grep -q "^job $1 .* state $2 "; do
		[ $ws_t -lt $(($3 * 2)) ] || { fail "job $1 not $2 after $3 s: $(vty "show job $1" | grep "^job")"; return 1; }
		sleep 0.5
		ws_t=$((ws_t + 1))
	done
}

# every job ended once: one end (por-ok, por-error, failed), or over without one (timed-out, unknown) and then at
# most that end (a late PoR); no (card, counter) was sent twice
check_exactly_once() {
	bad=$(db "SELECT job, count(*) FROM job_events WHERE state IN ('por-ok', 'por-error', 'failed')
		GROUP BY job HAVING count(*) != 1")
	[ -z "$bad" ] || fail "jobs with more than one end: $bad"
	bad=$(db "SELECT job, count(*) FROM job_events WHERE state IN ('timed-out', 'unknown') GROUP BY job HAVING count(*) != 1")
	[ -z "$bad" ] || fail "jobs over more than once: $bad"
	n_jobs=$(db "SELECT count(*) FROM jobs")
	n_final=$(db "SELECT count(DISTINCT job) FROM job_events WHERE state IN ('por-ok', 'por-error', 'failed', 'timed-out', 'unknown', 'cancelled')")
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
wrong-key)
	# the server holds a wrong KID for card 000: the SIM refuses its packet with PoR status 01 and no checksum,
	# which ends the job at once (its try would last 60 s); card 001's job is not disturbed
	cards 2 || exit 1
	config 60 0
	sed -i '2s/,aes,[0-9A-F]*$/,aes,00112233445566778899AABBCCDDEEFF/' "$dir/cards.csv"
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	start_phones phone --cards "$dir/cards" || exit 1
	vty "import cards $dir/cards.csv" > /dev/null
	jobs_for_all
	wait_final 2 30
	vty "show job 1" "show job 2" > "$dir/show.out"
	grep -q "^job 1 .* state por-error .* PoR status 01 not authenticated .*RC/CC/DS failed" "$dir/show.out" ||
		fail "job 1: $(grep '^job 1' "$dir/show.out")"
	grep -q "^job 2 .* state por-ok" "$dir/show.out" || fail "job 2: $(grep '^job 2' "$dir/show.out")"
	took=$(db "SELECT updated_at - created_at FROM jobs WHERE id = 1")
	[ "$took" -lt 20000 ] || fail "the refusal took $took ms to end the job"
	grep -q "ota-job(1-$(luhn 898401000000000000)).*por-error: PoR status 01 (RC/CC/DS failed), not authenticated" \
		"$dir/otad.log" || fail "the log does not name the job, its card and the status: $(grep 'ota-job(1-' "$dir/otad.log" | tail -n 3)"
	check_exactly_once
	;;
unknown-tar)
	cards 1 || exit 1
	config 60 0
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	start_phones phone --cards "$dir/cards" || exit 1
	vty "import cards $dir/cards.csv" > /dev/null
	vty "job create $(luhn 898401000000000000) b0ffff 00A4000C022FE2" > /dev/null
	wait_final 1 30
	vty "show job 1" > "$dir/show.out"
	grep -q "^job 1 .* state por-error .* PoR status 09" "$dir/show.out" || fail "job 1: $(grep '^job 1' "$dir/show.out")"
	grep -q "TAR unknown" "$dir/show.out" || fail "the status is not named: $(grep '^job 1' "$dir/show.out")"
	check_exactly_once
	;;
off-once)
	# EF.AD's MNC length set to 3: a write, so the job is sent at most once
	cards 1 || exit 1
	config 5 2
	printf 'default delay 0\nphone 001010000000000 off 3 25\n' > "$dir/scenario"
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	start_phones phone --cards "$dir/cards" --scenario "$dir/scenario" || exit 1
	wait_for "$dir/phone.log" "001010000000000 switched off (IMSI detach)" 20 || exit 1
	vty "import cards $dir/cards.csv" > /dev/null
	vty "job create $(luhn 898401000000000000) b00010 00A4080C047F206FAD 00D600000400000003" > "$dir/create.out"
	grep -q "^job 1" "$dir/create.out" || fail "job create: $(cat "$dir/create.out")"
	wait_state 1 unknown 20
	vty "show job 1" | grep -q "tries 1 .*outcome unknown.*(at most once)" || fail "job 1: $(vty "show job 1" | grep '^job')"
	wait_state 1 por-ok 60
	states=$(db "SELECT group_concat(state, ' ') FROM (SELECT state FROM job_events WHERE job = 1 AND detail != 'created' ORDER BY id)")
	[ "$states" = "submitted delivered unknown por-ok" ] ||
		fail "job 1 went through: $(db "SELECT group_concat(state || ': ' || detail, '; ') FROM job_events WHERE job = 1")"
	db "SELECT detail FROM job_events WHERE job = 1 AND state = 'por-ok'" | grep -q ", late$" || fail "the PoR is not marked late"
	counter=$(db "SELECT counter FROM jobs WHERE id = 1")
	[ "$(db "SELECT attempts || ' ' || counters FROM jobs WHERE id = 1")" = "1 $counter" ] ||
		fail "more than one try: $(db "SELECT attempts, counters FROM jobs WHERE id = 1")"
	stop_phones
	"$card" info --state "$dir/cards/000" > "$dir/info.out"
	grep -q "OTA key set 1: .*counter $counter$" "$dir/info.out" ||
		fail "the SIM's counter is not the job's only one ($counter): $(grep 'OTA key set' "$dir/info.out")"
	check_exactly_once
	;;
retry-once)
	cards 1 || exit 1
	config 4 2
	printf 'default delay 0\nphone 001010000000000 off 3 22\n' > "$dir/scenario"
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	start_phones phone --cards "$dir/cards" --scenario "$dir/scenario" || exit 1
	wait_for "$dir/phone.log" "001010000000000 switched off (IMSI detach)" 20 || exit 1
	vty "import cards $dir/cards.csv" > /dev/null
	jobs_for_all
	wait_state 1 timed-out 30
	wait_state 1 por-ok 60
	[ "$(db "SELECT attempts FROM jobs WHERE id = 1")" = 3 ] || fail "not 3 tries: $(db "SELECT attempts, counters FROM jobs WHERE id = 1")"
	sleep 3 # the later tries' PoRs arrive too, and end nothing
	[ "$(db "SELECT count(*) FROM job_events WHERE job = 1 AND state = 'por-ok'")" = 1 ] || fail "job 1 ended more than once"
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
forward)
	cards 2 || exit 1
	config 20 2
	sed -i 's/job delivery-mode store/job delivery-mode forward/' "$dir/otad/simpki-otad.cfg"
	printf 'default delay 0\nphone 001010000000001 off 3 15\n' > "$dir/scenario"
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	start_phones phone --cards "$dir/cards" --scenario "$dir/scenario" || exit 1
	wait_for "$dir/phone.log" "001010000000001 switched off (IMSI detach)" 20 || exit 1
	vty "import cards $dir/cards.csv" > /dev/null
	# the attached phone: an RFM read, delivered in transaction mode
	vty "job create $(luhn 898401000000000000) b00010 00A4000C022FE2 00B000000A" > "$dir/create.out"
	grep -q "^job 1" "$dir/create.out" || fail "job create: $(cat "$dir/create.out")"
	wait_state 1 por-ok 10
	vty "show job 1" | grep -q "last data $(iccid_ef "$(luhn 898401000000000000)") (idempotent) mode forward SPI 1639 KVN 1" ||
		fail "job 1: $(vty "show job 1" | grep '^job')"
	db "SELECT detail FROM job_events WHERE job = 1 AND state = 'delivered'" | grep -q "the phone took the SMS (forward mode)" ||
		fail "job 1 was not delivered in forward mode: $(db "SELECT group_concat(state || ': ' || detail, '; ') FROM job_events WHERE job = 1")"
	took=$(db "SELECT updated_at - created_at FROM jobs WHERE id = 1")
	[ "$took" -lt 900 ] || fail "the forward job took $took ms (the SMS queue's tick is 1 s)"
	# the phone that is off: a write, at most once; the SMSC says at once that it cannot deliver it
	vty "job create $(luhn 898401000000000001) b00010 00A4080C047F206FAD 00D600000400000003" > "$dir/create.out"
	grep -q "^job 2" "$dir/create.out" || fail "job create: $(cat "$dir/create.out")"
	wait_state 2 failed 15
	vty "show job 2" | grep -q "tries 1 error: not delivered: the phone .*forward mode: nothing stored, the script did not run) (at most once) mode forward" ||
		fail "job 2: $(vty "show job 2" | grep '^job')"
	# the phone attaches again: nothing was stored, nothing comes
	t=0
	until [ "$(grep -c "001010000000001 attached" "$dir/phone.log")" -ge 2 ]; do
		[ $t -lt 300 ] || { fail "phone 001 did not attach again"; break; }
		sleep 0.1
		t=$((t + 1))
	done
	sleep 5 # the SMS queue would deliver anything stored for it within a second or two
	[ "$(db "SELECT count(*) FROM job_events WHERE job = 2 AND id > (SELECT max(id) FROM job_events WHERE job = 2 AND state = 'failed')")" = 0 ] ||
		fail "job 2 changed after it failed: $(db "SELECT group_concat(state || ': ' || detail, '; ') FROM job_events WHERE job = 2")"
	# a packet of several SMS in forward mode (as a signing request with a UCS2 text): the parts go one after
	# another, each once the phone took the one before; the PoR comes as for one SMS
	apdus=""
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do apdus="$apdus 00A4000C022FE2 00B000000A"; done
	vty "job create $(luhn 898401000000000000) b00010$apdus" > "$dir/create.out"
	grep -q "^job 3" "$dir/create.out" || fail "job create: $(cat "$dir/create.out")"
	wait_state 3 por-ok 15
	db "SELECT detail FROM job_events WHERE job = 3 AND state = 'submitted'" | grep -q "in [2-4] SMS, forward mode" ||
		fail "job 3 was not one packet of several SMS: $(db "SELECT group_concat(state || ': ' || detail, '; ') FROM job_events WHERE job = 3")"
	vty "show job 3" | grep -q "last data $(iccid_ef "$(luhn 898401000000000000)")" || fail "job 3: $(vty "show job 3" | grep '^job')"
	stop_phones
	"$card" info --state "$dir/cards/001" > "$dir/info.out"
	grep -q "OTA key set 1: .*counter 0$" "$dir/info.out" ||
		fail "the SIM that was off got a packet: $(grep 'OTA key set' "$dir/info.out")"
	check_exactly_once
	echo "forward: job 1's PoR after $took ms; job 2: $(db "SELECT error FROM jobs WHERE id = 2")" >&2
	;;
cancel)
	cards 2 || exit 1
	config 20 2
	sed -i 's/^  rate 0$/  rate 1/' "$dir/otad/simpki-otad.cfg"
	start_otad "$dir/otad/simpki-otad.cfg" || exit 1
	start_phones phone --cards "$dir/cards" || exit 1
	vty "import cards $dir/cards.csv" > /dev/null
	a=$(luhn 898401000000000000)
	b=$(luhn 898401000000000001)
	# at most one submit_sm a second: card A's two reads go first, card B's write waits in the bind's queue
	vty "job create $a b00010 00A4000C022FE2 00B000000A" "job create $a b00010 00A4000C022FE2 00B000000A" \
		"job create $b b00010 00A4080C047F206FAD 00D600000400000003" "job cancel 3" "job cancel 1" \
		"show job 3" > "$dir/cancel.out"
	grep -q "^job 3 cancelled" "$dir/cancel.out" || fail "job cancel 3: $(cat "$dir/cancel.out")"
	grep -q "job 1 is .*: its SMS went to the SMSC, so it can no longer be cancelled" "$dir/cancel.out" ||
		fail "job cancel 1: $(grep '%' "$dir/cancel.out")"
	grep -q "^job 3 .* state cancelled .*error: cancelled by the operator" "$dir/cancel.out" ||
		fail "show job 3: $(grep '^job 3' "$dir/cancel.out")"
	wait_state 2 por-ok 20
	sleep 3 # a submit left in the queue would have gone by now, at one a second
	stop_phones
	"$card" info --state "$dir/cards/001" > "$dir/info.out"
	grep -q "OTA key set 1: .*counter 0$" "$dir/info.out" ||
		fail "the cancelled job's SIM got a packet: $(grep 'OTA key set' "$dir/info.out")"
	check_exactly_once
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
