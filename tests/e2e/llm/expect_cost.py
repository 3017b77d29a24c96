#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Expected LLM cost from the mock's log of the calls it served.

An oracle written apart from the C code: it normalises each call's raw usage
with expect.py, finds the model's price in the given LiteLLM-schema files
(later files override earlier ones) by the rules docs/costs.md states (exact
key, provider-prefixed key, date/version suffix dropped, undated alias to its
dated key), and prices it with the formula docs/costs.md gives. OpenRouter's
own usage.cost wins. The agent_type of a call is the X-Mock-Client the test
sent (the test sends the same name in X-Agent-Type or in the environment).

  expect_cost.py LOG OUT PRICES.json [PRICES.json ...]

OUT gets "agent_type provider model usd" lines (calls with usage only), and
"unpriced model n" lines for models without a price.
"""
import json
import re
import sys

from expect import normalise, unparsed_reason

PREFIX = {'gemini': 'gemini/', 'vertex_ai': 'vertex_ai/', 'azure_openai': 'azure/',
          'openrouter': 'openrouter/'}
SUFFIX = re.compile(r'(-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-latest|-preview(-[\d-]+)?|-exp(-[\d-]+)?'
                    r'|-\d{3}|-\d{2}-\d{2}|-\d{4})$')


def lookup(table, provider, model):
    cands = [PREFIX.get(provider, '') + model, model, model.removeprefix('models/')]
    stripped = SUFFIX.sub('', model)
    cands += [PREFIX.get(provider, '') + stripped, stripped]
    for k in cands:
        if k in table:
            return table[k]
    dated = sorted(k for k in table if re.fullmatch(re.escape(model) + r'-\d{8}', k))
    return table[dated[-1]] if dated else None


def price(p, key, default=None):
    v = p.get(key)
    return v if isinstance(v, (int, float)) else default


def cost(p, n):
    inp, out = n.get('input', 0), n.get('output', 0)
    cr, cc = n.get('cache_read', 0), n.get('cache_creation', 0)
    tier = ''
    if inp > 200000 and 'input_cost_per_token_above_200k_tokens' in p:
        tier = '_above_200k_tokens'
    elif inp > 128000 and 'input_cost_per_token_above_128k_tokens' in p:
        tier = '_above_128k_tokens'
    pin = price(p, 'input_cost_per_token' + tier, price(p, 'input_cost_per_token', 0))
    pout = price(p, 'output_cost_per_token' + tier, price(p, 'output_cost_per_token', 0))
    pcr = price(p, 'cache_read_input_token_cost' + tier, price(p, 'cache_read_input_token_cost', pin))
    pcc = price(p, 'cache_creation_input_token_cost', pin)
    return max(inp - cr - cc, 0) * pin + cr * pcr + cc * pcc + out * pout


def main(argv):
    log, out, files = argv[1], argv[2], argv[3:]
    table = {}
    for f in files:
        with open(f, encoding='utf-8') as fh:
            table.update({k: v for k, v in json.load(fh).items()
                          if isinstance(v, dict) and not k.startswith('_') and k != 'sample_spec'})
    acc, unpriced = {}, {}
    with open(log, encoding='utf-8') as f:
        calls = [json.loads(line) for line in f if line.strip()]
    for c in calls:
        if c['status'] >= 400 or unparsed_reason(c):
            continue
        model = c['model_resp'] or c['model_req'] or 'unknown'
        key = (c['client'], c['provider'], model)
        if isinstance(c['usage'], dict) and isinstance(c['usage'].get('cost'), (int, float)):
            usd = c['usage']['cost']
        else:
            p = lookup(table, c['provider'], model)
            if p is None:
                unpriced[model] = unpriced.get(model, 0) + 1
                usd = 0.0
            else:
                usd = cost(p, normalise(c['api'], c['usage']))
        acc[key] = acc.get(key, 0.0) + usd
    with open(out, 'w', encoding='utf-8') as f:
        for k in sorted(acc):
            f.write('%s %s %s %.12g\n' % (*k, acc[k]))
        for m in sorted(unpriced):
            f.write('unpriced %s %d\n' % (m, unpriced[m]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
