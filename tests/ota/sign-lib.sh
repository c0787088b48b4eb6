# Shell functions for the mobile-signature test and benchmark (sourced after phones-lib.sh and otad-lib.sh, with
# $build and $src set): sign_setup N [TIMEOUT_S] makes N SIMs as a vendor ships them (transport PIN 3141), starts
# simpki-ca and simpki-otad (its RA, with the relying-party API on 127.0.0.1:8481 for the relying party "portal",
# token in $dir/rp-token, session time-out TIMEOUT_S, default 40), links each card to a holder and runs a campaign that
# gives every SIM a P-256 signing key and certificate; then every phone is stopped again. The operator API has no
# rate limit here (the benchmark polls jobs). Sets $otad_pid, $ca_pid. Hooks for other tests that provision the
# same way: SETUP_OTAD_LINES (lines of the 'otad' node, e.g. " bip wait 5\n"), SETUP_CFG_TAIL (top-level nodes, e.g.
# "scp81\n listen 127.0.0.1 8443\n"), SETUP_PHONE_ARGS (more simpki-phone arguments, e.g. a --scenario), and
# phones-lib's CARDS_PSK (SIMs with SCP81 PSKs).
ca=$build/ota-server/ca/simpki-ca
. "$src/tests/ota/cert-lib.sh"
otad_pid=""
ca_pid=""
export SIMPKI_API_TOKEN=admin-token-for-the-signing-test-0123456789
export SIMPKI_CA_PASSPHRASE=signing-test-passphrase-0123
export SIMPKI_TRANSPORT_PIN=3141 SIMPKI_PUK=2718281828459045

# pki_setup N [TIMEOUT_S]: sign_setup's first half: the network, N SIMs, simpki-ca and simpki-otad running; no
# phone, nothing imported
pki_setup() {
	n=$1
	ss_timeout=${2:-40}
	ss_token=portal-token-for-the-signing-test-9876543210
	printf %s "$ss_token" > "$dir/rp-token"
	rp_hash=$(printf %s "$ss_token" | openssl dgst -sha256 -r | cut -d' ' -f1)
	"$net" start "$dir/net" > /dev/null || { echo "FAIL: osmo-net start" >&2; return 1; }
	cards $n --transport-pin "$SIMPKI_TRANSPORT_PIN" --puk "$SIMPKI_PUK" || return 1

	# ---- the CA, simpki-otad as its RA, and its relying-party API
	ca_start || return 1
	mkdir -p "$dir/otad"
	{
		sed "/^ api body-limit import/q; s/^ api rate 100\$/ api rate 0/; s/^ job delivery-mode store\$/&\\n job forward-part-gap ${SIMPKI_PART_GAP:-0}/" \
			"$src/ota-server/simpki-otad.cfg.example"
		printf ' ca\n  cmp-url http://127.0.0.1:8490/pkix/\n  ocsp-url http://127.0.0.1:8491/ocsp\n'
		printf '  ra-cert %s\n  ra-key %s\n  trust-anchor %s\n' "$dir/ca/ra.pem" "$dir/ca/ra.key" "$dir/ca/ca.pem"
		printf '  retry min-seconds 1 max-seconds 2\n  timeout 3\n  subject-organisation Ban Cơ yếu Chính phủ\n'
		printf "${SETUP_OTAD_LINES:-}"
		sed '1,/^ api body-limit import/d' "$src/ota-server/simpki-otad.cfg.example"
		printf 'signing\n listen 127.0.0.1 8481\n timeout %s\n relying-party portal\n' "$ss_timeout"
		printf '  display-name Cổng Dịch vụ công\n  token-sha256 %s\n  rate 1000\n' "$rp_hash"
		printf "${SETUP_CFG_TAIL:-}"
	} > "$dir/otad/simpki-otad.cfg"
	start_otad "$dir/otad/simpki-otad.cfg" || return 1
}

sign_setup() {
	pki_setup "$@" || return 1

	# ---- provisioning: a P-256 signing key and certificate on every SIM
	# shellcheck disable=SC2086 # SETUP_PHONE_ARGS: words
	start_phones provision --cards "$dir/cards" ${SETUP_PHONE_ARGS:-} || return 1
	# a test may change the server's copy of the vendor file first (setup_csv_hook, when defined)
	! command -v setup_csv_hook > /dev/null || setup_csv_hook "$dir/cards.csv"
	vty "import cards $dir/cards.csv" > "$dir/import.out"
	grep -q "imported $n cards" "$dir/import.out" || fail "import: $(cat "$dir/import.out")"
	holders_for_cards $n "Trần Văn Ký"
	printf '{"name": "signing keys", "select": {"iccids": [%s]}, "keys": [{"id": 2, "alg": "p256", "profile": "signing"}], "personalise": true, "concurrency": 100}' \
		"$iccids" > "$dir/campaign.json"
	api POST /v1/campaigns "$dir/campaign.json" > "$dir/campaign.out"
	c=$(sed -n 's/^201 {"id": *\([0-9]*\).*/\1/p' "$dir/campaign.out")
	[ -n "$c" ] || { fail "campaign not started: $(cat "$dir/campaign.out")"; return 1; }
	t=0
	until api GET "/v1/campaigns/$c" | grep -q '"state": *"done"'; do
		[ $t -lt 1500 ] || { fail "campaign not done: $(api GET "/v1/campaigns/$c")"; return 1; }
		sleep 0.2
		t=$((t + 1))
	done
	api GET "/v1/campaigns/$c" | grep -q "\"active\": *$n" || { fail "campaign: $(api GET "/v1/campaigns/$c")"; return 1; }
	stop_phones
}
