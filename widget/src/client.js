// API client: fetch wrappers, request cancellation, stale-response dropping, debounce.
// DOM-free (uses fetch, URL, AbortController only) so it is unit-tested under node --test.
import { apiBase } from './urls.js';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status; // 0 = network failure
    this.code = code;
    this.retryAfter = retryAfter ?? null;
  }
}

/**
 * A client for one API origin. Every request goes to `api` only, without credentials.
 * @param {string} api base URL, e.g. "https://tarjotin.example/"
 */
export function createClient(api, { fetch: f = (...a) => globalThis.fetch(...a) } = {}) {
  const base = apiBase(api);
  if (!base) throw new ApiError(0, 'invalid_api', 'api must be an http(s) URL');
  const url = (path, params) => {
    const u = new URL(path, base);
    u.search = params ? new URLSearchParams(params).toString() : '';
    return u.href;
  };
  async function get(path, params, signal) {
    let res;
    try {
      res = await f(url(path, params), { signal, credentials: 'omit', cache: 'default' });
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', String(e && e.message));
    }
    if (!res.ok) {
      let body = {};
      try {
        body = await res.json();
      } catch {
        /* body is optional */
      }
      throw new ApiError(res.status, typeof body.code === 'string' ? body.code : 'http_' + res.status,
        typeof body.message === 'string' ? body.message : '', res.headers.get('retry-after'));
    }
    return res.json();
  }
  return {
    origin: base.origin,
    url,
    search: (params, signal) => get('v1/search', params, signal),
    suggest: (q, lang, signal) => get('v1/suggest', { q, lang }, signal),
    municipalities: (lang, signal) => get('v1/municipalities', { lang }, signal),
    vocabularies: (lang, signal) => get('v1/vocabularies', { lang }, signal),
  };
}

/**
 * Runs async jobs so that only the latest one counts: starting a job aborts the previous one,
 * and a result that arrives after a newer job started is reported as `{stale: true}`.
 */
export function latestOnly() {
  let id = 0;
  let ctrl = null;
  return {
    run(job) {
      const mine = ++id;
      if (ctrl) ctrl.abort();
      const c = (ctrl = new AbortController());
      let p;
      try {
        p = Promise.resolve(job(c.signal, mine));
      } catch (e) {
        p = Promise.reject(e);
      }
      return p.then(
          (value) => (mine === id ? { stale: false, value, id: mine } : { stale: true, id: mine }),
          (error) => {
            if (mine !== id || (error && error.name === 'AbortError')) return { stale: true, id: mine };
            throw error;
          },
        );
    },
    cancel() {
      id++;
      if (ctrl) ctrl.abort();
      ctrl = null;
    },
    get current() {
      return id;
    },
  };
}

/** Trailing-edge debounce with `.cancel()`; timers are injectable for tests. */
export function debounce(fn, ms, timers = globalThis) {
  let t = null;
  const d = (...args) => {
    if (t !== null) timers.clearTimeout(t);
    t = timers.setTimeout(() => {
      t = null;
      fn(...args);
    }, ms);
  };
  d.cancel = () => {
    if (t !== null) timers.clearTimeout(t);
    t = null;
  };
  return d;
}
