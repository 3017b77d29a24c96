#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""One thread plays an HTTP client and a keep-alive server over loopback
TCP, N exchanges in a row: the request, nginx's response head and a
612-byte body, the same bytes every time. bench/hot_loop.sh runs it on
one CPU so each hooked call meets warm caches and no other process: the
BPF run time per call it yields moves by a few percent between runs,
where wrk against nginx moves by tens. Prints "loop_ns <ns per exchange>".

  hot_loop.py [N]
"""
import socket
import sys
import time

REQUEST = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:18900\r\n\r\n"
HEAD = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
        b"Date: Thu, 26 Nov 2026 16:30:00 GMT\r\nContent-Type: text/html\r\n"
        b"Content-Length: 612\r\nLast-Modified: Thu, 26 Nov 2026 16:00:00 GMT\r\n"
        b"Connection: keep-alive\r\nETag: \"6a1f2b3c-264\"\r\nAccept-Ranges: bytes\r\n\r\n")
BODY = b"x" * 612


def pair():
    """A connected client socket and the server's accepted end."""
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        client = socket.create_connection(ls.getsockname())
        server, _ = ls.accept()
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client, server


def main(argv):
    n = int(argv[1]) if len(argv) > 1 else 100000
    client, server = pair()
    want = len(HEAD) + len(BODY)
    t0 = time.perf_counter()
    for _ in range(n):
        client.sendall(REQUEST)
        server.recv(4096)
        server.sendall(HEAD)
        server.sendall(BODY)
        got = 0
        while got < want:
            chunk = client.recv(65536)
            if not chunk:
                raise SystemExit("server side closed")
            got += len(chunk)
    print("loop_ns %.0f" % ((time.perf_counter() - t0) / n * 1e9))
    client.close()
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
