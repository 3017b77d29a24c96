#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# LLM usage through a ring buffer overflow. Three slow OpenAI-style streams
# (chunked SSE, ~3 MB each at ~1 MB/s, usage in the last chunk) on one
# keep-alive connection, a 256 KiB ring, and the observer stopped (SIGSTOP)
# for a second in the middle of the first: its answer bytes overflow the
# ring while it sleeps. Response payload is shed before the ring is full
# (payload_shed), so no record that says a call happened is lost
# (ringbuf_full stays 0), and the daemon frames past the hole from the
# kernel's framer state: all three calls are counted, the first as a holed
# answer whose usage was still read, and the output tokens are exact.
# Then a 2 MB prompt sent while the observer is stopped: captured request
# bytes stop at 1/16 of the ring free, so that call's exchange record still
# gets through and the call is counted (as unparsed: its body has a hole).
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init llm_shed

OBS=19795
SRV=18795
CALLS=3
EVENTS=3000
STREAM=$BT_E2E_DIR/llm/shed_stream.py
M=$BT_TMP/m.prom
val() { bt_promq sum "$M" "$@"; }

"$BT_PY" "$STREAM" serve "$SRV" --events "$EVENTS" --mbps 1 >"$BT_ART/server.log" 2>&1 &
bt_track $! shed-server
bt_wait_port "$SRV" 10 || bt_fail "stream server did not listen: $(cat "$BT_ART/server.log")"
bt_observer_start "$OBS" --ringbuf-size 256KiB

"$BT_PY" "$STREAM" client "$SRV" "$CALLS" >"$BT_TMP/client.out" 2>"$BT_ART/client.err" &
CLIENT=$!
bt_track "$CLIENT" shed-client
sleep 0.8
kill -STOP "$BT_OBS_PID"
sleep 1
kill -CONT "$BT_OBS_PID"
wait "$CLIENT" || bt_fail "client failed: $(cat "$BT_ART/client.err")"
served=$(cat "$BT_TMP/client.out")
bt_log "client read $CALLS answers announcing $served completion tokens"
[ "$served" = $((CALLS * EVENTS)) ] || bt_fail "the server announced $served tokens, expected $((CALLS * EVENTS))"

for _ in $(seq 50); do
	bt_scrape "$M" || bt_fail "scrape failed"
	[ "$(val biothings_llm_requests_total)" = "$CALLS" ] && break
	sleep 0.2
done
shed=$(val biothings_observer_events_dropped_total reason=payload_shed)
full=$(val biothings_observer_events_dropped_total reason=ringbuf_full)
calls=$(val biothings_llm_requests_total)
out=$(val biothings_llm_tokens_total token_type=output)
read=$(val biothings_llm_holed_responses_total usage=read)
lost=$(val biothings_llm_holed_responses_total usage=lost)
unparsed=$(val biothings_llm_unparsed_total)
bt_log "payload_shed=$shed ringbuf_full=$full calls=$calls output_tokens=$out holed read=$read lost=$lost unparsed=$unparsed"
[ "$shed" -gt 0 ] 2>/dev/null || bt_check_fail "the stalled reader shed no payload (payload_shed=$shed): the test did not overflow the ring"
[ "$full" = 0 ] || bt_check_fail "ringbuf_full=$full: records were lost although payload is shed first"
[ "$calls" = "$CALLS" ] || bt_check_fail "biothings_llm_requests_total=$calls, expected $CALLS"
[ "$read" -ge 1 ] 2>/dev/null || bt_check_fail "no holed answer had its usage read (read=$read lost=$lost)"
[ "$out" = "$served" ] || bt_check_fail "output tokens counted $out, served $served"
[ "$unparsed" = 0 ] || bt_check_fail "unparsed calls: $unparsed"

bt_log "a 2 MB prompt while the observer is stopped"
kill -STOP "$BT_OBS_PID"
"$BT_PY" "$STREAM" client "$SRV" 1 2000000 50 >"$BT_TMP/client2.out" 2>"$BT_ART/client2.err" ||
	bt_check_fail "big-prompt client failed: $(cat "$BT_ART/client2.err")"
kill -CONT "$BT_OBS_PID"
for _ in $(seq 50); do
	bt_scrape "$M" || bt_fail "scrape failed"
	[ "$(val biothings_llm_requests_total)" = $((CALLS + 1)) ] && break
	sleep 0.2
done
shed2=$(val biothings_observer_events_dropped_total reason=payload_shed)
full=$(val biothings_observer_events_dropped_total reason=ringbuf_full)
calls=$(val biothings_llm_requests_total)
unparsed=$(val biothings_llm_unparsed_total)
bt_log "payload_shed=$shed2 ringbuf_full=$full calls=$calls unparsed=$unparsed"
[ "$shed2" -gt "$shed" ] 2>/dev/null || bt_check_fail "the big prompt shed nothing (payload_shed $shed -> $shed2)"
[ "$full" = 0 ] || bt_check_fail "ringbuf_full=$full: the big prompt crowded out records"
[ "$calls" = $((CALLS + 1)) ] || bt_check_fail "biothings_llm_requests_total=$calls, expected $((CALLS + 1))"
[ "$unparsed" = 1 ] || bt_check_fail "unparsed calls: $unparsed, expected the big prompt's"
bt_observer_stop_checked
bt_finish
