#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Raw HTTP/1.1 exchanges on one keep-alive connection, for
tests/e2e/test_boundary.sh.

`boundary_client.py PORT HELD RELEASE`: sends each request of PLAN, reads
its whole answer (Content-Length or none), then writes a JSON summary to
HELD: per "METHOD STATUS" counts and the exact bytes sent and received.
It keeps the connection open until the file RELEASE exists, then closes.
Standard library only; loopback only.
"""
import json
import os
import socket
import sys
import time

BODY = b"b" * 200_000  # answered by nginx before it has read it all
PLAN = [("GET", "/small.txt", b""), ("POST", "/post", BODY), ("GET", "/status/404", b""),
        ("GET", "/missing.txt", b""), ("HEAD", "/small.txt", b""), ("GET", "/status/204", b""),
        ("PUT", "/status/201", b"x=1"), ("GET", "/small.txt?q=1", b"")]


def answer(s, method):
    buf = b""
    while b"\r\n\r\n" not in buf:
        got = s.recv(65536)
        if not got:
            raise SystemExit("connection closed mid-answer")
        buf += got
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if method == "HEAD" or status in (204, 304):
        length = 0
    while len(rest) < length:
        rest += s.recv(65536)
    if len(rest) != length:
        raise SystemExit("answer longer than its Content-Length")
    return status, len(head) + 4 + length


def main(port, held, release):
    s = socket.create_connection(("127.0.0.1", int(port)))
    counts, sent, received = {}, 0, 0
    for method, path, body in PLAN:
        req = (f"{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n\r\n"
               .encode() + body)
        s.sendall(req)
        status, n = answer(s, method)
        key = f"{method} {status}"
        counts[key] = counts.get(key, 0) + 1
        sent += len(req)
        received += n
    with open(held + ".tmp", "w") as f:
        json.dump({"counts": counts, "sent": sent, "received": received,
                   "requests": len(PLAN)}, f)
    os.rename(held + ".tmp", held)
    for _ in range(600):
        if os.path.exists(release):
            break
        time.sleep(0.05)
    s.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
