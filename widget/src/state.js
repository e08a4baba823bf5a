// Search state: a plain object, pure functions, no DOM. Unit-tested under node --test.

/** Multi-valued filters, named as the API's query parameters. */
export const LIST_KEYS = ['municipality', 'county', 'theme', 'target_group', 'kind', 'language'];
/** Boolean filters sent as `key=true`. */
export const FLAG_KEYS = ['free', 'accessible', 'online'];
export const MAX_Q = 200;
export const MAX_VALUES = 50;
const VALUE = /^[\p{L}\p{N} _.:'-]{1,100}$/u;

export function emptyState() {
  return {
    q: '',
    municipality: [], county: [], theme: [], target_group: [], kind: [], language: [],
    free: false, accessible: false, online: false,
    near: null, // {lat, lon}, already rounded; never written to the URL
  };
}

/** "853 091", "853,091" or "853, 091" -> ["853", "091"] (deduplicated, validated). */
export function splitList(value) {
  const out = [];
  for (const v of String(value ?? '').split(/[\s,]+/)) {
    if (v && VALUE.test(v) && !out.includes(v) && out.length < MAX_VALUES) out.push(v);
  }
  return out;
}

/** State from the element's preset attributes (`target-group` maps to `target_group`). */
export function presetState(attrs) {
  const s = emptyState();
  for (const k of LIST_KEYS) {
    const v = attrs[k] ?? attrs[k.replace('_', '-')];
    if (v != null) s[k] = splitList(v);
  }
  return s;
}

/** Rounds a coordinate to 3 decimals (about 100 m) before it leaves the browser. */
export function roundCoord(x) {
  return Math.round(Number(x) * 1000) / 1000;
}

export function nearPoint(lat, lon) {
  const la = roundCoord(lat);
  const lo = roundCoord(lon);
  if (!Number.isFinite(la) || !Number.isFinite(lo) || Math.abs(la) > 90 || Math.abs(lo) > 180) return null;
  return { lat: la, lon: lo };
}

/** The `/v1/search` query for a state. */
export function searchParams(state, { lang = 'fi', limit = 10, offset = 0 } = {}) {
  const p = new URLSearchParams();
  const q = state.q.trim().slice(0, MAX_Q);
  if (q) p.set('q', q);
  for (const k of LIST_KEYS) for (const v of state[k]) p.append(k, v);
  for (const k of FLAG_KEYS) if (state[k]) p.set(k, 'true');
  if (state.near) {
    p.set('near', state.near.lat.toFixed(3) + ',' + state.near.lon.toFixed(3));
    p.set('sort', 'distance');
  }
  p.set('lang', lang);
  p.set('limit', String(limit));
  if (offset) p.set('offset', String(offset));
  return p;
}

/** True when the state asks for anything at all. */
export function isEmpty(state) {
  return !state.q.trim() && activeFilters(state).length === 0;
}

/** Serialises the shareable part of a state (not `near`: a location is personal data). */
export function encodeState(state) {
  const p = new URLSearchParams();
  const q = state.q.trim().slice(0, MAX_Q);
  if (q) p.set('q', q);
  for (const k of LIST_KEYS) if (state[k].length) p.set(k, state[k].join(' '));
  for (const k of FLAG_KEYS) if (state[k]) p.set(k, '1');
  return p.toString();
}

/** Parses `encodeState` output; unknown keys and malformed values are ignored. */
export function decodeState(text) {
  const s = emptyState();
  let p;
  try {
    p = new URLSearchParams(String(text ?? ''));
  } catch {
    return s;
  }
  const q = p.get('q');
  if (q) s.q = q.slice(0, MAX_Q);
  for (const k of LIST_KEYS) if (p.has(k)) s[k] = splitList(p.get(k));
  for (const k of FLAG_KEYS) s[k] = p.get(k) === '1';
  return s;
}

/** The URL parameter holding one widget's state: `tarjotin` or `tarjotin-<id>`. */
export function paramName(id) {
  return id && /^[A-Za-z0-9_-]{1,40}$/.test(id) ? 'tarjotin-' + id : 'tarjotin';
}

/** Reads a widget's state from a page URL, or null when the URL has none. */
export function readUrlState(href, name) {
  const u = new URL(href);
  return u.searchParams.has(name) ? decodeState(u.searchParams.get(name)) : null;
}

/** The page URL with only this widget's parameter changed; the host's own parameters stay. */
export function writeUrlState(href, name, state) {
  const u = new URL(href);
  const enc = encodeState(state);
  if (enc) u.searchParams.set(name, enc);
  else u.searchParams.delete(name);
  return u.href;
}

/** Active filters as `{key, value}` pairs, in the order loosening buttons are shown. */
export function activeFilters(state) {
  const out = [];
  if (state.near) out.push({ key: 'near', value: true });
  for (const k of FLAG_KEYS) if (state[k]) out.push({ key: k, value: true });
  for (const k of ['theme', 'target_group', 'language', 'kind', 'municipality', 'county']) {
    for (const v of state[k]) out.push({ key: k, value: v });
  }
  return out;
}

/** A copy of the state without one filter (a list key without `value` clears the whole list). */
export function loosen(state, key, value) {
  const s = { ...state };
  for (const k of LIST_KEYS) s[k] = [...state[k]];
  if (key === 'near') s.near = null;
  else if (FLAG_KEYS.includes(key)) s[key] = false;
  else if (LIST_KEYS.includes(key)) s[key] = value == null ? [] : s[key].filter((v) => v !== value);
  else if (key === 'q') s.q = '';
  return s;
}

/** Applies a chosen autocomplete suggestion. */
export function applySuggestion(state, sug) {
  const s = loosen(state, '', null);
  const key = { theme: 'theme', target_group: 'target_group', municipality: 'municipality' }[sug.kind];
  if (key && typeof sug.value === 'string' && VALUE.test(sug.value)) {
    s[key] = [sug.value];
    s.q = '';
  } else {
    s.q = String(sug.text ?? '').slice(0, MAX_Q);
  }
  return s;
}

const LOCALES = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };
export const locale = (lang) => LOCALES[lang] || LOCALES.fi;

/** "1,2 km" (fi/sv) or "1.2 km" (en); whole kilometres from 10 km on. */
export function formatDistance(metres, lang) {
  if (typeof metres !== 'number' || !Number.isFinite(metres) || metres < 0) return '';
  const km = metres / 1000;
  const nf = new Intl.NumberFormat(locale(lang), { maximumFractionDigits: km < 10 ? 1 : 0, minimumFractionDigits: 0 });
  return nf.format(km) + '\u00a0km';
}

/** A date (or date-time) in the language's short format, or '' when unparseable. */
export function formatDate(iso, lang) {
  if (typeof iso !== 'string') return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return '';
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(locale(lang), { year: 'numeric', month: 'numeric', day: 'numeric', timeZone: 'UTC' }).format(d);
}
