// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The observer's one BPF object: follows TCP connections through syscall
 * tracepoints and TLS sessions through OpenSSL uprobes, frames HTTP/1.x
 * on both in the kernel, and sends one compact record per request (plus
 * the payload of exchanges marked for capture) to userspace. Database
 * client connections send the ends of each call instead (db_probes), and
 * outbound connections one record at their close (flow_probes).
 *
 * kprobes and fentry are absent on the kernel we are tested on; a faster
 * tcp_sendmsg/tcp_recvmsg path can feed the same bt_walk() later.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define H1_FN __attribute__((noinline)) /* global: verified once */
#include "h1_parse.h"
#include "h1_boundary.h"
#include "maps.bpf.h"
#include "conn_track.bpf.h"
#include "http_pair.bpf.h"
#include "scan.bpf.h"
#include "sock_probes.bpf.h"
#include "sock_layer.bpf.h"
#include "tls_probes.bpf.h"
#include "proc_probes.bpf.h"
#include "flow_probes.bpf.h"
#include "db_probes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Puts the ringbuf record types into the object's BTF (a type used only
 * through ringbuf pointers is not emitted), for bpftool and the ABI test. */
struct bt_http_record *bt_abi_http_record __attribute__((unused));
struct bt_data_record *bt_abi_data_record __attribute__((unused));
struct bt_exec_record *bt_abi_exec_record __attribute__((unused));
struct bt_priv_record *bt_abi_priv_record __attribute__((unused));
struct bt_flow_record *bt_abi_flow_record __attribute__((unused));
struct bt_dbio_record *bt_abi_dbio_record __attribute__((unused));
struct bt_retrans_key *bt_abi_retrans_key __attribute__((unused));
struct bt_reqhead_record *bt_abi_reqhead_record __attribute__((unused));
