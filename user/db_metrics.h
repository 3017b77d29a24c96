/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Metric families for dependencies seen on the wire: database operations
 * (dbwire), connection failures and resets (bt_flow_record), TCP
 * retransmits per destination (the kernel's bt_retransmits map, mirrored
 * as counters). The caller resolves service_name; labels and buckets
 * follow the OpenTelemetry database client conventions. See docs/health.md.
 */
#ifndef BT_DB_METRICS_H
#define BT_DB_METRICS_H

#include <stdint.h>

#include "biothings/events.h"
#include "dbwire.h"
#include "metrics.h"

struct db_metrics;

/* Defines the families in m (once per registry). NULL + errno. */
struct db_metrics *db_metrics__new(struct metrics *m);
void db_metrics__free(struct db_metrics *d);

/* db_client_operation_duration_seconds{service_name, db_system_name,
 * server_address, server_port, error_type}. service NULL or "":
 * "unknown_service". 0 or the registry's error. */
int db_metrics__op(struct db_metrics *d, const char *service, const struct dbw_op *op);

/* The reason label of a flow record, NULL when the connection ended
 * cleanly: refused, timeout, unreachable, reset, aborted (the process
 * closed a connection still in SYN_SENT), else the errno name in lower
 * case ("eacces"). */
const char *db_conn_error_reason(const struct bt_flow_record *f);
/* biothings_connection_errors_total{service_name, server_address,
 * server_port, reason} += 1 when f is an error. 1 counted, 0 not an
 * error, <0 the registry's error. */
int db_metrics__flow(struct db_metrics *d, const char *service, const struct bt_flow_record *f);

/* One destination's count as read from bt_retransmits: the increase since
 * the last read is added to biothings_tcp_retransmits_total{server_address,
 * server_port}. A read must cover the whole map (begin, samples, end):
 * destinations absent from it are forgotten. */
void db_metrics__retrans_begin(struct db_metrics *d);
int db_metrics__retrans_sample(struct db_metrics *d, const struct bt_retrans_key *k,
			       uint64_t count);
/* dests_added: the kernel's BT_CNT_RETRANS_DESTS. Sets
 * biothings_tcp_retransmit_destinations_evicted_total to the destinations
 * the map's LRU dropped (added minus present). */
int db_metrics__retrans_end(struct db_metrics *d, uint64_t dests_added);
/* The three above over the map behind map_fd. 0 or -errno. */
int db_metrics__read_retransmits(struct db_metrics *d, int map_fd, uint64_t dests_added);

/* biothings_db_wire_events_total{event}, mirrored from dbwire's counters. */
int db_metrics__wire_stats(struct db_metrics *d, const struct dbw_stats *st);

#endif
