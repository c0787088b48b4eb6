#!/bin/sh
# Wait until the card in reader 0 answers a command (at most SECONDS, default 10). An ATR alone is not enough:
# pcscd keeps the last ATR until its vpcd driver notices the old connection is gone, and a command sent before
# then fails. Exit 0 when the card answers, 1 otherwise.
n=0
limit=$((${1:-10} * 10))
until opensc-tool --reader 0 --send-apdu 00A404000CF276A288BCFBA69D34F31001 2> /dev/null | grep -q "SW1=0x90"; do
	n=$((n + 1))
	if [ $n -gt $limit ]; then
		echo "wait-card: no card answering in the reader after ${1:-10} s" >&2
		exit 1
	fi
	sleep 0.1
done
