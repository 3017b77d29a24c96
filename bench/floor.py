#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The floor of bench/run.sh: the observer's tracepoints with empty programs.

  floor.py PERF_JSON PID RAW

PERF_JSON is `bpftool --json perf list` taken while the observer (PID) ran.
Its tracepoint entries (uprobes and the rest are skipped, counted by type)
give the event names; tracefs gives each one's category. Writes RAW/floor.bt,
a bpftrace script with one empty program per tracepoint and a BEGIN that
prints "floor attached", and RAW/floor.json, the list. Exits non-zero when
the observer has no tracepoint or a name is not exactly one tracefs event.
"""
import glob
import json
import os
import sys

EVENTS = ("/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events")


def category(name):
    cats = set()
    for d in EVENTS:
        cats |= {os.path.basename(os.path.dirname(p.rstrip("/")))
                 for p in glob.glob(os.path.join(d, "*", glob.escape(name), ""))}
    if len(cats) != 1:
        sys.exit(f"floor: tracepoint {name}: {sorted(cats) or 'no'} category in tracefs")
    return cats.pop()


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    pid = int(argv[2])
    with open(argv[1]) as f:
        entries = [e for e in json.load(f) if e.get("pid") == pid]
    tp = [e["tracepoint"] for e in entries if e.get("fd_type") == "tracepoint"]
    skipped = {}
    for e in entries:
        if e.get("fd_type") != "tracepoint":
            skipped[e.get("fd_type", "?")] = skipped.get(e.get("fd_type", "?"), 0) + 1
    if not tp:
        sys.exit(f"floor: bpftool perf list shows no tracepoint for the observer (pid {pid})")
    names = sorted(f"{category(n)}:{n}" for n in set(tp))
    with open(os.path.join(argv[3], "floor.json"), "w") as f:
        json.dump({"count": len(names), "tracepoints": names, "attachments": len(tp),
                   "skipped": skipped, "observer_pid": pid}, f, indent=1)
    with open(os.path.join(argv[3], "floor.bt"), "w") as f:
        f.write("// Written by bench/run.sh (bench/floor.py) from the tracepoints the\n"
                "// observer attached: empty programs, only the hooks' own cost.\n"
                'BEGIN { printf("floor attached\\n"); }\n')
        f.writelines(f"tracepoint:{n} {{}}\n" for n in names)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
