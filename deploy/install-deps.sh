#!/bin/sh
# Install the Debian packages needed to build and test the observer.
# Idempotent and silent when everything is present; apt only.
set -eu

BUILD="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libmicrohttpd-dev libyaml-dev libjansson-dev libcmocka-dev libsqlite3-dev libcurl4-openssl-dev libsodium-dev libclang-rt-14-dev pkg-config make gcc"
TEST="nginx wrk curl python3 python3-yaml prometheus prometheus-alertmanager systemd iproute2 procps openssl sqlite3 tzdata jq redis-server postgresql"
# An attack tool the security tests run against their own loopback server:
# only with --attack-tools (make test, .ci/run), never for a plain build.
ATTACK="sqlmap"
[ "${1:-}" = "--attack-tools" ] || ATTACK=""

missing=""
for p in $BUILD $TEST $ATTACK; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
