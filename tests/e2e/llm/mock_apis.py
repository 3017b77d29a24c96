#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The wire shapes of the LLM provider APIs, for mock_llm.py.

One function per API path: it draws the call's token counts, builds the
answer exactly as the provider puts it on the wire (bodies, SSE / NDJSON /
JSON-array events, error bodies and rate-limit headers) and hands it to the
request handler, which owns framing, compression and the fault scenarios.
It records on the Call what it served (usage as sent, models); it never
touches sockets itself and never sees credentials.
"""
import base64
import json
import struct
import time

# ------------------------------------------------------------------ usage

def openai_usage(c, responses=False):
    p, o = c.r(10, 5000), c.r(1, 2000)
    cached = c.r(0, p) if c.r(0, 1) else 0
    reasoning = c.r(0, o) if c.r(0, 1) else 0
    if responses:
        u = {'input_tokens': p, 'input_tokens_details': {'cached_tokens': cached},
             'output_tokens': o, 'output_tokens_details': {'reasoning_tokens': reasoning},
             'total_tokens': p + o}
    else:
        u = {'prompt_tokens': p, 'completion_tokens': o, 'total_tokens': p + o,
             'prompt_tokens_details': {'cached_tokens': cached, 'audio_tokens': 0},
             'completion_tokens_details': {'reasoning_tokens': reasoning, 'audio_tokens': 0,
                                           'accepted_prediction_tokens': 0,
                                           'rejected_prediction_tokens': 0}}
        if c.provider == 'openrouter':
            w = c.r(0, p - cached)
            u['prompt_tokens_details']['cache_write_tokens'] = w
            u['cost'] = round(p * 1e-6 + o * 4e-6, 8)
            u['cost_details'] = {'upstream_inference_cost': None}
    return u


def anthropic_usage(c):
    return {'input_tokens': c.r(1, 3000), 'output_tokens': c.r(1, 1500),
            'cache_creation_input_tokens': c.r(0, 2000) if c.r(0, 1) else 0,
            'cache_read_input_tokens': c.r(0, 8000) if c.r(0, 1) else 0,
            'service_tier': 'standard'}


def gemini_usage(c):
    p, cand, th = c.r(5, 4000), c.r(1, 1500), c.r(0, 900)
    u = {'promptTokenCount': p, 'candidatesTokenCount': cand,
         'totalTokenCount': p + cand + th,
         'promptTokensDetails': [{'modality': 'TEXT', 'tokenCount': p}]}
    if th:
        u['thoughtsTokenCount'] = th
    if c.r(0, 1):
        u['cachedContentTokenCount'] = c.r(1, p)
    return u


def cohere_usage(c):
    i, o = c.r(1, 3000), c.r(1, 1500)
    return {'billed_units': {'input_tokens': i, 'output_tokens': o},
            'tokens': {'input_tokens': i + c.r(50, 300), 'output_tokens': o + c.r(0, 3)}}


def ollama_usage(c):
    return {'prompt_eval_count': c.r(1, 3000), 'eval_count': c.r(1, 1500)}



def sse(obj, event=None, eol='\n'):
    head = 'event: %s%s' % (event, eol) if event else ''
    return '%sdata: %s%s%s' % (head, json.dumps(obj), eol, eol)


# ------------------------------------------------------------------ OpenAI

OPENAI_SNAPSHOTS = {'gpt-4o': 'gpt-4o-2024-08-06', 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18'}


def openai_chat(h, c):
    if h.maybe_error(c, 'openai'):
        return
    model = c.model_req or (c.path.split('/deployments/')[1].split('/')[0]
                            if '/deployments/' in c.path else 'unknown')
    c.model_resp = OPENAI_SNAPSHOTS.get(model, model)
    base = {'id': 'chatcmpl-mock%d' % c.n, 'created': int(time.time()),
            'model': c.model_resp, 'system_fingerprint': 'fp_mock'}
    if not c.body.get('stream'):
        c.usage = openai_usage(c)
        h.send_json(c, dict(base, object='chat.completion', choices=[{
            'index': 0, 'message': {'role': 'assistant', 'content': c.text(), 'refusal': None},
            'logprobs': None, 'finish_reason': 'stop'}], usage=c.usage,
            service_tier='default'))
        return
    opts = c.body.get('stream_options') or {}
    with_usage = opts.get('include_usage') or c.provider == 'openrouter'
    usage = openai_usage(c) if with_usage else None
    chunk = dict(base, object='chat.completion.chunk')
    if with_usage:
        chunk['usage'] = None
    h.stream_start(c, 'text/event-stream; charset=utf-8')
    orp = c.provider == 'openrouter'
    if orp:
        h.emit(': OPENROUTER PROCESSING\n\n')
    h.emit(sse(dict(chunk, choices=[{'index': 0, 'delta': {'role': 'assistant', 'content': ''},
                                     'logprobs': None, 'finish_reason': None}])))
    events = []
    for i, w in enumerate(c.pieces()):
        if orp and i % 3 == 1:
            events.append(': OPENROUTER PROCESSING\n\n' + sse(dict(chunk, choices=[{
                'index': 0, 'delta': {'content': w}, 'finish_reason': None}])))
        else:
            events.append(sse(dict(chunk, choices=[{'index': 0, 'delta': {'content': w},
                                                    'logprobs': None, 'finish_reason': None}])))
    final = [sse(dict(chunk, choices=[{'index': 0, 'delta': {}, 'logprobs': None,
                                      'finish_reason': 'stop'}]))]
    if with_usage:
        final.append(sse(dict(chunk, choices=[], usage=usage)))
    final.append('data: [DONE]\n\n')
    if h.stream_events(c, events, final, -2):
        c.usage = usage


def openai_responses(h, c):
    if h.maybe_error(c, 'openai'):
        return
    c.model_resp = OPENAI_SNAPSHOTS.get(c.model_req, c.model_req)
    usage = openai_usage(c, responses=True)
    rid = 'resp_mock%d' % c.n
    resp = {'id': rid, 'object': 'response', 'created_at': int(time.time()),
            'status': 'completed', 'model': c.model_resp, 'output': [{
                'type': 'message', 'id': 'msg_1', 'status': 'completed', 'role': 'assistant',
                'content': [{'type': 'output_text', 'text': c.text(), 'annotations': []}]}],
            'error': None, 'incomplete_details': None, 'usage': usage}
    if not c.body.get('stream'):
        c.usage = usage
        h.send_json(c, resp)
        return
    h.stream_start(c, 'text/event-stream; charset=utf-8')
    seq = [0]

    def ev(kind, **kw):
        seq[0] += 1
        return sse(dict(type=kind, sequence_number=seq[0] - 1, **kw), kind)
    pending = dict(resp, status='in_progress', output=[], usage=None)
    h.emit(ev('response.created', response=pending))
    h.emit(ev('response.in_progress', response=pending))
    h.emit(ev('response.output_item.added', output_index=0, item={
        'type': 'message', 'id': 'msg_1', 'status': 'in_progress', 'role': 'assistant',
        'content': []}))
    events = [ev('response.output_text.delta', item_id='msg_1', output_index=0,
                 content_index=0, delta=w) for w in c.pieces()]
    final = [ev('response.output_text.done', item_id='msg_1', output_index=0,
                content_index=0, text='done'),
             ev('response.completed', response=resp)]
    if h.stream_events(c, events, final):
        c.usage = usage


def openai_embeddings(h, c):
    if h.maybe_error(c, 'openai'):
        return
    c.model_resp = c.model_req
    inputs = c.body.get('input')
    n = len(inputs) if isinstance(inputs, list) else 1
    vec = [0.25, -0.5, 0.125, 1.0]
    if c.body.get('encoding_format') == 'base64':
        emb = base64.b64encode(struct.pack('<4f', *vec)).decode()
    else:
        emb = vec
    p = c.r(1, 800)
    c.usage = {'prompt_tokens': p, 'total_tokens': p}
    h.send_json(c, {'object': 'list', 'data': [
        {'object': 'embedding', 'index': i, 'embedding': emb} for i in range(n)],
        'model': c.model_resp, 'usage': c.usage})


# ------------------------------------------------------------------ Anthropic

def anthropic_messages(h, c):
    if h.maybe_error(c, 'anthropic'):
        return
    c.model_resp = c.model_req
    usage = anthropic_usage(c)
    msg = {'id': 'msg_mock%d' % c.n, 'type': 'message', 'role': 'assistant',
           'model': c.model_resp, 'content': [{'type': 'text', 'text': c.text()}],
           'stop_reason': 'end_turn', 'stop_sequence': None, 'usage': usage}
    rl = {'anthropic-ratelimit-requests-remaining': 49,
          'anthropic-ratelimit-tokens-remaining': 39000}
    if not c.body.get('stream'):
        c.usage = usage
        h.send_json(c, msg, extra=rl)
        return
    h.stream_start(c, 'text/event-stream; charset=utf-8')
    start_usage = dict(usage, output_tokens=1)
    h.emit(sse({'type': 'message_start', 'message': dict(
        msg, content=[], stop_reason=None, usage=start_usage)}, 'message_start'))
    h.emit(sse({'type': 'content_block_start', 'index': 0,
                'content_block': {'type': 'text', 'text': ''}}, 'content_block_start'))
    h.emit(sse({'type': 'ping'}, 'ping'))
    events = [sse({'type': 'content_block_delta', 'index': 0,
                   'delta': {'type': 'text_delta', 'text': w}}, 'content_block_delta')
              for w in c.pieces()]
    delta_usage = {'output_tokens': usage['output_tokens']}
    if c.r(0, 1):  # newer API versions repeat the cumulative input side
        for k in ('input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'):
            delta_usage[k] = usage[k]
    final = [sse({'type': 'content_block_stop', 'index': 0}, 'content_block_stop'),
             sse({'type': 'message_delta', 'delta': {'stop_reason': 'end_turn',
                                                     'stop_sequence': None},
                  'usage': delta_usage}, 'message_delta'),
             sse({'type': 'message_stop'}, 'message_stop')]
    if h.stream_events(c, events, final, 1):
        c.usage = usage


# ------------------------------------------------------------------ Gemini

def gemini_model(c):
    seg = c.path.split('/models/', 1)[-1]
    return seg.split(':', 1)[0]


def gemini_generate(h, c):
    c.model_req = gemini_model(c)
    if h.maybe_error(c, 'gemini'):
        return
    c.model_resp = c.model_req
    usage = gemini_usage(c)
    cand = {'content': {'parts': [{'text': c.text()}], 'role': 'model'},
            'finishReason': 'STOP', 'index': 0}
    c.usage = usage
    h.send_json(c, {'candidates': [cand], 'usageMetadata': usage,
                    'modelVersion': c.model_resp, 'responseId': 'mockresp%d' % c.n})


def gemini_stream(h, c):
    c.model_req = gemini_model(c)
    if h.maybe_error(c, 'gemini'):
        return
    c.model_resp = c.model_req
    usage = gemini_usage(c)
    alt_sse = c.query.get('alt', [''])[0] == 'sse'
    partial = {'promptTokenCount': usage['promptTokenCount'],
               'totalTokenCount': usage['promptTokenCount']}

    def chunk(text, final=False):
        cand = {'content': {'parts': [{'text': text}], 'role': 'model'}, 'index': 0}
        if final:
            cand['finishReason'] = 'STOP'
        return {'candidates': [cand], 'usageMetadata': usage if final else partial,
                'modelVersion': c.model_resp, 'responseId': 'mockresp%d' % c.n}
    pieces = c.pieces()
    if alt_sse:
        h.stream_start(c, 'text/event-stream')
        events = [sse(chunk(w), eol='\r\n') for w in pieces[:-1]]
        final = [sse(chunk(pieces[-1], True), eol='\r\n')]
    else:
        h.stream_start(c, 'application/json; charset=UTF-8')
        events = [('[' if i == 0 else '\n,\r\n') + json.dumps(chunk(w), indent=1)
                  for i, w in enumerate(pieces[:-1])]
        final = ['\n,\r\n' + json.dumps(chunk(pieces[-1], True), indent=1), ']']
    if h.stream_events(c, events, final, 0):
        c.usage = usage


# ------------------------------------------------------------------ Cohere

def cohere_v2(h, c):
    if h.maybe_error(c, 'cohere'):
        return
    usage = cohere_usage(c)
    cid = 'mock-%d' % c.n
    if not c.body.get('stream'):
        c.usage = usage
        h.send_json(c, {'id': cid, 'finish_reason': 'COMPLETE', 'message': {
            'role': 'assistant', 'content': [{'type': 'text', 'text': c.text()}]},
            'usage': usage})
        return
    h.stream_start(c, 'text/event-stream')
    h.emit(sse({'id': cid, 'type': 'message-start', 'delta': {'message': {
        'role': 'assistant', 'content': [], 'tool_plan': '', 'tool_calls': [],
        'citations': []}}}, 'message-start'))
    h.emit(sse({'type': 'content-start', 'index': 0, 'delta': {'message': {
        'content': {'type': 'text', 'text': ''}}}}, 'content-start'))
    events = [sse({'type': 'content-delta', 'index': 0, 'delta': {'message': {
        'content': {'text': w}}}}, 'content-delta') for w in c.pieces()]
    final = [sse({'type': 'content-end', 'index': 0}, 'content-end'),
             sse({'type': 'message-end', 'delta': {'finish_reason': 'COMPLETE',
                                                   'usage': usage}}, 'message-end')]
    if h.stream_events(c, events, final):
        c.usage = usage


def cohere_v1(h, c):
    if h.maybe_error(c, 'cohere'):
        return
    usage = cohere_usage(c)
    meta = {'api_version': {'version': '1'}, 'billed_units': usage['billed_units'],
            'tokens': usage['tokens']}
    resp = {'response_id': 'r-%d' % c.n, 'text': c.text(),
            'generation_id': 'g-%d' % c.n, 'chat_history': [],
            'finish_reason': 'COMPLETE', 'meta': meta}
    if not c.body.get('stream'):
        c.usage = meta
        h.send_json(c, resp)
        return
    h.stream_start(c, 'application/stream+json')
    h.emit(json.dumps({'is_finished': False, 'event_type': 'stream-start',
                       'generation_id': resp['generation_id']}) + '\n')
    events = [json.dumps({'is_finished': False, 'event_type': 'text-generation',
                          'text': w}) + '\n' for w in c.pieces()]
    final = [json.dumps({'is_finished': True, 'event_type': 'stream-end',
                         'finish_reason': 'COMPLETE', 'response': resp}) + '\n']
    if h.stream_events(c, events, final):
        c.usage = meta


# ------------------------------------------------------------------ Ollama

def ollama(h, c, key):
    if h.maybe_error(c, 'ollama'):
        return
    c.model_resp = c.model_req
    usage = ollama_usage(c)
    now = '2026-01-01T00:00:00.000000Z'
    done = {'model': c.model_resp, 'created_at': now, 'done': True, 'done_reason': 'stop',
            'total_duration': 4353619900, 'load_duration': 63915300,
            'prompt_eval_duration': 246847000, 'eval_duration': 4032296000}
    done.update(usage)
    if key == 'message':
        def piece(w):
            return {'role': 'assistant', 'content': w}
    else:
        def piece(w):
            return w
        done['context'] = [1, 2, 3]
    if c.body.get('stream') is False:
        c.usage = usage
        h.send_json(c, dict(done, **{key: piece(c.text())}))
        return
    h.stream_start(c, 'application/x-ndjson')
    events = [json.dumps({'model': c.model_resp, 'created_at': now, key: piece(w),
                          'done': False}) + '\n' for w in c.pieces()]
    final = [json.dumps(dict(done, **{key: piece('')})) + '\n']
    if h.stream_events(c, events, final):
        c.usage = usage


def ollama_chat(h, c):
    ollama(h, c, 'message')


def ollama_generate(h, c):
    ollama(h, c, 'response')


ROUTES = [
    ('/chat/completions', openai_chat),
    ('/responses', openai_responses),
    ('/embeddings', openai_embeddings),
    ('/messages', anthropic_messages),
    (':streamGenerateContent', gemini_stream),
    (':generateContent', gemini_generate),
    ('/v2/chat', cohere_v2),
    ('/v1/chat', cohere_v1),
    ('/api/chat', ollama_chat),
    ('/api/generate', ollama_generate),
]


