// XSS corpus, strict CSP, hostile host CSS, and "no requests except to the api origin".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, openPage, searchFor, ARTIFACTS } from './harness.mjs';

let h;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

const XSS_FLAG = () => window.__xss;

/** Asserts that nothing from the corpus executed or became markup/links. */
async function assertInert(page, log) {
  assert.equal(await page.evaluate(XSS_FLAG), undefined, 'no payload ran');
  assert.deepEqual(log.dialogs, []);
  const bad = await page.evaluate(() => {
    const root = document.querySelector('tarjotin-search').shadowRoot;
    const out = [];
    for (const el of root.querySelectorAll('*')) {
      if (['SCRIPT', 'IMG', 'SVG', 'IFRAME', 'STYLE', 'B', 'OBJECT', 'EMBED'].includes(el.tagName.toUpperCase())) out.push('element ' + el.tagName);
      for (const a of el.attributes) if (/^on/i.test(a.name) || a.name === 'style') out.push('attr ' + a.name);
    }
    for (const a of root.querySelectorAll('a[href]')) {
      const p = new URL(a.href).protocol;
      if (!['http:', 'https:', 'mailto:', 'tel:'].includes(p)) out.push('href ' + a.href);
    }
    return out;
  });
  assert.deepEqual(bad, []);
}

test('XSS corpus from the API renders as text', async () => {
  const { page, context, log } = await openPage(h, '/page/basic?limit=10');
  const w = await searchFor(page, 'XSS-testi');
  assert.ok((await w.locator('li.hit').count()) >= 1, 'hostile fixture records are in the index');
  const names = await w.locator('li.hit h3').allTextContents();
  assert.ok(names.some((n) => n.includes('<script>') || n.includes('<img')), 'payload shown literally: ' + names.join(' | '));
  await page.locator('tarjotin-search li.hit').first().hover();
  await assertInert(page, log);
  await page.screenshot({ path: ARTIFACTS + 'xss-1280.png', fullPage: true });
  await context.close();
});

test('hostile values straight in a response (bypassing import validation) stay inert', async () => {
  const { page, context, log } = await openPage(h, '/page/basic');
  const payloads = ['<script>window.__xss=1</script>', '<img src=x onerror="window.__xss=2">', '"><svg onload=window.__xss=3>',
    "javascript:window.__xss=4", ' JaVaScRiPt:window.__xss=5', 'data:text/html,<script>window.__xss=6</script>', 'java\u0000script:window.__xss=7',
    'vbscript:msgbox(1)', '//evil.example/x', '\u202egnp.exe', '{{constructor.constructor("window.__xss=8")()}}'];
  const hit = (i, p) => ({
    id: 'test:x' + i, type: 'activity', name: p, name_lang: '"><img src=x onerror=window.__xss=9>',
    snippet: [{ text: p, hit: true }, { text: p, hit: false }, { text: '<b>', hit: 'yes' }], snippet_lang: 'fi" onmouseover="window.__xss=10',
    organisation: { id: 'o', name: p }, municipality: { code: '853', label: p }, location: { address: p, post_office: p, approximate: false },
    distance_m: 'NaN', themes: [{ code: p, label: p }], target_groups: [], kind: { code: 'club', label: p }, schedule: p,
    free: 'true', accessible: true, online: false, plain_language: false, languages: [p], website: p, email: p, phone: p,
    updated_at: p, stale: true, score: 1,
  });
  await page.route('**/v1/search?**', (route) => route.fulfill({
    status: 200, contentType: 'application/json', headers: { 'access-control-allow-origin': '*' },
    body: JSON.stringify({ total: payloads.length, hits: payloads.map((p, i) => hit(i, p)), facets: {},
      understood: { places: [{ code: '853', label: payloads[1] }], terms: [], typo_tolerant: [], ignored: [], themes: [], target_groups: [] } }),
  }));
  await searchFor(page, 'kuoro');
  assert.equal(await page.locator('tarjotin-search li.hit').count(), payloads.length);
  assert.equal(await page.locator('tarjotin-search li.hit a').count(), 0, 'no link from hostile URLs');
  await assertInert(page, log);
  await context.close();
});

test('works under Content-Security-Policy: default-src \'self\'; script-src \'self\'', async () => {
  const { page, context, log } = await openPage(h, '/page/csp');
  const w = await searchFor(page, 'kuoro');
  assert.ok((await w.locator('li.hit').count()) >= 1);
  assert.deepEqual(log.csp, [], 'no CSP violations');
  const styled = await page.evaluate(() => {
    const b = document.querySelector('tarjotin-search').shadowRoot.querySelector('button[type=submit]');
    return getComputedStyle(b).backgroundColor;
  });
  assert.equal(styled, 'rgb(10, 86, 153)', 'widget styles applied (adoptedStyleSheets)');
  await w.locator('input[type=search]').fill('mie');
  await w.locator('[role=listbox]').waitFor({ state: 'visible' });
  assert.deepEqual(log.errors.filter((e) => !/favicon/.test(e)), []);
  await page.screenshot({ path: ARTIFACTS + 'csp-1280.png', fullPage: true });
  await context.close();
});

test('hostile host CSS does not break the widget', async () => {
  const { page, context } = await openPage(h, '/page/hostile');
  const w = page.locator('tarjotin-search');
  assert.equal(await w.isVisible(), true, 'host element still displayed');
  const input = w.locator('input[type=search]');
  assert.equal(await input.isVisible(), true);
  const box = await input.boundingBox();
  assert.ok(box.width > 100 && box.height > 20, JSON.stringify(box));
  const [fontSize, rootSize, color] = await page.evaluate(() => {
    const cs = getComputedStyle(document.querySelector('tarjotin-search').shadowRoot.querySelector('.root'));
    return [cs.fontSize, getComputedStyle(document.documentElement).fontSize, cs.color];
  });
  assert.equal(fontSize, rootSize, 'host font-size override does not leak in (the widget follows rem)');
  assert.equal(color, 'rgb(26, 26, 26)', 'host colour override does not leak in');
  await searchFor(page, 'kuoro');
  assert.equal(await w.locator('li.hit').first().isVisible(), true);
  assert.equal(await w.locator('li.hit mark').first().isVisible(), true);
  await page.screenshot({ path: ARTIFACTS + 'hostile-css-1280.png', fullPage: true });
  await context.close();
});

test('requests go only to the page and the api origin; no cookies or storage', async () => {
  const { page, context, log } = await openPage(h, '/page/basic');
  await searchFor(page, 'kuoro');
  await page.locator('tarjotin-search input[type=search]').fill('mie');
  await page.locator('tarjotin-search [role=listbox]').waitFor({ state: 'visible' });
  const allowed = new Set([new URL(h.hostUrl).origin, new URL(h.api).origin]);
  for (const u of log.requests) assert.ok(allowed.has(new URL(u).origin), 'unexpected request ' + u);
  const apiReqs = log.requests.filter((u) => new URL(u).origin === new URL(h.api).origin);
  assert.ok(apiReqs.length >= 3);
  assert.deepEqual(await context.cookies(), []);
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, '']);
  await context.close();
});

test('the element is defined once even if the script is loaded twice', async () => {
  const { page, context, log } = await openPage(h, '/page/basic');
  await page.evaluate(async () => { await import('/tarjotin.js?again'); });
  assert.equal(await page.evaluate(() => typeof customElements.get('tarjotin-search')), 'function');
  assert.deepEqual(log.errors.filter((e) => /already|define/i.test(e)), []);
  await context.close();
});
