#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# One command for the monitoring stack around an observer: Prometheus with
# the BioThings rules, Alertmanager, and Grafana with the five dashboards.
#
#   deploy/setup-monitoring.sh setup|start|stop|restart|status|logs NAME
#
# With a working Docker (daemon up, compose plugin present) it drives
# deploy/docker-compose.yml: observer, prometheus, alertmanager and grafana,
# all on the host network. Without Docker it runs the Debian packages'
# prometheus and prometheus-alertmanager binaries on loopback, pointed at
# an observer already running on this host, each with its own config and
# data under a state directory, and says where Grafana would go (Debian
# does not package Grafana).
#
# Environment (all optional):
#   BT_MON_MODE             auto (default), docker or native
#   BT_MON_DIR              native state dir (default /var/lib/biothings-monitoring)
#   BT_OBSERVER_ADDR        observer to scrape (default 127.0.0.1:9464)
#   BT_PROMETHEUS_ADDR      Prometheus listen address (default 127.0.0.1:9090)
#   BT_ALERTMANAGER_ADDR    Alertmanager listen address (default 127.0.0.1:9093)
#   BT_GRAFANA_ADDR         where Grafana is meant to listen (default 127.0.0.1:3000)
#   BT_MON_SCRAPE_INTERVAL  scrape and rule interval (default 15s, as prometheus.yml)
#   BT_MON_RETENTION        Prometheus retention (default 15d)
#   BT_MON_LOG_LINES        lines shown by logs (default 100)
#   BT_SLACK_WEBHOOK_URL, BT_ALERT_EMAIL_TO, ...: receivers, see
#                           deploy/alertmanager/render.sh
#
# Exit status: 0 done (status: everything runs), 1 error, 2 usage,
# 3 status: something is not running.
set -uo pipefail

DEPLOY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODE=${BT_MON_MODE:-auto}
DIR=${BT_MON_DIR:-/var/lib/biothings-monitoring}
OBS_ADDR=${BT_OBSERVER_ADDR:-127.0.0.1:9464}
PROM_ADDR=${BT_PROMETHEUS_ADDR:-127.0.0.1:9090}
AM_ADDR=${BT_ALERTMANAGER_ADDR:-127.0.0.1:9093}
GRAFANA_ADDR=${BT_GRAFANA_ADDR:-127.0.0.1:3000}
INTERVAL=${BT_MON_SCRAPE_INTERVAL:-15s}
RETENTION=${BT_MON_RETENTION:-15d}
LOG_LINES=${BT_MON_LOG_LINES:-100}
COMPOSE_FILE=$DEPLOY/docker-compose.yml
COMPOSE_PROJECT=biothings-monitoring
NATIVE_SERVICES=(prometheus alertmanager)

say() { printf 'setup-monitoring: %s\n' "$*"; }
die() {
	printf 'setup-monitoring: %s\n' "$*" >&2
	exit 1
}

usage() {
	cat >&2 <<'EOF'
usage: deploy/setup-monitoring.sh setup|start|stop|restart|status|logs NAME
  setup    write and check the configs (native) or build and pull the images (Docker)
  start    setup, then start Prometheus and Alertmanager (native: reload them
           if running) or the whole compose stack
  stop     stop them
  restart  stop, then start
  status   what runs, and the observer target's health; exit 3 if something is down
  logs N   last lines of N's log: prometheus, alertmanager (and observer,
           grafana with Docker)
Environment: BT_MON_MODE=auto|docker|native, BT_MON_DIR, BT_OBSERVER_ADDR,
BT_PROMETHEUS_ADDR, BT_ALERTMANAGER_ADDR, BT_GRAFANA_ADDR, BT_MON_SCRAPE_INTERVAL,
BT_MON_RETENTION, BT_MON_LOG_LINES; receivers: see deploy/alertmanager/render.sh.
EOF
	exit 2
}

# ------------------------------------------------------------------ mode

docker_usable() {
	command -v docker >/dev/null 2>&1 &&
		docker compose version >/dev/null 2>&1 &&
		docker info >/dev/null 2>&1
}

pick_mode() {
	case $MODE in
	docker)
		docker_usable || die "BT_MON_MODE=docker but docker with the compose plugin is not usable (docker info, docker compose version)"
		;;
	native) ;;
	auto)
		if docker_usable; then MODE=docker; else MODE=native; fi
		;;
	*) die "BT_MON_MODE must be auto, docker or native, not '$MODE'" ;;
	esac
}

# ---------------------------------------------------------------- docker

compose() {
	docker compose -f "$COMPOSE_FILE" -p "$COMPOSE_PROJECT" "$@"
}

docker_cmd() {
	case $1 in
	setup)
		compose config -q || die "docker compose rejects $COMPOSE_FILE"
		compose pull --ignore-buildable && compose build
		;;
	start) compose up -d && docker_hint ;;
	stop) compose down ;;
	restart) compose restart ;;
	status)
		compose ps
		# Every service listed by the file must be running.
		[ "$(compose ps --status running --services | sort)" = "$(compose config --services | sort)" ] || return 3
		;;
	logs) compose logs --tail "$LOG_LINES" "$2" ;;
	esac
}

docker_hint() {
	say "Prometheus http://$PROM_ADDR  Alertmanager http://$AM_ADDR  Grafana http://$GRAFANA_ADDR (folder BioThings)"
}

# ---------------------------------------------------------------- native

bin_of() {
	local c
	case $1 in
	prometheus) for c in "${BT_PROMETHEUS_BIN:-}" prometheus; do [ -n "$c" ] && command -v "$c" && return; done ;;
	alertmanager) for c in "${BT_ALERTMANAGER_BIN:-}" prometheus-alertmanager alertmanager; do [ -n "$c" ] && command -v "$c" && return; done ;;
	esac
	return 1
}

need_bins() {
	local s
	for s in "${NATIVE_SERVICES[@]}"; do
		bin_of "$s" >/dev/null ||
			die "$s is not installed: apt-get install prometheus prometheus-alertmanager (or install Docker with the compose plugin)"
	done
}

# The shipped prometheus.yml with this stack's addresses and interval.
write_prometheus_config() {
	local d=$DIR/prometheus timeout=10s
	mkdir -p "$d/data" "$d/rules"
	rm -f "$d/rules/"*.yml
	cp "$DEPLOY/prometheus/rules/"*.yml "$d/rules/"
	# A scrape may not take longer than the interval between two.
	[ "$(secs "$INTERVAL")" -lt 10 ] && timeout=$INTERVAL
	sed -e "s/'127\.0\.0\.1:9464'/'$OBS_ADDR'/" \
		-e "s/'127\.0\.0\.1:9093'/'$AM_ADDR'/" \
		-e "s/'127\.0\.0\.1:9090'/'$PROM_ADDR'/" \
		-e "s/^  scrape_interval: .*/  scrape_interval: $INTERVAL/" \
		-e "s/^  evaluation_interval: .*/  evaluation_interval: $INTERVAL/" \
		-e "s/^  scrape_timeout: .*/  scrape_timeout: $timeout/" \
		"$DEPLOY/prometheus/prometheus.yml" >"$d/prometheus.yml"
	grep -q "'$OBS_ADDR'" "$d/prometheus.yml" || die "could not set the observer address in $d/prometheus.yml"
	if command -v promtool >/dev/null 2>&1; then
		promtool check config "$d/prometheus.yml" >"$DIR/log/promtool.log" 2>&1 ||
			die "promtool rejects $d/prometheus.yml: $(tail -n 5 "$DIR/log/promtool.log")"
	fi
}

write_alertmanager_config() {
	local d=$DIR/alertmanager
	mkdir -p "$d/data"
	"$DEPLOY/alertmanager/render.sh" "$d" 2>"$DIR/log/render.log" ||
		die "rendering the Alertmanager config failed: $(cat "$DIR/log/render.log")"
	if command -v amtool >/dev/null 2>&1; then
		amtool check-config "$d/alertmanager.yml" >"$DIR/log/amtool.log" 2>&1 ||
			die "amtool rejects $d/alertmanager.yml: $(tail -n 5 "$DIR/log/amtool.log")"
	fi
}

# Grafana's provisioning, pointed at this Prometheus and the repository's
# dashboards, ready for a Grafana installed later.
write_grafana_provisioning() {
	local d=$DIR/grafana/provisioning
	mkdir -p "$d/datasources" "$d/dashboards"
	sed "s|url: http://127\.0\.0\.1:9090|url: http://$PROM_ADDR|; s|timeInterval: 15s|timeInterval: $INTERVAL|" \
		"$DEPLOY/grafana/provisioning/datasources/biothings.yml" >"$d/datasources/biothings.yml"
	sed "s|path: /etc/grafana/dashboards/biothings|path: $DEPLOY/grafana/dashboards|" \
		"$DEPLOY/grafana/provisioning/dashboards/biothings.yml" >"$d/dashboards/biothings.yml"
}

# secs 15s|2m|1h -> seconds (whole units only, as these configs use).
secs() {
	local v=${1%[smh]}
	case $1 in
	*s) echo "$v" ;;
	*m) echo $((v * 60)) ;;
	*h) echo $((v * 3600)) ;;
	*) echo 0 ;;
	esac
}

native_setup() {
	need_bins
	mkdir -p "$DIR/log" "$DIR/run" || die "cannot create $DIR"
	write_prometheus_config
	write_alertmanager_config
	write_grafana_provisioning
	say "configs written under $DIR (observer $OBS_ADDR)"
}

pidfile() { echo "$DIR/run/$1.pid"; }

# The pid of our instance of service $1, if it runs: the pid file's
# process must still have our config on its command line (a stale pid
# file whose number was reused by something else is not ours).
running_pid() {
	local pid
	pid=$(cat "$(pidfile "$1")" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--config.file=$DIR/$1/" || return 1
	echo "$pid"
}

addr_of() {
	case $1 in
	prometheus) echo "$PROM_ADDR" ;;
	alertmanager) echo "$AM_ADDR" ;;
	esac
}

wait_ready() { # NAME PID
	local i
	for ((i = 0; i < 300; i++)); do
		curl -sf -o /dev/null --max-time 1 "http://$(addr_of "$1")/-/ready" && return 0
		[ -r "/proc/$2/cmdline" ] || return 1
		sleep 0.1
	done
	return 1
}

start_one() {
	local name=$1 pid bin args
	if pid=$(running_pid "$name"); then
		# Both reread their config (just rewritten by setup) on SIGHUP.
		kill -HUP "$pid"
		say "$name already running (pid $pid), config reloaded"
		return 0
	fi
	bin=$(bin_of "$name")
	case $name in
	prometheus)
		args=(--config.file="$DIR/prometheus/prometheus.yml" --storage.tsdb.path="$DIR/prometheus/data"
			--storage.tsdb.retention.time="$RETENTION" --web.listen-address="$PROM_ADDR")
		;;
	alertmanager)
		# No cluster: a single instance needs no gossip port.
		args=(--config.file="$DIR/alertmanager/alertmanager.yml" --storage.path="$DIR/alertmanager/data"
			--web.listen-address="$AM_ADDR" --cluster.listen-address=)
		;;
	esac
	# Its own session, so it outlives this shell and a terminal's hangup.
	setsid "$bin" "${args[@]}" </dev/null >>"$DIR/log/$name.log" 2>&1 &
	pid=$!
	echo "$pid" >"$(pidfile "$name")"
	if ! wait_ready "$name" "$pid"; then
		echo "setup-monitoring: $name did not become ready; last lines of $DIR/log/$name.log:" >&2
		tail -n 20 "$DIR/log/$name.log" >&2
		return 1
	fi
	say "$name running (pid $pid) on http://$(addr_of "$name")"
}

stop_one() {
	local name=$1 pid i
	if ! pid=$(running_pid "$name"); then
		rm -f "$(pidfile "$name")"
		say "$name not running"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		[ -r "/proc/$pid/cmdline" ] || break
		sleep 0.1
	done
	if [ -r "/proc/$pid/cmdline" ]; then
		say "$name (pid $pid) ignored SIGTERM for 10 s, killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$(pidfile "$name")"
	say "$name stopped"
}

grafana_hint() {
	cat <<EOF
setup-monitoring: Grafana is not packaged by Debian. Install it from Grafana's APT
  repository (https://grafana.com/docs/grafana/latest/setup-grafana/installation/debian/), then
    cp -r $DIR/grafana/provisioning/. /etc/grafana/provisioning/
    sed -i 's/^;*http_addr =.*/http_addr = ${GRAFANA_ADDR%:*}/; s/^;*http_port =.*/http_port = ${GRAFANA_ADDR##*:}/' /etc/grafana/grafana.ini
    systemctl restart grafana-server
  and open http://$GRAFANA_ADDR (dashboards in the folder BioThings, data from http://$PROM_ADDR).
EOF
}

native_status() {
	local s pid rc=0 health
	for s in "${NATIVE_SERVICES[@]}"; do
		if pid=$(running_pid "$s"); then
			if curl -sf -o /dev/null --max-time 2 "http://$(addr_of "$s")/-/ready"; then
				say "$s running (pid $pid), ready on http://$(addr_of "$s")"
			else
				say "$s running (pid $pid) but not ready on http://$(addr_of "$s")"
				rc=3
			fi
		else
			say "$s not running"
			rc=3
		fi
	done
	if running_pid prometheus >/dev/null; then
		health=$(curl -sf --max-time 2 "http://$PROM_ADDR/api/v1/targets?state=active" |
			python3 -c '
import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    if t["labels"].get("job") == "biothings-observer":
        print(t["labels"].get("instance"), t["health"], t.get("lastError") or "")' 2>/dev/null)
		say "observer target: ${health:-not discovered yet (Prometheus discovers targets about 5 s after a start or reload)}"
	fi
	return $rc
}

native_cmd() {
	local s rc=0
	case $1 in
	setup) native_setup ;;
	start)
		native_setup
		for s in "${NATIVE_SERVICES[@]}"; do start_one "$s" || rc=1; done
		[ $rc -eq 0 ] && grafana_hint
		return $rc
		;;
	stop)
		for s in "${NATIVE_SERVICES[@]}"; do stop_one "$s"; done
		;;
	restart)
		native_cmd stop
		native_cmd start
		;;
	status) native_status ;;
	logs)
		case $2 in
		prometheus | alertmanager) ;;
		*) die "logs: NAME is prometheus or alertmanager without Docker, not '$2'" ;;
		esac
		[ -r "$DIR/log/$2.log" ] || die "no log yet: $DIR/log/$2.log"
		tail -n "$LOG_LINES" "$DIR/log/$2.log"
		;;
	esac
}

main() {
	local cmd=${1:-}
	case $cmd in
	setup | start | stop | restart | status) [ $# -eq 1 ] || usage ;;
	logs) [ $# -eq 2 ] || usage ;;
	*) usage ;;
	esac
	pick_mode
	if [ "$MODE" = docker ]; then
		docker_cmd "$@"
	else
		native_cmd "$@"
	fi
}

main "$@"
