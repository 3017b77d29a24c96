#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""HTTPS mock of the LLM provider APIs for the end-to-end tests.

One process listens on several loopback ports, one per provider identity
(the observer's llm.hosts maps each "127.0.0.1:PORT" to a provider). Every
port serves every wire shape by path, as the real APIs put it on the wire:
OpenAI chat / Responses / embeddings (also Azure's deployment path and the
OpenRouter flavour), Anthropic messages, Gemini generateContent and
streamGenerateContent (SSE with alt=sse, else a streamed JSON array),
Cohere v2 (SSE) and v1 (NDJSON), Ollama /api/chat and /api/generate.

The token counts are drawn at random per call and every call served is
appended to a JSON-lines log with the raw usage exactly as sent, so the
test computes its expectations from what was served (expect.py). The
request header X-Mock-Scenario (or the query parameter mock=) picks
faults: gzip, chunked, big (2 MB), many (2,000 stream events), drop
(connection cut mid-stream), truncated (body shorter than its
Content-Length), garbage (not JSON), 429 (rate limited, with rate-limit
headers), 529 (Anthropic overloaded). X-Mock-Client names the calling
service for the log.

It must never log or echo credentials (Authorization, x-api-key,
x-goog-api-key, ?key=): the test greps for them elsewhere, and a leak in
the mock's own files would hide a leak in the observer.
"""
import argparse
import base64
import ctypes
import json
import os
import random
import socket
import ssl
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

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
        n = _counter[0] = _counter[0] + 1
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


# ------------------------------------------------------------------ usage

def openai_usage(c, responses=False):
    p, o = c.r(10, 5000), c.r(1, 2000)
    cached = c.r(0, p) if c.r(0, 1) else 0
    reasoning = c.r(0, o) if c.r(0, 1) else 0
    if responses:
        u = {'input_tokens': p, 'input_tokens_details': {'cached_tokens': cached},
             'output_tokens': o, 'output_tokens_details': {'reasoning_tokens': reasoning},
             'total_tokens': p + o}
    else:
        u = {'prompt_tokens': p, 'completion_tokens': o, 'total_tokens': p + o,
             'prompt_tokens_details': {'cached_tokens': cached, 'audio_tokens': 0},
             'completion_tokens_details': {'reasoning_tokens': reasoning, 'audio_tokens': 0,
                                           'accepted_prediction_tokens': 0,
                                           'rejected_prediction_tokens': 0}}
        if c.provider == 'openrouter':
            w = c.r(0, p - cached)
            u['prompt_tokens_details']['cache_write_tokens'] = w
            u['cost'] = round(p * 1e-6 + o * 4e-6, 8)
            u['cost_details'] = {'upstream_inference_cost': None}
    return u


def anthropic_usage(c):
    return {'input_tokens': c.r(1, 3000), 'output_tokens': c.r(1, 1500),
            'cache_creation_input_tokens': c.r(0, 2000) if c.r(0, 1) else 0,
            'cache_read_input_tokens': c.r(0, 8000) if c.r(0, 1) else 0,
            'service_tier': 'standard'}


def gemini_usage(c):
    p, cand, th = c.r(5, 4000), c.r(1, 1500), c.r(0, 900)
    u = {'promptTokenCount': p, 'candidatesTokenCount': cand,
         'totalTokenCount': p + cand + th,
         'promptTokensDetails': [{'modality': 'TEXT', 'tokenCount': p}]}
    if th:
        u['thoughtsTokenCount'] = th
    if c.r(0, 1):
        u['cachedContentTokenCount'] = c.r(1, p)
    return u


def cohere_usage(c):
    i, o = c.r(1, 3000), c.r(1, 1500)
    return {'billed_units': {'input_tokens': i, 'output_tokens': o},
            'tokens': {'input_tokens': i + c.r(50, 300), 'output_tokens': o + c.r(0, 3)}}


def ollama_usage(c):
    return {'prompt_eval_count': c.r(1, 3000), 'eval_count': c.r(1, 1500)}


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
        if status == 200:
            c.usage = c.usage if c.usage is not None else None
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


def sse(obj, event=None, eol='\n'):
    head = 'event: %s%s' % (event, eol) if event else ''
    return '%sdata: %s%s%s' % (head, json.dumps(obj), eol, eol)


# ------------------------------------------------------------------ OpenAI

OPENAI_SNAPSHOTS = {'gpt-4o': 'gpt-4o-2024-08-06', 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18'}


def openai_chat(h, c):
    if h.maybe_error(c, 'openai'):
        return
    model = c.model_req or (c.path.split('/deployments/')[1].split('/')[0]
                            if '/deployments/' in c.path else 'unknown')
    c.model_resp = OPENAI_SNAPSHOTS.get(model, model)
    base = {'id': 'chatcmpl-mock%d' % _counter[0], 'created': int(time.time()),
            'model': c.model_resp, 'system_fingerprint': 'fp_mock'}
    if not c.body.get('stream'):
        c.usage = openai_usage(c)
        h.send_json(c, dict(base, object='chat.completion', choices=[{
            'index': 0, 'message': {'role': 'assistant', 'content': c.text(), 'refusal': None},
            'logprobs': None, 'finish_reason': 'stop'}], usage=c.usage,
            service_tier='default'))
        return
    opts = c.body.get('stream_options') or {}
    with_usage = opts.get('include_usage') or c.provider == 'openrouter'
    usage = openai_usage(c) if with_usage else None
    chunk = dict(base, object='chat.completion.chunk')
    if with_usage:
        chunk['usage'] = None
    h.stream_start(c, 'text/event-stream; charset=utf-8')
    orp = c.provider == 'openrouter'
    if orp:
        h.emit(': OPENROUTER PROCESSING\n\n')
    h.emit(sse(dict(chunk, choices=[{'index': 0, 'delta': {'role': 'assistant', 'content': ''},
                                     'logprobs': None, 'finish_reason': None}])))
    events = []
    for i, w in enumerate(c.pieces()):
        if orp and i % 3 == 1:
            events.append(': OPENROUTER PROCESSING\n\n' + sse(dict(chunk, choices=[{
                'index': 0, 'delta': {'content': w}, 'finish_reason': None}])))
        else:
            events.append(sse(dict(chunk, choices=[{'index': 0, 'delta': {'content': w},
                                                    'logprobs': None, 'finish_reason': None}])))
    final = [sse(dict(chunk, choices=[{'index': 0, 'delta': {}, 'logprobs': None,
                                      'finish_reason': 'stop'}]))]
    if with_usage:
        final.append(sse(dict(chunk, choices=[], usage=usage)))
    final.append('data: [DONE]\n\n')
    if h.stream_events(c, events, final, -2):
        c.usage = usage


def openai_responses(h, c):
    if h.maybe_error(c, 'openai'):
        return
    c.model_resp = OPENAI_SNAPSHOTS.get(c.model_req, c.model_req)
    usage = openai_usage(c, responses=True)
    rid = 'resp_mock%d' % _counter[0]
    resp = {'id': rid, 'object': 'response', 'created_at': int(time.time()),
            'status': 'completed', 'model': c.model_resp, 'output': [{
                'type': 'message', 'id': 'msg_1', 'status': 'completed', 'role': 'assistant',
                'content': [{'type': 'output_text', 'text': c.text(), 'annotations': []}]}],
            'error': None, 'incomplete_details': None, 'usage': usage}
    if not c.body.get('stream'):
        c.usage = usage
        h.send_json(c, resp)
        return
    h.stream_start(c, 'text/event-stream; charset=utf-8')
    seq = [0]

    def ev(kind, **kw):
        seq[0] += 1
        return sse(dict(type=kind, sequence_number=seq[0] - 1, **kw), kind)
    pending = dict(resp, status='in_progress', output=[], usage=None)
    h.emit(ev('response.created', response=pending))
    h.emit(ev('response.in_progress', response=pending))
    h.emit(ev('response.output_item.added', output_index=0, item={
        'type': 'message', 'id': 'msg_1', 'status': 'in_progress', 'role': 'assistant',
        'content': []}))
    events = [ev('response.output_text.delta', item_id='msg_1', output_index=0,
                 content_index=0, delta=w) for w in c.pieces()]
    final = [ev('response.output_text.done', item_id='msg_1', output_index=0,
                content_index=0, text='done'),
             ev('response.completed', response=resp)]
    if h.stream_events(c, events, final):
        c.usage = usage


def openai_embeddings(h, c):
    if h.maybe_error(c, 'openai'):
        return
    c.model_resp = c.model_req
    inputs = c.body.get('input')
    n = len(inputs) if isinstance(inputs, list) else 1
    vec = [0.25, -0.5, 0.125, 1.0]
    if c.body.get('encoding_format') == 'base64':
        emb = base64.b64encode(struct.pack('<4f', *vec)).decode()
    else:
        emb = vec
    p = c.r(1, 800)
    c.usage = {'prompt_tokens': p, 'total_tokens': p}
    h.send_json(c, {'object': 'list', 'data': [
        {'object': 'embedding', 'index': i, 'embedding': emb} for i in range(n)],
        'model': c.model_resp, 'usage': c.usage})


# ------------------------------------------------------------------ Anthropic

def anthropic_messages(h, c):
    if h.maybe_error(c, 'anthropic'):
        return
    c.model_resp = c.model_req
    usage = anthropic_usage(c)
    msg = {'id': 'msg_mock%d' % _counter[0], 'type': 'message', 'role': 'assistant',
           'model': c.model_resp, 'content': [{'type': 'text', 'text': c.text()}],
           'stop_reason': 'end_turn', 'stop_sequence': None, 'usage': usage}
    rl = {'anthropic-ratelimit-requests-remaining': 49,
          'anthropic-ratelimit-tokens-remaining': 39000}
    if not c.body.get('stream'):
        c.usage = usage
        h.send_json(c, msg, extra=rl)
        return
    h.stream_start(c, 'text/event-stream; charset=utf-8')
    start_usage = dict(usage, output_tokens=1)
    h.emit(sse({'type': 'message_start', 'message': dict(
        msg, content=[], stop_reason=None, usage=start_usage)}, 'message_start'))
    h.emit(sse({'type': 'content_block_start', 'index': 0,
                'content_block': {'type': 'text', 'text': ''}}, 'content_block_start'))
    h.emit(sse({'type': 'ping'}, 'ping'))
    events = [sse({'type': 'content_block_delta', 'index': 0,
                   'delta': {'type': 'text_delta', 'text': w}}, 'content_block_delta')
              for w in c.pieces()]
    delta_usage = {'output_tokens': usage['output_tokens']}
    if c.r(0, 1):  # newer API versions repeat the cumulative input side
        for k in ('input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'):
            delta_usage[k] = usage[k]
    final = [sse({'type': 'content_block_stop', 'index': 0}, 'content_block_stop'),
             sse({'type': 'message_delta', 'delta': {'stop_reason': 'end_turn',
                                                     'stop_sequence': None},
                  'usage': delta_usage}, 'message_delta'),
             sse({'type': 'message_stop'}, 'message_stop')]
    if h.stream_events(c, events, final, 1):
        c.usage = usage


# ------------------------------------------------------------------ Gemini

def gemini_model(c):
    seg = c.path.split('/models/', 1)[-1]
    return seg.split(':', 1)[0]


def gemini_generate(h, c):
    c.model_req = gemini_model(c)
    if h.maybe_error(c, 'gemini'):
        return
    c.model_resp = c.model_req
    usage = gemini_usage(c)
    cand = {'content': {'parts': [{'text': c.text()}], 'role': 'model'},
            'finishReason': 'STOP', 'index': 0}
    c.usage = usage
    h.send_json(c, {'candidates': [cand], 'usageMetadata': usage,
                    'modelVersion': c.model_resp, 'responseId': 'mockresp%d' % _counter[0]})


def gemini_stream(h, c):
    c.model_req = gemini_model(c)
    if h.maybe_error(c, 'gemini'):
        return
    c.model_resp = c.model_req
    usage = gemini_usage(c)
    alt_sse = c.query.get('alt', [''])[0] == 'sse'
    partial = {'promptTokenCount': usage['promptTokenCount'],
               'totalTokenCount': usage['promptTokenCount']}

    def chunk(text, final=False):
        cand = {'content': {'parts': [{'text': text}], 'role': 'model'}, 'index': 0}
        if final:
            cand['finishReason'] = 'STOP'
        return {'candidates': [cand], 'usageMetadata': usage if final else partial,
                'modelVersion': c.model_resp, 'responseId': 'mockresp%d' % _counter[0]}
    pieces = c.pieces()
    if alt_sse:
        h.stream_start(c, 'text/event-stream')
        events = [sse(chunk(w), eol='\r\n') for w in pieces[:-1]]
        final = [sse(chunk(pieces[-1], True), eol='\r\n')]
    else:
        h.stream_start(c, 'application/json; charset=UTF-8')
        events = [('[' if i == 0 else '\n,\r\n') + json.dumps(chunk(w), indent=1)
                  for i, w in enumerate(pieces[:-1])]
        final = ['\n,\r\n' + json.dumps(chunk(pieces[-1], True), indent=1), ']']
    if h.stream_events(c, events, final, 0):
        c.usage = usage


# ------------------------------------------------------------------ Cohere

def cohere_v2(h, c):
    if h.maybe_error(c, 'cohere'):
        return
    usage = cohere_usage(c)
    cid = 'mock-%d' % _counter[0]
    if not c.body.get('stream'):
        c.usage = usage
        h.send_json(c, {'id': cid, 'finish_reason': 'COMPLETE', 'message': {
            'role': 'assistant', 'content': [{'type': 'text', 'text': c.text()}]},
            'usage': usage})
        return
    h.stream_start(c, 'text/event-stream')
    h.emit(sse({'id': cid, 'type': 'message-start', 'delta': {'message': {
        'role': 'assistant', 'content': [], 'tool_plan': '', 'tool_calls': [],
        'citations': []}}}, 'message-start'))
    h.emit(sse({'type': 'content-start', 'index': 0, 'delta': {'message': {
        'content': {'type': 'text', 'text': ''}}}}, 'content-start'))
    events = [sse({'type': 'content-delta', 'index': 0, 'delta': {'message': {
        'content': {'text': w}}}}, 'content-delta') for w in c.pieces()]
    final = [sse({'type': 'content-end', 'index': 0}, 'content-end'),
             sse({'type': 'message-end', 'delta': {'finish_reason': 'COMPLETE',
                                                   'usage': usage}}, 'message-end')]
    if h.stream_events(c, events, final):
        c.usage = usage


def cohere_v1(h, c):
    if h.maybe_error(c, 'cohere'):
        return
    usage = cohere_usage(c)
    meta = {'api_version': {'version': '1'}, 'billed_units': usage['billed_units'],
            'tokens': usage['tokens']}
    resp = {'response_id': 'r-%d' % _counter[0], 'text': c.text(),
            'generation_id': 'g-%d' % _counter[0], 'chat_history': [],
            'finish_reason': 'COMPLETE', 'meta': meta}
    if not c.body.get('stream'):
        c.usage = meta
        h.send_json(c, resp)
        return
    h.stream_start(c, 'application/stream+json')
    h.emit(json.dumps({'is_finished': False, 'event_type': 'stream-start',
                       'generation_id': resp['generation_id']}) + '\n')
    events = [json.dumps({'is_finished': False, 'event_type': 'text-generation',
                          'text': w}) + '\n' for w in c.pieces()]
    final = [json.dumps({'is_finished': True, 'event_type': 'stream-end',
                         'finish_reason': 'COMPLETE', 'response': resp}) + '\n']
    if h.stream_events(c, events, final):
        c.usage = meta


# ------------------------------------------------------------------ Ollama

def ollama(h, c, key):
    if h.maybe_error(c, 'ollama'):
        return
    c.model_resp = c.model_req
    usage = ollama_usage(c)
    now = '2026-01-01T00:00:00.000000Z'
    done = {'model': c.model_resp, 'created_at': now, 'done': True, 'done_reason': 'stop',
            'total_duration': 4353619900, 'load_duration': 63915300,
            'prompt_eval_duration': 246847000, 'eval_duration': 4032296000}
    done.update(usage)
    if key == 'message':
        def piece(w):
            return {'role': 'assistant', 'content': w}
    else:
        def piece(w):
            return w
        done['context'] = [1, 2, 3]
    if c.body.get('stream') is False:
        c.usage = usage
        h.send_json(c, dict(done, **{key: piece(c.text())}))
        return
    h.stream_start(c, 'application/x-ndjson')
    events = [json.dumps({'model': c.model_resp, 'created_at': now, key: piece(w),
                          'done': False}) + '\n' for w in c.pieces()]
    final = [json.dumps(dict(done, **{key: piece('')})) + '\n']
    if h.stream_events(c, events, final):
        c.usage = usage


def ollama_chat(h, c):
    ollama(h, c, 'message')


def ollama_generate(h, c):
    ollama(h, c, 'response')


ROUTES = [
    ('/chat/completions', openai_chat),
    ('/responses', openai_responses),
    ('/embeddings', openai_embeddings),
    ('/messages', anthropic_messages),
    (':streamGenerateContent', gemini_stream),
    (':generateContent', gemini_generate),
    ('/v2/chat', cohere_v2),
    ('/v1/chat', cohere_v1),
    ('/api/chat', ollama_chat),
    ('/api/generate', ollama_generate),
]


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
