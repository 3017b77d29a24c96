/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which capture hooks a kernel can run. The socket-layer hooks are BTF
 * tracepoints on sock_send_length and sock_recv_length (Linux 6.4 and
 * later), inet_sock_set_state and tcp_destroy_sock: without their types in the kernel's BTF
 * the BPF object would not load at all, so the loader asks first.
 */
#ifndef BT_HOOK_CHOICE_H
#define BT_HOOK_CHOICE_H

struct btf;

/* 1 when vmlinux (the kernel's BTF) has every tracepoint the socket-layer
 * hooks attach to, else 0; *missing names the first one absent. */
int hook_choice_socket_ok(const struct btf *vmlinux, const char **missing);

#endif
