#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""BPF program run-time statistics for bench/run.sh, from bpftool.

  bpfstats.py snapshot                        all programs as JSON (stdout)
  bpfstats.py mapid PINNED_MAP                id of a pinned map
  bpfstats.py delta BEFORE AFTER --map-id N   programs using map N (ours)
  bpfstats.py delta BEFORE AFTER --new        programs absent from BEFORE and
                                              not named bt_* (the peer's)
  bpfstats.py foreign --map-id N              bt_* programs of other observers

delta prints JSON: per program runs, run_time_ns and mean ns per run over
the interval, and the mean weighted by runs over the tracepoint programs
(perf-event, raw and BTF; not the uprobes). run_time_ns only grows while
kernel.bpf_stats_enabled=1; the caller turns it on and off. It reads
bpftool output only.
"""
import json
import subprocess
import sys

# Programs on kernel hooks (perf-event, raw and BTF tracepoints), as bpftool
# names their types; uprobes (type kprobe) are left out.
HOOK_TYPES = ("tracepoint", "raw_tracepoint", "tracing")


def bpftool(*args):
    out = subprocess.run(["bpftool", "--json", *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def snapshot():
    return bpftool("prog", "show")


def delta(before, after, pick):
    old = {p["id"]: p for p in before}
    progs = []
    for p in after:
        if not pick(p, old):
            continue
        o = old.get(p["id"], {})
        runs = p.get("run_cnt", 0) - o.get("run_cnt", 0)
        ns = p.get("run_time_ns", 0) - o.get("run_time_ns", 0)
        progs.append({"id": p["id"], "name": p.get("name", "?"), "type": p.get("type"),
                      "runs": runs, "run_time_ns": ns,
                      "mean_ns": round(ns / runs, 1) if runs else None})
    sys_progs = [p for p in progs if p["type"] in HOOK_TYPES]
    runs = sum(p["runs"] for p in sys_progs)
    ns = sum(p["run_time_ns"] for p in sys_progs)
    progs.sort(key=lambda p: -p["run_time_ns"])
    return {"programs": progs, "tracepoint_runs": runs, "tracepoint_run_time_ns": ns,
            "weighted_mean_ns": round(ns / runs, 1) if runs else None}


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "snapshot":
        json.dump(snapshot(), sys.stdout)
    elif cmd == "mapid":
        print(bpftool("map", "show", "pinned", argv[2])["id"])
    elif cmd == "delta":
        with open(argv[2]) as f:
            before = json.load(f)
        with open(argv[3]) as f:
            after = json.load(f)
        if argv[4] == "--map-id":
            mid = int(argv[5])
            pick = lambda p, old: mid in p.get("map_ids", [])
        else:
            pick = lambda p, old: (p["id"] not in old
                                   and not p.get("name", "").startswith("bt_"))
        json.dump(delta(before, after, pick), sys.stdout, indent=1)
    elif cmd == "foreign":
        mid = int(argv[3])
        n = [p["id"] for p in snapshot() if p.get("name", "").startswith("bt_")
             and mid not in p.get("map_ids", [])]
        print(len(n))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
