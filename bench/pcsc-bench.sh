#!/bin/sh
# PC/SC benchmark driver, run by tests/pcsc/with-reader.sh (which starts pcscd and the simulated SIM in slot 0):
# starts the bare vpcd card in slot 1, runs pcsc-apdus (SELECT, then the NVM-writing mix; see pcsc-apdus.c), stops
# the bare card. Usage (inside with-reader):
# pcsc-bench.sh VPCD_ECHO PCSC_APDUS SECONDS
set -u
"$1" 35964 &
echo_pid=$!
n=0
until opensc-tool --reader 1 --atr > /dev/null 2>&1 || [ $n -gt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
"$2" --seconds "$3"
rc=$?
kill $echo_pid 2> /dev/null
wait $echo_pid 2> /dev/null
exit $rc
