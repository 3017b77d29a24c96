#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Checks of the monitoring files in deploy/ that their own tools cannot
make, for tests/e2e/test_prom_rules.sh and test_grafana_queries.sh.

promtool proves the rules parse and behave as their unit tests say, and
Grafana would load any JSON; neither notices a rule nobody tested, a
dashboard that filters with = instead of =~, or a metric name with a typo
that quietly returns nothing. Each command prints what it found and exits
1 on any problem.

  monitoring.py alerts RULES_DIR
      every alert has severity critical|warning, a family label and
      non-empty summary, description and runbook annotations
  monitoring.py coverage RULES_DIR TESTS_DIR
      every alerting rule is expected firing in some promtool test case
      and expected absent in another
  monitoring.py names SOURCE_DIR PENDING RULES_DIR DASH_DIR
      every metric name in rules and dashboards is defined in SOURCE_DIR
      (user/*.c), recorded by a rule, built into Prometheus, or listed
      in PENDING; no PENDING metric is defined in SOURCE_DIR yet
  monitoring.py dashboards DASH_DIR DATASOURCE_UID
      the dashboards' structure: uids, panel ids, layout, datasource,
      targets, and template variables used only with regex matchers
  monitoring.py queries DASH_DIR PROM_URL PENDING
      runs every panel query on a live Prometheus (template variables as
      ".*", short ranges); fails on a query error and on a dashboard
      where most panels that read no pending metric return nothing
  monitoring.py compose FILE
      deploy/docker-compose.yml: services, host networking, pinned
      images, mounted paths that exist
"""
import glob
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import yaml

# Series Prometheus itself makes, which queries may read.
PROMETHEUS_BUILTIN = {'up', 'ALERTS'}
METRIC_PREFIX = re.compile(r'\b((?:biothings|http_server|http_client|gen_ai)[a-zA-Z0-9_:]*|up|ALERTS)\b')
HIST_SUFFIX = re.compile(r'_(bucket|count|sum)$')
GRAFANA_VARS = {
    '__rate_interval': '15s',
    '__interval': '5s',
    '__range': '5m',
    '__range_s': '300',
    '__interval_ms': '5000',
}
ALLOWED_SEVERITIES = ('critical', 'warning')

PROBLEMS = []


def problem(msg):
    PROBLEMS.append(msg)
    print('PROBLEM: ' + msg)


def done():
    if PROBLEMS:
        print('%d problem(s)' % len(PROBLEMS))
        sys.exit(1)
    print('ok')
    sys.exit(0)


def load_rules(rules_dir):
    """(file, rule) of every rule in RULES_DIR/*.yml."""
    out = []
    for path in sorted(glob.glob(os.path.join(rules_dir, '*.yml'))):
        with open(path) as f:
            doc = yaml.safe_load(f)
        for group in doc.get('groups', []):
            for rule in group.get('rules', []):
                out.append((os.path.basename(path), rule))
    return out


def load_dashboards(dash_dir):
    out = []
    for path in sorted(glob.glob(os.path.join(dash_dir, '*.json'))):
        with open(path) as f:
            out.append((os.path.basename(path), json.load(f)))
    return out


def panels_of(dash):
    """Every panel, rows' nested panels included."""
    for p in dash.get('panels', []):
        yield p
        for q in p.get('panels', []) or []:
            yield q


def exprs_of(panel):
    return [t['expr'] for t in panel.get('targets', []) if t.get('expr')]


# ------------------------------------------------------------------ alerts

def cmd_alerts(rules_dir):
    n = 0
    for fname, rule in load_rules(rules_dir):
        if 'alert' not in rule:
            continue
        n += 1
        name = '%s: %s' % (fname, rule['alert'])
        labels = rule.get('labels', {})
        if labels.get('severity') not in ALLOWED_SEVERITIES:
            problem('%s: severity %r is not one of %s' % (name, labels.get('severity'), ALLOWED_SEVERITIES))
        if not labels.get('family'):
            problem('%s: no family label (Alertmanager inhibits warnings by it)' % name)
        ann = rule.get('annotations', {})
        for key in ('summary', 'description', 'runbook'):
            if not str(ann.get(key, '')).strip():
                problem('%s: annotation %s missing or empty' % (name, key))
        if 'job="biothings-observer"' not in rule['expr'] and ':' not in rule['expr']:
            problem('%s: expression selects neither job="biothings-observer" nor a recorded series' % name)
    print('%d alerting rules checked' % n)
    done()


# ---------------------------------------------------------------- coverage

def rule_matches(rule_labels, exp_labels):
    return all(str(exp_labels.get(k)) == str(v) for k, v in rule_labels.items())


def cmd_coverage(rules_dir, tests_dir):
    cases = []  # (alertname, [exp_labels...]) per alert_rule_test
    for path in sorted(glob.glob(os.path.join(tests_dir, '*.yml'))):
        with open(path) as f:
            doc = yaml.safe_load(f)
        for test in doc.get('tests', []):
            for case in test.get('alert_rule_test', []) or []:
                cases.append((case['alertname'], [e.get('exp_labels', {}) for e in case.get('exp_alerts') or []]))
    n = 0
    for fname, rule in load_rules(rules_dir):
        if 'alert' not in rule:
            continue
        n += 1
        name, labels = rule['alert'], rule.get('labels', {})
        mine = [exp for alert, exp in cases if alert == name]
        fires = sum(1 for exp in mine if any(rule_matches(labels, e) for e in exp))
        quiet = sum(1 for exp in mine if not any(rule_matches(labels, e) for e in exp))
        extra = ','.join('%s=%s' % kv for kv in sorted(labels.items()) if kv[0] not in ('severity', 'family'))
        print('%-42s %-34s fires in %d case(s), silent in %d' % (name, extra or '-', fires, quiet))
        if not fires:
            problem('%s (%s): no promtool test expects it to fire' % (name, fname))
        if not quiet:
            problem('%s (%s): no promtool test expects it not to fire' % (name, fname))
    print('%d alerting rules, %d alert test cases' % (n, len(cases)))
    done()


# ------------------------------------------------------------------- names

def strip_promql(expr):
    """The expression without strings, label matchers and grouping clauses,
    so that only metric names (and functions) are left to look at."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"'(?:[^'\\]|\\.)*'", "''", expr)
    expr = re.sub(r'\{[^{}]*\}', '', expr)
    expr = re.sub(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)', ' ', expr)
    return expr


def metric_names(expr):
    return set(m.group(1) for m in METRIC_PREFIX.finditer(strip_promql(expr)))


def defined_in_source(source_dir):
    names = set()
    for path in glob.glob(os.path.join(source_dir, '*.c')):
        with open(path, errors='replace') as f:
            names.update(re.findall(r'"((?:biothings|http|gen_ai)_[a-z0-9_]+)"', f.read()))
    return names


def read_pending(path):
    """{metric: issue} from PENDING: "METRIC #ISSUE" lines, # comments."""
    pending = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts and not parts[0].startswith('#'):
                pending[parts[0]] = parts[1] if len(parts) > 1 else '?'
    return pending


def cmd_names(source_dir, pending_path, rules_dir, dash_dir):
    source = defined_in_source(source_dir)
    pending = read_pending(pending_path)
    rules = load_rules(rules_dir)
    recorded = set(r['record'] for _, r in rules if 'record' in r)
    print('%d names defined in %s, %d recorded, %d pending' % (len(source), source_dir, len(recorded), len(pending)))
    for m, issue in sorted(pending.items()):
        if m in source:
            problem('%s (%s) is now defined in %s: remove it from %s so its panels must show data'
                    % (m, issue, source_dir, pending_path))
    known = source | recorded | set(pending) | PROMETHEUS_BUILTIN
    used = {}
    for fname, rule in rules:
        for m in metric_names(rule['expr']):
            used.setdefault(m, set()).add('%s: %s' % (fname, rule.get('alert') or rule.get('record')))
    for fname, dash in load_dashboards(dash_dir):
        for p in panels_of(dash):
            for e in exprs_of(p):
                for m in metric_names(e):
                    used.setdefault(m, set()).add('%s: %s' % (fname, p.get('title')))
        for v in dash.get('templating', {}).get('list', []):
            q = v.get('definition') or ''
            for m in metric_names(q):
                used.setdefault(m, set()).add('%s: variable %s' % (fname, v.get('name')))
    for m in sorted(used):
        base = HIST_SUFFIX.sub('', m)
        if m not in known and base not in known:
            problem('unknown metric %s in %s' % (m, '; '.join(sorted(used[m]))))
    print('%d metric names used' % len(used))
    unused = set(pending) - set(HIST_SUFFIX.sub('', m) for m in used) - set(used)
    for m in sorted(unused):
        problem('%s is listed in %s but used nowhere' % (m, pending_path))
    done()


# -------------------------------------------------------------- dashboards

VAR_USE = re.compile(r'\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}?|\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]')
EQ_VAR = re.compile(r'[A-Za-z_][A-Za-z0-9_]*\s*(=|!=)\s*"[^"]*\$')


def check_panel(dname, dash_vars, p, ds_uid):
    title = '%s: panel %r' % (dname, p.get('title'))
    g = p.get('gridPos', {})
    if not all(k in g for k in ('h', 'w', 'x', 'y')) or g['x'] + g['w'] > 24 or g['w'] <= 0:
        problem('%s: bad gridPos %s' % (title, g))
    if p.get('type') == 'row':
        return
    if not p.get('description'):
        problem('%s: no description' % title)
    ds = p.get('datasource') or {}
    if ds.get('uid') not in ('${datasource}', ds_uid):
        problem('%s: datasource %s is not ${datasource}' % (title, ds))
    targets = p.get('targets') or []
    if not targets:
        problem('%s: no targets' % title)
    for t in targets:
        e = t.get('expr', '')
        if not e:
            problem('%s: target %s has no expr' % (title, t.get('refId')))
        for m in VAR_USE.finditer(e):
            v = m.group(1) or m.group(2)
            if v not in dash_vars and v not in GRAFANA_VARS:
                problem('%s: uses undefined variable $%s' % (title, v))
        if EQ_VAR.search(e):
            problem('%s: a template variable is matched with = or != (use =~ / !~ so "All" works): %s' % (title, e))


def check_variable(dname, v, ds_uid):
    if v.get('type') == 'datasource':
        if v.get('current', {}).get('value') != ds_uid:
            problem('%s: datasource variable does not default to %s' % (dname, ds_uid))
        return
    if v.get('type') != 'query':
        return
    name = v.get('name')
    if not (v.get('includeAll') and v.get('multi') and v.get('allValue') == '.*'):
        problem('%s: variable %s must be multi-value with All as ".*" (regex matchers)' % (dname, name))
    if (v.get('datasource') or {}).get('uid') != '${datasource}':
        problem('%s: variable %s does not query ${datasource}' % (dname, name))


def cmd_dashboards(dash_dir, ds_uid):
    uids, titles = set(), set()
    dashes = load_dashboards(dash_dir)
    for fname, d in dashes:
        for key in ('uid', 'title'):
            if not d.get(key):
                problem('%s: no %s' % (fname, key))
        if d.get('uid') in uids or d.get('title') in titles:
            problem('%s: uid or title used twice' % fname)
        uids.add(d.get('uid'))
        titles.add(d.get('title'))
        if d.get('id') not in (None,):
            problem('%s: "id" must be null or absent in a provisioned dashboard' % fname)
        dvars = set()
        for v in d.get('templating', {}).get('list', []):
            dvars.add(v.get('name'))
            check_variable(fname, v, ds_uid)
        ids = [p.get('id') for p in panels_of(d)]
        if len(ids) != len(set(ids)):
            problem('%s: panel ids not unique' % fname)
        npanels = 0
        for p in panels_of(d):
            check_panel(fname, dvars, p, ds_uid)
            npanels += p.get('type') != 'row'
        print('%-28s %-40s %2d panels, variables %s' % (fname, d.get('title'), npanels, ', '.join(sorted(dvars))))
    print('%d dashboards' % len(dashes))
    done()


# ----------------------------------------------------------------- queries

def substitute(expr):
    def repl(m):
        v = m.group(1) or m.group(2)
        return GRAFANA_VARS.get(v, '.*')
    return VAR_USE.sub(repl, expr)


def prom_query(url, expr):
    """(result list, error string or None)."""
    q = urllib.parse.urlencode({'query': expr})
    try:
        with urllib.request.urlopen('%s/api/v1/query?%s' % (url, q), timeout=10) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        try:
            body = json.load(e)
        except ValueError:
            return None, 'HTTP %d' % e.code
    except (OSError, ValueError) as e:
        return None, str(e)
    if body.get('status') != 'success':
        return None, '%s: %s' % (body.get('errorType'), body.get('error'))
    for w in body.get('warnings') or []:
        print('    warning: %s' % w)
    return body['data']['result'], None


def has_data(result):
    """A result with at least one sample that is a number (NaN is "no data"
    in a panel: histogram_quantile over no requests, 0/0)."""
    for r in result or []:
        v = r.get('value', [0, 'NaN'])[1]
        if v not in ('NaN', '+Inf', '-Inf'):
            return True
    return False


def cmd_queries(dash_dir, url, pending_path):
    pending = set(read_pending(pending_path))
    for fname, d in load_dashboards(dash_dir):
        counted = empty = 0
        print('%s (%s)' % (d.get('title'), fname))
        for p in panels_of(d):
            if p.get('type') == 'row':
                continue
            names = set()
            data = False
            for e in exprs_of(p):
                names |= set(HIST_SUFFIX.sub('', m) for m in metric_names(e))
                result, err = prom_query(url, substitute(e))
                if err:
                    problem('%s: panel %r: query error: %s\n    %s' % (fname, p.get('title'), err, substitute(e)))
                    continue
                data = data or has_data(result)
            waits = sorted(names & pending)
            if waits:
                state = 'pending (%s)' % ', '.join(waits)
            else:
                counted += 1
                empty += not data
                state = 'data' if data else 'NO DATA'
            print('  %-38s %s' % (p.get('title'), state))
        print('  -> %d of %d panels without pending metrics have no data' % (empty, counted))
        if counted == 0 or empty * 2 > counted:
            problem('%s: most panels return no data (%d of %d)' % (fname, empty, counted))
    done()


# ----------------------------------------------------------------- compose

def cmd_compose(path):
    base = os.path.dirname(os.path.abspath(path))
    with open(path) as f:
        doc = yaml.safe_load(f)
    services = doc.get('services', {})
    for s in ('observer', 'prometheus', 'alertmanager', 'grafana'):
        if s not in services:
            problem('service %s missing' % s)
    for name, svc in services.items():
        if svc.get('network_mode') != 'host':
            problem('%s: network_mode is not host (the configs use loopback addresses)' % name)
        image = svc.get('image', '')
        if 'build' not in svc and (':' not in image or image.endswith(':latest')):
            problem('%s: image %r is not pinned to a version' % (name, image))
        for vol in svc.get('volumes', []) or []:
            src = vol.split(':', 1)[0] if isinstance(vol, str) else vol.get('source', '')
            if src.startswith('.') or src.startswith('/'):
                full = src if src.startswith('/') else os.path.normpath(os.path.join(base, src))
                if src.startswith('.') and not os.path.exists(full):
                    problem('%s: mounts %s, which does not exist (%s)' % (name, src, full))
        print('%-13s %s' % (name, image or 'build %s' % svc.get('build')))
    build = services.get('observer', {}).get('build', {})
    if build:
        df = os.path.normpath(os.path.join(base, build.get('context', '.'), build.get('dockerfile', 'Dockerfile')))
        if not os.path.exists(df):
            problem('observer: Dockerfile %s does not exist' % df)
    done()


COMMANDS = {
    'alerts': (cmd_alerts, 1),
    'coverage': (cmd_coverage, 2),
    'names': (cmd_names, 4),
    'dashboards': (cmd_dashboards, 2),
    'queries': (cmd_queries, 3),
    'compose': (cmd_compose, 1),
}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS or len(argv) - 2 != COMMANDS[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    COMMANDS[argv[1]][0](*argv[2:])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
