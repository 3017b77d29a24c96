#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""HTTP/1.1 test server for the end-to-end tests (python3 http.server).

Serves the framings the observer must follow: Content-Length bodies,
chunked bodies written chunk by chunk by hand (with and without trailers),
204, 304, HEAD, 100-continue uploads, close-delimited HTTP/1.0-style
answers and an answer cut short by closing the connection. It keeps its
own count of every final status it sent per method and rewrites
--counts ("METHOD STATUS n" lines) after each one, so the test can
compare the observer with what the server really did. It listens on
loopback only and serves no files.

  GET|HEAD /cl/N          200, Content-Length N
  GET /cl-slow/N          200, Content-Length N written in 8 pieces
  GET /chunked            200, 5 chunks in separate writes
  GET /chunked-trailer    200, chunked with an extension and a trailer
  GET /status/NNN         NNN with a small Content-Length body
  GET /204, GET /304      no body
  POST|PUT /upload        201 after reading the body (Expect honoured)
  POST /api/...?status=N  N (default 200): an application API for business rules
  GET /close              200, no Content-Length, body ends at close
  GET /abort              206 announcing 100000 bytes, sends 1000, closes
  GET /slow/MS            200 after sleeping MS milliseconds
"""
import argparse
import http.server
import os
import signal
import sys
import threading
import time

COUNTS = {}
LOCK = threading.Lock()
COUNTS_PATH = None


def record(method, code):
    with LOCK:
        key = (method, int(code))
        COUNTS[key] = COUNTS.get(key, 0) + 1
        tmp = COUNTS_PATH + '.tmp'
        with open(tmp, 'w', encoding='ascii') as f:
            for (m, c), n in sorted(COUNTS.items()):
                f.write('%s %d %d\n' % (m, c, n))
        os.replace(tmp, COUNTS_PATH)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    # Header and body go out in separate writes; with Nagle on, a keep-alive
    # client's delayed ACK holds every answer 40 ms.
    disable_nagle_algorithm = True
    server_version = 'bt-e2e'

    def log_message(self, fmt, *args):
        pass

    def log_request(self, code='-', size='-'):
        # Called by send_response for final answers only: 100 Continue
        # goes through send_response_only.
        record(self.command, code)

    def body(self, code, data, ctype='text/plain'):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def chunked(self, trailer):
        self.send_response(200)
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        for i in range(5):
            part = (b'chunk-%d;' % i) * (i * 40 + 1)
            ext = b';ext=1' if trailer and i == 2 else b''
            self.wfile.write(b'%x%s\r\n' % (len(part), ext))
            self.wfile.write(part + b'\r\n')
            time.sleep(0.002)
        self.wfile.write(b'0\r\nX-Trailer: done\r\n\r\n' if trailer else b'0\r\n\r\n')

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.path
        if p.startswith('/cl/'):
            self.body(200, b'a' * int(p[4:]))
        elif p.startswith('/cl-slow/'):
            n = int(p[9:])
            self.send_response(200)
            self.send_header('Content-Length', str(n))
            self.end_headers()
            step = max(1, n // 8)
            for off in range(0, n, step):
                self.wfile.write(b'b' * min(step, n - off))
                time.sleep(0.003)
        elif p.startswith('/slow/'):
            time.sleep(int(p[6:]) / 1000.0)
            self.body(200, b'slept %s ms\n' % p[6:].encode())
        elif p.split('?', 1)[0] == '/search':
            # a page that takes a query (attack tools probe its parameters)
            self.body(200, b'%d results\n' % (len(p) % 7))
        elif p == '/chunked':
            self.chunked(False)
        elif p == '/chunked-trailer':
            self.chunked(True)
        elif p.startswith('/status/'):
            self.body(int(p[8:]), b'status %s\n' % p[8:].encode())
        elif p == '/204':
            self.send_response(204)
            self.end_headers()
        elif p == '/304':
            self.send_response(304)
            self.send_header('ETag', '"e2e"')
            self.end_headers()
        elif p == '/close':
            self.close_connection = True
            self.send_response(200)
            self.send_header('Connection', 'close')
            self.end_headers()
            for i in range(4):
                self.wfile.write(b'close-delimited part %d\n' % i)
                time.sleep(0.002)
        elif p == '/abort':
            self.close_connection = True
            self.send_response(206)
            self.send_header('Content-Length', '100000')
            self.end_headers()
            self.wfile.write(b'z' * 1000)
        else:
            self.body(404, b'not found\n')

    def do_POST(self):
        n = int(self.headers.get('Content-Length', '0'))
        got = 0
        while got < n:
            chunk = self.rfile.read(min(65536, n - got))
            if not chunk:
                break
            got += len(chunk)
        self.body(self.post_status(), b'got %d\n' % got)

    def post_status(self):
        """/upload is 201; /api/... answers the status its ?status= names
        (default 200), like an application API whose outcome the test picks."""
        path, _, query = self.path.partition('?')
        if path == '/upload':
            return 201
        if path.startswith('/api/'):
            for kv in query.split('&'):
                if kv.startswith('status=') and kv[7:].isdigit():
                    return int(kv[7:])
            return 200
        return 404

    do_PUT = do_POST
    do_DELETE = do_GET


def main():
    global COUNTS_PATH
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--counts', required=True)
    a = ap.parse_args()
    COUNTS_PATH = a.counts
    open(COUNTS_PATH, 'w', encoding='ascii').close()
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', a.port), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print('pyserver: pid %d listening on 127.0.0.1:%d' % (os.getpid(), a.port), flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    sys.exit(main())
