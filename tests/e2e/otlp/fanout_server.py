#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A server that makes client calls while it serves, for tests/e2e/test_traces.sh.

Single-threaded (http.server.HTTPServer): every request is served, and
every call it makes is made, on the process's main thread, which is what
the observer's in-process parent/child heuristic links.

  GET /fanout   two GETs of /small.txt on --upstream (nginx), then 200
  GET /llm      one HTTPS chat completion on --llm (the LLM mock), then 200

It listens on 127.0.0.1 only and appends one line per request served to
--log ("path status").
"""
import argparse
import http.client
import http.server
import json
import ssl
import sys

ARGS = None


def upstream_twice():
    for _ in range(2):
        c = http.client.HTTPConnection('127.0.0.1', ARGS.upstream, timeout=10)
        c.request('GET', '/small.txt')
        r = c.getresponse()
        r.read()
        c.close()
        if r.status != 200:
            return 502
    return 200


def llm_call():
    ctx = ssl.create_default_context(cafile=ARGS.ca)
    c = http.client.HTTPSConnection('127.0.0.1', ARGS.llm, context=ctx, timeout=10)
    body = json.dumps({'model': 'gpt-4o-mini', 'messages': [{'role': 'user', 'content': 'hi'}]})
    c.request('POST', '/v1/chat/completions', body=body,
              headers={'Content-Type': 'application/json', 'X-Mock-Client': 'fanout',
                       'Authorization': 'Bearer ' + ARGS.key})
    r = c.getresponse()
    r.read()
    c.close()
    return 200 if r.status == 200 else 502


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        if self.path == '/fanout':
            code = upstream_twice()
        elif self.path == '/llm':
            code = llm_call()
        else:
            code = 404
        data = b'ok\n'
        self.send_response(code)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(ARGS.log, 'a', encoding='ascii') as f:
            f.write('%s %d\n' % (self.path, code))


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--upstream', type=int, required=True)
    ap.add_argument('--llm', type=int, required=True)
    ap.add_argument('--ca', required=True)
    ap.add_argument('--key', required=True)
    ap.add_argument('--log', required=True)
    ARGS = ap.parse_args()
    srv = http.server.HTTPServer(('127.0.0.1', ARGS.port), Handler)
    print('fanout server on 127.0.0.1:%d' % ARGS.port, flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
