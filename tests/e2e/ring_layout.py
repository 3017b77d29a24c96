#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Checks the layout of bt_rings (biothings/events.h, docs/capture.md).

Slot 0 holds the shared ring bt_events; slot 1 + n, for each possible CPU
n, a ring of its own if n was online when the observer started, else
bt_events again. With capture.ringbuf_per_cpu: auto each own ring is 2MiB
up to 16 CPUs online, 1MiB up to 32, 512KiB above (ring_set_auto_bytes).

  ring_layout.py SHARED_ID SLOT_ID...     exit 1 and say why if wrong

Imported: problems(slot_ids, shared_id) returns what is wrong, [] if
nothing. Reads /sys and asks bpftool for the rings' types and sizes.
"""
import json
import subprocess
import sys


def cpus(name):
    """The CPUs of /sys/devices/system/cpu/NAME (possible, online)."""
    out = set()
    for part in open("/sys/devices/system/cpu/" + name).read().strip().split(","):
        lo, _, hi = part.partition("-")
        out |= set(range(int(lo), int(hi or lo) + 1))
    return out


def auto_bytes(online):
    return 2 << 20 if online <= 16 else 1 << 20 if online <= 32 else 512 << 10


def map_show(map_id):
    run = subprocess.run(["bpftool", "-j", "map", "show", "id", str(map_id)],
                         capture_output=True, text=True)
    return json.loads(run.stdout or "{}")


def problems(ids, shared):
    possible, online = cpus("possible"), cpus("online")
    size = auto_bytes(len(online))
    print(f"      slots: {ids} (bt_events is {shared}; CPUs online {sorted(online)}"
          f" of {len(possible)} possible; own rings of {size} bytes)")
    bad = []
    if len(ids) != 1 + len(possible):
        bad.append(f"{len(ids)} slots, want 1 + {len(possible)} possible CPUs")
    own = [i for cpu, i in enumerate(ids[1:]) if cpu in online]
    if not ids or ids[0] != shared or shared in own or len(set(own)) != len(own):
        bad.append(f"slot 0 is not bt_events or online CPUs share a ring: {ids}")
    if any(i != shared for cpu, i in enumerate(ids[1:]) if cpu not in online):
        bad.append(f"a CPU offline at start has a ring of its own: {ids}")
    for i in own:
        show = map_show(i)
        if show.get("type") != "ringbuf" or show.get("max_entries") != size:
            bad.append(f"slot's map {i} is not a ring buffer of {size} bytes: {show}")
    return bad


def main(argv):
    shared, *ids = [int(a) for a in argv]
    bad = problems(ids, shared)
    for b in bad:
        print("    FAIL:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
