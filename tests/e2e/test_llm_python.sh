#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# LLM token accounting for python3 (urllib and a keep-alive http.client
# connection, libssl's SSL_read_ex/SSL_write_ex) against the HTTPS mock
# providers: streamed answers read as they arrive, gzip, a 2 MB answer, a
# 2,000-event stream, 429, 529, garbage, a truncated answer and a stream
# cut mid-way, ten calls on one TLS connection. The client python and the
# mock's python are the same interpreter: the mock renames its task
# (llm-mock) and a service rule names it, so its server side must show up
# in no LLM family while the client's counts are exact.
set -uo pipefail
# Loading the programs takes longer than the default 10 s on a busy 2-core VM.
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init llm_python
# shellcheck source=tests/e2e/llm/lib_llm.sh
. "$BT_E2E_DIR/llm/lib_llm.sh"

bt_need_cmd openssl
bt_llm_start 19482 18620
pairs=()
for p in "${BT_LLM_PROVIDERS[@]}"; do pairs+=("$p=${BT_LLM_URL[$p]}"); done

urls=$("$BT_PY" -c 'import json, sys; print(json.dumps(dict(a.split("=", 1) for a in sys.argv[1:])))' \
	"${pairs[@]}")
secrets=$(printf '{"bearer":"%s","xkey":"%s","gkey":"%s"}' "$BT_LLM_BEARER" "$BT_LLM_XKEY" "$BT_LLM_GKEY")
calls=$("$BT_PY" "$BT_LLM_DIR/pyclient_llm.py" "$BT_CA" "$BT_PY_SERVICE" "$urls" "$secrets" \
	2>"$BT_ART/pyclient.err") || bt_fail "python client failed: $(cat "$BT_ART/pyclient.err")"
bt_log "python made $calls calls"

bt_llm_wait_served "$calls"
[ "$(bt_llm_served_count)" -eq "$calls" ] ||
	bt_check_fail "mock served $(bt_llm_served_count) calls, the client made $calls"
bt_llm_verify "$BT_PY_SERVICE"
bt_check_no_drops
bt_observer_stop_checked
bt_finish
