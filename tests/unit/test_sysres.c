// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sysres over a fake /proc tree (stat, meminfo, loadavg, net/dev written
 * in a temp dir, layouts copied from Linux 6.1): CPU ratio from two
 * samples with known deltas, memory with and without MemAvailable, load,
 * interfaces and their bound, missing and garbage files; statvfs of real
 * directories; thresholds and the why text; the metric families sysmon
 * renders; and one read of the real /proc.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "metrics.h"
#include "sysmon.h"
#include "sysres.h"

static char root[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	char net[96];

	(void)state;
	strcpy(root, "/tmp/test_sysres.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(net, sizeof(net), "%s/net", root);
	return mkdir(net, 0755);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void drop(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	unlink(path);
}

static const char meminfo_6_1[] = "MemTotal:        1000 kB\n"
				  "MemFree:           10 kB\n"
				  "MemAvailable:     250 kB\n"
				  "Buffers:           20 kB\n"
				  "Cached:           200 kB\n"
				  "SwapCached:       999 kB\n"
				  "Active:           500 kB\n";

static const char netdev_6_1[] =
	"Inter-|   Receive                                                |  Transmit\n"
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
	"drop fifo colls carrier compressed\n"
	"    lo: 1234567    8901    0    0    0     0          0         0  1234567    8901    0 "
	"   0    0     0       0          0\n"
	"  eth0: 98765432109 77777    1    2    0     0          0        10 12345678901 55555    "
	"0    0    0     0       0          0\n";

/* Everything but stat, so that only the CPU differs between tests. */
static void put_common(void)
{
	put("meminfo", meminfo_6_1);
	put("loadavg", "0.52 1.25 2.00 3/456 7890\n");
	put("net/dev", netdev_6_1);
}

/* The stat of a 2-CPU host; the aggregate line from the given fields. */
static void put_stat(const char *cpu_fields)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "cpu  %s\n"
		 "cpu0 1 0 1 1 0 0 0 0 0 0\n"
		 "cpu1 1 0 1 1 0 0 0 0 0 0\n"
		 "intr 123 0 9 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
		 "ctxt 456\nbtime 1700000000\nprocesses 789\nprocs_running 2\nprocs_blocked 0\n"
		 "softirq 1 0 0 0 0 0 0 0 0 0 0\n",
		 cpu_fields);
	put("stat", text);
}

static struct sysres *fake(void)
{
	struct sysres *s = sysres__new(root, NULL, 0);

	assert_non_null(s);
	return s;
}

static double read_cpu(struct sysres *s)
{
	struct sysres_snapshot snap;

	assert_int_equal(sysres__read(s, &snap), 0);
	return snap.cpu_ratio;
}

static void test_cpu_two_samples(void **state)
{
	struct sysres *s = fake();
	struct sysres_snapshot snap;

	(void)state;
	put_common();
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	put_stat("100 0 50 800 50 0 0 0 0 0");
	assert_int_equal(sysres__read(s, &snap), 0);
	assert_true(snap.cpu_ratio == -1);
	assert_int_equal(snap.ncpu, 2);
	assert_true(snap.taken_ns > 0);
	/* +30 user +20 system +40 idle +10 iowait; guest +1000 is inside user, not added. */
	put_stat("130 0 70 840 60 0 0 0 1000 0");
	assert_true(read_cpu(s) == 0.5);
	/* irq, softirq, steal and nice are busy: +10 +10 +20 +10 busy, +50 idle. */
	put_stat("130 10 70 890 60 10 10 20 1000 0");
	assert_true(read_cpu(s) == 0.5);
	put_stat("130 10 70 990 60 10 10 20 1000 0");
	assert_true(read_cpu(s) == 0.0);
	put_stat("430 10 70 990 60 10 10 20 1000 0");
	assert_true(read_cpu(s) == 1.0);
	/* No tick between two samples: the previous ratio again. */
	assert_true(read_cpu(s) == 1.0);
	sysres__free(s);
}

static void test_cpu_odd_counters(void **state)
{
	struct sysres *s = fake();

	(void)state;
	put_common();
	put_stat("1000 0 0 1000 100 0 0 0 0 0");
	assert_true(read_cpu(s) == -1);
	/* iowait going backwards (proc(5) says it may): idle counts as not moved. */
	put_stat("1100 0 0 1000 50 0 0 0 0 0");
	assert_true(read_cpu(s) == 1.0);
	/* The total going backwards: a new baseline, no ratio. */
	put_stat("10 0 0 10 0 0 0 0 0 0");
	assert_true(read_cpu(s) == -1);
	put_stat("20 0 0 40 0 0 0 0 0 0");
	assert_true(read_cpu(s) == 0.25);
	/* A kernel printing four fields only (before 2.6.11). */
	put_stat("30 0 0 70");
	assert_true(read_cpu(s) == 0.25);
	sysres__free(s);
}

static void test_memory(void **state)
{
	struct sysres *s = fake();
	struct sysres_snapshot snap;

	(void)state;
	put_common();
	put_stat("1 0 0 1 0 0 0 0 0 0");
	assert_int_equal(sysres__read(s, &snap), 0);
	assert_int_equal(snap.mem_total, 1024000);
	assert_int_equal(snap.mem_available, 256000);
	assert_true(snap.mem_ratio == 0.75);
	/* Without MemAvailable: MemFree + Buffers + Cached (SwapCached is not Cached). */
	put("meminfo",
	    "MemTotal:        1000 kB\nMemFree:          30 kB\nBuffers:          20 kB\n"
	    "SwapCached:       999 kB\nCached:           200 kB\n");
	assert_int_equal(sysres__read(s, &snap), 0);
	assert_int_equal(snap.mem_available, 250 * 1024);
	assert_true(snap.mem_ratio == 0.75);
	/* Available above total (a racing fake): clamped, ratio 0. */
	put("meminfo", "MemTotal: 100 kB\nMemAvailable: 200 kB\n");
	assert_int_equal(sysres__read(s, &snap), 0);
	assert_int_equal(snap.mem_available, 102400);
	assert_true(snap.mem_ratio == 0);
	sysres__free(s);
}

static void test_load_and_net(void **state)
{
	struct sysres *s = fake();
	struct sysres_snapshot snap;

	(void)state;
	put_common();
	put_stat("1 0 0 1 0 0 0 0 0 0");
	assert_int_equal(sysres__read(s, &snap), 0);
	assert_true(snap.load1 == 0.52);
	assert_true(snap.load5 == 1.25);
	assert_true(snap.load15 == 2.0);
	assert_int_equal(snap.n_ifaces, 2);
	assert_string_equal(snap.ifaces[0].name, "lo");
	assert_int_equal(snap.ifaces[0].rx_bytes, 1234567);
	assert_int_equal(snap.ifaces[0].tx_bytes, 1234567);
	assert_string_equal(snap.ifaces[1].name, "eth0");
	assert_int_equal(snap.ifaces[1].rx_bytes, 98765432109ull);
	assert_int_equal(snap.ifaces[1].tx_bytes, 12345678901ull);
	sysres__free(s);
}

static void test_net_bounded_and_odd(void **state)
{
	struct sysres *s = fake();
	struct sysres_snapshot snap;
	char text[8192] = "Inter-|   Receive |  Transmit\n face |bytes |bytes\n";
	size_t len = strlen(text);

	(void)state;
	put_common();
	put_stat("1 0 0 1 0 0 0 0 0 0");
	/* Old kernels glue the first number to the colon; names too long are refused. */
	len += (size_t)snprintf(
		text + len, sizeof(text) - len,
		"eth9:77 1 0 0 0 0 0 0 88 1 0 0 0 0 0 0\n"
		"  averyveryveryveryveryverylongname0: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n"
		"  cut: 1 2 3\n"
		"  : 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n");
	for (int i = 0; i < 20; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"veth%d: %d 1 0 0 0 0 0 0 %d 1 0 0 0 0 0 0\n", i, i, 2 * i);
	put("net/dev", text);
	assert_int_equal(sysres__read(s, &snap), 0);
	assert_int_equal(snap.n_ifaces, SYSRES_MAX_IFACES);
	assert_string_equal(snap.ifaces[0].name, "eth9");
	assert_int_equal(snap.ifaces[0].rx_bytes, 77);
	assert_int_equal(snap.ifaces[0].tx_bytes, 88);
	assert_string_equal(snap.ifaces[1].name, "veth0");
	assert_string_equal(snap.ifaces[15].name, "veth14");
	assert_int_equal(snap.ifaces[15].rx_bytes, 14);
	assert_int_equal(snap.ifaces[15].tx_bytes, 28);
	sysres__free(s);
}

static void test_missing_and_garbage(void **state)
{
	struct sysres *s = fake();
	struct sysres_snapshot snap;
	char junk[3000];

	(void)state;
	put_common();
	drop("stat");
	/* stat is missing: its error, the rest still read. */
	assert_int_equal(sysres__read(s, &snap), -ENOENT);
	assert_true(snap.cpu_ratio == -1);
	assert_int_equal(snap.mem_total, 1024000);
	assert_int_equal(snap.n_ifaces, 2);
	assert_true(snap.load5 == 1.25);

	for (size_t i = 0; i < sizeof(junk) - 1; i++)
		junk[i] = (char)(1 + (i * 7919) % 255);
	junk[sizeof(junk) - 1] = '\0';
	put("stat", junk);
	put("meminfo", junk);
	put("loadavg", junk);
	put("net/dev", junk);
	assert_int_equal(sysres__read(s, &snap), -EINVAL);
	assert_true(snap.cpu_ratio == -1);
	assert_int_equal(snap.mem_total, 0);

	put("stat", "");
	assert_int_equal(sysres__read(s, &snap), -EINVAL);
	put_stat("1 2 3");
	assert_int_equal(sysres__read(s, &snap), -EINVAL);
	put_stat("1 0 0 1 0 0 0 0 0 0");
	put("loadavg", "1 2\n");
	assert_int_equal(sysres__read(s, &snap), -EINVAL);
	put("loadavg", "nan 1 2\n");
	assert_int_equal(sysres__read(s, &snap), -EINVAL);
	put("loadavg", "0.1 0.2 0.3\n");
	put("meminfo", "MemFree: 10 kB\nMemAvailable: 5 kB\n");
	assert_int_equal(sysres__read(s, &snap), -EINVAL);
	put("meminfo", "MemTotal: 0 kB\nMemAvailable: 0 kB\n");
	assert_int_equal(sysres__read(s, &snap), -EINVAL);
	/* No MemAvailable and no complete fallback. */
	put("meminfo", "MemTotal: 10 kB\nMemFree: 5 kB\n");
	assert_int_equal(sysres__read(s, &snap), -EINVAL);
	put("meminfo", meminfo_6_1);
	put("net/dev", "");
	assert_int_equal(sysres__read(s, &snap), 0);
	assert_int_equal(snap.n_ifaces, 0);
	/* A very long first line followed by a good one. */
	{
		char big[2000];

		memset(big, '7', sizeof(big));
		memcpy(big + sizeof(big) - 60, "\neth1: 5 0 0 0 0 0 0 0 6 0 0 0 0 0 0 0\n", 40);
		big[sizeof(big) - 20] = '\0';
		put("net/dev", big);
		assert_int_equal(sysres__read(s, &snap), 0);
		assert_int_equal(snap.n_ifaces, 1);
		assert_string_equal(snap.ifaces[0].name, "eth1");
		assert_int_equal(snap.ifaces[0].tx_bytes, 6);
	}
	assert_int_equal(sysres__read(NULL, &snap), -EINVAL);
	assert_int_equal(sysres__read(s, NULL), -EINVAL);
	sysres__free(s);
}

static void test_new_args(void **state)
{
	const char *many[SYSRES_MAX_DISKS + 1];
	const char *with_null[] = { "/", NULL };
	const char *empty[] = { "" };

	(void)state;
	for (size_t i = 0; i <= SYSRES_MAX_DISKS; i++)
		many[i] = "/";
	errno = 0;
	assert_null(sysres__new(root, many, SYSRES_MAX_DISKS + 1));
	assert_int_equal(errno, EINVAL);
	assert_null(sysres__new(root, with_null, 2));
	assert_int_equal(errno, EINVAL);
	assert_null(sysres__new(root, empty, 1));
	assert_int_equal(errno, EINVAL);
	sysres__free(sysres__new(root, many, SYSRES_MAX_DISKS));
	sysres__free(NULL);
}

/* stat(a) and stat(b) on one device. */
static bool same_dev(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev;
}

static void test_disks(void **state)
{
	char sub[96], real[PATH_MAX], parent[PATH_MAX];
	const char *mounts[] = { root, "/nonexistent/sysres/path", sub, "/proc", "/" };
	struct sysres *s;
	struct sysres_snapshot snap;
	struct statvfs vfs;
	const struct sysres_disk *d;
	size_t n;

	(void)state;
	put_common();
	put_stat("1 0 0 1 0 0 0 0 0 0");
	snprintf(sub, sizeof(sub), "%s/net", root);
	s = sysres__new(root, mounts, 5);
	assert_non_null(s);
	assert_int_equal(sysres__read(s, &snap), 0);
	/* The missing path is skipped, sub shares root's filesystem, /proc is its own. */
	assert_int_equal(statvfs(root, &vfs), 0);
	d = &snap.disks[0];
	assert_int_equal(d->total_bytes, (uint64_t)vfs.f_blocks * vfs.f_frsize);
	assert_true(d->used_ratio >= 0 && d->used_ratio <= 1);
	assert_true(fabs(d->used_ratio - (1.0 - (double)vfs.f_bavail / (double)vfs.f_blocks)) <
		    0.01);
	assert_true(d->free_bytes <= d->total_bytes);
	/* Its label is the mount point: an ancestor of the path on the same device, whose
	 * parent is on another one (or "/"). */
	assert_non_null(realpath(root, real));
	n = strlen(d->mount);
	assert_true(!strncmp(real, d->mount, n) && (n == 1 || real[n] == '/' || !real[n]));
	assert_true(same_dev(d->mount, root));
	if (strcmp(d->mount, "/")) {
		snprintf(parent, sizeof(parent), "%s/..", d->mount);
		assert_false(same_dev(parent, d->mount));
	}
	assert_string_equal(snap.disks[1].mount, "/proc");
	assert_int_equal(snap.disks[1].total_bytes, 0);
	assert_true(snap.disks[1].used_ratio == 0);
	/* "/" is a third entry only when the temp dir is on another filesystem. */
	assert_int_equal(snap.n_disks, same_dev(root, "/") ? 2 : 3);
	if (snap.n_disks == 3)
		assert_string_equal(snap.disks[2].mount, "/");
	sysres__free(s);

	/* Default: "/" only. */
	s = fake();
	assert_int_equal(sysres__read(s, &snap), 0);
	assert_int_equal(snap.n_disks, 1);
	assert_string_equal(snap.disks[0].mount, "/");
	assert_int_equal(statvfs("/", &vfs), 0);
	assert_int_equal(snap.disks[0].total_bytes, (uint64_t)vfs.f_blocks * vfs.f_frsize);
	sysres__free(s);
}

static struct sysres_snapshot judged(double cpu, double mem, double disk)
{
	struct sysres_snapshot s;

	memset(&s, 0, sizeof(s));
	s.cpu_ratio = cpu;
	s.mem_total = 1000;
	s.mem_ratio = mem;
	s.n_disks = 2;
	strcpy(s.disks[0].mount, "/");
	s.disks[0].used_ratio = 0.10;
	strcpy(s.disks[1].mount, "/var/lib/bt");
	s.disks[1].used_ratio = disk;
	return s;
}

static void expect(double cpu, double mem, double disk, enum sysres_level want, const char *why)
{
	struct sysres_thresholds t;
	struct sysres_snapshot s = judged(cpu, mem, disk);
	char buf[64] = "stale";

	sysres_thresholds_defaults(&t);
	assert_int_equal(sysres_status(&s, &t, buf, sizeof(buf)), want);
	assert_string_equal(buf, why);
}

static void test_thresholds(void **state)
{
	struct sysres_thresholds t;
	struct sysres_snapshot s = judged(0.99, 0.99, 0.99);
	char small[8];

	(void)state;
	sysres_thresholds_defaults(&t);
	assert_true(t.cpu_warn == 0.85 && t.cpu_crit == 0.95);
	assert_true(t.mem_warn == 0.80 && t.mem_crit == 0.90);
	assert_true(t.disk_warn == 0.85 && t.disk_crit == 0.95);

	expect(0.5, 0.5, 0.5, SYSRES_OK, "");
	expect(0.97, 0.5, 0.5, SYSRES_CRITICAL, "cpu 97% >= 95%");
	expect(0.85, 0.5, 0.5, SYSRES_WARNING, "cpu 85% >= 85%");
	expect(0.8499, 0.5, 0.5, SYSRES_OK, "");
	expect(0.95, 0.5, 0.5, SYSRES_CRITICAL, "cpu 95% >= 95%");
	expect(0.5, 0.9, 0.5, SYSRES_CRITICAL, "memory 90% >= 90%");
	expect(0.5, 0.5, 0.85, SYSRES_WARNING, "disk /var/lib/bt 85% >= 85%");
	expect(0.9499, 0.5, 0.5, SYSRES_WARNING, "cpu 94.9% >= 85%");
	expect(0.5, 0.80, 0.5, SYSRES_WARNING, "memory 80% >= 80%");
	expect(0.5, 0.923, 0.5, SYSRES_CRITICAL, "memory 92.3% >= 90%");
	expect(0.5, 0.5, 0.965, SYSRES_CRITICAL, "disk /var/lib/bt 96.5% >= 95%");
	expect(0.5, 0.5, 1.0, SYSRES_CRITICAL, "disk /var/lib/bt 100% >= 95%");
	/* The worst wins; among equals the first (cpu, memory, disks). */
	expect(0.90, 0.95, 0.5, SYSRES_CRITICAL, "memory 95% >= 90%");
	expect(0.96, 0.95, 0.99, SYSRES_CRITICAL, "cpu 96% >= 95%");
	expect(0.86, 0.85, 0.5, SYSRES_WARNING, "cpu 86% >= 85%");
	expect(0.5, 0.85, 0.90, SYSRES_WARNING, "memory 85% >= 80%");
	/* The first CPU sample is not judged. */
	expect(-1, 0.5, 0.5, SYSRES_OK, "");
	s.cpu_ratio = -1;
	s.mem_total = 0; /* memory unread: not judged either */
	s.n_disks = 0;
	assert_int_equal(sysres_status(&s, &t, NULL, 0), SYSRES_OK);
	s = judged(0.99, 0.5, 0.5);
	assert_int_equal(sysres_status(&s, &t, small, sizeof(small)), SYSRES_CRITICAL);
	assert_string_equal(small, "cpu 99%");
	assert_int_equal(sysres_status(&s, &t, NULL, 0), SYSRES_CRITICAL);
	/* Configured thresholds with decimals show as given. */
	t.cpu_warn = 0.855;
	s = judged(0.8553, 0.5, 0.5);
	assert_int_equal(sysres_status(&s, &t, small, 0), SYSRES_WARNING);
	{
		char buf[64];

		assert_int_equal(sysres_status(&s, &t, buf, sizeof(buf)), SYSRES_WARNING);
		assert_string_equal(buf, "cpu 85.5% >= 85.5%");
	}
	assert_int_equal(sysres_status(NULL, &t, NULL, 0), SYSRES_OK);
	assert_string_equal(sysres_level_name(SYSRES_OK), "ok");
	assert_string_equal(sysres_level_name(SYSRES_WARNING), "warning");
	assert_string_equal(sysres_level_name(SYSRES_CRITICAL), "critical");
}

static char *render(struct metrics *m)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(metrics__render(m, &out, &len), 0);
	assert_non_null(out);
	return out;
}

static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("missing line: %s\n--- in ---\n%s", line, text);
}

static void test_sysmon(void **state)
{
	struct metrics *m = metrics__new(1000);
	struct sysmon *mon;
	struct sysres *s = fake();
	struct sysres_snapshot snap;
	char *out;

	(void)state;
	assert_non_null(m);
	mon = sysmon__new(m);
	assert_non_null(mon);
	errno = 0;
	assert_null(sysmon__new(m));
	assert_int_equal(errno, EEXIST);
	put_common();
	put_stat("100 0 50 800 50 0 0 0 0 0");
	assert_int_equal(sysres__read(s, &snap), 0);
	assert_int_equal(sysmon__update(mon, &snap), 0);
	out = render(m);
	/* No CPU value before the second sample. */
	assert_null(strstr(out, "\nbiothings_system_cpu_utilization_ratio "));
	free(out);
	put_stat("130 0 70 840 60 0 0 0 0 0");
	assert_int_equal(sysres__read(s, &snap), 0);
	assert_int_equal(sysmon__update(mon, &snap), 0);
	out = render(m);
	assert_line(out, "# TYPE biothings_system_cpu_utilization_ratio gauge");
	assert_line(out, "biothings_system_cpu_utilization_ratio 0.5");
	assert_line(out, "biothings_system_memory_utilization_ratio 0.75");
	assert_line(out, "biothings_system_memory_bytes{state=\"total\"} 1024000");
	assert_line(out, "biothings_system_memory_bytes{state=\"available\"} 256000");
	assert_non_null(
		strstr(out, "\nbiothings_system_disk_utilization_ratio{mountpoint=\"/\"} "));
	assert_line(out,
		    "biothings_system_network_bytes_total{interface=\"lo\",direction=\"receive\"} "
		    "1234567");
	assert_line(out, "biothings_system_load15 2");
	free(out);
	sysres__free(s);
	sysmon__free(mon);
	metrics__free(m);
}

static void test_sysmon_values(void **state)
{
	struct metrics *m = metrics__new(1000);
	struct sysmon *mon = sysmon__new(m);
	struct sysres_snapshot snap;
	char *out;

	(void)state;
	assert_non_null(mon);
	memset(&snap, 0, sizeof(snap));
	snap.cpu_ratio = 0.25;
	snap.load1 = 0.52;
	snap.load5 = 1.25;
	snap.load15 = 2;
	snap.n_disks = 1;
	strcpy(snap.disks[0].mount, "/var/lib/bt");
	snap.disks[0].used_ratio = 0.125;
	snap.n_ifaces = 1;
	strcpy(snap.ifaces[0].name, "eth0");
	snap.ifaces[0].rx_bytes = 98765432109ull;
	snap.ifaces[0].tx_bytes = 0;
	assert_int_equal(sysmon__update(mon, &snap), 0);
	out = render(m);
	assert_line(out, "# TYPE biothings_system_network_bytes_total counter");
	assert_line(
		out,
		"biothings_system_network_bytes_total{interface=\"eth0\",direction=\"receive\"} "
		"98765432109");
	assert_line(
		out,
		"biothings_system_network_bytes_total{interface=\"eth0\",direction=\"transmit\"} "
		"0");
	assert_line(out,
		    "biothings_system_disk_utilization_ratio{mountpoint=\"/var/lib/bt\"} 0.125");
	assert_line(out, "biothings_system_cpu_utilization_ratio 0.25");
	assert_line(out, "biothings_system_load1 0.52");
	assert_line(out, "biothings_system_load5 1.25");
	assert_line(out, "biothings_system_load15 2");
	/* memory unread (mem_total 0): no memory series. */
	assert_null(strstr(out, "\nbiothings_system_memory_utilization_ratio "));
	assert_null(strstr(out, "\nbiothings_system_memory_bytes{"));
	free(out);
	/* A recreated interface: the mirrored counter follows the kernel down (a reset). */
	snap.ifaces[0].rx_bytes = 10;
	assert_int_equal(sysmon__update(mon, &snap), 0);
	out = render(m);
	assert_line(
		out,
		"biothings_system_network_bytes_total{interface=\"eth0\",direction=\"receive\"} "
		"10");
	free(out);
	assert_int_equal(sysmon__update(NULL, &snap), -EINVAL);
	assert_int_equal(sysmon__update(mon, NULL), -EINVAL);
	sysmon__free(mon);
	metrics__free(m);
}

static void test_sysmon_series_cap(void **state)
{
	struct metrics *m = metrics__new(4);
	struct sysmon *mon = sysmon__new(m);
	struct sysres_snapshot snap;

	(void)state;
	assert_non_null(mon);
	memset(&snap, 0, sizeof(snap));
	snap.cpu_ratio = 0.5;
	snap.mem_total = 100;
	snap.n_ifaces = 3;
	strcpy(snap.ifaces[0].name, "a");
	strcpy(snap.ifaces[1].name, "b");
	strcpy(snap.ifaces[2].name, "c");
	assert_int_equal(sysmon__update(mon, &snap), -ENOSPC);
	sysmon__free(mon);
	metrics__free(m);
}

/* The real kernel's files parse, and the numbers are plausible. */
static void test_real_proc(void **state)
{
	struct sysres *s = sysres__new("/proc", NULL, 0);
	struct sysres_snapshot a, b;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	(void)state;
	assert_non_null(s);
	assert_int_equal(sysres__read(s, &a), 0);
	assert_true(a.cpu_ratio == -1);
	assert_true(a.ncpu >= 1 && (long)a.ncpu <= ncpu);
	assert_true(a.mem_total > 0 && a.mem_available <= a.mem_total);
	assert_true(a.mem_ratio >= 0 && a.mem_ratio <= 1);
	assert_true(a.load1 >= 0);
	assert_int_equal(a.n_disks, 1);
	usleep(30000);
	assert_int_equal(sysres__read(s, &b), 0);
	assert_true(b.cpu_ratio == -1 || (b.cpu_ratio >= 0 && b.cpu_ratio <= 1));
	assert_true(b.taken_ns > a.taken_ns);
	sysres__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cpu_two_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_odd_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_and_net, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_bounded_and_odd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disks, setup, teardown),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test_setup_teardown(test_sysmon, setup, teardown),
		cmocka_unit_test(test_sysmon_values),
		cmocka_unit_test(test_sysmon_series_cap),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
