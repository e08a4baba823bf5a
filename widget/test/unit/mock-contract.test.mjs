// The mock API must follow the JSON contract in core/src/search/types.rs, so the widget is
// developed against the same shapes the real API serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadRecords, search, suggest } from '../mock-server.mjs';

const types = readFileSync(new URL('../../../core/src/search/types.rs', import.meta.url), 'utf8');

/** Serde field names of a Rust struct (honouring `#[serde(rename = "...")]`). */
function fields(name) {
  const body = new RegExp(`pub struct ${name} \\{([\\s\\S]*?)\\n\\}`).exec(types)[1];
  const out = [];
  let rename = null;
  for (const line of body.split('\n')) {
    const r = /#\[serde\(rename = "(\w+)"\)\]/.exec(line);
    if (r) rename = r[1];
    const f = /^\s*pub (\w+):/.exec(line);
    if (f) { out.push(rename ?? f[1]); rename = null; }
  }
  return out.sort();
}

const records = loadRecords();

test('mock search responses have exactly the contract fields', () => {
  const r = search(records, new URLSearchParams('q=kuoro turussa&near=60.45,22.27&facets=theme&lang=fi'));
  assert.deepEqual(Object.keys(r).sort(), fields('SearchResponse'));
  assert.deepEqual(Object.keys(r.understood).sort(), fields('Understanding'));
  assert.ok(r.hits.length > 0);
  for (const hit of r.hits) {
    assert.deepEqual(Object.keys(hit).sort(), fields('Hit'));
    for (const s of hit.snippet) assert.deepEqual(Object.keys(s).sort(), fields('Segment'));
    if (hit.location) for (const k of Object.keys(hit.location)) assert.ok(fields('HitLocation').includes(k), k);
  }
  for (const f of r.facets.theme) assert.deepEqual(Object.keys(f).sort(), fields('FacetCount'));
  assert.deepEqual(r.understood.places, [{ code: '853', label: 'Turku' }]);
});

test('mock suggestions have the contract fields and kinds', () => {
  const s = suggest(records, new URLSearchParams('q=mie&lang=fi')).suggestions;
  assert.ok(s.length > 0);
  for (const x of s) {
    assert.deepEqual(Object.keys(x).sort(), fields('Suggestion'));
    assert.ok(['organisation', 'activity', 'theme', 'target_group', 'municipality'].includes(x.kind));
  }
});

test('mock validates like the API: limit, near', () => {
  assert.throws(() => search(records, new URLSearchParams('limit=51')), /limit/);
  assert.throws(() => search(records, new URLSearchParams('near=abc')), /near/);
});
