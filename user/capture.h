/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Capture: drains the BPF ringbuf and hands each well-formed record to a
 * callback. Records that are too short or of an unknown type are counted,
 * not passed on.
 */
#ifndef BT_CAPTURE_H
#define BT_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "biothings/events.h"

typedef void (*capture_http_fn)(void *ctx, const struct bt_http_record *r);
typedef void (*capture_data_fn)(void *ctx, const struct bt_data_record *d);
typedef void (*capture_exec_fn)(void *ctx, const struct bt_exec_record *e);
typedef void (*capture_priv_fn)(void *ctx, const struct bt_priv_record *p);
typedef void (*capture_flow_fn)(void *ctx, const struct bt_flow_record *f);
typedef void (*capture_dbio_fn)(void *ctx, const struct bt_dbio_record *d);
typedef void (*capture_reqhead_fn)(void *ctx, const struct bt_reqhead_record *r);

struct capture_handlers {
	capture_http_fn on_http;
	capture_data_fn on_data;
	capture_exec_fn on_exec;
	void *ctx;
	capture_priv_fn on_priv; /* may be NULL */
	capture_flow_fn on_flow; /* may be NULL */
	capture_dbio_fn on_dbio; /* may be NULL */
	capture_reqhead_fn on_reqhead; /* may be NULL */
};

struct capture;

/* One reader over the rings fds[0..n), drained in that order. */
struct capture *capture__new(const int *fds, size_t n, const struct capture_handlers *h);
void capture__free(struct capture *c);
/* Wait up to timeout_ms for data, then drain. Returns records handled or -errno. */
int capture__poll(struct capture *c, int timeout_ms);
uint64_t capture__records(const struct capture *c);
uint64_t capture__malformed(const struct capture *c);

#endif
