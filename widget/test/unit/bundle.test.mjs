import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { bundle, outfile } from '../../scripts/bundle.mjs';

const committed = readFileSync(outfile);

test('dist/tarjotin.js is up to date with src/ (run `npm run build`)', async () => {
  const fresh = await bundle();
  assert.ok(fresh.equals(committed), 'dist/tarjotin.js is stale: run `npm run build` and commit it');
});

test('the build is deterministic', async () => {
  assert.ok((await bundle()).equals(await bundle()));
});

test('the bundle is at most 15 kB gzipped', () => {
  const gz = gzipSync(committed, { level: 9 }).length;
  assert.ok(gz <= 15 * 1024, `${gz} bytes gzipped`);
});

test('the bundle is one ES module with no eval, Function, innerHTML or storage', () => {
  const js = committed.toString('utf8');
  assert.doesNotMatch(js, /\bimport\s*\(|^\s*import\s/m, 'no further imports');
  for (const bad of [/\beval\s*\(/, /new Function\b/, /\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/,
    /localStorage/, /sessionStorage/, /document\.cookie/, /indexedDB/, /\.style\.[a-z]/i, /setAttribute\(\s*["']style/]) {
    assert.doesNotMatch(js, bad);
  }
  for (const f of readdirSync(new URL('../../src/', import.meta.url))) {
    const src = readFileSync(new URL('../../src/' + f, import.meta.url), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    assert.doesNotMatch(src, /innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function/, f);
  }
});
