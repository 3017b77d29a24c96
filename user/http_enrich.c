// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Record to observation. Runs once per request, so it only formats into
 * caller-provided buffers and never allocates.
 */
#include "http_enrich.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "service.h"
#include "units.h"

static const char *const method_names[BT_M__COUNT] = {
	[BT_M_OTHER] = "_OTHER",    [BT_M_GET] = "GET",		[BT_M_HEAD] = "HEAD",
	[BT_M_POST] = "POST",	    [BT_M_PUT] = "PUT",		[BT_M_DELETE] = "DELETE",
	[BT_M_CONNECT] = "CONNECT", [BT_M_OPTIONS] = "OPTIONS", [BT_M_TRACE] = "TRACE",
	[BT_M_PATCH] = "PATCH",
};

const char *http_method_name(unsigned method)
{
	return method < BT_M__COUNT ? method_names[method] : "_OTHER";
}

static void ipv4_text(const unsigned char a[4], char *out, size_t len)
{
	char buf[INET_ADDRSTRLEN];
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			buf[n++] = '.';
		n += (size_t)units_format_uint(a[i], buf + n, sizeof(buf) - n);
	}
	if (n < len)
		memcpy(out, buf, n + 1);
	else if (len)
		out[0] = '\0';
}

void http_addr_text(unsigned family, const unsigned char addr[16], char *out, size_t len)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (family == AF_INET6 && !memcmp(addr, v4mapped, sizeof(v4mapped)))
		addr += 12, family = AF_INET;
	if (family != AF_INET6) { /* per record: glibc's inet_ntop goes through sprintf */
		ipv4_text(addr, out, len);
		return;
	}
	if (!inet_ntop(AF_INET6, addr, out, len))
		out[0] = '\0';
}

int http_enrich(const struct bt_http_record *r, const struct proc_meta *pm,
		const struct obs_config *cfg, struct route_table *rt, struct http_labels *lb,
		struct http_obs *o)
{
	struct svc_input in;
	size_t plen = r->path_len < BT_PATH_MAX ? r->path_len : BT_PATH_MAX;

	memcpy(lb->comm, r->comm, BT_COMM_LEN);
	lb->comm[BT_COMM_LEN] = '\0';
	in.comm = lb->comm;
	in.exe = pm->exe;
	in.cgroup = pm->cgroup;
	in.lport = r->lport;
	in.rport = r->rport;
	in.role = r->role;
	service_name(cfg->services, cfg->n_services, &in, lb->service, sizeof(lb->service));
	memset(o, 0, sizeof(*o));
	o->service_name = lb->service;
	o->role = r->role;
	o->method = http_method_name(r->method);
	o->status = r->status;
	o->duration_s = r->end_ns > r->start_ns ? (double)(r->end_ns - r->start_ns) / 1e9 : 0;
	o->req_bytes = r->req_bytes;
	o->resp_bytes = r->resp_bytes;
	o->flags = r->flags;
	if (r->role == BT_ROLE_SERVER) {
		if (route_table__route(rt, lb->service, (const char *)r->path, plen, lb->route,
				       sizeof(lb->route)))
			return -EINVAL;
		o->route = lb->route;
		if (!strcmp(lb->route, ROUTE_OVERFLOW))
			o->flags |= HTTP_OBS_ROUTE_COLLAPSED;
	} else {
		http_addr_text(r->family, r->raddr, lb->server_address, sizeof(lb->server_address));
		o->server_address = lb->server_address;
		o->server_port = r->rport;
	}
	return 0;
}
