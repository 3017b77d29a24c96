#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Turns the raw files of bench/run.sh (BENCH/raw/*.wrk, *.kv, *.json) into
BENCH/results.md, BENCH/results.json and BENCH/latency.svg, and prints the
table. Each figure is a median over the alternated rounds with its min and
max, a target and pass/fail. It only reads what run.sh wrote; it measures
nothing itself.

  report.py BENCH [--rounds N] [--duration S] [--conns C]
"""
import argparse
import glob
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svgplot  # noqa: E402

PCTS = [1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 97, 98, 99, 99.5, 99.9, 99.99]


def read_kv(path):
    d = {}
    with open(path) as f:
        for line in f:
            k, sep, v = line.strip().partition("=")
            if not sep:
                continue
            try:
                v = float(v)
            except ValueError:
                pass
            d.setdefault(k, []).append(v)
    return {k: v[0] if len(v) == 1 else v for k, v in d.items()}


def read_wrk(path):
    d = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"BT (\S+)=(\S+)", line)
            if m:
                d[m.group(1)] = float(m.group(2))
    if d.get("duration_us"):
        d["rps"] = d["requests"] / (d["duration_us"] / 1e6)
    return d


def load_runs(raw, prefix):
    runs = []
    for kv in sorted(glob.glob(os.path.join(raw, prefix + "*.kv"))):
        tag = os.path.basename(kv)[:-3]
        r = read_kv(kv)
        r.update(read_wrk(kv[:-3] + ".wrk"))
        r["tag"] = tag
        m = re.search(r"r(?:ound)?(\d+)-", tag)
        r["round"] = int(m.group(1)) if m else 0
        runs.append(r)
    return runs


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def paired(runs, mode, key, op, base="off"):
    """Per-round op(run[mode][key], run[base][key])."""
    by = {}
    for r in runs:
        by.setdefault(r["round"], {})[r["mode"]] = r
    out = []
    for rnd in sorted(by):
        a, b = by[rnd].get(mode), by[rnd].get(base)
        if a and b and a.get(key) and b.get(key):
            out.append(op(a[key], b[key]))
    return out


def figure(name, target, unit, st, ok, note=""):
    d = {"figure": name, "target": target, "unit": unit, **st,
         "pass": ok, "note": note}
    return d


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if isinstance(v, float) and abs(v) < 10:
        s = f"{v:.3f}"
    else:
        s = f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}"
    return s + (f" {unit}" if unit else "")


# The observer run another way than its defaults, in the same rounds:
# (mode, how, what the ratio says).
REFERENCE_MODES = (
    ("on-syscall", "capture.hooks: syscall", "every syscall of every task takes the traced path"),
    ("on-ignore", "wrk ignored (capture.ignore)",
     "the load generator's connections left alone in the kernel: what observing nginx alone costs"),
    ("on-boundary", "capture.framing: boundary",
     "a call's first bytes only: no header walk, a request reported when the next one starts"),
)


def main_figures(raw):
    runs = load_runs(raw, "round")
    on = [r for r in runs if r["mode"] == "on"]
    ratio = lambda a, b: a / b
    figs = []
    tput = stats(paired(runs, "on", "rps", ratio))
    figs.append(figure("nginx throughput on/off", ">= 0.97", "ratio", tput,
                       tput["median"] is not None and tput["median"] >= 0.97))
    p99 = stats(paired(runs, "on", "p99", ratio))
    figs.append(figure("nginx p99 latency on/off", "<= 1.05", "ratio", p99,
                       p99["median"] is not None and p99["median"] <= 1.05))
    ptput = stats(paired(runs, "peer", "rps", ratio))
    pp99 = stats(paired(runs, "peer", "p99", ratio))
    figs.append(figure("bpftrace peer throughput on/off", "ours >= peer", "ratio", ptput,
                       None if ptput["median"] is None else tput["median"] >= ptput["median"],
                       f"ours {fmt(tput['median'])}"))
    figs.append(figure("bpftrace peer p99 on/off", "ours <= peer", "ratio", pp99,
                       None if pp99["median"] is None else p99["median"] <= pp99["median"],
                       f"ours {fmt(p99['median'])}"))
    for mode, what, note in REFERENCE_MODES:
        t = stats(paired(runs, mode, "rps", ratio))
        if not t["n"]:
            continue
        figs.append(figure(f"nginx throughput on/off, {what}", "(reference)", "ratio", t, None,
                           note))
        figs.append(figure(f"nginx p99 latency on/off, {what}", "(reference)", "ratio",
                           stats(paired(runs, mode, "p99", ratio)), None, ""))
    figs += floor_figures(raw, runs)
    bt = stats(paired(runs, "on-b", "rps", ratio, base="on"))
    if bt["n"]:
        figs.append(figure("build B / build A throughput (BENCH_AB)", "(reference)", "ratio", bt,
                           None, "per round, on-b vs on"))
        figs.append(figure("build B / build A p99 (BENCH_AB)", "(reference)", "ratio",
                           stats(paired(runs, "on-b", "p99", ratio, base="on")), None, ""))
    drops = [r.get("events_dropped_total", 0) for r in on]
    series_wrk = [read_wrk(p) for p in glob.glob(os.path.join(raw, "series-*.wrk"))]
    top = max([r["rps"] for r in on] + [w.get("rps", 0) for w in series_wrk], default=0)
    figs.append(figure("dropped events (on rounds + series pass)", "0 up to 50k req/s", "events",
                       stats(drops + series_drops(raw)), sum(drops) + sum(series_drops(raw)) == 0,
                       f"highest rate reached: {top:,.0f} req/s"))
    cpu = stats([r["cpu_ns"] / 1e9 / r["requests"] * 1e4 for r in on if r.get("requests")])
    figs.append(figure("observer CPU per 10k req/s", "<= 0.1", "core", cpu,
                       cpu["median"] is not None and cpu["median"] <= 0.1,
                       "threads' schedstat; BPF time is charged to nginx/wrk, not here"))
    recv = stats([r["records_received_total"] / (2 * r["requests"]) for r in on if r.get("requests")])
    figs.append(figure("records received / (2 x wrk requests)", "~1.0", "ratio", recv,
                       recv["min"] is not None and recv["min"] >= 0.999,
                       "one server (nginx) and one client (wrk) record per request"))
    return runs, figs


def read_floor(raw):
    """RAW/floor.json: the tracepoints the floor hooked (bench/floor.py)."""
    p = os.path.join(raw, "floor.json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


# Hook sets other than the syscall ones (bench/floor.py): floor-sock is
# (to a once-per-connection program) the default socket hooks' own floor.
VARIANTS = (("floor-hybrid", "socket tracepoints for the calls that move bytes, "
             "syscall ones for accept/connect/close/dup/setuid"),
            ("floor-sock", "socket tracepoints only, no syscall tracepoint"))


MODES = ("off", "on", "on-b", "on-syscall", "on-ignore", "on-boundary", "peer", "floor") + tuple(m for m, _ in VARIANTS)


def floor_figures(raw, runs):
    """The floor: empty programs on the observer's tracepoints. No target:
    it is what the hooks alone cost, which no work in the programs can
    undo; on/floor is what is left for the observer's own work."""
    ratio = lambda a, b: a / b
    ftput = stats(paired(runs, "floor", "rps", ratio))
    if not ftput["n"]:
        return []
    fp99 = stats(paired(runs, "floor", "p99", ratio))
    room = stats(paired(runs, "on-syscall", "rps", ratio, base="floor"))
    sroom = stats(paired(runs, "on", "rps", ratio, base="floor-sock"))
    fl = read_floor(raw) or {}
    n = f"{fl['count']} tracepoints" if fl.get("count") else "tracepoint list missing"
    figs = [figure("floor (hooks only) throughput on/off", "(reference)", "ratio", ftput, None,
                   f"reference: what the syscall hooks alone cost; {n}, empty programs"),
            figure("floor (hooks only) p99 on/off", "(reference)", "ratio", fp99, None,
                   "reference: what the syscall hooks alone cost"),
            figure("observer on (syscall hooks) / floor throughput", "(reference)", "ratio", room,
                   None, "what the observer's own work costs on the syscall hooks"),
            figure("observer on / floor-sock throughput", "(reference)", "ratio", sroom, None,
                   "what the observer's own work costs on its default (socket) hooks")]
    for mode, what in VARIANTS:
        t = stats(paired(runs, mode, "rps", ratio))
        if not t["n"]:
            continue
        hooks = len((fl.get("variants") or {}).get(mode, []))
        figs.append(figure(f"{mode} throughput on/off", "(reference)", "ratio", t, None,
                           f"{what}; {hooks} tracepoints, empty programs"))
        figs.append(figure(f"{mode} p99 on/off", "(reference)", "ratio",
                           stats(paired(runs, mode, "p99", ratio)), None, what))
    return figs


def floor_block(raw, runs, figs, btables):
    """results.json "floor": the list, its ratios and its BPF pass."""
    fl = read_floor(raw)
    if fl is None:
        return None
    by = {f["figure"]: f for f in figs}
    pick = lambda name: {k: by[name][k] for k in ("median", "min", "max", "n")} if name in by else None
    d = dict(fl)
    d["throughput_ratio"] = pick("floor (hooks only) throughput on/off")
    d["p99_ratio"] = pick("floor (hooks only) p99 on/off")
    d["on_syscall_over_floor_throughput"] = pick("observer on (syscall hooks) / floor throughput")
    d["on_over_floor_sock_throughput"] = pick("observer on / floor-sock throughput")
    for mode, _ in VARIANTS:
        d[f"{mode}_throughput_ratio"] = pick(f"{mode} throughput on/off")
        d[f"{mode}_p99_ratio"] = pick(f"{mode} p99 on/off")
    b = btables.get("floor")
    if b:
        req = b.get("requests")
        d["bpf_weighted_mean_ns"] = b["weighted_mean_ns"]
        d["bpf_runs_per_request"] = b["tracepoint_runs"] / req if req else None
    return d


def series_drops(raw):
    return [read_kv(p).get("events_dropped", 0) for p in glob.glob(os.path.join(raw, "series-*.kv"))]


def series_figures(raw, n):
    path = os.path.join(raw, f"series-{n}.kv")
    if not os.path.exists(path):
        return []
    s = read_kv(path)
    rss = s["rss_kb"] / 1024
    rt = s["render_total_s"]
    rt = [v * 1000 for v in (rt if isinstance(rt, list) else [rt])]
    st = stats(rt)
    note = f"{s['series']:.0f} server series, {s['bytes'] / 1e6:.1f} MB exposition"
    rss0 = s.get("rss_before_scrape_kb", 0) / 1024
    maps = s.get("bpf_map_rss_kb", 0) / 1024
    pss = s.get("pss_kb", 0) / 1024
    anon = s.get("rssanon_kb", 0) / 1024
    srv = s.get("render_server_s", [])
    srv = stats([v * 1000 for v in (srv if isinstance(srv, list) else [srv])])
    figs = [figure(f"observer RSS with {n // 1000}k series", "<= 64", "MiB",
                   stats([rss0, rss]), rss <= 64,
                   f"VmRSS {rss0:.1f} MiB before the first scrape, {rss:.1f} MiB after 14+ scrapes; "
                   f"{maps:.1f} MiB of it is BPF map mappings (the ringbuf's pages mapped once)")]
    if pss:
        figs.append(figure(f"observer PSS with {n // 1000}k series", "<= 64", "MiB",
                           stats([pss]), pss <= 64,
                           f"shared pages split among their mappers, as the memory cgroup charges once; "
                           f"heap and stacks (RssAnon) {anon:.1f} MiB"))
    figs.append(figure(f"observer RSS with {n // 1000}k series, without BPF map mappings",
                       "(reference)", "MiB", stats([rss - maps]), None,
                       "heap, stacks, libraries: the daemon's own memory"))
    figs.append(figure(f"/metrics scrape with {n // 1000}k series", "<= 20", "ms", st,
                       st["median"] <= 20, note + "; curl time_total over loopback, streamed"))
    if srv["median"] is not None:
        figs.append(figure(f"/metrics render with {n // 1000}k series, in the daemon", "(reference)",
                           "ms", srv, None,
                           "biothings_api_metrics_render_seconds: refresh, snapshot, sort, text"))
    return figs


def hooked_syscalls(d):
    """Calls our programs ran for. Syscall hooks: per call name, the larger
    of its bt_enter_* and bt_exit_* runs (a call with both hooks counts
    once, not twice as program runs do). Socket-layer hooks: each run of
    bt_sk_send or bt_sk_recv is one send or receive."""
    calls = {}
    for p in d["programs"]:
        if p["name"] in ("bt_sk_send", "bt_sk_recv"):
            calls[p["name"]] = p["runs"]
            continue
        if p["type"] != "tracepoint":
            continue
        for pre in ("bt_enter_", "bt_exit_"):
            if p["name"].startswith(pre):
                call = p["name"][len(pre):]
                calls[call] = max(calls.get(call, 0), p["runs"])
    return sum(calls.values())


def bpf_figures(raw):
    figs, tables = [], {}
    for mode, name in (("on", "ours"), ("on-boundary", "ours, boundary framing"),
                       ("peer", "bpftrace peer"), ("floor", "floor")):
        p = os.path.join(raw, f"bpfstats-{mode}.json")
        if not os.path.exists(p):
            continue
        with open(p) as f:
            d = json.load(f)
        w = read_wrk(os.path.join(raw, f"bpfstats-{mode}.wrk"))
        d["requests"] = w.get("requests")
        tables[name] = d
        per_req = (d["tracepoint_run_time_ns"] / w["requests"]) if w.get("requests") else None
        note = f"{per_req:,.0f} ns of BPF per request" if per_req else ""
        if mode == "floor" and w.get("requests"):
            note = (f"empty programs: what the run-time accounting itself adds per run; "
                    f"{d['tracepoint_runs'] / w['requests']:.2f} runs per request, {note}")
        calls = hooked_syscalls(d) if mode.startswith("on") else 0
        if calls:
            per_call = d["tracepoint_run_time_ns"] / calls
            if w.get("requests"):
                note = f"{calls / w['requests']:.2f} hooked syscalls per request; {note}"
            target = "<= 300" if mode == "on" else "(reference)"
            figs.append(figure(f"mean BPF time per hooked syscall, {name} (one send or receive)",
                               target, "ns", stats([per_call]),
                               per_call <= 300 if mode == "on" else None, note))
        if mode == "floor":
            name = "floor (empty programs)"
        figs.append(figure(f"mean BPF run time per program run, {name}", "(reference)", "ns",
                           stats([d["weighted_mean_ns"]]), None, note))
    return figs, tables


def llm_figures(raw):
    rows = []
    for p in sorted(glob.glob(os.path.join(raw, "llm-*.kv")), key=os.path.getmtime):
        k = read_kv(p)
        with open(p[:-3] + ".client.json") as f:
            c = json.load(f)
        k.update(c)
        k["lost"] = k["tokens_served"] - k["tokens_counted"]
        rows.append(k)
    figs = []
    for rb in sorted({r.get("ringbuf") for r in rows}, key=lambda x: not x.startswith("default")):
        paced = [r for r in rows if r["rate_mbps"] == 100 and r.get("ringbuf") == rb]
        if not paced:
            continue
        ok = all(r["lost"] == 0 and r["unparsed"] == 0 and r["calls_counted"] == r["responses"]
                 for r in paced)
        cpu = statistics.median(r["cpu_ns"] / 1e9 / (r["bytes"] / 1e6) * 100 for r in paced)
        figs.append(figure(f"LLM path at 100 MB/s, ringbuf {rb}: lost usage", "0", "tokens",
                           stats([r["lost"] for r in paced]), ok,
                           f"unparsed {sum(r['unparsed'] for r in paced):.0f}, dropped events "
                           f"{sum(r['events_dropped'] for r in paced):.0f}; observer "
                           f"{cpu:.2f} core per 100 MB/s"))
        good = [r["mb_per_s"] for r in rows if r.get("ringbuf") == rb
                and r["lost"] == 0 and r["unparsed"] == 0]
        figs.append(figure(f"LLM path, ringbuf {rb}: highest tried rate with 0 lost", ">= 100", "MB/s",
                           stats([max(good)] if good else []), bool(good) and max(good) >= 100))
    return figs, rows


def latency_svg(runs, path):
    series = []
    for mode, name in (("off", "observer off"), ("on", "observer on"),
                       ("on-syscall", "observer on, syscall hooks"),
                       ("on-ignore", "observer on, wrk ignored"),
                       ("on-boundary", "observer on, boundary framing"), ("peer", "bpftrace peer"),
                       ("floor", "floor (hooks only)"), ("floor-hybrid", "floor, hybrid hooks"),
                       ("floor-sock", "floor, socket hooks")):
        pts = []
        for p in PCTS:
            v = [r.get(f"p{p:g}") for r in runs if r["mode"] == mode and r.get(f"p{p:g}")]
            if v:
                pts.append((100 / (100 - p), statistics.median(v) / 1000))
        if pts:
            series.append((name, pts))
    if not series:
        return
    lo = min(y for _, s in series for _, y in s)
    hi = max(y for _, s in series for _, y in s)
    xt = [(100 / (100 - p), f"p{p:g}") for p in (50, 90, 99, 99.9, 99.99)]
    yt = svgplot.log_ticks(lo, hi, lambda v: f"{v:g}")
    svg = svgplot.line_chart("nginx latency under wrk (median of rounds per percentile)",
                             series, "percentile", "latency (ms)", xt, yt,
                             xlog=True, ylog=True, xrange=(100 / 99, 10000), yrange=(lo, hi))
    with open(path, "w") as f:
        f.write(svg)


def md_table(figs):
    out = ["| figure | target | median | min | max | n | result | note |",
           "|---|---|---|---|---|---|---|---|"]
    for f in figs:
        res = {True: "PASS", False: "**FAIL**", None: "-"}[f["pass"]]
        out.append(f"| {f['figure']} | {f['target']} {f['unit']} | {fmt(f['median'])} | "
                   f"{fmt(f['min'])} | {fmt(f['max'])} | {f['n']} | {res} | {f['note']} |")
    return out


def modes_table(runs):
    out = ["| mode | req/s median (min-max) | p50 ms | p99 ms | p99.9 ms |", "|---|---|---|---|---|"]
    for mode in MODES:
        rs = [r for r in runs if r["mode"] == mode]
        if not rs:
            continue
        rps = stats([r["rps"] for r in rs])
        med = lambda k: statistics.median(r[k] for r in rs) / 1000
        out.append(f"| {mode} | {rps['median']:,.0f} ({rps['min']:,.0f}-{rps['max']:,.0f}) | "
                   f"{med('p50'):.3f} | {med('p99'):.3f} | {med('p99.9'):.3f} |")
    return out


def bpf_table(tables):
    out = []
    for name, d in tables.items():
        out += ["", f"BPF programs, {name} ({d.get('requests') or 0:,.0f} requests, "
                f"weighted mean {fmt(d['weighted_mean_ns'])} ns per run):", "",
                "| program | runs | runs/request | total ms | mean ns |", "|---|---|---|---|---|"]
        req = d.get("requests") or 1
        for p in d["programs"]:
            if p["runs"] <= 0:
                continue
            out.append(f"| {p['name']} | {p['runs']:,} | {p['runs'] / req:.2f} | "
                       f"{p['run_time_ns'] / 1e6:.1f} | {fmt(p['mean_ns'])} |")
    return out


def llm_table(rows):
    out = ["", "LLM path (20 streamed responses of 10 MB each per rate, one keep-alive connection, "
           "read at a sustained rate; unpaced: each response a burst at loopback speed):", "",
           "| ringbuf | paced at MB/s | achieved MB/s | calls counted | tokens served | tokens counted | unparsed | events dropped | observer CPU s |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r.get('ringbuf')} | {r['rate_mbps'] or 'unpaced'} | {r['mb_per_s']} | {r['calls_counted']:.0f}/{r['responses']} | "
                   f"{r['tokens_served']:,.0f} | {r['tokens_counted']:,.0f} | {r['unparsed']:.0f} | "
                   f"{r['events_dropped']:.0f} | {r['cpu_ns'] / 1e9:.2f} |")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bench")
    ap.add_argument("--rounds", type=int, default=0)
    ap.add_argument("--duration", type=int, default=0)
    ap.add_argument("--conns", type=int, default=0)
    ap.add_argument("--series", type=int, default=10000)
    a = ap.parse_args()
    raw = os.path.join(a.bench, "raw")
    runs, figs = main_figures(raw)
    figs += series_figures(raw, a.series)
    bfigs, btables = bpf_figures(raw)
    figs += bfigs
    lfigs, lrows = llm_figures(raw)
    figs += lfigs
    with open(os.path.join(raw, "machine.json")) as f:
        machine = json.load(f)
    modes = "/".join(m for m in MODES if any(r["mode"] == m for r in runs))
    head = [f"# bench results: {a.rounds} rounds of {modes or 'off/on/peer'}, wrk -t1 -c{a.conns} "
            f"-d{a.duration}s, nginx 1 worker on CPU 0, wrk on CPU 1", "",
            f"machine: {machine['nproc']} CPUs, {machine['cpu']}, kernel {machine['kernel']}; "
            f"foreign bt_* programs attached at start: {machine['foreign_bt_programs_at_start']}; "
            f"observer binary sha1 {machine.get('observer_sha1')} built {machine.get('observer_mtime')}"
            + (f"; build B (on-b) sha1 {machine['observer_b_sha1']}" if machine.get("observer_b_sha1") else ""), ""]
    floor = floor_block(raw, runs, figs, btables)
    if floor:
        room = (floor.get("on_syscall_over_floor_throughput") or {}).get("median")
        sroom = (floor.get("on_over_floor_sock_throughput") or {}).get("median")
        head += [f"floor: empty programs on the {floor['count']} tracepoints the observer attaches "
                 f"with capture.hooks: syscall ({', '.join(floor['tracepoints'])}); the observer's "
                 f"own work leaves on-syscall/floor {fmt(room)} and, on its default socket "
                 f"hooks, on/floor-sock {fmt(sroom)} (throughput, medians)", ""]
    lines = head + md_table(figs) + ["", "Per mode:", ""] + modes_table(runs) + bpf_table(btables) + llm_table(lrows)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.bench, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(a.bench, "results.json"), "w") as f:
        json.dump({"machine": machine, "figures": figs, "bpf": btables, "floor": floor,
                   "llm": lrows, "runs": runs}, f, indent=1)
    latency_svg(runs, os.path.join(a.bench, "latency.svg"))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
