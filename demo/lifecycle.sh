# The reorganisation part of the demonstration, sourced by demo/campaign.sh after the official signed, while its CA,
# simpki-otad, the network and the phones still run (its variables, say, show, as and die; the working directory its
# $d). Told with simpki-admin, each act with the token of whoever does it:
#   - the officials' two provinces, Hà Nội (01) and Bắc Ninh (02), merge into Thành phố Hà Nội – Bắc Ninh (35): the
#     central RA (a central-ra token the administrator makes) files the unit change and starts a 'modify' lifecycle
#     operation over it, watched with 'lifecycle show': every official's certificate is issued again by the CA for
#     the key already on the SIM, loaded over the air, read back, and only then the old one revoked; OpenSSL shows
#     one: the same public key, the new province in the subject, OCSP revoked (affiliationChanged) for the old;
#   - Phạm Thu Dung (Kinh Bắc) types three wrong PINs on her phone for a portal's signature and blocks it; a counter
#     of the new province (a counter token scoped to 35) checks her identity number and resets the PIN over the air
#     (simpki-admin pin-reset); her phone gets the one-time PIN by SMS; she signs with it;
#   - an auditor's token verifies the hash-chained audit trail of all of it (simpki-admin audit verify).
# About 8 seconds. Not a program of its own: campaign.sh runs it with '.'.
# shellcheck shell=sh disable=SC2154 # campaign.sh's variables

# token_create LABEL NAME ARG...: simpki-admin token create NAME ARG... as the administrator; the token's first line
# shown, the token itself cut; the token in $token
token_create() {
	tc_label=$1
	shift
	printf '   $ simpki-admin token create %s\n' "$*"
	"$admin" token create "$@" > token.out 2>&1 || die "simpki-admin token create $*: $(cat token.out)" otad.log
	token=$(sed -n 2p token.out)
	[ -n "$token" ] || die "simpki-admin token create printed no token: $(cat token.out)"
	sed -n 1p token.out | sed 's/^/     /'
	printf '     %.8s... (shown once; handed over as $%s, cut here)\n' "$token" "$tc_label"
}

# ---- 1. the reorganisation
say "A reorganisation: Hà Nội (01) and Bắc Ninh (02) merge into one province. The administrator makes the central RA's token"
token_create RA_TOKEN ra-trung-uong --role central-ra
ra_token=$token

say "The central RA files the unit change: both provinces end, their wards (and the officials in them) move to the new one, 35"
cat > merge.json << 'EOF'
{"kind": "merge", "units": ["01", "02"], "into": {"code": "35", "name": "Thành phố Hà Nội – Bắc Ninh"}}
EOF
sed 's/^/     /' merge.json
as RA_TOKEN "$ra_token" "$admin" units change merge.json || die "simpki-admin units change" otad.log
change=$(awk 'NR == 2 { print $1 }' show.out)
case $change in '' | *[!0-9]*) die "units change printed no change id" ;; esac
as RA_TOKEN "$ra_token" "$admin" units show 22301058 || die "simpki-admin units show" otad.log
grep -q "Thành phố Hà Nội – Bắc Ninh" show.out || die "the ward 22301058 is not under the new province"

say "The officials' certificates must say so: a 'modify' operation over the change, the same keys, the new subjects"
as RA_TOKEN "$ra_token" "$admin" lifecycle create --kind modify --unit-change "$change" \
	--name "Sáp nhập Hà Nội – Bắc Ninh" || die "simpki-admin lifecycle create" otad.log
lc=$(sed -n "1s/^lifecycle \([0-9]*\) .*/\1/p" show.out)
[ -n "$lc" ] || die "lifecycle create printed no operation"

say "lifecycle show: the CA issues each again (CMP, same key), the SIM gets it over the air and reads it back, then the old one is revoked"
printf '   $ SIMPKI_API_TOKEN=$RA_TOKEN simpki-admin lifecycle show %s   (every second, shown when it changes)\n' "$lc"
t=0
last=""
while :; do
	SIMPKI_API_TOKEN=$ra_token "$admin" lifecycle show "$lc" > lc.out 2>&1 || die "simpki-admin lifecycle show: $(cat lc.out)"
	# what changes: the state and the items per state (not the rate)
	now=$(sed -n '1p; 2p' lc.out)
	if [ "$now" != "$last" ]; then
		sed 's/^/     /' lc.out
		last=$now
	fi
	head -n 1 lc.out | grep -q ": done (" && break
	head -n 1 lc.out | grep -q ": \(running\|paused\) (" || die "lifecycle $lc ended: $(cat lc.out)" otad.log
	[ $t -lt 120 ] || die "lifecycle $lc was not done after 120 s" otad.log
	sleep 1
	t=$((t + 1))
done
grep -q "5 of 5 items over; done 5$" lc.out || die "lifecycle $lc: not every certificate done" otad.log

say "Nguyễn Văn An's new certificate (SIM $iccid): the same public key as before, the new province in the subject"
show "$admin" cert show "$iccid" || die "simpki-admin cert show" otad.log
new_serial=$(awk '$3 == "loaded" { print $1 }' show.out)
printf '   $ simpki-admin cert show --pem %s > certs.pem   (the old one first, then the new one)\n' "$iccid"
"$admin" cert show --pem "$iccid" > certs.pem 2> cert.err || die "simpki-admin cert show --pem: $(cat cert.err)"
printf "   \$ awk '/BEGIN CERT/ { n++ } n == 2' certs.pem > cert-new.pem\n"
awk '/BEGIN CERT/ { n++ } n == 2' certs.pem > cert-new.pem
show openssl x509 -in cert-new.pem -noout -subject -serial -nameopt utf8,sep_comma_plus || die "openssl x509"
grep -q "ST=Thành phố Hà Nội – Bắc Ninh" show.out || die "the new certificate's subject has not the new province"
grep -qi "serial=0*$new_serial$" show.out || die "cert-new.pem is not the certificate in force ($new_serial)"
for f in cert.pem cert-new.pem; do
	printf '   $ openssl x509 -in %s -noout -pubkey | sha256sum\n' $f
	openssl x509 -in $f -noout -pubkey | sha256sum | sed 's/^/     /'
done
[ "$(openssl x509 -in cert.pem -noout -pubkey)" = "$(openssl x509 -in cert-new.pem -noout -pubkey)" ] ||
	die "the new certificate is for another key"

say "OCSP: the old certificate revoked (affiliationChanged), the new one good"
show openssl ocsp -issuer ca/ca.pem -cert cert.pem -cert cert-new.pem -url http://127.0.0.1:8491/ocsp \
	-CAfile ca/ca.pem || die "openssl ocsp" ca.log
grep -q "^cert.pem: revoked" show.out && grep -qi "affiliationChanged\|Affiliation Changed" show.out &&
	grep -q "^cert-new.pem: good" show.out || die "OCSP did not say the old one revoked and the new one good"

# ---- 2. a blocked PIN reset at the counter, over the air
kb_phone=$(sed -n 5p vendor.csv | cut -d, -f3)
kb_imsi=$(sed -n 5p vendor.csv | cut -d, -f2)
kb_id=$(sed -n 5p holders.csv | cut -d, -f3)
say "Phạm Thu Dung (Phường Kinh Bắc, phone $kb_phone) has forgotten her PIN: a portal asks for a signature, three wrong PINs block it"
printf 'ỦY BAN NHÂN DÂN PHƯỜNG KINH BẮC\nBÁO CÁO số 12/BC-UBND về công tác cải cách hành chính\n' > report.txt
show "$build/ota-server/rp/simpki-sign" --phone "$kb_phone" --token-file rp-token --ca-chain ca/ca.pem \
	--text "Ký Báo cáo 12/BC-UBND" report.txt && die "simpki-sign signed with wrong PINs" || rc=$?
[ "$rc" = 5 ] || die "simpki-sign exited $rc, not 5 (PIN blocked)" otad.log
echo "   what her phone showed, and what she typed (simpki-phone's screen log; the PINs from its user model):"
awk -F'\t' -v imsi="$kb_imsi" '$1 == imsi && $2 == "input" { n++; printf "     input: %s  -> typed %s\n", $3,
	(n == 1 ? "1111" : n == 2 ? "2222" : "0000") }' screens

say "At a counter of the new province: the administrator makes the counter's token, scoped to 35 (and all under it)"
token_create COUNTER_TOKEN quay-35-01 --role counter --scope 35
counter_token=$token

say "The clerk checks her identity card and resets the PIN over the air (a one-time PIN, sent to her phone by SMS)"
as COUNTER_TOKEN "$counter_token" "$admin" pin-reset KB-0001 --id-number "$kb_id" || die "simpki-admin pin-reset" otad.log
reset=$(sed -n 's/^PIN reset \([0-9]*\) started.*/\1/p' show.out)
[ -n "$reset" ] || die "pin-reset printed no id"
t=0
until SIMPKI_API_TOKEN=$counter_token "$admin" pin-reset show "$reset" 2>&1 | grep -q "^PIN reset $reset: \(done\|failed\)"; do
	[ $t -lt 600 ] || die "PIN reset $reset not over in 60 s" otad.log
	sleep 0.1
	t=$((t + 1))
done
as COUNTER_TOKEN "$counter_token" "$admin" pin-reset show "$reset" || die "simpki-admin pin-reset show" otad.log
grep -q "^PIN reset $reset: done" show.out || die "PIN reset $reset failed" otad.log
t=0
until grep -q "$kb_imsi.*SMS from 4242: .*One-time PIN: [0-9]*\." phone.log; do
	[ $t -lt 300 ] || die "no SMS with the one-time PIN on her phone in 30 s" phone.log
	sleep 0.1
	t=$((t + 1))
done
echo "   her phone (simpki-phone's log):"
grep "$kb_imsi.*SMS from 4242: .*One-time PIN" phone.log | sed 's/^.* DPHONE NOTICE /     phone: /'
otp=$(sed -n "s/.*$kb_imsi.*SMS from 4242: .*One-time PIN: \([0-9]*\)\..*/\1/p" phone.log | head -n 1)

say "She signs with the one-time PIN (the phone again, its user typing it: simpki-phone reads its user model at start)"
kill "$phone_pid"
wait "$phone_pid" || true
printf 'default answer approve pin %s delay 1\n' "$otp" > scenario-otp
"$phone" --card sims/003 --scenario scenario-otp --screen-log screens --ready-file ready2 > phone2.out 2> phone2.log &
phone_pid=$!
t=0
until [ -f ready2 ]; do
	kill -0 $phone_pid 2> /dev/null || die "simpki-phone exited" phone2.log
	[ $t -lt 300 ] || die "her phone did not attach in 30 s" phone2.log
	sleep 0.1
	t=$((t + 1))
done
show "$build/ota-server/rp/simpki-sign" --phone "$kb_phone" --token-file rp-token --ca-chain ca/ca.pem \
	--text "Ký Báo cáo 12/BC-UBND" report.txt || die "simpki-sign with the one-time PIN" otad.log
show openssl cms -verify -binary -inform DER -in report.txt.p7s -content report.txt -CAfile ca/ca.pem \
	-out /dev/null || die "openssl cms -verify"

# ---- 3. the audit trail
say "An auditor verifies the audit trail: every act above is a record of a hash chain, signed checkpoints every 10 records"
token_create AUDITOR_TOKEN kiem-toan --role auditor
auditor_token=$token
as AUDITOR_TOKEN "$auditor_token" "$admin" audit verify || die "simpki-admin audit verify" otad.log
grep -q "^audit trail OK" show.out || die "the audit trail is not OK"
as AUDITOR_TOKEN "$auditor_token" "$admin" audit export --out trail.ndjson || die "simpki-admin audit export" otad.log
echo "   who did what since the reorganisation began (seq, actor, role, scope, action, object, result; from trail.ndjson):"
python3 -c '
import json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r["type"] == "record"]
first = min(r["seq"] for r in recs if r["object"] == "token ra-trung-uong")
for r in recs:
    if r["seq"] >= first and (r["result"] != "accepted" or r["action"] == "lifecycle.create"):
        res = r["result"] + (": " + r["detail"] if r["result"] == "accepted" else "")
        print("     %3d %-18s %-10s %-2s %-16s %-38s %s" % (r["seq"], r["actor"], r["role"], r["scope"] or "-",
              r["action"], r["object"], res[:48]))
' trail.ndjson || die "the exported trail"
