// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "hook_choice.h"

#include <bpf/btf.h>
#include <stddef.h>
#include <stdio.h>

/* The BTF tracepoints of bpf/sock_layer.bpf.h; the kernel describes each
 * by a typedef btf_trace_<name>. */
static const char *const socket_tracepoints[] = {
	"sock_send_length",
	"sock_recv_length",
	"inet_sock_set_state",
	"tcp_destroy_sock",
};

int hook_choice_socket_ok(const struct btf *vmlinux, const char **missing)
{
	char name[64];

	*missing = NULL;
	for (size_t i = 0; i < sizeof(socket_tracepoints) / sizeof(socket_tracepoints[0]); i++) {
		snprintf(name, sizeof(name), "btf_trace_%s", socket_tracepoints[i]);
		if (!vmlinux || btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) < 0) {
			*missing = socket_tracepoints[i];
			return 0;
		}
	}
	return 1;
}
