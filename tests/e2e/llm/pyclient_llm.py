#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Python LLM client for test_llm_python: urllib and http.client over TLS.

Calls the mock providers (tests/e2e/llm/mock_llm.py) the way an
application without an SDK would: urllib.request with an SSL context that
trusts the test CA, streamed answers read line by line as they arrive, and
several calls on one keep-alive http.client connection. It checks what it
received (streams end with their terminal event, errors have their status)
and exits non-zero on any surprise. It prints the number of calls made;
the expected metrics come from the mock's own log, not from here.

  pyclient_llm.py CA SERVICE URLS_JSON SECRETS_JSON
"""
import gzip
import http.client
import json
import ssl
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

CALLS = [0]


def check(cond, what):
    if not cond:
        raise SystemExit('pyclient_llm: check failed: %s' % what)


class Client:
    def __init__(self, ca, service, urls, secrets):
        self.ctx = ssl.create_default_context(cafile=ca)
        self.service, self.urls, self.s = service, urls, secrets

    def auth(self, prov):
        if prov == 'anthropic':
            return {'x-api-key': self.s['xkey'], 'anthropic-version': '2023-06-01'}
        if prov == 'gemini':
            return {'x-goog-api-key': self.s['gkey']}
        if prov == 'azure_openai':
            return {'api-key': self.s['xkey']}
        return {'Authorization': 'Bearer ' + self.s['bearer']}

    def headers(self, prov, scenario='', gz=False):
        h = {'Content-Type': 'application/json', 'X-Mock-Client': self.service,
             'X-Mock-Scenario': scenario}
        h.update(self.auth(prov))
        if gz:
            h['Accept-Encoding'] = 'gzip'
        return h

    def urlopen(self, prov, path, body, scenario='', stream=False, gz=False):
        """One call by urllib; returns (status, lines or body bytes)."""
        CALLS[0] += 1
        req = urllib.request.Request(self.urls[prov] + path, data=json.dumps(body).encode(),
                                     headers=self.headers(prov, scenario, gz), method='POST')
        try:
            resp = urllib.request.urlopen(req, context=self.ctx, timeout=20)
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        with resp:
            if gz:
                data = gzip.decompress(resp.read())
                return resp.status, data.splitlines() if stream else data
            if stream:
                lines = []
                while True:  # as it arrives, not after the end
                    line = resp.readline()
                    if not line:
                        break
                    lines.append(line.rstrip(b'\r\n'))
                return resp.status, lines
            return resp.status, resp.read()


def sse_done(lines, marker):
    return any(marker.encode() in x for x in lines)


def run_urllib(c):
    chat = {'model': 'gpt-4o', 'messages': [{'role': 'user', 'content': 'hi'}]}
    chat_s = dict(chat, stream=True, stream_options={'include_usage': True})
    st, body = c.urlopen('openai', '/v1/chat/completions', chat)
    check(st == 200 and json.loads(body)['usage'], 'openai chat')
    st, lines = c.urlopen('openai', '/v1/chat/completions', chat_s, stream=True)
    check(st == 200 and [x for x in lines if x][-1] == b'data: [DONE]', 'openai stream')
    st, lines = c.urlopen('openai', '/v1/chat/completions', chat_s, 'gzip', True, gz=True)
    check(sse_done(lines, '[DONE]'), 'openai gzip stream')
    st, lines = c.urlopen('openai', '/v1/responses',
                          {'model': 'gpt-4o-mini', 'input': 'hi', 'stream': True}, stream=True)
    check(sse_done(lines, 'response.completed'), 'responses stream')
    st, body = c.urlopen('openai', '/v1/embeddings',
                         {'model': 'text-embedding-3-large', 'input': 'hello'})
    check(st == 200, 'embeddings')
    st, body = c.urlopen('azure_openai',
                         '/openai/deployments/prod-4o/chat/completions?api-version=2025-04-01-preview',
                         {'messages': [{'role': 'user', 'content': 'hi'}]}, 'gzip', gz=True)
    check(st == 200 and json.loads(body)['model'], 'azure gzip')
    ant = {'model': 'claude-haiku-4-5', 'max_tokens': 64,
           'messages': [{'role': 'user', 'content': 'hi'}]}
    st, body = c.urlopen('anthropic', '/v1/messages', ant)
    check(st == 200, 'anthropic')
    st, lines = c.urlopen('anthropic', '/v1/messages', dict(ant, stream=True), stream=True)
    check(sse_done(lines, 'message_stop'), 'anthropic stream')
    st, body = c.urlopen('anthropic', '/v1/messages', ant, '529')
    check(st == 529, 'anthropic 529')
    gem = {'contents': [{'role': 'user', 'parts': [{'text': 'hi'}]}]}
    st, body = c.urlopen('gemini', '/v1beta/models/gemini-2.0-flash:generateContent?key='
                         + c.s['gkey'], gem)
    check(st == 200, 'gemini')
    st, lines = c.urlopen('gemini', '/v1beta/models/gemini-2.0-flash:streamGenerateContent'
                          '?alt=sse&key=' + c.s['gkey'], gem, stream=True)
    check(sse_done(lines, 'finishReason'), 'gemini stream')
    st, lines = c.urlopen('cohere', '/v2/chat', {'model': 'command-r7b-12-2024', 'stream': True,
                                                 'messages': [{'role': 'user', 'content': 'hi'}]},
                          stream=True)
    check(sse_done(lines, 'message-end'), 'cohere v2 stream')
    st, lines = c.urlopen('cohere', '/v1/chat', {'model': 'command-r-plus', 'message': 'hi',
                                                 'stream': True}, stream=True)
    check(sse_done(lines, 'stream-end'), 'cohere v1 stream')
    st, lines = c.urlopen('openrouter', '/api/v1/chat/completions',
                          {'model': 'google/gemini-2.5-flash', 'stream': True,
                           'messages': [{'role': 'user', 'content': 'hi'}]}, stream=True)
    check(sse_done(lines, 'OPENROUTER PROCESSING'), 'openrouter stream')
    st, lines = c.urlopen('ollama', '/api/generate', {'model': 'gemma2:2b', 'prompt': 'hi'},
                          stream=True)
    check(sse_done(lines, '"done": true'), 'ollama stream')
    st, body = c.urlopen('ollama', '/api/chat', {'model': 'gemma2:2b', 'stream': False,
                                                 'messages': [{'role': 'user', 'content': 'x'}]})
    check(st == 200, 'ollama chat')
    # http.client's readline() turns the cut into a quiet end of stream
    try:
        st, lines = c.urlopen('anthropic', '/v1/messages', dict(ant, stream=True), 'drop',
                              stream=True)
        check(not sse_done(lines, 'message_stop'), 'the dropped stream ended cleanly')
    except (http.client.IncompleteRead, ConnectionError, ssl.SSLError, OSError):
        pass


def run_keepalive(c):
    """Many calls on one TLS connection, as an SDK's pool would make them."""
    u = urlsplit(c.urls['openai'])
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=c.ctx, timeout=20)
    sock = None
    chat = {'model': 'gpt-4o', 'messages': [{'role': 'user', 'content': 'hi'}]}
    chat_s = dict(chat, stream=True, stream_options={'include_usage': True})
    plan = [(chat, ''), (chat_s, ''), (chat, 'chunked'), (chat, '429'), (chat_s, 'many'),
            (chat, 'big'), (chat_s, 'gzip'), ({'model': 'o3-mini', 'input': 'x'}, ''),
            (chat, 'garbage'), (chat_s, '')]
    for body, scen in plan:
        CALLS[0] += 1
        path = '/v1/responses' if 'input' in body else '/v1/chat/completions'
        conn.request('POST', path, json.dumps(body), c.headers('openai', scen, 'gzip' in scen))
        resp = conn.getresponse()
        if body.get('stream') and not scen:
            n = 0
            while resp.readline():
                n += 1
            check(n > 5, 'keep-alive stream lines')
        else:
            resp.read()
        check(resp.status == (429 if scen == '429' else 200), 'keep-alive status %s' % scen)
        check(sock is None or conn.sock is sock, 'connection was reused')
        sock = conn.sock
    # the last call on this connection: an answer shorter than announced
    CALLS[0] += 1
    conn.request('POST', '/v1/chat/completions', json.dumps(chat),
                 c.headers('openai', 'truncated'))
    resp = conn.getresponse()
    try:
        resp.read()
        raise SystemExit('pyclient_llm: the truncated answer read in full')
    except http.client.IncompleteRead:
        pass
    conn.close()


def main(argv):
    ca, service, urls, secrets = argv[1], argv[2], json.loads(argv[3]), json.loads(argv[4])
    c = Client(ca, service, urls, secrets)
    run_urllib(c)
    run_keepalive(c)
    print(CALLS[0])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
