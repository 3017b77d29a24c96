# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Hand-written SVG line charts for the bench reports (python3 stdlib only,
no matplotlib on the target machines).

line_chart() draws named series of (x, y) points on linear or log10 axes,
with tick labels given by the caller. It only builds a string; it never
reads or writes files.
"""
import math
from xml.sax.saxutils import escape

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
W, H = 760, 440
L, R, T, B = 80, 170, 50, 60


def _scale(lo, hi, log, a, b):
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    span = (hi - lo) or 1.0

    def f(v):
        v = math.log10(v) if log else v
        return a + (v - lo) / span * (b - a)
    return f


def line_chart(title, series, xlabel, ylabel, xticks, yticks,
               xlog=False, ylog=False, xrange=None, yrange=None):
    """series: [(name, [(x, y), ...]), ...]; ticks: [(value, label), ...]."""
    pts = [p for _, s in series for p in s]
    if not pts:
        return ""
    xs = [p[0] for p in pts] + [v for v, _ in xticks]
    ys = [p[1] for p in pts] + [v for v, _ in yticks]
    x0, x1 = xrange or (min(xs), max(xs))
    y0, y1 = yrange or (min(ys), max(ys))
    fx = _scale(x0, x1, xlog, L, W - R)
    fy = _scale(y0, y1, ylog, H - B, T)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="24" text-anchor="middle" font-size="15">{escape(title)}</text>']
    for v, lab in xticks:
        x = fx(v)
        out.append(f'<line x1="{x:.1f}" y1="{T}" x2="{x:.1f}" y2="{H - B}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{escape(lab)}</text>')
    for v, lab in yticks:
        y = fy(v)
        out.append(f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(lab)}</text>')
    out.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" '
               f'fill="none" stroke="#333"/>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 18}" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(f'<text x="18" y="{(T + H - B) / 2}" text-anchor="middle" '
               f'transform="rotate(-90 18 {(T + H - B) / 2})">{escape(ylabel)}</text>')
    for i, (name, s) in enumerate(series):
        c = COLORS[i % len(COLORS)]
        path = " ".join(f"{fx(x):.1f},{fy(y):.1f}" for x, y in s)
        out.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, y in s:
            out.append(f'<circle cx="{fx(x):.1f}" cy="{fy(y):.1f}" r="2.5" fill="{c}"/>')
        ly = T + 14 + i * 20
        out.append(f'<line x1="{W - R + 12}" y1="{ly}" x2="{W - R + 36}" y2="{ly}" '
                   f'stroke="{c}" stroke-width="3"/>')
        out.append(f'<text x="{W - R + 42}" y="{ly + 4}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def log_ticks(lo, hi, fmt):
    """1-2-5 ticks between lo and hi for a log axis."""
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 10:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo <= v <= hi:
                ticks.append((v, fmt(v)))
        e += 1
    return ticks
