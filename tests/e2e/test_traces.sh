#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Traces over OTLP/HTTP (docs/traces.md), end to end: the observer exports
# to a node receiver (tests/e2e/otlp/receiver.mjs) that checks every body
# against the official OTLP protobuf types. Then:
#  1. curl against nginx (200, 404, 500), curl against a single-threaded
#     python server that calls nginx twice while serving (/fanout) or the
#     LLM mock once (/llm), curl against the LLM mock: exact span counts per
#     kind of request, attributes, error statuses, Unix times, the python
#     client calls linked as children of the request they served, LLM calls
#     as one span with HTTP and gen_ai.* attributes (check_traces.py work).
#  2. The collector goes down; 50 requests make 100 spans against a queue
#     of 64: the 64 that were queued arrive once it is back (one of them the
#     test's own last scrape), the rest are counted as dropped, none failed.
# The receiver's own serving of the exports is not traced (no feedback loop).
# Ports 18760-18769, observer 19760. The receiver is installed from
# tests/e2e/otlp/package-lock.json with `npm ci` when node_modules is missing.
set -uo pipefail
export BT_READY_TIMEOUT=${BT_READY_TIMEOUT:-30}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init traces
bt_need_cmd node npm nginx openssl

OTLP_DIR=$BT_E2E_DIR/otlp
CHECK=$OTLP_DIR/check_traces.py
OBS_PORT=19760
RCV_PORT=18760
NGX_PORT=18762
PY_PORT=18763
MOCK_PORT=18764
QUEUE=64
DOWN_REQS=50

if [ ! -d "$OTLP_DIR/node_modules" ]; then
	bt_log "npm ci in $OTLP_DIR"
	(cd "$OTLP_DIR" && npm ci --no-audit --no-fund) >"$BT_ART/npm-ci.log" 2>&1 ||
		bt_fail "npm ci failed: $(tail -n 20 "$BT_ART/npm-ci.log")"
fi

# receiver_start OUT: the receiver on RCV_PORT writing spans to OUT; sets RCV_PID.
RCV_ERRORS=$BT_ART/receiver-errors.txt
: >"$RCV_ERRORS"
receiver_start() {
	local ready=$BT_TMP/receiver.ready i
	rm -f "$ready"
	: >"$1"
	node "$OTLP_DIR/receiver.mjs" --port "$RCV_PORT" --out "$1" --errors "$RCV_ERRORS" \
		--ready "$ready" >>"$BT_ART/receiver.log" 2>&1 &
	RCV_PID=$!
	bt_track "$RCV_PID" otlp-receiver
	for ((i = 0; i < 100; i++)); do
		[ -s "$ready" ] && return 0
		bt_alive "$RCV_PID" || bt_fail "receiver exited: $(tail -n 20 "$BT_ART/receiver.log")"
		sleep 0.1
	done
	bt_fail "receiver did not start: $(tail -n 20 "$BT_ART/receiver.log")"
}

receiver_stop() {
	kill -TERM "$RCV_PID" 2>/dev/null
	bt_wait_gone "$RCV_PID" 5 || kill -KILL "$RCV_PID" 2>/dev/null
}

# metric VALUE of one series in a fresh scrape (0 when absent).
metric() {
	bt_scrape "$BT_TMP/m.prom" || return 1
	awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }' "$BT_TMP/m.prom"
}

# ---------------------------------------------------------------- set-up
BT_NGX_EXTRA="        location /down/ { return 200 \"down\"; }"
bt_nginx_start "$NGX_PORT"
bt_test_ca "$BT_TMP"
KEY=sk-test-$(openssl rand -hex 20)
MOCK_LOG=$BT_ART/mock-served.jsonl
: >"$MOCK_LOG"
"$BT_PY" "$BT_E2E_DIR/llm/mock_llm.py" --listen "openai=$MOCK_PORT" --cert "$BT_TMP/server.crt" \
	--key "$BT_TMP/server.key" --log "$MOCK_LOG" --ready "$BT_TMP/mock.ready" \
	--comm llm-mock >"$BT_ART/mock.log" 2>&1 &
bt_track $! mock_llm
"$BT_PY" "$OTLP_DIR/fanout_server.py" --port "$PY_PORT" --upstream "$NGX_PORT" \
	--llm "$MOCK_PORT" --ca "$BT_CA" --key "$KEY" --log "$BT_ART/fanout.log" \
	>"$BT_ART/fanout-server.log" 2>&1 &
bt_track $! fanout_server
bt_wait_port "$MOCK_PORT" 10 || bt_fail "LLM mock did not start: $(cat "$BT_ART/mock.log")"
bt_wait_port "$PY_PORT" 10 || bt_fail "fanout server did not start: $(cat "$BT_ART/fanout-server.log")"

SPANS1=$BT_ART/spans-1.jsonl
SPANS2=$BT_ART/spans-2.jsonl
receiver_start "$SPANS1"

cfg=$BT_TMP/observer.yaml
cat >"$cfg" <<EOF
services:
  - name: llm-mock
    match: {comm: llm-mock}
llm:
  hosts:
    "127.0.0.1:$MOCK_PORT": openai
traces:
  endpoint: http://127.0.0.1:$RCV_PORT
  sample_ratio: 1
  queue_size: $QUEUE
  batch_size: 8
  flush_interval: 100ms
EOF
cp "$cfg" "$BT_ART/observer.yaml"
bt_observer_start "$OBS_PORT" --config "$cfg"

# ---------------------------------------------------------------- 1. work
T0=$(date +%s%N)
for code in 200 404 500; do
	for _ in 1 2 3 4; do
		curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$NGX_PORT/status/$code"
	done
done
for _ in 1 2 3; do
	[ "$(curl -s --max-time 10 "http://127.0.0.1:$PY_PORT/fanout")" = ok ] ||
		bt_check_fail "python /fanout did not answer ok"
done
CHAT='{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
for _ in 1 2; do
	curl -sS -o /dev/null --max-time 10 --cacert "$BT_CA" -H 'Content-Type: application/json' \
		-H 'X-Mock-Client: curl' -H "Authorization: Bearer $KEY" --data-binary "$CHAT" \
		"https://127.0.0.1:$MOCK_PORT/v1/chat/completions" || bt_check_fail "curl LLM call failed"
done
[ "$(curl -s --max-time 10 "http://127.0.0.1:$PY_PORT/llm")" = ok ] ||
	bt_check_fail "python /llm did not answer ok"
T1=$(date +%s%N)

work_check() {
	python3 "$CHECK" work "$SPANS1" --ports "$NGX_PORT,$PY_PORT,$MOCK_PORT" \
		--py-service "$BT_PY_SERVICE" --mock-log "$MOCK_LOG" --t0 "$T0" --t1 "$T1" "$@"
}
for ((i = 0; i < 60; i++)); do
	work_check --quiet && break
	sleep 0.5
done
bt_log "spans of the first part: $(wc -l <"$SPANS1")"
work_check | sed 's/^/    /'
[ "${PIPESTATUS[0]}" -eq 0 ] || bt_check_fail "spans of the first part (check_traces.py work)"
[ -s "$RCV_ERRORS" ] && bt_check_fail "receiver refused bodies: $(head -n 5 "$RCV_ERRORS")"
n=$(metric 'biothings_traces_spans_total{result="dropped"}')
[ "$n" = 0 ] || bt_check_fail "dropped while the collector was up: $n"

# ---------------------------------------------------------------- 2. down, up
# Quiet first: a scrape that finds nothing queued or held. The span of that
# scrape itself comes later (curl's record ends after the answer), so the
# queue then fills with it and the first QUEUE-1 spans of the workload.
quiet=0
for ((i = 0; i < 30; i++)); do
	# longer than the 1 s a client-only process's span waits for a parent, plus the
	# 100 ms flush interval and the export
	sleep 1.6
	bt_scrape "$BT_TMP/q.prom" || continue
	q=$(awk '$1 == "biothings_traces_queue_spans" { print $2 }' "$BT_TMP/q.prom")
	h=$(awk '$1 == "biothings_traces_held_spans" { print $2 }' "$BT_TMP/q.prom")
	if [ "$q" = 0 ] && [ "$h" = 0 ]; then
		quiet=1
		break
	fi
done
[ "$quiet" = 1 ] || bt_fail "the observer never had an empty queue (queued=$q held=$h)"
exported0=$(awk '$1 == "biothings_traces_spans_total{result=\"exported\"}" { print $2 }' "$BT_TMP/q.prom")
dropped0=$(awk '$1 == "biothings_traces_spans_total{result=\"dropped\"}" { print $2 }' "$BT_TMP/q.prom")
receiver_stop
bt_log "collector down (exported so far $exported0, dropped $dropped0)"
for ((i = 0; i < DOWN_REQS; i++)); do
	curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$NGX_PORT/down/$i"
done
# every workload span has met the full queue: dropped >= 2*DOWN_REQS + 1 - QUEUE
want=$((dropped0 + 2 * DOWN_REQS + 1 - QUEUE))
for ((i = 0; i < 100; i++)); do
	d=$(metric 'biothings_traces_spans_total{result="dropped"}')
	[ "$d" -ge "$want" ] && break
	sleep 0.2
done
bt_log "while down: dropped $d (at least $want expected)"
[ "$d" -ge "$want" ] || bt_check_fail "dropped $d while down, expected at least $want"
[ "$(metric biothings_traces_queue_spans)" = "$QUEUE" ] || bt_check_fail "queue not full while down"
[ "$(metric 'biothings_traces_spans_total{result="exported"}')" = "$exported0" ] ||
	bt_check_fail "spans exported while the collector was down"

receiver_start "$SPANS2"
bt_log "collector up"
for ((i = 0; i < 100; i++)); do
	[ "$(wc -l <"$SPANS2")" -ge "$QUEUE" ] && break
	sleep 0.2
done
n=$(metric 'biothings_traces_spans_total{result="failed"}')
[ "$n" = 0 ] || bt_check_fail "spans refused by the collector: $n"
bt_observer_stop_checked
receiver_stop
python3 "$CHECK" down "$SPANS2" --nginx "$NGX_PORT" --queue "$QUEUE" --scrape-port "$OBS_PORT" |
	sed 's/^/    /'
[ "${PIPESTATUS[0]}" -eq 0 ] || bt_check_fail "collector down then up (check_traces.py down)"
[ -s "$RCV_ERRORS" ] && bt_check_fail "receiver refused bodies: $(head -n 5 "$RCV_ERRORS")"
grep -q "$KEY" "$SPANS1" "$SPANS2" && bt_check_fail "the API key reached the spans"
bt_finish
