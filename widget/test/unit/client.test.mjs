import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, latestOnly, debounce, ApiError } from '../../src/client.js';

const okJson = (body) => ({ ok: true, status: 200, json: async () => body, headers: new Headers() });

test('requests go to the api origin only, without credentials', async () => {
  const calls = [];
  const c = createClient('https://api.example.org/base', { fetch: async (url, init) => { calls.push([url, init]); return okJson({ total: 0, hits: [] }); } });
  await c.search(new URLSearchParams('q=kuoro&municipality=853&municipality=091'));
  await c.suggest('kuo', 'sv');
  await c.municipalities('en');
  await c.vocabularies('fi');
  assert.deepEqual(calls.map((x) => x[0]), [
    'https://api.example.org/base/v1/search?q=kuoro&municipality=853&municipality=091',
    'https://api.example.org/base/v1/suggest?q=kuo&lang=sv',
    'https://api.example.org/base/v1/municipalities?lang=en',
    'https://api.example.org/base/v1/vocabularies?lang=fi',
  ]);
  for (const [, init] of calls) assert.equal(init.credentials, 'omit');
  assert.equal(c.origin, 'https://api.example.org');
  assert.throws(() => createClient('javascript:alert(1)'), ApiError);
});

test('errors carry status, code and Retry-After', async () => {
  const c = createClient('https://a.example', {
    fetch: async () => ({ ok: false, status: 503, json: async () => ({ code: 'overloaded', message: 'busy' }), headers: new Headers({ 'retry-after': '2' }) }),
  });
  await assert.rejects(c.search(new URLSearchParams()), (e) => e instanceof ApiError && e.status === 503 && e.code === 'overloaded' && e.retryAfter === '2');
  const c2 = createClient('https://a.example', { fetch: async () => ({ ok: false, status: 500, json: async () => { throw new Error('html'); }, headers: new Headers() }) });
  await assert.rejects(c2.search(new URLSearchParams()), (e) => e.status === 500 && e.code === 'http_500');
  const c3 = createClient('https://a.example', { fetch: async () => { throw new TypeError('Failed to fetch'); } });
  await assert.rejects(c3.search(new URLSearchParams()), (e) => e.status === 0 && e.code === 'network');
});

test('latestOnly aborts the previous request and drops stale responses', async () => {
  const job = latestOnly();
  const resolvers = [];
  const signals = [];
  const start = () => job.run((signal) => { signals.push(signal); return new Promise((r) => resolvers.push(r)); });
  const first = start();
  const second = start();
  await new Promise((r) => setImmediate(r));
  assert.equal(signals[0].aborted, true);
  assert.equal(signals[1].aborted, false);
  resolvers[1]('new');
  resolvers[0]('old'); // a server that ignores abort answers late
  assert.deepEqual(await second, { stale: false, value: 'new', id: 2 });
  assert.equal((await first).stale, true);
});

test('latestOnly turns aborts into stale results and rethrows real errors', async () => {
  const job = latestOnly();
  const a = job.run((signal) => new Promise((_, rej) => signal.addEventListener('abort', () => rej(new DOMException('x', 'AbortError')))));
  job.cancel();
  assert.equal((await a).stale, true);
  await assert.rejects(job.run(async () => { throw new Error('boom'); }), /boom/);
});

test('debounce waits 250 ms after the last call', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const seen = [];
  const d = debounce((q) => seen.push(q), 250);
  d('k'); d('ku'); t.mock.timers.tick(200); d('kuo');
  t.mock.timers.tick(249);
  assert.deepEqual(seen, []);
  t.mock.timers.tick(1);
  assert.deepEqual(seen, ['kuo']);
  d('x'); d.cancel(); t.mock.timers.tick(1000);
  assert.deepEqual(seen, ['kuo']);
});
