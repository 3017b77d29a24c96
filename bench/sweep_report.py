#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Report of `bench/run.sh --sweep`: cost vs request rate (wrk connections
1..64 at saturation as the rate knob), vs connection count (16..1024 at a
fixed rate paced with wrk's delay()), and vs series count. Reads
BENCH/raw-sweep, writes BENCH/sweep.md, BENCH/sweep.json and BENCH/sweep.svg
(three charts stacked) and prints the tables. It measures nothing itself.
"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svgplot  # noqa: E402
from report import load_runs, paired, read_kv  # noqa: E402


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def load_group(raw, prefix, conns):
    rows = []
    for c in conns:
        runs = load_runs(raw, f"{prefix}-c{c}-")
        if not runs:
            continue
        on = [r for r in runs if r["mode"] == "on"]
        off = [r for r in runs if r["mode"] == "off"]
        rows.append({
            "conns": c,
            "rps_off": med(r["rps"] for r in off),
            "rps_on": med(r["rps"] for r in on),
            "tput_ratio": med(paired(runs, "on", "rps", lambda a, b: a / b)),
            "p99_off_ms": med(r["p99"] / 1000 for r in off),
            "p99_on_ms": med(r["p99"] / 1000 for r in on),
            "p99_ratio": med(paired(runs, "on", "p99", lambda a, b: a / b)),
            "cpu_per_10k": med(r["cpu_ns"] / 1e9 / r["requests"] * 1e4 for r in on),
            "cpu_cores": med(r["cpu_ns"] / 1e9 / (r["duration_us"] / 1e6) for r in on),
            "drops": sum(r.get("events_dropped_total", 0) for r in on),
            "pairs": len(on),
        })
    return rows


def load_series(raw):
    rows = []
    for n in (1000, 5000, 10000, 20000, 30000):
        p = os.path.join(raw, f"series-{n}.kv")
        if not os.path.exists(p):
            continue
        k = read_kv(p)
        rt = k["render_total_s"]
        rt = rt if isinstance(rt, list) else [rt]
        srv = k.get("render_server_s", [])
        srv = srv if isinstance(srv, list) else [srv]
        rows.append({"routes": n, "series": k["series"], "mb": k["bytes"] / 1e6,
                     "rss_mib": k["rss_kb"] / 1024, "rss0_mib": k.get("rss_before_scrape_kb", 0) / 1024, "render_ms": med(v * 1000 for v in rt),
                     "pss_mib": k.get("pss_kb", 0) / 1024, "anon_mib": k.get("rssanon_kb", 0) / 1024,
                     "server_ms": med(v * 1000 for v in srv) if srv else None,
                     "series_dropped": k["series_dropped"], "events_dropped": k["events_dropped"]})
    return rows


def f(v, p=3):
    return "n/a" if v is None else f"{v:,.{p}f}"


def tables(rate, conn, series):
    out = ["# bench sweep", "",
           "## Cost vs request rate (wrk -c as the rate knob, saturating)", "",
           "| conns | req/s off | req/s on | throughput on/off | p99 off ms | p99 on ms | p99 on/off | observer cores | observer core per 10k req/s | dropped |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rate:
        out.append(f"| {r['conns']} | {f(r['rps_off'], 0)} | {f(r['rps_on'], 0)} | {f(r['tput_ratio'])} | "
                   f"{f(r['p99_off_ms'])} | {f(r['p99_on_ms'])} | {f(r['p99_ratio'])} | "
                   f"{f(r['cpu_cores'])} | {f(r['cpu_per_10k'])} | {r['drops']:.0f} |")
    out += ["", "## Cost vs connection count (fixed rate, wrk delay())", "",
            "| conns | req/s off | req/s on | p99 off ms | p99 on ms | p99 on/off | observer cores | observer core per 10k req/s | dropped |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in conn:
        out.append(f"| {r['conns']} | {f(r['rps_off'], 0)} | {f(r['rps_on'], 0)} | {f(r['p99_off_ms'])} | "
                   f"{f(r['p99_on_ms'])} | {f(r['p99_ratio'])} | {f(r['cpu_cores'])} | "
                   f"{f(r['cpu_per_10k'])} | {r['drops']:.0f} |")
    out += ["", "## Cost vs series count (distinct nginx routes)", "",
            "| routes | server series | exposition MB | RSS before scrape MiB | RSS after scrapes MiB | PSS MiB | RssAnon MiB | /metrics scrape ms (median of 7) | making the text ms (daemon) | series dropped | events dropped |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in series:
        if not r["series"]:  # the render failed: an error answer, not an exposition
            out.append(f"| {r['routes']:,} | render failed ({r['mb'] * 1e6:.0f}-byte answer) | - | "
                       f"{r['rss0_mib']:.1f} | {r['rss_mib']:.1f} | {f(r['pss_mib'], 1)} | {f(r['anon_mib'], 1)} | - | - | "
                       f"{r['series_dropped']:.0f} | {r['events_dropped']:.0f} |")
            continue
        out.append(f"| {r['routes']:,} | {r['series']:,.0f} | {r['mb']:.1f} | {r['rss0_mib']:.1f} | {r['rss_mib']:.1f} | "
                   f"{f(r['pss_mib'], 1)} | {f(r['anon_mib'], 1)} | {r['render_ms']:.1f} | {f(r['server_ms'], 1)} | "
                   f"{r['series_dropped']:.0f} | {r['events_dropped']:.0f} |")
    return out


def charts(rate, conn, series):
    parts = []
    if rate:
        pts = lambda k: [(r["conns"], r[k]) for r in rate if r[k]]
        parts.append(svgplot.line_chart(
            "nginx on/off ratios vs wrk connections (saturating)",
            [("throughput on/off", pts("tput_ratio")), ("p99 on/off", pts("p99_ratio"))],
            "wrk connections", "ratio", [(c, str(c)) for c in (1, 4, 16, 64)],
            [(v / 10, f"{v / 10:g}") for v in range(5, 31, 5)], xlog=True, yrange=(0.5, 3.0)))
    cpts = [(r["rps_on"], r["cpu_cores"] * 1000) for r in rate + conn if r["rps_on"] and r["cpu_cores"]]
    if cpts:
        cpts.sort()
        hi = max(y for _, y in cpts)
        parts.append(svgplot.line_chart(
            "observer CPU vs request rate (both sweeps)", [("observer millicores", cpts)],
            "requests per second", "millicores", [(x, f"{x / 1000:.0f}k") for x in range(0, 40001, 5000)],
            [(y, f"{y:.0f}") for y in range(0, int(hi * 1.2) + 10, max(5, int(hi / 5) or 1))],
            xrange=(0, max(x for x, _ in cpts) * 1.1), yrange=(0, hi * 1.2 + 1)))
    series = [r for r in series if r["series"]]
    if series:
        s1 = [(r["series"], r["render_ms"]) for r in series]
        s2 = [(r["series"], r["pss_mib"] or r["rss_mib"]) for r in series]
        lo = min(y for _, y in s1 + s2)
        hi = max(y for _, y in s1 + s2)
        parts.append(svgplot.line_chart(
            "/metrics scrape time and PSS vs series", [("scrape ms", s1), ("PSS MiB", s2)],
            "series", "ms / MiB", [(r["series"], f"{r['series'] / 1000:.0f}k") for r in series],
            svgplot.log_ticks(lo, hi, lambda v: f"{v:g}"), xlog=True, ylog=True, yrange=(lo, hi)))
    body = "".join(f'<g transform="translate(0,{i * svgplot.H})">' + p.split("\n", 1)[1].rsplit("</svg>", 1)[0] + "</g>\n"
                   for i, p in enumerate(parts))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{svgplot.W}" '
            f'height="{svgplot.H * len(parts)}" font-family="sans-serif" font-size="12">\n{body}</svg>\n')


def main(argv):
    bench = argv[1]
    raw = os.path.join(bench, "raw-sweep")
    if not os.path.isdir(raw):
        raw = os.path.join(bench, "raw")
    rate = load_group(raw, "rate", (1, 4, 16, 64))
    conn = load_group(raw, "conn", (16, 64, 256, 1024))
    series = load_series(raw)
    text = "\n".join(tables(rate, conn, series)) + "\n"
    with open(os.path.join(bench, "sweep.md"), "w") as fh:
        fh.write(text)
    with open(os.path.join(bench, "sweep.json"), "w") as fh:
        json.dump({"rate": rate, "connections": conn, "series": series}, fh, indent=1)
    with open(os.path.join(bench, "sweep.svg"), "w") as fh:
        fh.write(charts(rate, conn, series))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
