// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Drops the capabilities start-up needed and the running daemon does not,
 * so that a flaw in what parses hostile bytes (REST, captured traffic,
 * /proc) finds less to abuse. Raw capget/capset rather than libcap: two
 * system calls, no library to ship in the image.
 */
#include "privdrop.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cap_names[] = {
	"cap_chown",
	"cap_dac_override",
	"cap_dac_read_search",
	"cap_fowner",
	"cap_fsetid",
	"cap_kill",
	"cap_setgid",
	"cap_setuid",
	"cap_setpcap",
	"cap_linux_immutable",
	"cap_net_bind_service",
	"cap_net_broadcast",
	"cap_net_admin",
	"cap_net_raw",
	"cap_ipc_lock",
	"cap_ipc_owner",
	"cap_sys_module",
	"cap_sys_rawio",
	"cap_sys_chroot",
	"cap_sys_ptrace",
	"cap_sys_pacct",
	"cap_sys_admin",
	"cap_sys_boot",
	"cap_sys_nice",
	"cap_sys_resource",
	"cap_sys_time",
	"cap_sys_tty_config",
	"cap_mknod",
	"cap_lease",
	"cap_audit_write",
	"cap_audit_control",
	"cap_setfcap",
	"cap_mac_override",
	"cap_mac_admin",
	"cap_syslog",
	"cap_wake_alarm",
	"cap_block_suspend",
	"cap_audit_read",
	"cap_perfmon",
	"cap_bpf",
	"cap_checkpoint_restore",
};

#ifndef CAP_BPF /* uapi headers older than 5.8; the number is the kernel ABI */
#define CAP_BPF 39
#endif

uint64_t privdrop_keep(uint64_t have, uint64_t extra)
{
	uint64_t keep = PRIVDROP_BIT(CAP_SYS_ADMIN) | PRIVDROP_BIT(CAP_SYS_PTRACE) |
			PRIVDROP_BIT(CAP_DAC_READ_SEARCH) | extra;

	if (!(have & PRIVDROP_BIT(CAP_SYS_ADMIN)))
		keep |= PRIVDROP_BIT(CAP_BPF);
	return keep & have;
}

uint64_t privdrop_keep_for_listen(const char *listen)
{
	const char *colon = listen ? strrchr(listen, ':') : NULL;
	unsigned long port;
	char *end;

	if (!colon || colon[1] < '0' || colon[1] > '9')
		return 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port >= 1024)
		return 0;
	return PRIVDROP_BIT(CAP_NET_BIND_SERVICE);
}

size_t privdrop_names(uint64_t mask, char *out, size_t outlen)
{
	size_t n = 0;
	int w;

	if (outlen)
		out[0] = '\0';
	for (unsigned c = 0; c < 64; c++) {
		char num[16];
		const char *name = num;

		if (!(mask & PRIVDROP_BIT(c)))
			continue;
		if (c < sizeof(cap_names) / sizeof(cap_names[0]))
			name = cap_names[c];
		else
			snprintf(num, sizeof(num), "cap_%u", c);
		w = snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s", n ? "," : "", name);
		n += w > 0 ? (size_t)w : 0;
	}
	if (!n)
		n = (size_t)snprintf(out, outlen, "none");
	return n;
}

static int caps_get(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &h, d))
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

static int caps_set(uint64_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		d[i].effective = d[i].permitted = (uint32_t)(keep >> (32 * i));
		d[i].inheritable = 0;
	}
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* The bounding set only limits what an exec could gain; the daemon never
 * execs, so without CAP_SETPCAP (a systemd unit's bounding set) it stays. */
static int trim_bounding(uint64_t keep, int *trimmed)
{
	*trimmed = 1;
	for (unsigned c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0)
			break; /* EINVAL: past the kernel's last capability */
		if (r == 0 || (keep & PRIVDROP_BIT(c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0)) {
			if (errno != EPERM)
				return -errno;
			*trimmed = 0;
			break;
		}
	}
	return 0;
}

static int other_threads(void)
{
	char line[128];
	unsigned n = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %u", &n) == 1)
			break;
	fclose(f);
	return n ? (int)n - 1 : -EIO;
}

int privdrop_apply(uint64_t extra, struct privdrop_report *out)
{
	struct privdrop_report r = {};
	uint64_t eff, keep;
	int e = other_threads();

	if (e)
		return e > 0 ? -EBUSY : e;
	e = caps_get(&eff, &r.before);
	if (e)
		return e;
	keep = privdrop_keep(r.before, extra);
	/* ambient must go first: it may only hold what permitted holds */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	e = (eff & PRIVDROP_BIT(CAP_SETPCAP)) ? trim_bounding(keep, &r.bounding_trimmed) : 0;
	if (!e)
		e = caps_set(keep);
	if (!e && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		e = -errno;
	if (!e)
		e = caps_get(&eff, &r.after);
	if (!e && r.after != keep)
		e = -EIO;
	if (out)
		*out = r;
	return e;
}
