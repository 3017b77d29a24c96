#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# deploy/kubernetes and deploy/docker, checked offline by real validators:
# every object against the Kubernetes schema and its typed interface
# (unknown fields are errors), the kustomizations rendered by kustomize,
# the Dockerfile by dockerfile-utils' linter; then that the pieces agree
# with each other and with the observer (config accepted by
# --check-config, price table identical to the shipped one, ports and
# paths mounted where the config says, the capability set equal to the
# systemd unit's, runtime packages covering the binary's libraries). A
# broken copy of each must be refused, so the validators are known to bite.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
bt_init deploy_k8s
bt_need_cmd node npm

V=$BT_ROOT/tests/deploy/k8s
K=$BT_ROOT/deploy/kubernetes
DS=$K/base/daemonset.yaml
CM=$K/base/configmap.yaml
SVC=$K/base/service.yaml
DF=$BT_ROOT/deploy/docker/Dockerfile

# validators pinned by package-lock.json; reinstalled when the lock changes
if ! cmp -s "$V/package-lock.json" "$V/node_modules/.bt-lock" 2>/dev/null; then
	bt_log "npm ci in $V"
	(cd "$V" && npm ci --no-audit --no-fund --loglevel=error) >"$BT_ART/npm-ci.log" 2>&1 ||
		bt_fail "npm ci failed: $(tail -n 5 "$BT_ART/npm-ci.log")"
	cp "$V/package-lock.json" "$V/node_modules/.bt-lock"
fi

val() { node "$V/validate.mjs" "$@"; }
get() { val get "$@"; }

# expect_refused TITLE FILE-OR-DIR PATTERN...: validation must fail and
# name every pattern.
expect_refused() {
	local title=$1 target=$2 out p
	shift 2
	out=$BT_TMP/refused.$RANDOM
	if [ -d "$target" ]; then
		val manifests "$target"/*.yaml >"$out" 2>&1
	else
		val dockerfile "$target" >"$out" 2>&1
	fi && {
		bt_check_fail "$title: a broken copy passed validation"
		return
	}
	for p in "$@"; do
		grep -q -- "$p" "$out" || bt_check_fail "$title: no error matching '$p' in: $(cat "$out")"
	done
	bt_log "$title: refused as expected ($(grep -c '^ERROR' "$out") errors)"
}

# ---- 1. schema, types and API rules, file by file and as rendered
bt_log "manifests in $K/base:"
val manifests "$K"/base/*.yaml || bt_check_fail "deploy/kubernetes/base does not validate"
if command -v kubectl >/dev/null 2>&1; then
	for k in base privileged; do
		if kubectl kustomize "$K/$k" >"$BT_ART/kustomize-$k.yaml" 2>"$BT_TMP/kz.err"; then
			bt_log "kustomize $k:"
			val manifests "$BT_ART/kustomize-$k.yaml" || bt_check_fail "kustomize output of $k does not validate"
		else
			bt_check_fail "kubectl kustomize $k: $(cat "$BT_TMP/kz.err")"
		fi
	done
	grep -q 'privileged: true' "$BT_ART/kustomize-privileged.yaml" ||
		bt_check_fail "the privileged overlay does not make the container privileged"
else
	bt_log "NOT CHECKED: kubectl is not installed, the kustomizations were not rendered"
fi

# ---- 2. the validators refuse broken copies
B=$BT_TMP/broken
mkdir -p "$B"
cp "$K"/base/*.yaml "$B/"
sed -i -e 's/hostPID: true/hostPid: true/' -e 's/memory: 768Mi/memory: 768MX/' \
	-e 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: true\n            allowPrivilegeEscalation: false/' \
	-e 's/- key: model_prices.json/- key: prices.json/' -e 's/port: http-metrics$/port: metrics/' "$B/daemonset.yaml"
sed -i -e 's/clusterIP: None/clusterIp: None/' -e 's/targetPort: http-metrics/targetPort: metric/' "$B/service.yaml"
expect_refused "broken manifests" "$B" "'\"hostPid\"' does not exist in type 'IPodSpec'" \
	'limits/memory must match format "quantity"' 'allowPrivilegeEscalation false' \
	"has no key 'prices.json'" "livenessProbe uses port 'metrics'" "'\"clusterIp\"' does not exist" \
	"targetPort 'metric'"
sed 's/^EXPOSE 9464/EXPOSE 94a64\nRUNN true/' "$DF" >"$BT_TMP/Dockerfile.broken"
expect_refused "broken Dockerfile" "$BT_TMP/Dockerfile.broken" "Invalid containerPort: 94a64" "Unknown instruction: RUNN"

# ---- 3. Dockerfile lint
val dockerfile "$DF" || bt_check_fail "the Dockerfile has lint findings"

# ---- 4. the config in the ConfigMap, and the price table beside it
get "$CM" ConfigMap data/observer.yaml >"$BT_TMP/observer.yaml"
if out=$("$BT_OBSERVER" --check-config "$BT_TMP/observer.yaml" 2>&1); then
	bt_log "ConfigMap observer.yaml: $out"
else
	bt_check_fail "ConfigMap observer.yaml refused by the observer: $out"
fi
# An edit the file parses but the daemon refuses: named, exit 1.
sed 's/ringbuf_per_cpu: auto/ringbuf_per_cpu: 4KiB/' "$BT_TMP/observer.yaml" >"$BT_TMP/small-rings.yaml"
out=$("$BT_OBSERVER" --check-config "$BT_TMP/small-rings.yaml" 2>&1)
rc=$?
bt_log "ringbuf_per_cpu 4KiB: exit $rc, $out"
[ "$rc" = 1 ] && [ "$out" = "$BT_TMP/small-rings.yaml: capture.ringbuf_per_cpu: 0, auto or at least 64KiB" ] ||
	bt_check_fail "--check-config did not refuse per-CPU rings of 4KiB naming the file"
get "$CM" ConfigMap data/model_prices.json >"$BT_TMP/prices.json"
python3 - "$BT_TMP/prices.json" "$BT_ROOT/deploy/pricing/model_prices.json" <<'EOF' ||
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
sys.exit(0 if a == b else 1)
EOF
	bt_check_fail "ConfigMap model_prices.json differs from deploy/pricing/model_prices.json (run: node tests/deploy/k8s/validate.mjs sync-prices $CM deploy/pricing/model_prices.json)"

# ---- 5. ports and paths agree
cfg() { sed -n "s/^$1: *//p" "$BT_TMP/observer.yaml" | tr -d '"' | head -n 1; }
port=$(cfg listen)
port=${port##*:}
cport=$(get "$DS" DaemonSet spec/template/spec/containers/0/ports/0/containerPort)
aport=$(get "$DS" DaemonSet 'spec/template/metadata/annotations/prometheus.io~1port')
sport=$(get "$SVC" Service 'metadata/annotations/prometheus.io~1port')
bt_log "port: config $port, containerPort $cport, pod annotation $aport, Service annotation $sport"
if [ "$port" != "$cport" ] || [ "$port" != "$aport" ] || [ "$port" != "$sport" ]; then
	bt_check_fail "listen port, containerPort and scrape annotations disagree"
fi
get "$DS" DaemonSet spec/template/spec/containers/0/volumeMounts >"$BT_TMP/mounts.json"
get "$DS" DaemonSet spec/template/spec/volumes >"$BT_TMP/volumes.json"
args=$(get "$DS" DaemonSet spec/template/spec/containers/0/args)
# mounted FILE-PATH [hostPath]: prints the volume that holds the path
mounted() {
	python3 - "$BT_TMP/mounts.json" "$BT_TMP/volumes.json" "$1" "${2:-}" <<'EOF'
import json, sys
mounts, vols = json.load(open(sys.argv[1])), {v["name"]: v for v in json.load(open(sys.argv[2]))}
path, want_host = sys.argv[3], sys.argv[4]
best = max((m for m in mounts if path == m["mountPath"] or path.startswith(m["mountPath"].rstrip("/") + "/")),
           key=lambda m: len(m["mountPath"]), default=None)
if best is None:
    sys.exit(1)
v = vols[best["name"]]
if want_host and v.get("hostPath", {}).get("path") != want_host:
    sys.exit(1)
print(best["name"], "ro" if best.get("readOnly") else "rw")
EOF
}
conf_path=$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); print(a[a.index("--config")+1])' "$args")
for what in "config:$conf_path:" "pricing:$(cfg pricing):" "state_dir:$(cfg state_dir)/observer.db:/var/lib/biothings-observer" \
	"pin_dir:$(cfg pin_dir)/bt_conns:/sys/fs/bpf"; do
	IFS=: read -r name p host <<<"$what"
	if v=$(mounted "$p" "$host"); then
		bt_log "$name $p is on volume $v"
		case "$name:$v" in state_dir:*ro | pin_dir:*ro) bt_check_fail "$name $p is on a read-only mount" ;; esac
	else
		bt_check_fail "$name $p is not on a mounted volume${host:+ of hostPath $host}"
	fi
done

# ---- 6. the same capabilities as the systemd unit
ds_caps=$(get "$DS" DaemonSet spec/template/spec/containers/0/securityContext/capabilities/add |
	python3 -c 'import json,sys; print(" ".join(sorted("CAP_"+c for c in json.load(sys.stdin))))')
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$BT_ROOT/deploy/systemd/biothings-observer.service" | tr ' ' '\n' | sort | tr '\n' ' ')
bt_log "capabilities: DaemonSet [$ds_caps], systemd unit [${unit_caps% }]"
[ "$ds_caps" = "${unit_caps% }" ] || bt_check_fail "DaemonSet and systemd unit capability sets differ"

# ---- 7. the image's packages: build deps as install-deps.sh, runtime
# packages providing every DT_NEEDED library of the binary
stage_pkgs() { # 1 = build stage, 2 = runtime stage
	python3 - "$DF" "$1" <<'EOF'
import re, sys
t = open(sys.argv[1]).read().replace("\\\n", " ")
stage = re.split(r"^FROM ", t, flags=re.M)[int(sys.argv[2])]
print("\n".join(sorted(re.search(r"apt-get install -y --no-install-recommends ([^&]+)", stage).group(1).split())))
EOF
}
stage_pkgs 1 >"$BT_TMP/build-pkgs"
stage_pkgs 2 >"$BT_TMP/run-pkgs"
sed -n 's/^BUILD="\(.*\)"/\1/p' "$BT_ROOT/deploy/install-deps.sh" | tr ' ' '\n' |
	grep -vxE 'libcmocka-dev|libclang-rt-[0-9]+-dev' | sort >"$BT_TMP/need-build"
missing=$(comm -23 "$BT_TMP/need-build" "$BT_TMP/build-pkgs" | tr '\n' ' ')
bt_log "build stage packages: $(tr '\n' ' ' <"$BT_TMP/build-pkgs")"
[ -z "$missing" ] || bt_check_fail "build stage lacks packages install-deps.sh builds with: $missing"
# the package owning the file a library name resolves to here
owner() {
	local p c
	p=$(ldd "$BT_OBSERVER" | awk -v l="$1" '$1 == l { print $3 }')
	[ -n "$p" ] || return 1
	for c in "$p" "$(readlink -f "$p")" "/usr$p" "${p#/usr}"; do
		dpkg -S "$c" 2>/dev/null | head -n 1 | cut -d: -f1 | grep . && return 0
	done
	return 1
}
for lib in $(readelf -d "$BT_OBSERVER" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	pkg=$(owner "$lib")
	if [ -z "$pkg" ]; then
		bt_check_fail "no Debian package provides $lib here"
	elif [ "$pkg" = libc6 ] || grep -qx "$pkg" "$BT_TMP/run-pkgs"; then
		bt_log "runtime: $lib from $pkg"
	else
		bt_check_fail "runtime stage lacks $pkg, which provides $lib"
	fi
done
bt_finish
