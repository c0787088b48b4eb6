#!/bin/sh
# The provisioning-campaign part of the demonstration (called by demo/demo.sh inside tests/network/in-netns.sh, so
# the fixed ports of the network, the CA and the OTA server are private): the operator's CA (simpki-ca) and OTA
# server (simpki-otad, the CA's registration authority), five officials' SIMs as the vendor ships them (the PKI
# applet with a transport PIN, no PKCS#15 structure) in simulated phones attached to osmo-msc, the vendor's file
# and the officials imported with simpki-admin, and one campaign that personalises every SIM and gives it a P-256
# signing key and its certificate over the air, watched with 'simpki-admin campaign watch'. Then one SIM's
# certificate is checked with OpenSSL (chain, OCSP); a public-service portal has that official sign a decision with
# simpki-sign through simpki-otad's relying-party API: the phone shows the Vietnamese text and the verification code
# (simpki-phone's screen log), the official types the PIN, the SIM signs, and openssl cms -verify accepts the
# detached CMS signature. Then, with everything still running, demo/lifecycle.sh: the officials' two provinces merge
# and their certificates are re-issued over the air for the same keys, a counter resets a blocked PIN over the air,
# an auditor verifies the audit trail. Last the SIM itself says it generated one key.
# Usage: demo/campaign.sh BUILD_DIR WORK_DIR STEP   (prints its steps numbered from STEP + 1, leaves WORK_DIR/step)
set -eu
build=$(cd "$1" && pwd)
work=$(cd "$2" && pwd)
step=$3
net=$build/simulator/net/osmo-net
card=$build/simulator/cardos/simpki-card
phone=$build/simulator/phone/simpki-phone
otad=$build/ota-server/simpki-otad
ca=$build/ota-server/ca/simpki-ca
admin=$build/ota-server/admin/simpki-admin
src=$(cd "$(dirname "$0")/.." && pwd)
KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F
N=5
export SIMPKI_API_TOKEN=demo-token-0123456789abcdef SIMPKI_API_URL=http://127.0.0.1:8480
export SIMPKI_CA_PASSPHRASE=demo-ca-passphrase-change-me
export SIMPKI_TRANSPORT_PIN=3141 SIMPKI_PUK=2718281828459045
d=$work/campaign
ca_pid=""
otad_pid=""
phone_pid=""

say() {
	step=$((step + 1))
	printf '\n== %d. %s\n' "$step" "$*"
}

# show COMMAND ARG...: print the command (programs by their names, files relative to the work directory), run it,
# indent what it prints; its exit status is the command's
show() {
	line=""
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9_./:=,@+-]*) a="'$a'" ;;
		esac
		line="$line${line:+ }$a"
	done
	printf '   $ %s%s\n' "${as_label:+SIMPKI_API_TOKEN=\$$as_label }" "$line" | sed "s|$build/[^ ]*/||g; s|$d/||g"
	SIMPKI_API_TOKEN=${as_token:-$SIMPKI_API_TOKEN} "$@" > "$d/show.out" 2>&1 && rc=0 || rc=$?
	sed 's/^/     /' "$d/show.out"
	return $rc
}

# as LABEL TOKEN COMMAND ARG...: show COMMAND run with another operator's token, printed as $LABEL (never its value)
as_label=""
as_token=""
as() {
	as_label=$1
	as_token=$2
	shift 2
	show "$@" && rc=0 || rc=$?
	as_label=""
	as_token=""
	return "$rc"
}

stop_all() {
	for p in $phone_pid $otad_pid $ca_pid; do
		kill "$p" 2> /dev/null || true
		wait "$p" 2> /dev/null || true
	done
	"$net" stop "$d/net" > /dev/null 2>&1 || true
	echo "$step" > "$work/step"
}
trap stop_all EXIT

# die MESSAGE [LOG]: the campaign part failed; say why, with the end of LOG
die() {
	echo "   campaign demo failed: $1" >&2
	[ -z "${2:-}" ] || [ ! -f "$2" ] || tail -n 15 "$2" | sed 's/^/     | /' >&2
	exit 1
}

# wait_port PORT PID LOG WHAT: until something listens on 127.0.0.1:PORT (10 s), while PID runs
wait_port() {
	t=0
	until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$1" \
		2> /dev/null; do
		kill -0 "$2" 2> /dev/null || die "$4 exited at start" "$3"
		[ $t -lt 100 ] || die "$4 does not listen on port $1 after 10 s" "$3"
		sleep 0.1
		t=$((t + 1))
	done
}

# luhn DIGITS: DIGITS with their Luhn check digit
luhn() {
	echo "$1" | awk '{ s = 0; n = length($0); for (i = n; i >= 1; i--) { d = substr($0, i, 1) + 0;
		if ((n - i) % 2 == 0) { d *= 2; if (d > 9) d -= 9 } s += d } print $0 (10 - s % 10) % 10 }'
}

for prog in curl openssl python3; do
	command -v $prog > /dev/null || { say "A provisioning campaign"; echo "   skipped: $prog is not installed (tools/install-deps.sh)"; exit 0; }
done
[ -x "$admin" ] || { say "A provisioning campaign"; echo "   skipped: simpki-admin was not built"; exit 0; }
mkdir -p "$d"
cd "$d"

say "A provisioning campaign. The operator's CA, simpki-ca: its key and certificate, the RA's; then its daemon"
show "$ca" init --dir ca --subject "/CN=simpki demo CA/O=Ban Cơ yếu Chính phủ/C=VN" ||
	die "simpki-ca init"
(cd ca && exec "$ca" -c simpki-ca.cfg) > ca.log 2>&1 &
ca_pid=$!
wait_port 8490 $ca_pid ca.log simpki-ca
wait_port 8491 $ca_pid ca.log simpki-ca
echo "     simpki-ca listens: CMP on 127.0.0.1:8490, OCSP on 127.0.0.1:8491"

say "The mobile network again, and the OTA server simpki-otad as the CA's registration authority (RA)"
"$net" start "$d/net" > net.out 2>&1 || die "osmo-net start" net.out
sed "/^ api body-limit import/a\\
 ca\\
  cmp-url http://127.0.0.1:8490/pkix/\\
  ocsp-url http://127.0.0.1:8491/ocsp\\
  ra-cert ca/ra.pem\\
  ra-key ca/ra.key\\
  trust-anchor ca/ca.pem\\
  retry min-seconds 1 max-seconds 4\\
  subject-organisation Chính quyền địa phương\\
 campaign\\
  backoff min-seconds 2 max-seconds 8\\
 lifecycle\\
  backoff min-seconds 1 max-seconds 4" "$src/ota-server/simpki-otad.cfg.example" |
	sed 's/job timeout 60/job timeout 20/; s/checkpoint records 1000/checkpoint records 10/' > simpki-otad.cfg
# the relying-party API: one portal, known by the SHA-256 of its token
printf %s "demo-portal-token-0123456789abcdef" > rp-token
printf 'signing\n listen 127.0.0.1 8481\n timeout 60\n relying-party portal\n  display-name Cổng Dịch vụ công Hà Nội\n  token-sha256 %s\n  rate 20\n' \
	"$(openssl dgst -sha256 -r rp-token | cut -d' ' -f1)" >> simpki-otad.cfg
# the SCP81 remote administration server: the SIMs fetch large scripts (keys, certificates) over BIP and TLS-PSK
printf 'scp81\n listen 127.0.0.1 8443\n' >> simpki-otad.cfg
echo "     simpki-otad.cfg: the example's, with its 'ca' node and an 'scp81' node (listen 127.0.0.1 8443):"
sed -n '/^ ca$/,/^ campaign$/p' simpki-otad.cfg | sed '$d; s/^/       /'
"$otad" -c "$d/simpki-otad.cfg" > otad.log 2>&1 &
otad_pid=$!
wait_port 8480 $otad_pid otad.log simpki-otad
t=0
until grep -q "bound to" otad.log; do
	[ $t -lt 100 ] || die "simpki-otad did not bind to the SMSC" otad.log
	sleep 0.1
	t=$((t + 1))
done
grep -E "operator API|bound to" otad.log | sed 's/^.*NOTICE /     otad: /'

say "Five officials' SIMs as the vendor ships them: the PKI applet with a transport PIN ($SIMPKI_TRANSPORT_PIN), a PUK, no PKCS#15 files"
echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid,kik,psk" > vendor.csv
: > iccids.txt
i=1
while [ $i -le $N ]; do
	iccid=$(luhn 89840100000000010$i)
	# each SIM's own SCP81 pre-shared key (TLS-PSK), random, in the card and in the vendor's file
	printf '%s,00101000000010%d,8490000010%d,1,aes,%s,aes,%s,,%s\n' "$iccid" $i $i $KIC $KID \
		"$(openssl rand -hex 16)" >> vendor.csv
	echo "$iccid" >> iccids.txt
	i=$((i + 1))
done
"$card" create-many --dir sims --from vendor.csv --transport-pin "$SIMPKI_TRANSPORT_PIN" --puk "$SIMPKI_PUK" \
	> create.out 2>&1 || die "simpki-card create-many" create.out
"$net" add-subscribers "$d/net" vendor.csv > subscribers.out 2>&1 || die "osmo-net add-subscribers" subscribers.out
echo "     the vendor's file, vendor.csv (ICCID, IMSI, MSISDN, the AES OTA key set, the SCP81 PSK; keys cut here):"
awk -F, -v OFS=, 'NR > 1 { $6 = substr($6, 1, 8) "..."; $8 = substr($8, 1, 8) "..."; $10 = substr($10, 1, 8) "..." }
	{ print "       " $0 }' vendor.csv
echo "     the first SIM as it leaves the factory (simpki-card info): the applet's PIN and PUK, only the MF, no key"
"$card" info --state sims/000 | grep -E "^ICCID|^key generations|PIN:|PUK:|file " | sed 's/^ */       /'

say "The operator imports the vendor's file into simpki-otad (all or nothing; the OTA keys and PSKs sealed under its master key)"
show "$admin" cards import --name vendor-batch-1 vendor.csv || die "simpki-admin cards import" otad.log

say "The officials, in wards of the organisation tree (10101003: Phường Ba Đình, Hà Nội; 22301058: Phường Kinh Bắc, Bắc Ninh), and each one's SIM"
cat > holders.csv << 'EOF'
id,name,id_number,unit,email
BD-0001,Nguyễn Văn An,001085001234,10101003,an.nv@badinh.hanoi.gov.vn
BD-0002,Trần Thị Bình,001190005678,10101003,binh.tt@badinh.hanoi.gov.vn
BD-0003,Lê Hoàng Cường,001078009012,10101003,cuong.lh@badinh.hanoi.gov.vn
KB-0001,Phạm Thu Dung,027192003456,22301058,dung.pt@kinhbac.bacninh.gov.vn
KB-0002,Vũ Minh Đức,027088007890,22301058,duc.vm@kinhbac.bacninh.gov.vn
EOF
sed 's/^/     /' holders.csv
show "$admin" holders import holders.csv || die "simpki-admin holders import" otad.log
echo "   each SIM is linked to its holder (PUT /v1/cards/{iccid}/holder):"
i=1
for iccid in $(cat iccids.txt); do
	holder=$(sed -n "$((i + 1))s/,.*//p" holders.csv)
	[ $i -gt 1 ] || printf '   $ curl -H "Authorization: Bearer $SIMPKI_API_TOKEN" -X PUT -d '"'"'{"holder": "%s"}'"'"' http://127.0.0.1:8480/v1/cards/%s/holder\n' \
		"$holder" "$iccid"
	curl -sS -f -H "Authorization: Bearer $SIMPKI_API_TOKEN" -X PUT -d "{\"holder\": \"$holder\"}" \
		"http://127.0.0.1:8480/v1/cards/$iccid/holder" > link.out 2>&1 || die "linking $iccid to $holder: $(cat link.out)"
	grep -q "\"holder\": *\"$holder\"" link.out || die "linking $iccid to $holder: $(cat link.out)"
	echo "     $iccid -> $holder ($(sed -n "s/^$holder,\([^,]*\),.*/\1/p" holders.csv))"
	i=$((i + 1))
done

say "The officials' phones (simpki-phone, each with its SIM) attach to osmo-msc"
# each official approves what the SIM shows after 2 s and types the SIM's PIN (the transport PIN here); Phạm Thu
# Dung (the fourth SIM) has forgotten hers and tries three others (demo/lifecycle.sh)
printf 'default answer approve pin %s delay 2\nphone %s answer approve pin 1111,2222,0000 delay 0.5\n' \
	"$SIMPKI_TRANSPORT_PIN" "$(sed -n 5p vendor.csv | cut -d, -f2)" > scenario
"$phone" --cards sims --scenario scenario --screen-log screens --ready-file ready > phone.out 2> phone.log &
phone_pid=$!
t=0
until [ -f ready ]; do
	kill -0 $phone_pid 2> /dev/null || die "simpki-phone exited" phone.log
	[ $t -lt 300 ] || die "the phones did not attach in 30 s" phone.log
	sleep 0.1
	t=$((t + 1))
done
sed -n 's/^.* DPHONE NOTICE \(.* attached .*\)/     phone: \1/p' phone.log

say "The campaign: personalise each SIM (PKCS#15 files, transport PIN kept), a P-256 signing key (id 2), its certificate"
show "$admin" campaign start --name "Đợt 1: Ba Đình và Kinh Bắc" --iccids iccids.txt --personalise --key 2:p256:signing ||
	die "simpki-admin campaign start" otad.log
id=$(tail -n 1 show.out)
case $id in '' | *[!0-9]*) die "campaign start printed '$id', not an id" ;; esac

say "simpki-admin campaign watch: the SIMs get their keys and certificates over the air, through osmo-msc's SMSC"
printf '   $ simpki-admin campaign watch --interval 0.5 %s\n' "$id"
# on a terminal the display is redrawn in place; otherwise (a log, a pipe) one line per change, indented here
if [ -t 1 ]; then
	timeout --foreground 120 "$admin" campaign watch --interval 0.5 "$id" && rc=0 || rc=$?
else
	{ timeout 120 "$admin" campaign watch --interval 0.5 "$id" 2>&1 && echo 0 > watch.rc || echo $? > watch.rc; } |
		sed 's/^/     /'
	rc=$(cat watch.rc)
fi
case $rc in
0) ;;
7) "$admin" campaign failed "$id" | sed 's/^/     /'; die "cards failed in campaign $id" otad.log ;;
124) die "campaign $id was not done after 120 s" otad.log ;;
*) die "simpki-admin campaign watch exited $rc" otad.log ;;
esac

say "How the SIMs got their keys and certificates: over BIP (SCP81), each session started by a push SMS"
echo "   a push SMS wakes the SIM's admin agent, which opens a TCP channel through its phone to"
echo "   simpki-otad's SCP81 server (127.0.0.1:8443), TLS-PSK with its own key, and fetches its scripts over HTTP"
echo "   (the next step's script rides in the same session, without another push):"
curl -s -H "Authorization: Bearer $SIMPKI_API_TOKEN" "http://127.0.0.1:8480/v1/jobs?limit=200" > jobs.json
python3 -c '
import json, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
by = {}
for j in jobs:
    k = (j["via"], j["state"])
    by[k] = by.get(k, 0) + 1
for (via, state), n in sorted(by.items()):
    print("     %2d jobs by %-3s  %s" % (n, via, state))
big = [j for j in jobs if j["via"] == "bip"]
if big:
    j = max(big, key=lambda j: j["script_bytes"])
    print("     the largest over BIP: job %d, %d bytes of script (a certificate), %d bytes back" %
          (j["id"], j["script_bytes"], j["response_bytes"]))
' jobs.json || die "the jobs' bearers"
grep -q '"via": *"bip"' jobs.json || die "no job went over BIP" otad.log
grep -m 2 "BIP: connected" phone.log | sed 's/^.* DSIM NOTICE /     phone: /'

iccid=$(head -n 1 iccids.txt)
say "One official's certificate (SIM $iccid): issued by the CA, loaded on the SIM and read back"
show "$admin" cert show "$iccid" || die "simpki-admin cert show" otad.log
printf '   $ simpki-admin cert show --pem %s > cert.pem\n' "$iccid"
"$admin" cert show --pem "$iccid" > cert.pem 2> cert.err || die "simpki-admin cert show --pem: $(cat cert.err)"
show openssl x509 -in cert.pem -noout -subject -issuer -ext keyUsage -nameopt utf8,sep_comma_plus ||
	die "openssl x509"
grep -q "CN=Nguyễn Văn An" show.out || die "the certificate is not Nguyễn Văn An's"

say "Any relying party checks it with OpenSSL: the chain to the CA, and OCSP at the CA's responder"
show openssl verify -CAfile ca/ca.pem cert.pem || die "the certificate does not verify"
show openssl ocsp -issuer ca/ca.pem -cert cert.pem -url http://127.0.0.1:8491/ocsp -CAfile ca/ca.pem ||
	die "openssl ocsp" ca.log
grep -q ": good" show.out || die "OCSP did not say good"

signer=$(sed -n 2p vendor.csv | cut -d, -f3)
say "A public-service portal asks Nguyễn Văn An (phone $signer) to sign a decision, with simpki-sign"
cat > decision.txt << 'EOF2'
ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH
QUYẾT ĐỊNH số 275/QĐ-UBND về việc cấp giấy phép xây dựng
EOF2
sed 's/^/     /' decision.txt
echo "   the portal's code and the phone's must match; the official checks them, then types the PIN"
show "$build/ota-server/rp/simpki-sign" --phone "$signer" --token-file rp-token --ca-chain ca/ca.pem \
	--text "Ký Quyết định 275/QĐ-UBND: giấy phép xây dựng" decision.txt || die "simpki-sign" otad.log
code=$(sed -n 's/.*[Vv]erification code: \([0-9]\{4\}\).*/\1/p' show.out | head -n 1)
echo "   what the official's phone showed (simpki-phone's screen log):"
awk -F'\t' -v imsi="$(sed -n 2p vendor.csv | cut -d, -f2)" '$1 == imsi { gsub(/\\n/, "\n       | ", $3); printf "     %s:\n       | %s\n", $2, $3 }' \
	screens
grep -q "$code" screens || die "the phone did not show the code $code"
say "Anyone checks the signature with OpenSSL: a CMS SignedData (detached) by the key on the SIM, certificate from the CA"
show openssl cms -verify -binary -inform DER -in decision.txt.p7s -content decision.txt -CAfile ca/ca.pem \
	-out /dev/null || die "openssl cms -verify"

# the reorganisation, a PIN reset at a counter and the audit trail, with the daemons and phones running
. "$src/demo/lifecycle.sh"

say "The phones are switched off; the SIM itself: personalised, one key generated (on the card: the new certificate is for it too)"
kill "$phone_pid"
wait "$phone_pid" || true
phone_pid=""
show "$card" info --state sims/000 || die "simpki-card info"
grep -q "key generations: 1$" show.out || die "the SIM did not generate exactly one key"
kill "$otad_pid"
wait "$otad_pid" || true
otad_pid=""
