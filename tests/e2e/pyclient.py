#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""HTTP/1.x client scenarios for the end-to-end tests (python3 http.client
and raw sockets) against tests/e2e/pyserver.py.

Covers keep-alive reuse, POST/PUT bodies, Expect: 100-continue, HEAD,
204/304, chunked and close-delimited answers, an HTTP/1.0 request,
requests whose headers are sent one byte per send(), pipelined requests in
one send(), and an answer the server cuts short by closing.

Writes what it got, per method and final status: --counts for requests
that completed (the observer must count each exactly once) and --loose
for the cut-short answer (the observer may count it or flag it
incomplete). Exits non-zero if any scenario misbehaved on the wire. It
talks only to the given loopback port.

  pyclient.py --port P --counts FILE --loose FILE [--preexisting PATH
              --before N --after N --ready FILE --go FILE]
The --preexisting mode makes N requests to PATH, signals --ready,
waits for --go to exist, then makes --after more on the same connection.
"""
import argparse
import http.client
import os
import socket
import sys
import time

HOST = '127.0.0.1'


class Tally:
    def __init__(self):
        self.exact = {}
        self.loose = {}

    def add(self, method, status, loose=False):
        d = self.loose if loose else self.exact
        d[(method, status)] = d.get((method, status), 0) + 1

    @staticmethod
    def write(d, path):
        with open(path, 'w', encoding='ascii') as f:
            for (m, s), n in sorted(d.items()):
                f.write('%s %d %d\n' % (m, s, n))


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def keepalive(port, t):
    """One http.client connection reused for many requests."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    body = os.urandom(50000)
    plan = [
        ('GET', '/cl/10', None), ('GET', '/cl/100000', None), ('GET', '/cl-slow/4000', None),
        ('GET', '/chunked', None), ('GET', '/chunked-trailer', None), ('GET', '/204', None),
        ('GET', '/304', None), ('HEAD', '/cl/5000', None), ('GET', '/status/404', None),
        ('GET', '/status/500', None), ('GET', '/status/503', None), ('POST', '/upload', body),
        ('POST', '/upload', b'k=v'), ('PUT', '/upload', body[:1234]), ('GET', '/cl/0', None),
        ('DELETE', '/cl/3', None), ('GET', '/chunked', None),
    ]
    sock = None
    for method, path, data in plan:
        conn.request(method, path, body=data)
        resp = conn.getresponse()
        payload = resp.read()
        if method != 'HEAD' and path.startswith('/cl/') and resp.status == 200:
            check(len(payload) == int(path[4:]), '%s %s: short body' % (method, path))
        if sock is None:
            sock = conn.sock
        check(conn.sock is sock, 'keep-alive connection was not reused at %s' % path)
        t.add(method, resp.status)
    conn.close()


def expect_100(port, t):
    """Expect: 100-continue: headers first, the body after the 100."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    body = os.urandom(20000)
    for _ in range(2):
        conn.putrequest('POST', '/upload')
        conn.putheader('Content-Length', str(len(body)))
        conn.putheader('Expect', '100-continue')
        conn.endheaders()
        time.sleep(0.05)  # let the interim answer arrive on its own
        conn.send(body)
        resp = conn.getresponse()  # http.client skips the 100
        resp.read()
        check(resp.status == 201, '100-continue upload got %d' % resp.status)
        t.add('POST', resp.status)
    conn.close()


def close_delimited_and_abort(port, t):
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request('GET', '/close')
    resp = conn.getresponse()
    data = resp.read()
    check(b'part 3' in data, 'close-delimited body incomplete: %r' % data[-40:])
    t.add('GET', resp.status)
    conn.close()

    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request('GET', '/abort')
    resp = conn.getresponse()
    try:
        resp.read()
        raise AssertionError('/abort: expected a cut-short body')
    except http.client.IncompleteRead as e:
        check(len(e.partial) == 1000, '/abort: got %d bytes' % len(e.partial))
    t.add('GET', resp.status, loose=True)
    conn.close()


class Reader:
    """Reads HTTP/1.x responses off a raw socket, one after the other."""

    def __init__(self, sock):
        self.f = sock.makefile('rb')

    def line(self):
        ln = self.f.readline(65537)
        check(ln.endswith(b'\r\n'), 'truncated line %r' % ln)
        return ln[:-2]

    def response(self, method):
        while True:
            status = int(self.line().split(b' ', 2)[1])
            headers = {}
            while True:
                ln = self.line()
                if not ln:
                    break
                k, v = ln.split(b':', 1)
                headers[k.strip().lower()] = v.strip()
            if status >= 200:
                break
        if method == 'HEAD' or status in (204, 304):
            return status
        if headers.get(b'transfer-encoding', b'').lower() == b'chunked':
            while True:
                size = int(self.line().split(b';')[0], 16)
                if size == 0:
                    while self.line():
                        pass
                    return status
                check(len(self.f.read(size)) == size, 'short chunk')
                self.line()
        if b'content-length' in headers:
            n = int(headers[b'content-length'])
            check(len(self.f.read(n)) == n, 'short body')
            return status
        self.f.read()
        return status


def req(method, path, extra=b'', body=b'', version=b'HTTP/1.1'):
    head = b'%s %s %s\r\nHost: 127.0.0.1\r\nUser-Agent: bt-e2e-raw\r\n' % (
        method.encode(), path.encode(), version)
    if body:
        head += b'Content-Length: %d\r\n' % len(body)
    return head + extra + b'\r\n' + body


def byte_by_byte(port, t):
    s = socket.create_connection((HOST, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rd = Reader(s)
    pad = b'X-Padding: ' + b'p' * 300 + b'\r\n'
    for method, path, body in (('GET', '/cl/20', b''), ('POST', '/upload', b'q' * 3000),
                               ('GET', '/chunked', b'')):
        data = req(method, path, pad, body)
        head_len = len(data) - len(body)
        for i in range(head_len):
            s.send(data[i:i + 1])
            if i % 16 == 0:
                time.sleep(0.0005)
        for off in range(head_len, len(data), 700):
            s.send(data[off:off + 700])
        t.add(method, rd.response(method))
    s.close()


def pipelined(port, t):
    s = socket.create_connection((HOST, port), timeout=10)
    rd = Reader(s)
    for batch in ((('GET', '/cl/7'), ('GET', '/status/404'), ('GET', '/chunked')),
                  (('GET', '/cl/1'), ('HEAD', '/cl/2'), ('GET', '/204'), ('GET', '/304'))):
        s.sendall(b''.join(req(m, p) for m, p in batch))
        for m, _ in batch:
            t.add(m, rd.response(m))
    s.close()


def http10(port, t):
    s = socket.create_connection((HOST, port), timeout=10)
    s.sendall(req('GET', '/cl/3', version=b'HTTP/1.0'))
    t.add('GET', Reader(s).response('GET'))
    s.close()


def preexisting(a, t):
    """Requests on one connection before and after the observer starts."""
    conn = http.client.HTTPConnection(HOST, a.port, timeout=30)
    sock = None
    for i in range(a.before + a.after):
        if i == a.before:
            open(a.ready, 'w').close()
            deadline = time.time() + 60
            while not os.path.exists(a.go):
                check(time.time() < deadline, 'no go signal')
                time.sleep(0.05)
        path = a.before_path if i < a.before else a.preexisting
        conn.request('GET', path)
        resp = conn.getresponse()
        resp.read()
        sock = sock or conn.sock
        check(conn.sock is sock, 'connection not reused at request %d' % i)
        if i >= a.before:
            t.add('GET', resp.status)
        print('request %d %s -> %d' % (i, path, resp.status), flush=True)
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--counts', required=True)
    ap.add_argument('--loose', required=True)
    ap.add_argument('--preexisting')
    ap.add_argument('--before-path', default='/status/418')
    ap.add_argument('--before', type=int, default=3)
    ap.add_argument('--after', type=int, default=5)
    ap.add_argument('--ready')
    ap.add_argument('--go')
    a = ap.parse_args()
    t = Tally()
    ok = True
    if a.preexisting:
        steps = [lambda p, tt: preexisting(a, tt)]
    else:
        steps = [keepalive, expect_100, close_delimited_and_abort, byte_by_byte, pipelined, http10]
    for step in steps:
        try:
            step(a.port, t)
            print('pyclient: %s ok' % getattr(step, '__name__', 'step'), flush=True)
        except (AssertionError, OSError, http.client.HTTPException, ValueError) as e:
            ok = False
            print('pyclient: %s FAILED: %r' % (getattr(step, '__name__', 'step'), e), flush=True)
    Tally.write(t.exact, a.counts)
    Tally.write(t.loose, a.loose)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
