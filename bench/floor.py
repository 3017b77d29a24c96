#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The floors of bench/run.sh: empty programs on chosen hooks.

  floor.py PERF_JSON PID RAW

PERF_JSON is `bpftool --json perf list` taken while the observer (PID) ran.
Its tracepoint entries (uprobes and the rest are skipped, counted by type)
give the event names; tracefs gives each one's category. Writes one hook
list per floor, RAW/NAME.hooks (arguments of bench/floor_hooks: tp:CAT:EVENT
for a perf-event tracepoint, raw:EVENT for a raw tracepoint), and
RAW/floor.json with the lists. Exits non-zero when the observer has no
tracepoint or a name is not exactly one tracefs event.

  floor         the observer's tracepoints, attached as the observer does
  floor-hybrid  the read/write-family syscall tracepoints replaced by the
                socket layer's sock_send_length and sock_recv_length (every
                send and receive on a socket, whichever call made it, after
                the bytes moved), as raw tracepoints; the rest as today
  floor-sock    no syscall tracepoint at all (while any is attached, every
                syscall of every task takes the traced slow path): the two
                socket events and the observer's other events, all raw
"""
import glob
import json
import os
import sys

EVENTS = ("/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events")
# The calls that move bytes, which the socket-layer tracepoints would replace.
IO_CALLS = ("read", "readv", "recvfrom", "recvmsg", "write", "writev", "sendto", "sendmsg",
            "sendfile64")
SOCK = ["raw:sock_send_length", "raw:sock_recv_length"]


def io_syscall(n):
    return any(n in (f"syscalls:sys_enter_{c}", f"syscalls:sys_exit_{c}") for c in IO_CALLS)


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
    variants = {"floor": [f"tp:{n}" for n in names],
                "floor-hybrid": SOCK + [f"tp:{n}" for n in names if not io_syscall(n)],
                "floor-sock": SOCK + [f"raw:{n.split(':')[1]}" for n in names
                                      if not n.startswith("syscalls:")]}
    with open(os.path.join(argv[3], "floor.json"), "w") as f:
        json.dump({"count": len(names), "tracepoints": names, "attachments": len(tp),
                   "skipped": skipped, "observer_pid": pid,
                   "variants": {k: v for k, v in variants.items() if k != "floor"}}, f, indent=1)
    for name, hooks in variants.items():
        with open(os.path.join(argv[3], f"{name}.hooks"), "w") as f:
            f.writelines(f"{h}\n" for h in hooks)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
