#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Writes a working Alertmanager config from alertmanager.yml.tmpl:
# Alertmanager does not expand environment variables, and receivers'
# secrets (the Slack webhook, the SMTP password) belong in the
# environment, not in git. POSIX sh and awk only, so it also runs in the
# busybox-based Alertmanager image (see deploy/docker-compose.yml).
#
#   render.sh OUT_DIR    writes OUT_DIR/alertmanager.yml and OUT_DIR/biothings.tmpl
#
# Variables (unset ones take the default and are named on stderr; the
# defaults keep every notification on this host, so an unconfigured stack
# runs but notifies nobody outside it):
#   BT_SLACK_WEBHOOK_URL       Slack incoming webhook (default: a closed local port)
#   BT_SLACK_CHANNEL_CRITICAL  default #biothings-critical
#   BT_SLACK_CHANNEL_WARNING   default #biothings-alerts
#   BT_ALERT_EMAIL_TO          default root@localhost
#   BT_ALERT_EMAIL_FROM        default alertmanager@localhost
#   BT_SMTP_SMARTHOST          host:port, default localhost:25
#   BT_SMTP_USERNAME, BT_SMTP_PASSWORD   default empty (no SMTP auth)
#   BT_SMTP_REQUIRE_TLS        true|false, default true (Alertmanager's own)
#
# Values are written as YAML double-quoted strings (backslash and quote
# escaped); a value with a newline or other control character is refused.
set -eu

usage() {
	echo "usage: $0 OUT_DIR" >&2
	exit 2
}
[ $# -eq 1 ] || usage
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

# name=default, one per line; the order is the order of the warnings.
defaults='BT_SLACK_WEBHOOK_URL=http://127.0.0.1:9/slack-webhook-not-configured
BT_SLACK_CHANNEL_CRITICAL=#biothings-critical
BT_SLACK_CHANNEL_WARNING=#biothings-alerts
BT_ALERT_EMAIL_TO=root@localhost
BT_ALERT_EMAIL_FROM=alertmanager@localhost
BT_SMTP_SMARTHOST=localhost:25
BT_SMTP_USERNAME=
BT_SMTP_PASSWORD=
BT_SMTP_REQUIRE_TLS=true'

case ${BT_SMTP_REQUIRE_TLS:-true} in
true | false) ;;
*)
	echo "render.sh: BT_SMTP_REQUIRE_TLS must be true or false, not '$BT_SMTP_REQUIRE_TLS'" >&2
	exit 1
	;;
esac

# awk reads the defaults, then the template; ENVIRON gives the values.
printf '%s\n' "$defaults" | awk -v tmpl="$here/alertmanager.yml.tmpl" '
# Backslash and double quote escaped for a YAML double-quoted string,
# char by char: gsub replacements treat backslashes differently in mawk,
# gawk and busybox awk.
function esc(s,    r, c, k) {
	r = ""
	for (k = 1; k <= length(s); k++) {
		c = substr(s, k, 1)
		if (c == "\\" || c == "\"")
			r = r "\\"
		r = r c
	}
	return r
}
{
	i = index($0, "=")
	name = substr($0, 1, i - 1)
	if (name in ENVIRON) {
		val[name] = ENVIRON[name]
	} else {
		val[name] = substr($0, i + 1)
		if (name !~ /^BT_SMTP_(USERNAME|PASSWORD|REQUIRE_TLS)$/)
			printf "render.sh: %s not set, using %s\n", name, val[name] > "/dev/stderr"
	}
	if (val[name] ~ /[\001-\037\177]/) {
		printf "render.sh: %s contains a control character\n", name > "/dev/stderr"
		bad = 1
	}
}
END {
	if (bad) exit 1
	while ((getline line < tmpl) > 0) {
		outl = ""
		while ((i = index(line, "${")) > 0) {
			j = index(substr(line, i), "}")
			if (j == 0) break
			name = substr(line, i + 2, j - 3)
			if (!(name in val)) {
				printf "render.sh: unknown variable ${%s} in the template\n", name > "/dev/stderr"
				exit 1
			}
			outl = outl substr(line, 1, i - 1) esc(val[name])
			line = substr(line, i + j)
		}
		print outl line
	}
}' >"$out/alertmanager.yml.new"
mv "$out/alertmanager.yml.new" "$out/alertmanager.yml"
cp "$here/biothings.tmpl" "$out/biothings.tmpl"
