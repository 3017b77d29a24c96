#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# services.match.cgroup for one-shot processes: three curls run inside a
# cgroup a service rule names, each gone before the daemon reads its
# records (the observer is stopped meanwhile, as a busy host would delay
# it), so /proc has nothing left to say about them. The kernel's cgroup id
# on each record (bt_event_hdr.cgroup_id) still names the cgroup: the
# client requests are counted under the rule's service, not as "curl".
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init service_cgroup

OBS_PORT=19476
PORT=18092
SVC=bt-cg-job

bt_pyserver_start "$PORT"
bt_cgroup_make "bt-test-svc-$$"
CG=$BT_CGROUP
cat >"$BT_TMP/config.yaml" <<YAML
services:
  - name: $SVC
    match: {cgroup: "/bt-test-svc-*"}
YAML
bt_observer_start "$OBS_PORT" --config "$BT_TMP/config.yaml"

kill -STOP "$BT_OBS_PID"
for i in 1 2 3; do
	sh -c 'echo $$ >"$1/cgroup.procs" || exit 9
	       exec curl -sf -o /dev/null --max-time 5 "$2"' sh "$CG" "http://127.0.0.1:$PORT/cl/$i" ||
		bt_fail "curl in $CG failed ($?)"
done
bt_log "three curls ran in $CG and exited while the observer was stopped"
kill -CONT "$BT_OBS_PID"

printf '%s 3\n' "$SVC" >"$BT_TMP/expected.txt"
bt_wait_counts "one-shot clients by cgroup" "$BT_TMP/expected.txt" \
	http_client_request_duration_seconds_count service_name server_port="$PORT" ||
	bt_check_fail "the one-shot clients were not counted under $SVC"
bt_check_no_drops
bt_observer_stop_checked
bt_finish
