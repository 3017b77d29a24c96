#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""LLM-path load for bench/run.sh: a mock OpenAI-compatible server that
streams large SSE answers fast, and a client that pulls them.

`serve` answers POST .../chat/completions with one prebuilt SSE stream of
about --mb MB: content chunks, a finish chunk, a usage chunk
(stream_options.include_usage style) and [DONE], sent with Content-Length
over keep-alive. `client` makes --count requests on one keep-alive
connection, reads each body with recv() of --bufsize bytes (64 KiB, what
httpx and most SDKs use), optionally paced to --rate-mbps read by read (a
sustained rate: pacing whole responses would read each one as a burst at
loopback speed and measure the ring's burst capacity instead), and prints one
JSON line: bytes, seconds, MB/s and the tokens the server announced, so the
caller can compare them with biothings_llm_tokens_total.

Plain HTTP on loopback, stdlib only. It must not need network access or
any package outside the standard library.
"""
import argparse
import http.server
import json
import socket
import sys
import time

PROMPT_TOKENS = 17


def build_stream(mb):
    """One SSE body of about mb MB and its completion token count."""
    text = ("lorem ipsum dolor sit amet " * 40)[:1000]
    chunk = {"id": "chatcmpl-bench", "object": "chat.completion.chunk",
             "created": 1700000000, "model": "bench-model",
             "choices": [{"index": 0, "delta": {"content": text},
                          "finish_reason": None}]}
    event = b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"
    n = max(1, int(mb * 1e6) // len(event))
    finish = dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])
    usage = dict(chunk, choices=[], usage={"prompt_tokens": PROMPT_TOKENS,
                                           "completion_tokens": n,
                                           "total_tokens": PROMPT_TOKENS + n})
    tail = b"".join(b"data: " + json.dumps(c, separators=(",", ":")).encode() + b"\n\n"
                    for c in (finish, usage)) + b"data: [DONE]\n\n"
    return event * n + tail, n


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b""
    tokens = 0

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def serve(args):
    Handler.body, Handler.tokens = build_stream(args.mb)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(json.dumps({"port": args.port, "body_bytes": len(Handler.body),
                      "completion_tokens": Handler.tokens}), flush=True)
    srv.serve_forever()


class Pacer:
    """Sleeps after each read while the bytes read so far are ahead of
    rate_mbps (0: never)."""

    def __init__(self, rate_mbps):
        self.rate = rate_mbps * 1e6
        self.total = 0
        self.t0 = time.monotonic()

    def read(self, n):
        self.total += n
        if self.rate > 0:
            ahead = self.total / self.rate - (time.monotonic() - self.t0)
            if ahead > 0:
                time.sleep(ahead)


def read_response(sock, buf, bufsize, pacer):
    """Reads one Content-Length response; returns (status, body bytes)."""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(bufsize)
        if not d:
            raise ConnectionError("closed in headers")
        pacer.read(len(d))
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    got = len(rest)
    while got < length:
        d = sock.recv(min(bufsize, length - got))
        if not d:
            raise ConnectionError("closed in body")
        pacer.read(len(d))
        got += len(d)
    return status, length


def client(args):
    body = json.dumps({"model": "bench-model", "stream": True,
                       "stream_options": {"include_usage": True},
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
           % (args.port, len(body))) + body
    sock = socket.create_connection(("127.0.0.1", args.port))
    total, ok = 0, 0
    t0 = time.monotonic()
    pacer = Pacer(args.rate_mbps)
    for _ in range(args.count):
        sock.sendall(req)
        status, n = read_response(sock, b"", args.bufsize, pacer)
        ok += status == 200
        total += n
    secs = time.monotonic() - t0
    sock.close()
    print(json.dumps({"responses": args.count, "ok": ok, "bytes": total,
                      "seconds": round(secs, 4), "mb_per_s": round(total / secs / 1e6, 1)}))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--mb", type=float, default=10.0)
    c = sub.add_parser("client")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--count", type=int, default=20)
    c.add_argument("--bufsize", type=int, default=65536)
    c.add_argument("--rate-mbps", type=float, default=0.0)
    args = p.parse_args()
    serve(args) if args.cmd == "serve" else client(args)


if __name__ == "__main__":
    sys.exit(main())
