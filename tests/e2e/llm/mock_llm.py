#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""HTTPS mock of the LLM provider APIs for the end-to-end tests.

One process listens on several loopback ports, one per provider identity
(the observer's llm.hosts maps each "127.0.0.1:PORT" to a provider). Every
port serves every wire shape by path, as the real APIs put it on the wire:
OpenAI chat / Responses / embeddings (also Azure's deployment path and the
OpenRouter flavour), Anthropic messages, Gemini generateContent and
streamGenerateContent (SSE with alt=sse, else a streamed JSON array),
Cohere v2 (SSE) and v1 (NDJSON), Ollama /api/chat and /api/generate. The
shapes are in mock_apis.py; this file owns TLS, framing (chunked, gzip)
and the fault scenarios.

The token counts are drawn at random per call and every call served is
appended to a JSON-lines log with the raw usage exactly as sent, so the
test computes its expectations from what was served (expect.py). The
request header X-Mock-Scenario (or the query parameter mock=) picks
faults: gzip, chunked, big (2 MB), many (2,000 stream events), drop
(connection cut mid-stream), truncated (body shorter than its
Content-Length), garbage (a body that is not JSON, or a stream whose
counts event is cut JSON), junkdelta (one text delta is not JSON, the
counts are complete), 429 (rate limited, with rate-limit headers), 529
(Anthropic overloaded). X-Mock-Client names the calling
service for the log.

It must never log or echo credentials (Authorization, x-api-key,
x-goog-api-key, ?key=): the test greps for them elsewhere, and a leak in
the mock's own files would hide a leak in the observer.
"""
import argparse
import ctypes
import json
import os
import random
import socket
import ssl
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from mock_apis import ROUTES

BIG_BYTES = 2 * 1024 * 1024
MANY_EVENTS = 2000
DEFAULT_EVENTS = 6

_log_lock = threading.Lock()
_counter = [0]


def set_comm(name):
    """Names the task (and the threads it starts) so the observer's service
    rule can tell the mock from the python clients."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except OSError:
        pass


def words(n, size=None):
    """n text pieces; with size, pieces of that many bytes."""
    if size:
        return ['x' * size for _ in range(n)]
    return ['tok%d ' % i for i in range(n)]


class Call:
    """What one request asked for and what was served, for the log."""

    def __init__(self, handler, api, body):
        self.provider = handler.server.provider
        self.port = handler.server.server_address[1]
        self.client = handler.headers.get('X-Mock-Client', 'unknown')
        url = urlsplit(handler.path)
        q = parse_qs(url.query)
        self.path = url.path
        self.query = q
        scen = handler.headers.get('X-Mock-Scenario') or q.get('mock', [''])[0]
        self.scenario = set(s for s in scen.split(',') if s)
        self.api = api
        self.body = body
        self.model_req = body.get('model') if isinstance(body, dict) else None
        self.model_resp = None
        self.stream = False
        self.status = 200
        self.usage = None
        self.error_body = None
        self.content_events = 0
        self.cut = False
        self.headers = {}
        n = self.n = _counter[0] = _counter[0] + 1
        self.rng = random.Random(n * 7919 + handler.server.server_address[1])

    def log(self, path):
        rec = {
            'ts': time.time(), 'provider': self.provider, 'port': self.port,
            'client': self.client, 'api': self.api, 'path': self.path,
            'stream': self.stream, 'scenario': sorted(self.scenario),
            'status': self.status, 'model_req': self.model_req,
            'model_resp': self.model_resp, 'usage': self.usage,
            'error_body': self.error_body, 'content_events': self.content_events,
            'cut': self.cut, 'headers': self.headers,
        }
        with _log_lock, open(path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(rec, sort_keys=True) + '\n')

    def r(self, lo, hi):
        return self.rng.randint(lo, hi)

    def n_events(self):
        if 'many' in self.scenario:
            return MANY_EVENTS
        if 'big' in self.scenario:
            return 64
        return DEFAULT_EVENTS

    def pieces(self):
        if 'big' in self.scenario:
            return words(self.n_events(), BIG_BYTES // 64)
        return words(self.n_events())

    def text(self):
        if 'big' in self.scenario:
            return 'x' * BIG_BYTES
        return 'Hello from the mock.'


# ------------------------------------------------------------------ handler

class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'mock-llm/1'
    sys_version = ''

    def setup(self):
        self.request = self.server.ssl_ctx.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, fmt, *args):  # the default logs the query (?key=)
        pass

    def read_body(self):
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            data = b''
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n) if n else b''

    def do_POST(self):
        raw = self.read_body()
        if self.headers.get('Content-Encoding', '') == 'gzip':
            raw = zlib.decompress(raw, 31)
        try:
            body = json.loads(raw or b'{}')
        except ValueError:
            body = {}
        path = urlsplit(self.path).path
        route = None
        for suffix, fn in ROUTES:
            if path.endswith(suffix) or (suffix.startswith(':') and suffix in path):
                route = fn
                break
        if route is None:
            self.plain(404, b'{"error":"no such mock path"}')
            return
        c = Call(self, route.__name__, body)
        try:
            route(self, c)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            c.cut = True
            self.close_connection = True
        c.log(self.server.log_path)

    def do_GET(self):
        self.plain(404, b'{"error":"GET not mocked"}')

    def plain(self, status, data, ctype='application/json'):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def cut_connection(self, c):
        """Ends the TCP connection with no close_notify and no last chunk."""
        c.cut = True
        self.wfile.flush()
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    # ---- non-streamed answers

    def send_json(self, c, obj, status=200, extra=None):
        c.status = status
        data = json.dumps(obj).encode()
        if 'garbage' in c.scenario and status == 200:
            data = b'{"id": "garbage", "usage": {"prompt_tokens": 12,, ]] not json' + data[:40]
        gz = 'gzip' in c.scenario
        if gz:
            co = zlib.compressobj(6, zlib.DEFLATED, 31)
            data = co.compress(data) + co.flush()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        if gz:
            self.send_header('Content-Encoding', 'gzip')
        for k, v in (extra or {}).items():
            self.send_header(k, str(v))
            c.headers[k] = v
        chunked = 'chunked' in c.scenario
        if chunked:
            self.send_header('Transfer-Encoding', 'chunked')
        else:
            self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if 'truncated' in c.scenario:
            self.wfile.write(data[:len(data) // 2])
            self.cut_connection(c)
            return
        if chunked:
            step = max(1, len(data) // 3)
            for i in range(0, len(data), step):
                part = data[i:i + step]
                self.wfile.write(b'%x\r\n%s\r\n' % (len(part), part))
            self.wfile.write(b'0\r\n\r\n')
        else:
            self.wfile.write(data)

    def error(self, c, status, obj, extra=None):
        c.error_body = obj
        c.usage = None
        self.send_json(c, obj, status, extra)

    def maybe_error(self, c, shape):
        """Sends the scenario's error answer in the API's shape; True if sent."""
        if '429' in c.scenario:
            if shape == 'anthropic':
                self.error(c, 429, {'type': 'error', 'error': {
                    'type': 'rate_limit_error', 'message': 'Number of request tokens has '
                    'exceeded your per-minute rate limit'}, 'request_id': 'req_mock429'},
                    {'anthropic-ratelimit-requests-remaining': 0,
                     'anthropic-ratelimit-tokens-remaining': 1200,
                     'anthropic-ratelimit-input-tokens-remaining': 800,
                     'anthropic-ratelimit-output-tokens-remaining': 400,
                     'retry-after': 9})
            elif shape == 'gemini':
                self.error(c, 429, {'error': {'code': 429, 'message': 'Resource has been '
                           'exhausted (e.g. check quota).', 'status': 'RESOURCE_EXHAUSTED'}})
            elif shape == 'cohere':
                self.error(c, 429, {'message': 'You are using a Trial key, which is limited'})
            else:
                self.error(c, 429, {'error': {
                    'message': 'Rate limit reached for gpt-4o in organization org-mock on '
                    'tokens per min (TPM): Limit 30000, Used 30000.', 'type': 'tokens',
                    'param': None, 'code': 'rate_limit_exceeded'}},
                    {'x-ratelimit-limit-requests': 500, 'x-ratelimit-remaining-requests': 17,
                     'x-ratelimit-limit-tokens': 30000, 'x-ratelimit-remaining-tokens': 250,
                     'x-ratelimit-reset-requests': '120ms', 'x-ratelimit-reset-tokens': '6m0s',
                     'retry-after': 7})
            return True
        if '529' in c.scenario:
            self.error(c, 529, {'type': 'error', 'error': {
                'type': 'overloaded_error', 'message': 'Overloaded'},
                'request_id': 'req_mock529'})
            return True
        return False

    # ---- streamed answers

    def stream_start(self, c, ctype):
        c.stream = True
        c.status = 200
        self.send_response(200)
        self.send_header('Content-Type', ctype)
        self.send_header('Cache-Control', 'no-cache')
        self.send_header('Transfer-Encoding', 'chunked')
        if 'gzip' in c.scenario:
            self.send_header('Content-Encoding', 'gzip')
            self._gz = zlib.compressobj(6, zlib.DEFLATED, 31)
        else:
            self._gz = None
        self.end_headers()

    def emit(self, data):
        if isinstance(data, str):
            data = data.encode()
        if self._gz:
            data = self._gz.compress(data) + self._gz.flush(zlib.Z_SYNC_FLUSH)
        if data:
            self.wfile.write(b'%x\r\n%s\r\n' % (len(data), data))

    def stream_end(self):
        if self._gz:
            tail = self._gz.flush()
            self.wfile.write(b'%x\r\n%s\r\n' % (len(tail), tail))
        self.wfile.write(b'0\r\n\r\n')

    def stream_events(self, c, events, final, usage_at=-1):
        """Sends content events (counting them), then the final events
        (final[usage_at] carries the counts); False when the connection was
        cut. drop: cut half-way through the content; junkdelta: one content
        event is not JSON; garbage: the event with the counts is cut JSON."""
        half = len(events) // 2
        for i, ev in enumerate(events):
            if 'drop' in c.scenario and i == half:
                self.cut_connection(c)
                return False
            if 'junkdelta' in c.scenario and i == half:
                ev = ev.split('{', 1)[0] + 'not json at all\n\n'
            self.emit(ev)
            c.content_events += 1
        final = list(final)
        if 'garbage' in c.scenario:
            final[usage_at] = garble(final[usage_at])
        for ev in final:
            self.emit(ev)
        self.stream_end()
        return True


def garble(ev):
    """The event with its JSON cut in the middle, framing kept."""
    head, rest = ev.split('{', 1)
    body = '{' + rest.rstrip('\r\n')
    return head + body[:len(body) // 2] + rest[len(rest.rstrip('\r\n')):]



class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--listen', action='append', required=True,
                    help='PROVIDER=PORT, repeated')
    ap.add_argument('--cert', required=True)
    ap.add_argument('--key', required=True)
    ap.add_argument('--log', required=True, help='JSON lines, one per call served')
    ap.add_argument('--ready', required=True, help='file written once every port listens')
    ap.add_argument('--comm', default='llm-mock')
    a = ap.parse_args()
    set_comm(a.comm)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ctx.set_alpn_protocols(['http/1.1'])
    servers = []
    for spec in a.listen:
        prov, port = spec.split('=')
        s = Server(('127.0.0.1', int(port)), Handler)
        s.provider, s.log_path, s.ssl_ctx = prov, a.log, ctx
        servers.append(s)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(a.ready, 'w', encoding='utf-8') as f:
        f.write('%d\n' % os.getpid())
    print('mock-llm pid %d: %s' % (os.getpid(), ' '.join(a.listen)), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
