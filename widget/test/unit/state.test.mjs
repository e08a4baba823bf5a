import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emptyState, splitList, presetState, roundCoord, nearPoint, searchParams, encodeState, decodeState,
  paramName, readUrlState, writeUrlState, activeFilters, loosen, applySuggestion, isEmpty,
  formatDistance, formatDate,
} from '../../src/state.js';
import { STRINGS } from '../../src/i18n.js';

test('splitList accepts spaces, commas and both; drops junk and duplicates', () => {
  assert.deepEqual(splitList('853 091'), ['853', '091']);
  assert.deepEqual(splitList('853,091'), ['853', '091']);
  assert.deepEqual(splitList(' 853 ,  091,853 '), ['853', '091']);
  assert.deepEqual(splitList('Turku, Helsinki'), ['Turku', 'Helsinki']);
  assert.deepEqual(splitList('<script> 853'), ['853']);
  assert.deepEqual(splitList(null), []);
  assert.equal(splitList(Array.from({ length: 80 }, (_, i) => 'v' + i).join(' ')).length, 50);
});

test('presetState maps attributes, including target-group', () => {
  const s = presetState({ municipality: '853 091', county: '02', 'target-group': 'carers,youth', theme: 'peer_support', kind: null });
  assert.deepEqual(s.municipality, ['853', '091']);
  assert.deepEqual(s.county, ['02']);
  assert.deepEqual(s.target_group, ['carers', 'youth']);
  assert.deepEqual(s.theme, ['peer_support']);
  assert.deepEqual(s.kind, []);
});

test('coordinates are rounded to 3 decimals before sending', () => {
  assert.equal(roundCoord(60.451812345), 60.452);
  assert.equal(roundCoord(22.26649), 22.266);
  assert.deepEqual(nearPoint(60.1698557, 24.9383791), { lat: 60.17, lon: 24.938 });
  assert.equal(nearPoint(NaN, 1), null);
  assert.equal(nearPoint(91, 1), null);
  const p = searchParams({ ...emptyState(), near: nearPoint(60.1698557, 24.9383791) });
  assert.equal(p.get('near'), '60.170,24.938');
  assert.equal(p.get('sort'), 'distance');
});

test('searchParams follows the /v1/search contract', () => {
  const s = { ...emptyState(), q: '  kuoro turussa ', municipality: ['853', '091'], theme: ['culture'], free: true, online: true };
  const p = searchParams(s, { lang: 'sv', limit: 5, offset: 10 });
  assert.equal(p.get('q'), 'kuoro turussa');
  assert.deepEqual(p.getAll('municipality'), ['853', '091']);
  assert.equal(p.get('theme'), 'culture');
  assert.equal(p.get('free'), 'true');
  assert.equal(p.get('online'), 'true');
  assert.equal(p.has('accessible'), false);
  assert.equal(p.get('lang'), 'sv');
  assert.equal(p.get('limit'), '5');
  assert.equal(p.get('offset'), '10');
  assert.equal(p.has('near'), false);
  assert.equal(searchParams(emptyState()).has('offset'), false);
  assert.equal(searchParams({ ...emptyState(), q: 'x'.repeat(300) }).get('q').length, 200);
});

test('state round-trips through the URL without the location', () => {
  const s = { ...emptyState(), q: 'vertaistuki & tuki', municipality: ['853'], target_group: ['carers'], accessible: true, near: { lat: 60.1, lon: 24.9 } };
  const back = decodeState(encodeState(s));
  assert.deepEqual(back, { ...s, near: null });
  assert.equal(encodeState(s).includes('60.1'), false);
  assert.deepEqual(decodeState('q=x&theme=%3Cimg%3E+culture&evil=1&free=yes'), { ...emptyState(), q: 'x', theme: ['culture'] });
  assert.equal(encodeState(emptyState()), '');
});

test('the URL keeps the host page parameters and hash', () => {
  const s = { ...emptyState(), q: 'kuoro', free: true };
  const href = writeUrlState('https://kunta.example/palvelut?sivu=2&q=host#ankkuri', 'tarjotin', s);
  const u = new URL(href);
  assert.equal(u.searchParams.get('sivu'), '2');
  assert.equal(u.searchParams.get('q'), 'host');
  assert.equal(u.hash, '#ankkuri');
  assert.deepEqual(readUrlState(href, 'tarjotin'), s);
  assert.equal(readUrlState(href, 'tarjotin-other'), null);
  const cleared = writeUrlState(href, 'tarjotin', emptyState());
  assert.equal(new URL(cleared).searchParams.has('tarjotin'), false);
  assert.equal(new URL(cleared).searchParams.get('sivu'), '2');
});

test('paramName is per widget id', () => {
  assert.equal(paramName(''), 'tarjotin');
  assert.equal(paramName('turku'), 'tarjotin-turku');
  assert.equal(paramName('bad id"'), 'tarjotin');
});

test('activeFilters and loosen name each filter and remove exactly one', () => {
  const s = { ...emptyState(), q: 'kuoro', theme: ['culture', 'hobbies'], municipality: ['853'], free: true, near: { lat: 1, lon: 2 } };
  assert.deepEqual(activeFilters(s).map((f) => f.key + ':' + f.value),
    ['near:true', 'free:true', 'theme:culture', 'theme:hobbies', 'municipality:853']);
  const l = loosen(s, 'theme', 'culture');
  assert.deepEqual(l.theme, ['hobbies']);
  assert.deepEqual(s.theme, ['culture', 'hobbies'], 'input not mutated');
  assert.equal(loosen(s, 'free').free, false);
  assert.equal(loosen(s, 'near').near, null);
  assert.deepEqual(loosen(s, 'municipality').municipality, []);
  assert.equal(loosen(s, 'q').q, '');
  assert.equal(isEmpty(emptyState()), true);
  assert.equal(isEmpty({ ...emptyState(), free: true }), false);
});

test('applySuggestion turns vocabulary suggestions into filters and names into text', () => {
  const s = { ...emptyState(), q: 'mie' };
  assert.deepEqual(applySuggestion(s, { text: 'Mielenterveys', kind: 'theme', value: 'mental_health' }), { ...emptyState(), theme: ['mental_health'] });
  assert.deepEqual(applySuggestion(s, { text: 'Turku', kind: 'municipality', value: '853' }).municipality, ['853']);
  assert.equal(applySuggestion(s, { text: 'Tampereen Mielenterveysseura ry', kind: 'organisation', value: 'local:x' }).q, 'Tampereen Mielenterveysseura ry');
  assert.equal(applySuggestion(s, { text: 'x', kind: 'theme', value: '<bad>' }).q, 'x');
});

test('distances use the language number format', () => {
  assert.equal(formatDistance(1234, 'fi'), '1,2\u00a0km');
  assert.equal(formatDistance(1234, 'sv'), '1,2\u00a0km');
  assert.equal(formatDistance(1234, 'en'), '1.2\u00a0km');
  assert.equal(formatDistance(15678, 'fi'), '16\u00a0km');
  assert.equal(formatDistance(null, 'fi'), '');
  assert.equal(formatDistance(-1, 'fi'), '');
});

test('dates are localised and garbage is dropped', () => {
  assert.equal(formatDate('2023-04-12', 'fi'), '12.4.2023');
  assert.equal(formatDate('2023-04-12T10:00:00Z', 'en'), '12/04/2023');
  assert.equal(formatDate('huomenna', 'fi'), '');
  assert.equal(formatDate(undefined, 'fi'), '');
});

test('every UI string exists in fi, sv and en', () => {
  const keys = Object.keys(STRINGS.fi).sort();
  for (const l of ['sv', 'en']) assert.deepEqual(Object.keys(STRINGS[l]).sort(), keys, l);
  for (const l of ['fi', 'sv', 'en']) {
    assert.match(STRINGS[l].results(2), /2/);
    for (const k of keys) assert.ok(STRINGS[l][k], `${l}.${k}`);
  }
  assert.equal(STRINGS.fi.results(1), '1 tulos');
  assert.equal(STRINGS.sv.results(3), '3 träffar');
  // A counted-up-to total (total_relation: gte) is said to be a lower bound.
  assert.equal(STRINGS.fi.results(10000, true), 'Vähintään 10000 tulosta');
  assert.equal(STRINGS.sv.results(10000, true), 'Minst 10000 träffar');
  assert.equal(STRINGS.en.results(10000, true), 'At least 10000 results');
  assert.equal(STRINGS.fi.shown(20, 10000, true), 'Näytetään 20.');
  assert.equal(STRINGS.en.shown(20, 50, false), 'Showing 20 of 50.');
});
