#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Expected LLM metrics from the mock's log of the calls it served.

mock_llm.py appends one JSON line per call with the raw usage exactly as it
put it on the wire. This script applies the normalisation documented in
docs/llm.md (e.g. Anthropic input = input + cache_read + cache_creation;
Gemini thoughts count as output and as reasoning) and writes "labels...
value" files that tests/e2e/promq.py can compare with the observer's
metrics. It reads the log only; it never talks to the observer.

  expect.py LOG OUTDIR

Files written in OUTDIR (keys in the order of the promq group labels):
  requests.txt    service_name provider status
  tokens.txt      service_name provider model token_type
  errors.txt      service_name provider model status error_type
  unparsed.txt    provider reason
  ttft.txt        service_name gen_ai_provider_name      (streams with content)
  duration.txt    service_name gen_ai_provider_name      (every answered call)
  usage_sum.txt   service_name gen_ai_provider_name gen_ai_token_type
  ratelimit.txt   provider limit                         (last value served)
  retry_after.txt provider                               (last value served)
"""
import json
import os
import sys

OTEL = {'gemini': 'gcp.gemini', 'vertex_ai': 'gcp.vertex_ai', 'azure_openai': 'azure.ai.openai'}
TYPES = ('input', 'output', 'cache_read', 'cache_creation', 'reasoning')
RATELIMIT = {
    'x-ratelimit-remaining-requests': 'requests',
    'anthropic-ratelimit-requests-remaining': 'requests',
    'x-ratelimit-remaining-tokens': 'tokens',
    'anthropic-ratelimit-tokens-remaining': 'tokens',
    'anthropic-ratelimit-input-tokens-remaining': 'input_tokens',
    'anthropic-ratelimit-output-tokens-remaining': 'output_tokens',
}


def g(d, *path):
    for p in path:
        if not isinstance(d, dict):
            return 0
        d = d.get(p)
    return d or 0


def normalise(api, u):
    """{token_type: n} for one call's raw usage, as docs/llm.md defines it."""
    if api == 'openai_chat':
        return {'input': g(u, 'prompt_tokens'), 'output': g(u, 'completion_tokens'),
                'cache_read': g(u, 'prompt_tokens_details', 'cached_tokens'),
                'cache_creation': g(u, 'prompt_tokens_details', 'cache_write_tokens'),
                'reasoning': g(u, 'completion_tokens_details', 'reasoning_tokens')}
    if api == 'openai_responses':
        return {'input': g(u, 'input_tokens'), 'output': g(u, 'output_tokens'),
                'cache_read': g(u, 'input_tokens_details', 'cached_tokens'),
                'cache_creation': g(u, 'input_tokens_details', 'cache_write_tokens'),
                'reasoning': g(u, 'output_tokens_details', 'reasoning_tokens')}
    if api == 'openai_embeddings':
        return {'input': g(u, 'prompt_tokens')}
    if api == 'anthropic_messages':
        cr, cc = g(u, 'cache_read_input_tokens'), g(u, 'cache_creation_input_tokens')
        return {'input': g(u, 'input_tokens') + cr + cc, 'output': g(u, 'output_tokens'),
                'cache_read': cr, 'cache_creation': cc,
                'reasoning': g(u, 'output_tokens_details', 'thinking_tokens')}
    if api in ('gemini_generate', 'gemini_stream'):
        th = g(u, 'thoughtsTokenCount')
        return {'input': g(u, 'promptTokenCount') + g(u, 'toolUsePromptTokenCount'),
                'output': g(u, 'candidatesTokenCount') + th,
                'cache_read': g(u, 'cachedContentTokenCount'), 'reasoning': th}
    if api in ('cohere_v2', 'cohere_v1'):
        billed = u.get('billed_units') or {}
        return {'input': billed.get('input_tokens') or g(u, 'tokens', 'input_tokens'),
                'output': billed.get('output_tokens') or 0}
    if api in ('ollama_chat', 'ollama_generate'):
        return {'input': g(u, 'prompt_eval_count'), 'output': g(u, 'eval_count')}
    raise ValueError('unknown api %r' % api)


def error_type(api, status, body):
    if isinstance(body, list) and body:
        body = body[0]
    err = body.get('error') if isinstance(body, dict) else None
    if api.startswith('openai') and isinstance(err, dict):
        return err.get('type') or err.get('code') or str(status)
    if api.startswith('anthropic') and isinstance(err, dict):
        return err.get('type') or str(status)
    if api.startswith('gemini') and isinstance(err, dict):
        return err.get('status') or str(status)
    return str(status)


def unparsed_reason(c):
    """The reason docs/llm.md gives for a served call, or None if readable."""
    scen = set(c['scenario'])
    if c['status'] >= 400:
        return None
    if 'drop' in scen and c['cut']:
        return 'stream_cut' if c['stream'] else 'truncated'
    if 'truncated' in scen:
        return 'truncated'
    if 'garbage' in scen:
        return 'bad_json'
    if c['usage'] is None:
        return 'no_usage'
    return None


def add(acc, key, n=1):
    acc[key] = acc.get(key, 0) + n


def main(argv):
    log, out = argv[1], argv[2]
    req, tok, err, unp, ttft, dur, usum, rl, ra = ({} for _ in range(9))
    with open(log, encoding='utf-8') as f:
        calls = [json.loads(line) for line in f if line.strip()]
    for c in calls:
        svc, prov, st = c['client'], c['provider'], c['status']
        otel = OTEL.get(prov, prov)
        model = c['model_resp'] or c['model_req'] or 'unknown'
        add(req, (svc, prov, str(st)))
        add(dur, (svc, otel))
        if st >= 400:
            add(err, (svc, prov, c['model_req'] or 'unknown', str(st),
                      error_type(c['api'], st, c['error_body'])))
        reason = unparsed_reason(c)
        if reason:
            add(unp, (prov, reason))
        elif st < 400:
            n = normalise(c['api'], c['usage'])
            for t in TYPES:
                if n.get(t):
                    add(tok, (svc, prov, model, t), n[t])
            for t in ('input', 'output'):
                if n.get(t):
                    add(usum, (svc, otel, t), n[t])
        if c['stream'] and st == 200 and c['content_events'] > 0:
            add(ttft, (svc, otel))
        for h, v in c['headers'].items():
            if h in RATELIMIT:
                rl[(prov, RATELIMIT[h])] = int(v)
            if h == 'retry-after':
                ra[(prov,)] = int(v)
    os.makedirs(out, exist_ok=True)
    for name, acc in (('requests', req), ('tokens', tok), ('errors', err),
                      ('unparsed', unp), ('ttft', ttft), ('duration', dur),
                      ('usage_sum', usum), ('ratelimit', rl), ('retry_after', ra)):
        with open(os.path.join(out, name + '.txt'), 'w', encoding='utf-8') as f:
            for k in sorted(acc):
                if acc[k]:
                    f.write('%s %d\n' % (' '.join(k), acc[k]))
    print('expect: %d calls served, %d streamed, %d with errors, %d unparsed'
          % (len(calls), sum(1 for c in calls if c['stream']), sum(err.values()),
             sum(unp.values())))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
