#!/bin/sh
# simpki-admin against a real simpki-otad (the example configuration; run by in-netns.sh: its ports are private; no
# SMSC answers, none is needed): help texts and usage errors (exit 2); cards import of a good file (done), of a file
# with bad lines (exit 2, every line named) and of cards already known (exit 6); holders import (stored and
# rejected lines); jobs list with its filters (a job made through the VTY); cert show (an empty table, then a
# certificate recorded through the VTY, --pem byte for byte); --json on each, parsed by python3 -m json.tool; a
# wrong token (exit 4, "the token was refused"), a read-only token writing (exit 4), no such card or campaign
# (exit 5), the API unreachable (exit 3, the URL named), http:// beyond loopback refused; the token never printed.
# Usage: simpki-admin.sh SIMPKI_ADMIN SIMPKI_OTAD SOURCE_ROOT
set -u
admin=$1
otad=$2
src=$3
export SIMPKI_API_TOKEN=admin-token-for-the-admin-test-0123456789
unset SIMPKI_API_URL
command -v python3 > /dev/null || { echo "simpki-admin.sh: python3 missing" >&2; exit 1; }
command -v openssl > /dev/null || { echo "simpki-admin.sh: openssl missing" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-admin.XXXXXX")
otad_pid=""
failures=0
cleanup() {
	[ -z "$otad_pid" ] || kill -KILL "$otad_pid" 2> /dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
. "$src/tests/cli/admin-lib.sh"

. "$src/tests/ota/otad-lib.sh"


# ---- help and usage errors, before any daemon ----
run 0 --help
for w in "cards import FILE" "campaign start" "Exit codes" "  7  the campaign ended with failed cards" SIMPKI_API_TOKEN; do
	out_has "$w"
done
run 0 campaign --help
out_has "watch ID"
run 0 campaign start --help
out_has "--key ID:ALG:PROFILE"
run 0 jobs list --help
out_has "--limit N"
run 0 --version
out_has "^simpki-admin [0-9]"
run 2
run 2 frobnicate
err_has "unknown command: frobnicate"
run 2 jobs list --bogus
err_has "bogus: not an option of this command"
run 2 jobs list --limit 0
err_has "limit 0: 1 to 1000"
run 2 cert show 12345
err_has "an ICCID is 18 to 20 digits"
run 2 campaign show abc
run 2 campaign start --name w --import 1 --key 2:p384:signing
err_has "ALG p256 or rsa2048"
run 2 campaign start --import 1
err_has "--name is required"
run 2 campaign start --name w --import 1 --unit 01
err_has "one of --iccids, --import and --unit"
run 2 cert show --pem
err_has "ICCID is missing"
SIMPKI_API_TOKEN= run 2 jobs list
err_has "SIMPKI_API_TOKEN is not set"
run 2 --url http://10.1.2.3:8480 jobs list
err_has "would carry the token in clear"

# ---- the daemon ----
mkdir -p "$dir/conf"
cp "$src/ota-server/simpki-otad.cfg.example" "$dir/conf/simpki-otad.cfg"
start_otad "$dir/conf/simpki-otad.cfg" "$dir/otad.log" || exit 1

KIC=8C4A1F0B3E2D5A697788A9BACBDCEDFE
KID=1E2D3C4B5A69788796A5B4C3D2E1F00F
C1=8984010000000000005
C2=8984010000000000013
{
	echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid"
	echo "$C1,001010000000001,2001,1,aes,$KIC,aes,$KID"
	echo "$C2,001010000000002,2002,1,aes,$KIC,aes,$KID"
} > "$dir/good.csv"
{
	echo "iccid,imsi,msisdn,kvn,kic_algo,kic,kid_algo,kid"
	echo "8984010000000000022,001010000000003,2003,1,aes,$KIC,aes,$KID"
	echo "8984010000000000039,001010000000004,2004,1,aes,00,aes,$KID"
} > "$dir/bad.csv"

# ---- cards import ----
run 0 cards import --name batch-1 "$dir/good.csv"
out_has "import 1 (batch-1): done: 2 cards, 2 key sets from 3 lines"
run 2 cards import "$dir/bad.csv"
out_has "refused, nothing imported: 2 of 3 lines rejected"
out_has "line 2: iccid: ICCID check digit is wrong.* (format)"
out_has "line 3: kic: .* (format)"
run 6 cards import "$dir/good.csv"
out_has "line 2: .*$C1.* (database)"
run 2 --json cards import "$dir/bad.csv"
out_json "cards import"
out_has '"state": "refused"'
run 2 cards import "$dir/no-such-file.csv"
err_has "no-such-file.csv: No such file or directory"
run 2 cards import --name 'bad name' "$dir/good.csv"
# streamed from standard input (chunked)
sed "s/$C1/8984010000000000047/; s/$C2/8984010000000000054/; s/00101000000000\([12]\)/00101000000001\1/; s/,200\([12]\),/,300\1,/" \
	"$dir/good.csv" > "$dir/more.csv"
"$admin" cards import - < "$dir/more.csv" > "$dir/out" 2> "$dir/err" || fail "cards import - exited $?: $(cat "$dir/err")"
out_has "done: 2 cards"

# ---- holders import ----
{
	echo "id,name,id_number,unit,email"
	echo "H-0001,Nguyễn Thị Minh Khai,079123456789,10101003,khai@example.vn"
	echo "H-0002,Trần Văn An,079123456790,10101003,"
	echo "H-0003,Lê Văn Bình,079123456791,99999999,"
	echo "H-0004,x"
} > "$dir/holders.csv"
run 2 holders import "$dir/holders.csv"
out_has "5 lines: 2 holders stored, 2 lines rejected"
out_has "line 4: unit 99999999: .* (database)"
out_has "line 5: .*fields.* (format)"
head -n 1 "$dir/holders.csv" > "$dir/h2.csv"
echo "H-0005,Phạm Thị Cúc,079123456792,10101003," >> "$dir/h2.csv"
run 0 --json holders import "$dir/h2.csv"
out_json "holders import"
out_has '"holders": 1'
run 6 holders import "$dir/h2.csv"
out_has "(database)"

# ---- jobs list ----
run 0 jobs list
out_has "^ID  *ICCID  *STATE  *TAR  *MODE  *TRIES  *UPDATED  *NOTE"
[ "$(wc -l < "$dir/out")" = 1 ] || fail "jobs list with no job: $(cat "$dir/out")"
vty "job create $C1 B00010 00A4000C022FE2 00B000000A" "job create $C2 B00010 00A4000C022FE2" > "$dir/vty.out"
grep -q "^job 2" "$dir/vty.out" || fail "job create: $(cat "$dir/vty.out")"
run 0 jobs list
out_has "^2  *$C2  *[a-z-]*  *b00010  *store"
out_has "^1  *$C1 "
run 0 jobs list --iccid $C1
grep -q "$C2" "$dir/out" && fail "jobs list --iccid $C1 lists $C2: $(cat "$dir/out")"
out_has "^1  *$C1"
run 0 jobs list --limit 1
out_has "^2 "
out_has "more jobs than these 1"
run 0 --json jobs list --limit 1
out_json "jobs list"
out_has '"next_cursor"'
run 0 jobs list --state cancelled
[ "$(wc -l < "$dir/out")" = 1 ] || fail "jobs list --state cancelled: $(cat "$dir/out")"
run 2 jobs list --state bogus
err_has "(invalid_request, HTTP 400)"

# ---- cert show ----
run 0 cert show $C1
out_has "^SERIAL  *PROFILE  *STATUS  *NOT_AFTER  *KEY_ID$"
[ "$(wc -l < "$dir/out")" = 1 ] || fail "cert show of a card without certificates: $(cat "$dir/out")"
run 0 --json cert show $C1
out_json "cert show"
out_has '"items": \[\]'
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/k.pem" -subj "/CN=Test" \
	-days 30 -set_serial 0x0a1b2c3d4e5f -out "$dir/conf/cert.pem" 2> /dev/null || fail "openssl req"
vty "card $C1 certificate add 2 sim-signing cert.pem" > "$dir/vty.out"
grep -q "certificate 1: serial a1b2c3d4e5f" "$dir/vty.out" || fail "certificate add: $(cat "$dir/vty.out")"
run 0 cert show $C1
out_has "^a1b2c3d4e5f  *sim-signing  *issued  *20[0-9-]*T[0-9:]*Z  *2$"
run 0 cert show --pem $C1
cmp -s "$dir/out" "$dir/conf/cert.pem" || fail "cert show --pem is not the certificate: $(cat "$dir/out")"
run 5 cert show 8984010000000000021
err_has "no card with ICCID 8984010000000000021 (card_not_found, HTTP 404)"

# ---- tokens, not found, unreachable ----
SIMPKI_API_TOKEN=wrong-token-wrong-token-0123 run 4 jobs list
err_has "the token was refused"
err_has "unauthorized"
printf '{"name": "auditor", "role": "read-only"}' > "$dir/tk.json"
ro=$(api POST /v1/tokens "$dir/tk.json" | sed -n 's/^201 .*"token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$ro" ] || fail "no read-only token"
SIMPKI_API_TOKEN=$ro run 0 jobs list
SIMPKI_API_TOKEN=$ro run 4 holders import "$dir/h2.csv"
err_has "forbidden"
# tokens with roles and scopes
run 0 token create ra-hn --role unit-ra --scope 01
out_has "^token ra-hn (unit-ra, scope 01)$"
sed -n 2p "$dir/out" | grep -q "^[0-9a-f]\{64\}$" || fail "token create: no token: $(cat "$dir/out")"
run 2 token create x --role counter
err_has "scope is required"
run 2 token create x --role counter --scope 99999
err_has "unit_not_found"
run 0 token list
out_has "^NAME  *ROLE  *SCOPE  *CREATED$"
out_has "^ra-hn  *unit-ra  *01  *20"
out_has "^auditor  *read-only  *-  *20"
SIMPKI_API_TOKEN=$ro run 4 token list
err_has "token.manage on /v1/tokens: not allowed for role read-only"
run 0 token revoke ra-hn
run 5 token revoke ra-hn
run 5 campaign show 999
run 5 --json campaign show 999
run 3 --url http://127.0.0.1:1 jobs list
err_has "cannot reach the API at http://127.0.0.1:1"
SIMPKI_API_URL=http://127.0.0.1:1 run 3 cert show $C1
err_has "http://127.0.0.1:1"
SIMPKI_API_URL=http://127.0.0.1:1 run 0 --url http://127.0.0.1:8480 jobs list --limit 1

# the token never printed, whatever happened
for t in "$SIMPKI_API_TOKEN" "$ro"; do
	[ -n "$t" ] || continue
	grep -qF -- "$t" "$dir/all-output" && fail "a token was printed"
done
grep -qF -- "$SIMPKI_API_TOKEN" "$dir/otad.log" && fail "the token reached the daemon's log"

kill -TERM $otad_pid
wait $otad_pid || fail "simpki-otad did not stop cleanly"
otad_pid=""
[ $failures -eq 0 ] || { echo "$failures failures" >&2; exit 1; }
echo "simpki-admin: all passed"
