#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Checks the spans the OTLP receiver kept (receiver.mjs --out) against what
tests/e2e/test_traces.sh made happen. Spans are told apart by the port of
the server they concern (server.port), so traffic of other tests on the
host is ignored; spans of the test's own scrapes of the observer count
only where the test says.

  check_traces.py work SPANS --ports NGINX,PY,MOCK --py-service S
                  --mock-log FILE --t0 NS --t1 NS [--quiet]
      the first scenario: exact span counts per kind of request,
      attributes, statuses, times, parentage and LLM attributes
  check_traces.py down SPANS --nginx N --queue Q --scrape-port P
      the collector-down scenario: the first Q spans that arrived after
      the collector came back are the queue as it was: one scrape span
      and Q - 1 spans of the workload made while it was down, and no
      other workload span arrives later

Prints every failed check and exits 1 if there was one.
"""
import argparse
import json
import sys

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
    return cond


def load(path):
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


def port_of(s):
    return s['attrs'].get('server.port')


def path_of(s):
    return s['attrs'].get('url.path', '')


def error(s):
    return s['status'].get('code') == 2


def pick(spans, kind, port, service=None, path=None, prefix=None):
    out = []
    for s in spans:
        if s['kind'] != kind or port_of(s) != port:
            continue
        if service is not None and s['service'] != service:
            continue
        if path is not None and path_of(s) != path:
            continue
        if prefix is not None and not path_of(s).startswith(prefix):
            continue
        out.append(s)
    return out


def count(what, got, want):
    return check(len(got) == want, '%s: %d spans, expected %d' % (what, len(got), want))


def check_http(s, role, code, what):
    a = s['attrs']
    check(a.get('http.request.method') in ('GET', 'POST'), '%s: http.request.method %r' % (what, a.get('http.request.method')))
    check(a.get('http.response.status_code') == code, '%s: status code %r, expected %d' % (what, a.get('http.response.status_code'), code))
    bad = code >= (500 if role == 'server' else 400)
    check(error(s) == bad, '%s: status %r for %d' % (what, s['status'], code))
    if bad:
        check(a.get('error.type') == str(code), '%s: error.type %r' % (what, a.get('error.type')))
    if role == 'server':
        check('http.route' in a, '%s: no http.route' % what)
        check(a.get('client.address') == '127.0.0.1', '%s: client.address %r' % (what, a.get('client.address')))
        check(s['name'].startswith(a.get('http.request.method', '?') + ' '), '%s: name %r' % (what, s['name']))
    else:
        check(a.get('server.address') == '127.0.0.1', '%s: server.address %r' % (what, a.get('server.address')))
    check('?' not in path_of(s), '%s: url.path keeps a query' % what)


def check_root(s, what):
    check(s['parentSpanId'] == '', '%s: has a parent %s' % (what, s['parentSpanId']))


def check_times(spans, t0, t1):
    slack = 2 * 10**9  # the Unix offset is measured once, at start-up
    for s in spans:
        a, b = int(s['start']), int(s['end'])
        check(t0 - slack <= a <= b <= t1 + slack,
              '%s %s: times %d..%d outside the test %d..%d' % (s['service'], s['name'], a, b, t0, t1))


def children_of(spans, parent):
    return [s for s in spans if s['parentSpanId'] == parent['spanId']]


def check_child(c, parent, what):
    check(c['traceId'] == parent['traceId'], '%s: trace %s, parent has %s' % (what, c['traceId'], parent['traceId']))
    check(c['kind'] == 3, '%s: kind %d' % (what, c['kind']))
    check(c['service'] == parent['service'], '%s: service %s' % (what, c['service']))
    check(int(parent['start']) <= int(c['start']) <= int(c['end']) <= int(parent['end']),
          '%s: not inside its parent in time' % what)


def check_llm(s, served, what):
    a = s['attrs']
    check(s['name'] == 'chat ' + served['model_req'], '%s: name %r' % (what, s['name']))
    check(a.get('gen_ai.operation.name') == 'chat', '%s: operation %r' % (what, a.get('gen_ai.operation.name')))
    check(a.get('gen_ai.provider.name') == 'openai', '%s: provider %r' % (what, a.get('gen_ai.provider.name')))
    check(a.get('gen_ai.request.model') == served['model_req'], '%s: request model %r' % (what, a.get('gen_ai.request.model')))
    check(a.get('gen_ai.response.model') == served['model_resp'], '%s: response model %r' % (what, a.get('gen_ai.response.model')))
    check(a.get('gen_ai.usage.input_tokens') == served['usage']['prompt_tokens'],
          '%s: input tokens %r, served %r' % (what, a.get('gen_ai.usage.input_tokens'), served['usage']['prompt_tokens']))
    check(a.get('gen_ai.usage.output_tokens') == served['usage']['completion_tokens'],
          '%s: output tokens %r, served %r' % (what, a.get('gen_ai.usage.output_tokens'), served['usage']['completion_tokens']))
    check(a.get('gen_ai.response.finish_reasons') == ['stop'], '%s: finish reasons %r' % (what, a.get('gen_ai.response.finish_reasons')))
    check(isinstance(a.get('biothings.cost_usd'), (int, float)) and a['biothings.cost_usd'] >= 0,
          '%s: biothings.cost_usd %r' % (what, a.get('biothings.cost_usd')))
    check(a.get('url.scheme') == 'https', '%s: url.scheme %r' % (what, a.get('url.scheme')))
    check(a.get('url.path') == '/v1/chat/completions', '%s: url.path %r' % (what, a.get('url.path')))
    check(not error(s), '%s: status %r' % (what, s['status']))


def match_llm(spans, served, what):
    """Each span against a distinct served call, by token counts."""
    left = list(served)
    for s in spans:
        got = (s['attrs'].get('gen_ai.usage.input_tokens'), s['attrs'].get('gen_ai.usage.output_tokens'))
        hit = [c for c in left if (c['usage']['prompt_tokens'], c['usage']['completion_tokens']) == got]
        if check(hit, '%s: no served call with tokens %r' % (what, got)):
            left.remove(hit[0])
            check_llm(s, hit[0], what)


def work(a):
    spans = load(a.spans)
    nginx, py, mock = (int(p) for p in a.ports.split(','))
    served = load(a.mock_log)
    check_times([s for s in spans if port_of(s) in (nginx, py, mock)], a.t0, a.t1)

    # curl -> nginx /status/NNN, 4 of each
    for code in (200, 404, 500):
        p = '/status/%d' % code
        srv = pick(spans, 2, nginx, 'nginx', p)
        cli = pick(spans, 3, nginx, 'curl', p)
        if count('nginx server %s' % p, srv, 4):
            for s in srv:
                check_http(s, 'server', code, 'nginx server %s' % p)
                check_root(s, 'nginx server %s' % p)
        if count('curl client %s' % p, cli, 4):
            for s in cli:
                check_http(s, 'client', code, 'curl client %s' % p)
                check_root(s, 'curl client %s' % p)

    # curl -> python /fanout -> 2 x nginx /small.txt on the serving thread
    fan = pick(spans, 2, py, a.py_service, '/fanout')
    if count('python server /fanout', fan, 3):
        for s in fan:
            check_http(s, 'server', 200, 'python server /fanout')
            kids = children_of(spans, s)
            if count('children of one /fanout', kids, 2):
                for c in kids:
                    check_child(c, s, 'child of /fanout')
                    check(path_of(c) == '/small.txt' and port_of(c) == nginx,
                          'child of /fanout: %s port %r' % (path_of(c), port_of(c)))
    count('python client /small.txt', pick(spans, 3, nginx, a.py_service, '/small.txt'), 6)
    small = pick(spans, 2, nginx, 'nginx', '/small.txt')
    if count('nginx server /small.txt', small, 6):
        for s in small:
            check_root(s, 'nginx server /small.txt (no propagation between processes)')
    count('curl client /fanout', pick(spans, 3, py, 'curl', '/fanout'), 3)

    # curl -> mock LLM: one span per call, HTTP and gen_ai together
    direct = pick(spans, 3, mock, 'curl')
    if count('curl LLM calls', direct, 2):
        match_llm(direct, [c for c in served if c['client'] == 'curl'], 'curl LLM call')
        for s in direct:
            check_root(s, 'curl LLM call')
    # curl -> python /llm -> mock: the LLM span is the server span's child
    llm_srv = pick(spans, 2, py, a.py_service, '/llm')
    if count('python server /llm', llm_srv, 1):
        kids = children_of(spans, llm_srv[0])
        if count('children of /llm', kids, 1):
            check_child(kids[0], llm_srv[0], 'LLM child of /llm')
            match_llm(kids, [c for c in served if c['client'] == 'fanout'], 'LLM child of /llm')
    count('python LLM calls', pick(spans, 3, mock, a.py_service), 1)
    count('mock server spans', pick(spans, 2, mock, 'llm-mock', '/v1/chat/completions'), 3)

    ids = [s['spanId'] for s in spans]
    check(len(ids) == len(set(ids)), 'span ids repeat: %d spans, %d ids' % (len(ids), len(set(ids))))


def down(a):
    spans = load(a.spans)
    first = spans[:a.queue]
    work_all = pick(spans, 2, a.nginx, prefix='/down/') + pick(spans, 3, a.nginx, prefix='/down/')
    work_first = [s for s in first if port_of(s) == a.nginx and path_of(s).startswith('/down/')]
    scrape_first = [s for s in first if port_of(s) == a.scrape_port]
    check(len(spans) >= a.queue, 'only %d spans arrived after the collector came back, queue is %d' % (len(spans), a.queue))
    check(len(work_first) == a.queue - 1, 'workload spans among the first %d: %d, expected %d' % (a.queue, len(work_first), a.queue - 1))
    check(len(scrape_first) == 1, 'scrape spans among the first %d: %d, expected 1' % (a.queue, len(scrape_first)))
    check(len(work_all) == len(work_first), 'workload spans after the first %d: %d, expected 0 (they were dropped)' % (a.queue, len(work_all) - len(work_first)))
    print('down: %d spans arrived after the collector came back, %d of the workload' % (len(spans), len(work_all)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    w = sub.add_parser('work')
    w.add_argument('spans')
    w.add_argument('--ports', required=True)
    w.add_argument('--py-service', required=True)
    w.add_argument('--mock-log', required=True)
    w.add_argument('--t0', type=int, required=True)
    w.add_argument('--t1', type=int, required=True)
    w.add_argument('--quiet', action='store_true')
    d = sub.add_parser('down')
    d.add_argument('spans')
    d.add_argument('--nginx', type=int, required=True)
    d.add_argument('--queue', type=int, required=True)
    d.add_argument('--scrape-port', type=int, required=True)
    a = ap.parse_args()
    try:
        work(a) if a.cmd == 'work' else down(a)
    except (OSError, ValueError, KeyError, TypeError) as e:
        FAILS.append('cannot check: %r' % e)
    if not getattr(a, 'quiet', False):
        for f in FAILS:
            print('CHECK FAILED: ' + f)
    if not FAILS and not getattr(a, 'quiet', False):
        print('%s: all checks passed' % a.cmd)
    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())
