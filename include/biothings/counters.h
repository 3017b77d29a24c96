/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-CPU counters the BPF side keeps and the daemon sums and exports.
 * Map "bt_counters": BPF_MAP_TYPE_PERCPU_ARRAY, key = enum bt_counter,
 * value = __u64. Numbers are append-only; names for export live in the
 * daemon's table indexed by these values.
 */
#ifndef BIOTHINGS_COUNTERS_H
#define BIOTHINGS_COUNTERS_H

enum bt_counter {
	/* drops: exported as biothings_observer_events_dropped_total{reason} */
	BT_DROP_RINGBUF_FULL = 0, /* bpf_ringbuf_reserve failed */
	BT_DROP_CONN_MAP_FULL = 1, /* connection could not be tracked */
	BT_DROP_INFLIGHT_MAP_FULL = 2, /* syscall args could not be stashed */
	BT_DROP_PIPELINE_FULL = 3, /* more pipelined requests than BT_PIPELINE_MAX */
	BT_DROP_PARSE_ERROR = 4, /* bytes that are not HTTP/1.x where it was expected */
	BT_DROP_SCAN_BUDGET = 5, /* one syscall held more than BT_SCAN_ROUNDS windows */
	BT_DROP_IOV_LIMIT = 6, /* bytes beyond BT_IOV_MAX iovecs of a vectored call */
	BT_DROP_READ_USER = 7, /* bpf_probe_read_user failed */
	BT_DROP_UNPAIRED_RESPONSE = 8, /* response with no request waiting */
	BT_DROP_OPAQUE_BYTES = 9, /* sendfile bytes where headers were expected */
	BT_DROP_ABANDONED = 10, /* pending requests given up when framing was lost */
	BT_DROP_CAPTURE_LIMIT = 11, /* captured bytes past BT_DATA_CHUNKS records per call */
	BT_DROP_TLS_INFLIGHT_FULL = 12, /* SSL call arguments could not be stashed */
	BT_DROP_PAYLOAD_SHED = 13, /* payload record not written: ringbuf within its headroom */
	BT_DROP__COUNT = 14,

	/* truncations: not drops, the record is sent and flagged */
	BT_CNT_PATH_TRUNCATED = 16,
	/* activity */
	BT_CNT_CONN_OPENED = 17,
	BT_CNT_CONN_CLOSED = 18,
	BT_CNT_RECORDS = 19, /* bt_http_record emitted */
	BT_CNT_RESYNCED = 20, /* a desynchronised direction found a message start */
	BT_CNT_NOT_HTTP = 21, /* connections whose first bytes were not HTTP/1.x */
	BT_CNT_RETRANS_DESTS = 22, /* destinations added to bt_retransmits (minus those present:
				    * evicted by the LRU) */
	BT_CNT_DBIO = 23, /* bt_dbio_record emitted */
	BT_CNT_CONN_ADOPTED = 24, /* socket-layer hooks: connections first met mid-stream */
	BT_CNT_CONN_IGNORED_RULE = 25, /* connections left alone by a capture.ignore rule */
	BT_CNT_BND_SWEPT = 26, /* boundary framing: held answers reported by the sweep */
	BT_CNT__COUNT = 27,
};

#endif
