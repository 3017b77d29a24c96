#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Client of test_security_inspect.sh: requests whose attack (or harmless
text) sits only in headers or the body, never in the request target.

  inspect_client.py PORT attacks CORPORA SECRET  prints "<type> <n>" lines:
      how many requests of each type it sent (each one must be one event)
  inspect_client.py PORT benign CORPORA          prints "sent <n>"

Attacks: the first payloads of each SQL injection corpus (known misses
left out) in a form body, a JSON body and a Cookie; some split so that
the body arrives in a later read than the headers; XSS in User-Agent,
Referer, a JSON body and a User-Agent 900 bytes into the request; SQL
injection in X-Forwarded-For. The Cookie
also carries SECRET, which must never appear in anything the observer
writes. Benign: the harmless corpus as form and JSON bodies and Referer.
"""
import http.client
import json
import os
import socket
import sys
import time
import urllib.parse

PER_FILE = 3
SQLI_FILES = ['sqli_tautology.txt', 'sqli_union.txt', 'sqli_stacked.txt', 'sqli_time.txt',
              'sqli_error.txt', 'sqli_comment.txt', 'sqli_evasion.txt']


def misses(corpora):
    out = set()
    for line in open(os.path.join(corpora, 'known_misses.txt'), encoding='utf-8'):
        if line.startswith('#') or '\t' not in line:
            continue
        where, text = line.rstrip('\n').split('\t', 1)
        out.add((where.split(':', 1)[1], text))
    return out


def lines(corpora, name, skip):
    for line in open(os.path.join(corpora, name), encoding='utf-8'):
        line = line.rstrip('\n')
        if line and (name, line) not in skip:
            yield line


def post(conn, path, body, ctype, headers=None):
    h = {'Content-Type': ctype}
    h.update(headers or {})
    conn.request('POST', path, body=body.encode(), headers=h)
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        raise SystemExit('unexpected status %d for %s' % (r.status, path))


def get(conn, path, headers):
    conn.request('GET', path, headers=headers)
    r = conn.getresponse()
    r.read()


def split_post(port, path, body):
    """Headers in one write, the body 100 ms later in another."""
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(('POST %s HTTP/1.1\r\nHost: lab\r\nContent-Type: application/x-www-form-urlencoded'
               '\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % (path, len(body))).encode())
    time.sleep(0.1)
    s.sendall(body.encode())
    while s.recv(65536):
        pass
    s.close()


def attacks(port, corpora, secret):
    skip = misses(corpora)
    payloads = []
    for f in SQLI_FILES:
        payloads += list(lines(corpora, f, skip))[:PER_FILE]
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    n_sqli = 0
    for p in payloads:
        post(conn, '/api/form', urllib.parse.urlencode({'user': 'ann', 'q': p}),
             'application/x-www-form-urlencoded')
        post(conn, '/api/json', json.dumps({'filter': {'name': p}}), 'application/json')
        get(conn, '/cl/10', {'Cookie': 'session=%s; pref=%s' % (secret, urllib.parse.quote(p))})
        n_sqli += 3
    for p in payloads[:4]:
        split_post(port, '/api/split', urllib.parse.urlencode({'q': p}))
        n_sqli += 1
    get(conn, '/cl/10', {'X-Forwarded-For': "10.0.0.1' OR '1'='1"})
    n_sqli += 1
    get(conn, '/cl/10', {'User-Agent': '<script>alert(document.cookie)</script>'})
    get(conn, '/cl/10', {'Referer': 'http://lab/?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E'})
    post(conn, '/api/json', json.dumps({'bio': '<svg onload=alert(1)>'}), 'application/json')
    # past the framer's 512-byte window, so copied from user memory, not from it
    get(conn, '/cl/10', {'X-Pad': 'p' * 900, 'User-Agent': '<script>alert(2)</script>'})
    print('sql_injection %d' % n_sqli)
    print('xss 4')


def benign(port, corpora):
    skip = misses(corpora)
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    n = 0
    for line in lines(corpora, 'benign_text.txt', skip):
        post(conn, '/api/form', urllib.parse.urlencode({'comment': line}),
             'application/x-www-form-urlencoded')
        post(conn, '/api/json', json.dumps({'comment': line, 'tags': ['a', 'b']}),
             'application/json')
        get(conn, '/cl/10', {'Referer': 'http://lab/search?q=' + urllib.parse.quote(line)})
        n += 3
    print('sent %d' % n)


def main():
    port, mode, corpora = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode == 'attacks':
        attacks(port, corpora, sys.argv[4])
    else:
        benign(port, corpora)


if __name__ == '__main__':
    main()
