// End-to-end harness: a host-page server, the API (real via TARJOTIN_API_URL, else the mock),
// and Debian Chromium driven by playwright-core (no browser downloads).
import { createServer } from 'node:http';
import { readFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMock } from '../mock-server.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
export const ARTIFACTS = here('../../test-artifacts/');
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
export const STRICT_CSP = "default-src 'self'; script-src 'self'";

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Host pages; `o` is the page URL's query (e.g. ?lang=sv&limit=2) plus the API base. */
const PAGES = {
  basic: (o) => `<main><h1>Järjestöhaku</h1><p>Testisivu, joka upottaa hakukomponentin.</p>
<tarjotin-search api="${esc(o.api)}" lang="${esc(o.lang ?? 'fi')}" limit="${esc(o.limit ?? '3')}" near-me${o.municipality ? ` municipality="${esc(o.municipality)}"` : ''}></tarjotin-search></main>`,
  two: (o) => `<main><h1>Kaksi hakua</h1>
<h2>Turku</h2><tarjotin-search id="turku" api="${esc(o.api)}" lang="fi" municipality="853" limit="5"></tarjotin-search>
<h2>Helsingfors</h2><tarjotin-search id="hki" api="${esc(o.api)}" lang="sv" municipality="Helsinki" theme="physical_activity" limit="5"></tarjotin-search></main>`,
  csp: (o) => `<main><h1>Tiukka CSP</h1><tarjotin-search api="${esc(o.origin)}" lang="fi" near-me limit="3"></tarjotin-search></main>`,
  themed: (o) => `<main><h1>Teemoitettu</h1><tarjotin-search api="${esc(o.api)}" lang="en" limit="2"></tarjotin-search></main>`,
  hostile: (o) => `<main><h1>Vihamielinen CSS</h1><tarjotin-search api="${esc(o.api)}" lang="fi" limit="3"></tarjotin-search></main>`,
};
const THEMED_CSS = `tarjotin-search { --tarjotin-accent: #7a1f00; --tarjotin-font: Georgia, serif; --tarjotin-radius: 0; }
tarjotin-search::part(result) { border: 3px solid rgb(1, 2, 3); }
tarjotin-search::part(input) { background: rgb(250, 250, 240); }`;
const HOSTILE_CSS = `* { display: none !important; color: red !important; background: #000 !important; letter-spacing: 9px !important; }
main, main * { font-size: 5px !important; line-height: 0 !important; visibility: hidden !important; }
main * { opacity: 0.1 !important; }
h1 { visibility: visible !important; opacity: 1 !important; font-size: 2rem !important; }
html, body, main, h1 { display: block !important; }
input, select, button { display: none !important; width: 0 !important; height: 0 !important; }
mark, li, ol, ul, a { display: none !important; }
:root { --unrelated: 1; }`;

function page(name, q, api, origin) {
  const o = { ...Object.fromEntries(q), api, origin };
  const head = `<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Testisivu ${name}</title>`
    + (name === 'hostile' ? '<link rel="stylesheet" href="/hostile.css">' : '')
    + (name === 'themed' ? '<link rel="stylesheet" href="/themed.css">' : '')
    + '<script type="module" src="/tarjotin.js"></script>';
  return `<!doctype html><html lang="fi"><head>${head}</head><body>${PAGES[name](o)}</body></html>`;
}

export async function startHarness() {
  let mock = null;
  let api = process.env.TARJOTIN_API_URL;
  if (api) api = api.replace(/\/+$/, '');
  else {
    mock = await startMock({ host: '127.0.0.1' });
    api = mock.url;
  }
  const host = createServer(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    const origin = `http://${req.headers.host}`;
    const send = (status, body, type, extra = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
      res.end(body);
    };
    try {
      if (u.pathname === '/tarjotin.js') return send(200, readFileSync(here('../../dist/tarjotin.js')), 'text/javascript; charset=utf-8');
      if (u.pathname === '/favicon.ico') return send(204, '', 'image/x-icon');
      if (u.pathname === '/themed.css') return send(200, THEMED_CSS, 'text/css');
      if (u.pathname === '/hostile.css') return send(200, HOSTILE_CSS, 'text/css');
      if (u.pathname.startsWith('/v1/')) { // same-origin proxy, used by the strict-CSP page
        const r = await fetch(api + u.pathname + u.search);
        const extra = r.headers.get('retry-after') ? { 'retry-after': r.headers.get('retry-after') } : {};
        return send(r.status, Buffer.from(await r.arrayBuffer()), r.headers.get('content-type') ?? 'application/json', extra);
      }
      const m = /^\/page\/(\w+)$/.exec(u.pathname);
      if (m && PAGES[m[1]]) {
        const extra = m[1] === 'csp' ? { 'content-security-policy': STRICT_CSP } : {};
        return send(200, page(m[1], u.searchParams, api, origin), 'text/html; charset=utf-8', extra);
      }
      send(404, 'not found', 'text/plain');
    } catch (e) {
      send(502, String(e), 'text/plain');
    }
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
  const hostUrl = `http://127.0.0.1:${host.address().port}`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    api, hostUrl, browser, mocked: !!mock,
    async close() {
      await browser.close();
      await new Promise((r) => { host.closeAllConnections?.(); host.close(r); });
      if (mock) await mock.close();
    },
  };
}

/** A new page that records console errors, page errors, dialogs and every request URL. */
export async function openPage(h, path, { viewport = { width: 1280, height: 900 }, contextOptions = {} } = {}) {
  const context = await h.browser.newContext({ viewport, locale: 'fi-FI', ...contextOptions });
  const page = await context.newPage();
  const log = { errors: [], dialogs: [], requests: [], csp: [] };
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') log.errors.push(m.text());
    if (/Content Security Policy/i.test(m.text())) log.csp.push(m.text());
  });
  page.on('dialog', (d) => { log.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('request', (r) => log.requests.push(r.url()));
  if (path) await page.goto(h.hostUrl + path);
  return { context, page, log };
}

/**
 * Waits until the widget has no search in flight (the result list is not `aria-busy`).
 * The widget writes the host URL and sets `aria-busy` in the same step, so after a URL change
 * this returns only once that search's response has been rendered.
 */
export async function whenSettled(page, widget = 'tarjotin-search') {
  await page.waitForFunction((sel) => {
    const r = document.querySelector(sel)?.shadowRoot?.querySelector('ol.results');
    return r && !r.hasAttribute('aria-busy');
  }, widget);
}

/** Submits a query in the first (or given) widget and waits for the status line to update. */
export async function searchFor(page, q, widget = 'tarjotin-search') {
  const w = page.locator(widget);
  const before = await w.locator('[role=status]').textContent();
  await w.locator('input[type=search]').fill(q);
  await w.getByRole('button', { name: /^(Hae|Sök|Search)$/ }).click();
  await page.waitForFunction(([sel, b]) => {
    const s = document.querySelector(sel)?.shadowRoot?.querySelector('[role=status]');
    return s && s.textContent && s.textContent !== b;
  }, [widget, before]);
  return w;
}
