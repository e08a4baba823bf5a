// URL safety helpers. DOM-free: only the WHATWG URL global is used.
// Only http, https, mailto and tel links are ever rendered.

/** An absolute http(s) URL as a normalised string, or null. */
export function safeHttpUrl(value) {
  if (typeof value !== 'string' || !value.trim()) return null;
  let u;
  try {
    u = new URL(value.trim());
  } catch {
    return null;
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
}

/** A `tel:` href from a displayed phone number, or null when it is not a plain number. */
export function telHref(value) {
  if (typeof value !== 'string') return null;
  const digits = value.replace(/[\s().\-/]/g, '');
  if (!/^\+?[0-9]{3,20}$/.test(digits)) return null;
  const u = new URL('tel:' + digits);
  return u.protocol === 'tel:' ? u.href : null;
}

const EMAIL = /^[A-Za-z0-9.!#$%&*+=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$/;

/** A `mailto:` href for a plain address, or null. */
export function mailtoHref(value) {
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (s.length > 254 || !EMAIL.test(s)) return null;
  const u = new URL('mailto:' + s);
  return u.protocol === 'mailto:' ? u.href : null;
}

/** The API base as a URL ending in `/` (so `v1/...` resolves under it), or null. */
export function apiBase(value) {
  const href = safeHttpUrl(value);
  if (!href) return null;
  const u = new URL(href);
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}
