/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Turns a kernel bt_http_record into an http_obs with labels: service
 * name from rules or the executable, route from the templater, peer
 * address as text. Pure: /proc facts come in as a proc_meta.
 */
#ifndef BT_HTTP_ENRICH_H
#define BT_HTTP_ENRICH_H

#include "biothings/events.h"
#include "config.h"
#include "http_red.h"
#include "procinfo.h"
#include "route.h"

struct http_labels {
	char service[128];
	char route[192];
	char server_address[64];
	char comm[BT_COMM_LEN + 1];
};

const char *http_method_name(unsigned method);
/* Peer address text; IPv4-mapped IPv6 shown as IPv4. */
void http_addr_text(unsigned family, const unsigned char addr[16], char *out, size_t len);
int http_enrich(const struct bt_http_record *r, const struct proc_meta *pm,
		const struct obs_config *cfg, struct route_table *rt, struct http_labels *lb,
		struct http_obs *o);

#endif
