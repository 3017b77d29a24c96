// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Brings the BPF side up and down. Attaches program by program so one
 * tracepoint missing on a kernel costs that hook, not the observer; pins
 * the maps under one directory so bpftool shows them with BTF field names.
 * It reads kernel state for the daemon but never interprets records.
 */
#include "loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "biothings/conn.h"
#include "biothings/events.h"
#include "config.h"
#include "fsutil.h"
#include "hook_choice.h"
#include "log.h"
#include "loader_int.h"
#include "logfmt.h"
#include "observer.skel.h"
#include "units.h"

/* The maps a user may want to inspect; scratch maps stay unpinned. */
#define BPF_FS_MAGIC_NR 0xcafe4a11
#define TRACEFS_MAGIC_NR 0x74726163

static struct bpf_map *pinned_map(struct observer *s, size_t i)
{
	struct bpf_map *maps[] = {
		s->maps.bt_conns,	 s->maps.bt_counters,	  s->maps.bt_config,
		s->maps.bt_events,	 s->maps.bt_tls_conns,	  s->maps.bt_capture_paths,
		s->maps.bt_db_ports,	 s->maps.bt_retransmits,  s->maps.bt_sk_conns,
		s->maps.bt_listen_ports, s->maps.bt_ignore_comms, s->maps.bt_ignore_cgroups,
		s->maps.bt_rings,
	};

	return i < sizeof(maps) / sizeof(maps[0]) ? maps[i] : NULL;
}

static int ensure_fs(const char *dir, long magic, const char *type)
{
	struct statfs st;

	if (statfs(dir, &st) == 0 && st.f_type == magic)
		return 0;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (mount(type, dir, type, 0, NULL))
		return -errno;
	log_info("mounted fs=%s path=%s", type, dir);
	return 0;
}

/* Remove what a killed predecessor left, then pin afresh: a stale map may
 * come from another build with another layout, so it is never reused. */
static int pin_maps(struct loader *l)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int err;

	err = mkdir_p(l->pin_dir, 0700);
	if (err)
		return err;
	for (size_t i = 0; (m = pinned_map(l->skel, i)); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", l->pin_dir, bpf_map__name(m)) >=
		    (int)sizeof(path))
			return -ENAMETOOLONG;
		if (unlink(path) == 0)
			log_info("removed stale pin path=%s", path);
		err = bpf_map__pin(m, path);
		if (err)
			return err;
	}
	l->pinned = 1;
	return 0;
}

static void unpin_maps(struct loader *l)
{
	struct bpf_map *m;

	if (!l->pinned)
		return;
	for (size_t i = 0; (m = pinned_map(l->skel, i)); i++)
		bpf_map__unpin(m, NULL);
	if (rmdir(l->pin_dir) && errno != ENOENT)
		log_warn("pin dir not removed path=%s err=%d", l->pin_dir, errno);
}

static int write_config(struct loader *l, uint32_t self_tgid)
{
	struct bt_config cfg = { .self_tgid = self_tgid, .enabled = 1 };
	__u32 zero = 0;

	return bpf_map__update_elem(l->skel->maps.bt_config, &zero, sizeof(zero), &cfg, sizeof(cfg),
				    BPF_ANY);
}

static libbpf_print_fn_t held_prev;
static char held_msg[256];

/* Held warnings still reach the log at debug level: a verifier log is
 * long, and only worth reading with --log-level debug. */
static int hold_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n;

	if (level == LIBBPF_WARN && !held_msg[0]) { /* the first says why; the rest follow */
		va_list copy;

		va_copy(copy, ap);
		vsnprintf(held_msg, sizeof(held_msg), fmt, copy);
		va_end(copy);
		n = strlen(held_msg);
		while (n && held_msg[n - 1] == '\n')
			held_msg[--n] = '\0';
	}
	return held_prev ? held_prev(LIBBPF_DEBUG, fmt, ap) : 0;
}

void loader_hold_libbpf(void)
{
	libbpf_print_fn_t prev = libbpf_set_print(hold_print);

	held_msg[0] = '\0';
	if (prev != hold_print) /* held twice: keep the real one */
		held_prev = prev;
}

const char *loader_release_libbpf(void)
{
	libbpf_set_print(held_prev);
	return held_msg[0] ? held_msg : "unknown";
}

/* An iterator program walks one map: bt_bnd_sweep, the socket hooks'
 * connections. It runs when the daemon reads it (loader__sweep_held). */
static struct bpf_link *attach_iter(struct loader *l, struct bpf_program *p)
{
	union bpf_iter_link_info info = { .map.map_fd = bpf_map__fd(l->skel->maps.bt_sk_conns) };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));

	l->sweep = bpf_program__attach_iter(p, &opts);
	return l->sweep;
}

/* One line per hook that failed, with libbpf's reason; the program stays
 * loaded and unattached, and everything else goes on. */
static struct bpf_link *attach_one(struct loader *l, struct bpf_program *p)
{
	struct bpf_link *link;
	char why[300];
	int e;

	loader_hold_libbpf();
	link = bpf_program__expected_attach_type(p) == BPF_TRACE_ITER ? attach_iter(l, p) :
									bpf_program__attach(p);
	e = link ? 0 : -errno;
	logfmt_quote(loader_release_libbpf(), why, sizeof(why));
	if (!link)
		log_warn("probe not attached prog=%s err=%d reason=%s", bpf_program__name(p), e,
			 why);
	return link;
}

static int attach_all(struct loader *l)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, l->skel->obj)
	{
		if (!bpf_program__autoload(p))
			continue; /* the other capture.hooks set */
		if (l->n_progs >= MAX_PROGS)
			return -E2BIG;
		l->progs[l->n_progs] = p;
		/* uprobes need a binary: loader__attach_tls() does them */
		l->links[l->n_progs++] =
			bpf_program__type(p) == BPF_PROG_TYPE_KPROBE ? NULL : attach_one(l, p);
	}
	return 0;
}

/* A ring slot per possible CPU (one that comes online later has its own). */
static int size_rings(struct observer *s)
{
	int ncpu = libbpf_num_possible_cpus();
	int err;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	err = bpf_map__set_max_entries(s->maps.bt_rings, 1 + (__u32)ncpu);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.bt_ring_views, 1 + (__u32)ncpu);
	return err;
}

/* What the rings cost in kernel memory, said once at start. */
static void log_rings(const struct loader *l)
{
	char shared[UNITS_FMT_MAX], each[UNITS_FMT_MAX];
	const int *fds;
	size_t n = ring_set__fds(l->rings, &fds);

	units_format_size(bpf_map__max_entries(l->skel->maps.bt_events), shared, sizeof(shared));
	units_format_size(ring_set__ring_bytes(l->rings), each, sizeof(each));
	log_info("rings shared=%s per_cpu=%s cpu_rings=%zu cpu_slots=%u", shared, each, n - 1,
		 bpf_map__max_entries(l->skel->maps.bt_rings) - 1);
}

/* The slots' template, a ring of one page dropped after load: libbpf
 * would make one of bt_events' declared size. The first map made, so the
 * first to fail without the privileges. */
static int make_ring_template(struct loader *l)
{
	l->ring_template = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bt_ring_tmpl", 0, 0,
					  (__u32)sysconf(_SC_PAGESIZE), NULL);
	if (l->ring_template < 0)
		return -errno;
	return bpf_map__set_inner_map_fd(l->skel->maps.bt_rings, l->ring_template);
}

static int size_maps(struct observer *s, const struct loader_opts *o)
{
	int err;

	err = bpf_map__set_max_entries(s->maps.bt_events, o->ringbuf_bytes);
	if (!err)
		err = size_rings(s);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.bt_conns, o->max_connections);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.bt_sk_conns, o->max_connections);
	return err;
}

/* The socket-layer hooks if asked for and this kernel has their
 * tracepoints; else, said once, the syscall hooks. */
static int socket_hooks_usable(int wanted)
{
	const char *missing = NULL;
	struct btf *btf;
	int ok;

	if (!wanted)
		return 0;
	btf = btf__load_vmlinux_btf();
	ok = hook_choice_socket_ok(btf, &missing);
	btf__free(btf);
	if (!ok)
		log_warn("capture.hooks socket needs tracepoint %s (Linux 6.4 or later) in the "
			 "kernel's BTF: using the syscall hooks",
			 missing);
	return ok;
}

/*
 * capture.hooks: the syscall tracepoints, or the socket layer's own
 * tracepoints (programs named BT_SOCK_LAYER_PROG_PREFIX) in their place.
 * Never both: one syscall tracepoint puts every syscall of every task on
 * the kernel's slow path, which is what the socket layer avoids.
 */
static int choose_hooks(struct observer *s, int socket_hooks)
{
	size_t plen = strlen(BT_SOCK_LAYER_PROG_PREFIX), slen = strlen(BT_SYSCALL_TP_SECTION);
	struct bpf_program *p;
	int err = 0;

	bpf_object__for_each_program(p, s->obj)
	{
		int sock_layer = !strncmp(bpf_program__name(p), BT_SOCK_LAYER_PROG_PREFIX, plen);
		int syscall = !strncmp(bpf_program__section_name(p), BT_SYSCALL_TP_SECTION, slen);

		if ((socket_hooks && syscall) || (!socket_hooks && sock_layer))
			err = err ?: bpf_program__set_autoload(p, false);
	}
	return err;
}

/* The one line a host that cannot run the observer gets: the usual causes
 * by name, anything else with libbpf's first complaint. libbpf's own
 * warnings are held while this runs. */
static void load_error(int e, char *err, size_t errlen)
{
	const char *why = held_msg[0] ? held_msg : "no reason given";
	struct btf *btf;

	if (e == -EPERM || e == -EACCES) {
		snprintf(err, errlen,
			 "cannot load BPF programs: permission denied (run as root, or with the "
			 "capabilities in docs/deploy.md)");
		return;
	}
	if (e == -ENOSYS) {
		snprintf(err, errlen,
			 "cannot load BPF programs: this kernel has no BPF "
			 "(CONFIG_BPF_SYSCALL=y is needed)");
		return;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		snprintf(err, errlen,
			 "cannot load BPF programs: this kernel has no BTF (no "
			 "/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF=y is needed)");
		return;
	}
	btf__free(btf);
	snprintf(err, errlen, "cannot load BPF programs: %s (libbpf: %s)", strerror(-e), why);
}

static void close_template(struct loader *l)
{
	if (l->ring_template >= 0)
		close(l->ring_template);
	l->ring_template = -1;
}

struct loader *loader__open(const struct loader_opts *o, char *err, size_t errlen)
{
	struct loader *l = calloc(1, sizeof(*l));
	int e;

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(l->pin_dir, sizeof(l->pin_dir), "%s", o->pin_dir);
	l->ring_template = -1;
	if ((e = ensure_fs("/sys/fs/bpf", BPF_FS_MAGIC_NR, "bpf"))) {
		snprintf(err, errlen, "cannot mount bpffs on /sys/fs/bpf: %s", strerror(-e));
		goto fail;
	}
	if ((e = ensure_fs("/sys/kernel/tracing", TRACEFS_MAGIC_NR, "tracefs"))) {
		snprintf(err, errlen, "cannot mount tracefs on /sys/kernel/tracing: %s",
			 strerror(-e));
		goto fail;
	}
	l->skel = observer__open();
	if (!l->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(-e));
		goto fail;
	}
	l->socket_hooks = socket_hooks_usable(o->socket_hooks);
	if ((e = choose_hooks(l->skel, l->socket_hooks))) {
		snprintf(err, errlen, "cannot choose the capture hooks: %s", strerror(-e));
		goto fail;
	}
	if ((e = size_maps(l->skel, o))) {
		snprintf(err, errlen, "bad map sizes (ringbuf must be a power of two): %s",
			 strerror(-e));
		goto fail;
	}
	loader_hold_libbpf();
	e = make_ring_template(l);
	if (!e)
		e = observer__load(l->skel);
	if (e)
		load_error(e, err, errlen); /* still held: its BTF probe stays quiet too */
	loader_release_libbpf();
	close_template(l);
	if (e)
		goto fail;
	/* the CPUs' slots, as size_rings() sized the map */
	l->rings = ring_set__new(bpf_map__fd(l->skel->maps.bt_rings),
				 bpf_map__fd(l->skel->maps.bt_events),
				 bpf_map__max_entries(l->skel->maps.bt_rings) - 1, NULL,
				 o->ringbuf_per_cpu_bytes, &e);
	if (!l->rings) {
		snprintf(err, errlen, "cannot make the per-CPU rings (capture.ringbuf_per_cpu): %s",
			 strerror(-e));
		goto fail;
	}
	log_rings(l);
	if ((e = write_config(l, o->self_tgid)) || (e = pin_maps(l)) ||
	    (o->before_attach && (e = o->before_attach(l, o->before_attach_arg))) ||
	    (e = attach_all(l))) {
		snprintf(err, errlen, "cannot configure, pin under %s or attach: %s", o->pin_dir,
			 strerror(-e));
		goto fail;
	}
	return l;
fail:
	loader__close(l);
	return NULL;
}

struct detach_job {
	struct bpf_link **links;
	size_t n, first, stride;
};

static void *detach_some(void *arg)
{
	struct detach_job *j = arg;

	for (size_t i = j->first; i < j->n; i += j->stride)
		bpf_link__destroy(j->links[i]);
	return NULL;
}

/*
 * Each detach waits for an RCU grace period in the kernel (~150 ms here),
 * one after another when done in a loop: 40 links took 5 s. Detaching from
 * several threads lets those waits overlap.
 */
static void detach_all(struct bpf_link **links, size_t n)
{
	enum { THREADS = 16 };
	struct detach_job jobs[THREADS];
	pthread_t tid[THREADS];
	int started[THREADS] = {};

	for (size_t t = 0; t < THREADS; t++) {
		jobs[t] = (struct detach_job){ links, n, t, THREADS };
		started[t] = !pthread_create(&tid[t], NULL, detach_some, &jobs[t]);
		if (!started[t])
			detach_some(&jobs[t]);
	}
	for (size_t t = 0; t < THREADS; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
}

void loader__close(struct loader *l)
{
	if (!l)
		return;
	{
		/* tracepoints and uprobes wait on different kernel locks: together */
		struct bpf_link *all[MAX_PROGS + MAX_TLS_LINKS];
		size_t n = 0;

		for (size_t i = 0; i < l->n_progs; i++)
			all[n++] = l->links[i];
		for (size_t i = 0; i < l->n_tls_links; i++)
			all[n++] = l->tls_links[i];
		detach_all(all, n);
		l->n_progs = 0;
		l->n_tls_links = 0;
		loader_tls_detach(l);
	}
	if (l->skel)
		unpin_maps(l);
	observer__destroy(l->skel);
	ring_set__free(l->rings);
	close_template(l);
	free(l);
}

size_t loader__ring_fds(const struct loader *l, const int **fds)
{
	return ring_set__fds(l->rings, fds);
}

int loader__sweep_held(struct loader *l)
{
	char buf[64];
	ssize_t n;
	int fd;

	if (!l->sweep)
		return -ENOENT;
	fd = bpf_iter_create(bpf_link__fd(l->sweep));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

int loader__conns_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.bt_conns);
}

int loader__socket_hooks(const struct loader *l)
{
	return l->socket_hooks;
}

int loader__listen_ports_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.bt_listen_ports);
}

int loader__set_db_ports(struct loader *l, const struct db_port *ports, size_t n)
{
	int fd = bpf_map__fd(l->skel->maps.bt_db_ports);
	__u16 key, next;
	__u8 sys;

	if (n > BT_DB_PORTS_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ports[i].system, "redis") && strcmp(ports[i].system, "postgresql"))
			return -EINVAL;
	}
	/* empty it first: a port left out must stop being a database port */
	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			return -errno;
	}
	for (size_t i = 0; i < n; i++) {
		key = ports[i].port;
		sys = strcmp(ports[i].system, "redis") ? BT_DB_POSTGRESQL : BT_DB_REDIS;
		if (bpf_map_update_elem(fd, &key, &sys, BPF_ANY))
			return -errno;
	}
	return 0;
}

int loader__retrans_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.bt_retransmits);
}

int loader__read_counters(const struct loader *l, uint64_t out[BT_CNT__COUNT])
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(l->skel->maps.bt_counters);
	uint64_t *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < BT_CNT__COUNT; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

size_t loader__prog_stats(const struct loader *l, struct prog_stat *out, size_t max)
{
	for (size_t i = 0; i < l->n_progs && i < max; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		out[i].name = bpf_program__name(l->progs[i]);
		out[i].attached = l->links[i] != NULL || loader_tls_attached(l, l->progs[i]);
		out[i].run_time_ns = out[i].run_cnt = 0;
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(l->progs[i]), &info, &len)) {
			out[i].run_time_ns = info.run_time_ns;
			out[i].run_cnt = info.run_cnt;
		}
	}
	return l->n_progs;
}

size_t loader__probes(const struct loader *l, struct probe_state *out, size_t max)
{
	size_t n = 0, files = __atomic_load_n(&l->n_tls_files, __ATOMIC_ACQUIRE);

	for (size_t i = 0; i < l->n_progs; i++) {
		if (bpf_program__type(l->progs[i]) == BPF_PROG_TYPE_KPROBE)
			continue; /* a uprobe is up or down per file: below */
		if (n < max)
			out[n] = (struct probe_state){ bpf_program__name(l->progs[i]),
						       l->links[i] != NULL };
		n++;
	}
	for (size_t i = 0; i < files; i++, n++) {
		if (n < max)
			out[n] = (struct probe_state){ l->tls_files[i].label, l->tls_files[i].up };
	}
	return n;
}

/* Keys in a hash map. A key deleted under the walk sends the kernel back to
 * the first bucket, which counts some entries twice (the census then errs
 * low); the cap stops a walk that churn keeps restarting. */
static int count_keys(int fd, size_t key_size, uint64_t cap, uint64_t *out)
{
	unsigned char keys[2][32] = {};
	void *prev = NULL;
	uint64_t n = 0;
	int cur = 0;

	if (key_size > sizeof(keys[0]))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, prev, keys[cur])) {
		if (++n > cap)
			return -EAGAIN;
		prev = keys[cur];
		cur ^= 1;
	}
	if (errno != ENOENT)
		return -errno;
	*out = n;
	return 0;
}

int loader__conn_census(const struct loader *l, struct conn_census *out)
{
	uint64_t before[BT_CNT__COUNT], after[BT_CNT__COUNT], plain = 0, tls = 0, sk = 0;
	struct bpf_map *conns = l->skel->maps.bt_conns, *tconns = l->skel->maps.bt_tls_conns;
	struct bpf_map *skconns = l->skel->maps.bt_sk_conns;
	int e;

	e = loader__read_counters(l, before);
	if (!e)
		e = count_keys(bpf_map__fd(conns), sizeof(struct bt_conn_key),
			       2ull * bpf_map__max_entries(conns), &plain);
	if (!e)
		e = count_keys(bpf_map__fd(tconns), sizeof(struct bt_tls_key),
			       2ull * bpf_map__max_entries(tconns), &tls);
	if (!e)
		e = count_keys(bpf_map__fd(skconns), sizeof(__u64),
			       2ull * bpf_map__max_entries(skconns), &sk);
	if (!e)
		e = loader__read_counters(l, after);
	if (e)
		return e;
	out->live = plain + tls + sk;
	out->opened = before[BT_CNT_CONN_OPENED];
	out->adopted = before[BT_CNT_CONN_ADOPTED];
	out->closed = after[BT_CNT_CONN_CLOSED];
	return 0;
}
