#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The rings' wake-ups (bt_wake_flag, bpf/maps.bpf.h). With the daemon's
# poll timer at its 10 s maximum, records reach it early only when the
# kernel wakes it, which it does once a batch (a quarter of the ring, at
# most 32 KiB) waits in a ring, by the ring's estimate: the positions
# are read once per quarter batch sent, not per record. wrk runs against
# nginx with 2 MiB per-CPU rings (4 MiB shared, for the rest), which
# ~3 500 requests' records and request heads fill (0.6 KiB a request on
# nginx's side): without the wake-ups the rings would overflow long
# before the next poll. So: no event dropped, within 2 s of wrk's end every request
# nginx logged counted but at most what a batch per ring holds, and after
# the next poll every one of them.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init ring_wakeup
bt_need_cmd wrk

OBS_PORT=19467
NGX_PORT=18083
PY_PORT=18183
BASE=http://127.0.0.1:$NGX_PORT
M=$BT_TMP/m.prom
MIN_REQUESTS=8000 # nginx's 2 MiB ring holds the records of ~3 500
EARLY_GAP=600 # what a batch of nginx's ring (32 KiB: ~50) holds, and more

bt_pyserver_start "$PY_PORT"
bt_nginx_start "$NGX_PORT" "$PY_PORT"
bt_observer_start "$OBS_PORT" --poll-interval 10s --ringbuf-size 4MiB --ringbuf-per-cpu 2MiB
: >"$BT_NGX_ACCESS"

counted() {
	bt_scrape "$M" || bt_fail "scrape failed"
	bt_promq sum "$M" http_server_request_duration_seconds_count service_name=nginx
}

bt_log "wrk -t1 -c4 -d4s $BASE/small.txt"
wrk -t1 -c4 -d4s "$BASE/small.txt" >"$BT_ART/wrk.txt" 2>&1 || bt_fail "wrk exited with status $?"
sed 's/^/    /' "$BT_ART/wrk.txt"
sleep 2
early=$(counted)
logged=$(wc -l <"$BT_NGX_ACCESS")
bt_log "nginx logged $logged requests; counted 2 s after wrk: $early"
[ "$logged" -ge "$MIN_REQUESTS" ] ||
	bt_fail "wrk made $logged requests, fewer than the $MIN_REQUESTS this test needs to overflow the ring"
[ "$early" -ge $((logged - EARLY_GAP)) ] ||
	bt_check_fail "2 s after wrk only $early of $logged requests were counted: the kernel did not wake the reader"
bt_check_no_drops

# The rest waits for the poll timer; wrk's last in-flight requests (at
# most one per connection) may be logged by nginx and unanswered for us.
for _ in $(seq 130); do
	now=$(counted)
	[ "$now" -ge $((logged - 4)) ] && break
	sleep 0.1
done
bt_log "counted after the next poll: $now of $logged"
[ "$now" -ge $((logged - 4)) ] && [ "$now" -le "$logged" ] ||
	bt_check_fail "after the poll timer $now requests were counted, nginx logged $logged"

bt_observer_stop_checked
bt_finish
