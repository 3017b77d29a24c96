// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// OTLP/HTTP JSON receiver for tests/e2e/test_traces.sh.
//
// Every POST /v1/traces body is checked against the official OTLP protobuf
// types, as compiled by protobufjs into @opentelemetry/otlp-transformer's
// generated module: no field the type does not have (at any depth), trace
// and span ids as hex of the right length (the OTLP/JSON rule), enums as
// integers, int64 times as decimal strings, then
// ExportTraceServiceRequest.fromObject, verify, and an encode/decode round
// trip that must keep every span. A body that passes is answered 200 and
// its spans are appended to --out, one JSON object per line, flattened for
// the checker (check_traces.py); one that fails is answered 400 and the
// reason appended to --errors. It listens on 127.0.0.1 only.
//
//   node receiver.mjs --port P --out spans.jsonl --errors errors.txt --ready FILE

import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = require(
  './node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js');
const pb = root.opentelemetry.proto;
const T = {
  Request: pb.collector.trace.v1.ExportTraceServiceRequest,
  ResourceSpans: pb.trace.v1.ResourceSpans,
  Resource: pb.resource.v1.Resource,
  ScopeSpans: pb.trace.v1.ScopeSpans,
  Scope: pb.common.v1.InstrumentationScope,
  Span: pb.trace.v1.Span,
  Status: pb.trace.v1.Status,
  KeyValue: pb.common.v1.KeyValue,
  AnyValue: pb.common.v1.AnyValue,
  ArrayValue: pb.common.v1.ArrayValue,
};
// Which message type each message-typed field holds ([x]: repeated).
const NESTED = {
  Request: { resourceSpans: ['ResourceSpans'] },
  ResourceSpans: { resource: 'Resource', scopeSpans: ['ScopeSpans'] },
  Resource: { attributes: ['KeyValue'] },
  ScopeSpans: { scope: 'Scope', spans: ['Span'] },
  Scope: { attributes: ['KeyValue'] },
  Span: { attributes: ['KeyValue'], status: 'Status' },
  KeyValue: { value: 'AnyValue' },
  AnyValue: { arrayValue: 'ArrayValue' },
  ArrayValue: { values: ['AnyValue'] },
};

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].slice(2)] = process.argv[i + 1];

// The field names the official type declares (protobufjs puts them on the prototype).
function fieldsOf(type) {
  return new Set(Object.keys(T[type].prototype).filter((k) => k !== 'toJSON'));
}

function strict(obj, type, where) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    throw new Error(`${where}: not an object`);
  const known = fieldsOf(type);
  for (const [k, v] of Object.entries(obj)) {
    if (!known.has(k)) throw new Error(`${where}: ${type} has no field ${k}`);
    const sub = (NESTED[type] || {})[k];
    if (!sub) continue;
    if (Array.isArray(sub)) {
      if (!Array.isArray(v)) throw new Error(`${where}.${k}: not an array`);
      v.forEach((x, i) => strict(x, sub[0], `${where}.${k}[${i}]`));
    } else {
      strict(v, sub, `${where}.${k}`);
    }
  }
}

const HEX = { traceId: 32, spanId: 16, parentSpanId: 16 };

// OTLP/JSON differs from the proto3 mapping for ids: hex, not base64.
function spanForProto(s, where) {
  const out = { ...s };
  for (const [k, n] of Object.entries(HEX)) {
    if (!(k in s)) {
      if (k !== 'parentSpanId') throw new Error(`${where}: no ${k}`);
      continue;
    }
    if (typeof s[k] !== 'string' || !new RegExp(`^[0-9a-f]{${n}}$`).test(s[k]) || /^0+$/.test(s[k]))
      throw new Error(`${where}: ${k} ${JSON.stringify(s[k])} is not ${n} hex digits`);
    out[k] = Buffer.from(s[k], 'hex');
  }
  for (const k of ['startTimeUnixNano', 'endTimeUnixNano'])
    if (typeof s[k] !== 'string' || !/^[0-9]+$/.test(s[k]))
      throw new Error(`${where}: ${k} is not a decimal string`);
  if (!Number.isInteger(s.kind)) throw new Error(`${where}: kind is not an integer`);
  if (s.status && 'code' in s.status && !Number.isInteger(s.status.code))
    throw new Error(`${where}: status.code is not an integer`);
  if (BigInt(s.endTimeUnixNano) < BigInt(s.startTimeUnixNano))
    throw new Error(`${where}: ends before it starts`);
  return out;
}

function flatValue(v) {
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) {
    if (typeof v.intValue !== 'string' || !/^-?[0-9]+$/.test(v.intValue))
      throw new Error(`intValue ${JSON.stringify(v.intValue)} is not a decimal string`);
    return Number(v.intValue);
  }
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return (v.arrayValue.values || []).map(flatValue);
  throw new Error(`unexpected value ${JSON.stringify(v)}`);
}

function flatAttrs(list) {
  const o = {};
  for (const kv of list || []) {
    if (kv.key in o) throw new Error(`attribute ${kv.key} twice`);
    o[kv.key] = flatValue(kv.value);
  }
  return o;
}

let seq = 0;

function check(body) {
  const req = JSON.parse(body);
  strict(req, 'Request', 'request');
  const lines = [];
  let n = 0;
  const forProto = { resourceSpans: [] };
  (req.resourceSpans || []).forEach((rs, i) => {
    const res = flatAttrs(rs.resource && rs.resource.attributes);
    if (typeof res['service.name'] !== 'string') throw new Error(`resourceSpans[${i}]: no service.name`);
    const copy = { ...rs, scopeSpans: [] };
    (rs.scopeSpans || []).forEach((ss, j) => {
      const spans = (ss.spans || []).map((s, k) => spanForProto(s, `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`));
      copy.scopeSpans.push({ ...ss, spans });
      for (const s of ss.spans || []) {
        n++;
        lines.push(JSON.stringify({
          seq: seq++, service: res['service.name'], scope: ss.scope && ss.scope.name,
          traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || '',
          name: s.name, kind: s.kind, start: s.startTimeUnixNano, end: s.endTimeUnixNano,
          attrs: flatAttrs(s.attributes), status: s.status || {},
        }));
      }
    });
    forProto.resourceSpans.push(copy);
  });
  const msg = T.Request.fromObject(forProto);
  const err = T.Request.verify(msg);
  if (err) throw new Error(`verify: ${err}`);
  const back = T.Request.decode(T.Request.encode(msg).finish());
  let m = 0;
  for (const rs of back.resourceSpans) for (const ss of rs.scopeSpans) m += ss.spans.length;
  if (m !== n) throw new Error(`round trip kept ${m} of ${n} spans`);
  for (const rs of back.resourceSpans)
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans)
        if (s.traceId.length !== 16 || s.spanId.length !== 8)
          throw new Error('decoded ids have the wrong length');
  return lines;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let lines;
    try {
      if (req.method !== 'POST' || req.url !== '/v1/traces')
        throw new Error(`${req.method} ${req.url}`);
      if ((req.headers['content-type'] || '').split(';')[0].trim() !== 'application/json')
        throw new Error(`content-type ${req.headers['content-type']}`);
      lines = check(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      fs.appendFileSync(args.errors, `${e.message}\n`);
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: e.message }));
      return;
    }
    if (lines.length) fs.appendFileSync(args.out, lines.join('\n') + '\n');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
});

server.listen(Number(args.port), '127.0.0.1', () => {
  fs.writeFileSync(args.ready, `${process.pid}\n`);
  console.log(`otlp receiver pid ${process.pid} on 127.0.0.1:${args.port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
