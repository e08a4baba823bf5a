// Search flow, autocomplete, paging, zero results, errors, link sharing, print, languages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, openPage, searchFor, whenSettled, ARTIFACTS } from './harness.mjs';

let h;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

const status = (w) => w.locator('[role=status]');
const statusText = (w) => status(w).textContent();

test('search shows results with highlights, facts, links and a polite count', async () => {
  const { page, context, log } = await openPage(h, '/page/basic');
  const w = await searchFor(page, 'kuoro');
  assert.equal(await status(w).getAttribute('aria-live'), 'polite');
  assert.match(await statusText(w), /^\d+ tulos(ta)?\./);
  assert.equal(await w.locator('.loading').isVisible(), false, 'no loading note for a fast answer');
  const hits = w.locator('li.hit');
  assert.ok((await hits.count()) >= 1);
  assert.ok((await w.locator('li.hit mark').count()) >= 1, 'query words marked');
  assert.match((await w.locator('li.hit mark').first().textContent()).toLowerCase(), /kuoro/);
  const first = hits.first();
  assert.ok(await first.locator('h3').textContent());
  for (const a of await w.locator('li.hit a').all()) assert.match(await a.getAttribute('href'), /^(https?:|tel:|mailto:)/);
  assert.equal(log.errors.length, 0, log.errors.join('\n'));
  await page.screenshot({ path: ARTIFACTS + 'search-1280.png', fullPage: true });
  await context.close();
});

test('"show more" pages with offset and focuses the first new result', async () => {
  const { page, context } = await openPage(h, '/page/basic?limit=2');
  const w = await searchFor(page, 'kuoro');
  const more = w.getByRole('button', { name: 'Näytä lisää tuloksia' });
  await more.waitFor();
  const req = page.waitForRequest((r) => r.url().includes('/v1/search') && r.url().includes('offset=2'));
  await more.click();
  await req;
  await page.waitForFunction(() => document.querySelector('tarjotin-search').shadowRoot.querySelectorAll('li.hit').length > 2);
  const focused = await page.evaluate(() => {
    const a = document.querySelector('tarjotin-search').shadowRoot.activeElement;
    return a && a.tagName + ':' + [...a.closest('ol').children].indexOf(a.closest('li'));
  });
  assert.equal(focused, 'H3:2');
  await context.close();
});

test('understood places are shown ("Tulokset: Turku")', async () => {
  const { page, context } = await openPage(h, '/page/basic');
  const w = await searchFor(page, 'kuoro turussa');
  assert.match(await statusText(w), /Tulokset: Turku/);
  await context.close();
});

test('a word found nowhere as typed is said to be searched typo-tolerantly', async () => {
  const { page, context } = await openPage(h, '/page/basic');
  const w = await searchFor(page, 'vertaistku');
  assert.match(await statusText(w), /Haettiin myös lähes samoin kirjoitettuja sanoja: vertaistku\./);
  const plain = await searchFor(page, 'kuoro');
  assert.doesNotMatch(await statusText(plain), /lähes samoin/);
  await context.close();
});

test('autocomplete follows the ARIA 1.2 combobox pattern', async () => {
  const { page, context, log } = await openPage(h, '/page/basic');
  const w = page.locator('tarjotin-search');
  const input = w.locator('input[type=search]');
  assert.equal(await input.getAttribute('role'), 'combobox');
  assert.equal(await input.getAttribute('aria-autocomplete'), 'list');
  assert.equal(await input.getAttribute('aria-expanded'), 'false');
  await input.pressSequentially('mielen', { delay: 30 });
  const lb = w.locator('[role=listbox]');
  await lb.waitFor({ state: 'visible' });
  assert.equal(await input.getAttribute('aria-expanded'), 'true');
  assert.equal(await input.getAttribute('aria-controls'), await lb.getAttribute('id'));
  const suggestReqs = log.requests.filter((u) => u.includes('/v1/suggest'));
  assert.ok(suggestReqs.length >= 1 && suggestReqs.length <= 3, `debounced: ${suggestReqs.length} suggest requests for 6 keystrokes`);
  await input.press('ArrowDown');
  const opt0 = w.locator('[role=option]').first();
  assert.equal(await opt0.getAttribute('aria-selected'), 'true');
  assert.equal(await input.getAttribute('aria-activedescendant'), await opt0.getAttribute('id'));
  await input.press('Escape');
  assert.equal(await input.getAttribute('aria-expanded'), 'false');
  assert.equal(await input.getAttribute('aria-activedescendant'), null);
  await input.press('ArrowDown');
  assert.equal(await input.getAttribute('aria-expanded'), 'true');
  const text = await opt0.locator('span').textContent();
  const before = await statusText(w);
  await input.press('Enter');
  await page.waitForFunction((b) => document.querySelector('tarjotin-search').shadowRoot.querySelector('[role=status]').textContent !== b, before);
  assert.equal(await input.getAttribute('aria-expanded'), 'false');
  const themeSel = w.locator('select[name=theme]');
  const chosen = (await input.inputValue()) || (await themeSel.locator('option:checked').textContent());
  assert.match(chosen, new RegExp(text.slice(0, 5), 'i'));
  await context.close();
});

test('stale suggestion responses are dropped', async () => {
  const { page, context } = await openPage(h, '/page/basic');
  let n = 0;
  await page.route('**/v1/suggest?**', async (route) => {
    const mine = ++n;
    const q = new URL(route.request().url()).searchParams.get('q');
    if (mine === 1) await new Promise((r) => setTimeout(r, 900)); // the first answer comes last
    await route.fulfill({ status: 200, contentType: 'application/json', headers: { 'access-control-allow-origin': '*' },
      body: JSON.stringify({ suggestions: [{ text: 'vastaus ' + q, kind: 'activity', value: 'x' }] }) }).catch(() => {});
  });
  const input = page.locator('tarjotin-search input[type=search]');
  await input.fill('ku');
  await page.waitForTimeout(400);
  await input.fill('kuoro');
  await page.waitForTimeout(1400);
  assert.deepEqual(await page.locator('tarjotin-search [role=option] span').allTextContents(), ['vastaus kuoro']);
  await context.close();
});

test('zero results name the filters and loosen them with one click', async () => {
  const { page, context } = await openPage(h, '/page/basic');
  const w = page.locator('tarjotin-search');
  await w.locator('input[type=search]').fill('sekakuoro');
  await w.getByLabel('Verkossa').check();
  await page.waitForFunction(() => /^0 tulosta/.test(document.querySelector('tarjotin-search').shadowRoot.querySelector('[role=status]').textContent));
  await w.getByLabel('Maksuton').check();
  const loosen = w.getByRole('button', { name: /^Poista rajaus: / });
  await page.waitForFunction(() => document.querySelector('tarjotin-search').shadowRoot.querySelectorAll('.empty button').length === 2);
  assert.deepEqual(await loosen.allTextContents(), ['Poista rajaus: Maksuton', 'Poista rajaus: Verkossa']);
  await page.screenshot({ path: ARTIFACTS + 'zero-results-1280.png', fullPage: true });
  await w.getByRole('button', { name: 'Poista rajaus: Verkossa' }).click();
  await page.waitForFunction(() => document.querySelector('tarjotin-search').shadowRoot.querySelectorAll('.empty button').length !== 2);
  assert.equal(await w.getByLabel('Verkossa').isChecked(), false);
  assert.equal(await w.getByLabel('Maksuton').isChecked(), true);
  await context.close();
});

test('the loading indicator appears only after 200 ms', async () => {
  const { page, context } = await openPage(h, '/page/basic');
  await page.route('**/v1/search?**', async (route) => {
    await new Promise((r) => setTimeout(r, 1200));
    await route.continue().catch(() => {});
  });
  const w = page.locator('tarjotin-search');
  const loading = w.locator('.loading');
  await w.locator('input[type=search]').fill('kuoro');
  await page.evaluate(() => { // time the indicator inside the page, independent of test-driver latency
    const root = document.querySelector('tarjotin-search').shadowRoot;
    const el = root.querySelector('.loading');
    root.querySelector('form').addEventListener('submit', () => { window.__t0 = performance.now(); }, { capture: true });
    new MutationObserver(() => { if (!el.hidden && window.__t1 == null) window.__t1 = performance.now(); })
      .observe(el, { attributes: true, attributeFilter: ['hidden'] });
  });
  await w.locator('input[type=search]').press('Enter');
  await page.waitForFunction(() => window.__t1 != null);
  const delay = await page.evaluate(() => window.__t1 - window.__t0);
  assert.ok(delay >= 190 && delay < 600, `indicator shown after ${delay} ms`);
  assert.equal(await loading.isVisible(), true);
  await w.locator('li.hit').first().waitFor();
  assert.equal(await loading.isVisible(), false);
  await context.close();
});

test('a 503 gives a polite message and a retry button', async () => {
  const { page, context } = await openPage(h, '/page/basic');
  let fail = true;
  await page.route('**/v1/search?**', (route) => (fail
    ? route.fulfill({ status: 503, contentType: 'application/json', headers: { 'retry-after': '1', 'access-control-allow-origin': '*' }, body: '{"code":"overloaded","message":"busy"}' })
    : route.continue()));
  const w = page.locator('tarjotin-search');
  await w.locator('input[type=search]').fill('kuoro');
  await w.locator('input[type=search]').press('Enter');
  const err = w.locator('.error');
  await err.getByText('ruuhkautunut').waitFor();
  assert.equal(await err.getAttribute('aria-live'), 'polite');
  fail = false;
  await err.getByRole('button', { name: 'Yritä uudelleen' }).click();
  await w.locator('li.hit').first().waitFor();
  assert.equal(await err.textContent(), '');
  await context.close();
});

test('"copy link" restores the same search and keeps the host page parameters', async () => {
  const { page, context } = await openPage(h, '/page/basic?host=1', { contextOptions: { permissions: ['clipboard-read', 'clipboard-write'] } });
  const w = await searchFor(page, 'kuoro');
  await w.getByLabel('Esteetön').check();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('tarjotin')?.includes('accessible'));
  await whenSettled(page); // the URL changes when the search starts; read the status once it has answered
  const text = await statusText(w);
  await w.getByRole('button', { name: 'Kopioi linkki hakuun' }).click();
  await w.getByText('Linkki hakuun kopioitu.').waitFor();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  const u = new URL(link);
  assert.equal(u.searchParams.get('host'), '1');
  assert.equal(u.searchParams.get('tarjotin'), 'q=kuoro&accessible=1');
  const p2 = await context.newPage();
  await p2.goto(link);
  const w2 = p2.locator('tarjotin-search');
  await w2.locator('li.hit').first().waitFor();
  await whenSettled(p2);
  assert.equal(await w2.locator('input[type=search]').inputValue(), 'kuoro');
  assert.equal(await w2.getByLabel('Esteetön').isChecked(), true);
  assert.equal(await statusText(w2), text);
  await context.close();
});

test('print view hides the controls and keeps contact details', async () => {
  const { page, context } = await openPage(h, '/page/basic');
  const w = await searchFor(page, 'kuoro');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await w.locator('form').isVisible(), false);
  assert.equal(await w.locator('.tools').isVisible(), false);
  assert.equal(await w.locator('li.hit').first().isVisible(), true);
  const after = await page.evaluate(() => {
    const a = document.querySelector('tarjotin-search').shadowRoot.querySelector('a[href^=http]');
    return a ? getComputedStyle(a, '::after').content : 'none';
  });
  assert.match(after, /\(|none/);
  await page.pdf({ path: ARTIFACTS + 'print.pdf' });
  await context.close();
});

test('stale records show when they were last updated', async () => {
  const { page, context } = await openPage(h, '/page/basic');
  const w = await searchFor(page, 'Kävelykerho');
  const stale = w.locator('.stale');
  await stale.first().waitFor();
  assert.match(await stale.first().textContent(), /^Tiedot päivitetty viimeksi \d{1,2}\.\d{1,2}\.\d{4}\.$/);
  await context.close();
});

test('content in another language is marked with its own lang', async () => {
  const { page, context } = await openPage(h, '/page/basic');
  const w = await searchFor(page, 'samtalsgrupp');
  const name = w.locator('li.hit h3 span').first();
  assert.equal(await name.getAttribute('lang'), 'sv');
  assert.equal(await w.locator('.root').getAttribute('lang'), 'fi');
  await context.close();
});

test('two widgets with different presets and languages work on one page', async () => {
  const { page, context, log } = await openPage(h, '/page/two');
  const turku = page.locator('#turku');
  const hki = page.locator('#hki');
  await turku.locator('li.hit').first().waitFor();
  await hki.locator('li.hit').first().waitFor();
  assert.match(await turku.locator('[role=status]').textContent(), /tulos/);
  assert.match(await hki.locator('[role=status]').textContent(), /träff/);
  assert.equal(await hki.getByRole('button', { name: 'Sök', exact: true }).count(), 1);
  const searches = log.requests.filter((u) => u.includes('/v1/search')).map((u) => new URL(u).searchParams);
  assert.ok(searches.some((p) => p.get('municipality') === '853' && p.get('lang') === 'fi'));
  assert.ok(searches.some((p) => p.get('municipality') === 'Helsinki' && p.get('theme') === 'physical_activity' && p.get('lang') === 'sv'));
  await searchFor(page, 'kuoro', '#turku');
  const u = new URL(page.url());
  assert.equal(u.searchParams.get('tarjotin-turku'), 'q=kuoro&municipality=853');
  assert.equal(u.searchParams.has('tarjotin-hki'), false);
  assert.equal(log.errors.length, 0, log.errors.join('\n'));
  await context.close();
});

test('theming through CSS custom properties and ::part()', async () => {
  const { page, context } = await openPage(h, '/page/themed');
  const w = await searchFor(page, 'choir');
  const st = await page.evaluate(() => {
    const r = document.querySelector('tarjotin-search').shadowRoot;
    const cs = (sel) => getComputedStyle(r.querySelector(sel));
    return { submit: cs('button[type=submit]').backgroundColor, font: cs('.root').fontFamily, input: cs('input[type=search]').backgroundColor,
      result: r.querySelector('li.hit') ? cs('li.hit').borderTopColor : null };
  });
  assert.equal(st.submit, 'rgb(122, 31, 0)');
  assert.match(st.font, /Georgia/);
  assert.equal(st.input, 'rgb(250, 250, 240)');
  if (st.result) assert.equal(st.result, 'rgb(1, 2, 3)');
  assert.equal(await w.getByRole('button', { name: 'Search', exact: true }).count(), 1);
  await context.close();
});
