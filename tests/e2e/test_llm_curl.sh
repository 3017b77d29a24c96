#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# LLM token accounting with curl over HTTPS (libssl uprobes) against the
# mock providers (tests/e2e/llm/mock_llm.py), one port per provider
# identity named in the observer's llm.hosts. Every provider's API is
# called streamed and not, with gzip, chunked, a 2 MB answer, a stream of
# 2,000 events, and the faults: a stream cut mid-way, garbage and truncated
# JSON, 429 with rate-limit headers, Anthropic 529. Proves that tokens per
# (service, provider, model, type), requests, errors, unparsed reasons,
# TTFT and rate-limit gauges equal what the mock served, exactly; that the
# mock's server side adds nothing; that no credential leaks; no drops.
set -uo pipefail
# Loading the programs takes longer than the default 10 s on a busy 2-core VM.
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init llm_curl
# shellcheck source=tests/e2e/llm/lib_llm.sh
. "$BT_E2E_DIR/llm/lib_llm.sh"

bt_need_cmd openssl
bt_llm_start 19481 18610

CALLS=0
CURL_FAILS=0
# call PROVIDER PATH SCENARIO JSON [curl args...]: one POST by one curl
# process; a non-zero curl exit is expected only for the cut scenarios.
call() {
	local prov=$1 path=$2 scen=$3 body=$4 rc auth=()
	shift 4
	case $prov in
	anthropic) auth=(-H "x-api-key: $BT_LLM_XKEY" -H 'anthropic-version: 2023-06-01') ;;
	gemini) auth=(-H "x-goog-api-key: $BT_LLM_GKEY") ;;
	azure_openai) auth=(-H "api-key: $BT_LLM_XKEY") ;;
	*) auth=(-H "Authorization: Bearer $BT_LLM_BEARER") ;;
	esac
	curl -sS --cacert "$BT_CA" -o "$BT_TMP/last.out" --max-time 20 \
		-H 'Content-Type: application/json' -H "X-Mock-Client: curl" \
		-H "X-Mock-Scenario: $scen" "${auth[@]}" --data-binary "$body" "$@" \
		"${BT_LLM_URL[$prov]}$path" 2>>"$BT_ART/curl-errors.log"
	rc=$?
	CALLS=$((CALLS + 1))
	case $scen in
	*drop* | *truncated*) [ "$rc" -ne 0 ] || bt_check_fail "curl $prov $path $scen: exit 0 on a cut answer" ;;
	*) [ "$rc" -eq 0 ] || {
		CURL_FAILS=$((CURL_FAILS + 1))
		bt_check_fail "curl $prov $path $scen: exit $rc"
	} ;;
	esac
}

CHAT='{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
CHAT_S='{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}'
CHAT_S_NOUSAGE='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}'
RESP='{"model":"gpt-4o","input":"hi"}'
RESP_S='{"model":"gpt-4o","input":"hi","stream":true}'
ANT='{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}'
ANT_S='{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
GEM='{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}'
GEN=/v1beta/models/gemini-2.5-flash
CO2='{"model":"command-a-03-2025","messages":[{"role":"user","content":"hi"}]}'
CO2_S='{"model":"command-a-03-2025","stream":true,"messages":[{"role":"user","content":"hi"}]}'
CO1='{"model":"command-r","message":"hi"}'
CO1_S='{"model":"command-r","message":"hi","stream":true}'
OR='{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
OR_S='{"model":"anthropic/claude-3.5-haiku","stream":true,"messages":[{"role":"user","content":"hi"}]}'
OL_CHAT='{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}'
OL_CHAT_NS='{"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"hi"}]}'
OL_GEN='{"model":"qwen2.5:0.5b","prompt":"hi"}'
OL_GEN_NS='{"model":"qwen2.5:0.5b","prompt":"hi","stream":false}'
AZ='/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21'

bt_log "curl: openai"
call openai /v1/chat/completions "" "$CHAT"
call openai /v1/chat/completions "" "$CHAT_S" -N
call openai /v1/chat/completions "" "$CHAT_S_NOUSAGE" -N
call openai /v1/chat/completions gzip "$CHAT" --compressed
call openai /v1/chat/completions gzip "$CHAT_S" --compressed -N
call openai /v1/chat/completions chunked "$CHAT"
call openai /v1/responses "" "$RESP"
call openai /v1/responses "" "$RESP_S" -N
call openai /v1/responses gzip "$RESP_S" --compressed
call openai /v1/embeddings "" '{"model":"text-embedding-3-small","input":["a","b"]}'
call openai /v1/chat/completions big "$CHAT"
call openai /v1/chat/completions many "$CHAT_S" -N
call openai /v1/chat/completions drop "$CHAT_S" -N
call openai /v1/chat/completions garbage "$CHAT"
call openai /v1/chat/completions garbage "$CHAT_S" -N
call openai /v1/chat/completions junkdelta "$CHAT_S" -N
call openai /v1/chat/completions truncated "$CHAT"
call openai /v1/chat/completions 429 "$CHAT"
bt_log "curl: azure_openai"
call azure_openai "$AZ" "" '{"messages":[{"role":"user","content":"hi"}]}'
call azure_openai "$AZ" "" '{"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}' -N
bt_log "curl: anthropic"
call anthropic /v1/messages "" "$ANT"
call anthropic /v1/messages "" "$ANT_S" -N
call anthropic /v1/messages gzip "$ANT" --compressed
call anthropic /v1/messages gzip "$ANT_S" --compressed
call anthropic /v1/messages big "$ANT_S" -N
call anthropic /v1/messages many "$ANT_S" -N
call anthropic /v1/messages drop "$ANT_S" -N
call anthropic /v1/messages truncated "$ANT"
call anthropic /v1/messages garbage "$ANT_S" -N
call anthropic /v1/messages 529 "$ANT"
call anthropic /v1/messages 429 "$ANT_S"
bt_log "curl: gemini"
call gemini "$GEN:generateContent" "" "$GEM"
call gemini "/v1beta/models/gemini-2.5-pro:generateContent?key=$BT_LLM_GKEY" "" "$GEM"
call gemini "$GEN:streamGenerateContent?alt=sse" "" "$GEM" -N
call gemini "$GEN:streamGenerateContent" "" "$GEM" -N
call gemini "$GEN:streamGenerateContent?alt=sse" gzip "$GEM" --compressed
call gemini "$GEN:streamGenerateContent?alt=sse" many "$GEM" -N
call gemini "$GEN:generateContent" big "$GEM"
call gemini "$GEN:generateContent" 429 "$GEM"
call gemini "$GEN:streamGenerateContent?alt=sse" garbage "$GEM" -N
call gemini "$GEN:streamGenerateContent?alt=sse" junkdelta "$GEM" -N
bt_log "curl: cohere"
call cohere /v2/chat "" "$CO2"
call cohere /v2/chat "" "$CO2_S" -N
call cohere /v1/chat "" "$CO1"
call cohere /v1/chat "" "$CO1_S" -N
call cohere /v1/chat gzip "$CO1_S" --compressed
call cohere /v2/chat 429 "$CO2"
call cohere /v2/chat garbage "$CO2_S" -N
call cohere /v1/chat garbage "$CO1_S" -N
bt_log "curl: openrouter"
call openrouter /api/v1/chat/completions "" "$OR"
call openrouter /api/v1/chat/completions "" "$OR_S" -N
call openrouter /api/v1/chat/completions many "$OR_S" -N
bt_log "curl: ollama"
call ollama /api/chat "" "$OL_CHAT" -N
call ollama /api/chat "" "$OL_CHAT_NS"
call ollama /api/generate "" "$OL_GEN" -N
call ollama /api/generate "" "$OL_GEN_NS"
call ollama /api/chat drop "$OL_CHAT" -N
call ollama /api/generate garbage "$OL_GEN" -N

bt_llm_wait_served "$CALLS"
bt_log "curl made $CALLS calls ($CURL_FAILS unexpected curl failures)"
bt_llm_verify curl
bt_check_no_drops
bt_observer_stop_checked
bt_finish
