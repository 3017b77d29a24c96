// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Mirrors monotonic kernel and daemon counters into the registry. The
 * table below is the one place that names each enum bt_counter value.
 */
#include "selfmon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const char *const drop_names[BT_DROP__COUNT] = {
	[BT_DROP_RINGBUF_FULL] = "ringbuf_full",
	[BT_DROP_CONN_MAP_FULL] = "conn_map_full",
	[BT_DROP_INFLIGHT_MAP_FULL] = "inflight_map_full",
	[BT_DROP_PIPELINE_FULL] = "pipeline_full",
	[BT_DROP_PARSE_ERROR] = "parse_error",
	[BT_DROP_SCAN_BUDGET] = "scan_budget",
	[BT_DROP_IOV_LIMIT] = "iov_limit",
	[BT_DROP_READ_USER] = "read_user_failed",
	[BT_DROP_UNPAIRED_RESPONSE] = "unpaired_response",
	[BT_DROP_OPAQUE_BYTES] = "opaque_bytes",
	[BT_DROP_ABANDONED] = "abandoned_request",
	[BT_DROP_CAPTURE_LIMIT] = "capture_limit",
	[BT_DROP_TLS_INFLIGHT_FULL] = "tls_inflight_map_full",
	[BT_DROP_PAYLOAD_SHED] = "payload_shed",
};

enum {
	F_DROPS,
	F_CONN_OPEN,
	F_CONN_CLOSE,
	F_REC_KERNEL,
	F_REC_USER,
	F_RESYNC,
	F_BND_SWEPT,
	F_TRUNC,
	F_SEEDED,
	F_SWEPT,
	F_NOT_HTTP,
	F_PROGS,
	F_RUNTIME,
	F_RUNS,
	F_BUILD,
	F_HOOKS,
	F_FRAMING,
	F_PROBE_UP,
	F_CONN_TRACKED,
	F_CONN_EVICTED,
	F_CONN_IGNORED,
	F_IGNORED_CGROUPS,
	F__COUNT
};

static const struct {
	const char *name;
	enum metric_type type;
	const char *help;
	const char *label;
} fams[F__COUNT] = {
	[F_DROPS] = { "biothings_observer_events_dropped_total", METRIC_COUNTER,
		      "Events lost or given up, by reason.", "reason" },
	[F_CONN_OPEN] = { "biothings_observer_connections_opened_total", METRIC_COUNTER,
			  "TCP connections the kernel side started tracking.", NULL },
	[F_CONN_CLOSE] = { "biothings_observer_connections_closed_total", METRIC_COUNTER,
			   "Tracked TCP connections closed.", NULL },
	[F_REC_KERNEL] = { "biothings_observer_records_emitted_total", METRIC_COUNTER,
			   "HTTP records the kernel side emitted.", NULL },
	[F_REC_USER] = { "biothings_observer_records_received_total", METRIC_COUNTER,
			 "Records the daemon read from the ringbuf.", NULL },
	[F_RESYNC] = { "biothings_observer_resyncs_total", METRIC_COUNTER,
		       "Connections that found a message start after losing framing.", NULL },
	[F_BND_SWEPT] = { "biothings_observer_boundary_swept_total", METRIC_COUNTER,
			  "Requests boundary framing reported once their connection was quiet "
			  "for capture.framing_idle, before its next request or close.",
			  NULL },
	[F_TRUNC] = { "biothings_observer_paths_truncated_total", METRIC_COUNTER,
		      "Request targets longer than the captured prefix.", NULL },
	[F_SEEDED] = { "biothings_observer_connections_seeded_total", METRIC_COUNTER,
		       "Connections open before start-up: picked up from /proc (capture.hooks: syscall) "
		       "or met by the kernel at their first send or receive (socket).",
		       NULL },
	[F_NOT_HTTP] = { "biothings_observer_connections_not_http_total", METRIC_COUNTER,
			 "Tracked connections whose first bytes were another protocol.", NULL },
	[F_SWEPT] = { "biothings_observer_connections_swept_total", METRIC_COUNTER,
		      "Connection entries of exited processes removed.", NULL },
	[F_PROGS] = { "biothings_observer_bpf_programs_attached", METRIC_GAUGE,
		      "BPF programs currently attached.", NULL },
	[F_RUNTIME] = { "biothings_observer_bpf_run_time_seconds_total", METRIC_COUNTER,
			"Time spent in each BPF program (kernel.bpf_stats_enabled=1).", "program" },
	[F_RUNS] = { "biothings_observer_bpf_runs_total", METRIC_COUNTER,
		     "Runs of each BPF program (kernel.bpf_stats_enabled=1).", "program" },
	[F_BUILD] = { "biothings_observer_build_info", METRIC_GAUGE,
		      "Always 1; the version label says which build runs.", "version" },
	[F_HOOKS] = { "biothings_observer_capture_hooks_info", METRIC_GAUGE,
		      "Always 1; the hooks label says which capture hooks feed the kernel side "
		      "(socket or syscall, capture.hooks).",
		      "hooks" },
	[F_FRAMING] = { "biothings_observer_capture_framing_info", METRIC_GAUGE,
			"Always 1; the framing label says how plain-socket HTTP is framed in "
			"the kernel (full or boundary, capture.framing).",
			"framing" },
	[F_PROBE_UP] = { "biothings_observer_probe_up", METRIC_GAUGE,
			 "1 when the hook is attached, 0 when it failed (logged once): each "
			 "tracepoint program, and the TLS probes on each library file (tls:PATH).",
			 "probe" },
	[F_CONN_TRACKED] = { "biothings_observer_connections_tracked", METRIC_GAUGE,
			     "Entries in the kernel's connection maps at the last census "
			     "(every capture.gc_interval).",
			     NULL },
	[F_CONN_EVICTED] = { "biothings_observer_connections_evicted_total", METRIC_COUNTER,
			     "Connection entries gone without a close the kernel saw: LRU "
			     "evictions past capture.max_connections (and fds closed by exec); "
			     "their later requests are not counted. A lower bound, per census.",
			     NULL },
	[F_CONN_IGNORED] = { "biothings_observer_connections_ignored_total", METRIC_COUNTER,
			     "Connections (and TLS sessions) left alone because their process "
			     "matched a capture.ignore rule: by the kernel, or not seeded from "
			     "/proc at start.",
			     NULL },
	[F_IGNORED_CGROUPS] = { "biothings_observer_ignored_cgroups", METRIC_GAUGE,
				"cgroups the capture.ignore globs matched at the last scan "
				"(every capture.gc_interval).",
				NULL },
};

struct selfmon {
	struct metrics *m;
	int fam[F__COUNT];
};

const char *selfmon_drop_reason(unsigned counter)
{
	return counter < BT_DROP__COUNT ? drop_names[counter] : NULL;
}

struct selfmon *selfmon__new(struct metrics *m, const char *version)
{
	struct selfmon *s = calloc(1, sizeof(*s));
	const char *build[] = { version, NULL };

	if (!s)
		return NULL;
	s->m = m;
	for (int i = 0; i < F__COUNT; i++) {
		const char *labels[] = { fams[i].label, NULL };

		s->fam[i] = metrics__define(m, fams[i].name, fams[i].type, fams[i].help, labels,
					    NULL, 0);
		if (s->fam[i] < 0) {
			errno = -s->fam[i];
			free(s);
			return NULL;
		}
	}
	metrics__set(m, s->fam[F_BUILD], build, 1);
	return s;
}

void selfmon__set_hooks(struct selfmon *s, const char *hooks, const char *framing)
{
	const char *lv[] = { hooks, NULL };
	const char *fv[] = { framing, NULL };

	metrics__set(s->m, s->fam[F_HOOKS], lv, 1);
	metrics__set(s->m, s->fam[F_FRAMING], fv, 1);
}

void selfmon__free(struct selfmon *s)
{
	free(s);
}

static void set1(struct selfmon *s, int f, double v)
{
	const char *none[] = { NULL };

	metrics__set(s->m, s->fam[f], none, v);
}

uint64_t selfmon_evicted(uint64_t prev, const struct conn_census *c, uint64_t seeded,
			 uint64_t swept)
{
	uint64_t in = c->opened + c->adopted + seeded, out = c->closed + swept + c->live;
	uint64_t est = in > out ? in - out : 0;

	return est > prev ? est : prev;
}

/* One path can be two files (the host's and a container's): up only if all are. */
static int probe_up(const struct probe_state *p, size_t n, size_t i)
{
	if (!p[i].up)
		return 0;
	for (size_t j = 0; j < n; j++)
		if (!p[j].up && p[j].name && !strcmp(p[j].name, p[i].name))
			return 0;
	return 1;
}

static void update_probes(struct selfmon *s, const struct selfmon_input *in)
{
	for (size_t i = 0; i < in->n_probes; i++) {
		const char *lv[] = { in->probes[i].name, NULL };

		if (in->probes[i].name)
			metrics__set(s->m, s->fam[F_PROBE_UP], lv,
				     probe_up(in->probes, in->n_probes, i));
	}
}

int selfmon__update(struct selfmon *s, const struct selfmon_input *in)
{
	size_t attached = 0;

	for (unsigned i = 0; i < BT_DROP__COUNT; i++) {
		const char *lv[] = { drop_names[i], NULL };

		metrics__set(s->m, s->fam[F_DROPS], lv, in->kernel[i]);
	}
	{
		const char *lv[] = { "malformed_record", NULL };
		const char *lv2[] = { "enrich_failed", NULL };

		metrics__set(s->m, s->fam[F_DROPS], lv, in->malformed_records);
		metrics__set(s->m, s->fam[F_DROPS], lv2, in->enrich_failed);
	}
	set1(s, F_CONN_OPEN, in->kernel[BT_CNT_CONN_OPENED]);
	set1(s, F_CONN_CLOSE, in->kernel[BT_CNT_CONN_CLOSED]);
	set1(s, F_REC_KERNEL, in->kernel[BT_CNT_RECORDS]);
	set1(s, F_RESYNC, in->kernel[BT_CNT_RESYNCED]);
	set1(s, F_BND_SWEPT, in->kernel[BT_CNT_BND_SWEPT]);
	set1(s, F_NOT_HTTP, in->kernel[BT_CNT_NOT_HTTP]);
	set1(s, F_TRUNC, in->kernel[BT_CNT_PATH_TRUNCATED]);
	set1(s, F_REC_USER, in->records_received);
	set1(s, F_SEEDED, in->seeded + in->kernel[BT_CNT_CONN_ADOPTED]);
	set1(s, F_SWEPT, in->swept);
	for (size_t i = 0; i < in->n_progs; i++) {
		const char *lv[] = { in->progs[i].name, NULL };

		attached += in->progs[i].attached;
		if (!in->progs[i].run_cnt)
			continue;
		metrics__set(s->m, s->fam[F_RUNTIME], lv, in->progs[i].run_time_ns / 1e9);
		metrics__set(s->m, s->fam[F_RUNS], lv, in->progs[i].run_cnt);
	}
	set1(s, F_PROGS, attached);
	update_probes(s, in);
	set1(s, F_CONN_TRACKED, in->conns_tracked);
	set1(s, F_CONN_EVICTED, in->conns_evicted);
	set1(s, F_CONN_IGNORED, in->kernel[BT_CNT_CONN_IGNORED_RULE] + in->left_alone);
	set1(s, F_IGNORED_CGROUPS, in->ignored_cgroups);
	return 0;
}
