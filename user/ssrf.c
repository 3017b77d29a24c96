// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "ssrf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define HOST_MAX 256

static const struct {
	const char *scheme, *rule;
} schemes[] = {
	{ "gopher", "gopher_scheme" }, { "dict", "dict_scheme" },     { "file", "file_scheme" },
	{ "php", "php_scheme" },       { "expect", "expect_scheme" }, { "phar", "phar_scheme" },
	{ "netdoc", "netdoc_scheme" }, { "tftp", "tftp_scheme" },     { "ldap", "ldap_scheme" },
	{ "sftp", "sftp_scheme" },
};

/* Instance metadata services: AWS, GCP, Azure, Alibaba, AWS ECS tasks. */
static const char *const meta_names[] = {
	"169.254.169.254", "metadata.google.internal",
	"metadata",	   "100.100.100.200",
	"169.254.170.2",   "168.63.129.16",
	"instance-data",   "instance-data.ec2.internal",
};
static const uint32_t meta_v4[] = { 0xa9fea9fe, 0x646464c8, 0xa9feaa02, 0xa83f8110 };

/* Datastores and control planes that trust whoever reaches them on
 * loopback: Docker, etcd, Redis, Elasticsearch, the kubelet, Consul,
 * memcached, CouchDB, MongoDB. */
static const unsigned internal_ports[] = { 2375,  2376, 2379,  6379, 9200, 10250,
					   10255, 8500, 11211, 5984, 27017 };

struct url_host {
	char name[HOST_MAX]; /* lower case, no brackets, no port, no trailing dot */
	bool bracketed; /* an IPv6 literal */
	unsigned port; /* 0: none given */
	bool has_v6, has_v4; /* the addresses the name reads as, parsed once */
	struct in6_addr v6;
	uint32_t v4; /* host order; also the one inside a mapped IPv6 literal */
};

static bool scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-';
}

static bool meta_ip4(uint32_t host_order)
{
	for (size_t i = 0; i < sizeof(meta_v4) / sizeof(meta_v4[0]); i++)
		if (meta_v4[i] == host_order)
			return true;
	return false;
}

/* The addresses u's name reads as: an IPv6 literal, and the IPv4 address
 * it names (dotted quad or any inet_aton form, or inside an IPv4-mapped or
 * -compatible IPv6 literal). */
static void host_addrs(struct url_host *u)
{
	struct in_addr a4;
	uint32_t v;

	u->has_v6 = u->bracketed && inet_pton(AF_INET6, u->name, &u->v6) == 1;
	u->has_v4 = false;
	if (u->has_v6 && (IN6_IS_ADDR_V4MAPPED(&u->v6) || IN6_IS_ADDR_V4COMPAT(&u->v6))) {
		memcpy(&v, &u->v6.s6_addr[12], 4);
		u->v4 = ntohl(v);
		u->has_v4 = true;
	} else if (!u->bracketed && inet_aton(u->name, &a4)) {
		u->v4 = ntohl(a4.s_addr);
		u->has_v4 = true;
	}
}

static bool meta_host(const struct url_host *u)
{
	static const struct in6_addr ec2 = { .s6_addr = { 0xfd, 0, 0x0e,
							  0xc2, [14] = 0x02, [15] = 0x54 } };

	if (u->has_v6 && !memcmp(&u->v6, &ec2, sizeof(ec2)))
		return true;
	for (size_t i = 0; !u->bracketed && i < sizeof(meta_names) / sizeof(meta_names[0]); i++)
		if (!strcmp(u->name, meta_names[i]))
			return true;
	/* 2852039166, 0xa9fea9fe, 0251.0376.0251.0376, [::ffff:a9fe:a9fe] */
	return u->has_v4 && meta_ip4(u->v4);
}

/* "127.0.0.1" as people write it: four decimal parts without leading zeros. */
static bool plain_quad(const char *s)
{
	int parts = 0;

	while (*s) {
		if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		parts++;
		if (*s == '.')
			s++;
		else if (*s)
			return false;
	}
	return parts == 4;
}

/*
 * Loopback reached the ways a blocklist of "localhost" and "127.0.0.1"
 * misses (127.1, 2130706433, 0x7f000001, 0.0.0.0, [::], [::ffff:127.0.0.1])
 * or aimed at a service that trusts loopback callers.
 */
static const char *loopback_rule(const struct url_host *u)
{
	bool loop, plain;

	if (u->has_v6 && (IN6_IS_ADDR_UNSPECIFIED(&u->v6) || IN6_IS_ADDR_LOOPBACK(&u->v6))) {
		loop = true;
		plain = IN6_IS_ADDR_LOOPBACK(&u->v6); /* [::1] */
	} else if (u->has_v4) {
		loop = u->v4 >> 24 == 127 || u->v4 == 0;
		plain = !u->bracketed && u->v4 && plain_quad(u->name);
	} else {
		loop = plain = !strcmp(u->name, "localhost");
	}
	if (!loop)
		return NULL;
	if (!plain)
		return "loopback_disguised";
	for (size_t i = 0; i < sizeof(internal_ports) / sizeof(internal_ports[0]); i++)
		if (u->port == internal_ports[i])
			return "loopback_service";
	return NULL;
}

/*
 * The URL's host from just after "://" at t[i..n). With loose, the
 * user-info's '@' is looked for past '?' and '#' too: parsers disagree on
 * http://good.example#@169.254.169.254/ (and the other way round), and
 * attackers count on it, so both readings are tried.
 */
static bool url_host(const char *t, size_t n, size_t i, bool loose, struct url_host *u)
{
	const char *stop = loose ? "/\\ " : "/?#\\ ";
	size_t at = i, e, h, colon, len;

	u->port = 0;
	for (size_t k = i; k < n && !strchr(stop, t[k]); k++)
		if (t[k] == '@')
			at = k + 1;
	for (e = at; e < n && !strchr("/?#\\ ", t[e]); e++)
		;
	u->bracketed = at < e && t[at] == '[';
	if (u->bracketed) {
		const char *close = memchr(t + at, ']', e - at);

		if (!close)
			return false;
		h = (size_t)(close - t);
		at++;
	} else {
		for (h = at; h < e && t[h] != ':'; h++)
			;
	}
	colon = u->bracketed ? h + 1 : h;
	if (colon < e && t[colon] == ':')
		for (size_t k = colon + 1; k < e && t[k] >= '0' && t[k] <= '9' && u->port < 65536;
		     k++)
			u->port = u->port * 10 + (unsigned)(t[k] - '0');
	len = h - at;
	if (!len || len >= HOST_MAX)
		return false;
	memcpy(u->name, t + at, len);
	if (u->name[len - 1] == '.')
		len--;
	u->name[len] = '\0';
	host_addrs(u);
	return len > 0;
}

static const char *url_rule(const char *t, size_t n, size_t p)
{
	struct url_host u;
	const char *r;
	size_t b = p;
	bool web;

	while (b > 0 && scheme_char(t[b - 1]))
		b--;
	if (b == p || p + 3 >= n || t[p + 3] == ' ')
		return NULL;
	if (b >= 4 && !memcmp(t + b - 4, "jar:", 4))
		return "jar_scheme";
	if (b >= 5 && !memcmp(t + b - 5, "jndi:", 5))
		return NULL; /* a Log4Shell lookup's URL: cmdi.c reports the lookup */
	for (size_t k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++)
		if (strlen(schemes[k].scheme) == p - b && !memcmp(t + b, schemes[k].scheme, p - b))
			return schemes[k].rule;
	web = (p - b == 4 && !memcmp(t + b, "http", 4)) ||
	      (p - b == 5 && !memcmp(t + b, "https", 5));
	for (int loose = 0; loose < 2; loose++) {
		if (!url_host(t, n, p + 3, loose, &u))
			continue;
		if (meta_host(&u))
			return "metadata_host";
		/* loopback services are reached by fetchers that speak HTTP */
		if (web && (r = loopback_rule(&u)))
			return r;
	}
	return NULL;
}

const char *ssrf_rule(const char *s, size_t n)
{
	char t[SSRF_MAX_INPUT];
	const char *r;

	if (!s)
		return NULL;
	if (n > SSRF_MAX_INPUT)
		n = SSRF_MAX_INPUT;
	for (size_t i = 0; i < n; i++)
		t[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] | 0x20) : s[i];
	for (const char *q = t; (q = memmem(q, n - (size_t)(q - t), "://", 3)); q += 3)
		if ((r = url_rule(t, n, (size_t)(q - t))))
			return r;
	return NULL;
}
