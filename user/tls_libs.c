// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Finds candidate files for the TLS uprobes. Only names files: whether a
 * file really exports SSL_read/SSL_write is for the attach to find out.
 */
#include "tls_libs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const well_known[] = {
	"/usr/lib/x86_64-linux-gnu/libssl.so.3",
	"/usr/lib/aarch64-linux-gnu/libssl.so.3",
	"/lib/x86_64-linux-gnu/libssl.so.3",
	"/usr/lib64/libssl.so.3",
	"/usr/lib/libssl.so.3",
	"/usr/lib/x86_64-linux-gnu/libssl.so.1.1",
	"/usr/bin/node",
	"/usr/local/bin/node",
};

static void add(struct tls_libs *libs, const char *path)
{
	struct stat st;

	if (libs->n >= TLS_LIBS_MAX || strlen(path) >= PATH_MAX || stat(path, &st) ||
	    !S_ISREG(st.st_mode))
		return;
	for (size_t i = 0; i < libs->n; i++)
		if (libs->dev[i] == st.st_dev && libs->ino[i] == st.st_ino)
			return;
	libs->dev[libs->n] = st.st_dev;
	libs->ino[libs->n] = st.st_ino;
	strcpy(libs->path[libs->n++], path);
}

int tls_maps_line_is_libssl(const char *line, const char **path)
{
	const char *p = strchr(line, '/');
	const char *base;

	if (!p)
		return 0;
	base = strrchr(p, '/') + 1;
	if (strncmp(base, "libssl.so", 9))
		return 0;
	*path = p;
	return 1;
}

static void scan_maps(const char *proc_root, const char *pid, struct tls_libs *libs)
{
	char file[PATH_MAX], line[PATH_MAX + 128], full[PATH_MAX];
	const char *path;
	FILE *f;

	snprintf(file, sizeof(file), "%s/%s/maps", proc_root, pid);
	f = fopen(file, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!tls_maps_line_is_libssl(line, &path))
			continue;
		/* the process's own view of the file, containers included */
		if (snprintf(full, sizeof(full), "%s/%s/root%s", proc_root, pid, path) <
		    (int)sizeof(full))
			add(libs, full);
	}
	fclose(f);
}

/* node carries OpenSSL inside; the path is opened through the process's root, so a
 * container's (or, from a pod, the host's) binary is the one probed. */
static void scan_exe(const char *proc_root, const char *pid, struct tls_libs *libs)
{
	char link[PATH_MAX], exe[PATH_MAX], full[PATH_MAX];
	ssize_t n;
	const char *base;

	snprintf(link, sizeof(link), "%s/%s/exe", proc_root, pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	if ((!strcmp(base, "node") || !strcmp(base, "nodejs")) &&
	    snprintf(full, sizeof(full), "%s/%s/root%s", proc_root, pid, exe) < (int)sizeof(full))
		add(libs, full);
}

int tls_libs_find_pid(const char *proc_root, unsigned pid, struct tls_libs *libs)
{
	char name[16];

	libs->n = 0;
	snprintf(name, sizeof(name), "%u", pid);
	scan_maps(proc_root, name, libs);
	scan_exe(proc_root, name, libs);
	return 0;
}

int tls_libs_find(const char *proc_root, struct tls_libs *libs)
{
	struct dirent *de;
	DIR *d;

	libs->n = 0;
	for (size_t i = 0; i < sizeof(well_known) / sizeof(well_known[0]); i++)
		add(libs, well_known[i]);
	d = opendir(proc_root);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		scan_maps(proc_root, de->d_name, libs);
		scan_exe(proc_root, de->d_name, libs);
	}
	closedir(d);
	return 0;
}
