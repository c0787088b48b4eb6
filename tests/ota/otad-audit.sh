#!/bin/sh
# simpki-otad's audit trail (docs/otad.md, Audit trail), run by in-netns.sh: the example configuration makes the
# audit key (mode 0600) next to itself; API calls (tokens made and revoked, one refused for its name) leave records
# (the accepted and the result of each), a checkpoint every 4 records; 'show audit', the running configuration's
# audit node, the counters; GET /v1/audit in pages; an auditor token reads, verifies and exports; the trail verifies through the API and 'simpki-admin audit verify'; an export ('simpki-admin audit
# export') verifies offline with the public key, and a changed line of it does not; a read-only token may not read
# it (403). Fail closed: while the daemon runs, a trigger makes every insert into the audit table fail: a token
# creation is refused with 503 audit_unavailable and the token does not exist; dropped, it works again. Then,
# stopped (a checkpoint at the stop), copies of the database tampered with the sqlite3 command line, one at a time:
# a record deleted (gap), one inserted (inserted), one changed (changed), a checkpoint's signature broken
# (signature), the end cut (truncated): each reported at its seq by the API and by simpki-admin (exit 1). A key
# file others may read, or a missing one without 'key-create', stops the start.
# Usage: otad-audit.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
otad=$build/ota-server/simpki-otad
admin=$build/ota-server/admin/simpki-admin
command -v sqlite3 > /dev/null || { echo "otad-audit.sh: the sqlite3 command line is missing (apt-get install sqlite3)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/simpki-otad-audit.XXXXXX")
otad_pid=""
failures=0
trap '[ -z "$otad_pid" ] || kill -KILL $otad_pid 2> /dev/null; rm -rf "$dir"' EXIT
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
expect_in() { # FILE TEXT
	grep -q -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(head -c 1500 "$1")"
}
. "$src/tests/ota/otad-lib.sh"
export SIMPKI_API_TOKEN=admin-token-for-the-audit-test-0123
export SIMPKI_API_URL=http://127.0.0.1:8480

stop_otad() {
	kill -TERM $otad_pid
	wait $otad_pid || fail "simpki-otad exited $? on SIGTERM"
	otad_pid=""
}

# verify_copy DB KIND SEQ: start simpki-otad on DB; the API and simpki-admin report KIND at SEQ
verify_copy() {
	sed "s|^ database .*| database $1|" "$dir/conf/simpki-otad.cfg" > "$dir/conf/copy.cfg"
	start_otad "$dir/conf/copy.cfg" "$dir/otad-$2.log" || return
	out=$(api GET /v1/audit/verify)
	case $out in
	*'"ok":false'*'"problem":{"seq":'"$3"',"kind":"'"$2"'"'*) ;;
	*) fail "$2: verify answered '$out', expected $2 at $3" ;;
	esac
	"$admin" audit verify > "$dir/admin-$2.out" 2>&1
	[ $? -eq 1 ] || fail "$2: simpki-admin audit verify did not exit 1: $(cat "$dir/admin-$2.out")"
	expect_in "$dir/admin-$2.out" "NOT OK: the first problem is at record $3: $2"
	stop_otad
}

mkdir -p "$dir/conf"
sed 's/^ checkpoint records .*/ checkpoint records 4/' "$src/ota-server/simpki-otad.cfg.example" > "$dir/conf/simpki-otad.cfg"
start_otad "$dir/conf/simpki-otad.cfg" "$dir/otad.log" || exit 1
[ -f "$dir/conf/audit.key" ] || fail "no audit key created next to the configuration"
[ "$(stat -c %a "$dir/conf/audit.key")" = 600 ] || fail "the audit key file is not mode 600"
grep -q "PRIVATE KEY" "$dir/otad.log" && fail "the log shows the private key"

# ---- records --------------------------------------------------------------------------------------------------
for t in t1 t2 t3; do
	printf '{"name": "%s", "role": "operator"}' $t > "$dir/tok.json"
	expect 201 '"name":"'$t'"' POST /v1/tokens "$dir/tok.json"
done
expect 409 token_exists POST /v1/tokens "$dir/tok.json" # t3 again: accepted, then failed
expect 200 '"revoked":true' DELETE /v1/tokens/t1
printf '{"name": "ro", "role": "read-only"}' > "$dir/tok.json"
ro=$(api POST /v1/tokens "$dir/tok.json" | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$ro" ] || fail "no read-only token"
printf '{"name": "aud", "role": "auditor"}' > "$dir/tok.json"
aud=$(api POST /v1/tokens "$dir/tok.json" | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$aud" ] || fail "no auditor token"
# 7 actions, 14 records: checkpoints at 4, 8 and 12
expect 200 '"seq":1,' GET '/v1/audit?limit=5'
out=$(api GET '/v1/audit?limit=5')
case $out in *'"next":6}'*) ;; *) fail "the first page of 5 does not name 6 next: $out" ;; esac
case $out in *'"actor":"api/admin","role":"admin","scope":"","action":"token.manage","object":"token t1","result":"accepted","detail":"POST /v1/tokens"'*) ;;
*) fail "record 1 is not the creation of t1: $out" ;;
esac
expect 200 '"seq":14,' GET '/v1/audit?from=10'
expect 200 '"next":null' GET '/v1/audit?from=10'
expect 200 '"result":"failed","detail":"the name is taken"' GET '/v1/audit?from=8&limit=1'
expect 400 invalid_request GET '/v1/audit?from=0'
expect 400 invalid_request GET '/v1/audit?frm=1'
expect 403 forbidden GET /v1/audit/verify - "$ro"
expect 403 forbidden GET /v1/audit/export - "$ro"
expect 405 method_not_allowed POST /v1/audit/verify
expect 200 '"ok":true,"records":14,"last_seq":14,"checkpoints":3,"last_checkpoint_seq":12,"records_unsigned":2' \
	GET /v1/audit/verify
# the auditor reads, verifies and exports
expect 200 '"ok":true' GET /v1/audit/verify - "$aud"
expect 200 '"seq":1,' GET '/v1/audit?limit=1' - "$aud"
expect 200 '"type":"record"' GET /v1/audit/export - "$aud"
expect 200 '"problem":null' GET /v1/audit/verify
vty "show audit" > "$dir/show.out"
expect_in "$dir/show.out" "audit trail: 14 records, the last seq 14"
expect_in "$dir/show.out" "checkpoints: 3, the last covers seq 12 (.*); 2 records after it"
vty "show running-config" | tr -d '\r' > "$dir/running.out"
expect_in "$dir/running.out" "^audit$"
expect_in "$dir/running.out" "^ key audit.key$"
expect_in "$dir/running.out" "^ key-create$"
expect_in "$dir/running.out" "^ checkpoint records 4$"
expect_in "$dir/running.out" "^ checkpoint interval 60$"
key_id=$(sed -n 's/.*key id \([0-9a-f]*\).*/\1/p' "$dir/show.out")
[ ${#key_id} -eq 64 ] || fail "show audit names no key id: $(cat "$dir/show.out")"
ctrl rate_ctr.abs.otad.0.audit:records > "$dir/ctrl.out"
expect_in "$dir/ctrl.out" "audit:records 14"
ctrl rate_ctr.abs.otad.0.audit:checkpoints > "$dir/ctrl.out"
expect_in "$dir/ctrl.out" "audit:checkpoints 3"

# ---- simpki-admin --------------------------------------------------------------------------------------------
"$admin" audit verify > "$dir/admin.out" 2>&1 || fail "simpki-admin audit verify exited $?: $(cat "$dir/admin.out")"
expect_in "$dir/admin.out" "audit trail OK: 14 records"
"$admin" audit verify --json > "$dir/admin.json" 2>&1 || fail "simpki-admin audit verify --json exited $?"
expect_in "$dir/admin.json" '"key_id": "'"$key_id"'"'
"$admin" audit --help > /dev/null 2>&1 # the global usage
"$admin" audit verify --help > "$dir/help.out" || fail "audit verify --help exited $?"
expect_in "$dir/help.out" "Usage: simpki-admin audit verify"
"$admin" audit export --help > "$dir/help.out" || fail "audit export --help exited $?"
expect_in "$dir/help.out" "Usage: simpki-admin audit export --out FILE"
"$admin" audit export > /dev/null 2>&1
[ $? -eq 2 ] || fail "audit export without --out did not exit 2"
"$admin" audit verify --file "$dir/x" > /dev/null 2>&1
[ $? -eq 2 ] || fail "audit verify --file without --key did not exit 2"
"$admin" audit export --out "$dir/export.ndjson" > "$dir/admin.out" 2>&1 || fail "audit export exited $?: $(cat "$dir/admin.out")"
[ "$(grep -c '"type":"record"' "$dir/export.ndjson")" = 14 ] || fail "the export does not hold 14 records"
[ "$(grep -c '"type":"checkpoint"' "$dir/export.ndjson")" = 3 ] || fail "the export does not hold 3 checkpoints"
tail -n 1 "$dir/export.ndjson" | grep -q '"type":"key","key_id":"'"$key_id"'","pem":"-----BEGIN PUBLIC KEY-----' ||
	fail "the export does not end with the key"
api GET /v1/audit/export > "$dir/api-export.out"
cmp -s "$dir/api-export.out" /dev/null && fail "GET /v1/audit/export answered nothing"
openssl pkey -in "$dir/conf/audit.key" -pubout -out "$dir/audit.pub" 2> /dev/null || fail "openssl cannot read the audit key"

# ---- fail closed ---------------------------------------------------------------------------------------------
sqlite3 "$dir/conf/otad.db" "CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'x'); END;" ||
	fail "sqlite3 cannot add the trigger"
printf '{"name": "blocked", "role": "operator"}' > "$dir/tok.json"
expect 503 audit_unavailable POST /v1/tokens "$dir/tok.json"
expect 503 audit_unavailable DELETE /v1/tokens/t2
api GET /v1/tokens > "$dir/tokens.out"
grep -q '"blocked"' "$dir/tokens.out" && fail "a token was made although its audit record was not written"
grep -q '"t2"' "$dir/tokens.out" || fail "a token was revoked although its audit record was not written"
ctrl rate_ctr.abs.otad.0.audit:failures > "$dir/ctrl.out"
expect_in "$dir/ctrl.out" "audit:failures 2"
expect_in "$dir/otad.log" "cannot write the audit record of token.manage on token blocked"
sqlite3 "$dir/conf/otad.db" "DROP TRIGGER no_audit;" || fail "sqlite3 cannot drop the trigger"
expect 201 '"name":"blocked"' POST /v1/tokens "$dir/tok.json"
expect 200 '"ok":true,"records":16,' GET /v1/audit/verify
stop_otad
expect_in "$dir/otad.log" "checkpoint"
[ "$(sqlite3 "$dir/conf/otad.db" "SELECT max(seq) FROM audit_checkpoints")" = 16 ] || fail "no checkpoint at the stop"

# ---- offline ---------------------------------------------------------------------------------------------------
"$admin" audit verify --file "$dir/export.ndjson" --key "$dir/audit.pub" > "$dir/offline.out" 2>&1 ||
	fail "the export does not verify offline: $(cat "$dir/offline.out")"
expect_in "$dir/offline.out" "audit trail OK: 14 records, chained from record 1; 3 checkpoints, the last signed one covers record 12; 2 records after it"
sed '5s/"result":"[a-z]*"/"result":"refused"/' "$dir/export.ndjson" > "$dir/changed.ndjson"
cmp -s "$dir/changed.ndjson" "$dir/export.ndjson" && fail "sed did not change record 5 of the export"
SIMPKI_API_TOKEN= "$admin" audit verify --file "$dir/changed.ndjson" --key "$dir/audit.pub" > "$dir/offline.out" 2>&1
[ $? -eq 1 ] || fail "a changed export does not exit 1: $(cat "$dir/offline.out")"
expect_in "$dir/offline.out" "the first problem is at record 5: changed"
sed -E '/"type":"record","seq":1[234],/d' "$dir/export.ndjson" > "$dir/cut.ndjson"
"$admin" audit verify --file "$dir/cut.ndjson" --key "$dir/audit.pub" > "$dir/offline.out" 2>&1
expect_in "$dir/offline.out" "the first problem is at record 12: truncated"
openssl ecparam -name prime256v1 -genkey 2> /dev/null | openssl pkey -pubout > "$dir/other.pub" 2> /dev/null
"$admin" audit verify --file "$dir/export.ndjson" --key "$dir/other.pub" > "$dir/offline.out" 2>&1
[ $? -eq 1 ] || fail "another key verifies the export"
expect_in "$dir/offline.out" "the first problem is at record 4: signature"
echo '{"type":"record","seq":1' > "$dir/bad.ndjson"
"$admin" audit verify --file "$dir/bad.ndjson" --key "$dir/audit.pub" > "$dir/offline.out" 2>&1
[ $? -eq 2 ] || fail "a broken export does not exit 2"
expect_in "$dir/offline.out" "line 1: not a JSON object"

# ---- tampered copies -----------------------------------------------------------------------------------------
db=$dir/conf/otad.db
cp "$db" "$dir/conf/deleted.db"
sqlite3 "$dir/conf/deleted.db" "DELETE FROM audit WHERE seq = 5;"
verify_copy deleted.db gap 5
cp "$db" "$dir/conf/inserted.db"
sqlite3 "$dir/conf/inserted.db" "UPDATE audit SET seq = -seq WHERE seq >= 6; UPDATE audit SET seq = 1 - seq WHERE seq < 0;
INSERT INTO audit VALUES (6, 1765000000000, 'api/mallory', 'admin', '', 'token.create', 'token m', 'done', '',
randomblob(32), randomblob(32));"
verify_copy inserted.db inserted 6
cp "$db" "$dir/conf/changed.db"
sqlite3 "$dir/conf/changed.db" "UPDATE audit SET object = 'token t9' WHERE seq = 7;"
verify_copy changed.db changed 7
cp "$db" "$dir/conf/signature.db"
sqlite3 "$dir/conf/signature.db" "UPDATE audit_checkpoints SET signature = randomblob(70) WHERE seq = 8;"
verify_copy signature.db signature 8
cp "$db" "$dir/conf/truncated.db"
sqlite3 "$dir/conf/truncated.db" "DELETE FROM audit WHERE seq > 10;"
verify_copy truncated.db truncated 12
expect_in "$dir/otad-truncated.log" "the audit trail ends at record 10, but the last checkpoint covers 16"

# ---- refusals at start ---------------------------------------------------------------------------------------
chmod 644 "$dir/conf/audit.key"
mkdir -p "$dir/elsewhere"
(cd "$dir/elsewhere" && "$otad" -c "$dir/conf/simpki-otad.cfg") > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "an audit key others may read does not exit 1"
expect_in "$dir/out" "audit key file .* may be read by others"
chmod 600 "$dir/conf/audit.key"
sed 's/^ key-create$//; s/^ key audit.key$/ key missing.key/' "$dir/conf/simpki-otad.cfg" > "$dir/conf/nokey.cfg"
(cd "$dir/elsewhere" && "$otad" -c "$dir/conf/nokey.cfg") > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "a missing audit key without key-create does not exit 1"
expect_in "$dir/out" "key-create"

[ $failures -eq 0 ] || { echo "otad-audit: $failures failures" >&2; exit 1; }
echo "otad-audit: ok"
