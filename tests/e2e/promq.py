#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Reads Prometheus text exposition files for the end-to-end tests.

The shell tests scrape /metrics into a file and ask this script for sums,
per-label counts, histogram quantiles and comparisons, so no test parses
the format with regexes of its own. It only reads files and stdin: it never
talks to the observer or changes anything.

  promq.py sum FILE METRIC [FILTER...]            sum of matching samples
  promq.py group FILE METRIC L1,L2 [FILTER...]    "v1 v2 count" per label values
  promq.py series FILE METRIC [FILTER...]         matching samples, one a line
  promq.py quantile FILE HIST Q [FILTER...]       histogram_quantile over the
                                                  matching series, merged
  promq.py compare TITLE EXPECTED GOT             "k... n" files; exit 1 if unequal
  promq.py within TITLE LOW HIGH GOT              LOW <= GOT <= HIGH per key
  promq.py latency FILE HIST VALUES Q[,Q..] [FILTER...]
      quantiles of the values in VALUES (seconds, one a line) against the
      histogram's; exit 1 unless each observer quantile lies in the OTel
      bucket holding the log quantile or a neighbouring one.

FILTER is label=value, label!=value or label=~regex (full match).
"""
import math
import re
import sys

OTEL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0,
                2.5, 5.0, 7.5, 10.0]

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?\s*$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def _unescape(v):
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n' else m.group(1), v)


def parse_labels(s):
    labels = {}
    pos = 0
    s = s or ''
    while pos < len(s):
        m = _LABEL.match(s, pos)
        if not m:
            raise ValueError('bad label set: %r' % s)
        labels[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
    return labels


def parse(text):
    """[(name, labels, value)] of every sample in text."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith('#'):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError('line %d: not a sample: %r' % (lineno, line))
        out.append((m.group(1), parse_labels(m.group(3)), float(m.group(4))))
    return out


def parse_filters(args):
    filters = []
    for a in args:
        m = re.match(r'^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!=|=)(.*)$', a)
        if not m:
            raise ValueError('bad filter %r' % a)
        filters.append((m.group(1), m.group(2), m.group(3)))
    return filters


def matches(labels, filters):
    for key, op, want in filters:
        have = labels.get(key, '')
        if op == '=' and have != want:
            return False
        if op == '!=' and have == want:
            return False
        if op == '=~' and not re.fullmatch(want, have):
            return False
    return True


def select(samples, name, filters):
    return [(l, v) for n, l, v in samples if n == name and matches(l, filters)]


def load(path):
    with open(path, encoding='utf-8') as f:
        return parse(f.read())


def fmt(v):
    return str(int(v)) if v == int(v) else repr(v)


def histogram_quantile(q, buckets):
    """Prometheus' histogram_quantile over {le: cumulative count}."""
    les = sorted(buckets)
    if not les or les[-1] != math.inf:
        return math.nan
    total = buckets[math.inf]
    if total == 0:
        return math.nan
    rank = q * total
    prev_le, prev_cnt = 0.0, 0.0
    for le in les:
        cnt = buckets[le]
        if cnt >= rank:
            if le == math.inf:
                return prev_le
            if cnt == prev_cnt:
                return le
            return prev_le + (le - prev_le) * (rank - prev_cnt) / (cnt - prev_cnt)
        prev_le, prev_cnt = le, cnt
    return les[-2] if len(les) > 1 else math.nan


def merged_buckets(samples, hist, filters):
    buckets = {}
    for labels, v in select(samples, hist + '_bucket', filters):
        le = float(labels['le'].replace('+Inf', 'inf'))
        buckets[le] = buckets.get(le, 0.0) + v
    return buckets


def log_quantile(values, q):
    """Nearest-rank quantile of a sorted list."""
    if not values:
        return math.nan
    k = max(1, math.ceil(q * len(values)))
    return values[k - 1]


def bucket_index(v):
    """Index of the OTel bucket (le) holding v; len() for +Inf."""
    for i, le in enumerate(OTEL_BUCKETS):
        if v <= le:
            return i
    return len(OTEL_BUCKETS)


def read_counts(path):
    counts = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            key = ' '.join(parts[:-1])
            v = float(parts[-1])
            counts[key] = counts.get(key, 0) + (int(v) if v.is_integer() else v)
    return counts


def num(v):
    """Counts as integers, amounts (dollars) with 12 significant digits."""
    return '%d' % v if float(v).is_integer() else '%.12g' % v


def cmd_compare(title, expected_path, got_path):
    exp, got = read_counts(expected_path), read_counts(got_path)
    ok = True
    print('%s: %-28s %10s %10s' % (title, 'key', 'expected', 'got'))
    for key in sorted(set(exp) | set(got)):
        e, g = exp.get(key, 0), got.get(key, 0)
        mark = '' if e == g else '   <-- MISMATCH'
        ok = ok and e == g
        print('%s: %-28s %10s %10s%s' % (title, key, num(e), num(g), mark))
    print('%s: %s' % (title, 'equal' if ok else 'DIFFERENT'))
    return 0 if ok else 1


def cmd_within(title, low_path, high_path, got_path):
    low, high, got = read_counts(low_path), read_counts(high_path), read_counts(got_path)
    ok = True
    print('%s: %-28s %10s %10s %10s' % (title, 'key', 'low', 'high', 'got'))
    for key in sorted(set(low) | set(high) | set(got)):
        lo, hi, g = low.get(key, 0), high.get(key, 0), got.get(key, 0)
        good = lo <= g <= hi
        ok = ok and good
        print('%s: %-28s %10s %10s %10s%s' % (title, key, num(lo), num(hi), num(g),
                                              '' if good else '   <-- OUT OF RANGE'))
    print('%s: %s' % (title, 'within bounds' if ok else 'OUT OF BOUNDS'))
    return 0 if ok else 1


def cmd_latency(path, hist, values_path, qs, filters):
    with open(values_path, encoding='utf-8') as f:
        values = sorted(float(x) for x in f.read().split())
    buckets = merged_buckets(load(path), hist, filters)
    ok = bool(values) and bool(buckets)
    if not ok:
        print('latency: no data (log values=%d, histogram buckets=%d)' % (len(values), len(buckets)))
        return 1
    for q in qs:
        lq = log_quantile(values, q)
        oq = histogram_quantile(q, buckets)
        li, oi = bucket_index(lq), bucket_index(oq)
        good = not math.isnan(oq) and abs(li - oi) <= 1
        ok = ok and good
        print('latency p%g: access-log %.6f s (bucket %d), observer %.6f s (bucket %d): %s'
              % (q * 100, lq, li, oq, oi, 'ok' if good else 'TOO FAR APART'))
    return 0 if ok else 1


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == 'sum':
        print(fmt(sum(v for _, v in select(load(args[0]), args[1], parse_filters(args[2:])))))
    elif cmd == 'group':
        keys = args[2].split(',')
        acc = {}
        for labels, v in select(load(args[0]), args[1], parse_filters(args[3:])):
            k = ' '.join(labels.get(x, '') or '-' for x in keys)
            acc[k] = acc.get(k, 0.0) + v
        for k in sorted(acc):
            if acc[k]:
                print('%s %s' % (k, fmt(acc[k])))
    elif cmd == 'series':
        for labels, v in select(load(args[0]), args[1], parse_filters(args[2:])):
            print('%s %s' % (','.join('%s=%s' % kv for kv in sorted(labels.items())), fmt(v)))
    elif cmd == 'quantile':
        b = merged_buckets(load(args[0]), args[1], parse_filters(args[3:]))
        print('%.6f' % histogram_quantile(float(args[2]), b))
    elif cmd == 'compare':
        return cmd_compare(*args[:3])
    elif cmd == 'within':
        return cmd_within(*args[:4])
    elif cmd == 'latency':
        qs = [float(x) for x in args[3].split(',')]
        return cmd_latency(args[0], args[1], args[2], qs, parse_filters(args[4:]))
    else:
        print('promq.py: unknown command %r' % cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError, IndexError, KeyError) as e:
        print('promq.py: %s' % e, file=sys.stderr)
        sys.exit(2)
