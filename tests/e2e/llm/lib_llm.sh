# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034 # the BT_LLM_* variables are read by the tests
#
# Helpers of the LLM end-to-end tests (tests/e2e/test_llm_*.sh), sourced
# after tests/e2e/lib.sh and bt_init: start the HTTPS mock providers and the
# observer with a config naming each mock port's provider, then compare
# every biothings_llm_* / gen_ai_* family with what the mock says it served
# (expect.py), and look for the test's credentials in everything the
# observer wrote. They start nothing that lib.sh's cleanup does not stop.

BT_LLM_DIR=$BT_E2E_DIR/llm
BT_LLM_PROVIDERS=(openai azure_openai anthropic gemini cohere openrouter ollama)
BT_LLM_MOCK_SERVICE=llm-mock

# bt_llm_start OBS_PORT BASE_PORT [observer args...]: mock ports BASE_PORT.. in the order of
# BT_LLM_PROVIDERS; sets BT_LLM_PORT[provider], BT_LLM_URL[provider],
# BT_LLM_LOG (the mock's served-calls log), the secrets BT_LLM_BEARER,
# BT_LLM_XKEY, BT_LLM_GKEY, and BT_CA.
bt_llm_start() {
	local obs_port=$1 base=$2 i p cfg listen=()
	shift 2
	declare -gA BT_LLM_PORT BT_LLM_URL
	bt_test_ca "$BT_TMP"
	BT_LLM_BEARER=sk-test-$(openssl rand -hex 20)
	BT_LLM_XKEY=$(openssl rand -hex 24)
	BT_LLM_GKEY=AIza$(openssl rand -hex 18)
	cfg=$BT_TMP/observer.yaml
	{
		echo "services:"
		echo "  - name: $BT_LLM_MOCK_SERVICE"
		echo "    match: {comm: $BT_LLM_MOCK_SERVICE}"
		echo "llm:"
		echo "  hosts:"
		for i in "${!BT_LLM_PROVIDERS[@]}"; do
			p=${BT_LLM_PROVIDERS[i]}
			BT_LLM_PORT[$p]=$((base + i))
			BT_LLM_URL[$p]=https://127.0.0.1:$((base + i))
			echo "    \"127.0.0.1:$((base + i))\": $p"
			listen+=(--listen "$p=$((base + i))")
		done
		# more of the llm: section (2-space indent) or top-level sections
		[ -z "${BT_LLM_CONFIG_EXTRA:-}" ] || printf '%s\n' "$BT_LLM_CONFIG_EXTRA"
	} >"$cfg"
	cp "$cfg" "$BT_ART/observer.yaml"
	bt_observer_start "$obs_port" --config "$cfg" "$@"
	BT_LLM_LOG=$BT_ART/mock-served.jsonl
	: >"$BT_LLM_LOG"
	"$BT_PY" "$BT_LLM_DIR/mock_llm.py" "${listen[@]}" --cert "$BT_TMP/server.crt" \
		--key "$BT_TMP/server.key" --log "$BT_LLM_LOG" --ready "$BT_TMP/mock.ready" \
		--comm "$BT_LLM_MOCK_SERVICE" >"$BT_ART/mock.log" 2>&1 &
	BT_LLM_MOCK_PID=$!
	bt_track "$BT_LLM_MOCK_PID" mock_llm
	for ((i = 0; i < 100; i++)); do
		[ -s "$BT_TMP/mock.ready" ] && break
		bt_alive "$BT_LLM_MOCK_PID" || bt_fail "mock exited: $(cat "$BT_ART/mock.log")"
		sleep 0.1
	done
	[ -s "$BT_TMP/mock.ready" ] || bt_fail "mock did not start: $(cat "$BT_ART/mock.log")"
	# The pin dir as it is while calls carry the secrets.
	ls -laR "$BT_PIN_DIR" >"$BT_TMP/pins-start.txt" 2>&1
	bt_log "mock pid $BT_LLM_MOCK_PID on ports $base..$((base + ${#BT_LLM_PROVIDERS[@]} - 1))"
}

# bt_llm_served_count: calls the mock has logged so far.
bt_llm_served_count() {
	wc -l <"$BT_LLM_LOG"
}

# bt_llm_wait_served N: until the mock has logged N calls (it logs after
# the answer is written, so a client can exit a moment before the line).
bt_llm_wait_served() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(bt_llm_served_count)" -ge "$1" ] && return 0
		sleep 0.1
	done
	bt_check_fail "mock logged $(bt_llm_served_count) calls, expected $1"
}

# bt_llm_verify SERVICES_REGEX: every check of the LLM families against the
# mock's log. Series of other services (and of providers the test did not
# configure) are left out, so a stray LLM call elsewhere on the host does
# not fail the test; the mock's own service is checked separately.
bt_llm_verify() {
	local svc=service_name=~"$1" e=$BT_ART/expected f prov
	prov="provider=~($(
		IFS='|'
		echo "${BT_LLM_PROVIDERS[*]}"
	))"
	"$BT_PY" "$BT_LLM_DIR/expect.py" "$BT_LLM_LOG" "$e" || bt_fail "expect.py failed"
	for f in "$e"/*.txt; do
		bt_log "expected $(basename "$f" .txt):"
		sed 's/^/    /' "$f"
	done
	bt_wait_counts "llm requests" "$e/requests.txt" biothings_llm_requests_total \
		service_name,provider,status "$svc" || bt_check_fail "biothings_llm_requests_total differs"
	bt_wait_counts "llm tokens" "$e/tokens.txt" biothings_llm_tokens_total \
		service_name,provider,model,token_type "$svc" || bt_check_fail "biothings_llm_tokens_total differs"
	bt_wait_counts "llm errors" "$e/errors.txt" biothings_llm_errors_total \
		service_name,provider,model,status,error_type "$svc" ||
		bt_check_fail "biothings_llm_errors_total differs"
	bt_wait_counts "llm unparsed" "$e/unparsed.txt" biothings_llm_unparsed_total \
		provider,reason "$prov" || bt_check_fail "biothings_llm_unparsed_total differs"
	bt_wait_counts "llm ttft" "$e/ttft.txt" gen_ai_server_time_to_first_token_seconds_count \
		service_name,gen_ai_provider_name "$svc" || bt_check_fail "TTFT observations differ"
	bt_wait_counts "llm duration" "$e/duration.txt" gen_ai_client_operation_duration_seconds_count \
		service_name,gen_ai_provider_name "$svc" || bt_check_fail "operation duration observations differ"
	bt_wait_counts "llm token usage" "$e/usage_sum.txt" gen_ai_client_token_usage_sum \
		service_name,gen_ai_provider_name,gen_ai_token_type "$svc" ||
		bt_check_fail "gen_ai_client_token_usage sums differ"
	bt_wait_counts "llm ratelimit" "$e/ratelimit.txt" biothings_llm_ratelimit_remaining \
		provider,limit "$prov" || bt_check_fail "biothings_llm_ratelimit_remaining differs"
	bt_wait_counts "llm retry-after" "$e/retry_after.txt" biothings_llm_retry_after_seconds \
		provider "$prov" || bt_check_fail "biothings_llm_retry_after_seconds differs"
	bt_llm_check_server_side
	bt_llm_check_secrets
}

# The mock is a TLS server seen by the same observer: nothing of its
# server-side traffic may become LLM usage.
bt_llm_check_server_side() {
	local s=$BT_TMP/llm-final.prom n
	bt_scrape "$s" || bt_check_fail "scrape failed"
	cp "$s" "$BT_ART/metrics-final.prom"
	n=$(grep -E '^(biothings_llm_|gen_ai_)' "$s" | grep -c "service_name=\"$BT_LLM_MOCK_SERVICE\"")
	[ "$n" = 0 ] || bt_check_fail "$n LLM series carry the mock's service_name $BT_LLM_MOCK_SERVICE"
	# ...while the observer did see the mock serving (the rule matched).
	n=$(bt_promq sum "$s" http_server_request_duration_seconds_count \
		service_name="$BT_LLM_MOCK_SERVICE")
	bt_log "server-side requests seen for $BT_LLM_MOCK_SERVICE: $n"
}

# None of the credentials the clients sent may appear in what the
# observer exports, logs or stores.
bt_llm_check_secrets() {
	local d=$BT_TMP/secret-scan s hits
	mkdir -p "$d"
	bt_scrape "$d/metrics.prom"
	bt_scrape "$d/prometheus-metrics.prom" /prometheus/metrics
	cp "$BT_OBS_LOG" "$d/observer.log"
	cp "$BT_TMP/pins-start.txt" "$d/"
	ls -laR "$BT_PIN_DIR" >"$d/pins-end.txt" 2>&1
	cp -r "$BT_STATE_DIR" "$d/state" 2>/dev/null
	for s in "$BT_LLM_BEARER" "${BT_LLM_BEARER#sk-test-}" "$BT_LLM_XKEY" "$BT_LLM_GKEY" \
		"${BT_LLM_GKEY#AIza}"; do
		hits=$(grep -rlaF -- "$s" "$d" 2>/dev/null)
		[ -z "$hits" ] || bt_check_fail "a client secret appears in: $hits"
	done
	bt_log "secret scan: $(find "$d" -type f | wc -l) files, $(cat "$d"/* 2>/dev/null | wc -c) bytes"
}
