// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
//
// The official npm SDKs (openai incl. AzureOpenAI, @anthropic-ai/sdk,
// @google/genai, cohere-ai v1 and v2) pointed at the HTTPS mock providers
// with their base-URL options, for test_llm_node. Each SDK makes streamed
// and non-streamed calls and a few fault scenarios (X-Mock-Scenario). The
// CA comes from NODE_EXTRA_CA_CERTS. Retries are off so every call the SDK
// makes is one the test planned; the expected metrics come from the mock's
// own log anyway. Prints one line per SDK part ("ok NAME" or
// "SKIP NAME: reason") and exits non-zero if a part fails unexpectedly.
//
//   node node_sdks.mjs '{"urls": {...}, "bearer": ..., "xkey": ..., "gkey": ...}'

import OpenAI, { AzureOpenAI } from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { CohereClient, CohereClientV2 } from 'cohere-ai';

const cfg = JSON.parse(process.argv[2]);
const U = cfg.urls;
const mine = { 'X-Mock-Client': 'node' };
const scen = (s) => ({ headers: { 'X-Mock-Scenario': s } });
let failed = 0;

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

async function drain(stream) {
  let n = 0;
  for await (const ev of stream) if (ev) n++;
  return n;
}

async function expectError(p, status, what) {
  try {
    await p;
  } catch (e) {
    check(e.status === status || e.statusCode === status, `${what}: status ${e.status ?? e.statusCode}`);
    return;
  }
  throw new Error(`${what}: no error`);
}

async function expectThrow(fn, what) {
  try {
    await fn();
  } catch (e) {
    return;
  }
  throw new Error(`${what}: no error`);
}

async function part(name, fn) {
  try {
    await fn();
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
  }
}

const msgs = [{ role: 'user', content: 'hi' }];

await part('openai', async () => {
  const c = new OpenAI({ apiKey: cfg.bearer, baseURL: `${U.openai}/v1`, maxRetries: 0, defaultHeaders: mine });
  const r = await c.chat.completions.create({ model: 'gpt-4o', messages: msgs });
  check(r.usage.prompt_tokens > 0, 'chat usage');
  const s = await c.chat.completions.create({
    model: 'gpt-4o-mini', messages: msgs, stream: true, stream_options: { include_usage: true },
  });
  let usage = null;
  for await (const ch of s) if (ch.usage) usage = ch.usage;
  check(usage && usage.completion_tokens > 0, 'stream usage');
  await drain(await c.chat.completions.create(
    { model: 'gpt-4o', messages: msgs, stream: true, stream_options: { include_usage: true } }, scen('gzip')));
  await drain(await c.chat.completions.create(
    { model: 'gpt-4o', messages: msgs, stream: true, stream_options: { include_usage: true } }, scen('many')));
  const big = await c.chat.completions.create({ model: 'gpt-4o', messages: msgs }, scen('big'));
  check(big.choices[0].message.content.length === 2 * 1024 * 1024, 'big content');
  const rs = await c.responses.create({ model: 'gpt-4o', input: 'hi' });
  check(rs.usage.input_tokens > 0, 'responses usage');
  let done = false;
  for await (const ev of await c.responses.create({ model: 'o4-mini', input: 'hi', stream: true }))
    if (ev.type === 'response.completed') done = true;
  check(done, 'responses stream completed');
  const e = await c.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b', 'c'] });
  check(e.data.length === 3 && e.data[0].embedding.length === 4, 'embeddings decoded');
  await expectError(c.chat.completions.create({ model: 'gpt-4o', messages: msgs }, scen('429')), 429, 'openai 429');
  await expectThrow(async () => drain(await c.chat.completions.create(
    { model: 'gpt-4o', messages: msgs, stream: true, stream_options: { include_usage: true } }, scen('drop'))),
  'openai dropped stream');
});

await part('azure_openai', async () => {
  const c = new AzureOpenAI({
    endpoint: U.azure_openai, apiKey: cfg.xkey, apiVersion: '2024-10-21',
    deployment: 'gpt4o-eu', maxRetries: 0, defaultHeaders: mine,
  });
  const r = await c.chat.completions.create({ model: 'gpt-4o', messages: msgs });
  check(r.usage.total_tokens > 0, 'azure usage');
  await drain(await c.chat.completions.create(
    { model: 'gpt-4o', messages: msgs, stream: true, stream_options: { include_usage: true } }));
});

await part('openrouter', async () => {
  const c = new OpenAI({ apiKey: cfg.bearer, baseURL: `${U.openrouter}/api/v1`, maxRetries: 0, defaultHeaders: mine });
  await c.chat.completions.create({ model: 'meta-llama/llama-3.3-70b-instruct', messages: msgs });
  await drain(await c.chat.completions.create({ model: 'deepseek/deepseek-r1', messages: msgs, stream: true }));
});

await part('anthropic', async () => {
  const c = new Anthropic({ apiKey: cfg.xkey, baseURL: U.anthropic, maxRetries: 0, defaultHeaders: mine });
  const m = await c.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 256, messages: msgs });
  check(m.usage.output_tokens > 0, 'anthropic usage');
  let stop = false;
  for await (const ev of await c.messages.create({ model: 'claude-opus-4-1', max_tokens: 256, messages: msgs, stream: true }))
    if (ev.type === 'message_stop') stop = true;
  check(stop, 'anthropic stream stop');
  const st = c.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 256, messages: msgs }, scen('gzip'));
  const fin = await st.finalMessage();
  check(fin.usage.output_tokens > 0, 'anthropic gzip stream helper');
  await drain(await c.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: msgs, stream: true }, scen('many')));
  await expectError(c.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: msgs }, scen('529')), 529, 'anthropic 529');
  await expectError(c.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: msgs }, scen('429')), 429, 'anthropic 429');
  await expectThrow(async () => drain(await c.messages.create(
    { model: 'claude-haiku-4-5', max_tokens: 64, messages: msgs, stream: true }, scen('garbage'))),
  'anthropic garbage stream');
});

await part('gemini', async () => {
  const ai = new GoogleGenAI({
    apiKey: cfg.gkey, httpOptions: { baseUrl: U.gemini, apiVersion: 'v1beta', headers: mine },
  });
  const r = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
  check(r.usageMetadata && r.usageMetadata.promptTokenCount > 0, 'gemini usage');
  let last = null;
  for await (const ch of await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'hi' }))
    last = ch;
  check(last && last.usageMetadata.candidatesTokenCount > 0, 'gemini stream usage');
  const ai2 = new GoogleGenAI({
    apiKey: cfg.gkey,
    httpOptions: { baseUrl: U.gemini, apiVersion: 'v1beta', headers: { ...mine, 'X-Mock-Scenario': 'gzip' } },
  });
  for await (const ch of await ai2.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })) last = ch;
  await ai2.models.generateContent({ model: 'gemini-2.5-flash-lite', contents: 'hi' });
});

await part('cohere_v2', async () => {
  const c = new CohereClientV2({ token: cfg.bearer, environment: U.cohere, headers: mine, maxRetries: 0 });
  const r = await c.chat({ model: 'command-a-03-2025', messages: msgs });
  check(r.usage.billedUnits.inputTokens > 0, 'cohere v2 usage');
  let end = false;
  for await (const ev of await c.chatStream({ model: 'command-r-plus-08-2024', messages: msgs }))
    if (ev.type === 'message-end') end = true;
  check(end, 'cohere v2 stream end');
});

await part('cohere_v1', async () => {
  const c = new CohereClient({ token: cfg.bearer, environment: U.cohere, headers: mine, maxRetries: 0 });
  const r = await c.chat({ model: 'command-r', message: 'hi' });
  check(r.meta.billedUnits.inputTokens > 0, 'cohere v1 usage');
  let end = false;
  for await (const ev of await c.chatStream({ model: 'command-r', message: 'hi' }))
    if (ev.eventType === 'stream-end') end = true;
  check(end, 'cohere v1 stream end');
});

process.exit(failed ? 1 : 0);
