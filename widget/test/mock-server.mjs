// A tiny mock of the Tarjotin HTTP API (/v1/search, /v1/suggest, /v1/municipalities,
// /v1/vocabularies) over test/fixtures/records.ndjson (import format v1), for widget development
// and end-to-end tests when TARJOTIN_API_URL is not set. It follows the JSON contract of
// core/src/search/types.rs; its "search" is a naive substring match, not the real engine.
// Like the real API it also serves the bundle at /widget/v1/tarjotin.js and a demo page at /.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const repo = (p) => here('../../' + p);

export function parseCsv(text) {
  const rows = [];
  let row = [], field = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') q = false;
      else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n') { row.push(field.replace(/\r$/, '')); rows.push(row); row = []; field = ''; }
    else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  const [head, ...body] = rows;
  return body.filter((r) => r.length > 1).map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

const LANGS = ['fi', 'sv', 'en'];
const vocab = {};
for (const [k, f] of [['themes', 'themes'], ['target_groups', 'target_groups'], ['kinds', 'activity_kinds']]) {
  vocab[k] = parseCsv(readFileSync(repo(`data/vocabulary/${f}.csv`), 'utf8'));
}
const municipalities = parseCsv(readFileSync(repo('data/reference/municipalities_2026.csv'), 'utf8')).map((m) => ({
  code: m.kuntanumero, fi: m.name_fi, sv: m.name_sv, en: m.name_en, county: m.hyvinvointialue_code,
  lat: +m.lat, lon: +m.lon,
}));
const muniByCode = new Map(municipalities.map((m) => [m.code, m]));
const muniCode = (v) => {
  if (muniByCode.has(v)) return v;
  const l = v.toLowerCase();
  return municipalities.find((m) => m.fi.toLowerCase() === l || m.sv.toLowerCase() === l)?.code ?? null;
};
const label = (list, code, lang) => {
  const r = vocab[list].find((x) => x.code === code);
  return r ? { code, label: r[lang] || r.fi } : { code, label: code };
};
const pick = (obj, lang) => {
  if (!obj) return [null, null];
  for (const l of [lang, 'fi', 'sv', 'en']) if (obj[l]) return [obj[l], l];
  return [null, null];
};

export function loadRecords(path = here('fixtures/records.ndjson')) {
  const recs = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const orgs = new Map(recs.filter((r) => r.type === 'organisation').map((r) => [r.id, r]));
  return recs.filter((r) => r.type === 'organisation' || r.type === 'activity').map((r) => {
    const loc = r.type === 'activity' ? r.location : r.locations?.[0];
    const munis = r.municipalities ?? (loc ? [loc.municipality] : []);
    return { ...r, loc, munis, org: r.type === 'activity' ? orgs.get(r.organisation_id) : null };
  });
}

function haversine(a, b) {
  const R = 6371008.8, rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
  const x = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(x));
}

const PLACE_FORMS = { turussa: '853', turun: '853', helsingissä: '091', helsingin: '091', tampereella: '837', tampereen: '837', lappeenrannassa: '405', åbo: '853', helsingfors: '091' };
const STOP = new Set(['ja', 'och', 'and', 'in', 'i', 'the', 'ry', 'rf']);

/** The lower-cased text a record's words are matched in. */
function hayOf(r) {
  return [...Object.values(r.name), ...Object.values(r.description ?? {}), ...Object.values(r.org?.name ?? {}),
    ...(r.themes ?? []).flatMap((t) => LANGS.map((l) => label('themes', t, l).label)),
    ...(r.kind ? LANGS.map((l) => label('kinds', r.kind, l).label) : [])].join(' ').toLowerCase();
}

function segments(text, terms) {
  const s = text.length > 200 ? text.slice(0, 200) + '…' : text;
  if (!terms.length) return [{ text: s, hit: false }];
  const low = s.toLowerCase();
  const marks = new Array(s.length).fill(false);
  for (const t of terms) for (let i = low.indexOf(t); i >= 0; i = low.indexOf(t, i + 1)) marks.fill(true, i, i + t.length);
  const out = [];
  for (let i = 0; i < s.length; i++) {
    const last = out[out.length - 1];
    if (last && last.hit === marks[i]) last.text += s[i];
    else out.push({ text: s[i], hit: marks[i] });
  }
  return out;
}

class HttpError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export function search(records, sp, now = new Date()) {
  const lang = LANGS.includes(sp.get('lang')) ? sp.get('lang') : 'fi';
  const q = (sp.get('q') ?? '').trim();
  if (q.length > 200) throw new HttpError(400, 'query_too_long', 'q is longer than 200 characters');
  const limit = sp.has('limit') ? Number(sp.get('limit')) : 20;
  const offset = sp.has('offset') ? Number(sp.get('offset')) : 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new HttpError(400, 'invalid_limit', 'limit must be 1..50');
  if (!Number.isInteger(offset) || offset < 0 || offset + limit > 1000) throw new HttpError(400, 'invalid_offset', 'offset too large');
  let near = null;
  if (sp.has('near')) {
    const m = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(sp.get('near'));
    if (!m || Math.abs(+m[1]) > 90 || Math.abs(+m[2]) > 180) throw new HttpError(400, 'invalid_near', 'near must be LAT,LON');
    near = { lat: +m[1], lon: +m[2] };
  }
  const radius = sp.has('radius_km') ? Number(sp.get('radius_km')) : null;
  const places = [];
  const terms = [];
  const ignored = [];
  for (const w of q.toLowerCase().split(/[^\p{L}\p{N}-]+/u).filter(Boolean)) {
    const code = PLACE_FORMS[w] ?? muniCode(w);
    if (code && sp.get('places_in_text') !== 'false') { if (!places.includes(code)) places.push(code); }
    else if (STOP.has(w)) ignored.push(w);
    else terms.push(w);
  }
  // As the API: a word of five or more letters found nowhere as typed is searched typo-tolerantly.
  const typoTolerant = terms.filter((t) => [...t].length >= 5 && !records.some((r) => hayOf(r).includes(t)));
  const munis = [...sp.getAll('municipality').map(muniCode).filter(Boolean), ...places];
  const all = (k) => sp.getAll(k);
  const flag = (k) => sp.get(k) === 'true';
  const matches = records.filter((r) => {
    if (sp.get('type') && r.type !== sp.get('type')) return false;
    if (munis.length && !r.munis.some((m) => munis.includes(m))) return false;
    if (all('county').length && !r.munis.some((m) => all('county').includes(muniByCode.get(m)?.county))) return false;
    if (all('theme').length && !(r.themes ?? []).some((t) => all('theme').includes(t))) return false;
    if (all('target_group').length && !(r.target_groups ?? []).some((t) => all('target_group').includes(t))) return false;
    if (all('kind').length && !all('kind').includes(r.kind)) return false;
    if (all('language').length && !(r.languages ?? []).some((t) => all('language').includes(t))) return false;
    for (const k of ['free', 'accessible', 'online', 'plain_language']) if (flag(k) && r[k] !== true) return false;
    if (terms.length) {
      const hay = hayOf(r);
      if (!terms.every((t) => hay.includes(t))) return false;
    }
    return true;
  });
  const point = (r) => (r.loc?.lat != null ? { lat: r.loc.lat, lon: r.loc.lon, approximate: false }
    : r.munis[0] && muniByCode.get(r.munis[0]) ? { ...muniByCode.get(r.munis[0]), approximate: true } : null);
  let scored = matches.map((r) => {
    const p = point(r);
    const dist = near && p ? haversine(near, p) : null;
    return { r, p, dist };
  });
  if (near && radius != null) scored = scored.filter((s) => s.dist != null && s.dist <= radius * 1000);
  const sort = sp.get('sort') ?? 'relevance';
  if (sort === 'distance' && near) scored.sort((a, b) => (a.dist ?? Infinity) - (b.dist ?? Infinity));
  else if (sort === 'updated') scored.sort((a, b) => String(b.r.updated_at).localeCompare(String(a.r.updated_at)));
  const year = new Date(now.getTime() - 365 * 864e5).toISOString().slice(0, 10);
  const hits = scored.slice(offset, offset + limit).map(({ r, p, dist }) => {
    const [name, name_lang] = pick(r.name, lang);
    const [desc, snippet_lang] = pick(r.description, lang);
    const m = r.munis[0] && muniByCode.get(r.munis[0]);
    const loc = r.loc ?? {};
    const location = p ? { address: loc.address, postal_code: loc.postal_code, post_office: loc.post_office, lat: p.lat, lon: p.lon, approximate: p.approximate } : null;
    return {
      id: r.id, type: r.type, name, name_lang,
      snippet: desc ? segments(desc, terms) : [], snippet_lang: desc ? snippet_lang : null,
      organisation: r.org ? { id: r.org.id, name: pick(r.org.name, lang)[0] } : null,
      municipality: m ? { code: m.code, label: m[lang] || m.fi } : null,
      location: location && JSON.parse(JSON.stringify(location)),
      distance_m: dist, themes: (r.themes ?? []).map((t) => label('themes', t, lang)),
      target_groups: (r.target_groups ?? []).map((t) => label('target_groups', t, lang)),
      kind: r.kind ? label('kinds', r.kind, lang) : null,
      schedule: r.schedule?.text ? pick(r.schedule.text, lang)[0] : null,
      free: r.free === true, accessible: r.accessible === true, online: r.online === true,
      plain_language: r.plain_language === true, languages: r.languages ?? [],
      website: r.website ?? null, email: r.email ?? null, phone: r.phone ?? null,
      updated_at: r.updated_at ?? null, stale: !!r.updated_at && r.updated_at < year, score: 1,
    };
  });
  const facets = {};
  for (const f of (sp.get('facets') ?? '').split(',').filter(Boolean)) {
    const counts = new Map();
    for (const { r } of scored) {
      const vals = { theme: r.themes, target_group: r.target_groups, kind: r.kind ? [r.kind] : [], language: r.languages, municipality: r.munis, type: [r.type] }[f] ?? [];
      for (const v of new Set(vals)) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const lab = (v) => (f === 'theme' ? label('themes', v, lang).label : f === 'target_group' ? label('target_groups', v, lang).label
      : f === 'kind' ? label('kinds', v, lang).label : f === 'municipality' ? (muniByCode.get(v)?.[lang] ?? v) : v);
    facets[f] = [...counts].sort((a, b) => b[1] - a[1]).map(([value, count]) => ({ value, label: lab(value), count }));
  }
  return {
    total: scored.length, total_relation: 'eq', hits, facets,
    understood: { places: places.map((c) => ({ code: c, label: muniByCode.get(c)[lang] })), terms, typo_tolerant: typoTolerant, ignored, themes: [], target_groups: [] },
  };
}

export function suggest(records, sp) {
  const lang = LANGS.includes(sp.get('lang')) ? sp.get('lang') : 'fi';
  const q = (sp.get('q') ?? '').trim().toLowerCase();
  if (!q) return { suggestions: [] };
  const out = [];
  const starts = (s) => s.toLowerCase().split(/\s+/).some((w) => w.startsWith(q)) || s.toLowerCase().startsWith(q);
  for (const [list, kind] of [['themes', 'theme'], ['target_groups', 'target_group']]) {
    for (const v of vocab[list]) if (starts(v[lang] || v.fi)) out.push({ text: v[lang] || v.fi, kind, value: v.code });
  }
  for (const m of municipalities) if ((m[lang] || m.fi).toLowerCase().startsWith(q)) out.push({ text: m[lang] || m.fi, kind: 'municipality', value: m.code });
  for (const r of records) {
    const [name] = pick(r.name, lang);
    if (name && starts(name)) out.push({ text: name, kind: r.type, value: r.id });
  }
  return { suggestions: out.slice(0, 10) };
}

const DEMO = (api) => `<!doctype html>
<html lang="fi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tarjotin – widget demo</title><script type="module" src="/widget/v1/tarjotin.js"></script></head>
<body><main><h1>Tarjotin</h1><h2>Haku</h2>
<tarjotin-search api="${api}" lang="fi" near-me></tarjotin-search></main></body></html>`;

/**
 * Starts the mock API. Options: port (0 = any), host, records (path), delayMs (per response).
 * Resolves to {url, close(), server}.
 */
export function startMock({ port = 0, host = '127.0.0.1', records: path, delayMs = 0 } = {}) {
  const records = loadRecords(path);
  const bundle = () => readFileSync(here('../dist/tarjotin.js'));
  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const send = (status, body, type = 'application/json; charset=utf-8', extra = {}) => {
      res.writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*', 'cache-control': 'no-store', ...extra });
      res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    const json = (fn) => setTimeout(() => {
      try { send(200, fn()); } catch (e) {
        if (e instanceof HttpError) send(e.status, { code: e.code, message: e.message });
        else send(500, { code: 'internal', message: 'internal error' });
      }
    }, delayMs);
    if (req.method === 'OPTIONS') return send(204, '', 'text/plain', { 'access-control-allow-methods': 'GET', 'access-control-allow-headers': '*' });
    if (req.method !== 'GET') return send(405, { code: 'method_not_allowed', message: 'GET only' });
    const lang = LANGS.includes(u.searchParams.get('lang')) ? u.searchParams.get('lang') : 'fi';
    switch (u.pathname) {
      case '/v1/search': return json(() => search(records, u.searchParams));
      case '/v1/suggest': return json(() => suggest(records, u.searchParams));
      case '/v1/municipalities': return json(() => ({ municipalities: municipalities.map((m) => ({ code: m.code, name: m[lang] || m.fi, county: m.county })) }));
      case '/v1/vocabularies': return json(() => ({
        themes: vocab.themes.map((v) => ({ code: v.code, label: v[lang] })),
        target_groups: vocab.target_groups.map((v) => ({ code: v.code, label: v[lang] })),
        kinds: vocab.kinds.map((v) => ({ code: v.code, label: v[lang] })),
      }));
      case '/widget/v1/tarjotin.js': return send(200, bundle(), 'text/javascript; charset=utf-8');
      case '/': return send(200, DEMO(`http://${req.headers.host}`), 'text/html; charset=utf-8');
      default: return send(404, { code: 'not_found', message: 'not found' });
    }
  });
  return new Promise((resolve) => server.listen(port, host, () => {
    const a = server.address();
    resolve({ url: `http://${host}:${a.port}`, server, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) });
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const m = await startMock({ port: Number(process.env.PORT ?? 8787), host: process.env.HOST ?? '127.0.0.1' });
  console.log(`mock Tarjotin API on ${m.url} (demo page at /)`);
}
