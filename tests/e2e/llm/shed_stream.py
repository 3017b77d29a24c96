#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A slow OpenAI-style stream for tests/e2e/test_llm_shed.sh.

`serve PORT`: answers POST /v1/chat/completions with a chunked SSE stream
of --events content chunks of about 1 KB, paced to --mbps, then a finish
chunk, a usage chunk (completion_tokens = --events) and [DONE], like the
real API with stream_options.include_usage. Each SSE event is one HTTP
chunk, as OpenAI's servers send them.

`client PORT N [PROMPT_BYTES MAX_TOKENS]`: N such calls on one keep-alive
connection (http.client, reads of 64 KiB), optionally with a prompt of
PROMPT_BYTES and max_tokens (the answer's content chunks); prints the
completion tokens the server announced.
Plain HTTP on loopback, standard library only.
"""
import http.client
import http.server
import json
import sys
import time

TEXT = ("lorem ipsum dolor sit amet " * 40)[:1000]


def chunk(obj):
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    events = 3000
    mbps = 1.0

    def send_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        events = req.get("max_tokens", self.events)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        base = {"id": "chatcmpl-shed", "object": "chat.completion.chunk", "model": "shed-model"}
        t0, sent = time.monotonic(), 0
        for _ in range(events):
            ev = chunk(dict(base, choices=[{"index": 0, "delta": {"content": TEXT}}]))
            self.send_chunk(ev)
            sent += len(ev)
            ahead = sent / (self.mbps * 1e6) - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
        self.send_chunk(chunk(dict(base, choices=[{"index": 0, "delta": {},
                                                    "finish_reason": "stop"}])))
        self.send_chunk(chunk(dict(base, choices=[], usage={
            "prompt_tokens": 9, "completion_tokens": events,
            "total_tokens": 9 + events})))
        self.send_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def log_message(self, *args):
        pass


def client(port, n, prompt_bytes=2, max_tokens=None):
    req = {"model": "shed-model", "stream": True, "stream_options": {"include_usage": True},
           "messages": [{"role": "user", "content": "hi" * (prompt_bytes // 2)}]}
    if max_tokens is not None:
        req["max_tokens"] = max_tokens
    body = json.dumps(req)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    tokens = 0
    for _ in range(n):
        conn.request("POST", "/v1/chat/completions", body=body,
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = b""
        while True:
            d = resp.read(65536)
            if not d:
                break
            data += d
        for line in data.split(b"\n"):
            if line.startswith(b"data: {") and b'"usage"' in line:
                tokens += json.loads(line[6:])["usage"]["completion_tokens"]
    conn.close()
    print(tokens)


def main(argv):
    if len(argv) >= 3 and argv[1] == "serve":
        args = argv[3:]
        if "--events" in args:
            Handler.events = int(args[args.index("--events") + 1])
        if "--mbps" in args:
            Handler.mbps = float(args[args.index("--mbps") + 1])
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(argv[2])), Handler)
        srv.serve_forever()
    elif len(argv) in (4, 6) and argv[1] == "client":
        client(int(argv[2]), int(argv[3]), *(int(a) for a in argv[4:]))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
