// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attaches empty BPF programs to the hooks named on the command line, says
 * "NAME attached" and holds them until SIGINT/SIGTERM (bench/run.sh's floor
 * modes).
 *
 *   floor_hooks OBJECT NAME HOOK...
 *     HOOK = tp:CATEGORY:EVENT   perf-event tracepoint (the observer's kind)
 *          | raw:EVENT           raw tracepoint (what tp_btf costs)
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINKS 256

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static struct bpf_link *attach(struct bpf_object *obj, const char *hook)
{
	char cat[128];
	const char *ev;

	if (!strncmp(hook, "raw:", 4))
		return bpf_program__attach_raw_tracepoint(
			bpf_object__find_program_by_name(obj, "floor_raw"), hook + 4);
	if (strncmp(hook, "tp:", 3) || !(ev = strchr(hook + 3, ':')) ||
	    (size_t)(ev - hook - 3) >= sizeof(cat)) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(cat, hook + 3, ev - hook - 3);
	cat[ev - hook - 3] = '\0';
	return bpf_program__attach_tracepoint(bpf_object__find_program_by_name(obj, "floor_tp"),
					      cat, ev + 1);
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS];
	struct bpf_object *obj;
	int n = 0, rc = 1;

	if (argc < 4 || argc - 3 > MAX_LINKS) {
		fprintf(stderr, "usage: %s OBJECT NAME HOOK... (tp:CAT:EVENT | raw:EVENT)\n",
			argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floor_hooks: cannot load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (int i = 3; i < argc; i++, n++) {
		links[n] = attach(obj, argv[i]);
		if (!links[n]) {
			fprintf(stderr, "floor_hooks: cannot attach %s: %s\n", argv[i],
				strerror(errno));
			goto out;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("%s attached (%d hooks)\n", argv[2], n);
	fflush(stdout);
	while (!stop)
		pause();
	rc = 0;
out:
	while (n-- > 0)
		bpf_link__destroy(links[n]);
	bpf_object__close(obj);
	return rc;
}
