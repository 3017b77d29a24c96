#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# LLM token accounting for node (OpenSSL linked into /usr/bin/node) with the
# official npm SDKs: openai (also AzureOpenAI and OpenRouter through
# baseURL), @anthropic-ai/sdk, @google/genai and cohere-ai (v1 and v2),
# streamed and not, gzip, a 2 MB answer, 2,000-event streams, 429 and 529.
# The SDKs are installed from tests/e2e/llm/package-lock.json with `npm ci`
# when node_modules is missing. Proves the same exact equalities as
# test_llm_curl for service_name="node".
set -uo pipefail
# Loading the programs takes longer than the default 10 s on a busy 2-core VM.
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init llm_node
# shellcheck source=tests/e2e/llm/lib_llm.sh
. "$BT_E2E_DIR/llm/lib_llm.sh"

bt_need_cmd openssl node npm
if [ ! -d "$BT_LLM_DIR/node_modules" ]; then
	bt_log "npm ci in $BT_LLM_DIR"
	(cd "$BT_LLM_DIR" && npm ci --no-audit --no-fund) >"$BT_ART/npm-ci.log" 2>&1 ||
		bt_fail "npm ci failed: $(tail -n 20 "$BT_ART/npm-ci.log")"
fi
bt_llm_start 19483 18630
pairs=()
for p in "${BT_LLM_PROVIDERS[@]}"; do pairs+=("$p=${BT_LLM_URL[$p]}"); done

cfg=$("$BT_PY" -c 'import json, sys
a = sys.argv[1:]
print(json.dumps({"urls": dict(x.split("=", 1) for x in a[3:]), "bearer": a[0], "xkey": a[1], "gkey": a[2]}))' \
	"$BT_LLM_BEARER" "$BT_LLM_XKEY" "$BT_LLM_GKEY" \
	"${pairs[@]}")
NODE_EXTRA_CA_CERTS=$BT_CA node "$BT_LLM_DIR/node_sdks.mjs" "$cfg" >"$BT_ART/node.out" 2>&1
rc=$?
sed 's/^/    /' "$BT_ART/node.out"
grep -q '^ok ' "$BT_ART/node.out" || bt_skip "no SDK part could run: $(head -c 300 "$BT_ART/node.out")"
[ "$rc" -eq 0 ] || bt_check_fail "node SDK client failed (exit $rc)"

# The mock logs a call just after its last byte: let the last line land.
sleep 0.5
bt_llm_verify node
bt_check_no_drops
bt_observer_stop_checked
bt_finish
