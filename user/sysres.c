// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host resources for the health status and the system metrics. The
 * numbers come from the files the kernel already keeps (/proc/stat,
 * meminfo, loadavg, net/dev) and statvfs, read about once a second, so
 * reading stays cheap: no allocation after sysres__new, a few small files.
 * CPU needs two samples, so the object keeps the previous counters; all
 * else is stateless. Parsing is lenient (unknown lines are skipped) but
 * never trusts the content: fake trees and odd kernels must not crash it.
 */
#include "clock_ns.h"
#include "sysres.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#define ROOT_MAX (PATH_MAX - 32) /* room for "/net/dev" */

struct sysres {
	char root[ROOT_MAX];
	char *mounts[SYSRES_MAX_DISKS];
	size_t n_mounts;
	bool have_prev;
	uint64_t prev_total, prev_idle;
	double last_cpu; /* repeated when no tick passed between two samples */
};

struct sysres *sysres__new(const char *proc_root, const char *const *mounts, size_t n_mounts)
{
	static const char *const root_only[] = { "/" };
	struct sysres *s;

	if (!mounts || !n_mounts) {
		mounts = root_only;
		n_mounts = 1;
	}
	if (n_mounts > SYSRES_MAX_DISKS)
		goto inval;
	for (size_t i = 0; i < n_mounts; i++)
		if (!mounts[i] || !mounts[i][0] || strlen(mounts[i]) >= PATH_MAX)
			goto inval;
	if (proc_root && strlen(proc_root) >= ROOT_MAX)
		goto inval;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->root, sizeof(s->root), "%s", proc_root ? proc_root : "/proc");
	s->last_cpu = -1;
	for (; s->n_mounts < n_mounts; s->n_mounts++) {
		s->mounts[s->n_mounts] = strdup(mounts[s->n_mounts]);
		if (!s->mounts[s->n_mounts]) {
			sysres__free(s);
			errno = ENOMEM;
			return NULL;
		}
	}
	return s;
inval:
	errno = EINVAL;
	return NULL;
}

void sysres__free(struct sysres *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_mounts; i++)
		free(s->mounts[i]);
	free(s);
}

static FILE *open_proc(const struct sysres *s, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", s->root, name);
	return fopen(path, "re");
}

/* A line longer than the buffer goes on in the next fgets: drop its rest. */
static void skip_rest(char *line, int size, FILE *f)
{
	while (!strchr(line, '\n') && fgets(line, size, f))
		;
}

/* ---- CPU ---- */

/*
 * "cpu  user nice system idle iowait irq softirq steal guest guest_nice":
 * guest time is already inside user and nice, so only the first eight
 * fields add up to the total. Kernels before 2.6.11 print only four.
 */
static bool parse_cpu_line(const char *line, uint64_t *total, uint64_t *idle)
{
	unsigned long long v[8] = { 0 };
	int n = sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		       &v[3], &v[4], &v[5], &v[6], &v[7]);

	if (n < 4)
		return false;
	*total = 0;
	for (int i = 0; i < n; i++)
		*total += v[i];
	*idle = v[3] + v[4]; /* idle + iowait */
	return true;
}

static bool is_cpuN(const char *line)
{
	return !strncmp(line, "cpu", 3) && line[3] >= '0' && line[3] <= '9';
}

/* Busy share since the previous sample: dbusy / dtotal with busy = total - idle - iowait. */
static double cpu_ratio(struct sysres *s, uint64_t total, uint64_t idle)
{
	uint64_t dtotal, didle;
	bool first = !s->have_prev;

	s->have_prev = true;
	/* A total going backwards means another counter source: start over. */
	if (first || total < s->prev_total) {
		s->prev_total = total;
		s->prev_idle = idle;
		s->last_cpu = -1;
		return -1;
	}
	dtotal = total - s->prev_total;
	/* iowait may go backwards (proc(5)); then idle counts as not moved. */
	didle = idle > s->prev_idle ? idle - s->prev_idle : 0;
	if (!dtotal)
		return s->last_cpu;
	s->prev_total = total;
	s->prev_idle = idle;
	s->last_cpu = didle >= dtotal ? 0 : (double)(dtotal - didle) / (double)dtotal;
	return s->last_cpu;
}

static int read_stat(struct sysres *s, struct sysres_snapshot *out)
{
	FILE *f = open_proc(s, "stat");
	char line[512];
	uint64_t total = 0, idle = 0;
	bool have_cpu = false;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (is_cpuN(line))
			out->ncpu++;
		else if (!have_cpu && !strncmp(line, "cpu ", 4))
			have_cpu = parse_cpu_line(line, &total, &idle);
		skip_rest(line, sizeof(line), f); /* "intr" is thousands of bytes */
	}
	fclose(f);
	if (!have_cpu)
		return -EINVAL;
	out->cpu_ratio = cpu_ratio(s, total, idle);
	return 0;
}

/* ---- memory ---- */

enum { MI_TOTAL, MI_AVAIL, MI_FREE, MI_BUFFERS, MI_CACHED, MI__COUNT };

static const char *const mi_keys[MI__COUNT] = {
	[MI_TOTAL] = "MemTotal:",  [MI_AVAIL] = "MemAvailable:", [MI_FREE] = "MemFree:",
	[MI_BUFFERS] = "Buffers:", [MI_CACHED] = "Cached:",
};

/* "Key:   1234 kB" into v[] (bytes) and the have bitmask. */
static void parse_meminfo_line(const char *line, uint64_t *v, unsigned *have)
{
	unsigned long long kb;

	for (int k = 0; k < MI__COUNT; k++) {
		size_t n = strlen(mi_keys[k]);

		if (strncmp(line, mi_keys[k], n))
			continue;
		if (sscanf(line + n, "%llu", &kb) == 1 && kb <= UINT64_MAX / 1024) {
			v[k] = kb * 1024;
			*have |= 1u << k;
		}
		return;
	}
}

static int read_meminfo(struct sysres *s, struct sysres_snapshot *out)
{
	FILE *f = open_proc(s, "meminfo");
	char line[256];
	uint64_t v[MI__COUNT] = { 0 };
	unsigned have = 0;
	const unsigned fallback = 1u << MI_FREE | 1u << MI_BUFFERS | 1u << MI_CACHED;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		parse_meminfo_line(line, v, &have);
		skip_rest(line, sizeof(line), f);
	}
	fclose(f);
	if (!(have & 1u << MI_TOTAL) || !v[MI_TOTAL])
		return -EINVAL;
	/* MemAvailable appeared in 3.14; before, free + buffers + page cache was the usual guess. */
	if (!(have & 1u << MI_AVAIL)) {
		if ((have & fallback) != fallback)
			return -EINVAL;
		v[MI_AVAIL] = v[MI_FREE] + v[MI_BUFFERS] + v[MI_CACHED];
	}
	out->mem_total = v[MI_TOTAL];
	out->mem_available = v[MI_AVAIL] < v[MI_TOTAL] ? v[MI_AVAIL] : v[MI_TOTAL];
	out->mem_ratio = 1.0 - (double)out->mem_available / (double)out->mem_total;
	return 0;
}

/* ---- load ---- */

static int read_loadavg(struct sysres *s, struct sysres_snapshot *out)
{
	FILE *f = open_proc(s, "loadavg");
	double l[3];
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]);
	fclose(f);
	for (int i = 0; i < 3 && n == 3; i++)
		if (!isfinite(l[i]) || l[i] < 0)
			n = 0;
	if (n != 3)
		return -EINVAL;
	out->load1 = l[0];
	out->load5 = l[1];
	out->load15 = l[2];
	return 0;
}

/* ---- network ---- */

/*
 * "  eth0: rx_bytes rx_packets errs drop fifo frame compressed multicast
 * tx_bytes ...": the name ends at the colon (old kernels glue the first
 * number to it), rx bytes is the first number, tx bytes the ninth.
 */
static bool parse_netdev_line(const char *line, struct sysres_iface *ifc)
{
	const char *colon = strchr(line, ':'), *p = line, *end;
	unsigned long long v[9];
	size_t n;

	if (!colon)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	for (end = colon; end > p && (end[-1] == ' ' || end[-1] == '\t');)
		end--;
	n = (size_t)(end - p);
	if (!n || n >= sizeof(ifc->name))
		return false;
	if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) != 9)
		return false;
	memcpy(ifc->name, p, n);
	ifc->name[n] = '\0';
	ifc->rx_bytes = v[0];
	ifc->tx_bytes = v[8];
	return true;
}

/* Interfaces in the file's order (ifindex order: physical ones and lo come first). */
static int read_netdev(struct sysres *s, struct sysres_snapshot *out)
{
	FILE *f = open_proc(s, "net/dev");
	char line[512];

	if (!f)
		return -errno;
	while (out->n_ifaces < SYSRES_MAX_IFACES && fgets(line, sizeof(line), f)) {
		if (parse_netdev_line(line, &out->ifaces[out->n_ifaces]))
			out->n_ifaces++;
		skip_rest(line, sizeof(line), f);
	}
	fclose(f);
	return 0;
}

/* ---- disks ---- */

/*
 * Mount point holding path: the highest ancestor of its real path on the
 * same device. Cheap (a stat per level) and needs no mount table; a bind
 * mount of a directory is reported under the mount it comes from.
 */
static int mount_point(const char *path, char *mp, size_t mplen, dev_t *dev)
{
	char buf[PATH_MAX];
	struct stat st, pst;
	char *slash;
	size_t n;

	if (!realpath(path, buf) || stat(buf, &st))
		return -errno;
	*dev = st.st_dev;
	while ((slash = strrchr(buf, '/')) && slash != buf) {
		*slash = '\0';
		if (stat(buf, &pst) || pst.st_dev != st.st_dev) {
			*slash = '/';
			break;
		}
	}
	if (slash == buf && buf[1]) {
		/* The parent is "/": is it on the same device? */
		if (!stat("/", &pst) && pst.st_dev == st.st_dev)
			buf[1] = '\0';
	}
	n = strlen(buf);
	if (n >= mplen)
		n = mplen - 1; /* a label cut at 127 bytes, like any long label */
	memcpy(mp, buf, n);
	mp[n] = '\0';
	return 0;
}

static void read_disk(const char *path, struct sysres_snapshot *out, dev_t *devs)
{
	struct sysres_disk *d = &out->disks[out->n_disks];
	struct statvfs vfs;
	dev_t dev;

	if (mount_point(path, d->mount, sizeof(d->mount), &dev) || statvfs(path, &vfs))
		goto skip;
	for (size_t i = 0; i < out->n_disks; i++)
		if (devs[i] == dev)
			goto skip;
	d->total_bytes = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	d->free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	/* Pseudo filesystems (proc, sysfs) have no blocks: nothing is used. */
	d->used_ratio = vfs.f_blocks && vfs.f_bavail < vfs.f_blocks ?
				1.0 - (double)vfs.f_bavail / (double)vfs.f_blocks :
				0;
	devs[out->n_disks++] = dev;
	return;
skip:
	memset(d, 0, sizeof(*d));
}

/* ---- sample ---- */

int sysres__read(struct sysres *s, struct sysres_snapshot *out)
{
	int (*const readers[])(struct sysres *,
			       struct sysres_snapshot *) = { read_stat, read_meminfo, read_loadavg,
							     read_netdev };
	dev_t devs[SYSRES_MAX_DISKS];
	int err = 0;

	if (!s || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->taken_ns = mono_now_ns();
	out->cpu_ratio = -1;
	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
		int e = readers[i](s, out);

		if (e && !err)
			err = e;
	}
	for (size_t i = 0; i < s->n_mounts; i++)
		read_disk(s->mounts[i], out, devs);
	return err;
}

/* ---- judging ---- */

void sysres_thresholds_defaults(struct sysres_thresholds *t)
{
	*t = (struct sysres_thresholds){
		.cpu_warn = 0.85,
		.cpu_crit = 0.95,
		.mem_warn = 0.80,
		.mem_crit = 0.90,
		.disk_warn = 0.85,
		.disk_crit = 0.95,
	};
}

const char *sysres_level_name(enum sysres_level l)
{
	switch (l) {
	case SYSRES_OK:
		return "ok";
	case SYSRES_WARNING:
		return "warning";
	case SYSRES_CRITICAL:
		return "critical";
	}
	return "unknown";
}

/*
 * Percent cut (not rounded) to one decimal, without ".0": a value shown
 * never looks above what it is, so "84.9% >= 85%" cannot appear.
 */
static void fmt_pct(char *b, size_t n, double ratio)
{
	double p = floor(ratio * 1000 + 1e-6) / 10;

	snprintf(b, n, p == floor(p) ? "%.0f%%" : "%.1f%%", p);
}

struct verdict {
	enum sysres_level level;
	char *why;
	size_t whylen;
};

static void judge(struct verdict *v, const char *what, const char *name, double ratio, double warn,
		  double crit)
{
	enum sysres_level l = ratio >= crit ? SYSRES_CRITICAL :
			      ratio >= warn ? SYSRES_WARNING :
					      SYSRES_OK;
	char val[16], thr[16];

	if (l <= v->level)
		return;
	v->level = l;
	if (!v->why || !v->whylen)
		return;
	fmt_pct(val, sizeof(val), ratio);
	fmt_pct(thr, sizeof(thr), l == SYSRES_CRITICAL ? crit : warn);
	snprintf(v->why, v->whylen, "%s%s%s %s >= %s", what, name ? " " : "", name ? name : "", val,
		 thr);
}

enum sysres_level sysres_status(const struct sysres_snapshot *s, const struct sysres_thresholds *t,
				char *why, size_t whylen)
{
	struct verdict v = { SYSRES_OK, why, whylen };

	if (why && whylen)
		why[0] = '\0';
	if (!s || !t)
		return SYSRES_OK;
	if (s->cpu_ratio >= 0)
		judge(&v, "cpu", NULL, s->cpu_ratio, t->cpu_warn, t->cpu_crit);
	if (s->mem_total)
		judge(&v, "memory", NULL, s->mem_ratio, t->mem_warn, t->mem_crit);
	for (size_t i = 0; i < s->n_disks && i < SYSRES_MAX_DISKS; i++)
		judge(&v, "disk", s->disks[i].mount, s->disks[i].used_ratio, t->disk_warn,
		      t->disk_crit);
	return v.level;
}
